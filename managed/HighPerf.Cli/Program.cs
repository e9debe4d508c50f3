using System.CommandLine;
using HighPerf.Cli.Commands;

namespace HighPerf.Cli;

/// <summary>The `highperf` command line. Each area contributes its commands from Commands/*.cs.</summary>
public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("HighPerf: multi-turn RL for language-model agents (LMRL-Gym tasks, offline and online RL, fast kernels).");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }
}
