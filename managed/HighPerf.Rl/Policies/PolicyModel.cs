using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Native;

namespace HighPerf.Rl.Policies;

/// <summary>A policy LM behind the HighPerf.Llama façade, seen the way the RL code needs it: item tokenization
/// (no special tokens, items one at a time, spec §1.1), per-token hidden states (pooling NONE, the critics' features,
/// DESIGN D4) and per-token logits. Several sequences are packed into one decode (one KV sequence each), and the
/// KV cache is cleared between packs. Not thread-safe.</summary>
public sealed class PolicyModel : IDisposable
{
    private readonly int _threads;
    private LlamaContext? _embeddingContext;
    private LlamaContext? _logitContext;
    private const int PackSequences = 8;
    private const int PackTokens = 512;

    public PolicyModel(LlamaModel model, int threads = 2)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _threads = threads;
    }

    public LlamaModel Model { get; }
    public int VocabSize => Model.VocabSize;
    public int EmbeddingSize => Model.EmbeddingSize;

    /// <summary>The token prepended to every LM input, when the model asks for one.</summary>
    public int? Bos => Model.Tokenizer.AddBos ? Model.Tokenizer.Bos : null;

    public TextTokenizer Tokenizer => text => Model.Tokenizer.Tokenize(text, addSpecial: false);

    /// <summary>Drops the inference contexts (after the weights changed through training, or to free memory).</summary>
    public void ResetContexts()
    {
        _embeddingContext?.Dispose();
        _embeddingContext = null;
        _logitContext?.Dispose();
        _logitContext = null;
    }

    private LlamaContext Context(bool embeddings, int maxLength)
    {
        ref var slot = ref embeddings ? ref _embeddingContext : ref _logitContext;
        var perSeq = SlotLength(maxLength);
        if (slot is not null && slot.SequenceContextSize >= maxLength) return slot;
        slot?.Dispose();
        // A packed sequence must fit one batch whole.
        slot = NewContext(PackSequences, perSeq, Math.Max(PackTokens, perSeq), embeddings);
        return slot;
    }

    /// <summary>A context for incremental decoding of <paramref name="sequences"/> parallel sequences of up to
    /// <paramref name="maxLength"/> tokens each, reading logits and hidden states of the same decode (llama.cpp keeps
    /// logits in embedding contexts): <paramref name="slot"/> when it already holds that length, else a new one stored
    /// in it (the old one disposed). The caller owns the slot.</summary>
    public LlamaContext GenerationContext(ref LlamaContext? slot, int sequences, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (slot is not null && slot.SequenceCount >= sequences && slot.SequenceContextSize >= maxLength) return slot;
        slot?.Dispose();
        // Prompts may span several batches here (positions continue the KV cache); one token per sequence must fit.
        return slot = NewContext(sequences, SlotLength(maxLength), Math.Max(PackTokens, sequences), embeddings: true);
    }

    /// <summary>[BOS] + the tokens of <paramref name="history"/> (items tokenized one at a time, spec §1.1), with room
    /// for <paramref name="extraCapacity"/> more; throws when that is empty (no BOS and no history).</summary>
    public List<int> PromptTokens(TextHistory history, int extraCapacity = 0)
    {
        var tt = TokenTrajectory.FromHistory(history, Tokenizer);
        var tokens = new List<int>(tt.Length + 1 + extraCapacity);
        if (Bos is { } b) tokens.Add(b);
        tokens.AddRange(tt.Tokens);
        if (tokens.Count == 0) throw new ArgumentException("empty prompt (no BOS, no history)", nameof(history));
        return tokens;
    }

    private LlamaContext NewContext(int sequences, int perSequence, int batch, bool embeddings) => Model.CreateContext(new LlamaContextOptions
    {
        ContextSize = perSequence * sequences,
        BatchSize = batch,
        MicroBatchSize = batch,
        SequenceCount = sequences,
        Embeddings = embeddings,
        Threads = _threads,
        BatchThreads = _threads,
        KeyType = GgmlType.F32,
        ValueType = GgmlType.F32,
    });

    /// <summary>The per-sequence slot (KV cells, trainer sequence length) for sequences of up to
    /// <paramref name="maxLength"/> tokens: the next power of two, at least 64, so contexts are reused across nearby lengths.</summary>
    internal static int SlotLength(int maxLength) => Math.Max(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, maxLength)));

    /// <summary>For each sequence, the rows at <c>positions</c> of its per-token output (hidden states [E] when
    /// <paramref name="embeddings"/>, else logits [V]) are written consecutively into the returned matrix, in input order.</summary>
    public float[] Outputs(IReadOnlyList<(ReadOnlyMemory<int> Tokens, int[] Positions)> sequences, bool embeddings)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var width = embeddings ? EmbeddingSize : VocabSize;
        long rows = 0;
        var maxLen = 1;
        foreach (var (tokens, positions) in sequences)
        {
            if (tokens.Length == 0) throw new ArgumentException("empty sequence");
            foreach (var p in positions)
                if ((uint)p >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(sequences), p, "position outside its sequence");
            rows += positions.Length;
            maxLen = Math.Max(maxLen, tokens.Length);
        }
        var result = new float[checked(rows * width)];
        var ctx = Context(embeddings, maxLen);
        using var batch = new LlamaBatch(ctx.BatchSize);
        var outRow = 0L;
        var i = 0;
        var pack = new List<(int Seq, int Start, int[] Positions)>(PackSequences);
        while (i < sequences.Count)
        {
            ctx.ClearMemory();
            batch.Clear();
            pack.Clear();
            while (i < sequences.Count && pack.Count < PackSequences && batch.Count + sequences[i].Tokens.Length <= ctx.BatchSize)
            {
                var (tokens, positions) = sequences[i];
                var start = batch.Count;
                var wanted = new HashSet<int>(positions);
                var span = tokens.Span;
                for (var t = 0; t < span.Length; t++) batch.Add(span[t], t, pack.Count, wanted.Contains(t));
                pack.Add((pack.Count, start, positions));
                i++;
            }
            if (pack.Count == 0) throw new InvalidOperationException($"a sequence of {sequences[i].Tokens.Length} tokens does not fit the batch of {ctx.BatchSize}");
            ctx.Decode(batch);
            foreach (var (_, start, positions) in pack)
                foreach (var p in positions)
                {
                    var src = embeddings ? ctx.GetEmbeddings(start + p) : ctx.GetLogits(start + p);
                    src.CopyTo(result.AsSpan((int)(outRow * width), width));
                    outRow++;
                }
        }
        ctx.ClearMemory();
        return result;
    }

    /// <summary>Tokens summarised by the bag-of-tokens part of <see cref="StateFeatures"/>.</summary>
    public const int BagWindow = 32;

    /// <summary>Hash buckets of the bag-of-tokens part of <see cref="StateFeatures"/>.</summary>
    public const int BagBuckets = 128;

    /// <summary>Hash buckets of the context-identity part of <see cref="StateFeatures"/>.</summary>
    public const int IdentityBuckets = 512;

    /// <summary>Width of a critic state feature: hidden state (E) + bag of recent tokens + context identity.</summary>
    public int FeatureWidth => EmbeddingSize + BagBuckets + IdentityBuckets;

    /// <summary>The critics' state features (DESIGN D4, frozen π_β): for each requested position p, the final hidden
    /// state h_p, a hashed bag of the tokens at positions p−W+1..p (counts per bucket, bucket = token·φ ≫ 25), and a
    /// one-hot hashed identity of that whole window (FNV-1a of its tokens, <see cref="IdentityBuckets"/> buckets).
    /// The last-token state of a small, briefly trained π_β barely separates states whose prompts differ in a few tokens
    /// (Maze FO: only the position digits differ, and a tiny BC model learns the action marginal first), so critics on
    /// it alone rank actions the same everywhere. In LMRL-Gym the heads sit on a trunk fine-tuned with them; the bag
    /// (which tokens) and the identity (which exact recent context: a per-context table, as the symbolic Maze ablation's
    /// DQN/CQL have, App. G) are the CPU-sized stand-in that lets the heads separate states and state×action
    /// interactions while the LM stays frozen. Contexts longer than the window share what the window holds.</summary>
    public float[] StateFeatures(IReadOnlyList<(ReadOnlyMemory<int> Tokens, int[] Positions)> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var e = EmbeddingSize;
        var w = FeatureWidth;
        var hidden = Outputs(sequences, embeddings: true);
        var rows = hidden.Length / e;
        var result = new float[checked(rows * w)];
        var row = 0;
        foreach (var (tokens, positions) in sequences)
            foreach (var p in positions)
            {
                ComposeFeature(hidden.AsSpan(row * e, e), tokens.Span, p, result.AsSpan(row * w, w));
                row++;
            }
        return result;
    }

    /// <summary>One row of <see cref="StateFeatures"/>: hidden state h_p, hashed bag of the last <see cref="BagWindow"/>
    /// tokens up to p and the one-hot hashed identity of that window, written into <paramref name="destination"/>
    /// (<see cref="FeatureWidth"/> floats, overwritten).</summary>
    public static void ComposeFeature(ReadOnlySpan<float> hidden, ReadOnlySpan<int> tokens, int p, Span<float> destination)
    {
        var e = hidden.Length;
        if (destination.Length != e + BagBuckets + IdentityBuckets) throw new ArgumentException($"destination holds {destination.Length} floats, a feature row {e + BagBuckets + IdentityBuckets}", nameof(destination));
        if ((uint)p >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(p), p, "position outside the tokens");
        destination.Clear();
        hidden.CopyTo(destination);
        var hash = 2166136261u;
        for (var t = Math.Max(0, p - BagWindow + 1); t <= p; t++)
        {
            destination[e + Bucket(tokens[t])] += 1f;
            hash = unchecked((hash ^ (uint)tokens[t]) * 16777619u);
        }
        destination[e + BagBuckets + (int)(hash % IdentityBuckets)] = 1f;
    }

    private static int Bucket(int token) => (int)(((uint)token * 2654435761u) >> 25);

    public void Dispose() => ResetContexts();
}
