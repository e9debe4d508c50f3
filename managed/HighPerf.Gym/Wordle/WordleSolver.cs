using HighPerf.Gym.Core;

namespace HighPerf.Gym.Wordle;

/// <summary>Greedy maximum-information Wordle solver (the benchmark's OptimalPolicy idea, spec §2.3): among all
/// vocabulary words, guess the one minimizing the expected log size of the class of consistent words that share its
/// response pattern (equivalently, maximizing expected information), preferring words that could still be the answer.</summary>
public static class WordleSolver
{
    /// <summary>The words consistent with <paramref name="knowledge"/>.</summary>
    public static List<int> Consistent(WordleVocabulary vocab, in WordleKnowledge knowledge)
    {
        var list = new List<int>();
        for (var w = 0; w < vocab.Count; w++)
            if (knowledge.IsConsistent(vocab.LettersOf(w))) list.Add(w);
        return list;
    }

    /// <summary>The response class of guess g against candidate w: per position 2 equal, 1 letter elsewhere in w, 0 absent.
    /// It determines the knowledge update exactly (see <see cref="WordleKnowledge.Update"/>).</summary>
    public static int Pattern(WordleVocabulary vocab, int guess, int word)
    {
        var g = vocab.LettersOf(guess);
        var w = vocab.LettersOf(word);
        var mask = vocab.LetterMasks[word];
        int code = 0, scale = 1;
        for (var i = 0; i < WordleVocabulary.WordLength; i++)
        {
            code += (g[i] == w[i] ? 2 : (mask >> g[i] & 1) != 0 ? 1 : 0) * scale;
            scale *= 3;
        }
        return code;
    }

    public static int BestGuess(WordleVocabulary vocab, in WordleKnowledge knowledge)
    {
        var candidates = Consistent(vocab, knowledge);
        if (candidates.Count == 0) throw new InvalidOperationException("no consistent word");
        if (candidates.Count <= 2) return candidates[0];
        var n = candidates.Count;
        // candidate letters position-major and letter masks, for a tight inner loop
        var c0 = new byte[n]; var c1 = new byte[n]; var c2 = new byte[n]; var c3 = new byte[n]; var c4 = new byte[n];
        var masks = new uint[n];
        var isCandidate = new bool[vocab.Count];
        for (var j = 0; j < n; j++)
        {
            var l = vocab.LettersOf(candidates[j]);
            (c0[j], c1[j], c2[j], c3[j], c4[j]) = (l[0], l[1], l[2], l[3], l[4]);
            masks[j] = vocab.LetterMasks[candidates[j]];
            isCandidate[candidates[j]] = true;
        }
        Span<int> counts = stackalloc int[243];
        var best = -1;
        var bestScore = double.MaxValue;
        var letters = vocab.Letters;
        for (var g = 0; g < vocab.Count; g++)
        {
            int g0 = letters[5 * g], g1 = letters[5 * g + 1], g2 = letters[5 * g + 2], g3 = letters[5 * g + 3], g4 = letters[5 * g + 4];
            counts.Clear();
            for (var j = 0; j < n; j++)
            {
                var m = masks[j];
                var code = (c0[j] == g0 ? 2 : (int)(m >> g0 & 1))
                         + 3 * (c1[j] == g1 ? 2 : (int)(m >> g1 & 1))
                         + 9 * (c2[j] == g2 ? 2 : (int)(m >> g2 & 1))
                         + 27 * (c3[j] == g3 ? 2 : (int)(m >> g3 & 1))
                         + 81 * (c4[j] == g4 ? 2 : (int)(m >> g4 & 1));
                counts[code]++;
            }
            double score = 0;
            foreach (var k in counts)
                if (k > 1) score += k * Math.Log(k);
            // a guess that may be the answer wins outright with probability 1/|C|: prefer it on ties
            if (isCandidate[g]) score -= 1e-9;
            if (score < bestScore - 1e-12)
            {
                bestScore = score;
                best = g;
            }
        }
        return best;
    }
}

/// <summary>Expert: <see cref="WordleSolver"/> on the knowledge rebuilt from the history.</summary>
public sealed class WordleExpertPolicy(WordleVocabulary vocabulary) : ITextPolicy
{
    public string Act(TextHistory history, Random rng)
    {
        var k = WordleKnowledge.FromHistory(history, vocabulary);
        var guess = vocabulary.CachedBestGuess(k);
        return vocabulary.Formatted[guess];
    }
}

/// <summary>Uniformly random vocabulary word.</summary>
public sealed class WordleRandomPolicy(WordleVocabulary vocabulary) : ITextPolicy
{
    public string Act(TextHistory history, Random rng) => vocabulary.Formatted[rng.Next(vocabulary.Count)];
}

/// <summary>The dataset's behaviour policy (RandomMixturePolicy, spec §2.3): with probability <c>probSmart</c>
/// (≈0.34) a uniformly random word consistent with the known constraints, otherwise a uniformly random vocabulary word.</summary>
public sealed class WordleBehaviorPolicy(WordleVocabulary vocabulary, double probSmart = WordleBehaviorPolicy.DefaultProbSmart) : ITextPolicy
{
    public const double DefaultProbSmart = 0.34;

    public string Act(TextHistory history, Random rng)
    {
        if (rng.NextDouble() >= probSmart) return vocabulary.Formatted[rng.Next(vocabulary.Count)];
        var k = WordleKnowledge.FromHistory(history, vocabulary);
        // reservoir sampling over the consistent words: uniform, no allocation
        var chosen = -1;
        var seen = 0;
        for (var w = 0; w < vocabulary.Count; w++)
            if (k.IsConsistent(vocabulary.LettersOf(w)) && rng.Next(++seen) == 0) chosen = w;
        return vocabulary.Formatted[chosen >= 0 ? chosen : rng.Next(vocabulary.Count)];
    }
}
