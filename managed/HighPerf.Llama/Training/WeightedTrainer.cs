using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HighPerf.Llama.Native;

namespace HighPerf.Llama.Training;

/// <summary>AdamW settings and batch shape of a <see cref="WeightedTrainer"/>.</summary>
public sealed record WeightedTrainerOptions
{
    public float LearningRate { get; init; } = 1e-5f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Epsilon { get; init; } = 1e-8f;
    /// <summary>Decoupled weight decay in [0, 1].</summary>
    public float WeightDecay { get; init; }
    /// <summary>Global gradient L2-norm clip (0 = off).</summary>
    public float GradClip { get; init; } = 1f;
    /// <summary>Loss normaliser N in L = −(1/N) Σ w·log p; 0 = number of tokens with w ≠ 0.</summary>
    public float Normalizer { get; init; }
    /// <summary>Longest sequence a step accepts (n_ubatch: each sequence is processed whole in one ubatch).</summary>
    public int MaxSequenceLength { get; init; } = 256;
    /// <summary>Sequences packed per ubatch (n_seq_max; packing needs a unified KV cache).</summary>
    public int SequencesPerMicroBatch { get; init; } = 8;
    public int Threads { get; init; } = LlamaNativeLibrary.DefaultThreads;

    internal void Validate()
    {
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be > 0 and finite");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Epsilon >= 0) || !float.IsFinite(Epsilon)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "must be ≥ 0");
        if (!(WeightDecay >= 0 && WeightDecay <= 1)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be in [0, 1]");
        if (!(GradClip >= 0) || !float.IsFinite(GradClip)) throw new ArgumentOutOfRangeException(nameof(GradClip), GradClip, "must be ≥ 0");
        if (!(Normalizer >= 0) || !float.IsFinite(Normalizer)) throw new ArgumentOutOfRangeException(nameof(Normalizer), Normalizer, "must be ≥ 0");
        if (MaxSequenceLength is < 2 or > 65536) throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "must be in [2, 65536]");
        if (SequencesPerMicroBatch is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(SequencesPerMicroBatch), SequencesPerMicroBatch, "must be in [1, 256]");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be ≥ 1");
    }
}

/// <summary>One training sequence: <c>Targets[t]</c> is the token that should follow <c>Tokens[t]</c>, weighted by
/// <c>Weights[t]</c> (any sign; 0 masks the position).</summary>
public sealed record WeightedSequence(int[] Tokens, int[] Targets, float[] Weights)
{
    /// <summary>From an episode's tokens: inputs are tokens[0..n-1], targets tokens[1..n]; <paramref name="weights"/>
    /// has one weight per target (n−1 values).</summary>
    public static WeightedSequence FromEpisode(ReadOnlySpan<int> tokens, ReadOnlySpan<float> weights)
    {
        if (tokens.Length < 2) throw new ArgumentException("An episode needs at least 2 tokens.", nameof(tokens));
        if (weights.Length != tokens.Length - 1) throw new ArgumentException($"{tokens.Length - 1} weights expected (one per target), got {weights.Length}.", nameof(weights));
        return new WeightedSequence(tokens[..^1].ToArray(), tokens[1..].ToArray(), weights.ToArray());
    }
}

/// <summary>Outcome of a weighted step or evaluation.</summary>
public readonly record struct WeightedStepResult(float Loss, float GradNorm, float Normalizer, int Tokens, int MicroBatches, int Steps);

/// <summary>The patched native step failed.</summary>
public sealed class WeightedTrainingException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>
/// The policy-update primitive (DESIGN D3): one AdamW step on L = −(1/N) Σ_t w_t·log π(target_t | prefix), with
/// signed per-token weights, through the patched llama.cpp function <c>llama_opt_step_weighted</c>. Also returns the
/// pre-update per-token log-probabilities (PPO ratios). The model must be loaded with
/// <see cref="LlamaModelOptions.Trainable"/> (writable F32 weights). <see cref="IsAvailable"/> is false when the
/// native library lacks the patch.
/// </summary>
public sealed unsafe class WeightedTrainer : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Params { public float Lr, Beta1, Beta2, Eps, WeightDecay, GradClip, Normalizer; }

    [StructLayout(LayoutKind.Sequential)]
    private struct Result { public float Loss, GradNorm, Normalizer; public int NTokens, NUbatch, NSteps; }

    private readonly LlamaContext _context;
    private readonly GgmlOptOptimizerParamsNative* _optPars;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int*, int*, float*, int*, int, Params, Result*, float*, int> _step;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, int*, int*, float*, int*, int, float, Result*, float*, int> _eval;
    private readonly delegate* unmanaged[Cdecl]<IntPtr, void> _reset;

    /// <summary>True when the loaded libllama exports the weighted training step.</summary>
    public static bool IsAvailable => LlamaNativeLibrary.HasExport("llama_opt_step_weighted")
                                      && LlamaNativeLibrary.HasExport("llama_opt_eval_weighted");

    public WeightedTrainer(LlamaModel model, WeightedTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new WeightedTrainerOptions();
        options.Validate();
        if (!IsAvailable)
            throw new NotSupportedException("This libllama has no llama_opt_step_weighted: build llama.cpp with the HighPerf patch (native/llama/patches).");
        if (model.Options.UseMemoryMap)
            throw new ArgumentException("The model was loaded memory-mapped (read-only weights); load it with LlamaModelOptions.Trainable.", nameof(model));
        var nonF32 = model.File.Tensors.FirstOrDefault(t => t.Type != 0);
        if (nonF32 is not null) throw new ArgumentException($"Training needs F32 weights; tensor '{nonF32.Name}' has ggml type {nonF32.Type}.", nameof(model));
        Model = model;
        Options = options;
        _step = (delegate* unmanaged[Cdecl]<IntPtr, int*, int*, float*, int*, int, Params, Result*, float*, int>)LlamaNativeLibrary.GetLlamaExport("llama_opt_step_weighted");
        _eval = (delegate* unmanaged[Cdecl]<IntPtr, int*, int*, float*, int*, int, float, Result*, float*, int>)LlamaNativeLibrary.GetLlamaExport("llama_opt_eval_weighted");
        _reset = (delegate* unmanaged[Cdecl]<IntPtr, void>)LlamaNativeLibrary.GetLlamaExport("llama_opt_weighted_reset");

        int len = options.MaxSequenceLength;
        int seqs = options.SequencesPerMicroBatch;
        _context = model.CreateContext(new LlamaContextOptions
        {
            ContextSize = len * seqs,
            BatchSize = len,
            MicroBatchSize = len,
            SequenceCount = seqs,
            UnifiedKv = true,
            KeyType = GgmlType.F32,
            ValueType = GgmlType.F32,
            Threads = options.Threads,
            BatchThreads = options.Threads,
            FlashAttention = false,
        });
        // llama_opt_init: every trainable tensor (param filter "all"); its own optimizer settings are unused by the
        // weighted step but must be valid, so point it at a constant parameter block that lives as long as we do.
        _optPars = (GgmlOptOptimizerParamsNative*)NativeMemory.AllocZeroed((nuint)sizeof(GgmlOptOptimizerParamsNative));
        *_optPars = NativeMethods.ggml_opt_get_default_optimizer_params(IntPtr.Zero);
        var lop = new LlamaOptParamsNative
        {
            NCtxTrain = 0,
            ParamFilter = LlamaNativeLibrary.GetLlamaExport("llama_opt_param_filter_all"),
            GetOptPars = LlamaNativeLibrary.GetGgmlBaseExport("ggml_opt_get_constant_optimizer_params"),
            GetOptParsUserData = (IntPtr)_optPars,
            OptimizerType = 0,
        };
        if (lop.ParamFilter == IntPtr.Zero || lop.GetOptPars == IntPtr.Zero) throw new NotSupportedException("llama_opt_param_filter_all / ggml_opt_get_constant_optimizer_params not exported.");
        NativeMethods.llama_opt_init(_context.Ptr, model.Ptr, lop);
    }

    public LlamaModel Model { get; }
    public WeightedTrainerOptions Options { get; }

    /// <summary>One AdamW step over all sequences (gradients of every micro-batch are accumulated first).
    /// <paramref name="logProbs"/> (optional, length = total tokens) receives log p(target) before the update.</summary>
    public WeightedStepResult Step(IReadOnlyList<WeightedSequence> sequences, Span<float> logProbs = default, WeightedTrainerOptions? overrides = null)
    {
        var o = overrides ?? Options;
        if (overrides is not null) overrides.Validate();
        var p = new Params { Lr = o.LearningRate, Beta1 = o.Beta1, Beta2 = o.Beta2, Eps = o.Epsilon, WeightDecay = o.WeightDecay, GradClip = o.GradClip, Normalizer = o.Normalizer };
        return Run(sequences, logProbs, requireWeights: true, (ctx, tok, tgt, w, lens, n, res, lp) => _step(ctx, tok, tgt, w, lens, n, p, res, lp));
    }

    /// <summary>Loss and per-token log p(target) under the current weights, without updating them.</summary>
    public WeightedStepResult Evaluate(IReadOnlyList<WeightedSequence> sequences, Span<float> logProbs = default)
    {
        float norm = Options.Normalizer;
        return Run(sequences, logProbs, requireWeights: false, (ctx, tok, tgt, w, lens, n, res, lp) => _eval(ctx, tok, tgt, w, lens, n, norm, res, lp));
    }

    /// <summary>Zeroes the AdamW moments and the step counter.</summary>
    public void ResetOptimizer()
    {
        if (_reset == null) throw new NotSupportedException("llama_opt_weighted_reset is not exported.");
        _reset(_context.Ptr);
    }

    private delegate int NativeCall(IntPtr ctx, int* tok, int* tgt, float* w, int* lens, int n, Result* res, float* lp);

    private WeightedStepResult Run(IReadOnlyList<WeightedSequence> sequences, Span<float> logProbs, bool requireWeights, NativeCall call)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("No sequences.", nameof(sequences));
        int total = 0;
        int vocab = Model.VocabSize;
        int maxLen = Math.Min(_context.MicroBatchSize, _context.SequenceContextSize);
        for (int s = 0; s < sequences.Count; s++)
        {
            var q = sequences[s] ?? throw new ArgumentException($"sequences[{s}] is null.", nameof(sequences));
            if (q.Tokens is null || q.Targets is null || q.Weights is null) throw new ArgumentException($"sequences[{s}] has a null array.", nameof(sequences));
            int n = q.Tokens.Length;
            if (n == 0) throw new ArgumentException($"sequences[{s}] is empty.", nameof(sequences));
            if (q.Targets.Length != n || q.Weights.Length != n)
                throw new ArgumentException($"sequences[{s}]: {n} tokens, {q.Targets.Length} targets, {q.Weights.Length} weights (must be equal).", nameof(sequences));
            if (n > maxLen) throw new ArgumentException($"sequences[{s}] has {n} tokens; the trainer accepts at most {maxLen} (MaxSequenceLength).", nameof(sequences));
            for (int t = 0; t < n; t++)
            {
                if ((uint)q.Tokens[t] >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(sequences), $"sequences[{s}].Tokens[{t}] = {q.Tokens[t]} is outside [0, {vocab}).");
                if ((uint)q.Targets[t] >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(sequences), $"sequences[{s}].Targets[{t}] = {q.Targets[t]} is outside [0, {vocab}).");
                if (!float.IsFinite(q.Weights[t])) throw new ArgumentOutOfRangeException(nameof(sequences), $"sequences[{s}].Weights[{t}] = {q.Weights[t]} is not finite.");
            }
            total = checked(total + n);
        }
        if (!logProbs.IsEmpty && logProbs.Length != total) throw new ArgumentException($"logProbs must be empty or hold {total} values, got {logProbs.Length}.", nameof(logProbs));
        var tok = new int[total];
        var tgt = new int[total];
        var w = new float[total];
        var lens = new int[sequences.Count];
        int at = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            var q = sequences[s];
            q.Tokens.CopyTo(tok, at);
            q.Targets.CopyTo(tgt, at);
            q.Weights.CopyTo(w, at);
            lens[s] = q.Tokens.Length;
            at += q.Tokens.Length;
        }
        Result r;
        int rc;
        fixed (int* pt = tok) fixed (int* pg = tgt) fixed (float* pw = w) fixed (int* pl = lens) fixed (float* plp = logProbs)
            rc = call(_context.Ptr, pt, pg, pw, pl, sequences.Count, &r, logProbs.IsEmpty ? null : plp);
        if (rc != 0)
            throw new WeightedTrainingException(rc, rc switch
            {
                -1 => "llama_opt_step_weighted: invalid argument (see the llama.cpp log).",
                -2 => "llama_opt_step_weighted: token or target outside the vocabulary.",
                -3 => "llama_opt_step_weighted: non-finite weight or normaliser.",
                -4 => "llama_opt_step_weighted: a sequence does not fit one ubatch / the per-sequence context.",
                -5 => "llama_opt_step_weighted: llama_opt_init was not called.",
                -6 => "llama_opt_step_weighted: graph computation failed.",
                -7 => "llama_opt_step_weighted: non-finite loss or gradient; the update was skipped.",
                _ => $"llama_opt_step_weighted failed ({rc}).",
            });
        return new WeightedStepResult(r.Loss, r.GradNorm, r.Normalizer, r.NTokens, r.NUbatch, r.NSteps);
    }

    public void Dispose()
    {
        _context.Dispose();
        if (_optPars != null) NativeMemory.Free(_optPars);
    }
}
