using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace HighPerf.Bench;

/// <summary>Work done by one invocation of a benchmark case: items (tokens, rows, params) and bytes moved from/to memory.</summary>
public interface IWorkload
{
    /// <summary>Items processed per invocation for the given parameter values.</summary>
    long Items(IReadOnlyDictionary<string, object> parameters);

    /// <summary>Bytes read + written per invocation (the roofline traffic, not counting cache re-reads).</summary>
    long Bytes(IReadOnlyDictionary<string, object> parameters);
}

/// <summary>Adds tokens/s (items/s) and GB/s columns computed from the mean time and the class's <see cref="IWorkload"/>.</summary>
public sealed class ThroughputColumn(ThroughputColumn.Kind kind) : IColumn
{
    public enum Kind { ItemsPerSecond, GigabytesPerSecond }

    private static readonly ConcurrentDictionary<Type, IWorkload?> Workloads = new();

    public string Id => $"{nameof(ThroughputColumn)}.{kind}";
    public string ColumnName => kind == Kind.ItemsPerSecond ? "items/s" : "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => kind == Kind.ItemsPerSecond ? "Items (tokens, rows or params) per second" : "Roofline bytes moved per second (1e9 B/s)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var mean = report?.ResultStatistics?.Mean;
        var workload = Workloads.GetOrAdd(benchmarkCase.Descriptor.Type, t => Activator.CreateInstance(t) as IWorkload);
        if (mean is null || workload is null) return "-";
        var parameters = benchmarkCase.Parameters.Items.ToDictionary(p => p.Name, p => p.Value);
        var seconds = mean.Value * 1e-9;
        return kind == Kind.ItemsPerSecond
            ? Format(workload.Items(parameters) / seconds)
            : (workload.Bytes(parameters) / seconds / 1e9).ToString("F2");
    }

    private static string Format(double v) => v switch
    {
        >= 1e9 => $"{v / 1e9:F2} G",
        >= 1e6 => $"{v / 1e6:F1} M",
        >= 1e3 => $"{v / 1e3:F1} k",
        _ => $"{v:F1}",
    };
}
