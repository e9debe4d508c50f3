using HighPerf.Llama;
using HighPerf.Llama.Gguf;
using HighPerf.Llama.Training;

namespace HighPerf.Llama.Tests;

[Collection("tiny")]
public sealed class EmbeddingLoraLogProbTests(TinyModelFixture fx)
{
    private LlamaModel M => fx.Model;
    private int[] T(string s) => M.Tokenizer.Tokenize(s);

    private float[] ReadTensor(string name)
    {
        var f = GgufFile.Read(fx.Info.Path);
        var t = f.Tensors.Single(x => x.Name == name);
        using var fs = File.OpenRead(f.Path);
        fs.Position = f.DataOffset + t.Offset;
        var bytes = new byte[t.Bytes];
        fs.ReadExactly(bytes);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    [Fact]
    public void TokenStatesAreTheLmHeadInput()
    {
        var toks = T("You are in a maze.");
        using var emb = new LlamaEmbedder(M);
        var states = emb.GetTokenStates([toks])[0];
        int d = M.EmbeddingSize, v = M.VocabSize;
        Assert.Equal(toks.Length * d, states.Length);
        // logits = W_out · h for the last token (output.weight has ne = [n_embd, n_vocab]: row j is token j).
        var w = ReadTensor("output.weight");
        var logits = Util.SingleLogits(M, toks);
        var h = states.AsSpan((toks.Length - 1) * d, d);
        float maxd = 0;
        for (int j = 0; j < v; j++)
        {
            double z = 0;
            for (int k = 0; k < d; k++) z += w[j * d + k] * h[k];
            maxd = Math.Max(maxd, Math.Abs((float)z - logits[j]));
        }
        Assert.True(maxd < 1e-3f, $"max |W·h − logits| = {maxd}");
    }

    [Fact]
    public void BatchedStatesEqualSingleAndPoolingIsCorrect()
    {
        var seqs = new[] { T("Move north."), T("The buyer asked the car dealer about the price."), T("e2e4") };
        using var emb = new LlamaEmbedder(M, sequencesPerBatch: 3);
        var batched = emb.GetTokenStates(seqs);
        int d = M.EmbeddingSize;
        for (int s = 0; s < seqs.Length; s++)
        {
            using var one = new LlamaEmbedder(M, sequencesPerBatch: 1);
            Assert.True(Util.MaxAbsDiff(batched[s], one.GetTokenStates([seqs[s]])[0]) <= 1e-6f);
        }
        var mean = emb.Embed(seqs, PoolingType.Mean);
        var last = emb.Embed(seqs, PoolingType.Last);
        for (int s = 0; s < seqs.Length; s++)
        {
            int n = seqs[s].Length;
            for (int k = 0; k < d; k++)
            {
                double acc = 0;
                for (int r = 0; r < n; r++) acc += batched[s][r * d + k];
                Assert.True(Math.Abs(acc / n - mean[s][k]) < 1e-5, $"mean {s},{k}");
                Assert.Equal(batched[s][(n - 1) * d + k], last[s][k]);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Embed(seqs, PoolingType.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.GetTokenStates([[M.VocabSize]]));
    }

    [Fact]
    public void LoraAppliesWithScaleAndClearsBitExactly()
    {
        var path = TinyModelFactory.CreateLoraAdapter(Path.Combine(fx.Dir, "lora.gguf"), fx.Info, rank: 4, alpha: 8, std: 0.2f);
        using var adapter = M.LoadLoraAdapter(path);
        var toks = T("Guess my city:");
        using var ctx = M.CreateContext(new LlamaContextOptions { ContextSize = 256 });
        using var b = new LlamaBatch(64);
        float[] Run()
        {
            ctx.ClearMemory();
            b.Clear();
            int i = b.AddSequence(toks, 0, 0);
            ctx.Decode(b);
            return ctx.GetLogits(i).ToArray();
        }
        var baseLogits = Run();
        ctx.SetLoraAdapters([(adapter, 1f)]);
        var full = Run();
        ctx.SetLoraAdapters([(adapter, 0.5f)]);
        var half = Run();
        ctx.ClearLoraAdapters();
        var cleared = Run();
        float dFull = Util.MaxAbsDiff(full, baseLogits), dHalf = Util.MaxAbsDiff(half, baseLogits);
        Assert.True(dFull > 1e-3f, $"adapter had no effect ({dFull})");
        Assert.True(dHalf > 0 && dHalf < dFull, $"half {dHalf} vs full {dFull}");
        Assert.Equal(baseLogits, cleared);
        // Wrong files give exceptions, not aborts.
        Assert.Throws<GgufFormatException>(() => M.LoadLoraAdapter(fx.Info.Path));
        var bad = Path.Combine(fx.Dir, "lora-bad.gguf");
        File.WriteAllBytes(bad, File.ReadAllBytes(path)[..200]);
        Assert.Throws<GgufFormatException>(() => M.LoadLoraAdapter(bad));
        var wrongShape = TinyModelFactory.CreateLoraAdapter(Path.Combine(fx.Dir, "lora-shape.gguf"),
            fx.Info with { Spec = fx.Info.Spec with { EmbeddingSize = 32, HeadCount = 2, HeadCountKv = 1 } }, targets: ["blk.0.attn_q.weight"]);
        Assert.Throws<LlamaModelLoadException>(() => M.LoadLoraAdapter(wrongShape));
    }

    [Fact]
    public void LogProbsEqualLogSoftmaxOfSingleRunsAndBatchingDoesNotMatter()
    {
        var seqs = new[] { T("Move north. Move south."), T("Is it a car? Yes."), T("white to move: e2e4"), T("x y") };
        using var scorer = new LogProbScorer(M, maxSequenceLength: 64, sequencesPerBatch: 3, batchSize: 16); // forces chunking and 2 rounds
        var lp = scorer.Score(seqs);
        for (int s = 0; s < seqs.Length; s++)
        {
            Assert.Equal(seqs[s].Length - 1, lp[s].Length);
            for (int t = 0; t < seqs[s].Length - 1; t++)
            {
                var logits = Util.SingleLogits(M, seqs[s][..(t + 1)]);
                double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
                double reference = logits[seqs[s][t + 1]] - max - Math.Log(sum);
                Assert.True(Math.Abs(reference - lp[s][t]) < 1e-4, $"seq {s} pos {t}: {lp[s][t]} vs {reference}");
            }
        }
    }
}
