using System.Runtime.InteropServices;
using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Batching;
using HighPerf.Rl.Algorithms;

namespace HighPerf.Rl.Policies;

/// <summary>Settings of a <see cref="SamplingPolicy"/>.</summary>
public sealed record SamplingPolicyOptions
{
    /// <summary>Conversations resident in KV at once (the rollout batch; more are swapped out to host memory).</summary>
    public int MaxResidentConversations { get; init; } = 32;
    /// <summary>Tokens one conversation holds (prompt + action). Longer prompts are left-truncated after the BOS
    /// (LMRL-Gym left-truncates prompts); null = min(the model's training context, 2048).</summary>
    public int? ContextPerConversation { get; init; }
    /// <summary>Sampling temperature T: tokens are drawn from softmax(logits / T) and log-probs recorded under it.</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Tokens per action at most (an action ends at the newline token, spec §1.1).</summary>
    public int MaxActionTokens { get; init; } = 32;
    /// <summary>Record every turn's prompt, sampled tokens, log-probs (and features) for <see cref="SamplingPolicy.TakeTurns"/>.</summary>
    public bool Record { get; init; }
    /// <summary>Also record the critics' state feature (<see cref="PolicyModel.ComposeFeature"/> of the hidden state)
    /// before every action token (value heads read them).</summary>
    public bool RecordFeatures { get; init; }
    /// <summary>The naive baseline: forget the KV cache and re-encode the whole prompt every turn (equivalence tests,
    /// benchmarks). Default false: keep the longest common prefix of the previous turn's tokens.</summary>
    public bool ReEncodeEachTurn { get; init; }
    public int Threads { get; init; } = Math.Max(1, Math.Min(Environment.ProcessorCount, 4));
    /// <summary>KV cells in F32 (default): recorded log-probs then match re-encoding and the trainer to ~1e-5 (F16 cells
    /// measured 1.8e-4 on Maze FO). F16 halves KV memory for large models.</summary>
    public bool KvF32 { get; init; } = true;
    /// <summary>One KV stream per conversation (default: attention spans only the conversation's own cells, exact per
    /// conversation) or one buffer shared by all (with F32 cells llama.cpp attends over every conversation's cells
    /// without flash attention: measured 4.5× slower on Text-Nav rollouts of 16 episodes, 152 vs 686 action tok/s).</summary>
    public bool UnifiedKv { get; init; }

    internal void Validate()
    {
        if (MaxResidentConversations is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(MaxResidentConversations), MaxResidentConversations, "must be in [1, 256]");
        if (ContextPerConversation is < 16 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(ContextPerConversation), ContextPerConversation, "must be in [16, 2^20]");
        if (!(Temperature > 0) || !float.IsFinite(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be > 0 and finite");
        if (MaxActionTokens is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(MaxActionTokens), MaxActionTokens, "must be in [1, 4096]");
        if (Threads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be in [1, 256]");
    }
}

/// <summary>Turns one state's raw next-token logits into the sampling logits (temperature included), given the
/// critics' state feature of that state (<see cref="PolicyModel.ComposeFeature"/>): value-guided decoding's hook.</summary>
public delegate void LogitAdjuster(ReadOnlySpan<float> feature, ReadOnlySpan<float> logits, Span<float> samplingLogits);

/// <summary>One action of one episode as the policy produced it: the exact prompt it conditioned on, the sampled
/// tokens (the newline that ended the action included), their log-probs under the sampling distribution and,
/// when recorded, one state feature row per action token (row-major, <see cref="PolicyModel.FeatureWidth"/> wide).</summary>
public sealed record TurnRecord(int Episode, int Turn, int[] Prompt, int[] Action, float[] LogProbs, float[]? Features);

/// <summary>
/// The LM policy of online RL, sampling token by token on the <see cref="BatchedExecutor"/>'s per-token steps
/// (sync prompt → infer → read logits → sample → append): every episode of a batch keeps one conversation whose KV
/// cache survives across turns (a turn appends only what changed, <see cref="Conversation.SyncTo"/>), all live
/// episodes decode together, and each samples with its own seeded RNG (the request's), so actions do not depend on how
/// episodes are batched beyond llama.cpp's arithmetic. With <see cref="SamplingPolicyOptions.Record"/> it keeps what
/// PPO's buffer needs: the sampled token ids and their behaviour log-probs (and features) per action.
/// Run it through <see cref="EpisodeRunner"/> (rollouts) or the evaluator. Not thread-safe.
/// </summary>
public sealed class SamplingPolicy : IBatchTextPolicy, IDisposable
{
    private readonly BatchedExecutor _executor;
    private readonly PolicyModel _policy;
    private readonly Dictionary<int, Conversation> _conversations = [];
    private readonly Dictionary<int, List<TurnRecord>> _turns = [];
    private readonly int _capacity;

    private readonly LogitAdjuster? _adjust;
    private readonly bool _needsFeatures;

    /// <param name="model">The policy LM.</param>
    /// <param name="options">Batching, sampling and recording settings.</param>
    /// <param name="adjust">Optional: computes the sampling logits from the raw logits and the state feature (e.g.
    /// π_β + β·(Q − V), value-guided decoding); null samples softmax(logits / T).</param>
    public SamplingPolicy(LlamaModel model, SamplingPolicyOptions? options = null, LogitAdjuster? adjust = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SamplingPolicyOptions();
        options.Validate();
        Options = options;
        _adjust = adjust;
        _needsFeatures = options.RecordFeatures || adjust is not null;
        _policy = new PolicyModel(model, options.Threads);
        var perConversation = options.ContextPerConversation ?? Math.Min(Math.Max(model.TrainContextLength, 256), 2048);
        _executor = new BatchedExecutor(model, new BatchedExecutorOptions
        {
            MaxResidentConversations = options.MaxResidentConversations,
            ContextPerConversation = perConversation,
            Threads = options.Threads,
            Embeddings = _needsFeatures,
            KvType = options.KvF32 ? Llama.Native.GgmlType.F32 : Llama.Native.GgmlType.F16,
            UnifiedKv = options.UnifiedKv,
        });
        _capacity = _executor.ConversationCapacity;
        if (_capacity <= options.MaxActionTokens + 1) throw new ArgumentOutOfRangeException(nameof(options), perConversation, $"ContextPerConversation must exceed MaxActionTokens + 1 = {options.MaxActionTokens + 1}");
    }

    public SamplingPolicyOptions Options { get; }
    public LlamaModel Model => _policy.Model;
    /// <summary>Width of a recorded feature row.</summary>
    public int FeatureWidth => _policy.FeatureWidth;
    /// <summary>Tokens decoded so far (prompt tokens re-encoded + action tokens), the measure of KV reuse.</summary>
    public long DecodedTokens { get; private set; }
    /// <summary>Prompt tokens the policy was shown so far (what re-encoding every turn would decode, besides actions).</summary>
    public long PromptTokensSeen { get; private set; }
    /// <summary>Action tokens sampled so far.</summary>
    public long SampledTokens { get; private set; }
    /// <summary>The executor's llama_decode calls so far.</summary>
    public long DecodeCalls => _executor.DecodeCalls;

    private sealed class Pending
    {
        public required Conversation Conversation;
        public required PolicyRequest Request;
        public required int[] Prompt;
        public readonly List<int> Action = [];
        public readonly List<float> LogProbs = [];
        public readonly List<float> Features = [];
        public bool Done;
    }

    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var pending = new List<Pending>(requests.Count);
        foreach (var r in requests)
        {
            if (!_conversations.TryGetValue(r.EpisodeId, out var c))
                _conversations[r.EpisodeId] = c = _executor.CreateConversation();
            var prompt = PromptTokens(r.History);
            if (Options.ReEncodeEachTurn) c.Rollback(0);
            var kept = c.SyncTo(prompt);
            DecodedTokens += prompt.Length - kept;
            PromptTokensSeen += prompt.Length;
            pending.Add(new Pending { Conversation = c, Request = r, Prompt = prompt });
        }
        var live = new List<Conversation>(pending.Count);
        var scaled = new float[_policy.VocabSize];
        var logProb = new float[1];
        var feature = _needsFeatures ? new float[_policy.FeatureWidth] : [];
        while (true)
        {
            live.Clear();
            foreach (var p in pending) if (!p.Done) live.Add(p.Conversation);
            if (live.Count == 0) break;
            _executor.Infer(live);
            foreach (var p in pending)
            {
                if (p.Done) continue;
                var c = p.Conversation;
                var logits = c.Logits;
                if (_needsFeatures)
                {
                    var tokens = c.TokenSpan;
                    PolicyModel.ComposeFeature(c.Hidden, tokens, tokens.Length - 1, feature);
                    if (Options.RecordFeatures) p.Features.AddRange(feature);
                }
                if (_adjust is not null) _adjust(feature, logits, scaled);
                else for (var k = 0; k < logits.Length; k++) scaled[k] = logits[k] / Options.Temperature;
                var token = Sampling.SampleSoftmax((ReadOnlySpan<float>)scaled, p.Request.Rng);
                KernelOps.LogProbs(scaled, 1, scaled.Length, [token], 1f, logProb);
                p.LogProbs.Add(logProb[0]);
                p.Action.Add(token);
                SampledTokens++;
                DecodedTokens++;
                var newline = token == Model.Tokenizer.NewLine || Model.Tokenizer.IsEndOfGeneration(token);
                if (newline || p.Action.Count >= Options.MaxActionTokens || c.Tokens.Count + 1 >= _capacity) p.Done = true;
                c.AppendTokens([token]);
            }
        }
        var actions = new string[pending.Count];
        for (var i = 0; i < pending.Count; i++)
        {
            var p = pending[i];
            var text = p.Action;
            var n = text.Count;
            if (n > 0 && (text[^1] == Model.Tokenizer.NewLine || Model.Tokenizer.IsEndOfGeneration(text[^1]))) n--;
            actions[i] = Model.Tokenizer.Detokenize(CollectionsMarshal.AsSpan(text)[..n]).TrimEnd('\n') + "\n";
            if (Options.Record)
            {
                if (!_turns.TryGetValue(p.Request.EpisodeId, out var list)) _turns[p.Request.EpisodeId] = list = [];
                list.Add(new TurnRecord(p.Request.EpisodeId, p.Request.Turn, p.Prompt, [.. p.Action], [.. p.LogProbs],
                    Options.RecordFeatures ? [.. p.Features] : null));
            }
        }
        return actions;
    }

    /// <summary>[BOS] + the history's items tokenized one at a time (spec §1.1), left-truncated after the BOS so that an
    /// action of <see cref="SamplingPolicyOptions.MaxActionTokens"/> still fits the conversation.</summary>
    private int[] PromptTokens(TextHistory history)
    {
        var tokens = _policy.PromptTokens(history);
        var room = _capacity - Options.MaxActionTokens - 1;
        if (tokens.Count <= room) return [.. tokens];
        var bos = _policy.Bos is not null ? 1 : 0;
        return [.. tokens.Take(bos), .. tokens.Skip(tokens.Count - (room - bos))];
    }

    public void EndEpisode(int episodeId)
    {
        if (_conversations.Remove(episodeId, out var c)) c.Dispose();
    }

    /// <summary>The recorded turns of an episode, in order, removed from the policy (empty when none).</summary>
    public IReadOnlyList<TurnRecord> TakeTurns(int episodeId) => _turns.Remove(episodeId, out var list) ? list : [];

    /// <summary>Forgets every conversation and record (between rollout batches, or after the weights changed).</summary>
    public void Reset()
    {
        foreach (var c in _conversations.Values) c.Dispose();
        _conversations.Clear();
        _turns.Clear();
    }

    public void Dispose()
    {
        Reset();
        _executor.Dispose();
        _policy.Dispose();
    }
}
