using HighPerf.Llama;
using HighPerf.Llama.Training;

namespace HighPerf.Llama.Tests;

/// <summary>Runs only when libllama exports the patched weighted step; skipped (with the reason) otherwise.</summary>
public sealed class WeightedStepFactAttribute : FactAttribute
{
    public WeightedStepFactAttribute()
    {
        if (!WeightedTrainer.IsAvailable) Skip = "libllama lacks llama_opt_step_weighted (the HighPerf training patch is not in this build)";
    }
}

[Collection("tiny")]
public sealed class WeightedTrainerTests(TinyModelFixture fx)
{
    private LlamaModel LoadTrainable() => LlamaModel.Load(fx.Info.Path, LlamaModelOptions.Trainable);

    private WeightedSequence Episode(LlamaModel m, string text, Func<int, float>? weight = null)
    {
        var toks = m.Tokenizer.Tokenize(text);
        var w = Enumerable.Range(0, toks.Length - 1).Select(i => weight?.Invoke(i) ?? 1f).ToArray();
        return WeightedSequence.FromEpisode(toks, w);
    }

    [Fact]
    public void TrainerRejectsReadOnlyModelsAndBadOptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedTrainer(fx.Model, new WeightedTrainerOptions { LearningRate = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedTrainer(fx.Model, new WeightedTrainerOptions { Beta1 = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedTrainer(fx.Model, new WeightedTrainerOptions { WeightDecay = 2 }));
        if (WeightedTrainer.IsAvailable)
            Assert.Throws<ArgumentException>(() => new WeightedTrainer(fx.Model)); // memory-mapped
        else
            Assert.Throws<NotSupportedException>(() => new WeightedTrainer(fx.Model));
    }

    [WeightedStepFact]
    public void LossFallsWithWeightOne()
    {
        using var m = LoadTrainable();
        using var tr = new WeightedTrainer(m, new WeightedTrainerOptions { LearningRate = 1e-2f, GradClip = 1f });
        var data = new[] { Episode(m, "The quick brown fox jumps over the lazy dog."), Episode(m, "Move north. Move south. Move east.") };
        var first = tr.Step(data);
        WeightedStepResult last = first;
        for (int i = 0; i < 30; i++) last = tr.Step(data);
        var eval = tr.Evaluate(data);
        Assert.True(eval.Loss < 0.5f * first.Loss, $"loss {first.Loss} -> {eval.Loss}");
        Assert.Equal(31, last.Steps);
    }

    [WeightedStepFact]
    public void WeightZeroPositionHasNoInfluence()
    {
        using var a = LoadTrainable();
        using var b = LoadTrainable();
        using var ta = new WeightedTrainer(a, new WeightedTrainerOptions { LearningRate = 1e-2f, Normalizer = 16 });
        using var tb = new WeightedTrainer(b, new WeightedTrainerOptions { LearningRate = 1e-2f, Normalizer = 16 });
        var ea = Episode(a, "You are in a maze. There is a wall.", i => i == 4 ? 0f : 1f);
        var targets = (int[])ea.Targets.Clone();
        targets[4] = (targets[4] + 17) % a.VocabSize; // a different target where the weight is 0
        var eb = ea with { Targets = targets };
        for (int i = 0; i < 3; i++) { ta.Step([ea]); tb.Step([eb]); }
        var la = new float[ea.Tokens.Length];
        var lb = new float[ea.Tokens.Length];
        ta.Evaluate([ea], la);
        tb.Evaluate([ea], lb);
        Assert.Equal(la, lb);
    }

    [WeightedStepFact]
    public void NegativeWeightLowersThatTokensProbability()
    {
        using var m = LoadTrainable();
        using var tr = new WeightedTrainer(m, new WeightedTrainerOptions { LearningRate = 1e-2f });
        const int k = 3;
        var ep = Episode(m, "Is it a vehicle? Yes.", i => i == k ? -1f : 0f);
        var before = new float[ep.Tokens.Length];
        tr.Evaluate([ep], before);
        for (int i = 0; i < 3; i++) tr.Step([ep]);
        var after = new float[ep.Tokens.Length];
        tr.Evaluate([ep], after);
        Assert.True(after[k] < before[k] - 0.01f, $"log p moved {after[k] - before[k]:+0.0000;-0.0000}");
        var pos = Episode(m, "Is it a vehicle? Yes.", i => i == k ? 1f : 0f);
        for (int i = 0; i < 6; i++) tr.Step([pos]);
        var up = new float[ep.Tokens.Length];
        tr.Evaluate([ep], up);
        Assert.True(up[k] > after[k]);
    }

    [WeightedStepFact]
    public void LossEqualsManagedReferenceFromLogits()
    {
        using var m = LoadTrainable();
        using var tr = new WeightedTrainer(m);
        var rng = new Random(5);
        var data = new[]
        {
            Episode(m, "Guess my city: is it in Europe? Yes.", _ => (float)(rng.NextDouble() * 4 - 2)),
            Episode(m, "Wordle: your guess was crane.", i => i % 3 == 0 ? 0f : 0.5f),
        };
        int total = data.Sum(d => d.Tokens.Length);
        var lp = new float[total];
        var r = tr.Evaluate(data, lp);
        using var scorer = new LogProbScorer(m);
        var reference = scorer.Score(data.Select(d => d.Tokens.Append(d.Targets[^1]).ToArray()).ToList());
        double num = 0; int nz = 0, at = 0;
        for (int s = 0; s < data.Length; s++)
            for (int t = 0; t < data[s].Tokens.Length; t++, at++)
            {
                Assert.True(Math.Abs(reference[s][t] - lp[at]) < 1e-3, $"seq {s} pos {t}: {lp[at]} vs {reference[s][t]}");
                num += data[s].Weights[t] * reference[s][t];
                if (data[s].Weights[t] != 0) nz++;
            }
        Assert.Equal(-num / nz, r.Loss, 3);
        Assert.Equal(total, r.Tokens);
    }

    [WeightedStepFact]
    public void InvalidInputsThrowBeforeNative()
    {
        using var m = LoadTrainable();
        using var tr = new WeightedTrainer(m, new WeightedTrainerOptions { MaxSequenceLength = 32 });
        var ok = Episode(m, "Move north.");
        Assert.Throws<ArgumentOutOfRangeException>(() => tr.Step([ok with { Targets = ok.Targets.Select(_ => m.VocabSize).ToArray() }]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tr.Step([ok with { Weights = ok.Weights.Select(_ => float.NaN).ToArray() }]));
        Assert.Throws<ArgumentException>(() => tr.Step([ok with { Weights = [1f] }]));
        Assert.Throws<ArgumentException>(() => tr.Step([Episode(m, string.Join(' ', Enumerable.Repeat("Move north.", 20)))]));
        Assert.Throws<ArgumentException>(() => tr.Step([]));
        Assert.Throws<ArgumentException>(() => tr.Step([ok], new float[3]));
    }
}
