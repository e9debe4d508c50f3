namespace HighPerf.Llama;

/// <summary>
/// Per-token hidden states (output of the final norm, the input of the LM head) and pooled sequence embeddings.
/// llama.cpp runs with pooling NONE and the pooling is done in C#, because its per-token accessor returns
/// uninitialised memory when its own pooling is on (spec §6). Several sequences go into one decode.
/// </summary>
public sealed class LlamaEmbedder : IDisposable
{
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;

    public LlamaEmbedder(LlamaModel model, int maxSequenceLength = 512, int sequencesPerBatch = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxSequenceLength < 1) throw new ArgumentOutOfRangeException(nameof(maxSequenceLength));
        if (sequencesPerBatch is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(sequencesPerBatch));
        Model = model;
        _context = model.CreateContext(new LlamaContextOptions
        {
            ContextSize = maxSequenceLength * sequencesPerBatch,
            SequenceCount = sequencesPerBatch,
            BatchSize = Math.Max(maxSequenceLength, 512),
            MicroBatchSize = Math.Max(maxSequenceLength, 512),
            Embeddings = true,
        });
        _batch = new LlamaBatch(_context.BatchSize);
    }

    public LlamaModel Model { get; }
    public int EmbeddingSize => Model.EmbeddingSize;

    /// <summary>Hidden states of every token: per sequence, a row-major [n_tokens × n_embd] array.</summary>
    public float[][] GetTokenStates(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int d = EmbeddingSize;
        var result = new float[sequences.Count][];
        for (int s = 0; s < sequences.Count; s++)
        {
            var q = sequences[s] ?? throw new ArgumentException($"sequences[{s}] is null", nameof(sequences));
            if (q.Length == 0) throw new ArgumentException($"sequences[{s}] is empty.", nameof(sequences));
            if (q.Length > _context.SequenceContextSize) throw new ArgumentException($"sequences[{s}] has {q.Length} tokens; at most {_context.SequenceContextSize}.", nameof(sequences));
            Model.Tokenizer.ValidateTokens(q, nameof(sequences));
            result[s] = new float[q.Length * d];
        }
        // Embeddings mode makes every token an output anyway; ask for all of them explicitly.
        PackedDecoder.DecodeAll(_context, _batch, sequences, static (_, _) => true, rows =>
        {
            foreach (var row in rows)
                _context.GetEmbeddings(row.BatchIndex).CopyTo(result[row.Sequence].AsSpan(row.Position * d, d));
        }, cancellationToken);
        return result;
    }

    /// <summary>Pooled embedding per sequence (mean or last token), computed from the per-token states.</summary>
    public float[][] Embed(IReadOnlyList<int[]> sequences, PoolingType pooling, CancellationToken cancellationToken = default)
    {
        if (pooling is not (PoolingType.Mean or PoolingType.Last)) throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Mean or Last");
        return GetTokenStates(sequences, cancellationToken).Select(s => LlamaContext.Pool(s, EmbeddingSize, pooling)).ToArray();
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
    }
}
