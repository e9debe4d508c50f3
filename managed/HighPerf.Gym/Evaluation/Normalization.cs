namespace HighPerf.Gym.Evaluation;

/// <summary>The paper's score normalization constants (spec §3, [P24 Table 5]) and its piecewise formula:
/// raw ≥ avg → 50 + 50·(raw − avg)/(max − avg); else 50·(raw − min)/(avg − min). 0 = minimum possible,
/// 50 = dataset average, 100 = expert. Scores below 0 (raw below min, e.g. illegal-move penalties) are floored at 0,
/// as the paper reports them; scores above 100 are kept.</summary>
public readonly record struct NormalizationConstants(double Min, double DatasetAverage, double Max)
{
    public double Normalize(double raw)
    {
        if (!double.IsFinite(raw)) throw new ArgumentOutOfRangeException(nameof(raw), raw, "raw score must be finite");
        if (!(Min < DatasetAverage && DatasetAverage < Max))
            throw new InvalidOperationException($"normalization constants must satisfy min < avg < max (got {Min}, {DatasetAverage}, {Max})");
        var score = raw >= DatasetAverage
            ? 50.0 + 50.0 * (raw - DatasetAverage) / (Max - DatasetAverage)
            : 50.0 * (raw - Min) / (DatasetAverage - Min);
        return Math.Max(0.0, score);
    }

    // Table 5 constants.
    public static NormalizationConstants MazeFullyObserved { get; } = new(-101, -83, -6.84);
    public static NormalizationConstants MazePartiallyObserved { get; } = new(-101, -83, -25.75);
    public static NormalizationConstants TextNav { get; } = new(0, 0.26, 1);
    public static NormalizationConstants Wordle { get; } = new(-6, -4.12, -1.94);
    public static NormalizationConstants Chess { get; } = new(-401, 0.21, 1);
    public static NormalizationConstants Endgames { get; } = new(-1, 0.586, 1);
    public static NormalizationConstants TwentyQuestions { get; } = new(-20, -17.3, -12.6);
    public static NormalizationConstants GuessMyCity { get; } = new(-20, -18.8, -8.56);

    /// <summary>Why Car Dealer has no constants.</summary>
    public const string CarDealerNote = "Car Dealer has no normalization: the paper's Table 5 gives only min 0 and leaves the dataset average and max blank, and its Table 2 Car values equal the raw returns of Table 4 (spec §2.8, §3); raw returns are reported instead.";
}
