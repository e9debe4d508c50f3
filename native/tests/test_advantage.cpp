// (a) advantages: hand-computed GAE with the multi-turn carry, KL shaping, whitening, broadcast, PPO weights, and the
// C API's error paths.
#include "highperf.h"
#include "kernel_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

hp_gae_params params(float gamma, float lambda) {
    hp_gae_params p{};
    p.gamma = gamma;
    p.lambda = lambda;
    p.kl_estimator = HP_KL_NONE;
    p.whiten_eps = 1e-8f;
    return p;
}

TEST(Gae, HandComputedCarryAcrossObservation) {
    // One sequence: [act0, obs, act1]; gamma 0.5, lambda 0.5, rewards on act tokens 1 and 2, values 1, 9, 3.
    // act1: delta = 2 + 0.5*0 - 3 = -1, A = -1.
    // obs : skipped (nv = 3, l = -1 carried).
    // act0: delta = 1 + 0.5*3 - 1 = 1.5, A = 1.5 + 0.25*(-1) = 1.25.
    const int32_t off[] = {0, 3};
    const float r[] = {1, 100, 2}, v[] = {1, 9, 3};
    const uint8_t m[] = {1, 0, 1}, done[] = {1};
    float a[3], ret[3];
    ASSERT_EQ(HP_OK, hp_gae(off, 1, 3, r, v, m, done, nullptr, nullptr, nullptr, params(0.5f, 0.5f), a, ret));
    EXPECT_FLOAT_EQ(1.25f, a[0]);
    EXPECT_FLOAT_EQ(0.0f, a[1]);
    EXPECT_FLOAT_EQ(-1.0f, a[2]);
    EXPECT_FLOAT_EQ(2.25f, ret[0]);
    EXPECT_FLOAT_EQ(0.0f, ret[1]);
    EXPECT_FLOAT_EQ(2.0f, ret[2]);
}

TEST(Gae, BootstrapUsedOnlyWhenNotDone) {
    const int32_t off[] = {0, 1, 2};
    const float r[] = {1, 1}, v[] = {0, 0}, boot[] = {10, 10};
    const uint8_t m[] = {1, 1}, done[] = {0, 1};
    float a[2], ret[2];
    ASSERT_EQ(HP_OK, hp_gae(off, 2, 2, r, v, m, done, boot, nullptr, nullptr, params(0.9f, 1.0f), a, ret));
    EXPECT_FLOAT_EQ(1.0f + 0.9f * 10.0f, a[0]);
    EXPECT_FLOAT_EQ(1.0f, a[1]);
}

TEST(Gae, KlShapingK1) {
    const int32_t off[] = {0, 1};
    const float r[] = {1}, v[] = {0}, lp[] = {-1.0f}, ref[] = {-1.5f};
    const uint8_t m[] = {1}, done[] = {1};
    hp_gae_params p = params(1.0f, 1.0f);
    p.kl_estimator = HP_KL_K1;
    p.kl_coef = 0.1f;
    float a[1], ret[1];
    ASSERT_EQ(HP_OK, hp_gae(off, 1, 1, r, v, m, done, nullptr, lp, ref, p, a, ret));
    EXPECT_FLOAT_EQ(1.0f - 0.1f * 0.5f, a[0]);
}

TEST(Gae, WhitenBessel) {
    const int32_t off[] = {0, 3};
    const float r[] = {1, 2, 3}, v[] = {0, 0, 0};
    const uint8_t m[] = {1, 1, 1}, done[] = {1};
    hp_gae_params p = params(0.0f, 0.0f);  // A = r
    p.whiten = 1;
    float a[3], ret[3];
    ASSERT_EQ(HP_OK, hp_gae(off, 1, 3, r, v, m, done, nullptr, nullptr, nullptr, p, a, ret));
    // mean 2, Bessel var 1 -> (-1, 0, 1).
    EXPECT_NEAR(-1.0f, a[0], 1e-6f);
    EXPECT_NEAR(0.0f, a[1], 1e-6f);
    EXPECT_NEAR(1.0f, a[2], 1e-6f);
    EXPECT_FLOAT_EQ(1.0f, ret[0]);  // returns are taken before whitening
}

TEST(Gae, ErrorPaths) {
    const int32_t bad_off[] = {0, 2, 1};
    const float x[3] = {0, 0, 0};
    const uint8_t m[3] = {1, 1, 1}, d[2] = {0, 0};
    float a[3], ret[3];
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(bad_off, 2, 1, x, x, m, d, nullptr, nullptr, nullptr, params(1, 1), a, ret));
    EXPECT_NE(std::string(hp_last_error()).find("offsets"), std::string::npos);
    const int32_t off[] = {0, 3};
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(nullptr, 1, 3, x, x, m, d, nullptr, nullptr, nullptr, params(1, 1), a, ret));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, nullptr, x, m, d, nullptr, nullptr, nullptr, params(1, 1), a, ret));
    EXPECT_NE(std::string(hp_last_error()).find("rewards"), std::string::npos);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 2, x, x, m, d, nullptr, nullptr, nullptr, params(1, 1), a, ret));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, -1, 3, x, x, m, d, nullptr, nullptr, nullptr, params(1, 1), a, ret));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, x, x, m, d, nullptr, nullptr, nullptr, params(1.5f, 1), a, ret));
    EXPECT_NE(std::string(hp_last_error()).find("gamma"), std::string::npos);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, x, x, m, d, nullptr, nullptr, nullptr, params(NAN, 1), a, ret));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, x, x, m, d, nullptr, nullptr, nullptr, params(1, -0.1f), a, ret));
    hp_gae_params p = params(1, 1);
    p.kl_estimator = HP_KL_K3;
    p.kl_coef = 0.1f;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, x, x, m, d, nullptr, nullptr, x, p, a, ret));
    EXPECT_NE(std::string(hp_last_error()).find("logp"), std::string::npos);
    p.kl_estimator = 7;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_gae(off, 1, 3, x, x, m, d, nullptr, x, x, p, a, ret));
}

TEST(KernelMath, KlEstimatorsAndClamps) {
    EXPECT_FLOAT_EQ(0.5f, hp::math::kl_estimate(0.0f, -0.5f, HP_KL_K1));
    EXPECT_FLOAT_EQ(0.125f, hp::math::kl_estimate(0.0f, -0.5f, HP_KL_K2));
    EXPECT_NEAR(std::exp(-0.5f) + 0.5f - 1.0f, hp::math::kl_estimate(0.0f, -0.5f, HP_KL_K3), 1e-7f);
    EXPECT_FLOAT_EQ(20.0f, hp::math::kl_estimate(100.0f, 0.0f, HP_KL_K1));  // log-ratio clamp
    EXPECT_FLOAT_EQ(10.0f, hp::math::kl_estimate(-100.0f, 0.0f, HP_KL_K3));  // k3 clamp
    EXPECT_TRUE(std::isnan(hp::math::kl_estimate(NAN, 0.0f, HP_KL_K2)));
}

TEST(Whiten, EdgeCounts) {
    float x[3] = {5, 6, 7};
    const uint8_t none[3] = {0, 0, 0}, one[3] = {0, 1, 0};
    ASSERT_EQ(HP_OK, hp_masked_whiten(x, one, 3, 1e-8f));
    EXPECT_FLOAT_EQ(0.0f, x[0]);
    EXPECT_FLOAT_EQ(0.0f, x[1]);  // single element: (x - mean) = 0
    float y[2] = {1, 2};
    ASSERT_EQ(HP_OK, hp_masked_whiten(y, none, 2, 1e-8f));
    EXPECT_FLOAT_EQ(0.0f, y[0]);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_masked_whiten(y, nullptr, 2, 0.0f));
}

TEST(Utterance, AdvantageAndBroadcast) {
    const float q1[] = {1, 5}, q2[] = {2, 4}, v1[] = {0.5f, 1}, v2[] = {1, 3};
    float adv[2];
    ASSERT_EQ(HP_OK, hp_utterance_advantage(q1, q2, v1, v2, 2, adv));
    EXPECT_FLOAT_EQ(0.5f, adv[0]);
    EXPECT_FLOAT_EQ(3.0f, adv[1]);
    const int32_t idx[] = {-1, 0, 0, -1, 1};
    float out[5];
    ASSERT_EQ(HP_OK, hp_broadcast_utterance(adv, 2, idx, 5, out));
    const float want[] = {0, 0.5f, 0.5f, 0, 3};
    for (int i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(want[i], out[i]);
    const int32_t bad[] = {0, 2};
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_broadcast_utterance(adv, 2, bad, 2, out));
    EXPECT_NE(std::string(hp_last_error()).find("utt_index[1]"), std::string::npos);
}

TEST(Ppo, ClipWeights) {
    // ratio = e^0.5 ~ 1.65 > 1.2: clipped for A > 0, unclipped for A < 0; ratio e^-0.5 ~ 0.61 < 0.8 clipped for A < 0.
    const float adv[] = {1, -1, -1, 2}, nl[] = {0.5f, 0.5f, -0.5f, 0.1f}, ol[] = {0, 0, 0, 0};
    float w[4], ratio[4];
    ASSERT_EQ(HP_OK, hp_ppo_clip_weights(adv, nl, ol, nullptr, 4, 0.2f, w, ratio));
    EXPECT_FLOAT_EQ(0.0f, w[0]);
    EXPECT_NEAR(-std::exp(0.5f), w[1], 1e-6f);
    EXPECT_FLOAT_EQ(0.0f, w[2]);
    EXPECT_NEAR(2.0f * std::exp(0.1f), w[3], 1e-6f);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_ppo_clip_weights(adv, nl, ol, nullptr, 4, 1.0f, w, ratio));
}

TEST(Api, VersionAndCuda) {
    EXPECT_STREQ("0.1.0", hp_version());
    EXPECT_GE(hp_cuda_available(), 0);
    const std::string isa = hp_cpu_isa();
    EXPECT_TRUE(isa == "avx512" || isa == "avx2" || isa == "scalar");
}

}  // namespace
