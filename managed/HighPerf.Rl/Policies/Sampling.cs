using System.Numerics;

namespace HighPerf.Rl.Policies;

/// <summary>Categorical sampling from unnormalized log-weights, shared by the re-ranker (scores per candidate action)
/// and value-guided decoding (adjusted logits per token).</summary>
public static class Sampling
{
    /// <summary>Samples i ∝ exp(s_i) (max-shifted for stability).</summary>
    public static int SampleSoftmax(ReadOnlySpan<double> s, Random rng) => SampleSoftmax<double>(s, rng);

    /// <inheritdoc cref="SampleSoftmax(ReadOnlySpan{double}, Random)"/>
    public static int SampleSoftmax(ReadOnlySpan<float> s, Random rng) => SampleSoftmax<float>(s, rng);

    // The shift s_i − max is taken in T (as the float and double callers always did), the exponentials summed in double.
    private static int SampleSoftmax<T>(ReadOnlySpan<T> s, Random rng) where T : IFloatingPointIeee754<T>
    {
        var max = T.NegativeInfinity;
        foreach (var x in s) max = T.Max(max, x);
        var total = 0.0;
        foreach (var x in s) total += Math.Exp(double.CreateTruncating(x - max));
        var u = rng.NextDouble() * total;
        for (var i = 0; i < s.Length; i++)
        {
            u -= Math.Exp(double.CreateTruncating(s[i] - max));
            if (u <= 0) return i;
        }
        return s.Length - 1;
    }
}
