using HighPerf.Gym.Core;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Policies;

/// <summary>Per-candidate statistics of one prompt: Σ_t log π_β(a_t | s_t), Σ_t Q(s_t, a_t) (min over Q heads) and
/// Σ_t V(s_t), summed over the candidate action's tokens.</summary>
public readonly record struct CandidateStats(double LogProb, double SumQ, double SumV);

/// <summary>How a candidate is scored (spec §4.3, §4.4 "ReRankerPolicy"): score = α·Σ log π_β + β·Σ (Q − V·useV).
/// BC / filtered BC: α = 1, β = 0. MC Returns: α = 1, β > 0, no V. ILQL (Maze): α = 0, β > 0, with V.</summary>
public sealed record ReRankScore(double Alpha, double Beta, bool UseValue)
{
    public double Score(CandidateStats s) => Alpha * s.LogProb + Beta * (s.SumQ - (UseValue ? s.SumV : 0));

    public static ReRankScore BehaviorCloning { get; } = new(1, 0, false);
}

/// <summary>Re-ranking over an enumerable action set (Maze's four moves): every candidate is scored with the policy
/// LM's log-probabilities and, optionally, a token-level critic; the action is sampled ∝ exp(score) (temperature 1, as
/// the paper's evaluation samples) or taken greedily. Scores depend only on the prompt, so they are cached per
/// prompt (Maze FO has 25 distinct prompts) — sampling stays per episode with the episode's own RNG.</summary>
public sealed class ReRankerPolicy : IBatchTextPolicy
{
    private readonly PolicyModel _policy;
    private readonly TokenCritic? _critic;
    private readonly IReadOnlyList<string> _candidates;
    private readonly Dictionary<string, CandidateStats[]> _cache = new(StringComparer.Ordinal);

    public ReRankerPolicy(PolicyModel policy, IReadOnlyList<string> candidates, ReRankScore score, TokenCritic? critic = null, bool greedy = false)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _candidates = candidates is { Count: > 0 } ? candidates : throw new ArgumentException("no candidate actions", nameof(candidates));
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
        var result = new string[requests.Count];
        var missing = requests.Select(r => r.History).Where(h => !_cache.ContainsKey(Key(h))).DistinctBy(Key).ToList();
        if (missing.Count > 0) ScorePrompts(missing);
        Span<double> scores = stackalloc double[_candidates.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var stats = _cache[Key(requests[i].History)];
            for (var c = 0; c < scores.Length; c++) scores[c] = Score.Score(stats[c]);
            result[i] = _candidates[Greedy ? ArgMax(scores) : Sampling.SampleSoftmax(scores, requests[i].Rng)];
        }
        return result;
    }

    /// <summary>The candidate statistics for one prompt (computed and cached on demand).</summary>
    public CandidateStats[] Stats(TextHistory prompt)
    {
        if (!_cache.ContainsKey(Key(prompt))) ScorePrompts([prompt]);
        return _cache[Key(prompt)];
    }

    private static string Key(TextHistory h) => string.Concat(h.Items.Select(i => (i.IsAction ? "\u0001A" : "\u0001O") + i.Text));

    private void ScorePrompts(List<TextHistory> prompts)
    {
        // One LM input per (prompt, candidate): [BOS] + prompt + candidate; states of the candidate's tokens.
        var seqs = new List<(ReadOnlyMemory<int>, int[])>();
        var labels = new List<int>();
        var owner = new List<(int Prompt, int Candidate)>();
        for (var p = 0; p < prompts.Count; p++)
            for (var c = 0; c < _candidates.Count; c++)
            {
                var tt = TokenTrajectory.FromHistory(prompts[p].AppendAction(_candidates[c]), _policy.Tokenizer);
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
                        owner.Add((p, c));
                    }
                seqs.Add((tokens, positions.ToArray()));
            }
        var n = labels.Count;
        var logits = _policy.Outputs(seqs, embeddings: false);
        var logp = new float[n];
        KernelOps.LogProbs(logits, n, _policy.VocabSize, labels.ToArray(), 1f, logp);
        var q = new float[n];
        var v = new float[n];
        if (_critic is not null)
        {
            var h = _policy.StateFeatures(seqs);
            var heads = _critic.Shape.QHeads;
            var qAll = new float[n * heads];
            _critic.Evaluate(h, labels.ToArray(), qAll, [], _critic.Shape.WithValue ? v : []);
            for (var i = 0; i < n; i++) q[i] = heads == 2 ? MathF.Min(qAll[2 * i], qAll[2 * i + 1]) : qAll[i];
        }
        var acc = new (double L, double Q, double V)[prompts.Count, _candidates.Count];
        for (var i = 0; i < n; i++)
        {
            var (p, c) = owner[i];
            acc[p, c] = (acc[p, c].L + logp[i], acc[p, c].Q + q[i], acc[p, c].V + v[i]);
        }
        for (var p = 0; p < prompts.Count; p++)
        {
            var stats = new CandidateStats[_candidates.Count];
            for (var c = 0; c < stats.Length; c++) stats[c] = new CandidateStats(acc[p, c].L, acc[p, c].Q, acc[p, c].V);
            _cache[Key(prompts[p])] = stats;
        }
    }

    private static int ArgMax(ReadOnlySpan<double> s)
    {
        var best = 0;
        for (var i = 1; i < s.Length; i++) if (s[i] > s[best]) best = i;
        return best;
    }
}
