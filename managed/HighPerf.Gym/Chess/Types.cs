namespace HighPerf.Gym.Chess;

/// <summary>Side to move / piece colour. White = 0 so it can index per-colour tables directly.</summary>
public enum Color : byte { White = 0, Black = 1 }

/// <summary>Piece kinds; None = 0 so an empty mailbox square is the default value.</summary>
public enum PieceType : byte { None = 0, Pawn = 1, Knight = 2, Bishop = 3, Rook = 4, Queen = 5, King = 6 }

/// <summary>A coloured piece packed as colour·8 + type (0 = empty), so it indexes a 16-entry bitboard table.</summary>
public readonly record struct Piece(byte Code)
{
    public static readonly Piece None = default;

    public static Piece Make(Color color, PieceType type) => new((byte)(((int)color << 3) | (int)type));

    public PieceType Type => (PieceType)(Code & 7);

    public Color Color => (Color)(Code >> 3);

    public bool IsNone => Code == 0;

    /// <summary>FEN letter: upper case for White, lower case for Black.</summary>
    public char ToFenChar()
    {
        char c = Type switch
        {
            PieceType.Pawn => 'p', PieceType.Knight => 'n', PieceType.Bishop => 'b',
            PieceType.Rook => 'r', PieceType.Queen => 'q', PieceType.King => 'k',
            _ => throw new InvalidOperationException("empty square has no FEN letter"),
        };
        return Color == Color.White ? char.ToUpperInvariant(c) : c;
    }

    public static bool TryFromFenChar(char c, out Piece piece)
    {
        var type = char.ToLowerInvariant(c) switch
        {
            'p' => PieceType.Pawn, 'n' => PieceType.Knight, 'b' => PieceType.Bishop,
            'r' => PieceType.Rook, 'q' => PieceType.Queen, 'k' => PieceType.King,
            _ => PieceType.None,
        };
        piece = type == PieceType.None ? None : Make(char.IsUpper(c) ? Color.White : Color.Black, type);
        return type != PieceType.None;
    }

    public override string ToString() => IsNone ? "." : ToFenChar().ToString();
}

/// <summary>Square helpers. Squares are 0..63 with a1 = 0, b1 = 1, ..., h8 = 63 (little-endian rank-file).</summary>
public static class Square
{
    public const int None = -1;

    public static int Make(int file, int rank) => rank * 8 + file;

    public static int File(int sq) => sq & 7;

    public static int Rank(int sq) => sq >> 3;

    public static string Name(int sq) => sq is < 0 or > 63
        ? throw new ArgumentOutOfRangeException(nameof(sq), sq, "square must be 0..63")
        : string.Create(2, sq, static (span, s) => { span[0] = (char)('a' + (s & 7)); span[1] = (char)('1' + (s >> 3)); });

    /// <summary>Parses "e4"; returns false for anything that is not exactly a file letter a–h and a rank digit 1–8.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out int sq)
    {
        sq = None;
        if (text.Length != 2 || text[0] < 'a' || text[0] > 'h' || text[1] < '1' || text[1] > '8') return false;
        sq = Make(text[0] - 'a', text[1] - '1');
        return true;
    }
}

/// <summary>How a move is special. Castling is encoded as the king's two-square move (e1g1), which is also its UCI form.</summary>
public enum MoveKind : byte { Normal = 0, Promotion = 1, EnPassant = 2, Castling = 3 }

/// <summary>A move packed in 16 bits (from 6 | to 6 | promotion 2 | kind 2) so move lists are plain spans of ushort-sized
/// values and generation never allocates.</summary>
public readonly struct Move : IEquatable<Move>
{
    private readonly ushort _value;

    private Move(ushort value) => _value = value;

    public static readonly Move None = default;

    public static Move Create(int from, int to, MoveKind kind = MoveKind.Normal, PieceType promotion = PieceType.Knight)
    {
        int promo = kind == MoveKind.Promotion ? (int)promotion - (int)PieceType.Knight : 0;
        return new Move((ushort)(from | (to << 6) | (promo << 12) | ((int)kind << 14)));
    }

    public int From => _value & 63;

    public int To => (_value >> 6) & 63;

    public MoveKind Kind => (MoveKind)(_value >> 14);

    /// <summary>The promotion piece, or None for a non-promotion.</summary>
    public PieceType Promotion => Kind == MoveKind.Promotion ? (PieceType)(((_value >> 12) & 3) + (int)PieceType.Knight) : PieceType.None;

    public bool IsNone => _value == 0;

    public ushort RawValue => _value;

    /// <summary>UCI long algebraic notation: e2e4, e7e8q, e1g1 (castling).</summary>
    public string ToUci()
    {
        var s = Square.Name(From) + Square.Name(To);
        return Kind == MoveKind.Promotion ? s + "nbrq"[(int)Promotion - (int)PieceType.Knight] : s;
    }

    public bool Equals(Move other) => _value == other._value;

    public override bool Equals(object? obj) => obj is Move m && Equals(m);

    public override int GetHashCode() => _value;

    public static bool operator ==(Move a, Move b) => a._value == b._value;

    public static bool operator !=(Move a, Move b) => a._value != b._value;

    public override string ToString() => IsNone ? "0000" : ToUci();
}
