using System.Runtime.InteropServices;
using HighPerf.Kernels.Interop;

namespace HighPerf.Kernels;

/// <summary>Where a kernel runs.</summary>
public enum KernelBackend
{
    /// <summary>The managed C# reference (scalar, readable; always available; the fallback).</summary>
    Managed,

    /// <summary>libhighperf on the CPU (single thread, AVX-512/AVX2 chosen at run time).</summary>
    NativeCpu,

    /// <summary>libhighperf's CUDA kernels (host spans are copied to and from the device).</summary>
    Cuda,
}

/// <summary>A requested backend is not available (library missing, built without CUDA, no GPU, or the kernel has no
/// implementation on that backend).</summary>
public sealed class KernelBackendUnavailableException(string message) : NotSupportedException(message);

/// <summary>A native kernel failed at run time (e.g. a CUDA error); the message carries hp_last_error().</summary>
public sealed class KernelNativeException(string message) : InvalidOperationException(message);

/// <summary>
/// Backend discovery and the process-wide default. The default (<see cref="DefaultBackend"/> == null) is the native
/// CPU backend, then Managed: every span-based kernel takes host arrays, and on a CUDA machine a default of Cuda would
/// copy each argument to the device and back per call (a Polyak step of a critic moved every Q tensor twice). Cuda runs
/// when asked for, per call or through <see cref="DefaultBackend"/>. A global default is a preference: kernels without an
/// implementation on it fall back to the next best. A backend passed to a call is a requirement: if it is not
/// available for that kernel the call throws <see cref="KernelBackendUnavailableException"/>.
/// </summary>
public static class KernelRuntime
{
    private static readonly Lazy<bool> NativeLoaded = new(() =>
    {
        try
        {
            return NativeMethods.hp_version() != IntPtr.Zero;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    });

    private static readonly Lazy<bool> CudaPresent = new(() => NativeLoaded.Value && NativeMethods.hp_cuda_available() != 0);

    /// <summary>Process-wide preferred backend; null means NativeCpu (host arrays stay on the host), else Managed.</summary>
    public static KernelBackend? DefaultBackend { get; set; }

    /// <summary>Whether libhighperf could be loaded.</summary>
    public static bool IsNativeAvailable => NativeLoaded.Value;

    /// <summary>Whether libhighperf has CUDA kernels and a device is usable.</summary>
    public static bool IsCudaAvailable => CudaPresent.Value;

    /// <summary>Whether <paramref name="backend"/> can run on this machine.</summary>
    public static bool IsAvailable(KernelBackend backend) => backend switch
    {
        KernelBackend.Managed => true,
        KernelBackend.NativeCpu => IsNativeAvailable,
        KernelBackend.Cuda => IsCudaAvailable,
        _ => false,
    };

    /// <summary>The best backend on this machine.</summary>
    public static KernelBackend BestAvailable =>
        IsCudaAvailable ? KernelBackend.Cuda : IsNativeAvailable ? KernelBackend.NativeCpu : KernelBackend.Managed;

    /// <summary>libhighperf's version, or null when it is not loaded.</summary>
    public static string? NativeVersion => IsNativeAvailable ? Marshal.PtrToStringUTF8(NativeMethods.hp_version()) : null;

    /// <summary>The SIMD path the native CPU kernels use ("avx512", "avx2", "scalar"), or null.</summary>
    public static string? NativeCpuIsa => IsNativeAvailable ? Marshal.PtrToStringUTF8(NativeMethods.hp_cpu_isa()) : null;

    /// <summary>Picks the backend for one call of a kernel that has a CUDA implementation when <paramref name="hasCuda"/>.</summary>
    internal static KernelBackend Resolve(KernelBackend? requested, bool hasCuda, string kernel)
    {
        if (requested is { } r)
        {
            if (r == KernelBackend.Cuda && !hasCuda)
                throw new KernelBackendUnavailableException($"{kernel} has no CUDA implementation; use NativeCpu or Managed.");
            if (!IsAvailable(r))
                throw new KernelBackendUnavailableException(r == KernelBackend.Cuda
                    ? $"{kernel}: the CUDA backend is unavailable (libhighperf built without CUDA or no usable GPU)."
                    : $"{kernel}: the {r} backend is unavailable (libhighperf could not be loaded; set HIGHPERF_NATIVE_DIR).");
            return r;
        }
        var preferred = DefaultBackend ?? (IsNativeAvailable ? KernelBackend.NativeCpu : KernelBackend.Managed);
        if (preferred == KernelBackend.Cuda && (!hasCuda || !IsCudaAvailable)) preferred = KernelBackend.NativeCpu;
        if (preferred == KernelBackend.NativeCpu && !IsNativeAvailable) preferred = KernelBackend.Managed;
        return preferred;
    }
}
