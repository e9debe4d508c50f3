using System.Text;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue;

/// <summary>Who spoke a dialogue line: the agent under training (questioner / seller) or the simulator (oracle / buyer).</summary>
public enum DialogueRole
{
    Agent,
    Simulator,
}

/// <summary>One line of a dialogue without its trailing newline.</summary>
public readonly record struct DialogueTurn(DialogueRole Role, string Text);

/// <summary>The environment side of a dialogue task: an oracle (Twenty Questions, Guess My City) or a buyer (Car Dealer).
/// Scripted and LLM-backed simulators implement the same interface and are interchangeable (DESIGN D7).</summary>
/// <typeparam name="TSecret">What the simulator knows and the agent must discover or serve: an object, a city, a buyer persona.</typeparam>
public interface IDialogueSimulator<in TSecret>
{
    /// <summary>Answers the agent's latest line. <paramref name="conversation"/> ends with that line (role Agent).
    /// Returns a single line without a trailing newline. Never returns null; backends may throw
    /// <see cref="DialogueSimulatorException"/> when a remote or local model fails after retries.</summary>
    string Respond(TSecret secret, IReadOnlyList<DialogueTurn> conversation);
}

/// <summary>An LLM-backed simulator failed (endpoint unreachable, timeout, empty output after retries).</summary>
public sealed class DialogueSimulatorException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Text helpers shared by the dialogue tasks.</summary>
public static class DialogueText
{
    /// <summary>Turns an action item's text into the line the simulator sees: first line only, trimmed.</summary>
    public static string ActionLine(string actionText)
    {
        var text = actionText ?? string.Empty;
        var nl = text.IndexOf('\n');
        if (nl >= 0)
        {
            // LMRL-Gym policies emit one line ending in "\n"; anything after the first newline is not part of the utterance.
            text = text[..nl];
        }
        return text.Trim();
    }

    /// <summary>LMRL-Gym post-processing of a generated action: strip trailing newlines, append exactly one.</summary>
    public static string AsItem(string line) => line.TrimEnd('\n', '\r') + "\n";

    /// <summary>Lower-cases and splits into word tokens (letters, digits, apostrophes inside words); punctuation separates.</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        foreach (var ch in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(ch) || (ch == '\'' && sb.Length > 0))
            {
                sb.Append(ch);
            }
            else if (sb.Length > 0)
            {
                words.Add(sb.ToString().TrimEnd('\''));
                sb.Clear();
            }
        }
        if (sb.Length > 0) words.Add(sb.ToString().TrimEnd('\''));
        return words;
    }

    /// <summary>Builds the dialogue turns (without the task's header line) from a text history whose items alternate
    /// agent actions and simulator observations after <paramref name="headerItems"/> leading observation items.</summary>
    public static List<DialogueTurn> Turns(TextHistory history, int headerItems)
    {
        var turns = new List<DialogueTurn>(Math.Max(0, history.Count - headerItems));
        for (var i = headerItems; i < history.Count; i++)
        {
            var item = history[i];
            turns.Add(new DialogueTurn(item.IsAction ? DialogueRole.Agent : DialogueRole.Simulator, DialogueText.ActionLine(item.Text)));
        }
        return turns;
    }

    /// <summary>"a" or "an" for a noun phrase (by its first letter; good enough for the knowledge-base names).</summary>
    public static string Article(string noun) =>
        noun.Length > 0 && "aeiouAEIOU".Contains(noun[0]) ? "an" : "a";
}
