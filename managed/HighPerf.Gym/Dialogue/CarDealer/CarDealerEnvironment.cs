using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue.CarDealer;

/// <summary>How the seller's reward is computed (spec §2.8).</summary>
public enum CarDealerRewardMode
{
    /// <summary>Dataset and default env: accepted → buy_price / ((budget + msrp) / 2); rejected → −(budget − msrp) / msrp;
    /// msrp == 0 → 0.</summary>
    Fancy,

    /// <summary>PPO script and evaluation utility upstream: accepted → buy_price / 1000; else 0.</summary>
    Revenue,
}

public sealed record CarDealerOptions
{
    /// <summary>History length (items, including "Start") after which the buyer is forced to decide (spec: 50).</summary>
    public int MaxItems { get; init; } = 50;

    public CarDealerRewardMode RewardMode { get; init; } = CarDealerRewardMode.Fancy;
}

/// <summary>Car Dealer (LMRL-Gym §2.8). The agent is the seller. The history starts with the observation
/// <c>"Start\n"</c>; the seller speaks first and each seller line (action) is answered by a buyer line (observation).
/// The buyer ends the deal with the Output tag, which is stripped from the visible line; the episode is then done and
/// the reward (on the seller's last action) follows <see cref="CarDealerRewardMode"/>. If the history reaches 50 items
/// without a decision, the buyer is re-prompted with its last line + "Output: Decision="; if that is still unparsable
/// the reward is 0. All other rewards are 0.</summary>
public sealed class CarDealerEnvironment : ITextEnvironment, IEpisodeOutcome
{
    public const string InitialObservation = "Start\n";

    private readonly IDialogueSimulator<BuyerPersona> _buyer;
    private BuyerPersona? _persona;
    private bool _done;

    public CarDealerEnvironment(IDialogueSimulator<BuyerPersona>? buyer = null, CarDealerData? data = null, CarDealerOptions? options = null)
    {
        Data = data ?? CarDealerData.Default;
        _buyer = buyer ?? new ScriptedBuyer(Data);
        Options = options ?? new CarDealerOptions();
        if (Options.MaxItems < 3) throw new ArgumentOutOfRangeException(nameof(options), "MaxItems must be at least 3");
    }

    public CarDealerData Data { get; }

    public CarDealerOptions Options { get; }

    public BuyerPersona? Persona => _persona;

    /// <summary>The decision of the finished episode (null while running, or when the forced decision was unparsable).</summary>
    public CarDealerOutcome? Outcome { get; private set; }

    /// <summary>Success for evaluation and filtered BC: the buyer bought a car.</summary>
    public bool Succeeded => Outcome is { CarBought: true };

    public TextHistory Reset(int seed) => Reset(Data.SamplePersona(new Random(seed)));

    public TextHistory Reset(BuyerPersona persona)
    {
        _persona = persona ?? throw new ArgumentNullException(nameof(persona));
        _done = false;
        Outcome = null;
        return TextHistory.Empty.AppendObservation(InitialObservation);
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var persona = _persona ?? throw new InvalidOperationException("Reset must be called before Step");
        if (_done) throw new InvalidOperationException("the episode is over; call Reset");
        if (history.Last is not { IsAction: true }) throw new ArgumentException("the last history item must be the seller's action", nameof(history));

        var turns = DialogueText.Turns(history, 1);
        var raw = SingleLine(_buyer.Respond(persona, turns));
        var (outcome, visible) = CarDealerText.ParseOutput(raw);
        var next = history.AppendObservation(visible + "\n");
        if (outcome is null && next.Count >= Options.MaxItems)
        {
            turns.Add(new DialogueTurn(DialogueRole.Simulator, visible + " Output: Decision="));
            var forced = SingleLine(_buyer.Respond(persona, turns));
            if (!forced.Contains("Output: Decision=", StringComparison.Ordinal)) forced = "Output: Decision=" + forced.TrimStart();
            outcome = CarDealerText.ParseOutput(forced).Outcome;
            _done = true;
            Outcome = outcome;
            return new StepResult(next, outcome is null ? 0.0 : Reward(persona, outcome, Options.RewardMode), true);
        }
        if (outcome is null) return new StepResult(next, 0.0, false);
        _done = true;
        Outcome = outcome;
        return new StepResult(next, Reward(persona, outcome, Options.RewardMode), true);
    }

    /// <summary>The seller's reward for a decision (spec §2.8).</summary>
    public static double Reward(BuyerPersona persona, CarDealerOutcome o, CarDealerRewardMode mode)
    {
        if (mode == CarDealerRewardMode.Revenue) return o.CarBought ? (o.BuyPrice ?? 0) / 1000.0 : 0.0;
        if (o.Msrp == 0) return 0.0;
        return o.CarBought
            ? (o.BuyPrice ?? 0) / ((persona.Budget + o.Msrp) / 2.0)
            : -(persona.Budget - o.Msrp) / (double)o.Msrp;
    }

    private static string SingleLine(string? text) =>
        string.Join(' ', (text ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
