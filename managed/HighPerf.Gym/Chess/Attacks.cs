using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace HighPerf.Gym.Chess;

/// <summary>Precomputed attack tables. Sliding attacks use PEXT-indexed tables when the CPU has BMI2 (one load per
/// lookup), and otherwise the classical ray scan (first blocker per direction via trailing/leading zero count).
/// Tables are built once at type initialisation (~1 MiB, a few milliseconds).</summary>
public static class Attacks
{
    public static readonly ulong[] Knight = new ulong[64];
    public static readonly ulong[] King = new ulong[64];

    /// <summary>Pawn capture targets, indexed [color * 64 + square].</summary>
    public static readonly ulong[] Pawn = new ulong[128];

    /// <summary>Squares strictly between two squares on a shared line (0 when not aligned), indexed [a * 64 + b].</summary>
    public static readonly ulong[] Between = new ulong[64 * 64];

    /// <summary>The full board line through two aligned squares (0 when not aligned), indexed [a * 64 + b].</summary>
    public static readonly ulong[] Line = new ulong[64 * 64];

    /// <summary>Empty-board rook/bishop attacks (used to find pinners and sliding checkers cheaply).</summary>
    public static readonly ulong[] RookEmpty = new ulong[64];
    public static readonly ulong[] BishopEmpty = new ulong[64];

    // Rays for the classical fallback: [direction * 64 + square]. Directions 0..3 increase the square index
    // (N, NE, E, NW), 4..7 decrease it (S, SW, W, SE).
    private static readonly ulong[] Rays = new ulong[8 * 64];
    private static readonly (int df, int dr)[] Directions = [(0, 1), (1, 1), (1, 0), (-1, 1), (0, -1), (-1, -1), (-1, 0), (1, -1)];

    private static readonly bool UsePext = Bmi2.X64.IsSupported;
    private static readonly ulong[] RookMask = new ulong[64];
    private static readonly ulong[] BishopMask = new ulong[64];
    private static readonly int[] RookOffset = new int[64];
    private static readonly int[] BishopOffset = new int[64];
    private static readonly ulong[] RookTable;
    private static readonly ulong[] BishopTable;

    public const ulong FileA = 0x0101010101010101UL;
    public const ulong Rank1 = 0xFFUL;

    static Attacks()
    {
        for (int sq = 0; sq < 64; sq++)
        {
            int f = Square.File(sq), r = Square.Rank(sq);
            foreach (var (df, dr) in new[] { (1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2) })
                Knight[sq] |= Bit(f + df, r + dr);
            for (int df = -1; df <= 1; df++)
                for (int dr = -1; dr <= 1; dr++)
                    if (df != 0 || dr != 0) King[sq] |= Bit(f + df, r + dr);
            Pawn[sq] = Bit(f - 1, r + 1) | Bit(f + 1, r + 1);
            Pawn[64 + sq] = Bit(f - 1, r - 1) | Bit(f + 1, r - 1);
            for (int d = 0; d < 8; d++)
            {
                var (df, dr) = Directions[d];
                for (int k = 1; k < 8; k++) Rays[d * 64 + sq] |= Bit(f + df * k, r + dr * k);
            }
            RookEmpty[sq] = Rays[0 * 64 + sq] | Rays[2 * 64 + sq] | Rays[4 * 64 + sq] | Rays[6 * 64 + sq];
            BishopEmpty[sq] = Rays[1 * 64 + sq] | Rays[3 * 64 + sq] | Rays[5 * 64 + sq] | Rays[7 * 64 + sq];
        }

        for (int a = 0; a < 64; a++)
            for (int d = 0; d < 8; d++)
            {
                var (df, dr) = Directions[d];
                var opposite = (d + 4) & 7;
                ulong between = 0;
                for (int k = 1; k < 8; k++)
                {
                    int f = Square.File(a) + df * k, r = Square.Rank(a) + dr * k;
                    if (f is < 0 or > 7 || r is < 0 or > 7) break;
                    int b = Square.Make(f, r);
                    Between[a * 64 + b] = between;
                    Line[a * 64 + b] = Rays[d * 64 + a] | Rays[opposite * 64 + a] | (1UL << a);
                    between |= 1UL << b;
                }
            }

        // PEXT tables: the relevant occupancy mask excludes the board edge in each direction (an edge square never blocks
        // anything beyond itself), which keeps the rook table at 102,400 entries.
        int rookSize = 0, bishopSize = 0;
        for (int sq = 0; sq < 64; sq++)
        {
            RookMask[sq] = RelevantMask(sq, [0, 2, 4, 6]);
            BishopMask[sq] = RelevantMask(sq, [1, 3, 5, 7]);
            RookOffset[sq] = rookSize;
            BishopOffset[sq] = bishopSize;
            rookSize += 1 << BitOperations.PopCount(RookMask[sq]);
            bishopSize += 1 << BitOperations.PopCount(BishopMask[sq]);
        }
        RookTable = new ulong[UsePext ? rookSize : 0];
        BishopTable = new ulong[UsePext ? bishopSize : 0];
        if (UsePext)
            for (int sq = 0; sq < 64; sq++)
            {
                Fill(sq, RookMask[sq], RookTable, RookOffset[sq], rook: true);
                Fill(sq, BishopMask[sq], BishopTable, BishopOffset[sq], rook: false);
            }
    }

    private static ulong Bit(int file, int rank) => file is < 0 or > 7 || rank is < 0 or > 7 ? 0 : 1UL << Square.Make(file, rank);

    private static ulong RelevantMask(int sq, int[] dirs)
    {
        ulong mask = 0;
        foreach (var d in dirs)
        {
            var (df, dr) = Directions[d];
            for (int k = 1; k < 8; k++)
            {
                int f = Square.File(sq) + df * k, r = Square.Rank(sq) + dr * k;
                int nf = f + df, nr = r + dr;
                if (nf is < 0 or > 7 || nr is < 0 or > 7) break; // (f, r) is the last square on the ray: not relevant
                mask |= 1UL << Square.Make(f, r);
            }
        }
        return mask;
    }

    private static void Fill(int sq, ulong mask, ulong[] table, int offset, bool rook)
    {
        // Carry-Rippler enumeration of every subset of the mask.
        ulong subset = 0;
        do
        {
            table[offset + (int)Bmi2.X64.ParallelBitExtract(subset, mask)] = rook ? RookClassical(sq, subset) : BishopClassical(sq, subset);
            subset = (subset - mask) & mask;
        } while (subset != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PositiveRay(int dir, int sq, ulong occ)
    {
        ulong attacks = Rays[dir * 64 + sq];
        ulong blockers = attacks & occ;
        return blockers == 0 ? attacks : attacks ^ Rays[dir * 64 + BitOperations.TrailingZeroCount(blockers)];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NegativeRay(int dir, int sq, ulong occ)
    {
        ulong attacks = Rays[dir * 64 + sq];
        ulong blockers = attacks & occ;
        return blockers == 0 ? attacks : attacks ^ Rays[dir * 64 + (63 - BitOperations.LeadingZeroCount(blockers))];
    }

    private static ulong RookClassical(int sq, ulong occ) =>
        PositiveRay(0, sq, occ) | PositiveRay(2, sq, occ) | NegativeRay(4, sq, occ) | NegativeRay(6, sq, occ);

    private static ulong BishopClassical(int sq, ulong occ) =>
        PositiveRay(1, sq, occ) | PositiveRay(3, sq, occ) | NegativeRay(5, sq, occ) | NegativeRay(7, sq, occ);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Rook(int sq, ulong occ) => UsePext
        ? RookTable[RookOffset[sq] + (int)Bmi2.X64.ParallelBitExtract(occ, RookMask[sq])]
        : RookClassical(sq, occ);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bishop(int sq, ulong occ) => UsePext
        ? BishopTable[BishopOffset[sq] + (int)Bmi2.X64.ParallelBitExtract(occ, BishopMask[sq])]
        : BishopClassical(sq, occ);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Queen(int sq, ulong occ) => Rook(sq, occ) | Bishop(sq, occ);

    /// <summary>Exposed for tests: the classical scan must agree with the table path on every square.</summary>
    public static ulong RookReference(int sq, ulong occ) => RookClassical(sq, occ);

    public static ulong BishopReference(int sq, ulong occ) => BishopClassical(sq, occ);
}
