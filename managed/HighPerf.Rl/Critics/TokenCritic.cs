using System.Runtime.InteropServices;

namespace HighPerf.Rl.Critics;

/// <summary>Shape of a token-level critic (DESIGN D4): heads on the frozen policy's per-token hidden states.</summary>
/// <param name="EmbeddingSize">Hidden size of the policy LM (the feature size).</param>
/// <param name="HiddenSize">Width of each head's MLP.</param>
/// <param name="VocabSize">Q heads emit one value per vocabulary token.</param>
/// <param name="QHeads">1 for MC Returns, 2 for ILQL (double Q).</param>
/// <param name="WithValue">A V head (ILQL).</param>
/// <param name="WithTarget">Polyak target copies of the Q heads (ILQL).</param>
/// <param name="Seed">Initialization seed.</param>
/// <param name="Threads">ggml CPU threads; the same value gives bit-identical results.</param>
public sealed record CriticShape(int EmbeddingSize, int HiddenSize, int VocabSize, int QHeads, bool WithValue, bool WithTarget, ulong Seed, int Threads = 2)
{
    internal CriticConfigNative ToNative() => new()
    {
        NEmbd = EmbeddingSize, NHidden = HiddenSize, NVocab = VocabSize, NQ = QHeads,
        WithV = WithValue ? 1 : 0, WithTarget = WithTarget ? 1 : 0, NThreads = Threads, Seed = Seed,
    };

    internal static CriticShape FromNative(in CriticConfigNative c)
        => new(c.NEmbd, c.NHidden, c.NVocab, c.NQ, c.WithV != 0, c.WithTarget != 0, c.Seed, c.NThreads);

    internal void Validate()
    {
        if (EmbeddingSize <= 0) throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "must be positive");
        if (HiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "must be positive");
        if (VocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(VocabSize), VocabSize, "must be positive");
        if (QHeads is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(QHeads), QHeads, "must be 1 or 2");
        if (Threads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be in [1, 256]");
    }
}

/// <summary>AdamW settings of a critic step (LMRL-Gym ILQL: β1 0.9, β2 0.95, eps 1e-8, wd 0).</summary>
public sealed record AdamWOptions(float LearningRate = 1e-3f, float Beta1 = 0.9f, float Beta2 = 0.95f, float Eps = 1e-8f, float WeightDecay = 0f);

/// <summary>Loss parts of one critic step (each already weighted as in the total, except <see cref="Ce1"/>/<see cref="Ce2"/>
/// which are the raw mean cross-entropies before the CQL weight).</summary>
public readonly record struct CriticLoss(float Total, float Q1, float Q2, float V, float Ce1, float Ce2);

/// <summary>One training batch of compacted action-token rows (row r: state s_r, action token a_r).</summary>
public readonly ref struct CriticBatch
{
    /// <summary>[n, EmbeddingSize] hidden states of the states s_r (row-major).</summary>
    public required ReadOnlySpan<float> Features { get; init; }
    public required ReadOnlySpan<int> Tokens { get; init; }
    /// <summary>Q regression targets y_r (TD or Monte-Carlo), treated as constants.</summary>
    public required ReadOnlySpan<float> QTargets { get; init; }
    /// <summary>Per-row weights of the Q loss (1/n for a mean).</summary>
    public required ReadOnlySpan<float> QWeights { get; init; }
    /// <summary>V regression targets (ILQL: min of the target Q heads); empty without a V head.</summary>
    public ReadOnlySpan<float> VTargets { get; init; }
    /// <summary>Per-row weights of the V loss (ILQL: expectile weight / n); empty without a V head.</summary>
    public ReadOnlySpan<float> VWeights { get; init; }
    /// <summary>Weight of the CQL-style cross-entropy term (mean over rows, summed over Q heads).</summary>
    public float CqlWeight { get; init; }
}

/// <summary>A view of one parameter tensor inside the native critic (its online value, target twin, AdamW moments).</summary>
public readonly record struct CriticTensor(int Index, string Name, long Length);

/// <summary>Token-level critic heads trained by ggml in libhighperf_critic (Q heads → vocabulary logits, Q(s,a) read at
/// the taken token; an optional V head; optional Polyak targets). Not thread-safe.</summary>
public sealed unsafe class TokenCritic : IDisposable
{
    private IntPtr _handle;

    private TokenCritic(IntPtr handle)
    {
        _handle = handle;
        CriticNative.Check(CriticNative.GetConfig(handle, out var cfg), "hpc_critic_get_config");
        Shape = CriticShape.FromNative(cfg);
    }

    public CriticShape Shape { get; }

    /// <summary>Optimizer steps taken so far (restored by <see cref="Load"/>).</summary>
    public long Steps => CriticNative.StepCount(Handle);

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(TokenCritic));

    public static TokenCritic Create(CriticShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        CriticNative.EnsureResolver();
        var native = shape.ToNative();
        CriticNative.Check(CriticNative.Create(in native, out var handle), "hpc_critic_create");
        return new TokenCritic(handle);
    }

    /// <summary>Loads a critic checkpoint written by <see cref="Save"/> (weights, targets, AdamW moments, step count).</summary>
    public static TokenCritic Load(string path, int threads = 2)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException("critic checkpoint not found", path);
        CriticNative.EnsureResolver();
        CriticNative.Check(CriticNative.Load(Path.GetFullPath(path), threads, out var handle), "hpc_critic_load");
        return new TokenCritic(handle);
    }

    /// <summary>Writes a GGUF checkpoint atomically (temporary file, fsync, rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        CriticNative.Check(CriticNative.Save(Handle, full), "hpc_critic_save");
    }

    /// <summary>Forward pass without gradients. q/tq are [n, QHeads] (row-major), v is [n]; pass empty spans to skip.</summary>
    public void Evaluate(ReadOnlySpan<float> features, ReadOnlySpan<int> tokens, Span<float> q, Span<float> targetQ, Span<float> v)
    {
        var n = RowCount(features);
        if (!q.IsEmpty || !targetQ.IsEmpty)
        {
            CheckTokens(tokens, n);
        }
        if (!q.IsEmpty && q.Length != n * Shape.QHeads) throw new ArgumentException($"q must have n·QHeads = {n * Shape.QHeads} elements", nameof(q));
        if (!targetQ.IsEmpty)
        {
            if (!Shape.WithTarget) throw new InvalidOperationException("this critic has no target heads");
            if (targetQ.Length != n * Shape.QHeads) throw new ArgumentException($"targetQ must have n·QHeads = {n * Shape.QHeads} elements", nameof(targetQ));
        }
        if (!v.IsEmpty)
        {
            if (!Shape.WithValue) throw new InvalidOperationException("this critic has no V head");
            if (v.Length != n) throw new ArgumentException($"v must have n = {n} elements", nameof(v));
        }
        fixed (float* x = features)
        fixed (int* t = tokens)
        fixed (float* pq = q)
        fixed (float* ptq = targetQ)
        fixed (float* pv = v)
        {
            CriticNative.Check(CriticNative.Evaluate(Handle, x, n, tokens.IsEmpty ? null : t, q.IsEmpty ? null : pq, targetQ.IsEmpty ? null : ptq, v.IsEmpty ? null : pv), "hpc_critic_evaluate");
        }
    }

    /// <summary>Full Q logits [n, VocabSize] of one online head (0 or 1) or, with head = -1, min over the heads; optional V [n].</summary>
    public void QLogits(ReadOnlySpan<float> features, int head, Span<float> logits, Span<float> v)
    {
        var n = RowCount(features);
        if (head < -1 || head >= Shape.QHeads) throw new ArgumentOutOfRangeException(nameof(head), head, "must be -1 (min) or a head index");
        if (logits.Length != (long)n * Shape.VocabSize) throw new ArgumentException($"logits must have n·VocabSize = {(long)n * Shape.VocabSize} elements", nameof(logits));
        if (!v.IsEmpty && (!Shape.WithValue || v.Length != n)) throw new ArgumentException("v must be empty or have n elements (and the critic a V head)", nameof(v));
        fixed (float* x = features)
        fixed (float* pl = logits)
        fixed (float* pv = v)
        {
            CriticNative.Check(CriticNative.QLogits(Handle, x, n, head, pl, v.IsEmpty ? null : pv), "hpc_critic_q_logits");
        }
    }

    /// <summary>One AdamW step (ggml autodiff) on Σ qw·½(Q_i − y)² + Σ vw·½(V − t)² + cql·Σ_i CE_i.</summary>
    public CriticLoss TrainStep(in CriticBatch batch, AdamWOptions adamw)
    {
        ArgumentNullException.ThrowIfNull(adamw);
        var n = RowCount(batch.Features);
        CheckTokens(batch.Tokens, n);
        if (batch.QTargets.Length != n || batch.QWeights.Length != n) throw new ArgumentException("QTargets and QWeights must have one value per row");
        if (Shape.WithValue && (batch.VTargets.Length != n || batch.VWeights.Length != n)) throw new ArgumentException("VTargets and VWeights must have one value per row for a critic with a V head");
        if (!float.IsFinite(batch.CqlWeight) || batch.CqlWeight < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch.CqlWeight, "CqlWeight must be finite and >= 0");
        var opt = new AdamWNative { Lr = adamw.LearningRate, Beta1 = adamw.Beta1, Beta2 = adamw.Beta2, Eps = adamw.Eps, Wd = adamw.WeightDecay };
        fixed (float* x = batch.Features)
        fixed (int* t = batch.Tokens)
        fixed (float* y = batch.QTargets)
        fixed (float* qw = batch.QWeights)
        fixed (float* vt = batch.VTargets)
        fixed (float* vw = batch.VWeights)
        {
            var nb = new TrainBatchNative
            {
                X = x, N = n, Tokens = t, QTarget = y, QWeight = qw,
                VTarget = Shape.WithValue ? vt : null, VWeight = Shape.WithValue ? vw : null, CqlWeight = batch.CqlWeight,
            };
            CriticNative.Check(CriticNative.TrainStep(Handle, in nb, in opt, out var parts), "hpc_critic_train_step");
            return new CriticLoss(parts.Total, parts.Q0, parts.Q1, parts.V, parts.Ce0, parts.Ce1);
        }
    }

    /// <summary>The online parameter tensors in their fixed order.</summary>
    public IReadOnlyList<CriticTensor> Parameters
    {
        get
        {
            var count = CriticNative.ParamCount(Handle);
            var list = new List<CriticTensor>(count);
            for (var i = 0; i < count; i++)
            {
                CriticNative.Check(CriticNative.Tensor(Handle, i, 0, out var name, out _, out var n), "hpc_critic_tensor");
                list.Add(new CriticTensor(i, Marshal.PtrToStringUTF8(name) ?? $"#{i}", n));
            }
            return list;
        }
    }

    /// <summary>The live memory of an online parameter (kind 0), its target twin (1; empty if none) or AdamW moments (2, 3).
    /// Valid until the critic is disposed; writes change the critic (used for Polyak averaging with the kernels).</summary>
    public Span<float> TensorData(int index, CriticTensorKind kind)
    {
        CriticNative.Check(CriticNative.Tensor(Handle, index, (int)kind, out _, out var data, out var n), "hpc_critic_tensor");
        return data == null ? [] : new Span<float>(data, checked((int)n));
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) CriticNative.Free(h);
        GC.SuppressFinalize(this);
    }

    ~TokenCritic()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) CriticNative.Free(h);
    }

    private int RowCount(ReadOnlySpan<float> features)
    {
        if (features.IsEmpty || features.Length % Shape.EmbeddingSize != 0)
            throw new ArgumentException($"features must be a non-empty [n, {Shape.EmbeddingSize}] matrix (got {features.Length} floats)", nameof(features));
        return features.Length / Shape.EmbeddingSize;
    }

    private void CheckTokens(ReadOnlySpan<int> tokens, int n)
    {
        if (tokens.Length != n) throw new ArgumentException($"tokens must have one id per row ({n})", nameof(tokens));
        foreach (var t in tokens)
            if ((uint)t >= (uint)Shape.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"token id outside [0, {Shape.VocabSize})");
    }
}

public enum CriticTensorKind
{
    Online = 0,
    Target = 1,
    AdamM = 2,
    AdamV = 3,
}
