using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using HighPerf.Kernels;
using Perfolizer.Horology;

namespace HighPerf.Bench;

/// <summary>
/// Kernel benchmarks. <c>--quick</c>: a short in-process job (2 warmups, 3 iterations of ~250 ms) so the whole suite
/// runs in a few minutes on 2 cores; everything else (<c>--filter</c>, <c>--job</c>, exporters...) is passed to
/// BenchmarkDotNet's switcher. Without <c>--filter</c> every benchmark runs (no interactive prompt).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "chess-vs-stockfish")
        {
            ChessVsStockfish.Run();
            return;
        }
        if (args.Length > 0 && args[0] == "rollouts")
        {
            Environment.ExitCode = RolloutBench.Run(args[1..]);
            return;
        }
        if (args.Length > 0 && args[0] == "llama-compare")
        {
            Environment.ExitCode = LlamaComparison.Run(args[1..]);
            return;
        }
        var quick = args.Contains("--quick");
        var rest = args.Where(a => a != "--quick").ToList();
        if (!rest.Any(a => a == "--filter" || a.StartsWith("--filter=", StringComparison.Ordinal) || a == "-f"))
            rest.AddRange(["--filter", "*"]);

        Console.WriteLine($"HighPerf kernel benchmarks: native {KernelRuntime.NativeVersion ?? "NOT LOADED"}, CPU ISA {KernelRuntime.NativeCpuIsa ?? "-"}, " +
                          $"CUDA {(KernelRuntime.IsCudaAvailable ? "available" : "unavailable")}, {Environment.ProcessorCount} logical CPUs");

        IConfig config = DefaultConfig.Instance
            .AddColumn(new ThroughputColumn(ThroughputColumn.Kind.ItemsPerSecond), new ThroughputColumn(ThroughputColumn.Kind.GigabytesPerSecond))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        if (quick)
        {
            config = config.AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(3)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .WithId("Quick"));
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
    }
}
