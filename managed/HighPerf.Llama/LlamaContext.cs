using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HighPerf.Llama.Native;
using Microsoft.Extensions.Logging;

namespace HighPerf.Llama;

/// <summary>How embeddings are pooled per sequence. Pooling is done in C# from per-token states (spec §6: llama.cpp's
/// per-token accessor returns junk when its own pooling is on), so llama.cpp always runs with pooling NONE.</summary>
public enum PoolingType
{
    None = 0,
    Mean = 1,
    Last = 3,
}

/// <summary>Context (KV cache + compute) parameters. Sizes are requests: llama.cpp rounds n_ctx up to a multiple of
/// 256 (per sequence when the KV cache is not unified); read the real values back from the context.</summary>
public sealed record LlamaContextOptions
{
    /// <summary>Requested total context (tokens over all sequences); 0 = the model's training context.</summary>
    public int ContextSize { get; init; } = 2048;
    /// <summary>Maximum tokens per <see cref="LlamaContext.Decode(LlamaBatch, CancellationToken)"/> call.</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>Physical micro-batch size (≤ BatchSize).</summary>
    public int MicroBatchSize { get; init; } = 512;
    /// <summary>Number of KV sequences (conversations resident at once), 1..256.</summary>
    public int SequenceCount { get; init; } = 1;
    /// <summary>One KV buffer shared by all sequences (partial copies legal, ~1e-7 numeric differences) instead of one
    /// stream per sequence (bit-exact per sequence; copies are whole-sequence only).</summary>
    public bool UnifiedKv { get; init; }
    /// <summary>Also produce per-token hidden states (every token becomes an output).</summary>
    public bool Embeddings { get; init; }
    /// <summary>Threads for single-token decoding; default: core count.</summary>
    public int Threads { get; init; } = LlamaNativeLibrary.DefaultThreads;
    /// <summary>Threads for batch decoding; default: core count.</summary>
    public int BatchThreads { get; init; } = LlamaNativeLibrary.DefaultThreads;
    /// <summary>KV cache element type for K (F16 default; F32 for training).</summary>
    public GgmlType KeyType { get; init; } = GgmlType.F16;
    /// <summary>KV cache element type for V.</summary>
    public GgmlType ValueType { get; init; } = GgmlType.F16;
    /// <summary>Flash attention: null = auto.</summary>
    public bool? FlashAttention { get; init; }

    internal void Validate()
    {
        if (ContextSize < 0) throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, "must be ≥ 0");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be ≥ 1");
        if (MicroBatchSize < 1 || MicroBatchSize > BatchSize) throw new ArgumentOutOfRangeException(nameof(MicroBatchSize), MicroBatchSize, $"must be in [1, BatchSize={BatchSize}]");
        if (SequenceCount is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(SequenceCount), SequenceCount, "must be in [1, 256]");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "must be ≥ 1");
        if (BatchThreads < 1) throw new ArgumentOutOfRangeException(nameof(BatchThreads), BatchThreads, "must be ≥ 1");
        if (KeyType is not (GgmlType.F16 or GgmlType.F32 or GgmlType.BF16)) throw new ArgumentOutOfRangeException(nameof(KeyType), KeyType, "F16, BF16 or F32");
        if (ValueType is not (GgmlType.F16 or GgmlType.F32 or GgmlType.BF16)) throw new ArgumentOutOfRangeException(nameof(ValueType), ValueType, "F16, BF16 or F32");
    }
}

/// <summary>llama_decode failed.</summary>
public sealed class LlamaDecodeException(int code, string message) : Exception(message)
{
    /// <summary>llama_decode's return code (1: no KV slot, −1: invalid batch, &lt; −1: fatal).</summary>
    public int Code { get; } = code;
}

/// <summary>
/// An inference context: KV cache with <see cref="SequenceCount"/> sequences, decode, logits, hidden states, KV
/// sequence operations and state save/restore. Not thread-safe: use one context per thread.
/// </summary>
public sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly int* _abortFlag;
    private bool[] _outputs = [];
    private int _lastBatchSize;
    private readonly List<LoraAdapter> _adapters = [];
    private bool _disposed;

    internal LlamaContext(LlamaModel model, LlamaContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
        var p = NativeMethods.llama_context_default_params();
        p.NCtx = (uint)options.ContextSize;
        p.NBatch = (uint)options.BatchSize;
        p.NUbatch = (uint)options.MicroBatchSize;
        p.NSeqMax = (uint)options.SequenceCount;
        p.NThreads = options.Threads;
        p.NThreadsBatch = options.BatchThreads;
        p.Embeddings = (byte)(options.Embeddings ? 1 : 0);
        p.PoolingType = 0; // NONE: pooling is done in C#
        p.KvUnified = (byte)(options.UnifiedKv ? 1 : 0);
        p.TypeK = (int)options.KeyType;
        p.TypeV = (int)options.ValueType;
        p.FlashAttnType = options.FlashAttention switch { null => -1, true => 1, false => 0 };
        _abortFlag = (int*)NativeMemory.AllocZeroed(sizeof(int));
        p.AbortCallback = (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, byte>)&OnAbort;
        p.AbortCallbackData = (IntPtr)_abortFlag;
        var ptr = NativeMethods.llama_init_from_model(model.Ptr, p);
        if (ptr == IntPtr.Zero)
        {
            NativeMemory.Free(_abortFlag);
            throw new InvalidOperationException($"llama.cpp could not create a context ({options}); see the llama.cpp log.");
        }
        _handle = new SafeLlamaContextHandle(ptr, model.Handle);
        ContextSize = (int)NativeMethods.llama_n_ctx(ptr);
        SequenceContextSize = (int)NativeMethods.llama_n_ctx_seq(ptr);
        BatchSize = (int)NativeMethods.llama_n_batch(ptr);
        MicroBatchSize = (int)NativeMethods.llama_n_ubatch(ptr);
        SequenceCount = (int)NativeMethods.llama_n_seq_max(ptr);
        Memory = NativeMethods.llama_get_memory(ptr);
        model.Logger.LogDebug("Context: n_ctx {Ctx} (per sequence {Seq}), n_batch {B}, n_ubatch {U}, n_seq_max {S}, unified {Uni}",
            ContextSize, SequenceContextSize, BatchSize, MicroBatchSize, SequenceCount, options.UnifiedKv);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte OnAbort(IntPtr data) => (byte)(data != IntPtr.Zero && Volatile.Read(ref *(int*)data) != 0 ? 1 : 0);

    internal IntPtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _handle.DangerousGetHandle();
        }
    }

    private IntPtr Memory { get; }

    public LlamaModel Model { get; }
    public LlamaContextOptions Options { get; }
    /// <summary>Real total context after llama.cpp's rounding.</summary>
    public int ContextSize { get; }
    /// <summary>Real context per sequence (what one conversation can hold).</summary>
    public int SequenceContextSize { get; }
    public int BatchSize { get; }
    public int MicroBatchSize { get; }
    public int SequenceCount { get; }
    public int VocabSize => Model.VocabSize;
    public int EmbeddingSize => Model.EmbeddingSize;

    /// <summary>Decodes a batch. Validates token ids, sequence ids, positions (consecutive per sequence, continuing the
    /// KV cache) and the batch size before calling llama.cpp. Throws <see cref="OperationCanceledException"/> when
    /// cancelled mid-decode (ubatches already processed stay in the KV cache: query <see cref="SequenceLength"/>).</summary>
    public void Decode(LlamaBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ctx = Ptr;
        int n = batch.Count;
        if (n == 0) throw new ArgumentException("The batch is empty.", nameof(batch));
        if (n > BatchSize) throw new ArgumentException($"The batch holds {n} tokens but the context's n_batch is {BatchSize}.", nameof(batch));
        ValidateBatch(batch);
        cancellationToken.ThrowIfCancellationRequested();
        Volatile.Write(ref *_abortFlag, 0);
        int rc;
        using (cancellationToken.Register(static s => { unsafe { Volatile.Write(ref *(int*)(IntPtr)s!, 1); } }, (IntPtr)_abortFlag))
        {
            rc = NativeMethods.llama_decode(ctx, batch.Native);
        }
        if (rc == 2 || (rc != 0 && cancellationToken.IsCancellationRequested))
        {
            _outputs = [];
            throw new OperationCanceledException("llama_decode was cancelled.", cancellationToken);
        }
        if (rc != 0)
        {
            _outputs = [];
            throw new LlamaDecodeException(rc, rc switch
            {
                1 => $"llama_decode found no KV slot for {n} tokens (context full: n_ctx {ContextSize}, per sequence {SequenceContextSize}).",
                -1 => "llama_decode rejected the batch as invalid (see the llama.cpp log).",
                _ => $"llama_decode failed with code {rc} (see the llama.cpp log).",
            });
        }
        _lastBatchSize = n;
        if (_outputs.Length < n) _outputs = new bool[Math.Max(n, BatchSize)];
        for (int i = 0; i < n; i++) _outputs[i] = Options.Embeddings || batch.IsOutput(i);
    }

    private void ValidateBatch(LlamaBatch batch)
    {
        int n = batch.Count;
        var expected = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            int tok = batch.TokenAt(i), pos = batch.PositionAt(i), seq = batch.SequenceAt(i);
            if ((uint)tok >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(batch), $"Batch token {i}: id {tok} outside the vocabulary [0, {VocabSize}).");
            if ((uint)seq >= (uint)SequenceCount) throw new ArgumentOutOfRangeException(nameof(batch), $"Batch token {i}: sequence id {seq} outside [0, n_seq_max={SequenceCount}).");
            if (pos < 0) throw new ArgumentOutOfRangeException(nameof(batch), $"Batch token {i}: negative position {pos}.");
            if (!expected.TryGetValue(seq, out var want))
            {
                int max = NativeMethods.llama_memory_seq_pos_max(Memory, seq);
                want = max >= 0 ? max + 1 : pos;
            }
            if (pos != want) throw new ArgumentException($"Batch token {i}: sequence {seq} expects position {want} next, got {pos} (positions must continue the KV cache consecutively).", nameof(batch));
            if (pos >= SequenceContextSize) throw new ArgumentException($"Batch token {i}: position {pos} does not fit the per-sequence context of {SequenceContextSize} tokens.", nameof(batch));
            expected[seq] = pos + 1;
        }
    }

    private void CheckOutput(int batchIndex)
    {
        if ((uint)batchIndex >= (uint)_lastBatchSize || !_outputs[batchIndex])
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"Batch index {batchIndex} was not an output of the last decode ({_lastBatchSize} tokens).");
    }

    /// <summary>Logits (n_vocab floats) of an output token of the last decode, by its index in the batch. The span is
    /// valid only until the next decode; copy it to keep it.</summary>
    public ReadOnlySpan<float> GetLogits(int batchIndex)
    {
        CheckOutput(batchIndex);
        var p = NativeMethods.llama_get_logits_ith(Ptr, batchIndex);
        if (p == null) throw new InvalidOperationException($"llama.cpp returned no logits for batch index {batchIndex}.");
        return new ReadOnlySpan<float>(p, VocabSize);
    }

    /// <summary>Hidden state (n_embd floats, after the final norm) of a token of the last decode. Needs
    /// <see cref="LlamaContextOptions.Embeddings"/>. Valid until the next decode.</summary>
    public ReadOnlySpan<float> GetEmbeddings(int batchIndex)
    {
        if (!Options.Embeddings) throw new InvalidOperationException("This context was created without Embeddings = true.");
        CheckOutput(batchIndex);
        var p = NativeMethods.llama_get_embeddings_ith(Ptr, batchIndex);
        if (p == null) throw new InvalidOperationException($"llama.cpp returned no embeddings for batch index {batchIndex}.");
        return new ReadOnlySpan<float>(p, EmbeddingSize);
    }

    private void CheckSeq(int seq, string name)
    {
        if ((uint)seq >= (uint)SequenceCount) throw new ArgumentOutOfRangeException(name, seq, $"Sequence id must be in [0, {SequenceCount}).");
    }

    /// <summary>Number of tokens held for a sequence (last position + 1, 0 when empty).</summary>
    public int SequenceLength(int seq)
    {
        CheckSeq(seq, nameof(seq));
        _ = Ptr;
        return NativeMethods.llama_memory_seq_pos_max(Memory, seq) + 1;
    }

    /// <summary>Clears the whole KV cache.</summary>
    public void ClearMemory() { _ = Ptr; NativeMethods.llama_memory_clear(Memory, true); }

    /// <summary>Removes positions [from, end) of a sequence (rollback). <paramref name="from"/> = 0 clears it.</summary>
    public void RemoveTokens(int seq, int from, int end = -1)
    {
        CheckSeq(seq, nameof(seq));
        if (from < 0) throw new ArgumentOutOfRangeException(nameof(from), from, "must be ≥ 0");
        if (end != -1 && end < from) throw new ArgumentOutOfRangeException(nameof(end), end, "must be −1 (to the end) or ≥ from");
        _ = Ptr;
        if (!NativeMethods.llama_memory_seq_rm(Memory, seq, from, end))
            throw new InvalidOperationException($"llama.cpp could not remove positions [{from}, {end}) of sequence {seq} (partial removal unsupported by this model's memory).");
    }

    /// <summary>Copies a whole sequence (KV cells, no recomputation) onto another, after clearing the destination.
    /// Whole-sequence copies are the only form llama.cpp allows without a unified KV cache (a partial copy aborts the
    /// process); to fork at an earlier point, copy then <see cref="RemoveTokens"/> the tail.</summary>
    public void CopySequence(int src, int dst)
    {
        CheckSeq(src, nameof(src));
        CheckSeq(dst, nameof(dst));
        if (src == dst) throw new ArgumentException("Source and destination sequences are the same.", nameof(dst));
        _ = Ptr;
        NativeMethods.llama_memory_seq_rm(Memory, dst, -1, -1);
        NativeMethods.llama_memory_seq_cp(Memory, src, dst, -1, -1);
    }

    /// <summary>Serialises one sequence's KV state (for swapping a conversation out).</summary>
    public byte[] GetSequenceState(int seq)
    {
        CheckSeq(seq, nameof(seq));
        var ctx = Ptr;
        var size = NativeMethods.llama_state_seq_get_size(ctx, seq);
        var buf = new byte[(int)size];
        fixed (byte* b = buf)
        {
            var n = NativeMethods.llama_state_seq_get_data(ctx, b, size, seq);
            if (n != size) throw new InvalidOperationException($"llama_state_seq_get_data wrote {n} of {size} bytes for sequence {seq}.");
        }
        return buf;
    }

    /// <summary>Restores a sequence's KV state saved by <see cref="GetSequenceState"/> into <paramref name="seq"/>
    /// (any sequence id; its previous contents are replaced).</summary>
    public void SetSequenceState(int seq, ReadOnlySpan<byte> state)
    {
        CheckSeq(seq, nameof(seq));
        if (state.IsEmpty) throw new ArgumentException("Empty state.", nameof(state));
        var ctx = Ptr;
        NativeMethods.llama_memory_seq_rm(Memory, seq, -1, -1);
        fixed (byte* b = state)
        {
            var n = NativeMethods.llama_state_seq_set_data(ctx, b, (nuint)state.Length, seq);
            if (n == 0) throw new InvalidOperationException($"llama.cpp could not restore sequence {seq} from {state.Length} bytes (no room in the KV cache, or state from another model/context shape).");
        }
    }

    /// <summary>Replaces the set of active LoRA adapters. Scale 1 applies an adapter fully.</summary>
    public void SetLoraAdapters(IReadOnlyList<(LoraAdapter Adapter, float Scale)> adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var ctx = Ptr;
        var ptrs = new IntPtr[adapters.Count];
        var scales = new float[adapters.Count];
        for (int i = 0; i < adapters.Count; i++)
        {
            var (a, s) = adapters[i];
            ArgumentNullException.ThrowIfNull(a);
            if (!ReferenceEquals(a.Model, Model)) throw new ArgumentException($"Adapter {a.Path} belongs to another model.", nameof(adapters));
            if (a.Handle.IsClosed) throw new ObjectDisposedException(nameof(LoraAdapter), $"Adapter {a.Path} was disposed.");
            if (!float.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(adapters), s, "LoRA scale must be finite.");
            ptrs[i] = a.Handle.DangerousGetHandle();
            scales[i] = s;
        }
        int rc;
        fixed (IntPtr* pp = ptrs)
        fixed (float* sp = scales)
            rc = NativeMethods.llama_set_adapters_lora(ctx, adapters.Count == 0 ? null : pp, (nuint)adapters.Count, adapters.Count == 0 ? null : sp);
        if (rc != 0) throw new InvalidOperationException($"llama_set_adapters_lora failed ({rc}).");
        foreach (var a in _adapters) a.Handle.DangerousRelease();
        _adapters.Clear();
        foreach (var (a, _) in adapters)
        {
            bool ok = false;
            a.Handle.DangerousAddRef(ref ok);
            _adapters.Add(a);
        }
    }

    /// <summary>Removes all LoRA adapters from this context.</summary>
    public void ClearLoraAdapters() => SetLoraAdapters([]);

    /// <summary>Pools per-token hidden states of one sequence (rows of n_embd floats) in C#.</summary>
    public static float[] Pool(ReadOnlySpan<float> states, int embeddingSize, PoolingType pooling)
    {
        if (embeddingSize <= 0) throw new ArgumentOutOfRangeException(nameof(embeddingSize));
        if (states.Length == 0 || states.Length % embeddingSize != 0)
            throw new ArgumentException($"States length {states.Length} is not a positive multiple of {embeddingSize}.", nameof(states));
        int rows = states.Length / embeddingSize;
        var result = new float[embeddingSize];
        switch (pooling)
        {
            case PoolingType.Last:
                states[^embeddingSize..].CopyTo(result);
                break;
            case PoolingType.Mean:
            {
                var acc = new double[embeddingSize];
                for (int r = 0; r < rows; r++)
                {
                    var row = states.Slice(r * embeddingSize, embeddingSize);
                    for (int j = 0; j < embeddingSize; j++) acc[j] += row[j];
                }
                for (int j = 0; j < embeddingSize; j++) result[j] = (float)(acc[j] / rows);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Mean or Last");
        }
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle.Dispose();
        foreach (var a in _adapters) a.Handle.DangerousRelease();
        _adapters.Clear();
        NativeMemory.Free(_abortFlag);
    }
}
