// (d) KV-cache batch planner: packs the pending tokens of many conversations (one llama.cpp KV sequence each) into
// one llama_batch, round-robin so that no conversation starves, and lists the KV memory ops (fork = seq_cp,
// rollback = seq_rm) the caller applies before decoding. Pure data in, pure data out.
#include "validate.hpp"

#include <vector>

using namespace hp;

namespace {

hp_status check_plan_args(const hp_kv_conversation * conv, int32_t n_conv, int32_t n_batch, int32_t n_seq_max,
                          const int32_t * cursor, const hp_kv_batch * b) {
    if (n_conv < 0) return invalid("n_conv must be >= 0 (got " + std::to_string(n_conv) + ")");
    if (n_batch <= 0) return invalid("n_batch must be > 0 (got " + std::to_string(n_batch) + ")");
    if (n_seq_max <= 0) return invalid("n_seq_max must be > 0 (got " + std::to_string(n_seq_max) + ")");
    HP_CHECK(check_ptr(conv, n_conv, "conversations"));
    if (cursor == nullptr) return invalid("cursor must not be null");
    if (*cursor < 0) return invalid("cursor must be >= 0 (got " + std::to_string(*cursor) + ")");
    if (b == nullptr) return invalid("batch must not be null");
    if (b->token == nullptr || b->pos == nullptr || b->seq_id == nullptr || b->logits == nullptr)
        return invalid("batch token/pos/seq_id/logits arrays must not be null");
    if (b->out_conv == nullptr || b->out_index == nullptr) return invalid("batch out_conv/out_index must not be null");
    if (n_conv > 0 && (b->n_scheduled == nullptr || b->new_n_past == nullptr || b->ops == nullptr))
        return invalid("batch n_scheduled/new_n_past/ops must not be null");
    std::vector<int32_t> owner(static_cast<size_t>(n_seq_max), -1);
    for (int32_t i = 0; i < n_conv; ++i) {
        const hp_kv_conversation & c = conv[i];
        // Built only on failure: a string per conversation per plan cost more than the plan itself.
        auto at_ = [i]() { return "conversations[" + std::to_string(i) + "]"; };
        if (c.seq_id < 0 || c.seq_id >= n_seq_max)
            return invalid(at_() + ".seq_id = " + std::to_string(c.seq_id) + " is outside [0, n_seq_max = " +
                           std::to_string(n_seq_max) + ")");
        if (owner[c.seq_id] >= 0)
            return invalid(at_() + ".seq_id = " + std::to_string(c.seq_id) + " is already owned by conversations[" +
                           std::to_string(owner[c.seq_id]) + "]");
        owner[c.seq_id] = i;
        if (c.n_past < 0) return invalid(at_() + ".n_past must be >= 0 (got " + std::to_string(c.n_past) + ")");
        if (c.n_pending < 0) return invalid(at_() + ".n_pending must be >= 0 (got " + std::to_string(c.n_pending) + ")");
        if (c.n_pending > 0 && c.pending == nullptr) return invalid(at_() + ".pending must not be null");
        if (c.rollback_to < -1 || c.rollback_to > c.n_past)
            return invalid(at_() + ".rollback_to = " + std::to_string(c.rollback_to) + " must be -1 or in [0, n_past = " +
                           std::to_string(c.n_past) + "]");
        if (c.fork_parent < -1 || c.fork_parent >= n_seq_max || c.fork_parent == c.seq_id)
            return invalid(at_() + ".fork_parent = " + std::to_string(c.fork_parent) +
                           " must be -1 or another sequence id in [0, n_seq_max)");
        const int64_t base = c.rollback_to >= 0 ? c.rollback_to : c.n_past;
        if (base + c.n_pending > INT32_MAX) return invalid(at_() + ": positions overflow int32");
    }
    return HP_OK;
}

}  // namespace

extern "C" {

HP_API hp_status hp_kv_plan(const hp_kv_conversation * conversations, int32_t n_conv, int32_t n_batch,
                            int32_t n_seq_max, int32_t * cursor, hp_kv_batch * batch) {
    return guarded([&]() -> hp_status {
        HP_CHECK(check_plan_args(conversations, n_conv, n_batch, n_seq_max, cursor, batch));
        hp_kv_batch & b = *batch;
        b.n_tokens = 0;
        b.n_outputs = 0;
        b.n_ops = 0;
        // Memory ops first, in conversation order, for every request (they cost no batch slots).
        for (int32_t i = 0; i < n_conv; ++i) {
            const hp_kv_conversation & c = conversations[i];
            const int32_t base = c.rollback_to >= 0 ? c.rollback_to : c.n_past;
            b.n_scheduled[i] = 0;
            b.new_n_past[i] = base;
            if (c.fork_parent >= 0) {
                // The child's cells are replaced by the parent's prefix [0, base): in llama.cpp's unified cache
                // seq_cp only tags cells with the child id, no KV data moves.
                b.ops[b.n_ops++] = hp_kv_op{HP_KV_OP_SEQ_RM, -1, c.seq_id, 0, -1};
                b.ops[b.n_ops++] = hp_kv_op{HP_KV_OP_SEQ_CP, c.fork_parent, c.seq_id, 0, base};
            } else if (c.rollback_to >= 0) {
                b.ops[b.n_ops++] = hp_kv_op{HP_KV_OP_SEQ_RM, -1, c.seq_id, c.rollback_to, -1};
            }
        }
        if (n_conv == 0) {
            *cursor = 0;
            return HP_OK;
        }
        // Round-robin from the cursor: each conversation with pending tokens takes as many as still fit.
        const int32_t start = *cursor % n_conv;
        int32_t n_seqs = 0;
        int32_t last_served = -1;
        for (int32_t k = 0; k < n_conv && b.n_tokens < n_batch && n_seqs < n_seq_max; ++k) {
            const int32_t i = (start + k) % n_conv;
            const hp_kv_conversation & c = conversations[i];
            if (c.n_pending == 0) continue;
            const int32_t room = n_batch - b.n_tokens;
            const int32_t take = c.n_pending < room ? c.n_pending : room;
            const int32_t base = b.new_n_past[i];
            const bool all_logits = (c.flags & HP_KV_WANT_ALL_LOGITS) != 0;
            for (int32_t j = 0; j < take; ++j) {
                const int32_t at = b.n_tokens++;
                b.token[at] = c.pending[j];
                b.pos[at] = base + j;
                b.seq_id[at] = c.seq_id;
                // The logits of the last pending token are what the caller samples from.
                const bool output = all_logits || j == c.n_pending - 1;
                b.logits[at] = output ? 1 : 0;
                if (output) {
                    b.out_conv[b.n_outputs] = i;
                    b.out_index[b.n_outputs] = at;
                    ++b.n_outputs;
                }
            }
            b.n_scheduled[i] = take;
            b.new_n_past[i] = base + take;
            ++n_seqs;
            last_served = i;
        }
        // The next batch starts after the last conversation served, so the ones left out go first next time.
        *cursor = last_served >= 0 ? (last_served + 1) % n_conv : start;
        return HP_OK;
    });
}

}  // extern "C"
