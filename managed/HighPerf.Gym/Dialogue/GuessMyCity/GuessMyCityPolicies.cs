namespace HighPerf.Gym.Dialogue.GuessMyCity;

/// <summary>Reference questioners for Guess My City.</summary>
public static class GuessMyCityPolicies
{
    /// <summary>"Is the city you are from Jakarta?" (the paper's guess phrasing, spec §2.7).</summary>
    public static string GuessQuestion(City c) => $"Is the city you are from {c.Name}?";

    /// <summary>Yes/no questions over the knowledge-base attributes (what the expert splits with).</summary>
    public static IReadOnlyList<string> YesNoBank(CityKnowledgeBase kb)
    {
        var bank = new List<string>();
        bank.AddRange(kb.Continents.Select(c => $"Is your city in {c}?"));
        bank.Add("Is your city in the Southern Hemisphere?");
        bank.Add("Is your city in the Western Hemisphere?");
        bank.Add("Is your city the capital of its country?");
        bank.Add("Is your city on the coast?");
        bank.Add("Is there a river in your city?");
        bank.Add("Is your city near mountains?");
        bank.AddRange(new[] { 3, 5, 8, 10, 15, 20 }.Select(n => $"Does your city have a population of more than {n} million?"));
        bank.AddRange(kb.Languages.Select(l => $"Do people in your city speak {l}?"));
        bank.AddRange(new[] { "tropical", "dry", "mediterranean", "continental", "highland", "rainy", "humid", "mild" }.Select(w => $"Is the climate of your city {w}?"));
        bank.AddRange(kb.Countries.Select(c => $"Is your city in {c}?"));
        return bank;
    }

    /// <summary>Open-ended questions like the paper's dataset (answers carry information but not a yes/no the
    /// knowledge-base questioners filter on).</summary>
    public static IReadOnlyList<string> OpenBank { get; } =
    [
        "What is your favorite traditional dish from your hometown?",
        "What language do people speak in your city?",
        "What is the weather like in your city?",
        "What is a famous landmark in your city?",
        "Where in the world is your city located?",
        "How many people live in your city?",
        "Is your hometown located near a coastline or body of water?",
        "Are there any mountains near your city?",
        "What is your city known for?",
        "What do tourists like to visit in your city?",
        "What is the climate like during the summer?",
        "Is there a river that runs through your city?",
        "What kind of food do people eat in your city?",
        "What continent is your city on?",
    ];

    public static EliminationQuestioner<City> Expert(CityKnowledgeBase? kb = null) => Create(kb ?? CityKnowledgeBase.Default, QuestionerStyle.Expert, useOpenQuestions: false);

    /// <summary>The dataset-behaviour questioner: mostly open-ended questions (as in the paper's GPT-generated data), a
    /// few informative yes/no questions, late and sometimes wrong guesses. Tuned toward Table 1 (success ≈ 0.53,
    /// return ≈ −18.8).</summary>
    public static EliminationQuestioner<City> Behaviour(CityKnowledgeBase? kb = null) => Create(kb ?? CityKnowledgeBase.Default, BehaviourStyle, useOpenQuestions: true);

    public static RandomQuestioner<City> Random(CityKnowledgeBase? kb = null)
    {
        var k = kb ?? CityKnowledgeBase.Default;
        return new RandomQuestioner<City>(k.Cities, YesNoBank(k).Concat(OpenBank).ToArray(), GuessQuestion);
    }

    public static QuestionerStyle BehaviourStyle { get; } = new()
    {
        RandomQuestionRate = 0.88,
        TopK = 6,
        GuessThreshold = 2,
        EagerGuessRate = 0.0,
        ForgetRate = 0.35,
    };

    public static EliminationQuestioner<City> Create(CityKnowledgeBase kb, QuestionerStyle style, bool useOpenQuestions)
    {
        var oracle = new ScriptedCityOracle(kb);
        var bank = YesNoBank(kb);
        return new EliminationQuestioner<City>(
            kb.Cities,
            bank,
            (c, q) => CityAnswers.IsYes(oracle.Answer(c, q)),
            GuessQuestion,
            CityAnswers.IsYes,
            q => kb.Cities.FirstOrDefault(c => c.IsMentionedIn(q)),
            headerItems: 1,
            style,
            randomBank: useOpenQuestions ? OpenBank : null);
    }
}
