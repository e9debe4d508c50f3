// (c) Fused vocabulary kernel on the GPU: one 256-thread block per row streams the row once (coalesced loads), each
// thread keeps an online-softmax state (kernel_math.hpp, the same update as the CPU), warps and then the block merge
// states with softmax_merge. Bandwidth-bound: 4 B/logit read, 12 B/row written.
#include "cuda_common.cuh"
#include "kernel_math.hpp"

using namespace hp;
using namespace hp::cuda;

namespace {

constexpr int kThreads = 256;

__device__ math::SoftmaxState warp_merge(math::SoftmaxState st) {
    for (int off = 16; off > 0; off >>= 1) {
        math::SoftmaxState o;
        o.m = __shfl_down_sync(0xffffffffu, st.m, off);
        o.s = __shfl_down_sync(0xffffffffu, st.s, off);
        o.t = __shfl_down_sync(0xffffffffu, st.t, off);
        st = math::softmax_merge(st, o);
    }
    return st;
}

__global__ void vocab_stats_kernel(const float * logits, int64_t vocab, int64_t stride, const int32_t * labels,
                                   float inv_t, float * logprob, float * entropy, float * lse) {
    const int64_t row = blockIdx.x;
    const float * x = logits + row * stride;
    math::SoftmaxState st = math::softmax_init();
    for (int64_t i = threadIdx.x; i < vocab; i += kThreads) math::softmax_push(st, x[i] * inv_t);
    st = warp_merge(st);
    __shared__ math::SoftmaxState partial[kThreads / 32];
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = st;
    __syncthreads();
    if (threadIdx.x == 0) {
        math::SoftmaxState all = partial[0];
        for (int w = 1; w < kThreads / 32; ++w) all = math::softmax_merge(all, partial[w]);
        const float l = math::softmax_lse(all);
        if (lse != nullptr) lse[row] = l;
        if (entropy != nullptr) entropy[row] = math::softmax_entropy(all);
        if (logprob != nullptr) {
            const int32_t y = labels[row];
            logprob[row] = (y >= 0 && y < vocab) ? math::softmax_logprob(all, x[y] * inv_t) : NAN;
        }
    }
}

__global__ void value_guided_kernel(const float * logits, const float * q, const float * v, int64_t vocab, int64_t n,
                                    float beta, float inv_t, float * out) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float vr = v != nullptr ? v[i / vocab] : 0.0f;
        out[i] = math::value_guided(logits[i], q[i], vr, beta, inv_t);
    }
}

hp_status launch_vocab(const float * d_logits, int64_t rows, int64_t vocab, int64_t stride, const int32_t * d_labels,
                       float inv_t, float * d_lp, float * d_ent, float * d_lse) {
    for (int64_t r0 = 0; r0 < rows; r0 += 65535 * 32) {  // grid.x limit is large on sm_30+, but chunk anyway
        const int64_t n = rows - r0 < 65535 * 32 ? rows - r0 : 65535 * 32;
        vocab_stats_kernel<<<static_cast<unsigned>(n), kThreads>>>(
            d_logits + r0 * stride, vocab, stride, d_labels != nullptr ? d_labels + r0 : nullptr, inv_t,
            d_lp != nullptr ? d_lp + r0 : nullptr, d_ent != nullptr ? d_ent + r0 : nullptr,
            d_lse != nullptr ? d_lse + r0 : nullptr);
        HP_CUDA(cudaGetLastError());
    }
    return HP_OK;
}

}  // namespace

extern "C" {

HP_API hp_status hp_cuda_vocab_stats(const float * logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                     const int32_t * labels, float temperature, float * logprob, float * entropy,
                                     float * lse) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_vocab_args(logits, rows, vocab, row_stride, labels, temperature, logprob));
        HP_CHECK(require_device());
        if (rows == 0) return HP_OK;
        DeviceBuffer<float> d_x, d_lp, d_ent, d_lse;
        DeviceBuffer<int32_t> d_y;
        HP_CUDA(d_x.upload(logits, (rows - 1) * row_stride + vocab));
        if (logprob != nullptr) HP_CUDA(d_y.upload(labels, rows));
        if (logprob != nullptr) HP_CUDA(d_lp.alloc(rows));
        if (entropy != nullptr) HP_CUDA(d_ent.alloc(rows));
        if (lse != nullptr) HP_CUDA(d_lse.alloc(rows));
        HP_CHECK(launch_vocab(d_x.ptr, rows, vocab, row_stride, d_y.ptr, 1.0f / temperature, d_lp.ptr, d_ent.ptr,
                              d_lse.ptr));
        HP_CUDA(d_lp.download(logprob, rows));
        HP_CUDA(d_ent.download(entropy, rows));
        HP_CUDA(d_lse.download(lse, rows));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_vocab_stats_dev(const float * d_logits, int64_t rows, int64_t vocab, int64_t row_stride,
                                         const int32_t * d_labels, float temperature, float * d_logprob,
                                         float * d_entropy, float * d_lse) {
    return guarded([&]() -> hp_status {
        // Labels live on the device: range-checked in the kernel (NaN logprob), not here.
        HP_CHECK(check_vocab_args(d_logits, rows, vocab, row_stride, nullptr, temperature, nullptr));
        if (d_logprob != nullptr && d_labels == nullptr && rows > 0)
            return invalid("d_labels must not be null when d_logprob is requested");
        HP_CHECK(require_device());
        if (rows == 0) return HP_OK;
        HP_CHECK(launch_vocab(d_logits, rows, vocab, row_stride, d_labels, 1.0f / temperature, d_logprob, d_entropy,
                              d_lse));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_value_guided_logits(const float * logits, const float * q, const float * v, int64_t rows,
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
        HP_CHECK(require_device());
        if (n == 0) return HP_OK;
        DeviceBuffer<float> d_x, d_q, d_v, d_o;
        HP_CUDA(d_x.upload(logits, n));
        HP_CUDA(d_q.upload(q, n));
        HP_CUDA(d_v.upload(v, rows));
        HP_CUDA(d_o.alloc(n));
        value_guided_kernel<<<blocks_for(n, 256), 256>>>(d_x.ptr, d_q.ptr, d_v.ptr, vocab, n, beta, 1.0f / temperature,
                                                         d_o.ptr);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_o.download(out, n));
        return HP_OK;
    });
}

}  // extern "C"
