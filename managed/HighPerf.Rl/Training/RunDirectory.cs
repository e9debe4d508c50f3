using System.Text.Json;
using HighPerf.Rl.Reporting;

namespace HighPerf.Rl.Training;

/// <summary>
/// The artifact store of one run: every file of a run folder by name, in one place (datasets, models, critics,
/// checkpoints' state, evaluation reports and transcripts, metrics, charts), and the step or iteration count each
/// checkpoint records. Offline and online experiments share one store per folder. Every write is atomic (temporary
/// file, flush, rename; DESIGN D8); a malformed state file is an input error naming the file, never a trace.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    /// <param name="root">The run folder (created).</param>
    /// <param name="resume">Keep what a previous run left: without it, the metrics log starts empty.</param>
    public RunDirectory(string root, bool resume)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        if (!resume && System.IO.File.Exists(File("metrics.jsonl"))) System.IO.File.Delete(File("metrics.jsonl"));
        Metrics = new MetricsLog(Root);
    }

    public string Root { get; }

    /// <summary>Training curves of every phase (metrics.jsonl + tensorboard/).</summary>
    public MetricsLog Metrics { get; }

    /// <summary>The path of a file of this run.</summary>
    public string File(string name) => Path.Combine(Root, name);

    public string Dataset => File("dataset.jsonl");
    public string BaseModel => File("base.gguf");
    /// <summary>A policy checkpoint: bc, filtered-bc, ppo, online-bc.</summary>
    public string Policy(string algorithm) => File($"{algorithm}.gguf");
    /// <summary>The state (step or iteration count) of an algorithm's checkpoint.</summary>
    public string State(string algorithm) => File($"{algorithm}.state.json");
    /// <summary>A token-level critic checkpoint (mc, ilql).</summary>
    public string Critic(string algorithm) => File($"{algorithm}.critic.gguf");
    /// <summary>A value-head checkpoint (ppo).</summary>
    public string ValueHead(string algorithm) => File($"{algorithm}.value.gguf");
    public string EvaluationReport(string label) => File($"eval-{label}.json");
    public string Transcripts(string label) => File($"eval-{label}.episodes.jsonl");
    public string Chart(string name) => File($"{name}.png");

    /// <summary>Writes an algorithm's checkpoint state: <paramref name="counter"/> (a step or iteration count) under
    /// <paramref name="key"/>, plus descriptive fields.</summary>
    public void WriteState(string algorithm, string key, long counter, IReadOnlyDictionary<string, object?> fields)
    {
        var o = new Dictionary<string, object?>(fields) { [key] = counter };
        AtomicFile.WriteAllText(State(algorithm), JsonSerializer.Serialize(o));
    }

    /// <summary>The counter an algorithm's checkpoint state records, or null without a state file. Throws
    /// <see cref="InvalidDataException"/> naming the file when it is not a state file.</summary>
    public long? ReadState(string algorithm, string key)
    {
        var path = State(algorithm);
        if (!System.IO.File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            var n = doc.RootElement.GetProperty(key).GetInt64();
            return n >= 0 ? n : throw new InvalidDataException($"{path}: {key} is negative ({n})");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a checkpoint state file ({key} missing or not a whole number: {e.Message})", e);
        }
    }

    public void Dispose() => Metrics.Dispose();
}
