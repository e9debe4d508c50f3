using HighPerf.Rl.Policies;

namespace HighPerf.Rl.Tests;

public sealed class ValueGuidedTests
{
    private static double[] Softmax(float[] x)
    {
        var m = x.Max();
        var e = x.Select(v => Math.Exp(v - m)).ToArray();
        var s = e.Sum();
        return [.. e.Select(v => v / s)];
    }

    [Fact]
    public void ValueGuidanceMovesProbabilityTowardHigherQTokens()
    {
        float[] logits = [2f, 1f, 0.5f, 0f];
        float[] q = [-3f, 1f, 0f, -1f]; // token 1 has the highest Q, token 0 the lowest
        var before = Softmax(logits);
        var after = Softmax(ValueGuidedPolicy.AdjustedLogits(logits, q, v: 0.2f, beta: 2f, temperature: 1f));
        Assert.True(after[1] > before[1], "the highest-Q token gains probability");
        Assert.True(after[0] < before[0], "the lowest-Q token loses probability");
        Assert.Equal(1, Array.IndexOf(after, after.Max()));
        // V shifts every logit of the row equally: the distribution does not depend on it.
        var withOtherV = Softmax(ValueGuidedPolicy.AdjustedLogits(logits, q, v: -5f, beta: 2f, temperature: 1f));
        for (var i = 0; i < 4; i++) Assert.Equal(after[i], withOtherV[i], 6);
        // β = 0 is the behaviour policy.
        var beta0 = Softmax(ValueGuidedPolicy.AdjustedLogits(logits, q, 0f, 0f, 1f));
        for (var i = 0; i < 4; i++) Assert.Equal(before[i], beta0[i], 6);
    }

    [Fact]
    public void ReRankScoreCombinesLogProbAndAdvantage()
    {
        var s = new CandidateStats(LogProb: -1.5, SumQ: -3, SumV: -4);
        Assert.Equal(-1.5, ReRankScore.BehaviorCloning.Score(s));
        Assert.Equal(16.0, new ReRankScore(0, 16, true).Score(s));
        Assert.Equal(-1.5 - 48, new ReRankScore(1, 16, false).Score(s));
        // Per token: the critic term is averaged over the candidate's tokens, log π_β stays the whole action's.
        var three = s with { Tokens = 3 };
        Assert.Equal(16.0 / 3, new ReRankScore(0, 16, true, PerToken: true).Score(three), 12);
        Assert.Equal(-1.5 - 16, new ReRankScore(1, 16, false, PerToken: true).Score(three), 12);
        Assert.Equal(-1.5 - 48, new ReRankScore(1, 16, false).Score(three)); // sums ignore the count
        var rng = new Random(1);
        var counts = new int[3];
        for (var i = 0; i < 3000; i++) counts[Sampling.SampleSoftmax([0.0, Math.Log(2), double.NegativeInfinity], rng)]++;
        Assert.Equal(0, counts[2]);
        Assert.InRange(counts[1] / (double)counts[0], 1.7, 2.3);
    }
}
