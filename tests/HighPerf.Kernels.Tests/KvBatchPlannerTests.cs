namespace HighPerf.Kernels.Tests;

public class KvBatchPlannerTests
{
    private static ConversationState Conv(int seq, int past, params int[] pending) => new(seq, past, pending);

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void PacksTokensPositionsAndOutputs(KernelBackend backend)
    {
        var planner = new KvBatchPlanner(8, 4, backend);
        var buffers = new BatchBuffers(8, 2);
        var n = planner.Plan([Conv(0, 5, 10, 11, 12), Conv(3, 7, 20)], buffers);
        Assert.Equal(4, n);
        Assert.Equal([10, 11, 12, 20], buffers.Tokens[..4]);
        Assert.Equal([5, 6, 7, 7], buffers.Positions[..4]);
        Assert.Equal([0, 0, 0, 3], buffers.SequenceIds[..4]);
        Assert.Equal([0, 0, 1, 1], buffers.Logits[..4].Select(b => (int)b));
        Assert.Equal(2, buffers.OutputCount);
        Assert.Equal([0, 1], buffers.OutputConversation[..2]);
        Assert.Equal([2, 3], buffers.OutputBatchIndex[..2]);
        Assert.Equal([3, 1], buffers.Scheduled);
        Assert.Equal([8, 8], buffers.NewPastLength);
        Assert.Equal(0, buffers.OpCount);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void ForkRollbackAndAllLogits(KernelBackend backend)
    {
        var planner = new KvBatchPlanner(8, 3, backend);
        var buffers = new BatchBuffers(8, 3);
        planner.Plan([
            Conv(0, 10, 42) with { RollbackTo = 4 },
            Conv(1, 6, 43) with { ForkParent = 0 },
            Conv(2, 0, 1, 2) with { WantAllLogits = true },
        ], buffers);
        Assert.Equal(3, buffers.OpCount);
        Assert.Equal(new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, 0, 4, -1), buffers.Ops[0]);
        Assert.Equal(new KvMemoryOp(KvMemoryOpKind.SequenceRemove, -1, 1, 0, -1), buffers.Ops[1]);
        Assert.Equal(new KvMemoryOp(KvMemoryOpKind.SequenceCopy, 0, 1, 0, 6), buffers.Ops[2]);
        Assert.Equal([4, 6, 0, 1], buffers.Positions[..4]);
        Assert.Equal([1, 1, 1, 1], buffers.Logits[..4].Select(b => (int)b));
        Assert.Equal([5, 7, 2], buffers.NewPastLength);
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void RoundRobinServesEveryoneAndSplitsLongPrompts(KernelBackend backend)
    {
        // One 10-token prompt and five 1-token decodes, n_batch 4, n_seq_max 6: nobody waits more than 2 batches, and
        // the prompt is split with consecutive positions and a single output at its end.
        List<int[]> pending = [Enumerable.Range(100, 10).ToArray(), [1], [2], [3], [4], [5]];
        var past = new int[6];
        var waited = new int[6];
        var planner = new KvBatchPlanner(4, 6, backend);
        var buffers = new BatchBuffers(4, 6);
        var promptPositions = new List<int>();
        for (var round = 0; round < 10 && pending.Any(p => p.Length > 0); round++)
        {
            var convs = Enumerable.Range(0, 6).Select(i => Conv(i, past[i], pending[i])).ToArray();
            planner.Plan(convs, buffers);
            Assert.InRange(buffers.TokenCount, 1, 4);
            for (var t = 0; t < buffers.TokenCount; t++)
            {
                if (buffers.SequenceIds[t] == 0) promptPositions.Add(buffers.Positions[t]);
            }
            for (var i = 0; i < 6; i++)
            {
                waited[i] = buffers.Scheduled[i] == 0 && pending[i].Length > 0 ? waited[i] + 1 : 0;
                Assert.True(waited[i] <= 2, $"conversation {i} starved");
                pending[i] = pending[i][buffers.Scheduled[i]..];
                past[i] = buffers.NewPastLength[i];
            }
        }
        Assert.All(pending, p => Assert.Empty(p));
        Assert.Equal(Enumerable.Range(0, 10), promptPositions);
        Assert.Equal([10, 1, 1, 1, 1, 1], past);
    }

    [Fact]
    public void ManagedAndNativeAgreeOnRandomScenarios()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            var nConv = rng.Next(0, 9);
            var nSeqMax = nConv + rng.Next(1, 4);
            var nBatch = rng.Next(1, 20);
            var seqs = Enumerable.Range(0, nSeqMax).OrderBy(_ => rng.Next()).Take(nConv).ToArray();
            var convs = seqs.Select(s =>
            {
                var past = rng.Next(0, 30);
                var c = Conv(s, past, Enumerable.Range(0, rng.Next(0, 8)).Select(_ => rng.Next(32000)).ToArray());
                if (rng.Next(4) == 0) c = c with { RollbackTo = rng.Next(0, past + 1) };
                if (rng.Next(4) == 0) c = c with { ForkParent = seqs[rng.Next(nConv)] == s ? -1 : seqs[rng.Next(nConv)] };
                return c with { WantAllLogits = rng.Next(5) == 0, ForkParent = c.ForkParent == s ? -1 : c.ForkParent };
            }).ToArray();
            var cursor = rng.Next(0, 10);
            var m = new KvBatchPlanner(nBatch, nSeqMax, KernelBackend.Managed) { Cursor = cursor };
            var n = new KvBatchPlanner(nBatch, nSeqMax, KernelBackend.NativeCpu) { Cursor = cursor };
            var (bm, bn) = (new BatchBuffers(nBatch, nConv), new BatchBuffers(nBatch, nConv));
            Assert.Equal(m.Plan(convs, bm), n.Plan(convs, bn));
            Assert.Equal(m.Cursor, n.Cursor);
            Assert.Equal((bm.TokenCount, bm.OutputCount, bm.OpCount), (bn.TokenCount, bn.OutputCount, bn.OpCount));
            Assert.Equal(bm.Tokens, bn.Tokens);
            Assert.Equal(bm.Positions, bn.Positions);
            Assert.Equal(bm.SequenceIds, bn.SequenceIds);
            Assert.Equal(bm.Logits, bn.Logits);
            Assert.Equal(bm.OutputConversation, bn.OutputConversation);
            Assert.Equal(bm.OutputBatchIndex, bn.OutputBatchIndex);
            Assert.Equal(bm.Scheduled, bn.Scheduled);
            Assert.Equal(bm.NewPastLength, bn.NewPastLength);
            Assert.Equal(bm.Ops, bn.Ops);
            Assert.True(bm.TokenCount <= nBatch);
            Assert.True(bm.SequenceIds[..bm.TokenCount].Distinct().Count() <= nSeqMax);
        }
    }

    [Theory]
    [InlineData(KernelBackend.Managed)]
    [InlineData(KernelBackend.NativeCpu)]
    public void InvalidConversationsRejected(KernelBackend backend)
    {
        var planner = new KvBatchPlanner(4, 2, backend);
        var buffers = new BatchBuffers(4, 2);
        Assert.Contains("already owned", Assert.Throws<ArgumentException>(() => planner.Plan([Conv(0, 0, 1), Conv(0, 0, 2)], buffers)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => planner.Plan([Conv(2, 0, 1)], buffers));
        Assert.Throws<ArgumentOutOfRangeException>(() => planner.Plan([Conv(0, 3, 1) with { RollbackTo = 4 }], buffers));
        Assert.Throws<ArgumentOutOfRangeException>(() => planner.Plan([Conv(0, 3, 1) with { ForkParent = 0 }], buffers));
        Assert.Throws<ArgumentOutOfRangeException>(() => planner.Plan([Conv(0, -1, 1)], buffers));
        Assert.Throws<ArgumentException>(() => planner.Plan([Conv(0, 0), Conv(1, 0), Conv(2, 0)], buffers));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvBatchPlanner(0, 2, backend));
        Assert.Equal(1, planner.Plan([Conv(1, 0, 9)], buffers));  // still usable
    }
}
