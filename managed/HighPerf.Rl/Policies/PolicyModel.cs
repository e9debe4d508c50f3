using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Batching;
using HighPerf.Llama.Native;

namespace HighPerf.Rl.Policies;

/// <summary>A policy LM behind the HighPerf.Llama façade, seen the way the RL code needs it: item tokenization
/// (no special tokens, items one at a time, spec §1.1), per-token hidden states (pooling NONE, the critics' features,
/// DESIGN D4) and per-token logits, all through the batched executor (one conversation per sequence, packed by its
/// planner). Not thread-safe.</summary>
public sealed class PolicyModel : IDisposable
{
    private readonly int _threads;
    private BatchedExecutor? _executor;
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

    /// <summary>Drops the inference executor (after the weights changed through training, or to free memory).</summary>
    public void ResetContexts()
    {
        _executor?.Dispose();
        _executor = null;
    }

    /// <summary>llama.cpp threads of this model's decodes.</summary>
    public int Threads => _threads;

    /// <summary>An executor for forking from one root conversation (<paramref name="sequences"/> KV sequences of at least
    /// <paramref name="maxLength"/> tokens, hidden states kept, F32 KV): <paramref name="slot"/> when it is large enough,
    /// else a new one stored in it (the old one disposed). The caller owns the slot.</summary>
    public (BatchedExecutor Executor, Conversation Root) ForkExecutor(ref (BatchedExecutor Executor, Conversation Root)? slot, int sequences, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (slot is { } s && s.Executor.Options.MaxResidentConversations >= sequences && s.Executor.ConversationCapacity >= maxLength) return s;
        slot?.Root.Dispose();
        slot?.Executor.Dispose();
        var ex = NewExecutor(sequences, maxLength);
        slot = (ex, ex.CreateConversation());
        return slot.Value;
    }

    private BatchedExecutor NewExecutor(int sequences, int maxLength) => new(Model, new BatchedExecutorOptions
    {
        MaxResidentConversations = sequences,
        ContextPerConversation = SlotLength(maxLength),
        BatchSize = Math.Max(PackTokens, SlotLength(maxLength)),
        Embeddings = true,
        KvType = GgmlType.F32,
        Threads = _threads,
    });

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
        // Every sequence is one conversation of the executor from position 0, PackSequences at a time; the planner packs
        // their tokens into shared decodes and every row is kept (the same path as rollouts and re-ranking).
        if (_executor is null || _executor.ConversationCapacity < maxLen)
        {
            _executor?.Dispose();
            _executor = NewExecutor(PackSequences, maxLen);
        }
        var outRow = 0L;
        for (var first = 0; first < sequences.Count; first += PackSequences)
        {
            var group = new List<Conversation>(PackSequences);
            try
            {
                for (var i = first; i < Math.Min(sequences.Count, first + PackSequences); i++)
                {
                    var c = _executor.CreateConversation();
                    group.Add(c);
                    c.AppendTokens(sequences[i].Tokens.Span);
                }
                _executor.Infer(group, allRows: true);
                for (var k = 0; k < group.Count; k++)
                    foreach (var p in sequences[first + k].Positions)
                    {
                        var src = embeddings ? group[k].RowHidden(p) : group[k].RowLogits(p);
                        src.CopyTo(result.AsSpan((int)(outRow * width), width));
                        outRow++;
                    }
            }
            finally
            {
                foreach (var c in group) c.Dispose();
            }
        }
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
