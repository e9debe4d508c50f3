using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using HighPerf.Gym.Dialogue.KnowledgeBase;

namespace HighPerf.Gym.Dialogue.CarDealer;

/// <summary>A model in the dealership's catalogue.</summary>
public sealed record CarModel(string Brand, string Model, string Type, int Msrp, IReadOnlyList<string> Features)
{
    public string FullName => $"{Brand} {Model}";

    internal IReadOnlyList<string> ModelTokens { get; } = DialogueText.Words(Model);

    internal IReadOnlyList<string> BrandTokens { get; } = DialogueText.Words(Brand);
}

/// <summary>A haggling strategy from the paper's data generation (spec §2.8: "never buys without a discount" /
/// "only buys if all specs met" / "impatient, dislikes discount/feature talk").</summary>
public sealed record HagglingStyle(string Name, string Description, int Patience, double Stretch, double MinDiscount, bool NeedsAllFeatures);

/// <summary>The buyer simulated by the environment. The first five fields are LMRL-Gym's buyer profile (spec §2.8); the
/// style drives the scripted buyer's haggling.</summary>
public sealed record BuyerPersona(string Personality, string Brand, string Type, IReadOnlyList<string> Features, int Budget, HagglingStyle Style)
{
    /// <summary>"a Honda", "an Audi".</summary>
    public string BrandWithArticle => $"{DialogueText.Article(Brand)} {Brand}";

    /// <summary>The buyer-side profile line: <c>Personality: polite. Prefers a Honda SUV with backup camera, heated seats. Budget: $30,000</c>.</summary>
    public string ProfileLine => $"Personality: {Personality}. Prefers {BrandWithArticle} {Type} with {string.Join(", ", Features)}. Budget: {CarDealerText.Money(Budget)}";
}

/// <summary>The Car Dealer data: persona option lists, haggling styles and the catalogue (embedded <c>car_dealer.json</c>).</summary>
public sealed class CarDealerData
{
    public const string ResourceName = "car_dealer.json";

    private static readonly Lazy<CarDealerData> DefaultInstance =
        new(() => Parse(EmbeddedData.ReadText(ResourceName), ResourceName), LazyThreadSafetyMode.ExecutionAndPublication);

    private CarDealerData(Document d)
    {
        Personalities = d.Personalities;
        Brands = d.Brands;
        Types = d.Types;
        Features = d.Features;
        Budgets = d.Budgets;
        Styles = d.HagglingStyles.Select(s => new HagglingStyle(s.Name, s.Description, s.Patience, s.Stretch, s.MinDiscount, s.NeedsAllFeatures)).ToArray();
        Catalogue = d.Catalogue.Select(c => new CarModel(c.Brand, c.Model, c.Type, c.Msrp, c.Features)).ToArray();
    }

    public static CarDealerData Default => DefaultInstance.Value;

    public IReadOnlyList<string> Personalities { get; }
    public IReadOnlyList<string> Brands { get; }
    public IReadOnlyList<string> Types { get; }
    public IReadOnlyList<string> Features { get; }
    public IReadOnlyList<int> Budgets { get; }
    public IReadOnlyList<HagglingStyle> Styles { get; }
    public IReadOnlyList<CarModel> Catalogue { get; }

    /// <summary>Samples a buyer like LMRL-Gym's env: personality, brand, type, 1–4 distinct features and budget uniformly
    /// (type among the types the brand sells in the catalogue, so every preference names a real car), plus a haggling style.</summary>
    public BuyerPersona SamplePersona(Random rng)
    {
        var brand = Brands[rng.Next(Brands.Count)];
        var types = Catalogue.Where(c => c.Brand == brand).Select(c => c.Type).Distinct().Order(StringComparer.Ordinal).ToArray();
        var type = types[rng.Next(types.Length)];
        var nFeatures = rng.Next(1, 5);
        var features = Features.OrderBy(_ => rng.Next()).Take(nFeatures).ToArray();
        return new BuyerPersona(Personalities[rng.Next(Personalities.Count)], brand, type, features, Budgets[rng.Next(Budgets.Count)], Styles[rng.Next(Styles.Count)]);
    }

    public static CarDealerData Parse(string json, string source)
    {
        var d = EmbeddedData.Deserialize<Document>(json, source);
        EmbeddedData.Require(d.Schema == "highperf.car-dealer/1", source, "schema", $"unsupported schema '{d.Schema}'");
        EmbeddedData.Require(d.Personalities.Count == 10, source, "personalities", "expected the 10 LMRL-Gym personalities");
        EmbeddedData.Require(d.Brands.Count == 13, source, "brands", "expected the 13 LMRL-Gym brands");
        EmbeddedData.Require(d.Types.Count == 6, source, "types", "expected the 6 LMRL-Gym types");
        EmbeddedData.Require(d.Features.Count == 8, source, "features", "expected the 8 LMRL-Gym features");
        EmbeddedData.Require(d.Budgets.Count > 0 && d.Budgets.All(b => b > 0), source, "budgets", "budgets must be positive");
        EmbeddedData.Require(d.HagglingStyles.Count > 0, source, "haggling_styles", "at least one style");
        foreach (var s in d.HagglingStyles)
            EmbeddedData.Require(s.Patience > 0 && s.Stretch is >= 0 and < 1 && s.MinDiscount is >= 0 and < 1, source, s.Name, "patience > 0, stretch and min_discount in [0, 1)");
        var brands = d.Brands.ToFrozenSet(StringComparer.Ordinal);
        var types = d.Types.ToFrozenSet(StringComparer.Ordinal);
        var features = d.Features.ToFrozenSet(StringComparer.Ordinal);
        foreach (var c in d.Catalogue)
        {
            var entry = $"{c.Brand} {c.Model}";
            EmbeddedData.Require(brands.Contains(c.Brand), source, entry, $"unknown brand '{c.Brand}'");
            EmbeddedData.Require(types.Contains(c.Type), source, entry, $"unknown type '{c.Type}'");
            EmbeddedData.Require(c.Msrp is >= 5_000 and <= 500_000, source, entry, "msrp must be between $5,000 and $500,000");
            EmbeddedData.RequireIn(c.Features, features, source, entry, "features");
            EmbeddedData.Require(DialogueText.Words(c.Model).Count > 0, source, entry, "model name must contain a word");
        }
        foreach (var b in d.Brands)
            EmbeddedData.Require(d.Catalogue.Any(c => c.Brand == b), source, b, "brand has no model in the catalogue");
        return new CarDealerData(d);
    }

    private sealed record Document(string Schema, string Description, List<string> Personalities, List<string> Brands, List<string> Types, List<string> Features,
        List<int> Budgets, List<StyleDto> HagglingStyles, List<CarDto> Catalogue);

    private sealed record StyleDto(string Name, string Description, int Patience, double Stretch, double MinDiscount, bool NeedsAllFeatures);

    private sealed record CarDto(string Brand, string Model, string Type, int Msrp, List<string> Features);
}

/// <summary>The buyer's decision, LMRL-Gym's <c>output</c> record: <c>{"car_bought", "msrp", "buy_price"}</c>.</summary>
public sealed record CarDealerOutcome(bool CarBought, int Msrp, int? BuyPrice);

/// <summary>Text conventions of Car Dealer: money formatting, price extraction and the Output tag.</summary>
public static partial class CarDealerText
{
    public const string Start = "Start";

    /// <summary>"$32,000".</summary>
    public static string Money(int amount) => "$" + amount.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The tag the buyer ends the deal with.</summary>
    public static string OutputTag(CarDealerOutcome o) => o.CarBought
        ? $"Output: Decision=Accept MSRP={Money(o.Msrp)} Buy Price={Money(o.BuyPrice ?? 0)}"
        : $"Output: Decision=Reject MSRP={Money(o.Msrp)}";

    /// <summary>Finds the Output tag (spec §2.8 pattern) and returns the outcome and the line with the tag removed.</summary>
    public static (CarDealerOutcome? Outcome, string Visible) ParseOutput(string line)
    {
        var m = OutputPattern().Match(line);
        if (!m.Success) return (null, line.Trim());
        var msrp = ParseInt(m.Groups[2].Value);
        int? buy = m.Groups[4].Success ? ParseInt(m.Groups[4].Value) : null;
        var accepted = m.Groups[1].Value == "Accept";
        var visible = (line[..m.Index] + line[(m.Index + m.Length)..]).Trim();
        return (new CarDealerOutcome(accepted, msrp, accepted ? buy ?? msrp : null), visible);
    }

    /// <summary>Dollar amounts in a line ("$31,500", "31,500 dollars", "31.5k", "$31k"); values under $1,000 are ignored.</summary>
    public static List<int> Prices(string line)
    {
        var prices = new List<int>();
        foreach (Match m in PricePattern().Matches(line))
        {
            var raw = m.Groups["num"].Value.Replace(",", "", StringComparison.Ordinal);
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) continue;
            if (m.Groups["k"].Success) v *= 1000;
            var hasDollar = m.Groups["d"].Success || m.Groups["dollars"].Success || m.Groups["k"].Success;
            if (!hasDollar || v < 1000 || v > 10_000_000) continue;
            prices.Add((int)Math.Round(v));
        }
        return prices;
    }

    /// <summary>The price in the first sentence of <paramref name="line"/> that contains one of <paramref name="cues"/>.</summary>
    public static int? PriceNear(string line, params string[] cues)
    {
        foreach (var sentence in Regex.Split(line, @"(?<=[.?!])\s+"))
        {
            var lower = sentence.ToLowerInvariant();
            if (!cues.Any(c => lower.Contains(c, StringComparison.Ordinal))) continue;
            var p = Prices(sentence);
            if (p.Count > 0) return p[^1];
        }
        return null;
    }

    private static int ParseInt(string s) => int.Parse(s.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    // Spec §2.8 pattern, except that MSRP=$0 is accepted: the upstream pattern ([1-9]...) cannot parse the "$0" a buyer
    // reports when no car was ever offered, although the reward function defines msrp == 0 → 0.
    [GeneratedRegex(@"Output: Decision=(Accept|Reject) MSRP=\$([0-9][0-9,]*)( Buy Price=\$([0-9][0-9,]*))?")]
    private static partial Regex OutputPattern();

    [GeneratedRegex(@"(?<d>\$\s?)?(?<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?:(?<k>[kK]\b|thousand\b)|(?<dollars>dollars\b|USD\b|bucks\b))?")]
    private static partial Regex PricePattern();
}
