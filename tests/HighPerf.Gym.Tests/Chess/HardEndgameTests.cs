using HighPerf.Gym.Chess;
using Xunit;

namespace HighPerf.Gym.Tests.Chess;

/// <summary>Issue #16 point 4: evaluation endgames are the positions Stockfish rates mate-in ≥ 15 (spec §2.5),
/// deterministic per seed, cached, and the embedded list is exactly what the generator makes.</summary>
public class HardEndgameTests
{
    [Fact]
    public void EmbeddedEvaluationListIsTheGeneratorsOutput()
    {
        var shipped = ChessTasks.EvaluationEndgamePositions;
        Assert.Equal(ChessTasks.EndgamesEvalEpisodes, shipped.Count);
        Assert.Equal(shipped.Count, shipped.Distinct().Count());
        foreach (var fen in shipped)
        {
            var board = Board.FromFen(fen);
            Assert.False(board.InCheck);
            Assert.False(board.GetOutcome().IsGameOver);
        }
        using var engine = new StockfishEngine(HardEndgameCriteria.Default.Engine);
        var regenerated = EndgamePositions.GenerateHard(ChessTasks.EvaluationPositionSeed, 3, engine);
        Assert.Equal(shipped.Take(3), regenerated);
        foreach (var fen in regenerated)
        {
            var score = engine.Analyse(fen);
            Assert.True(score.IsMate && score.Value >= 15, $"{fen}: {score}");
        }
    }

    [Fact]
    public void HardPositionsAreDeterministicAndHarderThanRandomOnes()
    {
        var criteria = HardEndgameCriteria.Default with { Depth = 12, MinMateMoves = 8 };
        using var engine = new StockfishEngine(criteria.Engine);
        var a = EndgamePositions.GenerateHard(5, 4, engine, criteria);
        var b = EndgamePositions.GenerateHard(5, 4, engine, criteria);
        Assert.Equal(a, b);
        Assert.All(a, fen => { var s = engine.Analyse(fen); Assert.True(s.IsMate && s.Value >= 8, $"{fen}: {s}"); });
        // The unfiltered stream from the same seed holds positions the filter drops (most K+Q+R / K+R+R mates are short).
        var random = EndgamePositions.Generate(5, 12);
        Assert.Contains(random, fen => engine.Analyse(fen) is { IsMate: true, Value: < 8 });
    }

    [Fact]
    public void CacheIsReadInsteadOfRecomputedAndRepairedWhenDamaged()
    {
        var dir = Directory.CreateTempSubdirectory("hp-endgames-").FullName;
        try
        {
            var criteria = HardEndgameCriteria.Default with { Depth = 12, MinMateMoves = 8 };
            var first = EndgamePositions.Hard(9, 2, criteria, dir);
            var file = Assert.Single(Directory.GetFiles(dir));
            Assert.StartsWith("# HighPerf hard endgame positions: seed 9", File.ReadAllText(file));
            // A cached list is taken as it is: plant easy positions and they come back without a search.
            var planted = new[] { "8/8/8/8/8/2k5/8/KQ6 w - - 0 1", "k7/8/8/8/8/8/8/KR6 w - - 0 1" };
            File.WriteAllText(file, "# planted\n" + string.Join('\n', planted) + "\n");
            Assert.Equal(planted, EndgamePositions.Hard(9, 2, criteria, dir));
            // A damaged cache is regenerated, giving the same list as the first time.
            File.WriteAllText(file, "not a fen\n");
            Assert.Equal(first, EndgamePositions.Hard(9, 2, criteria, dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void PositionListErrorsNameTheLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => EndgamePositions.ReadPositionList(["# header", "8/8/8/8/8/2k5/8/KQ6 w - - 0 1", "8/8/8 w"], "list.fen"));
        Assert.StartsWith("list.fen:3:", e.Message);
    }

    [Theory]
    [InlineData("info depth 20 seldepth 30 multipv 1 score mate 16 nodes 1 pv a1a2", true, 16)]
    [InlineData("info depth 9 score mate -3 nodes 5", true, -3)]
    [InlineData("info depth 12 score cp 471 nodes 9", false, 471)]
    public void ParsesUciScores(string line, bool mate, int value)
    {
        Assert.True(EngineScore.TryParseInfo(line, out var s));
        Assert.Equal(new EngineScore(mate, value), s);
    }

    [Theory]
    [InlineData("info depth 20 score cp 30 lowerbound nodes 3")]
    [InlineData("info string NNUE evaluation using nn-ad9b42354671.nnue enabled")]
    [InlineData("bestmove e2e4")]
    public void IgnoresLinesWithoutAnExactScore(string line) => Assert.False(EngineScore.TryParseInfo(line, out _));
}
