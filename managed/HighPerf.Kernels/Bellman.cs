using HighPerf.Kernels.Interop;

namespace HighPerf.Kernels;

/// <summary>
/// (b) Bellman backups for ILQL / MC Returns / ArCHer critics. NaN policy as in <see cref="Advantages"/>:
/// NaN data propagates, NaN parameters throw. Optional spans: empty = not given.
/// </summary>
public static unsafe class Bellman
{
    /// <summary>TD targets over transitions: y_i = r_i + γ·(1 − done_i)·V̄(nextIndex[i]), V̄ = min(nextV1, nextV2)
    /// (double-Q; nextV2 empty = single head); nextIndex[i] = −1 means no successor (y_i = r_i).</summary>
    public static void TdTargets(ReadOnlySpan<float> rewards, ReadOnlySpan<byte> dones, ReadOnlySpan<int> nextIndex,
        ReadOnlySpan<float> nextV1, ReadOnlySpan<float> nextV2, float gamma, Span<float> targets, KernelBackend? backend = null)
    {
        var n = rewards.Length;
        Validation.UnitInterval(gamma, nameof(gamma));
        Validation.Length(dones.Length, n, nameof(dones), "rewards.Length");
        Validation.Length(nextIndex.Length, n, nameof(nextIndex), "rewards.Length");
        Validation.Length(targets.Length, n, nameof(targets), "rewards.Length");
        Validation.OptionalLength(nextV2.Length, nextV1.Length, nameof(nextV2), "nextV1.Length");
        Validation.Indices(nextIndex, nextV1.Length, nameof(nextIndex));
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(TdTargets));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.TdTargets(rewards, dones, nextIndex, nextV1, nextV2, gamma, targets);
            return;
        }
        fixed (float* r = rewards, v1 = nextV1, v2 = nextV2, y = targets)
        fixed (byte* d = dones)
        fixed (int* next = nextIndex)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_td_targets(r, d, next, n, v1, v2, nextV1.Length, gamma, y)
                : NativeMethods.hp_td_targets(r, d, next, n, v1, v2, nextV1.Length, gamma, y);
            NativeMethods.Check(status, "hp_td_targets");
        }
    }

    /// <summary>For each action token, the index of the next action token of the same sequence (LMRL-Gym's s′);
    /// −1 for the last action token of a sequence and for observation tokens.</summary>
    public static void NextActionIndex(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> actionMask, Span<int> nextIndex, KernelBackend? backend = null)
    {
        Validation.Offsets(offsets, actionMask.Length);
        Validation.Length(nextIndex.Length, actionMask.Length, nameof(nextIndex), "actionMask.Length");
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(NextActionIndex)) == KernelBackend.Managed)
        {
            ReferenceKernels.NextActionIndex(offsets, actionMask, nextIndex);
            return;
        }
        fixed (int* o = offsets, next = nextIndex)
        fixed (byte* m = actionMask)
            NativeMethods.Check(NativeMethods.hp_next_action_index(o, offsets.Length - 1, actionMask.Length, m, next), "hp_next_action_index");
    }

    /// <summary>Token-level TD targets over a ragged batch (ILQL's Q target): for action token t,
    /// y_t = r_t + γ·V̄(next action token); for the last one of sequence s, y_t = r_t + γ·(1 − dones[s])·bootstrapValues[s]
    /// (bootstrap empty = 0); observation tokens get 0. V̄ = min(v1, v2), v2 empty = single head.</summary>
    public static void TdTargetsRagged(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask,
        ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, ReadOnlySpan<byte> dones, float gamma, Span<float> targets,
        ReadOnlySpan<float> bootstrapValues = default, KernelBackend? backend = null)
    {
        var n = rewards.Length;
        Validation.UnitInterval(gamma, nameof(gamma));
        Validation.Offsets(offsets, n);
        var nSeq = offsets.Length - 1;
        Validation.Length(actionMask.Length, n, nameof(actionMask), "rewards.Length");
        Validation.Length(v1.Length, n, nameof(v1), "rewards.Length");
        Validation.OptionalLength(v2.Length, n, nameof(v2), "rewards.Length");
        Validation.Length(targets.Length, n, nameof(targets), "rewards.Length");
        Validation.Length(dones.Length, nSeq, nameof(dones), "the sequence count");
        Validation.OptionalLength(bootstrapValues.Length, nSeq, nameof(bootstrapValues), "the sequence count");
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(TdTargetsRagged)) == KernelBackend.Managed)
        {
            ReferenceKernels.TdTargetsRagged(offsets, rewards, actionMask, v1, v2, dones, bootstrapValues, gamma, targets);
            return;
        }
        fixed (int* o = offsets)
        fixed (float* r = rewards, a = v1, b2 = v2, bv = bootstrapValues, y = targets)
        fixed (byte* m = actionMask, d = dones)
            NativeMethods.Check(NativeMethods.hp_td_targets_ragged(o, nSeq, n, r, m, a, b2, d, bv, gamma, y), "hp_td_targets_ragged");
    }

    /// <summary>Expectile regression of V toward the target (IQL/ILQL): w = τ if target ≥ v else 1 − τ;
    /// returns loss = Σ_mask w·(target − v)²/2 / max(N, 1); weights (optional) per element, grad (optional) = ∂loss/∂v.</summary>
    public static float Expectile(ReadOnlySpan<float> v, ReadOnlySpan<float> target, float tau, ReadOnlySpan<byte> mask = default,
        Span<float> weights = default, Span<float> grad = default, KernelBackend? backend = null)
    {
        var n = v.Length;
        Validation.UnitInterval(tau, nameof(tau));
        Validation.Length(target.Length, n, nameof(target), "v.Length");
        Validation.OptionalLength(mask.Length, n, nameof(mask), "v.Length");
        Validation.OptionalLength(weights.Length, n, nameof(weights), "v.Length");
        Validation.OptionalLength(grad.Length, n, nameof(grad), "v.Length");
        if (KernelRuntime.Resolve(backend, hasCuda: false, nameof(Expectile)) == KernelBackend.Managed)
            return ReferenceKernels.Expectile(v, target, mask, tau, weights, grad);
        float loss;
        fixed (float* pv = v, pt = target, pw = weights, pg = grad)
        fixed (byte* m = mask)
            NativeMethods.Check(NativeMethods.hp_expectile(pv, pt, m, n, tau, pw, pg, &loss), "hp_expectile");
        return loss;
    }

    /// <summary>Discounted Monte-Carlo returns-to-go over action tokens: G_t = r_t + γ·G(next action token), γ per action
    /// token (LMRL-Gym §1.2); observation tokens are skipped (output 0, reward ignored); G after the last action is 0.</summary>
    public static void McReturns(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask, float gamma,
        Span<float> returns, KernelBackend? backend = null)
    {
        var n = rewards.Length;
        Validation.UnitInterval(gamma, nameof(gamma));
        Validation.Offsets(offsets, n);
        Validation.Length(actionMask.Length, n, nameof(actionMask), "rewards.Length");
        Validation.Length(returns.Length, n, nameof(returns), "rewards.Length");
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(McReturns));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.McReturns(offsets, rewards, actionMask, gamma, returns);
            return;
        }
        fixed (int* o = offsets)
        fixed (float* r = rewards, g = returns)
        fixed (byte* m = actionMask)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_mc_returns(o, offsets.Length - 1, n, r, m, gamma, g)
                : NativeMethods.hp_mc_returns(o, offsets.Length - 1, n, r, m, gamma, g);
            NativeMethods.Check(status, "hp_mc_returns");
        }
    }

    /// <summary>Polyak update in place: target ← (1 − α)·target + α·online, α in [0, 1].</summary>
    public static void Polyak(Span<float> target, ReadOnlySpan<float> online, float alpha, KernelBackend? backend = null)
    {
        Validation.UnitInterval(alpha, nameof(alpha));
        Validation.Length(online.Length, target.Length, nameof(online), "target.Length");
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(Polyak));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.Polyak(target, online, alpha);
            return;
        }
        fixed (float* t = target, o = online)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_polyak(t, o, target.Length, alpha)
                : NativeMethods.hp_polyak(t, o, target.Length, alpha);
            NativeMethods.Check(status, "hp_polyak");
        }
    }
}
