using HighPerf.Llama.Native;

namespace HighPerf.Llama;

/// <summary>A reusable native <c>llama_batch</c> (one sequence id per token). Fill with <see cref="Add"/>, decode with
/// <see cref="LlamaContext.Decode(LlamaBatch, CancellationToken)"/>, then <see cref="Clear"/>.</summary>
public sealed unsafe class LlamaBatch : IDisposable
{
    private LlamaBatchNative _batch;
    private bool _disposed;

    public LlamaBatch(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be ≥ 1");
        LlamaNativeLibrary.EnsureInitialized();
        _batch = NativeMethods.llama_batch_init(capacity, 0, 1);
        if (_batch.Token == null) throw new OutOfMemoryException($"llama_batch_init({capacity}) failed.");
        Capacity = capacity;
    }

    public int Capacity { get; }
    public int Count => _batch.NTokens;
    internal LlamaBatchNative Native { get { ObjectDisposedException.ThrowIf(_disposed, this); return _batch; } }

    /// <summary>Appends a token of sequence <paramref name="seq"/> at position <paramref name="pos"/>; returns its batch
    /// index. <paramref name="output"/> asks for its logits (and hidden state).</summary>
    public int Add(int token, int pos, int seq, bool output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int i = _batch.NTokens;
        if (i >= Capacity) throw new InvalidOperationException($"The batch is full ({Capacity} tokens).");
        if (pos < 0) throw new ArgumentOutOfRangeException(nameof(pos), pos, "must be ≥ 0");
        if (seq < 0) throw new ArgumentOutOfRangeException(nameof(seq), seq, "must be ≥ 0");
        _batch.Token[i] = token;
        _batch.Pos[i] = pos;
        _batch.NSeqId[i] = 1;
        _batch.SeqId[i][0] = seq;
        _batch.Logits[i] = (sbyte)(output ? 1 : 0);
        _batch.NTokens = i + 1;
        return i;
    }

    /// <summary>Appends consecutive tokens of one sequence starting at <paramref name="startPos"/>; only the last is an
    /// output when <paramref name="outputLast"/>. Returns the batch index of the last token.</summary>
    public int AddSequence(ReadOnlySpan<int> tokens, int startPos, int seq, bool outputLast = true, bool outputAll = false)
    {
        if (tokens.IsEmpty) throw new ArgumentException("No tokens.", nameof(tokens));
        if (Count + tokens.Length > Capacity) throw new InvalidOperationException($"{tokens.Length} tokens do not fit the batch ({Count}/{Capacity} used).");
        int last = -1;
        for (int i = 0; i < tokens.Length; i++)
            last = Add(tokens[i], startPos + i, seq, outputAll || (outputLast && i == tokens.Length - 1));
        return last;
    }

    /// <summary>Marks an already added token as output or not.</summary>
    public void SetOutput(int index, bool output)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        _batch.Logits[index] = (sbyte)(output ? 1 : 0);
    }

    public int TokenAt(int i) { Check(i); return _batch.Token[i]; }
    public int PositionAt(int i) { Check(i); return _batch.Pos[i]; }
    public int SequenceAt(int i) { Check(i); return _batch.SeqId[i][0]; }
    public bool IsOutput(int i) { Check(i); return _batch.Logits[i] != 0; }

    private void Check(int i)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"Batch holds {Count} tokens.");
    }

    public void Clear() => _batch.NTokens = 0;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _batch.NTokens = 0;
        NativeMethods.llama_batch_free(_batch);
        _batch = default;
    }
}
