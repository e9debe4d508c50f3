using System.Runtime.CompilerServices;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Wordle;

/// <summary>The game's knowledge state (spec §2.3): per letter and position HERE / NOT_HERE / POSSIBLE, stored as one
/// "here" letter per position (or none) and a NOT_HERE bit mask per position. A value type: copying it is the
/// whole state.</summary>
public struct WordleKnowledge
{
    public const byte Unknown = 0xFF;

    [InlineArray(WordleVocabulary.WordLength)]
    private struct Masks { private uint _e; }

    [InlineArray(WordleVocabulary.WordLength)]
    private struct HereLetters { private byte _e; }

    private Masks _notHere;
    private HereLetters _here;
    private bool _initialized;

    public static WordleKnowledge Empty
    {
        get
        {
            var k = default(WordleKnowledge);
            k.EnsureInit();
            return k;
        }
    }

    private void EnsureInit()
    {
        if (_initialized) return;
        for (var i = 0; i < WordleVocabulary.WordLength; i++) _here[i] = Unknown;
        _initialized = true;
    }

    /// <summary>Letter known HERE at position i, or <see cref="Unknown"/>.</summary>
    public byte HereAt(int i) => _initialized ? _here[i] : Unknown;

    public uint NotHereMask(int i) => _notHere[i];

    /// <summary>Updates with a guess scored against a word: equal letter → HERE at i; letter elsewhere in the word →
    /// NOT_HERE at i; letter absent → NOT_HERE at all five positions.</summary>
    public void Update(ReadOnlySpan<byte> guess, ReadOnlySpan<byte> word, uint wordMask)
    {
        EnsureInit();
        for (var i = 0; i < WordleVocabulary.WordLength; i++)
        {
            var c = guess[i];
            if (c == word[i]) _here[i] = c;
            else if ((wordMask >> c & 1) != 0) _notHere[i] |= 1u << c;
            else
                for (var j = 0; j < WordleVocabulary.WordLength; j++) _notHere[j] |= 1u << c;
        }
    }

    /// <summary>Feedback of a guess from the cumulative state: per position 2 = 'g' (HERE), 0 = 'b' (NOT_HERE at all
    /// positions), 1 = 'y' (otherwise); encoded base 3 with position 0 least significant.</summary>
    public readonly int Feedback(ReadOnlySpan<byte> guess)
    {
        var code = 0;
        var scale = 1;
        for (var i = 0; i < WordleVocabulary.WordLength; i++)
        {
            var c = guess[i];
            var bit = 1u << c;
            int symbol;
            if (_initialized && _here[i] == c) symbol = 2;
            else if ((_notHere[0] & _notHere[1] & _notHere[2] & _notHere[3] & _notHere[4] & bit) != 0) symbol = 0;
            else symbol = 1;
            code += symbol * scale;
            scale *= 3;
        }
        return code;
    }

    /// <summary>Letters known to be in the word without a known position: NOT_HERE at some positions (a yellow) but
    /// not at all five (that would mean absent).</summary>
    public readonly uint PresentMask
    {
        get
        {
            var any = _notHere[0] | _notHere[1] | _notHere[2] | _notHere[3] | _notHere[4];
            var all = _notHere[0] & _notHere[1] & _notHere[2] & _notHere[3] & _notHere[4];
            return any & ~all;
        }
    }

    /// <summary>Whether a word agrees with every fact, as upstream's <c>word_satisfies</c>: each HERE letter in place,
    /// no letter at a NOT_HERE position, and every yellow letter (<see cref="PresentMask"/>) somewhere in the word.</summary>
    public readonly bool IsConsistent(ReadOnlySpan<byte> word)
    {
        var letters = 0u;
        for (var i = 0; i < WordleVocabulary.WordLength; i++)
        {
            var c = word[i];
            if (_initialized && _here[i] != Unknown && _here[i] != c) return false;
            if ((_notHere[i] >> c & 1) != 0) return false;
            letters |= 1u << c;
        }
        return (PresentMask & ~letters) == 0;
    }

    /// <summary>A value key of the whole state (for caches).</summary>
    public readonly (ulong, ulong, ulong) Key()
    {
        ulong here = 0;
        for (var i = 0; i < WordleVocabulary.WordLength; i++) here = here << 8 | (_initialized ? _here[i] : Unknown);
        return ((ulong)_notHere[0] << 32 | _notHere[1], (ulong)_notHere[2] << 32 | _notHere[3], (ulong)_notHere[4] << 40 | here);
    }

    public readonly bool IsEmpty
    {
        get
        {
            for (var i = 0; i < WordleVocabulary.WordLength; i++)
                if (_notHere[i] != 0 || (_initialized && _here[i] != Unknown)) return false;
            return true;
        }
    }

    /// <summary>Rebuilds the knowledge from a Wordle history (what a policy sees). Feedback 'g' → HERE, 'y' → NOT_HERE
    /// at that position (and, through <see cref="PresentMask"/>, somewhere in the word), 'b' → NOT_HERE everywhere;
    /// this reproduces the environment's state exactly. Invalid guesses
    /// (empty feedback) and unparseable items are skipped.</summary>
    public static WordleKnowledge FromHistory(TextHistory history, WordleVocabulary vocabulary)
    {
        var k = Empty;
        var items = history.Items;
        for (var i = 0; i + 1 < items.Count; i++)
        {
            if (!items[i].IsAction || items[i + 1].IsAction) continue;
            if (!vocabulary.TryParseGuess(items[i].Text, out var g)) continue;
            if (!WordleText.TryParseFeedback(items[i + 1].Text, out var symbols)) continue;
            var letters = vocabulary.LettersOf(g);
            for (var p = 0; p < WordleVocabulary.WordLength; p++)
            {
                var c = letters[p];
                var s = symbols / Pow3(p) % 3;
                if (s == 2) k._here[p] = c;
                else if (s == 1) k._notHere[p] |= 1u << c;
                else
                    for (var j = 0; j < WordleVocabulary.WordLength; j++) k._notHere[j] |= 1u << c;
            }
        }
        return k;
    }

    private static int Pow3(int p) => p switch { 0 => 1, 1 => 3, 2 => 9, 3 => 27, _ => 81 };
}

/// <summary>Wordle text formats (spec §2.3, the ReformatWordleEnvironment format).</summary>
public static class WordleText
{
    public const string Start = "Wordle:\n";
    public const string InvalidFeedback = "\n";
    public const int AllGreen = 242;
    private static readonly string[] FeedbackStrings = BuildFeedback();

    /// <summary>An action as upstream's ReformatWordleEnvironment writes it back into the history: whitespace at both
    /// ends stripped, spaces removed, then every character followed by a space except the last, and a "\n"
    /// ("moist" → "m o i s t\n"; "" → "\n"). Valid or not, every guess is kept in this form.</summary>
    public static string FormatAction(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var text = action.Trim().Replace(" ", "", StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder(2 * text.Length + 1);
        foreach (var rune in text.EnumerateRunes())
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(rune.ToString());
        }
        return sb.Append('\n').ToString();
    }

    /// <summary>"b g b y y\n" for a base-3 feedback code.</summary>
    public static string Feedback(int code) => FeedbackStrings[code];

    public static bool TryParseFeedback(string text, out int code)
    {
        code = 0;
        if (text.Length != 10 || text[^1] != '\n') return false;
        var scale = 1;
        for (var i = 0; i < 5; i++)
        {
            if (i > 0 && text[2 * i - 1] != ' ') return false;
            var s = text[2 * i] switch { 'b' => 0, 'y' => 1, 'g' => 2, _ => -1 };
            if (s < 0) return false;
            code += s * scale;
            scale *= 3;
        }
        return true;
    }

    private static string[] BuildFeedback()
    {
        var result = new string[243];
        for (var code = 0; code < 243; code++)
        {
            var chars = new char[10];
            var c = code;
            for (var i = 0; i < 5; i++)
            {
                chars[2 * i] = (c % 3) switch { 0 => 'b', 1 => 'y', _ => 'g' };
                chars[2 * i + 1] = i == 4 ? '\n' : ' ';
                c /= 3;
            }
            result[code] = new string(chars);
        }
        return result;
    }
}
