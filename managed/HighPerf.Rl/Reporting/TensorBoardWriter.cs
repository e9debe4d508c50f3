using System.Buffers.Binary;
using System.Text;

namespace HighPerf.Rl.Reporting;

/// <summary>Writes TensorBoard event files by hand: TFRecord framing
/// (uint64 length, masked CRC32C of the length, payload, masked CRC32C of the payload) around <c>Event</c> protobufs
/// carrying scalar summaries. Protobuf fields used: Event{1: wall_time double, 2: step int64, 3: file_version string,
/// 5: summary}; Summary{1: repeated Value}; Value{1: tag string, 2: simple_value float}. Appends (resume-friendly).</summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _stream;

    public TensorBoardWriter(string directory, string? fileName = null)
    {
        Directory.CreateDirectory(directory);
        // One file per run directory: reopened and appended on resume (TensorBoard reads all event files in a folder).
        Path = System.IO.Path.Combine(directory, fileName ?? "events.out.tfevents.highperf");
        var fresh = !File.Exists(Path) || new FileInfo(Path).Length == 0;
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (fresh) WriteEvent(EncodeEvent(WallTime(), 0, fileVersion: "brain.Event:2", summary: null));
    }

    public string Path { get; }

    /// <summary>Appends one event with the given scalars at <paramref name="step"/>.</summary>
    public void AddScalars(long step, IEnumerable<KeyValuePair<string, double>> scalars)
    {
        var summary = new MemoryStream();
        Span<byte> f = stackalloc byte[4];
        foreach (var (tag, value) in scalars)
        {
            var v = new MemoryStream();
            WriteTag(v, 1, 2);
            WriteBytes(v, Encoding.UTF8.GetBytes(tag));
            WriteTag(v, 2, 5);
            BinaryPrimitives.WriteSingleLittleEndian(f, (float)value);
            v.Write(f);
            WriteTag(summary, 1, 2);
            WriteBytes(summary, v.ToArray());
        }
        WriteEvent(EncodeEvent(WallTime(), step, null, summary.ToArray()));
    }

    public void Flush() => _stream.Flush(flushToDisk: true);

    public void Dispose()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static byte[] EncodeEvent(double wallTime, long step, string? fileVersion, byte[]? summary)
    {
        var e = new MemoryStream();
        WriteTag(e, 1, 1);
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(d, wallTime);
        e.Write(d);
        WriteTag(e, 2, 0);
        WriteVarint(e, (ulong)step);
        if (fileVersion is not null)
        {
            WriteTag(e, 3, 2);
            WriteBytes(e, Encoding.UTF8.GetBytes(fileVersion));
        }
        if (summary is not null)
        {
            WriteTag(e, 5, 2);
            WriteBytes(e, summary);
        }
        return e.ToArray();
    }

    private void WriteEvent(byte[] payload)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        _stream.Write(header);
        _stream.Write(payload);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(payload));
        _stream.Write(footer);
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteBytes(Stream s, byte[] bytes)
    {
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}

/// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's mask.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    /// <summary>TFRecord: ((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }
}
