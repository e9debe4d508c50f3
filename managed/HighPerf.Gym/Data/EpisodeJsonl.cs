using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using HighPerf.Gym.Core;

namespace HighPerf.Gym.Data;

/// <summary>A malformed dataset line: the message starts with "path:line:".</summary>
public sealed class DatasetFormatException(string path, long line, string message, Exception? inner = null)
    : FormatException($"{path}:{line}: {message}", inner)
{
    public string Path { get; } = path;
    public long Line { get; } = line;
}

/// <summary>The JSONL episode format, schema <see cref="Schema"/>: one episode per line,
/// <c>{"schema","task","seed","items":[{"text","is_action","reward"}],"done","return","success","length"}</c>.
/// Rewards sit on action items (observations carry 0); <c>return</c> is the sum of rewards and <c>length</c> the
/// number of actions (both checked on read).</summary>
public static class EpisodeJsonl
{
    public const string Schema = "highperf.gym.episode/v1";
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>Writes one episode as one line (no trailing newline) to a JSON writer.</summary>
    public static void WriteEpisode(Utf8JsonWriter w, EpisodeRecord e)
    {
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("task", e.Task);
        w.WriteNumber("seed", e.Seed);
        w.WriteStartArray("items");
        var items = e.Trajectory.Items;
        for (var i = 0; i < items.Length; i++)
        {
            w.WriteStartObject();
            w.WriteString("text", items[i].Text);
            w.WriteBoolean("is_action", items[i].IsAction);
            w.WriteNumber("reward", e.Trajectory.Rewards[i]);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("done", e.Done);
        w.WriteNumber("return", e.Return);
        w.WriteBoolean("success", e.Success);
        w.WriteNumber("length", e.Length);
        w.WriteEndObject();
    }

    public static string ToLine(EpisodeRecord e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) WriteEpisode(w, e);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Streams episodes to <paramref name="path"/> atomically; returns how many were written.
    /// <paramref name="onEpisode"/> sees each episode as it is written (statistics, progress).</summary>
    public static long Write(string path, IEnumerable<EpisodeRecord> episodes, Action<EpisodeRecord>? onEpisode = null)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        long count = 0;
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, WriterOptions);
            foreach (var e in episodes)
            {
                WriteEpisode(w, e);
                w.Flush();
                stream.WriteByte((byte)'\n');
                w.Reset(stream);
                count++;
                onEpisode?.Invoke(e);
            }
        });
        return count;
    }

    /// <summary>Streams episodes from a file; a malformed line throws <see cref="DatasetFormatException"/> naming the file and line.</summary>
    public static IEnumerable<EpisodeRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"dataset '{path}' does not exist", path);
        return ReadCore(path);

        static IEnumerable<EpisodeRecord> ReadCore(string path)
        {
            using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            long lineNo = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                yield return ParseLine(line, path, lineNo);
            }
        }
    }

    /// <summary>Parses one line; <paramref name="source"/> and <paramref name="lineNo"/> go into error messages.</summary>
    public static EpisodeRecord ParseLine(string line, string source = "<string>", long lineNo = 1)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new DatasetFormatException(source, lineNo, $"invalid JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error("expected a JSON object per line");
            var schema = Get(root, "schema", JsonValueKind.String).GetString();
            if (schema != Schema) throw Error($"unsupported schema '{schema}' (expected '{Schema}')");
            var task = Get(root, "task", JsonValueKind.String).GetString()!;
            var seedEl = Get(root, "seed", JsonValueKind.Number);
            if (!seedEl.TryGetInt32(out var seed)) throw Error("'seed' must be a 32-bit integer");
            var itemsEl = Get(root, "items", JsonValueKind.Array);
            var items = ImmutableArray.CreateBuilder<TextItem>(itemsEl.GetArrayLength());
            var rewards = ImmutableArray.CreateBuilder<double>(itemsEl.GetArrayLength());
            var index = 0;
            foreach (var it in itemsEl.EnumerateArray())
            {
                if (it.ValueKind != JsonValueKind.Object) throw Error($"items[{index}] must be an object");
                var text = Get(it, "text", JsonValueKind.String, $"items[{index}].").GetString()!;
                var isActionEl = Get(it, "is_action", null, $"items[{index}].");
                if (isActionEl.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error($"items[{index}].is_action must be true or false");
                var reward = Get(it, "reward", JsonValueKind.Number, $"items[{index}].").GetDouble();
                var isAction = isActionEl.GetBoolean();
                if (!isAction && reward != 0) throw Error($"items[{index}] is an observation with non-zero reward {reward}");
                items.Add(new TextItem(text, isAction));
                rewards.Add(reward);
                index++;
            }
            var doneEl = Get(root, "done", null);
            if (doneEl.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error("'done' must be true or false");
            var successEl = Get(root, "success", null);
            if (successEl.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Error("'success' must be true or false");
            var trajectory = new TextTrajectory(items.MoveToImmutable(), rewards.MoveToImmutable(), doneEl.GetBoolean());
            var ret = Get(root, "return", JsonValueKind.Number).GetDouble();
            if (Math.Abs(ret - trajectory.Return) > 1e-6 * Math.Max(1, Math.Abs(ret)))
                throw Error($"'return' {ret} does not equal the sum of item rewards {trajectory.Return}");
            if (root.TryGetProperty("length", out var lenEl) && (lenEl.ValueKind != JsonValueKind.Number || lenEl.GetInt32() != trajectory.ActionCount))
                throw Error($"'length' does not equal the number of actions {trajectory.ActionCount}");
            return new EpisodeRecord(task, seed, trajectory, successEl.GetBoolean());
        }

        JsonElement Get(JsonElement obj, string name, JsonValueKind? kind, string prefix = "")
        {
            if (!obj.TryGetProperty(name, out var el)) throw Error($"missing '{prefix}{name}'");
            if (kind is { } k && el.ValueKind != k) throw Error($"'{prefix}{name}' must be a {k.ToString().ToLowerInvariant()}, got {el.ValueKind.ToString().ToLowerInvariant()}");
            return el;
        }

        DatasetFormatException Error(string message) => new(source, lineNo, message);
    }
}
