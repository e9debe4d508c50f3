// Per-element math of every kernel, written once and shared by the CPU (g++) and CUDA (nvcc) implementations,
// so the CPU test suite exercises exactly the arithmetic the GPU runs.
#pragma once

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#  define HP_HD __host__ __device__ __forceinline__
#else
#  define HP_HD inline
#endif

namespace hp {
namespace math {

// Clamps of verl's kl_penalty_forward: the log-ratio to +-20 (exp stays finite), k3 to +-10.
constexpr float kKlLogRatioClamp = 20.0f;
constexpr float kK3Clamp = 10.0f;

// Comparisons, not fminf/fmaxf: those are libm calls on x86 without -ffast-math (blocking vectorization) and they
// swallow NaN, whereas this form passes NaN through.
HP_HD float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

HP_HD float bits_to_float(int32_t i) {
#ifdef __CUDA_ARCH__
    return __int_as_float(i);
#else
    float f;
    __builtin_memcpy(&f, &i, sizeof f);
    return f;
#endif
}

// e^x as plain arithmetic (Cephes expf polynomial, rel. err ~2e-7), so that gcc can inline and vectorize it inside
// kernels (a libm expf call per token is what made KL shaping 5x slower than plain GAE). NaN passes through; the
// result flushes to 0 below -87.3 and saturates near 3e38 above 88.3.
HP_HD float exp_approx(float x) {
    const float xc = clampf(x, -87.3f, 88.3f);
    // n = round(x / ln 2) by the 1.5 * 2^23 trick (exact for |x / ln 2| < 2^22, no rintf call needed).
    const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    p = p * (r * r) + (r + 1.0f);
    const float scale = bits_to_float((static_cast<int32_t>(n) + 127) << 23);
    return x != x ? x : p * scale;
}

// KL estimators on sampled tokens (Schulman's k1/k2/k3), d = log pi(a) - log pi_ref(a).
//   k1 = d,  k2 = d^2 / 2,  k3 = exp(-d) - (-d) - 1 = exp(ref - logp) - (ref - logp) - 1.
// NaN passes through clampf. No early returns: with a constant estimator this inlines to straight-line, vectorizable code.
HP_HD float kl_estimate(float logp, float ref_logp, int estimator) {
    const float d = clampf(logp - ref_logp, -kKlLogRatioClamp, kKlLogRatioClamp);
    switch (estimator) {
        case 1: return d;
        case 2: return 0.5f * d * d;
        case 3: return clampf(exp_approx(-d) + d - 1.0f, -kK3Clamp, kK3Clamp);
        default: return 0.0f;
    }
}

// One reverse step of GAE with verl's multi-turn carry. On an action token (m = 1):
//   delta_t = r_t + gamma * nv - V_t,  l = gamma * lambda * l + delta_t,  nv = V_t;   A_t = l
// On an observation token (m = 0) nothing changes: nv and l carry over it (l = 1 * l + 0 exactly). Written as one
// multiply-add on the loop-carried l with the selects off that chain: the recurrence's latency is the speed limit.
HP_HD float gae_step(bool action, float r, float v, float gamma, float gamma_lambda, float & next_value,
                     float & last_gae) {
    const float delta = action ? r + gamma * next_value - v : 0.0f;
    const float decay = action ? gamma_lambda : 1.0f;
    last_gae = decay * last_gae + delta;
    next_value = action ? v : next_value;
    return last_gae;
}

// Discounted return-to-go step over action tokens: G_t = r_t + gamma * G_next; observation tokens carry G
// (1 * G + 0), so the loop-carried chain is one multiply-add with no select on it.
HP_HD float mc_step(bool action, float r, float gamma, float & running) {
    running = (action ? gamma : 1.0f) * running + (action ? r : 0.0f);
    return running;
}

// TD target y = r + gamma * (1 - done) * Vbar(s').
HP_HD float td_target(float r, bool done, float v_next, float gamma) { return done ? r : r + gamma * v_next; }

// min that propagates NaN (fminf would return the other operand).
HP_HD float min_nan(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }

// Expectile weight of IQL/ILQL: tau where the target is above the estimate, 1 - tau below.
HP_HD float expectile_weight(float target, float v, float tau) { return target >= v ? tau : 1.0f - tau; }

// PPO-clip: the surrogate min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A) has zero gradient where the clipped
// term is the minimum; elsewhere d/dlogp (ratio * A) = ratio * A, the weight of -logp in a weighted NLL step.
HP_HD float ppo_weight(float adv, float new_logp, float old_logp, float eps, float & ratio) {
    ratio = expf(new_logp - old_logp);
    const bool clipped = (adv > 0.0f && ratio > 1.0f + eps) || (adv < 0.0f && ratio < 1.0f - eps);
    return clipped ? 0.0f : adv * ratio;
}

// Polyak / soft target update: target <- (1 - alpha) * target + alpha * online. Written in this form (not
// target + alpha * (online - target)) so that alpha = 1 is an exact hard copy and alpha = 0 an exact no-op.
HP_HD float polyak(float target, float online, float alpha) { return (1.0f - alpha) * target + alpha * online; }

// Value-guided logit (ILQL / MC-returns decoding): (x + beta * (Q - V)) / T, written as a multiply by 1/T.
HP_HD float value_guided(float logit, float q, float v, float beta, float inv_temperature) {
    return (logit + beta * (q - v)) * inv_temperature;
}

// Online softmax state over a stream of logits x (already divided by the temperature):
//   m = running max, s = sum exp(x - m), t = sum exp(x - m) * (x - m).
// t is kept relative to m so that entropy = log s - t / s has no cancellation even for logits near 1e30.
struct SoftmaxState {
    float m;
    float s;
    float t;
};

HP_HD SoftmaxState softmax_init() { return SoftmaxState{-INFINITY, 0.0f, 0.0f}; }

// Adds one logit. -inf contributes nothing; NaN poisons s (and so every output); a larger x rescales:
//   s' = s * e^(m - x) + 1,  t' = e^(m - x) * (t + (m - x) * s).
HP_HD void softmax_push(SoftmaxState & st, float x) {
    if (x <= st.m) {
        if (x == -INFINITY) return;
        const float d = x - st.m;
        const float e = expf(d);
        st.s += e;
        st.t += e * d;
    } else if (x > st.m) {
        const float d = st.m - x;  // -inf when the state is empty: scale 0, and s = t = 0 anyway
        const float sc = st.m == -INFINITY ? 0.0f : expf(d);
        st.t = st.m == -INFINITY ? 0.0f : sc * (st.t + d * st.s);
        st.s = sc * st.s + 1.0f;
        st.m = x;
    } else {
        st.s = NAN;  // x is NaN
    }
}

// Merges two partial states (chunks of a row, lanes, threads): the smaller-max side is rescaled by e^(mb - ma).
HP_HD SoftmaxState softmax_merge(SoftmaxState a, SoftmaxState b) {
    if (b.m > a.m) {
        const SoftmaxState tmp = a;
        a = b;
        b = tmp;
    }
    if (b.m == -INFINITY) {  // b is empty (or all -inf); keep a NaN it may carry
        if (b.s != b.s) a.s = b.s;
        return a;
    }
    if (!(b.m <= a.m)) {  // a NaN max
        a.s = NAN;
        return a;
    }
    const float d = b.m - a.m;
    const float sc = expf(d);
    a.t = a.t + sc * (b.t + d * b.s);
    a.s = a.s + sc * b.s;
    return a;
}

// lse = m + log s; entropy = lse - E[x] = log s - t / s.
HP_HD float softmax_lse(const SoftmaxState & st) { return st.m + logf(st.s); }
HP_HD float softmax_entropy(const SoftmaxState & st) { return logf(st.s) - st.t / st.s; }
// log softmax(x)[y] = (x_y - m) - log s: relative to m, so a 1e30 logit keeps its precision (x_y - lse would not).
HP_HD float softmax_logprob(const SoftmaxState & st, float x_y) { return (x_y - st.m) - logf(st.s); }

}  // namespace math
}  // namespace hp
