using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace HighPerf.Gym.Chess;

/// <summary>How Stockfish is asked for a move: wall-clock time (the LMRL-Gym opponent: 100 ms), or a fixed depth or
/// node count, which with one thread and a cleared hash makes the search reproducible.</summary>
public readonly record struct SearchLimit(int MoveTimeMs = 0, int Depth = 0, long Nodes = 0)
{
    public static SearchLimit MoveTime(int ms) => new(MoveTimeMs: ms);
    public static SearchLimit FixedDepth(int depth) => new(Depth: depth);
    public static SearchLimit FixedNodes(long nodes) => new(Nodes: nodes);

    /// <summary>Deterministic limits (depth/nodes) give the same move for the same position every time.</summary>
    public bool IsDeterministic => MoveTimeMs == 0;

    public string ToGoCommand()
    {
        if (MoveTimeMs > 0) return $"go movetime {MoveTimeMs}";
        if (Depth > 0) return $"go depth {Depth}";
        if (Nodes > 0) return $"go nodes {Nodes}";
        throw new InvalidOperationException("search limit has no movetime, depth or nodes");
    }
}

/// <summary>Stockfish settings. The defaults are the LMRL-Gym opponent: one thread, <c>UCI_LimitStrength</c> with
/// <c>UCI_Elo</c> 1200, 100 ms per move.</summary>
public sealed record StockfishOptions
{
    /// <summary>Binary path; null = $HIGHPERF_STOCKFISH, then $CHESS_ENGINE_PATH (the upstream variable), then
    /// /usr/games/stockfish (Debian's package), then `stockfish` on PATH.</summary>
    public string? Path { get; init; }
    public bool LimitStrength { get; init; } = true;
    /// <summary>Requested Elo. Stockfish 15.1 accepts 1350..2850 and silently ignores values outside that range
    /// (so upstream's 1200 ran at the default 1350); we clamp to the range the engine advertises, which gives the
    /// same behaviour, and report it in <see cref="StockfishEngine.EffectiveElo"/>.</summary>
    public int Elo { get; init; } = 1200;
    public int Threads { get; init; } = 1;
    public int HashMb { get; init; } = 16;
    public SearchLimit Limit { get; init; } = SearchLimit.MoveTime(100);
    /// <summary>Send <c>ucinewgame</c> (clears the hash) before every search so a move depends only on the position
    /// and its history. On by default for depth/nodes limits; see <see cref="SearchLimit.IsDeterministic"/>.</summary>
    public bool? ClearHashEachMove { get; init; }
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Extra time allowed beyond the move time before the engine counts as hung.</summary>
    public TimeSpan MoveTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How many times one request may restart a crashed or hung engine before giving up.</summary>
    public int MaxRestarts { get; init; } = 3;

    /// <summary>The LMRL-Gym opponent (Elo 1200, clamped by the engine to 1350; 100 ms per move).</summary>
    public static StockfishOptions Opponent => new();

    /// <summary>Full strength with a small fixed node budget: the "expert" policy, reproducible.</summary>
    public static StockfishOptions Expert(long nodes = 20_000) => new() { LimitStrength = false, Limit = SearchLimit.FixedNodes(nodes) };
}

/// <summary>Thrown when the Stockfish binary cannot be found or keeps failing.</summary>
public sealed class StockfishException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A Stockfish process spoken to over UCI. Started and health-checked (<c>uci</c>→<c>uciok</c>,
/// <c>isready</c>→<c>readyok</c>, both with timeouts). Every request sends the whole game as
/// <c>position fen START moves ...</c>, so when the process crashes or hangs it is killed, restarted and asked again
/// with nothing lost. Not thread-safe: one engine per episode or per worker.
///
/// Determinism: Stockfish has no seed option. With <c>UCI_LimitStrength</c> its weakened move choice draws from a
/// time-seeded generator, and a movetime search depends on machine speed and load, so the LMRL-Gym opponent is not
/// reproducible. Full strength (<c>LimitStrength=false</c>) with a depth or nodes limit, one thread and the hash
/// cleared before each search is: the same position and history give the same move.
/// </summary>
public sealed class StockfishEngine : IDisposable
{
    public const string DebianPath = "/usr/games/stockfish";

    private readonly StockfishOptions _options;
    private Process? _process;
    private BlockingCollection<string>? _lines;
    private bool _disposed;

    public StockfishEngine(StockfishOptions? options = null)
    {
        _options = options ?? new StockfishOptions();
        if (_options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), "Threads must be at least 1");
        BinaryPath = ResolvePath(_options.Path);
        try { Start(); }
        catch (EngineFailure e)
        {
            KillProcess();
            throw new StockfishException($"Stockfish at {BinaryPath} failed its health check: {e.Message}");
        }
    }

    public string BinaryPath { get; }
    public string EngineName { get; private set; } = "";
    /// <summary>The UCI_Elo actually set (clamped to the engine's advertised range), or null at full strength.</summary>
    public int? EffectiveElo { get; private set; }
    /// <summary>How many times the process was restarted after a crash or timeout.</summary>
    public int Restarts { get; private set; }
    public StockfishOptions Options => _options;
    /// <summary>OS process id of the running engine (tests use it to kill the engine and check recovery).</summary>
    public int ProcessId => _process?.Id ?? throw new ObjectDisposedException(nameof(StockfishEngine));

    /// <summary>Finds the binary or throws a <see cref="StockfishException"/> that says how to install it.</summary>
    public static string ResolvePath(string? configured = null)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured)) candidates.Add(configured);
        else
        {
            foreach (var env in new[] { "HIGHPERF_STOCKFISH", "CHESS_ENGINE_PATH" })
                if (Environment.GetEnvironmentVariable(env) is { Length: > 0 } p) candidates.Add(p);
            candidates.Add(DebianPath);
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                candidates.Add(System.IO.Path.Combine(dir, "stockfish"));
        }
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        throw new StockfishException(
            $"Stockfish binary not found (tried: {string.Join(", ", candidates.Take(4))}{(candidates.Count > 4 ? ", ..." : "")}). " +
            "Install Debian's package with `sudo apt-get install stockfish` (scripts/bootstrap.sh does this), " +
            "or set HIGHPERF_STOCKFISH to the binary.");
    }

    /// <summary>Whether a Stockfish binary can be found (without starting it).</summary>
    public static bool IsAvailable(string? configured = null)
    {
        try { ResolvePath(configured); return true; }
        catch (StockfishException) { return false; }
    }

    private void Start()
    {
        var psi = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try { process = Process.Start(psi) ?? throw new StockfishException($"could not start {BinaryPath}"); }
        catch (System.ComponentModel.Win32Exception e) { throw new StockfishException($"could not start Stockfish at {BinaryPath}: {e.Message}", e); }
        var lines = new BlockingCollection<string>();
        // One reader thread per process; when the process dies the stream ends and CompleteAdding wakes any waiter.
        var reader = new Thread(() =>
        {
            try
            {
                while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
            finally { lines.CompleteAdding(); }
        }) { IsBackground = true, Name = "stockfish-stdout" };
        reader.Start();
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        _process = process;
        _lines = lines;

        Send("uci");
        int eloMin = int.MinValue, eloMax = int.MaxValue;
        foreach (var line in ReadUntil(l => l == "uciok", _options.StartupTimeout, "uciok"))
        {
            if (line.StartsWith("id name ", StringComparison.Ordinal)) EngineName = line[8..];
            if (line.StartsWith("option name UCI_Elo ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                int i = Array.IndexOf(parts, "min"), j = Array.IndexOf(parts, "max");
                if (i > 0 && int.TryParse(parts[i + 1], CultureInfo.InvariantCulture, out var mn)) eloMin = mn;
                if (j > 0 && int.TryParse(parts[j + 1], CultureInfo.InvariantCulture, out var mx)) eloMax = mx;
            }
        }
        Send($"setoption name Threads value {_options.Threads}");
        Send($"setoption name Hash value {_options.HashMb}");
        if (_options.LimitStrength)
        {
            EffectiveElo = Math.Clamp(_options.Elo, eloMin, eloMax);
            Send("setoption name UCI_LimitStrength value true");
            Send($"setoption name UCI_Elo value {EffectiveElo}");
        }
        else
        {
            EffectiveElo = null;
            Send("setoption name UCI_LimitStrength value false");
        }
        WaitReady(_options.StartupTimeout);
    }

    private void Send(string command)
    {
        try
        {
            _process!.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
        }
        catch (IOException e) { throw new EngineFailure($"write failed ({e.Message})"); }
    }

    private void WaitReady(TimeSpan timeout)
    {
        Send("isready");
        foreach (var _ in ReadUntil(l => l == "readyok", timeout, "readyok")) { }
    }

    /// <summary>Yields lines up to and including the one matching <paramref name="done"/>; throws
    /// <see cref="EngineFailure"/> on timeout or process exit.</summary>
    private IEnumerable<string> ReadUntil(Func<string, bool> done, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero) throw new EngineFailure($"timed out after {timeout.TotalSeconds:F1}s waiting for {what}");
            string? line;
            try
            {
                if (!_lines!.TryTake(out line, left))
                    throw new EngineFailure(_lines.IsCompleted
                        ? $"process exited while waiting for {what}"
                        : $"timed out after {timeout.TotalSeconds:F1}s waiting for {what}");
            }
            catch (InvalidOperationException) { throw new EngineFailure($"process exited while waiting for {what}"); }
            if (line is null && _lines.IsCompleted) throw new EngineFailure($"process exited while waiting for {what}");
            yield return line!;
            if (done(line!)) yield break;
        }
    }

    private sealed class EngineFailure(string message) : Exception(message);

    /// <summary>The engine's move (UCI text) for the game that started at <paramref name="startFen"/> and continued
    /// with <paramref name="movesUci"/>. Restarts the engine and retries on a crash or hang.</summary>
    public string BestMove(string startFen, IReadOnlyList<string> movesUci)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string position = movesUci.Count == 0 ? $"position fen {startFen}" : $"position fen {startFen} moves {string.Join(' ', movesUci)}";
        bool clear = _options.ClearHashEachMove ?? _options.Limit.IsDeterministic;
        var timeout = TimeSpan.FromMilliseconds(_options.Limit.MoveTimeMs) + _options.MoveTimeout;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (clear) { Send("ucinewgame"); WaitReady(_options.StartupTimeout); }
                Send(position);
                Send(_options.Limit.ToGoCommand());
                string? best = null;
                foreach (var line in ReadUntil(l => l.StartsWith("bestmove", StringComparison.Ordinal), timeout, "bestmove"))
                    if (line.StartsWith("bestmove", StringComparison.Ordinal)) best = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
                if (best is null or "(none)" or "0000")
                    throw new InvalidOperationException($"Stockfish has no move in {position} (the game is over)");
                return best;
            }
            catch (EngineFailure failure)
            {
                if (attempt >= _options.MaxRestarts)
                    throw new StockfishException($"Stockfish at {BinaryPath} failed {attempt + 1} times; last: {failure.Message}");
                Restart();
            }
        }
    }

    /// <summary>Stockfish's score of <paramref name="fen"/> for the side to move, from the last exact <c>info ... score</c>
    /// line of a search at <see cref="StockfishOptions.Limit"/> (deterministic for depth/nodes limits with the hash
    /// cleared, as for <see cref="BestMove"/>). Restarts and retries on a crash or hang like <see cref="BestMove"/>.</summary>
    public EngineScore Analyse(string fen)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(fen);
        bool clear = _options.ClearHashEachMove ?? _options.Limit.IsDeterministic;
        var timeout = TimeSpan.FromMilliseconds(_options.Limit.MoveTimeMs) + _options.MoveTimeout;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (clear) { Send("ucinewgame"); WaitReady(_options.StartupTimeout); }
                Send($"position fen {fen}");
                Send(_options.Limit.ToGoCommand());
                EngineScore? score = null;
                foreach (var line in ReadUntil(l => l.StartsWith("bestmove", StringComparison.Ordinal), timeout, "bestmove"))
                    if (EngineScore.TryParseInfo(line, out var s)) score = s;
                return score ?? throw new StockfishException($"Stockfish gave no score for {fen} (the game is over?)");
            }
            catch (EngineFailure failure)
            {
                if (attempt >= _options.MaxRestarts)
                    throw new StockfishException($"Stockfish at {BinaryPath} failed {attempt + 1} times; last: {failure.Message}");
                Restart();
            }
        }
    }

    /// <summary>Kills and restarts the process (used after a crash or hang; also callable directly).</summary>
    public void Restart()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        KillProcess();
        Restarts++;
        for (int attempt = 0; ; attempt++)
        {
            try { Start(); return; }
            catch (EngineFailure e) when (attempt < _options.MaxRestarts) { KillProcess(); _ = e; }
            catch (EngineFailure e) { KillProcess(); throw new StockfishException($"Stockfish at {BinaryPath} did not come back up: {e.Message}"); }
        }
    }

    private void KillProcess()
    {
        var p = _process;
        _process = null;
        if (p is null) return;
        try
        {
            if (!p.HasExited)
            {
                try { p.StandardInput.WriteLine("quit"); p.StandardInput.Flush(); } catch (IOException) { }
                if (!p.WaitForExit(200)) p.Kill(entireProcessTree: true);
                p.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException) { }
        finally { p.Dispose(); }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        KillProcess();
    }
}

/// <summary>A UCI score for the side to move: <see cref="IsMate"/> with <see cref="Value"/> = moves to mate (negative:
/// the side to move is mated), else <see cref="Value"/> = centipawns.</summary>
public readonly record struct EngineScore(bool IsMate, int Value)
{
    /// <summary>Reads the score of an <c>info</c> line; false for lines without one and for bound (non-exact) scores.</summary>
    public static bool TryParseInfo(string line, out EngineScore score)
    {
        score = default;
        if (!line.StartsWith("info ", StringComparison.Ordinal)) return false;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int k = Array.IndexOf(parts, "score");
        if (k < 0 || k + 2 >= parts.Length) return false;
        if (k + 3 < parts.Length && parts[k + 3] is "lowerbound" or "upperbound") return false;
        if (!int.TryParse(parts[k + 2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return false;
        switch (parts[k + 1])
        {
            case "mate": score = new(true, v); return true;
            case "cp": score = new(false, v); return true;
            default: return false;
        }
    }

    public override string ToString() => IsMate ? $"mate {Value}" : $"cp {Value}";
}
