using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Chess;

/// <summary>Registry entries "chess" and "endgames" (spec §2.4, §2.5): environments, reference policies,
/// normalization constants, the filtered-BC rule (successful games only) and the dataset generators.</summary>
public static class ChessTaskDefinitions
{
    /// <summary>Search limit of the CPU-sized variants (<see cref="ChessCpu"/>, <see cref="EndgamesCpu"/>): a fixed node
    /// budget instead of 100 ms per move, so a game costs milliseconds (Stockfish still limits its strength by Elo).</summary>
    public static readonly SearchLimit CpuLimit = SearchLimit.FixedNodes(2_000);

    /// <summary>"chess" with every engine (opponent and the dataset's behaviour agent) at <see cref="CpuLimit"/>:
    /// the offline-RL experiments' CPU size, where 100 ms a move would make one dataset game take ~10 s.</summary>
    public static TaskDefinition ChessCpu()
    {
        var opponent = new StockfishOptions { Limit = CpuLimit };
        return Chess() with
        {
            Description = Chess().Description.Replace("100 ms a move", $"{CpuLimit.Nodes} nodes a move", StringComparison.Ordinal),
            CreateEnvironment = () => ChessTasks.CreateChess(opponent: opponent),
            Dataset = (n, seed) => ChessDatasets.GenerateChess(n, seed, opponent, CpuLimit).Select(ToRecord),
        };
    }

    /// <summary>"endgames" with the opponent and the dataset agent's engine at <see cref="CpuLimit"/>.</summary>
    public static TaskDefinition EndgamesCpu()
    {
        var opponent = new StockfishOptions { Limit = CpuLimit };
        return Endgames() with
        {
            CreateEnvironment = () => ChessTasks.CreateEndgames(opponent: opponent),
            Dataset = (n, seed) => ChessDatasets.GenerateEndgames(n, seed, agentEngine: StockfishOptions.Expert(CpuLimit.Nodes), opponent: opponent).Select(ToRecord),
        };
    }

    public static TaskDefinition Chess() => new()
    {
        Name = ChessTasks.ChessName,
        Description = "Chess: full games from the start position against Stockfish 15.1 (UCI_Elo 1200, clamped to 1350 by the engine; 100 ms a move); the agent plays White in SAN.",
        CreateEnvironment = () => ChessTasks.CreateChess(),
        Policies = new Dictionary<string, PolicyFactory>
        {
            ["random"] = _ => ChessPolicies.RandomLegal(),
            ["behavior"] = _ => ChessPolicies.Behaviour(1200),
            ["expert"] = _ => ChessPolicies.Expert(),
        },
        Normalization = NormalizationConstants.Chess,
        FilteredBc = FilteredBcRule.Success,
        EvalEpisodes = ChessTasks.ChessEvalEpisodes,
        DatasetEpisodes = 100,
        PaperDatasetSize = 625_000,
        PaperStatistics = new(625_000, 46.7, 18.16, 0.60, 0.210, 0.970),
        Dataset = (n, seed) => ChessDatasets.GenerateChess(n, seed).Select(ToRecord),
    };

    public static TaskDefinition Endgames() => new()
    {
        Name = ChessTasks.EndgamesName,
        Description = "Chess endgames: K+Q/K+R/K+Q+R/K+R+R vs K positions against Stockfish; win by mate.",
        CreateEnvironment = () => ChessTasks.CreateEndgames(),
        Policies = new Dictionary<string, PolicyFactory>
        {
            ["random"] = _ => ChessPolicies.RandomLegal(),
            ["behavior"] = _ => ChessPolicies.EndgameBehaviour(),
            ["expert"] = _ => ChessPolicies.Expert(),
        },
        Normalization = NormalizationConstants.Endgames,
        FilteredBc = FilteredBcRule.Success,
        EvalEpisodes = ChessTasks.EndgamesEvalEpisodes,
        DatasetEpisodes = 200,
        PaperDatasetSize = 97_756,
        PaperStatistics = new(97_756, 11.9, 12.0, 0.59, 0.586, 0.492),
        Dataset = (n, seed) => ChessDatasets.GenerateEndgames(n, seed).Select(ToRecord),
    };

    private static EpisodeRecord ToRecord(ChessEpisode e)
        => new(e.Task, e.Seed, new TextTrajectory([.. e.Items], [.. e.Rewards], e.Done), e.Won);
}
