// (c) fused vocabulary kernel: hand-computed rows, a double-precision reference over random rows (exercises the SIMD
// chunking, tails and merges), extreme logits, and error paths.
#include "highperf.h"
#include "kernel_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

TEST(Vocab, HandComputedUniformAndTemperature) {
    const float x[] = {0, 0, 0, 0, 2, 2};  // two rows of 3? no: rows of vocab 3
    const int32_t y[] = {1, 0};
    float lp[2], ent[2], lse[2];
    ASSERT_EQ(HP_OK, hp_vocab_stats(x, 2, 3, 3, y, 1.0f, lp, ent, lse));
    EXPECT_NEAR(std::log(3.0f), lse[0], 1e-6f);
    EXPECT_NEAR(std::log(3.0f), ent[0], 1e-6f);
    EXPECT_NEAR(-std::log(3.0f), lp[0], 1e-6f);
    // row 1 = {0, 2, 2} at T = 2 -> {0, 1, 1}
    ASSERT_EQ(HP_OK, hp_vocab_stats(x + 3, 1, 3, 3, y + 1, 2.0f, lp, ent, lse));
    const double z = 1 + 2 * std::exp(1.0);
    EXPECT_NEAR(std::log(z), lse[0], 1e-6);
    EXPECT_NEAR(-std::log(z), lp[0], 1e-6);
    EXPECT_NEAR(std::log(z) - 2 * std::exp(1.0) / z, ent[0], 1e-6);
}

void reference(const float * x, int n, float inv_t, double & lse, double & ent) {
    double m = -INFINITY;
    for (int i = 0; i < n; ++i) m = std::max(m, double(x[i]) * inv_t);
    double s = 0, t = 0;
    for (int i = 0; i < n; ++i) {
        const double d = double(x[i]) * inv_t - m;
        const double e = std::exp(d);
        s += e;
        t += e * d;
    }
    lse = m + std::log(s);
    ent = std::log(s) - t / s;
}

TEST(Vocab, RandomRowsMatchDoubleReference) {
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    for (int n : {1, 7, 15, 16, 17, 100, 4095, 4096, 4097, 10000, 32000}) {
        std::vector<float> x(n);
        for (auto & v : x) v = nd(rng);
        const int32_t y = n / 2;
        float lp, ent, lse;
        ASSERT_EQ(HP_OK, hp_vocab_stats(x.data(), 1, n, n, &y, 0.7f, &lp, &ent, &lse));
        double rl, re;
        reference(x.data(), n, 1.0f / 0.7f, rl, re);
        EXPECT_NEAR(rl, lse, 2e-5 * std::max(1.0, std::fabs(rl))) << n;
        EXPECT_NEAR(re, ent, 2e-5 * std::max(1.0, std::fabs(re))) << n;
        EXPECT_NEAR(double(x[y]) / 0.7 - rl, lp, 5e-5 * std::max(1.0, std::fabs(rl))) << n;
    }
}

TEST(Vocab, ExtremeLogits) {
    const int n = 5000;
    std::vector<float> x(3 * n, -INFINITY);
    x[n + 4321] = 1e30f;  // row 1: one huge logit, rest -inf; row 0: all -inf
    for (int i = 0; i < n; ++i) x[2 * n + i] = (i % 2) ? 1e30f : -1e30f;  // row 2: half 1e30, half -1e30
    const int32_t y[] = {0, 4321, 1};
    float lp[3], ent[3], lse[3];
    ASSERT_EQ(HP_OK, hp_vocab_stats(x.data(), 3, n, n, y, 1.0f, lp, ent, lse));
    EXPECT_TRUE(std::isinf(lse[0]) && lse[0] < 0);
    EXPECT_TRUE(std::isnan(ent[0]));
    EXPECT_TRUE(std::isnan(lp[0]));
    EXPECT_FLOAT_EQ(1e30f, lse[1]);
    EXPECT_NEAR(0.0f, ent[1], 1e-6f);
    EXPECT_NEAR(0.0f, lp[1], 1e-6f);
    EXPECT_NEAR(std::log(2500.0f), ent[2], 1e-4f);  // 2500 equal maxima
    EXPECT_NEAR(-std::log(2500.0f), lp[2], 1e-4f);
}

TEST(Vocab, NanPropagates) {
    std::vector<float> x(100, 1.0f);
    x[37] = NAN;
    const int32_t y = 0;
    float lp, ent, lse;
    ASSERT_EQ(HP_OK, hp_vocab_stats(x.data(), 1, 100, 100, &y, 1.0f, &lp, &ent, &lse));
    EXPECT_TRUE(std::isnan(lse));
    EXPECT_TRUE(std::isnan(ent));
    EXPECT_TRUE(std::isnan(lp));
}

TEST(Vocab, SharedMergeEqualsSequentialPush) {
    // The CUDA kernel merges per-thread states; merging two halves must equal pushing everything in order.
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> ud(-20, 20);
    std::vector<float> x(1000);
    for (auto & v : x) v = ud(rng);
    hp::math::SoftmaxState all = hp::math::softmax_init(), a = all, b = all;
    for (int i = 0; i < 1000; ++i) {
        hp::math::softmax_push(all, x[i]);
        hp::math::softmax_push(i % 3 ? a : b, x[i]);
    }
    const auto merged = hp::math::softmax_merge(a, b);
    EXPECT_NEAR(hp::math::softmax_lse(all), hp::math::softmax_lse(merged), 1e-5f);
    EXPECT_NEAR(hp::math::softmax_entropy(all), hp::math::softmax_entropy(merged), 1e-5f);
}

TEST(Vocab, ErrorPaths) {
    const float x[4] = {0, 1, 2, 3};
    const int32_t bad[] = {4};
    float lp;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, 1, 4, 4, bad, 1.0f, &lp, nullptr, nullptr));
    EXPECT_NE(std::string(hp_last_error()).find("labels[0]"), std::string::npos);
    const int32_t ok[] = {1};
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, 1, 4, 4, ok, 0.0f, &lp, nullptr, nullptr));
    EXPECT_NE(std::string(hp_last_error()).find("temperature"), std::string::npos);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, 1, 4, 4, ok, NAN, &lp, nullptr, nullptr));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, 1, 4, 3, ok, 1.0f, &lp, nullptr, nullptr));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(nullptr, 1, 4, 4, ok, 1.0f, &lp, nullptr, nullptr));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, 1, 4, 4, nullptr, 1.0f, &lp, nullptr, nullptr));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_vocab_stats(x, -1, 4, 4, ok, 1.0f, &lp, nullptr, nullptr));
}

TEST(ValueGuided, HandComputed) {
    const float x[] = {1, 2, 3, 4}, q[] = {0, 1, 2, 3}, v[] = {1, 2};
    float out[4];
    ASSERT_EQ(HP_OK, hp_value_guided_logits(x, q, v, 2, 2, 0.5f, 2.0f, out));
    EXPECT_FLOAT_EQ((1 + 0.5f * (0 - 1)) / 2, out[0]);
    EXPECT_FLOAT_EQ((4 + 0.5f * (3 - 2)) / 2, out[3]);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_value_guided_logits(x, q, v, 2, 2, 0.5f, -1.0f, out));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_value_guided_logits(x, q, v, 2, 2, INFINITY, 1.0f, out));
}

}  // namespace
