using System.CommandLine;
using System.Text.Json;
using HighPerf.Cli.Commands;
using HighPerf.Gym.Data;

namespace HighPerf.Cli.Tests;

[CollectionDefinition("cli", DisableParallelization = true)]
public class CliCollection;

[Collection("cli")]
public sealed class GymCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cli-gym-").FullName;

    public void Dispose()
    {
        GymCommandSupport.Input = Console.In;
        Directory.Delete(_dir, true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    [Fact]
    public void Tasks_lists_every_gym_task_with_constants()
    {
        var (code, output, _) = Run("tasks");
        Assert.Equal(0, code);
        foreach (var name in new[] { "maze-fo", "maze-po", "textnav-fo", "textnav-po", "wordle" }) Assert.Contains(name, output);
        Assert.Contains("-6/-4.12/-1.94", output);
    }

    [Fact]
    public void Eval_prints_summary_and_writes_reports()
    {
        var path = Path.Combine(_dir, "report.json");
        var (code, output, err) = Run("eval", "--task", "maze-fo", "--policy", "expert", "--episodes", "50", "--seed", "4", "--out", path);
        Assert.True(code == 0, err);
        Assert.Contains("| success rate | 1.000 ± 0.000 |", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(50, doc.RootElement.GetProperty("episodes").GetInt32());
        Assert.Equal(4, doc.RootElement.GetProperty("seed").GetInt32());
        Assert.True(File.Exists(Path.ChangeExtension(path, ".md")));
        Assert.Equal(2, Directory.GetFiles(_dir).Length); // no temp leftovers
    }

    [Fact]
    public void Dataset_writes_jsonl_and_stats_deterministically()
    {
        var a = Path.Combine(_dir, "a.jsonl");
        var b = Path.Combine(_dir, "b.jsonl");
        var (code, output, err) = Run("dataset", "--task", "textnav-po", "--out", a, "--episodes", "40", "--seed", "2");
        Assert.True(code == 0, err);
        Assert.Contains("wrote 40 episodes", output);
        Assert.Contains("paper", output);
        Assert.Equal(0, Run("dataset", "--task", "textnav-po", "--out", b, "--episodes", "40", "--seed", "2").Code);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(40, EpisodeJsonl.Read(a).Count());
        using var stats = JsonDocument.Parse(File.ReadAllText(a + ".stats.json"));
        Assert.Equal(40, stats.RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Dataset_filtered_bc_keeps_only_successes()
    {
        var path = Path.Combine(_dir, "f.jsonl");
        var (code, output, _) = Run("dataset", "--task", "maze-fo", "--out", path, "--episodes", "200", "--filtered-bc");
        Assert.Equal(0, code);
        Assert.Contains("filtered BC (success)", output);
        Assert.All(EpisodeJsonl.Read(path), e => Assert.True(e.Success));
    }

    [Fact]
    public void Play_reads_actions_from_piped_input()
    {
        GymCommandSupport.Input = new StringReader("move up\nmove left\nhello\n");
        var (code, output, _) = Run("play", "--task", "maze-po", "--seed", "1");
        Assert.Equal(0, code);
        Assert.Contains("== reward -1", output);
        Assert.Contains("== reward -4", output); // "hello" is invalid
        Assert.Contains("input ended; episode abandoned after 3 actions, return so far -6", output);
    }

    [Fact]
    public void Play_wordle_to_the_end()
    {
        GymCommandSupport.Input = new StringReader(string.Concat(Enumerable.Repeat("zzzzz\n", 6)));
        var (code, output, _) = Run("play", "--task", "wordle");
        Assert.Equal(0, code);
        Assert.Contains("Wordle:", output);
        Assert.Contains("episode over after 6 actions: return -6, no success", output);
    }

    [Theory]
    [InlineData("eval", "--task", "maze-fo")]                                   // missing --policy
    [InlineData("eval", "--task", "maze-fo", "--policy", "genius")]            // not among the choices
    [InlineData("eval", "--task", "maze-fo", "--policy", "expert", "-n", "0")] // non-positive episodes
    [InlineData("dataset", "--task", "maze-fo")]                               // missing --out
    [InlineData("play")]                                                        // missing --task
    [InlineData("frobnicate")]
    public void Wrong_arguments_print_usage_and_fail(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains("Usage:", output + err);
    }

    [Fact]
    public void Unknown_task_names_the_known_ones()
    {
        var (code, _, err) = Run("eval", "--task", "chessmaster", "--policy", "random");
        Assert.Equal(2, code);
        Assert.Contains("unknown task 'chessmaster'", err);
        Assert.Contains("maze-fo", err);
    }

    [Fact]
    public void Main_returns_non_zero_without_a_command()
    {
        var saved = (Console.Out, Console.Error);
        Console.SetOut(new StringWriter());
        Console.SetError(new StringWriter());
        try
        {
            Assert.NotEqual(0, Program.Main(["eval"]));
            Assert.Equal(0, Program.Main(["tasks"]));
        }
        finally
        {
            Console.SetOut(saved.Item1);
            Console.SetError(saved.Item2);
        }
    }
}
