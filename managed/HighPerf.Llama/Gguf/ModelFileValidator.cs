namespace HighPerf.Llama.Gguf;

/// <summary>
/// Checks a GGUF model file in C# before llama.cpp sees it, because several defects (a vocab without byte tokens, a
/// corrupt header) make llama.cpp abort or throw through its C API and kill the process.
/// </summary>
public static class ModelFileValidator
{
    /// <summary>Architectures known to llama.cpp v0.5.0 (src/llama-arch.cpp).</summary>
    public static readonly IReadOnlySet<string> SupportedArchitectures = new HashSet<string>(StringComparer.Ordinal)
    {
        "llama","llama4","deci","falcon","grok","gpt2","gptj","gptneox","mpt","baichuan","starcoder","refact","bert","modern-bert",
        "nomic-bert","nomic-bert-moe","neo-bert","jina-bert-v2","jina-bert-v3","eurobert","bloom","stablelm","qwen","qwen2","qwen2moe",
        "qwen2vl","qwen3","qwen3moe","qwen3next","qwen3vl","qwen3vlmoe","qwen35","qwen35moe","qwen4exp","phi2","phi3","phimoe","plamo",
        "plamo2","plamo3","codeshell","orion","internlm2","minicpm","minicpm3","gemma","gemma2","gemma3","gemma3n","gemma4",
        "gemma4-assistant","gemma-embedding","starcoder2","mamba","mamba2","maple","jamba","falcon-h1","xverse","command-r","cohere2",
        "cohere2moe","dbrx","olmo","olmo2","olmoe","muse-glimmer","openelm","arctic","deepseek","deepseek2","deepseek2-ocr","deepseek32",
        "deepseek4","chatglm","glm4","glm4moe","glm-dsa","bitnet","t5","t5encoder","jais","jais2","nemotron","nemotron_h","nemotron_h_moe",
        "exaone","exaone4","exaone-moe","rwkv6","rwkv6qwen2","rwkv7","arwkv7","granite","granitemoe","granitehybrid","graniteswitch",
        "granite_swa","chameleon","wavtokenizer-dec","plm","bailingmoe","bailingmoe2","bailingmoe3","dots1","dots3note","arcee","afmoe",
        "laguna","ernie4_5","ernie4_5-moe","hunyuan-moe","hunyuan-dense","hunyuan_vl","hy_v3","hy_v4","smollm3","gpt-oss","lfm2","lfm2moe",
        "dream","smallthinker","llada","llada-moe","seed_oss","grovemoe","apertus","minimax-01","hrm_text","minimax-m2","minimax-m3",
        "cogvlm","rnd1","pangu-embedded","mistral3","eagle3","dflash","mistral4","paddleocr","mimo2","step35","spark2_5","llama-embed",
        "maincoder","kimi-linear","kimi-k3","talkie","mellum","nanbeige","qwen3tts","pockettts",
    };

    private static readonly HashSet<string> TokenizerModels = new(StringComparer.Ordinal)
        { "no_vocab", "none", "llama", "bert", "gpt2", "t5", "rwkv", "plamo2", "test" };

    /// <summary>Validates a parsed file as a loadable model. Throws <see cref="GgufFormatException"/> naming the defect.</summary>
    public static void Validate(GgufFile f)
    {
        GgufFormatException Bad(string msg) => new(f.Path, 0, msg);

        if (f.GetString("general.type") is "adapter")
            throw Bad("this file is an adapter (general.type = adapter), not a model; load it with LoadLoraAdapter");
        var arch = f.GetString("general.architecture") ?? throw Bad("required key general.architecture is missing");
        if (!SupportedArchitectures.Contains(arch)) throw Bad($"architecture '{arch}' is not supported by this llama.cpp build");

        foreach (var k in new[] { "context_length", "embedding_length", "block_count" })
        {
            var v = f.GetInteger($"{arch}.{k}") ?? throw Bad($"required key {arch}.{k} is missing or not an integer");
            if (v <= 0) throw Bad($"{arch}.{k} = {v} must be positive");
        }
        if (arch == "llama")
        {
            if (!f.Metadata.ContainsKey("llama.attention.layer_norm_rms_epsilon")) throw Bad("required key llama.attention.layer_norm_rms_epsilon is missing");
            var heads = f.GetInteger("llama.attention.head_count") ?? throw Bad("required key llama.attention.head_count is missing");
            var embd = f.GetInteger("llama.embedding_length")!.Value;
            if (heads <= 0 || embd % heads != 0) throw Bad($"llama.embedding_length {embd} is not a multiple of llama.attention.head_count {heads}");
            var kv = f.GetInteger("llama.attention.head_count_kv") ?? heads;
            if (kv <= 0 || heads % kv != 0) throw Bad($"llama.attention.head_count {heads} is not a multiple of head_count_kv {kv}");
        }

        var model = f.GetString("tokenizer.ggml.model") ?? throw Bad("required key tokenizer.ggml.model is missing");
        if (!TokenizerModels.Contains(model)) throw Bad($"tokenizer model '{model}' is not supported");
        if (model is "none" or "no_vocab") return;

        var tokens = f.GetStringArray("tokenizer.ggml.tokens") ?? throw Bad("required key tokenizer.ggml.tokens is missing or not a string array");
        if (tokens.Length == 0) throw Bad("tokenizer.ggml.tokens is empty");
        int n = tokens.Length;
        if (f.Metadata.TryGetValue("tokenizer.ggml.scores", out var sc) && sc is float[] scores && scores.Length != n)
            throw Bad($"tokenizer.ggml.scores has {scores.Length} entries for {n} tokens");
        int[]? types = null;
        if (f.Metadata.TryGetValue("tokenizer.ggml.token_type", out var tt))
        {
            types = tt as int[] ?? throw Bad("tokenizer.ggml.token_type must be an i32 array");
            if (types.Length != n) throw Bad($"tokenizer.ggml.token_type has {types.Length} entries for {n} tokens");
        }
        foreach (var key in new[] { "bos_token_id", "eos_token_id", "unknown_token_id", "eot_token_id", "padding_token_id" })
        {
            var id = f.GetInteger($"tokenizer.ggml.{key}");
            if (id is not null && (id < 0 || id >= n) && id != uint.MaxValue)
                throw Bad($"tokenizer.ggml.{key} = {id} is outside the vocabulary of {n} tokens");
        }
        if (model == "llama")
        {
            // SPM byte fallback looks up <0xNN>; a missing one throws a C++ exception through the C API (process abort).
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < n; i++) index.TryAdd(tokens[i], i);
            for (int b = 0; b < 256; b++)
            {
                var name = $"<0x{b:X2}>";
                if (!index.TryGetValue(name, out var id)) throw Bad($"SentencePiece vocab lacks byte token {name} (all 256 are required for byte fallback)");
                if (types is not null && types[id] != 6) throw Bad($"byte token {name} (id {id}) has token type {types[id]}, expected 6 (BYTE)");
            }
        }
        else if (model == "gpt2")
        {
            if (f.GetStringArray("tokenizer.ggml.merges") is null) throw Bad("BPE vocab lacks tokenizer.ggml.merges");
        }

        var emb = f.Tensors.FirstOrDefault(t => t.Name == "token_embd.weight");
        if (arch == "llama")
        {
            if (emb is null) throw Bad("tensor token_embd.weight is missing");
            var nEmbd = f.GetInteger("llama.embedding_length")!.Value;
            if (emb.Shape.Length != 2 || emb.Shape[0] != nEmbd || emb.Shape[1] != n)
                throw Bad($"tensor token_embd.weight has shape [{string.Join(", ", emb.Shape)}], expected [{nEmbd}, {n}]");
        }
    }
}
