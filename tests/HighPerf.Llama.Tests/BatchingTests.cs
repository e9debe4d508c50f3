using HighPerf.Kernels;
using HighPerf.Llama;
using HighPerf.Llama.Batching;

namespace HighPerf.Llama.Tests;

[Collection("tiny")]
public sealed class BatchingTests(TinyModelFixture fx)
{
    private LlamaModel M => fx.Model;
    private int[] T(string s, bool bos = true) => M.Tokenizer.Tokenize(s, addSpecial: bos);

    [Theory]
    [InlineData(false, 0.0f)]
    [InlineData(true, 1e-4f)]
    public void BatchedLogitsEqualSingleSequenceLogits(bool unified, float tol)
    {
        var prompts = new[] { T("The quick brown fox"), T("You are in a maze. There is a wall to the north"), T("Move east") };
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 1024, SequenceCount = 3, UnifiedKv = unified });
        using var b = new LlamaBatch(512);
        var last = prompts.Select((p, s) => b.AddSequence(p, 0, s)).ToArray();
        ctx.Decode(b);
        for (int s = 0; s < 3; s++)
        {
            var single = Util.SingleLogits(M, prompts[s], unified);
            Assert.True(Util.MaxAbsDiff(ctx.GetLogits(last[s]), single) <= tol, $"sequence {s}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForkAndRollbackEqualRecomputation(bool unified)
    {
        var prompt = T("Guess my city: is it in Europe?");
        var contA = T(" Yes. Is it the capital", bos: false);
        var contB = T(" No. Is it a car", bos: false);
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 1024, SequenceCount = 2, UnifiedKv = unified });
        using var b = new LlamaBatch(512);
        b.AddSequence(prompt, 0, 0);
        ctx.Decode(b);
        ctx.CopySequence(0, 1); // fork: seq 1 shares the prompt, no recomputation
        Assert.Equal(prompt.Length, ctx.SequenceLength(1));
        b.Clear();
        int ia = b.AddSequence(contA, prompt.Length, 0);
        int ib = b.AddSequence(contB, prompt.Length, 1);
        ctx.Decode(b);
        // Continuing from cached KV changes the matmul shapes vs one recompute: float rounding only (~6e-8 seen).
        float tol = unified ? 1e-4f : 1e-5f;
        var da = Util.MaxAbsDiff(ctx.GetLogits(ia), Util.SingleLogits(M, [.. prompt, .. contA]));
        Assert.True(da <= tol, $"diff {da}");
        Assert.True(Util.MaxAbsDiff(ctx.GetLogits(ib), Util.SingleLogits(M, [.. prompt, .. contB])) <= tol);
        // Rollback seq 0 to the prompt and continue with B instead of A.
        ctx.RemoveTokens(0, prompt.Length);
        Assert.Equal(prompt.Length, ctx.SequenceLength(0));
        b.Clear();
        int ic = b.AddSequence(contB, prompt.Length, 0);
        ctx.Decode(b);
        Assert.True(Util.MaxAbsDiff(ctx.GetLogits(ic), Util.SingleLogits(M, [.. prompt, .. contB])) <= tol);
    }

    [Fact]
    public void InvalidBatchesThrowInsteadOfAborting()
    {
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 512, SequenceCount = 2, BatchSize = 16, MicroBatchSize = 16 });
        using var b = new LlamaBatch(64);
        b.Add(M.VocabSize, 0, 0, true);
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.Decode(b));
        b.Clear(); b.Add(5, 0, 2, true);
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.Decode(b));
        b.Clear(); b.Add(5, 0, 0, false); b.Add(6, 2, 0, true);
        Assert.Throws<ArgumentException>(() => ctx.Decode(b));
        b.Clear(); for (int i = 0; i < 17; i++) b.Add(5, i, 0, false);
        Assert.Throws<ArgumentException>(() => ctx.Decode(b));
        b.Clear();
        Assert.Throws<ArgumentException>(() => ctx.Decode(b));
        b.Clear(); b.Add(5, 0, 0, false);
        ctx.Decode(b);
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.GetLogits(0)); // not an output
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.CopySequence(0, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => M.CreateContext(new LlamaContextOptions { SequenceCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => M.CreateContext(new LlamaContextOptions { BatchSize = 8, MicroBatchSize = 16 }));
        // Still usable afterwards.
        b.Clear(); b.Add(6, 1, 0, true);
        ctx.Decode(b);
        Assert.Equal(M.VocabSize, ctx.GetLogits(0).Length);
    }

    [Fact]
    public void ContextSizesAreReadBackAfterRounding()
    {
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 500, SequenceCount = 4 });
        Assert.Equal(256, ctx.SequenceContextSize);
        Assert.Equal(1024, ctx.ContextSize);
        Assert.Equal(4, ctx.SequenceCount);
    }

    /// <summary>Reference: re-encode the whole history in a fresh context every turn, then greedy-generate.</summary>
    private List<int[]> NaiveTurns(IReadOnlyList<string> userTurns, int maxTokens)
    {
        var history = new List<int>();
        var results = new List<int[]>();
        for (int t = 0; t < userTurns.Count; t++)
        {
            history.AddRange(M.Tokenizer.Tokenize(userTurns[t], addSpecial: false));
            if (t == 0) history.Insert(0, M.Tokenizer.Bos);
            using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 1024 });
            using var b = new LlamaBatch(512);
            int idx = b.AddSequence(history.ToArray(), 0, 0);
            ctx.Decode(b);
            var gen = new List<int>();
            while (true)
            {
                int tok = Util.ArgMax(ctx.GetLogits(idx));
                gen.Add(tok);
                if (M.Tokenizer.IsEndOfGeneration(tok) || gen.Count >= maxTokens) break;
                b.Clear();
                idx = b.Add(tok, history.Count + gen.Count - 1, 0, true);
                ctx.Decode(b);
            }
            history.AddRange(gen);
            results.Add(gen.ToArray());
        }
        return results;
    }

    private static readonly string[][] Dialogues =
    [
        ["You are in a maze.", " Move north.", " Pick up the key."],
        ["Guess my city: is it in Europe?", " Yes.", " Is it Paris?"],
        ["The buyer asked the car dealer", " about the price.", " Leather seats?"],
        ["Wordle: your guess was crane", " green yellow gray", " Move west."],
        ["Twenty questions: is it an animal?", " No.", " Is it a vehicle?"],
    ];

    private List<List<int[]>> ExecutorTurns(BatchedExecutorOptions opts, int maxTokens, out BatchedExecutor executorUsed)
    {
        var ex = new BatchedExecutor(M, opts);
        executorUsed = ex;
        var convs = Dialogues.Select(_ => ex.CreateConversation()).ToArray();
        var outs = Dialogues.Select(_ => new List<int[]>()).ToList();
        for (int t = 0; t < 3; t++)
        {
            for (int i = 0; i < convs.Length; i++) convs[i].Append(Dialogues[i][t], addBos: t == 0);
            var res = ex.Generate(convs, new GenerationOptions { MaxTokens = maxTokens });
            for (int i = 0; i < convs.Length; i++)
            {
                Assert.Same(convs[i], res[i].Conversation);
                outs[i].Add(res[i].Tokens);
            }
        }
        return outs;
    }

    public static TheoryData<int, bool, KernelBackend> KvReuseCases()
    {
        var d = new TheoryData<int, bool, KernelBackend>();
        foreach (var backend in PlannerBackends())
        {
            d.Add(8, false, backend);
            d.Add(2, false, backend); // fewer KV sequences than conversations: swapping out and back in
            d.Add(8, true, backend);
            d.Add(2, true, backend);
        }
        return d;
    }

    /// <summary>The planner backends to test: always the managed one, and libhighperf's when it is loaded.</summary>
    public static IEnumerable<KernelBackend> PlannerBackends() =>
        KernelRuntime.IsNativeAvailable ? [KernelBackend.Managed, KernelBackend.NativeCpu] : [KernelBackend.Managed];

    [Theory]
    [MemberData(nameof(KvReuseCases))]
    public void MultiTurnGreedyWithKvReuseEqualsReencodingEveryTurn(int resident, bool unified, KernelBackend planner)
    {
        var outs = ExecutorTurns(new BatchedExecutorOptions
        {
            MaxResidentConversations = resident, ContextPerConversation = 256, UnifiedKv = unified, BatchSize = 64, PlannerBackend = planner,
        }, 10, out var ex);
        using (ex)
        {
            if (resident < Dialogues.Length) Assert.True(ex.SwapOuts > 0);
            Assert.Equal($"KvBatchPlanner ({planner})", ex.PlannerName);
        }
        for (int i = 0; i < Dialogues.Length; i++)
        {
            var naive = NaiveTurns(Dialogues[i], 10);
            for (int t = 0; t < 3; t++) Assert.Equal(naive[t], outs[i][t]);
        }
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    [InlineData(false, 2)] // the second fork evicts the first right after its KV copy, before any decode
    [InlineData(true, 2)]
    public void ForkedConversationsContinueLikeRecomputedOnes(bool unified, int resident)
    {
        using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = resident, ContextPerConversation = 256, UnifiedKv = unified });
        var root = ex.CreateConversation();
        root.Append("You are in a maze. There is a door", addBos: true);
        ex.Prefill([root]);
        Assert.Equal(root.Tokens.Count, root.CachedTokens);
        var a = root.Fork();
        var b = root.Fork();
        a.Append(" to the east.");
        b.Append(" to the north.");
        if (resident == 2) Assert.True(ex.SwapOuts > 0);
        var res = ex.Generate([a, b], new GenerationOptions { MaxTokens = 6 });
        // Same as fresh conversations that encode the whole text.
        using var ex2 = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 2, ContextPerConversation = 256 });
        var a2 = ex2.CreateConversation(); a2.AppendTokens([.. root.Tokens]); a2.Append(" to the east.");
        var b2 = ex2.CreateConversation(); b2.AppendTokens([.. root.Tokens]); b2.Append(" to the north.");
        var res2 = ex2.Generate([a2, b2], new GenerationOptions { MaxTokens = 6 });
        Assert.Equal(res2[0].Tokens, res[0].Tokens);
        Assert.Equal(res2[1].Tokens, res[1].Tokens);
        // Roll a back to the fork point and take b's branch: same as b.
        a.Rollback(root.Tokens.Count);
        a.Append(" to the north.");
        var again = ex.Generate([a], new GenerationOptions { MaxTokens = 6 });
        Assert.Equal(res[1].Tokens, again[0].Tokens);
        // Fork at an earlier point = fork + rollback: continue the root's prefix differently.
        var c = b.Fork();
        c.Rollback(root.Tokens.Count);
        c.Append(" to the east.");
        var third = ex.Generate([c], new GenerationOptions { MaxTokens = 6 });
        Assert.Equal(res[0].Tokens, third[0].Tokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PlannerForkOpsAtAnEarlierPointEqualRecomputation(bool unified)
    {
        // The planner's fork op is a partial copy [0, base): it must not reach llama.cpp as such without kv_unified.
        var prompt = T("Guess my city: is it in Europe? Yes.");
        var cont = T(" Is it the capital", bos: false);
        int basePos = prompt.Length - 2;
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 1024, SequenceCount = 2, UnifiedKv = unified });
        using var b = new LlamaBatch(512);
        b.AddSequence(prompt, 0, 0);
        ctx.Decode(b);
        var planner = new KvBatchPlanner(512, 2);
        var buffers = new BatchBuffers(512, 1);
        planner.Plan([new ConversationState(1, prompt.Length, cont, ForkParent: 0, RollbackTo: basePos)], buffers);
        var ops = buffers.Ops.AsSpan(0, buffers.OpCount).ToArray();
        Assert.Contains(ops, o => o.Kind == KvMemoryOpKind.SequenceCopy && o.P1 == basePos);
        ctx.ApplyMemoryOps(ops);
        Assert.Equal(basePos, ctx.SequenceLength(1));
        Assert.Equal(prompt.Length, ctx.SequenceLength(0)); // the parent is untouched
        // The state of the child is right at once (no decode in between): restore it elsewhere and continue.
        var state = ctx.GetSequenceState(1);
        using var other = M.CreateContext(new LlamaContextOptions { ContextSize = 1024, SequenceCount = 2, UnifiedKv = unified });
        other.SetSequenceState(1, state);
        b.Clear();
        for (int k = 0; k < buffers.TokenCount; k++) b.Add(buffers.Tokens[k], buffers.Positions[k], buffers.SequenceIds[k], buffers.Logits[k] != 0);
        int last = buffers.OutputBatchIndex[0];
        float tol = unified ? 1e-4f : 1e-5f;
        ctx.Decode(b);
        var want = Util.SingleLogits(M, [.. prompt[..basePos], .. cont]);
        Assert.True(Util.MaxAbsDiff(ctx.GetLogits(last), want) <= tol);
        other.Decode(b);
        Assert.True(Util.MaxAbsDiff(other.GetLogits(last), want) <= tol);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InvalidKvOpsThrowInsteadOfAborting(bool unified)
    {
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 512, SequenceCount = 2, UnifiedKv = unified });
        using var b = new LlamaBatch(64);
        b.AddSequence(T("Move north."), 0, 0);
        b.AddSequence(T("Move south."), 0, 1);
        ctx.Decode(b);
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, 2, 0, -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, 0, 3, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceCopy, -1, 1, 0, -1)));
        Assert.Throws<ArgumentException>(() => ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceCopy, 0, 0, 0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ApplyMemoryOp(new KvMemoryOp((KvMemoryOpKind)7, 0, 1, 0, 2)));
        // A copy merges nowhere: the destination must be empty.
        Assert.Throws<InvalidOperationException>(() => ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceCopy, 0, 1, 0, 2)));
        ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, 1, 0, -1));
        ctx.ApplyMemoryOp(new KvMemoryOp(KvMemoryOpKind.SequenceCopy, 0, 1, 1, 3)); // partial, not from 0
        Assert.Equal(3, ctx.SequenceLength(1));
        Assert.Equal(0, ctx.SequenceLength(0) - T("Move north.").Length);
    }

    [Fact]
    public void StopStringsEndTheTurnAndTrimTheText()
    {
        using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 2, ContextPerConversation = 256 });
        var c = ex.CreateConversation();
        c.Append("The quick brown fox", addBos: true);
        var free = ex.Generate([c], new GenerationOptions { MaxTokens = 12, StopAtEndOfGeneration = false })[0];
        Assert.Equal(12, free.Tokens.Length);
        // Pick the text of generated tokens 4..5 as a stop string.
        var stopPiece = M.Tokenizer.Detokenize(free.Tokens.AsSpan(4, 2));
        Assert.False(string.IsNullOrEmpty(stopPiece));
        var d = ex.CreateConversation();
        d.Append("The quick brown fox", addBos: true);
        var stopped = ex.Generate([d], new GenerationOptions { MaxTokens = 12, StopAtEndOfGeneration = false, StopStrings = [stopPiece] })[0];
        Assert.Equal(StopReason.StopString, stopped.Reason);
        int at = free.Text.IndexOf(stopPiece, StringComparison.Ordinal);
        Assert.Equal(free.Text[..at], stopped.Text);
        Assert.True(stopped.Tokens.Length <= 6);
    }

    [Fact]
    public void SeededSamplingIsReproducibleAndSeedsDiffer()
    {
        int[] Run(uint seed)
        {
            using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 1, ContextPerConversation = 256 });
            var c = ex.CreateConversation(new SamplerOptions { Temperature = 2.0f, TopK = 200, TopP = 0.99f, MinP = 0.0f, Seed = seed });
            c.Append("Twenty questions:", addBos: true);
            return ex.Generate([c], new GenerationOptions { MaxTokens = 24, StopAtEndOfGeneration = false })[0].Tokens;
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void GreedySamplerPicksTheArgmax()
    {
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        using var b = new LlamaBatch(64);
        int i = b.AddSequence(T("Move north."), 0, 0);
        ctx.Decode(b);
        using var s = new SamplerChain(M);
        Assert.Equal(Util.ArgMax(ctx.GetLogits(i)), s.Sample(ctx, i));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplerChain(M, new SamplerOptions { TopP = 0 }));
    }

    [Fact]
    public void CancellationStopsGenerationAndLeavesConsistentState()
    {
        using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 4, ContextPerConversation = 512 });
        var convs = Enumerable.Range(0, 4).Select(_ => ex.CreateConversation()).ToArray();
        foreach (var c in convs) c.Append("Move north. Move south.", addBos: true);
        using (var pre = new CancellationTokenSource())
        {
            pre.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => ex.Generate(convs, new GenerationOptions { MaxTokens = 10 }, pre.Token));
            Assert.All(convs, c => Assert.Equal(0, c.CachedTokens));
        }
        using var cts = new CancellationTokenSource();
        var t0 = ex.DecodeCalls;
        // Cancel once three decodes have happened (deterministically, from the progress hook on the generating thread).
        var options = new GenerationOptions { MaxTokens = 400, StopAtEndOfGeneration = false, AfterDecode = n => { if (n - t0 >= 3) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => ex.Generate(convs, options, cts.Token));
        Assert.Equal(3, ex.DecodeCalls - t0);
        foreach (var c in convs)
        {
            Assert.True(c.CachedTokens <= c.Tokens.Count);
            if (c.IsResident) Assert.Equal(c.CachedTokens, ex.Context.SequenceLength(c.Slot));
        }
        // And the executor keeps working.
        var res = ex.Generate(convs, new GenerationOptions { MaxTokens = 3 });
        Assert.All(res, r => Assert.NotEmpty(r.Tokens));
    }

    [Fact]
    public void AppendValidatesTokensAndCapacity()
    {
        using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 1, ContextPerConversation = 256 });
        var c = ex.CreateConversation();
        Assert.Throws<ArgumentOutOfRangeException>(() => c.AppendTokens([M.VocabSize]));
        Assert.Throws<InvalidOperationException>(() => c.AppendTokens(new int[300]));
        Assert.Throws<InvalidOperationException>(() => ex.Generate([c]));
    }

    /// <summary>The per-token steps: Infer's last-token logits, every row of Infer(allRows), a SyncTo that keeps the
    /// common prefix, and Rewind all equal recomputation from scratch (F32 KV, several conversations batched).</summary>
    [Fact]
    public void PerTokenStepsEqualRecomputation()
    {
        // The reference: one sequence decoded from scratch with the same cell type (F32, no flash attention).
        float[] Single32(int[] tokens)
        {
            using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 512, KeyType = Native.GgmlType.F32, ValueType = Native.GgmlType.F32, FlashAttention = false });
            using var batch = new LlamaBatch(512);
            var last = batch.AddSequence(tokens, 0, 0);
            ctx.Decode(batch);
            return ctx.GetLogits(last).ToArray();
        }

        using var ex = new BatchedExecutor(M, new BatchedExecutorOptions { MaxResidentConversations = 3, ContextPerConversation = 256, Embeddings = true, KvType = Native.GgmlType.F32 });
        var a = T("You are in a maze. There is a wall to the north");
        var b = T("Guess my city: is it in Europe?");
        var ca = ex.CreateConversation();
        var cb = ex.CreateConversation();
        Assert.Equal(0, ca.SyncTo(a));
        cb.AppendTokens(b);
        ex.Infer([ca, cb]);
        Assert.True(Util.MaxAbsDiff(ca.Logits, Single32(a)) <= 1e-4f);
        Assert.True(Util.MaxAbsDiff(cb.Logits, Single32(b)) <= 1e-4f);
        Assert.Equal(M.EmbeddingSize, ca.Hidden.Length);

        // A new prompt sharing a prefix keeps it (and its KV cells); the rest is decoded, every row kept.
        var a2 = T("You are in a maze. There is a door to the east");
        var kept = ca.SyncTo(a2);
        Assert.True(kept > 3 && kept < a2.Length, $"kept {kept} of {a2.Length}");
        Assert.Equal(kept, ca.CachedTokens);
        ex.Infer([ca], allRows: true);
        for (var p = kept; p < a2.Length; p++)
            Assert.True(Util.MaxAbsDiff(ca.RowLogits(p), Single32(a2[..(p + 1)])) <= 1e-4f, $"row {p}");
        Assert.Throws<ArgumentOutOfRangeException>(() => ca.RowLogits(kept - 1));

        // Sample-append-infer, then rewind: the logits return to the state before.
        var before = ca.Logits.ToArray();
        ca.AppendTokens([Util.ArgMax(before)]);
        Assert.Throws<InvalidOperationException>(() => ca.Logits.ToArray()); // stale until the next Infer
        ex.Infer([ca]);
        ca.Rewind(1);
        ex.Infer([ca]);
        Assert.True(Util.MaxAbsDiff(ca.Logits, before) <= 1e-5f);
        Assert.Throws<ArgumentOutOfRangeException>(() => ca.Rewind(ca.Tokens.Count + 1));
    }
}
