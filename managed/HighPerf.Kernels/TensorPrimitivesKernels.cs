using System.Numerics.Tensors;

namespace HighPerf.Kernels;

/// <summary>
/// Managed variants built from System.Numerics.Tensors.TensorPrimitives, where a kernel decomposes into vector
/// primitives (the recurrences of GAE/MC/TD do not). Kept for comparison in the benchmarks: each primitive is a separate
/// pass over memory, and TensorPrimitives.Exp widens to double, so the fused native kernel wins by a wide margin.
/// Same semantics and NaN policy as <see cref="ReferenceKernels"/>; no validation (call through the public kernels).
/// </summary>
public static class TensorPrimitivesKernels
{
    /// <summary>5-pass log-softmax statistics per row: Max; Subtract; Exp; Sum; Dot (scratch = one row).</summary>
    public static void VocabStats(ReadOnlySpan<float> logits, int rows, int vocab, int rowStride, ReadOnlySpan<int> labels,
        float temperature, Span<float> logprob, Span<float> entropy, Span<float> lse, Span<float> scratch)
    {
        if (scratch.Length < 2 * vocab) throw new ArgumentException($"scratch needs 2 x vocab = {2 * vocab} floats.", nameof(scratch));
        var d = scratch[..vocab];
        var e = scratch.Slice(vocab, vocab);
        var invT = 1f / temperature;
        for (var r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * rowStride, vocab);
            TensorPrimitives.Multiply(x, invT, d);
            var m = TensorPrimitives.Max(d);  // NaN if any NaN: propagates below
            if (float.IsNegativeInfinity(m))
            {
                if (lse.Length > 0) lse[r] = float.NegativeInfinity;
                if (entropy.Length > 0) entropy[r] = float.NaN;
                if (logprob.Length > 0) logprob[r] = float.NaN;
                continue;
            }
            TensorPrimitives.Subtract(d, m, d);   // d = x/T − m
            TensorPrimitives.Exp(d, e);           // e = e^d
            var s = TensorPrimitives.Sum(e);
            // t = Σ e·d; −inf logits give e = 0 and d = −inf: clamp d so 0·(−inf) does not make NaN.
            TensorPrimitives.Max(d, -1e30f, d);
            var t = TensorPrimitives.Dot(e, d);
            var logS = MathF.Log(s);
            if (lse.Length > 0) lse[r] = m + logS;
            if (entropy.Length > 0) entropy[r] = logS - t / s;
            if (logprob.Length > 0) logprob[r] = (x[labels[r]] * invT - m) - logS;
        }
    }

    /// <summary>θ̄ ← lerp(θ̄, θ, α).</summary>
    public static void Polyak(Span<float> target, ReadOnlySpan<float> online, float alpha) =>
        TensorPrimitives.Lerp(target, online, alpha, target);

    /// <summary>Masked whitening via Sum/SumOfSquares on the compacted action values (mask empty = all).</summary>
    public static void MaskedWhiten(Span<float> x, ReadOnlySpan<byte> mask, float eps)
    {
        if (mask.Length == 0)
        {
            var n = x.Length;
            if (n == 0) return;
            double sum = TensorPrimitives.Sum<float>(x), sumSq = TensorPrimitives.SumOfSquares<float>(x);
            var mean = sum / n;
            var variance = n > 1 ? Math.Max(0.0, (sumSq - sum * mean) / (n - 1)) : 0.0;
            TensorPrimitives.Subtract(x, (float)mean, x);
            TensorPrimitives.Multiply(x, (float)(1.0 / Math.Sqrt(variance + eps)), x);
            return;
        }
        ReferenceKernels.MaskedWhiten(x, mask, eps);  // a mask needs a gather TensorPrimitives does not have
    }

    /// <summary>out = (logits + β(Q − V_row))/T with FusedMultiplyAdd per row.</summary>
    public static void ValueGuidedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> q, ReadOnlySpan<float> v, int rows, int vocab,
        float beta, float temperature, Span<float> output)
    {
        var invT = 1f / temperature;
        for (var r = 0; r < rows; r++)
        {
            var o = output.Slice(r * vocab, vocab);
            var vr = v.Length > 0 ? v[r] : 0f;
            // o = (x + β·q − β·v)/T = q·(β/T) + (x − β·v)/T
            TensorPrimitives.Add(logits.Slice(r * vocab, vocab), -beta * vr, o);
            TensorPrimitives.Multiply(o, invT, o);
            TensorPrimitives.FusedMultiplyAdd(q.Slice(r * vocab, vocab), beta * invT, o, o);
        }
    }
}
