namespace HighPerf.Rl.Training;

/// <summary>The paper's normalized scores for the offline and online algorithms (spec §5.1 = [P25 Table 2]), for side-by-side
/// reports. Keys are registry task names.</summary>
public static class PaperScores
{
    private static readonly Dictionary<string, double[]> Table = new(StringComparer.Ordinal)
    {
        //                      BC    %BC   MC    ILQL  PPO   online %BC
        ["twenty-questions"] = [57.1, 77.1, 87.1, 82.9, 72.9, 55.2],
        ["guess-my-city"] = [30.0, 48.0, 88.0, 75.0, 49.9, 31.6],
        ["car-dealer"] = [44.5, 54.8, 57.2, 46.3, 50.5, 40.4],
        ["maze-fo"] = [58.2, 68.9, 75.0, 99.9, 79.7, 57.4],
        ["maze-po"] = [53.1, 50.1, 52.4, 76.3, 42.4, 53.1],
        ["textnav-fo"] = [53.7, 65.1, 71.9, 91.8, 87.1, 74.5],
        ["textnav-po"] = [49.7, 60.5, 71.6, 83.7, 85.5, 68.4],
        ["wordle"] = [79.9, 79.1, 94.9, 97.7, 84.2, 95.2],
        ["chess"] = [47.2, 42.9, 46.5, 47.3, 48.0, 47.2],
        ["endgames"] = [35.1, 17.7, 50.2, 45.8, 77.5, 36.2],
    };

    /// <summary>Table 2's online columns (Online PPO, Online %BC).</summary>
    public static double? Get(string task, OnlineAlgorithm algorithm)
        => Table.TryGetValue(task, out var row) ? row[4 + (int)algorithm] : null;

    public static double? Get(string task, OfflineAlgorithm algorithm)
        => Table.TryGetValue(task, out var row) ? row[(int)algorithm] : null;
}
