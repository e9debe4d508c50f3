// (a) Token-level advantages on the CPU: GAE with KL shaping and verl's multi-turn carry, masked whitening,
// utterance -> token broadcast and PPO-clip weights. The per-element math lives in kernel_math.hpp.
#include "advantage_cpu.hpp"
#include "kernel_math.hpp"
#include "validate.hpp"

#include <cmath>

namespace hp {

void gae_cpu(const int32_t * offsets, int32_t n_seq, const float * rewards, const float * values,
             const uint8_t * action_mask, const uint8_t * dones, const float * bootstrap_values, const float * logp,
             const float * ref_logp, const hp_gae_params & p, float * advantages, float * returns) noexcept {
    const float gamma = p.gamma;
    const float gamma_lambda = p.gamma * p.lambda;
    const bool shaped = p.kl_estimator != HP_KL_NONE;
    for (int32_t s = 0; s < n_seq; ++s) {
        // Terminal bootstrap V_boot * (1 - done); verl's 0 is bootstrap_values == null.
        float next_value = (bootstrap_values != nullptr && dones[s] == 0) ? bootstrap_values[s] : 0.0f;
        float last_gae = 0.0f;
        for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
            const bool action = action_mask[t] != 0;
            float r = rewards[t];
            // Shaped reward r_t - beta * KL_t (only meaningful on action tokens; obs results are discarded).
            if (shaped) r -= p.kl_coef * math::kl_estimate(logp[t], ref_logp[t], p.kl_estimator);
            const float v = values[t];
            const float a = math::gae_step(action, r, v, gamma, gamma_lambda, next_value, last_gae);
            advantages[t] = action ? a : 0.0f;
            returns[t] = action ? a + v : 0.0f;
        }
    }
}

void masked_whiten_cpu(float * x, const uint8_t * mask, int64_t n, float eps) noexcept {
    // Two scalars in double: the sums over ~1e6 floats must not lose the mean.
    double sum = 0.0, sum_sq = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
        const bool m = mask == nullptr || mask[i] != 0;
        const double v = m ? static_cast<double>(x[i]) : 0.0;
        sum += v;
        sum_sq += v * v;
        count += m ? 1 : 0;
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
        const bool m = mask == nullptr || mask[i] != 0;
        x[i] = m ? (x[i] - meanf) * rstd : 0.0f;
    }
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
