// Argument validation shared by the CPU entry points and the CUDA host wrappers: each check records a message
// naming the argument and returns HP_ERR_INVALID_ARGUMENT, so nothing bad ever reaches a kernel.
#pragma once

#include "highperf.h"
#include "status.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace hp {

#define HP_CHECK(expr)                          \
    do {                                        \
        const hp_status hp_check_s_ = (expr);   \
        if (hp_check_s_ != HP_OK) return hp_check_s_; \
    } while (0)

inline hp_status invalid(const std::string & message) noexcept { return fail(HP_ERR_INVALID_ARGUMENT, message); }

inline hp_status check_ptr(const void * p, int64_t count, const char * name) noexcept {
    if (p == nullptr && count > 0) return invalid(std::string(name) + " must not be null");
    return HP_OK;
}

inline hp_status check_len(int64_t n, const char * name) noexcept {
    if (n < 0) return invalid(std::string(name) + " must be >= 0 (got " + std::to_string(n) + ")");
    return HP_OK;
}

// A probability-like parameter in [lo, hi]; NaN fails the comparison and is rejected.
inline hp_status check_range(float x, float lo, float hi, const char * name) noexcept {
    if (!(x >= lo && x <= hi))
        return invalid(std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                       "] (got " + std::to_string(x) + ")");
    return HP_OK;
}

inline hp_status check_positive(float x, const char * name) noexcept {
    if (!(x > 0.0f) || std::isinf(x))
        return invalid(std::string(name) + " must be finite and > 0 (got " + std::to_string(x) + ")");
    return HP_OK;
}

inline hp_status check_finite(float x, const char * name) noexcept {
    if (!std::isfinite(x)) return invalid(std::string(name) + " must be finite (got " + std::to_string(x) + ")");
    return HP_OK;
}

// offsets: int32[n_seq + 1], offsets[0] == 0, non-decreasing, offsets[n_seq] == n_tokens.
inline hp_status check_offsets(const int32_t * offsets, int32_t n_seq, int64_t n_tokens) noexcept {
    if (n_seq < 0) return invalid("n_seq must be >= 0 (got " + std::to_string(n_seq) + ")");
    HP_CHECK(check_len(n_tokens, "n_tokens"));
    if (offsets == nullptr) return invalid("offsets must not be null (it has n_seq + 1 entries)");
    if (offsets[0] != 0) return invalid("offsets[0] must be 0 (got " + std::to_string(offsets[0]) + ")");
    for (int32_t i = 0; i < n_seq; ++i) {
        if (offsets[i + 1] < offsets[i])
            return invalid("offsets must be non-decreasing (offsets[" + std::to_string(i + 1) + "] = " +
                           std::to_string(offsets[i + 1]) + " < offsets[" + std::to_string(i) + "] = " +
                           std::to_string(offsets[i]) + ")");
    }
    if (static_cast<int64_t>(offsets[n_seq]) != n_tokens)
        return invalid("offsets[n_seq] must equal n_tokens (" + std::to_string(offsets[n_seq]) + " != " +
                       std::to_string(n_tokens) + ")");
    return HP_OK;
}

inline hp_status check_estimator(int32_t estimator) noexcept {
    if (estimator < HP_KL_NONE || estimator > HP_KL_K3)
        return invalid("kl_estimator must be 0 (none), 1 (k1), 2 (k2) or 3 (k3) (got " + std::to_string(estimator) + ")");
    return HP_OK;
}

inline hp_status check_gae_params(const hp_gae_params & p) noexcept {
    HP_CHECK(check_range(p.gamma, 0.0f, 1.0f, "params.gamma"));
    HP_CHECK(check_range(p.lambda, 0.0f, 1.0f, "params.lambda"));
    HP_CHECK(check_estimator(p.kl_estimator));
    if (p.kl_estimator != HP_KL_NONE && !(p.kl_coef >= 0.0f && std::isfinite(p.kl_coef)))
        return invalid("params.kl_coef must be finite and >= 0 (got " + std::to_string(p.kl_coef) + ")");
    if (p.whiten != 0) HP_CHECK(check_positive(p.whiten_eps, "params.whiten_eps"));
    return HP_OK;
}

// Everything hp_gae / hp_cuda_gae need before touching memory.
inline hp_status check_gae_args(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                                const float * values, const uint8_t * action_mask, const uint8_t * dones,
                                const float * logp, const float * ref_logp, const hp_gae_params & params,
                                const float * advantages, const float * returns) noexcept {
    HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
    HP_CHECK(check_gae_params(params));
    HP_CHECK(check_ptr(rewards, n_tokens, "rewards"));
    HP_CHECK(check_ptr(values, n_tokens, "values"));
    HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
    HP_CHECK(check_ptr(dones, n_seq, "dones"));
    if (params.kl_estimator != HP_KL_NONE) {
        HP_CHECK(check_ptr(logp, n_tokens, "logp"));
        HP_CHECK(check_ptr(ref_logp, n_tokens, "ref_logp"));
    }
    HP_CHECK(check_ptr(advantages, n_tokens, "advantages"));
    HP_CHECK(check_ptr(returns, n_tokens, "returns"));
    return HP_OK;
}

inline hp_status check_index_array(const int32_t * idx, int64_t n, int64_t n_values, const char * name) noexcept {
    HP_CHECK(check_ptr(idx, n, name));
    for (int64_t i = 0; i < n; ++i) {
        if (idx[i] < -1 || idx[i] >= n_values)
            return invalid(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(idx[i]) +
                           " is outside [-1, " + std::to_string(n_values) + ")");
    }
    return HP_OK;
}

// Everything hp_broadcast_utterance / hp_cuda_broadcast_utterance need.
inline hp_status check_broadcast_args(const float * utt_values, int64_t n_utt, const int32_t * utt_index,
                                      int64_t n_tokens, const float * out) noexcept {
    HP_CHECK(check_len(n_utt, "n_utt"));
    HP_CHECK(check_len(n_tokens, "n_tokens"));
    HP_CHECK(check_ptr(utt_values, n_utt, "utt_values"));
    HP_CHECK(check_index_array(utt_index, n_tokens, n_utt, "utt_index"));
    HP_CHECK(check_ptr(out, n_tokens, "out"));
    return HP_OK;
}

// Everything hp_ppo_clip_weights / hp_cuda_ppo_clip_weights need (mask and ratio_out are optional).
inline hp_status check_ppo_clip_args(const float * advantages, const float * new_logp, const float * old_logp,
                                     int64_t n, float clip_eps, const float * weights) noexcept {
    HP_CHECK(check_len(n, "n"));
    HP_CHECK(check_ptr(advantages, n, "advantages"));
    HP_CHECK(check_ptr(new_logp, n, "new_logp"));
    HP_CHECK(check_ptr(old_logp, n, "old_logp"));
    HP_CHECK(check_ptr(weights, n, "weights"));
    if (!(clip_eps >= 0.0f && clip_eps < 1.0f))
        return invalid("clip_eps must be in [0, 1) (got " + std::to_string(clip_eps) + ")");
    return HP_OK;
}

// Everything hp_td_targets / hp_cuda_td_targets need (next_v2 is optional).
inline hp_status check_td_targets_args(const float * rewards, const uint8_t * dones, const int32_t * next_index,
                                       int64_t n, const float * next_v1, int64_t n_values, float gamma,
                                       const float * targets) noexcept {
    HP_CHECK(check_len(n, "n"));
    HP_CHECK(check_len(n_values, "n_values"));
    HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
    HP_CHECK(check_ptr(rewards, n, "rewards"));
    HP_CHECK(check_ptr(dones, n, "dones"));
    HP_CHECK(check_index_array(next_index, n, n_values, "next_index"));
    HP_CHECK(check_ptr(next_v1, n_values, "next_v1"));
    HP_CHECK(check_ptr(targets, n, "targets"));
    return HP_OK;
}

// Everything hp_mc_returns / hp_cuda_mc_returns need.
inline hp_status check_mc_returns_args(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                                       const uint8_t * action_mask, float gamma, const float * returns) noexcept {
    HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
    HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
    HP_CHECK(check_ptr(rewards, n_tokens, "rewards"));
    HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
    HP_CHECK(check_ptr(returns, n_tokens, "returns"));
    return HP_OK;
}

// hp_polyak / hp_cuda_polyak / hp_cuda_polyak_dev; the names differ for the device-pointer variant.
inline hp_status check_polyak_args(const float * target, const float * online, int64_t n, float alpha,
                                   const char * target_name = "target", const char * online_name = "online") noexcept {
    HP_CHECK(check_len(n, "n"));
    HP_CHECK(check_range(alpha, 0.0f, 1.0f, "alpha"));
    HP_CHECK(check_ptr(target, n, target_name));
    HP_CHECK(check_ptr(online, n, online_name));
    return HP_OK;
}

inline hp_status check_vocab_args(const float * logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                  const int32_t * labels, float temperature, const float * logprob) noexcept {
    HP_CHECK(check_len(rows, "rows"));
    if (vocab <= 0) return invalid("vocab must be > 0 (got " + std::to_string(vocab) + ")");
    if (vocab > INT32_MAX) return invalid("vocab must fit in int32 (got " + std::to_string(vocab) + ")");
    if (row_stride < vocab)
        return invalid("row_stride must be >= vocab (" + std::to_string(row_stride) + " < " + std::to_string(vocab) + ")");
    HP_CHECK(check_ptr(logits, rows, "logits"));
    HP_CHECK(check_positive(temperature, "temperature"));
    if (logprob != nullptr && labels == nullptr && rows > 0) return invalid("labels must not be null when logprob is requested");
    if (labels != nullptr) {
        for (int64_t i = 0; i < rows; ++i) {
            if (labels[i] < 0 || labels[i] >= vocab)
                return invalid("labels[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                               " is outside [0, " + std::to_string(vocab) + ")");
        }
    }
    return HP_OK;
}

// Everything hp_value_guided_logits / hp_cuda_value_guided_logits need (v is optional).
inline hp_status check_value_guided_args(const float * logits, const float * q, int64_t rows, int64_t vocab, float beta,
                                         float temperature, const float * out) noexcept {
    HP_CHECK(check_len(rows, "rows"));
    HP_CHECK(check_len(vocab, "vocab"));
    HP_CHECK(check_finite(beta, "beta"));
    HP_CHECK(check_positive(temperature, "temperature"));
    const int64_t n = rows * vocab;
    HP_CHECK(check_ptr(logits, n, "logits"));
    HP_CHECK(check_ptr(q, n, "q"));
    HP_CHECK(check_ptr(out, n, "out"));
    return HP_OK;
}

}  // namespace hp
