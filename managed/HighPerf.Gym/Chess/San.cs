using System.Text;
using System.Text.RegularExpressions;

namespace HighPerf.Gym.Chess;

/// <summary>Result of parsing a move text: the move, or why it was rejected.</summary>
public readonly record struct SanParseResult(Move Move, string? Error)
{
    public bool Success => Error is null;
}

/// <summary>
/// Standard Algebraic Notation, printed exactly as python-chess prints it (the notation of the LMRL-Gym datasets):
/// piece letter, minimal disambiguation (file, else rank, else both), 'x' for captures, "=Q" promotions, "O-O" /
/// "O-O-O", and a '+' or '#' suffix.
///
/// Parsing accepts the same inputs python-chess's <c>parse_san</c> accepts, so what counts as an illegal move
/// (reward −1) agrees with the original environment: a missing or wrong '+'/'#' or 'x' is tolerated; "0-0" and
/// "O-O"; a lower-case promotion letter with or without '='; a from-square ("Ng1f3", "e2e4", or "e1g1" for castling).
/// Pawn captures need the from-file ("exd5", not "d5"); a pawn reaching the last rank needs its promotion piece;
/// null moves ("--", "0000") are rejected. Ambiguous or illegal moves are rejected with a reason.
/// </summary>
public static partial class San
{
    [GeneratedRegex(@"^([NBKRQ])?([a-h])?([1-8])?[\-x]?([a-h][1-8])(=?[nbrqkNBRQK])?[\+#]?$", RegexOptions.CultureInvariant)]
    private static partial Regex SanPattern();

    public static string ToSan(this Board board, Move move)
    {
        ArgumentNullException.ThrowIfNull(board);
        var sb = new StringBuilder(8);
        var piece = board.PieceAt(move.From);
        if (piece.IsNone || piece.Color != board.SideToMove) throw new ArgumentException($"{move} does not move a piece of the side to move in {board.ToFen()}", nameof(move));
        Span<Move> legal = stackalloc Move[Board.MaxLegalMoves];
        int n = board.GenerateLegal(legal);
        if (!legal[..n].Contains(move)) throw new ArgumentException($"{move} is not legal in {board.ToFen()}", nameof(move));

        if (move.Kind == MoveKind.Castling) sb.Append(move.To > move.From ? "O-O" : "O-O-O");
        else
        {
            bool capture = board.IsCapture(move);
            if (piece.Type == PieceType.Pawn)
            {
                if (capture) sb.Append((char)('a' + Square.File(move.From))).Append('x');
                sb.Append(Square.Name(move.To));
                if (move.Kind == MoveKind.Promotion) sb.Append('=').Append(Letter(move.Promotion));
            }
            else
            {
                sb.Append(Letter(piece.Type));
                // Other pieces of the same kind that can also reach the destination decide the disambiguation.
                bool others = false, sameFile = false, sameRank = false;
                for (int i = 0; i < n; i++)
                {
                    var other = legal[i];
                    if (other.To != move.To || other.From == move.From || board.PieceAt(other.From) != piece) continue;
                    others = true;
                    sameFile |= Square.File(other.From) == Square.File(move.From);
                    sameRank |= Square.Rank(other.From) == Square.Rank(move.From);
                }
                if (others)
                {
                    if (!sameFile) sb.Append((char)('a' + Square.File(move.From)));
                    else if (!sameRank) sb.Append((char)('1' + Square.Rank(move.From)));
                    else sb.Append(Square.Name(move.From));
                }
                if (capture) sb.Append('x');
                sb.Append(Square.Name(move.To));
            }
        }

        board.MakeMove(move);
        if (board.InCheck) sb.Append(board.CountLegalMoves() == 0 ? '#' : '+');
        board.UnmakeMove();
        return sb.ToString();
    }

    private static char Letter(PieceType type) => "?PNBRQK"[(int)type];

    /// <summary>Parses SAN in this position; throws <see cref="FormatException"/> with the reason when it fails.</summary>
    public static Move ParseSan(this Board board, string san)
    {
        var r = TryParseSan(board, san);
        return r.Success ? r.Move : throw new FormatException(r.Error);
    }

    /// <summary>Whether the text is one of the spellings python-chess's <c>parse_san</c> reads as a null move
    /// ("--", "Z0", "0000", "@@@@"), surrounding whitespace ignored.</summary>
    public static bool IsNullMove(string? san) => san?.Trim() is "--" or "Z0" or "0000" or "@@@@";

    public static SanParseResult TryParseSan(this Board board, string? san)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (string.IsNullOrWhiteSpace(san)) return Fail("empty move");
        var text = san.Trim();
        if (IsNullMove(text)) return Fail($"'{text}' is a null move, which is not a legal chess move");

        Span<Move> legal = stackalloc Move[Board.MaxLegalMoves];
        int n = board.GenerateLegal(legal);

        var castle = text.TrimEnd('+', '#');
        if (castle is "O-O" or "0-0" or "O-O-O" or "0-0-0")
        {
            bool kingside = castle.Length == 3;
            for (int i = 0; i < n; i++)
                if (legal[i].Kind == MoveKind.Castling && (legal[i].To > legal[i].From) == kingside) return new(legal[i], null);
            return Fail($"'{text}': castling {(kingside ? "kingside" : "queenside")} is not legal here");
        }

        var m = SanPattern().Match(text);
        if (!m.Success) return Fail($"'{text}' is not algebraic notation");
        Square.TryParse(m.Groups[4].Value, out int to);
        var promotion = PieceType.None;
        if (m.Groups[5].Success)
        {
            char p = char.ToLowerInvariant(m.Groups[5].Value[^1]);
            if (p == 'k') return Fail($"'{text}': a pawn cannot promote to a king");
            promotion = p switch { 'n' => PieceType.Knight, 'b' => PieceType.Bishop, 'r' => PieceType.Rook, _ => PieceType.Queen };
        }
        int fromFile = m.Groups[2].Success ? m.Groups[2].Value[0] - 'a' : -1;
        int fromRank = m.Groups[3].Success ? m.Groups[3].Value[0] - '1' : -1;

        PieceType pieceType;
        if (m.Groups[1].Success) pieceType = "?PNBRQK".IndexOf(m.Groups[1].Value[0]) is var idx ? (PieceType)idx : PieceType.None;
        else if (fromFile >= 0 && fromRank >= 0)
        {
            // A fully specified from-square: any piece, castling included (e1g1).
            int from = Square.Make(fromFile, fromRank);
            for (int i = 0; i < n; i++)
                if (legal[i].From == from && legal[i].To == to && legal[i].Promotion == promotion) return new(legal[i], null);
            for (int i = 0; i < n; i++)
                if (legal[i].From == from && legal[i].To == to && promotion == PieceType.None)
                    return Fail($"'{text}': missing promotion piece");
            return Fail($"'{text}': no legal move from {Square.Name(from)} to {Square.Name(to)}");
        }
        else
        {
            pieceType = PieceType.Pawn;
            if (fromFile < 0) fromFile = Square.File(to); // pawn captures must name the from-file
        }
        if (promotion != PieceType.None && pieceType != PieceType.Pawn) return Fail($"'{text}': only pawns promote");

        Move found = Move.None;
        var candidates = new List<Move>(2);
        bool promotionMismatch = false;
        for (int i = 0; i < n; i++)
        {
            var mv = legal[i];
            var piece = board.PieceAt(mv.From);
            if (mv.To != to || piece.Type != pieceType || mv.Kind == MoveKind.Castling) continue;
            if (fromFile >= 0 && Square.File(mv.From) != fromFile) continue;
            if (fromRank >= 0 && Square.Rank(mv.From) != fromRank) continue;
            if (mv.Promotion != promotion) { promotionMismatch = true; continue; }
            candidates.Add(mv);
            found = mv;
        }
        if (candidates.Count == 1) return new(found, null);
        if (candidates.Count > 1)
        {
            var options = string.Join(", ", candidates.Select(c => ToSan(board, c)));
            return Fail($"'{text}' is ambiguous: {options}");
        }
        if (promotionMismatch)
            return Fail(promotion == PieceType.None ? $"'{text}': missing promotion piece" : $"'{text}': this move is not a promotion");
        string who = pieceType switch
        {
            PieceType.Pawn => "no pawn", PieceType.Knight => "no knight", PieceType.Bishop => "no bishop",
            PieceType.Rook => "no rook", PieceType.Queen => "no queen", _ => "the king cannot",
        };
        return Fail(pieceType == PieceType.King
            ? $"'{text}': the king cannot legally move to {Square.Name(to)}"
            : $"'{text}': {who} can legally move to {Square.Name(to)}");
    }

    private static SanParseResult Fail(string error) => new(Move.None, error);
}
