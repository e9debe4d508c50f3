// (d) KV batch planner: packing, output rows, limits, round-robin fairness, fork/rollback ops, error paths.
#include "highperf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Buffers {
    std::vector<int32_t> token, pos, seq, out_conv, out_index, sched, past;
    std::vector<int8_t> logits;
    std::vector<hp_kv_op> ops;
    hp_kv_batch b{};
    Buffers(int n_batch, int n_conv)
        : token(n_batch), pos(n_batch), seq(n_batch), out_conv(n_batch), out_index(n_batch), sched(n_conv),
          past(n_conv), logits(n_batch), ops(2 * n_conv) {
        b = hp_kv_batch{token.data(), pos.data(), seq.data(), logits.data(), out_conv.data(), out_index.data(),
                        sched.data(), past.data(), ops.data(), 0, 0, 0};
    }
};

hp_kv_conversation conv(int32_t seq, int32_t past, const std::vector<int32_t> & pending) {
    return hp_kv_conversation{seq, past, pending.data(), static_cast<int32_t>(pending.size()), -1, -1, 0};
}

TEST(KvPlan, PacksAndMarksLastToken) {
    const std::vector<int32_t> p0 = {10, 11, 12}, p1 = {20};
    const hp_kv_conversation c[] = {conv(0, 5, p0), conv(3, 7, p1)};
    Buffers buf(8, 2);
    int32_t cursor = 0;
    ASSERT_EQ(HP_OK, hp_kv_plan(c, 2, 8, 4, &cursor, &buf.b));
    ASSERT_EQ(4, buf.b.n_tokens);
    EXPECT_EQ((std::vector<int32_t>{10, 11, 12, 20}), std::vector<int32_t>(buf.token.begin(), buf.token.begin() + 4));
    EXPECT_EQ((std::vector<int32_t>{5, 6, 7, 7}), std::vector<int32_t>(buf.pos.begin(), buf.pos.begin() + 4));
    EXPECT_EQ((std::vector<int32_t>{0, 0, 0, 3}), std::vector<int32_t>(buf.seq.begin(), buf.seq.begin() + 4));
    EXPECT_EQ((std::vector<int8_t>{0, 0, 1, 1}), std::vector<int8_t>(buf.logits.begin(), buf.logits.begin() + 4));
    ASSERT_EQ(2, buf.b.n_outputs);
    EXPECT_EQ(0, buf.out_conv[0]);
    EXPECT_EQ(2, buf.out_index[0]);
    EXPECT_EQ(1, buf.out_conv[1]);
    EXPECT_EQ(3, buf.out_index[1]);
    EXPECT_EQ(8, buf.past[0]);
    EXPECT_EQ(8, buf.past[1]);
}

TEST(KvPlan, RoundRobinNoStarvation) {
    // Three conversations with 3 tokens each, n_batch 4: every conversation is fully served within 3 batches.
    std::vector<std::vector<int32_t>> pend = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    std::vector<int32_t> past = {0, 0, 0};
    int32_t cursor = 0;
    for (int round = 0; round < 3; ++round) {
        std::vector<hp_kv_conversation> c;
        for (int i = 0; i < 3; ++i) c.push_back(conv(i, past[i], pend[i]));
        Buffers buf(4, 3);
        ASSERT_EQ(HP_OK, hp_kv_plan(c.data(), 3, 4, 3, &cursor, &buf.b));
        for (int i = 0; i < 3; ++i) {
            pend[i].erase(pend[i].begin(), pend[i].begin() + buf.sched[i]);
            past[i] = buf.past[i];
        }
    }
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(pend[i].empty()) << i;
        EXPECT_EQ(3, past[i]);
    }
}

TEST(KvPlan, SequenceLimitPerBatch) {
    const std::vector<int32_t> p = {1};
    const hp_kv_conversation c[] = {conv(0, 0, p), conv(1, 0, p), conv(2, 0, p)};
    Buffers buf(8, 3);
    int32_t cursor = 1;
    ASSERT_EQ(HP_OK, hp_kv_plan(c, 3, 8, 3, &cursor, &buf.b));
    EXPECT_EQ(3, buf.b.n_tokens);
    EXPECT_EQ(1, buf.seq[0]);  // starts at the cursor
    EXPECT_EQ(1, cursor);       // (last served 0) + 1
}

TEST(KvPlan, ForkAndRollbackOps) {
    const std::vector<int32_t> p = {42};
    hp_kv_conversation c[] = {conv(0, 10, p), conv(1, 6, p)};
    c[0].rollback_to = 4;
    c[1].fork_parent = 0;
    Buffers buf(8, 2);
    int32_t cursor = 0;
    ASSERT_EQ(HP_OK, hp_kv_plan(c, 2, 8, 2, &cursor, &buf.b));
    ASSERT_EQ(3, buf.b.n_ops);
    EXPECT_EQ(HP_KV_OP_SEQ_RM, buf.ops[0].kind);
    EXPECT_EQ(0, buf.ops[0].dst_seq);
    EXPECT_EQ(4, buf.ops[0].p0);
    EXPECT_EQ(-1, buf.ops[0].p1);
    EXPECT_EQ(HP_KV_OP_SEQ_RM, buf.ops[1].kind);
    EXPECT_EQ(HP_KV_OP_SEQ_CP, buf.ops[2].kind);
    EXPECT_EQ(0, buf.ops[2].src_seq);
    EXPECT_EQ(1, buf.ops[2].dst_seq);
    EXPECT_EQ(6, buf.ops[2].p1);
    EXPECT_EQ(4, buf.pos[0]);  // decodes at the rollback point
    EXPECT_EQ(6, buf.pos[1]);
}

TEST(KvPlan, ErrorPaths) {
    const std::vector<int32_t> p = {1};
    hp_kv_conversation c[] = {conv(0, 0, p), conv(0, 0, p)};
    Buffers buf(4, 2);
    int32_t cursor = 0;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, &cursor, &buf.b));
    EXPECT_NE(std::string(hp_last_error()).find("already owned"), std::string::npos);
    c[1].seq_id = 5;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, &cursor, &buf.b));
    c[1].seq_id = 1;
    c[1].rollback_to = 3;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, &cursor, &buf.b));
    c[1].rollback_to = -1;
    c[1].n_pending = -1;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, &cursor, &buf.b));
    c[1].n_pending = 1;
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 0, 2, &cursor, &buf.b));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, nullptr, &buf.b));
    EXPECT_EQ(HP_ERR_INVALID_ARGUMENT, hp_kv_plan(c, 2, 4, 2, &cursor, nullptr));
    EXPECT_EQ(HP_OK, hp_kv_plan(c, 2, 4, 2, &cursor, &buf.b));
}

}  // namespace
