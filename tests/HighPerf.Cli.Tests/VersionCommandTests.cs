namespace HighPerf.Cli.Tests;

[Collection("cli")]
public sealed class VersionCommandTests
{
    [Fact]
    public void Version_reports_the_native_kernel_library_and_llama_cpp()
    {
        var output = new StringWriter();
        var code = Program.BuildRoot().Parse(["version"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() });
        Assert.Equal(0, code);
        var text = output.ToString();
        Assert.Contains("libhighperf 0.1.0", text);          // the native library shipped next to the app was found
        Assert.Contains("kernel backend by default: NativeCpu", text);
        Assert.Matches(@"llama\.cpp 0\.5\.0", text);          // the pinned release (DESIGN D2)
    }

    [Fact]
    public void Unknown_command_prints_usage_and_fails()
    {
        var error = new StringWriter();
        var code = Program.BuildRoot().Parse(["no-such-command"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.NotEqual(0, code);
        Assert.Contains("no-such-command", error.ToString());
    }
}

[Collection("cli")]
public sealed class InputErrorTests
{
    [Fact]
    public void Corrupt_model_file_gives_one_error_line_naming_the_file_and_exit_1()
    {
        var path = Path.Combine(Path.GetTempPath(), $"highperf-corrupt-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0x5A, 4096).ToArray()); // long enough for a header, wrong magic
        try
        {
            var error = new StringWriter();
            var code = Program.Run(["train", "--task", "maze-fo", "--algo", "bc", "--model", path, "--dataset-episodes", "4",
                "--out", Path.Combine(Path.GetTempPath(), $"highperf-corrupt-out-{Guid.NewGuid():N}")],
                new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
            Assert.Equal(1, code);
            var text = error.ToString();
            Assert.StartsWith("error: ", text);
            Assert.Contains(path, text);
            Assert.Contains("not a GGUF file", text);
            Assert.DoesNotContain("   at ", text); // no stack trace
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Online-training options are checked before any work: one error line naming the option, no trace.</summary>
[Collection("cli")]
public sealed class OnlineOptionErrorTests
{
    private static (int Code, string Err) Train(params string[] extra)
    {
        var error = new StringWriter();
        var dir = Path.Combine(Path.GetTempPath(), $"highperf-online-opts-{Guid.NewGuid():N}");
        var code = Program.Run(["train", "--task", "maze-fo", "--out", dir, .. extra],
            new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.False(File.Exists(Path.Combine(dir, "dataset.jsonl"))); // rejected before any work
        return (code, error.ToString());
    }

    [Theory]
    [InlineData("--lambda", "1.5", "Lambda")]
    [InlineData("--clip", "1", "ClipEpsilon")]
    [InlineData("--gamma", "-0.1", "Gamma")]
    [InlineData("--lr", "NaN", "LearningRate")]
    public void Out_of_range_ppo_option_gives_one_error_line(string option, string value, string name)
    {
        var (code, err) = Train("--algo", "ppo", option, value);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(name, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void Negative_sizes_and_unknown_algorithms_are_usage_errors()
    {
        var (code, err) = Train("--algo", "ppo", "--rollouts", "-3");
        Assert.NotEqual(0, code);
        Assert.Contains("--rollouts must be a positive integer", err);
        (code, err) = Train("--algo", "reinforce");
        Assert.NotEqual(0, code);
        Assert.Contains("reinforce", err);
        (code, err) = Train("--algo", "online-bc", "--keep-fraction", "0");
        Assert.Equal(1, code);
        Assert.Contains("KeepFraction", err);
    }
}
