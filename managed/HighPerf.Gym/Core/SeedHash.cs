namespace HighPerf.Gym.Core;

/// <summary>Deterministic seed derivation (SplitMix64 finalizer), independent of .NET's Random implementation details.</summary>
public static class SeedHash
{
    /// <summary>A well-mixed 64-bit value from a seed and a stream id.</summary>
    public static ulong Mix(long seed, long stream = 0)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xD1B54A32D192ED03UL + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, n) from a seed (multiply-shift; bias below 2^-32 for small n).</summary>
    public static int Uniform(long seed, int n, long stream = 0)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        return (int)(((Mix(seed, stream) >> 32) * (ulong)n) >> 32);
    }
}
