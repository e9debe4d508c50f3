using HighPerf.Kernels.Interop;

namespace HighPerf.Kernels;

/// <summary>
/// (a) Token-level advantages over ragged batches: sequences are packed back to back and described by
/// <c>offsets</c> (int[n_seq + 1], offsets[0] = 0, non-decreasing, offsets[^1] = token count).
/// NaN policy: NaN in float data propagates to the outputs computed from it and never throws; NaN or out-of-range
/// parameters (γ, λ, β, ε) throw <see cref="ArgumentOutOfRangeException"/>. Optional spans: empty = not given.
/// </summary>
public static unsafe class Advantages
{
    /// <summary>
    /// GAE(γ, λ) with verl's multi-turn carry. For action tokens (mask 1), walking each sequence backwards:
    /// r'_t = r_t − β·KL(logp_t, ref_t); δ_t = r'_t + γ·V(next action token) − V_t; A_t = δ_t + γλ·A(next action token);
    /// returns R_t = A_t + V_t (before whitening). Observation tokens (mask 0) are skipped: the next value and running A
    /// carry across them; their outputs are 0 and their rewards are ignored. The terminal bootstrap of sequence s is
    /// bootstrapValues[s]·(1 − dones[s]) (0 when bootstrapValues is empty, as in verl). With <see cref="GaeOptions.Whiten"/>,
    /// A ← (A − mean)/√(var + ε) over all action tokens of the batch, var Bessel-corrected (N/(N−1)); N = 1 gives 0.
    /// </summary>
    public static void Gae(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<float> values,
        ReadOnlySpan<byte> actionMask, ReadOnlySpan<byte> dones, Span<float> advantages, Span<float> returns, GaeOptions options,
        ReadOnlySpan<float> bootstrapValues = default, ReadOnlySpan<float> logp = default, ReadOnlySpan<float> refLogp = default,
        KernelBackend? backend = null)
    {
        var n = rewards.Length;
        Validation.Gae(options);
        Validation.Offsets(offsets, n);
        var nSeq = offsets.Length - 1;
        Validation.Length(values.Length, n, nameof(values), "rewards.Length");
        Validation.Length(actionMask.Length, n, nameof(actionMask), "rewards.Length");
        Validation.Length(advantages.Length, n, nameof(advantages), "rewards.Length");
        Validation.Length(returns.Length, n, nameof(returns), "rewards.Length");
        Validation.Length(dones.Length, nSeq, nameof(dones), "the sequence count");
        Validation.OptionalLength(bootstrapValues.Length, nSeq, nameof(bootstrapValues), "the sequence count");
        if (options.Kl != KlEstimator.None)
        {
            Validation.Length(logp.Length, n, nameof(logp), "rewards.Length (KL shaping needs it)");
            Validation.Length(refLogp.Length, n, nameof(refLogp), "rewards.Length (KL shaping needs it)");
        }
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(Gae));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.Gae(offsets, rewards, values, actionMask, dones, bootstrapValues, logp, refLogp, options, advantages, returns);
            return;
        }
        var p = new HpGaeParams
        {
            Gamma = options.Gamma, Lambda = options.Lambda, KlCoef = options.KlCoef, KlEstimator = (int)options.Kl,
            Whiten = options.Whiten ? 1 : 0, WhitenEps = options.WhitenEps,
        };
        fixed (int* o = offsets)
        fixed (float* r = rewards, v = values, bv = bootstrapValues, lp = logp, rl = refLogp, a = advantages, ret = returns)
        fixed (byte* m = actionMask, d = dones)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_gae(o, nSeq, n, r, v, m, d, bv, lp, rl, p, a, ret)
                : NativeMethods.hp_gae(o, nSeq, n, r, v, m, d, bv, lp, rl, p, a, ret);
            NativeMethods.Check(status, "hp_gae");
        }
    }

    /// <summary>Per-token KL estimate of logp against refLogp (see <see cref="KlEstimator"/>).</summary>
    public static void KlPenalty(ReadOnlySpan<float> logp, ReadOnlySpan<float> refLogp, KlEstimator estimator, Span<float> output,
        KernelBackend? backend = null)
    {
        Validation.Length(refLogp.Length, logp.Length, nameof(refLogp), "logp.Length");
        Validation.Length(output.Length, logp.Length, nameof(output), "logp.Length");
        if (estimator is < KlEstimator.None or > KlEstimator.K3) throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown KL estimator.");
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(KlPenalty)) == KernelBackend.Managed)
        {
            for (var i = 0; i < logp.Length; i++) output[i] = ReferenceKernels.KlEstimate(logp[i], refLogp[i], estimator);
            return;
        }
        fixed (float* a = logp, r = refLogp, o = output)
            NativeMethods.Check(NativeMethods.hp_kl_penalty(a, r, logp.Length, (int)estimator, o), "hp_kl_penalty");
    }

    /// <summary>In place: x ← (x − mean)/√(var + eps) over mask ≠ 0 (empty mask = all), Bessel-corrected variance;
    /// masked-out entries become 0; N = 0 zeroes x, N = 1 gives 0.</summary>
    public static void MaskedWhiten(Span<float> x, ReadOnlySpan<byte> mask, float eps = 1e-8f, KernelBackend? backend = null)
    {
        Validation.OptionalLength(mask.Length, x.Length, nameof(mask), "x.Length");
        Validation.Positive(eps, nameof(eps));
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(MaskedWhiten)) == KernelBackend.Managed)
        {
            ReferenceKernels.MaskedWhiten(x, mask, eps);
            return;
        }
        fixed (float* p = x)
        fixed (byte* m = mask)
            NativeMethods.Check(NativeMethods.hp_masked_whiten(p, m, x.Length, eps), "hp_masked_whiten");
    }

    /// <summary>ArCHer's utterance advantage A = min(Q1, Q2) − min(V1, V2) (q2, v2 empty = single head).</summary>
    public static void UtteranceAdvantage(ReadOnlySpan<float> q1, ReadOnlySpan<float> q2, ReadOnlySpan<float> v1, ReadOnlySpan<float> v2,
        Span<float> output, KernelBackend? backend = null)
    {
        var n = output.Length;
        Validation.Length(q1.Length, n, nameof(q1), "output.Length");
        Validation.Length(v1.Length, n, nameof(v1), "output.Length");
        Validation.OptionalLength(q2.Length, n, nameof(q2), "output.Length");
        Validation.OptionalLength(v2.Length, n, nameof(v2), "output.Length");
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(UtteranceAdvantage)) == KernelBackend.Managed)
        {
            ReferenceKernels.UtteranceAdvantage(q1, q2, v1, v2, output);
            return;
        }
        fixed (float* a = q1, b = q2, c = v1, d = v2, o = output)
            NativeMethods.Check(NativeMethods.hp_utterance_advantage(a, b, c, d, n, o), "hp_utterance_advantage");
    }

    /// <summary>Broadcasts one value per utterance to its tokens: output[t] = uttValues[uttIndex[t]], 0 where uttIndex[t] = −1.</summary>
    public static void BroadcastUtterance(ReadOnlySpan<float> uttValues, ReadOnlySpan<int> uttIndex, Span<float> output, KernelBackend? backend = null)
    {
        Validation.Length(output.Length, uttIndex.Length, nameof(output), "uttIndex.Length");
        Validation.Indices(uttIndex, uttValues.Length, nameof(uttIndex));
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(BroadcastUtterance));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.BroadcastUtterance(uttValues, uttIndex, output);
            return;
        }
        fixed (float* u = uttValues, o = output)
        fixed (int* idx = uttIndex)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_broadcast_utterance(u, uttValues.Length, idx, uttIndex.Length, o)
                : NativeMethods.hp_broadcast_utterance(u, uttValues.Length, idx, uttIndex.Length, o);
            NativeMethods.Check(status, "hp_broadcast_utterance");
        }
    }

    /// <summary>
    /// PPO-clip per-token weight for the weighted next-token step: ratio = exp(newLogp − oldLogp); the clipped surrogate
    /// min(ratio·A, clip(ratio, 1 ± ε)·A) has zero gradient where the clip binds (A &gt; 0 and ratio &gt; 1 + ε, or
    /// A &lt; 0 and ratio &lt; 1 − ε), so w = 0 there, and w = A·ratio elsewhere; 0 where mask = 0 (mask empty = all).
    /// </summary>
    public static void PpoClipWeights(ReadOnlySpan<float> advantages, ReadOnlySpan<float> newLogp, ReadOnlySpan<float> oldLogp,
        float clipEps, Span<float> weights, ReadOnlySpan<byte> mask = default, Span<float> ratio = default, KernelBackend? backend = null)
    {
        var n = advantages.Length;
        Validation.Length(newLogp.Length, n, nameof(newLogp), "advantages.Length");
        Validation.Length(oldLogp.Length, n, nameof(oldLogp), "advantages.Length");
        Validation.Length(weights.Length, n, nameof(weights), "advantages.Length");
        Validation.OptionalLength(mask.Length, n, nameof(mask), "advantages.Length");
        Validation.OptionalLength(ratio.Length, n, nameof(ratio), "advantages.Length");
        if (!(clipEps >= 0f && clipEps < 1f)) throw new ArgumentOutOfRangeException(nameof(clipEps), clipEps, "clipEps must be in [0, 1).");
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(PpoClipWeights));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.PpoClipWeights(advantages, newLogp, oldLogp, mask, clipEps, weights, ratio);
            return;
        }
        fixed (float* a = advantages, nl = newLogp, ol = oldLogp, w = weights, r = ratio)
        fixed (byte* m = mask)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_ppo_clip_weights(a, nl, ol, m, n, clipEps, w, r)
                : NativeMethods.hp_ppo_clip_weights(a, nl, ol, m, n, clipEps, w, r);
            NativeMethods.Check(status, "hp_ppo_clip_weights");
        }
    }
}
