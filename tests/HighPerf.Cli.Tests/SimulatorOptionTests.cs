using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using HighPerf.Cli.Commands;
using HighPerf.Llama;

namespace HighPerf.Cli.Tests;

[Collection("cli")]
public sealed class SimulatorOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cli-sim-").FullName;

    public void Dispose()
    {
        GymCommandSupport.Input = Console.In;
        Directory.Delete(_dir, true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.Run(args);

    private string TinyModel()
    {
        var path = Path.Combine(_dir, "oracle.gguf");
        TinyModelFactory.Create(path, ["Answer the question about the object truthfully. object: question: answer (yes or no): yes no", "User: Assistant: Yes. No."],
            new TinyModelSpec { Seed = 9 });
        return path;
    }

    [Theory]
    [InlineData("scripted", SimulatorKind.Scripted, null, null, null)]
    [InlineData("llama:models/o.gguf", SimulatorKind.Llama, "models/o.gguf", null, null)]
    [InlineData("openai:http://127.0.0.1:8080/v1", SimulatorKind.OpenAi, null, "http://127.0.0.1:8080/v1", "local")]
    [InlineData("openai:http://127.0.0.1:8080/v1,model=qwen2.5-0.5b", SimulatorKind.OpenAi, null, "http://127.0.0.1:8080/v1", "qwen2.5-0.5b")]
    public void Simulator_values_parse(string value, SimulatorKind kind, string? path, string? url, string? model)
    {
        var spec = SimulatorSpec.Parse(value, out var error);
        Assert.Null(error);
        Assert.Equal(new SimulatorSpec(kind, path, url is null ? null : new Uri(url), model), spec);
    }

    [Theory]
    [InlineData("llama:", "path of a GGUF")]
    [InlineData("openai:ftp://127.0.0.1/v1", "absolute http(s) base URL")]
    [InlineData("openai:not a url", "absolute http(s) base URL")]
    [InlineData("openai:http://127.0.0.1:8080/v1,temperature=1", "unknown or empty setting")]
    [InlineData("openai:http://127.0.0.1:8080/v1,model=", "unknown or empty setting")]
    [InlineData("gpt", "unknown simulator 'gpt'")]
    public void Malformed_simulator_values_are_usage_errors(string value, string message)
    {
        foreach (var command in new[] { "eval", "play" })
        {
            string[] args = command == "eval"
                ? ["eval", "--task", "twenty-questions", "--policy", "expert", "--episodes", "1", "--simulator", value]
                : ["play", "--task", "twenty-questions", "--simulator", value];
            var (code, _, err) = Run(args);
            Assert.Equal(GymCommandSupport.UsageError, code);
            Assert.Contains(message, err);
            Assert.Contains("Usage: highperf " + command, err);
        }
    }

    [Fact]
    public void Simulator_on_a_non_dialogue_task_is_a_usage_error()
    {
        var (code, _, err) = Run("eval", "--task", "maze-fo", "--policy", "expert", "--episodes", "1", "--simulator", "scripted");
        Assert.Equal(GymCommandSupport.UsageError, code);
        Assert.Contains("only to the dialogue tasks", err);
        (code, _, err) = Run("play", "--task", "wordle", "--simulator", "llama:x.gguf");
        Assert.Equal(GymCommandSupport.UsageError, code);
        Assert.Contains("not 'wordle'", err);
    }

    [Fact]
    public void Missing_llama_model_is_a_clear_error()
    {
        var missing = Path.Combine(_dir, "missing.gguf");
        var (code, _, err) = Run("eval", "--task", "guess-my-city", "--policy", "expert", "--episodes", "1", "--simulator", "llama:" + missing);
        Assert.Equal(GymCommandSupport.UsageError, code);
        Assert.Contains(missing, err);
        Assert.Contains("not found", err);
    }

    [Fact]
    public void Eval_and_play_run_twenty_questions_on_a_local_gguf()
    {
        var model = TinyModel();
        var (code, output, err) = Run("eval", "--task", "twenty-questions", "--policy", "expert", "--episodes", "2", "--simulator", "llama:" + model);
        Assert.True(code == 0, err);
        Assert.Contains("simulator: local-gguf " + model, output);
        Assert.Contains("success rate", output);
        GymCommandSupport.Input = new StringReader("Is it an animal?\nIs it a vehicle?\n");
        (code, output, err) = Run("play", "--task", "twenty-questions", "--seed", "3", "--simulator", "llama:" + model);
        Assert.True(code == 0, err);
        var replies = output.Split('\n').Where(l => l.TrimStart('>', ' ').Trim() is "Yes." or "No.").ToList();
        Assert.Equal(2, replies.Count); // each question got a normalized oracle answer
        // The scripted simulator stays the default and can be named.
        (code, output, err) = Run("eval", "--task", "twenty-questions", "--policy", "expert", "--episodes", "2", "--simulator", "scripted");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("simulator:", output);
    }

    [Fact]
    public void Unreachable_openai_endpoint_fails_with_a_message_naming_it()
    {
        // A loopback port nobody listens on: connection refused, never a non-loopback address.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var (code, _, err) = Run("eval", "--task", "twenty-questions", "--policy", "expert", "--episodes", "1", "--simulator", $"openai:http://127.0.0.1:{port}/v1,model=none");
        Assert.Equal(1, code);
        Assert.Contains("the simulator failed", err);
        Assert.Contains($"127.0.0.1:{port}", err);
    }
}
