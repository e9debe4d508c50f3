using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace HighPerf.Gym.Chess;

/// <summary>How a game ended (or None while it goes on).</summary>
public enum Termination
{
    None,
    Checkmate,
    Stalemate,
    InsufficientMaterial,
    /// <summary>150 half-moves without capture or pawn move: ends the game automatically (FIDE 9.6.2).</summary>
    SeventyFiveMoves,
    /// <summary>The same position for the fifth time: ends the game automatically (FIDE 9.6.1).</summary>
    FivefoldRepetition,
    /// <summary>100 half-moves without capture or pawn move: a draw a player may claim (FIDE 9.3).</summary>
    FiftyMoves,
    /// <summary>The same position for the third time: a draw a player may claim (FIDE 9.2).</summary>
    ThreefoldRepetition,
}

/// <summary>A game outcome: how it ended and who won (null for draws and ongoing games).</summary>
public readonly record struct Outcome(Termination Termination, Color? Winner)
{
    public bool IsGameOver => Termination != Termination.None;
}

/// <summary>
/// A chess position with make/unmake. Bitboards per piece (indexed by <see cref="Piece.Code"/>) plus a mailbox;
/// legal moves are generated directly (check mask + pin rays), so no move is made and unmade to test legality,
/// and nothing on the move path allocates (moves go into caller-provided spans; undo records live in a reusable
/// array). The en passant square is kept only when an en passant capture is actually legal, which is also what
/// python-chess prints in FEN (its default <c>en_passant="legal"</c>) and what repetition must compare.
/// </summary>
public sealed class Board
{
    public const string StartFen = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1";

    /// <summary>An upper bound on legal moves in any position (the known maximum is 218).</summary>
    public const int MaxLegalMoves = 256;

    private const int WhiteKingside = 1, WhiteQueenside = 2, BlackKingside = 4, BlackQueenside = 8;

    private static readonly byte[] CastlingMask = BuildCastlingMask();

    private readonly ulong[] _pieces = new ulong[16];
    private readonly ulong[] _colors = new ulong[2];
    private readonly Piece[] _board = new Piece[64];
    private ulong _occupied;
    private Color _side;
    private int _castling;
    private int _ep = Square.None;
    private int _halfmove;
    private int _fullmove = 1;
    private ulong _hash;
    private State[] _stack = new State[128];
    private int _ply;

    private struct State
    {
        public Move Move;
        public Piece Captured;
        public byte Castling;
        public sbyte EnPassant;
        public int Halfmove;
        public ulong Hash;
    }

    private Board() { }

    /// <summary>The standard start position.</summary>
    public static Board Start() => FromFen(StartFen);

    public Color SideToMove => _side;
    public int CastlingRights => _castling;
    /// <summary>The en passant target square, or <see cref="Square.None"/>; set only when the capture is legal.</summary>
    public int EnPassantSquare => _ep;
    public int HalfmoveClock => _halfmove;
    public int FullmoveNumber => _fullmove;
    public ulong Hash => _hash;
    /// <summary>Moves made since this board was created from a FEN (the undo depth).</summary>
    public int Ply => _ply;
    public ulong Occupied => _occupied;

    public Piece PieceAt(int sq) => _board[sq];

    public ulong PiecesOf(Color color) => _colors[(int)color];

    public ulong PiecesOf(Color color, PieceType type) => _pieces[Piece.Make(color, type).Code];

    public int KingSquare(Color color) => BitOperations.TrailingZeroCount(_pieces[Piece.Make(color, PieceType.King).Code]);

    /// <summary>The moves made since creation, oldest first.</summary>
    public IEnumerable<Move> MoveHistory()
    {
        for (int i = 0; i < _ply; i++) yield return _stack[i].Move;
    }

    public Board Clone()
    {
        var b = new Board();
        Array.Copy(_pieces, b._pieces, 16);
        Array.Copy(_colors, b._colors, 2);
        Array.Copy(_board, b._board, 64);
        b._occupied = _occupied;
        b._side = _side;
        b._castling = _castling;
        b._ep = _ep;
        b._halfmove = _halfmove;
        b._fullmove = _fullmove;
        b._hash = _hash;
        b._stack = (State[])_stack.Clone();
        b._ply = _ply;
        return b;
    }

    // ---------------------------------------------------------------- FEN

    /// <summary>Parses a FEN. Throws <see cref="FormatException"/> naming the offending field for malformed or
    /// impossible positions (wrong king count, pawns on the back rank, the side not to move in check, castling
    /// rights without king and rook at home).</summary>
    public static Board FromFen(string fen) =>
        TryParseFen(fen, out var board, out var error) ? board : throw new FormatException($"invalid FEN \"{fen}\": {error}");

    public static bool TryParseFen(string? fen, out Board board, out string error)
    {
        board = new Board();
        if (string.IsNullOrWhiteSpace(fen)) { error = "empty"; return false; }
        var fields = fen.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // Like python-chess, the two move counters may be omitted (then 0 and 1).
        if (fields.Length is not (4 or 6)) { error = $"expected 6 space-separated fields (4 without counters), got {fields.Length}"; return false; }

        var ranks = fields[0].Split('/');
        if (ranks.Length != 8) { error = $"piece placement has {ranks.Length} ranks, expected 8"; return false; }
        for (int i = 0; i < 8; i++)
        {
            int rank = 7 - i, file = 0;
            foreach (var c in ranks[i])
            {
                if (c is >= '1' and <= '8') { file += c - '0'; }
                else if (Piece.TryFromFenChar(c, out var piece))
                {
                    if (file > 7) { error = $"rank {rank + 1} has more than 8 squares"; return false; }
                    board.AddPiece(Square.Make(file, rank), piece);
                    file++;
                }
                else { error = $"unexpected character '{c}' in piece placement"; return false; }
                if (file > 8) { error = $"rank {rank + 1} has more than 8 squares"; return false; }
            }
            if (file != 8) { error = $"rank {rank + 1} has {file} squares, expected 8"; return false; }
        }
        foreach (var color in new[] { Color.White, Color.Black })
        {
            int kings = BitOperations.PopCount(board.PiecesOf(color, PieceType.King));
            if (kings != 1) { error = $"{color} has {kings} kings, expected exactly 1"; return false; }
        }
        if (((board.PiecesOf(Color.White, PieceType.Pawn) | board.PiecesOf(Color.Black, PieceType.Pawn)) & (Attacks.Rank1 | (Attacks.Rank1 << 56))) != 0)
        { error = "a pawn stands on the first or eighth rank"; return false; }

        switch (fields[1])
        {
            case "w": board._side = Color.White; break;
            case "b": board._side = Color.Black; break;
            default: error = $"side to move must be 'w' or 'b', got '{fields[1]}'"; return false;
        }

        if (fields[2] != "-")
        {
            foreach (var c in fields[2])
            {
                int right = c switch { 'K' => WhiteKingside, 'Q' => WhiteQueenside, 'k' => BlackKingside, 'q' => BlackQueenside, _ => 0 };
                if (right == 0) { error = $"castling field has unexpected character '{c}'"; return false; }
                if ((board._castling & right) != 0) { error = $"castling right '{c}' is repeated"; return false; }
                board._castling |= right;
            }
            foreach (var (right, king, rook, name) in new[] { (WhiteKingside, 4, 7, 'K'), (WhiteQueenside, 4, 0, 'Q'), (BlackKingside, 60, 63, 'k'), (BlackQueenside, 60, 56, 'q') })
            {
                var color = right <= WhiteQueenside ? Color.White : Color.Black;
                if ((board._castling & right) != 0 &&
                    (board._board[king] != Piece.Make(color, PieceType.King) || board._board[rook] != Piece.Make(color, PieceType.Rook)))
                { error = $"castling right '{name}' needs the king on {Square.Name(king)} and a rook on {Square.Name(rook)}"; return false; }
            }
        }

        int epCandidate = Square.None;
        if (fields[3] != "-")
        {
            if (!Square.TryParse(fields[3], out epCandidate)) { error = $"en passant field '{fields[3]}' is not a square"; return false; }
            int expectedRank = board._side == Color.White ? 5 : 2;
            if (Square.Rank(epCandidate) != expectedRank) { error = $"en passant square {fields[3]} must be on rank {expectedRank + 1} when {board._side} is to move"; return false; }
        }

        if (fields.Length == 6)
        {
            if (!int.TryParse(fields[4], out board._halfmove) || board._halfmove < 0) { error = $"halfmove clock '{fields[4]}' is not a non-negative integer"; return false; }
            if (!int.TryParse(fields[5], out board._fullmove) || board._fullmove < 1) { error = $"fullmove number '{fields[5]}' is not a positive integer"; return false; }
        }

        var them = board._side == Color.White ? Color.Black : Color.White;
        if (board.AttackersTo(board.KingSquare(them), board._occupied, them == Color.White ? Color.Black : Color.White) != 0)
        { error = $"the side not to move ({them}) is in check"; return false; }

        // Keep the en passant square only when the capture is really possible (the double-pushed pawn is there, the
        // squares it crossed are empty, and a capture is legal), as python-chess does when it prints or compares FENs.
        if (epCandidate != Square.None)
        {
            int up = board._side == Color.White ? 8 : -8;
            bool plausible = board._board[epCandidate - up] == Piece.Make(them, PieceType.Pawn)
                             && board._board[epCandidate].IsNone && board._board[epCandidate + up].IsNone;
            if (plausible && board.HasLegalEnPassant(epCandidate)) board._ep = epCandidate;
        }
        board._hash = board.ComputeHash();
        error = "";
        return true;
    }

    /// <summary>FEN as python-chess's <c>Board.fen()</c> prints it (en passant square only when a capture is legal).</summary>
    public string ToFen()
    {
        var sb = new StringBuilder(90);
        for (int rank = 7; rank >= 0; rank--)
        {
            int empty = 0;
            for (int file = 0; file < 8; file++)
            {
                var p = _board[Square.Make(file, rank)];
                if (p.IsNone) { empty++; continue; }
                if (empty > 0) { sb.Append((char)('0' + empty)); empty = 0; }
                sb.Append(p.ToFenChar());
            }
            if (empty > 0) sb.Append((char)('0' + empty));
            if (rank > 0) sb.Append('/');
        }
        sb.Append(_side == Color.White ? " w " : " b ");
        if (_castling == 0) sb.Append('-');
        else
        {
            if ((_castling & WhiteKingside) != 0) sb.Append('K');
            if ((_castling & WhiteQueenside) != 0) sb.Append('Q');
            if ((_castling & BlackKingside) != 0) sb.Append('k');
            if ((_castling & BlackQueenside) != 0) sb.Append('q');
        }
        sb.Append(' ').Append(_ep == Square.None ? "-" : Square.Name(_ep));
        sb.Append(' ').Append(_halfmove).Append(' ').Append(_fullmove);
        return sb.ToString();
    }

    public override string ToString() => ToFen();

    private ulong ComputeHash()
    {
        ulong h = 0;
        for (int sq = 0; sq < 64; sq++)
            if (!_board[sq].IsNone) h ^= Zobrist.PieceSquare[_board[sq].Code * 64 + sq];
        h ^= Zobrist.Castling[_castling];
        if (_ep != Square.None) h ^= Zobrist.EnPassantFile[Square.File(_ep)];
        if (_side == Color.Black) h ^= Zobrist.BlackToMove;
        return h;
    }

    private static byte[] BuildCastlingMask()
    {
        var mask = new byte[64];
        Array.Fill(mask, (byte)15);
        mask[0] = 15 & ~WhiteQueenside;
        mask[4] = 15 & ~(WhiteKingside | WhiteQueenside);
        mask[7] = 15 & ~WhiteKingside;
        mask[56] = 15 & ~BlackQueenside;
        mask[60] = 15 & ~(BlackKingside | BlackQueenside);
        mask[63] = 15 & ~BlackKingside;
        return mask;
    }

    // ---------------------------------------------------------------- piece placement (no hashing)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddPiece(int sq, Piece p)
    {
        ulong b = 1UL << sq;
        _board[sq] = p;
        _pieces[p.Code] |= b;
        _colors[p.Code >> 3] |= b;
        _occupied |= b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RemovePiece(int sq)
    {
        ulong b = 1UL << sq;
        var p = _board[sq];
        _board[sq] = Piece.None;
        _pieces[p.Code] ^= b;
        _colors[p.Code >> 3] ^= b;
        _occupied ^= b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MovePiece(int from, int to)
    {
        ulong b = (1UL << from) | (1UL << to);
        var p = _board[from];
        _board[from] = Piece.None;
        _board[to] = p;
        _pieces[p.Code] ^= b;
        _colors[p.Code >> 3] ^= b;
        _occupied ^= b;
    }

    // ---------------------------------------------------------------- attacks

    /// <summary>Pieces of <paramref name="by"/> attacking <paramref name="sq"/> given occupancy <paramref name="occ"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong AttackersTo(int sq, ulong occ, Color by)
    {
        int c = (int)by << 3;
        ulong queens = _pieces[c | 5];
        return (Attacks.Pawn[((int)by ^ 1) * 64 + sq] & _pieces[c | 1])
             | (Attacks.Knight[sq] & _pieces[c | 2])
             | (Attacks.King[sq] & _pieces[c | 6])
             | (Attacks.Bishop(sq, occ) & (_pieces[c | 3] | queens))
             | (Attacks.Rook(sq, occ) & (_pieces[c | 4] | queens));
    }

    /// <summary>True when a piece of <paramref name="by"/> attacks <paramref name="sq"/>.</summary>
    public bool IsAttacked(int sq, Color by) => AttackersTo(sq, _occupied, by) != 0;

    public bool InCheck => AttackersTo(KingSquare(_side), _occupied, Opp(_side)) != 0;

    /// <summary>The enemy pieces giving check.</summary>
    public ulong Checkers => AttackersTo(KingSquare(_side), _occupied, Opp(_side));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Color Opp(Color c) => (Color)((int)c ^ 1);

    /// <summary>Whether the side to move can legally capture en passant onto <paramref name="epSq"/>. Simulates
    /// the capture's occupancy change, which also catches the rank pin when both pawns leave the king's rank.</summary>
    private bool HasLegalEnPassant(int epSq)
    {
        var us = _side;
        var them = Opp(us);
        ulong candidates = Attacks.Pawn[(int)them * 64 + epSq] & _pieces[Piece.Make(us, PieceType.Pawn).Code];
        while (candidates != 0)
        {
            int from = BitOperations.TrailingZeroCount(candidates);
            candidates &= candidates - 1;
            if (EnPassantIsLegal(from, epSq)) return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EnPassantIsLegal(int from, int epSq)
    {
        var us = _side;
        int capSq = us == Color.White ? epSq - 8 : epSq + 8;
        ulong occ = (_occupied ^ (1UL << from) ^ (1UL << capSq)) | (1UL << epSq);
        return (AttackersTo(KingSquare(us), occ, Opp(us)) & ~(1UL << capSq)) == 0;
    }

    // ---------------------------------------------------------------- legal move generation

    /// <summary>Writes every legal move into <paramref name="moves"/> (at least <see cref="MaxLegalMoves"/> long)
    /// and returns how many.</summary>
    public int GenerateLegal(Span<Move> moves)
    {
        int n = 0;
        var us = _side;
        var them = Opp(us);
        int u = (int)us << 3, t = (int)them << 3;
        ulong own = _colors[(int)us], occ = _occupied;
        int ksq = BitOperations.TrailingZeroCount(_pieces[u | 6]);
        ulong checkers = AttackersTo(ksq, occ, them);

        // King: a destination is safe if no enemy attacks it with our king lifted off the board (so it cannot hide
        // behind itself on a slider's line).
        ulong occNoKing = occ ^ (1UL << ksq);
        ulong kt = Attacks.King[ksq] & ~own;
        while (kt != 0)
        {
            int to = BitOperations.TrailingZeroCount(kt);
            kt &= kt - 1;
            if (AttackersTo(to, occNoKing, them) == 0) moves[n++] = Move.Create(ksq, to);
        }
        if ((checkers & (checkers - 1)) != 0) return n; // double check: only the king moves

        ulong target = ~own;
        if (checkers != 0) target &= Attacks.Between[ksq * 64 + BitOperations.TrailingZeroCount(checkers)] | checkers;

        // Pinned pieces: ours, alone between our king and an enemy slider on a shared line.
        ulong pinned = 0;
        ulong snipers = (Attacks.RookEmpty[ksq] & (_pieces[t | 4] | _pieces[t | 5]))
                      | (Attacks.BishopEmpty[ksq] & (_pieces[t | 3] | _pieces[t | 5]));
        while (snipers != 0)
        {
            int s = BitOperations.TrailingZeroCount(snipers);
            snipers &= snipers - 1;
            ulong between = Attacks.Between[ksq * 64 + s] & occ;
            if (between != 0 && (between & (between - 1)) == 0 && (between & own) != 0) pinned |= between;
        }

        ulong knights = _pieces[u | 2] & ~pinned; // a pinned knight can never move along the pin line
        while (knights != 0)
        {
            int from = BitOperations.TrailingZeroCount(knights);
            knights &= knights - 1;
            n = Emit(moves, n, from, Attacks.Knight[from] & target);
        }

        ulong diagonal = _pieces[u | 3] | _pieces[u | 5];
        while (diagonal != 0)
        {
            int from = BitOperations.TrailingZeroCount(diagonal);
            diagonal &= diagonal - 1;
            ulong att = Attacks.Bishop(from, occ) & target;
            if ((pinned & (1UL << from)) != 0) att &= Attacks.Line[ksq * 64 + from];
            n = Emit(moves, n, from, att);
        }

        ulong straight = _pieces[u | 4] | _pieces[u | 5];
        while (straight != 0)
        {
            int from = BitOperations.TrailingZeroCount(straight);
            straight &= straight - 1;
            ulong att = Attacks.Rook(from, occ) & target;
            if ((pinned & (1UL << from)) != 0) att &= Attacks.Line[ksq * 64 + from];
            n = Emit(moves, n, from, att);
        }

        n = GeneratePawnMoves(moves, n, us, ksq, target, pinned);

        if (checkers == 0 && _castling != 0)
        {
            if (us == Color.White)
            {
                if ((_castling & WhiteKingside) != 0 && (occ & 0x60UL) == 0 && AttackersTo(5, occ, them) == 0 && AttackersTo(6, occ, them) == 0)
                    moves[n++] = Move.Create(4, 6, MoveKind.Castling);
                if ((_castling & WhiteQueenside) != 0 && (occ & 0x0EUL) == 0 && AttackersTo(3, occ, them) == 0 && AttackersTo(2, occ, them) == 0)
                    moves[n++] = Move.Create(4, 2, MoveKind.Castling);
            }
            else
            {
                if ((_castling & BlackKingside) != 0 && (occ & (0x60UL << 56)) == 0 && AttackersTo(61, occ, them) == 0 && AttackersTo(62, occ, them) == 0)
                    moves[n++] = Move.Create(60, 62, MoveKind.Castling);
                if ((_castling & BlackQueenside) != 0 && (occ & (0x0EUL << 56)) == 0 && AttackersTo(59, occ, them) == 0 && AttackersTo(58, occ, them) == 0)
                    moves[n++] = Move.Create(60, 58, MoveKind.Castling);
            }
        }
        return n;
    }

    private int GeneratePawnMoves(Span<Move> moves, int n, Color us, int ksq, ulong target, ulong pinned)
    {
        ulong occ = _occupied;
        ulong enemy = _colors[(int)us ^ 1];
        int up = us == Color.White ? 8 : -8;
        ulong startRank = us == Color.White ? Attacks.Rank1 << 8 : Attacks.Rank1 << 48;
        ulong pawns = _pieces[((int)us << 3) | 1];
        while (pawns != 0)
        {
            int from = BitOperations.TrailingZeroCount(pawns);
            pawns &= pawns - 1;
            ulong allowed = target;
            if ((pinned & (1UL << from)) != 0) allowed &= Attacks.Line[ksq * 64 + from];
            int to = from + up;
            if ((occ & (1UL << to)) == 0)
            {
                if ((allowed & (1UL << to)) != 0) n = EmitPawn(moves, n, from, to);
                if ((startRank & (1UL << from)) != 0)
                {
                    int to2 = to + up;
                    if ((occ & (1UL << to2)) == 0 && (allowed & (1UL << to2)) != 0) moves[n++] = Move.Create(from, to2);
                }
            }
            ulong captures = Attacks.Pawn[(int)us * 64 + from] & enemy & allowed;
            while (captures != 0)
            {
                int c = BitOperations.TrailingZeroCount(captures);
                captures &= captures - 1;
                n = EmitPawn(moves, n, from, c);
            }
        }
        if (_ep != Square.None)
        {
            ulong candidates = Attacks.Pawn[((int)us ^ 1) * 64 + _ep] & _pieces[((int)us << 3) | 1];
            while (candidates != 0)
            {
                int from = BitOperations.TrailingZeroCount(candidates);
                candidates &= candidates - 1;
                if (EnPassantIsLegal(from, _ep)) moves[n++] = Move.Create(from, _ep, MoveKind.EnPassant);
            }
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EmitPawn(Span<Move> moves, int n, int from, int to)
    {
        if (to >= 56 || to < 8)
        {
            moves[n++] = Move.Create(from, to, MoveKind.Promotion, PieceType.Queen);
            moves[n++] = Move.Create(from, to, MoveKind.Promotion, PieceType.Rook);
            moves[n++] = Move.Create(from, to, MoveKind.Promotion, PieceType.Bishop);
            moves[n++] = Move.Create(from, to, MoveKind.Promotion, PieceType.Knight);
        }
        else moves[n++] = Move.Create(from, to);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Emit(Span<Move> moves, int n, int from, ulong targets)
    {
        while (targets != 0)
        {
            moves[n++] = Move.Create(from, BitOperations.TrailingZeroCount(targets));
            targets &= targets - 1;
        }
        return n;
    }

    /// <summary>All legal moves as a new list (allocates; use <see cref="GenerateLegal"/> on hot paths).</summary>
    public List<Move> LegalMoves()
    {
        Span<Move> buffer = stackalloc Move[MaxLegalMoves];
        int n = GenerateLegal(buffer);
        var list = new List<Move>(n);
        for (int i = 0; i < n; i++) list.Add(buffer[i]);
        return list;
    }

    public int CountLegalMoves()
    {
        Span<Move> buffer = stackalloc Move[MaxLegalMoves];
        return GenerateLegal(buffer);
    }

    public bool IsLegal(Move move)
    {
        Span<Move> buffer = stackalloc Move[MaxLegalMoves];
        int n = GenerateLegal(buffer);
        return buffer[..n].Contains(move);
    }

    /// <summary>Finds the legal move with this UCI text (e2e4, e7e8q, e1g1); null if it is malformed or illegal.</summary>
    public Move? ParseUci(string uci)
    {
        if (uci is null || uci.Length is < 4 or > 5) return null;
        if (!Square.TryParse(uci.AsSpan(0, 2), out int from) || !Square.TryParse(uci.AsSpan(2, 2), out int to)) return null;
        var promo = PieceType.None;
        if (uci.Length == 5)
        {
            promo = uci[4] switch { 'n' => PieceType.Knight, 'b' => PieceType.Bishop, 'r' => PieceType.Rook, 'q' => PieceType.Queen, _ => PieceType.Pawn };
            if (promo == PieceType.Pawn) return null;
        }
        Span<Move> buffer = stackalloc Move[MaxLegalMoves];
        int n = GenerateLegal(buffer);
        for (int i = 0; i < n; i++)
            if (buffer[i].From == from && buffer[i].To == to && buffer[i].Promotion == promo) return buffer[i];
        return null;
    }

    // ---------------------------------------------------------------- make / unmake

    /// <summary>Plays a move that must be legal in this position (from <see cref="GenerateLegal"/>; not re-checked,
    /// because this is the perft hot path).</summary>
    public void MakeMove(Move m)
    {
        if (_ply == _stack.Length) Array.Resize(ref _stack, _stack.Length * 2);
        ref var st = ref _stack[_ply++];
        st.Move = m;
        st.Castling = (byte)_castling;
        st.EnPassant = (sbyte)_ep;
        st.Halfmove = _halfmove;
        st.Hash = _hash;

        var us = _side;
        int from = m.From, to = m.To;
        var piece = _board[from];
        var captured = Piece.None;
        ulong h = _hash;
        if (_ep != Square.None) h ^= Zobrist.EnPassantFile[Square.File(_ep)];
        _ep = Square.None;
        _halfmove++;

        switch (m.Kind)
        {
            case MoveKind.Castling:
            {
                int rookFrom = to > from ? from + 3 : from - 4, rookTo = to > from ? from + 1 : from - 1;
                var rook = _board[rookFrom];
                MovePiece(from, to);
                MovePiece(rookFrom, rookTo);
                h ^= Zobrist.PieceSquare[piece.Code * 64 + from] ^ Zobrist.PieceSquare[piece.Code * 64 + to]
                   ^ Zobrist.PieceSquare[rook.Code * 64 + rookFrom] ^ Zobrist.PieceSquare[rook.Code * 64 + rookTo];
                break;
            }
            case MoveKind.EnPassant:
            {
                int capSq = us == Color.White ? to - 8 : to + 8;
                captured = _board[capSq];
                RemovePiece(capSq);
                MovePiece(from, to);
                h ^= Zobrist.PieceSquare[captured.Code * 64 + capSq]
                   ^ Zobrist.PieceSquare[piece.Code * 64 + from] ^ Zobrist.PieceSquare[piece.Code * 64 + to];
                break;
            }
            default:
            {
                captured = _board[to];
                if (!captured.IsNone)
                {
                    RemovePiece(to);
                    h ^= Zobrist.PieceSquare[captured.Code * 64 + to];
                }
                MovePiece(from, to);
                h ^= Zobrist.PieceSquare[piece.Code * 64 + from];
                if (m.Kind == MoveKind.Promotion)
                {
                    var promoted = Piece.Make(us, m.Promotion);
                    RemovePiece(to);
                    AddPiece(to, promoted);
                    h ^= Zobrist.PieceSquare[promoted.Code * 64 + to];
                }
                else h ^= Zobrist.PieceSquare[piece.Code * 64 + to];
                break;
            }
        }

        if (!captured.IsNone || piece.Type == PieceType.Pawn) _halfmove = 0;
        int newCastling = _castling & CastlingMask[from] & CastlingMask[to];
        if (newCastling != _castling)
        {
            h ^= Zobrist.Castling[_castling] ^ Zobrist.Castling[newCastling];
            _castling = newCastling;
        }
        if (us == Color.Black) _fullmove++;
        _side = Opp(us);
        h ^= Zobrist.BlackToMove;

        if (piece.Type == PieceType.Pawn && (from ^ to) == 16)
        {
            int epSq = (from + to) >> 1;
            if ((Attacks.Pawn[(int)us * 64 + epSq] & _pieces[((int)_side << 3) | 1]) != 0 && HasLegalEnPassant(epSq))
            {
                _ep = epSq;
                h ^= Zobrist.EnPassantFile[Square.File(epSq)];
            }
        }
        st.Captured = captured;
        _hash = h;
    }

    /// <summary>Takes back the last move made with <see cref="MakeMove"/>.</summary>
    public void UnmakeMove()
    {
        if (_ply == 0) throw new InvalidOperationException("no move to take back");
        ref var st = ref _stack[--_ply];
        var m = st.Move;
        _side = Opp(_side);
        var us = _side;
        if (us == Color.Black) _fullmove--;
        int from = m.From, to = m.To;
        switch (m.Kind)
        {
            case MoveKind.Castling:
                MovePiece(to, from);
                if (to > from) MovePiece(from + 1, from + 3); else MovePiece(from - 1, from - 4);
                break;
            case MoveKind.EnPassant:
                MovePiece(to, from);
                AddPiece(us == Color.White ? to - 8 : to + 8, st.Captured);
                break;
            case MoveKind.Promotion:
                RemovePiece(to);
                AddPiece(from, Piece.Make(us, PieceType.Pawn));
                if (!st.Captured.IsNone) AddPiece(to, st.Captured);
                break;
            default:
                MovePiece(to, from);
                if (!st.Captured.IsNone) AddPiece(to, st.Captured);
                break;
        }
        _castling = st.Castling;
        _ep = st.EnPassant;
        _halfmove = st.Halfmove;
        _hash = st.Hash;
    }

    /// <summary>Whether the move captures (including en passant).</summary>
    public bool IsCapture(Move m) => m.Kind == MoveKind.EnPassant || (m.Kind != MoveKind.Castling && !_board[m.To].IsNone);

    // ---------------------------------------------------------------- game status

    public bool IsCheckmate => InCheck && CountLegalMoves() == 0;

    public bool IsStalemate => !InCheck && CountLegalMoves() == 0;

    /// <summary>How many times the current position has occurred (this occurrence included). Positions count as the
    /// same when pieces, side to move, castling rights and legal en passant squares agree (FIDE 9.2.2).</summary>
    public int RepetitionCount()
    {
        int count = 1;
        int limit = Math.Max(0, _ply - _halfmove); // a capture or pawn move makes earlier positions unreachable
        for (int i = _ply - 2; i >= limit; i -= 2)
            if (_stack[i].Hash == _hash) count++;
        return count;
    }

    /// <summary>Dead positions that no sequence of legal moves can mate: K v K, K+minor v K, and kings with bishops
    /// that all stand on squares of one colour. (K+N v K+N and similar are not dead: a helpmate exists.)</summary>
    public bool IsInsufficientMaterial()
    {
        ulong heavyOrPawns = 0;
        foreach (var c in new[] { 0, 8 }) heavyOrPawns |= _pieces[c | 1] | _pieces[c | 4] | _pieces[c | 5];
        if (heavyOrPawns != 0) return false;
        ulong knights = _pieces[2] | _pieces[10], bishops = _pieces[3] | _pieces[11];
        int minors = BitOperations.PopCount(knights | bishops);
        if (minors <= 1) return true;
        if (knights != 0) return false;
        const ulong LightSquares = 0x55AA55AA55AA55AAUL;
        return (bishops & LightSquares) == 0 || (bishops & ~LightSquares) == 0;
    }

    /// <summary>The game outcome. Checkmate, stalemate, insufficient material, the 75-move rule and fivefold
    /// repetition end the game by themselves; with <paramref name="claimDraws"/> the fifty-move rule and threefold
    /// repetition count too (python-chess's <c>outcome(claim_draw=...)</c>, whose default the LMRL-Gym env used).</summary>
    public Outcome GetOutcome(bool claimDraws = false)
    {
        bool hasMoves = CountLegalMoves() > 0;
        if (!hasMoves) return InCheck ? new Outcome(Termination.Checkmate, Opp(_side)) : new Outcome(Termination.Stalemate, null);
        if (IsInsufficientMaterial()) return new Outcome(Termination.InsufficientMaterial, null);
        if (_halfmove >= 150) return new Outcome(Termination.SeventyFiveMoves, null);
        int repetitions = RepetitionCount();
        if (repetitions >= 5) return new Outcome(Termination.FivefoldRepetition, null);
        if (claimDraws)
        {
            if (_halfmove >= 100) return new Outcome(Termination.FiftyMoves, null);
            if (repetitions >= 3) return new Outcome(Termination.ThreefoldRepetition, null);
        }
        return new Outcome(Termination.None, null);
    }
}
