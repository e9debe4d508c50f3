using BenchmarkDotNet.Attributes;
using HighPerf.Gym.Core;
using HighPerf.Gym.Maze;
using HighPerf.Gym.Wordle;

namespace HighPerf.Bench;

/// <summary>Environment steps per second (target ≥ 1 M steps/s on one core). Each benchmark performs
/// <see cref="Steps"/> steps with pre-built action strings, resetting finished episodes, so the reported time per
/// operation is the time per step (resets included, amortized). Façade benchmarks go through
/// <see cref="ITextEnvironment.Step"/> with real histories; "Core" ones step the value-type engines directly.</summary>
[MemoryDiagnoser]
public class GymStepBench
{
    private const int Steps = 4096;

    private MazeEnvironment _mazeFo = null!;
    private MazeEnvironment _mazePo = null!;
    private WordleEnvironment _wordle = null!;
    private WordleGame _wordleGame = null!;
    private string[] _mazeActions = null!;
    private string[] _wordleActions = null!;
    private int[] _wordleWords = null!;
    private TextHistory _foHistory = null!;
    private TextHistory _poHistory = null!;
    private TextHistory _wordleHistory = null!;
    private MazeState _mazeState;
    private MazeMove[] _moves = null!;
    private int _seed;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        // Expert-like move mix so episodes reach the goal sometimes; random so branches are not predictable.
        _mazeActions = Enumerable.Range(0, 1024).Select(_ => MazeText.Actions[rng.Next(4)]).ToArray();
        _moves = _mazeActions.Select(a => MazeText.ParseAction(a)!.Value).ToArray();
        var vocab = WordleVocabulary.Default;
        _wordleWords = Enumerable.Range(0, 1024).Select(_ => rng.Next(vocab.Count)).ToArray();
        _wordleActions = _wordleWords.Select(w => vocab.Formatted[w]).ToArray();
        _mazeFo = new MazeEnvironment(true);
        _mazePo = new MazeEnvironment(false);
        _wordle = new WordleEnvironment(vocab);
        _wordleGame = new WordleGame(vocab);
        _foHistory = _mazeFo.Reset(0);
        _poHistory = _mazePo.Reset(0);
        _wordleHistory = _wordle.Reset(0);
        _mazeState = MazeState.At(1, 1);
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public double MazeFoFacadeStep()
    {
        double sum = 0;
        var h = _foHistory;
        for (var i = 0; i < Steps; i++)
        {
            var r = _mazeFo.Step(h.AppendAction(_mazeActions[i & 1023]));
            sum += r.Reward;
            h = r.Done ? _mazeFo.Reset(++_seed) : r.History;
        }
        _foHistory = h;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public double MazePoFacadeStep()
    {
        double sum = 0;
        var h = _poHistory;
        for (var i = 0; i < Steps; i++)
        {
            var r = _mazePo.Step(h.AppendAction(_mazeActions[i & 1023]));
            sum += r.Reward;
            h = r.Done ? _mazePo.Reset(++_seed) : r.History;
        }
        _poHistory = h;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public float MazeCoreStep()
    {
        float sum = 0;
        var s = _mazeState;
        for (var i = 0; i < Steps; i++)
        {
            sum += s.Step(_moves[i & 1023], MazeEnvironment.DefaultMaxSteps, out _);
            if (s.Done) s = MazeState.At(1, 1 + (i & 3));
        }
        _mazeState = s;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public double WordleFacadeStep()
    {
        double sum = 0;
        var h = _wordleHistory;
        for (var i = 0; i < Steps; i++)
        {
            var r = _wordle.Step(h.AppendAction(_wordleActions[i & 1023]));
            sum += r.Reward;
            h = r.Done ? _wordle.Reset(++_seed) : r.History;
        }
        _wordleHistory = h;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Steps)]
    public float WordleCoreStep()
    {
        float sum = 0;
        var g = _wordleGame;
        for (var i = 0; i < Steps; i++)
        {
            g.Guess(_wordleWords[i & 1023], out var r);
            sum += r;
            if (g.Done) g.Reset(++_seed);
        }
        return sum;
    }
}
