using HighPerf.Kernels.Interop;

namespace HighPerf.Kernels;

/// <summary>
/// (c) Fused vocabulary kernels over logits [rows × vocab] (float32, row r at r·rowStride). One streaming pass per row
/// (online logsumexp/entropy: running max m, s = Σe^(x−m), t = Σe^(x−m)(x−m)); nothing of size rows × vocab is written.
/// NaN policy: a NaN logit makes its row's outputs NaN; a row of all −inf gives lse = −inf and NaN entropy/logprob;
/// logits of ±1e30 are handled exactly (statistics are kept relative to the max). Temperature must be finite and &gt; 0.
/// </summary>
public static unsafe class Vocabulary
{
    /// <summary>
    /// Per row, on x/T: logsumexp = log Σ e^x; entropy = logsumexp − Σ softmax(x)·x; logprob = log softmax(x)[labels[r]].
    /// Any of logprob/entropy/logsumexp may be empty (not computed); labels are required (length rows, each in [0, vocab))
    /// when logprob is requested. CQL's cross-entropy over Q-logits is −logprob of this kernel.
    /// </summary>
    public static void Stats(ReadOnlySpan<float> logits, int rows, int vocab, ReadOnlySpan<int> labels, Span<float> logprob,
        Span<float> entropy, Span<float> logsumexp, float temperature = 1f, int rowStride = 0, KernelBackend? backend = null)
    {
        if (rowStride == 0) rowStride = vocab;
        Validation.Vocab(logits.Length, rows, vocab, rowStride, labels, temperature, logprob.Length != 0);
        Validation.OptionalLength(logprob.Length, rows, nameof(logprob), "rows");
        Validation.OptionalLength(entropy.Length, rows, nameof(entropy), "rows");
        Validation.OptionalLength(logsumexp.Length, rows, nameof(logsumexp), "rows");
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(Stats));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.VocabStats(logits, rows, vocab, rowStride, labels, temperature, logprob, entropy, logsumexp);
            return;
        }
        fixed (float* x = logits, lp = logprob, ent = entropy, lse = logsumexp)
        fixed (int* y = labels)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_vocab_stats(x, rows, vocab, rowStride, y, temperature, lp, ent, lse)
                : NativeMethods.hp_vocab_stats(x, rows, vocab, rowStride, y, temperature, lp, ent, lse);
            NativeMethods.Check(status, "hp_vocab_stats");
        }
    }

    /// <summary>Log-probability of one label per row (convenience over <see cref="Stats"/>).</summary>
    public static void LogProbs(ReadOnlySpan<float> logits, int rows, int vocab, ReadOnlySpan<int> labels, Span<float> logprob,
        float temperature = 1f, KernelBackend? backend = null) =>
        Stats(logits, rows, vocab, labels, logprob, default, default, temperature, 0, backend);

    /// <summary>Value-guided logits for sampling (ILQL / MC Returns decoding): output = (logits + β·(q − v_row))/T over
    /// [rows × vocab], q per vocabulary entry, v one value per row (empty = 0). output may be the logits buffer itself.</summary>
    public static void ValueGuidedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> q, ReadOnlySpan<float> v, int rows, int vocab,
        float beta, float temperature, Span<float> output, KernelBackend? backend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(vocab);
        var n = (long)rows * vocab;
        if (logits.Length != n) throw new ArgumentException($"logits has length {logits.Length} but rows x vocab is {n}.", nameof(logits));
        if (q.Length != n) throw new ArgumentException($"q has length {q.Length} but rows x vocab is {n}.", nameof(q));
        if (output.Length != n) throw new ArgumentException($"output has length {output.Length} but rows x vocab is {n}.", nameof(output));
        Validation.OptionalLength(v.Length, rows, nameof(v), "rows");
        Validation.Finite(beta, nameof(beta));
        Validation.Positive(temperature, nameof(temperature));
        var b = KernelRuntime.Resolve(backend, hasCuda: true, nameof(ValueGuidedLogits));
        if (b == KernelBackend.Managed)
        {
            ReferenceKernels.ValueGuidedLogits(logits, q, v, rows, vocab, beta, temperature, output);
            return;
        }
        fixed (float* x = logits, pq = q, pv = v, o = output)
        {
            var status = b == KernelBackend.Cuda
                ? NativeMethods.hp_cuda_value_guided_logits(x, pq, pv, rows, vocab, beta, temperature, o)
                : NativeMethods.hp_value_guided_logits(x, pq, pv, rows, vocab, beta, temperature, o);
            NativeMethods.Check(status, "hp_value_guided_logits");
        }
    }
}
