using System.Buffers;
using System.Runtime.InteropServices;
using HighPerf.Kernels.Interop;

namespace HighPerf.Kernels;

/// <summary>Kind of a KV memory request (maps to llama_memory_seq_rm / llama_memory_seq_cp).</summary>
public enum KvMemoryOpKind
{
    /// <summary>Remove positions [P0, P1) of SequenceId (P1 = −1: to the end).</summary>
    SequenceRemove = 0,

    /// <summary>Copy positions [P0, P1) of SourceSequenceId into SequenceId.</summary>
    SequenceCopy = 1,
}

/// <summary>One KV memory request the caller applies, in order, before decoding the batch. Layout = hp_kv_op.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct KvMemoryOp(KvMemoryOpKind kind, int sourceSequenceId, int sequenceId, int p0, int p1) : IEquatable<KvMemoryOp>
{
    private readonly int _kind = (int)kind;

    /// <summary>What to do.</summary>
    public KvMemoryOpKind Kind => (KvMemoryOpKind)_kind;

    /// <summary>Source sequence of a copy; −1 for a remove.</summary>
    public int SourceSequenceId { get; } = sourceSequenceId;

    /// <summary>The sequence removed from or copied into.</summary>
    public int SequenceId { get; } = sequenceId;

    /// <summary>First position.</summary>
    public int P0 { get; } = p0;

    /// <summary>End position (exclusive), −1 = to the end.</summary>
    public int P1 { get; } = p1;

    public bool Equals(KvMemoryOp other) =>
        _kind == other._kind && SourceSequenceId == other.SourceSequenceId && SequenceId == other.SequenceId && P0 == other.P0 && P1 == other.P1;

    public override bool Equals(object? obj) => obj is KvMemoryOp o && Equals(o);

    public override int GetHashCode() => HashCode.Combine(_kind, SourceSequenceId, SequenceId, P0, P1);

    public override string ToString() => Kind == KvMemoryOpKind.SequenceCopy
        ? $"seq_cp({SourceSequenceId} -> {SequenceId}, [{P0}, {P1}))"
        : $"seq_rm({SequenceId}, [{P0}, {P1}))";
}

/// <summary>
/// One live conversation as the planner sees it.
/// </summary>
/// <param name="SequenceId">The KV sequence it owns, in [0, n_seq_max), unique among the conversations.</param>
/// <param name="PastLength">Tokens already in its KV cache = position of its next token.</param>
/// <param name="Pending">Tokens waiting to be decoded (prompt/observation tokens, or the last sampled token).</param>
/// <param name="ForkParent">−1, or a sequence id whose prefix [0, base) is copied into this one first
/// (base = RollbackTo if set, else PastLength).</param>
/// <param name="RollbackTo">−1, or a position in [0, PastLength]: the KV from there on is dropped first.</param>
/// <param name="WantAllLogits">Flag every scheduled token as an output (scoring a sequence), not only the last.</param>
public readonly record struct ConversationState(int SequenceId, int PastLength, ReadOnlyMemory<int> Pending, int ForkParent = -1,
    int RollbackTo = -1, bool WantAllLogits = false);

/// <summary>Reusable output arrays of <see cref="KvBatchPlanner.Plan"/> (allocate once, plan many batches).</summary>
public sealed class BatchBuffers
{
    /// <summary>Allocates room for a batch of <paramref name="batchSize"/> tokens and up to <paramref name="maxConversations"/> conversations.</summary>
    public BatchBuffers(int batchSize, int maxConversations)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxConversations);
        Tokens = new int[batchSize];
        Positions = new int[batchSize];
        SequenceIds = new int[batchSize];
        Logits = new sbyte[batchSize];
        OutputConversation = new int[batchSize];
        OutputBatchIndex = new int[batchSize];
        Scheduled = new int[maxConversations];
        NewPastLength = new int[maxConversations];
        Ops = new KvMemoryOp[2 * maxConversations];
    }

    /// <summary>llama_batch.token (first <see cref="TokenCount"/> entries valid).</summary>
    public int[] Tokens { get; }

    /// <summary>llama_batch.pos.</summary>
    public int[] Positions { get; }

    /// <summary>llama_batch.seq_id[i][0] (one sequence per token).</summary>
    public int[] SequenceIds { get; }

    /// <summary>llama_batch.logits: 1 where the token's logits are wanted.</summary>
    public sbyte[] Logits { get; }

    /// <summary>Output row r → index of its conversation in the input span.</summary>
    public int[] OutputConversation { get; }

    /// <summary>Output row r → batch index of its token (for llama_get_logits_ith).</summary>
    public int[] OutputBatchIndex { get; }

    /// <summary>Per conversation: how many of its pending tokens this batch took (drop them from Pending).</summary>
    public int[] Scheduled { get; }

    /// <summary>Per conversation: its PastLength after this batch is decoded (and its ops applied).</summary>
    public int[] NewPastLength { get; }

    /// <summary>KV memory requests to apply in order before decoding (first <see cref="OpCount"/> valid).</summary>
    public KvMemoryOp[] Ops { get; }

    public int TokenCount { get; internal set; }

    public int OutputCount { get; internal set; }

    public int OpCount { get; internal set; }

    /// <summary>Capacity in conversations.</summary>
    public int MaxConversations => Scheduled.Length;
}

/// <summary>
/// Plans llama_decode batches for many conversations that each own one KV sequence: packs their pending tokens into
/// at most <see cref="BatchSize"/> tokens and <see cref="MaxSequences"/> distinct sequences, round-robin from
/// <see cref="Cursor"/> so that none starves; a conversation that does not fit keeps the rest pending (a long prompt is
/// split across batches). The last pending token of a conversation, when scheduled, is an output. Fork and rollback
/// requests become KV ops (every request present yields its ops in this plan, scheduled or not; clear them after
/// applying). Pure data: the llama engine applies ops, decodes, then advances each conversation with
/// <see cref="BatchBuffers.Scheduled"/> and <see cref="BatchBuffers.NewPastLength"/>.
/// </summary>
public sealed unsafe class KvBatchPlanner
{
    private readonly KernelBackend _backend;

    /// <param name="batchSize">n_batch: maximum tokens per batch (&gt; 0).</param>
    /// <param name="maxSequences">n_seq_max: sequence ids must be in [0, maxSequences); also the most distinct sequences per batch.</param>
    /// <param name="backend">Managed or NativeCpu (there is no CUDA planner); null = best available.</param>
    public KvBatchPlanner(int batchSize, int maxSequences, KernelBackend? backend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSequences);
        BatchSize = batchSize;
        MaxSequences = maxSequences;
        _backend = KernelRuntime.Resolve(backend, hasCuda: false, nameof(KvBatchPlanner));
    }

    public int BatchSize { get; }

    public int MaxSequences { get; }

    /// <summary>Index of the conversation the next plan starts from (advanced by every plan).</summary>
    public int Cursor { get; set; }

    /// <summary>The backend this planner runs on.</summary>
    public KernelBackend Backend => _backend;

    /// <summary>Plans one batch into <paramref name="buffers"/>; returns the number of tokens planned.</summary>
    public int Plan(ReadOnlySpan<ConversationState> conversations, BatchBuffers buffers)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        if (buffers.Tokens.Length < BatchSize)
            throw new ArgumentException($"buffers hold {buffers.Tokens.Length} tokens but BatchSize is {BatchSize}.", nameof(buffers));
        if (buffers.MaxConversations < conversations.Length)
            throw new ArgumentException($"buffers hold {buffers.MaxConversations} conversations but {conversations.Length} were given.", nameof(buffers));
        if (Cursor < 0) throw new InvalidOperationException("Cursor must be >= 0.");
        Validate(conversations);
        return _backend == KernelBackend.Managed ? PlanManaged(conversations, buffers) : PlanNative(conversations, buffers);
    }

    private void Validate(ReadOnlySpan<ConversationState> conversations)
    {
        var owner = new int[MaxSequences];
        Array.Fill(owner, -1);
        for (var i = 0; i < conversations.Length; i++)
        {
            var c = conversations[i];
            var name = $"conversations[{i}]";
            if ((uint)c.SequenceId >= (uint)MaxSequences)
                throw new ArgumentOutOfRangeException(nameof(conversations), c.SequenceId, $"{name}.SequenceId must be in [0, {MaxSequences}).");
            if (owner[c.SequenceId] >= 0)
                throw new ArgumentException($"{name}.SequenceId {c.SequenceId} is already owned by conversations[{owner[c.SequenceId]}].", nameof(conversations));
            owner[c.SequenceId] = i;
            if (c.PastLength < 0)
                throw new ArgumentOutOfRangeException(nameof(conversations), c.PastLength, $"{name}.PastLength must be >= 0.");
            if (c.RollbackTo < -1 || c.RollbackTo > c.PastLength)
                throw new ArgumentOutOfRangeException(nameof(conversations), c.RollbackTo, $"{name}.RollbackTo must be -1 or in [0, PastLength = {c.PastLength}].");
            if (c.ForkParent < -1 || c.ForkParent >= MaxSequences || c.ForkParent == c.SequenceId)
                throw new ArgumentOutOfRangeException(nameof(conversations), c.ForkParent, $"{name}.ForkParent must be -1 or another sequence id in [0, {MaxSequences}).");
            var basePos = (long)(c.RollbackTo >= 0 ? c.RollbackTo : c.PastLength);
            if (basePos + c.Pending.Length > int.MaxValue)
                throw new ArgumentException($"{name}: positions overflow int32.", nameof(conversations));
        }
    }

    private int PlanManaged(ReadOnlySpan<ConversationState> conversations, BatchBuffers b)
    {
        int nTokens = 0, nOutputs = 0, nOps = 0;
        for (var i = 0; i < conversations.Length; i++)
        {
            var c = conversations[i];
            var basePos = c.RollbackTo >= 0 ? c.RollbackTo : c.PastLength;
            b.Scheduled[i] = 0;
            b.NewPastLength[i] = basePos;
            if (c.ForkParent >= 0)
            {
                // Replace the child's cells with the parent's prefix [0, base) (llama.cpp tags cells, no KV copy).
                b.Ops[nOps++] = new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, c.SequenceId, 0, -1);
                b.Ops[nOps++] = new KvMemoryOp(KvMemoryOpKind.SequenceCopy, c.ForkParent, c.SequenceId, 0, basePos);
            }
            else if (c.RollbackTo >= 0)
            {
                b.Ops[nOps++] = new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, c.SequenceId, c.RollbackTo, -1);
            }
        }
        if (conversations.Length == 0)
        {
            Cursor = 0;
            (b.TokenCount, b.OutputCount, b.OpCount) = (0, 0, nOps);
            return 0;
        }
        var start = Cursor % conversations.Length;
        int nSeqs = 0, lastServed = -1;
        for (var k = 0; k < conversations.Length && nTokens < BatchSize && nSeqs < MaxSequences; k++)
        {
            var i = (start + k) % conversations.Length;
            var c = conversations[i];
            var pending = c.Pending.Span;
            if (pending.Length == 0) continue;
            var take = Math.Min(pending.Length, BatchSize - nTokens);
            var basePos = b.NewPastLength[i];
            for (var j = 0; j < take; j++)
            {
                var at = nTokens++;
                b.Tokens[at] = pending[j];
                b.Positions[at] = basePos + j;
                b.SequenceIds[at] = c.SequenceId;
                var output = c.WantAllLogits || j == pending.Length - 1;  // the row the caller samples from
                b.Logits[at] = output ? (sbyte)1 : (sbyte)0;
                if (output)
                {
                    b.OutputConversation[nOutputs] = i;
                    b.OutputBatchIndex[nOutputs] = at;
                    nOutputs++;
                }
            }
            b.Scheduled[i] = take;
            b.NewPastLength[i] = basePos + take;
            nSeqs++;
            lastServed = i;
        }
        // Next time start after the last conversation served: the ones left out go first.
        Cursor = lastServed >= 0 ? (lastServed + 1) % conversations.Length : start;
        (b.TokenCount, b.OutputCount, b.OpCount) = (nTokens, nOutputs, nOps);
        return nTokens;
    }

    private int PlanNative(ReadOnlySpan<ConversationState> conversations, BatchBuffers b)
    {
        // All pending tokens are copied into one pooled buffer and pinned once: pinning each conversation's memory
        // separately (a GCHandle each) cost more than the whole native plan.
        var n = conversations.Length;
        var total = 0;
        foreach (var c in conversations) total += c.Pending.Length;
        var native = ArrayPool<HpKvConversation>.Shared.Rent(Math.Max(n, 1));
        var tokens = ArrayPool<int>.Shared.Rent(Math.Max(total, 1));
        try
        {
            fixed (int* pt = tokens)
            {
                var at = 0;
                for (var i = 0; i < n; i++)
                {
                    var c = conversations[i];
                    c.Pending.Span.CopyTo(tokens.AsSpan(at));
                    native[i] = new HpKvConversation
                    {
                        SeqId = c.SequenceId, NPast = c.PastLength, Pending = pt + at, NPending = c.Pending.Length,
                        ForkParent = c.ForkParent, RollbackTo = c.RollbackTo, Flags = c.WantAllLogits ? 1 : 0,
                    };
                    at += c.Pending.Length;
                }
                var cursor = Cursor;
                fixed (HpKvConversation* pc = native)
                fixed (int* tok = b.Tokens, pos = b.Positions, seq = b.SequenceIds, oc = b.OutputConversation, oi = b.OutputBatchIndex,
                       sch = b.Scheduled, past = b.NewPastLength)
                fixed (sbyte* lg = b.Logits)
                fixed (KvMemoryOp* ops = b.Ops)
                {
                    var batch = new HpKvBatch
                    {
                        Token = tok, Pos = pos, SeqId = seq, Logits = lg, OutConv = oc, OutIndex = oi, NScheduled = sch, NewNPast = past, Ops = ops,
                    };
                    NativeMethods.Check(NativeMethods.hp_kv_plan(pc, n, BatchSize, MaxSequences, &cursor, &batch), "hp_kv_plan");
                    (b.TokenCount, b.OutputCount, b.OpCount) = (batch.NTokens, batch.NOutputs, batch.NOps);
                }
                Cursor = cursor;
                return b.TokenCount;
            }
        }
        finally
        {
            ArrayPool<HpKvConversation>.Shared.Return(native);
            ArrayPool<int>.Shared.Return(tokens);
        }
    }
}
