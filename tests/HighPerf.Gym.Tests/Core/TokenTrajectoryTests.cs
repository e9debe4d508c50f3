using System.Collections.Immutable;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Tests.Core;

public class TokenTrajectoryTests
{
    // A toy tokenizer: one token per whitespace-separated word plus one per "\n".
    private static int[] Tok(string s)
    {
        var ids = new List<int>();
        foreach (var part in s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var word = part.TrimEnd('\n');
            if (word.Length > 0) ids.Add(word.Length);
            if (part.EndsWith('\n')) ids.Add(99);
        }
        return [.. ids];
    }

    private static TextTrajectory Sample() => new(
        [TextItem.Observation("hello world\n"), TextItem.Action("move up\n"), TextItem.Observation("ok\n"), TextItem.Action("go\n")],
        [0.0, -1.0, 0.0, 2.5],
        done: true);

    [Fact]
    public void Mask_and_reward_on_last_token_of_each_action()
    {
        var t = TokenTrajectory.FromText(Sample(), Tok);
        Assert.Equal(new[] { 5, 5, 99, 4, 2, 99, 2, 99, 2, 99 }, t.Tokens);
        Assert.Equal(new[] { false, false, false, true, true, true, false, false, true, true }, t.IsAction);
        Assert.Equal(new[] { 0f, 0, 0, 0, 0, -1, 0, 0, 0, 2.5f }, t.Rewards);
        Assert.Equal(new[] { 3, 6, 8, 10 }, t.ItemEnds);
        Assert.True(t.Done);
        Assert.Equal(t.Rewards.Sum(), (float)Sample().Return);
        Assert.Equal(4f, t.ActionMaskAsFloat().Sum() - 1f); // 5 action tokens
    }

    [Fact]
    public void Left_truncation_drops_whole_items_first()
    {
        var t = TokenTrajectory.FromText(Sample(), Tok, maxTokens: 7);
        Assert.Equal(1, t.TruncatedItems);
        Assert.Equal(7, t.Length);
        Assert.Equal(-1f, t.Rewards[2]);
        var cut = TokenTrajectory.FromText(Sample(), Tok, maxTokens: 1);
        Assert.Equal(new[] { 99 }, cut.Tokens);
        Assert.Equal(new[] { 2.5f }, cut.Rewards);
    }

    [Fact]
    public void Reward_on_action_with_no_tokens_is_an_error()
    {
        var traj = new TextTrajectory([TextItem.Observation("a\n"), TextItem.Action("   ")], [0.0, -1.0], false);
        var ex = Assert.Throws<ArgumentException>(() => TokenTrajectory.FromText(traj, Tok));
        Assert.Contains("item 1", ex.Message);
    }

    [Fact]
    public void Observation_rewards_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new TextTrajectory([TextItem.Observation("x\n")], ImmutableArray.Create(1.0), true));
    }

    [Fact]
    public void History_mirror_has_zero_rewards()
    {
        var h = TextHistory.Empty.AppendObservation("a b\n").AppendAction("c\n");
        var t = TokenTrajectory.FromHistory(h, Tok);
        Assert.All(t.Rewards, r => Assert.Equal(0f, r));
        Assert.Equal(new[] { false, false, false, true, true }, t.IsAction);
    }
}
