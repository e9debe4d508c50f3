using HighPerf.Gym.Core;

namespace HighPerf.Gym.Dialogue.CarDealer;

/// <summary>What a seller has learnt about the buyer from the buyer's lines.</summary>
public sealed record BuyerSignals(string? Brand, string? Type, IReadOnlyList<string> Features, int? Budget, int? LastCounter, bool WantsDiscount, bool MissingFeatures, int SellerTurns,
    CarModel? OfferedCar, int? OfferedPrice, bool WrongType = false)
{
    public static BuyerSignals Read(TextHistory history, CarMentionReader reader)
    {
        string? brand = null, type = null;
        var features = new List<string>();
        int? budget = null, counter = null, offered = null;
        bool wantsDiscount = false, missing = false, wrongType = false;
        CarModel? car = null;
        var sellerTurns = 0;
        foreach (var item in history.Items.Skip(1))
        {
            var line = DialogueText.ActionLine(item.Text);
            if (item.IsAction)
            {
                sellerTurns++;
                car = reader.ModelIn(line) ?? car;
                var sp = CarDealerText.Prices(line);
                if (sp.Count > 0) offered = sp[^1];
                continue;
            }
            brand ??= reader.BrandIn(line);
            type ??= reader.TypeIn(line);
            foreach (var f in reader.FeaturesIn(line)) if (!features.Contains(f)) features.Add(f);
            budget = CarDealerText.PriceNear(line, "budget") ?? budget;
            counter = CarDealerText.PriceNear(line, "would you take", "how about", "could you do") ?? counter;
            wantsDiscount = CarMentionReader.HasAny(line, "discount", "take off");
            missing = CarMentionReader.HasAny(line, "doesn't have", "need all");
            wrongType = CarMentionReader.HasAny(line, "not interested in a");
        }
        return new BuyerSignals(brand, type, features, budget, counter, wantsDiscount, missing, sellerTurns, car, offered, wrongType);
    }
}

/// <summary>Reference sellers for Car Dealer.</summary>
public static class CarDealerPolicies
{
    public static ITextPolicy Expert(CarDealerData? data = null) => new ExpertSeller(data ?? CarDealerData.Default);

    public static ITextPolicy Behaviour(CarDealerData? data = null) => new BehaviourSeller(data ?? CarDealerData.Default);

    public static ITextPolicy Random(CarDealerData? data = null) => new RandomSeller(data ?? CarDealerData.Default);

    internal static string Pitch(CarModel car, int price, bool features) =>
        features
            ? $"I have the {car.FullName}, a {car.Type} with {string.Join(", ", car.Features)}. It's priced at {CarDealerText.Money(price)}."
            : $"I have the {car.FullName}. It's {CarDealerText.Money(price)}.";

    internal static int Round500(double v) => Math.Max(500, (int)Math.Round(v / 500) * 500);
}

/// <summary>A competent seller: asks for needs and budget, offers the catalogue car that best fits them (preferring an
/// MSRP at or just under the budget, which maximises the fancy reward), quotes MSRP, meets reasonable counter-offers,
/// gives a small discount to discount seekers, switches car when features are missing, and asks to close.</summary>
public sealed class ExpertSeller(CarDealerData data) : ITextPolicy
{
    private readonly CarMentionReader _reader = new(data);

    public string Act(TextHistory history, Random rng)
    {
        var s = BuyerSignals.Read(history, _reader);
        if (s.SellerTurns == 0) return "Good morning! Welcome to our dealership. What kind of car are you looking for, and what is your budget?";
        if (s.Budget is null && s.SellerTurns <= 2) return "Happy to help. What is your budget, roughly?";
        if (s.OfferedCar is null || s.MissingFeatures || s.WrongType)
        {
            var car = Choose(s, Offered(history));
            return CarDealerPolicies.Pitch(car, car.Msrp, features: true) + " Would you like to buy it today?";
        }
        var price = s.OfferedPrice ?? s.OfferedCar.Msrp;
        if (s.LastCounter is { } counter)
        {
            if (counter >= price * 0.9) return $"You drive a hard bargain, but {CarDealerText.Money(counter)} works. Deal, let's do the paperwork.";
            var mid = CarDealerPolicies.Round500((price + counter) / 2.0);
            return $"I can't go that low, but I can do {CarDealerText.Money(mid)} for the {s.OfferedCar.FullName}. Do we have a deal?";
        }
        if (s.WantsDiscount)
            return $"For you I can take 5% off: {CarDealerText.Money(CarDealerPolicies.Round500(price * 0.95))} for the {s.OfferedCar.FullName}. Do we have a deal?";
        return $"The {s.OfferedCar.FullName} is {CarDealerText.Money(price)}. Shall we do the paperwork?";
    }

    private List<CarModel> Offered(TextHistory history) =>
        history.Items.Where(i => i.IsAction).Select(i => _reader.ModelIn(DialogueText.ActionLine(i.Text))).OfType<CarModel>().ToList();

    private CarModel Choose(BuyerSignals s, List<CarModel> alreadyOffered)
    {
        var budget = s.Budget ?? 40000;
        var pool = data.Catalogue.Where(c => !alreadyOffered.Contains(c)).ToList();
        if (pool.Count == 0) pool = data.Catalogue.ToList();
        // The right body type first, then every requested feature, then the brand, then an MSRP close to (not over) the budget.
        return pool
            .OrderByDescending(c => (c.Type == s.Type ? 20 : 0) + s.Features.Count(c.Features.Contains) * 4 - (s.Features.All(c.Features.Contains) ? 0 : 2)
                                    + (c.Brand == s.Brand ? 5 : 0) + (c.Msrp <= budget * 1.05 ? 6 : 0) - Math.Abs(c.Msrp - budget) / 10000.0)
            .ThenBy(c => c.FullName, StringComparer.Ordinal)
            .First();
    }
}

/// <summary>The dataset-behaviour seller: one of the paper's three seller strategies per episode (spec §2.8: "loves
/// discounts, never talks features" / "never discounts, talks features a lot" / "never discounts, no features,
/// concise"), with sloppy car choice. The strategy is chosen at the first turn and recovered from the greeting, so the
/// policy stays a function of the history.</summary>
public sealed class BehaviourSeller(CarDealerData data) : ITextPolicy
{
    private static readonly string[] Greetings =
    [
        "Hi there! Looking for a great deal today? We have discounts on everything.",
        "Welcome! Let me tell you all about the amazing features of our cars. What are you looking for?",
        "Hello. What do you need?",
    ];

    private readonly CarMentionReader _reader = new(data);

    public string Act(TextHistory history, Random rng)
    {
        var s = BuyerSignals.Read(history, _reader);
        if (s.SellerTurns == 0) return Greetings[rng.Next(Greetings.Length)];
        var strategy = Array.IndexOf(Greetings, DialogueText.ActionLine(history[1].Text));
        if (strategy < 0) strategy = 2;
        if (s.OfferedCar is null || (s.MissingFeatures || s.WrongType) && rng.NextDouble() < 0.6)
        {
            // Sloppy matching: right brand and type only some of the time.
            var sloppyBrand = rng.NextDouble() < 0.15;
            var sloppyType = rng.NextDouble() < 0.05;
            var pool = data.Catalogue.Where(c => (s.Brand is null || sloppyBrand || c.Brand == s.Brand) && (s.Type is null || sloppyType || c.Type == s.Type)).ToList();
            if (pool.Count == 0) pool = data.Catalogue.ToList();
            var car = pool[rng.Next(pool.Count)];
            var markup = 1.0 + rng.NextDouble() * 0.1;
            return CarDealerPolicies.Pitch(car, CarDealerPolicies.Round500(car.Msrp * markup), features: strategy == 1);
        }
        var price = s.OfferedPrice ?? s.OfferedCar.Msrp;
        switch (strategy)
        {
            case 0:
                if (s.LastCounter is { } c && c >= price * 0.85) return $"Deal! {CarDealerText.Money(c)} it is.";
                return $"Special discount just for you: {CarDealerText.Money(CarDealerPolicies.Round500(price * (0.9 + rng.NextDouble() * 0.05)))}. Do we have a deal?";
            case 1:
                if (s.LastCounter is { } c1 && c1 >= price * 0.8 && rng.NextDouble() < 0.7) return $"Fine, {CarDealerText.Money(c1)}, but only because it has {string.Join(", ", s.OfferedCar.Features)}. Deal?";
                if (rng.NextDouble() < 0.3)
                    return $"The price stays at {CarDealerText.Money(price)}, but think of the features: {string.Join(", ", s.OfferedCar.Features)}. Do we have a deal?";
                return $"The {s.OfferedCar.FullName} has {string.Join(", ", s.OfferedCar.Features)}. It's worth every penny of {CarDealerText.Money(price)}.";
            default:
                if (s.LastCounter is { } c2 && c2 >= price * 0.8 && rng.NextDouble() < 0.6) return $"{CarDealerText.Money(c2)}. Deal.";
                return rng.NextDouble() < 0.5 ? $"{CarDealerText.Money(price)}. Firm. Deal?" : "The price is firm.";
        }
    }
}

/// <summary>Random seller: random lines from a bank of greetings, pitches of random cars at random prices, random
/// discounts and closing questions.</summary>
public sealed class RandomSeller(CarDealerData data) : ITextPolicy
{
    private static readonly string[] Lines =
    [
        "Hello! How can I help you today?",
        "What kind of car are you looking for?",
        "Do we have a deal?",
        "That's the best I can do.",
        "Let me check with my manager.",
        "This car has great fuel economy.",
        "Would you like a test drive?",
    ];

    public string Act(TextHistory history, Random rng)
    {
        switch (rng.Next(3))
        {
            case 0:
                return Lines[rng.Next(Lines.Length)];
            case 1:
                var car = data.Catalogue[rng.Next(data.Catalogue.Count)];
                return CarDealerPolicies.Pitch(car, CarDealerPolicies.Round500(car.Msrp * (0.8 + rng.NextDouble() * 0.5)), rng.Next(2) == 0);
            default:
                return $"I can offer it for {CarDealerText.Money(CarDealerPolicies.Round500(10000 + rng.NextDouble() * 100000))}.";
        }
    }
}
