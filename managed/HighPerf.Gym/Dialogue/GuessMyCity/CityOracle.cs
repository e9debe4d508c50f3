using System.Globalization;
using System.Text.RegularExpressions;

namespace HighPerf.Gym.Dialogue.GuessMyCity;

/// <summary>Fixed answer strings of Guess My City.</summary>
public static class CityAnswers
{
    /// <summary>ArCHer's anti-leak replacement (archer.md §6.3): an answer that names the city before it is guessed.</summary>
    public const string CannotAnswer = "I can't answer that question.";

    /// <summary>The answer to a question the oracle cannot relate to any fact.</summary>
    public const string NotSure = "I'm not sure how to answer that.";

    /// <summary>The sentinel question used for an empty action (as in 20Qs).</summary>
    public const string InvalidQuestionSentinel = "Is this a valid question?";

    /// <summary>Whether an oracle answer reads as "yes" (used by the knowledge-base questioners).</summary>
    public static bool IsYes(string answer) => answer.TrimStart(' ', '"', '\'', '*').StartsWith("yes", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The deterministic scripted Guess My City oracle. It plays a person from the hidden city who answers freely
/// (the paper's behaviour, spec §2.7) from the knowledge base: yes/no questions get "Yes, ..."/"No, ..." sentences,
/// open questions get a descriptive sentence (favourite dish, language, climate, landmarks, geography, size). It never
/// names the city or its country unless the questioner named them first; a question naming the city gets
/// "Yes, the city I am from is X.". Stateless and thread-safe.</summary>
public sealed partial class ScriptedCityOracle(CityKnowledgeBase knowledgeBase) : IDialogueSimulator<City>
{
    private static readonly string[] YesNoStarters =
        ["is", "are", "does", "do", "can", "could", "has", "have", "was", "were", "will", "would", "should", "did", "am", "isn't", "doesn't", "don't", "aren't"];

    private static readonly Dictionary<string, string[]> CountrySynonyms = new(StringComparer.Ordinal)
    {
        ["United States"] = ["united states", "usa", "u s a", "united states of america"],
        ["United Kingdom"] = ["united kingdom", "uk", "england", "britain", "great britain"],
        ["Democratic Republic of the Congo"] = ["democratic republic of the congo", "congo", "drc"],
        ["Ivory Coast"] = ["ivory coast", "cote d'ivoire", "côte d'ivoire"],
        ["United Arab Emirates"] = ["united arab emirates", "uae", "emirates"],
        ["South Korea"] = ["south korea", "korea"],
        ["North Korea"] = ["north korea", "dprk"],
    };

    public ScriptedCityOracle() : this(CityKnowledgeBase.Default)
    {
    }

    public CityKnowledgeBase KnowledgeBase { get; } = knowledgeBase;

    public string Respond(City secret, IReadOnlyList<DialogueTurn> conversation) =>
        Answer(secret, conversation.Count == 0 ? string.Empty : conversation[^1].Text);

    /// <summary>The oracle's answer line for one question.</summary>
    public string Answer(City city, string question)
    {
        var q = (question ?? string.Empty).Trim();
        var words = DialogueText.Words(q);
        if (words.Count == 0 || q == CityAnswers.InvalidQuestionSentinel) return "No.";
        if (city.IsMentionedIn(words)) return $"Yes, the city I am from is {city.Name}.";
        var yesNo = YesNoStarters.Contains(words[0]);
        var text = " " + string.Join(' ', words) + " ";

        foreach (var other in KnowledgeBase.Cities)
        {
            if (!ReferenceEquals(other, city) && other.IsMentionedIn(words) && !MentionsCountry(text, other.Country))
                return $"No, I am not from {other.Name}.";
        }

        // Countries (named by the questioner; never volunteered).
        foreach (var country in KnowledgeBase.Countries.OrderByDescending(c => c.Length))
        {
            if (!MentionsCountry(text, country)) continue;
            return country == city.Country ? $"Yes, my city is in {country}." : $"No, my city is not in {country}.";
        }
        if (Has(text, "which country", "what country", "country are you", "your country", "nationality"))
            return $"I'd rather not say which country, but my city is in {city.Continent}.";

        // Continents and hemispheres.
        foreach (var continent in KnowledgeBase.Continents)
        {
            var key = continent.ToLowerInvariant();
            var mentioned = Has(text, key) || continent == "Oceania" && Has(text, "australia", "oceania", "pacific islands");
            if (!mentioned) continue;
            return continent == city.Continent ? $"Yes, my city is in {continent}." : $"No, my city is not in {continent}.";
        }
        if (Has(text, "southern hemisphere", "south of the equator", "below the equator"))
            return YesNo(!city.Northern, "my city is in the Southern Hemisphere", "my city is in the Northern Hemisphere");
        if (Has(text, "northern hemisphere", "north of the equator", "above the equator"))
            return YesNo(city.Northern, "my city is in the Northern Hemisphere", "my city is in the Southern Hemisphere");
        if (Has(text, "western hemisphere"))
            return YesNo(!city.Eastern, "my city is in the Western Hemisphere", "my city is in the Eastern Hemisphere");
        if (Has(text, "eastern hemisphere"))
            return YesNo(city.Eastern, "my city is in the Eastern Hemisphere", "my city is in the Western Hemisphere");
        if (Has(text, "equator") )
            return Math.Abs(city.Latitude) < 15
                ? "Yes, my city is quite close to the equator."
                : $"No, my city is far from the equator, in the {(city.Northern ? "Northern" : "Southern")} Hemisphere.";

        // Capital.
        if (Has(text, "capital"))
            return YesNo(city.IsCapital, "my city is the capital of its country", "my city is not the capital of its country");

        // Languages.
        foreach (var lang in KnowledgeBase.Languages.OrderByDescending(l => l.Length))
        {
            if (!MentionsLanguage(text, lang)) continue;
            var speaks = city.Languages.Any(l => l == lang || l.Contains(lang, StringComparison.OrdinalIgnoreCase) || lang.Contains(l, StringComparison.OrdinalIgnoreCase));
            return speaks ? $"Yes, many people in my city speak {lang}." : $"No, people in my city mostly speak {JoinList(city.Languages)}.";
        }
        if (Has(text, "language", "speak", "spoken", "dialect"))
            return $"People in my city mostly speak {JoinList(city.Languages)}.";

        // Geography.
        if (Has(text, "river"))
        {
            if (city.River is null) return yesNo ? "No, there is no major river running through my city." : "There is no major river running through my city.";
            var river = city.IsMentionedIn(city.River) ? "a river with the same name as my city" : $"the {city.River} river";
            return yesNo ? $"Yes, {river} flows through my city." : Capitalize($"{river} flows through my city.");
        }
        if (Has(text, "coast", "coastal", "ocean", "sea", "beach", "beaches", "port", "seaside", "harbor", "harbour", "bay", "body of water", "near water", "water"))
            return city.IsCoastal
                ? "Yes, my city is on the coast and is surrounded by water on one side."
                : city.River is not null && Has(text, "body of water", "water")
                    ? "My city is not on the coast, but a river runs through it."
                    : "No, my city is not on the coast.";
        if (Has(text, "mountain", "mountains", "mountainous", "hills", "hilly", "hill", "altitude", "elevation", "volcano"))
            return YesNo(city.NearMountains, "there are mountains or hills close to my city", "my city is not near any mountains");

        // Size.
        if (Has(text, "population", "million", "millions", "people live", "populous", "how many people", "how big", "inhabitants", "residents", "big city", "large city", "crowded", "megacity"))
        {
            var threshold = NumberIn(q);
            if (threshold is { } t && Has(text, "more than", "over", "at least", "above", "bigger than", "larger than", "greater than", "exceed"))
                return YesNo(city.MetroMillions > t, $"more than {t:0.#} million people live in my metropolitan area", $"fewer than {t:0.#} million people live in my metropolitan area");
            if (threshold is { } u && Has(text, "less than", "fewer than", "under", "below", "smaller than"))
                return YesNo(city.MetroMillions < u, $"fewer than {u:0.#} million people live in my metropolitan area", $"more than {u:0.#} million people live in my metropolitan area");
            return $"{(yesNo ? "Yes, it is big. " : "")}About {Math.Round(city.MetroMillions).ToString(CultureInfo.InvariantCulture)} million people live in my metropolitan area.";
        }

        // Climate.
        var climateAnswer = Climate(city, text, yesNo);
        if (climateAnswer is not null) return climateAnswer;

        // Food.
        if (Has(text, "food", "dish", "dishes", "cuisine", "eat", "meal", "cook", "traditional dish", "delicacy", "specialty", "snack", "restaurant"))
        {
            var dish = city.Dishes.FirstOrDefault(d => !city.IsMentionedIn(d)) ?? "a local stew";
            if (yesNo)
            {
                var asked = city.Dishes.FirstOrDefault(d => DialogueText.Words(d).Any(w => w.Length > 3 && Has(text, w)));
                return asked is not null ? $"Yes, {asked} is very popular in my city." : $"No, but my favorite traditional dish from my hometown is {dish}.";
            }
            return $"My favorite traditional dish from my hometown is {dish}, which people there love.";
        }

        // Landmarks.
        if (Has(text, "landmark", "landmarks", "famous", "known for", "tourist", "tourists", "attraction", "monument", "sight", "sights", "visit", "building", "buildings", "museum", "architecture", "see"))
        {
            var marks = city.Landmarks.Where(l => !city.IsMentionedIn(l)).ToArray();
            return (yesNo ? "Yes. " : "") + $"A famous landmark in my city is {(marks.Length > 0 ? marks[0] : "its old town")}"
                + (marks.Length > 1 ? $", and visitors also love {marks[1]}." : ".");
        }

        if (Has(text, "where", "located", "location", "part of the world", "region", "continent"))
            return $"My city is in {city.Continent}, in the {(city.Northern ? "Northern" : "Southern")} Hemisphere.";

        return yesNo ? CityAnswers.NotSure : $"{CityAnswers.NotSure} Ask me about its food, language, weather, landmarks or geography.";
    }

    private static string? Climate(City city, string text, bool yesNo)
    {
        string[]? matching = null;
        string? asked = null;
        foreach (var (words, climates, label) in ClimateKeywords)
        {
            if (!Has(text, words)) continue;
            matching = climates;
            asked = label;
            break;
        }
        if (matching is not null && yesNo)
            return matching.Contains(city.Climate)
                ? $"Yes, my city has a {city.Climate} climate, so it is {asked}."
                : $"No, my city has a {city.Climate} climate.";
        if (matching is not null || Has(text, "climate", "weather", "temperature", "season", "seasons", "summer", "winter"))
            return $"My city has a {city.Climate} climate; {ClimateDescription(city.Climate)}.";
        return null;
    }

    private static readonly (string[] Words, string[] Climates, string Label)[] ClimateKeywords =
    [
        (["tropical climate", "tropical"], ["tropical"], "tropical"),
        (["desert", "arid", "dry"], ["arid", "semi-arid"], "dry"),
        (["mediterranean"], ["mediterranean"], "mediterranean"),
        (["continental"], ["continental"], "continental"),
        (["oceanic", "temperate"], ["oceanic", "mediterranean", "humid subtropical", "continental"], "temperate"),
        (["snow", "snows", "snowy", "freezing", "cold winters", "cold"], ["continental"], "cold in winter"),
        (["highland", "high altitude"], ["highland"], "high up"),
        (["humid", "humidity", "muggy", "subtropical"], ["tropical", "humid subtropical"], "humid"),
        (["rain", "rains", "rainy", "monsoon", "wet"], ["tropical", "humid subtropical", "oceanic"], "rainy"),
        (["hot", "warm", "sunny", "heat"], ["tropical", "arid", "semi-arid", "humid subtropical", "mediterranean"], "warm"),
        (["mild"], ["oceanic", "mediterranean", "highland"], "mild"),
    ];

    private static string ClimateDescription(string climate) => climate switch
    {
        "tropical" => "it is hot and humid all year, with a rainy season",
        "arid" => "it is very dry and hot, with little rain",
        "semi-arid" => "it is mostly dry, with hot summers",
        "humid subtropical" => "summers are hot and humid and winters are mild",
        "mediterranean" => "summers are warm and dry and winters are mild and wet",
        "oceanic" => "it is mild and often cloudy, with rain spread over the year",
        "continental" => "summers are warm but winters are cold, often with snow",
        "highland" => "it is high above sea level, so it stays mild all year",
        _ => "the weather varies",
    };

    private static string YesNo(bool yes, string ifYes, string ifNo) => yes ? $"Yes, {ifYes}." : $"No, {ifNo}.";

    private static bool Has(string text, params string[] keys)
    {
        foreach (var k in keys)
        {
            if (text.Contains(" " + k + " ", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static bool MentionsCountry(string text, string country)
    {
        var names = CountrySynonyms.TryGetValue(country, out var syn) ? syn : [country.ToLowerInvariant()];
        // A bare "Korea" means South Korea, unless the question says "North Korea".
        if (country == "South Korea" && Has(text, "north korea") && !Has(text, "south korea")) return false;
        return names.Any(n => Has(text, string.Join(' ', DialogueText.Words(n))));
    }

    private static bool MentionsLanguage(string text, string language)
    {
        var words = DialogueText.Words(language);
        // "Mandarin Chinese" is also asked as "Mandarin" or "Chinese".
        return Has(text, string.Join(' ', words)) || words.Count > 1 && words.Any(w => Has(text, w));
    }

    private static double? NumberIn(string question)
    {
        var m = NumberPattern().Match(question);
        if (!m.Success) return null;
        return double.TryParse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? (v >= 1000 ? v / 1_000_000 : v)
            : null;
    }

    [GeneratedRegex(@"(\d[\d,]*(?:\.\d+)?)")]
    private static partial Regex NumberPattern();

    private static string JoinList(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
