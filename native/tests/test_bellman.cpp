// (b) Bellman backups: hand-computed TD targets (indexed and ragged), expectile, MC returns, Polyak; error paths.
#include "highperf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

TEST(Td, IndexedDoubleQMin) {
    const float r[] = {1, 2, 3};
    const uint8_t done[] = {0, 1, 0};
    const int32_t next[] = {1, 2, -1};
    const float v1[] = {10, 20, 30}, v2[] = {11, 15, 40};
    float y[3];
    ASSERT_EQ(HP_OK, hp_td_targets(r, done, next, 3, v1, v2, 3, 0.5f, y));
    EXPECT_FLOAT_EQ(1 + 0.5f * 15, y[0]);
    EXPECT_FLOAT_EQ(2, y[1]);  // done
    EXPECT_FLOAT_EQ(3, y[2]);  // no successor
    const int32_t bad[] = {1, 3, -1};
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_td_targets(r, done, bad, 3, v1, v2, 3, 0.5f, y));
    EXPECT_NE(std::string(hp_last_error()).find("next_index[1]"), std::string::npos);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_td_targets(r, done, next, 3, v1, v2, 3, NAN, y));
}

TEST(Td, RaggedNextActionToken) {
    // [a0, o, a1] + [a2]; gamma 0.9. y(a0) = r0 + 0.9 V(a1); y(a1) = r1 + 0.9 * (1 - done0) * boot0.
    const int32_t off[] = {0, 3, 4};
    const float r[] = {1, 0, 2, 3}, v[] = {5, 6, 7, 8}, boot[] = {10, 20};
    const uint8_t m[] = {1, 0, 1, 1}, done[] = {0, 1};
    float y[4];
    ASSERT_EQ(HP_OK, hp_td_targets_ragged(off, 2, 4, r, m, v, nullptr, done, boot, 0.9f, y));
    EXPECT_FLOAT_EQ(1 + 0.9f * 7, y[0]);
    EXPECT_FLOAT_EQ(0, y[1]);
    EXPECT_FLOAT_EQ(2 + 0.9f * 10, y[2]);
    EXPECT_FLOAT_EQ(3, y[3]);
    int32_t next[4];
    ASSERT_EQ(HP_OK, hp_next_action_index(off, 2, 4, m, next));
    EXPECT_EQ(2, next[0]);
    EXPECT_EQ(-1, next[1]);
    EXPECT_EQ(-1, next[2]);
    EXPECT_EQ(-1, next[3]);
}

TEST(Expectile, LossWeightsGrad) {
    const float v[] = {0, 0, 5}, y[] = {2, -2, 0};
    const uint8_t m[] = {1, 1, 0};
    float w[3], g[3], loss = -1;
    ASSERT_EQ(HP_OK, hp_expectile(v, y, m, 3, 0.9f, w, g, &loss));
    EXPECT_FLOAT_EQ(0.9f, w[0]);
    EXPECT_NEAR(0.1f, w[1], 1e-7f);
    EXPECT_FLOAT_EQ(0.0f, w[2]);
    // (0.9 * 4/2 + 0.1 * 4/2) / 2 = 1
    EXPECT_NEAR(1.0f, loss, 1e-6f);
    EXPECT_NEAR(-0.9f * 2 / 2, g[0], 1e-6f);
    EXPECT_NEAR(0.1f * 2 / 2, g[1], 1e-6f);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_expectile(v, y, m, 3, 0.9f, w, g, nullptr));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_expectile(v, y, m, 3, 1.1f, w, g, &loss));
}

TEST(Mc, ReturnsSkipObservations) {
    const int32_t off[] = {0, 4};
    const float r[] = {1, 99, 0, 2};
    const uint8_t m[] = {1, 0, 1, 1};
    float g[4];
    ASSERT_EQ(HP_OK, hp_mc_returns(off, 1, 4, r, m, 0.5f, g));
    EXPECT_FLOAT_EQ(2, g[3]);
    EXPECT_FLOAT_EQ(1, g[2]);
    EXPECT_FLOAT_EQ(0, g[1]);
    EXPECT_FLOAT_EQ(1.5f, g[0]);
}

TEST(Polyak, Lerp) {
    float t[] = {0, 10};
    const float o[] = {1, 0};
    ASSERT_EQ(HP_OK, hp_polyak(t, o, 2, 0.25f));
    EXPECT_FLOAT_EQ(0.25f, t[0]);
    EXPECT_FLOAT_EQ(7.5f, t[1]);
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_polyak(t, o, 2, -0.1f));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_polyak(t, nullptr, 2, 0.1f));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_polyak(t, o, -2, 0.1f));
}

}  // namespace
