using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HighPerf.Kernels;

namespace HighPerf.Llama.Training;

/// <summary>
/// Batched per-token log-probabilities of given sequences under the current weights: several sequences per
/// llama_decode (one KV sequence each, every token an output), then log-softmax at the next token with the fused
/// vocabulary kernel (<see cref="Vocabulary.LogProbs"/>: one streaming pass per logits row, on the best available
/// backend unless one is given). The kernel runs over llama.cpp's own logits buffer, one call per run of consecutive
/// output rows (normally the whole decode); nothing of size [tokens × vocab] is copied.
/// </summary>
public sealed class LogProbScorer : IDisposable
{
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;
    private readonly int[] _labels;
    private readonly float[] _logProbs;

    /// <param name="model">The model whose log-probabilities are computed.</param>
    /// <param name="maxSequenceLength">Longest sequence to score (tokens).</param>
    /// <param name="sequencesPerBatch">Sequences decoded together (KV sequences of the context).</param>
    /// <param name="batchSize">Tokens per llama_decode; default max(maxSequenceLength, 512).</param>
    /// <param name="backend">Backend of the vocabulary kernel; null = <see cref="KernelRuntime"/>'s default (best available).</param>
    public LogProbScorer(LlamaModel model, int maxSequenceLength = 512, int sequencesPerBatch = 8, int? batchSize = null,
        KernelBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxSequenceLength < 2) throw new ArgumentOutOfRangeException(nameof(maxSequenceLength));
        if (sequencesPerBatch is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(sequencesPerBatch));
        if (backend is { } b0 && !KernelRuntime.IsAvailable(b0))
            throw new KernelBackendUnavailableException($"LogProbScorer: the {b0} backend of the vocabulary kernel is unavailable.");
        int b = batchSize ?? Math.Max(maxSequenceLength, 512);
        Model = model;
        Backend = backend;
        _context = model.CreateContext(new LlamaContextOptions
        {
            ContextSize = maxSequenceLength * sequencesPerBatch,
            SequenceCount = sequencesPerBatch,
            BatchSize = b,
            MicroBatchSize = b,
        });
        _batch = new LlamaBatch(_context.BatchSize);
        _labels = new int[_context.BatchSize];
        _logProbs = new float[_context.BatchSize];
    }

    public LlamaModel Model { get; }

    /// <summary>The requested backend of the vocabulary kernel (null: best available at each call).</summary>
    public KernelBackend? Backend { get; }

    /// <summary>For each sequence of n tokens, n−1 values: log p(tokens[t+1] | tokens[..t]).</summary>
    public float[][] Score(IReadOnlyList<int[]> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var result = new float[sequences.Count][];
        for (int s = 0; s < sequences.Count; s++)
        {
            var q = sequences[s] ?? throw new ArgumentException($"sequences[{s}] is null", nameof(sequences));
            if (q.Length < 2) throw new ArgumentException($"sequences[{s}] needs at least 2 tokens.", nameof(sequences));
            if (q.Length > _context.SequenceContextSize) throw new ArgumentException($"sequences[{s}] has {q.Length} tokens; at most {_context.SequenceContextSize}.", nameof(sequences));
            Model.Tokenizer.ValidateTokens(q, nameof(sequences));
            result[s] = new float[q.Length - 1];
        }
        // The last token predicts nothing inside the sequence: every other position is an output row.
        PackedDecoder.DecodeAll(_context, _batch, sequences, static (q, pos) => pos < q.Length - 1,
            rows => ReduceRows(rows, sequences, result), cancellationToken);
        return result;
    }

    /// <summary>Log-probabilities of the decoded output rows: the kernel runs once per run of rows that lie one after
    /// another in llama.cpp's logits buffer (it keeps outputs in batch order, so normally once per decode).</summary>
    private void ReduceRows(List<DecodedRow> rows, IReadOnlyList<int[]> sequences, float[][] result)
    {
        int vocab = _context.VocabSize;
        int r = 0;
        while (r < rows.Count)
        {
            ref float head = ref MemoryMarshal.GetReference(_context.GetLogits(rows[r].BatchIndex));
            int n = 1;
            while (r + n < rows.Count &&
                   Unsafe.ByteOffset(ref head, ref MemoryMarshal.GetReference(_context.GetLogits(rows[r + n].BatchIndex))) == (nint)n * vocab * sizeof(float))
                n++;
            for (int j = 0; j < n; j++)
            {
                var row = rows[r + j];
                _labels[j] = sequences[row.Sequence][row.Position + 1];
            }
            Vocabulary.LogProbs(MemoryMarshal.CreateReadOnlySpan(ref head, n * vocab), n, vocab, _labels.AsSpan(0, n),
                _logProbs.AsSpan(0, n), backend: Backend);
            for (int j = 0; j < n; j++)
            {
                var row = rows[r + j];
                result[row.Sequence][row.Position] = _logProbs[j];
            }
            r += n;
        }
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
    }
}
