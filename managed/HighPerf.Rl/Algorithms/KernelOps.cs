using System.Runtime.InteropServices;
using HighPerf.Kernels;

namespace HighPerf.Rl.Algorithms;

/// <summary>The per-element RL math the algorithms use, all from HighPerf.Kernels (native CPU/CUDA with a managed
/// reference, DESIGN D5): TD targets with the double-Q min, expectile weights, Monte-Carlo returns-to-go, Polyak
/// averaging, the fused log-prob and value-guided logits. This class only adapts shapes; it also owns the
/// assembly's native resolver for libhighperf_critic.</summary>
internal static class KernelOps
{
    static KernelOps()
    {
        NativeLibrary.SetDllImportResolver(typeof(KernelOps).Assembly, static (name, _, _) =>
        {
            if (name != Critics.CriticNative.Library) return IntPtr.Zero;
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

    /// <summary>y_i = r_i + γ·(1 − done_i)·min(V1, V2)[next_i]; next_i = −1 → y_i = r_i (V2 may be empty).</summary>
    public static void TdTargets(ReadOnlySpan<float> rewards, ReadOnlySpan<byte> dones, ReadOnlySpan<int> next, ReadOnlySpan<float> nextV1, ReadOnlySpan<float> nextV2, float gamma, Span<float> targets)
        => Bellman.TdTargets(rewards, dones, next, nextV1, nextV2, gamma, targets);

    /// <summary>Expectile weights w_i = τ if target_i ≥ v_i else 1 − τ; returns the loss Σ w(t − v)²/2 / n.</summary>
    public static float ExpectileWeights(ReadOnlySpan<float> v, ReadOnlySpan<float> target, float tau, Span<float> weights)
        => Bellman.Expectile(v, target, tau, default, weights);

    /// <summary>G_t = r_t + γ·G_{t+1} over the action tokens of each sequence (offsets: n_seq + 1 values).</summary>
    public static void McReturns(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask, float gamma, Span<float> returns)
        => Bellman.McReturns(offsets, rewards, actionMask, gamma, returns);

    /// <summary>θ̄ ← (1 − α)·θ̄ + α·θ, in place on the critic's own memory.</summary>
    public static void Polyak(Span<float> target, ReadOnlySpan<float> online, float alpha) => Bellman.Polyak(target, online, alpha);

    /// <summary>out = (logits + β·(Q − V_row)) / T over [rows, vocab]; v may be empty (then Q alone).</summary>
    public static void ValueGuidedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> q, ReadOnlySpan<float> v, int rows, int vocab, float beta, float temperature, Span<float> output)
        => Vocabulary.ValueGuidedLogits(logits, q, v, rows, vocab, beta, temperature, output);

    /// <summary>log softmax(logits_r / T)[label_r] per row (the fused vocabulary kernel).</summary>
    public static void LogProbs(ReadOnlySpan<float> logits, int rows, int vocab, ReadOnlySpan<int> labels, float temperature, Span<float> logprob)
        => Vocabulary.LogProbs(logits, rows, vocab, labels, logprob, temperature);
}
