using System.Text;

namespace HighPerf.Llama.Gguf;

/// <summary>One tensor entry of a GGUF file.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, uint Type, long Offset, long Bytes);

/// <summary>A GGUF file is malformed, truncated or unsupported. The message names the file, what and where.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string path, long offset, string message)
        : base($"{path}: {message} (at byte {offset})")
    {
        Path = path;
        Offset = offset;
    }

    public string Path { get; }
    public long Offset { get; }
}

/// <summary>
/// A parsed and bounds-checked GGUF header: metadata key/values and tensor infos. Reading never trusts a length from
/// the file: every count, string and tensor extent is checked against the file length before anything is allocated.
/// </summary>
public sealed class GgufFile
{
    private const long MaxStringBytes = 64L << 20;

    public required string Path { get; init; }
    public required uint Version { get; init; }
    public required long FileLength { get; init; }
    public required long DataOffset { get; init; }
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) ? v as string : null;

    public long? GetInteger(string key) => Metadata.TryGetValue(key, out var v) ? v switch
    {
        byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint u => u, int i => i, ulong ul => (long)ul, long l => l,
        _ => null,
    } : null;

    public string[]? GetStringArray(string key) => Metadata.TryGetValue(key, out var v) ? v as string[] : null;

    /// <summary>Reads and bounds-checks the header of a GGUF file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="GgufFormatException">The file is not a well-formed GGUF file.</exception>
    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"Model file not found: {full}", full);
        using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var r = new Reader(fs, full);
        return r.ReadFile();
    }

    private sealed class Reader(FileStream fs, string path)
    {
        private readonly BinaryReader _r = new(fs, Encoding.UTF8, leaveOpen: true);
        private readonly long _len = fs.Length;

        private long Pos => fs.Position;
        private GgufFormatException Fail(string msg) => new(path, Pos, msg);

        private void Need(long bytes, string what)
        {
            if (bytes < 0 || Pos + bytes > _len)
                throw Fail($"truncated file: {what} needs {bytes} bytes but only {_len - Pos} remain (file length {_len})");
        }

        private uint U32(string what) { Need(4, what); return _r.ReadUInt32(); }
        private ulong U64(string what) { Need(8, what); return _r.ReadUInt64(); }

        private string Str(string what)
        {
            var n = U64($"length of {what}");
            if (n > MaxStringBytes) throw Fail($"{what}: string length {n} is implausible");
            Need((long)n, what);
            var bytes = _r.ReadBytes((int)n);
            try { return new UTF8Encoding(false, true).GetString(bytes); }
            catch (DecoderFallbackException) { throw Fail($"{what}: string is not valid UTF-8"); }
        }

        public GgufFile ReadFile()
        {
            if (_len < 24) throw Fail($"file too short for a GGUF header ({_len} bytes)");
            var magic = _r.ReadBytes(4);
            if (!magic.AsSpan().SequenceEqual("GGUF"u8))
                throw new GgufFormatException(path, 0, $"not a GGUF file (magic {Convert.ToHexString(magic)}, expected 47475546 'GGUF')");
            var version = U32("version");
            if (version is not (2 or 3)) throw Fail($"unsupported GGUF version {version} (2 and 3 are supported)");
            var nTensors = U64("tensor count");
            var nKv = U64("metadata count");
            // Each KV needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8 + 4 + 8 + 4 + 8.
            if (nKv > (ulong)(_len / 13)) throw Fail($"metadata count {nKv} cannot fit in a file of {_len} bytes");
            if (nTensors > (ulong)(_len / 32)) throw Fail($"tensor count {nTensors} cannot fit in a file of {_len} bytes");

            var meta = new Dictionary<string, object>(StringComparer.Ordinal);
            for (ulong i = 0; i < nKv; i++)
            {
                var key = Str($"key of metadata entry {i}");
                var type = U32($"type of '{key}'");
                var value = ReadValue((GgufValueType)type, key);
                if (!meta.TryAdd(key, value)) throw Fail($"duplicate metadata key '{key}'");
            }

            long alignment = 32;
            if (meta.TryGetValue("general.alignment", out var a))
            {
                alignment = a is uint ua ? ua : throw Fail("general.alignment must be a u32");
                if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw Fail($"general.alignment {alignment} is not a power of two");
            }

            var infos = new List<(string Name, long[] Ne, uint Type, long Off, long Bytes)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (ulong i = 0; i < nTensors; i++)
            {
                var name = Str($"name of tensor {i}");
                if (!names.Add(name)) throw Fail($"duplicate tensor '{name}'");
                var nDims = U32($"dimension count of tensor '{name}'");
                if (nDims is < 1 or > 4) throw Fail($"tensor '{name}' has {nDims} dimensions (1 to 4 allowed)");
                var ne = new long[nDims];
                for (int d = 0; d < nDims; d++)
                {
                    var v = U64($"shape of tensor '{name}'");
                    if (v == 0 || v > long.MaxValue / 2) throw Fail($"tensor '{name}' has invalid dimension {d} = {v}");
                    ne[d] = (long)v;
                }
                var type = U32($"type of tensor '{name}'");
                if (!GgmlTypeInfo.IsKnown(type)) throw Fail($"tensor '{name}' has unknown or unsupported ggml type {type}");
                var off = U64($"offset of tensor '{name}'");
                if (off > long.MaxValue / 2 || (long)off % alignment != 0) throw Fail($"tensor '{name}' has invalid data offset {off}");
                var bytes = GgmlTypeInfo.TensorBytes(type, ne) ?? throw Fail($"tensor '{name}' has a shape that does not fit its type {type}");
                infos.Add((name, ne, type, (long)off, bytes));
            }
            long dataOffset = (Pos + alignment - 1) / alignment * alignment;
            if (nTensors > 0 && dataOffset > _len) throw Fail($"truncated file: tensor data would start at {dataOffset} but the file has {_len} bytes");
            var tensors = new List<GgufTensorInfo>(infos.Count);
            foreach (var (name, ne, type, off, bytes) in infos)
            {
                long end = dataOffset + off + bytes;
                if (end > _len)
                    throw new GgufFormatException(path, dataOffset + off,
                        $"truncated file: tensor '{name}' ends at byte {end} but the file has {_len} bytes");
                tensors.Add(new GgufTensorInfo(name, ne, type, off, bytes));
            }
            return new GgufFile { Path = path, Version = version, FileLength = _len, DataOffset = dataOffset, Metadata = meta, Tensors = tensors };
        }

        private object ReadValue(GgufValueType type, string key)
        {
            switch (type)
            {
                case GgufValueType.UInt8: Need(1, key); return _r.ReadByte();
                case GgufValueType.Int8: Need(1, key); return _r.ReadSByte();
                case GgufValueType.UInt16: Need(2, key); return _r.ReadUInt16();
                case GgufValueType.Int16: Need(2, key); return _r.ReadInt16();
                case GgufValueType.UInt32: Need(4, key); return _r.ReadUInt32();
                case GgufValueType.Int32: Need(4, key); return _r.ReadInt32();
                case GgufValueType.Float32: Need(4, key); return _r.ReadSingle();
                case GgufValueType.Bool:
                    Need(1, key);
                    var b = _r.ReadByte();
                    if (b > 1) throw Fail($"'{key}': bool value {b} is neither 0 nor 1");
                    return b == 1;
                case GgufValueType.String: return Str($"value of '{key}'");
                case GgufValueType.UInt64: Need(8, key); return _r.ReadUInt64();
                case GgufValueType.Int64: Need(8, key); return _r.ReadInt64();
                case GgufValueType.Float64: Need(8, key); return _r.ReadDouble();
                case GgufValueType.Array: return ReadArray(key);
                default: throw Fail($"'{key}': unknown metadata type {(uint)type}");
            }
        }

        private object ReadArray(string key)
        {
            var et = (GgufValueType)U32($"element type of '{key}'");
            var n = U64($"length of '{key}'");
            int size = et switch
            {
                GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
                GgufValueType.UInt16 or GgufValueType.Int16 => 2,
                GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
                GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
                GgufValueType.String => 8, // at least the length prefix
                GgufValueType.Array => throw Fail($"'{key}': nested arrays are not supported"),
                _ => throw Fail($"'{key}': unknown array element type {(uint)et}"),
            };
            if (n > (ulong)((_len - Pos) / size)) throw Fail($"truncated file: array '{key}' claims {n} elements");
            int count = (int)n;
            switch (et)
            {
                case GgufValueType.String:
                {
                    var arr = new string[count];
                    for (int i = 0; i < count; i++) arr[i] = Str($"element {i} of '{key}'");
                    return arr;
                }
                case GgufValueType.Float32: { var arr = new float[count]; for (int i = 0; i < count; i++) arr[i] = _r.ReadSingle(); return arr; }
                case GgufValueType.Int32: { var arr = new int[count]; for (int i = 0; i < count; i++) arr[i] = _r.ReadInt32(); return arr; }
                case GgufValueType.UInt32: { var arr = new uint[count]; for (int i = 0; i < count; i++) arr[i] = _r.ReadUInt32(); return arr; }
                case GgufValueType.Bool: { var arr = new bool[count]; for (int i = 0; i < count; i++) arr[i] = _r.ReadByte() != 0; return arr; }
                default:
                {
                    // Other numeric arrays are kept as raw bytes; nothing here interprets them.
                    var raw = _r.ReadBytes(checked(count * size));
                    return raw;
                }
            }
        }
    }
}
