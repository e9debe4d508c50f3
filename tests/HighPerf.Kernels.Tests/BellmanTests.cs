namespace HighPerf.Kernels.Tests;

public class BellmanTests
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(0, 40).Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RaggedBackupsAgreeAcrossBackends(int seed)
    {
        // Tolerance 1e-5 abs+rel: the same float operations in the same order (MC over <= 60 steps).
        var b = RaggedBatch.Random(1000 + seed);
        float[] gammas = [0f, 0.9f, 1f];
        var gamma = gammas[seed % 3];
        var v2 = b.Values.Select(x => x + 0.5f - (x * 7 % 1)).ToArray();
        var eNext = new int[b.Tokens];
        var eTd = new float[b.Tokens];
        var eMc = new float[b.Tokens];
        ReferenceKernels.NextActionIndex(b.Offsets, b.Mask, eNext);
        Bellman.TdTargetsRagged(b.Offsets, b.Rewards, b.Mask, b.Values, v2, b.Dones, gamma, eTd, b.Bootstrap, KernelBackend.Managed);
        Bellman.McReturns(b.Offsets, b.Rewards, b.Mask, gamma, eMc, KernelBackend.Managed);
        var next = new int[b.Tokens];
        var td = new float[b.Tokens];
        Bellman.NextActionIndex(b.Offsets, b.Mask, next, KernelBackend.NativeCpu);
        Assert.Equal(eNext, next);
        Bellman.TdTargetsRagged(b.Offsets, b.Rewards, b.Mask, b.Values, v2, b.Dones, gamma, td, b.Bootstrap, KernelBackend.NativeCpu);
        Assertions.Close(eTd, td, 1e-6f, 1e-6f, "td ragged");

        // The indexed form over the next-action index reproduces the ragged form except at sequence ends (no bootstrap).
        var doneTok = new byte[b.Tokens];
        var eIdx = new float[b.Tokens];
        Bellman.TdTargets(b.Rewards, doneTok, eNext, b.Values, v2, gamma, eIdx, KernelBackend.Managed);
        for (var t = 0; t < b.Tokens; t++)
        {
            if (b.Mask[t] != 0 && eNext[t] >= 0) Assert.Equal(eTd[t], eIdx[t]);
        }
        foreach (var backend in Assertions.NativeBackends())
        {
            var mc = new float[b.Tokens];
            Bellman.McReturns(b.Offsets, b.Rewards, b.Mask, gamma, mc, backend);
            Assertions.Close(eMc, mc, 1e-5f, 1e-5f, $"mc {backend}");
            var idx = new float[b.Tokens];
            Bellman.TdTargets(b.Rewards, doneTok, eNext, b.Values, v2, gamma, idx, backend);
            Assertions.Close(eIdx, idx, 1e-6f, 1e-6f, $"td {backend}");
        }
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void TdByHand(KernelBackend backend)
    {
        var y = new float[3];
        Bellman.TdTargets([1f, 2f, 3f], [0, 1, 0], [1, 2, -1], [10f, 20f, 30f], [11f, 15f, 40f], 0.5f, y, backend);
        Assert.Equal([1f + 0.5f * 15f, 2f, 3f], y);
        // [a0, o, a1] + [a2], γ 0.9: y(a0) = 1 + 0.9·V(a1); y(a1) = 2 + 0.9·boot0 (not done); y(a2) = 3 (done).
        var yr = new float[4];
        Bellman.TdTargetsRagged([0, 3, 4], [1f, 0f, 2f, 3f], [1, 0, 1, 1], [5f, 6f, 7f, 8f], default, [0, 1], 0.9f, yr, [10f, 20f], backend);
        Assert.Equal([1f + 0.9f * 7f, 0f, 2f + 0.9f * 10f, 3f], yr);
        var g = new float[4];
        Bellman.McReturns([0, 4], [1f, 99f, 0f, 2f], [1, 0, 1, 1], 0.5f, g, backend);
        Assert.Equal([1.5f, 0f, 1f, 2f], g);
        Bellman.McReturns([0, 4], [1f, 99f, 0f, 2f], [1, 0, 1, 1], 1f, g, backend);
        Assert.Equal([3f, 0f, 2f, 2f], g);
        Bellman.McReturns([0, 4], [1f, 99f, 0f, 2f], [1, 0, 1, 1], 0f, g, backend);
        Assert.Equal([1f, 0f, 0f, 2f], g);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void ExpectileByHand(KernelBackend backend)
    {
        var w = new float[3];
        var g = new float[3];
        var loss = Bellman.Expectile([0f, 0f, 5f], [2f, -2f, 0f], 0.9f, [1, 1, 0], w, g, backend);
        // (0.9·4/2 + 0.1·4/2)/2 = 1
        Assert.Equal(1f, loss, 1e-6f);
        Assert.Equal(0.9f, w[0]);
        Assert.Equal(0.1f, w[1], 1e-7f);
        Assert.Equal(0f, w[2]);
        Assert.Equal(-0.9f, g[0], 1e-6f);
        Assert.Equal(0.1f, g[1], 1e-6f);
        Assert.Equal(0f, Bellman.Expectile([], [], 0.5f, backend: backend));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bellman.Expectile([0f], [1f], 1.5f, backend: backend));
    }

    [Fact]
    public void ExpectileAgreesOnRandom()
    {
        var rng = new Random(9);
        var n = 3001;
        var v = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var m = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(2)).ToArray();
        var (w1, g1, w2, g2) = (new float[n], new float[n], new float[n], new float[n]);
        var l1 = Bellman.Expectile(v, y, 0.7f, m, w1, g1, KernelBackend.Managed);
        var l2 = Bellman.Expectile(v, y, 0.7f, m, w2, g2, KernelBackend.NativeCpu);
        Assert.Equal(l1, l2, 1e-6f);
        Assert.Equal(w1, w2);
        Assertions.Close(g1, g2, 1e-9f, 1e-6f, "grad");
    }

    [Fact]
    public void PolyakAllBackends()
    {
        var rng = new Random(3);
        var n = 10_007;
        var online = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var start = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        var e = start.ToArray();
        Bellman.Polyak(e, online, 0.005f, KernelBackend.Managed);
        Assert.Equal((1f - 0.005f) * start[0] + 0.005f * online[0], e[0]);
        var tp = start.ToArray();
        TensorPrimitivesKernels.Polyak(tp, online, 0.005f);
        Assertions.Close(e, tp, 1e-7f, 1e-6f, "polyak TP");
        foreach (var backend in Assertions.NativeBackends())
        {
            var t = start.ToArray();
            Bellman.Polyak(t, online, 0.005f, backend);
            Assertions.Close(e, t, 1e-7f, 1e-6f, $"polyak {backend}");
        }
        var copy = start.ToArray();
        Bellman.Polyak(copy, online, 1f, KernelBackend.NativeCpu);  // α = 1: hard update
        Assert.Equal(online, copy);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Bellman.Polyak(copy, online, 1.5f)).ParamName);
        Assert.Equal("online", Assert.Throws<ArgumentException>(() => Bellman.Polyak(copy, online.AsSpan(1), 0.5f)).ParamName);
    }

    [Fact]
    public void BadIndicesAndGammaRejected()
    {
        foreach (var backend in new[] { KernelBackend.Managed, KernelBackend.NativeCpu })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
                Bellman.TdTargets([1f, 2f], [0, 0], [1, 2], [1f, 2f], default, 0.9f, new float[2], backend));
            Assert.Equal("nextIndex", ex.ParamName);
            Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() =>
                Bellman.McReturns([0, 1], [1f], [1], float.NaN, new float[1], backend)).ParamName);
            Assert.Equal("offsets", Assert.Throws<ArgumentException>(() =>
                Bellman.McReturns([0, 2, 1], [1f], [1], 0.9f, new float[1], backend)).ParamName);
            Assert.Equal("dones", Assert.Throws<ArgumentException>(() =>
                Bellman.TdTargetsRagged([0, 1], [1f], [1], [1f], default, [], 0.9f, new float[1], backend: backend)).ParamName);
        }
    }
}
