using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace HighPerf.Gym.Dialogue.Simulators;

/// <summary>Where and how to reach an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp's
/// <c>llama-server</c>, ...).</summary>
public sealed record OpenAiEndpoint(Uri BaseUrl, string Model, string ApiKey = "sk-no-key-required")
{
    /// <summary>For a local server such as <c>llama-server --port 8080</c>: <c>http://127.0.0.1:8080/v1</c>.</summary>
    public static OpenAiEndpoint Local(int port, string model = "local") => new(new Uri($"http://127.0.0.1:{port}/v1"), model);
}

/// <summary><see cref="ITextGenerator"/> over any OpenAI-compatible endpoint through the official <c>OpenAI</c> package.
/// Timeouts and retries (HTTP 408/429/5xx and network errors, exponential back-off) use the SDK pipeline; an empty
/// completion is retried as well. Failures surface as <see cref="DialogueSimulatorException"/> naming the endpoint,
/// the model and the HTTP status.</summary>
public sealed class OpenAiCompatibleGenerator : ITextGenerator
{
    private readonly OpenAiEndpoint _endpoint;
    private readonly Dictionary<(TimeSpan, int), ChatClient> _clients = new();
    private readonly Lock _lock = new();

    public OpenAiCompatibleGenerator(OpenAiEndpoint endpoint)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        if (!endpoint.BaseUrl.IsAbsoluteUri || endpoint.BaseUrl.Scheme is not ("http" or "https"))
            throw new ArgumentException($"endpoint must be an absolute http(s) URL, got '{endpoint.BaseUrl}'", nameof(endpoint));
        if (string.IsNullOrWhiteSpace(endpoint.Model)) throw new ArgumentException("a model name is required", nameof(endpoint));
    }

    public string Description => $"openai-compatible {_endpoint.BaseUrl} model={_endpoint.Model}";

    public string Generate(IReadOnlyList<ChatTurn> prompt, GenerationOptions options)
    {
        var (client, messages, chatOptions) = Prepare(prompt, options);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var cts = new CancellationTokenSource(options.Timeout * (options.MaxRetries + 1) + TimeSpan.FromSeconds(1));
                var text = Text(client.CompleteChat(messages, chatOptions, cts.Token).Value);
                if (text.Length > 0 || attempt >= options.MaxRetries) return text.Length > 0 ? text : throw Empty(attempt + 1);
            }
            catch (Exception e) when (e is not DialogueSimulatorException)
            {
                throw Wrap(e);
            }
        }
    }

    public async Task<string> GenerateAsync(IReadOnlyList<ChatTurn> prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        var (client, messages, chatOptions) = Prepare(prompt, options);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(options.Timeout * (options.MaxRetries + 1) + TimeSpan.FromSeconds(1));
                var result = await client.CompleteChatAsync(messages, chatOptions, cts.Token).ConfigureAwait(false);
                var text = Text(result.Value);
                if (text.Length > 0 || attempt >= options.MaxRetries) return text.Length > 0 ? text : throw Empty(attempt + 1);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not DialogueSimulatorException)
            {
                throw Wrap(e);
            }
        }
    }

    private (ChatClient, List<ChatMessage>, ChatCompletionOptions) Prepare(IReadOnlyList<ChatTurn> prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Timeout must be positive");
        if (options.MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxRetries must be >= 0");
        var messages = prompt.Select<ChatTurn, ChatMessage>(t => t.Role switch
        {
            ChatRole.System => new SystemChatMessage(t.Text),
            ChatRole.User => new UserChatMessage(t.Text),
            _ => new AssistantChatMessage(t.Text),
        }).ToList();
        var chatOptions = new ChatCompletionOptions { MaxOutputTokenCount = options.MaxTokens, Temperature = options.Temperature };
        foreach (var s in options.Stop.Take(4)) chatOptions.StopSequences.Add(s);
        return (Client(options.Timeout, options.MaxRetries), messages, chatOptions);
    }

    private ChatClient Client(TimeSpan timeout, int retries)
    {
        lock (_lock)
        {
            if (_clients.TryGetValue((timeout, retries), out var c)) return c;
            var options = new OpenAIClientOptions
            {
                Endpoint = _endpoint.BaseUrl,
                NetworkTimeout = timeout,
                RetryPolicy = new ClientRetryPolicy(retries),
            };
            c = new ChatClient(_endpoint.Model, new ApiKeyCredential(_endpoint.ApiKey), options);
            _clients[(timeout, retries)] = c;
            return c;
        }
    }

    private static string Text(ChatCompletion completion) =>
        string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text)).Trim();

    private DialogueSimulatorException Empty(int attempts) =>
        new($"{Description}: the endpoint returned an empty completion {attempts} time(s)");

    private DialogueSimulatorException Wrap(Exception e) => e switch
    {
        ClientResultException c => new DialogueSimulatorException($"{Description}: HTTP {c.Status}: {FirstLine(c.Message)}", e),
        OperationCanceledException or TimeoutException => new DialogueSimulatorException($"{Description}: timed out", e),
        HttpRequestException h => new DialogueSimulatorException($"{Description}: cannot reach the endpoint: {h.Message}", e),
        _ => new DialogueSimulatorException($"{Description}: {e.GetType().Name}: {FirstLine(e.Message)}", e),
    };

    private static string FirstLine(string s) => s.Split('\n')[0];
}
