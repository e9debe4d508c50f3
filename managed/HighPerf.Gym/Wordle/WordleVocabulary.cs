using System.Collections.Frozen;

namespace HighPerf.Gym.Wordle;

/// <summary>A Wordle vocabulary: distinct five-letter lower-case ASCII words, pre-encoded for fast stepping.
/// <see cref="Default"/> is the benchmark-sized 431-word list of common words and <see cref="Large"/> the 4,667-word list,
/// both derived from Debian's SCOWL word lists (Wordle/Data/README.md).</summary>
public sealed class WordleVocabulary
{
    public const int WordLength = 5;
    private readonly FrozenDictionary<int, int> _index;
    private readonly ulong[] _positionLetterBits;
    private readonly ulong[] _letterBits;
    private readonly Lazy<int> _bestOpening;

    private WordleVocabulary(string[] words)
    {
        Words = words;
        Letters = new byte[words.Length * WordLength];
        LetterMasks = new uint[words.Length];
        Formatted = new string[words.Length];
        var index = new Dictionary<int, int>(words.Length);
        for (var w = 0; w < words.Length; w++)
        {
            var code = 0;
            for (var i = 0; i < WordLength; i++)
            {
                var l = (byte)(words[w][i] - 'a');
                Letters[w * WordLength + i] = l;
                LetterMasks[w] |= 1u << l;
                code |= l << (5 * i);
            }
            index.Add(code, w);
            Formatted[w] = string.Join(' ', words[w].ToCharArray()) + "\n";
        }
        _index = index.ToFrozenDictionary();
        // bit sets over the vocabulary, padded to whole SIMD vectors: all words, and words with letter c at position i
        var lanes = System.Numerics.Vector<ulong>.Count;
        BitWords = (words.Length + 63) / 64;
        BitWords = (BitWords + lanes - 1) / lanes * lanes;
        AllWordsBits = new ulong[BitWords];
        _positionLetterBits = new ulong[WordLength * 26 * BitWords];
        _letterBits = new ulong[26 * BitWords];
        for (var w = 0; w < words.Length; w++)
        {
            AllWordsBits[w >> 6] |= 1UL << (w & 63);
            for (var i = 0; i < WordLength; i++)
            {
                _positionLetterBits[(i * 26 + Letters[w * WordLength + i]) * BitWords + (w >> 6)] |= 1UL << (w & 63);
                _letterBits[Letters[w * WordLength + i] * BitWords + (w >> 6)] |= 1UL << (w & 63);
            }
        }
        _bestOpening = new Lazy<int>(() => WordleSolver.BestGuess(this, WordleKnowledge.Empty), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Size of <see cref="Default"/>: the benchmark's <c>wordle_official_400.txt</c> holds 431 words.</summary>
    public const int BenchmarkSize = 431;

    private static readonly Lazy<WordleVocabulary> DefaultLazy = new(() => LoadEmbedded("HighPerf.Gym.Wordle.common-431.txt"));
    private static readonly Lazy<WordleVocabulary> LargeLazy = new(() => LoadEmbedded("HighPerf.Gym.Wordle.wamerican-5.txt"));

    /// <summary>The default vocabulary: 431 common words (as many as the benchmark's list), chosen from
    /// <see cref="Large"/> by the rule in Wordle/Data/README.md (embedded resource <c>common-431.txt</c>).</summary>
    public static WordleVocabulary Default => DefaultLazy.Value;

    /// <summary>The large vocabulary: every five-letter lower-case word of Debian <c>wamerican</c>, 4,667 words
    /// (embedded resource <c>wamerican-5.txt</c>).</summary>
    public static WordleVocabulary Large => LargeLazy.Value;

    public string[] Words { get; }

    /// <summary>Letters (0..25), five per word, word-major.</summary>
    public byte[] Letters { get; }

    /// <summary>Bit c set when letter c occurs in the word.</summary>
    public uint[] LetterMasks { get; }

    /// <summary>Each word as the policy writes it: letters separated by spaces, trailing "\n" ("c r a n e\n").</summary>
    public string[] Formatted { get; }

    public int Count => Words.Length;

    /// <summary>Length (in ulongs) of the vocabulary bit sets; a multiple of the SIMD width.</summary>
    public int BitWords { get; }

    /// <summary>Bit w set for every word w (padding bits clear).</summary>
    public ulong[] AllWordsBits { get; }

    /// <summary>Bit set of the words containing <paramref name="letter"/> anywhere.</summary>
    public ReadOnlySpan<ulong> LetterBits(int letter) => _letterBits.AsSpan(letter * BitWords, BitWords);

    /// <summary>Bit set of the words with letter <paramref name="letter"/> (0..25) at <paramref name="position"/>.</summary>
    public ReadOnlySpan<ulong> PositionLetterBits(int position, int letter)
        => _positionLetterBits.AsSpan((position * 26 + letter) * BitWords, BitWords);

    public ReadOnlySpan<byte> LettersOf(int word) => Letters.AsSpan(word * WordLength, WordLength);

    /// <summary>The maximum-information opening guess (computed once, on first use).</summary>
    public int BestOpening => _bestOpening.Value;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ulong, ulong, ulong), int> _bestGuessCache = new();

    /// <summary>The solver's guess for a knowledge state, memoized (bounded) per vocabulary: the opening and the
    /// second guesses repeat across episodes and dominate the solver's cost.</summary>
    public int CachedBestGuess(in WordleKnowledge knowledge)
    {
        if (knowledge.IsEmpty) return BestOpening;
        var key = knowledge.Key();
        if (_bestGuessCache.TryGetValue(key, out var g)) return g;
        g = WordleSolver.BestGuess(this, knowledge);
        if (_bestGuessCache.Count < 200_000) _bestGuessCache.TryAdd(key, g);
        return g;
    }

    public int IndexOf(string word) => TryParseGuess(word, out var index) ? index : -1;

    /// <summary>Parses an action the way the environment does (upstream <c>text.strip().replace(' ', '')</c>):
    /// whitespace at both ends is stripped and spaces removed; the rest must be exactly five letters a–z forming a
    /// vocabulary word. No allocation.</summary>
    public bool TryParseGuess(string action, out int index)
    {
        index = -1;
        if (action is null) return false;
        var start = 0;
        var end = action.Length;
        while (end > 0 && char.IsWhiteSpace(action[end - 1])) end--;
        while (start < end && char.IsWhiteSpace(action[start])) start++;
        var code = 0;
        var n = 0;
        for (var i = start; i < end; i++)
        {
            var ch = action[i];
            if (ch == ' ') continue;
            if (ch is < 'a' or > 'z' || n == WordLength) return false;
            code |= (ch - 'a') << (5 * n++);
        }
        return n == WordLength && _index.TryGetValue(code, out index);
    }

    /// <summary>Builds a vocabulary; throws naming the offending entry (1-based position) when a word is not five
    /// lower-case ASCII letters or repeats.</summary>
    public static WordleVocabulary FromWords(IEnumerable<string> words, string source = "word list")
    {
        ArgumentNullException.ThrowIfNull(words);
        var list = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var line = 0;
        foreach (var raw in words)
        {
            line++;
            var w = raw.Trim();
            if (w.Length == 0) continue;
            if (w.Length != WordLength || w.Any(c => c is < 'a' or > 'z'))
                throw new FormatException($"{source}:{line}: '{w}' is not a five-letter lower-case ASCII word");
            if (!seen.Add(w)) throw new FormatException($"{source}:{line}: duplicate word '{w}'");
            list.Add(w);
        }
        if (list.Count == 0) throw new FormatException($"{source}: no words");
        return new WordleVocabulary([.. list]);
    }

    /// <summary>Loads a vocabulary file, one word a line.</summary>
    public static WordleVocabulary Load(string path) => FromWords(File.ReadLines(path), path);

    private static WordleVocabulary LoadEmbedded(string name)
    {
        using var stream = typeof(WordleVocabulary).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from {typeof(WordleVocabulary).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        var words = new List<string>();
        while (reader.ReadLine() is { } l) words.Add(l);
        return FromWords(words, name);
    }
}
