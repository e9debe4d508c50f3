// Tests of the weighted next-token training step added by native/llama/patches (llama_opt_step_weighted,
// llama_opt_eval_weighted, llama_opt_weighted_reset) on a tiny llama-architecture model written here with the
// gguf API (no download). Usage: test_weighted_step <scratch dir>. Exit code 0 = all checks passed.
#define _POSIX_C_SOURCE 200809L  // strdup
#include "llama.h"
#include "ggml.h"
#include "gguf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_EMBD  32
#define N_HEAD  4
#define N_KV    2
#define N_FF    64
#define N_LAYER 2
#define N_CTX   256

static int g_fail = 0;
#define CHECK(cond, ...) do { if (!(cond)) { g_fail++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
                              else { printf("ok   "); printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static double urand(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((g_rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float nrand(float sd) { return (float) (sd * sqrt(-2.0 * log(urand())) * cos(6.283185307179586 * urand())); }

static void log_quiet(enum ggml_log_level level, const char * text, void * ud) {
    (void) ud;
    if (level == GGML_LOG_LEVEL_ERROR || getenv("HP_TEST_VERBOSE")) {
        fputs(text, stderr);
    }
}

// ---- tiny model ------------------------------------------------------------------------------------------------
static int g_n_vocab = 0;

static struct ggml_tensor * add_t(struct gguf_context * g, struct ggml_context * c, const char * name, int64_t ne0, int64_t ne1, float sd, float fill) {
    struct ggml_tensor * t = ne1 > 0 ? ggml_new_tensor_2d(c, GGML_TYPE_F32, ne0, ne1) : ggml_new_tensor_1d(c, GGML_TYPE_F32, ne0);
    ggml_set_name(t, name);
    float * d = (float *) t->data;
    for (int64_t i = 0; i < ggml_nelements(t); ++i) {
        d[i] = sd > 0 ? nrand(sd) : fill;
    }
    gguf_add_tensor(g, t);
    return t;
}

static int write_tiny_model(const char * path) {
    // SentencePiece-style vocab: <unk> <s> </s>, 256 byte tokens, "▁" and the letters a-z as words.
    char * toks[400];
    float  scores[400];
    int32_t types[400];
    int n = 0;
    const char * special[3] = { "<unk>", "<s>", "</s>" };
    for (int i = 0; i < 3; ++i) { toks[n] = strdup(special[i]); scores[n] = 0; types[n] = i == 0 ? 2 : 3; n++; }
    for (int b = 0; b < 256; ++b) { char buf[16]; snprintf(buf, sizeof buf, "<0x%02X>", b); toks[n] = strdup(buf); scores[n] = 0; types[n] = 6; n++; }
    toks[n] = strdup("\xE2\x96\x81"); scores[n] = -1; types[n] = 1; n++;
    for (char ch = 'a'; ch <= 'z'; ++ch) { char buf[8]; snprintf(buf, sizeof buf, "\xE2\x96\x81%c", ch); toks[n] = strdup(buf); scores[n] = (float) -n; types[n] = 1; n++; }
    g_n_vocab = n;

    struct gguf_context * g = gguf_init_empty();
    gguf_set_val_str(g, "general.architecture", "llama");
    gguf_set_val_str(g, "general.name", "highperf-test-tiny");
    gguf_set_val_u32(g, "llama.context_length", N_CTX);
    gguf_set_val_u32(g, "llama.embedding_length", N_EMBD);
    gguf_set_val_u32(g, "llama.block_count", N_LAYER);
    gguf_set_val_u32(g, "llama.feed_forward_length", N_FF);
    gguf_set_val_u32(g, "llama.attention.head_count", N_HEAD);
    gguf_set_val_u32(g, "llama.attention.head_count_kv", N_KV);
    gguf_set_val_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gguf_set_val_u32(g, "llama.rope.dimension_count", N_EMBD / N_HEAD);
    gguf_set_val_str(g, "tokenizer.ggml.model", "llama");
    gguf_set_arr_str(g, "tokenizer.ggml.tokens", (const char **) toks, n);
    gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, n);
    gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, n);
    gguf_set_val_u32(g, "tokenizer.ggml.unknown_token_id", 0);
    gguf_set_val_u32(g, "tokenizer.ggml.bos_token_id", 1);
    gguf_set_val_u32(g, "tokenizer.ggml.eos_token_id", 2);

    struct ggml_init_params ip = { 16u * 1024 * 1024, NULL, false };
    struct ggml_context * c = ggml_init(ip);
    const int hd = N_EMBD / N_HEAD;
    add_t(g, c, "token_embd.weight", N_EMBD, n, 0.5f, 0);
    add_t(g, c, "output_norm.weight", N_EMBD, 0, 0, 1.0f);
    add_t(g, c, "output.weight", N_EMBD, n, 0.3f, 0);
    for (int l = 0; l < N_LAYER; ++l) {
        char nm[64];
#define T(suffix, a, b, sd, fill) snprintf(nm, sizeof nm, "blk.%d." suffix, l); add_t(g, c, nm, a, b, sd, fill)
        T("attn_norm.weight", N_EMBD, 0, 0, 1.0f);
        T("attn_q.weight", N_EMBD, N_EMBD, 0.2f, 0);
        T("attn_k.weight", N_EMBD, hd * N_KV, 0.2f, 0);
        T("attn_v.weight", N_EMBD, hd * N_KV, 0.2f, 0);
        T("attn_output.weight", N_EMBD, N_EMBD, 0.2f, 0);
        T("ffn_norm.weight", N_EMBD, 0, 0, 1.0f);
        T("ffn_gate.weight", N_EMBD, N_FF, 0.2f, 0);
        T("ffn_up.weight", N_EMBD, N_FF, 0.2f, 0);
        T("ffn_down.weight", N_FF, N_EMBD, 0.2f, 0);
#undef T
    }
    const bool ok = gguf_write_to_file(g, path, false);
    gguf_free(g);
    ggml_free(c);
    for (int i = 0; i < n; ++i) { free(toks[i]); }
    return ok ? 0 : 1;
}

// ---- helpers ---------------------------------------------------------------------------------------------------
struct env { struct llama_model * model; struct llama_context * ctx; };

static struct env open_env(const char * path, bool unified, bool train) {
    struct env e = { 0 };
    struct llama_model_params mp = llama_model_default_params();
    mp.load_mode = LLAMA_LOAD_MODE_NONE;    // training writes the weights: no read-only mmap
    e.model = llama_model_load_from_file(path, mp);
    if (!e.model) { return e; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = N_CTX; cp.n_batch = N_CTX; cp.n_ubatch = N_CTX;
    cp.n_seq_max = 4; cp.kv_unified = unified;
    cp.n_threads = cp.n_threads_batch = 2;
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    e.ctx = llama_init_from_model(e.model, cp);
    if (e.ctx && train) {
        struct llama_opt_params op = { 0 };
        op.param_filter = llama_opt_param_filter_all;
        op.get_opt_pars = ggml_opt_get_default_optimizer_params;
        op.optimizer_type = GGML_OPT_OPTIMIZER_TYPE_ADAMW;
        llama_opt_init(e.ctx, e.model, op);
    }
    return e;
}
static void close_env(struct env * e) { llama_free(e->ctx); llama_model_free(e->model); e->ctx = NULL; e->model = NULL; }

// log softmax(z)[target] in double, from plain llama_decode logits, one sequence at a time
static void reference_logprobs(struct llama_context * ctx, const llama_token * toks, const llama_token * tgts,
                               const int32_t * lens, int n_seqs, double * out) {
    int off = 0;
    for (int s = 0; s < n_seqs; ++s) {
        llama_memory_clear(llama_get_memory(ctx), true);
        struct llama_batch b = llama_batch_init(lens[s], 0, 1);
        for (int i = 0; i < lens[s]; ++i) {
            b.token[i] = toks[off + i]; b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = 1;
        }
        b.n_tokens = lens[s];
        if (llama_decode(ctx, b) != 0) { printf("decode failed\n"); exit(2); }
        for (int i = 0; i < lens[s]; ++i) {
            const float * z = llama_get_logits_ith(ctx, i);
            double mx = -1e300, se = 0;
            for (int v = 0; v < g_n_vocab; ++v) { if (z[v] > mx) { mx = z[v]; } }
            for (int v = 0; v < g_n_vocab; ++v) { se += exp(z[v] - mx); }
            out[off + i] = (z[tgts[off + i]] - mx) - log(se);
        }
        llama_batch_free(b);
        off += lens[s];
    }
}

#define N_SEQS 3
static const int32_t LENS[N_SEQS] = { 20, 33, 17 };
#define N_TOK (20 + 33 + 17)
static llama_token TOK[N_TOK], TGT[N_TOK];

static void make_data(void) {
    // three "sentences" over the word tokens: each is a fixed pattern so that it can be learned
    const int word0 = 3 + 256 + 1;
    int off = 0;
    for (int s = 0; s < N_SEQS; ++s) {
        llama_token seq[64];
        seq[0] = 1; // <s>
        for (int i = 1; i <= LENS[s]; ++i) { seq[i] = word0 + (int) ((i * (s + 3) + s) % 26); }
        for (int i = 0; i < LENS[s]; ++i) { TOK[off + i] = seq[i]; TGT[off + i] = seq[i + 1]; }
        off += LENS[s];
    }
}

static struct llama_opt_weighted_params hp_lr(float lr) {
    struct llama_opt_weighted_params p = llama_opt_weighted_default_params();
    p.lr = lr;
    p.grad_clip = 0.0f;
    return p;
}

int main(int argc, char ** argv) {
    const char * dir = argc > 1 ? argv[1] : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/highperf-tiny-test.gguf", dir);
    llama_log_set(log_quiet, NULL);
    llama_backend_init();
    if (write_tiny_model(path) != 0) { printf("FAIL: cannot write %s\n", path); return 1; }
    make_data();
    printf("tiny model: vocab %d, %d sequences, %d tokens\n", g_n_vocab, N_SEQS, N_TOK);

    // ---- 1. loss and log-probs equal a reference from plain decode logits (unified: 3 sequences in 1 ubatch) ----
    float W[N_TOK];
    for (int i = 0; i < N_TOK; ++i) { W[i] = (float) ((i % 7) - 2) * 0.5f; } // mixed signs and zeros
    {
        struct env e = open_env(path, true, true);
        CHECK(e.ctx != NULL, "model and context created");
        if (!e.ctx) { return 1; }
        double ref[N_TOK];
        reference_logprobs(e.ctx, TOK, TGT, LENS, N_SEQS, ref);
        double ref_loss = 0; int nz = 0;
        for (int i = 0; i < N_TOK; ++i) { ref_loss += -W[i] * ref[i]; nz += W[i] != 0; }
        ref_loss /= nz;

        float lp[N_TOK];
        struct llama_opt_weighted_result r;
        int rc = llama_opt_eval_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, 0.0f, &r, lp);
        double maxd = 0;
        for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(lp[i] - ref[i])); }
        CHECK(rc == 0 && r.n_ubatch == 1 && r.n_tokens == N_TOK, "eval rc %d, 1 ubatch for 3 sequences (got %d)", rc, r.n_ubatch);
        CHECK(maxd < 1e-4, "eval log-probs match decode logits: max |diff| %.2e", maxd);
        CHECK(fabs(r.loss - ref_loss) < 1e-4 * fmax(1.0, fabs(ref_loss)) && r.normalizer == (float) nz,
              "eval loss %.6f vs reference %.6f (normaliser %g = #nonzero %d)", r.loss, ref_loss, r.normalizer, nz);

        struct llama_opt_weighted_params p = hp_lr(1e-3f);
        rc = llama_opt_step_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, p, &r, lp);
        maxd = 0;
        for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(lp[i] - ref[i])); }
        CHECK(rc == 0 && r.n_steps == 1 && r.grad_norm > 0 && isfinite(r.grad_norm), "step rc %d, n_steps %d, grad norm %.4f", rc, r.n_steps, r.grad_norm);
        CHECK(fabs(r.loss - ref_loss) < 1e-4 * fmax(1.0, fabs(ref_loss)) && maxd < 1e-4,
              "step loss (before the update) %.6f vs reference %.6f; log-probs max |diff| %.2e", r.loss, ref_loss, maxd);
        double ref2[N_TOK];
        reference_logprobs(e.ctx, TOK, TGT, LENS, N_SEQS, ref2);
        double moved = 0;
        for (int i = 0; i < N_TOK; ++i) { moved = fmax(moved, fabs(ref2[i] - ref[i])); }
        CHECK(moved > 1e-4, "the step changed the model: max |d logprob| %.4f", moved);

        // explicit normaliser
        rc = llama_opt_eval_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, 10.0f, &r, NULL);
        double l2 = 0;
        for (int i = 0; i < N_TOK; ++i) { l2 += -W[i] * ref2[i]; }
        CHECK(rc == 0 && fabs(r.loss - l2 / 10.0) < 1e-4, "caller normaliser 10: loss %.6f vs %.6f", r.loss, l2 / 10.0);
        close_env(&e);
    }

    // ---- 1b. the gradient is the gradient of L: finite-difference check along the update direction ----
    // With t = 1, AdamW moves each weight by -lr*g/(|g| + eps); for eps >> |g| that is -(lr/eps)*g, so
    // L changes by -(lr/eps)*|g|^2 to first order, with |g| the reported grad_norm.
    {
        struct env e = open_env(path, true, true);
        struct llama_opt_weighted_result r0, r1, rs;
        llama_opt_eval_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, 0.0f, &r0, NULL);
        struct llama_opt_weighted_params p = hp_lr(1.0f);
        p.eps = 1e4f;
        p.beta1 = 0.9f; p.beta2 = 0.999f;
        // first a probe step with a tiny lr to learn |g| (the probe itself changes L by ~1e-9)
        struct llama_opt_weighted_params probe = p;
        probe.lr = 1e-9f;
        llama_opt_step_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, probe, &rs, NULL);
        llama_opt_weighted_reset(e.ctx);
        const double g2 = (double) rs.grad_norm * rs.grad_norm;
        p.lr = (float) (1e-3 / g2 * p.eps);            // aim for dL = -1e-3
        llama_opt_eval_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, 0.0f, &r0, NULL);
        int rc = llama_opt_step_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, p, &rs, NULL);
        llama_opt_eval_weighted(e.ctx, TOK, TGT, W, LENS, N_SEQS, 0.0f, &r1, NULL);
        const double pred = -(double) p.lr / p.eps * (double) rs.grad_norm * rs.grad_norm;
        const double meas = (double) r1.loss - (double) r0.loss;
        CHECK(rc == 0 && fabs(meas - pred) < 0.05 * fabs(pred), "finite difference: dL measured %.4e, predicted from grad_norm %.4e", meas, pred);
        close_env(&e);
    }

    // ---- 1c. the gradient is linear in the weights and accumulates exactly over ubatches ----
    {
        float W2[N_TOK], Wn[N_TOK];
        for (int i = 0; i < N_TOK; ++i) { W2[i] = 2.0f * W[i]; Wn[i] = -W[i]; }
        struct llama_opt_weighted_params p = hp_lr(1e-9f);   // probe steps: weights practically unchanged
        p.normalizer = 10.0f;
        struct llama_opt_weighted_result r1, r2, rn, ru;
        struct env a = open_env(path, true, true), b = open_env(path, false, true);
        llama_opt_step_weighted(a.ctx, TOK, TGT, W,  LENS, N_SEQS, p, &r1, NULL);
        llama_opt_step_weighted(a.ctx, TOK, TGT, W2, LENS, N_SEQS, p, &r2, NULL);
        llama_opt_step_weighted(a.ctx, TOK, TGT, Wn, LENS, N_SEQS, p, &rn, NULL);
        llama_opt_step_weighted(b.ctx, TOK, TGT, W,  LENS, N_SEQS, p, &ru, NULL);
        CHECK(fabs(r2.grad_norm - 2 * r1.grad_norm) < 1e-4 * r1.grad_norm && fabs(rn.grad_norm - r1.grad_norm) < 1e-4 * r1.grad_norm,
              "|g(2w)| = 2|g(w)| (%.5f vs %.5f), |g(-w)| = |g(w)| (%.5f)", r2.grad_norm, 2 * r1.grad_norm, rn.grad_norm);
        CHECK(ru.n_ubatch == N_SEQS && r1.n_ubatch == 1 && fabs(ru.grad_norm - r1.grad_norm) < 1e-4 * r1.grad_norm,
              "gradient accumulated over %d ubatches equals the one-ubatch gradient: %.6f vs %.6f", ru.n_ubatch, ru.grad_norm, r1.grad_norm);
        close_env(&a); close_env(&b);
    }

    // ---- 2. the same sequences one per ubatch (non-unified KV) give the same log-probs ----
    {
        struct env a = open_env(path, true, false), b = open_env(path, false, false);
        float la[N_TOK], lb[N_TOK];
        struct llama_opt_weighted_result ra, rb;
        int rca = llama_opt_eval_weighted(a.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &ra, la);
        int rcb = llama_opt_eval_weighted(b.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &rb, lb);
        double maxd = 0;
        for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(la[i] - lb[i])); }
        CHECK(rca == 0 && rcb == 0 && ra.n_ubatch == 1 && rb.n_ubatch == N_SEQS && maxd < 1e-4,
              "packed (1 ubatch) vs one sequence per ubatch (%d): max |diff| %.2e", rb.n_ubatch, maxd);
        close_env(&a); close_env(&b);
    }

    // ---- 3. weight 1 everywhere: the loss falls ----
    {
        struct env e = open_env(path, true, true);
        float ones[N_TOK];
        for (int i = 0; i < N_TOK; ++i) { ones[i] = 1.0f; }
        struct llama_opt_weighted_params p = hp_lr(1e-2f);
        p.grad_clip = 1.0f;
        struct llama_opt_weighted_result r;
        float first = 0, last = 0;
        int rc = 0;
        for (int it = 0; it < 40 && rc == 0; ++it) {
            rc = llama_opt_step_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, p, &r, NULL);
            if (it == 0) { first = r.loss; }
            last = r.loss;
        }
        llama_opt_eval_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, 0.0f, &r, NULL);
        CHECK(rc == 0 && r.loss < 0.3f * first, "weight 1: loss %.4f -> %.4f (after 40 steps, eval %.4f)", first, last, r.loss);
        close_env(&e);
    }

    // ---- 4. a weight-0 token does not take part; weight -1 lowers, +1 raises its probability ----
    {
        const int k = 20 + 10;                                     // a position inside sequence 1
        float w[N_TOK];
        for (int i = 0; i < N_TOK; ++i) { w[i] = (i >= 20 && i < 53 && i != k) ? 1.0f : 0.0f; }
        llama_token tgt_alt[N_TOK];
        memcpy(tgt_alt, TGT, sizeof TGT);
        tgt_alt[k] = (TGT[k] + 5) % g_n_vocab;                    // different target at the masked position

        float lp_a[N_TOK], lp_b[N_TOK], lp0[N_TOK];
        struct llama_opt_weighted_result r;
        struct llama_opt_weighted_params p = hp_lr(1e-2f);
        p.normalizer = 32.0f;
        struct env a = open_env(path, true, true), b = open_env(path, true, true);
        llama_opt_eval_weighted(a.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp0);
        int rc1 = 0, rc2 = 0;
        for (int it = 0; it < 3; ++it) {
            rc1 |= llama_opt_step_weighted(a.ctx, TOK, TGT,     w, LENS, N_SEQS, p, &r, NULL);
            rc2 |= llama_opt_step_weighted(b.ctx, TOK, tgt_alt, w, LENS, N_SEQS, p, &r, NULL);
        }
        llama_opt_eval_weighted(a.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp_a);
        llama_opt_eval_weighted(b.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp_b);
        double maxd = 0;
        for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(lp_a[i] - lp_b[i])); }
        CHECK(rc1 == 0 && rc2 == 0 && maxd < 1e-5,
              "weight 0: changing the masked target changes nothing after 3 steps (max |diff| %.2e)", maxd);
        const double d0 = lp_a[k] - lp0[k];
        close_env(&a); close_env(&b);

        // now only token k has a weight (+1 or -1): its probability must rise or fall
        for (int sign = -1; sign <= 1; sign += 2) {
            float wk[N_TOK];
            for (int i = 0; i < N_TOK; ++i) { wk[i] = 0.0f; }
            wk[k] = (float) sign;
            struct env e = open_env(path, true, true);
            float lp1[N_TOK];
            int rc = 0;
            for (int it = 0; it < 3; ++it) { rc |= llama_opt_step_weighted(e.ctx, TOK, TGT, wk, LENS, N_SEQS, hp_lr(1e-2f), &r, NULL); }
            llama_opt_eval_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp1);
            const double d = lp1[k] - lp0[k];
            if (sign < 0) {
                CHECK(rc == 0 && d < -0.01, "weight -1 on one token: its log p(target) moved %+.4f", d);
            } else {
                CHECK(rc == 0 && d > 0.01, "weight +1 on one token: its log p(target) moved %+.4f", d);
            }
            close_env(&e);
        }
        // all weights zero: zero gradient, and AdamW with zero moments leaves every weight as it was
        {
            float wz[N_TOK];
            for (int i = 0; i < N_TOK; ++i) { wz[i] = 0.0f; }
            struct env e = open_env(path, true, true);
            float lp1[N_TOK];
            int rc = llama_opt_step_weighted(e.ctx, TOK, TGT, wz, LENS, N_SEQS, hp_lr(1e-2f), &r, NULL);
            const float gn = r.grad_norm;
            llama_opt_eval_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp1);
            double maxd = 0;
            for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(lp1[i] - lp0[i])); }
            CHECK(rc == 0 && gn == 0.0f && maxd == 0.0, "all weights 0: grad norm %g, max |d logprob| %.2e", gn, maxd);
            close_env(&e);
        }
        (void) d0;
        // a single negative weight on its own, several steps: the probability keeps falling
        {
            float wk[N_TOK];
            for (int i = 0; i < N_TOK; ++i) { wk[i] = 0.0f; }
            wk[k] = -1.0f;
            struct env e = open_env(path, true, true);
            float lp1[N_TOK];
            double prev = lp0[k];
            int mono = 1, rc = 0;
            for (int it = 0; it < 5; ++it) {
                rc |= llama_opt_step_weighted(e.ctx, TOK, TGT, wk, LENS, N_SEQS, hp_lr(1e-2f), &r, NULL);
                llama_opt_eval_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, lp1);
                mono &= lp1[k] < prev;
                prev = lp1[k];
            }
            CHECK(rc == 0 && mono, "only weight -1: log p(target) falls every step, %.3f -> %.3f", lp0[k], prev);
            close_env(&e);
        }
    }

    // ---- 5. bad input returns an error code and leaves the weights alone ----
    {
        struct env e = open_env(path, true, true);
        struct env n = open_env(path, true, false);  // no llama_opt_init
        float ones[N_TOK], before[N_TOK], after[N_TOK];
        for (int i = 0; i < N_TOK; ++i) { ones[i] = 1.0f; }
        struct llama_opt_weighted_result r;
        struct llama_opt_weighted_params p = hp_lr(1e-2f);
        llama_opt_eval_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, before);

        llama_token bad[N_TOK];
        memcpy(bad, TGT, sizeof TGT);
        bad[5] = g_n_vocab;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, bad, ones, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_TOKEN, "target = n_vocab -> ERR_TOKEN");
        bad[5] = -1;
        CHECK(llama_opt_eval_weighted(e.ctx, bad, TGT, NULL, LENS, N_SEQS, 0.0f, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_TOKEN, "token -1 -> ERR_TOKEN");
        float wn[N_TOK];
        memcpy(wn, ones, sizeof ones);
        wn[7] = NAN;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, wn, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_WEIGHT, "NaN weight -> ERR_WEIGHT");
        wn[7] = INFINITY;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, wn, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_WEIGHT, "Inf weight -> ERR_WEIGHT");
        int32_t long_len[1] = { N_CTX + 1 };
        static llama_token many[N_CTX + 1];
        static float manyw[N_CTX + 1];
        for (int i = 0; i <= N_CTX; ++i) { many[i] = 1; manyw[i] = 1.0f; }
        CHECK(llama_opt_step_weighted(e.ctx, many, many, manyw, long_len, 1, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_TOO_LONG, "sequence longer than n_ubatch -> ERR_TOO_LONG");
        int32_t zero_len[1] = { 0 };
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, ones, zero_len, 1, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_ARG, "zero-length sequence -> ERR_ARG");
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_ARG, "NULL weights in a step -> ERR_ARG");
        CHECK(llama_opt_step_weighted(NULL, TOK, TGT, ones, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_ARG, "NULL context -> ERR_ARG");
        struct llama_opt_weighted_params q = p; q.lr = 0;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, q, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_ARG, "lr 0 -> ERR_ARG");
        q = p; q.beta2 = 1.0f;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, q, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_ARG, "beta2 1 -> ERR_ARG");
        q = p; q.normalizer = INFINITY;
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, q, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_WEIGHT, "Inf normaliser -> ERR_WEIGHT");
        CHECK(llama_opt_step_weighted(n.ctx, TOK, TGT, ones, LENS, N_SEQS, p, &r, NULL) == LLAMA_OPT_WEIGHTED_ERR_NOT_INIT, "no llama_opt_init -> ERR_NOT_INIT");
        llama_opt_eval_weighted(e.ctx, TOK, TGT, NULL, LENS, N_SEQS, 0.0f, &r, after);
        double maxd = 0;
        for (int i = 0; i < N_TOK; ++i) { maxd = fmax(maxd, fabs(after[i] - before[i])); }
        CHECK(maxd == 0.0, "weights unchanged after the rejected calls (max |diff| %.2e)", maxd);

        // the context still decodes normally afterwards
        llama_memory_clear(llama_get_memory(e.ctx), true);
        CHECK(llama_decode(e.ctx, llama_batch_get_one(TOK, 5)) == 0 && llama_get_logits_ith(e.ctx, -1) != NULL, "plain decode works after the training calls");
        llama_opt_weighted_reset(e.ctx);
        CHECK(llama_opt_step_weighted(e.ctx, TOK, TGT, ones, LENS, N_SEQS, p, &r, NULL) == 0 && r.n_steps == 1, "after llama_opt_weighted_reset the step counter restarts (%d)", r.n_steps);
        close_env(&e); close_env(&n);
    }

    if (!getenv("HP_KEEP_MODEL")) { remove(path); }
    llama_backend_free();
    printf("%s: %d failure(s)\n", g_fail ? "FAILED" : "PASSED", g_fail);
    return g_fail ? 1 : 0;
}
