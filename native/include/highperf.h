/* highperf.h — the C ABI of HighPerf's native kernel core.
 *
 * Conventions (read like llama.h):
 *  - Every function returns hp_status (HP_OK == 0) unless it is a pure query; nothing aborts or throws across
 *    this boundary. On failure, hp_last_error() gives a thread-local, human-readable message naming the argument.
 *  - Arrays are caller-owned and described by (pointer, count). Ragged batches use an offsets array of
 *    n_seq + 1 non-decreasing int32 values, offsets[0] == 0, offsets[n_seq] == n_tokens.
 *  - Optional arrays are marked "nullable"; every other pointer must be non-null when its count is > 0.
 *  - NaN policy: NaN in float *data* propagates to the outputs computed from it and never crashes; NaN or
 *    out-of-range *parameters* (gamma, lambda, temperature, ...) are rejected with HP_ERR_INVALID_ARGUMENT.
 *    Index data (offsets, token ids, next indices, utterance ids, sequence ids) is always validated.
 *  - hp_* functions run on the CPU (single thread, SIMD dispatched at run time). hp_cuda_* functions have the
 *    same contract, take host pointers and copy to/from the device; *_dev variants take device pointers.
 *    In a build without CUDA they return HP_ERR_UNSUPPORTED.
 */
#ifndef HIGHPERF_H
#define HIGHPERF_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  define HP_API __declspec(dllexport)
#else
#  define HP_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hp_status {
    HP_OK = 0,
    HP_ERR_INVALID_ARGUMENT = 1, /* a null pointer, a bad length, an out-of-range value */
    HP_ERR_OUT_OF_MEMORY = 2,
    HP_ERR_UNSUPPORTED = 3,      /* e.g. a CUDA call in a build or on a machine without CUDA */
    HP_ERR_CUDA = 4,             /* a CUDA runtime error; the message names it */
    HP_ERR_INTERNAL = 5,         /* an unexpected exception caught at the boundary */
} hp_status;

/* Library version as "MAJOR.MINOR.PATCH"; static storage. */
HP_API const char * hp_version(void);

/* The message of the last failed call on this thread ("" if none); valid until the next failing call. */
HP_API const char * hp_last_error(void);

/* Non-zero when this build contains the CUDA kernels and a CUDA device is usable. */
HP_API int hp_cuda_available(void);

/* Which SIMD path the CPU kernels use on this machine: "avx512", "avx2" or "scalar"; static storage. */
HP_API const char * hp_cpu_isa(void);

/* ---------------------------------------------------------------------------------------------------------
 * (a) Token-level advantages
 * ------------------------------------------------------------------------------------------------------- */

typedef enum hp_kl_estimator {
    HP_KL_NONE = 0,
    HP_KL_K1 = 1, /* k1 = d,                 d = clamp(logp - ref_logp, -20, 20) */
    HP_KL_K2 = 2, /* k2 = d^2 / 2 */
    HP_KL_K3 = 3, /* k3 = clamp(exp(-d) + d - 1, -10, 10)   (verl's low_var_kl clamps) */
} hp_kl_estimator;

typedef struct hp_gae_params {
    float gamma;          /* discount per action token, in [0, 1] */
    float lambda;         /* GAE lambda, in [0, 1] */
    float kl_coef;        /* beta >= 0 of the shaped reward r_t - beta * KL_t (ignored when kl_estimator == NONE) */
    int32_t kl_estimator; /* hp_kl_estimator */
    int32_t whiten;       /* non-zero: whiten advantages over all action tokens of the batch */
    float whiten_eps;     /* > 0; A <- (A - mean) / sqrt(var + eps), var Bessel-corrected when N > 1 */
} hp_gae_params;

/* GAE over a ragged batch with verl's multi-turn carry: observation tokens (action_mask 0) are skipped, the next
 * value and running GAE carry across them; returns = A + V (before whitening); obs-token outputs are 0.
 * dones: uint8[n_seq]; bootstrap_values (nullable): float[n_seq], the terminal bootstrap is V_boot * (1 - done).
 * logp/ref_logp: needed when params.kl_estimator != NONE (may be null otherwise). Rewards on obs tokens are ignored. */
HP_API hp_status hp_gae(const int32_t * offsets, int32_t n_seq, int64_t n_tokens,
                        const float * rewards, const float * values, const uint8_t * action_mask,
                        const uint8_t * dones, const float * bootstrap_values,
                        const float * logp, const float * ref_logp, hp_gae_params params,
                        float * advantages, float * returns);

/* Per-token KL estimate (see hp_kl_estimator) of logp against ref_logp into out[n]. */
HP_API hp_status hp_kl_penalty(const float * logp, const float * ref_logp, int64_t n, int32_t estimator, float * out);

/* In-place masked whitening: x <- (x - mean) / sqrt(var + eps) over mask != 0 (mask nullable = all); masked-out
 * entries are set to 0. Variance is Bessel-corrected (N / (N - 1)) when N > 1, 0 when N == 1; N == 0 zeroes x. */
HP_API hp_status hp_masked_whiten(float * x, const uint8_t * mask, int64_t n, float eps);

/* Utterance advantage A_u = min(q1, q2) - min(v1, v2) (q2, v2 nullable: single head), into out[n_utt]. */
HP_API hp_status hp_utterance_advantage(const float * q1, const float * q2, const float * v1, const float * v2,
                                        int64_t n_utt, float * out);

/* Broadcast one value per utterance to its tokens: out[t] = utt_values[utt_index[t]], 0 where utt_index[t] == -1;
 * utt_index values must lie in [-1, n_utt). */
HP_API hp_status hp_broadcast_utterance(const float * utt_values, int64_t n_utt, const int32_t * utt_index,
                                        int64_t n_tokens, float * out);

/* PPO-clip per-token weight: ratio = exp(new_logp - old_logp); w = A * ratio where the clipped objective is not
 * binding, 0 where it is (A > 0 and ratio > 1 + eps, or A < 0 and ratio < 1 - eps) and where mask == 0.
 * mask and ratio_out nullable; clip_eps in [0, 1). */
HP_API hp_status hp_ppo_clip_weights(const float * advantages, const float * new_logp, const float * old_logp,
                                     const uint8_t * mask, int64_t n, float clip_eps, float * weights,
                                     float * ratio_out);

/* ---------------------------------------------------------------------------------------------------------
 * (b) Bellman backups
 * ------------------------------------------------------------------------------------------------------- */

/* TD targets over transitions: y_i = r_i + gamma * (1 - done_i) * Vbar(next_index[i]), Vbar = min(next_v1, next_v2)
 * (next_v2 nullable); next_index[i] == -1 means no successor (y_i = r_i). next_index in [-1, n_values). */
HP_API hp_status hp_td_targets(const float * rewards, const uint8_t * dones, const int32_t * next_index, int64_t n,
                               const float * next_v1, const float * next_v2, int64_t n_values, float gamma,
                               float * targets);

/* For every action token, the index of the next action token of the same sequence, -1 for the last one and for
 * observation tokens (LMRL-Gym section 4.4 "next state"). */
HP_API hp_status hp_next_action_index(const int32_t * offsets, int32_t n_seq, int64_t n_tokens,
                                      const uint8_t * action_mask, int32_t * next_index);

/* Ragged token-level TD targets: for action token t, y_t = r_t + gamma * Vbar(next action token); for the last action
 * token of sequence s, y_t = r_t + gamma * (1 - done_s) * bootstrap_s (bootstrap nullable = 0); obs tokens get 0.
 * Vbar = min(v1, v2) with v2 nullable. */
HP_API hp_status hp_td_targets_ragged(const int32_t * offsets, int32_t n_seq, int64_t n_tokens,
                                      const float * rewards, const uint8_t * action_mask,
                                      const float * v1, const float * v2, const uint8_t * dones,
                                      const float * bootstrap_values, float gamma, float * targets);

/* Expectile regression of v toward target over mask (nullable = all): w = tau if target >= v else 1 - tau,
 * loss = sum(w * (target - v)^2 / 2) / max(N, 1); weights (nullable) per element (0 where masked out),
 * grad (nullable) = d loss / d v; loss (non-null) receives the scalar. tau in [0, 1]. */
HP_API hp_status hp_expectile(const float * v, const float * target, const uint8_t * mask, int64_t n, float tau,
                              float * weights, float * grad, float * loss);

/* Discounted Monte-Carlo returns-to-go over action tokens (gamma per action token, observation tokens skipped and
 * given 0; rewards on observation tokens ignored). */
HP_API hp_status hp_mc_returns(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                               const uint8_t * action_mask, float gamma, float * returns);

/* Polyak update in place: target <- (1 - alpha) * target + alpha * online, alpha in [0, 1]. */
HP_API hp_status hp_polyak(float * target, const float * online, int64_t n, float alpha);

/* ---------------------------------------------------------------------------------------------------------
 * (c) Fused vocabulary kernel
 * ------------------------------------------------------------------------------------------------------- */

/* One streaming pass per row of logits [rows x vocab] (row i starts at logits + i * row_stride), on x / temperature:
 * lse = log sum exp(x), entropy = lse - sum softmax(x) * x, logprob = x[label] - lse. Nothing [rows x vocab] is
 * written. labels (nullable unless logprob is requested) in [0, vocab); logprob, entropy, lse nullable.
 * A row of all -inf gives lse = -inf and NaN entropy/logprob. temperature > 0. */
HP_API hp_status hp_vocab_stats(const float * logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                const int32_t * labels, float temperature, float * logprob, float * entropy,
                                float * lse);

/* Value-guided logits for sampling: out = (logits + beta * (q - v_row)) / temperature over [rows x vocab]
 * (contiguous); v (nullable = 0) has one value per row. out may alias logits. temperature > 0. */
HP_API hp_status hp_value_guided_logits(const float * logits, const float * q, const float * v, int64_t rows,
                                        int64_t vocab, float beta, float temperature, float * out);

/* ---------------------------------------------------------------------------------------------------------
 * (d) KV-cache batch planner (pure data; the caller applies the memory ops with llama_memory_seq_rm/_cp and
 *     decodes the batch with llama_decode)
 * ------------------------------------------------------------------------------------------------------- */

enum {
    HP_KV_WANT_ALL_LOGITS = 1, /* flag every scheduled token of the conversation as an output (e.g. scoring) */
};

typedef struct hp_kv_conversation {
    int32_t seq_id;            /* the KV sequence this conversation owns, in [0, n_seq_max), unique */
    int32_t n_past;            /* tokens already in its KV cache = position of its next token */
    const int32_t * pending;   /* tokens waiting to be decoded (nullable when n_pending == 0) */
    int32_t n_pending;
    int32_t fork_parent;       /* -1, or a seq id: copy [0, base) of that sequence into seq_id first */
    int32_t rollback_to;       /* -1, or a position in [0, n_past]: drop KV from there (seq_rm) first */
    int32_t flags;             /* HP_KV_* */
} hp_kv_conversation;

typedef enum hp_kv_op_kind { HP_KV_OP_SEQ_RM = 0, HP_KV_OP_SEQ_CP = 1 } hp_kv_op_kind;

typedef struct hp_kv_op {
    int32_t kind;    /* hp_kv_op_kind */
    int32_t src_seq; /* SEQ_CP source; -1 for SEQ_RM */
    int32_t dst_seq; /* the sequence removed from / copied into */
    int32_t p0;      /* positions [p0, p1); p1 == -1 means to the end */
    int32_t p1;
} hp_kv_op;

typedef struct hp_kv_batch {
    /* capacity n_batch each: */
    int32_t * token; int32_t * pos; int32_t * seq_id; int8_t * logits;
    /* capacity n_batch each: output row r -> conversation index and batch index of the token */
    int32_t * out_conv; int32_t * out_index;
    /* capacity n_conv each: tokens taken from each conversation, and its n_past after this batch */
    int32_t * n_scheduled; int32_t * new_n_past;
    hp_kv_op * ops;  /* capacity 2 * n_conv */
    int32_t n_tokens, n_outputs, n_ops; /* written by the planner */
} hp_kv_batch;

/* Packs pending tokens of conversations into one batch of at most n_batch tokens and n_seq_max distinct sequences,
 * visiting conversations round-robin from *cursor (updated for the next call, so none starves); a conversation that
 * does not fit keeps its remaining tokens pending. The last pending token of a conversation, when scheduled, is an
 * output. Every fork/rollback request in the input yields its ops (in conversation order; apply them before
 * decoding; for a fork: SEQ_RM(dst, 0, -1) then SEQ_CP(parent, dst, 0, base), base = rollback_to if set else
 * n_past), whether or not tokens were scheduled; clear the requests after applying. */
HP_API hp_status hp_kv_plan(const hp_kv_conversation * conversations, int32_t n_conv, int32_t n_batch,
                            int32_t n_seq_max, int32_t * cursor, hp_kv_batch * batch);

/* ---------------------------------------------------------------------------------------------------------
 * CUDA variants (host pointers, copy in/out; same contracts as the CPU functions above)
 * ------------------------------------------------------------------------------------------------------- */

HP_API hp_status hp_cuda_gae(const int32_t * offsets, int32_t n_seq, int64_t n_tokens,
                             const float * rewards, const float * values, const uint8_t * action_mask,
                             const uint8_t * dones, const float * bootstrap_values,
                             const float * logp, const float * ref_logp, hp_gae_params params,
                             float * advantages, float * returns);
HP_API hp_status hp_cuda_broadcast_utterance(const float * utt_values, int64_t n_utt, const int32_t * utt_index,
                                             int64_t n_tokens, float * out);
HP_API hp_status hp_cuda_ppo_clip_weights(const float * advantages, const float * new_logp, const float * old_logp,
                                          const uint8_t * mask, int64_t n, float clip_eps, float * weights,
                                          float * ratio_out);
HP_API hp_status hp_cuda_td_targets(const float * rewards, const uint8_t * dones, const int32_t * next_index,
                                    int64_t n, const float * next_v1, const float * next_v2, int64_t n_values,
                                    float gamma, float * targets);
HP_API hp_status hp_cuda_mc_returns(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                                    const uint8_t * action_mask, float gamma, float * returns);
HP_API hp_status hp_cuda_polyak(float * target, const float * online, int64_t n, float alpha);
HP_API hp_status hp_cuda_vocab_stats(const float * logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                     const int32_t * labels, float temperature, float * logprob, float * entropy,
                                     float * lse);
HP_API hp_status hp_cuda_value_guided_logits(const float * logits, const float * q, const float * v, int64_t rows,
                                             int64_t vocab, float beta, float temperature, float * out);

/* Device-pointer variants (no copies; labels are validated on the device, an out-of-range label gives NaN). */
HP_API hp_status hp_cuda_vocab_stats_dev(const float * d_logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                         const int32_t * d_labels, float temperature, float * d_logprob,
                                         float * d_entropy, float * d_lse);
HP_API hp_status hp_cuda_polyak_dev(float * d_target, const float * d_online, int64_t n, float alpha);

#ifdef __cplusplus
}
#endif

#endif /* HIGHPERF_H */
