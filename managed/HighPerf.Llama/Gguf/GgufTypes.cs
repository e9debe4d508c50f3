namespace HighPerf.Llama.Gguf;

/// <summary>GGUF metadata value types (gguf.h).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>Block size and bytes per block of every ggml tensor type id (read from ggml-base of llama.cpp v0.5.0).</summary>
public static class GgmlTypeInfo
{
    private static readonly (int Block, int Bytes)[] Table =
    [
        (1,4),(1,2),(32,18),(32,20),(0,0),(0,0),(32,22),(32,24),(32,34),(32,36),(256,84),(256,110),(256,144),(256,176),
        (256,210),(256,292),(256,66),(256,74),(256,98),(256,50),(32,18),(256,110),(256,82),(256,136),(1,1),(1,2),(1,4),
        (1,8),(1,8),(256,56),(1,2),(0,0),(0,0),(0,0),(256,54),(256,66),(0,0),(0,0),(0,0),(32,17),(64,36),(128,18),(64,18),
    ];

    /// <summary>True for a tensor type that this build of ggml can load.</summary>
    public static bool IsKnown(uint type) => type < Table.Length && Table[type].Block > 0;

    /// <summary>Bytes of a tensor of the given type and shape, or null when the row length is not a multiple of the block
    /// size or the size overflows.</summary>
    public static long? TensorBytes(uint type, ReadOnlySpan<long> ne)
    {
        if (!IsKnown(type)) return null;
        var (block, bytes) = Table[type];
        if (ne.Length == 0 || ne[0] % block != 0) return null;
        try
        {
            long total = checked(ne[0] / block * bytes);
            for (int i = 1; i < ne.Length; i++) total = checked(total * ne[i]);
            return total;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
