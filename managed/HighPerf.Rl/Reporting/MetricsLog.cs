using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HighPerf.Rl.Reporting;

/// <summary>One metrics row: a phase ("bc", "ilql", ...), a step, and named scalars.</summary>
public sealed record MetricRecord(string Phase, long Step, IReadOnlyDictionary<string, double> Values, double ElapsedSeconds);

/// <summary>Training metrics sink: a JSONL log (one record a line, appended and flushed per record), a TensorBoard event
/// file (tags "phase/name"), and an in-memory copy for the learning-curve PNG.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _jsonl;
    private readonly TensorBoardWriter _tensorBoard;
    private readonly List<MetricRecord> _records = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public MetricsLog(string directory)
    {
        Directory.CreateDirectory(directory);
        JsonlPath = Path.Combine(directory, "metrics.jsonl");
        if (File.Exists(JsonlPath))
            foreach (var line in File.ReadLines(JsonlPath))
                if (TryParse(line, out var r)) _records.Add(r);
        _jsonl = new StreamWriter(new FileStream(JsonlPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        _tensorBoard = new TensorBoardWriter(Path.Combine(directory, "tensorboard"));
    }

    public string JsonlPath { get; }

    public string TensorBoardPath => _tensorBoard.Path;

    public IReadOnlyList<MetricRecord> Records => _records;

    public void Log(string phase, long step, IReadOnlyDictionary<string, double> values)
    {
        var record = new MetricRecord(phase, step, values, _clock.Elapsed.TotalSeconds);
        _records.Add(record);
        var o = new Dictionary<string, object> { ["phase"] = phase, ["step"] = step, ["elapsed_s"] = Math.Round(record.ElapsedSeconds, 3) };
        foreach (var (k, v) in values) o[k] = double.IsFinite(v) ? v : double.NaN.ToString(CultureInfo.InvariantCulture);
        _jsonl.WriteLine(JsonSerializer.Serialize(o));
        _jsonl.Flush();
        _tensorBoard.AddScalars(step, values.Select(kv => new KeyValuePair<string, double>($"{phase}/{kv.Key}", kv.Value)));
    }

    /// <summary>The (step, value) curve of one metric of one phase.</summary>
    public IReadOnlyList<(double X, double Y)> Curve(string phase, string name)
        => [.. _records.Where(r => r.Phase == phase && r.Values.ContainsKey(name)).Select(r => ((double)r.Step, r.Values[name]))];

    public void Dispose()
    {
        _jsonl.Dispose();
        _tensorBoard.Dispose();
    }

    private static bool TryParse(string line, out MetricRecord record)
    {
        record = null!;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var values = new Dictionary<string, double>();
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("phase" or "step" or "elapsed_s") && p.Value.ValueKind == JsonValueKind.Number) values[p.Name] = p.Value.GetDouble();
            record = new MetricRecord(root.GetProperty("phase").GetString() ?? "", root.GetProperty("step").GetInt64(), values, root.TryGetProperty("elapsed_s", out var e) ? e.GetDouble() : 0);
            return true;
        }
        catch (JsonException)
        {
            return false; // a torn last line after a crash is skipped
        }
    }
}
