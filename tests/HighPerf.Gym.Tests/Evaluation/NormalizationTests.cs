using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.Tests.Evaluation;

public class NormalizationTests
{
    [Theory]
    // hand computed with the §3 formula and Table 5 constants
    [InlineData(-6.84, 100.0)]          // FO maze max
    [InlineData(-83.0, 50.0)]           // dataset average
    [InlineData(-101.0, 0.0)]           // minimum
    [InlineData(-92.0, 25.0)]           // 50*(−92+101)/18
    [InlineData(-44.92, 75.0)]          // 50+50*(38.08/76.16)
    [InlineData(-6.97, 99.91465336)]    // paper ILQL FO maze: 99.9
    [InlineData(-200.0, 0.0)]           // below min → floored
    public void Maze_fo(double raw, double expected) => Assert.Equal(expected, NormalizationConstants.MazeFullyObserved.Normalize(raw), 6);

    [Theory]
    [InlineData(-2.04, 97.70642202)]    // paper ILQL Wordle 97.7
    [InlineData(-2.81, 80.04587156)]    // paper BC 79.9 (Table 4 is partially stale; the formula gives 80.0)
    [InlineData(-5.42, 15.42553191)]    // paper GPT-4 15.4
    [InlineData(-4.12, 50.0)]
    public void Wordle(double raw, double expected) => Assert.Equal(expected, NormalizationConstants.Wordle.Normalize(raw), 6);

    [Fact]
    public void Other_tasks()
    {
        Assert.Equal(91.89189189, NormalizationConstants.TextNav.Normalize(0.88), 6);           // 50+50*(0.62/0.74)
        Assert.Equal(77.53623188, NormalizationConstants.Endgames.Normalize(0.814), 6);          // 50+50*(0.228/0.414); paper 77.5
        Assert.Equal(0.0, NormalizationConstants.Endgames.Normalize(-22.87), 6);                 // floored
        Assert.Equal(76.28820961, NormalizationConstants.MazePartiallyObserved.Normalize(-52.9), 6); // 50+50*(30.1/57.25); paper 76.3
        Assert.Equal(95.74468085, NormalizationConstants.TwentyQuestions.Normalize(-13.0), 6);   // paper 95.7
        Assert.Equal(92.33398, NormalizationConstants.GuessMyCity.Normalize(-10.13), 4);         // paper 92.3
        Assert.Equal(47.97986, NormalizationConstants.Chess.Normalize(-16.0), 4);               // paper 48.0
    }
}
