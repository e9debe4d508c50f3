using System.Collections.Frozen;

namespace HighPerf.Gym.Dialogue.TwentyQuestions;

/// <summary>A yes/no property the scripted oracle understands, with the phrases that name it and the canonical
/// question the reference questioners ask about it.</summary>
public sealed record Concept(string Key, string Question, Func<TwentyQuestionsObject, bool> Test, IReadOnlyList<string[]> Phrases);

/// <summary>How the interpreter read a question.</summary>
public enum QuestionKind
{
    /// <summary>Empty, or no letters at all.</summary>
    Invalid,
    /// <summary>The question names an object of the knowledge base ("Is it a dog?").</summary>
    Guess,
    /// <summary>The question asks about one or more attributes.</summary>
    Attribute,
    /// <summary>Nothing in the question matched the attribute schema.</summary>
    Unknown,
}

/// <summary>The interpretation of one question: a guess of an object, or a predicate over attributes.</summary>
public sealed record QuestionReading(QuestionKind Kind, TwentyQuestionsObject? Guessed, IReadOnlyList<Concept> Concepts, bool Disjunction, bool Negated,
    Func<TwentyQuestionsObject, bool>? Predicate)
{
    /// <summary>The truthful answer for <paramref name="secret"/>; null when the question is invalid or not understood.</summary>
    public bool? AnswerFor(TwentyQuestionsObject secret) => Kind switch
    {
        QuestionKind.Guess => Guessed is not null && (ReferenceEquals(Guessed, secret) || secret.Names.Any(n => DialogueText.Words(n).SequenceEqual(DialogueText.Words(Guessed.Name)))),
        QuestionKind.Attribute => Predicate!(secret),
        _ => null,
    };
}

/// <summary>Reads yes/no questions against the Twenty Questions attribute schema by keyword and phrase matching:
/// (1) a guess frame ("is it a/an ...", "is the object ...") whose remainder is an object name;
/// (2) size comparisons ("bigger than a breadbox", "smaller than a car", "bigger than a dog");
/// (3) longest-phrase matching of attribute, category, colour, material, place and use phrases, combined with AND,
/// or OR when the question contains "or", and negated by "not".</summary>
public sealed class QuestionInterpreter
{
    private static readonly Lazy<QuestionInterpreter> DefaultInstance = new(() => new QuestionInterpreter(TwentyQuestionsKnowledgeBase.Default));

    /// <summary>Words that may precede the object's name in a guess ("Is it a kind of dog?"); LMRL-Gym allows only
    /// object/something/type/kind as extra nouns (spec §2.6).</summary>
    public static readonly FrozenSet<string> GuessFrameWords = new[]
    {
        "is", "it", "it's", "its", "this", "that", "the", "a", "an", "object", "thing", "item", "something", "your", "word", "are", "they", "could",
        "be", "would", "does", "do", "you", "have", "mean", "thinking", "think", "of", "about", "maybe", "perhaps", "so", "then", "i", "guess",
        "my", "kind", "type", "sort", "some", "ok", "okay", "oh", "well", "hmm", "answer", "am", "i'm", "final", "was", "what", "whether", "say",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Articles = new[] { "a", "an", "the", "of" }.ToFrozenSet(StringComparer.Ordinal);

    private readonly TwentyQuestionsKnowledgeBase _kb;
    private readonly Dictionary<string, List<(string[] Phrase, Concept Concept)>> _byFirstToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SizeClass> _sizeReferences;

    public QuestionInterpreter(TwentyQuestionsKnowledgeBase kb)
    {
        _kb = kb;
        Concepts = BuildConcepts(kb);
        foreach (var c in Concepts)
        {
            foreach (var p in c.Phrases)
            {
                if (!_byFirstToken.TryGetValue(p[0], out var list)) _byFirstToken[p[0]] = list = [];
                list.Add((p, c));
            }
        }
        foreach (var key in _byFirstToken.Keys.ToArray())
        {
            // Longest phrase first; among equal lengths the earlier-registered concept wins (stable order).
            _byFirstToken[key] = _byFirstToken[key].OrderByDescending(e => e.Phrase.Length).ToList();
        }
        _sizeReferences = new Dictionary<string, SizeClass>(StringComparer.Ordinal)
        {
            ["coin"] = SizeClass.Tiny, ["pocket"] = SizeClass.Tiny, ["thumb"] = SizeClass.Tiny, ["finger"] = SizeClass.Tiny,
            ["hand"] = SizeClass.Small, ["breadbox"] = SizeClass.Small, ["bread box"] = SizeClass.Small, ["shoebox"] = SizeClass.Small,
            ["shoe box"] = SizeClass.Small, ["book"] = SizeClass.Small, ["microwave"] = SizeClass.Small, ["toaster"] = SizeClass.Small,
            ["loaf of bread"] = SizeClass.Small, ["basketball"] = SizeClass.Small,
            ["person"] = SizeClass.Medium, ["human"] = SizeClass.Medium, ["adult"] = SizeClass.Medium, ["man"] = SizeClass.Medium,
            ["woman"] = SizeClass.Medium, ["me"] = SizeClass.Medium, ["you"] = SizeClass.Medium, ["child"] = SizeClass.Medium,
            ["car"] = SizeClass.Large, ["refrigerator"] = SizeClass.Large, ["fridge"] = SizeClass.Large, ["room"] = SizeClass.Large,
            ["house"] = SizeClass.Huge, ["building"] = SizeClass.Huge, ["bus"] = SizeClass.Huge,
        };
    }

    /// <summary>The interpreter over the shipped knowledge base.</summary>
    public static QuestionInterpreter Default => DefaultInstance.Value;

    public TwentyQuestionsKnowledgeBase KnowledgeBase => _kb;

    /// <summary>Every concept the interpreter knows; their <see cref="Concept.Question"/>s form the question bank.</summary>
    public IReadOnlyList<Concept> Concepts { get; }

    /// <summary>The canonical questions (one per concept), in a fixed order.</summary>
    public IReadOnlyList<string> QuestionBank => Concepts.Select(c => c.Question).ToArray();

    /// <summary>The truthful answer, or null when the question is invalid or not understood.</summary>
    public bool? Answer(TwentyQuestionsObject secret, string question) => Read(question).AnswerFor(secret);

    /// <summary>Whether <paramref name="question"/> names <paramref name="secret"/> in the LMRL-Gym sense: after stripping
    /// trailing non-letters, the question ends with one of the object's names and everything before it is guess-frame
    /// wording (no other nouns). Plural/singular of the last word are treated alike.</summary>
    public static bool NamesObject(string question, TwentyQuestionsObject secret)
    {
        var words = DialogueText.Words(question);
        foreach (var alias in secret.AliasTokens)
        {
            if (alias.Count == 0 || words.Count < alias.Count) continue;
            var offset = words.Count - alias.Count;
            var match = true;
            for (var i = 0; i < alias.Count && match; i++) match = SameWord(words[offset + i], alias[i]);
            if (!match) continue;
            var framed = true;
            for (var i = 0; i < offset && framed; i++) framed = GuessFrameWords.Contains(words[i]);
            if (framed) return true;
        }
        return false;
    }

    /// <summary>Interprets a question.</summary>
    public QuestionReading Read(string question)
    {
        var words = DialogueText.Words(question ?? string.Empty);
        if (words.Count == 0 || !words.Any(w => w.Any(char.IsLetter)))
            return new QuestionReading(QuestionKind.Invalid, null, [], false, false, null);

        // (1) Guess frame: strip leading frame words; the rest must be a whole object name.
        var start = 0;
        while (start < words.Count && GuessFrameWords.Contains(words[start])) start++;
        var articleBefore = start > 0 && Articles.Contains(words[start - 1]);
        if (start < words.Count)
        {
            var rest = string.Join(' ', words.Skip(start));
            var guessed = LookupAlias(rest);
            if (guessed is not null && (articleBefore || !IsConceptPhrase(words, start)))
                return new QuestionReading(QuestionKind.Guess, guessed, [], false, false, null);
        }

        // (2) Size comparisons, removed from the token stream before phrase matching.
        var predicates = new List<Func<TwentyQuestionsObject, bool>>();
        var concepts = new List<Concept>();
        var tokens = new List<string>(words);
        ExtractSizeComparisons(tokens, predicates, concepts);

        // (3) Longest-phrase matching.
        var negated = false;
        var disjunction = false;
        for (var i = 0; i < tokens.Count;)
        {
            var t = tokens[i];
            if (t.Length == 0) { i++; continue; }
            var best = MatchAt(tokens, i);
            if (best is { } m)
            {
                if (!concepts.Contains(m.Concept))
                {
                    concepts.Add(m.Concept);
                    predicates.Add(m.Concept.Test);
                }
                i += m.Length;
                continue;
            }
            if (t is "not" or "never" or "neither") negated = true;
            if (t == "or") disjunction = true;
            i++;
        }
        if (predicates.Count == 0)
            return new QuestionReading(QuestionKind.Unknown, null, [], false, false, null);

        var preds = predicates.ToArray();
        var dis = disjunction && preds.Length > 1;
        var neg = negated;
        Func<TwentyQuestionsObject, bool> predicate = o =>
        {
            var r = dis ? preds.Any(p => p(o)) : preds.All(p => p(o));
            return neg ? !r : r;
        };
        return new QuestionReading(QuestionKind.Attribute, null, concepts, dis, neg, predicate);
    }

    private TwentyQuestionsObject? LookupAlias(string rest)
    {
        if (_kb.ByAlias.TryGetValue(rest, out var o)) return o;
        // plural/singular of the last word
        if (rest.EndsWith("es", StringComparison.Ordinal) && _kb.ByAlias.TryGetValue(rest[..^2], out o)) return o;
        if (rest.EndsWith('s') && _kb.ByAlias.TryGetValue(rest[..^1], out o)) return o;
        if (_kb.ByAlias.TryGetValue(rest + "s", out o)) return o;
        return null;
    }

    private bool IsConceptPhrase(List<string> words, int start) =>
        MatchAt(words, start) is { } m && start + m.Length == words.Count;

    private (Concept Concept, int Length)? MatchAt(List<string> tokens, int i)
    {
        if (!_byFirstToken.TryGetValue(tokens[i], out var list) && !_byFirstToken.TryGetValue(Singular(tokens[i]), out list)) return null;
        foreach (var (phrase, concept) in list)
        {
            if (i + phrase.Length > tokens.Count) continue;
            var ok = true;
            for (var k = 0; k < phrase.Length && ok; k++) ok = SameWord(tokens[i + k], phrase[k]);
            if (ok) return (concept, phrase.Length);
        }
        return null;
    }

    private void ExtractSizeComparisons(List<string> tokens, List<Func<TwentyQuestionsObject, bool>> predicates, List<Concept> concepts)
    {
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            var bigger = tokens[i] is "bigger" or "larger" or "taller" or "longer" or "wider";
            var smaller = tokens[i] is "smaller" or "shorter" or "tinier";
            if (!bigger && !smaller || tokens[i + 1] != "than") continue;
            var j = i + 2;
            while (j < tokens.Count && tokens[j] is "a" or "an" or "the" or "your" or "my" or "average" or "typical" or "normal" or "regular") j++;
            SizeClass? reference = null;
            var end = j;
            var earth = false;
            for (var len = Math.Min(4, tokens.Count - j); len >= 1 && reference is null && !earth; len--)
            {
                var phrase = string.Join(' ', tokens.Skip(j).Take(len));
                if (phrase is "earth" or "planet" or "the earth" or "world")
                {
                    earth = true;
                    end = j + len;
                }
                else if (_sizeReferences.TryGetValue(phrase, out var s) || _sizeReferences.TryGetValue(Singular(phrase), out s))
                {
                    reference = s;
                    end = j + len;
                }
                else if (LookupAlias(phrase) is { } obj)
                {
                    reference = obj.Size;
                    end = j + len;
                }
            }
            if (reference is null && !earth) continue;
            var key = (bigger ? "bigger_than_" : "smaller_than_") + (earth ? "earth" : reference!.Value.ToString().ToLowerInvariant());
            Func<TwentyQuestionsObject, bool> test = earth
                ? (bigger ? o => o.Has("bigger_than_earth") : o => !o.Has("bigger_than_earth"))
                : bigger ? o => o.Size > reference!.Value : o => o.Size < reference!.Value;
            predicates.Add(test);
            concepts.Add(new Concept(key, string.Empty, test, []));
            for (var k = i; k < end; k++) tokens[k] = string.Empty;
        }
    }

    internal static bool SameWord(string q, string p) =>
        q == p || q == p + "s" || q == p + "es" || p == q + "s" || p == q + "es" || (q.EndsWith("ies", StringComparison.Ordinal) && p.EndsWith('y') && q[..^3] == p[..^1]);

    private static string Singular(string w) =>
        w.EndsWith("ies", StringComparison.Ordinal) ? w[..^3] + "y" : w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) ? w[..^1] : w;

    private static List<Concept> BuildConcepts(TwentyQuestionsKnowledgeBase kb)
    {
        var list = new List<Concept>();
        void Add(string key, string question, Func<TwentyQuestionsObject, bool> test, params string[] phrases) =>
            list.Add(new Concept(key, question, test, phrases.Select(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray()));
        Func<TwentyQuestionsObject, bool> Tag(string t) => o => o.Has(t);
        Func<TwentyQuestionsObject, bool> Use(string u) => o => o.Uses.Contains(u);

        // Living things and categories.
        Add("alive", "Is it alive?", Tag("alive"), "alive", "living", "living thing", "organism", "breathe", "life");
        Add("inanimate", "Is it an inanimate object?", o => !o.Has("alive"), "inanimate", "nonliving", "non living", "lifeless");
        Add("animal", "Is it an animal?", Tag("animal"), "animal", "creature", "beast");
        Add("mammal", "Is it a mammal?", Tag("mammal"), "mammal");
        Add("bird", "Is it a bird?", Tag("bird"), "bird");
        Add("fish", "Is it a fish?", Tag("fish"), "fish");
        Add("reptile", "Is it a reptile?", Tag("reptile"), "reptile");
        Add("insect", "Is it an insect?", Tag("insect"), "insect", "bug");
        Add("pet", "Is it a pet?", Tag("pet"), "pet", "kept as a pet");
        Add("farm_animal", "Is it a farm animal?", Tag("farm_animal"), "farm animal", "livestock");
        Add("wild", "Is it a wild animal?", Tag("wild"), "wild", "wild animal", "wildlife");
        Add("carnivore", "Does it eat meat?", Tag("carnivore"), "carnivore", "eat meat", "meat eater", "predator", "eat other animals");
        Add("herbivore", "Does it eat plants?", Tag("herbivore"), "herbivore", "eat plants", "eat grass", "vegetarian");
        Add("has_fur", "Does it have fur?", Tag("has_fur"), "fur", "furry", "hair", "hairy");
        Add("has_feathers", "Does it have feathers?", Tag("has_feathers"), "feather", "feathered");
        Add("has_scales", "Does it have scales?", Tag("has_scales"), "scale", "scaly");
        Add("has_legs", "Does it have legs?", Tag("has_legs"), "leg", "legged");
        Add("has_tail", "Does it have a tail?", Tag("has_tail"), "tail");
        Add("swims", "Can it swim?", o => o.Has("can_swim") || o.Has("lives_in_water"), "swim", "swimmer");
        Add("swim_in", "Can you swim in it?", Use("swim"), "swim in", "swim in it");
        Add("lives_in_water", "Does it live in water?", o => o.Has("lives_in_water") || o.Where.Contains("ocean") && o.Has("alive"),
            "live in water", "live in the water", "underwater", "aquatic", "live in the sea", "live in the ocean");
        Add("plant", "Is it a plant?", Tag("plant"), "plant", "vegetation");
        Add("edible", "Can you eat it?", Tag("edible"), "edible", "eat it", "eaten", "food", "can you eat", "something you eat", "something you can eat", "consume");
        Add("fruit", "Is it a fruit?", Tag("fruit"), "fruit");
        Add("vegetable", "Is it a vegetable?", Tag("vegetable"), "vegetable", "veggie");
        Add("sweet", "Is it sweet?", Tag("sweet"), "sweet", "sugary");
        Add("sour", "Is it sour?", Tag("sour"), "sour", "tart", "acidic");
        Add("juicy", "Is it juicy?", Tag("juicy"), "juicy", "juice");
        Add("grows_on_trees", "Does it grow on trees?", Tag("grows_on_trees"), "grow on tree", "grow on a tree", "from a tree", "on trees");
        Add("grows_underground", "Does it grow underground?", Tag("grows_underground"), "underground", "grow underground", "in the ground", "below ground", "root");
        Add("has_seeds", "Does it have seeds?", Tag("has_seeds"), "seed", "pit", "seeds inside");
        Add("has_peel", "Does it have a peel?", Tag("has_peel"), "peel", "rind", "peeled");
        Add("leafy", "Does it have leaves?", Tag("leafy"), "leafy", "leaves", "green leaves");
        Add("eaten_raw", "Can it be eaten raw?", Tag("eaten_raw"), "raw", "eaten raw", "uncooked");
        Add("needs_cooking", "Does it need to be cooked?", Tag("needs_cooking"), "be cooked", "need cooking", "cooked before", "usually cooked");

        // Natural vs made; electronics.
        Add("natural", "Is it found in nature?", Tag("natural"), "natural", "nature", "found in nature", "naturally", "naturally occurring");
        Add("man_made", "Is it man-made?", Tag("man_made"), "man made", "manmade", "manufactured", "made by humans", "made by people", "artificial",
            "human made", "made by man", "made in a factory", "handmade", "invented", "made by a person");
        Add("electronic", "Is it electronic?", Tag("electronic"), "electronic", "electronics", "electronic device", "gadget", "device", "appliance", "digital");
        Add("needs_electricity", "Does it use electricity?", o => o.Has("needs_electricity") || o.Has("battery_powered"),
            "electricity", "electric", "electrical", "plug", "plugged in", "power", "powered", "plug in", "outlet", "charge", "charged");
        Add("battery_powered", "Does it use batteries?", Tag("battery_powered"), "battery", "batteries", "rechargeable");
        Add("has_screen", "Does it have a screen?", Tag("has_screen"), "screen", "display", "monitor");
        Add("connects_to_internet", "Can it connect to the internet?", Tag("connects_to_internet"), "internet", "online", "wifi", "wi fi", "web", "connect to the internet", "smart");
        Add("has_buttons", "Does it have buttons?", Tag("has_buttons"), "button");
        Add("has_keys", "Does it have keys?", Tag("has_keys"), "keys", "keyboard", "have keys", "has keys");
        Add("makes_sound", "Does it make a sound?", o => o.Has("makes_sound") || o.Has("musical_instrument"), "sound", "noise", "noisy", "loud", "make noise", "beep", "ring");
        Add("gives_light", "Does it give off light?", o => o.Has("gives_light") || o.Uses.Contains("light"), "light", "glow", "shine", "give off light", "produce light", "bright", "illuminate");

        // Music.
        Add("musical_instrument", "Is it a musical instrument?", Tag("musical_instrument"), "musical instrument", "instrument", "musical");
        Add("music", "Is it used to make or play music?", o => o.Has("musical_instrument") || o.Uses.Contains("music"), "music", "make music", "play music", "song", "melody");
        Add("string_instrument", "Does it have strings?", Tag("string_instrument"), "string", "stringed", "string instrument", "pluck", "strum");
        Add("wind_instrument", "Do you blow into it?", Tag("wind_instrument"), "blow", "blow into", "wind instrument", "woodwind", "breath", "blown");
        Add("percussion", "Is it a percussion instrument?", Tag("percussion_instrument"), "percussion", "percussion instrument");
        Add("brass", "Is it a brass instrument?", Tag("brass"), "brass", "brass instrument");

        // Vehicles.
        Add("vehicle", "Is it a vehicle?", Tag("vehicle"), "vehicle", "mode of transportation", "means of transport", "form of transportation");
        Add("transport", "Is it used for transportation?", o => o.Has("vehicle") || o.Uses.Contains("transport"), "transport", "transportation", "travel", "get around", "get from place to place", "commute");
        Add("has_wheels", "Does it have wheels?", Tag("has_wheels"), "wheel", "wheeled", "tire", "tyre");
        Add("has_engine", "Does it have an engine?", Tag("has_engine"), "engine", "motor", "motorized", "gasoline", "fuel", "petrol");
        Add("can_fly", "Can it fly?", o => o.Has("can_fly") || o.Uses.Contains("fly"), "fly", "flies", "flying", "airborne", "in the air");
        Add("floats", "Does it float on water?", o => o.Has("floats") || o.Has("lives_in_water"), "float", "on water", "on the water", "sail", "boat");
        Add("carries_people", "Can people ride in or on it?", o => o.Has("carries_people") || o.Uses.Contains("ride"), "carry people", "ride", "ride in", "ride on", "passenger", "drive", "driven");
        Add("has_wings", "Does it have wings?", Tag("has_wings"), "wing", "winged");

        // Clothes and jewelry.
        Add("wearable", "Can you wear it?", o => o.Has("wearable") || o.Has("clothing"), "wear", "wearable", "worn", "put on", "wear it", "dress in", "accessory");
        Add("clothing", "Is it a piece of clothing?", Tag("clothing"), "clothing", "clothes", "garment", "apparel", "piece of clothing", "outfit", "clothing item", "article of clothing");
        Add("worn_on_head", "Is it worn on the head?", Tag("worn_on_head"), "head", "on your head", "on the head", "headwear");
        Add("worn_on_feet", "Is it worn on the feet?", Tag("worn_on_feet"), "feet", "foot", "footwear", "on your feet", "ankle");
        Add("worn_on_hands", "Is it worn on the hands?", Tag("worn_on_hands"), "on your hands", "on the hands", "worn on the hand", "worn on your hand", "on your hand");
        Add("worn_on_legs", "Is it worn on the legs?", Tag("worn_on_legs"), "on your legs", "on the legs", "on the lower body", "lower body", "waist");
        Add("worn_on_upper_body", "Is it worn on the upper body?", Tag("worn_on_upper_body"), "upper body", "torso", "on your body", "on the body", "chest", "top");
        Add("worn_on_neck", "Is it worn around the neck?", Tag("worn_on_neck"), "neck", "around the neck");
        Add("worn_on_wrist", "Is it worn on the wrist?", Tag("worn_on_wrist"), "wrist", "on your arm");
        Add("worn_on_finger", "Is it worn on a finger?", Tag("worn_on_finger"), "finger", "on your finger");
        Add("worn_on_ears", "Is it worn on the ears?", Tag("worn_on_ears"), "ear", "on your ears");
        Add("comes_in_pairs", "Does it come in pairs?", Tag("comes_in_pairs"), "pair", "come in pairs", "in pairs", "two of them");
        Add("keeps_warm", "Does it keep you warm?", o => o.Has("keeps_warm") || o.Uses.Contains("keep_warm"), "warm", "keep you warm", "keep warm", "winter", "cold weather");
        Add("jewelry", "Is it jewelry?", Tag("jewelry"), "jewelry", "jewellery", "jewel", "piece of jewelry", "bling");
        Add("valuable", "Is it valuable?", Tag("valuable"), "valuable", "precious", "worth a lot", "priceless");

        // Furniture and the house.
        Add("furniture", "Is it furniture?", Tag("furniture"), "furniture", "piece of furniture");
        Add("sit_on", "Can you sit on it?", o => o.Has("sit_on") || o.Uses.Contains("sit"), "sit", "sit on", "sit in", "seat", "seating");
        Add("sleep_on", "Can you sleep on it?", o => o.Has("sleep_on") || o.Uses.Contains("sleep"), "sleep", "sleep on", "sleep in", "lie on", "lie down");
        Add("holds_things", "Can it hold or store things?", o => o.Has("holds_things") || o.Uses.Contains("store"), "container", "contain", "hold things", "store things",
            "storage", "store", "put things in", "keep things in", "hold stuff");
        Add("has_drawers", "Does it have drawers?", Tag("has_drawers"), "drawer");
        Add("has_doors", "Does it have doors?", Tag("has_doors"), "door");

        // Tools and uses.
        Add("tool", "Is it a tool?", Tag("tool"), "tool", "utensil", "implement", "instrument used");
        Add("sharp", "Is it sharp?", Tag("sharp"), "sharp", "pointy", "pointed", "blade", "poke");
        Add("kitchen", "Is it found in the kitchen?", o => o.Has("kitchen_item") || o.Where.Contains("kitchen"), "kitchen", "kitchenware", "kitchen utensil", "cooking utensil");
        Add("eating_utensil", "Do you eat with it?", Tag("eating_utensil"), "eat with", "eating utensil", "cutlery", "silverware", "flatware");
        Add("office", "Is it found in an office?", o => o.Has("office_item") || o.Where.Contains("office"), "office", "office supply", "stationery", "desk item");
        Add("writing", "Is it used for writing?", o => o.Has("writing_item") || o.Uses.Contains("write"), "write", "writing", "write with");
        Add("art", "Is it related to art?", o => o.Has("art_item") || o.Category == "Art", "art", "artwork", "artistic", "art supply", "artist");
        Add("toy", "Is it a toy?", Tag("toy"), "toy", "children play with", "kids play with", "plaything");
        Add("sport", "Is it used in sports?", Tag("sport_item"), "sport", "sporting", "athletic", "sports equipment", "athlete", "team");
        Add("ball", "Is it a ball?", Tag("ball"), "ball", "kind of ball", "type of ball");
        Add("garden", "Is it used in the garden?", o => o.Has("gardening_item") || o.Where.Contains("garden"), "garden", "gardening", "yard", "backyard", "lawn", "garden tool");
        Add("cook", "Is it used for cooking?", o => o.Uses.Contains("cook") || o.Uses.Contains("heat") && o.Has("kitchen_item"), "cook", "cooking", "prepare food", "make food", "bake", "baking");
        Add("cut", "Is it used for cutting?", Use("cut"), "cut", "cutting", "slice", "chop");
        Add("eat_use", "Is it used for eating?", Use("eat"), "used for eating", "used to eat", "eating");
        Add("drink", "Is it used for drinking?", Use("drink"), "drink", "drinking", "beverage");
        Add("draw", "Is it used for drawing?", Use("draw"), "draw", "drawing", "sketch");
        Add("paint", "Is it used for painting?", Use("paint"), "paint", "paint with", "painting with");
        Add("decorate", "Is it used for decoration?", Use("decorate"), "decorate", "decoration", "decorative", "ornament", "display it");
        Add("communicate", "Is it used to communicate?", Use("communicate"), "communicate", "communication", "talk", "call", "message", "send");
        Add("entertain", "Is it used for entertainment?", Use("entertain"), "entertain", "entertainment", "fun", "for fun", "enjoy", "hobby");
        Add("play", "Do people play with it?", Use("play"), "play", "play with", "played", "game");
        Add("exercise", "Is it used for exercise?", Use("exercise"), "exercise", "workout", "fitness", "physical activity");
        Add("work", "Is it used for work?", Use("work"), "work", "job", "at work", "professional");
        Add("clean", "Is it used for cleaning?", Use("clean"), "clean", "cleaning", "wash", "hygiene", "tidy");
        Add("build", "Is it used for building things?", Use("build"), "build", "construction", "building things", "construct");
        Add("repair", "Is it used to fix things?", Use("repair"), "repair", "fix", "fixing", "mend");
        Add("dig", "Is it used for digging?", Use("dig"), "dig", "digging");
        Add("measure", "Is it used for measuring?", Use("measure"), "measure", "measuring", "measurement");
        Add("protect", "Does it protect you?", Use("protect"), "protect", "protection", "safety", "safe", "shield");
        Add("carry", "Is it used to carry things?", Use("carry"), "carry things", "carry stuff", "haul", "transport things", "move things", "cargo", "deliver");
        Add("tell_time", "Does it tell time?", Use("tell_time"), "tell time", "time", "clock", "hour");
        Add("calculate", "Is it used for math?", Use("calculate"), "calculate", "math", "mathematics", "numbers", "calculation", "compute", "arithmetic");
        Add("photograph", "Is it used to take pictures?", Use("photograph"), "take pictures", "take photos", "take a picture", "photography", "photograph with");
        Add("listen", "Do you listen to it?", Use("listen"), "listen", "listen to", "hear", "audio");
        Add("watch", "Do you watch it?", Use("watch"), "watch", "look at", "view", "viewing", "show", "movie", "film");
        Add("read", "Is it used for reading?", Use("read"), "read", "reading");
        Add("fasten", "Is it used to attach or hold things together?", Use("fasten"), "fasten", "attach", "hold together", "hold things together", "join", "stick things", "fastener", "secure");
        Add("open", "Is it used to open things?", Use("open"), "open", "unlock", "lock", "opening");
        Add("water_plants", "Is it used to water plants?", Use("water_plants"), "water plants", "watering", "water the garden", "water the plants");
        Add("mix", "Is it used for mixing?", Use("mix"), "mix", "mixing", "stir", "blend", "whip");
        Add("serve", "Is it used for serving food?", Use("serve"), "serve", "serving");
        Add("heat", "Is it used for heating?", Use("heat"), "heat", "heating", "boil", "fry");
        Add("guard", "Does it guard things?", Use("guard"), "guard", "guarding", "watchdog");
        Add("hunt", "Does it hunt?", Use("hunt"), "hunt", "hunting", "prey");
        Add("kick", "Do you kick it?", Use("kick"), "kick", "kicked");
        Add("throw", "Do you throw it?", Use("throw"), "throw", "thrown", "toss", "roll it");
        Add("hit", "Is it used to hit things?", Use("hit"), "hit", "hitting", "strike", "swing", "punch", "bang");
        Add("companionship", "Is it a companion?", Use("companionship"), "companion", "companionship", "friend", "cuddle", "hug");
        Add("milk", "Does it give milk?", Use("milk"), "milk", "dairy");
        Add("print", "Is it used for printing?", Use("print"), "print", "printing", "printer paper");
        Add("study", "Is it used for studying?", Use("study"), "study", "studying", "learn", "learning", "education", "homework", "educational");
        Add("brush_teeth", "Is it used to brush your teeth?", Use("brush_teeth"), "teeth", "tooth", "dental", "brush your teeth");
        Add("grow", "Does it grow?", o => o.Uses.Contains("grow") || o.Has("alive") || o.Has("plant"), "grow", "growing");
        Add("wear_use", "Is it used for dressing up?", Use("wear"), "dress up", "fashion", "style");

        // Physical properties.
        Add("round", "Is it round?", Tag("round"), "round", "circular", "spherical", "sphere", "circle", "ball shaped", "cylindrical", "oval");
        Add("soft", "Is it soft?", Tag("soft"), "soft", "squishy", "fluffy", "cushioned");
        Add("hard", "Is it hard?", Tag("hard"), "hard", "solid", "rigid", "sturdy");
        Add("heavy", "Is it heavy?", Tag("heavy"), "heavy", "weigh a lot", "weighs a lot", "hard to lift");
        Add("lightweight", "Is it lightweight?", o => !o.Has("heavy"), "lightweight", "light weight", "easy to lift", "weigh little");
        Add("flat", "Is it flat?", Tag("flat"), "flat", "thin");
        Add("liquid", "Is it a liquid?", Tag("liquid"), "liquid", "fluid", "wet", "flow", "flowing");
        Add("hot", "Is it hot?", Tag("hot"), "hot", "heat up", "gets hot", "fire", "burn");
        Add("transparent", "Is it transparent?", o => o.Has("transparent") || o.Colors.Contains("transparent"), "transparent", "see through", "clear", "translucent");
        Add("flexible", "Is it flexible?", Tag("flexible"), "flexible", "bend", "bendable", "bendy", "fold", "foldable");
        Add("fragile", "Is it fragile?", Tag("fragile"), "fragile", "break easily", "breakable", "delicate");
        Add("has_handle", "Does it have a handle?", Tag("has_handle"), "handle");
        Add("moving_parts", "Does it have moving parts?", Tag("moving_parts"), "moving parts", "moving part", "mechanical", "mechanism", "gears");
        Add("sticky", "Is it sticky?", Tag("sticky"), "sticky", "adhesive", "glue");
        Add("shiny", "Is it shiny?", Tag("shiny"), "shiny", "sparkle", "sparkly", "glitter", "reflective", "glossy");
        Add("dangerous", "Is it dangerous?", Tag("dangerous"), "dangerous", "harmful", "hurt", "kill", "deadly", "poisonous", "harm", "injure", "hazardous", "weapon");
        Add("expensive", "Is it expensive?", Tag("expensive"), "expensive", "costly", "cost a lot", "pricey", "costs a lot");
        Add("cheap", "Is it cheap?", o => !o.Has("expensive") && !o.Has("valuable"), "cheap", "inexpensive", "affordable");
        Add("used_daily", "Is it used every day?", Tag("used_daily"), "every day", "daily", "everyday", "commonly used", "common", "regularly");
        Add("moves", "Can it move by itself?", o => o.Has("can_move_by_itself") || o.Has("has_engine"), "move", "moves", "move on its own", "by itself", "move around", "mobile", "self propelled");

        // Sizes.
        Add("size_big", "Is it big?", o => o.Size >= SizeClass.Large, "big", "large", "huge", "giant", "enormous", "massive");
        Add("size_small", "Is it small?", o => o.Size <= SizeClass.Small, "small", "little", "compact");
        Add("size_tiny", "Can it fit in your pocket?", o => o.Size == SizeClass.Tiny, "tiny", "fit in your pocket", "fit in a pocket", "pocket", "fit in my pocket", "miniature");
        Add("holdable", "Can you hold it in one hand?", o => o.Size <= SizeClass.Small, "hold it in your hand", "hold in your hand", "fit in your hand", "hold in one hand",
            "hold it in one hand", "handheld", "hand held", "hold it", "in your hand", "in one hand");
        Add("portable", "Can one person carry it?", o => o.Size <= SizeClass.Medium && !(o.Has("heavy") && o.Size == SizeClass.Medium), "carry it", "portable", "pick it up", "pick up", "lift", "lift it", "carried");
        Add("medium", "Is it about the size of a person?", o => o.Size == SizeClass.Medium, "medium", "medium sized", "size of a person", "human sized");

        // Colours, materials, places (one concept each).
        foreach (var c in kb.Vocab.Colors.Order(StringComparer.Ordinal))
        {
            var color = c;
            var phrases = color switch
            {
                "multicolored" => new[] { "multicolored", "colorful", "colourful", "many colors", "many colours", "multicoloured", "rainbow" },
                "gray" => ["gray", "grey"],
                "gold" => ["gold", "golden"],
                "silver" => ["silver", "silvery"],
                "transparent" => ["colorless", "colourless"],
                _ => [color, color + "ish"],
            };
            Func<TwentyQuestionsObject, bool> test = color is "gold" or "silver" ? o => o.Colors.Contains(color) || o.Materials.Contains(color) : o => o.Colors.Contains(color);
            Add("color_" + color, color == "multicolored" ? "Is it colorful?" : $"Is it {color}?", test, phrases);
        }
        foreach (var m in kb.Vocab.Materials.Order(StringComparer.Ordinal))
        {
            var material = m;
            if (material is "gold" or "silver") continue; // asked through the colour concept above
            var phrases = material switch
            {
                "metal" => new[] { "metal", "metallic", "iron", "steel", "aluminum", "aluminium", "tin" },
                "wood" => ["wood", "wooden", "timber"],
                "plastic" => ["plastic"],
                "glass" => ["glass"],
                "fabric" => ["fabric", "cloth", "textile", "material", "made of cloth"],
                "cotton" => ["cotton"],
                "wool" => ["wool", "woolen", "woollen", "knitted"],
                "leather" => ["leather"],
                "rubber" => ["rubber", "rubbery"],
                "paper" => ["paper", "cardboard", "card"],
                "stone" => ["stone", "rock", "made of rock", "marble", "granite"],
                "ceramic" => ["ceramic", "porcelain", "clay", "pottery"],
                "gemstone" => ["gem", "gemstone", "diamond", "diamonds", "jewels", "precious stone", "precious stones", "crystal"],
                "water" => ["water", "made of water", "ice"],
                "gas" => ["gas", "gaseous", "air", "vapor", "steam"],
                "organic" => ["organic", "flesh", "biological", "meat"],
                "wax" => ["wax", "waxy"],
                "graphite" => ["graphite", "lead"],
                _ => [material],
            };
            var question = material switch
            {
                "water" => "Does it contain or consist of water?",
                "gas" => "Is it made of gas?",
                "organic" => "Is it made of organic matter?",
                "gemstone" => "Does it have gemstones?",
                _ => $"Is it made of {material}?",
            };
            Add("material_" + material, question, o => o.Materials.Contains(material), phrases);
        }
        foreach (var w in kb.Vocab.Where.Order(StringComparer.Ordinal))
        {
            var place = w;
            if (place is "kitchen" or "office" or "garden") continue; // merged with the kitchen/office/garden concepts above
            var (question, phrases) = place switch
            {
                "indoors" => ("Is it found indoors?", new[] { "indoors", "inside", "indoor", "in a building", "in buildings" }),
                "outdoors" => ("Is it found outdoors?", ["outdoors", "outside", "outdoor", "in the open", "open air"]),
                "house" => ("Is it found in a house?", ["house", "home", "household", "in your house", "in a home"]),
                "bedroom" => ("Is it found in a bedroom?", ["bedroom"]),
                "bathroom" => ("Is it found in a bathroom?", ["bathroom", "restroom", "toilet"]),
                "living_room" => ("Is it found in a living room?", ["living room", "lounge"]),
                "school" => ("Is it found in a school?", ["school", "classroom", "student"]),
                "garage" => ("Is it found in a garage?", ["garage", "workshop", "shed"]),
                "farm" => ("Is it found on a farm?", ["farm", "ranch", "barn", "farmer"]),
                "forest" => ("Is it found in a forest?", ["forest", "the woods", "jungle", "rainforest"]),
                "water" => ("Is it found in or near water?", ["in water", "near water", "in the water", "lake", "river", "wet place"]),
                "sky" => ("Is it found in the sky?", ["sky", "in the sky", "up high"]),
                "space" => ("Is it found in space?", ["space", "outer space", "universe"]),
                "road" => ("Is it found on roads?", ["road", "street", "highway"]),
                "city" => ("Is it found in a city?", ["city", "town", "urban", "cities"]),
                "park" => ("Is it found in a park?", ["park", "playground"]),
                "field" => ("Is it used on a sports field?", ["field", "court", "pitch", "stadium", "sports field"]),
                "store" => ("Can you buy it in a store?", ["store", "shop", "supermarket", "buy it", "grocery", "market"]),
                "museum" => ("Is it found in a museum?", ["museum", "gallery", "exhibition"]),
                "mountains" => ("Is it found in the mountains?", ["mountain", "hill"]),
                "africa" => ("Does it live in Africa?", ["africa", "african", "savanna", "safari"]),
                "ocean" => ("Is it found in the ocean?", ["ocean", "sea", "marine", "salt water"]),
                _ => ($"Is it found in the {place}?", new[] { place }),
            };
            Add("place_" + place, question, place == "house"
                ? o => o.Where.Overlaps(HomePlaces)
                : o => o.Where.Contains(place), phrases);
        }
        return list;
    }

    private static readonly string[] HomePlaces = ["house", "kitchen", "bedroom", "bathroom", "living_room", "garage"];
}
