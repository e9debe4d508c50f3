using HighPerf.Gym.Core;

namespace HighPerf.Rl.Data;

/// <summary>How episodes become LM inputs.
/// <list type="bullet">
/// <item><b>Steps</b>: one segment per action, prompt = the history the environment showed the policy at that step (its
/// context window: Maze FO keeps only the current observation) + the action. Segments are chained: the state after a
/// step's last action token is the next step's prompt (spec §4.4 "next chain segment").</item>
/// <item><b>Episode</b>: one segment per episode, the whole trajectory (environments that never window the history,
/// LMRL-Gym's masked whole-episode datasets).</item>
/// </list>
/// <c>OfflineDataset.Build</c> picks Episode when every step's prompt is the full prefix of the trajectory.</summary>
public enum SegmentMode
{
    Steps,
    Episode,
}

/// <summary>The token-level view of an offline dataset: deduplicated LM segments (pooled in one token array with offsets),
/// and the compacted action-token rows the critics and kernels work on.
/// <para>Row r is one action token: the state s_r is the LM prefix ending just before that token (its feature is the
/// hidden state at position <c>StatePosition</c>), a_r is the token, <c>Rewards[r]</c> the reward (non-zero only on the
/// last token of an action, spec §1.1), and <c>NextRow[r]</c> the row of the next action token of the episode (γ is
/// applied per action token, spec §1.2). The last row of an episode has NextRow = -1 and either Done, or a bootstrap
/// state (the state after the last action, for truncated episodes).</para>
/// <para>Identical segments are stored once with a multiplicity (Maze FO has ~100 distinct (observation, action)
/// pairs among ~25k steps), so policy features and BC gradients are computed once per distinct input.</para></summary>
public sealed class OfflineDataset
{
    /// <summary>All segment tokens back to back (BOS first when the tokenizer adds one).</summary>
    public required int[] Tokens { get; init; }

    /// <summary>Segment s spans Tokens[SegmentOffsets[s] .. SegmentOffsets[s+1]).</summary>
    public required int[] SegmentOffsets { get; init; }

    /// <summary>Per token: produced by the agent (1) or not (0).</summary>
    public required byte[] ActionMask { get; init; }

    /// <summary>How many dataset steps (Steps mode) or episodes (Episode mode) use each segment (its BC weight).</summary>
    public required int[] Multiplicity { get; init; }

    /// <summary>Whether the segment holds agent tokens (prompt-only segments exist for bootstrap states).</summary>
    public int SegmentCount => SegmentOffsets.Length - 1;

    // ---- compacted action-token rows ----
    public required int[] RowSegment { get; init; }
    /// <summary>Position (within the segment) of the state s_r: the token just before the action token.</summary>
    public required int[] RowStatePosition { get; init; }
    public required int[] RowToken { get; init; }
    public required float[] RowReward { get; init; }
    /// <summary>Next action-token row of the same episode, or -1 after the episode's last action token.</summary>
    public required int[] RowNext { get; init; }
    /// <summary>For an episode's last row: 1 when the episode ended in a terminal state.</summary>
    public required byte[] RowDone { get; init; }
    /// <summary>For the last row of a truncated episode: (segment, position) of the state reached after it; else (-1, -1).</summary>
    public required (int Segment, int Position)[] RowBootstrap { get; init; }

    /// <summary>Rows of episode e: EpisodeRowOffsets[e] .. EpisodeRowOffsets[e+1] (consecutive, in time order).</summary>
    public required int[] EpisodeRowOffsets { get; init; }
    public required double[] EpisodeReturn { get; init; }
    public required bool[] EpisodeSuccess { get; init; }

    public required SegmentMode Mode { get; init; }

    public int RowCount => RowToken.Length;
    public int EpisodeCount => EpisodeReturn.Length;

    public ReadOnlySpan<int> Segment(int s) => Tokens.AsSpan(SegmentOffsets[s], SegmentOffsets[s + 1] - SegmentOffsets[s]);
    public ReadOnlySpan<byte> SegmentMask(int s) => ActionMask.AsSpan(SegmentOffsets[s], SegmentOffsets[s + 1] - SegmentOffsets[s]);

    /// <summary>The per-step prompts of a recorded episode, by replaying its actions in a fresh environment reset with
    /// the episode's seed (the environment owns its context window, spec §1.1). Throws when the replay does not
    /// reproduce the recorded observations (a non-deterministic environment or a foreign dataset).</summary>
    public static (List<(TextHistory Prompt, string Action, double Reward)> Steps, TextHistory Final) Replay(EpisodeRecord record, Func<ITextEnvironment> environmentFactory)
    {
        ArgumentNullException.ThrowIfNull(environmentFactory);
        return Replay(record, _ => environmentFactory());
    }

    /// <summary><see cref="Replay(EpisodeRecord, Func{ITextEnvironment})"/> with an environment made for the record (e.g.
    /// <see cref="TaskDefinition.CreateReplayEnvironment"/>); the environment is disposed afterwards when disposable.</summary>
    public static (List<(TextHistory Prompt, string Action, double Reward)> Steps, TextHistory Final) Replay(EpisodeRecord record, Func<EpisodeRecord, ITextEnvironment> environmentFactory)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(environmentFactory);
        var env = environmentFactory(record);
        using var owned = env as IDisposable; // chess environments own a Stockfish process
        var history = env.Reset(record.Seed);
        var items = record.Trajectory.Items;
        var rewards = record.Trajectory.Rewards;
        var steps = new List<(TextHistory, string, double)>();
        var i = 0;
        // The trajectory starts with the reset observations.
        foreach (var item in history.Items)
        {
            if (i >= items.Length || items[i] != item) throw new InvalidDataException($"episode seed {record.Seed}: replayed reset does not match the recorded trajectory at item {i}");
            i++;
        }
        while (i < items.Length)
        {
            if (!items[i].IsAction) throw new InvalidDataException($"episode seed {record.Seed}: expected an action at item {i}");
            var action = items[i];
            steps.Add((history, action.Text, rewards[i]));
            var result = env.Step(history.AppendAction(action.Text));
            var actionIndex = i++;
            // Observations the environment added: after the last action of the new history (or all if it holds none).
            var newItems = result.History.Items;
            var start = 0;
            for (var k = newItems.Count - 1; k >= 0; k--)
                if (newItems[k].IsAction) { start = k + 1; break; }
            for (var k = start; k < newItems.Count; k++)
            {
                if (i >= items.Length || items[i] != newItems[k]) throw new InvalidDataException($"episode seed {record.Seed}: replay diverged at item {i}");
                i++;
            }
            if (Math.Abs(result.Reward - rewards[actionIndex]) > 1e-9)
                throw new InvalidDataException($"episode seed {record.Seed}: replayed reward {result.Reward} differs from the record");
            history = result.History;
            if (result.Done && i < items.Length) throw new InvalidDataException($"episode seed {record.Seed}: the environment ended before the recorded trajectory");
        }
        return (steps, history);
    }

    /// <summary>Tokenizes episodes into segments and rows (see the type's summary).</summary>
    /// <param name="episodes">Recorded episodes (a JSONL dataset or a generator's output).</param>
    /// <param name="environmentFactory">The task's environment, used to replay prompts.</param>
    /// <param name="tokenize">Item tokenizer without special tokens (items are tokenized one at a time, spec §1.1).</param>
    /// <param name="bos">Token prepended to every segment, or null.</param>
    /// <param name="maxTokens">Left-truncation limit of a segment (whole items first, spec §1.1).</param>
    public static OfflineDataset Build(IReadOnlyList<EpisodeRecord> episodes, Func<ITextEnvironment> environmentFactory, TextTokenizer tokenize, int? bos, int maxTokens = 1024)
    {
        ArgumentNullException.ThrowIfNull(environmentFactory);
        return Build(episodes, _ => environmentFactory(), tokenize, bos, maxTokens);
    }

    /// <summary><see cref="Build(IReadOnlyList{EpisodeRecord}, Func{ITextEnvironment}, TextTokenizer, int?, int)"/> with
    /// an environment made for each record (<see cref="TaskDefinition.CreateReplayEnvironment"/>).</summary>
    public static OfflineDataset Build(IReadOnlyList<EpisodeRecord> episodes, Func<EpisodeRecord, ITextEnvironment> environmentFactory, TextTokenizer tokenize, int? bos, int maxTokens = 1024)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ArgumentNullException.ThrowIfNull(tokenize);
        if (episodes.Count == 0) throw new ArgumentException("no episodes", nameof(episodes));
        var replays = episodes.Select(e => Replay(e, environmentFactory)).ToList();
        var mode = replays.All(r => IsFullPrefix(r.Steps)) ? SegmentMode.Episode : SegmentMode.Steps;

        var b = new Builder(tokenize, bos, maxTokens - (bos is null ? 0 : 1));
        for (var e = 0; e < episodes.Count; e++)
        {
            var rec = episodes[e];
            var (steps, final) = replays[e];
            b.BeginEpisode();
            if (mode == SegmentMode.Episode)
            {
                var seg = b.AddSegment(rec.Trajectory.Items, [.. rec.Trajectory.Rewards], rec.Done, countsAsUse: true);
                b.AddRows(seg);
                if (!rec.Done) b.SetBootstrap(seg.Index, seg.Length - 1);
            }
            else
            {
                foreach (var (prompt, action, reward) in steps)
                {
                    var items = prompt.Items.Add(TextItem.Action(action));
                    var rewards = new double[items.Count];
                    rewards[^1] = reward;
                    var seg = b.AddSegment(items, [.. rewards], false, countsAsUse: true);
                    b.AddRows(seg);
                }
                if (!rec.Done && final.Count > 0)
                {
                    var seg = b.AddSegment(final.Items, new double[final.Count], false, countsAsUse: false);
                    b.SetBootstrap(seg.Index, seg.Length - 1);
                }
            }
            b.EndEpisode(rec.Return, rec.Success, rec.Done);
        }
        return b.Finish(mode);
    }

    private static bool IsFullPrefix(List<(TextHistory Prompt, string Action, double Reward)> steps)
    {
        // Step k's prompt must be step k-1's prompt + its action + the observations that followed: i.e. never shorter.
        for (var k = 1; k < steps.Count; k++)
        {
            var prev = steps[k - 1].Prompt.Items;
            var cur = steps[k].Prompt.Items;
            if (cur.Count < prev.Count + 1) return false;
            for (var j = 0; j < prev.Count; j++) if (cur[j] != prev[j]) return false;
            if (!cur[prev.Count].IsAction || cur[prev.Count].Text != steps[k - 1].Action) return false;
        }
        return true;
    }

    private readonly record struct SegmentRef(int Index, int Length, int Start);

    private sealed class Builder(TextTokenizer tokenize, int? bos, int maxTokens)
    {
        private readonly List<int> _tokens = [];
        private readonly List<byte> _mask = [];
        private readonly List<float> _rewards = []; // per token, for rows
        private readonly List<int> _offsets = [0];
        private readonly List<int> _mult = [];
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<int> _rowSeg = [], _rowPos = [], _rowTok = [], _rowNext = [];
        private readonly List<float> _rowRew = [];
        private readonly List<byte> _rowDone = [];
        private readonly List<(int, int)> _rowBoot = [];
        private readonly List<int> _epRows = [0];
        private readonly List<double> _epRet = [];
        private readonly List<bool> _epSucc = [];
        private int _episodeFirstRow;

        public void BeginEpisode() => _episodeFirstRow = _rowTok.Count;

        public SegmentRef AddSegment(IReadOnlyList<TextItem> items, double[] rewards, bool done, bool countsAsUse)
        {
            var key = string.Concat(items.Select(i => (i.IsAction ? "\u0001A" : "\u0001O") + i.Text));
            if (_index.TryGetValue(key, out var s))
            {
                if (countsAsUse) _mult[s]++;
                return new SegmentRef(s, _offsets[s + 1] - _offsets[s], _offsets[s]);
            }
            var traj = new TextTrajectory([.. items], [.. rewards], done);
            var tt = TokenTrajectory.FromText(traj, tokenize, maxTokens);
            var start = _tokens.Count;
            if (bos is { } b)
            {
                _tokens.Add(b);
                _mask.Add(0);
                _rewards.Add(0);
            }
            for (var t = 0; t < tt.Length; t++)
            {
                _tokens.Add(tt.Tokens[t]);
                _mask.Add(tt.IsAction[t] ? (byte)1 : (byte)0);
                _rewards.Add(tt.Rewards[t]);
            }
            _offsets.Add(_tokens.Count);
            _mult.Add(countsAsUse ? 1 : 0);
            s = _mult.Count - 1;
            _index[key] = s;
            return new SegmentRef(s, _tokens.Count - start, start);
        }

        public void AddRows(SegmentRef seg)
        {
            for (var p = 0; p < seg.Length; p++)
            {
                if (_mask[seg.Start + p] == 0) continue;
                if (p == 0) throw new InvalidDataException("an action token at position 0 has no state before it; use a BOS token");
                if (_rowTok.Count > _episodeFirstRow) _rowNext[^1] = _rowTok.Count;
                _rowSeg.Add(seg.Index);
                _rowPos.Add(p - 1);
                _rowTok.Add(_tokens[seg.Start + p]);
                _rowRew.Add(_rewards[seg.Start + p]);
                _rowNext.Add(-1);
                _rowDone.Add(0);
                _rowBoot.Add((-1, -1));
            }
        }

        public void SetBootstrap(int segment, int position)
        {
            if (_rowTok.Count > _episodeFirstRow) _rowBoot[^1] = (segment, position);
        }

        public void EndEpisode(double ret, bool success, bool done)
        {
            if (_rowTok.Count > _episodeFirstRow && done) _rowDone[^1] = 1;
            _epRows.Add(_rowTok.Count);
            _epRet.Add(ret);
            _epSucc.Add(success);
        }

        public OfflineDataset Finish(SegmentMode mode) => new()
        {
            Tokens = [.. _tokens],
            SegmentOffsets = [.. _offsets],
            ActionMask = [.. _mask],
            Multiplicity = [.. _mult],
            RowSegment = [.. _rowSeg],
            RowStatePosition = [.. _rowPos],
            RowToken = [.. _rowTok],
            RowReward = [.. _rowRew],
            RowNext = [.. _rowNext],
            RowDone = [.. _rowDone],
            RowBootstrap = [.. _rowBoot],
            EpisodeRowOffsets = [.. _epRows],
            EpisodeReturn = [.. _epRet],
            EpisodeSuccess = [.. _epSucc],
            Mode = mode,
        };
    }
}
