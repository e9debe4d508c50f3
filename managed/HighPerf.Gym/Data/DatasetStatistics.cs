using System.Globalization;
using System.Text;
using System.Text.Json;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Data;

/// <summary>Table-1 style statistics of a set of episodes (streaming, Welford): count, mean/std of length (agent
/// actions), success rate, mean/std of return. Standard deviations are population values (numpy's default).</summary>
public sealed class DatasetStatistics
{
    private double _lenMean, _lenM2, _retMean, _retM2;
    private long _successes;

    public long Count { get; private set; }
    public double AvgLength => _lenMean;
    public double StdLength => Count > 0 ? Math.Sqrt(_lenM2 / Count) : 0;
    public double SuccessRate => Count > 0 ? (double)_successes / Count : 0;
    public double AvgReturn => _retMean;
    public double StdReturn => Count > 0 ? Math.Sqrt(_retM2 / Count) : 0;

    public void Add(EpisodeRecord e)
    {
        Count++;
        var dl = e.Length - _lenMean;
        _lenMean += dl / Count;
        _lenM2 += dl * (e.Length - _lenMean);
        var dr = e.Return - _retMean;
        _retMean += dr / Count;
        _retM2 += dr * (e.Return - _retMean);
        if (e.Success) _successes++;
    }

    public static DatasetStatistics Compute(IEnumerable<EpisodeRecord> episodes)
    {
        var s = new DatasetStatistics();
        foreach (var e in episodes) s.Add(e);
        return s;
    }

    public string ToJson(string task, PaperDatasetStatistics? paper = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", "highperf.gym.dataset-stats/v1");
            w.WriteString("task", task);
            w.WriteNumber("count", Count);
            w.WriteNumber("avg_length", AvgLength);
            w.WriteNumber("std_length", StdLength);
            w.WriteNumber("success_rate", SuccessRate);
            w.WriteNumber("avg_return", AvgReturn);
            w.WriteNumber("std_return", StdReturn);
            if (paper is not null)
            {
                w.WriteStartObject("paper_table1");
                w.WriteNumber("trajectories", paper.Trajectories);
                w.WriteNumber("avg_length", paper.AvgLength);
                w.WriteNumber("std_length", paper.StdLength);
                w.WriteNumber("success_rate", paper.SuccessRate);
                w.WriteNumber("avg_return", paper.AvgReturn);
                w.WriteNumber("std_return", paper.StdReturn);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    public string ToText(string task, PaperDatasetStatistics? paper = null)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"{"",-10} {"episodes",10} {"avg len",8} {"std len",8} {"success",8} {"avg ret",9} {"std ret",8}");
        sb.AppendLine(c, $"{task,-10} {Count,10} {AvgLength,8:F2} {StdLength,8:F2} {SuccessRate,8:F3} {AvgReturn,9:F3} {StdReturn,8:F3}");
        if (paper is not null)
            sb.AppendLine(c, $"{"paper",-10} {paper.Trajectories,10} {paper.AvgLength,8:F2} {paper.StdLength,8:F2} {paper.SuccessRate,8:F3} {paper.AvgReturn,9:F3} {paper.StdReturn,8:F3}");
        return sb.ToString();
    }
}
