using System.Runtime.InteropServices;

namespace HighPerf.Rl.Critics;

/// <summary>Blittable mirrors of native/critic/include/highperf_critic.h.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CriticConfigNative
{
    public int NEmbd;
    public int NHidden;
    public int NVocab;
    public int NQ;
    public int WithV;
    public int WithTarget;
    public int NThreads;
    public int Reserved;
    public ulong Seed;
}

[StructLayout(LayoutKind.Sequential)]
internal struct AdamWNative
{
    public float Lr, Beta1, Beta2, Eps, Wd;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TrainBatchNative
{
    public float* X;
    public long N;
    public int* Tokens;
    public float* QTarget;
    public float* QWeight;
    public float* VTarget;
    public float* VWeight;
    public float CqlWeight;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LossPartsNative
{
    public float Total;
    public float Q0, Q1;
    public float V;
    public float Ce0, Ce1;
}

/// <summary>P/Invoke surface of libhighperf_critic.so. The library links the same ggml as llama.cpp, so it is
/// resolved from the same folder (HIGHPERF_NATIVE_DIR, then runtimes/linux-x64/native, then the app folder).</summary>
internal static unsafe partial class CriticNative
{
    internal const string Library = "highperf_critic";

    /// <summary>Registers the assembly's native resolver (one per assembly, in <see cref="Algorithms.KernelOps"/>) and
    /// loads llama.cpp's ggml first, so the critic shares the one copy of ggml in the process.</summary>
    internal static void EnsureResolver()
    {
        HighPerf.Llama.Native.LlamaNativeLibrary.EnsureInitialized();
        Algorithms.KernelOps.EnsureResolver();
    }

    internal static IEnumerable<string> CandidateDirectories()
    {
        var env = Environment.GetEnvironmentVariable("HIGHPERF_NATIVE_DIR");
        if (!string.IsNullOrWhiteSpace(env)) yield return Path.GetFullPath(env);
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        yield return AppContext.BaseDirectory;
    }

    [LibraryImport(Library, EntryPoint = "hpc_last_error")]
    internal static partial IntPtr LastError();

    [LibraryImport(Library, EntryPoint = "hpc_critic_create")]
    internal static partial int Create(in CriticConfigNative config, out IntPtr critic);

    [LibraryImport(Library, EntryPoint = "hpc_critic_free")]
    internal static partial void Free(IntPtr critic);

    [LibraryImport(Library, EntryPoint = "hpc_critic_get_config")]
    internal static partial int GetConfig(IntPtr critic, out CriticConfigNative config);

    [LibraryImport(Library, EntryPoint = "hpc_critic_step_count")]
    internal static partial long StepCount(IntPtr critic);

    [LibraryImport(Library, EntryPoint = "hpc_critic_set_threads")]
    internal static partial int SetThreads(IntPtr critic, int threads);

    [LibraryImport(Library, EntryPoint = "hpc_critic_evaluate")]
    internal static partial int Evaluate(IntPtr critic, float* x, long n, int* tokens, float* q, float* tq, float* v);

    [LibraryImport(Library, EntryPoint = "hpc_critic_q_logits")]
    internal static partial int QLogits(IntPtr critic, float* x, long n, int head, float* logits, float* v);

    [LibraryImport(Library, EntryPoint = "hpc_critic_train_step")]
    internal static partial int TrainStep(IntPtr critic, in TrainBatchNative batch, in AdamWNative adamw, out LossPartsNative parts);

    [LibraryImport(Library, EntryPoint = "hpc_critic_n_params")]
    internal static partial int ParamCount(IntPtr critic);

    [LibraryImport(Library, EntryPoint = "hpc_critic_tensor")]
    internal static partial int Tensor(IntPtr critic, int index, int kind, out IntPtr name, out float* data, out long n);

    [LibraryImport(Library, EntryPoint = "hpc_critic_save", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Save(IntPtr critic, string path);

    [LibraryImport(Library, EntryPoint = "hpc_critic_load", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Load(string path, int threads, out IntPtr critic);

    internal static void Check(int status, string what)
    {
        if (status == 0) return;
        var message = Marshal.PtrToStringUTF8(LastError()) ?? "";
        throw status switch
        {
            1 => new ArgumentException($"{what}: {message}"),
            2 => new OutOfMemoryException($"{what}: {message}"),
            3 => new IOException($"{what}: {message}"),
            _ => new InvalidOperationException($"{what} failed ({status}): {message}"),
        };
    }
}
