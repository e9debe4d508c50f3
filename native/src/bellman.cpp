// (b) Bellman backups on the CPU: TD targets (indexed and ragged "next action token"), expectile regression,
// Monte-Carlo returns-to-go and Polyak averaging. The per-element math lives in kernel_math.hpp.
#include "cpu_level.hpp"
#include "kernel_math.hpp"
#include "validate.hpp"

using namespace hp;

namespace {

// Hot loops are always_inline bodies instantiated for AVX-512 / AVX2+FMA / baseline (explicit run-time dispatch):
// with AVX the selects become blends instead of branches, which random action masks would mispredict.
#define HP_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__)
#  define HP_DISPATCH(name, params, args)                                                          \
    __attribute__((target("arch=x86-64-v4"))) void name##_v4 params noexcept { name##_body args; } \
    __attribute__((target("arch=x86-64-v3"))) void name##_v3 params noexcept { name##_body args; } \
    void name params noexcept {                                                                    \
        switch (cpu_level()) {                                                                     \
            case CpuLevel::Avx512: return name##_v4 args;                                          \
            case CpuLevel::Avx2: return name##_v3 args;                                            \
            default: return name##_body args;                                                      \
        }                                                                                          \
    }
#else
#  define HP_DISPATCH(name, params, args) void name params noexcept { name##_body args; }
#endif

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

}  // extern "C"

namespace {

HP_INLINE void td_ragged_body(const int32_t * offsets, int32_t n_seq, const float * rewards, const uint8_t * action_mask,
                              const float * v1, const float * v2, const uint8_t * dones, const float * bootstrap_values,
                              float gamma, float * targets) {
    for (int32_t s = 0; s < n_seq; ++s) {
        // V(s') of the last action token: the end state's value times (1 - done).
        float next_v = (bootstrap_values != nullptr && dones[s] == 0) ? bootstrap_values[s] : 0.0f;
        for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
            const bool action = action_mask[t] != 0;
            const float y = math::td_target(rewards[t], false, next_v, gamma);
            targets[t] = action ? y : 0.0f;
            const float vb = v2 != nullptr ? math::min_nan(v1[t], v2[t]) : v1[t];
            next_v = action ? vb : next_v;
        }
    }
}
HP_DISPATCH(td_ragged, (const int32_t * offsets, int32_t n_seq, const float * rewards, const uint8_t * action_mask,
                        const float * v1, const float * v2, const uint8_t * dones, const float * bootstrap_values,
                        float gamma, float * targets),
            (offsets, n_seq, rewards, action_mask, v1, v2, dones, bootstrap_values, gamma, targets))

HP_INLINE void mc_body(const int32_t * offsets, int32_t n_seq, const float * rewards, const uint8_t * action_mask,
                       float gamma, float * returns) {
    for (int32_t s = 0; s < n_seq; ++s) {
        float running = 0.0f;
        for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
            const bool action = action_mask[t] != 0;
            const float g = math::mc_step(action, rewards[t], gamma, running);
            returns[t] = action ? g : 0.0f;
        }
    }
}
HP_DISPATCH(mc, (const int32_t * offsets, int32_t n_seq, const float * rewards, const uint8_t * action_mask, float gamma,
                 float * returns),
            (offsets, n_seq, rewards, action_mask, gamma, returns))

// Expectile: per-element weight/grad are branch-free selects; the loss is summed in float lanes per block of 256
// and in double across blocks (a scalar double chain per element was the bottleneck).
template <bool HasMask>
HP_INLINE void expectile_impl(const float * v, const float * target, const uint8_t * mask, int64_t n, float tau,
                              float * weights, float * grad, float * loss) {
    constexpr int kLanes = 16, kBlock = 256;
    int64_t count = 0;
    if (HasMask) {
        for (int64_t i = 0; i < n; ++i) count += mask[i] != 0 ? 1 : 0;
    } else {
        count = n;
    }
    const float inv_n = static_cast<float>(1.0 / static_cast<double>(count > 0 ? count : 1));
    double total = 0.0;
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
        const int64_t len = (n - b0) < kBlock ? (n - b0) : kBlock;
        float acc[kLanes] = {};
        // Element k = b0 + i + j lands in lane j: the inner loop over j vectorizes.
        auto step = [&](int64_t k, int j) {
            const bool m = !HasMask || mask[k] != 0;
            // L = sum w * (y - v)^2 / 2 / N,  dL/dv = -w * (y - v) / N.
            const float diff = target[k] - v[k];
            const float w = m ? math::expectile_weight(target[k], v[k], tau) : 0.0f;
            acc[j] += m ? w * 0.5f * diff * diff : 0.0f;
            if (weights != nullptr) weights[k] = w;
            if (grad != nullptr) grad[k] = m ? -w * diff * inv_n : 0.0f;
        };
        int64_t i = 0;
        for (; i + kLanes <= len; i += kLanes)
            for (int j = 0; j < kLanes; ++j) step(b0 + i + j, j);
        for (; i < len; ++i) step(b0 + i, 0);
        float block = 0.0f;
        for (int j = 0; j < kLanes; ++j) block += acc[j];
        total += block;
    }
    *loss = static_cast<float>(total / static_cast<double>(count > 0 ? count : 1));
}

HP_INLINE void expectile_body(const float * v, const float * target, const uint8_t * mask, int64_t n, float tau,
                              float * weights, float * grad, float * loss) {
    if (mask != nullptr) expectile_impl<true>(v, target, mask, n, tau, weights, grad, loss);
    else expectile_impl<false>(v, target, mask, n, tau, weights, grad, loss);
}
HP_DISPATCH(expectile, (const float * v, const float * target, const uint8_t * mask, int64_t n, float tau,
                        float * weights, float * grad, float * loss),
            (v, target, mask, n, tau, weights, grad, loss))

HP_INLINE void polyak_cpu_body(float * target, const float * online, int64_t n, float alpha) {
    for (int64_t i = 0; i < n; ++i) target[i] = math::polyak(target[i], online[i], alpha);
}
HP_DISPATCH(polyak_cpu, (float * target, const float * online, int64_t n, float alpha), (target, online, n, alpha))

}  // namespace

extern "C" {

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
        td_ragged(offsets, n_seq, rewards, action_mask, v1, v2, dones, bootstrap_values, gamma, targets);
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
        expectile(v, target, mask, n, tau, weights, grad, loss);
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
        mc(offsets, n_seq, rewards, action_mask, gamma, returns);
        return HP_OK;
    });
}

HP_API hp_status hp_polyak(float * target, const float * online, int64_t n, float alpha) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_range(alpha, 0.0f, 1.0f, "alpha"));
        HP_CHECK(check_ptr(target, n, "target"));
        HP_CHECK(check_ptr(online, n, "online"));
        // A plain lerp loop, vectorized per ISA; bandwidth-bound at 12 B/param.
        polyak_cpu(target, online, n, alpha);
        return HP_OK;
    });
}

}  // extern "C"
