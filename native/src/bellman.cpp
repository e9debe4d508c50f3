// (b) Bellman backups on the CPU: TD targets (indexed and ragged "next action token"), expectile regression,
// Monte-Carlo returns-to-go and Polyak averaging. The per-element math lives in kernel_math.hpp.
#include "kernel_math.hpp"
#include "validate.hpp"

using namespace hp;

namespace {

// Vbar(s') of a double-Q target: min over the two heads when the second is given.
inline float vbar(const float * v1, const float * v2, int64_t i) {
    return v2 != nullptr ? math::min_nan(v1[i], v2[i]) : v1[i];
}

}  // namespace

extern "C" {

HP_API hp_status hp_td_targets(const float * rewards, const uint8_t * dones, const int32_t * next_index, int64_t n,
                               const float * next_v1, const float * next_v2, int64_t n_values, float gamma,
                               float * targets) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_len(n_values, "n_values"));
        HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
        HP_CHECK(check_ptr(rewards, n, "rewards"));
        HP_CHECK(check_ptr(dones, n, "dones"));
        HP_CHECK(check_index_array(next_index, n, n_values, "next_index"));
        HP_CHECK(check_ptr(next_v1, n_values, "next_v1"));
        HP_CHECK(check_ptr(targets, n, "targets"));
        for (int64_t i = 0; i < n; ++i) {
            const int32_t j = next_index[i];
            // No successor (j == -1) behaves like done: y = r.
            targets[i] = math::td_target(rewards[i], dones[i] != 0 || j < 0, j >= 0 ? vbar(next_v1, next_v2, j) : 0.0f,
                                         gamma);
        }
        return HP_OK;
    });
}

HP_API hp_status hp_next_action_index(const int32_t * offsets, int32_t n_seq, int64_t n_tokens,
                                      const uint8_t * action_mask, int32_t * next_index) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
        HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
        HP_CHECK(check_ptr(next_index, n_tokens, "next_index"));
        for (int32_t s = 0; s < n_seq; ++s) {
            int32_t next = -1;  // reverse scan: the nearest action token to the right
            for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
                const bool action = action_mask[t] != 0;
                next_index[t] = action ? next : -1;
                next = action ? t : next;
            }
        }
        return HP_OK;
    });
}

HP_API hp_status hp_td_targets_ragged(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                                      const uint8_t * action_mask, const float * v1, const float * v2,
                                      const uint8_t * dones, const float * bootstrap_values, float gamma,
                                      float * targets) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
        HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
        HP_CHECK(check_ptr(rewards, n_tokens, "rewards"));
        HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
        HP_CHECK(check_ptr(v1, n_tokens, "v1"));
        HP_CHECK(check_ptr(dones, n_seq, "dones"));
        HP_CHECK(check_ptr(targets, n_tokens, "targets"));
        for (int32_t s = 0; s < n_seq; ++s) {
            // V(s') of the last action token: the end state's value times (1 - done).
            float next_v = (bootstrap_values != nullptr && dones[s] == 0) ? bootstrap_values[s] : 0.0f;
            for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
                const bool action = action_mask[t] != 0;
                const float y = math::td_target(rewards[t], false, next_v, gamma);
                targets[t] = action ? y : 0.0f;
                next_v = action ? vbar(v1, v2, t) : next_v;
            }
        }
        return HP_OK;
    });
}

HP_API hp_status hp_expectile(const float * v, const float * target, const uint8_t * mask, int64_t n, float tau,
                              float * weights, float * grad, float * loss) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_range(tau, 0.0f, 1.0f, "tau"));
        HP_CHECK(check_ptr(v, n, "v"));
        HP_CHECK(check_ptr(target, n, "target"));
        if (loss == nullptr) return invalid("loss must not be null");
        int64_t count = 0;
        for (int64_t i = 0; i < n; ++i) count += (mask == nullptr || mask[i] != 0) ? 1 : 0;
        const double inv_n = 1.0 / static_cast<double>(count > 0 ? count : 1);
        double total = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            const bool m = mask == nullptr || mask[i] != 0;
            // L = sum w * (y - v)^2 / 2 / N,  dL/dv = -w * (y - v) / N.
            const float w = m ? math::expectile_weight(target[i], v[i], tau) : 0.0f;
            const float diff = target[i] - v[i];
            if (m) total += static_cast<double>(w) * 0.5 * static_cast<double>(diff) * static_cast<double>(diff);
            if (weights != nullptr) weights[i] = w;
            if (grad != nullptr) grad[i] = m ? static_cast<float>(-static_cast<double>(w) * diff * inv_n) : 0.0f;
        }
        *loss = static_cast<float>(total * inv_n);
        return HP_OK;
    });
}

HP_API hp_status hp_mc_returns(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                               const uint8_t * action_mask, float gamma, float * returns) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
        HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
        HP_CHECK(check_ptr(rewards, n_tokens, "rewards"));
        HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
        HP_CHECK(check_ptr(returns, n_tokens, "returns"));
        for (int32_t s = 0; s < n_seq; ++s) {
            float running = 0.0f;
            for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
                const bool action = action_mask[t] != 0;
                const float g = math::mc_step(action, rewards[t], gamma, running);
                returns[t] = action ? g : 0.0f;
            }
        }
        return HP_OK;
    });
}

HP_API hp_status hp_polyak(float * target, const float * online, int64_t n, float alpha) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_range(alpha, 0.0f, 1.0f, "alpha"));
        HP_CHECK(check_ptr(target, n, "target"));
        HP_CHECK(check_ptr(online, n, "online"));
        // A plain lerp loop: gcc vectorizes it; bandwidth-bound at 12 B/param.
        for (int64_t i = 0; i < n; ++i) target[i] = math::polyak(target[i], online[i], alpha);
        return HP_OK;
    });
}

}  // extern "C"
