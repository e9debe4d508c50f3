using System.Runtime.InteropServices;
using System.Text;
using HighPerf.Kernels;
using Microsoft.Extensions.Logging;

namespace HighPerf.Llama.Batching;

/// <summary>Settings of a <see cref="BatchedExecutor"/>.</summary>
public sealed record BatchedExecutorOptions
{
    /// <summary>KV sequences (conversations resident at once). More conversations than this are swapped out to host
    /// memory (llama_state_seq_get_data) and back in when they need to run.</summary>
    public int MaxResidentConversations { get; init; } = 8;
    /// <summary>Tokens each conversation can hold (history + generation). Rounded up to a multiple of 256.</summary>
    public int ContextPerConversation { get; init; } = 1024;
    /// <summary>Tokens per llama_decode.</summary>
    public int BatchSize { get; init; } = 512;
    public int MicroBatchSize { get; init; } = 512;
    /// <summary>true (default): one KV buffer shared by all conversations — forks are metadata-only and a decode of
    /// many conversations is 4–6× cheaper on CPU than with per-sequence streams (measured: 6.5 vs 32 ms per
    /// 8-conversation step on the tiny model); logits differ from single-sequence runs by ~1e-7. false: one KV stream
    /// per conversation — bit-exact per conversation; forks copy whole sequences.</summary>
    public bool UnifiedKv { get; init; } = true;
    public int Threads { get; init; } = Native.LlamaNativeLibrary.DefaultThreads;
    /// <summary>Backend of the <see cref="KvBatchPlanner"/> (Managed or NativeCpu); null = best available.</summary>
    public KernelBackend? PlannerBackend { get; init; }
    /// <summary>Also keep each conversation's last hidden state after <see cref="BatchedExecutor.Infer(IReadOnlyList{Conversation}, CancellationToken)"/>
    /// (<see cref="Conversation.Hidden"/>: the features of value heads and critics). llama.cpp then outputs every token
    /// of a decode, so prompts cost a vocabulary projection per token: leave it off when only logits are needed.</summary>
    public bool Embeddings { get; init; }
    /// <summary>Type of the KV cache cells (llama.cpp's default F16). F32 keeps incremental decoding within ~1e-6 of
    /// re-encoding (RL log-probs); F16 halves KV memory and rounds cached keys/values to ~1e-3 relative.</summary>
    public Native.GgmlType KvType { get; init; } = Native.GgmlType.F16;
}

/// <summary>Options of one generation turn.</summary>
public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 64;
    /// <summary>The turn ends when the generated text contains one of these; the returned text stops before it.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>End the turn at an end-of-generation token (EOS/EOT).</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;
    /// <summary>Called on the generating thread after every llama_decode with the executor's total decode count
    /// (<see cref="BatchedExecutor.DecodeCalls"/>): a hook for progress reporting.</summary>
    public Action<long>? AfterDecode { get; init; }
}

/// <summary>Why a turn ended.</summary>
public enum StopReason
{
    MaxTokens,
    EndOfGeneration,
    StopString,
    ContextFull,
}

/// <summary>The result of one turn of one conversation.</summary>
public sealed record TurnResult(Conversation Conversation, string Text, int[] Tokens, StopReason Reason);

/// <summary>
/// Runs many conversations in one llama.cpp context, each in its own KV sequence. A turn appends only the new tokens
/// (history stays in the KV cache); generation advances all conversations together, one llama_decode per step with
/// each conversation's pending tokens packed by <see cref="KvBatchPlanner"/> and a sampler per conversation. Conversations can be
/// forked (the child gets a copy of the parent's KV cells, no recomputation) and rolled back (the tail of the KV is
/// dropped). When there are more conversations than KV sequences, idle ones are swapped out to host memory and back.
/// Not thread-safe.
/// </summary>
public sealed class BatchedExecutor : IDisposable
{
    private readonly KvBatchPlanner _planner;
    private readonly BatchBuffers _buffers;
    // Fork and rollback requests are planned on their own, at once (no tokens): a deferred fork would copy whatever
    // its parent holds when the next batch is planned.
    private readonly KvBatchPlanner _requestPlanner;
    private readonly BatchBuffers _requestBuffers;
    private readonly ConversationState[] _states;
    private int[] _pendingScratch = new int[256];
    private readonly Conversation?[] _slots;
    private readonly LlamaBatch _batch;
    private readonly List<Conversation> _all = [];
    private long _clock;
    private int _nextId;

    public BatchedExecutor(LlamaModel model, BatchedExecutorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new BatchedExecutorOptions();
        if (options.MaxResidentConversations is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(options), options.MaxResidentConversations, "MaxResidentConversations must be in [1, 256]");
        if (options.ContextPerConversation < 1) throw new ArgumentOutOfRangeException(nameof(options), options.ContextPerConversation, "ContextPerConversation must be ≥ 1");
        Model = model;
        Options = options;
        Logger = logger ?? Native.LlamaNativeLibrary.Logger;
        int nSeq = options.MaxResidentConversations;
        int perSeq = (options.ContextPerConversation + 255) / 256 * 256;
        Context = model.CreateContext(new LlamaContextOptions
        {
            SequenceCount = nSeq,
            ContextSize = perSeq * nSeq,
            BatchSize = options.BatchSize,
            MicroBatchSize = Math.Min(options.MicroBatchSize, options.BatchSize),
            UnifiedKv = options.UnifiedKv,
            Threads = options.Threads,
            BatchThreads = options.Threads,
            Embeddings = options.Embeddings,
            KeyType = options.KvType,
            ValueType = options.KvType,
            // llama.cpp's CPU flash attention rounds Q to F16, which F32 cells are meant to avoid.
            FlashAttention = options.KvType == Native.GgmlType.F32 ? false : null,
        });
        _slots = new Conversation?[Context.SequenceCount];
        _batch = new LlamaBatch(Context.BatchSize);
        _planner = new KvBatchPlanner(Context.BatchSize, Context.SequenceCount, options.PlannerBackend);
        _buffers = new BatchBuffers(Context.BatchSize, Context.SequenceCount);
        _requestPlanner = new KvBatchPlanner(1, Context.SequenceCount, _planner.Backend);
        _requestBuffers = new BatchBuffers(1, 1);
        _states = new ConversationState[Context.SequenceCount];
    }

    public LlamaModel Model { get; }
    public BatchedExecutorOptions Options { get; }
    public LlamaContext Context { get; }
    internal ILogger Logger { get; }
    /// <summary>The batch planner in use and its backend, e.g. "KvBatchPlanner (NativeCpu)".</summary>
    public string PlannerName => $"{nameof(KvBatchPlanner)} ({_planner.Backend})";
    /// <summary>Tokens one conversation can hold (ContextPerConversation rounded up to 256; with a unified KV cache
    /// the conversations share n_ctx = capacity × MaxResidentConversations).</summary>
    public int ConversationCapacity => Math.Min(Context.SequenceContextSize, (Options.ContextPerConversation + 255) / 256 * 256);
    /// <summary>Number of swap-outs so far (a measure of KV pressure).</summary>
    public int SwapOuts { get; private set; }
    /// <summary>llama_decode calls so far.</summary>
    public long DecodeCalls { get; private set; }

    /// <summary>Starts a conversation (empty history). <paramref name="sampler"/> defaults to greedy.</summary>
    public Conversation CreateConversation(SamplerOptions? sampler = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var c = new Conversation(this, _nextId++, new SamplerChain(Model, sampler ?? SamplerOptions.Greedy));
        _all.Add(c);
        return c;
    }

    // ---------------------------------------------------------------- slots and swapping

    internal void Touch(Conversation c) => c.LastUsed = ++_clock;

    /// <summary>Gives <paramref name="c"/> a KV sequence, evicting the least recently used conversation that is not
    /// in <paramref name="pinned"/>. Returns false when every slot is pinned.</summary>
    internal bool TryMakeResident(Conversation c, IReadOnlySet<Conversation>? pinned)
    {
        if (c.Slot >= 0) { Touch(c); return true; }
        int slot = Array.IndexOf(_slots, null);
        if (slot < 0)
        {
            Conversation? victim = null;
            foreach (var r in _slots)
                if (r is not null && (pinned is null || !pinned.Contains(r)) && (victim is null || r.LastUsed < victim.LastUsed)) victim = r;
            if (victim is null) return false;
            SwapOut(victim);
            slot = Array.IndexOf(_slots, null);
        }
        _slots[slot] = c;
        c.Slot = slot;
        Context.RemoveTokens(slot, 0);
        if (c.SavedState is not null)
        {
            Context.SetSequenceState(slot, c.SavedState);
            c.SavedState = null;
            int have = Context.SequenceLength(slot);
            if (have != c.CachedTokens) throw new InvalidOperationException($"Conversation {c.Id}: restored {have} tokens, expected {c.CachedTokens}.");
        }
        else if (c.CachedTokens != 0)
        {
            throw new InvalidOperationException($"Conversation {c.Id} lost its KV state.");
        }
        Touch(c);
        return true;
    }

    internal void SwapOut(Conversation c)
    {
        if (c.Slot < 0) return;
        c.SavedState = c.CachedTokens > 0 ? Context.GetSequenceState(c.Slot) : null;
        Context.RemoveTokens(c.Slot, 0);
        _slots[c.Slot] = null;
        c.Slot = -1;
        SwapOuts++;
    }

    internal void Release(Conversation c)
    {
        if (_disposed) return;
        if (c.Slot >= 0)
        {
            Context.RemoveTokens(c.Slot, 0);
            _slots[c.Slot] = null;
            c.Slot = -1;
        }
        c.SavedState = null;
        _all.Remove(c);
    }

    internal Conversation Fork(Conversation parent, SamplerOptions? sampler)
    {
        var child = new Conversation(this, _nextId++, new SamplerChain(Model, sampler ?? parent.Sampler.Options));
        _all.Add(child);
        child.InitFrom(parent);
        if (parent.CachedTokens == 0) return child;
        if (parent.Slot >= 0)
        {
            // Whole-sequence copy: legal in both KV modes; a partial llama_memory_seq_cp aborts without kv_unified.
            int cached = child.CachedTokens;
            child.CachedTokens = 0;
            bool resident = TryMakeResident(child, new HashSet<Conversation> { parent });
            child.CachedTokens = cached;
            if (resident)
            {
                ApplyRequest(new ConversationState(child.Slot, cached, ReadOnlyMemory<int>.Empty, ForkParent: parent.Slot));
                return child;
            }
            child.SavedState = Context.GetSequenceState(parent.Slot);
        }
        else
        {
            child.SavedState = parent.SavedState;
        }
        return child;
    }

    internal void Rollback(Conversation c, int length)
    {
        if (length < c.CachedTokens)
        {
            if (c.Slot < 0 && c.SavedState is not null) TryMakeResident(c, null);
            if (c.Slot >= 0) ApplyRequest(new ConversationState(c.Slot, c.CachedTokens, ReadOnlyMemory<int>.Empty, RollbackTo: length));
            c.CachedTokens = length;
        }
    }

    /// <summary>Plans a fork or rollback request of one resident conversation (no tokens) and applies its KV ops.</summary>
    private void ApplyRequest(in ConversationState request)
    {
        _requestPlanner.Plan(new ReadOnlySpan<ConversationState>(in request), _requestBuffers);
        int expected = request.RollbackTo >= 0 ? request.RollbackTo : request.PastLength;
        if (_requestBuffers.TokenCount != 0 || _requestBuffers.NewPastLength[0] != expected)
            throw new InvalidOperationException($"The KV planner answered a {request} request with {_requestBuffers.TokenCount} tokens and length {_requestBuffers.NewPastLength[0]}.");
        Context.ApplyMemoryOps(_requestBuffers.Ops.AsSpan(0, _requestBuffers.OpCount));
        int have = Context.SequenceLength(request.SequenceId);
        if (have != expected) throw new InvalidOperationException($"Sequence {request.SequenceId} holds {have} tokens after {request}, expected {expected}.");
    }

    // ---------------------------------------------------------------- decoding

    /// <summary>Decodes every pending token of the given conversations (e.g. a prompt) without generating.</summary>
    public void Prefill(IReadOnlyList<Conversation> conversations, CancellationToken cancellationToken = default)
    {
        ValidateSet(conversations);
        RunSteps(conversations, null, null, cancellationToken);
    }

    /// <summary>Generates one turn for each conversation, all batched together, and returns the results in the
    /// order given. Each conversation's new history is its old history + appended tokens + generated tokens.</summary>
    public IReadOnlyList<TurnResult> Generate(IReadOnlyList<Conversation> conversations, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerationOptions();
        if (options.MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, "MaxTokens must be ≥ 1");
        foreach (var s in options.StopStrings) if (string.IsNullOrEmpty(s)) throw new ArgumentException("Stop strings must be non-empty.", nameof(options));
        ValidateSet(conversations);
        foreach (var c in conversations)
            if (c.Tokens.Count == 0) throw new InvalidOperationException($"Conversation {c.Id} is empty: append a prompt first.");
        var states = new Dictionary<Conversation, TurnState>();
        foreach (var c in conversations) states[c] = new TurnState();
        RunSteps(conversations, states, options, cancellationToken);
        return conversations.Select(c =>
        {
            var st = states[c];
            return new TurnResult(c, st.Text ?? Encoding.UTF8.GetString(st.Bytes.ToArray()), st.Generated.ToArray(), st.Reason);
        }).ToArray();
    }

    /// <summary>The per-token step of a turn a caller drives itself (append → <b>infer</b> → read logits → sample →
    /// append the sampled token → infer …, and <see cref="Conversation.Rewind"/>): decodes every pending token of the
    /// given conversations together (packed by the planner, several decodes when they do not fit one batch) and keeps
    /// each one's output for its last token — <see cref="Conversation.Logits"/> and, with
    /// <see cref="BatchedExecutorOptions.Embeddings"/>, <see cref="Conversation.Hidden"/>. A conversation with nothing
    /// pending re-decodes its last token. Outputs are copies: valid until the conversation changes.</summary>
    public void Infer(IReadOnlyList<Conversation> conversations, CancellationToken cancellationToken = default)
        => Infer(conversations, allRows: false, cancellationToken);

    /// <summary><see cref="Infer(IReadOnlyList{Conversation}, CancellationToken)"/>, and with <paramref name="allRows"/>
    /// also keeps the output of every token decoded now (<see cref="Conversation.RowLogits"/> /
    /// <see cref="Conversation.RowHidden"/> by position): scoring candidate continuations, per-token features.</summary>
    public void Infer(IReadOnlyList<Conversation> conversations, bool allRows, CancellationToken cancellationToken = default)
    {
        ValidateSet(conversations);
        foreach (var c in conversations)
        {
            if (c.Tokens.Count == 0) throw new InvalidOperationException($"Conversation {c.Id} is empty: append a prompt first.");
            if (c.PendingCount == 0) Rollback(c, c.Tokens.Count - 1);
            c.HasOutput = false;
            c.RowStart = c.CachedTokens;
            c.RowCount = allRows ? c.PendingCount : 0;
            if (allRows)
            {
                var vocab = Model.VocabSize;
                if (c.RowLogitBuffer.Length < c.RowCount * vocab) c.RowLogitBuffer = new float[c.RowCount * vocab];
                if (Options.Embeddings && c.RowHiddenBuffer.Length < c.RowCount * Model.EmbeddingSize) c.RowHiddenBuffer = new float[c.RowCount * Model.EmbeddingSize];
            }
        }
        RunSteps(conversations, null, null, cancellationToken, capture: true, allRows: allRows);
        foreach (var c in conversations)
            if (!c.HasOutput) throw new InvalidOperationException($"Conversation {c.Id}: the planner produced no output row for its last token.");
    }

    private void CaptureRow(Conversation c, int position, int batchIndex)
    {
        int r = position - c.RowStart;
        if ((uint)r >= (uint)c.RowCount) return;
        var vocab = Model.VocabSize;
        Context.GetLogits(batchIndex).CopyTo(c.RowLogitBuffer.AsSpan(r * vocab, vocab));
        if (Options.Embeddings)
        {
            var e = Model.EmbeddingSize;
            Context.GetEmbeddings(batchIndex).CopyTo(c.RowHiddenBuffer.AsSpan(r * e, e));
        }
    }

    private void Capture(Conversation c, int batchIndex)
    {
        var logits = Context.GetLogits(batchIndex);
        if (c.LogitBuffer.Length != logits.Length) c.LogitBuffer = new float[logits.Length];
        logits.CopyTo(c.LogitBuffer);
        if (Options.Embeddings)
        {
            var hidden = Context.GetEmbeddings(batchIndex);
            if (c.HiddenBuffer.Length != hidden.Length) c.HiddenBuffer = new float[hidden.Length];
            hidden.CopyTo(c.HiddenBuffer);
        }
        c.HasOutput = true;
    }

    private void ValidateSet(IReadOnlyList<Conversation> conversations)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(conversations);
        var set = new HashSet<Conversation>();
        foreach (var c in conversations)
        {
            ArgumentNullException.ThrowIfNull(c, nameof(conversations));
            if (!ReferenceEquals(c.Executor, this)) throw new ArgumentException($"Conversation {c.Id} belongs to another executor.", nameof(conversations));
            if (c.IsDisposed) throw new ObjectDisposedException($"Conversation {c.Id}");
            if (!set.Add(c)) throw new ArgumentException($"Conversation {c.Id} is listed twice.", nameof(conversations));
        }
    }

    private sealed class TurnState
    {
        public readonly List<int> Generated = [];
        public readonly List<byte> Bytes = [];
        public string? Text;
        public StopReason Reason = StopReason.MaxTokens;
        public bool Done;
    }

    private void RunSteps(IReadOnlyList<Conversation> all, Dictionary<Conversation, TurnState>? states, GenerationOptions? gen,
        CancellationToken ct, bool capture = false, bool allRows = false)
    {
        var unfinished = new List<Conversation>(all);
        if (states is not null)
        {
            // Every generating conversation needs the logits of its last token: re-decode it if it is already cached.
            foreach (var c in unfinished)
                if (c.PendingCount == 0) Rollback(c, c.Tokens.Count - 1);
        }
        var running = new List<Conversation>();
        var pinned = new HashSet<Conversation>();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            unfinished.RemoveAll(c => states is null ? c.PendingCount == 0 : states[c].Done);
            if (unfinished.Count == 0) return;

            // Residency: keep the running ones, admit waiting ones into free or evictable slots.
            running.Clear();
            pinned.Clear();
            foreach (var c in unfinished)
                if (c.Slot >= 0) { running.Add(c); pinned.Add(c); }
            foreach (var c in unfinished)
            {
                if (c.Slot >= 0) continue;
                if (running.Count >= _slots.Length) break;
                if (!TryMakeResident(c, pinned)) break;
                running.Add(c);
                pinned.Add(c);
            }

            // Plan: each running conversation's pending tokens (copied into one scratch array the states point into).
            int totalPending = 0;
            foreach (var c in running) totalPending += c.PendingCount;
            if (_pendingScratch.Length < totalPending) _pendingScratch = new int[Math.Max(totalPending, 2 * _pendingScratch.Length)];
            int offset = 0;
            for (int i = 0; i < running.Count; i++)
            {
                var c = running[i];
                int n = c.PendingCount;
                CollectionsMarshal.AsSpan(c.TokenList).Slice(c.CachedTokens, n).CopyTo(_pendingScratch.AsSpan(offset));
                _states[i] = new ConversationState(c.Slot, c.CachedTokens, _pendingScratch.AsMemory(offset, n));
                offset += n;
            }
            _planner.Plan(_states.AsSpan(0, running.Count), _buffers);
            Context.ApplyMemoryOps(_buffers.Ops.AsSpan(0, _buffers.OpCount));
            _batch.Clear();
            for (int k = 0; k < _buffers.TokenCount; k++)
                _batch.Add(_buffers.Tokens[k], _buffers.Positions[k], _buffers.SequenceIds[k], allRows || _buffers.Logits[k] != 0);
            if (_batch.Count == 0) throw new InvalidOperationException("Planner scheduled nothing although tokens are pending.");
            try
            {
                Context.Decode(_batch, ct);
                DecodeCalls++;
                gen?.AfterDecode?.Invoke(DecodeCalls);
            }
            catch (OperationCanceledException)
            {
                // Processed ubatches stay in the cache: resynchronise from the KV cache itself.
                foreach (var c in running) c.CachedTokens = Context.SequenceLength(c.Slot);
                throw;
            }
            for (int i = 0; i < running.Count; i++)
            {
                running[i].CachedTokens = _buffers.NewPastLength[i];
                if (_buffers.Scheduled[i] > 0) Touch(running[i]);
            }
            if (states is null)
            {
                if (allRows)
                    for (int k = 0; k < _buffers.TokenCount; k++)
                        if (_slots[_buffers.SequenceIds[k]] is { } owner) CaptureRow(owner, _buffers.Positions[k], k);
                if (capture)
                    for (int r = 0; r < _buffers.OutputCount; r++)
                    {
                        var c = running[_buffers.OutputConversation[r]];
                        if (c.PendingCount == 0) Capture(c, _buffers.OutputBatchIndex[r]);
                    }
                continue;
            }

            // The planner flags the last pending token of a conversation whose pending tokens all fit: sample there.
            for (int r = 0; r < _buffers.OutputCount; r++)
            {
                var c = running[_buffers.OutputConversation[r]];
                int idx = _buffers.OutputBatchIndex[r];
                var st = states[c];
                int tok = c.Sampler.Sample(Context, idx);
                c.TokenList.Add(tok);
                c.HasOutput = false;
                c.RowCount = 0;
                st.Generated.Add(tok);
                bool eog = Model.Tokenizer.IsEndOfGeneration(tok);
                if (eog && gen!.StopAtEndOfGeneration)
                {
                    st.Reason = StopReason.EndOfGeneration;
                    st.Done = true;
                    continue;
                }
                st.Bytes.AddRange(Model.Tokenizer.TokenToPieceBytes(tok));
                if (gen!.StopStrings.Count > 0)
                {
                    var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(st.Bytes));
                    int cut = -1;
                    foreach (var s in gen.StopStrings)
                    {
                        int at = text.IndexOf(s, StringComparison.Ordinal);
                        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
                    }
                    if (cut >= 0)
                    {
                        st.Text = text[..cut];
                        st.Reason = StopReason.StopString;
                        st.Done = true;
                        continue;
                    }
                }
                if (st.Generated.Count >= gen.MaxTokens) { st.Reason = StopReason.MaxTokens; st.Done = true; continue; }
                if (c.TokenList.Count >= ConversationCapacity) { st.Reason = StopReason.ContextFull; st.Done = true; }
            }
        }
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var c in _all.ToArray()) c.Sampler.Dispose();
        _all.Clear();
        _batch.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// One conversation of a <see cref="BatchedExecutor"/>: its token history, the part of it already in the KV cache,
/// and its sampler. Append text or tokens for a new turn, then call <see cref="BatchedExecutor.Generate"/>.
/// </summary>
public sealed class Conversation : IDisposable
{
    internal readonly List<int> TokenList = [];

    internal Conversation(BatchedExecutor executor, int id, SamplerChain sampler)
    {
        Executor = executor;
        Id = id;
        Sampler = sampler;
    }

    public BatchedExecutor Executor { get; }
    public int Id { get; }
    internal SamplerChain Sampler { get; }
    internal int Slot { get; set; } = -1;
    internal byte[]? SavedState { get; set; }
    internal long LastUsed { get; set; }
    internal bool IsDisposed { get; private set; }
    internal float[] LogitBuffer = [];
    internal float[] HiddenBuffer = [];
    internal bool HasOutput;
    internal float[] RowLogitBuffer = [];
    internal float[] RowHiddenBuffer = [];
    internal int RowStart;
    internal int RowCount;

    /// <summary>Logits at <paramref name="position"/> after <see cref="BatchedExecutor.Infer(IReadOnlyList{Conversation}, bool, CancellationToken)"/>
    /// with allRows (positions decoded in that call only).</summary>
    public ReadOnlySpan<float> RowLogits(int position)
    {
        int r = position - RowStart;
        if (!HasOutput || (uint)r >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(position), position, $"conversation {Id}: rows [{RowStart}, {RowStart + RowCount}) were decoded by the last Infer(allRows: true)");
        int v = Executor.Model.VocabSize;
        return RowLogitBuffer.AsSpan(r * v, v);
    }

    /// <summary>Hidden state at <paramref name="position"/> (see <see cref="RowLogits"/>; needs Embeddings).</summary>
    public ReadOnlySpan<float> RowHidden(int position)
    {
        if (!Executor.Options.Embeddings) throw new InvalidOperationException("The executor was created without Embeddings = true.");
        _ = RowLogits(position);
        int e = Executor.Model.EmbeddingSize;
        return RowHiddenBuffer.AsSpan((position - RowStart) * e, e);
    }

    /// <summary>Logits of the last token after <see cref="BatchedExecutor.Infer(IReadOnlyList{Conversation}, CancellationToken)"/> (a copy; valid until the conversation
    /// changes).</summary>
    public ReadOnlySpan<float> Logits => HasOutput ? LogitBuffer : throw new InvalidOperationException($"Conversation {Id} has no output: call Infer after the last change.");

    /// <summary>Hidden state of the last token after <see cref="BatchedExecutor.Infer(IReadOnlyList{Conversation}, CancellationToken)"/> in an executor with
    /// <see cref="BatchedExecutorOptions.Embeddings"/>.</summary>
    public ReadOnlySpan<float> Hidden => !Executor.Options.Embeddings
        ? throw new InvalidOperationException("The executor was created without Embeddings = true.")
        : HasOutput ? HiddenBuffer : throw new InvalidOperationException($"Conversation {Id} has no output: call Infer after the last change.");

    /// <summary>The full token history (prompt turns and generated tokens).</summary>
    public IReadOnlyList<int> Tokens => TokenList;
    /// <summary>The history as a span (valid until the conversation changes).</summary>
    public ReadOnlySpan<int> TokenSpan => CollectionsMarshal.AsSpan(TokenList);
    /// <summary>Tokens of the history that are in the KV cache (resident or swapped out).</summary>
    public int CachedTokens { get; internal set; }
    /// <summary>Tokens appended or generated but not yet decoded.</summary>
    public int PendingCount => TokenList.Count - CachedTokens;
    /// <summary>Whether the conversation currently owns a KV sequence (false: swapped out or never run).</summary>
    public bool IsResident => Slot >= 0;

    internal void InitFrom(Conversation parent)
    {
        TokenList.AddRange(parent.TokenList);
        CachedTokens = parent.CachedTokens;
    }

    /// <summary>Appends text for the next turn (tokenized on its own; <paramref name="addBos"/> for the first turn of
    /// a model that wants a BOS). Nothing is decoded until the next Generate/Prefill.</summary>
    public void Append(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var toks = Executor.Model.Tokenizer.Tokenize(text, addSpecial: false);
        if (addBos && Executor.Model.Tokenizer.Bos >= 0) toks = [Executor.Model.Tokenizer.Bos, .. toks];
        AppendTokens(toks);
    }

    /// <summary>Appends tokens for the next turn.</summary>
    public void AppendTokens(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Executor.Model.Tokenizer.ValidateTokens(tokens);
        if (TokenList.Count + tokens.Length > Executor.ConversationCapacity)
            throw new InvalidOperationException($"Conversation {Id}: {TokenList.Count} + {tokens.Length} tokens exceed its context of {Executor.ConversationCapacity}.");
        foreach (var t in tokens) TokenList.Add(t);
        if (tokens.Length > 0) { HasOutput = false; RowCount = 0; }
    }

    /// <summary>Makes the history equal to <paramref name="tokens"/> with the least work: keeps the longest common
    /// prefix of the old history (and its KV cells), drops the rest, appends the new tail. Returns how many tokens were
    /// kept. Growing histories (dialogue) keep everything; windowed ones (Maze keeps one observation) keep what still
    /// matches.</summary>
    public int SyncTo(ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Executor.Model.Tokenizer.ValidateTokens(tokens);
        if (tokens.Length > Executor.ConversationCapacity)
            throw new InvalidOperationException($"Conversation {Id}: {tokens.Length} tokens exceed its context of {Executor.ConversationCapacity}.");
        var have = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(TokenList);
        int common = have.CommonPrefixLength(tokens);
        if (common < TokenList.Count) Rollback(common);
        AppendTokens(tokens[common..]);
        return common;
    }

    /// <summary>Drops the last <paramref name="count"/> tokens (and their KV cells).</summary>
    public void Rewind(int count)
    {
        if (count < 0 || count > TokenList.Count) throw new ArgumentOutOfRangeException(nameof(count), count, $"must be in [0, {TokenList.Count}]");
        Rollback(TokenList.Count - count);
    }

    /// <summary>Forks the conversation: the child shares the history and gets a copy of the KV cells (no
    /// recomputation). <paramref name="sampler"/> defaults to the parent's settings (fresh RNG state).</summary>
    public Conversation Fork(SamplerOptions? sampler = null)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Executor.Fork(this, sampler);
    }

    /// <summary>Rolls the history back to its first <paramref name="length"/> tokens (drops the KV tail).</summary>
    public void Rollback(int length)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (length < 0 || length > TokenList.Count) throw new ArgumentOutOfRangeException(nameof(length), length, $"must be in [0, {TokenList.Count}]");
        Executor.Rollback(this, length);
        if (length < TokenList.Count) { HasOutput = false; RowCount = 0; }
        TokenList.RemoveRange(length, TokenList.Count - length);
    }

    /// <summary>The history as text (without a leading BOS).</summary>
    public string Text()
    {
        var t = TokenList.Count > 0 && TokenList[0] == Executor.Model.Tokenizer.Bos ? TokenList.Skip(1).ToArray() : TokenList.ToArray();
        return Executor.Model.Tokenizer.Detokenize(t);
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Executor.Release(this);
        Sampler.Dispose();
    }
}
