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

}  // namespace hp
