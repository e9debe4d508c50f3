// (c) Fused vocabulary kernel on the CPU: per row of logits, one pass over DRAM computing logsumexp, entropy and
// the log-prob of the label without materializing log-probs; and the value-guided logit adjustment.
//
// Why it is fast: each row is streamed in chunks of kChunk floats (16 KiB, L1-resident). Pass A over a chunk loads it
// from DRAM and takes its max; pass B re-reads it from L1 and accumulates s = sum e^(x-m), t = sum e^(x-m)(x-m) with
// a float polynomial exp in SIMD registers. Chunk states are merged with the shared online-softmax merge, so DRAM sees
// one read per logit. The exp is our own (Cephes-style, rel. err ~2e-7) because a libm call per lane is what makes
// the managed TensorPrimitives version 8x slower.
#include "kernel_math.hpp"
#include "validate.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#  include <immintrin.h>
#  define HP_X86 1
#endif

using namespace hp;

namespace {

constexpr int64_t kChunk = 4096;

// Scalar path: the shared per-element online update; also the reference for the SIMD paths.
math::SoftmaxState row_scalar(const float * x, int64_t n, float inv_t) {
    math::SoftmaxState st = math::softmax_init();
    for (int64_t i = 0; i < n; ++i) math::softmax_push(st, x[i] * inv_t);
    return st;
}

#ifdef HP_X86
// exp on 16 lanes: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n by scalef (exact, handles underflow).
// Inputs are <= 0 here (x - max); below -87.3 the result flushes to 0, NaN stays NaN.
__attribute__((target("avx512f"))) inline __m512 exp512(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.3f);
    x = _mm512_max_ps(lo, x);  // operand order keeps NaN in x
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

__attribute__((target("avx512f"))) math::SoftmaxState row_avx512(const float * x, int64_t n, float inv_t) {
    math::SoftmaxState st = math::softmax_init();
    const __m512 vt = _mm512_set1_ps(inv_t);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t len = (n - c0) < kChunk ? (n - c0) : kChunk;
        const float * p = x + c0;
        const int64_t full = len & ~int64_t(15);
        const __mmask16 tail = static_cast<__mmask16>((1u << (len - full)) - 1u);
        // Pass A (DRAM): chunk max and a NaN flag. Four accumulators hide the max latency.
        __m512 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
        __mmask16 nan = 0;
        int64_t i = 0;
        for (; i + 64 <= full; i += 64) {
            const __m512 a = _mm512_loadu_ps(p + i), b = _mm512_loadu_ps(p + i + 16);
            const __m512 c = _mm512_loadu_ps(p + i + 32), d = _mm512_loadu_ps(p + i + 48);
            nan |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q);
            m0 = _mm512_max_ps(m0, a); m1 = _mm512_max_ps(m1, b);
            m2 = _mm512_max_ps(m2, c); m3 = _mm512_max_ps(m3, d);
        }
        for (; i < full; i += 16) {
            const __m512 a = _mm512_loadu_ps(p + i);
            nan |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
            m0 = _mm512_max_ps(m0, a);
        }
        if (tail) {
            const __m512 a = _mm512_mask_loadu_ps(ninf, tail, p + full);
            nan |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
            m0 = _mm512_max_ps(m0, a);
        }
        if (nan) {  // NaN anywhere poisons the row, exactly like the scalar path
            st.s = NAN;
            continue;
        }
        // The max is taken on raw logits; scaling by 1/T > 0 preserves it.
        const float mraw = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
        if (mraw == -INFINITY) continue;  // an all -inf chunk contributes nothing
        const float mc = mraw * inv_t;
        const __m512 vm = _mm512_set1_ps(mc);
        // Pass B (L1): d = x/T - m, s += e^d, t += e^d * d. d is clamped so that -inf gives e = 0, t += 0.
        const __m512 dlo = _mm512_set1_ps(-100.0f);
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
        i = 0;
        for (; i + 32 <= full; i += 32) {
            const __m512 d0 = _mm512_max_ps(dlo, _mm512_fmsub_ps(_mm512_loadu_ps(p + i), vt, vm));
            const __m512 d1 = _mm512_max_ps(dlo, _mm512_fmsub_ps(_mm512_loadu_ps(p + i + 16), vt, vm));
            const __m512 e0 = exp512(d0), e1 = exp512(d1);
            s0 = _mm512_add_ps(s0, e0); s1 = _mm512_add_ps(s1, e1);
            t0 = _mm512_fmadd_ps(e0, d0, t0); t1 = _mm512_fmadd_ps(e1, d1, t1);
        }
        for (; i < full; i += 16) {
            const __m512 d0 = _mm512_max_ps(dlo, _mm512_fmsub_ps(_mm512_loadu_ps(p + i), vt, vm));
            const __m512 e0 = exp512(d0);
            s0 = _mm512_add_ps(s0, e0);
            t0 = _mm512_fmadd_ps(e0, d0, t0);
        }
        if (tail) {
            const __m512 d0 = _mm512_max_ps(dlo, _mm512_fmsub_ps(_mm512_mask_loadu_ps(ninf, tail, p + full), vt, vm));
            const __m512 e0 = _mm512_maskz_mov_ps(tail, exp512(d0));
            s0 = _mm512_add_ps(s0, e0);
            t0 = _mm512_fmadd_ps(e0, d0, t0);
        }
        const math::SoftmaxState chunk{mc, _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)),
                                       _mm512_reduce_add_ps(_mm512_add_ps(t0, t1))};
        st = math::softmax_merge(st, chunk);
    }
    return st;
}

// AVX2 + FMA: the same algorithm on 8 lanes, 2^n built from the exponent bits (n >= -126 after the clamp).
__attribute__((target("avx2,fma"))) inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(-87.3f), x);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500E-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) inline float hmax256(__m256 v) {
    __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

__attribute__((target("avx2,fma"))) math::SoftmaxState row_avx2(const float * x, int64_t n, float inv_t) {
    math::SoftmaxState st = math::softmax_init();
    const __m256 vt = _mm256_set1_ps(inv_t);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t len = (n - c0) < kChunk ? (n - c0) : kChunk;
        const float * p = x + c0;
        const int64_t full = len & ~int64_t(7);
        __m256 m0 = ninf, m1 = ninf;
        __m256 nanv = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= full; i += 16) {
            const __m256 a = _mm256_loadu_ps(p + i), b = _mm256_loadu_ps(p + i + 8);
            nanv = _mm256_or_ps(nanv, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
            m0 = _mm256_max_ps(m0, a); m1 = _mm256_max_ps(m1, b);
        }
        for (; i < full; i += 8) {
            const __m256 a = _mm256_loadu_ps(p + i);
            nanv = _mm256_or_ps(nanv, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
            m0 = _mm256_max_ps(m0, a);
        }
        float mraw = hmax256(_mm256_max_ps(m0, m1));
        bool nan = _mm256_movemask_ps(nanv) != 0;
        for (int64_t k = full; k < len; ++k) {
            nan |= p[k] != p[k];
            mraw = p[k] > mraw ? p[k] : mraw;
        }
        if (nan) {
            st.s = NAN;
            continue;
        }
        if (mraw == -INFINITY) continue;
        const float mc = mraw * inv_t;
        const __m256 vm = _mm256_set1_ps(mc);
        const __m256 dlo = _mm256_set1_ps(-100.0f);
        __m256 s0 = _mm256_setzero_ps(), t0 = _mm256_setzero_ps();
        for (i = 0; i < full; i += 8) {
            const __m256 d0 = _mm256_max_ps(dlo, _mm256_fmsub_ps(_mm256_loadu_ps(p + i), vt, vm));
            const __m256 e0 = exp256(d0);
            s0 = _mm256_add_ps(s0, e0);
            t0 = _mm256_fmadd_ps(e0, d0, t0);
        }
        math::SoftmaxState chunk{mc, hsum256(s0), hsum256(t0)};
        for (int64_t k = full; k < len; ++k) math::softmax_push(chunk, p[k] * inv_t);
        st = math::softmax_merge(st, chunk);
    }
    return st;
}
#endif

enum class Isa { Scalar, Avx2, Avx512 };

Isa detect_isa() {
#ifdef HP_X86
    // HIGHPERF_CPU_ISA=scalar|avx2 forces a lesser path (tests compare the paths; benchmarks show the gain).
    const char * force = getenv("HIGHPERF_CPU_ISA");
    __builtin_cpu_init();
    const bool has512 = __builtin_cpu_supports("avx512f");
    const bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (force != nullptr && std::strcmp(force, "scalar") == 0) return Isa::Scalar;
    if (force != nullptr && std::strcmp(force, "avx2") == 0) return has2 ? Isa::Avx2 : Isa::Scalar;
    if (has512) return Isa::Avx512;
    if (has2) return Isa::Avx2;
#endif
    return Isa::Scalar;
}

Isa isa() {
    static const Isa value = detect_isa();
    return value;
}

math::SoftmaxState row_state(const float * x, int64_t n, float inv_t) {
#ifdef HP_X86
    switch (isa()) {
        case Isa::Avx512: return row_avx512(x, n, inv_t);
        case Isa::Avx2: return row_avx2(x, n, inv_t);
        default: break;
    }
#endif
    return row_scalar(x, n, inv_t);
}

}  // namespace

extern "C" {

HP_API const char * hp_cpu_isa(void) {
    switch (isa()) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        default: return "scalar";
    }
}

HP_API hp_status hp_vocab_stats(const float * logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                const int32_t * labels, float temperature, float * logprob, float * entropy,
                                float * lse) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_vocab_args(logits, rows, vocab, row_stride, labels, temperature, logprob));
        const float inv_t = 1.0f / temperature;
        for (int64_t r = 0; r < rows; ++r) {
            const float * x = logits + r * row_stride;
            const math::SoftmaxState st = row_state(x, vocab, inv_t);
            const float l = math::softmax_lse(st);
            if (lse != nullptr) lse[r] = l;
            if (entropy != nullptr) entropy[r] = math::softmax_entropy(st);
            if (logprob != nullptr) logprob[r] = math::softmax_logprob(st, x[labels[r]] * inv_t);
        }
        return HP_OK;
    });
}

HP_API hp_status hp_value_guided_logits(const float * logits, const float * q, const float * v, int64_t rows,
                                        int64_t vocab, float beta, float temperature, float * out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(rows, "rows"));
        HP_CHECK(check_len(vocab, "vocab"));
        HP_CHECK(check_finite(beta, "beta"));
        HP_CHECK(check_positive(temperature, "temperature"));
        const int64_t n = rows * vocab;
        HP_CHECK(check_ptr(logits, n, "logits"));
        HP_CHECK(check_ptr(q, n, "q"));
        HP_CHECK(check_ptr(out, n, "out"));
        const float inv_t = 1.0f / temperature;
        for (int64_t r = 0; r < rows; ++r) {
            const float vr = v != nullptr ? v[r] : 0.0f;
            const float * x = logits + r * vocab;
            const float * qr = q + r * vocab;
            float * o = out + r * vocab;
            // Vectorized by gcc (-O3): an elementwise fma chain.
            for (int64_t i = 0; i < vocab; ++i) o[i] = math::value_guided(x[i], qr[i], vr, beta, inv_t);
        }
        return HP_OK;
    });
}

}  // extern "C"
