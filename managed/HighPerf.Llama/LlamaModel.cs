using System.Runtime.InteropServices;
using System.Text;
using HighPerf.Llama.Gguf;
using HighPerf.Llama.Native;
using Microsoft.Extensions.Logging;

namespace HighPerf.Llama;

/// <summary>How to load model weights.</summary>
public sealed record LlamaModelOptions
{
    /// <summary>Layers to offload to a GPU; −1 = all (the default), 0 = CPU only.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Memory-map the file (fast, read-only weights). Must be false for training, which writes the weights.</summary>
    public bool UseMemoryMap { get; init; } = true;

    /// <summary>Load only the vocabulary (tokenizer use, no weights).</summary>
    public bool VocabOnly { get; init; }

    /// <summary>Let llama.cpp check tensor data for NaN/Inf while loading (slow).</summary>
    public bool CheckTensors { get; init; }

    /// <summary>Options for a model that a WeightedTrainer will update in place.</summary>
    public static LlamaModelOptions Trainable => new() { UseMemoryMap = false, GpuLayers = 0 };
}

/// <summary>A model could not be loaded (or saved) by llama.cpp after it passed validation.</summary>
public sealed class LlamaModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Model weights and vocabulary, loaded from a GGUF file. Thread-safe for reads; dispose after its contexts.</summary>
public sealed unsafe class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;
    private readonly ILogger _logger;

    private LlamaModel(SafeLlamaModelHandle handle, string path, GgufFile file, LlamaModelOptions options, ILogger logger)
    {
        Options = options;
        _handle = handle;
        _logger = logger;
        Path = path;
        File = file;
        VocabPtr = NativeMethods.llama_model_get_vocab(handle.DangerousGetHandle());
        VocabSize = NativeMethods.llama_vocab_n_tokens(VocabPtr);
        EmbeddingSize = NativeMethods.llama_model_n_embd(Ptr);
        LayerCount = NativeMethods.llama_model_n_layer(Ptr);
        HeadCount = NativeMethods.llama_model_n_head(Ptr);
        HeadCountKv = NativeMethods.llama_model_n_head_kv(Ptr);
        TrainContextLength = NativeMethods.llama_model_n_ctx_train(Ptr);
        ParameterCount = NativeMethods.llama_model_n_params(Ptr);
        SizeBytes = NativeMethods.llama_model_size(Ptr);
        Architecture = file.GetString("general.architecture") ?? "";
        Tokenizer = new LlamaTokenizer(this);
    }

    internal IntPtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    internal SafeLlamaModelHandle Handle => _handle;
    internal IntPtr VocabPtr { get; }
    internal ILogger Logger => _logger;

    public string Path { get; }
    /// <summary>The options the model was loaded with.</summary>
    public LlamaModelOptions Options { get; }
    /// <summary>The validated GGUF header of the file this model came from.</summary>
    public GgufFile File { get; }
    public string Architecture { get; }
    public int VocabSize { get; }
    public int EmbeddingSize { get; }
    public int LayerCount { get; }
    public int HeadCount { get; }
    public int HeadCountKv { get; }
    public int TrainContextLength { get; }
    public ulong ParameterCount { get; }
    public ulong SizeBytes { get; }
    public LlamaTokenizer Tokenizer { get; }

    /// <summary>llama.cpp's description, e.g. "llama ?B all F32".</summary>
    public string Description
    {
        get
        {
            var buf = stackalloc byte[256];
            int n = NativeMethods.llama_model_desc(Ptr, buf, 256);
            return n <= 0 ? "" : Encoding.UTF8.GetString(buf, Math.Min(n, 255));
        }
    }

    /// <summary>The chat template stored in the model (tokenizer.chat_template), or null.</summary>
    public string? ChatTemplate
    {
        get
        {
            var p = NativeMethods.llama_model_chat_template(Ptr, null);
            return p == null ? null : Marshal.PtrToStringUTF8((IntPtr)p);
        }
    }

    /// <summary>A metadata value as llama.cpp renders it, or null when the key is absent.</summary>
    public string? GetMetadata(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        int n = NativeMethods.llama_model_meta_val_str(Ptr, key, null, 0);
        if (n < 0) return null;
        var buf = new byte[n + 1];
        fixed (byte* b = buf) NativeMethods.llama_model_meta_val_str(Ptr, key, b, (nuint)buf.Length);
        return Encoding.UTF8.GetString(buf, 0, n);
    }

    /// <summary>
    /// Loads a GGUF model. The file is parsed and checked in C# first (header, metadata, tensor extents, architecture,
    /// required keys, byte tokens of SentencePiece vocabs), so a missing, truncated, corrupt or unsupported file gives an
    /// exception instead of a native abort.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="GgufFormatException">The file is malformed, truncated or unsupported.</exception>
    /// <exception cref="LlamaModelLoadException">llama.cpp refused the file (the log has its reason).</exception>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null, ILogger? logger = null)
    {
        options ??= new LlamaModelOptions();
        LlamaNativeLibrary.EnsureInitialized();
        logger ??= LlamaNativeLibrary.Logger;
        var file = GgufFile.Read(path);
        ModelFileValidator.Validate(file);

        var p = NativeMethods.llama_model_default_params();
        p.NGpuLayers = options.GpuLayers;
        p.LoadMode = options.UseMemoryMap ? -1 : 0;
        p.VocabOnly = (byte)(options.VocabOnly ? 1 : 0);
        p.CheckTensors = (byte)(options.CheckTensors ? 1 : 0);
        var ptr = NativeMethods.llama_model_load_from_file(file.Path, p);
        if (ptr == IntPtr.Zero)
            throw new LlamaModelLoadException($"llama.cpp could not load {file.Path} (see the llama.cpp log for the reason).");
        var model = new LlamaModel(SafeLlamaModelHandle.From(ptr), file.Path, file, options, logger);
        logger.LogDebug("Loaded {Path}: {Desc}, {Params} parameters, vocab {Vocab}", file.Path, model.Description, model.ParameterCount, model.VocabSize);
        return model;
    }

    /// <summary>Creates an inference context.</summary>
    public LlamaContext CreateContext(LlamaContextOptions? options = null) => new(this, options ?? new LlamaContextOptions());

    /// <summary>Saves the (possibly trained) weights to a GGUF file atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        System.IO.Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            NativeMethods.llama_model_save_to_file(Ptr, tmp);
            if (!System.IO.File.Exists(tmp)) throw new LlamaModelLoadException($"llama.cpp did not write {tmp}");
            using (var fs = new FileStream(tmp, FileMode.Open, FileAccess.ReadWrite)) fs.Flush(flushToDisk: true);
            System.IO.File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { System.IO.File.Delete(tmp); } catch { /* best effort */ }
            throw;
        }
    }

    /// <summary>Loads a LoRA adapter for this model (see <see cref="LlamaContext.SetLoraAdapters"/>).</summary>
    public LoraAdapter LoadLoraAdapter(string path)
    {
        var file = GgufFile.Read(path);
        if (file.GetString("general.type") != "adapter")
            throw new GgufFormatException(file.Path, 0, "not an adapter: general.type must be 'adapter'");
        if (file.GetString("adapter.type") != "lora")
            throw new GgufFormatException(file.Path, 0, $"adapter.type is '{file.GetString("adapter.type")}', expected 'lora'");
        if (file.GetString("general.architecture") != Architecture)
            throw new GgufFormatException(file.Path, 0, $"adapter architecture '{file.GetString("general.architecture")}' does not match the model's '{Architecture}'");
        var ptr = NativeMethods.llama_adapter_lora_init(Ptr, file.Path);
        if (ptr == IntPtr.Zero) throw new LlamaModelLoadException($"llama.cpp rejected the LoRA adapter {file.Path} (see the log: names or shapes).");
        return new LoraAdapter(new SafeLoraAdapterHandle(ptr, _handle), file.Path, this);
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>A LoRA adapter bound to one model. Apply it per context with <see cref="LlamaContext.SetLoraAdapters"/>.</summary>
public sealed class LoraAdapter : IDisposable
{
    internal LoraAdapter(SafeLoraAdapterHandle handle, string path, LlamaModel model)
    {
        Handle = handle;
        Path = path;
        Model = model;
    }

    internal SafeLoraAdapterHandle Handle { get; }
    public string Path { get; }
    public LlamaModel Model { get; }
    public void Dispose() => Handle.Dispose();
}
