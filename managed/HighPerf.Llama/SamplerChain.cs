using HighPerf.Llama.Native;

namespace HighPerf.Llama;

/// <summary>
/// Sampling settings. Temperature ≤ 0 means greedy (argmax). Otherwise the chain is
/// top-k → top-p → min-p → temperature → dist(seed): the same seed on the same logits gives the same tokens.
/// </summary>
public sealed record SamplerOptions
{
    public float Temperature { get; init; } = 0f;
    /// <summary>Keep the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Nucleus sampling threshold (1 = off).</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Minimum probability relative to the best token (0 = off).</summary>
    public float MinP { get; init; }
    /// <summary>Repetition penalty over the last <see cref="RepeatLastN"/> tokens (1 = off).</summary>
    public float RepeatPenalty { get; init; } = 1f;
    public int RepeatLastN { get; init; } = 64;
    /// <summary>Random seed for dist sampling.</summary>
    public uint Seed { get; init; } = 42;

    public static SamplerOptions Greedy => new();

    internal void Validate()
    {
        if (!float.IsFinite(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be finite");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "must be in (0, 1]");
        if (!(MinP >= 0 && MinP < 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "must be in [0, 1)");
        if (!(RepeatPenalty > 0) || !float.IsFinite(RepeatPenalty)) throw new ArgumentOutOfRangeException(nameof(RepeatPenalty), RepeatPenalty, "must be > 0");
        if (RepeatLastN < 0) throw new ArgumentOutOfRangeException(nameof(RepeatLastN), RepeatLastN, "must be ≥ 0");
        if (Seed == uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(Seed), Seed, "0xFFFFFFFF means 'random seed' in llama.cpp; pick a fixed seed for reproducibility");
    }
}

/// <summary>A llama.cpp sampler chain. Holds per-conversation state (RNG, penalties): use one per conversation.</summary>
public sealed class SamplerChain : IDisposable
{
    private readonly SafeLlamaSamplerHandle _handle;

    public SamplerChain(LlamaModel model, SamplerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= SamplerOptions.Greedy;
        options.Validate();
        LlamaNativeLibrary.EnsureInitialized();
        Options = options;
        VocabSize = model.VocabSize;
        var p = NativeMethods.llama_sampler_chain_default_params();
        p.NoPerf = 1;
        var chain = NativeMethods.llama_sampler_chain_init(p);
        if (chain == IntPtr.Zero) throw new InvalidOperationException("llama_sampler_chain_init failed.");
        _handle = SafeLlamaSamplerHandle.From(chain);
        if (options.RepeatPenalty != 1f && options.RepeatLastN > 0)
            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_penalties(model.VocabSize, options.RepeatLastN, options.RepeatPenalty, 0f, 0f));
        if (options.Temperature <= 0f)
        {
            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_greedy());
            return;
        }
        if (options.TopK > 0) NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_top_k(options.TopK));
        if (options.TopP < 1f) NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_top_p(options.TopP, 1));
        if (options.MinP > 0f) NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_min_p(options.MinP, 1));
        NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_temp(options.Temperature));
        NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_dist(options.Seed));
    }

    public SamplerOptions Options { get; }
    private int VocabSize { get; }

    private IntPtr Ptr { get { ObjectDisposedException.ThrowIf(_handle.IsClosed, this); return _handle.DangerousGetHandle(); } }

    /// <summary>Samples from the logits of an output token of the context's last decode and accepts the token into
    /// the chain's state.</summary>
    public int Sample(LlamaContext context, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        _ = context.GetLogits(batchIndex); // validates that the index was an output
        int tok = NativeMethods.llama_sampler_sample(Ptr, context.Ptr, batchIndex);
        if ((uint)tok >= (uint)VocabSize) throw new InvalidOperationException($"Sampler returned invalid token {tok}.");
        return tok;
    }

    /// <summary>Feeds a token the chain did not pick (e.g. forced text) into its state (penalties).</summary>
    public void Accept(int token)
    {
        if ((uint)token >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(token));
        NativeMethods.llama_sampler_accept(Ptr, token);
    }

    /// <summary>Resets the chain's state (penalty history; the RNG keeps its current state).</summary>
    public void Reset() => NativeMethods.llama_sampler_reset(Ptr);

    public void Dispose() => _handle.Dispose();
}
