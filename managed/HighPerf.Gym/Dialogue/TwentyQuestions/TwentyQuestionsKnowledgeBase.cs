using System.Collections.Frozen;
using HighPerf.Gym.Dialogue.KnowledgeBase;

namespace HighPerf.Gym.Dialogue.TwentyQuestions;

/// <summary>Object size classes, smallest first (the order is used for "bigger than ..." questions).</summary>
public enum SizeClass
{
    /// <summary>Fits in a pocket.</summary>
    Tiny,
    /// <summary>Held in one hand; up to a breadbox.</summary>
    Small,
    /// <summary>Bigger than a breadbox, smaller than an adult.</summary>
    Medium,
    /// <summary>Bigger than an adult, up to about a car.</summary>
    Large,
    /// <summary>Bigger than a car.</summary>
    Huge,
}

/// <summary>One hidden object of Twenty Questions with the attributes the scripted oracle answers from.
/// Category defaults are already merged into the sets.</summary>
public sealed class TwentyQuestionsObject
{
    internal TwentyQuestionsObject(int index, IReadOnlyList<string> names, string category, SizeClass size,
        FrozenSet<string> colors, FrozenSet<string> materials, FrozenSet<string> where, FrozenSet<string> uses, FrozenSet<string> tags)
    {
        Index = index;
        Names = names;
        Category = category;
        Size = size;
        Colors = colors;
        Materials = materials;
        Where = where;
        Uses = uses;
        Tags = tags;
        AliasTokens = names.Select(n => (IReadOnlyList<string>)DialogueText.Words(n)).ToArray();
    }

    /// <summary>Position in the knowledge base (0..157); deterministic resets pick <c>seed % 158</c>.</summary>
    public int Index { get; }

    /// <summary>Canonical name first, then aliases (LMRL-Gym's ";"-separated variants).</summary>
    public IReadOnlyList<string> Names { get; }

    public string Name => Names[0];

    public string Category { get; }

    public SizeClass Size { get; }

    public FrozenSet<string> Colors { get; }

    public FrozenSet<string> Materials { get; }

    public FrozenSet<string> Where { get; }

    public FrozenSet<string> Uses { get; }

    public FrozenSet<string> Tags { get; }

    /// <summary>Each name lower-cased and split into word tokens.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AliasTokens { get; }

    public bool Has(string tag) => Tags.Contains(tag);

    /// <summary>The word as LMRL-Gym stores it: aliases joined by ";".</summary>
    public string WordString => string.Join(';', Names);

    public override string ToString() => Name;
}

/// <summary>The Twenty Questions knowledge base: 158 objects in 17 categories (spec lmrl-gym.md §2.6), loaded from the
/// embedded <c>twenty_questions_objects.json</c> and validated against its own vocabulary.</summary>
public sealed class TwentyQuestionsKnowledgeBase
{
    public const string ResourceName = "twenty_questions_objects.json";
    public const int ExpectedObjectCount = 158;
    public const int ExpectedCategoryCount = 17;

    private static readonly Lazy<TwentyQuestionsKnowledgeBase> DefaultInstance =
        new(() => Parse(EmbeddedData.ReadText(ResourceName), ResourceName), LazyThreadSafetyMode.ExecutionAndPublication);

    private TwentyQuestionsKnowledgeBase(IReadOnlyList<TwentyQuestionsObject> objects, IReadOnlyList<string> categories, Vocabulary vocabulary)
    {
        Objects = objects;
        Categories = categories;
        Vocab = vocabulary;
        var byAlias = new Dictionary<string, TwentyQuestionsObject>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            foreach (var n in o.Names) byAlias.TryAdd(string.Join(' ', DialogueText.Words(n)), o);
        }
        ByAlias = byAlias.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The shipped knowledge base (loaded and validated once).</summary>
    public static TwentyQuestionsKnowledgeBase Default => DefaultInstance.Value;

    public IReadOnlyList<TwentyQuestionsObject> Objects { get; }

    public IReadOnlyList<string> Categories { get; }

    /// <summary>The closed vocabularies every attribute value is checked against.</summary>
    public Vocabulary Vocab { get; }

    /// <summary>Objects by normalized alias ("cell phone" → Smartphone). The first object wins for a shared alias.</summary>
    public FrozenDictionary<string, TwentyQuestionsObject> ByAlias { get; }

    public TwentyQuestionsObject Find(string name) =>
        ByAlias.TryGetValue(string.Join(' ', DialogueText.Words(name)), out var o)
            ? o
            : throw new KeyNotFoundException($"no Twenty Questions object named '{name}'");

    /// <summary>Parses and validates a knowledge base document; every error names <paramref name="source"/> and the entry.</summary>
    public static TwentyQuestionsKnowledgeBase Parse(string json, string source)
    {
        var doc = EmbeddedData.Deserialize<Document>(json, source);
        EmbeddedData.Require(doc.Schema == "highperf.twenty-questions.objects/1", source, "schema", $"unsupported schema '{doc.Schema}'");
        var v = doc.Vocabulary;
        var vocab = new Vocabulary(v.Sizes.ToFrozenSet(), v.Tags.ToFrozenSet(), v.Colors.ToFrozenSet(), v.Materials.ToFrozenSet(), v.Where.ToFrozenSet(), v.Uses.ToFrozenSet());
        foreach (var (field, list) in new[] { ("sizes", v.Sizes), ("tags", v.Tags), ("colors", v.Colors), ("materials", v.Materials), ("where", v.Where), ("uses", v.Uses) })
        {
            EmbeddedData.Require(list.Count == list.Distinct().Count(), source, "vocabulary", $"duplicate value in {field}");
        }
        EmbeddedData.Require(v.Sizes.SequenceEqual(Enum.GetNames<SizeClass>().Select(s => s.ToLowerInvariant())), source, "vocabulary",
            "sizes must be exactly tiny, small, medium, large, huge");

        var categories = new Dictionary<string, CategoryDto>(StringComparer.Ordinal);
        foreach (var c in doc.Categories)
        {
            EmbeddedData.Require(!string.IsNullOrWhiteSpace(c.Name), source, "categories", "a category has an empty name");
            EmbeddedData.Require(categories.TryAdd(c.Name, c), source, c.Name, "duplicate category");
            EmbeddedData.Require(c.Count > 0, source, c.Name, "count must be positive");
            EmbeddedData.RequireIn(c.Tags ?? [], vocab.Tags, source, c.Name, "tags");
            EmbeddedData.RequireIn(c.Materials ?? [], vocab.Materials, source, c.Name, "materials");
            EmbeddedData.RequireIn(c.Where ?? [], vocab.Where, source, c.Name, "where");
            EmbeddedData.RequireIn(c.Uses ?? [], vocab.Uses, source, c.Name, "uses");
        }
        EmbeddedData.Require(categories.Count == ExpectedCategoryCount, source, "categories", $"expected {ExpectedCategoryCount} categories, found {categories.Count}");

        var objects = new List<TwentyQuestionsObject>(doc.Objects.Count);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in doc.Objects)
        {
            var entry = o.Names.Count > 0 ? o.Names[0] : $"objects[{objects.Count}]";
            EmbeddedData.Require(o.Names.Count > 0 && o.Names.All(n => DialogueText.Words(n).Count > 0), source, entry, "names must be non-empty words");
            EmbeddedData.Require(seenNames.Add(string.Join(' ', DialogueText.Words(o.Names[0]))), source, entry, "duplicate object name");
            EmbeddedData.Require(categories.TryGetValue(o.Category, out var cat), source, entry, $"unknown category '{o.Category}'");
            EmbeddedData.Require(vocab.Sizes.Contains(o.Size), source, entry, $"size '{o.Size}' is not one of {string.Join(", ", v.Sizes)}");
            EmbeddedData.Require(o.Colors.Count > 0, source, entry, "at least one colour is required");
            EmbeddedData.RequireIn(o.Colors, vocab.Colors, source, entry, "colors");
            EmbeddedData.RequireIn(o.Materials ?? [], vocab.Materials, source, entry, "materials");
            EmbeddedData.RequireIn(o.Where ?? [], vocab.Where, source, entry, "where");
            EmbeddedData.RequireIn(o.Uses ?? [], vocab.Uses, source, entry, "uses");
            EmbeddedData.RequireIn(o.Tags, vocab.Tags, source, entry, "tags");

            var tags = new HashSet<string>(o.Tags.Concat(cat!.Tags ?? []), StringComparer.Ordinal);
            var where = new HashSet<string>((o.Where ?? []).Concat(cat.Where ?? []), StringComparer.Ordinal);
            var size = Enum.Parse<SizeClass>(o.Size, ignoreCase: true);
            // Derived facts, so the file states each fact once.
            if (where.Overlaps(IndoorPlaces)) where.Add("indoors");
            if (where.Overlaps(OutdoorPlaces)) where.Add("outdoors");
            if (tags.Contains("wearable") || tags.Contains("used_daily") && size <= SizeClass.Small)
            {
                where.Add("indoors");
                where.Add("outdoors");
            }
            if (tags.Contains("edible") || tags.Contains("alive") || tags.Contains("plant")) tags.Add("natural");
            EmbeddedData.Require(!(tags.Contains("natural") && tags.Contains("man_made")), source, entry, "cannot be both natural and man_made");
            EmbeddedData.Require(tags.Contains("natural") || tags.Contains("man_made"), source, entry, "must be natural or man_made");
            EmbeddedData.Require(!tags.Contains("worn_on_finger") || tags.Contains("wearable"), source, entry, "worn_on_* requires wearable");

            objects.Add(new TwentyQuestionsObject(objects.Count, o.Names.ToArray(), o.Category, size,
                o.Colors.ToFrozenSet(StringComparer.Ordinal),
                (o.Materials ?? []).Concat(cat.Materials ?? []).ToFrozenSet(StringComparer.Ordinal),
                where.ToFrozenSet(StringComparer.Ordinal),
                (o.Uses ?? []).Concat(cat.Uses ?? []).ToFrozenSet(StringComparer.Ordinal),
                tags.ToFrozenSet(StringComparer.Ordinal)));
        }
        EmbeddedData.Require(objects.Count == ExpectedObjectCount, source, "objects", $"expected {ExpectedObjectCount} objects, found {objects.Count}");
        foreach (var c in categories.Values)
        {
            var n = objects.Count(o => o.Category == c.Name);
            EmbeddedData.Require(n == c.Count, source, c.Name, $"category declares {c.Count} objects but {n} are listed");
        }
        return new TwentyQuestionsKnowledgeBase(objects, doc.Categories.Select(c => c.Name).ToArray(), vocab);
    }

    private static readonly FrozenSet<string> IndoorPlaces =
        new[] { "house", "kitchen", "bedroom", "bathroom", "living_room", "office", "school", "garage", "store", "museum" }.ToFrozenSet();

    private static readonly FrozenSet<string> OutdoorPlaces =
        new[] { "garden", "farm", "forest", "water", "sky", "space", "road", "city", "park", "field", "mountains", "africa", "ocean" }.ToFrozenSet();

    /// <summary>The closed vocabularies of the knowledge base.</summary>
    public sealed record Vocabulary(FrozenSet<string> Sizes, FrozenSet<string> Tags, FrozenSet<string> Colors, FrozenSet<string> Materials, FrozenSet<string> Where, FrozenSet<string> Uses);

    private sealed record Document(string Schema, string Description, VocabularyDto Vocabulary, List<CategoryDto> Categories, List<ObjectDto> Objects);

    private sealed record VocabularyDto(List<string> Sizes, List<string> Tags, List<string> Colors, List<string> Materials, List<string> Where, List<string> Uses);

    private sealed record CategoryDto(string Name, int Count, List<string>? Tags = null, List<string>? Materials = null, List<string>? Where = null, List<string>? Uses = null);

    private sealed record ObjectDto(List<string> Names, string Category, string Size, List<string> Colors, List<string> Tags, List<string>? Materials = null, List<string>? Where = null, List<string>? Uses = null);
}
