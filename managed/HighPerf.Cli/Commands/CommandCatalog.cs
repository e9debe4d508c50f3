using System.CommandLine;

namespace HighPerf.Cli.Commands;

/// <summary>The list of top-level commands; one line per area keeps merges trivial.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return TasksCommand.Create();
        yield return PlayCommand.Create();
        yield return DatasetCommand.Create();
        yield return EvalCommand.Create();
        yield return ChessCommand.Create();
        yield return TrainCommand.Create();
        yield return DemoCommand.Create();
        yield return ResultsCommand.Create();
    }
}
