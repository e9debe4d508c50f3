[assembly: CollectionBehavior(DisableTestParallelization = true)]  // one test flips the global default backend

namespace HighPerf.Kernels.Tests;

public class AdvantageTests
{
    private static (float[] A, float[] R) RunGae(RaggedBatch b, GaeOptions o, KernelBackend backend, bool bootstrap)
    {
        var a = new float[b.Tokens];
        var r = new float[b.Tokens];
        Advantages.Gae(b.Offsets, b.Rewards, b.Values, b.Mask, b.Dones, a, r, o, bootstrap ? b.Bootstrap : default,
            o.Kl == KlEstimator.None ? default : b.Logp, o.Kl == KlEstimator.None ? default : b.RefLogp, backend);
        return (a, r);
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(0, 60).Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GaeNativeMatchesManagedOnRandomRaggedBatches(int seed)
    {
        // Tolerance: float recurrences of <= 60 steps with |values| <= 3: 1e-5 absolute + 1e-5 relative;
        // whitening divides by a std that can be small, so 1e-4 there.
        var b = RaggedBatch.Random(seed);
        float[] gammas = [0f, 0.5f, 0.95f, 1f];
        var o = new GaeOptions(gammas[seed % 4], gammas[(seed / 4) % 4], (KlEstimator)(seed % 4), 0.1f, Whiten: seed % 3 == 0);
        var bootstrap = seed % 2 == 0;
        var (ea, er) = RunGae(b, o, KernelBackend.Managed, bootstrap);
        foreach (var backend in Assertions.NativeBackends())
        {
            var (a, r) = RunGae(b, o, backend, bootstrap);
            var tol = o.Whiten ? 1e-4f : 1e-5f;
            Assertions.Close(ea, a, tol, tol, $"A ({backend}, seed {seed})");
            Assertions.Close(er, r, 1e-5f, 1e-5f, $"R ({backend}, seed {seed})");
        }
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void GaeHandComputedMultiTurn(KernelBackend backend)
    {
        // [act0, obs, act1] | [act2]; γ = λ = 0.5. Sequence 0 (done): act1: δ = 2 − 3 = −1 → A = −1;
        // obs skipped (carry V = 3, A = −1); act0: δ = 1 + 0.5·3 − 1 = 1.5 → A = 1.5 + 0.25·(−1) = 1.25.
        // Sequence 1 (not done, bootstrap 4): act2: δ = 0 + 0.5·4 − 1 = 1 → A = 1.
        int[] off = [0, 3, 4];
        float[] r = [1, 100, 2, 0], v = [1, 9, 3, 1];
        byte[] m = [1, 0, 1, 1];
        byte[] d = [1, 0];
        var a = new float[4];
        var ret = new float[4];
        Advantages.Gae(off, r, v, m, d, a, ret, new GaeOptions(0.5f, 0.5f), bootstrapValues: [7f, 4f], backend: backend);
        Assert.Equal([1.25f, 0f, -1f, 1f], a);
        Assert.Equal([2.25f, 0f, 2f, 2f], ret);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void GaeGammaLambdaLimits(KernelBackend backend)
    {
        int[] off = [0, 3];
        float[] r = [1, 2, 3], v = [0.5f, 0.25f, 1f];
        byte[] m = [1, 1, 1], d = [1];
        var a = new float[3];
        var ret = new float[3];
        // γ = 0: A_t = r_t − V_t.
        Advantages.Gae(off, r, v, m, d, a, ret, new GaeOptions(0f, 1f), backend: backend);
        Assert.Equal([0.5f, 1.75f, 2f], a);
        // γ = 1, λ = 1: A_t = Σ_{k≥t} r_k − V_t (Monte-Carlo advantage).
        Advantages.Gae(off, r, v, m, d, a, ret, new GaeOptions(1f, 1f), backend: backend);
        Assert.Equal([5.5f, 4.75f, 2f], a);
        // γ = 1, λ = 0: one-step TD error δ_t = r_t + V_{t+1} − V_t.
        Advantages.Gae(off, r, v, m, d, a, ret, new GaeOptions(1f, 0f), backend: backend);
        Assert.Equal([0.75f, 2.75f, 2f], a);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void GaeEdgeCases(KernelBackend backend)
    {
        // Empty batch, and a batch of empty sequences.
        Advantages.Gae([0], [], [], [], [], [], [], new GaeOptions(1, 1, Whiten: true), backend: backend);
        Advantages.Gae([0, 0, 0], [], [], [], [0, 1], [], [], new GaeOptions(1, 1), backend: backend);
        // All-masked sequence: all outputs 0; whitening with N = 0 leaves zeros.
        var a = new float[3];
        var r = new float[3];
        Advantages.Gae([0, 3], [1, 2, 3], [1, 1, 1], [0, 0, 0], [1], a, r, new GaeOptions(0.9f, 0.9f, Whiten: true), backend: backend);
        Assert.Equal(new float[3], a);
        Assert.Equal(new float[3], r);
        // Length-1 sequence with whitening: N = 1 → 0.
        var a1 = new float[1];
        Advantages.Gae([0, 1], [5], [1], [1], [1], a1, new float[1], new GaeOptions(0.9f, 0.9f, Whiten: true), backend: backend);
        Assert.Equal(0f, a1[0]);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void GaeNaNPropagatesWithinItsSequenceOnly(KernelBackend backend)
    {
        int[] off = [0, 3, 5];
        float[] r = [0, float.NaN, 0, 1, 1], v = [0, 0, 0, 0, 0];
        byte[] m = [1, 1, 1, 1, 1], d = [1, 1];
        var a = new float[5];
        var ret = new float[5];
        Advantages.Gae(off, r, v, m, d, a, ret, new GaeOptions(0.9f, 0.9f), backend: backend);
        Assert.True(float.IsNaN(a[0]) && float.IsNaN(a[1]));
        Assert.Equal(0f, a[2]);
        Assert.True(float.IsFinite(a[3]) && float.IsFinite(a[4]));
    }

    [Fact]
    public void GaeRejectsBadInputsAndProcessLivesOn()
    {
        float[] x = [0, 0, 0];
        byte[] m = [1, 1, 1];
        var o = new GaeOptions(0.9f, 0.9f);
        foreach (var backend in new[] { KernelBackend.Managed, KernelBackend.NativeCpu })
        {
            var ex = Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 2, 1, 3], x, x, m, [0, 0, 0], new float[3], new float[3], o, backend: backend));
            Assert.Equal("offsets", ex.ParamName);
            Assert.Contains("non-decreasing", ex.Message);
            Assert.Equal("offsets", Assert.Throws<ArgumentException>(() => Advantages.Gae([1, 3], x, x, m, [0], new float[3], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("offsets", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 2], x, x, m, [0], new float[3], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("offsets", Assert.Throws<ArgumentException>(() => Advantages.Gae([], x, x, m, [], new float[3], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("values", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 3], x, [0, 0], m, [0], new float[3], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("dones", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 3], x, x, m, [], new float[3], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("advantages", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[2], new float[3], o, backend: backend)).ParamName);
            Assert.Equal("bootstrapValues", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], o, [1f, 2f], backend: backend)).ParamName);
            Assert.Equal("options.Gamma", Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], new GaeOptions(1.01f, 0.9f), backend: backend)).ParamName);
            Assert.Equal("options.Lambda", Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], new GaeOptions(0.9f, float.NaN), backend: backend)).ParamName);
            Assert.Equal("options.Gamma", Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], new GaeOptions(-0.1f, 0.9f), backend: backend)).ParamName);
            Assert.Equal("logp", Assert.Throws<ArgumentException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], new GaeOptions(0.9f, 0.9f, KlEstimator.K3, 0.1f), backend: backend)).ParamName);
            Assert.Equal("options.KlCoef", Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.Gae([0, 3], x, x, m, [0], new float[3], new float[3], new GaeOptions(0.9f, 0.9f, KlEstimator.K1, -1f), x, x, x, backend)).ParamName);
        }
        // Still alive and correct after all that.
        var a = new float[1];
        Advantages.Gae([0, 1], [1f], [0f], [1], [1], a, new float[1], o, backend: KernelBackend.NativeCpu);
        Assert.Equal(1f, a[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void KlPenaltyAndWhitenAgree(int seed)
    {
        var b = RaggedBatch.Random(100 + seed, 16, 200);
        foreach (var est in new[] { KlEstimator.K1, KlEstimator.K2, KlEstimator.K3 })
        {
            var e = new float[b.Tokens];
            var n = new float[b.Tokens];
            Advantages.KlPenalty(b.Logp, b.RefLogp, est, e, KernelBackend.Managed);
            Advantages.KlPenalty(b.Logp, b.RefLogp, est, n, KernelBackend.NativeCpu);
            Assertions.Close(e, n, 1e-6f, 1e-6f, $"KL {est}");
        }
        var w1 = b.Values.ToArray();
        var w2 = b.Values.ToArray();
        var w3 = b.Values.ToArray();
        Advantages.MaskedWhiten(w1, b.Mask, 1e-8f, KernelBackend.Managed);
        Advantages.MaskedWhiten(w2, b.Mask, 1e-8f, KernelBackend.NativeCpu);
        TensorPrimitivesKernels.MaskedWhiten(w3, b.Mask, 1e-8f);
        Assertions.Close(w1, w2, 1e-5f, 1e-5f, "whiten");
        Assertions.Close(w1, w3, 1e-5f, 1e-5f, "whiten TP");
        // Unmasked TensorPrimitives path vs reference.
        var u1 = b.Values.ToArray();
        var u2 = b.Values.ToArray();
        Advantages.MaskedWhiten(u1, default, 1e-8f, KernelBackend.NativeCpu);
        TensorPrimitivesKernels.MaskedWhiten(u2, default, 1e-8f);
        Assertions.Close(u1, u2, 1e-5f, 1e-5f, "whiten TP unmasked");
    }

    [Fact]
    public void KlEstimatorsByHand()
    {
        var o = new float[4];
        Advantages.KlPenalty([0f, 0f, 100f, float.NaN], [-0.5f, -0.5f, 0f, 0f], KlEstimator.K2, o, KernelBackend.NativeCpu);
        Assert.Equal(0.125f, o[0]);
        Assert.Equal(200f, o[2]);  // log-ratio clamped to 20 → 20²/2
        Assert.True(float.IsNaN(o[3]));
        Advantages.KlPenalty([-100f], [0f], KlEstimator.K3, o.AsSpan(0, 1), KernelBackend.NativeCpu);
        Assert.Equal(10f, o[0]);  // k3 clamped to 10
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void UtteranceAdvantageBroadcast(KernelBackend backend)
    {
        var adv = new float[2];
        Advantages.UtteranceAdvantage([1f, 5f], [2f, 4f], [0.5f, 1f], [1f, 3f], adv, backend);
        Assert.Equal([0.5f, 3f], adv);
        var single = new float[2];
        Advantages.UtteranceAdvantage([1f, 5f], default, [0.5f, 1f], default, single, backend);
        Assert.Equal([0.5f, 4f], single);
        var tok = new float[5];
        Advantages.BroadcastUtterance(adv, [-1, 0, 0, -1, 1], tok, backend);
        Assert.Equal([0f, 0.5f, 0.5f, 0f, 3f], tok);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.BroadcastUtterance(adv, [0, 2], new float[2], backend));
        Assert.Equal("uttIndex", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.BroadcastUtterance(adv, [-2], new float[1], backend));
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void PpoClipByHand(KernelBackend backend)
    {
        var w = new float[5];
        var ratio = new float[5];
        Advantages.PpoClipWeights([1f, -1f, -1f, 2f, 3f], [0.5f, 0.5f, -0.5f, 0.1f, 0f], [0f, 0f, 0f, 0f, 0f], 0.2f, w,
            mask: [1, 1, 1, 1, 0], ratio: ratio, backend: backend);
        Assert.Equal(0f, w[0]);                         // A > 0, ratio 1.65 > 1.2: clipped
        Assert.Equal(-MathF.Exp(0.5f), w[1], 1e-6f);    // A < 0, ratio above: not clipped
        Assert.Equal(0f, w[2]);                         // A < 0, ratio 0.61 < 0.8: clipped
        Assert.Equal(2f * MathF.Exp(0.1f), w[3], 1e-6f);
        Assert.Equal(0f, w[4]);                         // masked
        Assert.Equal(1f, ratio[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.PpoClipWeights([1f], [0f], [0f], 1f, new float[1], backend: backend));
        Assert.Throws<ArgumentOutOfRangeException>(() => Advantages.PpoClipWeights([1f], [0f], [0f], float.NaN, new float[1], backend: backend));
    }

    [Fact]
    public void PpoClipAgreesOnRandom()
    {
        var rng = new Random(5);
        var n = 5000;
        var adv = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 4 - 2).ToArray();
        var nl = Enumerable.Range(0, n).Select(_ => -(float)rng.NextDouble() * 3).ToArray();
        var ol = Enumerable.Range(0, n).Select(_ => -(float)rng.NextDouble() * 3).ToArray();
        var e = new float[n];
        Advantages.PpoClipWeights(adv, nl, ol, 0.2f, e, backend: KernelBackend.Managed);
        foreach (var backend in Assertions.NativeBackends())
        {
            var a = new float[n];
            Advantages.PpoClipWeights(adv, nl, ol, 0.2f, a, backend: backend);
            Assertions.Close(e, a, 1e-6f, 1e-5f, $"ppo {backend}");
        }
    }
}
