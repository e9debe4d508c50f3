using HighPerf.Gym.Core;
using HighPerf.Llama.Training;
using HighPerf.Rl.Policies;

namespace HighPerf.Rl.Rollouts;

/// <summary>
/// A batch of multi-turn episodes at token level, in two views over the same action tokens.
/// <para><b>Kernel view</b> (ragged, one row per episode, exactly the input of <c>Advantages.Gae</c>,
/// <c>Advantages.PpoClipWeights</c> and <c>Advantages.BroadcastUtterance</c>): for each turn, the prompt tokens the
/// policy had not seen in the previous turn's context (mask 0), then the sampled action tokens (mask 1). The action's
/// reward sits on its last token (spec §1.1); GAE skips the observation tokens and carries across them (spec §1.2:
/// γ per action token). Per token: <see cref="Values"/>, behaviour <see cref="LogProbs"/> (from sampling),
/// <see cref="OldLogProbs"/> (the trainer's recomputation before the update) and <see cref="RefLogProbs"/> (the frozen
/// reference policy), and <see cref="UtteranceIndex"/> (the action's number in the buffer, −1 on observations).</para>
/// <para><b>LM view</b>: the distinct language-model inputs, one per run of turns whose prompts extend each other
/// (dialogue: one per episode; Maze FO, which shows only the current observation: one per turn). Action token j sits
/// at <see cref="ActionPosition"/>[j] of sequence <see cref="ActionSequence"/>[j]; a sequence's action tokens are
/// contiguous, <see cref="SequenceActionOffsets"/>. <see cref="WeightedSequences"/> turns per-action weights into the
/// weighted trainer's input (DESIGN D3).</para>
/// Serializable data only (arrays), so a remote rollout worker can produce it (DESIGN D10).
/// </summary>
public sealed class RolloutBuffer
{
    // ---- kernel view (stream tokens) ----
    public required int[] Offsets { get; init; }
    public required int[] Tokens { get; init; }
    public required byte[] ActionMask { get; init; }
    public required float[] Rewards { get; init; }
    public required float[] LogProbs { get; init; }
    public required int[] UtteranceIndex { get; init; }
    /// <summary>Per episode: 1 when it ended in a terminal state (0: truncated, bootstrapped with 0 as in verl).</summary>
    public required byte[] Dones { get; init; }
    /// <summary>V(s) per stream token (set by the algorithm; 0 on observation tokens).</summary>
    public float[] Values { get; }
    public float[] OldLogProbs { get; }
    public float[] RefLogProbs { get; }

    // ---- action tokens ----
    /// <summary>Stream index of action token j.</summary>
    public required int[] ActionStreamIndex { get; init; }
    public required int[] ActionSequence { get; init; }
    public required int[] ActionPosition { get; init; }
    /// <summary>[actions × FeatureWidth] state features before each action token (empty when not recorded).</summary>
    public required float[] Features { get; init; }
    public required int FeatureWidth { get; init; }

    // ---- LM view ----
    public required IReadOnlyList<int[]> Sequences { get; init; }
    public required int[] SequenceActionOffsets { get; init; }
    /// <summary>LM sequences of episode e: EpisodeSequenceOffsets[e] .. EpisodeSequenceOffsets[e+1].</summary>
    public required int[] EpisodeSequenceOffsets { get; init; }

    // ---- episodes ----
    public required IReadOnlyList<EpisodeRecord> Episodes { get; init; }
    /// <summary>The policy version (training iteration) that produced the episodes (DESIGN D10: stale ones are dropped
    /// by on-policy algorithms).</summary>
    public required int PolicyVersion { get; init; }

    public int EpisodeCount => Offsets.Length - 1;
    public int TokenCount => Tokens.Length;
    public int ActionTokenCount => ActionStreamIndex.Length;
    public int SequenceCount => Sequences.Count;
    public int MaxSequenceLength => Sequences.Count == 0 ? 0 : Sequences.Max(s => s.Length);

    private RolloutBuffer(int tokens)
    {
        _classes = new Lazy<(int[], int[], int[], int[])>(ComputeClasses);
        Values = new float[tokens];
        OldLogProbs = new float[tokens];
        RefLogProbs = new float[tokens];
    }

    /// <summary>Builds the buffer from finished episodes and the turns the policy recorded for each (same order).
    /// Throws when the two disagree (turn count, or an action the environment did not record).</summary>
    public static RolloutBuffer Build(IReadOnlyList<EpisodeRecord> episodes, IReadOnlyList<IReadOnlyList<TurnRecord>> turns, int policyVersion, int featureWidth = 0)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ArgumentNullException.ThrowIfNull(turns);
        if (episodes.Count != turns.Count) throw new ArgumentException($"{episodes.Count} episodes but {turns.Count} turn lists", nameof(turns));
        var offsets = new List<int> { 0 };
        var tokens = new List<int>();
        var mask = new List<byte>();
        var rewards = new List<float>();
        var logp = new List<float>();
        var utterance = new List<int>();
        var dones = new byte[episodes.Count];
        var actStream = new List<int>();
        var actSeq = new List<int>();
        var actPos = new List<int>();
        var features = new List<float>();
        var sequences = new List<int[]>();
        var seqActions = new List<int> { 0 };
        var episodeSeqs = new List<int> { 0 };
        var utterances = 0;
        for (var e = 0; e < episodes.Count; e++)
        {
            var record = episodes[e];
            var episodeTurns = turns[e];
            var actionRewards = new List<double>();
            for (var i = 0; i < record.Trajectory.Items.Length; i++)
                if (record.Trajectory.Items[i].IsAction) actionRewards.Add(record.Trajectory.Rewards[i]);
            if (actionRewards.Count != episodeTurns.Count)
                throw new ArgumentException($"episode {e} (seed {record.Seed}) has {actionRewards.Count} actions but {episodeTurns.Count} recorded turns", nameof(turns));
            dones[e] = record.Done ? (byte)1 : (byte)0;
            List<int>? current = null;
            for (var k = 0; k < episodeTurns.Count; k++)
            {
                var t = episodeTurns[k];
                if (t.Action.Length == 0) throw new ArgumentException($"episode {e} turn {k}: empty action", nameof(turns));
                if (t.LogProbs.Length != t.Action.Length) throw new ArgumentException($"episode {e} turn {k}: {t.Action.Length} tokens but {t.LogProbs.Length} log-probs", nameof(turns));
                if (featureWidth > 0 && (t.Features is null || t.Features.Length != t.Action.Length * featureWidth))
                    throw new ArgumentException($"episode {e} turn {k}: features missing or not {t.Action.Length}×{featureWidth}", nameof(turns));
                // Does this prompt extend the current LM sequence (dialogue) or start a new one (windowed history)?
                int fresh;
                if (current is not null && t.Prompt.Length >= current.Count && t.Prompt.AsSpan(0, current.Count).SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(current)))
                {
                    fresh = current.Count;
                }
                else
                {
                    if (current is not null) CloseSequence();
                    current = [];
                    fresh = 0;
                }
                for (var i = fresh; i < t.Prompt.Length; i++)
                {
                    current.Add(t.Prompt[i]);
                    tokens.Add(t.Prompt[i]);
                    mask.Add(0);
                    rewards.Add(0f);
                    logp.Add(0f);
                    utterance.Add(-1);
                }
                for (var i = 0; i < t.Action.Length; i++)
                {
                    if (current.Count == 0) throw new ArgumentException($"episode {e} turn {k}: an action token with no prompt before it", nameof(turns));
                    actStream.Add(tokens.Count);
                    actSeq.Add(sequences.Count);
                    actPos.Add(current.Count);
                    current.Add(t.Action[i]);
                    tokens.Add(t.Action[i]);
                    mask.Add(1);
                    rewards.Add(i == t.Action.Length - 1 ? (float)actionRewards[k] : 0f);
                    logp.Add(t.LogProbs[i]);
                    utterance.Add(utterances);
                }
                if (featureWidth > 0) features.AddRange(t.Features!);
                utterances++;
            }
            if (current is not null) CloseSequence();
            offsets.Add(tokens.Count);
            episodeSeqs.Add(sequences.Count);

            void CloseSequence()
            {
                sequences.Add([.. current!]);
                seqActions.Add(actStream.Count);
            }
        }
        return new RolloutBuffer(tokens.Count)
        {
            Offsets = [.. offsets], Tokens = [.. tokens], ActionMask = [.. mask], Rewards = [.. rewards], LogProbs = [.. logp],
            UtteranceIndex = [.. utterance], Dones = dones, ActionStreamIndex = [.. actStream], ActionSequence = [.. actSeq],
            ActionPosition = [.. actPos], Features = [.. features], FeatureWidth = featureWidth, Sequences = sequences,
            SequenceActionOffsets = [.. seqActions], EpisodeSequenceOffsets = [.. episodeSeqs], Episodes = [.. episodes], PolicyVersion = policyVersion,
        };
    }

    // ---- identical LM sequences (Maze FO repeats ~100 distinct (observation, action) inputs thousands of times) ----
    /// <summary>Class of each LM sequence: sequences with identical tokens share one class (its first sequence is the
    /// representative). Their losses add up exactly: Σ w·log π over duplicates = (Σ w)·log π of one copy, and their
    /// log-probs are equal, so the trainer sees each distinct input once.</summary>
    public int[] SequenceClass => _classes.Value.Class;
    public int ClassCount => _classes.Value.Representative.Length;

    private readonly Lazy<(int[] Class, int[] Representative, int[] MemberOffsets, int[] Members)> _classes;

    private (int[] Class, int[] Representative, int[] MemberOffsets, int[] Members) ComputeClasses()
    {
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        var cls = new int[SequenceCount];
        var reps = new List<int>();
        for (var s = 0; s < SequenceCount; s++)
        {
            var key = string.Join(',', Sequences[s]);
            if (!byContent.TryGetValue(key, out var c)) { byContent[key] = c = reps.Count; reps.Add(s); }
            cls[s] = c;
        }
        var counts = new int[reps.Count + 1];
        foreach (var c in cls) counts[c + 1]++;
        for (var c = 0; c < reps.Count; c++) counts[c + 1] += counts[c];
        var members = new int[SequenceCount];
        var fill = counts[..^1].ToArray();
        for (var s = 0; s < SequenceCount; s++) members[fill[cls[s]]++] = s;
        return (cls, [.. reps], counts, members);
    }

    /// <summary>The LM sequences of class <paramref name="c"/>.</summary>
    public ReadOnlySpan<int> ClassMembers(int c) => _classes.Value.Members.AsSpan(_classes.Value.MemberOffsets[c], _classes.Value.MemberOffsets[c + 1] - _classes.Value.MemberOffsets[c]);

    /// <summary>The action tokens of the given classes (all their member sequences).</summary>
    public List<int> ActionsOfClasses(IReadOnlyList<int> classes)
    {
        var list = new List<int>();
        foreach (var c in classes)
            foreach (var s in ClassMembers(c))
                for (var j = SequenceActionOffsets[s]; j < SequenceActionOffsets[s + 1]; j++) list.Add(j);
        return list;
    }

    /// <summary>The weighted trainer's input for the given sequence classes, one sequence each: inputs tokens[..^1],
    /// targets tokens[1..], and on the input position before each action token j of every member the sum of
    /// <paramref name="actionWeights"/>[j] (0 elsewhere). <paramref name="actionAt"/> (one entry per action token of
    /// the buffer) receives the flat trainer position (sequences back to back) that predicts action j, or −1 for
    /// actions outside these classes: the map from the trainer's per-token log-probs back to actions.</summary>
    public List<WeightedSequence> WeightedSequences(IReadOnlyList<int> classes, ReadOnlySpan<float> actionWeights, out int[] actionAt)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (actionWeights.Length != ActionTokenCount) throw new ArgumentException($"one weight per action token ({ActionTokenCount}) expected, got {actionWeights.Length}", nameof(actionWeights));
        var result = new List<WeightedSequence>(classes.Count);
        actionAt = new int[ActionTokenCount];
        Array.Fill(actionAt, -1);
        var at = 0;
        foreach (var c in classes)
        {
            if ((uint)c >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(classes), c, $"class outside [0, {ClassCount})");
            var seq = Sequences[_classes.Value.Representative[c]];
            var weights = new float[seq.Length - 1];
            foreach (var s in ClassMembers(c))
                for (var j = SequenceActionOffsets[s]; j < SequenceActionOffsets[s + 1]; j++)
                {
                    var p = ActionPosition[j] - 1; // the input position whose next-token target is action token j
                    weights[p] += actionWeights[j];
                    actionAt[j] = at + p;
                }
            result.Add(new WeightedSequence(seq[..^1], seq[1..], weights));
            at += seq.Length - 1;
        }
        return result;
    }

    /// <summary>Gathers the trainer's per-position log-probs (in <see cref="WeightedSequences"/>' order) onto action tokens.</summary>
    public void ScatterLogProbs(ReadOnlySpan<float> trainerLogProbs, ReadOnlySpan<int> actionAt, Span<float> perAction)
    {
        if (actionAt.Length != ActionTokenCount) throw new ArgumentException($"actionAt must hold {ActionTokenCount} values", nameof(actionAt));
        if (perAction.Length != ActionTokenCount) throw new ArgumentException($"perAction must hold {ActionTokenCount} values", nameof(perAction));
        for (var j = 0; j < actionAt.Length; j++)
            if (actionAt[j] >= 0) perAction[j] = trainerLogProbs[actionAt[j]];
    }

    /// <summary>Gathers a stream array's values at the action tokens.</summary>
    public float[] AtActions(ReadOnlySpan<float> stream)
    {
        if (stream.Length != TokenCount) throw new ArgumentException($"a stream array of {TokenCount} values expected", nameof(stream));
        var r = new float[ActionTokenCount];
        for (var j = 0; j < r.Length; j++) r[j] = stream[ActionStreamIndex[j]];
        return r;
    }

    /// <summary>Writes per-action values into a stream array (observation tokens untouched).</summary>
    public void ToStream(ReadOnlySpan<float> perAction, Span<float> stream)
    {
        if (perAction.Length != ActionTokenCount) throw new ArgumentException($"{ActionTokenCount} values expected", nameof(perAction));
        if (stream.Length != TokenCount) throw new ArgumentException($"a stream array of {TokenCount} values expected", nameof(stream));
        for (var j = 0; j < perAction.Length; j++) stream[ActionStreamIndex[j]] = perAction[j];
    }

    public double MeanReturn => Episodes.Count == 0 ? double.NaN : Episodes.Average(e => e.Return);
    public double SuccessRate => Episodes.Count == 0 ? double.NaN : Episodes.Count(e => e.Success) / (double)Episodes.Count;
}
