namespace HighPerf.Kernels.Tests;

public class VocabularyTests
{
    private static (float[] Lp, float[] Ent, float[] Lse) Run(float[] x, int rows, int vocab, int[] y, float temp, KernelBackend backend, int stride = 0)
    {
        var (lp, ent, lse) = (new float[rows], new float[rows], new float[rows]);
        Vocabulary.Stats(x, rows, vocab, y, lp, ent, lse, temp, stride, backend);
        return (lp, ent, lse);
    }

    public static IEnumerable<object[]> Shapes() =>
        new[] { 1, 5, 16, 17, 1000, 4095, 4097, 32000, 50_000 }.Select((v, i) => new object[] { v, i });

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NativeAndTensorPrimitivesMatchReference(int vocab, int seed)
    {
        // Tolerance: float sums over up to 5e4 terms and a polynomial exp (rel. err 2e-7):
        // lse/logprob 1e-4 abs + 1e-5 rel; entropy 2e-4 abs.
        var rng = new Random(seed);
        var rows = 6;
        var stride = vocab + (seed % 3) * 7;  // padded rows exercise row_stride
        var x = new float[(rows - 1) * stride + vocab];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (1 + seed % 4) * 4;
        var y = Enumerable.Range(0, rows).Select(_ => rng.Next(vocab)).ToArray();
        var temp = seed % 2 == 0 ? 1f : 0.7f;
        var e = Run(x, rows, vocab, y, temp, KernelBackend.Managed, stride);
        foreach (var backend in Assertions.NativeBackends())
        {
            var a = Run(x, rows, vocab, y, temp, backend, stride);
            Assertions.Close(e.Lse, a.Lse, 1e-4f, 1e-5f, $"lse {backend}");
            Assertions.Close(e.Lp, a.Lp, 1e-4f, 1e-5f, $"logprob {backend}");
            Assertions.Close(e.Ent, a.Ent, 2e-4f, 1e-5f, $"entropy {backend}");
        }
        var (lp, ent, lse) = (new float[rows], new float[rows], new float[rows]);
        TensorPrimitivesKernels.VocabStats(x, rows, vocab, stride, y, temp, lp, ent, lse, new float[2 * vocab]);
        Assertions.Close(e.Lse, lse, 1e-4f, 1e-5f, "lse TP");
        Assertions.Close(e.Lp, lp, 1e-4f, 1e-5f, "logprob TP");
        Assertions.Close(e.Ent, ent, 2e-4f, 1e-5f, "entropy TP");
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void HandComputed(KernelBackend backend)
    {
        // Uniform row: lse = log 3, entropy = log 3, logprob = −log 3.
        var (lp, ent, lse) = Run([0f, 0f, 0f], 1, 3, [1], 1f, backend);
        Assert.Equal(MathF.Log(3), lse[0], 1e-6f);
        Assert.Equal(MathF.Log(3), ent[0], 1e-6f);
        Assert.Equal(-MathF.Log(3), lp[0], 1e-6f);
        // {0, 2, 2} at T = 2 → {0, 1, 1}: Z = 1 + 2e.
        (lp, ent, lse) = Run([0f, 2f, 2f], 1, 3, [0], 2f, backend);
        var z = 1 + 2 * Math.E;
        Assert.Equal(Math.Log(z), lse[0], 1e-6);
        Assert.Equal(-Math.Log(z), lp[0], 1e-6);
        Assert.Equal(Math.Log(z) - 2 * Math.E / z, ent[0], 1e-6);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void ExtremeLogits(KernelBackend backend)
    {
        const int v = 5000;
        var x = new float[4 * v];
        Array.Fill(x, float.NegativeInfinity, 0, 2 * v);               // row 0: all −inf; row 1: −inf but one 1e30
        x[v + 4321] = 1e30f;
        for (var i = 0; i < v; i++) x[2 * v + i] = i % 2 == 1 ? 1e30f : -1e30f;  // row 2: 2500 maxima at 1e30
        for (var i = 0; i < v; i++) x[3 * v + i] = 1f;
        x[3 * v + 17] = float.NaN;                                       // row 3: one NaN
        var (lp, ent, lse) = Run(x, 4, v, [0, 4321, 1, 0], 1f, backend);
        Assert.True(float.IsNegativeInfinity(lse[0]));
        Assert.True(float.IsNaN(ent[0]) && float.IsNaN(lp[0]));
        Assert.Equal(1e30f, lse[1]);
        Assert.Equal(0f, ent[1], 1e-6f);
        Assert.Equal(0f, lp[1], 1e-6f);
        Assert.Equal(MathF.Log(2500), ent[2], 1e-4f);
        Assert.Equal(-MathF.Log(2500), lp[2], 1e-4f);
        Assert.True(float.IsNaN(lse[3]) && float.IsNaN(ent[3]) && float.IsNaN(lp[3]));
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void BadInputsRejected(KernelBackend backend)
    {
        float[] x = [0f, 1f, 2f, 3f];
        var o = new float[1];
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 4, [4], o, default, default, 1f, 0, backend)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 4, [-1], o, default, default, 1f, 0, backend)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => Vocabulary.Stats(x, 1, 4, default, o, default, default, 1f, 0, backend)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 4, [1], o, default, default, 0f, 0, backend)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 4, [1], o, default, default, float.NaN, 0, backend)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 4, [1], o, default, default, float.PositiveInfinity, 0, backend)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Vocabulary.Stats(x, 2, 4, [1, 1], new float[2], default, default, 1f, 0, backend)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, 1, 0, [], default, o, default, 1f, 0, backend));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Stats(x, -1, 4, [], default, o, default, 1f, 0, backend));
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.ValueGuidedLogits(x, x, default, 1, 4, 1f, -1f, new float[4], backend)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.ValueGuidedLogits(x, x, default, 1, 4, float.NaN, 1f, new float[4], backend)).ParamName);
        Assert.Equal("q", Assert.Throws<ArgumentException>(() => Vocabulary.ValueGuidedLogits(x, [1f], default, 1, 4, 1f, 1f, new float[4], backend)).ParamName);
        // Entropy only, no labels: fine.
        Vocabulary.Stats(x, 1, 4, default, default, o, default, 1f, 0, backend);
        Assert.True(o[0] > 0f);
    }

    [Fact]
    public void ValueGuidedAgreesAndMatchesHand()
    {
        var rng = new Random(1);
        int rows = 3, vocab = 1003;
        var x = Enumerable.Range(0, rows * vocab).Select(_ => (float)rng.NextDouble() * 10).ToArray();
        var q = Enumerable.Range(0, rows * vocab).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] v = [0.1f, 0.2f, 0.3f];
        var e = new float[rows * vocab];
        Vocabulary.ValueGuidedLogits(x, q, v, rows, vocab, 2f, 0.8f, e, KernelBackend.Managed);
        Assert.Equal((x[vocab + 5] + 2f * (q[vocab + 5] - 0.2f)) / 0.8f, e[vocab + 5], 1e-5f);
        var tp = new float[rows * vocab];
        TensorPrimitivesKernels.ValueGuidedLogits(x, q, v, rows, vocab, 2f, 0.8f, tp);
        Assertions.Close(e, tp, 1e-5f, 1e-6f, "value-guided TP");
        foreach (var backend in Assertions.NativeBackends())
        {
            var a = x.ToArray();
            Vocabulary.ValueGuidedLogits(a, q, v, rows, vocab, 2f, 0.8f, a, backend);  // in place
            Assertions.Close(e, a, 1e-6f, 1e-6f, $"value-guided {backend}");
        }
    }
}
