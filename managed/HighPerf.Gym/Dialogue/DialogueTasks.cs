using System.Globalization;
using HighPerf.Gym.Core;
using HighPerf.Gym.Dialogue.CarDealer;
using HighPerf.Gym.Dialogue.GuessMyCity;
using HighPerf.Gym.Dialogue.TwentyQuestions;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Dialogue;

/// <summary>Which reference policy to run.</summary>
public enum DialoguePolicyKind
{
    /// <summary>Random questions / random seller lines.</summary>
    Random,
    /// <summary>The dataset-behaviour policy (noisy questioner, the paper's seller strategies).</summary>
    Behaviour,
    /// <summary>The knowledge-base expert (binary-search questioner, competent seller).</summary>
    Expert,
}

/// <summary>Registration surface of the dialogue tasks (Twenty Questions, Guess My City, Car Dealer): names, factories for
/// environments and reference policies, horizons, normalization constants, the filtered-BC rule, evaluation and dataset
/// generation. The task registry wires these in with one line per task.</summary>
public static class DialogueTasks
{
    public const string TwentyQuestions = "twenty_questions";
    public const string GuessMyCity = "guess_my_city";
    public const string CarDealer = "car_dealer";

    public static IReadOnlyList<string> All { get; } = [TwentyQuestions, GuessMyCity, CarDealer];

    /// <summary>Filtered BC keeps the top 10% of episodes by return (spec §4.1).</summary>
    public const double FilteredBcTopFraction = 0.10;

    /// <summary>Agent turns per episode: 20 questions; Car Dealer stops at 50 history items, i.e. 25 seller turns.</summary>
    public static int Horizon(string task) => task switch
    {
        TwentyQuestions or GuessMyCity => 20,
        CarDealer => 25,
        _ => throw Unknown(task),
    };

    /// <summary>The paper's normalization constants (Table 5); null for Car Dealer, whose average and max the paper
    /// leaves blank (spec §2.8, <see cref="NormalizationConstants.CarDealerNote"/>).</summary>
    public static NormalizationConstants? Normalization(string task) => task switch
    {
        TwentyQuestions => NormalizationConstants.TwentyQuestions,
        GuessMyCity => NormalizationConstants.GuessMyCity,
        CarDealer => null,
        _ => throw Unknown(task),
    };

    /// <summary>The paper's Table 1 statistics of the task's offline dataset.</summary>
    public static PaperDatasetStatistics PaperStats(string task) => task switch
    {
        TwentyQuestions => new(100_000, 14.9, 4.38, 0.31, -17.3, 2.56),
        GuessMyCity => new(100_000, 18.8, 4.57, 0.53, -18.8, 4.12),
        CarDealer => new(19_000, 16.5, 3.61, 0.53, 0.562, 0.422),
        _ => throw Unknown(task),
    };

    /// <summary>A new environment with the scripted simulator, or with <paramref name="simulator"/> (an
    /// <see cref="IDialogueSimulator{TSecret}"/> of the task's secret type: TwentyQuestionsObject, City or BuyerPersona).</summary>
    public static ITextEnvironment CreateEnvironment(string task, object? simulator = null) => task switch
    {
        TwentyQuestions => new TwentyQuestionsEnvironment(Cast<TwentyQuestionsObject>(simulator, task)),
        GuessMyCity => new GuessMyCityEnvironment(Cast<City>(simulator, task)),
        CarDealer => new CarDealerEnvironment(Cast<BuyerPersona>(simulator, task)),
        _ => throw Unknown(task),
    };

    public static ITextPolicy CreatePolicy(string task, DialoguePolicyKind kind) => (task, kind) switch
    {
        (TwentyQuestions, DialoguePolicyKind.Expert) => TwentyQuestionsPolicies.Expert(),
        (TwentyQuestions, DialoguePolicyKind.Behaviour) => TwentyQuestionsPolicies.Behaviour(),
        (TwentyQuestions, DialoguePolicyKind.Random) => TwentyQuestionsPolicies.Random(),
        (GuessMyCity, DialoguePolicyKind.Expert) => GuessMyCityPolicies.Expert(),
        (GuessMyCity, DialoguePolicyKind.Behaviour) => GuessMyCityPolicies.Behaviour(),
        (GuessMyCity, DialoguePolicyKind.Random) => GuessMyCityPolicies.Random(),
        (CarDealer, DialoguePolicyKind.Expert) => CarDealerPolicies.Expert(),
        (CarDealer, DialoguePolicyKind.Behaviour) => CarDealerPolicies.Behaviour(),
        (CarDealer, DialoguePolicyKind.Random) => CarDealerPolicies.Random(),
        _ => throw Unknown(task),
    };

    /// <summary>Plays one episode and records it with task metadata: the hidden word/city (LMRL-Gym word strings) or the
    /// buyer profile and the <c>output</c> record (car_bought, msrp, buy_price).</summary>
    public static DialogueEpisode RunEpisode(string task, ITextEnvironment env, ITextPolicy policy, int seed) =>
        DialogueRollout.Run(task, env, policy, seed, Horizon(task), Success, Metadata);

    /// <summary>Evaluates a reference policy with the scripted simulator over <paramref name="episodes"/> seeds.</summary>
    public static DialogueStats Evaluate(string task, DialoguePolicyKind kind, int episodes, int seed = 0) =>
        DialogueStats.Of(GenerateEpisodes(task, episodes, seed, kind).ToList());

    /// <summary>Generates an offline dataset: <paramref name="count"/> episodes of <paramref name="kind"/> (default: the
    /// dataset-behaviour policy) against the scripted simulator, seeds <c>seed, seed+1, ...</c>. Deterministic.</summary>
    public static IEnumerable<DialogueEpisode> GenerateEpisodes(string task, int count, int seed = 0, DialoguePolicyKind kind = DialoguePolicyKind.Behaviour)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var env = CreateEnvironment(task);
        var policy = CreatePolicy(task, kind);
        for (var i = 0; i < count; i++) yield return RunEpisode(task, env, policy, unchecked(seed + i));
    }

    /// <summary>The filtered-BC subset: the top <see cref="FilteredBcTopFraction"/> of episodes by return (at least one;
    /// ties broken by order).</summary>
    public static IReadOnlyList<DialogueEpisode> FilterTopByReturn(IEnumerable<DialogueEpisode> episodes, double fraction = FilteredBcTopFraction)
    {
        var list = episodes.ToList();
        if (list.Count == 0) return list;
        var keep = Math.Max(1, (int)Math.Ceiling(list.Count * fraction));
        return list.Select((e, i) => (e, i)).OrderByDescending(x => x.e.Return).ThenBy(x => x.i).Take(keep).Select(x => x.e).ToList();
    }

    private static bool Success(ITextEnvironment env, DialogueEpisode e) => env switch
    {
        CarDealerEnvironment car => car.Outcome is { CarBought: true },
        _ => e.Done && e.ItemRewards.Count >= 2 && e.History.Count >= 2 && LastActionReward(e) == 0.0,
    };

    private static double LastActionReward(DialogueEpisode e)
    {
        for (var i = e.History.Count - 1; i >= 0; i--)
        {
            if (e.History[i].IsAction) return e.ItemRewards[i];
        }
        return double.NaN;
    }

    private static IReadOnlyDictionary<string, string> Metadata(ITextEnvironment env) => env switch
    {
        TwentyQuestionsEnvironment t => new Dictionary<string, string> { ["word"] = t.Secret?.WordString ?? "" },
        GuessMyCityEnvironment g => new Dictionary<string, string> { ["word"] = g.Secret?.WordString ?? "" },
        CarDealerEnvironment c => new Dictionary<string, string>
        {
            ["buyer_info"] = c.Persona?.ProfileLine ?? "",
            ["haggling_style"] = c.Persona?.Style.Name ?? "",
            ["car_bought"] = (c.Outcome?.CarBought ?? false) ? "true" : "false",
            ["msrp"] = (c.Outcome?.Msrp ?? 0).ToString(CultureInfo.InvariantCulture),
            ["buy_price"] = c.Outcome?.BuyPrice?.ToString(CultureInfo.InvariantCulture) ?? "",
        },
        _ => new Dictionary<string, string>(),
    };

    private static IDialogueSimulator<T>? Cast<T>(object? simulator, string task) => simulator switch
    {
        null => null,
        IDialogueSimulator<T> s => s,
        _ => throw new ArgumentException($"task '{task}' needs an IDialogueSimulator<{typeof(T).Name}>, got {simulator.GetType().Name}", nameof(simulator)),
    };

    private static ArgumentException Unknown(string task) =>
        new($"unknown dialogue task '{task}'; known: {string.Join(", ", All)}", nameof(task));
}
