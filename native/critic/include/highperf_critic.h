/* highperf_critic.h — token-level critic heads (ILQL, MC Returns) trained by ggml.
 *
 * The heads read per-token hidden states of a frozen policy LM (DESIGN D4). One critic holds
 *   - n_q online Q heads   Q_i(s, ·) = W2_i · relu(W1_i · h + b1_i) + b2_i          (vocabulary logits)
 *   - n_q target Q heads   (Polyak copies of the online ones; only when with_target)
 *   - optionally a V head  V(s)      = w2 · relu(W1_v · h + b1_v) + b2_v            (a scalar)
 * The second layer of every head starts at zero (LMRL-Gym), so Q ≡ V ≡ 0 at initialisation.
 *
 * Rows are compacted action tokens: row r holds the hidden state h_r of the state s_r that precedes the
 * action token tokens[r]. One training step minimises, with ggml's autodiff (ggml_build_backward_expand)
 * and ggml's AdamW op (ggml_opt_step_adamw):
 *   L = Σ_i Σ_r qw_r · ½ (Q_i(s_r, a_r) − y_r)²              (TD or Monte-Carlo targets y, stop-grad)
 *     + Σ_r vw_r · ½ (V(s_r) − t_r)²                          (expectile weights folded into vw, stop-grad)
 *     + cql · Σ_i mean_r CE(softmax(Q_i(s_r, ·)), a_r)         (the "CQL" cross-entropy term)
 * Targets and weights come from the caller (the Bellman-backup kernels of libhighperf); Polyak averaging is
 * done by the caller on the tensors exposed by hpc_critic_tensor (the kernels' lerp), so this library owns
 * only what needs a tensor engine: forward passes, gradients and the optimiser.
 *
 * Conventions as in highperf.h: every function returns 0 on success or a non-zero hpc status; nothing aborts
 * across this boundary for invalid arguments; hpc_last_error() holds a thread-local message.
 * Row-major host arrays: x is [n, n_embd]; logits are [n, n_vocab].
 */
#ifndef HIGHPERF_CRITIC_H
#define HIGHPERF_CRITIC_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  define HPC_API __declspec(dllexport)
#else
#  define HPC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum {
    HPC_OK = 0,
    HPC_ERR_INVALID_ARGUMENT = 1,
    HPC_ERR_OUT_OF_MEMORY = 2,
    HPC_ERR_IO = 3,
    HPC_ERR_INTERNAL = 5,
};

typedef struct hpc_critic hpc_critic;

typedef struct hpc_critic_config {
    int32_t  n_embd;      /* input feature size (the LM's hidden size) */
    int32_t  n_hidden;    /* MLP hidden size */
    int32_t  n_vocab;     /* Q head output size */
    int32_t  n_q;         /* number of Q heads: 1 (MC Returns) or 2 (ILQL, double Q) */
    int32_t  with_v;      /* 1: a V head */
    int32_t  with_target; /* 1: target copies of the Q heads */
    int32_t  n_threads;   /* ggml CPU threads; results are deterministic for a fixed value */
    int32_t  reserved;
    uint64_t seed;        /* initialisation seed */
} hpc_critic_config;

typedef struct hpc_adamw_params {
    float lr, beta1, beta2, eps, wd;
} hpc_adamw_params;

typedef struct hpc_train_batch {
    const float   * x;         /* [n, n_embd] hidden states of the states s_r */
    int64_t         n;         /* rows */
    const int32_t * tokens;    /* [n] action tokens a_r */
    const float   * q_target;  /* [n] y_r */
    const float   * q_weight;  /* [n] qw_r (usually 1/n) */
    const float   * v_target;  /* [n] t_r; NULL when the critic has no V head */
    const float   * v_weight;  /* [n] vw_r; NULL when the critic has no V head */
    float           cql_weight;/* weight of the cross-entropy term (0 disables it) */
} hpc_train_batch;

typedef struct hpc_loss_parts {
    float total;
    float q[2];   /* Σ qw ½(Q_i − y)² per head */
    float v;      /* Σ vw ½(V − t)² */
    float ce[2];  /* mean cross-entropy per head (before cql_weight) */
} hpc_loss_parts;

/* Tensor kinds returned by hpc_critic_tensor. */
enum { HPC_TENSOR_ONLINE = 0, HPC_TENSOR_TARGET = 1, HPC_TENSOR_ADAM_M = 2, HPC_TENSOR_ADAM_V = 3 };

HPC_API const char * hpc_last_error(void);

HPC_API int  hpc_critic_create(const hpc_critic_config * config, hpc_critic ** out);
HPC_API void hpc_critic_free(hpc_critic * critic);
HPC_API int  hpc_critic_get_config(const hpc_critic * critic, hpc_critic_config * out);
HPC_API int64_t hpc_critic_step_count(const hpc_critic * critic);
HPC_API int  hpc_critic_set_threads(hpc_critic * critic, int32_t n_threads);

/* Forward pass without gradients. Any output may be NULL.
 *   q  [n, n_q]  online Q_i(s_r, tokens[r]);  tq [n, n_q] target Q_i(s_r, tokens[r]) (needs with_target);
 *   v  [n]       V(s_r) (needs with_v).  tokens may be NULL when q and tq are NULL. */
HPC_API int hpc_critic_evaluate(hpc_critic * critic, const float * x, int64_t n, const int32_t * tokens,
                                float * q, float * tq, float * v);

/* Full Q logits for decoding: head 0..n_q-1 = that online head, -1 = elementwise min over the online heads.
 * logits [n, n_vocab]; v [n] optional (needs with_v). */
HPC_API int hpc_critic_q_logits(hpc_critic * critic, const float * x, int64_t n, int32_t head,
                                float * logits, float * v);

/* One AdamW step on the loss above; parts may be NULL. */
HPC_API int hpc_critic_train_step(hpc_critic * critic, const hpc_train_batch * batch,
                                  const hpc_adamw_params * adamw, hpc_loss_parts * parts);

/* Parameter tensors, in a fixed order: index i in [0, hpc_critic_n_params) names an online parameter;
 * kind selects it, its target twin (Q heads only; NULL data otherwise) or its AdamW moments.
 * data points into the critic's own memory (valid until free/load); n = element count. */
HPC_API int32_t hpc_critic_n_params(const hpc_critic * critic);
HPC_API int hpc_critic_tensor(hpc_critic * critic, int32_t index, int32_t kind,
                              const char ** name, float ** data, int64_t * n);

/* GGUF checkpoint of every tensor (online, target, AdamW moments) plus config and step count.
 * Written to path + ".tmp", flushed and renamed, so a crash never leaves a partial file. */
HPC_API int hpc_critic_save(const hpc_critic * critic, const char * path);
HPC_API int hpc_critic_load(const char * path, int32_t n_threads, hpc_critic ** out);

#ifdef __cplusplus
}
#endif

#endif /* HIGHPERF_CRITIC_H */
