using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Tests;

/// <summary>The ggml critic against a managed reference of the same maths, on hand-sized inputs.</summary>
public sealed class CriticTests
{
    private const int E = 4, H = 6, V = 5, N = 7;

    private static TokenCritic NewCritic(int heads = 2, bool withV = true, bool withTarget = true)
    {
        var critic = TokenCritic.Create(new CriticShape(E, H, V, heads, withV, withTarget, Seed: 11, Threads: 1));
        // Give every parameter (including the zero-initialised output layers) non-trivial values.
        var rng = new Random(5);
        foreach (var p in critic.Parameters)
        {
            var data = critic.TensorData(p.Index, CriticTensorKind.Online);
            for (var i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 1.2 - 0.6);
            var target = critic.TensorData(p.Index, CriticTensorKind.Target);
            for (var i = 0; i < target.Length; i++) target[i] = (float)(rng.NextDouble() * 1.2 - 0.6);
        }
        return critic;
    }

    private static (float[] X, int[] Tokens, float[] Y, float[] Qw, float[] Vt, float[] Vw) Batch()
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, N * E).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var tokens = Enumerable.Range(0, N).Select(i => (i * 3) % V).ToArray();
        var y = Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var qw = Enumerable.Repeat(1f / N, N).ToArray();
        var vt = Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var vw = Enumerable.Range(0, N).Select(i => (i % 2 == 0 ? 0.9f : 0.1f) / N).ToArray();
        return (x, tokens, y, qw, vt, vw);
    }

    /// <summary>Managed reference: one head's output rows [n, out] = W2·relu(W1·x + b1) + b2 (ggml layouts: W1 is
    /// n_hidden rows of n_embd, W2 is n_out rows of n_hidden).</summary>
    private static double[,] Mlp(TokenCritic c, int firstParam, float[] x, int outSize, CriticTensorKind kind = CriticTensorKind.Online)
    {
        var w1 = c.TensorData(firstParam, kind).ToArray();
        var b1 = c.TensorData(firstParam + 1, kind).ToArray();
        var w2 = c.TensorData(firstParam + 2, kind).ToArray();
        var b2 = c.TensorData(firstParam + 3, kind).ToArray();
        var n = x.Length / E;
        var o = new double[n, outSize];
        for (var r = 0; r < n; r++)
        {
            var h = new double[H];
            for (var j = 0; j < H; j++)
            {
                double s = b1[j];
                for (var k = 0; k < E; k++) s += w1[j * E + k] * x[r * E + k];
                h[j] = Math.Max(0, s);
            }
            for (var v = 0; v < outSize; v++)
            {
                double s = b2[v];
                for (var j = 0; j < H; j++) s += w2[v * H + j] * h[j];
                o[r, v] = s;
            }
        }
        return o;
    }

    private static (double Q1, double Q2, double V, double Ce1, double Ce2) ReferenceLoss(TokenCritic c, (float[] X, int[] Tokens, float[] Y, float[] Qw, float[] Vt, float[] Vw) b)
    {
        double[] q = new double[2], ce = new double[2];
        for (var head = 0; head < c.Shape.QHeads; head++)
        {
            var logits = Mlp(c, head * 4, b.X, V);
            for (var r = 0; r < N; r++)
            {
                var qa = logits[r, b.Tokens[r]];
                q[head] += b.Qw[r] * 0.5 * (qa - b.Y[r]) * (qa - b.Y[r]);
                var max = Enumerable.Range(0, V).Max(v => logits[r, v]);
                var lse = max + Math.Log(Enumerable.Range(0, V).Sum(v => Math.Exp(logits[r, v] - max)));
                ce[head] += (lse - qa) / N;
            }
        }
        double vl = 0;
        if (c.Shape.WithValue)
        {
            var vo = Mlp(c, c.Shape.QHeads * 4, b.X, 1);
            for (var r = 0; r < N; r++) vl += b.Vw[r] * 0.5 * (vo[r, 0] - b.Vt[r]) * (vo[r, 0] - b.Vt[r]);
        }
        return (q[0], q[1], vl, ce[0], ce[1]);
    }

    [Fact]
    public void IlqlLossPartsEqualTheManagedReference()
    {
        using var c = NewCritic();
        var b = Batch();
        var reference = ReferenceLoss(c, b);
        var loss = c.TrainStep(new CriticBatch { Features = b.X, Tokens = b.Tokens, QTargets = b.Y, QWeights = b.Qw, VTargets = b.Vt, VWeights = b.Vw, CqlWeight = 0.3f }, new AdamWOptions(1e-3f));
        Assert.Equal(reference.Q1, loss.Q1, 4);
        Assert.Equal(reference.Q2, loss.Q2, 4);
        Assert.Equal(reference.V, loss.V, 4);
        Assert.Equal(reference.Ce1, loss.Ce1, 4);
        Assert.Equal(reference.Ce2, loss.Ce2, 4);
        Assert.Equal(reference.Q1 + reference.Q2 + reference.V + 0.3 * (reference.Ce1 + reference.Ce2), loss.Total, 4);
    }

    [Fact]
    public void McLossPartsEqualTheManagedReference()
    {
        using var c = NewCritic(heads: 1, withV: false, withTarget: false);
        var b = Batch();
        var reference = ReferenceLoss(c, b);
        var loss = c.TrainStep(new CriticBatch { Features = b.X, Tokens = b.Tokens, QTargets = b.Y, QWeights = b.Qw, CqlWeight = 0.5f }, new AdamWOptions(1e-3f));
        Assert.Equal(reference.Q1, loss.Q1, 4);
        Assert.Equal(reference.Ce1, loss.Ce1, 4);
        Assert.Equal(reference.Q1 + 0.5 * reference.Ce1, loss.Total, 4);
    }

    [Fact]
    public void FirstAdamStepFollowsTheSignOfTheReferenceGradient()
    {
        // After AdamW's first step (bias-corrected, eps≈0) every parameter moves by −lr·sign(∂L/∂θ):
        // compare with central finite differences of the managed reference loss.
        using var c = NewCritic();
        var b = Batch();
        const float cql = 0.3f, lr = 1e-3f;
        double Total() { var r = ReferenceLoss(c, b); return r.Q1 + r.Q2 + r.V + cql * (r.Ce1 + r.Ce2); }
        var expected = new List<(int P, int I, double Grad, float Before)>();
        foreach (var p in c.Parameters)
        {
            var data = c.TensorData(p.Index, CriticTensorKind.Online);
            for (var i = 0; i < data.Length; i++)
            {
                var keep = data[i];
                data[i] = keep + 1e-3f; var up = Total();
                data[i] = keep - 1e-3f; var down = Total();
                data[i] = keep;
                expected.Add((p.Index, i, (up - down) / 2e-3, keep));
            }
        }
        c.TrainStep(new CriticBatch { Features = b.X, Tokens = b.Tokens, QTargets = b.Y, QWeights = b.Qw, VTargets = b.Vt, VWeights = b.Vw, CqlWeight = cql }, new AdamWOptions(lr, 0.9f, 0.95f, 1e-12f, 0f));
        var checkedCount = 0;
        foreach (var (p, i, grad, before) in expected)
        {
            if (Math.Abs(grad) < 1e-3) continue; // too flat for a finite-difference sign (e.g. dead ReLU units)
            var delta = c.TensorData(p, CriticTensorKind.Online)[i] - before;
            Assert.Equal(-Math.Sign(grad) * lr, delta, 5);
            checkedCount++;
        }
        Assert.True(checkedCount > 100, $"only {checkedCount} parameters had a usable gradient");
    }

    [Fact]
    public void PolyakThroughTheKernelMovesTargetsByAlpha()
    {
        using var c = NewCritic();
        var online = c.TensorData(0, CriticTensorKind.Online).ToArray();
        var target = c.TensorData(0, CriticTensorKind.Target).ToArray();
        KernelOps.Polyak(c.TensorData(0, CriticTensorKind.Target), c.TensorData(0, CriticTensorKind.Online), 0.005f);
        var after = c.TensorData(0, CriticTensorKind.Target);
        for (var i = 0; i < target.Length; i++) Assert.Equal(0.995f * target[i] + 0.005f * online[i], after[i], 5);
        Assert.True(c.TensorData(c.Shape.QHeads * 4, CriticTensorKind.Target).IsEmpty, "the V head has no target twin");
    }

    [Fact]
    public void CheckpointRoundTripsAndResumesToIdenticalWeights()
    {
        var dir = Directory.CreateTempSubdirectory("hp-critic-");
        try
        {
            var b = Batch();
            var batch = new CriticBatch { Features = b.X, Tokens = b.Tokens, QTargets = b.Y, QWeights = b.Qw, VTargets = b.Vt, VWeights = b.Vw, CqlWeight = 0.1f };
            var adam = new AdamWOptions(1e-2f);
            using var straight = NewCritic();
            for (var i = 0; i < 5; i++) straight.TrainStep(batch, adam);
            var path = Path.Combine(dir.FullName, "critic.gguf");
            straight.Save(path);
            Assert.False(File.Exists(path + ".tmp"));
            for (var i = 0; i < 5; i++) straight.TrainStep(batch, adam);

            using var resumed = TokenCritic.Load(path, threads: 1);
            Assert.Equal(5, resumed.Steps);
            Assert.Equal(straight.Shape with { Threads = 1 }, resumed.Shape);
            for (var i = 0; i < 5; i++) resumed.TrainStep(batch, adam);
            Assert.Equal(10, resumed.Steps);
            foreach (var p in straight.Parameters)
                foreach (var kind in new[] { CriticTensorKind.Online, CriticTensorKind.Target, CriticTensorKind.AdamM, CriticTensorKind.AdamV })
                    Assert.True(straight.TensorData(p.Index, kind).SequenceEqual(resumed.TensorData(p.Index, kind)), $"{p.Name} {kind} differs after resume");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void TrainingFitsTargets()
    {
        using var c = TokenCritic.Create(new CriticShape(E, 32, V, 2, true, true, Seed: 2, Threads: 1));
        var b = Batch();
        var batch = new CriticBatch { Features = b.X, Tokens = b.Tokens, QTargets = b.Y, QWeights = b.Qw, VTargets = b.Vt, VWeights = b.Vw, CqlWeight = 0f };
        var first = c.TrainStep(batch, new AdamWOptions(1e-2f));
        CriticLoss last = first;
        for (var i = 0; i < 300; i++) last = c.TrainStep(batch, new AdamWOptions(1e-2f));
        Assert.True(last.Q1 < 0.02 * first.Q1, $"Q1 loss {first.Q1} -> {last.Q1}");
        Assert.True(last.V < 0.05 * first.V, $"V loss {first.V} -> {last.V}");
        var q = new float[N * 2];
        c.Evaluate(b.X, b.Tokens, q, [], []);
        for (var r = 0; r < N; r++) Assert.Equal(b.Y[r], q[2 * r], tolerance: 0.05); // absolute: decimal-place rounding fails at boundaries (-1.745 vs -1.751)
    }

    [Fact]
    public void InvalidArgumentsAreRejectedBeforeNativeCode()
    {
        using var c = NewCritic();
        var b = Batch();
        var bad = b.Tokens.ToArray();
        bad[0] = V;
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Evaluate(b.X, bad, new float[N * 2], [], []));
        Assert.Throws<ArgumentException>(() => c.Evaluate(b.X.AsSpan(1).ToArray(), b.Tokens, new float[N * 2], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenCritic.Create(new CriticShape(E, H, V, 3, false, false, 1)));
    }
}
