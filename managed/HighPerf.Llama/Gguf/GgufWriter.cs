using System.Buffers.Binary;
using System.Text;

namespace HighPerf.Llama.Gguf;

/// <summary>
/// Minimal GGUF v3 writer (little-endian): metadata key/values and F32 tensors. Output is a pure function of what was
/// added, in the order it was added, so the same inputs give the same bytes. <see cref="WriteTo(string)"/> is atomic:
/// it writes a temporary file in the same folder, flushes it to disk and renames it over the target.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>Data alignment (general.alignment default).</summary>
    public const int Alignment = 32;

    private readonly List<(string Key, GgufValueType Type, Action<BinaryWriter> Write)> _kv = [];
    private readonly List<(string Name, long[] Ne, float[] Data)> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private void AddKv(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF key '{key}' was already added.", nameof(key));
        _kv.Add((key, type, write));
    }

    public GgufWriter AddString(string key, string value) { ArgumentNullException.ThrowIfNull(value); AddKv(key, GgufValueType.String, w => WriteString(w, value)); return this; }
    public GgufWriter AddUInt32(string key, uint value) { AddKv(key, GgufValueType.UInt32, w => w.Write(value)); return this; }
    public GgufWriter AddInt32(string key, int value) { AddKv(key, GgufValueType.Int32, w => w.Write(value)); return this; }
    public GgufWriter AddFloat32(string key, float value) { AddKv(key, GgufValueType.Float32, w => w.Write(value)); return this; }
    public GgufWriter AddBool(string key, bool value) { AddKv(key, GgufValueType.Bool, w => w.Write((byte)(value ? 1 : 0))); return this; }

    public GgufWriter AddStringArray(string key, IReadOnlyList<string> values)
    {
        var copy = values.ToArray();
        AddKv(key, GgufValueType.Array, w =>
        {
            w.Write((uint)GgufValueType.String);
            w.Write((ulong)copy.Length);
            foreach (var s in copy) WriteString(w, s);
        });
        return this;
    }

    public GgufWriter AddFloat32Array(string key, IReadOnlyList<float> values)
    {
        var copy = values.ToArray();
        AddKv(key, GgufValueType.Array, w =>
        {
            w.Write((uint)GgufValueType.Float32);
            w.Write((ulong)copy.Length);
            foreach (var v in copy) w.Write(v);
        });
        return this;
    }

    public GgufWriter AddInt32Array(string key, IReadOnlyList<int> values)
    {
        var copy = values.ToArray();
        AddKv(key, GgufValueType.Array, w =>
        {
            w.Write((uint)GgufValueType.Int32);
            w.Write((ulong)copy.Length);
            foreach (var v in copy) w.Write(v);
        });
        return this;
    }

    /// <summary>Adds an F32 tensor. <paramref name="ne"/> is in ggml order: ne[0] is the row length.</summary>
    public GgufWriter AddTensorF32(string name, long[] ne, float[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(ne);
        ArgumentNullException.ThrowIfNull(data);
        if (ne.Length is < 1 or > 4) throw new ArgumentException($"Tensor '{name}': 1 to 4 dimensions expected, got {ne.Length}.", nameof(ne));
        long n = 1;
        foreach (var d in ne)
        {
            if (d <= 0) throw new ArgumentException($"Tensor '{name}': dimensions must be positive.", nameof(ne));
            n *= d;
        }
        if (n != data.Length) throw new ArgumentException($"Tensor '{name}': shape holds {n} elements but {data.Length} were given.", nameof(data));
        if (!_names.Add(name)) throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        _tensors.Add((name, (long[])ne.Clone(), data));
        return this;
    }

    /// <summary>Writes the file to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kv.Count);
        foreach (var (key, type, write) in _kv)
        {
            WriteString(w, key);
            w.Write((uint)type);
            write(w);
        }
        long offset = 0;
        foreach (var (name, ne, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)ne.Length);
            foreach (var d in ne) w.Write((ulong)d);
            w.Write(0u); // GGML_TYPE_F32
            w.Write((ulong)offset);
            offset = Align(offset + (long)data.Length * 4);
        }
        w.Flush();
        Pad(w, stream.Position);
        var buf = new byte[1 << 16];
        foreach (var (_, _, data) in _tensors)
        {
            int i = 0;
            while (i < data.Length)
            {
                int n = Math.Min(buf.Length / 4, data.Length - i);
                for (int j = 0; j < n; j++) BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(j * 4), data[i + j]);
                w.Write(buf, 0, n * 4);
                i += n;
            }
            w.Flush();
            Pad(w, stream.Position);
        }
        w.Flush();
    }

    /// <summary>Writes the file atomically: temporary file in the same folder, flush to disk, rename.</summary>
    public void WriteTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        System.IO.Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch { /* best effort */ }
            throw;
        }
    }

    private static long Align(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w, long position)
    {
        long pad = Align(position) - position;
        for (long i = 0; i < pad; i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
