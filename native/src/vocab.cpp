// (c) Fused vocabulary kernel on the CPU: per row of logits, one pass over DRAM computing logsumexp, entropy and
// the log-prob of the label without materializing log-probs; and the value-guided logit adjustment.
//
// Why it is fast: each row is streamed in chunks of kChunk floats (16 KiB, L1-resident). Pass A over a chunk loads it
// from DRAM and takes its max; pass B re-reads it from L1 and accumulates s = sum e^(x-m), t = sum e^(x-m)(x-m) with
// a float polynomial exp in SIMD registers. Chunk states are merged with the shared online-softmax merge, so DRAM sees
// one read per logit. The exp is our own (Cephes-style, rel. err ~2e-7) because a libm call per lane is what makes
// the managed TensorPrimitives version 8x slower.
#include "cpu_level.hpp"
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

// 2^y on 16 lanes for y in [-126, ~127]: y = n + f, |f| <= 1/2, 2^f by a degree-5 polynomial, 2^n by scalef. Inputs below -126 must be clamped by the caller (keeps results normal: no
// denormal assists); NaN propagates.
__attribute__((target("avx512f"))) inline __m512 exp2_512(__m512 y) {
    const __m512 n = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(y, n);
    // Degree 5 (Taylor coefficients of 2^f = e^(f ln 2), rel. err <= 2.4e-6 at |f| = 1/2): one FMA less than
    // degree 6 on the kernel's critical resource; 2e-6 relative in e^x is far below what a logprob needs.
    __m512 p = _mm512_set1_ps(1.3333558146428443e-3f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// Exp-sums of one chunk against a fixed reference m, in base 2 to save the ln2 range reduction:
//   y = (x/T - m) log2 e,  s = sum 2^y,  t2 = sum 2^y * y,
// and t = t2 * ln 2. Any m works (lse = m + log s, entropy = log s - t/s); the caller only needs m large enough that
// s does not overflow. NaN in x makes s NaN. y is clamped at -126, so -inf logits contribute ~1e-38 (negligible
// against the max element's 2^0 = 1) instead of NaN.
__attribute__((target("avx512f"))) inline void chunk_sums512(const float * p, int64_t len, float inv_t, float m,
                                                             float & s, float & t) {
    constexpr float kLog2e = 1.44269504088896341f;
    // d = x/T - m first (fmsub, exact up to one rounding), then * log2 e: prescaling m by log2 e would round m
    // (an error of ~1e23 at m = 1e30) and ruin rows with huge logits.
    const __m512 va = _mm512_set1_ps(inv_t), vb = _mm512_set1_ps(m), vl = _mm512_set1_ps(kLog2e);
    const __m512 ninf = _mm512_set1_ps(-INFINITY), ylo = _mm512_set1_ps(-126.0f);
    const int64_t full = len & ~int64_t(15);
    const __mmask16 tail = static_cast<__mmask16>((1u << (len - full)) - 1u);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps(), t2 = _mm512_setzero_ps(), t3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= full; i += 64) {
        // Software prefetch 4 KiB ahead (one 64 B line per 16 floats): keeps DRAM busy while the exps run.
        _mm_prefetch(reinterpret_cast<const char *>(p + i + 1024), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(p + i + 1040), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(p + i + 1056), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(p + i + 1072), _MM_HINT_T0);
        const __m512 y0 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_loadu_ps(p + i), va, vb)));  // order keeps NaN
        const __m512 y1 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_loadu_ps(p + i + 16), va, vb)));
        const __m512 y2 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_loadu_ps(p + i + 32), va, vb)));
        const __m512 y3 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_loadu_ps(p + i + 48), va, vb)));
        const __m512 e0 = exp2_512(y0), e1 = exp2_512(y1), e2 = exp2_512(y2), e3 = exp2_512(y3);
        s0 = _mm512_add_ps(s0, e0); s1 = _mm512_add_ps(s1, e1); s2 = _mm512_add_ps(s2, e2); s3 = _mm512_add_ps(s3, e3);
        t0 = _mm512_fmadd_ps(e0, y0, t0); t1 = _mm512_fmadd_ps(e1, y1, t1);
        t2 = _mm512_fmadd_ps(e2, y2, t2); t3 = _mm512_fmadd_ps(e3, y3, t3);
    }
    for (; i < full; i += 16) {
        const __m512 y0 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_loadu_ps(p + i), va, vb)));
        const __m512 e0 = exp2_512(y0);
        s0 = _mm512_add_ps(s0, e0);
        t0 = _mm512_fmadd_ps(e0, y0, t0);
    }
    if (tail) {
        const __m512 y0 = _mm512_max_ps(ylo, _mm512_mul_ps(vl, _mm512_fmsub_ps(_mm512_mask_loadu_ps(ninf, tail, p + full), va, vb)));
        const __m512 e0 = _mm512_maskz_mov_ps(tail, exp2_512(y0));
        s0 = _mm512_add_ps(s0, e0);
        t0 = _mm512_fmadd_ps(e0, y0, t0);
    }
    s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    t = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(t0, t1), _mm512_add_ps(t2, t3))) * 0.69314718055994531f;
}

__attribute__((target("avx512f"))) inline float chunk_max512(const float * p, int64_t len, bool & nan) {
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const int64_t full = len & ~int64_t(15);
    const __mmask16 tail = static_cast<__mmask16>((1u << (len - full)) - 1u);
    __m512 m0 = ninf, m1 = ninf;
    __mmask16 bad = 0;
    int64_t i = 0;
    for (; i + 32 <= full; i += 32) {
        const __m512 a = _mm512_loadu_ps(p + i), b = _mm512_loadu_ps(p + i + 16);
        bad |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q);
        m0 = _mm512_max_ps(m0, a);
        m1 = _mm512_max_ps(m1, b);
    }
    for (; i < full; i += 16) {
        const __m512 a = _mm512_loadu_ps(p + i);
        bad |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
        m0 = _mm512_max_ps(m0, a);
    }
    if (tail) {
        const __m512 a = _mm512_mask_loadu_ps(ninf, tail, p + full);
        bad |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
        m0 = _mm512_max_ps(m0, a);
    }
    nan = bad != 0;
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

// One DRAM pass per row. The first chunk (and any chunk while nothing finite has been seen) takes its max first
// (two L1 passes); later chunks reuse the running reference m and need a single read: their exp-sums are simply
// added. The reference never has to be the exact max, since (m, s, t) stay exact for any m; only when a chunk's sum
// gets large (some logit more than ~60 above m, or inf/NaN) is that chunk redone against its own max (it is still in
// L1) and merged with one rescale. So there is no per-vector max, NaN test or rescaling exp in the streaming loop.
__attribute__((target("avx512f"))) math::SoftmaxState row_avx512(const float * x, int64_t n, float inv_t) {
    constexpr float kLargeSum = 1e26f;  // 4096 terms each <= e^60 stay below this; float overflows at 3e38
    math::SoftmaxState st = math::softmax_init();
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t len = (n - c0) < kChunk ? (n - c0) : kChunk;
        const float * p = x + c0;
        if (st.m != -INFINITY && st.s == st.s) {
            float s, t;
            chunk_sums512(p, len, inv_t, st.m, s, t);
            if (s <= kLargeSum && t == t) {  // false for NaN and inf too
                st.s += s;
                st.t += t;
                continue;
            }
        } else if (st.s != st.s) {
            continue;  // already NaN
        }
        // Two-pass chunk: its own max as reference, then merge (rescales the running state once).
        bool nan = false;
        const float mraw = chunk_max512(p, len, nan);
        if (nan) {
            st.s = NAN;  // NaN anywhere poisons the row, like the scalar path
            continue;
        }
        if (mraw == -INFINITY) continue;  // an all -inf chunk contributes nothing
        const float mc = mraw * inv_t;    // scaling by 1/T > 0 preserves the max
        float s, t;
        chunk_sums512(p, len, inv_t, mc, s, t);
        st = math::softmax_merge(st, math::SoftmaxState{mc, s, t});
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

using Isa = CpuLevel;

Isa isa() { return cpu_level(); }

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

namespace hp {

namespace {
CpuLevel detect_level() noexcept {
#ifdef HP_X86
    // HIGHPERF_CPU_ISA=scalar|avx2 forces a lesser path (to test and benchmark the fallbacks).
    const char * force = getenv("HIGHPERF_CPU_ISA");
    __builtin_cpu_init();
    // Individual features, not "x86-64-v4": the level names read __cpu_features2, which an older libgcc_s on the
    // host leaves unset from inside a shared library (observed: the level check said no on an AVX-512 machine).
    const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2") &&
                    __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe");
    const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                    __builtin_cpu_supports("avx512cd");
    if (force != nullptr && std::strcmp(force, "scalar") == 0) return CpuLevel::Scalar;
    if (force != nullptr && std::strcmp(force, "avx2") == 0) return v3 ? CpuLevel::Avx2 : CpuLevel::Scalar;
    if (v4) return CpuLevel::Avx512;
    if (v3) return CpuLevel::Avx2;
#endif
    return CpuLevel::Scalar;
}
}  // namespace

CpuLevel cpu_level() noexcept {
    static const CpuLevel level = detect_level();
    return level;
}

}  // namespace hp

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
