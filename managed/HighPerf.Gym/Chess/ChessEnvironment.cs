using HighPerf.Gym.Core;

namespace HighPerf.Gym.Chess;

/// <summary>Task settings; the defaults are LMRL-Gym's (spec §2.4).</summary>
public sealed record ChessTaskOptions
{
    /// <summary>Agent moves allowed; the episode ends once more than this many steps were taken (upstream
    /// <c>num_moves_made &gt; max_moves</c>, so 401 steps and a minimum return of −401).</summary>
    public int MaxMoves { get; init; } = 400;
    /// <summary>Upstream's evaluation env omits the observation's trailing "\n" while its BC data has it (spec §2.4,
    /// §7 pitfalls). We keep one format for training and evaluation, with the "\n" that every text item carries
    /// (spec §1.1).</summary>
    public bool ObservationNewline { get; init; } = true;
    /// <summary>End the game on the claimable draws (fifty-move rule, threefold repetition) too. Off, like
    /// python-chess's <c>is_game_over()</c> that the original env called: only mate, stalemate, insufficient
    /// material, the 75-move rule and fivefold repetition end the game.</summary>
    public bool ClaimDraws { get; init; }
    public double WinReward { get; init; } = 1;
    public double LossReward { get; init; } = -1;
    public double DrawReward { get; init; }
    public double IllegalMoveReward { get; init; } = -1;
    /// <summary>End the episode on a null move ("--", "Z0", "0000", "@@@@"; reward <see cref="IllegalMoveReward"/>).
    /// Off, as upstream behaves: its <c>ChessEnv.step</c> tries to return (−1, done) for a null move, but a
    /// <c>return</c> in its <c>finally</c> block overrides that with the illegal-move result (−1, not done, board
    /// unchanged). On = what that code evidently meant.</summary>
    public bool NullMoveEndsEpisode { get; init; }
}

/// <summary>What happened in the last step, for metrics (% illegal moves, victories) and debugging.</summary>
public sealed record ChessStepInfo(string ActionText, string? AgentSan, string? IllegalReason, string? OpponentSan, Outcome Outcome, int MovesMade);

/// <summary>
/// LMRL-Gym's chess environment (spec §2.4/§2.5, upstream <c>FenChessHistoryEnv</c>). The agent plays White; the
/// observation is the spaced FEN of the position after the opponent's reply, and the returned history holds only
/// that observation (the state is Markov). Per step:
/// an unparseable or illegal move gives <see cref="ChessTaskOptions.IllegalMoveReward"/> (−1), leaves the board
/// unchanged and does not end the episode; a legal move that ends the game gives +1 for mate and 0 for a draw; else
/// the opponent replies, and −1 if it mates, 0 for a draw or an ongoing game. After more than
/// <see cref="ChessTaskOptions.MaxMoves"/> steps the episode is done. Null moves count as illegal moves, as they do
/// upstream when it runs (<see cref="ChessTaskOptions.NullMoveEndsEpisode"/>). One instance runs one episode at a time.
/// </summary>
public sealed class ChessEnvironment : ITextEnvironment, IEpisodeOutcome, IDisposable
{
    private readonly Func<int, string> _startPosition;
    private readonly IChessMover _opponent;
    private readonly bool _ownsOpponent;
    private Board? _board;
    private string _startFen = "";
    private readonly List<Move> _moves = [];
    private Random _rng = new(0);
    private int _movesMade;
    private bool _done = true;

    /// <param name="startPosition">FEN of the start position for an episode seed.</param>
    /// <param name="opponent">Plays Black.</param>
    /// <param name="options">Rewards, horizon and format switches; null = LMRL-Gym defaults.</param>
    /// <param name="ownsOpponent">Dispose the opponent with the environment.</param>
    public ChessEnvironment(Func<int, string> startPosition, IChessMover opponent, ChessTaskOptions? options = null, bool ownsOpponent = true)
    {
        _startPosition = startPosition ?? throw new ArgumentNullException(nameof(startPosition));
        _opponent = opponent ?? throw new ArgumentNullException(nameof(opponent));
        _ownsOpponent = ownsOpponent;
        Options = options ?? new ChessTaskOptions();
        if (Options.MaxMoves < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxMoves, "MaxMoves must be at least 1");
    }

    public ChessTaskOptions Options { get; }

    /// <summary>The current position (a copy).</summary>
    public Board Board => (_board ?? throw new InvalidOperationException("call Reset first")).Clone();

    public string StartFen => _startFen;

    public IReadOnlyList<Move> Moves => _moves;

    public ChessStepInfo? LastStep { get; private set; }

    public bool IsDone => _done;

    /// <summary>Whether the agent won (mated the opponent) in the current episode; the task's success criterion.</summary>
    public bool Succeeded => LastStep?.Outcome is { Termination: Termination.Checkmate, Winner: Color.White };

    public TextHistory Reset(int seed)
    {
        var fen = _startPosition(seed);
        var board = Board.FromFen(fen);
        if (board.SideToMove != Color.White) throw new ArgumentException($"the agent plays White, but Black is to move in start position {fen}");
        if (board.GetOutcome(Options.ClaimDraws).IsGameOver) throw new ArgumentException($"start position {fen} is already decided");
        _board = board;
        _startFen = board.ToFen();
        _moves.Clear();
        _rng = new Random(seed);
        _movesMade = 0;
        _done = false;
        LastStep = null;
        return Observe();
    }

    private TextHistory Observe() => TextHistory.Empty.AppendObservation(ChessText.Observation(_board!.ToFen(), Options.ObservationNewline));

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Last is not { IsAction: true } last) throw new ArgumentException("the last history item must be the agent's action", nameof(history));
        if (_board is null || _done) throw new InvalidOperationException("the episode is over (or was never started); call Reset");
        var board = _board;
        double reward;
        string? agentSan = null, opponentSan = null, illegal = null;
        var outcome = default(Outcome);
        var san = ChessText.ParseAction(last.Text);
        var parsed = board.TryParseSan(san);
        if (!parsed.Success)
        {
            reward = Options.IllegalMoveReward;
            illegal = parsed.Error;
            if (Options.NullMoveEndsEpisode && San.IsNullMove(san)) _done = true;
        }
        else
        {
            agentSan = board.ToSan(parsed.Move);
            Play(parsed.Move);
            outcome = board.GetOutcome(Options.ClaimDraws);
            if (outcome.IsGameOver)
            {
                reward = outcome.Termination == Termination.Checkmate ? Options.WinReward : Options.DrawReward;
                _done = true;
            }
            else
            {
                var reply = _opponent.ChooseMove(board, _startFen, _moves, _rng);
                opponentSan = board.ToSan(reply);
                Play(reply);
                outcome = board.GetOutcome(Options.ClaimDraws);
                reward = outcome.Termination == Termination.Checkmate ? Options.LossReward : outcome.IsGameOver ? Options.DrawReward : 0;
                _done = outcome.IsGameOver;
            }
        }
        _movesMade++;
        if (_movesMade > Options.MaxMoves) _done = true;
        LastStep = new ChessStepInfo(last.Text, agentSan, illegal, opponentSan, outcome, _movesMade);
        return new StepResult(Observe(), reward, _done);
    }

    private void Play(Move move)
    {
        _board!.MakeMove(move);
        _moves.Add(move);
    }

    public void Dispose()
    {
        if (_ownsOpponent) _opponent.Dispose();
    }
}
