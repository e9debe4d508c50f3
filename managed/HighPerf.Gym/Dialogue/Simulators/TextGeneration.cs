using System.Text;

namespace HighPerf.Gym.Dialogue.Simulators;

/// <summary>Roles of a chat prompt.</summary>
public enum ChatRole
{
    System,
    User,
    Assistant,
}

/// <summary>One message of a chat prompt.</summary>
public readonly record struct ChatTurn(ChatRole Role, string Text);

/// <summary>Decoding and transport settings for one generation.</summary>
public sealed record GenerationOptions
{
    /// <summary>Maximum new tokens.</summary>
    public int MaxTokens { get; init; } = 64;

    /// <summary>0 = greedy (the upstream oracles decode greedily).</summary>
    public float Temperature { get; init; }

    /// <summary>Stop sequences (at most 4 for OpenAI-compatible servers).</summary>
    public IReadOnlyList<string> Stop { get; init; } = ["\n"];

    /// <summary>Per-request timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a transient failure (HTTP 408/429/5xx, network errors) or an empty completion.</summary>
    public int MaxRetries { get; init; } = 2;
}

/// <summary>Something that completes a chat prompt: a local GGUF model (through HighPerf.Llama) or an OpenAI-compatible
/// endpoint. Implementations throw <see cref="DialogueSimulatorException"/> with a message that names the backend when
/// generation fails after retries.</summary>
public interface ITextGenerator
{
    /// <summary>A short description for error messages and logs ("openai-compatible http://127.0.0.1:8080/v1 model=x").</summary>
    string Description { get; }

    string Generate(IReadOnlyList<ChatTurn> prompt, GenerationOptions options);

    Task<string> GenerateAsync(IReadOnlyList<ChatTurn> prompt, GenerationOptions options, CancellationToken cancellationToken = default);
}

/// <summary>Renders a chat prompt as one plain-text prompt, for completion-style local models without a chat template.</summary>
public static class PlainPrompt
{
    public static string Render(IReadOnlyList<ChatTurn> prompt)
    {
        var sb = new StringBuilder();
        foreach (var t in prompt)
        {
            sb.Append(t.Role switch { ChatRole.System => "", ChatRole.User => "User: ", _ => "Assistant: " });
            sb.Append(t.Text.TrimEnd()).Append('\n');
        }
        sb.Append("Assistant: ");
        return sb.ToString();
    }
}
