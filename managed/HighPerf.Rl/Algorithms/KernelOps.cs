using System.Runtime.InteropServices;

namespace HighPerf.Rl.Algorithms;

/// <summary>The per-element RL math the algorithms use, all from the HighPerf kernel core (libhighperf, DESIGN D5):
/// TD targets with the double-Q min, expectile weights, Monte-Carlo returns-to-go, Polyak averaging and value-guided
/// logits. Arguments are validated here before crossing into native code.</summary>
internal static unsafe partial class KernelOps
{
    private const string Lib = "highperf";

    static KernelOps()
    {
        NativeLibrary.SetDllImportResolver(typeof(KernelOps).Assembly, static (name, asm, path) =>
        {
            if (name == Lib)
                foreach (var dir in Critics.CriticNative.CandidateDirectories())
                {
                    var f = Path.Combine(dir, "libhighperf.so");
                    if (File.Exists(f) && NativeLibrary.TryLoad(f, out var h)) return h;
                }
            if (name == Critics.CriticNative.Library)
                foreach (var dir in Critics.CriticNative.CandidateDirectories())
                {
                    var f = Path.Combine(dir, "libhighperf_critic.so");
                    if (File.Exists(f) && NativeLibrary.TryLoad(f, out var h)) return h;
                }
            return IntPtr.Zero;
        });
    }

    /// <summary>Runs the static constructor (resolver registration).</summary>
    internal static void EnsureResolver() { }

    [LibraryImport(Lib)] private static partial IntPtr hp_last_error();
    [LibraryImport(Lib)] private static partial int hp_td_targets(float* rewards, byte* dones, int* nextIndex, long n, float* nextV1, float* nextV2, long nValues, float gamma, float* targets);
    [LibraryImport(Lib)] private static partial int hp_expectile(float* v, float* target, byte* mask, long n, float tau, float* weights, float* grad, float* loss);
    [LibraryImport(Lib)] private static partial int hp_mc_returns(int* offsets, int nSeq, long nTokens, float* rewards, byte* actionMask, float gamma, float* returns);
    [LibraryImport(Lib)] private static partial int hp_polyak(float* target, float* online, long n, float alpha);
    [LibraryImport(Lib)] private static partial int hp_value_guided_logits(float* logits, float* q, float* v, long rows, long vocab, float beta, float temperature, float* output);
    [LibraryImport(Lib)] private static partial int hp_vocab_stats(float* logits, long rows, long vocab, long rowStride, int* labels, float temperature, float* logprob, float* entropy, float* lse);

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"{what} failed ({status}): {Marshal.PtrToStringUTF8(hp_last_error())}");
    }

    /// <summary>y_i = r_i + γ·(1 − done_i)·min(V1, V2)[next_i]; next_i = −1 → y_i = r_i (V2 may be empty).</summary>
    public static void TdTargets(ReadOnlySpan<float> rewards, ReadOnlySpan<byte> dones, ReadOnlySpan<int> next, ReadOnlySpan<float> nextV1, ReadOnlySpan<float> nextV2, float gamma, Span<float> targets)
    {
        var n = rewards.Length;
        if (dones.Length != n || next.Length != n || targets.Length != n) throw new ArgumentException("rewards, dones, next and targets must have the same length");
        if (!nextV2.IsEmpty && nextV2.Length != nextV1.Length) throw new ArgumentException("nextV2 must be empty or as long as nextV1");
        foreach (var j in next) if (j < -1 || j >= nextV1.Length) throw new ArgumentOutOfRangeException(nameof(next), j, "next index outside [-1, n_values)");
        if (!(gamma is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "must be in [0, 1]");
        fixed (float* r = rewards) fixed (byte* d = dones) fixed (int* x = next) fixed (float* v1 = nextV1) fixed (float* v2 = nextV2) fixed (float* y = targets)
            Check(hp_td_targets(r, d, x, n, v1, nextV2.IsEmpty ? null : v2, nextV1.Length, gamma, y), "hp_td_targets");
    }

    /// <summary>Expectile weights w_i = τ if target_i ≥ v_i else 1 − τ; returns the loss Σ w(t − v)²/2 / n.</summary>
    public static float ExpectileWeights(ReadOnlySpan<float> v, ReadOnlySpan<float> target, float tau, Span<float> weights)
    {
        if (target.Length != v.Length || weights.Length != v.Length) throw new ArgumentException("v, target and weights must have the same length");
        if (!(tau is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "must be in [0, 1]");
        float loss;
        fixed (float* pv = v) fixed (float* pt = target) fixed (float* w = weights)
            Check(hp_expectile(pv, pt, null, v.Length, tau, w, null, &loss), "hp_expectile");
        return loss;
    }

    /// <summary>G_t = r_t + γ·G_{t+1} over the action tokens of each sequence (offsets: n_seq + 1 values).</summary>
    public static void McReturns(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask, float gamma, Span<float> returns)
    {
        if (offsets.Length < 1 || offsets[0] != 0 || offsets[^1] != rewards.Length) throw new ArgumentException("offsets must run from 0 to the token count");
        if (actionMask.Length != rewards.Length || returns.Length != rewards.Length) throw new ArgumentException("rewards, mask and returns must have the same length");
        fixed (int* o = offsets) fixed (float* r = rewards) fixed (byte* m = actionMask) fixed (float* g = returns)
            Check(hp_mc_returns(o, offsets.Length - 1, rewards.Length, r, m, gamma, g), "hp_mc_returns");
    }

    /// <summary>θ̄ ← (1 − α)·θ̄ + α·θ, in place on the critic's own memory.</summary>
    public static void Polyak(Span<float> target, ReadOnlySpan<float> online, float alpha)
    {
        if (target.Length != online.Length) throw new ArgumentException("target and online must have the same length");
        if (!(alpha is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be in [0, 1]");
        fixed (float* t = target) fixed (float* o = online)
            Check(hp_polyak(t, o, target.Length, alpha), "hp_polyak");
    }

    /// <summary>out = (logits + β·(Q − V_row)) / T over [rows, vocab]; v may be empty (then Q alone).</summary>
    public static void ValueGuidedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> q, ReadOnlySpan<float> v, int rows, int vocab, float beta, float temperature, Span<float> output)
    {
        if (logits.Length != (long)rows * vocab || q.Length != logits.Length || output.Length != logits.Length) throw new ArgumentException("logits, q and output must be [rows, vocab]");
        if (!v.IsEmpty && v.Length != rows) throw new ArgumentException("v must be empty or have one value per row");
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature));
        fixed (float* l = logits) fixed (float* pq = q) fixed (float* pv = v) fixed (float* o = output)
            Check(hp_value_guided_logits(l, pq, v.IsEmpty ? null : pv, rows, vocab, beta, temperature, o), "hp_value_guided_logits");
    }

    /// <summary>log softmax(logits_r / T)[label_r] per row (the fused vocabulary kernel; nothing [rows × vocab] is written).</summary>
    public static void LogProbs(ReadOnlySpan<float> logits, int rows, int vocab, ReadOnlySpan<int> labels, float temperature, Span<float> logprob)
    {
        if (logits.Length != (long)rows * vocab || labels.Length != rows || logprob.Length != rows) throw new ArgumentException("shapes do not match");
        foreach (var t in labels) if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(labels), t, "label outside the vocabulary");
        fixed (float* l = logits) fixed (int* y = labels) fixed (float* lp = logprob)
            Check(hp_vocab_stats(l, rows, vocab, vocab, y, temperature, lp, null, null), "hp_vocab_stats");
    }
}
