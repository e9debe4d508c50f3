using HighPerf.Llama;
using HighPerf.Llama.Batching;
using Microsoft.Extensions.Logging;

namespace HighPerf.Gym.Dialogue.Simulators;

/// <summary>How a <see cref="LocalLlamaGenerator"/> turns chat turns into a prompt.</summary>
public enum LocalPromptFormat
{
    /// <summary>The model's own chat template when it has one that llama.cpp knows, else <see cref="Plain"/>.</summary>
    Auto,

    /// <summary>The model's chat template (an error if it has none).</summary>
    ChatTemplate,

    /// <summary><see cref="PlainPrompt.Render"/> ("User: …\nAssistant: "), for completion models such as the tiny ones.</summary>
    Plain,
}

/// <summary>Settings of a <see cref="LocalLlamaGenerator"/>.</summary>
public sealed record LocalLlamaGeneratorOptions
{
    /// <summary>Path of the GGUF model.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Seed of the sampler. Each prompt is sampled with a seed derived from this one and the prompt's tokens,
    /// so the same seed gives the same answers whatever the order of the calls.</summary>
    public uint Seed { get; init; }

    /// <summary>Tokens of prompt + answer the context holds.</summary>
    public int ContextSize { get; init; } = 2048;

    /// <summary>Layers offloaded to a GPU (−1 all, 0 none).</summary>
    public int GpuLayers { get; init; } = -1;

    public LocalPromptFormat PromptFormat { get; init; } = LocalPromptFormat.Auto;

    /// <summary>Sampling settings besides temperature (which comes from each call's <see cref="GenerationOptions"/>).</summary>
    public int TopK { get; init; } = 40;

    public float TopP { get; init; } = 0.95f;
}

/// <summary>
/// <see cref="ITextGenerator"/> over a local GGUF model through HighPerf.Llama: the chat is rendered with the model's
/// template (or <see cref="PlainPrompt"/>), tokenized, and generated on a <see cref="BatchedExecutor"/> with a seeded
/// sampler (greedy at temperature 0), stopping at the stop strings (default: newline), end of generation or
/// <see cref="GenerationOptions.MaxTokens"/>. Consecutive prompts share their common token prefix in the KV cache
/// (the system message with the knowledge-base entry is decoded once): a cache conversation is rolled back to the
/// common prefix, extended, and forked for each answer. Calls are serialised (one llama.cpp context).
/// </summary>
public sealed class LocalLlamaGenerator : ITextGenerator, IDisposable
{
    private readonly LlamaModel _model;
    private readonly BatchedExecutor _executor;
    private readonly Conversation _cache;
    private readonly string? _template;
    private readonly Lock _lock = new();
    private bool _disposed;

    public LocalLlamaGenerator(LocalLlamaGeneratorOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelPath, nameof(options));
        if (options.ContextSize < 16) throw new ArgumentOutOfRangeException(nameof(options), options.ContextSize, "ContextSize must be ≥ 16.");
        if (options.TopK < 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be ≥ 0.");
        if (options.TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), options.TopP, "TopP must be in (0, 1].");
        Options = options;
        var path = Path.GetFullPath(options.ModelPath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The local GGUF model for the dialogue simulator was not found: '{path}'. Pass llama:<path.gguf> with an existing file.", path);
        try
        {
            _model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = options.GpuLayers }, logger);
        }
        catch (Exception e) when (e is HighPerf.Llama.Gguf.GgufFormatException or LlamaModelLoadException)
        {
            throw new DialogueSimulatorException($"local-gguf {path}: the model could not be loaded: {e.Message}", e);
        }
        try
        {
            _template = options.PromptFormat switch
            {
                LocalPromptFormat.Plain => null,
                LocalPromptFormat.ChatTemplate => _model.ChatTemplate ?? throw new DialogueSimulatorException($"local-gguf {path}: the model has no chat template (use the plain prompt format)."),
                _ => UsableTemplate(_model.ChatTemplate),
            };
            // Two KV sequences: the prompt cache and the answer forked from it.
            _executor = new BatchedExecutor(_model, new BatchedExecutorOptions
            {
                MaxResidentConversations = 2, ContextPerConversation = options.ContextSize, BatchSize = 512, MicroBatchSize = 512,
            }, logger);
            _cache = _executor.CreateConversation();
        }
        catch
        {
            _executor?.Dispose();
            _model.Dispose();
            throw;
        }
        Description = $"local-gguf {path}";
    }

    public LocalLlamaGeneratorOptions Options { get; }

    public string Description { get; }

    /// <summary>Whether prompts use the model's chat template (false: plain "User:/Assistant:" prompts).</summary>
    public bool UsesChatTemplate => _template is not null;

    private static string? UsableTemplate(string? template)
    {
        if (string.IsNullOrEmpty(template)) return null;
        try
        {
            ChatTemplate.Apply(template, [new ChatMessage("user", "x")]);
            return template;
        }
        catch (NotSupportedException)
        {
            return null; // a Jinja template llama.cpp's built-in formatter does not recognise
        }
    }

    /// <summary>The prompt text for chat turns, as this generator renders it.</summary>
    public string Render(IReadOnlyList<ChatTurn> prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (_template is null) return PlainPrompt.Render(prompt);
        var messages = prompt.Select(t => new ChatMessage(t.Role switch
        {
            ChatRole.System => "system",
            ChatRole.User => "user",
            _ => "assistant",
        }, t.Text)).ToArray();
        return ChatTemplate.Apply(_template, messages, addAssistantPrefix: true);
    }

    public string Generate(IReadOnlyList<ChatTurn> prompt, GenerationOptions options) => GenerateCore(prompt, options, CancellationToken.None);

    public Task<string> GenerateAsync(IReadOnlyList<ChatTurn> prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        Task.Run(() => GenerateCore(prompt, options, cancellationToken), cancellationToken);

    private string GenerateCore(IReadOnlyList<ChatTurn> prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no turns.", nameof(prompt));
        if (options.MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, "MaxTokens must be ≥ 1.");
        if (!float.IsFinite(options.Temperature) || options.Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be finite and ≥ 0.");
        var text = Render(prompt);
        var tokens = _model.Tokenizer.Tokenize(text, addSpecial: true, parseSpecial: _template is not null);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (tokens.Length + options.MaxTokens > _executor.ConversationCapacity)
                throw new DialogueSimulatorException($"{Description}: the prompt has {tokens.Length} tokens; with {options.MaxTokens} new tokens it exceeds the context of {_executor.ConversationCapacity} (raise ContextSize).");
            using var timeout = new CancellationTokenSource(options.Timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                // Keep the common prefix of the previous prompt in the cache conversation, decode the rest.
                int common = 0;
                var cached = _cache.Tokens;
                while (common < cached.Count && common < tokens.Length && cached[common] == tokens[common]) common++;
                _cache.Rollback(common);
                _cache.AppendTokens(tokens.AsSpan(common));
                _executor.Prefill([_cache], linked.Token);
                using var answer = _cache.Fork(new SamplerOptions
                {
                    Temperature = options.Temperature,
                    TopK = options.Temperature > 0 ? Options.TopK : 0,
                    TopP = options.Temperature > 0 ? Options.TopP : 1f,
                    Seed = PromptSeed(Options.Seed, tokens),
                });
                var result = _executor.Generate([answer], new Llama.Batching.GenerationOptions
                {
                    MaxTokens = options.MaxTokens,
                    StopStrings = options.Stop,
                    StopAtEndOfGeneration = true,
                }, linked.Token)[0];
                return result.Text.Trim();
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new DialogueSimulatorException($"{Description}: generation timed out after {options.Timeout}.");
            }
        }
    }

    /// <summary>SplitMix64 of the seed and an FNV-1a hash of the prompt tokens.</summary>
    private static uint PromptSeed(uint seed, ReadOnlySpan<int> tokens)
    {
        ulong h = 14695981039346656037UL;
        foreach (var t in tokens) h = (h ^ (uint)t) * 1099511628211UL;
        ulong z = h + seed * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (uint)((z ^ (z >> 31)) & 0xFFFFFFFF);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _executor.Dispose();
            _model.Dispose();
        }
    }
}
