using HighPerf.Gym.Core;

namespace HighPerf.Gym.TextNav;

/// <summary>Uniformly random admissible command, read from the last observation's "Admissible commands:" list.</summary>
public sealed class TextNavRandomPolicy : ITextPolicy
{
    public string Act(TextHistory history, Random rng)
    {
        var cmds = TextNavEnvironment.LastAdmissible(history);
        return cmds.Count > 0 ? cmds[rng.Next(cmds.Count)] + "\n" : "look\n";
    }
}

/// <summary>The walkthrough planner: the next command of a shortest plan from the current state (go to the stale
/// food, take it, go to the kitchen, open the fridge, insert it, close the fridge), wherever the objects are.
/// Reads the game state (privileged), so it works for FO and PO alike.</summary>
public sealed class TextNavExpertPolicy(ITextEnvironment environment) : ITextPolicy
{
    private readonly TextNavEnvironment _env = environment as TextNavEnvironment
        ?? throw new ArgumentException($"the Text-Nav planner needs a {nameof(TextNavEnvironment)}, got {environment?.GetType().Name ?? "null"}", nameof(environment));

    public string Act(TextHistory history, Random rng) => NextCommand(_env.Game) + "\n";

    /// <summary>The planner's next command (without newline); null when the goal is unreachable (food eaten) or met.</summary>
    public static string? Plan(TextNavGame g)
    {
        if (g.Over) return null;
        var food = g.PlaceOf(Item.StaleFood);
        switch (food)
        {
            case Place.Inventory:
                if (g.Player != Room.Kitchen) return Go(g.Player, Room.Kitchen);
                return g.FridgeOpen ? "insert stale food into fridge" : "open fridge";
            case Place.Fridge:
                return g.Player != Room.Kitchen ? Go(g.Player, Room.Kitchen) : "close fridge";
            case Place.Chest:
                if (g.Player != Room.Office) return Go(g.Player, Room.Office);
                return g.ChestOpen ? "take stale food from chest" : "open chest";
            case Place.Table:
            case Place.Floor:
                var room = g.RoomOf(Item.StaleFood);
                if (g.Player != room) return Go(g.Player, room);
                return food == Place.Table ? "take stale food from table" : "take stale food";
            default:
                return null;
        }
    }

    public static string NextCommand(TextNavGame g) => Plan(g) ?? g.AdmissibleCommands().FirstOrDefault() ?? "look";

    private static string Go(Room from, Room to) => "go " + TextNavWorld.Name(TextNavWorld.NextHop(from, to)!.Value);
}

/// <summary>The dataset's behaviour policy (spec §2.2, [P24 C.2]): the house is split by proximity to the kitchen
/// into {office, bathroom, garden, backyard} and {kitchen, dining room, living room, bedroom}; per episode the first
/// half is the policy's "optimal" half with probability 0.75, else the second. In its optimal half it follows the
/// planner with probability <see cref="OptimalProbability"/> and acts uniformly at random among admissible commands
/// otherwise; elsewhere it is uniformly random. The paper's reading ("greedy-optimal in one half") is the default,
/// 0.9; the spec's reading of collect_data.py (walkthrough only when a uniform draw exceeds 0.9, i.e. 0.1) is available
/// through the constructor. The default reproduces Table 1's 0.26 success rate; 0.1 does not (see docs/gym.md).</summary>
public sealed class TextNavBehaviorPolicy : ITextPolicy
{
    public const double DefaultOptimalProbability = 0.9;
    public const double FarHalfProbability = 0.75;
    private readonly TextNavEnvironment _env;
    private readonly bool[] _optimalRooms = new bool[TextNavWorld.RoomCount];
    private bool _chosen;

    public TextNavBehaviorPolicy(ITextEnvironment environment, double optimalProbability = DefaultOptimalProbability)
    {
        _env = environment as TextNavEnvironment
            ?? throw new ArgumentException($"the Text-Nav behaviour policy needs a {nameof(TextNavEnvironment)}, got {environment?.GetType().Name ?? "null"}", nameof(environment));
        OptimalProbability = optimalProbability is >= 0 and <= 1 ? optimalProbability : throw new ArgumentOutOfRangeException(nameof(optimalProbability));
    }

    public double OptimalProbability { get; }

    public string Act(TextHistory history, Random rng)
    {
        if (!_chosen)
        {
            var far = rng.NextDouble() < FarHalfProbability;
            Room[] half = far ? [Room.Office, Room.Bathroom, Room.Garden, Room.Backyard] : [Room.Kitchen, Room.DiningRoom, Room.LivingRoom, Room.Bedroom];
            foreach (var r in half) _optimalRooms[(int)r] = true;
            _chosen = true;
        }
        var g = _env.Game;
        if (_optimalRooms[(int)g.Player] && rng.NextDouble() < OptimalProbability && TextNavExpertPolicy.Plan(g) is { } cmd) return cmd + "\n";
        var admissible = g.AdmissibleCommands();
        return admissible.Count == 0 ? "look\n" : admissible[rng.Next(admissible.Count)] + "\n";
    }
}
