using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using HighPerf.Rl.Reporting;

namespace HighPerf.Rl.Tests;

public sealed class ReportingTests
{
    [Fact]
    public void ChecksumsMatchTheirStandardCheckValues()
    {
        var check = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(check));
        Assert.Equal(0xCBF43926u, Crc32.Compute(check));
    }

    [Fact]
    public void TensorBoardRecordsAreFramedWithMaskedCrcs()
    {
        var dir = Directory.CreateTempSubdirectory("hp-tb-");
        try
        {
            string path;
            using (var w = new TensorBoardWriter(dir.FullName))
            {
                w.AddScalars(7, [new("bc/loss", 1.25)]);
                path = w.Path;
            }
            var bytes = File.ReadAllBytes(path);
            var records = 0;
            var at = 0;
            while (at < bytes.Length)
            {
                var len = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
                Assert.Equal(Crc32C.Masked(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
                var payload = bytes.AsSpan(at + 12, len);
                Assert.Equal(Crc32C.Masked(payload), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + len)));
                if (records == 1)
                {
                    Assert.Contains("bc/loss", Encoding.UTF8.GetString(payload));
                    var f = payload.ToArray();
                    var idx = Array.IndexOf(f, (byte)0x15); // Value.simple_value tag
                    Assert.Equal(1.25f, BinaryPrimitives.ReadSingleLittleEndian(f.AsSpan(idx + 1)));
                }
                at += 12 + len + 4;
                records++;
            }
            Assert.Equal(2, records); // file_version event + one scalar event
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void PngHasValidChunksAndDecompressesToTheImage()
    {
        var png = LineChart.Render([("loss", "step", [new ChartSeries("a", [(0, 1), (1, 0.5), (2, 0.2)])])], 200, 120);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var at = 8;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (at < png.Length)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            types.Add(type);
            Assert.Equal(Crc32.Compute(png.AsSpan(at + 4, 4 + len)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + len)));
            if (type == "IHDR")
            {
                Assert.Equal(200, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at + 8)));
                Assert.Equal(120, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at + 12)));
            }
            if (type == "IDAT") idat.Write(png, at + 8, len);
            at += 12 + len;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        Assert.Equal(120 * (1 + 200 * 3), raw.Length);
        Assert.Contains(raw.ToArray(), b => b != 255 && b != 0); // something coloured was drawn
    }

    [Fact]
    public void AtomicWriteLeavesNoTemporaryFile()
    {
        var dir = Directory.CreateTempSubdirectory("hp-atomic-");
        try
        {
            var p = Path.Combine(dir.FullName, "sub", "r.json");
            AtomicFile.WriteAllText(p, "{}");
            AtomicFile.WriteAllText(p, "{\"a\":1}");
            Assert.Equal("{\"a\":1}", File.ReadAllText(p));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(p)!));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}

public sealed class RunDirectoryTests
{
    [Fact]
    public void StateRoundTripsAndAMalformedStateFileIsAnInputErrorNamingIt()
    {
        var root = Directory.CreateTempSubdirectory("hp-run-").FullName;
        try
        {
            using (var run = new Training.RunDirectory(root, resume: false))
            {
                Assert.Null(run.ReadState("ppo", "iterations"));
                run.WriteState("ppo", "iterations", 3, new Dictionary<string, object?> { ["task"] = "maze-fo" });
                Assert.Equal(3, run.ReadState("ppo", "iterations"));
                Assert.Equal(Path.Combine(root, "ppo.gguf"), run.Policy("ppo"));
                foreach (var bad in new[] { "{\"iterations\": \"three\"}", "{}", "not json", "{\"iterations\": -1}" })
                {
                    File.WriteAllText(run.State("ppo"), bad);
                    var e = Assert.Throws<InvalidDataException>(() => run.ReadState("ppo", "iterations"));
                    Assert.Contains(run.State("ppo"), e.Message);
                }
                run.Metrics.Log("x", 1, new Dictionary<string, double> { ["v"] = 1 });
            }
            using (var again = new Training.RunDirectory(root, resume: true)) Assert.Single(again.Metrics.Records);
            using (var fresh = new Training.RunDirectory(root, resume: false)) Assert.Empty(fresh.Metrics.Records);
            Assert.Empty(Directory.EnumerateFiles(root, "*.tmp*"));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
