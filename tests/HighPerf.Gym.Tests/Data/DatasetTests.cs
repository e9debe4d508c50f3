using HighPerf.Gym.Core;
using HighPerf.Gym.Data;

namespace HighPerf.Gym.Tests.Data;

public sealed class DatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gym-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Round_trip_preserves_everything_and_leaves_no_temp_files()
    {
        var task = TaskRegistry.Get("wordle");
        var episodes = task.GenerateDataset(50, 3).ToList();
        var path = Path.Combine(_dir, "w.jsonl");
        Assert.Equal(50, EpisodeJsonl.Write(path, episodes));
        var back = EpisodeJsonl.Read(path).ToList();
        Assert.Equal(episodes.Count, back.Count);
        for (var i = 0; i < back.Count; i++)
        {
            Assert.Equal(episodes[i].Task, back[i].Task);
            Assert.Equal(episodes[i].Seed, back[i].Seed);
            Assert.Equal(episodes[i].Success, back[i].Success);
            Assert.Equal(episodes[i].Done, back[i].Done);
            Assert.Equal(episodes[i].Trajectory.Items.ToArray(), back[i].Trajectory.Items.ToArray());
            Assert.Equal(episodes[i].Trajectory.Rewards.ToArray(), back[i].Trajectory.Rewards.ToArray());
        }
        Assert.Equal(new[] { "w.jsonl" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
        var first = File.ReadLines(path).First();
        Assert.StartsWith("{\"schema\":\"highperf.gym.episode/v1\",\"task\":\"wordle\"", first);
        Assert.Contains("\"text\":\"Wordle:\\n\",\"is_action\":false,\"reward\":0", first);
    }

    [Fact]
    public void Same_seed_same_dataset_bytes()
    {
        var task = TaskRegistry.Get("maze-po");
        var a = Path.Combine(_dir, "a.jsonl");
        var b = Path.Combine(_dir, "b.jsonl");
        EpisodeJsonl.Write(a, task.GenerateDataset(100, 8));
        EpisodeJsonl.Write(b, task.GenerateDataset(100, 8));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Theory]
    [InlineData("{not json", "invalid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"schema\":\"other/v9\"}", "unsupported schema")]
    [InlineData("{\"schema\":\"highperf.gym.episode/v1\",\"task\":\"t\",\"seed\":1,\"items\":[{\"text\":\"o\\n\",\"is_action\":false,\"reward\":1}],\"done\":true,\"return\":1,\"success\":true}", "non-zero reward")]
    [InlineData("{\"schema\":\"highperf.gym.episode/v1\",\"task\":\"t\",\"seed\":1,\"items\":[{\"text\":\"a\\n\",\"is_action\":true,\"reward\":-1}],\"done\":true,\"return\":5,\"success\":true}", "does not equal the sum")]
    [InlineData("{\"schema\":\"highperf.gym.episode/v1\",\"task\":\"t\",\"seed\":1,\"items\":[{\"text\":3,\"is_action\":true,\"reward\":-1}],\"done\":true,\"return\":-1,\"success\":true}", "'items[0].text' must be a string")]
    [InlineData("{\"schema\":\"highperf.gym.episode/v1\",\"task\":\"t\",\"seed\":1,\"items\":[],\"return\":0,\"success\":true}", "missing 'done'")]
    public void Malformed_line_names_file_and_line(string bad, string why)
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        var good = EpisodeJsonl.ToLine(TaskRegistry.Get("maze-fo").GenerateDataset(1, 1).Single());
        File.WriteAllLines(path, [good, "", good, bad, good]);
        var read = new List<EpisodeRecord>();
        var ex = Assert.Throws<DatasetFormatException>(() => { foreach (var e in EpisodeJsonl.Read(path)) read.Add(e); });
        Assert.Equal(4, ex.Line);
        Assert.StartsWith($"{path}:4: ", ex.Message);
        Assert.Contains(why, ex.Message);
        Assert.Equal(2, read.Count); // streaming: the good lines before it were delivered
    }

    [Fact]
    public void Failed_write_keeps_old_file_and_removes_temp()
    {
        var path = Path.Combine(_dir, "keep.jsonl");
        File.WriteAllText(path, "old\n");
        IEnumerable<EpisodeRecord> Boom()
        {
            yield return TaskRegistry.Get("maze-fo").GenerateDataset(1, 1).Single();
            throw new InvalidOperationException("generator failed");
        }
        Assert.Throws<InvalidOperationException>(() => EpisodeJsonl.Write(path, Boom()));
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Missing_file_and_directory_errors_are_clear()
    {
        Assert.Throws<FileNotFoundException>(() => EpisodeJsonl.Read(Path.Combine(_dir, "none.jsonl")));
        var ex = Assert.Throws<DirectoryNotFoundException>(() => EpisodeJsonl.Write(Path.Combine(_dir, "no", "x.jsonl"), []));
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void Statistics_match_hand_computation()
    {
        EpisodeRecord Ep(int len, double ret, bool ok)
        {
            var items = new List<TextItem> { TextItem.Observation("o\n") };
            var rewards = new List<double> { 0 };
            for (var i = 0; i < len; i++)
            {
                items.Add(TextItem.Action("a\n"));
                rewards.Add(i == len - 1 ? ret : 0);
                items.Add(TextItem.Observation("o\n"));
                rewards.Add(0);
            }
            return new EpisodeRecord("t", 0, new TextTrajectory([.. items], [.. rewards], true), ok);
        }
        var s = DatasetStatistics.Compute([Ep(2, -1, false), Ep(4, -3, true), Ep(6, -5, true)]);
        Assert.Equal(3, s.Count);
        Assert.Equal(4, s.AvgLength, 12);
        Assert.Equal(Math.Sqrt(8.0 / 3), s.StdLength, 12);
        Assert.Equal(2.0 / 3, s.SuccessRate, 12);
        Assert.Equal(-3, s.AvgReturn, 12);
        Assert.Equal(Math.Sqrt(8.0 / 3), s.StdReturn, 12);
        Assert.Contains("\"success_rate\": 0.6666", s.ToJson("t"));
    }
}
