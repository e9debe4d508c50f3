namespace HighPerf.Gym.Chess;

/// <summary>Zobrist keys for position hashing (repetition detection). Generated from a fixed SplitMix64 seed so
/// hashes are identical across runs and machines.</summary>
public static class Zobrist
{
    /// <summary>[pieceCode * 64 + square]; piece codes are 0..15 (see <see cref="Piece"/>).</summary>
    public static readonly ulong[] PieceSquare = new ulong[16 * 64];
    public static readonly ulong[] Castling = new ulong[16];
    public static readonly ulong[] EnPassantFile = new ulong[8];
    public static readonly ulong BlackToMove;

    static Zobrist()
    {
        ulong state = 0x9E3779B97F4A7C15UL ^ 0x48696768506572UL; // fixed: hashes must not change between runs
        for (int i = 0; i < PieceSquare.Length; i++) PieceSquare[i] = Next(ref state);
        for (int i = 0; i < Castling.Length; i++) Castling[i] = Next(ref state);
        for (int i = 0; i < EnPassantFile.Length; i++) EnPassantFile[i] = Next(ref state);
        BlackToMove = Next(ref state);
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
