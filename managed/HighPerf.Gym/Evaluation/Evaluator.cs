using System.Globalization;
using System.Text;
using System.Text.Json;
using HighPerf.Gym.Core;
using HighPerf.Gym.Data;

namespace HighPerf.Gym.Evaluation;

/// <summary>The result of evaluating a policy on a task: mean ± standard error of return, success rate and length
/// (the paper reported none of the error bars; spec §9.5), and the normalized score of the mean return.</summary>
public sealed record EvaluationReport
{
    public const string Schema = "highperf.gym.eval/v1";
    public required string Task { get; init; }
    public required string Policy { get; init; }
    public required int Episodes { get; init; }
    public required int Seed { get; init; }
    public required double ReturnMean { get; init; }
    public required double ReturnStd { get; init; }
    public required double ReturnStdError { get; init; }
    public required double ReturnMin { get; init; }
    public required double ReturnMax { get; init; }
    public required double SuccessRate { get; init; }
    public required double SuccessStdError { get; init; }
    public required double LengthMean { get; init; }
    public required double LengthStdError { get; init; }
    public required double DoneRate { get; init; }
    public NormalizationConstants? Constants { get; init; }
    /// <summary>Normalized score of the mean return; null when the task has no constants.</summary>
    public double? NormalizedScore { get; init; }
    /// <summary>Normalized scores of mean − SE and mean + SE (the formula is piecewise linear).</summary>
    public (double Low, double High)? NormalizedRange { get; init; }
    public string? Note { get; init; }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", Schema);
            w.WriteString("task", Task);
            w.WriteString("policy", Policy);
            w.WriteNumber("episodes", Episodes);
            w.WriteNumber("seed", Seed);
            w.WriteStartObject("return");
            w.WriteNumber("mean", ReturnMean);
            w.WriteNumber("std", ReturnStd);
            w.WriteNumber("stderr", ReturnStdError);
            w.WriteNumber("min", ReturnMin);
            w.WriteNumber("max", ReturnMax);
            w.WriteEndObject();
            w.WriteStartObject("success_rate");
            w.WriteNumber("mean", SuccessRate);
            w.WriteNumber("stderr", SuccessStdError);
            w.WriteEndObject();
            w.WriteStartObject("length");
            w.WriteNumber("mean", LengthMean);
            w.WriteNumber("stderr", LengthStdError);
            w.WriteEndObject();
            w.WriteNumber("done_rate", DoneRate);
            if (Constants is { } k)
            {
                w.WriteStartObject("normalization");
                w.WriteNumber("min", k.Min);
                w.WriteNumber("dataset_avg", k.DatasetAverage);
                w.WriteNumber("max", k.Max);
                w.WriteEndObject();
            }
            if (NormalizedScore is { } score) w.WriteNumber("normalized_score", score);
            else w.WriteNull("normalized_score");
            if (NormalizedRange is { } r)
            {
                w.WriteStartArray("normalized_range");
                w.WriteNumberValue(r.Low);
                w.WriteNumberValue(r.High);
                w.WriteEndArray();
            }
            if (Note is not null) w.WriteString("note", Note);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"## {Task} — policy `{Policy}`");
        sb.AppendLine();
        sb.AppendLine(c, $"{Episodes} episodes, seed {Seed}. Mean ± standard error.");
        sb.AppendLine();
        sb.AppendLine("| metric | value |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(c, $"| return | {ReturnMean:F3} ± {ReturnStdError:F3} (std {ReturnStd:F3}, min {ReturnMin:G4}, max {ReturnMax:G4}) |");
        sb.AppendLine(c, $"| success rate | {SuccessRate:F3} ± {SuccessStdError:F3} |");
        sb.AppendLine(c, $"| length (actions) | {LengthMean:F2} ± {LengthStdError:F2} |");
        sb.AppendLine(c, $"| done rate | {DoneRate:F3} |");
        if (NormalizedScore is { } s && Constants is { } k)
            sb.AppendLine(c, $"| normalized score | {s:F1} (range {NormalizedRange!.Value.Low:F1}–{NormalizedRange.Value.High:F1}; min {k.Min}, avg {k.DatasetAverage}, max {k.Max}) |");
        else
            sb.AppendLine("| normalized score | n/a |");
        if (Note is not null)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"Note: {Note}");
        }
        return sb.ToString();
    }

    /// <summary>Writes the JSON report and a Markdown twin (same name, .md) atomically.</summary>
    public void Save(string jsonPath)
    {
        AtomicFile.WriteAllText(jsonPath, ToJson());
        AtomicFile.WriteAllText(Path.ChangeExtension(jsonPath, ".md"), ToMarkdown());
    }
}

/// <summary>Runs N episodes of a task in batches and summarizes them.</summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(TaskDefinition task, string policyName, int episodes, int seed, int batchSize = 32, Action<EpisodeRecord>? onEpisode = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var factory = task.GetPolicy(policyName);
        return Summarize(task, policyName, seed, Run(EpisodeRunner.Run(task.CreateEnvironment, factory, Positive(episodes), task.RunOptions(seed, batchSize)), onEpisode));
    }

    public static EvaluationReport Evaluate(TaskDefinition task, IBatchTextPolicy policy, string policyName, int episodes, int seed, int batchSize = 32, Action<EpisodeRecord>? onEpisode = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Summarize(task, policyName, seed, Run(EpisodeRunner.Run(task.CreateEnvironment, policy, Positive(episodes), task.RunOptions(seed, batchSize)), onEpisode));
    }

    private static int Positive(int episodes) => episodes > 0 ? episodes : throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "must be positive");

    private static IEnumerable<EpisodeRecord> Run(IEnumerable<EpisodeRecord> records, Action<EpisodeRecord>? onEpisode)
    {
        foreach (var r in records)
        {
            onEpisode?.Invoke(r);
            yield return r;
        }
    }

    /// <summary>Summarizes recorded episodes (sample standard deviation; SE = std/√n).</summary>
    public static EvaluationReport Summarize(TaskDefinition task, string policyName, int seed, IEnumerable<EpisodeRecord> records)
    {
        var list = records.ToList();
        if (list.Count == 0) throw new ArgumentException("no episodes to summarize", nameof(records));
        var n = list.Count;
        var returns = list.Select(r => r.Return).ToArray();
        var lengths = list.Select(r => (double)r.Length).ToArray();
        var (rm, rs) = MeanStd(returns);
        var (lm, ls) = MeanStd(lengths);
        var sr = list.Count(r => r.Success) / (double)n;
        var se = rs / Math.Sqrt(n);
        double? norm = null;
        (double, double)? range = null;
        if (task.Normalization is { } k)
        {
            norm = k.Normalize(rm);
            range = (k.Normalize(rm - se), k.Normalize(rm + se));
        }
        return new EvaluationReport
        {
            Task = task.Name,
            Policy = policyName,
            Episodes = n,
            Seed = seed,
            ReturnMean = rm,
            ReturnStd = rs,
            ReturnStdError = se,
            ReturnMin = returns.Min(),
            ReturnMax = returns.Max(),
            SuccessRate = sr,
            SuccessStdError = n > 1 ? Math.Sqrt(sr * (1 - sr) / (n - 1)) : 0,
            LengthMean = lm,
            LengthStdError = ls / Math.Sqrt(n),
            DoneRate = list.Count(r => r.Done) / (double)n,
            Constants = task.Normalization,
            NormalizedScore = norm,
            NormalizedRange = range,
            Note = task.NormalizationNote,
        };
    }

    private static (double Mean, double Std) MeanStd(double[] xs)
    {
        var mean = xs.Average();
        if (xs.Length < 2) return (mean, 0);
        var ss = xs.Sum(x => (x - mean) * (x - mean));
        return (mean, Math.Sqrt(ss / (xs.Length - 1)));
    }
}
