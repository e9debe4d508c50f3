using HighPerf.Rl.Critics;
using HighPerf.Rl.Data;

namespace HighPerf.Rl.Algorithms;

/// <summary>Hyperparameters of ILQL (spec §4.4, §4.7; Maze code: γ 0.99, τ 0.95; paper: β 16, cql 0.5).</summary>
public sealed record IlqlOptions
{
    public float Gamma { get; init; } = 0.99f;
    /// <summary>Expectile of the V regression (τ → 1 approaches max over in-data actions).</summary>
    public float Tau { get; init; } = 0.95f;
    public float CqlWeight { get; init; } = 0.5f;
    /// <summary>Polyak rate of the target Q heads, every optimizer step.</summary>
    public float PolyakAlpha { get; init; } = 0.005f;
    public float LearningRate { get; init; } = 1e-3f;
    public int BatchRows { get; init; } = 256;
    public int Steps { get; init; } = 1500;
    public int HiddenSize { get; init; } = 256;
    /// <summary>Decoding strength: logits = log π_β + β·(Q − V) / re-rank score Σ β·(Q − V).</summary>
    public float Beta { get; init; } = 16f;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = 2;
    public int LogEvery { get; init; } = 20;
}

/// <summary>Implicit Language Q-Learning (spec §4.4, kernels spec §1.2) on frozen BC features: two Q heads with Polyak
/// targets, a V head fitted by expectile regression, TD targets through V of the next action token:
/// <code>
///   y_t      = r_t + γ·(1 − done)·V(s_{t+1})                         (kernel: hp_td_targets; s_{t+1} = next action
///                                                                     token, or the next segment's prompt / bootstrap)
///   L_Q      = Σ_i mean_t ½ (Q_i(s_t, a_t) − y_t)²
///   w_t      = τ if min_i Q̄_i(s_t, a_t) ≥ V(s_t) else 1 − τ          (kernel: hp_expectile)
///   L_V      = mean_t w_t · ½ (V(s_t) − min_i Q̄_i(s_t, a_t))²
///   L_CQL    = Σ_i mean_t CE(softmax Q_i(s_t, ·), a_t)
///   L        = L_Q + L_V + cql·L_CQL                                  (ggml autodiff + AdamW in libhighperf_critic)
///   Q̄_i      ← (1 − α)·Q̄_i + α·Q_i after every step                  (kernel: hp_polyak)
/// </code>
/// Targets y and the V target are constants (stop-gradient) because they are computed before the step.</summary>
public sealed class Ilql(IlqlOptions options)
{
    public IlqlOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public TokenCritic CreateCritic(int embeddingSize, int vocabSize)
        => TokenCritic.Create(new CriticShape(embeddingSize, Options.HiddenSize, vocabSize, QHeads: 2, WithValue: true, WithTarget: true, Options.Seed, Options.Threads));

    /// <summary>One batch's regression targets from the current critic (exposed for tests).</summary>
    public (float[] QTarget, float[] VTarget, float[] VWeight) Targets(TokenCritic critic, OfflineDataset data, FeatureTable features, ReadOnlySpan<int> rows)
    {
        var n = rows.Length;
        var width = features.Width;
        var x = new float[n * width];
        var tokens = new int[n];
        var rewards = new float[n];
        var dones = new byte[n];
        var next = new int[n];
        var succ = new List<int>();
        var succIndex = new Dictionary<int, int>();
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            features.Row(features.RowFeature[r]).CopyTo(x.AsSpan(i * width, width));
            tokens[i] = data.RowToken[r];
            rewards[i] = data.RowReward[r];
            dones[i] = data.RowDone[r];
            var f = data.RowNext[r] >= 0 ? features.RowFeature[data.RowNext[r]] : features.RowBootstrapFeature[r];
            if (f < 0 || dones[i] != 0)
            {
                next[i] = -1;
                continue;
            }
            if (!succIndex.TryGetValue(f, out var k))
            {
                k = succ.Count;
                succ.Add(f);
                succIndex[f] = k;
            }
            next[i] = k;
        }

        // Current critic: target Q at the taken tokens and V at the states, V at the successor states.
        var tq = new float[n * 2];
        var v = new float[n];
        critic.Evaluate(x, tokens, [], tq, v);
        var vNext = new float[Math.Max(succ.Count, 1)];
        if (succ.Count > 0)
        {
            var xs = new float[succ.Count * width];
            features.Gather(succ.ToArray(), xs);
            critic.Evaluate(xs, [], [], [], vNext);
        }

        var y = new float[n];
        KernelOps.TdTargets(rewards, dones, next, vNext.AsSpan(0, Math.Max(succ.Count, 0) == 0 ? 0 : succ.Count), [], Options.Gamma, y);

        var vTarget = new float[n];
        for (var i = 0; i < n; i++) vTarget[i] = MathF.Min(tq[2 * i], tq[2 * i + 1]); // double-Q min of the targets
        var w = new float[n];
        KernelOps.ExpectileWeights(v, vTarget, Options.Tau, w);
        for (var i = 0; i < n; i++) w[i] /= n; // mean over the batch's action tokens
        return (y, vTarget, w);
    }

    /// <summary>Trains from the critic's current step to <see cref="IlqlOptions.Steps"/> (resumable, see <see cref="McReturns"/>).</summary>
    public void Train(TokenCritic critic, OfflineDataset data, FeatureTable features, Action<long, IReadOnlyDictionary<string, double>>? log = null, Action<long>? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(critic);
        if (!critic.Shape.WithValue || !critic.Shape.WithTarget || critic.Shape.QHeads != 2) throw new ArgumentException("ILQL needs two Q heads with targets and a V head", nameof(critic));
        var o = Options;
        var n = Math.Min(o.BatchRows, data.RowCount);
        var rows = new int[n];
        var x = new float[n * features.Width];
        var tokens = new int[n];
        var qw = new float[n];
        Array.Fill(qw, 1f / n);
        var adamw = new AdamWOptions(o.LearningRate, 0.9f, 0.95f, 1e-8f, 0f);
        var qParams = critic.Parameters.Where(p => !critic.TensorData(p.Index, CriticTensorKind.Target).IsEmpty).Select(p => p.Index).ToArray();
        for (var step = critic.Steps; step < o.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RowSampler.Sample(o.Seed, step, data.RowCount, rows);
            var (y, vt, vw) = Targets(critic, data, features, rows);
            for (var i = 0; i < n; i++)
            {
                tokens[i] = data.RowToken[rows[i]];
                features.Row(features.RowFeature[rows[i]]).CopyTo(x.AsSpan(i * features.Width, features.Width));
            }
            var loss = critic.TrainStep(new CriticBatch { Features = x, Tokens = tokens, QTargets = y, QWeights = qw, VTargets = vt, VWeights = vw, CqlWeight = o.CqlWeight }, adamw);
            foreach (var p in qParams)
                KernelOps.Polyak(critic.TensorData(p, CriticTensorKind.Target), critic.TensorData(p, CriticTensorKind.Online), o.PolyakAlpha);
            var done = step + 1;
            if (log is not null && (done % o.LogEvery == 0 || done == o.Steps))
                log(done, new Dictionary<string, double>
                {
                    ["loss"] = loss.Total, ["q1_loss"] = loss.Q1, ["q2_loss"] = loss.Q2, ["v_loss"] = loss.V, ["cql_ce"] = 0.5 * (loss.Ce1 + loss.Ce2),
                    ["mean_target"] = y.Average(),
                });
            checkpoint?.Invoke(done);
        }
    }
}
