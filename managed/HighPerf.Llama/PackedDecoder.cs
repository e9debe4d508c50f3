namespace HighPerf.Llama;

/// <summary>One decoded output row: the sequence (index into the caller's list), the token position in it, and the
/// row's index in the batch (the argument of <see cref="LlamaContext.GetLogits"/> / <see cref="LlamaContext.GetEmbeddings"/>).</summary>
internal readonly record struct DecodedRow(int Sequence, int Position, int BatchIndex);

/// <summary>Decodes whole token sequences from position 0, as many at a time as the context has KV sequences (one
/// each), streaming their tokens in batch-sized chunks. Shared by the hidden-state and log-probability readers.</summary>
internal static class PackedDecoder
{
    /// <param name="context">A context with at least one KV sequence; its memory is cleared between rounds.</param>
    /// <param name="batch">Scratch batch of the context's batch size.</param>
    /// <param name="sequences">Validated token sequences, each no longer than the context's per-sequence size.</param>
    /// <param name="isOutput">Whether the token at (sequence, position) needs an output row.</param>
    /// <param name="onDecoded">Called after every decode with that decode's output rows (valid until the next decode).</param>
    /// <param name="cancellationToken">Checked before every decode and passed into it.</param>
    public static void DecodeAll(LlamaContext context, LlamaBatch batch, IReadOnlyList<int[]> sequences,
        Func<int[], int, bool> isOutput, Action<List<DecodedRow>> onDecoded, CancellationToken cancellationToken)
    {
        var rows = new List<DecodedRow>(batch.Capacity);
        int next = 0;
        while (next < sequences.Count)
        {
            context.ClearMemory();
            int count = Math.Min(context.SequenceCount, sequences.Count - next);
            var fed = new int[count];
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                rows.Clear();
                for (int k = 0; k < count && batch.Count < batch.Capacity; k++)
                {
                    var q = sequences[next + k];
                    while (fed[k] < q.Length && batch.Count < batch.Capacity)
                    {
                        int pos = fed[k];
                        bool output = isOutput(q, pos);
                        int idx = batch.Add(q[pos], pos, k, output);
                        if (output) rows.Add(new DecodedRow(next + k, pos, idx));
                        fed[k]++;
                    }
                }
                if (batch.Count == 0) break;
                context.Decode(batch, cancellationToken);
                onDecoded(rows);
            }
            next += count;
        }
    }
}
