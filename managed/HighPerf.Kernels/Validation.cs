namespace HighPerf.Kernels;

/// <summary>Argument checks run before any native call, so bad input becomes an ArgumentException naming the
/// argument instead of memory corruption.</summary>
internal static class Validation
{
    public static void Offsets(ReadOnlySpan<int> offsets, int nTokens, string name = "offsets")
    {
        if (offsets.Length < 1)
            throw new ArgumentException("offsets must have n_seq + 1 >= 1 entries.", name);
        if (offsets[0] != 0)
            throw new ArgumentException($"offsets[0] must be 0 (got {offsets[0]}).", name);
        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
                throw new ArgumentException($"offsets must be non-decreasing (offsets[{i}] = {offsets[i]} < offsets[{i - 1}] = {offsets[i - 1]}).", name);
        }
        if (offsets[^1] != nTokens)
            throw new ArgumentException($"offsets[^1] = {offsets[^1]} must equal the token count {nTokens}.", name);
    }

    public static void Length(int actual, int expected, string name, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual} but {what} is {expected}.", name);
    }

    /// <summary>Optional span: empty means "not given", otherwise it must have the expected length.</summary>
    public static void OptionalLength(int actual, int expected, string name, string what)
    {
        if (actual != 0 && actual != expected)
            throw new ArgumentException($"{name} has length {actual}; it must be empty (not given) or {what} = {expected}.", name);
    }

    public static void UnitInterval(float value, string name)
    {
        if (!(value >= 0f && value <= 1f))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1].");
    }

    public static void Positive(float value, string name)
    {
        if (!(value > 0f) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0.");
    }

    public static void Finite(float value, string name)
    {
        if (!float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite.");
    }

    public static void Indices(ReadOnlySpan<int> indices, int count, string name)
    {
        for (var i = 0; i < indices.Length; i++)
        {
            if (indices[i] < -1 || indices[i] >= count)
                throw new ArgumentOutOfRangeException(name, indices[i], $"{name}[{i}] = {indices[i]} is outside [-1, {count}).");
        }
    }

    public static void Gae(GaeOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        UnitInterval(o.Gamma, "options.Gamma");
        UnitInterval(o.Lambda, "options.Lambda");
        if (o.Kl is < KlEstimator.None or > KlEstimator.K3)
            throw new ArgumentOutOfRangeException("options.Kl", o.Kl, "Unknown KL estimator.");
        if (o.Kl != KlEstimator.None && !(o.KlCoef >= 0f && float.IsFinite(o.KlCoef)))
            throw new ArgumentOutOfRangeException("options.KlCoef", o.KlCoef, "options.KlCoef must be finite and >= 0.");
        if (o.Whiten) Positive(o.WhitenEps, "options.WhitenEps");
    }

    public static void Vocab(int logitsLength, int rows, int vocab, int rowStride, ReadOnlySpan<int> labels, float temperature, bool wantLogprob)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocab);
        if (rowStride < vocab)
            throw new ArgumentOutOfRangeException(nameof(rowStride), rowStride, $"rowStride must be >= vocab ({vocab}).");
        var needed = rows == 0 ? 0L : (long)(rows - 1) * rowStride + vocab;
        if (logitsLength < needed)
            throw new ArgumentException($"logits has length {logitsLength} but rows x rowStride needs {needed}.", "logits");
        Positive(temperature, nameof(temperature));
        if (wantLogprob && labels.Length != rows)
            throw new ArgumentException($"labels has length {labels.Length} but rows is {rows} (labels are required for logprob).", nameof(labels));
        if (labels.Length != 0 && labels.Length != rows)
            throw new ArgumentException($"labels has length {labels.Length}; it must be empty or rows = {rows}.", nameof(labels));
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"labels[{i}] = {labels[i]} is outside [0, {vocab}).");
        }
    }
}
