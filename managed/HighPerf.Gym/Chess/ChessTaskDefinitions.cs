using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Chess;

/// <summary>Registry entries "chess" and "endgames" (spec §2.4, §2.5): environments, reference policies,
/// normalization constants, the filtered-BC rule (successful games only) and the dataset generators.</summary>
public static class ChessTaskDefinitions
{
    /// <summary>Search limit of the CPU-sized variants' behaviour agents (<see cref="ChessCpu"/>, <see cref="EndgamesCpu"/>):
    /// a fixed node budget instead of 100 ms per move, so a dataset game costs milliseconds, not ~10 s.</summary>
    public static readonly SearchLimit CpuLimit = SearchLimit.FixedNodes(2_000);

    /// <summary>Node budget of the CPU variants' opponent: full strength (no UCI_LimitStrength) at a tiny budget. The
    /// Elo-limited engine picks its weakened moves with a time-seeded random generator, so its games cannot be
    /// replayed — and offline RL replays every recorded episode through the environment to rebuild the prompts the
    /// agent saw. A fixed-node search with the hash cleared before each move is deterministic and, at this budget, weak.</summary>
    public const long CpuOpponentNodes = 100;

    /// <summary>The CPU variants' deterministic opponent (see <see cref="CpuOpponentNodes"/>).</summary>
    public static StockfishOptions CpuOpponent => new() { LimitStrength = false, Limit = SearchLimit.FixedNodes(CpuOpponentNodes), HashMb = 1 };

    /// <summary>"chess" sized for CPU experiments: the opponent is <see cref="CpuOpponent"/> and the dataset's
    /// Elo-sampled behaviour agents search <see cref="CpuLimit"/>.</summary>
    public static TaskDefinition ChessCpu() => Chess() with
    {
        Description = $"Chess (CPU variant): full games from the start position against Stockfish 15.1 at full strength with {CpuOpponentNodes} nodes a move (deterministic); the agent plays White in SAN.",
        CreateEnvironment = () => ChessTasks.CreateChess(opponent: CpuOpponent),
        Dataset = (n, seed) => ChessDatasets.GenerateChess(n, seed, CpuOpponent, CpuLimit).Select(ToRecord),
    };

    /// <summary>"endgames" sized for CPU experiments: opponent <see cref="CpuOpponent"/>, dataset agent ε-random over
    /// Stockfish at <see cref="CpuLimit"/>.</summary>
    public static TaskDefinition EndgamesCpu() => Endgames() with
    {
        Description = $"Chess endgames (CPU variant): K+Q/K+R/K+Q+R/K+R+R vs K positions against Stockfish at {CpuOpponentNodes} nodes a move (deterministic); win by mate.",
        CreateEnvironment = () => ChessTasks.CreateEndgames(opponent: CpuOpponent),
        ReplayEnvironment = record => ReplayEndgame(record, CpuOpponent),
        Dataset = (n, seed) => ChessDatasets.GenerateEndgames(n, seed, agentEngine: StockfishOptions.Expert(CpuLimit.Nodes), opponent: CpuOpponent).Select(ToRecord),
    };

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
        ReplayEnvironment = record => ReplayEndgame(record, null),
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

    /// <summary>An endgame environment whose only start position is the recorded episode's first observation (dataset
    /// episodes start from training positions, which the evaluation environment never resets to).</summary>
    private static ChessEnvironment ReplayEndgame(EpisodeRecord record, StockfishOptions? opponent)
    {
        var items = record.Trajectory.Items;
        if (items.Length == 0 || items[0].IsAction) throw new InvalidDataException($"episode seed {record.Seed}: an endgame episode must start with the position");
        string fen;
        try { fen = ChessText.ParseObservation(items[0].Text); }
        catch (FormatException e) { throw new InvalidDataException($"episode seed {record.Seed}: the first item is not a position: {e.Message}", e); }
        return ChessTasks.CreateEndgames([fen], opponent: opponent);
    }

    private static EpisodeRecord ToRecord(ChessEpisode e)
        => new(e.Task, e.Seed, new TextTrajectory([.. e.Items], [.. e.Rewards], e.Done), e.Won);
}
