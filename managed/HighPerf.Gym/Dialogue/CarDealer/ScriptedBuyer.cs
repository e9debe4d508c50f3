namespace HighPerf.Gym.Dialogue.CarDealer;

/// <summary>Reads cars, prices and intents out of free-text dealership lines.</summary>
public sealed class CarMentionReader(CarDealerData data)
{
    public CarDealerData Data { get; } = data;

    /// <summary>The last catalogue model a line names ("the Honda CR-V", "a CR-V"); short model names (ES, i4, X5)
    /// count only together with their brand.</summary>
    public CarModel? ModelIn(string line)
    {
        var words = DialogueText.Words(line);
        CarModel? found = null;
        var foundAt = -1;
        foreach (var car in Data.Catalogue)
        {
            var at = IndexOf(words, car.ModelTokens);
            if (at < 0) continue;
            var shortName = string.Concat(car.ModelTokens).Length <= 2;
            if (shortName && IndexOf(words, car.BrandTokens) < 0) continue;
            if (at > foundAt || at == foundAt && car.ModelTokens.Count > found!.ModelTokens.Count)
            {
                found = car;
                foundAt = at;
            }
        }
        return found;
    }

    public string? BrandIn(string line)
    {
        var words = DialogueText.Words(line);
        return Data.Brands.FirstOrDefault(b => IndexOf(words, DialogueText.Words(b)) >= 0 || b == "Mercedes-Benz" && words.Contains("mercedes") || b == "Volkswagen" && words.Contains("vw"));
    }

    public string? TypeIn(string line)
    {
        var words = DialogueText.Words(line);
        foreach (var t in Data.Types)
        {
            var key = t.ToLowerInvariant();
            if (words.Any(w => QuestionLike(w, key))) return t;
        }
        if (words.Contains("pickup")) return "truck";
        if (words.Contains("ev")) return "electric";
        return null;
    }

    public IReadOnlyList<string> FeaturesIn(string line)
    {
        var text = " " + string.Join(' ', DialogueText.Words(line)) + " ";
        return Data.Features.Where(f => text.Contains(" " + string.Join(' ', DialogueText.Words(f)) + " ", StringComparison.Ordinal)
                                        || f == "Apple CarPlay" && text.Contains(" carplay ", StringComparison.Ordinal)).ToArray();
    }

    private static bool QuestionLike(string w, string key) => w == key || w == key + "s";

    internal static int IndexOf(List<string> words, IReadOnlyList<string> phrase)
    {
        if (phrase.Count == 0) return -1;
        for (var i = 0; i + phrase.Count <= words.Count; i++)
        {
            var ok = true;
            for (var k = 0; k < phrase.Count && ok; k++) ok = words[i + k] == phrase[k];
            if (ok) return i;
        }
        return -1;
    }

    internal static bool HasAny(string line, params string[] keys)
    {
        var text = " " + string.Join(' ', DialogueText.Words(line)) + " ";
        return keys.Any(k => text.Contains(" " + k + " ", StringComparison.Ordinal));
    }
}

/// <summary>The deterministic scripted buyer. It states its needs, asks for prices, haggles according to its
/// <see cref="HagglingStyle"/> (counter-offers, discount demands, feature requirements, patience) and ends the
/// conversation with LMRL-Gym's Output tag: <c>Output: Decision=Accept MSRP=$X Buy Price=$Y</c> or
/// <c>Output: Decision=Reject MSRP=$X</c>. Its tone follows the persona's personality. Everything is derived from the
/// conversation, so the buyer is stateless and the same conversation always gets the same reply.</summary>
public sealed class ScriptedBuyer(CarDealerData data) : IDialogueSimulator<BuyerPersona>
{
    private readonly CarMentionReader _reader = new(data);

    public ScriptedBuyer() : this(CarDealerData.Default)
    {
    }

    /// <summary>The buyer's view of the negotiation after the seller's lines so far.</summary>
    public sealed record NegotiationState(CarModel? Car, int Msrp, int? Price, int? LastCounter, bool SellerClosing, bool SellerAgreed, bool BudgetAsked, int SellerTurns,
        int Patience, bool FeatureTalk, bool DiscountTalk);

    public string Respond(BuyerPersona persona, IReadOnlyList<DialogueTurn> conversation)
    {
        ArgumentNullException.ThrowIfNull(persona);
        var forced = conversation.Count > 0 && conversation[^1].Role == DialogueRole.Simulator;
        var state = Analyze(persona, conversation);
        if (forced)
        {
            // LMRL-Gym re-prompts the buyer with its last line + "Output: Decision=": decide on what is on the table.
            return state.Price is { } p && state.Car is not null && Acceptable(persona, state, p)
                ? "Accept MSRP=" + CarDealerText.Money(state.Msrp) + " Buy Price=" + CarDealerText.Money(p)
                : "Reject MSRP=" + CarDealerText.Money(state.Msrp);
        }

        if (state.Car is not null && state.Price is { } price && Acceptable(persona, state, price)
            && (state.SellerClosing || state.SellerAgreed || state.SellerTurns >= 5))
        {
            return Style(persona, $"Alright, you have a deal. I'll take the {state.Car.FullName} for {CarDealerText.Money(price)}.")
                   + " " + CarDealerText.OutputTag(new CarDealerOutcome(true, state.Msrp, price));
        }
        if (state.Patience <= 0)
        {
            var why = state.Car is null ? "You haven't shown me anything I want." : "This isn't going to work for me.";
            return Style(persona, $"{why} I'm going to look somewhere else.") + " " + CarDealerText.OutputTag(new CarDealerOutcome(false, state.Msrp, null));
        }
        return Style(persona, Talk(persona, state));
    }

    /// <summary>Reconstructs the negotiation from the conversation.</summary>
    public NegotiationState Analyze(BuyerPersona persona, IReadOnlyList<DialogueTurn> conversation)
    {
        CarModel? car = null;
        int msrp = 0;
        int? price = null;
        int? counter = null;
        bool closing = false, agreed = false, budgetAsked = false, featureTalk = false, discountTalk = false;
        var sellerTurns = 0;
        var longLines = 0;
        foreach (var turn in conversation)
        {
            if (turn.Role == DialogueRole.Simulator)
            {
                if (CarDealerText.PriceNear(turn.Text, "would you take", "how about", "could you do", "i can pay", "i'd pay", "offer") is { } bp) counter = bp;
                continue;
            }
            sellerTurns++;
            var line = turn.Text;
            if (line.Length > 220) longLines++;
            var model = _reader.ModelIn(line);
            if (model is null)
            {
                var brand = _reader.BrandIn(line);
                var type = _reader.TypeIn(line);
                if (brand is not null && type is not null)
                    model = data.Catalogue.Where(c => c.Brand == brand && c.Type == type).OrderBy(c => c.Msrp).FirstOrDefault();
            }
            if (model is not null && !ReferenceEquals(model, car))
            {
                car = model;
                msrp = model.Msrp;
                price = null;
                counter = null;
            }
            var prices = CarDealerText.Prices(line);
            agreed = false;
            if (prices.Count > 0 && car is not null)
            {
                price = prices[^1];
                if (prices.Count > 1 && prices[0] > prices[^1]) msrp = Math.Max(msrp, prices[0]);
            }
            else if (counter is { } c && CarMentionReader.HasAny(line, "deal", "ok", "okay", "agree", "agreed", "accept", "works", "fine", "sounds good", "you got it", "yes"))
            {
                price = c;
                agreed = true;
            }
            closing = CarMentionReader.HasAny(line, "deal", "buy", "purchase", "take it", "sign", "paperwork", "drive it home", "ready to");
            budgetAsked |= CarMentionReader.HasAny(line, "budget", "spend", "price range", "afford", "how much are you");
            featureTalk |= _reader.FeaturesIn(line).Count > 1;
            discountTalk |= CarMentionReader.HasAny(line, "discount", "off", "rebate", "special offer", "promotion", "sale");
        }
        var patience = persona.Style.Patience + PersonalityPatience(persona.Personality) - sellerTurns - longLines;
        if (persona.Style.Name == "impatient" && (featureTalk || discountTalk)) patience -= 1;
        return new NegotiationState(car, msrp, price, counter, closing, agreed, budgetAsked, sellerTurns, patience, featureTalk, discountTalk);
    }

    /// <summary>The most this buyer pays for the car on the table (0 if it would not buy it at all).</summary>
    public static int ReservationPrice(BuyerPersona persona, CarModel car)
    {
        var missing = persona.Features.Count(f => !car.Features.Contains(f));
        if (persona.Style.NeedsAllFeatures && missing > 0) return 0;
        // A buyer wants the body type asked for (a truck buyer does not buy a convertible at any price); another brand is
        // acceptable at a lower price.
        if (car.Type != persona.Type) return 0;
        var factor = 1 + persona.Style.Stretch;
        if (car.Brand != persona.Brand) factor *= 0.85;
        factor *= Math.Pow(0.97, missing);
        return (int)(persona.Budget * factor);
    }

    private static bool Acceptable(BuyerPersona persona, NegotiationState s, int price)
    {
        if (s.Car is null) return false;
        if (price > ReservationPrice(persona, s.Car)) return false;
        return persona.Style.MinDiscount <= 0 || price <= s.Msrp * (1 - persona.Style.MinDiscount);
    }

    private string Talk(BuyerPersona persona, NegotiationState s)
    {
        var wants = $"{persona.BrandWithArticle} {persona.Type} with {JoinFeatures(persona.Features)}";
        var budget = s.BudgetAsked ? $" My budget is about {CarDealerText.Money(persona.Budget)}." : "";
        if (s.Car is null)
        {
            return s.SellerTurns <= 1
                ? $"Hi. I'm looking for {wants}. Can you show me what you have?{budget}"
                : $"I told you, I want {wants}. Do you have one or not?{budget}";
        }
        if (s.Price is not { } price) return $"The {s.Car.FullName}? How much is it?{budget}";
        var reservation = ReservationPrice(persona, s.Car);
        if (reservation == 0)
        {
            if (s.Car.Type != persona.Type)
                return $"I'm not interested in a {s.Car.Type}. I want {persona.BrandWithArticle} {persona.Type}.{budget}";
            var missing = persona.Features.Where(f => !s.Car.Features.Contains(f)).ToArray();
            return $"The {s.Car.FullName} doesn't have {JoinFeatures(missing)}. I need all of those.{budget}";
        }
        if (price <= reservation)
        {
            // Price acceptable but the style wants a discount first.
            return $"I won't buy anything without a discount. What can you take off the {CarDealerText.Money(price)}?{budget}";
        }
        var counterOffer = RoundDown500(Math.Min(reservation * 0.95, price * 0.9));
        var mismatch = s.Car.Brand != persona.Brand || s.Car.Type != persona.Type ? $" And I really wanted {persona.BrandWithArticle} {persona.Type}." : "";
        return $"{CarDealerText.Money(price)} is more than I want to spend. Would you take {CarDealerText.Money(counterOffer)}?{mismatch}{budget}";
    }

    private static int RoundDown500(double v) => Math.Max(500, (int)(v / 500) * 500);

    private static string JoinFeatures(IReadOnlyList<string> f) => f.Count switch
    {
        0 => "the usual features",
        1 => f[0],
        _ => string.Join(", ", f.Take(f.Count - 1)) + " and " + f[^1],
    };

    private static int PersonalityPatience(string personality) => personality switch
    {
        "talkative" => 2,
        "polite" or "respectful" => 1,
        "angry" or "abusive" or "toxic" or "rude" => -1,
        _ => 0,
    };

    private static string Style(BuyerPersona persona, string text) => persona.Personality switch
    {
        "polite" => text + " Thank you.",
        "respectful" => text + " I appreciate your time.",
        "rude" => "Look, " + Lower(text),
        "angry" => "Ugh. " + text,
        "abusive" => "Listen, pal, " + Lower(text) + " Stop wasting my time.",
        "insulting" => text + " Even a salesman should understand that.",
        "sarcastic" => "Oh, wonderful. " + text,
        "talkative" => text + " I've been shopping around for weeks, so I know what's out there.",
        "toxic" => "Whatever. " + text,
        "uncommunicative" => text.Split(". ")[0].TrimEnd('.') + ".",
        _ => text,
    };

    private static string Lower(string s) =>
        s.Length > 1 && !char.IsUpper(s[1]) && !s.StartsWith("I ", StringComparison.Ordinal) && !s.StartsWith("I'", StringComparison.Ordinal) && s[0] != '$'
            ? char.ToLowerInvariant(s[0]) + s[1..]
            : s;
}
