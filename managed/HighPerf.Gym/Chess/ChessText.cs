namespace HighPerf.Gym.Chess;

/// <summary>The LMRL-Gym chess text formats (spec §2.4): observations are FENs and actions SAN moves, each with
/// every character separated by one space (so a space inside the FEN becomes three spaces).</summary>
public static class ChessText
{
    /// <summary>"Nf3" → "N f 3"; "w KQkq" → "w   K Q k q".</summary>
    public static string SpaceOut(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return "";
        return string.Create(text.Length * 2 - 1, text, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[2 * i] = s[i];
                if (i + 1 < s.Length) span[2 * i + 1] = ' ';
            }
        });
    }

    /// <summary>The observation for a position: the spaced FEN, plus "\n" when <paramref name="newline"/>.</summary>
    public static string Observation(string fen, bool newline = true) => SpaceOut(fen) + (newline ? "\n" : "");

    /// <summary>The action text for a SAN move: "N f 3\n".</summary>
    public static string Action(string san) => SpaceOut(san) + "\n";

    /// <summary>The move an agent meant: all spaces removed, surrounding whitespace trimmed (upstream
    /// <c>postprocess_move</c>).</summary>
    public static string ParseAction(string actionText) => (actionText ?? "").Replace(" ", "").Trim();

    /// <summary>Recovers the FEN from an observation: the characters at even positions of the spaced text.</summary>
    public static string ParseObservation(string observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var text = observation.TrimEnd('\n');
        var chars = new char[(text.Length + 1) / 2];
        for (int i = 0; i < chars.Length; i++)
        {
            if (2 * i + 1 < text.Length && text[2 * i + 1] != ' ')
                throw new FormatException($"not a spaced chess observation (no space at position {2 * i + 1}): \"{observation}\"");
            chars[i] = text[2 * i];
        }
        return new string(chars);
    }
}
