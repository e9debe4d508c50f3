using HighPerf.Gym.Core;

namespace HighPerf.Gym.Wordle;

/// <summary>The Wordle game engine with the benchmark's lazy hidden word (spec §2.3): no secret is fixed at reset; each
/// valid guess is scored against a word drawn uniformly from the words consistent with the knowledge so far.
/// Sampling keeps a superset of the consistent set and uses rejection sampling (exactly uniform over the subset),
/// compacting the superset only when rejection keeps failing, so a step costs O(1) expected work instead of a scan
/// of the vocabulary.</summary>
public sealed class WordleGame
{
    public const int MaxGuesses = 6;
    private const int RejectionTries = 48;

    private readonly WordleVocabulary _vocab;
    private readonly int[] _candidates;
    private int _candidateCount;
    private bool _candidatesAreAll;
    private bool _candidatesExact;
    private WordleKnowledge _knowledge;
    private SplitMix64 _rng;

    public WordleGame(WordleVocabulary vocabulary)
    {
        _vocab = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        _candidates = new int[vocabulary.Count];
        Reset(0);
    }

    public WordleVocabulary Vocabulary => _vocab;

    public WordleKnowledge Knowledge => _knowledge;

    public int Guesses { get; private set; }

    public bool Solved { get; private set; }

    public bool Done => Solved || Guesses >= MaxGuesses;

    public void Reset(int seed)
    {
        _rng = new SplitMix64(SeedHash.Mix(seed, 0x3017D1E));
        _knowledge = WordleKnowledge.Empty;
        _candidatesAreAll = true;
        _candidatesExact = true;
        _candidateCount = _vocab.Count;
        Guesses = 0;
        Solved = false;
    }

    /// <summary>A valid guess (vocabulary index): returns the feedback code; reward is 0 when it solves, else −1.</summary>
    public int Guess(int word, out float reward)
    {
        if (Done) throw new InvalidOperationException("the Wordle game is over; call Reset first");
        if ((uint)word >= (uint)_vocab.Count) throw new ArgumentOutOfRangeException(nameof(word));
        var target = SampleConsistent();
        _knowledge.Update(_vocab.LettersOf(word), _vocab.LettersOf(target), _vocab.LetterMasks[target]);
        _candidatesExact = false;
        Guesses++;
        Solved = target == word;
        reward = Solved ? 0f : -1f;
        return _knowledge.Feedback(_vocab.LettersOf(word));
    }

    /// <summary>An invalid guess: reward −1, consumes a turn.</summary>
    public float InvalidGuess()
    {
        if (Done) throw new InvalidOperationException("the Wordle game is over; call Reset first");
        Guesses++;
        return -1f;
    }

    /// <summary>Exact count of words consistent with the current knowledge (compacts the candidate set).</summary>
    public int ConsistentCount()
    {
        Compact();
        return _candidateCount;
    }

    private int SampleConsistent()
    {
        if (_candidatesExact)
            return _candidatesAreAll ? _rng.Next(_vocab.Count) : _candidates[_rng.Next(_candidateCount)];
        for (var t = 0; t < RejectionTries; t++)
        {
            var w = _candidatesAreAll ? _rng.Next(_vocab.Count) : _candidates[_rng.Next(_candidateCount)];
            if (_knowledge.IsConsistent(_vocab.LettersOf(w))) return w;
        }
        Compact();
        return _candidates[_rng.Next(_candidateCount)];
    }

    private void Compact()
    {
        if (_candidatesExact && !_candidatesAreAll) return;
        var n = 0;
        if (_candidatesAreAll)
        {
            for (var w = 0; w < _vocab.Count; w++)
                if (_knowledge.IsConsistent(_vocab.LettersOf(w))) _candidates[n++] = w;
        }
        else
        {
            for (var i = 0; i < _candidateCount; i++)
                if (_knowledge.IsConsistent(_vocab.LettersOf(_candidates[i]))) _candidates[n++] = _candidates[i];
        }
        if (n == 0) throw new InvalidOperationException("no consistent word left (invariant broken)");
        _candidateCount = n;
        _candidatesAreAll = false;
        _candidatesExact = true;
    }
}

/// <summary>Wordle (spec §2.3) as a text environment, in the ReformatWordleEnvironment format: the first item is
/// "Wordle:\n"; the agent writes the guess letters separated by spaces ("c r a n e\n"; spaces and the trailing newline are
/// stripped); feedback is five space-separated symbols ('g' here, 'y' elsewhere, 'b' absent from the cumulative
/// knowledge) ending in "\n". Invalid guesses (not five letters a–z, or not in the vocabulary) get reward −1, consume a
/// turn and an empty feedback line "\n". Reward −1 per guess, 0 for the solving guess; done when solved or after 6
/// guesses. The history is kept whole (at most 13 items). Vocabulary: the wamerican-derived list by default (not the
/// benchmark's 431-word list, which is not redistributed).</summary>
public sealed class WordleEnvironment : ITextEnvironment, IEpisodeOutcome
{
    private static readonly TextHistory StartHistory = TextHistory.Empty.AppendObservation(WordleText.Start);
    private static readonly TextItem[] FeedbackItems = Enumerable.Range(0, 243).Select(c => TextItem.Observation(WordleText.Feedback(c))).ToArray();
    private static readonly TextItem InvalidItem = TextItem.Observation(WordleText.InvalidFeedback);
    private readonly WordleGame _game;
    private bool _started;

    public WordleEnvironment(WordleVocabulary? vocabulary = null) => _game = new WordleGame(vocabulary ?? WordleVocabulary.Default);

    /// <summary>The engine (privileged access for reference policies and tests).</summary>
    public WordleGame Game => _game;

    public WordleVocabulary Vocabulary => _game.Vocabulary;

    public bool Succeeded => _game.Solved;

    public TextHistory Reset(int seed)
    {
        _game.Reset(seed);
        _started = true;
        return StartHistory;
    }

    public StepResult Step(TextHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_started) throw new InvalidOperationException("call Reset before Step");
        if (history.Count == 0 || !history.Items[^1].IsAction)
            throw new ArgumentException("the last item of the history must be the agent's guess", nameof(history));
        float reward;
        TextItem feedback;
        if (_game.Vocabulary.TryParseGuess(history.Items[^1].Text, out var word))
            feedback = FeedbackItems[_game.Guess(word, out reward)];
        else
        {
            reward = _game.InvalidGuess();
            feedback = InvalidItem;
        }
        return new StepResult(history.Append(feedback), reward, _game.Done);
    }
}
