// (a) Token-level advantages on the CPU: GAE with KL shaping and verl's multi-turn carry, masked whitening,
// utterance -> token broadcast and PPO-clip weights. The per-element math lives in kernel_math.hpp.
#include "advantage_cpu.hpp"
#include "cpu_level.hpp"
#include "kernel_math.hpp"
#include "validate.hpp"

#include <cmath>

namespace hp {

namespace {

// Bodies are always_inline and instantiated under three targets below (explicit run-time dispatch): the
// x86-64-v3/v4 copies get FMA (a 4-cycle loop-carried chain instead of mul + add) and wide vectors for the shaping
// and whitening passes; the baseline copy runs on any x86-64.
#define HP_INLINE inline __attribute__((always_inline))

template <int Estimator>
HP_INLINE void shape_rewards(const float * rewards, const float * logp, const float * ref_logp, float coef, int32_t begin,
                             int32_t end, float * out) noexcept {
    for (int32_t t = begin; t < end; ++t) out[t] = rewards[t] - coef * math::kl_estimate(logp[t], ref_logp[t], Estimator);
}

HP_INLINE void gae_body(const int32_t * offsets, int32_t n_seq, const float * rewards, const float * values,
             const uint8_t * action_mask, const uint8_t * dones, const float * bootstrap_values, const float * logp,
             const float * ref_logp, const hp_gae_params & p, float * advantages, float * returns) noexcept {
    const float gamma = p.gamma;
    const float gamma_lambda = p.gamma * p.lambda;
    const bool shaped = p.kl_estimator != HP_KL_NONE;
    for (int32_t s = 0; s < n_seq; ++s) {
        const int32_t begin = offsets[s], end = offsets[s + 1];
        // Pass 1 (vectorized): shaped rewards r_t - beta * KL_t, staged in the returns buffer (overwritten below).
        const float * r = rewards;
        if (shaped) {
            switch (p.kl_estimator) {  // a constant estimator per loop so the loop vectorizes
                case HP_KL_K1: shape_rewards<HP_KL_K1>(rewards, logp, ref_logp, p.kl_coef, begin, end, returns); break;
                case HP_KL_K2: shape_rewards<HP_KL_K2>(rewards, logp, ref_logp, p.kl_coef, begin, end, returns); break;
                default: shape_rewards<HP_KL_K3>(rewards, logp, ref_logp, p.kl_coef, begin, end, returns); break;
            }
            r = returns;
        }
        // Pass 2: the reverse recurrence. Terminal bootstrap V_boot * (1 - done); verl's 0 is bootstrap == null.
        float next_value = (bootstrap_values != nullptr && dones[s] == 0) ? bootstrap_values[s] : 0.0f;
        float last_gae = 0.0f;
        for (int32_t t = end - 1; t >= begin; --t) {
            const bool action = action_mask[t] != 0;
            const float v = values[t];
            const float a = math::gae_step(action, r[t], v, gamma, gamma_lambda, next_value, last_gae);
            advantages[t] = action ? a : 0.0f;
            returns[t] = action ? a + v : 0.0f;
        }
    }
}

// Masked moments and normalization; HasMask is a template parameter so each loop is branch-free and vectorizes
// (a per-element "mask == nullptr ||" test kept gcc from if-converting, and random masks then cost mispredictions).
template <bool HasMask> HP_INLINE void whiten_impl(float * x, const uint8_t * mask, int64_t n, float eps) noexcept {
    // Float lanes over blocks of 256 (vectorizable), block sums added in double so 1e6+ tokens keep the mean.
    constexpr int kLanes = 16, kBlock = 256;
    double sum = 0.0, sum_sq = 0.0;
    int64_t count = 0;
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
        const int64_t len = (n - b0) < kBlock ? (n - b0) : kBlock;
        float s[kLanes] = {}, q[kLanes] = {}, c[kLanes] = {};
        const float * xb = x + b0;
        const uint8_t * mb = HasMask ? mask + b0 : nullptr;
        int64_t i = 0;
        for (; i + kLanes <= len; i += kLanes) {
            for (int j = 0; j < kLanes; ++j) {
                const bool m = !HasMask || mb[i + j] != 0;
                const float v = m ? xb[i + j] : 0.0f;
                s[j] += v;
                q[j] += v * v;
                c[j] += m ? 1.0f : 0.0f;
            }
        }
        for (; i < len; ++i) {
            const bool m = !HasMask || mb[i] != 0;
            const float v = m ? xb[i] : 0.0f;
            s[0] += v;
            q[0] += v * v;
            c[0] += m ? 1.0f : 0.0f;
        }
        for (int j = 0; j < kLanes; ++j) {
            sum += s[j];
            sum_sq += q[j];
            count += static_cast<int64_t>(c[j]);
        }
    }
    if (count == 0) {
        for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
        return;
    }
    const double mean = sum / static_cast<double>(count);
    // Bessel-corrected variance (verl's masked_whiten); a single element has variance 0 -> output 0.
    double var = count > 1 ? (sum_sq - sum * mean) / static_cast<double>(count - 1) : 0.0;
    if (var < 0.0) var = 0.0;  // rounding in sum_sq - sum * mean
    const float meanf = static_cast<float>(mean);
    const float rstd = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    for (int64_t i = 0; i < n; ++i) {
        const float w = (x[i] - meanf) * rstd;
        x[i] = (!HasMask || mask[i] != 0) ? w : 0.0f;
    }
}

HP_INLINE void whiten_body(float * x, const uint8_t * mask, int64_t n, float eps) noexcept {
    if (mask != nullptr) whiten_impl<true>(x, mask, n, eps);
    else whiten_impl<false>(x, mask, n, eps);
}

#define HP_GAE_ARGS const int32_t * offsets, int32_t n_seq, const float * rewards, const float * values, \
    const uint8_t * action_mask, const uint8_t * dones, const float * bootstrap_values, const float * logp, \
    const float * ref_logp, const hp_gae_params & p, float * advantages, float * returns
#define HP_GAE_PASS offsets, n_seq, rewards, values, action_mask, dones, bootstrap_values, logp, ref_logp, p, advantages, returns

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("arch=x86-64-v4"))) void gae_v4(HP_GAE_ARGS) noexcept { gae_body(HP_GAE_PASS); }
__attribute__((target("arch=x86-64-v3"))) void gae_v3(HP_GAE_ARGS) noexcept { gae_body(HP_GAE_PASS); }
__attribute__((target("arch=x86-64-v4"))) void whiten_v4(float * x, const uint8_t * m, int64_t n, float e) noexcept { whiten_body(x, m, n, e); }
__attribute__((target("arch=x86-64-v3"))) void whiten_v3(float * x, const uint8_t * m, int64_t n, float e) noexcept { whiten_body(x, m, n, e); }
#endif

}  // namespace

void gae_cpu(HP_GAE_ARGS) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
    switch (cpu_level()) {
        case CpuLevel::Avx512: return gae_v4(HP_GAE_PASS);
        case CpuLevel::Avx2: return gae_v3(HP_GAE_PASS);
        default: break;
    }
#endif
    gae_body(HP_GAE_PASS);
}

void masked_whiten_cpu(float * x, const uint8_t * mask, int64_t n, float eps) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
    switch (cpu_level()) {
        case CpuLevel::Avx512: return whiten_v4(x, mask, n, eps);
        case CpuLevel::Avx2: return whiten_v3(x, mask, n, eps);
        default: break;
    }
#endif
    whiten_body(x, mask, n, eps);
}

}  // namespace hp

using namespace hp;

extern "C" {

HP_API hp_status hp_gae(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                        const float * values, const uint8_t * action_mask, const uint8_t * dones,
                        const float * bootstrap_values, const float * logp, const float * ref_logp,
                        hp_gae_params params, float * advantages, float * returns) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_gae_args(offsets, n_seq, n_tokens, rewards, values, action_mask, dones, logp, ref_logp, params,
                                advantages, returns));
        gae_cpu(offsets, n_seq, rewards, values, action_mask, dones, bootstrap_values, logp, ref_logp, params,
                advantages, returns);
        if (params.whiten != 0) masked_whiten_cpu(advantages, action_mask, n_tokens, params.whiten_eps);
        return HP_OK;
    });
}

HP_API hp_status hp_kl_penalty(const float * logp, const float * ref_logp, int64_t n, int32_t estimator, float * out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_estimator(estimator));
        HP_CHECK(check_ptr(logp, n, "logp"));
        HP_CHECK(check_ptr(ref_logp, n, "ref_logp"));
        HP_CHECK(check_ptr(out, n, "out"));
        for (int64_t i = 0; i < n; ++i) out[i] = math::kl_estimate(logp[i], ref_logp[i], estimator);
        return HP_OK;
    });
}

HP_API hp_status hp_masked_whiten(float * x, const uint8_t * mask, int64_t n, float eps) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_ptr(x, n, "x"));
        HP_CHECK(check_positive(eps, "eps"));
        masked_whiten_cpu(x, mask, n, eps);
        return HP_OK;
    });
}

HP_API hp_status hp_utterance_advantage(const float * q1, const float * q2, const float * v1, const float * v2,
                                        int64_t n_utt, float * out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n_utt, "n_utt"));
        HP_CHECK(check_ptr(q1, n_utt, "q1"));
        HP_CHECK(check_ptr(v1, n_utt, "v1"));
        HP_CHECK(check_ptr(out, n_utt, "out"));
        for (int64_t i = 0; i < n_utt; ++i) {
            // ArCHer actor: A = min(Q1, Q2)(s, a) - min(V1, V2)(s).
            const float q = q2 != nullptr ? math::min_nan(q1[i], q2[i]) : q1[i];
            const float v = v2 != nullptr ? math::min_nan(v1[i], v2[i]) : v1[i];
            out[i] = q - v;
        }
        return HP_OK;
    });
}

HP_API hp_status hp_broadcast_utterance(const float * utt_values, int64_t n_utt, const int32_t * utt_index,
                                        int64_t n_tokens, float * out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n_utt, "n_utt"));
        HP_CHECK(check_len(n_tokens, "n_tokens"));
        HP_CHECK(check_ptr(utt_values, n_utt, "utt_values"));
        HP_CHECK(check_index_array(utt_index, n_tokens, n_utt, "utt_index"));
        HP_CHECK(check_ptr(out, n_tokens, "out"));
        for (int64_t t = 0; t < n_tokens; ++t) {
            const int32_t u = utt_index[t];
            out[t] = u >= 0 ? utt_values[u] : 0.0f;
        }
        return HP_OK;
    });
}

HP_API hp_status hp_ppo_clip_weights(const float * advantages, const float * new_logp, const float * old_logp,
                                     const uint8_t * mask, int64_t n, float clip_eps, float * weights,
                                     float * ratio_out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_ptr(advantages, n, "advantages"));
        HP_CHECK(check_ptr(new_logp, n, "new_logp"));
        HP_CHECK(check_ptr(old_logp, n, "old_logp"));
        HP_CHECK(check_ptr(weights, n, "weights"));
        if (!(clip_eps >= 0.0f && clip_eps < 1.0f))
            return invalid("clip_eps must be in [0, 1) (got " + std::to_string(clip_eps) + ")");
        for (int64_t i = 0; i < n; ++i) {
            float ratio;
            const float w = math::ppo_weight(advantages[i], new_logp[i], old_logp[i], clip_eps, ratio);
            const bool m = mask == nullptr || mask[i] != 0;
            weights[i] = m ? w : 0.0f;
            if (ratio_out != nullptr) ratio_out[i] = ratio;
        }
        return HP_OK;
    });
}

}  // extern "C"
