namespace HighPerf.Llama.Batching;

/// <summary>One conversation's request to a planner: its KV sequence, tokens already cached and tokens pending.</summary>
internal readonly record struct PlanRequest(int SequenceId, int PastTokens, int PendingTokens, bool AllOutputs);

/// <summary>What a planner decided for one decode: per request, how many pending tokens go into this batch.</summary>
internal sealed class BatchPlan
{
    public int[] Scheduled = [];
    public int TokenCount;
}

/// <summary>
/// The planning step of the executor, isolated so the implementation can be swapped: given the pending tokens of the
/// resident conversations, choose how many of each go into the next llama_decode (≤ n_batch tokens in all). The
/// caller fills the batch (positions continue each sequence) and marks the last pending token of a fully scheduled
/// conversation as an output.
/// </summary>
internal interface IBatchPlanner
{
    string Name { get; }
    void Plan(ReadOnlySpan<PlanRequest> requests, int batchSize, BatchPlan plan);
}

/// <summary>
/// Round-robin planner: visits conversations from a cursor that advances past the last one served, each taking as
/// many pending tokens as still fit, so a long prompt cannot starve the single-token steps of the others. Same
/// contract as <c>hp_kv_plan</c> in libhighperf (minus its fork/rollback ops, which the executor applies itself
/// because a partial seq_cp aborts llama.cpp when the KV cache is not unified).
/// </summary>
internal sealed class RoundRobinBatchPlanner : IBatchPlanner
{
    private int _cursor;

    public string Name => "managed round-robin";

    public void Plan(ReadOnlySpan<PlanRequest> requests, int batchSize, BatchPlan plan)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        int n = requests.Length;
        if (plan.Scheduled.Length < n) plan.Scheduled = new int[Math.Max(n, 2 * plan.Scheduled.Length)];
        Array.Clear(plan.Scheduled, 0, n);
        plan.TokenCount = 0;
        if (n == 0) { _cursor = 0; return; }
        int start = _cursor % n, lastServed = -1, room = batchSize;
        for (int k = 0; k < n && room > 0; k++)
        {
            int i = (start + k) % n;
            int pending = requests[i].PendingTokens;
            if (pending <= 0) continue;
            int take = Math.Min(pending, room);
            plan.Scheduled[i] = take;
            room -= take;
            lastServed = i;
        }
        plan.TokenCount = batchSize - room;
        _cursor = lastServed >= 0 ? (lastServed + 1) % n : start;
    }
}
