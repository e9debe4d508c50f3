using System.Reflection;
using System.Runtime.InteropServices;

namespace HighPerf.Kernels.Interop;

/// <summary>hp_status of highperf.h.</summary>
internal enum HpStatus
{
    Ok = 0,
    InvalidArgument = 1,
    OutOfMemory = 2,
    Unsupported = 3,
    Cuda = 4,
    Internal = 5,
}

[StructLayout(LayoutKind.Sequential)]
internal struct HpGaeParams
{
    public float Gamma;
    public float Lambda;
    public float KlCoef;
    public int KlEstimator;
    public int Whiten;
    public float WhitenEps;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct HpKvConversation
{
    public int SeqId;
    public int NPast;
    public int* Pending;
    public int NPending;
    public int ForkParent;
    public int RollbackTo;
    public int Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct HpKvBatch
{
    public int* Token;
    public int* Pos;
    public int* SeqId;
    public sbyte* Logits;
    public int* OutConv;
    public int* OutIndex;
    public int* NScheduled;
    public int* NewNPast;
    public KvMemoryOp* Ops;
    public int NTokens;
    public int NOutputs;
    public int NOps;
}

/// <summary>
/// P/Invoke bindings of libhighperf. The resolver looks for the library in (1) $HIGHPERF_NATIVE_DIR,
/// (2) AppContext.BaseDirectory/runtimes/linux-x64/native, (3) AppContext.BaseDirectory, then (4) default probing
/// (which also covers a NuGet package's runtimes/{rid}/native folder through deps.json).
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "highperf";

    // Runs before the first P/Invoke of this class (explicit static constructor: no beforefieldinit).
    static NativeMethods() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Library) return IntPtr.Zero;
        var fileName = OperatingSystem.IsWindows() ? "highperf.dll" : OperatingSystem.IsMacOS() ? "libhighperf.dylib" : "libhighperf.so";
        var rid = OperatingSystem.IsWindows() ? "win-x64" : OperatingSystem.IsMacOS() ? "osx-arm64" : "linux-x64";
        var candidates = new List<string>(3);
        var env = Environment.GetEnvironmentVariable("HIGHPERF_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) candidates.Add(Path.Combine(env, fileName));
        candidates.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", fileName));
        candidates.Add(Path.Combine(AppContext.BaseDirectory, fileName));
        foreach (var path in candidates)
        {
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
        }
        return NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var fallback) ? fallback : IntPtr.Zero;
    }

    [LibraryImport(Library)] internal static partial IntPtr hp_version();
    [LibraryImport(Library)] internal static partial IntPtr hp_last_error();
    [LibraryImport(Library)] internal static partial int hp_cuda_available();
    [LibraryImport(Library)] internal static partial IntPtr hp_cpu_isa();

    [LibraryImport(Library)]
    internal static partial HpStatus hp_gae(int* offsets, int nSeq, long nTokens, float* rewards, float* values, byte* mask,
        byte* dones, float* boot, float* logp, float* refLogp, HpGaeParams p, float* adv, float* ret);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_cuda_gae(int* offsets, int nSeq, long nTokens, float* rewards, float* values, byte* mask,
        byte* dones, float* boot, float* logp, float* refLogp, HpGaeParams p, float* adv, float* ret);
    [LibraryImport(Library)] internal static partial HpStatus hp_kl_penalty(float* logp, float* refLogp, long n, int estimator, float* output);
    [LibraryImport(Library)] internal static partial HpStatus hp_masked_whiten(float* x, byte* mask, long n, float eps);
    [LibraryImport(Library)] internal static partial HpStatus hp_utterance_advantage(float* q1, float* q2, float* v1, float* v2, long n, float* output);
    [LibraryImport(Library)] internal static partial HpStatus hp_broadcast_utterance(float* uttValues, long nUtt, int* uttIndex, long nTokens, float* output);
    [LibraryImport(Library)] internal static partial HpStatus hp_cuda_broadcast_utterance(float* uttValues, long nUtt, int* uttIndex, long nTokens, float* output);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_ppo_clip_weights(float* adv, float* newLogp, float* oldLogp, byte* mask, long n, float eps, float* w, float* ratio);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_cuda_ppo_clip_weights(float* adv, float* newLogp, float* oldLogp, byte* mask, long n, float eps, float* w, float* ratio);

    [LibraryImport(Library)]
    internal static partial HpStatus hp_td_targets(float* r, byte* dones, int* next, long n, float* v1, float* v2, long nValues, float gamma, float* y);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_cuda_td_targets(float* r, byte* dones, int* next, long n, float* v1, float* v2, long nValues, float gamma, float* y);
    [LibraryImport(Library)] internal static partial HpStatus hp_next_action_index(int* offsets, int nSeq, long nTokens, byte* mask, int* next);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_td_targets_ragged(int* offsets, int nSeq, long nTokens, float* r, byte* mask, float* v1, float* v2,
        byte* dones, float* boot, float gamma, float* y);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_expectile(float* v, float* target, byte* mask, long n, float tau, float* weights, float* grad, float* loss);
    [LibraryImport(Library)] internal static partial HpStatus hp_mc_returns(int* offsets, int nSeq, long nTokens, float* r, byte* mask, float gamma, float* ret);
    [LibraryImport(Library)] internal static partial HpStatus hp_cuda_mc_returns(int* offsets, int nSeq, long nTokens, float* r, byte* mask, float gamma, float* ret);
    [LibraryImport(Library)] internal static partial HpStatus hp_polyak(float* target, float* online, long n, float alpha);
    [LibraryImport(Library)] internal static partial HpStatus hp_cuda_polyak(float* target, float* online, long n, float alpha);

    [LibraryImport(Library)]
    internal static partial HpStatus hp_vocab_stats(float* logits, long rows, long vocab, long stride, int* labels, float temperature,
        float* logprob, float* entropy, float* lse);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_cuda_vocab_stats(float* logits, long rows, long vocab, long stride, int* labels, float temperature,
        float* logprob, float* entropy, float* lse);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_value_guided_logits(float* logits, float* q, float* v, long rows, long vocab, float beta, float temperature, float* output);
    [LibraryImport(Library)]
    internal static partial HpStatus hp_cuda_value_guided_logits(float* logits, float* q, float* v, long rows, long vocab, float beta, float temperature, float* output);

    [LibraryImport(Library)]
    internal static partial HpStatus hp_kv_plan(HpKvConversation* conversations, int nConv, int nBatch, int nSeqMax, int* cursor, HpKvBatch* batch);

    internal static string LastError() => Marshal.PtrToStringUTF8(hp_last_error()) ?? string.Empty;

    /// <summary>Turns a native status into the matching .NET exception (managed validation runs first, so an
    /// InvalidArgument here means the two layers disagree, which is itself worth a loud error).</summary>
    internal static void Check(HpStatus status, string function)
    {
        if (status == HpStatus.Ok) return;
        var message = $"{function}: {LastError()}";
        throw status switch
        {
            HpStatus.InvalidArgument => new ArgumentException(message),
            HpStatus.OutOfMemory => new OutOfMemoryException(message),
            HpStatus.Unsupported => new KernelBackendUnavailableException(message),
            HpStatus.Cuda => new KernelNativeException(message),
            _ => new KernelNativeException(message),
        };
    }
}
