using HighPerf.Gym.Core;
using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.KnowledgeBase;
using HighPerf.Gym.Dialogue.TwentyQuestions;

namespace HighPerf.Gym.Tests.Dialogue;

public class TwentyQuestionsKnowledgeBaseTests
{
    [Fact]
    public void Loads_158_objects_in_17_categories_with_spec_counts()
    {
        var kb = TwentyQuestionsKnowledgeBase.Default;
        Assert.Equal(158, kb.Objects.Count);
        Assert.Equal(17, kb.Categories.Count);
        var expected = new Dictionary<string, int>
        {
            ["Sports"] = 10, ["Animals"] = 10, ["Fruits"] = 10, ["Vehicles"] = 10, ["Clothes"] = 11, ["Electronics"] = 10,
            ["Musical Instruments"] = 10, ["Furniture"] = 10, ["Office Supplies"] = 14, ["Vegetables"] = 10, ["Art"] = 7,
            ["Kitchen Tools"] = 10, ["Nature"] = 11, ["Toys"] = 5, ["Jewelry"] = 9, ["Garden Supplies"] = 5, ["Tools"] = 6,
        };
        foreach (var (cat, n) in expected) Assert.Equal(n, kb.Objects.Count(o => o.Category == cat));
        Assert.Equal(new[] { "Airplane", "Plane" }, kb.Find("plane").Names.Take(2));
        Assert.Contains("Pair of pants", kb.Find("Pants").Names);
        Assert.Equal("Office Supplies", kb.Find("Toothbrush").Category);
    }

    [Fact]
    public void Objects_names_categories_and_order_are_upstreams()
    {
        // LMRL-Gym's DEFAULT_OBJECT_DICT (twenty_questions/env/data.py), in its order: deterministic resets pick
        // seed % 158 from this list, so the order is part of the benchmark.
        var kb = TwentyQuestionsKnowledgeBase.Default;
        Assert.Equal(158, kb.Objects.Count);
        Assert.Equal("Basketball", kb.Objects[0].Name);
        Assert.Equal("Drill", kb.Objects[^1].Name);
        Assert.Equal(new[] { "Airplane", "Plane" }, kb.Objects[34].Names);
        Assert.Equal(new[] { "Pliers", "plier", "Pair of pliers" }, kb.Objects[156].Names);
        foreach (var (name, cat) in new[]
                 {
                     ("Football", "Sports"), ("Soccer ball", "Sports"), ("Helmet", "Sports"), ("Sheep", "Animals"), ("Cantaloupe", "Fruits"),
                     ("Ship", "Vehicles"), ("Boots", "Clothes"), ("Blender", "Electronics"), ("Refrigerator", "Electronics"),
                     ("Trombone", "Musical Instruments"), ("Pillow", "Furniture"), ("Printer", "Office Supplies"), ("Sharpie", "Office Supplies"),
                     ("Key", "Office Supplies"), ("Celery", "Vegetables"), ("Eraser", "Art"), ("Glue stick", "Art"), ("Chopsticks", "Kitchen Tools"),
                     ("Meteorite", "Nature"), ("Sea", "Nature"), ("Lego set", "Toys"), ("Locket", "Jewelry"), ("Gloves", "Garden Supplies"),
                     ("Drill", "Tools"),
                 })
        {
            Assert.Equal(cat, kb.Find(name).Category);
        }
        Assert.NotSame(kb.Find("Football"), kb.Find("Soccer ball"));
        Assert.NotSame(kb.Find("Ocean"), kb.Find("Sea"));
        Assert.Equal(new[] { "Dog" }, kb.Find("Dog").Names); // upstream's variants only: no extra aliases
        Assert.Throws<KeyNotFoundException>(() => kb.Find("Sun"));
    }

    [Fact]
    public void Every_object_is_distinguishable_by_the_question_bank()
    {
        var it = QuestionInterpreter.Default;
        var signatures = it.KnowledgeBase.Objects
            .Select(o => string.Concat(it.QuestionBank.Select(q => it.Answer(o, q) == true ? '1' : '0')))
            .ToList();
        Assert.Equal(signatures.Count, signatures.Distinct().Count());
    }

    [Fact]
    public void Schema_errors_name_the_entry()
    {
        var json = EmbeddedData.ReadText(TwentyQuestionsKnowledgeBase.ResourceName);
        var badTag = json.Replace("\"tags\": [\"mammal\", \"pet\", \"has_fur\"", "\"tags\": [\"mammal\", \"pett\", \"has_fur\"", StringComparison.Ordinal);
        Assert.NotEqual(json, badTag);
        var e = Assert.Throws<KnowledgeBaseException>(() => TwentyQuestionsKnowledgeBase.Parse(badTag, "test.json"));
        Assert.Contains("Cat", e.Message); // the first entry with these tags in upstream's order (Cat, Dog)
        Assert.Contains("pett", e.Message);

        var badSize = json.Replace("\"names\": [\"Cat\"], \"category\": \"Animals\", \"size\": \"small\"",
            "\"names\": [\"Cat\"], \"category\": \"Animals\", \"size\": \"smallish\"", StringComparison.Ordinal);
        Assert.NotEqual(json, badSize);
        Assert.Contains("Cat", Assert.Throws<KnowledgeBaseException>(() => TwentyQuestionsKnowledgeBase.Parse(badSize, "t")).Message);

        var e2 = Assert.Throws<KnowledgeBaseException>(() => TwentyQuestionsKnowledgeBase.Parse("{ \"schema\": 3 ", "broken.json"));
        Assert.Contains("broken.json", e2.Message);
    }
}

public class TwentyQuestionsOracleTests
{
    private static readonly ScriptedTwentyQuestionsOracle Oracle = new();
    private static TwentyQuestionsObject O(string name) => TwentyQuestionsKnowledgeBase.Default.Find(name);

    [Theory]
    [InlineData("Dog", "Is it an animal?", "Yes.")]
    [InlineData("Dog", "Is it a living thing?", "Yes.")]
    [InlineData("Dog", "Is it a mammal?", "Yes.")]
    [InlineData("Dog", "Can it fly?", "No.")]
    [InlineData("Dog", "Is it a pet?", "Yes.")]
    [InlineData("Dog", "Is it a dog?", "Yes.")]
    [InlineData("Dog", "Is it a cat?", "No.")]
    [InlineData("Dog", "Is it bigger than a breadbox?", "Yes.")]
    [InlineData("Dog", "Is it bigger than a car?", "No.")]
    [InlineData("Dog", "Can you eat it?", "No.")]
    [InlineData("Dog", "Is it not an animal?", "No.")]
    [InlineData("River", "Is it an animal?", "No.")]
    [InlineData("River", "Is it an inanimate object?", "Yes.")]
    [InlineData("River", "Is it found outside?", "Yes.")]
    [InlineData("River", "Is it a river?", "Yes.")]
    [InlineData("Banana", "Is it a fruit?", "Yes.")]
    [InlineData("Banana", "Is it yellow?", "Yes.")]
    [InlineData("Banana", "Is it a kind of food?", "Yes.")]
    [InlineData("Banana", "Is it man-made?", "No.")]
    [InlineData("Orange", "Is it orange?", "Yes.")]
    [InlineData("Apple", "Is it orange?", "No.")]
    [InlineData("Apple", "Is it an orange?", "No.")]
    [InlineData("Television", "Is it electronic?", "Yes.")]
    [InlineData("Television", "Is it a TV?", "Yes.")]
    [InlineData("Television", "Does it have a screen?", "Yes.")]
    [InlineData("Airplane", "Is it a plane?", "Yes.")]
    [InlineData("Airplane", "Can it fly?", "Yes.")]
    [InlineData("Airplane", "Is it a vehicle or an animal?", "Yes.")]
    [InlineData("Pants", "Is it a pair of pants?", "Yes.")]
    [InlineData("Pants", "Is it a piece of clothing?", "Yes.")]
    [InlineData("Key", "Is it made of metal?", "Yes.")]
    [InlineData("Key", "Can it fit in your pocket?", "Yes.")]
    [InlineData("Piano", "Is it a musical instrument?", "Yes.")]
    [InlineData("Piano", "Does it have keys?", "Yes.")]
    [InlineData("Scissors", "Is it sharp?", "Yes.")]
    [InlineData("Mountain", "Is it bigger than the earth?", "No.")]
    [InlineData("Meteorite", "Is it found in space?", "Yes.")]
    [InlineData("Pillow", "Is it soft?", "Yes.")]
    [InlineData("Plate", "Is it a tool?", "No.")]
    [InlineData("Gloves", "Can you wear it?", "Yes.")]
    public void Answers_hand_picked_questions(string obj, string question, string expected) =>
        Assert.Equal(expected, Oracle.Answer(O(obj), question));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!!???")]
    [InlineData("asdkjh qweoiu zzxc")]
    [InlineData("The weather is nice today.")]
    [InlineData("Is this a valid question?")]
    public void Garbage_gets_No(string question) => Assert.Equal(TwentyQuestionsAnswers.No, Oracle.Answer(O("Dog"), question));

    [Theory]
    [InlineData("yes", "Yes.")]
    [InlineData("Yes, it is.", "Yes.")]
    [InlineData("  \"YES\"", "Yes.")]
    [InlineData("no", "No.")]
    [InlineData("No.", "No.")]
    [InlineData("maybe", "No.")]
    [InlineData("yesterday", "No.")]
    [InlineData("", "No.")]
    [InlineData(null, "No.")]
    public void Normalizes_oracle_output_like_lmrl_gym(string? raw, string expected) => Assert.Equal(expected, TwentyQuestionsAnswers.Normalize(raw));

    [Theory]
    [InlineData("Is it a dog?", true)]
    [InlineData("Is it a puppy?", false)] // not one of upstream's variants of Dog
    [InlineData("is the object a kind of dog???", true)]
    [InlineData("Is it a dog house?", false)]
    [InlineData("Is it bigger than a dog?", false)]
    [InlineData("Does it chase a dog?", false)]
    public void Guess_check_needs_the_name_at_the_end_and_no_other_nouns(string q, bool names) =>
        Assert.Equal(names, QuestionInterpreter.NamesObject(q, O("Dog")));
}

public class TwentyQuestionsEnvironmentTests
{
    private static TextHistory Ask(TextHistory h, string q) => h.AppendAction(q + "\n");

    [Fact]
    public void Transcript_format_rewards_and_correct_guess()
    {
        var env = new TwentyQuestionsEnvironment();
        var h = env.Reset(TwentyQuestionsKnowledgeBase.Default.Find("River"));
        Assert.Equal("Questions:\n", h.Render());
        var r1 = env.Step(Ask(h, "Is it an animal?"));
        Assert.Equal((-1.0, false), (r1.Reward, r1.Done));
        var r2 = env.Step(Ask(r1.History, "Is it found outside?"));
        var r3 = env.Step(Ask(r2.History, "Is it a river?"));
        Assert.Equal((0.0, true), (r3.Reward, r3.Done));
        Assert.Equal("Questions:\nIs it an animal?\nNo.\nIs it found outside?\nYes.\nIs it a river?\nYes.\n", r3.History.Render());
        Assert.Equal(new[] { false, true, false, true, false, true, false }, r3.History.Items.Select(i => i.IsAction));
        Assert.Throws<InvalidOperationException>(() => env.Step(Ask(r3.History, "Is it a river?")));
    }

    [Fact]
    public void Horizon_is_20_questions_with_return_minus_20()
    {
        var env = new TwentyQuestionsEnvironment();
        var h = env.Reset(TwentyQuestionsKnowledgeBase.Default.Find("Dog"));
        double total = 0;
        for (var i = 1; i <= 20; i++)
        {
            var r = env.Step(Ask(h, "Is it made of glass?"));
            total += r.Reward;
            h = r.History;
            Assert.Equal(i == 20, r.Done);
        }
        Assert.Equal(-20, total);
        Assert.Equal(41, h.Count);
    }

    [Fact]
    public void Invalid_actions_cost_a_question_and_never_throw()
    {
        var env = new TwentyQuestionsEnvironment();
        var h = env.Reset(7);
        foreach (var bad in new[] { "\n", "", "%%%\n", "dog dog dog dog\n", "Is it a dog?\nIs it a cat?\n", new string('x', 5000) })
        {
            var r = env.Step(h.AppendAction(bad));
            Assert.Equal(-1.0, r.Reward);
            Assert.Equal("No.\n", r.History.Last!.Value.Text);
            h = r.History;
        }
        Assert.Throws<ArgumentException>(() => env.Step(h));
    }

    [Fact]
    public void Reset_is_seeded_and_deterministic_option_uses_seed_mod_158()
    {
        var a = new TwentyQuestionsEnvironment();
        var b = new TwentyQuestionsEnvironment();
        a.Reset(42);
        b.Reset(42);
        Assert.Same(a.Secret, b.Secret);
        var det = new TwentyQuestionsEnvironment(options: new TwentyQuestionsOptions { DeterministicWord = true });
        det.Reset(158 + 3);
        Assert.Same(TwentyQuestionsKnowledgeBase.Default.Objects[3], det.Secret);
        var secrets = Enumerable.Range(0, 200).Select(s => { a.Reset(s); return a.Secret!.Name; }).Distinct().Count();
        Assert.True(secrets > 60, $"only {secrets} distinct words over 200 seeds");
    }

    [Fact]
    public void Same_seed_gives_the_same_episode()
    {
        static string Play(int seed) =>
            DialogueTasks.RunEpisode(DialogueTasks.TwentyQuestions, DialogueTasks.CreateEnvironment(DialogueTasks.TwentyQuestions),
                DialogueTasks.CreatePolicy(DialogueTasks.TwentyQuestions, DialoguePolicyKind.Behaviour), seed).History.Render();
        Assert.Equal(Play(5), Play(5));
        Assert.NotEqual(Play(5), Play(6));
    }

    [Fact]
    public void Expert_succeeds_far_more_than_random()
    {
        var expert = DialogueTasks.Evaluate(DialogueTasks.TwentyQuestions, DialoguePolicyKind.Expert, 158, seed: 1);
        var random = DialogueTasks.Evaluate(DialogueTasks.TwentyQuestions, DialoguePolicyKind.Random, 158, seed: 1);
        Assert.True(expert.SuccessRate >= 0.95, expert.ToString());
        Assert.True(expert.AvgReturn > -12.6, expert.ToString()); // better than the paper's "max" constant
        Assert.True(random.SuccessRate <= 0.15, random.ToString());
    }
}
