// critic.cpp — token-level ILQL / MC Returns heads on ggml (see include/highperf_critic.h for the maths).
//
// Shapes follow ggml: a tensor [ne0, ne1] is ne1 rows of ne0 contiguous floats, so the host layout
// x[n, n_embd] (row-major) is the ggml tensor [n_embd, n] without any copy or transpose.
//   h1     = relu(W1 · x + b1)     W1: [n_embd, n_hidden]   -> [n_hidden, n]
//   logits = W2 · h1 + b2          W2: [n_hidden, n_out]    -> [n_out, n]
// Gradients come from ggml_build_backward_expand; parameters are updated by ggml_opt_step_adamw.
#include "highperf_critic.h"

#include "ggml.h"
#include "ggml-cpu.h"
#include "gguf.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

thread_local std::string g_last_error;

int fail(int code, const std::string & message) {
    g_last_error = message;
    return code;
}

// One two-layer MLP head. Target twins live in `target` (same order) when the critic has them.
struct Head {
    ggml_tensor * w1 = nullptr;
    ggml_tensor * b1 = nullptr;
    ggml_tensor * w2 = nullptr;
    ggml_tensor * b2 = nullptr;
};

// splitmix64: a tiny, portable, seedable generator (std:: distributions differ between standard libraries).
struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // uniform in [-1, 1)
    float uniform_pm1() { return (float) ((double) (next() >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0); }
};

} // namespace

struct hpc_critic {
    hpc_critic_config config{};
    ggml_context * params_ctx = nullptr;
    Head q[2];
    Head tq[2];
    Head v;
    // Flat list of online parameters in a fixed order, with their target twins (or null) and AdamW moments.
    std::vector<ggml_tensor *> online, target, adam_m, adam_v;
    int64_t step = 0;
    std::vector<uint8_t> work; // reusable compute arena

    ~hpc_critic() {
        if (params_ctx) ggml_free(params_ctx);
    }
};

namespace {

bool valid_config(const hpc_critic_config & c, std::string & why) {
    if (c.n_embd <= 0 || c.n_hidden <= 0 || c.n_vocab <= 0) { why = "n_embd, n_hidden and n_vocab must be positive"; return false; }
    if (c.n_q < 1 || c.n_q > 2) { why = "n_q must be 1 or 2"; return false; }
    if (c.with_v != 0 && c.with_v != 1) { why = "with_v must be 0 or 1"; return false; }
    if (c.with_target != 0 && c.with_target != 1) { why = "with_target must be 0 or 1"; return false; }
    if (c.n_threads < 1 || c.n_threads > 256) { why = "n_threads must be in [1, 256]"; return false; }
    const int64_t big = (int64_t) 1 << 31;
    if ((int64_t) c.n_embd * c.n_hidden >= big || (int64_t) c.n_hidden * c.n_vocab >= big) { why = "head too large"; return false; }
    return true;
}

ggml_tensor * new_param(ggml_context * ctx, const char * name, int64_t ne0, int64_t ne1) {
    ggml_tensor * t = ne1 > 1 ? ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ne0, ne1) : ggml_new_tensor_1d(ctx, GGML_TYPE_F32, ne0);
    ggml_set_name(t, name);
    return t;
}

Head make_head(ggml_context * ctx, const std::string & prefix, int64_t n_in, int64_t n_hidden, int64_t n_out) {
    Head h;
    h.w1 = new_param(ctx, (prefix + ".w1").c_str(), n_in, n_hidden);
    h.b1 = new_param(ctx, (prefix + ".b1").c_str(), n_hidden, 1);
    h.w2 = new_param(ctx, (prefix + ".w2").c_str(), n_hidden, n_out);
    h.b2 = new_param(ctx, (prefix + ".b2").c_str(), n_out, 1);
    return h;
}

void push_head(hpc_critic * c, const Head & h, const Head * twin) {
    ggml_tensor * on[4] = {h.w1, h.b1, h.w2, h.b2};
    ggml_tensor * tw[4] = {twin ? twin->w1 : nullptr, twin ? twin->b1 : nullptr, twin ? twin->w2 : nullptr, twin ? twin->b2 : nullptr};
    for (int i = 0; i < 4; ++i) {
        c->online.push_back(on[i]);
        c->target.push_back(tw[i]);
    }
}

// Allocates every tensor (zeroed) in one context; initialisation is done by the caller.
hpc_critic * allocate(const hpc_critic_config & cfg) {
    const int64_t E = cfg.n_embd, H = cfg.n_hidden, V = cfg.n_vocab;
    const int64_t head_q = E * H + H + H * V + V;
    const int64_t head_v = E * H + H + H + 1;
    const int64_t n_online = cfg.n_q * head_q + (cfg.with_v ? head_v : 0);
    const int64_t n_total = n_online * 3 + (cfg.with_target ? cfg.n_q * head_q : 0);
    const int n_tensors = 4 * (cfg.n_q * 4 + 4) + 8; // online, target, AdamW m and v of every head tensor
    ggml_init_params ip{};
    ip.mem_size = (size_t) n_total * sizeof(float) + (size_t) n_tensors * (ggml_tensor_overhead() + GGML_MEM_ALIGN) + 1024;
    ip.mem_buffer = nullptr;
    ip.no_alloc = false;
    ggml_context * ctx = ggml_init(ip);
    if (!ctx) return nullptr;

    auto * c = new hpc_critic();
    c->config = cfg;
    c->params_ctx = ctx;
    for (int i = 0; i < cfg.n_q; ++i) {
        c->q[i] = make_head(ctx, "q" + std::to_string(i), E, H, V);
        if (cfg.with_target) c->tq[i] = make_head(ctx, "tq" + std::to_string(i), E, H, V);
        push_head(c, c->q[i], cfg.with_target ? &c->tq[i] : nullptr);
    }
    if (cfg.with_v) {
        c->v = make_head(ctx, "v", E, H, 1);
        push_head(c, c->v, nullptr);
    }
    for (ggml_tensor * p : c->online) {
        ggml_tensor * m = ggml_dup_tensor(ctx, p);
        ggml_format_name(m, "adam_m.%s", p->name);
        ggml_tensor * v = ggml_dup_tensor(ctx, p);
        ggml_format_name(v, "adam_v.%s", p->name);
        c->adam_m.push_back(m);
        c->adam_v.push_back(v);
    }
    for (ggml_tensor * t = ggml_get_first_tensor(ctx); t; t = ggml_get_next_tensor(ctx, t)) {
        std::memset(t->data, 0, ggml_nbytes(t));
    }
    return c;
}

// W1 ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) (PyTorch's Linear default); b1 = 0; the output layer W2, b2 = 0.
void init_head(const Head & h, SplitMix64 & rng) {
    const float bound = 1.0f / std::sqrt((float) h.w1->ne[0]);
    float * w = (float *) h.w1->data;
    for (int64_t i = 0, n = ggml_nelements(h.w1); i < n; ++i) w[i] = bound * rng.uniform_pm1();
}

void copy_head(const Head & dst, const Head & src) {
    std::memcpy(dst.w1->data, src.w1->data, ggml_nbytes(src.w1));
    std::memcpy(dst.b1->data, src.b1->data, ggml_nbytes(src.b1));
    std::memcpy(dst.w2->data, src.w2->data, ggml_nbytes(src.w2));
    std::memcpy(dst.b2->data, src.b2->data, ggml_nbytes(src.b2));
}

ggml_tensor * mlp(ggml_context * ctx, ggml_tensor * x, const Head & h) {
    ggml_tensor * a = ggml_relu(ctx, ggml_add(ctx, ggml_mul_mat(ctx, h.w1, x), h.b1));
    return ggml_add(ctx, ggml_mul_mat(ctx, h.w2, a), h.b2);
}

// A scratch context on the critic's reusable arena, sized for n rows.
struct Scratch {
    ggml_context * ctx = nullptr;
    ~Scratch() { if (ctx) ggml_free(ctx); }
};

bool open_scratch(hpc_critic * c, int64_t n, Scratch & s) {
    const auto & cfg = c->config;
    const size_t per_row = sizeof(float) * (size_t) (cfg.n_vocab * (16 * cfg.n_q + 8) + cfg.n_hidden * 24 * (cfg.n_q + 1) + 64);
    size_t n_params = 0;
    for (ggml_tensor * p : c->online) n_params += (size_t) ggml_nelements(p);
    const size_t bytes = per_row * (size_t) n + 4 * sizeof(float) * n_params
        + ggml_graph_overhead_custom(4096, true) + 4096 * (ggml_tensor_overhead() + GGML_MEM_ALIGN)
        + (size_t) cfg.n_threads * (size_t) (cfg.n_vocab + cfg.n_hidden + 64) * 64 + (32u << 20);
    if (c->work.size() < bytes) {
        try { c->work.assign(bytes, 0); } catch (const std::bad_alloc &) { return false; }
    }
    ggml_init_params ip{};
    ip.mem_size = c->work.size();
    ip.mem_buffer = c->work.data();
    ip.no_alloc = false;
    s.ctx = ggml_init(ip);
    return s.ctx != nullptr;
}

ggml_tensor * input_rows(ggml_context * ctx, const float * x, int64_t n_embd, int64_t n) {
    ggml_tensor * t = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_embd, n);
    std::memcpy(t->data, x, sizeof(float) * (size_t) (n_embd * n));
    return t;
}

ggml_tensor * input_vec(ggml_context * ctx, const float * v, int64_t n) {
    ggml_tensor * t = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, n);
    std::memcpy(t->data, v, sizeof(float) * (size_t) n);
    return t;
}

bool tokens_ok(const int32_t * tokens, int64_t n, int32_t n_vocab) {
    for (int64_t r = 0; r < n; ++r)
        if (tokens[r] < 0 || tokens[r] >= n_vocab) return false;
    return true;
}

bool finite_all(const float * p, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return false;
    return true;
}

void fsync_path(const std::string & path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) { ::fsync(fd); ::close(fd); }
}

} // namespace

extern "C" {

const char * hpc_last_error(void) { return g_last_error.c_str(); }

int hpc_critic_create(const hpc_critic_config * config, hpc_critic ** out) {
    if (!config || !out) return fail(HPC_ERR_INVALID_ARGUMENT, "config and out must not be null");
    *out = nullptr;
    std::string why;
    if (!valid_config(*config, why)) return fail(HPC_ERR_INVALID_ARGUMENT, why);
    try {
        hpc_critic * c = allocate(*config);
        if (!c) return fail(HPC_ERR_OUT_OF_MEMORY, "ggml_init failed for the critic parameters");
        // Each head gets its own stream so adding a head never changes the others' initial weights.
        for (int i = 0; i < config->n_q; ++i) {
            SplitMix64 rng{config->seed * 0x100000001B3ull + 0x51ull + (uint64_t) i};
            init_head(c->q[i], rng);
            if (config->with_target) copy_head(c->tq[i], c->q[i]);
        }
        if (config->with_v) {
            SplitMix64 rng{config->seed * 0x100000001B3ull + 0x7Full};
            init_head(c->v, rng);
        }
        *out = c;
        return HPC_OK;
    } catch (const std::bad_alloc &) {
        return fail(HPC_ERR_OUT_OF_MEMORY, "out of memory creating the critic");
    } catch (const std::exception & e) {
        return fail(HPC_ERR_INTERNAL, e.what());
    }
}

void hpc_critic_free(hpc_critic * critic) { delete critic; }

int hpc_critic_get_config(const hpc_critic * critic, hpc_critic_config * out) {
    if (!critic || !out) return fail(HPC_ERR_INVALID_ARGUMENT, "critic and out must not be null");
    *out = critic->config;
    return HPC_OK;
}

int64_t hpc_critic_step_count(const hpc_critic * critic) { return critic ? critic->step : -1; }

int hpc_critic_set_threads(hpc_critic * critic, int32_t n_threads) {
    if (!critic) return fail(HPC_ERR_INVALID_ARGUMENT, "critic must not be null");
    if (n_threads < 1 || n_threads > 256) return fail(HPC_ERR_INVALID_ARGUMENT, "n_threads must be in [1, 256]");
    critic->config.n_threads = n_threads;
    return HPC_OK;
}

int hpc_critic_evaluate(hpc_critic * c, const float * x, int64_t n, const int32_t * tokens, float * q, float * tq, float * v) {
    if (!c || !x) return fail(HPC_ERR_INVALID_ARGUMENT, "critic and x must not be null");
    if (n <= 0 || n > (1 << 24)) return fail(HPC_ERR_INVALID_ARGUMENT, "n must be in [1, 2^24]");
    const auto & cfg = c->config;
    if ((q || tq) && !tokens) return fail(HPC_ERR_INVALID_ARGUMENT, "tokens are required for q and tq");
    if (tq && !cfg.with_target) return fail(HPC_ERR_INVALID_ARGUMENT, "this critic has no target heads");
    if (v && !cfg.with_v) return fail(HPC_ERR_INVALID_ARGUMENT, "this critic has no V head");
    if (tokens && !tokens_ok(tokens, n, cfg.n_vocab)) return fail(HPC_ERR_INVALID_ARGUMENT, "a token id is outside [0, n_vocab)");
    try {
        Scratch s;
        if (!open_scratch(c, n, s)) return fail(HPC_ERR_OUT_OF_MEMORY, "cannot allocate the compute arena");
        ggml_context * ctx = s.ctx;
        ggml_cgraph * gf = ggml_new_graph_custom(ctx, 1024, false);
        ggml_tensor * xin = input_rows(ctx, x, cfg.n_embd, n);
        ggml_tensor * ql[2] = {nullptr, nullptr}, * tql[2] = {nullptr, nullptr}, * vo = nullptr;
        for (int i = 0; i < cfg.n_q; ++i) {
            if (q) { ql[i] = mlp(ctx, xin, c->q[i]); ggml_build_forward_expand(gf, ql[i]); }
            if (tq) { tql[i] = mlp(ctx, xin, c->tq[i]); ggml_build_forward_expand(gf, tql[i]); }
        }
        if (v) { vo = mlp(ctx, xin, c->v); ggml_build_forward_expand(gf, vo); }
        if (ggml_graph_n_nodes(gf) == 0) return HPC_OK;
        if (ggml_graph_compute_with_ctx(ctx, gf, cfg.n_threads) != GGML_STATUS_SUCCESS)
            return fail(HPC_ERR_INTERNAL, "ggml graph compute failed");
        const int64_t V = cfg.n_vocab;
        for (int i = 0; i < cfg.n_q; ++i) {
            if (ql[i]) { const float * L = (const float *) ql[i]->data; for (int64_t r = 0; r < n; ++r) q[r * cfg.n_q + i] = L[r * V + tokens[r]]; }
            if (tql[i]) { const float * L = (const float *) tql[i]->data; for (int64_t r = 0; r < n; ++r) tq[r * cfg.n_q + i] = L[r * V + tokens[r]]; }
        }
        if (vo) std::memcpy(v, vo->data, sizeof(float) * (size_t) n);
        return HPC_OK;
    } catch (const std::exception & e) {
        return fail(HPC_ERR_INTERNAL, e.what());
    }
}

int hpc_critic_q_logits(hpc_critic * c, const float * x, int64_t n, int32_t head, float * logits, float * v) {
    if (!c || !x || !logits) return fail(HPC_ERR_INVALID_ARGUMENT, "critic, x and logits must not be null");
    if (n <= 0 || n > (1 << 24)) return fail(HPC_ERR_INVALID_ARGUMENT, "n must be in [1, 2^24]");
    const auto & cfg = c->config;
    if (head < -1 || head >= cfg.n_q) return fail(HPC_ERR_INVALID_ARGUMENT, "head must be -1 (min) or in [0, n_q)");
    if (v && !cfg.with_v) return fail(HPC_ERR_INVALID_ARGUMENT, "this critic has no V head");
    try {
        Scratch s;
        if (!open_scratch(c, n, s)) return fail(HPC_ERR_OUT_OF_MEMORY, "cannot allocate the compute arena");
        ggml_context * ctx = s.ctx;
        ggml_cgraph * gf = ggml_new_graph_custom(ctx, 1024, false);
        ggml_tensor * xin = input_rows(ctx, x, cfg.n_embd, n);
        ggml_tensor * out;
        if (head >= 0) {
            out = mlp(ctx, xin, c->q[head]);
        } else {
            // min(Q1, Q2) = Q1 − relu(Q1 − Q2); with one head it is that head.
            out = mlp(ctx, xin, c->q[0]);
            if (cfg.n_q == 2) {
                ggml_tensor * q2 = mlp(ctx, xin, c->q[1]);
                out = ggml_sub(ctx, out, ggml_relu(ctx, ggml_sub(ctx, out, q2)));
            }
        }
        ggml_build_forward_expand(gf, out);
        ggml_tensor * vo = nullptr;
        if (v) { vo = mlp(ctx, xin, c->v); ggml_build_forward_expand(gf, vo); }
        if (ggml_graph_compute_with_ctx(ctx, gf, cfg.n_threads) != GGML_STATUS_SUCCESS)
            return fail(HPC_ERR_INTERNAL, "ggml graph compute failed");
        std::memcpy(logits, out->data, sizeof(float) * (size_t) (n * cfg.n_vocab));
        if (vo) std::memcpy(v, vo->data, sizeof(float) * (size_t) n);
        return HPC_OK;
    } catch (const std::exception & e) {
        return fail(HPC_ERR_INTERNAL, e.what());
    }
}

int hpc_critic_train_step(hpc_critic * c, const hpc_train_batch * b, const hpc_adamw_params * adamw, hpc_loss_parts * parts) {
    if (!c || !b || !adamw) return fail(HPC_ERR_INVALID_ARGUMENT, "critic, batch and adamw must not be null");
    const auto & cfg = c->config;
    const int64_t n = b->n;
    if (n <= 0 || n > (1 << 24)) return fail(HPC_ERR_INVALID_ARGUMENT, "batch.n must be in [1, 2^24]");
    if (!b->x || !b->tokens || !b->q_target || !b->q_weight) return fail(HPC_ERR_INVALID_ARGUMENT, "x, tokens, q_target and q_weight are required");
    if (cfg.with_v && (!b->v_target || !b->v_weight)) return fail(HPC_ERR_INVALID_ARGUMENT, "v_target and v_weight are required for a critic with a V head");
    if (!tokens_ok(b->tokens, n, cfg.n_vocab)) return fail(HPC_ERR_INVALID_ARGUMENT, "a token id is outside [0, n_vocab)");
    if (!finite_all(b->q_target, n) || !finite_all(b->q_weight, n)) return fail(HPC_ERR_INVALID_ARGUMENT, "q_target and q_weight must be finite");
    if (cfg.with_v && (!finite_all(b->v_target, n) || !finite_all(b->v_weight, n))) return fail(HPC_ERR_INVALID_ARGUMENT, "v_target and v_weight must be finite");
    if (!std::isfinite(b->cql_weight) || b->cql_weight < 0) return fail(HPC_ERR_INVALID_ARGUMENT, "cql_weight must be finite and >= 0");
    if (!(adamw->lr > 0) || adamw->beta1 < 0 || adamw->beta1 >= 1 || adamw->beta2 < 0 || adamw->beta2 >= 1 || adamw->eps < 0 || adamw->wd < 0 || adamw->wd > 1)
        return fail(HPC_ERR_INVALID_ARGUMENT, "AdamW parameters out of range");
    try {
        Scratch s;
        if (!open_scratch(c, n, s)) return fail(HPC_ERR_OUT_OF_MEMORY, "cannot allocate the compute arena");
        ggml_context * ctx = s.ctx;
        ggml_cgraph * gf = ggml_new_graph_custom(ctx, 4096, true);
        const int64_t V = cfg.n_vocab;

        ggml_tensor * xin = input_rows(ctx, b->x, cfg.n_embd, n);
        // one-hot rows of the action tokens: used to gather Q(s, a) and as the CE labels
        ggml_tensor * onehot = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, V, n);
        std::memset(onehot->data, 0, ggml_nbytes(onehot));
        for (int64_t r = 0; r < n; ++r) ((float *) onehot->data)[r * V + b->tokens[r]] = 1.0f;
        ggml_tensor * y = input_vec(ctx, b->q_target, n);
        ggml_tensor * qw = input_vec(ctx, b->q_weight, n);

        for (ggml_tensor * p : c->online) ggml_set_param(p);

        ggml_tensor * total = nullptr;
        ggml_tensor * q_loss[2] = {nullptr, nullptr}, * ce[2] = {nullptr, nullptr}, * v_loss = nullptr;
        for (int i = 0; i < cfg.n_q; ++i) {
            ggml_tensor * logits = mlp(ctx, xin, c->q[i]);                        // [V, n]
            ggml_tensor * qa = ggml_sum_rows(ctx, ggml_mul(ctx, logits, onehot));  // Q_i(s_r, a_r): [1, n]
            // Σ_r qw_r · ½ (Q_i(s_r,a_r) − y_r)²
            q_loss[i] = ggml_scale(ctx, ggml_sum(ctx, ggml_mul(ctx, ggml_sqr(ctx, ggml_sub(ctx, qa, y)), qw)), 0.5f);
            // mean_r −log softmax(Q_i(s_r, ·))[a_r]
            ce[i] = ggml_cross_entropy_loss(ctx, logits, onehot);
            total = total ? ggml_add(ctx, total, q_loss[i]) : q_loss[i];
            if (b->cql_weight > 0) total = ggml_add(ctx, total, ggml_scale(ctx, ce[i], b->cql_weight));
            else ggml_build_forward_expand(gf, ce[i]); // reported, not optimised
        }
        if (cfg.with_v) {
            ggml_tensor * t = input_vec(ctx, b->v_target, n);
            ggml_tensor * vw = input_vec(ctx, b->v_weight, n);
            ggml_tensor * vo = mlp(ctx, xin, c->v);                                 // [1, n]
            // Σ_r vw_r · ½ (V(s_r) − t_r)²   (vw_r = expectile weight · mask / n, from the kernels)
            v_loss = ggml_scale(ctx, ggml_sum(ctx, ggml_mul(ctx, ggml_sqr(ctx, ggml_sub(ctx, vo, t)), vw)), 0.5f);
            total = ggml_add(ctx, total, v_loss);
        }
        ggml_set_loss(total);
        ggml_build_forward_expand(gf, total);
        ggml_build_backward_expand(ctx, gf, nullptr);
        ggml_graph_reset(gf); // d total / d total = 1, gradient accumulators = 0 (no optimiser nodes yet)

        // AdamW (ggml's op): bias corrections 1/(1−β^t) for the step t about to be taken.
        const int64_t t_step = c->step + 1;
        ggml_tensor * opt = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, 7);
        float * op = (float *) opt->data;
        op[0] = adamw->lr; op[1] = adamw->beta1; op[2] = adamw->beta2; op[3] = adamw->eps; op[4] = adamw->wd;
        op[5] = 1.0f / (1.0f - std::pow(adamw->beta1, (float) t_step));
        op[6] = 1.0f / (1.0f - std::pow(adamw->beta2, (float) t_step));
        for (size_t k = 0; k < c->online.size(); ++k) {
            ggml_tensor * p = c->online[k];
            ggml_tensor * g = ggml_graph_get_grad(gf, p);
            if (!g) continue; // e.g. b2 of an unused head
            ggml_build_forward_expand(gf, ggml_opt_step_adamw(ctx, p, g, c->adam_m[k], c->adam_v[k], opt));
        }
        const bool ok = ggml_graph_compute_with_ctx(ctx, gf, cfg.n_threads) == GGML_STATUS_SUCCESS;
        for (ggml_tensor * p : c->online) p->flags &= ~GGML_TENSOR_FLAG_PARAM;
        if (!ok) return fail(HPC_ERR_INTERNAL, "ggml graph compute failed");
        c->step = t_step;
        if (parts) {
            *parts = hpc_loss_parts{};
            parts->total = *(float *) total->data;
            for (int i = 0; i < cfg.n_q; ++i) {
                parts->q[i] = *(float *) q_loss[i]->data;
                parts->ce[i] = *(float *) ce[i]->data;
            }
            if (v_loss) parts->v = *(float *) v_loss->data;
        }
        return HPC_OK;
    } catch (const std::exception & e) {
        return fail(HPC_ERR_INTERNAL, e.what());
    }
}

int32_t hpc_critic_n_params(const hpc_critic * critic) { return critic ? (int32_t) critic->online.size() : 0; }

int hpc_critic_tensor(hpc_critic * c, int32_t index, int32_t kind, const char ** name, float ** data, int64_t * n) {
    if (!c) return fail(HPC_ERR_INVALID_ARGUMENT, "critic must not be null");
    if (index < 0 || index >= (int32_t) c->online.size()) return fail(HPC_ERR_INVALID_ARGUMENT, "tensor index out of range");
    ggml_tensor * t = nullptr;
    switch (kind) {
        case HPC_TENSOR_ONLINE: t = c->online[index]; break;
        case HPC_TENSOR_TARGET: t = c->target[index]; break;
        case HPC_TENSOR_ADAM_M: t = c->adam_m[index]; break;
        case HPC_TENSOR_ADAM_V: t = c->adam_v[index]; break;
        default: return fail(HPC_ERR_INVALID_ARGUMENT, "unknown tensor kind");
    }
    if (name) *name = t ? t->name : nullptr;
    if (data) *data = t ? (float *) t->data : nullptr;
    if (n) *n = t ? ggml_nelements(t) : 0;
    return HPC_OK;
}

int hpc_critic_save(const hpc_critic * c, const char * path) {
    if (!c || !path || !*path) return fail(HPC_ERR_INVALID_ARGUMENT, "critic and path must not be null");
    gguf_context * g = gguf_init_empty();
    if (!g) return fail(HPC_ERR_OUT_OF_MEMORY, "gguf_init_empty failed");
    const auto & cfg = c->config;
    gguf_set_val_str(g, "general.architecture", "highperf-critic");
    gguf_set_val_i32(g, "highperf.critic.n_embd", cfg.n_embd);
    gguf_set_val_i32(g, "highperf.critic.n_hidden", cfg.n_hidden);
    gguf_set_val_i32(g, "highperf.critic.n_vocab", cfg.n_vocab);
    gguf_set_val_i32(g, "highperf.critic.n_q", cfg.n_q);
    gguf_set_val_i32(g, "highperf.critic.with_v", cfg.with_v);
    gguf_set_val_i32(g, "highperf.critic.with_target", cfg.with_target);
    gguf_set_val_u64(g, "highperf.critic.seed", cfg.seed);
    gguf_set_val_i64(g, "highperf.critic.step", c->step);
    for (ggml_tensor * t = ggml_get_first_tensor(c->params_ctx); t; t = ggml_get_next_tensor(c->params_ctx, t))
        gguf_add_tensor(g, t);
    const std::string tmp = std::string(path) + ".tmp";
    const bool ok = gguf_write_to_file(g, tmp.c_str(), false);
    gguf_free(g);
    if (!ok) { std::remove(tmp.c_str()); return fail(HPC_ERR_IO, "cannot write " + tmp); }
    fsync_path(tmp);
    if (std::rename(tmp.c_str(), path) != 0) { std::remove(tmp.c_str()); return fail(HPC_ERR_IO, std::string("cannot rename to ") + path); }
    return HPC_OK;
}

int hpc_critic_load(const char * path, int32_t n_threads, hpc_critic ** out) {
    if (!path || !out) return fail(HPC_ERR_INVALID_ARGUMENT, "path and out must not be null");
    *out = nullptr;
    ggml_context * data_ctx = nullptr;
    gguf_init_params gp{};
    gp.no_alloc = false;
    gp.ctx = &data_ctx;
    gguf_context * g = gguf_init_from_file(path, gp);
    if (!g) return fail(HPC_ERR_IO, std::string("cannot read a GGUF critic from ") + path);
    auto get_i32 = [&](const char * key, int32_t & v) {
        const int64_t id = gguf_find_key(g, key);
        if (id < 0 || gguf_get_kv_type(g, id) != GGUF_TYPE_INT32) return false;
        v = gguf_get_val_i32(g, id);
        return true;
    };
    hpc_critic_config cfg{};
    bool ok = get_i32("highperf.critic.n_embd", cfg.n_embd) && get_i32("highperf.critic.n_hidden", cfg.n_hidden)
        && get_i32("highperf.critic.n_vocab", cfg.n_vocab) && get_i32("highperf.critic.n_q", cfg.n_q)
        && get_i32("highperf.critic.with_v", cfg.with_v) && get_i32("highperf.critic.with_target", cfg.with_target);
    const int64_t seed_id = gguf_find_key(g, "highperf.critic.seed");
    const int64_t step_id = gguf_find_key(g, "highperf.critic.step");
    ok = ok && seed_id >= 0 && step_id >= 0;
    std::string why = "missing critic metadata";
    cfg.n_threads = n_threads;
    if (ok) {
        cfg.seed = gguf_get_val_u64(g, seed_id);
        ok = valid_config(cfg, why);
    }
    hpc_critic * c = nullptr;
    if (ok) {
        c = allocate(cfg);
        ok = c != nullptr;
        if (!ok) why = "out of memory";
    }
    if (ok) {
        c->step = gguf_get_val_i64(g, step_id);
        for (ggml_tensor * t = ggml_get_first_tensor(c->params_ctx); t && ok; t = ggml_get_next_tensor(c->params_ctx, t)) {
            ggml_tensor * src = ggml_get_tensor(data_ctx, t->name);
            if (!src || src->type != GGML_TYPE_F32 || !ggml_are_same_shape(src, t)) {
                ok = false;
                why = std::string("tensor missing or of the wrong shape: ") + t->name;
                break;
            }
            std::memcpy(t->data, src->data, ggml_nbytes(t));
        }
    }
    gguf_free(g);
    if (data_ctx) ggml_free(data_ctx);
    if (!ok) {
        delete c;
        return fail(HPC_ERR_IO, std::string(path) + ": " + why);
    }
    *out = c;
    return HPC_OK;
}

} // extern "C"
