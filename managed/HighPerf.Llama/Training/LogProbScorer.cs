using System.Numerics.Tensors;

namespace HighPerf.Llama.Training;

/// <summary>
/// Batched per-token log-probabilities of given sequences under the current weights: several sequences per
/// llama_decode (one KV sequence each, every token an output), then log-softmax at the next token. The reduction runs
/// in C# (TensorPrimitives) on each logits row as it comes out of llama.cpp; nothing of size [tokens × vocab] is kept.
/// </summary>
public sealed class LogProbScorer : IDisposable
{
    private readonly LlamaContext _context;
    private readonly LlamaBatch _batch;

    public LogProbScorer(LlamaModel model, int maxSequenceLength = 512, int sequencesPerBatch = 8, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maxSequenceLength < 2) throw new ArgumentOutOfRangeException(nameof(maxSequenceLength));
        if (sequencesPerBatch is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(sequencesPerBatch));
        int b = batchSize ?? Math.Max(maxSequenceLength, 512);
        Model = model;
        _context = model.CreateContext(new LlamaContextOptions
        {
            ContextSize = maxSequenceLength * sequencesPerBatch,
            SequenceCount = sequencesPerBatch,
            BatchSize = b,
            MicroBatchSize = b,
        });
        _batch = new LlamaBatch(_context.BatchSize);
    }

    public LlamaModel Model { get; }

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
        int next = 0;
        while (next < sequences.Count)
        {
            _context.ClearMemory();
            // Sequences in this round, one KV sequence each; tokens streamed in n_batch chunks.
            int count = Math.Min(_context.SequenceCount, sequences.Count - next);
            var fed = new int[count];
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _batch.Clear();
                var rows = new List<(int Seq, int Pos, int Index)>();
                for (int k = 0; k < count && _batch.Count < _batch.Capacity; k++)
                {
                    var q = sequences[next + k];
                    while (fed[k] < q.Length && _batch.Count < _batch.Capacity)
                    {
                        int pos = fed[k];
                        bool output = pos < q.Length - 1;
                        int idx = _batch.Add(q[pos], pos, k, output);
                        if (output) rows.Add((k, pos, idx));
                        fed[k]++;
                    }
                }
                if (_batch.Count == 0) break;
                _context.Decode(_batch, cancellationToken);
                foreach (var (k, pos, idx) in rows)
                    result[next + k][pos] = LogSoftmaxAt(_context.GetLogits(idx), sequences[next + k][pos + 1]);
            }
            next += count;
        }
        return result;
    }

    /// <summary>log softmax(logits)[target], computed stably in float with a double accumulator for the sum.</summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> logits, int target)
    {
        if ((uint)target >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(target));
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return (float)(logits[target] - max - Math.Log(sum));
    }

    public void Dispose()
    {
        _batch.Dispose();
        _context.Dispose();
    }
}
