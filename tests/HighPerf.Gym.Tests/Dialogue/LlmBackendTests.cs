using System.Diagnostics;
using System.Text.RegularExpressions;
using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.CarDealer;
using HighPerf.Gym.Dialogue.GuessMyCity;
using HighPerf.Gym.Dialogue.Simulators;
using HighPerf.Gym.Dialogue.TwentyQuestions;

namespace HighPerf.Gym.Tests.Dialogue;

public partial class LlmBackendTests
{
    private static readonly GenerationOptions Fast = new() { Timeout = TimeSpan.FromSeconds(10), MaxRetries = 2, MaxTokens = 8 };

    /// <summary>A fake "model" that reads the oracle prompt like a well-behaved LLM would: it finds the object and the
    /// question in the user message and answers with chatty yes/no text.</summary>
    private static string TwentyQuestionsModel(IReadOnlyList<(string Role, string Content)> messages)
    {
        var user = messages.Last(m => m.Role == "user").Content;
        var obj = ObjectLine().Match(user).Groups[1].Value.Split(", ")[0];
        var question = QuestionLine().Match(user).Groups[1].Value;
        var answer = new ScriptedTwentyQuestionsOracle().Answer(TwentyQuestionsKnowledgeBase.Default.Find(obj), question);
        return answer == "Yes." ? " yes, it is" : "No";
    }

    [GeneratedRegex(@"object: \((.*)\)")]
    private static partial Regex ObjectLine();

    [GeneratedRegex(@"question: (.*)")]
    private static partial Regex QuestionLine();

    [Fact]
    public void OpenAi_backend_plays_twenty_questions_end_to_end_against_loopback_server()
    {
        using var server = new FakeOpenAiServer(TwentyQuestionsModel);
        var generator = new OpenAiCompatibleGenerator(new OpenAiEndpoint(server.BaseUrl, "fake-oracle"));
        var env = new TwentyQuestionsEnvironment(new LlmTwentyQuestionsOracle(generator, Fast));
        var h = env.Reset(TwentyQuestionsKnowledgeBase.Default.Find("Dog"));
        var r1 = env.Step(h.AppendAction("Is it an animal?\n"));
        Assert.Equal("Yes.\n", r1.History.Last!.Value.Text);
        var r2 = env.Step(r1.History.AppendAction("Is it a cat?\n"));
        Assert.Equal("No.\n", r2.History.Last!.Value.Text);
        var r3 = env.Step(r2.History.AppendAction("Is it a dog?\n"));
        Assert.Equal((0.0, true), (r3.Reward, r3.Done));
        Assert.Equal(3, server.Requests);

        var body = server.Bodies[0];
        Assert.Equal("fake-oracle", body["model"]!.GetValue<string>());
        var messages = body["messages"]!.AsArray();
        Assert.Contains("secret object is \"Dog\"", messages[0]!["content"]!.ToString());
        Assert.Contains("Answer the question about the object truthfully.\nobject: (Dog)\nquestion: Is it an animal?\nanswer (yes or no): ", messages[1]!["content"]!.ToString());

        // The expert questioner, driven by the knowledge base, wins against the LLM-backed oracle too.
        var episode = DialogueTasks.RunEpisode(DialogueTasks.TwentyQuestions, new TwentyQuestionsEnvironment(new LlmTwentyQuestionsOracle(generator, Fast)),
            TwentyQuestionsPolicies.Expert(), seed: 11);
        Assert.True(episode.Success, episode.History.Render());
    }

    [Fact]
    public void Transient_server_errors_are_retried()
    {
        using var server = new FakeOpenAiServer(TwentyQuestionsModel) { FailFirst = 2 };
        var oracle = new LlmTwentyQuestionsOracle(new OpenAiCompatibleGenerator(new OpenAiEndpoint(server.BaseUrl, "m")), Fast);
        var answer = oracle.Respond(TwentyQuestionsKnowledgeBase.Default.Find("Banana"), [new DialogueTurn(DialogueRole.Agent, "Is it a fruit?")]);
        Assert.Equal("Yes.", answer);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public void Persistent_errors_and_timeouts_give_clear_exceptions()
    {
        using var failing = new FakeOpenAiServer(TwentyQuestionsModel) { FailFirst = int.MaxValue, StatusForFailures = 401 };
        var gen = new OpenAiCompatibleGenerator(new OpenAiEndpoint(failing.BaseUrl, "m"));
        var e = Assert.Throws<DialogueSimulatorException>(() => gen.Generate([new ChatTurn(ChatRole.User, "hi")], Fast));
        Assert.Contains("401", e.Message);
        Assert.Contains(failing.BaseUrl.ToString(), e.Message);

        using var slow = new FakeOpenAiServer(_ => "yes") { Delay = TimeSpan.FromSeconds(3) };
        var slowGen = new OpenAiCompatibleGenerator(new OpenAiEndpoint(slow.BaseUrl, "m"));
        var sw = Stopwatch.StartNew();
        var t = Assert.Throws<DialogueSimulatorException>(() =>
            slowGen.Generate([new ChatTurn(ChatRole.User, "hi")], Fast with { Timeout = TimeSpan.FromMilliseconds(300), MaxRetries = 0 }));
        Assert.Contains("timed out", t.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");

        using var empty = new FakeOpenAiServer(_ => "   ");
        var emptyGen = new OpenAiCompatibleGenerator(new OpenAiEndpoint(empty.BaseUrl, "m"));
        Assert.Contains("empty completion", Assert.Throws<DialogueSimulatorException>(() => emptyGen.Generate([new ChatTurn(ChatRole.User, "hi")], Fast)).Message);
        Assert.Equal(Fast.MaxRetries + 1, empty.Requests);

        Assert.Throws<ArgumentException>(() => new OpenAiCompatibleGenerator(new OpenAiEndpoint(new Uri("ftp://127.0.0.1/"), "m")));
    }

    [Fact]
    public async Task Async_path_works_and_honours_cancellation()
    {
        using var server = new FakeOpenAiServer(_ => "Yes") { Delay = TimeSpan.FromMilliseconds(50) };
        var gen = new OpenAiCompatibleGenerator(OpenAiEndpoint.Local(server.Port, "m"));
        Assert.Equal("Yes", await gen.GenerateAsync([new ChatTurn(ChatRole.User, "hi")], Fast));
        using var cts = new CancellationTokenSource();
        server.Delay = TimeSpan.FromSeconds(5);
        cts.CancelAfter(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gen.GenerateAsync([new ChatTurn(ChatRole.User, "hi")], Fast, cts.Token));
    }

    [Fact]
    public void City_backend_answers_with_a_single_line_and_env_blocks_leaks()
    {
        // The fake model answers with the scripted oracle, plus a leaking reply for one question.
        using var server = new FakeOpenAiServer(messages =>
        {
            var system = messages[0].Content;
            var city = CityKnowledgeBase.Default.Cities.First(c => system.Contains($"You are from {c.Name},", StringComparison.Ordinal));
            var q = messages[^1].Content;
            return q.Contains("name", StringComparison.Ordinal) ? $"My city is {city.Name}!\nextra" : new ScriptedCityOracle().Answer(city, q) + "\nignored second line";
        });
        var env = new GuessMyCityEnvironment(new LlmCityOracle(new OpenAiCompatibleGenerator(new OpenAiEndpoint(server.BaseUrl, "m")), Fast));
        var h = env.Reset(CityKnowledgeBase.Default.Find("Jakarta"));
        var r = env.Step(h.AppendAction("What is your favorite traditional dish from your hometown?\n"));
        Assert.StartsWith("My favorite traditional dish from my hometown is nasi goreng", r.History.Last!.Value.Text);
        var leak = env.Step(r.History.AppendAction("What is the name of your city?\n"));
        Assert.Equal(CityAnswers.CannotAnswer + "\n", leak.History.Last!.Value.Text);
        var win = env.Step(leak.History.AppendAction("Is the city you are from Jakarta?\n"));
        Assert.Equal((0.0, true), (win.Reward, win.Done));
        var sys = server.Bodies[0]["messages"]![0]!["content"]!.ToString();
        Assert.Contains("Never say the name of the city", sys);
    }

    [Fact]
    public void Car_buyer_backend_parses_the_output_tag_and_forced_decisions()
    {
        var calls = 0;
        using var server = new FakeOpenAiServer(messages =>
        {
            calls++;
            var last = messages[^1].Content;
            if (last.Contains("final decision", StringComparison.Ordinal)) return "Output: Decision=Reject MSRP=$40,000";
            return last.Contains("deal", StringComparison.OrdinalIgnoreCase)
                ? "Fine, I'll take it. Output: Decision=Accept MSRP=$32,000 Buy Price=$29,500"
                : "Tell me more.";
        });
        var buyer = new LlmCarBuyer(new OpenAiCompatibleGenerator(new OpenAiEndpoint(server.BaseUrl, "m")), Fast);
        var env = new CarDealerEnvironment(buyer);
        var h = env.Reset(3);
        var r = env.Step(h.AppendAction("Hello! Welcome.\n"));
        Assert.Equal(("Tell me more.\n", false), (r.History.Last!.Value.Text, r.Done));
        var d = env.Step(r.History.AppendAction("Do we have a deal at $29,500?\n"));
        Assert.True(d.Done);
        Assert.Equal("Fine, I'll take it.\n", d.History.Last!.Value.Text);
        Assert.Equal(new CarDealerOutcome(true, 32000, 29500), env.Outcome);
        Assert.Equal(29500 / ((env.Persona!.Budget + 32000) / 2.0), d.Reward, 9);
        Assert.Contains(env.Persona.ProfileLine, server.Bodies[0]["messages"]![0]!["content"]!.ToString());

        // Forced decision at the 50-item horizon goes through the same backend.
        var env2 = new CarDealerEnvironment(buyer, options: new CarDealerOptions { MaxItems = 5 });
        var h2 = env2.Reset(4);
        var s1 = env2.Step(h2.AppendAction("Hi.\n"));
        var s2 = env2.Step(s1.History.AppendAction("Nice weather.\n"));
        Assert.True(s2.Done);
        Assert.Equal(new CarDealerOutcome(false, 40000, null), env2.Outcome);
        Assert.Equal(-(env2.Persona!.Budget - 40000) / 40000.0, s2.Reward, 9);
    }

    /// <summary>End-to-end against our own llama.cpp <c>llama-server</c> (DESIGN D2): a tiny GGUF made here by
    /// TinyModelFactory, the server from build/native/tools (placed there by the build with llama.cpp) on 127.0.0.1 and
    /// a free port, /health polled until the model is loaded, then 20Qs oracle answers through the OpenAI-compatible
    /// simulator. Fails (does not skip) when the binary is missing. Only 127.0.0.1 is contacted.</summary>
    [Fact]
    public async Task OpenAi_backend_against_llama_server()
    {
        var binary = LlamaServer.Binary();
        var dir = Path.Combine(Path.GetTempPath(), "highperf-llama-server-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var model = Path.Combine(dir, "tiny.gguf");
        var dog = TwentyQuestionsKnowledgeBase.Default.Find("Dog");
        HighPerf.Llama.TinyModelFactory.Create(model,
            [LlmTwentyQuestionsOracle.Instructions(dog), "Answer the question about the object truthfully. object: (Dog) question: Is it an animal? answer (yes or no): yes"],
            new HighPerf.Llama.TinyModelSpec { Seed = 5 });
        var port = FakeOpenAiServer.FreePort();
        using var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "-m", model, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "2048", "-np", "1", "-t", "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"could not start {binary}");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                var deadline = DateTime.UtcNow.AddSeconds(90);
                var healthy = false;
                while (!healthy)
                {
                    Assert.False(process.HasExited, $"llama-server exited with code {(process.HasExited ? process.ExitCode : 0)}:\n{string.Join('\n', log.TakeLast(30))}");
                    Assert.True(DateTime.UtcNow < deadline, $"llama-server did not report healthy within 90 s:\n{string.Join('\n', log.TakeLast(30))}");
                    try
                    {
                        using var r = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                        healthy = r.IsSuccessStatusCode;
                    }
                    catch (HttpRequestException) { /* not listening yet */ }
                    catch (TaskCanceledException) { /* busy loading */ }
                    if (!healthy) await Task.Delay(200);
                }
            }
            var gen = new OpenAiCompatibleGenerator(OpenAiEndpoint.Local(port, "tiny"));
            var options = new GenerationOptions { MaxTokens = 4, Timeout = TimeSpan.FromSeconds(30), MaxRetries = 1 };
            var oracle = new LlmTwentyQuestionsOracle(gen, options);
            foreach (var question in new[] { "Is it an animal?", "Is it a vehicle?", "Is it a Dog?" })
            {
                string raw;
                try
                {
                    raw = gen.Generate(LlmTwentyQuestionsOracle.Prompt(dog, question), options);
                }
                catch (DialogueSimulatorException e) when (e.Message.Contains("empty completion", StringComparison.Ordinal))
                {
                    raw = ""; // a random tiny model may stop at once: the server still answered
                }
                Assert.DoesNotContain('\n', raw);
                // A random tiny model says anything; the oracle still gives one of the two allowed answers.
                Assert.Contains(TwentyQuestionsAnswers.Normalize(raw), new[] { TwentyQuestionsAnswers.Yes, TwentyQuestionsAnswers.No });
                try
                {
                    Assert.Contains(oracle.Respond(dog, [new DialogueTurn(DialogueRole.Agent, question)]), new[] { TwentyQuestionsAnswers.Yes, TwentyQuestionsAnswers.No });
                }
                catch (DialogueSimulatorException e) when (e.Message.Contains("empty completion", StringComparison.Ordinal))
                {
                    // same as above
                }
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { /* best effort */ }
        }
    }
}

/// <summary>Finds the llama-server the build places under the repository root.</summary>
public static class LlamaServer
{
    public const string RelativePath = "build/native/tools/llama-server";

    /// <summary>The binary, or an assertion failure that says how to get it.</summary>
    public static string Binary()
    {
        string? root = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HighPerf.sln"))) { root = dir.FullName; break; }
        }
        Assert.True(root is not null, $"could not find the repository root (HighPerf.sln) above {AppContext.BaseDirectory}");
        var binary = Path.Combine(root!, RelativePath);
        Assert.True(File.Exists(binary),
            $"{binary} is missing: build with llama.cpp (dotnet build HighPerf.sln, HighPerfBuildLlama=ON, the default) so that the build places llama-server there.");
        return binary;
    }
}
