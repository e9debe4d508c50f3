using System.Text;
using System.Text.Json;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Chess;

/// <summary>One played episode: the full text log (observation, action, observation, ...) with a reward per item
/// (0 on observations), plus what the chess metrics need.</summary>
public sealed record ChessEpisode(
    string Task, int Seed, string StartFen, string Agent,
    IReadOnlyList<TextItem> Items, IReadOnlyList<double> Rewards,
    IReadOnlyList<string?> AgentSans, bool Done, bool Won, int IllegalMoves)
{
    public TextHistory History => new(Items);
    public double Return => Rewards.Sum();
    /// <summary>Agent moves (the paper's length unit).</summary>
    public int Length => Items.Count(i => i.IsAction);
}

/// <summary>Plays episodes and builds the offline datasets of both tasks (spec §2.4, §2.5).</summary>
public static class ChessDatasets
{
    /// <summary>Plays one episode of <paramref name="env"/> with <paramref name="policy"/>.</summary>
    public static ChessEpisode Play(ChessEnvironment env, ITextPolicy policy, int seed, string task, string agent)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(policy);
        var items = new List<TextItem>();
        var rewards = new List<double>();
        var sans = new List<string?>();
        var rng = new Random(seed ^ 0x5EED);
        var history = env.Reset(seed);
        items.Add(history[0]);
        rewards.Add(0);
        int illegal = 0;
        var last = default(StepResult);
        while (true)
        {
            var action = policy.Act(history, rng);
            last = env.Step(history.AppendAction(action));
            items.Add(TextItem.Action(action));
            rewards.Add(last.Reward);
            sans.Add(env.LastStep!.AgentSan);
            if (env.LastStep.IllegalReason is not null) illegal++;
            items.Add(last.History[^1]);
            rewards.Add(0);
            history = last.History;
            if (last.Done) break;
        }
        return new ChessEpisode(task, seed, env.StartFen, agent, items, rewards, sans, last.Done, env.Succeeded, illegal);
    }

    /// <summary>Seed of episode <paramref name="index"/> of a run: a SplitMix64 mix, so runs with nearby seeds do not
    /// share episodes.</summary>
    public static int EpisodeSeed(int runSeed, int index)
    {
        ulong z = ((ulong)(uint)runSeed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>The Chess dataset (P24 C.4): full games from the start position against the Elo-1200 opponent;
    /// per batch of <paramref name="gamesPerElo"/> games the agent is Stockfish at an Elo drawn uniformly from
    /// [<paramref name="minElo"/>, <paramref name="maxElo"/>]. <paramref name="agentLimit"/>/<paramref name="opponent"/>
    /// default to upstream's 100 ms; pass depth/nodes limits for quick or reproducible runs.</summary>
    public static IEnumerable<ChessEpisode> GenerateChess(int episodes, int seed, StockfishOptions? opponent = null, SearchLimit? agentLimit = null,
        int gamesPerElo = 100, int minElo = 800, int maxElo = 1600, ChessTaskOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(episodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(gamesPerElo, 1);
        if (minElo > maxElo) throw new ArgumentException($"minElo {minElo} > maxElo {maxElo}");
        var rng = new Random(seed);
        using var env = ChessTasks.CreateChess(options, opponent);
        for (int start = 0; start < episodes; start += gamesPerElo)
        {
            int elo = rng.Next(minElo, maxElo + 1);
            using var policy = ChessPolicies.Behaviour(elo, agentLimit);
            for (int i = start; i < Math.Min(episodes, start + gamesPerElo); i++)
                yield return Play(env, policy, EpisodeSeed(seed, i), ChessTasks.ChessName, policy.Name);
        }
    }

    /// <summary>The Endgames dataset (P24 C.5): games from random K+Q/K+R/K+Q+R/K+R+R positions (never one of the
    /// evaluation positions), the agent an ε-random/Stockfish mix, the opponent Stockfish at Elo 1200.</summary>
    public static IEnumerable<ChessEpisode> GenerateEndgames(int episodes, int seed, double epsilon = 0.6, StockfishOptions? agentEngine = null,
        StockfishOptions? opponent = null, ChessTaskOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(episodes);
        var evaluation = ChessTasks.EvaluationEndgamePositions.ToHashSet();
        var positions = EndgamePositions.Generate(seed, episodes + evaluation.Count).Where(p => !evaluation.Contains(p)).Take(episodes).ToList();
        using var env = ChessTasks.CreateEndgames(positions, options, opponent);
        using var policy = ChessPolicies.EndgameBehaviour(epsilon, agentEngine);
        for (int i = 0; i < episodes; i++)
            yield return Play(env, policy, i, ChessTasks.EndgamesName, policy.Name); // seed i ↦ position i
    }

    /// <summary>Writes episodes in the upstream RL trajectory layout (one episode per line, a JSON list of
    /// <c>{"state": FEN, "action": SAN, "reward": r, "done": b}</c>; illegal actions keep the raw text), atomically
    /// (temporary file, flush, rename).</summary>
    public static void WriteJsonl(string path, IEnumerable<ChessEpisode> episodes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(episodes);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            foreach (var e in episodes)
            {
                var steps = new List<object>();
                int action = 0;
                for (int i = 1; i < e.Items.Count; i += 2)
                {
                    var state = ChessText.ParseObservation(e.Items[i - 1].Text);
                    var san = e.AgentSans[action] ?? ChessText.ParseAction(e.Items[i].Text);
                    bool done = i + 2 >= e.Items.Count && e.Done;
                    steps.Add(new { state, action = san, reward = e.Rewards[i], done });
                    action++;
                }
                writer.WriteLine(JsonSerializer.Serialize(steps));
            }
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }
}
