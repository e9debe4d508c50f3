using System.Runtime.CompilerServices;
using HighPerf.Llama;
using HighPerf.Llama.Gguf;
using HighPerf.Llama.Native;

namespace HighPerf.Llama.Tests;

[Collection("tiny")]
public sealed class NativeAndGgufTests(TinyModelFixture fx)
{
    [Fact]
    public void StructLayoutsMatchTheCHeaders()
    {
        Assert.Equal(80, Unsafe.SizeOf<LlamaModelParamsNative>());
        Assert.Equal(160, Unsafe.SizeOf<LlamaContextParamsNative>());
        Assert.Equal(56, Unsafe.SizeOf<LlamaBatchNative>());
        Assert.Equal(48, Unsafe.SizeOf<LlamaOptParamsNative>());
        Assert.Equal(28, Unsafe.SizeOf<GgmlOptOptimizerParamsNative>());
        Assert.Equal(1, Unsafe.SizeOf<LlamaSamplerChainParamsNative>());
        LlamaNativeLibrary.EnsureInitialized();
        var c = NativeMethods.llama_context_default_params();
        Assert.Equal(512u, c.NCtx);
        Assert.Equal(2048u, c.NBatch);
        Assert.Equal(512u, c.NUbatch);
        Assert.Equal(1u, c.NSeqMax);
        Assert.Equal(-1, c.PoolingType);
        Assert.Equal(1, c.TypeK); // F16
        Assert.Equal(1, c.OffloadKqv);
        Assert.Equal(0, c.KvUnified);
        var m = NativeMethods.llama_model_default_params();
        Assert.Equal(-1, m.NGpuLayers);
        Assert.Equal(-1, m.LoadMode);
        Assert.Equal(1, m.UseExtraBufts);
        var o = NativeMethods.ggml_opt_get_default_optimizer_params(IntPtr.Zero);
        Assert.Equal(0.9f, o.AdamwBeta1);
        Assert.Equal(0.999f, o.AdamwBeta2);
    }

    [Fact]
    public void LibraryReportsVersionAndDevices()
    {
        Assert.StartsWith("0.5.0", LlamaNativeLibrary.Version);
        Assert.True(LlamaNativeLibrary.DeviceCount >= 1);
        Assert.Contains("CPU", LlamaNativeLibrary.SystemInfo);
    }

    [Fact]
    public void SameSeedGivesIdenticalBytesAndDifferentSeedDoesNot()
    {
        var spec = new TinyModelSpec { Seed = 99, LayerCount = 1, EmbeddingSize = 32, HeadCount = 2, HeadCountKv = 1, FeedForwardSize = 64 };
        var a = TinyModelFactory.Create(Path.Combine(fx.Dir, "det-a.gguf"), TinyModelFixture.Corpus, spec);
        var b = TinyModelFactory.Create(Path.Combine(fx.Dir, "det-b.gguf"), TinyModelFixture.Corpus, spec);
        var c = TinyModelFactory.Create(Path.Combine(fx.Dir, "det-c.gguf"), TinyModelFixture.Corpus, spec with { Seed = 100 });
        Assert.Equal(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Sha256, c.Sha256);
        Assert.Equal(a.VocabSize, c.VocabSize);
        Assert.Empty(Directory.GetFiles(fx.Dir, "*.tmp")); // atomic write leaves no temporaries
    }

    [Fact]
    public void SameFileGivesSameLogitsAcrossLoads()
    {
        var toks = fx.Model.Tokenizer.Tokenize("The quick brown fox");
        var l1 = Util.SingleLogits(fx.Model, toks);
        using var m2 = LlamaModel.Load(fx.Info.Path);
        var l2 = Util.SingleLogits(m2, toks);
        Assert.Equal(l1, l2);
    }

    [Fact]
    public void ReaderParsesWhatTheWriterWrote()
    {
        var f = GgufFile.Read(fx.Info.Path);
        Assert.Equal(3u, f.Version);
        Assert.Equal("llama", f.GetString("general.architecture"));
        Assert.Equal(fx.Info.VocabSize, f.GetStringArray("tokenizer.ggml.tokens")!.Length);
        Assert.Equal(3 + 9 * 2, f.Tensors.Count);
        Assert.Equal(fx.Model.VocabSize, fx.Info.VocabSize);
        Assert.Equal(64, fx.Model.EmbeddingSize);
        Assert.Equal(2, fx.Model.LayerCount);
    }

    private string CorruptCopy(string name, Func<byte[], byte[]> mutate)
    {
        var p = Path.Combine(fx.Dir, name);
        File.WriteAllBytes(p, mutate(File.ReadAllBytes(fx.Info.Path)));
        return p;
    }

    [Fact]
    public void MissingFileThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => LlamaModel.Load(Path.Combine(fx.Dir, "nope.gguf")));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    [InlineData(0.001)]
    public void TruncatedFileThrowsAndProcessLivesOn(double keep)
    {
        var p = CorruptCopy($"trunc-{keep}.gguf", b => b[..(int)(b.Length * keep)]);
        var e = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(p));
        Assert.Contains(p, e.Message);
        // The process is alive and llama.cpp still works.
        Assert.Equal(Util.SingleLogits(fx.Model, [1, 50]).Length, fx.Model.VocabSize);
    }

    [Fact]
    public void BadMagicVersionAndCountsAreRejected()
    {
        Assert.Contains("not a GGUF", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(CorruptCopy("magic.gguf", b => { b[0] = (byte)'X'; return b; }))).Message);
        Assert.Contains("version", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(CorruptCopy("ver.gguf", b => { b[4] = 9; return b; }))).Message);
        Assert.Contains("tensor count", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(CorruptCopy("cnt.gguf", b => { b[15] = 0x40; return b; }))).Message);
        // Garbage in the middle of the metadata (a key length of ~2^62).
        Assert.Throws<GgufFormatException>(() => LlamaModel.Load(CorruptCopy("mid.gguf", b => { b[24 + 7] = 0x3F; return b; })));
    }

    [Fact]
    public void SpmVocabWithoutByteTokensIsRejectedBeforeNative()
    {
        var w = new GgufWriter()
            .AddString("general.architecture", "llama")
            .AddUInt32("llama.context_length", 128).AddUInt32("llama.embedding_length", 8).AddUInt32("llama.block_count", 1)
            .AddUInt32("llama.attention.head_count", 2).AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "a", "b"]);
        var p = Path.Combine(fx.Dir, "nobytes.gguf");
        w.WriteTo(p);
        var e = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(p));
        Assert.Contains("<0x00>", e.Message);
    }

    [Fact]
    public void UnsupportedArchitectureAndMissingKeysAreRejected()
    {
        var p1 = Path.Combine(fx.Dir, "arch.gguf");
        new GgufWriter().AddString("general.architecture", "not-a-real-arch").WriteTo(p1);
        Assert.Contains("not supported", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(p1)).Message);
        var p2 = Path.Combine(fx.Dir, "keys.gguf");
        new GgufWriter().AddString("general.architecture", "llama").AddUInt32("llama.context_length", 8).WriteTo(p2);
        Assert.Contains("llama.embedding_length", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(p2)).Message);
        var p3 = Path.Combine(fx.Dir, "noarch.gguf");
        new GgufWriter().AddUInt32("x", 1).WriteTo(p3);
        Assert.Contains("general.architecture", Assert.Throws<GgufFormatException>(() => LlamaModel.Load(p3)).Message);
    }

    [Fact]
    public void SavedModelReloadsWithSameLogits()
    {
        var p = Path.Combine(fx.Dir, "saved.gguf");
        fx.Model.Save(p);
        using var m = LlamaModel.Load(p);
        var toks = fx.Model.Tokenizer.Tokenize("Move north.");
        Assert.Equal(Util.SingleLogits(fx.Model, toks), Util.SingleLogits(m, toks));
    }

    [Fact]
    public void ChatTemplateFormatsMessages()
    {
        Assert.Contains("chatml", ChatTemplate.BuiltinTemplates());
        var s = ChatTemplate.Apply("chatml", [new ChatMessage("system", "You play Wordle."), new ChatMessage("user", "crane")]);
        Assert.Equal("<|im_start|>system\nYou play Wordle.<|im_end|>\n<|im_start|>user\ncrane<|im_end|>\n<|im_start|>assistant\n", s);
        Assert.Throws<NotSupportedException>(() => ChatTemplate.Apply("definitely-unknown-template", [new ChatMessage("user", "x")]));
    }
}
