using System.CommandLine;
using HighPerf.Kernels;
using HighPerf.Llama.Native;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf version`: managed and native versions, and which kernel backends and llama.cpp build are usable here.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print versions and the available kernel backends.");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"highperf {typeof(VersionCommand).Assembly.GetName().Version}");
            output.WriteLine(KernelRuntime.IsNativeAvailable
                ? $"libhighperf {KernelRuntime.NativeVersion} (CPU path {KernelRuntime.NativeCpuIsa}; CUDA {(KernelRuntime.IsCudaAvailable ? "available" : "not available")})"
                : "libhighperf not found: kernels run on the managed reference");
            output.WriteLine($"kernel backend by default: {KernelRuntime.BestAvailable}");
            try
            {
                LlamaNativeLibrary.EnsureInitialized();
                output.WriteLine($"llama.cpp {LlamaNativeLibrary.Version} from {LlamaNativeLibrary.Directory} ({LlamaNativeLibrary.DeviceCount} device(s))");
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or FileNotFoundException)
            {
                output.WriteLine($"llama.cpp not loadable: {e.Message}");
            }
            return 0;
        });
        return command;
    }
}
