// CPU kernels of (a) without validation, for reuse by other entry points (validation happens at the boundary).
#pragma once

#include "highperf.h"

namespace hp {

void gae_cpu(const int32_t * offsets, int32_t n_seq, const float * rewards, const float * values,
             const uint8_t * action_mask, const uint8_t * dones, const float * bootstrap_values, const float * logp,
             const float * ref_logp, const hp_gae_params & p, float * advantages, float * returns) noexcept;

void masked_whiten_cpu(float * x, const uint8_t * mask, int64_t n, float eps) noexcept;

}  // namespace hp
