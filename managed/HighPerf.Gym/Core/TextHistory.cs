using System.Collections.Immutable;
using System.Text;

namespace HighPerf.Gym.Core;

/// <summary>One item of an episode's text: an observation (from the environment) or an action (from the agent).
/// LMRL-Gym convention (spec §1.1): every item carries its own trailing "\n"; the prompt is the plain concatenation.</summary>
public readonly record struct TextItem(string Text, bool IsAction)
{
    public static TextItem Observation(string text) => new(text, false);
    public static TextItem Action(string text) => new(text, true);
}

/// <summary>An immutable episode history; cheap to extend (structural sharing through ImmutableList).</summary>
public sealed class TextHistory
{
    public static readonly TextHistory Empty = new(ImmutableList<TextItem>.Empty);

    public TextHistory(ImmutableList<TextItem> items) => Items = items;

    public TextHistory(IEnumerable<TextItem> items) => Items = items.ToImmutableList();

    public ImmutableList<TextItem> Items { get; }

    public int Count => Items.Count;

    public TextItem this[int index] => Items[index];

    public TextItem? Last => Items.Count == 0 ? null : Items[^1];

    public TextHistory Append(TextItem item) => new(Items.Add(item));

    public TextHistory AppendAction(string text) => Append(TextItem.Action(text));

    public TextHistory AppendObservation(string text) => Append(TextItem.Observation(text));

    /// <summary>The prompt an LM sees: all item texts joined with no separator.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var item in Items) sb.Append(item.Text);
        return sb.ToString();
    }

    public override string ToString() => Render();
}

/// <summary>Result of one environment step.</summary>
public readonly record struct StepResult(TextHistory History, double Reward, bool Done);

/// <summary>A multi-turn text environment (LMRL-Gym's TextEnv). The environment receives the whole history
/// (last item an action) and returns the whole new history, so it owns context windowing.</summary>
public interface ITextEnvironment
{
    /// <summary>Starts an episode; the same seed gives the same episode.</summary>
    TextHistory Reset(int seed);

    /// <summary>Applies the action that is the last item of <paramref name="history"/>.
    /// Malformed or illegal actions get the task's penalty; they never throw.</summary>
    StepResult Step(TextHistory history);
}

/// <summary>A text policy: given the history, produce the next action text (with its trailing "\n").</summary>
public interface ITextPolicy
{
    string Act(TextHistory history, Random rng);
}
