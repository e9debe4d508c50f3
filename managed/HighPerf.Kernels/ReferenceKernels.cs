namespace HighPerf.Kernels;

/// <summary>
/// The managed scalar reference of every kernel: readable, the definition the native and CUDA backends are tested
/// against, and the fallback when libhighperf is missing. No argument validation here (the public entry points in
/// <see cref="Advantages"/>, <see cref="Bellman"/> and <see cref="Vocabulary"/> validate first).
/// NaN policy: NaN in data propagates to the outputs computed from it; nothing throws on NaN data.
/// </summary>
public static class ReferenceKernels
{
    private const float KlLogRatioClamp = 20f;
    private const float K3Clamp = 10f;

    /// <summary>k1/k2/k3 of d = clamp(logp − ref, ±20); k3 clamped to ±10; NaN passes through.</summary>
    public static float KlEstimate(float logp, float refLogp, KlEstimator estimator)
    {
        var d = logp - refLogp;
        if (float.IsNaN(d)) return d;
        d = Math.Clamp(d, -KlLogRatioClamp, KlLogRatioClamp);
        return estimator switch
        {
            KlEstimator.K1 => d,
            KlEstimator.K2 => 0.5f * d * d,
            KlEstimator.K3 => Math.Clamp(MathF.Exp(-d) + d - 1f, -K3Clamp, K3Clamp),
            _ => 0f,
        };
    }

    /// <summary>GAE over a ragged batch, verl's multi-turn carry (see <see cref="Advantages.Gae"/>).</summary>
    public static void Gae(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<float> values,
        ReadOnlySpan<byte> actionMask, ReadOnlySpan<byte> dones, ReadOnlySpan<float> bootstrapValues,
        ReadOnlySpan<float> logp, ReadOnlySpan<float> refLogp, GaeOptions o, Span<float> advantages, Span<float> returns)
    {
        var gammaLambda = o.Gamma * o.Lambda;
        for (var s = 0; s + 1 < offsets.Length; s++)
        {
            // Terminal bootstrap: V_boot·(1 − done); 0 when no bootstrap is given (verl).
            var nextValue = bootstrapValues.Length > 0 && dones[s] == 0 ? bootstrapValues[s] : 0f;
            var lastGae = 0f;
            for (var t = offsets[s + 1] - 1; t >= offsets[s]; t--)
            {
                var r = rewards[t];
                if (o.Kl != KlEstimator.None) r -= o.KlCoef * KlEstimate(logp[t], refLogp[t], o.Kl);
                if (actionMask[t] != 0)
                {
                    // δ_t = r_t + γ·V(next action token) − V_t ;  A_t = δ_t + γλ·A_next
                    var delta = r + o.Gamma * nextValue - values[t];
                    lastGae = delta + gammaLambda * lastGae;
                    nextValue = values[t];
                    advantages[t] = lastGae;
                    returns[t] = lastGae + values[t];
                }
                else
                {
                    // Observation token: skipped; nextValue and lastGae carry across it.
                    advantages[t] = 0f;
                    returns[t] = 0f;
                }
            }
        }
        if (o.Whiten) MaskedWhiten(advantages, actionMask, o.WhitenEps);
    }

    /// <summary>x ← (x − mean)/√(var + eps) over mask (empty = all), Bessel-corrected var; masked-out → 0.</summary>
    public static void MaskedWhiten(Span<float> x, ReadOnlySpan<byte> mask, float eps)
    {
        double sum = 0, sumSq = 0;
        long count = 0;
        for (var i = 0; i < x.Length; i++)
        {
            if (mask.Length != 0 && mask[i] == 0) continue;
            sum += x[i];
            sumSq += (double)x[i] * x[i];
            count++;
        }
        if (count == 0)
        {
            x.Clear();
            return;
        }
        var mean = sum / count;
        var variance = count > 1 ? Math.Max(0.0, (sumSq - sum * mean) / (count - 1)) : 0.0;
        var meanF = (float)mean;
        var rstd = (float)(1.0 / Math.Sqrt(variance + eps));
        for (var i = 0; i < x.Length; i++)
            x[i] = mask.Length == 0 || mask[i] != 0 ? (x[i] - meanF) * rstd : 0f;
    }

    /// <summary>min that propagates NaN (Math.Min does too, but say it).</summary>
    private static float MinNan(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : Math.Min(a, b);

    /// <summary>A_u = min(Q1, Q2) − min(V1, V2); q2/v2 empty = single head.</summary>
    public static void UtteranceAdvantage(ReadOnlySpan<float> q1, ReadOnlySpan<float> q2, ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, Span<float> output)
    {
        for (var i = 0; i < output.Length; i++)
        {
            var q = q2.Length > 0 ? MinNan(q1[i], q2[i]) : q1[i];
            var v = v2.Length > 0 ? MinNan(v1[i], v2[i]) : v1[i];
            output[i] = q - v;
        }
    }

    /// <summary>out[t] = values[index[t]], 0 where index[t] == −1.</summary>
    public static void BroadcastUtterance(ReadOnlySpan<float> uttValues, ReadOnlySpan<int> uttIndex, Span<float> output)
    {
        for (var t = 0; t < output.Length; t++)
            output[t] = uttIndex[t] >= 0 ? uttValues[uttIndex[t]] : 0f;
    }

    /// <summary>PPO-clip weight A·ratio where the clip does not bind, else 0 (see <see cref="Advantages.PpoClipWeights"/>).</summary>
    public static void PpoClipWeights(ReadOnlySpan<float> adv, ReadOnlySpan<float> newLogp, ReadOnlySpan<float> oldLogp,
        ReadOnlySpan<byte> mask, float clipEps, Span<float> weights, Span<float> ratioOut)
    {
        for (var i = 0; i < weights.Length; i++)
        {
            var ratio = MathF.Exp(newLogp[i] - oldLogp[i]);
            var clipped = (adv[i] > 0f && ratio > 1f + clipEps) || (adv[i] < 0f && ratio < 1f - clipEps);
            var masked = mask.Length != 0 && mask[i] == 0;
            weights[i] = clipped || masked ? 0f : adv[i] * ratio;
            if (ratioOut.Length > 0) ratioOut[i] = ratio;
        }
    }

    /// <summary>y_i = r_i + γ(1 − done_i)·min(V1, V2)[next_i]; next_i = −1 → y_i = r_i.</summary>
    public static void TdTargets(ReadOnlySpan<float> rewards, ReadOnlySpan<byte> dones, ReadOnlySpan<int> nextIndex,
        ReadOnlySpan<float> nextV1, ReadOnlySpan<float> nextV2, float gamma, Span<float> targets)
    {
        for (var i = 0; i < targets.Length; i++)
        {
            var j = nextIndex[i];
            if (dones[i] != 0 || j < 0)
            {
                targets[i] = rewards[i];
                continue;
            }
            var v = nextV2.Length > 0 ? MinNan(nextV1[j], nextV2[j]) : nextV1[j];
            targets[i] = rewards[i] + gamma * v;
        }
    }

    /// <summary>Index of the next action token in the same sequence; −1 for the last one and obs tokens.</summary>
    public static void NextActionIndex(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> actionMask, Span<int> nextIndex)
    {
        for (var s = 0; s + 1 < offsets.Length; s++)
        {
            var next = -1;
            for (var t = offsets[s + 1] - 1; t >= offsets[s]; t--)
            {
                var action = actionMask[t] != 0;
                nextIndex[t] = action ? next : -1;
                if (action) next = t;
            }
        }
    }

    /// <summary>Ragged token TD targets: y_t = r_t + γ·V̄(next action token), last: r_t + γ(1 − done)·boot; obs → 0.</summary>
    public static void TdTargetsRagged(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask,
        ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, ReadOnlySpan<byte> dones, ReadOnlySpan<float> bootstrapValues,
        float gamma, Span<float> targets)
    {
        for (var s = 0; s + 1 < offsets.Length; s++)
        {
            var nextV = bootstrapValues.Length > 0 && dones[s] == 0 ? bootstrapValues[s] : 0f;
            for (var t = offsets[s + 1] - 1; t >= offsets[s]; t--)
            {
                if (actionMask[t] == 0)
                {
                    targets[t] = 0f;
                    continue;
                }
                targets[t] = rewards[t] + gamma * nextV;
                nextV = v2.Length > 0 ? MinNan(v1[t], v2[t]) : v1[t];
            }
        }
    }

    /// <summary>Expectile loss Σ w(y − v)²/2 / N with w = τ if y ≥ v else 1 − τ; returns the loss.</summary>
    public static float Expectile(ReadOnlySpan<float> v, ReadOnlySpan<float> target, ReadOnlySpan<byte> mask, float tau,
        Span<float> weights, Span<float> grad)
    {
        long count = 0;
        for (var i = 0; i < v.Length; i++) count += mask.Length == 0 || mask[i] != 0 ? 1 : 0;
        var invN = 1.0 / Math.Max(count, 1);
        double total = 0;
        for (var i = 0; i < v.Length; i++)
        {
            var m = mask.Length == 0 || mask[i] != 0;
            var w = m ? (target[i] >= v[i] ? tau : 1f - tau) : 0f;
            var diff = target[i] - v[i];
            if (m) total += w * 0.5 * diff * diff;
            if (weights.Length > 0) weights[i] = w;
            if (grad.Length > 0) grad[i] = m ? (float)(-(double)w * diff * invN) : 0f;
        }
        return (float)(total * invN);
    }

    /// <summary>G_t = r_t + γ·G_next over action tokens; obs tokens skipped and set to 0.</summary>
    public static void McReturns(ReadOnlySpan<int> offsets, ReadOnlySpan<float> rewards, ReadOnlySpan<byte> actionMask, float gamma, Span<float> returns)
    {
        for (var s = 0; s + 1 < offsets.Length; s++)
        {
            var running = 0f;
            for (var t = offsets[s + 1] - 1; t >= offsets[s]; t--)
            {
                if (actionMask[t] == 0)
                {
                    returns[t] = 0f;
                    continue;
                }
                running = rewards[t] + gamma * running;
                returns[t] = running;
            }
        }
    }

    /// <summary>θ̄ ← (1 − α)θ̄ + αθ (α = 1 copies exactly, α = 0 leaves θ̄ unchanged).</summary>
    public static void Polyak(Span<float> target, ReadOnlySpan<float> online, float alpha)
    {
        var keep = 1f - alpha;
        for (var i = 0; i < target.Length; i++) target[i] = keep * target[i] + alpha * online[i];
    }

    /// <summary>
    /// Per row, on x/T: lse = m + log s, entropy = log s − t/s, logprob = (x_y − m) − log s, where m = max,
    /// s = Σ e^(x−m), t = Σ e^(x−m)(x − m). Two passes (max, then sums): the readable form of the native one-pass kernel.
    /// </summary>
    public static void VocabStats(ReadOnlySpan<float> logits, int rows, int vocab, int rowStride, ReadOnlySpan<int> labels,
        float temperature, Span<float> logprob, Span<float> entropy, Span<float> lse)
    {
        var invT = 1f / temperature;
        for (var r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * rowStride, vocab);
            var m = float.NegativeInfinity;
            var sawNaN = false;
            foreach (var v in x)
            {
                var xs = v * invT;
                sawNaN |= float.IsNaN(xs);
                if (xs > m) m = xs;
            }
            float s = 0f, t = 0f;
            if (sawNaN) s = float.NaN;
            else if (!float.IsNegativeInfinity(m))
            {
                foreach (var v in x)
                {
                    var d = v * invT - m;
                    if (float.IsNegativeInfinity(d)) continue;  // e^−∞ = 0 contributes nothing (and 0·∞ would be NaN)
                    var e = MathF.Exp(d);
                    s += e;
                    t += e * d;
                }
            }
            var logS = MathF.Log(s);
            if (lse.Length > 0) lse[r] = m + logS;
            if (entropy.Length > 0) entropy[r] = logS - t / s;
            if (logprob.Length > 0) logprob[r] = (x[labels[r]] * invT - m) - logS;
        }
    }

    /// <summary>out = (logits + β(Q − V_row))/T.</summary>
    public static void ValueGuidedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> q, ReadOnlySpan<float> v, int rows, int vocab,
        float beta, float temperature, Span<float> output)
    {
        var invT = 1f / temperature;
        for (var r = 0; r < rows; r++)
        {
            var vr = v.Length > 0 ? v[r] : 0f;
            for (var i = r * vocab; i < (r + 1) * vocab; i++)
                output[i] = (logits[i] + beta * (q[i] - vr)) * invT;
        }
    }
}
