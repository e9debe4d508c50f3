using System.CommandLine;
using HighPerf.Cli.Commands;
using HighPerf.Gym.Data;
using HighPerf.Gym.Dialogue;
using HighPerf.Llama.Gguf;
using HighPerf.Llama.Native;

namespace HighPerf.Cli;

/// <summary>The `highperf` command line. Each area contributes its commands from Commands/*.cs.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, new InvocationConfiguration());

    /// <summary>Parses and runs <paramref name="args"/>. Errors in what the user gave (a corrupt or missing file, a
    /// malformed dataset line or one that does not replay in its task, an argument out of range, a missing Stockfish) print one `error:` line naming it and exit 1 instead of an
    /// unhandled-exception trace; anything else is a bug and keeps its trace.</summary>
    public static int Run(string[] args, InvocationConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            return BuildRoot().Parse(args).Invoke(configuration);
        }
        catch (Exception e) when (IsInputError(e))
        {
            // One line: ArgumentException appends "(Parameter 'x')" and "Actual value was …" on lines of their own.
            configuration.Error.WriteLine($"error: {string.Join(' ', e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))}");
            return 1;
        }
    }

    private static bool IsInputError(Exception e) => e is FileNotFoundException or DirectoryNotFoundException
        or GgufFormatException or DatasetFormatException or DialogueSimulatorException or LlamaNativeLoadException
        or ArgumentException or InvalidDataException or HighPerf.Gym.Chess.StockfishException;

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("HighPerf: multi-turn RL for language-model agents (LMRL-Gym tasks, offline and online RL, fast kernels).");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        return root;
    }
}
