using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Llama.Batching;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Policies;

/// <summary>Per-candidate statistics of one prompt: Σ_t log π_β(a_t | s_t), Σ_t Q(s_t, a_t) (min over Q heads) and
/// Σ_t V(s_t), summed over the candidate action's <paramref name="Tokens"/> tokens.</summary>
public readonly record struct CandidateStats(double LogProb, double SumQ, double SumV, int Tokens = 1);

/// <summary>How a candidate is scored (spec §4.3, §4.4 "ReRankerPolicy"): score = α·Σ log π_β + β·Σ (Q − V·useV).
/// BC / filtered BC: α = 1, β = 0. MC Returns: α = 1, β > 0, no V. ILQL (Maze): α = 0, β > 0, with V.
/// <para><paramref name="PerToken"/>: the critic term is the per-token mean (Σ/Tokens) instead of the sum, for candidates
/// of different lengths (Text-Nav's commands: 2 to 8 tokens). Summed, ILQL's advantages — negative on average, since V
/// is an upper expectile of Q — penalise every extra token and the policy only ever says the shortest command, and MC's
/// positive Q favours the longest; Maze's four moves have the same length, where the two differ only by a β scale.</para></summary>
public sealed record ReRankScore(double Alpha, double Beta, bool UseValue, bool PerToken = false)
{
    public double Score(CandidateStats s)
    {
        var critic = s.SumQ - (UseValue ? s.SumV : 0);
        return Alpha * s.LogProb + Beta * (PerToken ? critic / Math.Max(1, s.Tokens) : critic);
    }

    public static ReRankScore BehaviorCloning { get; } = new(1, 0, false);
}

/// <summary>Re-ranking over an enumerable action set (spec §4.3/§4.4; Maze's four moves, Text-Nav's admissible
/// commands): every candidate is scored with the policy LM's log-probabilities and, optionally, a token-level critic;
/// the action is sampled ∝ exp(score) (temperature 1, as the paper's evaluation samples) or taken greedily. Scores
/// depend only on the prompt, so they are cached per prompt (Maze FO has 25 distinct prompts) — sampling stays per
/// episode with the episode's own RNG.
/// <para>Two ways to score, by the shape of the work: a fixed set on short prompts packs every (prompt, candidate)
/// sequence into shared decodes (<see cref="PolicyModel.Outputs"/>, logits and hidden states from two passes); a
/// per-state set on long histories decodes the prompt once into KV sequence 0 and forks it for each candidate, which
/// then decodes only its own few tokens (logits and hidden states from the same pass) — one prompt decode instead of
/// one per candidate.</para></summary>
public sealed class ReRankerPolicy : IBatchTextPolicy, IDisposable
{
    /// <summary>KV sequences of the shared-prefix scorer: the prompt plus up to this many − 1 candidates at a time.</summary>
    public const int ForkSequences = 16;

    private readonly PolicyModel _policy;
    private readonly TokenCritic? _critic;
    private readonly ActionCandidates _candidates;
    private readonly Dictionary<string, (IReadOnlyList<string> Actions, CandidateStats[] Stats)> _cache = new(StringComparer.Ordinal);
    private (BatchedExecutor Executor, Conversation Root)? _forkExecutor;

    public ReRankerPolicy(PolicyModel policy, IReadOnlyList<string> candidates, ReRankScore score, TokenCritic? critic = null, bool greedy = false)
        : this(policy, ActionCandidates.Fixed(candidates), score, critic, greedy) { }

    public ReRankerPolicy(PolicyModel policy, ActionCandidates candidates, ReRankScore score, TokenCritic? critic = null, bool greedy = false)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _candidates = candidates ?? throw new ArgumentNullException(nameof(candidates));
        Score = score ?? throw new ArgumentNullException(nameof(score));
        if (score.Beta != 0 && critic is null) throw new ArgumentException("a critic is needed when β ≠ 0", nameof(critic));
        if (score.UseValue && critic is { Shape.WithValue: false }) throw new ArgumentException("the critic has no V head", nameof(critic));
        _critic = critic;
        Greedy = greedy;
    }

    public ReRankScore Score { get; }
    public bool Greedy { get; }

    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var result = new string[requests.Count];
        var missing = requests.Select(r => r.History).Where(h => !_cache.ContainsKey(Key(h))).DistinctBy(Key).ToList();
        if (missing.Count > 0) ScorePrompts(missing);
        for (var i = 0; i < requests.Count; i++)
        {
            var (actions, stats) = _cache[Key(requests[i].History)];
            var scores = new double[actions.Count];
            for (var c = 0; c < scores.Length; c++) scores[c] = Score.Score(stats[c]);
            result[i] = actions[Greedy ? ArgMax(scores) : Sampling.SampleSoftmax(scores, requests[i].Rng)];
        }
        return result;
    }

    /// <summary>The candidate statistics for one prompt, in the order of its candidates (computed and cached on demand).</summary>
    public CandidateStats[] Stats(TextHistory prompt) => Scored(prompt).Stats;

    /// <summary>The candidates of one prompt and their statistics (computed and cached on demand).</summary>
    public (IReadOnlyList<string> Actions, CandidateStats[] Stats) Scored(TextHistory prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (!_cache.ContainsKey(Key(prompt))) ScorePrompts([prompt]);
        return _cache[Key(prompt)];
    }

    private static string Key(TextHistory h) => string.Concat(h.Items.Select(i => (i.IsAction ? "\u0001A" : "\u0001O") + i.Text));

    private void ScorePrompts(List<TextHistory> prompts)
    {
        if (_candidates.IsFixed) ScorePacked(prompts);
        else foreach (var p in prompts) _cache[Key(p)] = ScoreForked(p, _candidates.For(p));
    }

    /// <summary>Fixed candidates: one LM input per (prompt, candidate), [BOS] + prompt + candidate, packed; the states
    /// of the candidate's tokens.</summary>
    private void ScorePacked(List<TextHistory> prompts)
    {
        var actions = _candidates.For(prompts[0]);
        var seqs = new List<(ReadOnlyMemory<int>, int[])>();
        var labels = new List<int>();
        var group = new List<int>(); // prompt · |candidates| + candidate, per row
        for (var p = 0; p < prompts.Count; p++)
            for (var c = 0; c < actions.Count; c++)
            {
                var tt = TokenTrajectory.FromHistory(prompts[p].AppendAction(actions[c]), _policy.Tokenizer);
                var offset = _policy.Bos is null ? 0 : 1;
                var tokens = new int[tt.Length + offset];
                if (_policy.Bos is { } b) tokens[0] = b;
                tt.Tokens.CopyTo(tokens, offset);
                var positions = new List<int>();
                for (var t = 0; t < tt.Length; t++)
                    if (tt.IsAction[t])
                    {
                        positions.Add(t + offset - 1);
                        labels.Add(tt.Tokens[t]);
                        group.Add(p * actions.Count + c);
                    }
                seqs.Add((tokens, positions.ToArray()));
            }
        var logits = _policy.Outputs(seqs, embeddings: false);
        var features = _critic is null ? null : _policy.StateFeatures(seqs);
        var stats = Accumulate(logits, features, labels.ToArray(), group, prompts.Count * actions.Count);
        for (var p = 0; p < prompts.Count; p++) _cache[Key(prompts[p])] = (actions, stats[(p * actions.Count)..((p + 1) * actions.Count)]);
    }

    /// <summary>Per-state candidates, on the executor: the prompt is synced into one root conversation (its common
    /// prefix with the previous prompt stays in KV) and inferred once; each candidate forks it (no recomputation) and
    /// infers its tokens but the last, all forks in one batch, every row kept. The state before a candidate's first token
    /// is the prompt's last position, shared by all; the state before token j ≥ 1 is the fork's row at prompt + j − 1.</summary>
    private (IReadOnlyList<string>, CandidateStats[]) ScoreForked(TextHistory prompt, IReadOnlyList<string> actions)
    {
        var tokens = _policy.PromptTokens(prompt);
        var candidateTokens = new int[actions.Count][];
        for (var c = 0; c < actions.Count; c++)
        {
            candidateTokens[c] = _policy.Tokenizer(actions[c]);
            if (candidateTokens[c].Length == 0) throw new ArgumentException($"candidate {c} ({actions[c]}) has no tokens", nameof(actions));
        }
        var promptLength = tokens.Count;
        var (ex, root) = _policy.ForkExecutor(ref _forkExecutor, ForkSequences, promptLength + candidateTokens.Max(t => t.Length));
        root.SyncTo(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens));
        ex.Infer([root]);
        var vocab = _policy.VocabSize;
        var hiddenWidth = _policy.EmbeddingSize;
        var rows = candidateTokens.Sum(t => t.Length);
        var logits = new float[rows * vocab];
        var hidden = new float[rows * hiddenWidth];
        var rowStart = new int[actions.Count];
        for (int c = 0, r = 0; c < actions.Count; r += candidateTokens[c].Length, c++) rowStart[c] = r;
        foreach (var r in rowStart)
        {
            root.Logits.CopyTo(logits.AsSpan(r * vocab, vocab));
            root.Hidden.CopyTo(hidden.AsSpan(r * hiddenWidth, hiddenWidth));
        }

        // The forks, ForkSequences − 1 candidates at a time (the root keeps its sequence).
        for (var first = 0; first < actions.Count; first += ForkSequences - 1)
        {
            var last = Math.Min(actions.Count, first + ForkSequences - 1);
            var forks = new List<(int Candidate, Conversation Fork)>();
            try
            {
                for (var c = first; c < last; c++)
                {
                    if (candidateTokens[c].Length < 2) continue;
                    var fork = root.Fork();
                    forks.Add((c, fork));
                    fork.AppendTokens(candidateTokens[c].AsSpan(0, candidateTokens[c].Length - 1));
                }
                if (forks.Count == 0) continue;
                ex.Infer([.. forks.Select(f => f.Fork)], allRows: true);
                foreach (var (c, fork) in forks)
                    for (var j = 0; j + 1 < candidateTokens[c].Length; j++)
                    {
                        var row = rowStart[c] + j + 1;
                        fork.RowLogits(promptLength + j).CopyTo(logits.AsSpan(row * vocab, vocab));
                        fork.RowHidden(promptLength + j).CopyTo(hidden.AsSpan(row * hiddenWidth, hiddenWidth));
                    }
            }
            finally
            {
                foreach (var (_, fork) in forks) fork.Dispose();
            }
        }

        var labels = new int[rows];
        var group = new int[rows];
        float[]? features = _critic is null ? null : new float[rows * _policy.FeatureWidth];
        for (var c = 0; c < actions.Count; c++)
        {
            var full = tokens.Concat(candidateTokens[c]).ToArray();
            for (var j = 0; j < candidateTokens[c].Length; j++)
            {
                var r = rowStart[c] + j;
                labels[r] = candidateTokens[c][j];
                group[r] = c;
                if (features is not null)
                    PolicyModel.ComposeFeature(hidden.AsSpan(r * hiddenWidth, hiddenWidth), full, promptLength + j - 1,
                        features.AsSpan(r * _policy.FeatureWidth, _policy.FeatureWidth));
            }
        }
        return (actions, Accumulate(logits, features, labels, group, actions.Count));
    }

    /// <summary>Sums, per group (one candidate of one prompt), log π_β(label) of each row and the critic's min-Q and V.</summary>
    private CandidateStats[] Accumulate(float[] logits, float[]? features, int[] labels, IReadOnlyList<int> group, int groups)
    {
        var n = labels.Length;
        var logp = new float[n];
        KernelOps.LogProbs(logits, n, _policy.VocabSize, labels, 1f, logp);
        var q = new float[n];
        var v = new float[n];
        if (_critic is not null)
        {
            var heads = _critic.Shape.QHeads;
            var qAll = new float[n * heads];
            _critic.Evaluate(features!, labels, qAll, [], _critic.Shape.WithValue ? v : []);
            for (var i = 0; i < n; i++) q[i] = heads == 2 ? MathF.Min(qAll[2 * i], qAll[2 * i + 1]) : qAll[i];
        }
        var acc = new (double L, double Q, double V, int N)[groups];
        for (var i = 0; i < n; i++) acc[group[i]] = (acc[group[i]].L + logp[i], acc[group[i]].Q + q[i], acc[group[i]].V + v[i], acc[group[i]].N + 1);
        return [.. acc.Select(a => new CandidateStats(a.L, a.Q, a.V, a.N))];
    }


    private static int ArgMax(ReadOnlySpan<double> s)
    {
        var best = 0;
        for (var i = 1; i < s.Length; i++) if (s[i] > s[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _forkExecutor?.Root.Dispose();
        _forkExecutor?.Executor.Dispose();
        _forkExecutor = null;
    }
}
