using HighPerf.Gym.Core;
using HighPerf.Gym.TextNav;

namespace HighPerf.Gym.Tests.TextNav;

public class TextNavTests
{
    [Fact]
    public void Po_kitchen_start_and_open_fridge_transcript()
    {
        var env = new TextNavEnvironment(fullyObserved: false);
        var h = env.ResetAt(Room.Kitchen);
        Assert.Equal(
            "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.\n\n" +
            "You can see a closed fridge. There are unblocked exits to the east, north and west.\n\n" +
            "Admissible commands: go east, go north, go west, open fridge\n", h.Render());
        var s = env.Step(h.AppendAction("open fridge\n"));
        Assert.Equal("You open the fridge, revealing a fruit.\n\nAdmissible commands: close fridge, go east, go north, go west, take fruit from fridge\n", s.History.Items[^1].Text);
        Assert.Equal(0, s.Reward);
        Assert.False(s.Done);
    }

    [Fact]
    public void Fo_shows_room_and_inventory()
    {
        // As upstream's TextNavEnv: the inventory is appended by _step (after each action), not at reset.
        var env = new TextNavEnvironment(fullyObserved: true);
        var h = env.ResetAt(Room.LivingRoom);
        Assert.Equal(
            "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.\n\n" +
            "You are in the living room. You make out a table. On the table you can see a stale food and a fresh food. There are unblocked exits to the east, south and west.\n\n" +
            "Admissible commands: go east, go south, go west, take fresh food from table, take stale food from table\n", h.Render());
        var s = env.Step(h.AppendAction("take stale food from table\n"));
        Assert.Equal("You take the stale food from the table.\n\nYou are carrying: a stale food.\n\n" +
                     "Admissible commands: drop stale food, eat stale food, go east, go south, go west, put stale food on table, take fresh food from table\n", s.History.Items[^1].Text);
        var s2 = env.Step(s.History.AppendAction("put stale food on table\n"));
        Assert.Contains("\n\nYou are carrying nothing.\n\nAdmissible commands: ", s2.History.Items[^1].Text);
    }

    [Fact]
    public void Optimal_walkthrough_wins_with_reward_one()
    {
        var env = new TextNavEnvironment(fullyObserved: true);
        var h = env.ResetAt(Room.LivingRoom);
        string[] walk = ["take stale food from table", "go west", "go west", "open fridge", "insert stale food into fridge", "close fridge"];
        StepResult s = default;
        double ret = 0;
        foreach (var cmd in walk)
        {
            s = env.Step(h.AppendAction(cmd + "\n"));
            ret += s.Reward;
            h = s.History;
            if (cmd != "close fridge") Assert.False(s.Done);
        }
        Assert.True(s.Done);
        Assert.Equal(1, s.Reward);
        Assert.Equal(1, ret);
        Assert.True(env.Succeeded);
        Assert.Contains("*** The End ***", h.Items[^1].Text);
        Assert.DoesNotContain("Admissible", h.Items[^1].Text);
    }

    [Fact]
    public void Eating_stale_food_fails()
    {
        var env = new TextNavEnvironment(false);
        var h = env.ResetAt(Room.LivingRoom);
        h = env.Step(h.AppendAction("take stale food from table\n")).History;
        var s = env.Step(h.AppendAction("eat stale food\n"));
        Assert.True(s.Done);
        Assert.Equal(0, s.Reward);
        Assert.False(env.Succeeded);
        Assert.Contains("You lost", s.History.Items[^1].Text);
    }

    [Theory]
    [InlineData("dance wildly\n", "You can't see any such thing.")]
    [InlineData("go up\n", "You can't see any such thing.")]
    [InlineData("go north\n", "You can't go that way.")]
    [InlineData("take bowl from table\n", "You can't see any such thing.")]
    [InlineData("insert fruit into fridge\n", "You can't see any such thing.")]
    [InlineData("\n", "You can't see any such thing.")]
    public void Invalid_commands_change_nothing_and_never_throw(string cmd, string feedback)
    {
        var env = new TextNavEnvironment(false);
        var h = env.ResetAt(Room.LivingRoom);
        var s = env.Step(h.AppendAction(cmd));
        Assert.StartsWith(feedback + "\n", s.History.Items[^1].Text);
        Assert.Equal(0, s.Reward);
        Assert.Equal(Room.LivingRoom, env.Game.Player);
        Assert.Equal(Place.Table, env.Game.PlaceOf(Item.StaleFood));
    }

    [Fact]
    public void Insert_into_closed_fridge_is_refused_and_case_is_ignored()
    {
        var env = new TextNavEnvironment(true);
        var h = env.ResetAt(Room.LivingRoom);
        h = env.Step(h.AppendAction("TAKE Stale Food from table\n")).History;
        h = env.Step(h.AppendAction("go west\n")).History;
        h = env.Step(h.AppendAction("go west\n")).History;
        var s = env.Step(h.AppendAction("insert stale food into fridge\n"));
        Assert.StartsWith("You have to open the fridge first.", s.History.Items[^1].Text);
        Assert.Equal(Place.Inventory, env.Game.PlaceOf(Item.StaleFood));
    }

    [Fact]
    public void Fifteen_step_cap()
    {
        var env = new TextNavEnvironment(true);
        var h = env.ResetAt(Room.Garden);
        StepResult s = default;
        for (var i = 0; i < 15; i++)
        {
            s = env.Step(h.AppendAction(i % 2 == 0 ? "go south\n" : "go north\n"));
            h = s.History;
            Assert.Equal(i == 14, s.Done);
        }
        Assert.False(env.Succeeded);
        Assert.Throws<InvalidOperationException>(() => env.Step(h.AppendAction("go south\n")));
    }

    [Fact]
    public void Room_graph_matches_spec()
    {
        Assert.Equal(Room.LivingRoom, TextNavWorld.Exit(Room.Bedroom, Direction.West));
        Assert.Equal(Room.Backyard, TextNavWorld.Exit(Room.Kitchen, Direction.West));
        Assert.Equal(Room.Garden, TextNavWorld.Exit(Room.Kitchen, Direction.North));
        Assert.Equal(Room.Bathroom, TextNavWorld.Exit(Room.Office, Direction.East));
        Assert.Equal(Room.Bathroom, TextNavWorld.Exit(Room.Bedroom, Direction.South));
        Assert.Null(TextNavWorld.Exit(Room.Garden, Direction.North));
        Assert.Equal(3, TextNavWorld.Distance(Room.Garden, Room.LivingRoom));
        Assert.Equal(4, TextNavWorld.Distance(Room.Backyard, Room.Bedroom));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Planner_wins_from_every_room(bool fo)
    {
        foreach (var room in Enum.GetValues<Room>())
        {
            var env = new TextNavEnvironment(fo);
            var h = env.ResetAt(room);
            var planner = new TextNavExpertPolicy(env);
            StepResult s;
            var n = 0;
            do
            {
                s = env.Step(h.AppendAction(planner.Act(h, new Random(0))));
                h = s.History;
                n++;
            } while (!s.Done);
            Assert.True(env.Succeeded, room.ToString());
            Assert.Equal(TextNavWorld.Distance(room, Room.LivingRoom) + 1 + 2 + 3, n); // walk, take, 2 rooms to the kitchen, open/insert/close
        }
    }

    [Fact]
    public void Last_admissible_reads_the_latest_observation_only()
    {
        var env = TaskRegistry.Get("textnav-fo").CreateEnvironment();
        var start = env.Reset(3);
        var commands = TextNavEnvironment.LastAdmissible(start);
        Assert.NotEmpty(commands);
        Assert.Equal(TextNavEnvironment.ParseAdmissible(start.Items[^1].Text), commands);
        var acted = start.AppendAction(commands[0] + "\n");
        Assert.Empty(TextNavEnvironment.LastAdmissible(acted)); // the latest item is the agent's, not an observation
        var next = env.Step(acted).History;
        Assert.Equal(TextNavEnvironment.ParseAdmissible(next.Items[^1].Text), TextNavEnvironment.LastAdmissible(next));
        Assert.Empty(TextNavEnvironment.LastAdmissible(TextHistory.Empty));
    }

    [Fact]
    public void Random_policy_only_plays_admissible_commands_and_is_deterministic()
    {
        var task = TaskRegistry.Get("textnav-po");
        var a = EpisodeRunner.RunAll(task.CreateEnvironment, task.GetPolicy("random"), 30, task.RunOptions(4));
        var b = EpisodeRunner.RunAll(task.CreateEnvironment, task.GetPolicy("random"), 30, task.RunOptions(4));
        Assert.Equal(a.Select(r => r.Trajectory.ToHistory().Render()), b.Select(r => r.Trajectory.ToHistory().Render()));
        foreach (var r in a)
        {
            var items = r.Trajectory.Items;
            for (var i = 1; i < items.Length; i++)
                if (items[i].IsAction)
                    Assert.Contains(items[i].Text.TrimEnd('\n'), TextNavEnvironment.ParseAdmissible(items[i - 1].Text));
            Assert.True(r.Length <= 15);
        }
    }

    [Fact]
    public void Behavior_dataset_statistics_near_table_1()
    {
        var task = TaskRegistry.Get("textnav-fo");
        var data = task.GenerateDataset(1500, 2).ToList();
        var success = data.Average(r => r.Success ? 1.0 : 0.0);
        Assert.InRange(success, 0.18, 0.34); // Table 1: 0.26
        Assert.All(data, r => Assert.Equal(r.Success ? 1.0 : 0.0, r.Return));
    }
}
