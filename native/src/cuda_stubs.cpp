// Built only without CUDA: the hp_cuda_* symbols still exist (so bindings load everywhere) and say why they cannot
// run. hp_cuda_available() (status.cpp) returns 0 in this build, which is what callers check first.
#include "status.hpp"

namespace {
hp_status no_cuda() noexcept {
    return hp::fail(HP_ERR_UNSUPPORTED, "this libhighperf was built without CUDA (configure with -DHIGHPERF_CUDA=ON)");
}
}  // namespace

extern "C" {
HP_API hp_status hp_cuda_gae(const int32_t *, int32_t, int64_t, const float *, const float *, const uint8_t *,
                             const uint8_t *, const float *, const float *, const float *, hp_gae_params, float *,
                             float *) { return no_cuda(); }
HP_API hp_status hp_cuda_broadcast_utterance(const float *, int64_t, const int32_t *, int64_t, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_ppo_clip_weights(const float *, const float *, const float *, const uint8_t *, int64_t, float,
                                          float *, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_td_targets(const float *, const uint8_t *, const int32_t *, int64_t, const float *,
                                    const float *, int64_t, float, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_mc_returns(const int32_t *, int32_t, int64_t, const float *, const uint8_t *, float,
                                    float *) { return no_cuda(); }
HP_API hp_status hp_cuda_polyak(float *, const float *, int64_t, float) { return no_cuda(); }
HP_API hp_status hp_cuda_vocab_stats(const float *, int64_t, int64_t, int64_t, const int32_t *, float, float *,
                                     float *, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_value_guided_logits(const float *, const float *, const float *, int64_t, int64_t, float,
                                             float, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_vocab_stats_dev(const float *, int64_t, int64_t, int64_t, const int32_t *, float, float *,
                                         float *, float *) { return no_cuda(); }
HP_API hp_status hp_cuda_polyak_dev(float *, const float *, int64_t, float) { return no_cuda(); }
}
