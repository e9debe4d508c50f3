using System.Collections.Frozen;
using HighPerf.Gym.Dialogue.KnowledgeBase;

namespace HighPerf.Gym.Dialogue.GuessMyCity;

/// <summary>One hidden city of Guess My City with the facts the scripted oracle answers from.</summary>
public sealed class City
{
    internal City(int index, string name, IReadOnlyList<string> aliases, string country, string continent, double lat, double lon, bool capital, bool coastal,
        double metroMillions, IReadOnlyList<string> languages, string climate, string? river, bool mountains, IReadOnlyList<string> landmarks, IReadOnlyList<string> dishes)
    {
        Index = index;
        Name = name;
        Aliases = aliases;
        Country = country;
        Continent = continent;
        Latitude = lat;
        Longitude = lon;
        IsCapital = capital;
        IsCoastal = coastal;
        MetroMillions = metroMillions;
        Languages = languages;
        Climate = climate;
        River = river;
        NearMountains = mountains;
        Landmarks = landmarks;
        Dishes = dishes;
        NameTokens = new[] { name }.Concat(aliases).Select(n => (IReadOnlyList<string>)DialogueText.Words(n)).Where(t => t.Count > 0).ToArray();
    }

    public int Index { get; }
    public string Name { get; }
    public IReadOnlyList<string> Aliases { get; }
    public string Country { get; }
    public string Continent { get; }
    public double Latitude { get; }
    public double Longitude { get; }
    public bool IsCapital { get; }
    public bool IsCoastal { get; }
    public double MetroMillions { get; }
    public IReadOnlyList<string> Languages { get; }
    public string Climate { get; }
    public string? River { get; }
    public bool NearMountains { get; }
    public IReadOnlyList<string> Landmarks { get; }
    public IReadOnlyList<string> Dishes { get; }

    public bool Northern => Latitude >= 0;
    public bool Eastern => Longitude >= 0;

    /// <summary>The name and each alias as lower-case word tokens.</summary>
    public IReadOnlyList<IReadOnlyList<string>> NameTokens { get; }

    /// <summary>LMRL-Gym's word string: lower-cased "city,country".</summary>
    public string WordString => $"{Name.ToLowerInvariant()},{Country.ToLowerInvariant()}";

    /// <summary>Whether <paramref name="text"/> mentions this city by name or alias, as whole words, case-insensitively.
    /// This is LMRL-Gym's guess check (spec §2.7: a substring match on the city part, here on word boundaries and with
    /// aliases, since the upstream <c>is_done</c> is buggy).</summary>
    public bool IsMentionedIn(string text) => IsMentionedIn(DialogueText.Words(text));

    internal bool IsMentionedIn(List<string> words)
    {
        foreach (var name in NameTokens)
        {
            for (var i = 0; i + name.Count <= words.Count; i++)
            {
                var ok = true;
                for (var k = 0; k < name.Count && ok; k++) ok = words[i + k] == name[k];
                if (ok) return true;
            }
        }
        return false;
    }

    public override string ToString() => Name;
}

/// <summary>The Guess My City knowledge base: 100 large cities (spec §2.7), embedded as <c>guess_my_city_cities.json</c>.</summary>
public sealed class CityKnowledgeBase
{
    public const string ResourceName = "guess_my_city_cities.json";
    public const int ExpectedCityCount = 100;

    private static readonly Lazy<CityKnowledgeBase> DefaultInstance =
        new(() => Parse(EmbeddedData.ReadText(ResourceName), ResourceName), LazyThreadSafetyMode.ExecutionAndPublication);

    private CityKnowledgeBase(IReadOnlyList<City> cities, IReadOnlyList<string> continents, IReadOnlyList<string> climates)
    {
        Cities = cities;
        Continents = continents;
        Climates = climates;
        Countries = cities.Select(c => c.Country).Distinct().ToArray();
        Languages = cities.SelectMany(c => c.Languages).Distinct().ToArray();
    }

    public static CityKnowledgeBase Default => DefaultInstance.Value;

    public IReadOnlyList<City> Cities { get; }
    public IReadOnlyList<string> Continents { get; }
    public IReadOnlyList<string> Climates { get; }
    public IReadOnlyList<string> Countries { get; }
    public IReadOnlyList<string> Languages { get; }

    public City Find(string name) =>
        Cities.FirstOrDefault(c => c.NameTokens.Any(t => t.SequenceEqual(DialogueText.Words(name))))
        ?? throw new KeyNotFoundException($"no city named '{name}'");

    public static CityKnowledgeBase Parse(string json, string source)
    {
        var doc = EmbeddedData.Deserialize<Document>(json, source);
        EmbeddedData.Require(doc.Schema == "highperf.guess-my-city.cities/1", source, "schema", $"unsupported schema '{doc.Schema}'");
        var continents = doc.Vocabulary.Continents.ToFrozenSet(StringComparer.Ordinal);
        var climates = doc.Vocabulary.Climates.ToFrozenSet(StringComparer.Ordinal);
        var cities = new List<City>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in doc.Cities)
        {
            var entry = string.IsNullOrWhiteSpace(c.Name) ? $"cities[{cities.Count}]" : c.Name;
            EmbeddedData.Require(DialogueText.Words(c.Name).Count > 0, source, entry, "name must contain a word");
            foreach (var n in new[] { c.Name }.Concat(c.Aliases))
                EmbeddedData.Require(names.Add(string.Join(' ', DialogueText.Words(n))), source, entry, $"name or alias '{n}' is used twice");
            EmbeddedData.Require(!string.IsNullOrWhiteSpace(c.Country), source, entry, "country is required");
            EmbeddedData.Require(continents.Contains(c.Continent), source, entry, $"continent '{c.Continent}' is not in the vocabulary");
            EmbeddedData.Require(climates.Contains(c.Climate), source, entry, $"climate '{c.Climate}' is not in the vocabulary");
            EmbeddedData.Require(c.Lat is >= -90 and <= 90 && c.Lon is >= -180 and <= 180, source, entry, "lat/lon out of range");
            EmbeddedData.Require(c.MetroMillions is > 0 and < 100, source, entry, "metro_millions must be in (0, 100)");
            EmbeddedData.Require(c.Languages.Count > 0, source, entry, "at least one language is required");
            EmbeddedData.Require(c.Landmarks.Count > 0 && c.Dishes.Count > 0, source, entry, "at least one landmark and one dish are required");
            var city = new City(cities.Count, c.Name, c.Aliases, c.Country, c.Continent, c.Lat, c.Lon, c.Capital, c.Coastal, c.MetroMillions, c.Languages,
                c.Climate, c.River, c.Mountains, c.Landmarks, c.Dishes);
            foreach (var l in c.Landmarks)
                EmbeddedData.Require(!city.IsMentionedIn(l), source, entry, $"landmark '{l}' names the city");
            cities.Add(city);
        }
        EmbeddedData.Require(cities.Count == ExpectedCityCount, source, "cities", $"expected {ExpectedCityCount} cities, found {cities.Count}");
        return new CityKnowledgeBase(cities, doc.Vocabulary.Continents, doc.Vocabulary.Climates);
    }

    private sealed record Document(string Schema, string Description, VocabularyDto Vocabulary, List<CityDto> Cities);

    private sealed record VocabularyDto(List<string> Continents, List<string> Climates);

    private sealed record CityDto(string Name, List<string> Aliases, string Country, string Continent, double Lat, double Lon, bool Capital, bool Coastal,
        double MetroMillions, List<string> Languages, string Climate, string? River, bool Mountains, List<string> Landmarks, List<string> Dishes);
}
