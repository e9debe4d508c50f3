namespace HighPerf.Gym.Core;

/// <summary>Turns text into token ids (e.g. a GPT-2 BPE or a llama.cpp vocabulary). Must be deterministic.</summary>
public delegate int[] TextTokenizer(string text);

/// <summary>The tokenized mirror of a text trajectory: the input of the RL kernels (spec §1.1, §1.2, §7).
/// Token i belongs to item <c>ItemOf(i)</c>; <see cref="IsAction"/> marks tokens produced by the agent;
/// <see cref="Rewards"/> holds each action item's reward on that item's LAST token and 0 elsewhere.
/// Items are tokenized one at a time and concatenated (no separator), exactly as the prompt is rendered.</summary>
public sealed class TokenTrajectory
{
    private TokenTrajectory(int[] tokens, bool[] isAction, float[] rewards, int[] itemEnds, bool done, int truncatedItems)
    {
        Tokens = tokens;
        IsAction = isAction;
        Rewards = rewards;
        ItemEnds = itemEnds;
        Done = done;
        TruncatedItems = truncatedItems;
    }

    /// <summary>Token ids, in order.</summary>
    public int[] Tokens { get; }

    /// <summary>Per-token action mask: true for tokens of action items.</summary>
    public bool[] IsAction { get; }

    /// <summary>Per-token rewards; an action's reward sits on its last token.</summary>
    public float[] Rewards { get; }

    /// <summary>Exclusive end offset (into <see cref="Tokens"/>) of each kept item, in item order.</summary>
    public int[] ItemEnds { get; }

    /// <summary>Whether the episode ended in a terminal state (false: truncated, bootstrap from the last state).</summary>
    public bool Done { get; }

    /// <summary>How many leading items were dropped by left truncation.</summary>
    public int TruncatedItems { get; }

    public int Length => Tokens.Length;

    /// <summary>The action mask as 0/1 floats (the layout the kernels take).</summary>
    public float[] ActionMaskAsFloat()
    {
        var mask = new float[IsAction.Length];
        for (var i = 0; i < mask.Length; i++) mask[i] = IsAction[i] ? 1f : 0f;
        return mask;
    }

    /// <summary>Tokenizes a trajectory. With <paramref name="maxTokens"/>, whole items are dropped from the left
    /// (LMRL-Gym left-truncates prompts) until the rest fits; an item longer than the limit on its own is cut from the left.</summary>
    /// <exception cref="ArgumentException">An action with a non-zero reward tokenizes to nothing (its reward could not be placed).</exception>
    public static TokenTrajectory FromText(TextTrajectory trajectory, TextTokenizer tokenizer, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Build(trajectory.Items, trajectory.Rewards.AsSpan(), trajectory.Done, tokenizer, maxTokens);
    }

    /// <summary>Tokenizes a history (a prompt): masks as for a trajectory, all rewards 0, Done false.</summary>
    public static TokenTrajectory FromHistory(TextHistory history, TextTokenizer tokenizer, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var items = history.Items.ToArray();
        return Build([.. items], new double[items.Length], false, tokenizer, maxTokens);
    }

    private static TokenTrajectory Build(IReadOnlyList<TextItem> items, ReadOnlySpan<double> rewards, bool done, TextTokenizer tokenizer, int? maxTokens)
    {
        if (maxTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "must be positive");
        var pieces = new int[items.Count][];
        for (var i = 0; i < items.Count; i++)
        {
            pieces[i] = tokenizer(items[i].Text) ?? throw new ArgumentException($"tokenizer returned null for item {i}");
            if (items[i].IsAction && pieces[i].Length == 0 && rewards[i] != 0.0)
                throw new ArgumentException($"action item {i} ({Quote(items[i].Text)}) tokenizes to no tokens but carries reward {rewards[i]}");
        }

        var first = 0;
        long total = 0;
        foreach (var p in pieces) total += p.Length;
        if (maxTokens is { } limit)
            while (total > limit && first < items.Count - 1) total -= pieces[first++].Length;
        var cut = maxTokens is { } lim && total > lim ? (int)(total - lim) : 0; // single over-long item: cut from its left

        var n = (int)total - cut;
        var tokens = new int[n];
        var mask = new bool[n];
        var rew = new float[n];
        var ends = new int[items.Count - first];
        var pos = 0;
        for (var i = first; i < items.Count; i++)
        {
            var src = pieces[i].AsSpan(i == first ? cut : 0);
            src.CopyTo(tokens.AsSpan(pos));
            if (items[i].IsAction)
            {
                mask.AsSpan(pos, src.Length).Fill(true);
                if (src.Length > 0) rew[pos + src.Length - 1] = (float)rewards[i];
            }
            pos += src.Length;
            ends[i - first] = pos;
        }
        return new TokenTrajectory(tokens, mask, rew, ends, done, first);
    }

    private static string Quote(string s) => "\"" + s.Replace("\n", "\\n") + "\"";
}
