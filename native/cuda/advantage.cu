// (a) Token-level advantages on the GPU. GAE is a serial recurrence per sequence, so one thread walks one sequence
// (the per-token math is kernel_math.hpp's, the same as the CPU); whitening is a grid-wide masked reduction in
// double plus a normalize pass.
#include "cuda_common.cuh"
#include "kernel_math.hpp"

using namespace hp;
using namespace hp::cuda;

namespace {

__global__ void gae_kernel(const int32_t * offsets, int32_t n_seq, const float * rewards, const float * values,
                           const uint8_t * mask, const uint8_t * dones, const float * boot, const float * logp,
                           const float * ref_logp, hp_gae_params p, float * adv, float * ret) {
    const int32_t s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= n_seq) return;
    const float gl = p.gamma * p.lambda;
    float next_value = (boot != nullptr && dones[s] == 0) ? boot[s] : 0.0f;
    float last_gae = 0.0f;
    for (int32_t t = offsets[s + 1] - 1; t >= offsets[s]; --t) {
        const bool action = mask[t] != 0;
        float r = rewards[t];
        if (p.kl_estimator != HP_KL_NONE) r -= p.kl_coef * math::kl_estimate(logp[t], ref_logp[t], p.kl_estimator);
        const float v = values[t];
        const float a = math::gae_step(action, r, v, p.gamma, gl, next_value, last_gae);
        adv[t] = action ? a : 0.0f;
        ret[t] = action ? a + v : 0.0f;
    }
}

// sums[0] = sum x, sums[1] = sum x^2, sums[2] = count, over mask != 0 (mask null = all).
__global__ void masked_moments_kernel(const float * x, const uint8_t * mask, int64_t n, double * sums) {
    double s = 0.0, q = 0.0, c = 0.0;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        if (mask == nullptr || mask[i] != 0) {
            const double v = x[i];
            s += v;
            q += v * v;
            c += 1.0;
        }
    }
    for (int off = 16; off > 0; off >>= 1) {
        s += __shfl_down_sync(0xffffffffu, s, off);
        q += __shfl_down_sync(0xffffffffu, q, off);
        c += __shfl_down_sync(0xffffffffu, c, off);
    }
    if ((threadIdx.x & 31) == 0) {
        atomicAdd(&sums[0], s);
        atomicAdd(&sums[1], q);
        atomicAdd(&sums[2], c);
    }
}

__global__ void whiten_kernel(float * x, const uint8_t * mask, int64_t n, const double * sums, float eps) {
    const double count = sums[2];
    const double mean = count > 0.0 ? sums[0] / count : 0.0;
    double var = count > 1.0 ? (sums[1] - sums[0] * mean) / (count - 1.0) : 0.0;
    var = var < 0.0 ? 0.0 : var;
    const float meanf = static_cast<float>(mean);
    const float rstd = static_cast<float>(1.0 / sqrt(var + static_cast<double>(eps)));
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const bool m = (mask == nullptr || mask[i] != 0) && count > 0.0;
        x[i] = m ? (x[i] - meanf) * rstd : 0.0f;
    }
}

__global__ void broadcast_kernel(const float * uv, const int32_t * idx, int64_t n, float * out) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int32_t u = idx[i];
        out[i] = u >= 0 ? uv[u] : 0.0f;
    }
}

__global__ void ppo_kernel(const float * adv, const float * nl, const float * ol, const uint8_t * mask, int64_t n,
                           float eps, float * w, float * ratio_out) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float ratio;
        const float wi = math::ppo_weight(adv[i], nl[i], ol[i], eps, ratio);
        w[i] = (mask == nullptr || mask[i] != 0) ? wi : 0.0f;
        if (ratio_out != nullptr) ratio_out[i] = ratio;
    }
}

}  // namespace

extern "C" {

HP_API hp_status hp_cuda_gae(const int32_t * offsets, int32_t n_seq, int64_t n_tokens, const float * rewards,
                             const float * values, const uint8_t * action_mask, const uint8_t * dones,
                             const float * bootstrap_values, const float * logp, const float * ref_logp,
                             hp_gae_params params, float * advantages, float * returns) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_gae_args(offsets, n_seq, n_tokens, rewards, values, action_mask, dones, logp, ref_logp, params,
                                advantages, returns));
        HP_CHECK(require_device());
        if (n_seq == 0) return HP_OK;
        const bool kl = params.kl_estimator != HP_KL_NONE;
        DeviceBuffer<int32_t> d_off;
        DeviceBuffer<float> d_r, d_v, d_boot, d_lp, d_ref, d_adv, d_ret;
        DeviceBuffer<uint8_t> d_m, d_done;
        DeviceBuffer<double> d_sums;
        HP_CUDA(d_off.upload(offsets, n_seq + 1));
        HP_CUDA(d_r.upload(rewards, n_tokens));
        HP_CUDA(d_v.upload(values, n_tokens));
        HP_CUDA(d_m.upload(action_mask, n_tokens));
        HP_CUDA(d_done.upload(dones, n_seq));
        HP_CUDA(d_boot.upload(bootstrap_values, n_seq));
        if (kl) {
            HP_CUDA(d_lp.upload(logp, n_tokens));
            HP_CUDA(d_ref.upload(ref_logp, n_tokens));
        }
        HP_CUDA(d_adv.alloc(n_tokens));
        HP_CUDA(d_ret.alloc(n_tokens));
        gae_kernel<<<blocks_for(n_seq, 128), 128>>>(d_off.ptr, n_seq, d_r.ptr, d_v.ptr, d_m.ptr, d_done.ptr, d_boot.ptr,
                                                    d_lp.ptr, d_ref.ptr, params, d_adv.ptr, d_ret.ptr);
        HP_CUDA(cudaGetLastError());
        if (params.whiten != 0 && n_tokens > 0) {
            HP_CUDA(d_sums.alloc(3));
            HP_CUDA(cudaMemset(d_sums.ptr, 0, 3 * sizeof(double)));
            const unsigned g = blocks_for(n_tokens, 256) < 1024 ? blocks_for(n_tokens, 256) : 1024;
            masked_moments_kernel<<<g, 256>>>(d_adv.ptr, d_m.ptr, n_tokens, d_sums.ptr);
            whiten_kernel<<<g, 256>>>(d_adv.ptr, d_m.ptr, n_tokens, d_sums.ptr, params.whiten_eps);
            HP_CUDA(cudaGetLastError());
        }
        HP_CUDA(d_adv.download(advantages, n_tokens));
        HP_CUDA(d_ret.download(returns, n_tokens));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_broadcast_utterance(const float * utt_values, int64_t n_utt, const int32_t * utt_index,
                                             int64_t n_tokens, float * out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n_utt, "n_utt"));
        HP_CHECK(check_len(n_tokens, "n_tokens"));
        HP_CHECK(check_ptr(utt_values, n_utt, "utt_values"));
        HP_CHECK(check_index_array(utt_index, n_tokens, n_utt, "utt_index"));
        HP_CHECK(check_ptr(out, n_tokens, "out"));
        HP_CHECK(require_device());
        if (n_tokens == 0) return HP_OK;
        DeviceBuffer<float> d_u, d_out;
        DeviceBuffer<int32_t> d_idx;
        HP_CUDA(d_u.upload(utt_values, n_utt));
        HP_CUDA(d_idx.upload(utt_index, n_tokens));
        HP_CUDA(d_out.alloc(n_tokens));
        broadcast_kernel<<<blocks_for(n_tokens, 256), 256>>>(d_u.ptr, d_idx.ptr, n_tokens, d_out.ptr);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_out.download(out, n_tokens));
        return HP_OK;
    });
}

HP_API hp_status hp_cuda_ppo_clip_weights(const float * advantages, const float * new_logp, const float * old_logp,
                                          const uint8_t * mask, int64_t n, float clip_eps, float * weights,
                                          float * ratio_out) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_len(n, "n"));
        HP_CHECK(check_ptr(advantages, n, "advantages"));
        HP_CHECK(check_ptr(new_logp, n, "new_logp"));
        HP_CHECK(check_ptr(old_logp, n, "old_logp"));
        HP_CHECK(check_ptr(weights, n, "weights"));
        if (!(clip_eps >= 0.0f && clip_eps < 1.0f))
            return invalid("clip_eps must be in [0, 1) (got " + std::to_string(clip_eps) + ")");
        HP_CHECK(require_device());
        if (n == 0) return HP_OK;
        DeviceBuffer<float> d_a, d_n, d_o, d_w, d_ratio;
        DeviceBuffer<uint8_t> d_m;
        HP_CUDA(d_a.upload(advantages, n));
        HP_CUDA(d_n.upload(new_logp, n));
        HP_CUDA(d_o.upload(old_logp, n));
        HP_CUDA(d_m.upload(mask, n));
        HP_CUDA(d_w.alloc(n));
        if (ratio_out != nullptr) HP_CUDA(d_ratio.alloc(n));
        ppo_kernel<<<blocks_for(n, 256), 256>>>(d_a.ptr, d_n.ptr, d_o.ptr, d_m.ptr, n, clip_eps, d_w.ptr, d_ratio.ptr);
        HP_CUDA(cudaGetLastError());
        HP_CUDA(d_w.download(weights, n));
        HP_CUDA(d_ratio.download(ratio_out, n));
        return HP_OK;
    });
}

}  // extern "C"
