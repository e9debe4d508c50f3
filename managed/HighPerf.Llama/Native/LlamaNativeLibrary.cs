using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HighPerf.Llama.Native;

/// <summary>
/// Loads exactly one copy of llama.cpp and ggml per process and routes their logging to an <see cref="ILogger"/>.
/// Search order for the directory holding the libraries: env <c>HIGHPERF_NATIVE_DIR</c>,
/// <c>AppContext.BaseDirectory/runtimes/linux-x64/native</c>, <c>AppContext.BaseDirectory</c>.
/// Both the unversioned names of our own build (<c>libllama.so</c>) and the npm names (<c>libllama.v0.5.0.so</c>) are
/// accepted. Initialisation is idempotent and thread-safe; every public entry point of this assembly calls it.
/// </summary>
public static unsafe class LlamaNativeLibrary
{
    private static readonly object Gate = new();
    private static volatile bool s_initialized;
    private static bool s_resolverSet;
    private static IntPtr s_llama, s_ggml, s_ggmlBase, s_libc;
    private static ILogger s_logger = NullLogger.Instance;
    private static readonly StringBuilder s_pending = new();
    private static int s_pendingLevel;

    /// <summary>The directory the libraries were loaded from (after initialisation).</summary>
    public static string? Directory { get; private set; }

    /// <summary>Whether the backends had to be loaded as modules (GGML_BACKEND_DL build).</summary>
    public static bool LoadedBackendModules { get; private set; }

    /// <summary>Number of ggml backend devices after initialisation (CPU counts as one).</summary>
    public static int DeviceCount { get; private set; }

    /// <summary>The logger that receives llama.cpp and ggml messages. Can be changed at any time.</summary>
    public static ILogger Logger
    {
        get => s_logger;
        set => s_logger = value ?? NullLogger.Instance;
    }

    /// <summary>Default number of threads for decoding and batch processing: the core count.</summary>
    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Loads the native libraries (once). Throws <see cref="LlamaNativeLoadException"/> when they cannot be found.</summary>
    public static void EnsureInitialized(ILogger? logger = null)
    {
        if (logger is not null) Logger = logger;
        if (s_initialized) return;
        lock (Gate)
        {
            if (s_initialized) return;
            Initialize();
            s_initialized = true;
        }
    }

    /// <summary>Candidate directories in search order.</summary>
    public static IReadOnlyList<string> CandidateDirectories()
    {
        var dirs = new List<string>();
        var env = Environment.GetEnvironmentVariable("HIGHPERF_NATIVE_DIR");
        if (!string.IsNullOrWhiteSpace(env)) dirs.Add(Path.GetFullPath(env));
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        dirs.Add(AppContext.BaseDirectory);
        return dirs;
    }

    private static readonly string[] LlamaNames = ["libllama.so", "libllama.v0.5.0.so", "libllama.so.0"];
    private static readonly string[] GgmlNames = ["libggml.so", "libggml.v0.5.0.so", "libggml.so.0"];
    private static readonly string[] GgmlBaseNames = ["libggml-base.so", "libggml-base.so.0"];
    // Backends linked into libggml in a non-DL build; loaded by absolute path first so the NEEDED entries of libggml
    // resolve to them without relying on RUNPATH/LD_LIBRARY_PATH.
    private static readonly string[] LinkedBackendNames = ["libggml-cpu.so", "libggml-blas.so", "libggml-cuda.so"];

    private static void Initialize()
    {
        // ggml forks gdb for a backtrace on abort when gdb is installed; that hangs test hosts. .NET keeps its own copy
        // of the environment on Unix, so set it natively too.
        Environment.SetEnvironmentVariable("GGML_NO_BACKTRACE", "1");
        if (!s_resolverSet)
        {
            NativeLibrary.SetDllImportResolver(typeof(LlamaNativeLibrary).Assembly, Resolve);
            s_resolverSet = true;
        }
        try { LibC.setenv("GGML_NO_BACKTRACE", "1", 1); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { /* not glibc: nothing to do */ }

        string? dir = null;
        var tried = new List<string>();
        foreach (var d in CandidateDirectories())
        {
            tried.Add(d);
            if (FindFirst(d, LlamaNames) is not null) { dir = d; break; }
        }
        if (dir is null)
            throw new LlamaNativeLoadException(
                $"libllama was not found. Looked for {string.Join(", ", LlamaNames)} in: {string.Join("; ", tried)}. " +
                "Set HIGHPERF_NATIVE_DIR or build native/ (dotnet build does it).");

        try
        {
            var basePath = FindFirst(dir, GgmlBaseNames) ?? throw new LlamaNativeLoadException($"libggml-base.so missing in {dir}");
            s_ggmlBase = NativeLibrary.Load(basePath);
            foreach (var backend in LinkedBackendNames)
            {
                var p = Path.Combine(dir, backend);
                if (File.Exists(p)) NativeLibrary.TryLoad(p, out _);
            }
            var ggmlPath = FindFirst(dir, GgmlNames) ?? throw new LlamaNativeLoadException($"libggml.so missing in {dir}");
            s_ggml = NativeLibrary.Load(ggmlPath);
            s_llama = NativeLibrary.Load(FindFirst(dir, LlamaNames)!);
        }
        catch (DllNotFoundException e)
        {
            throw new LlamaNativeLoadException($"Loading llama.cpp from {dir} failed: {e.Message}", e);
        }
        Directory = dir;

        NativeMethods.llama_log_set((IntPtr)(delegate* unmanaged[Cdecl]<int, byte*, void*, void>)&OnLog, IntPtr.Zero);
        NativeMethods.ggml_set_abort_callback((IntPtr)(delegate* unmanaged[Cdecl]<byte*, void>)&OnAbort);

        // Non-DL builds register their backends statically; a DL build has none until they are loaded from the folder.
        if (NativeMethods.ggml_backend_reg_count() == 0)
        {
            NativeMethods.ggml_backend_load_all_from_path(dir);
            LoadedBackendModules = true;
        }
        NativeMethods.llama_backend_init();
        DeviceCount = (int)NativeMethods.ggml_backend_dev_count();
        if (DeviceCount == 0)
            throw new LlamaNativeLoadException($"llama.cpp loaded from {dir}, but no ggml backend device is available.");
        Logger.LogDebug("llama.cpp {Version} loaded from {Dir} ({Devices} devices, backend modules: {Dl})",
            Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_version()), dir, DeviceCount, LoadedBackendModules);
    }

    private static string? FindFirst(string dir, string[] names)
    {
        foreach (var n in names)
        {
            var p = Path.Combine(dir, n);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        switch (name)
        {
            case NativeMethods.Llama: return s_llama;
            case NativeMethods.Ggml: return s_ggml;
            case NativeMethods.GgmlBase: return s_ggmlBase;
            case "libc":
                if (s_libc == IntPtr.Zero) NativeLibrary.TryLoad("libc.so.6", out s_libc);
                return s_libc;
            default: return IntPtr.Zero;
        }
    }

    /// <summary>llama.cpp's version string (e.g. "0.5.0-dev").</summary>
    public static string Version
    {
        get { EnsureInitialized(); return Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_version()) ?? ""; }
    }

    /// <summary>llama.cpp's system information line (SIMD features, backends).</summary>
    public static string SystemInfo
    {
        get { EnsureInitialized(); return Marshal.PtrToStringUTF8((IntPtr)NativeMethods.llama_print_system_info()) ?? ""; }
    }

    /// <summary>Whether a native export exists (used to detect the weighted-training patch).</summary>
    public static bool HasExport(string symbol)
    {
        EnsureInitialized();
        return NativeLibrary.TryGetExport(s_llama, symbol, out _);
    }

    internal static IntPtr GetLlamaExport(string symbol)
    {
        EnsureInitialized();
        return NativeLibrary.TryGetExport(s_llama, symbol, out var p) ? p : IntPtr.Zero;
    }

    internal static IntPtr GetGgmlBaseExport(string symbol)
    {
        EnsureInitialized();
        return NativeLibrary.TryGetExport(s_ggmlBase, symbol, out var p) ? p : IntPtr.Zero;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(int level, byte* text, void* userData)
    {
        try
        {
            var s = text == null ? "" : Marshal.PtrToStringUTF8((IntPtr)text) ?? "";
            lock (s_pending)
            {
                if (level != 5) // anything but CONT starts a new message
                {
                    FlushPending();
                    s_pendingLevel = level;
                }
                s_pending.Append(s);
                if (s.EndsWith('\n')) FlushPending();
            }
        }
        catch
        {
            // Never let an exception cross back into native code.
        }
    }

    private static void FlushPending()
    {
        if (s_pending.Length == 0) return;
        var msg = s_pending.ToString().TrimEnd('\n', '\r');
        s_pending.Clear();
        if (msg.Length == 0) return;
        var lvl = s_pendingLevel switch
        {
            1 => LogLevel.Debug,
            2 => LogLevel.Information,
            3 => LogLevel.Warning,
            4 => LogLevel.Error,
            _ => LogLevel.Debug,
        };
        // llama.cpp is chatty at INFO (every tensor, every context); keep INFO as Debug to leave the caller's log readable.
        if (lvl == LogLevel.Information) lvl = LogLevel.Debug;
        s_logger.Log(lvl, "llama.cpp: {Message}", msg);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnAbort(byte* message)
    {
        try
        {
            var s = message == null ? "" : Marshal.PtrToStringUTF8((IntPtr)message);
            s_logger.LogCritical("ggml is aborting the process: {Message}", s);
            Console.Error.WriteLine($"ggml abort: {s}");
        }
        catch
        {
        }
    }
}

/// <summary>The native llama.cpp libraries could not be found or loaded.</summary>
public sealed class LlamaNativeLoadException : Exception
{
    public LlamaNativeLoadException(string message) : base(message) { }
    public LlamaNativeLoadException(string message, Exception inner) : base(message, inner) { }
}
