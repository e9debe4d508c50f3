using System.Reflection;
using System.Text.Json;

namespace HighPerf.Gym.Dialogue.KnowledgeBase;

/// <summary>A knowledge-base file is malformed; the message names the file and the offending entry.</summary>
public sealed class KnowledgeBaseException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads the JSON knowledge bases shipped as embedded resources of HighPerf.Gym.</summary>
public static class EmbeddedData
{
    public const string ResourcePrefix = "HighPerf.Gym.Dialogue.Data.";

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>The raw text of an embedded data file, e.g. "twenty_questions_objects.json".</summary>
    public static string ReadText(string fileName)
    {
        var asm = typeof(EmbeddedData).Assembly;
        using var stream = asm.GetManifestResourceStream(ResourcePrefix + fileName)
            ?? throw new KnowledgeBaseException($"embedded knowledge base '{fileName}' is missing from {asm.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Deserializes JSON into <typeparamref name="T"/>; any syntax or shape error names <paramref name="source"/>
    /// and the JSON path of the failure.</summary>
    public static T Deserialize<T>(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new KnowledgeBaseException($"{source}: the document is null");
        }
        catch (JsonException e)
        {
            throw new KnowledgeBaseException($"{source}: invalid JSON at {e.Path ?? "$"} (line {e.LineNumber + 1}): {e.Message}", e);
        }
    }

    internal static void Require(bool condition, string source, string entry, string problem)
    {
        if (!condition) throw new KnowledgeBaseException($"{source}: entry '{entry}': {problem}");
    }

    internal static void RequireIn(IEnumerable<string> values, IReadOnlySet<string> vocabulary, string source, string entry, string field)
    {
        foreach (var v in values)
        {
            if (!vocabulary.Contains(v))
                throw new KnowledgeBaseException($"{source}: entry '{entry}': {field} value '{v}' is not in the vocabulary");
        }
    }
}
