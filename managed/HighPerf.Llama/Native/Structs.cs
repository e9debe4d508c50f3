using System.Runtime.InteropServices;

namespace HighPerf.Llama.Native;

// Mirrors of the C structs of llama.cpp v0.5.0 (see specs/llama-interop.md §9). C bool fields are bytes so every
// struct stays blittable and can be passed by value through [LibraryImport]. Sizes are checked by tests.

/// <summary><c>struct llama_model_params</c>, 80 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParamsNative
{
    public IntPtr Devices;
    public IntPtr TensorBuftOverrides;
    public int NGpuLayers;
    public int SplitMode;
    public int LoadMode;
    public int LazyMode;
    public int MainGpu;
    public IntPtr TensorSplit;
    public IntPtr ProgressCallback;
    public IntPtr ProgressCallbackUserData;
    public IntPtr KvOverrides;
    public byte VocabOnly;
    public byte CheckTensors;
    public byte UseExtraBufts;
    public byte NoHost;
    public byte NoAlloc;
    public byte LoadMtp;
}

/// <summary><c>struct llama_context_params</c>, 160 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParamsNative
{
    public uint NCtx;
    public uint NBatch;
    public uint NUbatch;
    public uint NSeqMax;
    public uint NRsSeq;
    public uint NOutputsMax;
    public uint NOutputsMaxPerSeq;
    public int NThreads;
    public int NThreadsBatch;
    public int CtxType;
    public int RopeScalingType;
    public int PoolingType;
    public int AttentionType;
    public int FlashAttnType;
    public float RopeFreqBase;
    public float RopeFreqScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOrigCtx;
    public float DefragThold;
    public IntPtr CbEval;
    public IntPtr CbEvalUserData;
    public int TypeK;
    public int TypeV;
    public IntPtr AbortCallback;
    public IntPtr AbortCallbackData;
    public byte Embeddings;
    public byte OffloadKqv;
    public byte NoPerf;
    public byte OpOffload;
    public byte SwaFull;
    public byte KvUnified;
    public IntPtr Samplers;
    public nuint NSamplers;
    public IntPtr CtxOther;
}

/// <summary><c>struct llama_batch</c>, 56 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaBatchNative
{
    public int NTokens;
    public int* Token;
    public float* Embd;
    public int* Pos;
    public int* NSeqId;
    public int** SeqId;
    public sbyte* Logits;
}

/// <summary><c>struct llama_sampler_chain_params</c>, 1 byte.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParamsNative
{
    public byte NoPerf;
}

/// <summary><c>struct llama_chat_message</c>, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaChatMessageNative
{
    public byte* Role;
    public byte* Content;
}

/// <summary><c>struct ggml_opt_optimizer_params</c>, 28 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgmlOptOptimizerParamsNative
{
    public float AdamwAlpha;
    public float AdamwBeta1;
    public float AdamwBeta2;
    public float AdamwEps;
    public float AdamwWd;
    public float SgdAlpha;
    public float SgdWd;
}

/// <summary><c>struct llama_opt_params</c>, 48 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaOptParamsNative
{
    public uint NCtxTrain;
    public IntPtr ParamFilter;
    public IntPtr ParamFilterUserData;
    public IntPtr GetOptPars;
    public IntPtr GetOptParsUserData;
    public int OptimizerType;
}

/// <summary>ggml tensor element types used here.</summary>
public enum GgmlType
{
    F32 = 0,
    F16 = 1,
    I32 = 26,
    BF16 = 30,
}
