using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HighPerf.Llama.Gguf;

namespace HighPerf.Llama;

/// <summary>Sizes and settings of a generated llama-architecture model.</summary>
public sealed record TinyModelSpec
{
    public int EmbeddingSize { get; init; } = 64;
    public int LayerCount { get; init; } = 2;
    public int HeadCount { get; init; } = 4;
    public int HeadCountKv { get; init; } = 2;
    public int FeedForwardSize { get; init; } = 128;
    /// <summary>n_ctx_train written to the file.</summary>
    public int ContextLength { get; init; } = 4096;
    /// <summary>Seed of the weight initialisation (same seed, corpus and spec: same bytes).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Standard deviation of the N(0, σ) initialisation of every matrix (norm weights are 1).</summary>
    public float InitStd { get; init; } = 0.02f;
    /// <summary>Most frequent words whose "▁word" prefixes enter the vocabulary.</summary>
    public int MaxWords { get; init; } = 400;
    /// <summary>Words seen fewer times are left to characters.</summary>
    public int MinWordCount { get; init; } = 1;
    public float RmsNormEpsilon { get; init; } = 1e-5f;
    public float RopeFreqBase { get; init; } = 10000f;
    public string Name { get; init; } = "highperf-tiny";
    /// <summary>Optional tokenizer.chat_template (e.g. "chatml").</summary>
    public string? ChatTemplate { get; init; }

    internal void Validate()
    {
        if (EmbeddingSize < 8) throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "must be ≥ 8");
        if (LayerCount < 1) throw new ArgumentOutOfRangeException(nameof(LayerCount), LayerCount, "must be ≥ 1");
        if (HeadCount < 1 || EmbeddingSize % HeadCount != 0) throw new ArgumentOutOfRangeException(nameof(HeadCount), HeadCount, $"must divide EmbeddingSize {EmbeddingSize}");
        if ((EmbeddingSize / HeadCount) % 2 != 0) throw new ArgumentOutOfRangeException(nameof(HeadCount), HeadCount, "head dimension must be even (RoPE)");
        if (HeadCountKv < 1 || HeadCount % HeadCountKv != 0) throw new ArgumentOutOfRangeException(nameof(HeadCountKv), HeadCountKv, $"must divide HeadCount {HeadCount}");
        if (FeedForwardSize < 1) throw new ArgumentOutOfRangeException(nameof(FeedForwardSize), FeedForwardSize, "must be ≥ 1");
        if (ContextLength < 16) throw new ArgumentOutOfRangeException(nameof(ContextLength), ContextLength, "must be ≥ 16");
        if (!(InitStd > 0) || !float.IsFinite(InitStd)) throw new ArgumentOutOfRangeException(nameof(InitStd), InitStd, "must be > 0");
        if (MaxWords < 0) throw new ArgumentOutOfRangeException(nameof(MaxWords), MaxWords, "must be ≥ 0");
    }
}

/// <summary>What <see cref="TinyModelFactory.Create"/> wrote.</summary>
public sealed record TinyModelInfo(string Path, TinyModelSpec Spec, IReadOnlyList<string> Tokens, int VocabSize, string Sha256);

/// <summary>
/// Writes llama-architecture GGUF models with a SentencePiece-style vocabulary built from a corpus and seeded random
/// F32 weights (DESIGN D6). The vocabulary holds &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, all 256 &lt;0xNN&gt; byte tokens
/// (byte fallback: any text tokenizes), "▁" and every character of the corpus, and every prefix of the frequent
/// "▁word" pieces (SPM merges a pair only when the joined piece is itself a token).
/// </summary>
public static class TinyModelFactory
{
    private const string Space = "\u2581";

    /// <summary>Builds the vocabulary for a corpus (deterministic).</summary>
    public static (string[] Tokens, float[] Scores, int[] Types) BuildVocabulary(IEnumerable<string> corpus, TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        var seen = new HashSet<string>(StringComparer.Ordinal) { "<unk>", "<s>", "</s>" };
        for (int b = 0; b < 256; b++)
        {
            var t = $"<0x{b:X2}>";
            tokens.Add(t); types.Add(6); seen.Add(t);
        }
        void AddNormal(string s)
        {
            if (seen.Add(s)) { tokens.Add(s); types.Add(1); }
        }
        AddNormal(Space);
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()-_/+*=<>[]#@&%$")
            chars.Add(c.ToString());
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            if (text is null) continue;
            var e = StringInfo.GetTextElementEnumerator(text);
            while (e.MoveNext())
            {
                var el = e.GetTextElement();
                if (!string.IsNullOrWhiteSpace(el) && el.Length <= 2) chars.Add(el);
            }
            // "▁word" pieces: runs of letters/digits/apostrophes preceded by a space or the start of a line.
            int i = 0;
            while (i < text.Length)
            {
                bool atBoundary = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n';
                if (atBoundary && IsWordChar(text[i]))
                {
                    int j = i;
                    while (j < text.Length && IsWordChar(text[j])) j++;
                    var w = text[i..j];
                    var key = (i == 0 || text[i - 1] == ' ' ? Space : "") + w;
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                    if (i > 0 && text[i - 1] == '\n') counts[Space + w] = counts.GetValueOrDefault(Space + w) + 1;
                    i = j;
                }
                else i++;
            }
        }
        foreach (var c in chars) AddNormal(c.Replace(" ", Space));
        var words = counts.Where(kv => kv.Value >= spec.MinWordCount && kv.Key.Length >= 2)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(spec.MaxWords).Select(kv => kv.Key);
        foreach (var w in words)
        {
            for (int len = 2; len <= w.Length; len++)
            {
                if (char.IsHighSurrogate(w[len - 1])) continue;
                AddNormal(w[..len]);
            }
        }
        var scores = new float[tokens.Count];
        for (int i = 0; i < tokens.Count; i++) scores[i] = types[i] == 1 ? -i : 0f;
        return (tokens.ToArray(), scores, types.ToArray());
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '\'';

    /// <summary>Writes a model for <paramref name="corpus"/> to <paramref name="path"/> atomically and returns its
    /// description including the SHA-256 of the file.</summary>
    public static TinyModelInfo Create(string path, IEnumerable<string> corpus, TinyModelSpec? spec = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        spec ??= new TinyModelSpec();
        spec.Validate();
        var (tokens, scores, types) = BuildVocabulary(corpus, spec);
        int nVocab = tokens.Length, nEmbd = spec.EmbeddingSize, nFf = spec.FeedForwardSize;
        int headDim = nEmbd / spec.HeadCount, nKv = headDim * spec.HeadCountKv;

        var w = new GgufWriter()
            .AddString("general.architecture", "llama")
            .AddString("general.name", spec.Name)
            .AddUInt32("general.file_type", 0)
            .AddUInt32("llama.context_length", (uint)spec.ContextLength)
            .AddUInt32("llama.embedding_length", (uint)nEmbd)
            .AddUInt32("llama.block_count", (uint)spec.LayerCount)
            .AddUInt32("llama.feed_forward_length", (uint)nFf)
            .AddUInt32("llama.attention.head_count", (uint)spec.HeadCount)
            .AddUInt32("llama.attention.head_count_kv", (uint)spec.HeadCountKv)
            .AddFloat32("llama.attention.layer_norm_rms_epsilon", spec.RmsNormEpsilon)
            .AddFloat32("llama.rope.freq_base", spec.RopeFreqBase)
            .AddUInt32("llama.rope.dimension_count", (uint)headDim)
            .AddUInt32("llama.vocab_size", (uint)nVocab)
            .AddString("tokenizer.ggml.model", "llama")
            .AddStringArray("tokenizer.ggml.tokens", tokens)
            .AddFloat32Array("tokenizer.ggml.scores", scores)
            .AddInt32Array("tokenizer.ggml.token_type", types)
            .AddUInt32("tokenizer.ggml.unknown_token_id", 0)
            .AddUInt32("tokenizer.ggml.bos_token_id", 1)
            .AddUInt32("tokenizer.ggml.eos_token_id", 2)
            .AddBool("tokenizer.ggml.add_bos_token", true)
            .AddBool("tokenizer.ggml.add_eos_token", false);
        if (spec.ChatTemplate is not null) w.AddString("tokenizer.chat_template", spec.ChatTemplate);

        var rng = new SplitMix64(spec.Seed);
        float[] Normal(long n)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++) a[i] = (float)(rng.NextGaussian() * spec.InitStd);
            return a;
        }
        float[] Ones(int n) { var a = new float[n]; Array.Fill(a, 1f); return a; }

        w.AddTensorF32("token_embd.weight", [nEmbd, nVocab], Normal((long)nEmbd * nVocab));
        w.AddTensorF32("output_norm.weight", [nEmbd], Ones(nEmbd));
        w.AddTensorF32("output.weight", [nEmbd, nVocab], Normal((long)nEmbd * nVocab));
        for (int l = 0; l < spec.LayerCount; l++)
        {
            w.AddTensorF32($"blk.{l}.attn_norm.weight", [nEmbd], Ones(nEmbd));
            w.AddTensorF32($"blk.{l}.attn_q.weight", [nEmbd, nEmbd], Normal((long)nEmbd * nEmbd));
            w.AddTensorF32($"blk.{l}.attn_k.weight", [nEmbd, nKv], Normal((long)nEmbd * nKv));
            w.AddTensorF32($"blk.{l}.attn_v.weight", [nEmbd, nKv], Normal((long)nEmbd * nKv));
            w.AddTensorF32($"blk.{l}.attn_output.weight", [nEmbd, nEmbd], Normal((long)nEmbd * nEmbd));
            w.AddTensorF32($"blk.{l}.ffn_norm.weight", [nEmbd], Ones(nEmbd));
            w.AddTensorF32($"blk.{l}.ffn_gate.weight", [nEmbd, nFf], Normal((long)nEmbd * nFf));
            w.AddTensorF32($"blk.{l}.ffn_up.weight", [nEmbd, nFf], Normal((long)nEmbd * nFf));
            w.AddTensorF32($"blk.{l}.ffn_down.weight", [nFf, nEmbd], Normal((long)nFf * nEmbd));
        }
        w.WriteTo(path);
        var full = Path.GetFullPath(path);
        return new TinyModelInfo(full, spec, tokens, nVocab, Sha256(full));
    }

    /// <summary>Writes a LoRA adapter GGUF for a model made by <see cref="Create"/>: random A (N(0, σ)) and B of rank
    /// <paramref name="rank"/> on the given targets (default: blk.0.attn_q, the last layer's attn_v, output).</summary>
    public static string CreateLoraAdapter(string path, TinyModelInfo model, int rank = 4, float alpha = 8f, ulong seed = 7,
        float std = 0.1f, IReadOnlyList<string>? targets = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), rank, "must be ≥ 1");
        var spec = model.Spec;
        int nEmbd = spec.EmbeddingSize, nKv = nEmbd / spec.HeadCount * spec.HeadCountKv;
        targets ??= ["blk.0.attn_q.weight", $"blk.{spec.LayerCount - 1}.attn_v.weight", "output.weight"];
        var w = new GgufWriter()
            .AddString("general.type", "adapter")
            .AddString("general.architecture", "llama")
            .AddString("adapter.type", "lora")
            .AddFloat32("adapter.lora.alpha", alpha);
        var rng = new SplitMix64(seed);
        float[] Normal(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)(rng.NextGaussian() * std); return a; }
        foreach (var t in targets)
        {
            var (nIn, nOut) = t switch
            {
                "output.weight" => (nEmbd, model.VocabSize),
                _ when t.EndsWith(".attn_q.weight") || t.EndsWith(".attn_output.weight") => (nEmbd, nEmbd),
                _ when t.EndsWith(".attn_k.weight") || t.EndsWith(".attn_v.weight") => (nEmbd, nKv),
                _ when t.EndsWith(".ffn_gate.weight") || t.EndsWith(".ffn_up.weight") => (nEmbd, spec.FeedForwardSize),
                _ when t.EndsWith(".ffn_down.weight") => (spec.FeedForwardSize, nEmbd),
                _ => throw new ArgumentException($"Unsupported LoRA target '{t}'.", nameof(targets)),
            };
            w.AddTensorF32(t + ".lora_a", [nIn, rank], Normal((long)nIn * rank));
            w.AddTensorF32(t + ".lora_b", [rank, nOut], Normal((long)rank * nOut));
        }
        w.WriteTo(path);
        return Path.GetFullPath(path);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>SplitMix64 + Box–Muller: a fixed, platform-independent stream for a seed.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _s = seed;
        private double? _spare;

        private ulong Next()
        {
            ulong z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private double NextDouble() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

        public double NextGaussian()
        {
            if (_spare is double s) { _spare = null; return s; }
            double u1 = NextDouble(), u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = r * Math.Sin(2 * Math.PI * u2);
            return r * Math.Cos(2 * Math.PI * u2);
        }
    }
}
