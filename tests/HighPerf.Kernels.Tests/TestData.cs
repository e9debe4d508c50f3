namespace HighPerf.Kernels.Tests;

/// <summary>Seeded random ragged batches with the awkward cases built in: empty and length-1 sequences, all-masked
/// sequences, observation runs between action runs.</summary>
internal sealed class RaggedBatch
{
    public required int[] Offsets { get; init; }
    public required float[] Rewards { get; init; }
    public required float[] Values { get; init; }
    public required byte[] Mask { get; init; }
    public required byte[] Dones { get; init; }
    public required float[] Bootstrap { get; init; }
    public required float[] Logp { get; init; }
    public required float[] RefLogp { get; init; }
    public int Tokens => Rewards.Length;
    public int Sequences => Offsets.Length - 1;

    public static RaggedBatch Random(int seed, int maxSeq = 12, int maxLen = 60)
    {
        var rng = new Random(seed);
        var nSeq = rng.Next(0, maxSeq + 1);
        var offsets = new int[nSeq + 1];
        for (var s = 0; s < nSeq; s++)
        {
            var kind = rng.Next(6);
            var len = kind == 0 ? 0 : kind == 1 ? 1 : rng.Next(2, maxLen + 1);
            offsets[s + 1] = offsets[s] + len;
        }
        var n = offsets[^1];
        var mask = new byte[n];
        for (var s = 0; s < nSeq; s++)
        {
            var allMasked = rng.Next(8) == 0;
            var action = rng.Next(2) == 0;
            for (var t = offsets[s]; t < offsets[s + 1]; t++)
            {
                if (rng.Next(5) == 0) action = !action;  // runs of action and observation tokens
                mask[t] = (byte)(allMasked ? 0 : action ? 1 : 0);
            }
        }
        float F(double scale) => (float)((rng.NextDouble() * 2 - 1) * scale);
        return new RaggedBatch
        {
            Offsets = offsets,
            Rewards = Enumerable.Range(0, n).Select(_ => rng.Next(4) == 0 ? F(2) : 0f).ToArray(),
            Values = Enumerable.Range(0, n).Select(_ => F(3)).ToArray(),
            Mask = mask,
            Dones = Enumerable.Range(0, nSeq).Select(_ => (byte)rng.Next(2)).ToArray(),
            Bootstrap = Enumerable.Range(0, nSeq).Select(_ => F(3)).ToArray(),
            Logp = Enumerable.Range(0, n).Select(_ => -(float)rng.NextDouble() * 5).ToArray(),
            RefLogp = Enumerable.Range(0, n).Select(_ => -(float)rng.NextDouble() * 5).ToArray(),
        };
    }
}

internal static class Assertions
{
    /// <summary>Native backends present on this machine (the managed reference is what they are compared to).</summary>
    public static IEnumerable<KernelBackend> NativeBackends()
    {
        if (KernelRuntime.IsNativeAvailable) yield return KernelBackend.NativeCpu;
        if (KernelRuntime.IsCudaAvailable) yield return KernelBackend.Cuda;
    }

    /// <summary>|a − b| ≤ abs + rel·max(|a|, |b|), with NaN equal to NaN and infinities equal by sign.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float abs, float rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a))
            {
                Assert.True(float.IsNaN(e) && float.IsNaN(a), $"{what}[{i}]: expected {e}, got {a}");
                continue;
            }
            if (float.IsInfinity(e) || float.IsInfinity(a))
            {
                Assert.True(e == a, $"{what}[{i}]: expected {e}, got {a}");
                continue;
            }
            var tol = abs + rel * Math.Max(Math.Abs(e), Math.Abs(a));
            Assert.True(Math.Abs(e - a) <= tol, $"{what}[{i}]: expected {e}, got {a} (tolerance {tol})");
        }
    }
}
