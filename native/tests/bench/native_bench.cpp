// Native micro-benchmarks (not part of ctest): the fused vocab kernel measured back-to-back with a DRAM read probe
// (an AVX-512 sum over the same 512 MiB buffer), so the ratio is taken under the same machine load; and GAE tokens/s
// at 64 x 1,024 tokens. Best of 5 runs each. Usage: highperf_native_bench
#include "highperf.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#if defined(__x86_64__)
#  include <immintrin.h>
__attribute__((target("avx512f"))) static float sum_avx512(const float * x, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 64 <= n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(x + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(x + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#endif

static float sum_probe(const float * x, size_t n) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return sum_avx512(x, n);
#endif
    float s[16] = {};
    for (size_t i = 0; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) s[j] += x[i + j];
    float t = 0;
    for (float v : s) t += v;
    return t;
}

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main() {
    std::printf("libhighperf %s, CPU path %s\n", hp_version(), hp_cpu_isa());
    const size_t n = size_t(128) << 20;  // 512 MiB of floats
    std::vector<float> x(n);
    uint32_t s = 1;
    for (size_t i = 0; i < n; ++i) {
        s = s * 1664525u + 1013904223u;
        x[i] = ((s >> 8) / 16777216.0f) * 16.0f - 8.0f;
    }
    volatile float sink = 0;
    for (int vocab : {32000, 128256, 151936}) {
        const int rows = static_cast<int>(n / vocab);
        std::vector<int32_t> y(rows, 1);
        std::vector<float> lp(rows), ent(rows), lse(rows);
        double best_probe = 1e9, best_kernel = 1e9;
        for (int rep = 0; rep < 5; ++rep) {
            const double t0 = now();
            sink = sink + sum_probe(x.data(), n);
            const double t1 = now();
            hp_vocab_stats(x.data(), rows, vocab, vocab, y.data(), 1.0f, lp.data(), ent.data(), lse.data());
            const double t2 = now();
            best_probe = std::min(best_probe, t1 - t0);
            best_kernel = std::min(best_kernel, t2 - t1);
        }
        const double kernel_gbs = double(rows) * vocab * 4 / best_kernel / 1e9;
        const double probe_gbs = double(n) * 4 / best_probe / 1e9;
        std::printf("vocab %6d (%4d rows): %6.1f k rows/s, %5.2f GB/s; DRAM probe %5.2f GB/s; %3.0f%% of probe\n", vocab, rows,
                    rows / best_kernel / 1e3, kernel_gbs, probe_gbs, 100 * kernel_gbs / probe_gbs);
    }

    const int seqs = 64, len = 1024, tokens = seqs * len;
    std::vector<int32_t> off(seqs + 1);
    for (int i = 0; i <= seqs; ++i) off[i] = i * len;
    std::vector<float> r(tokens), v(tokens), lp(tokens), rf(tokens), a(tokens), ret(tokens);
    std::vector<uint8_t> m(tokens), d(seqs, 0);
    std::mt19937 g(1);
    std::uniform_real_distribution<float> u(-1, 1);
    bool act = true;
    for (int i = 0; i < tokens; ++i) {
        r[i] = u(g); v[i] = u(g); lp[i] = u(g) * 2 - 3; rf[i] = u(g) * 2 - 3;
        if (g() % (act ? 35 : 15) == 0) act = !act;  // multi-turn runs of action / observation tokens
        m[i] = act;
    }
    const char * names[] = {"GAE", "GAE + whitening", "GAE + k3 KL", "GAE + k3 KL + whitening"};
    for (int cfg = 0; cfg < 4; ++cfg) {
        const hp_gae_params p{0.99f, 0.95f, 0.05f, cfg >= 2 ? HP_KL_K3 : HP_KL_NONE, cfg % 2, 1e-8f};
        double best = 1e9;
        for (int rep = 0; rep < 200; ++rep) {
            const double t0 = now();
            hp_gae(off.data(), seqs, tokens, r.data(), v.data(), m.data(), d.data(), nullptr, lp.data(), rf.data(), p,
                   a.data(), ret.data());
            best = std::min(best, now() - t0);
        }
        std::printf("%-24s 64 x 1024 tokens: %6.1f M tokens/s\n", names[cfg], tokens / best / 1e6);
    }
    return 0;
}
