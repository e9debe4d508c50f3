using System.Diagnostics;
using System.IO.Compression;

namespace HighPerf.Packaging.Tests;

/// <summary>Packs HighPerf.Kernels, consumes it from a local folder feed in a fresh console project and calls a
/// kernel through it: proves the package carries the managed assembly and runtimes/linux-x64/native/libhighperf.so
/// and that a consumer with nothing but the package finds the native library.</summary>
public sealed class NuGetPackageTests
{
    [Fact]
    public void PackedKernelsPackageIsConsumableFromAFolderFeed()
    {
        string root = RepoRoot();
        string work = Directory.CreateTempSubdirectory("highperf-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            // A configuration of its own keeps the pack build from touching the Debug/Release outputs tests run from;
            // the native build is reused (it already ran for this test project's reference).
            Run(root, "dotnet", $"pack managed/HighPerf.Kernels/HighPerf.Kernels.csproj -c Pack -o \"{feed}\" -p:HighPerfSkipNativeBuild=true");

            string nupkg = Directory.GetFiles(feed, "HighPerf.Kernels.*.nupkg").Single();
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var names = zip.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("lib/net10.0/HighPerf.Kernels.dll", names);
                Assert.Contains("runtimes/linux-x64/native/libhighperf.so", names);
            }
            string version = Path.GetFileNameWithoutExtension(nupkg)["HighPerf.Kernels.".Length..];

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="highperf-local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                    <SelfContained>false</SelfContained>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="HighPerf.Kernels" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            // log p(label) for two rows of a 3-way vocabulary, through the native CPU backend explicitly.
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using HighPerf.Kernels;
                float[] logits = [0f, 0f, 0f, 1f, 2f, 3f];
                int[] labels = [1, 2];
                var logp = new float[2];
                Vocabulary.LogProbs(logits, 2, 3, labels, logp, 1f, KernelBackend.NativeCpu);
                Console.WriteLine(FormattableString.Invariant($"{logp[0]:F5} {logp[1]:F5}"));
                """);
            // A private package folder so a stale HighPerf.Kernels from an earlier run is never picked up.
            Run(app, "dotnet", $"run -c Release --packages \"{Path.Combine(work, "packages")}\"", out string stdout);

            double expected0 = -Math.Log(3.0);
            double expected1 = 3.0 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
            string expected = FormattableString.Invariant($"{expected0:F5} {expected1:F5}");
            Assert.Equal(expected, stdout.Trim().Split('\n').Last().Trim());
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HighPerf.sln"))) return dir.FullName;
        throw new InvalidOperationException($"HighPerf.sln not found above {AppContext.BaseDirectory}");
    }

    private static void Run(string cwd, string exe, string args) => Run(cwd, exe, args, out _);

    private static void Run(string cwd, string exe, string args, out string stdout)
    {
        var psi = new ProcessStartInfo(exe, args)
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("HIGHPERF_NATIVE_DIR"); // the consumer must find the library through the package alone
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var err = p.StandardError.ReadToEndAsync();
        stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} {args} did not finish in 8 minutes");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {args} exited {p.ExitCode} in {cwd}:\n{stdout}\n{err.Result}");
    }
}
