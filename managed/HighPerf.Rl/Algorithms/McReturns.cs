using HighPerf.Rl.Critics;
using HighPerf.Rl.Data;

namespace HighPerf.Rl.Algorithms;

/// <summary>Hyperparameters of MC Returns (spec §4.3, §4.7; Maze: β 16, γ 0.99, cql 0.5).</summary>
public sealed record McReturnsOptions
{
    public float Gamma { get; init; } = 0.99f;
    /// <summary>Weight of the cross-entropy term CE(softmax(Q logits), data token).</summary>
    public float CqlWeight { get; init; } = 0.5f;
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Action-token rows per step.</summary>
    public int BatchRows { get; init; } = 256;
    public int Steps { get; init; } = 600;
    public int HiddenSize { get; init; } = 256;
    /// <summary>Decoding strength: logits = log π_β + β·Q.</summary>
    public float Beta { get; init; } = 16f;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = 2;
    public int LogEvery { get; init; } = 20;
    /// <summary>Regress Q onto the cut reward-to-go of truncated episodes too (see <see cref="McReturns"/>).</summary>
    public bool IncludeTruncated { get; init; }
}

/// <summary>MC Returns (spec §4.3): one Q head on the frozen BC policy's hidden states, regressed onto the discounted
/// reward-to-go over action tokens (γ per action token, rewards on each action's last token), plus a CQL-style
/// cross-entropy that keeps Q's softmax near the data:
/// <code>
///   G_t  = r_t + γ·G_{t+1}                                   (kernel: hp_mc_returns, per episode)
///   L(θ) = mean_t ½ (Q_θ(s_t, a_t) − G_t)²  +  cql · mean_t CE(softmax Q_θ(s_t, ·), a_t)
/// </code>
/// The policy is π(a|s) ∝ π_β(a|s)·exp(β·Q(s,a)) (value-guided decoding or Maze re-ranking).
/// <para>Truncated episodes (not done: the Maze behaviour policy stops when it leaves its sub-maze) have no Monte-Carlo
/// return — their reward-to-go stops at the cut and would make "walk out of the data" look cheap — so their rows get
/// Q-weight 0 (<see cref="McReturnsOptions.IncludeTruncated"/> = false); the CE term still sees every row. When no
/// episode of the dataset is complete, every row is used.</para></summary>
public sealed class McReturns(McReturnsOptions options)
{
    public McReturnsOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Monte-Carlo targets for every row of the dataset (episodes are the kernel's sequences, rows its tokens).</summary>
    public static float[] ReturnsToGo(OfflineDataset data, float gamma)
    {
        var returns = new float[data.RowCount];
        var mask = new byte[data.RowCount];
        Array.Fill(mask, (byte)1);
        KernelOps.McReturns(data.EpisodeRowOffsets, data.RowReward, mask, gamma, returns);
        return returns;
    }

    /// <summary>Rows whose episode has a Monte-Carlo return: episodes that ended (done), or all when none did or
    /// <paramref name="includeTruncated"/>.</summary>
    public static bool[] CompleteRows(OfflineDataset data, bool includeTruncated)
    {
        var keep = new bool[data.RowCount];
        var any = false;
        for (var e = 0; e < data.EpisodeCount; e++)
        {
            var first = data.EpisodeRowOffsets[e];
            var last = data.EpisodeRowOffsets[e + 1] - 1;
            if (last < first) continue;
            var done = includeTruncated || data.RowDone[last] != 0;
            any |= data.RowDone[last] != 0;
            for (var r = first; r <= last; r++) keep[r] = done;
        }
        if (!any) Array.Fill(keep, true);
        return keep;
    }

    public TokenCritic CreateCritic(int embeddingSize, int vocabSize)
        => TokenCritic.Create(new CriticShape(embeddingSize, Options.HiddenSize, vocabSize, QHeads: 1, WithValue: false, WithTarget: false, Options.Seed, Options.Threads));

    /// <summary>Trains <paramref name="critic"/> from its current step to <see cref="McReturnsOptions.Steps"/>
    /// (resumable: the sampler is re-seeded from (seed, step), so a resumed run continues exactly).</summary>
    public void Train(TokenCritic critic, OfflineDataset data, FeatureTable features, Action<long, IReadOnlyDictionary<string, double>>? log = null, Action<long>? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(critic);
        var o = Options;
        var targets = ReturnsToGo(data, o.Gamma);
        var n = Math.Min(o.BatchRows, data.RowCount);
        var rows = new int[n];
        var x = new float[n * features.Width];
        var tokens = new int[n];
        var y = new float[n];
        var w = new float[n];
        var complete = CompleteRows(data, o.IncludeTruncated);
        var adamw = new AdamWOptions(o.LearningRate, 0.9f, 0.95f, 1e-8f, 0f);
        for (var step = critic.Steps; step < o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RowSampler.Sample(o.Seed, step, data.RowCount, rows);
            for (var i = 0; i < n; i++)
            {
                var r = rows[i];
                tokens[i] = data.RowToken[r];
                y[i] = targets[r];
                w[i] = complete[r] ? 1f / n : 0f; // mean over the batch's action tokens
                features.Row(features.RowFeature[r]).CopyTo(x.AsSpan(i * features.Width, features.Width));
            }
            var loss = critic.TrainStep(new CriticBatch { Features = x, Tokens = tokens, QTargets = y, QWeights = w, CqlWeight = o.CqlWeight }, adamw);
            var done = step + 1;
            if (log is not null && (done % o.LogEvery == 0 || done == o.Steps))
                log(done, new Dictionary<string, double> { ["loss"] = loss.Total, ["q_loss"] = loss.Q1, ["cql_ce"] = loss.Ce1 });
            checkpoint?.Invoke(done);
        }
    }
}

/// <summary>Seeded row sampling that depends only on (seed, step): a resumed run draws the same batches.</summary>
internal static class RowSampler
{
    public static void Sample(ulong seed, long step, int count, Span<int> rows)
    {
        var rng = new Random(unchecked((int)(seed * 0x9E3779B1UL) ^ (int)(step * 0x85EBCA6BL) ^ (int)(step >> 32)));
        for (var i = 0; i < rows.Length; i++) rows[i] = rng.Next(count);
    }
}
