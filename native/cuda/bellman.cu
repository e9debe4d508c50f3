// (b) Bellman backups on the GPU: TD targets over indexed transitions, MC returns-to-go (one thread per sequence)
// and Polyak averaging (grid-stride lerp), with kernel_math.hpp's per-element math.
#include "cuda_common.cuh"
#include "kernel_math.hpp"

using namespace hp;
using namespace hp::cuda;

namespace {

__global__ void td_kernel(const float * r, const uint8_t * done, const int32_t * next, int64_t n, const float * v1,
                          const float * v2, float gamma, float * y) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int32_t j = next[i];
        const float vn = j >= 0 ? (v2 != nullptr ? math::min_nan(v1[j], v2[j]) : v1[j]) : 0.0f;
        y[i] = math::td_target(r[i], done[i] != 0 || j < 0, vn, gamma);
    }
}

__global__ void mc_kernel(const int32_t * offsets, int32_t n_seq, const float * r, const uint8_t * mask, float gamma,
                          float * ret) {
    const int32_t s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= n_seq) return;
    float running = 0.0f;
    for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
        const bool action = mask[t] != 0;
        const float g = math::mc_step(action, r[t], gamma, running);
        ret[t] = action ? g : 0.0f;
    }
}

__global__ void polyak_kernel(float * target, const float * online, int64_t n, float alpha) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        target[i] = math::polyak(target[i], online[i], alpha);
}

}  // namespace

extern "C" {

HP_API hp_status hp_cuda_td_targets(const float * rewards, const uint8_t * dones, const int32_t * next_index,
                                    int64_t n, const float * next_v1, const float * next_v2, int64_t n_values,
                                    float gamma, float * targets) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_len(n_values, "n_values"));
        HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
        HP_CHECK(check_ptr(rewards, n, "rewards"));
        HP_CHECK(check_ptr(dones, n, "dones"));
        HP_CHECK(check_index_array(next_index, n, n_values, "next_index"));
        HP_CHECK(check_ptr(next_v1, n_values, "next_v1"));
        HP_CHECK(check_ptr(targets, n, "targets"));
        HP_CHECK(require_device());
        if (n == 0) return HP_OK;
        DeviceBuffer<float> d_r, d_v1, d_v2, d_y;
        DeviceBuffer<uint8_t> d_d;
        DeviceBuffer<int32_t> d_next;
        HP_CUDA(d_r.upload(rewards, n));
        HP_CUDA(d_d.upload(dones, n));
        HP_CUDA(d_next.upload(next_index, n));
        HP_CUDA(d_v1.upload(next_v1, n_values));
        HP_CUDA(d_v2.upload(next_v2, n_values));
        HP_CUDA(d_y.alloc(n));
        td_kernel<<<blocks_for(n, 256), 256>>>(d_r.ptr, d_d.ptr, d_next.ptr, n, d_v1.ptr, d_v2.ptr, gamma, d_y.ptr);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_y.download(targets, n));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_mc_returns(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                                    const uint8_t * action_mask, float gamma, float * returns) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_offsets(offsets, n_seq, n_tokens));
        HP_CHECK(check_range(gamma, 0.0f, 1.0f, "gamma"));
        HP_CHECK(check_ptr(rewards, n_tokens, "rewards"));
        HP_CHECK(check_ptr(action_mask, n_tokens, "action_mask"));
        HP_CHECK(check_ptr(returns, n_tokens, "returns"));
        HP_CHECK(require_device());
        if (n_seq == 0 || n_tokens == 0) return HP_OK;
        DeviceBuffer<int32_t> d_off;
        DeviceBuffer<float> d_r, d_ret;
        DeviceBuffer<uint8_t> d_m;
        HP_CUDA(d_off.upload(offsets, n_seq + 1));
        HP_CUDA(d_r.upload(rewards, n_tokens));
        HP_CUDA(d_m.upload(action_mask, n_tokens));
        HP_CUDA(d_ret.alloc(n_tokens));
        mc_kernel<<<blocks_for(n_seq, 128), 128>>>(d_off.ptr, n_seq, d_r.ptr, d_m.ptr, gamma, d_ret.ptr);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_ret.download(returns, n_tokens));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_polyak_dev(float * d_target, const float * d_online, int64_t n, float alpha) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_range(alpha, 0.0f, 1.0f, "alpha"));
        HP_CHECK(check_ptr(d_target, n, "d_target"));
        HP_CHECK(check_ptr(d_online, n, "d_online"));
        HP_CHECK(require_device());
        if (n == 0) return HP_OK;
        polyak_kernel<<<blocks_for(n, 256), 256>>>(d_target, d_online, n, alpha);
        HP_CUDA(cudaGetLastError());
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_polyak(float * target, const float * online, int64_t n, float alpha) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_range(alpha, 0.0f, 1.0f, "alpha"));
        HP_CHECK(check_ptr(target, n, "target"));
        HP_CHECK(check_ptr(online, n, "online"));
        HP_CHECK(require_device());
        if (n == 0) return HP_OK;
        DeviceBuffer<float> d_t, d_o;
        HP_CUDA(d_t.upload(target, n));
        HP_CUDA(d_o.upload(online, n));
        polyak_kernel<<<blocks_for(n, 256), 256>>>(d_t.ptr, d_o.ptr, n, alpha);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_t.download(target, n));
        return HP_OK;
    });
}

}  // extern "C"
