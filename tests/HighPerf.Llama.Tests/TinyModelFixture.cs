using HighPerf.Llama;

namespace HighPerf.Llama.Tests;

/// <summary>Generates one tiny model per test run (shared by all test classes in the collection).</summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly string[] Corpus =
    [
        "The quick brown fox jumps over the lazy dog.",
        "You are in a maze. There is a wall to the north and a door to the east.",
        "Guess my city: is it in Europe? Yes. Is it the capital of France? Yes, it is Paris.",
        "Wordle: the secret word has five letters. Your guess was crane and the feedback is green yellow gray.",
        "The buyer asked the car dealer about the price of the blue car with leather seats.",
        "Move north. Move south. Move east. Move west. Pick up the key and open the door.",
        "Twenty questions: is it an animal? No. Is it a vehicle? Yes. Is it a car? Yes.",
        "white to move: e2e4 e7e5 g1f3 b8c6 f1b5 a7a6",
    ];

    public TinyModelFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), "highperf-llama-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        Info = TinyModelFactory.Create(Path.Combine(Dir, "tiny.gguf"), Corpus, new TinyModelSpec { Seed = 1234 });
        Model = LlamaModel.Load(Info.Path);
    }

    public string Dir { get; }
    public TinyModelInfo Info { get; }
    public LlamaModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch { /* best effort */ }
    }
}

[CollectionDefinition("tiny")]
public sealed class TinyCollection : ICollectionFixture<TinyModelFixture>;

internal static class Util
{
    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    public static int ArgMax(ReadOnlySpan<float> a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    /// <summary>Logits of the last token of <paramref name="tokens"/> decoded alone in a fresh context.</summary>
    public static float[] SingleLogits(LlamaModel model, int[] tokens, bool unified = false)
    {
        using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 512, BatchSize = 512, MicroBatchSize = 512, UnifiedKv = unified });
        using var b = new LlamaBatch(512);
        var last = b.AddSequence(tokens, 0, 0);
        ctx.Decode(b);
        return ctx.GetLogits(last).ToArray();
    }
}
