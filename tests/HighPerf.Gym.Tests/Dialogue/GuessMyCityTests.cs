using HighPerf.Gym.Core;
using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.GuessMyCity;
using HighPerf.Gym.Dialogue.KnowledgeBase;

namespace HighPerf.Gym.Tests.Dialogue;

public class GuessMyCityTests
{
    private static City C(string name) => CityKnowledgeBase.Default.Find(name);
    private static readonly ScriptedCityOracle Oracle = new();

    [Fact]
    public void Loads_100_cities_with_valid_facts()
    {
        var kb = CityKnowledgeBase.Default;
        Assert.Equal(100, kb.Cities.Count);
        Assert.Contains(kb.Cities, c => c.Name == "Seoul"); // the upstream off-by-one that skips Seoul is not replicated
        Assert.Equal("Indonesia", C("Jakarta").Country);
        Assert.Same(C("Mumbai"), C("Bombay"));
        Assert.True(C("Jakarta").IsCapital && C("Jakarta").IsCoastal && !C("Jakarta").Northern);
        Assert.Equal("sao paulo,brazil", C("São Paulo").WordString);
    }

    [Fact]
    public void Cities_are_upstreams_in_rank_order()
    {
        // LMRL-Gym's guess_city/env/global_cities.txt: 100 cities by rank, with its spellings as the names and
        // global_cities_dict.py's spellings (and modern names) as aliases.
        var kb = CityKnowledgeBase.Default;
        Assert.Equal(100, kb.Cities.Count);
        Assert.Equal(new[] { "Seoul", "Sao Paulo", "Bombay", "Jakarta", "Karachi" }, kb.Cities.Take(5).Select(c => c.Name));
        Assert.Equal("Caracas", kb.Cities[^1].Name);
        foreach (var name in new[] { "Bandung", "Bogor", "Yokohama", "Giza", "Izmir", "Budapest", "Quezon City", "Guayaquil", "St Petersburg", "Kinshaha", "Havanna", "Haerbin", "Pyong Yang", "Bucuresti" })
            Assert.Contains(kb.Cities, c => c.Name == name);
        Assert.Same(C("Kinshasa"), C("Kinshaha"));
        Assert.Same(C("Pyongyang"), C("Pyong Yang"));
        Assert.Same(C("Bucharest"), C("Bucuresti"));
        Assert.Same(C("Daegu"), C("Taega"));
        Assert.DoesNotContain(kb.Cities, c => c.Name is "Lagos" or "Dubai" or "Barcelona");
    }

    [Fact]
    public void Schema_errors_name_the_entry()
    {
        var json = EmbeddedData.ReadText(CityKnowledgeBase.ResourceName);
        var bad = json.Replace("\"name\": \"Lima\", \"aliases\": [], \"country\": \"Peru\", \"continent\": \"South America\"",
            "\"name\": \"Lima\", \"aliases\": [], \"country\": \"Peru\", \"continent\": \"Atlantis\"", StringComparison.Ordinal);
        Assert.NotEqual(json, bad);
        var e = Assert.Throws<KnowledgeBaseException>(() => CityKnowledgeBase.Parse(bad, "cities.json"));
        Assert.Contains("Lima", e.Message);
        Assert.Contains("Atlantis", e.Message);
    }

    [Theory]
    [InlineData("Jakarta", "Is your hometown located near a coastline or body of water?", "Yes, my city is on the coast")]
    [InlineData("Jakarta", "What is your favorite traditional dish from your hometown?", "My favorite traditional dish from my hometown is nasi goreng")]
    [InlineData("Jakarta", "Is the city you are from Jakarta?", "Yes, the city I am from is Jakarta.")]
    [InlineData("Jakarta", "Is your city in Asia?", "Yes")]
    [InlineData("Jakarta", "Is your city in Europe?", "No")]
    [InlineData("Jakarta", "Is your city in the Southern Hemisphere?", "Yes")]
    [InlineData("Paris", "Is your city in the Southern Hemisphere?", "No")]
    [InlineData("Paris", "Is there a river in your city?", "Yes, the Seine river")]
    [InlineData("Paris", "Do people in your city speak French?", "Yes")]
    [InlineData("Paris", "Is your city the capital of its country?", "Yes")]
    [InlineData("Paris", "Is your city Rome?", "No, I am not from Rome.")]
    [InlineData("Chicago", "Does your city have a population of more than 20 million?", "No")]
    [InlineData("Tokyo", "Does your city have a population of more than 20 million?", "Yes")]
    [InlineData("Moscow", "Does it snow in winter?", "Yes")]
    [InlineData("Pyong Yang", "Is your city in South Korea?", "No")]
    [InlineData("Taega", "Is your city in North Korea?", "No")]
    [InlineData("Taega", "Is your city in Korea?", "Yes")]
    [InlineData("Cairo", "What country are you from?", "I'd rather not say which country, but my city is in Africa.")]
    public void Answers_free_text_questions(string city, string question, string expectedPrefix) =>
        Assert.StartsWith(expectedPrefix, Oracle.Answer(C(city), question));

    [Fact]
    public void Oracle_never_names_the_city_before_it_is_guessed()
    {
        var questions = GuessMyCityPolicies.OpenBank.Concat(GuessMyCityPolicies.YesNoBank(CityKnowledgeBase.Default))
            .Concat(new[] { "What is the name of your city?", "Which river flows through your city?", "Tell me everything." });
        foreach (var city in CityKnowledgeBase.Default.Cities)
        {
            foreach (var q in questions)
            {
                if (city.IsMentionedIn(q)) continue;
                var a = Oracle.Answer(city, q);
                Assert.False(city.IsMentionedIn(a), $"{city.Name}: '{q}' → '{a}'");
                Assert.DoesNotContain(city.Country, a.Contains("is in " + city.Country, StringComparison.Ordinal) && !q.Contains(city.Country, StringComparison.Ordinal) ? a : "");
            }
        }
    }

    private sealed class LeakyOracle : IDialogueSimulator<City>
    {
        public string Respond(City secret, IReadOnlyList<DialogueTurn> conversation) => $"I live in {secret.Name}, obviously.\nSecond line";
    }

    [Fact]
    public void Environment_applies_anti_leak_and_checks_guesses()
    {
        var env = new GuessMyCityEnvironment(new LeakyOracle());
        var h = env.Reset(C("Giza"));
        Assert.Equal("Questions:\n", h.Render());
        var r = env.Step(h.AppendAction("Where do you live?\n"));
        Assert.Equal(CityAnswers.CannotAnswer + "\n", r.History.Last!.Value.Text);
        Assert.Equal((-1.0, false), (r.Reward, r.Done));
        var g = env.Step(r.History.AppendAction("Is the city you are from giza?\n"));
        Assert.Equal((0.0, true), (g.Reward, g.Done));
        Assert.Equal("I live in Giza, obviously. Second line\n", g.History.Last!.Value.Text);
    }

    [Fact]
    public void Transcript_horizon_and_invalid_input()
    {
        var env = new GuessMyCityEnvironment();
        var h = env.Reset(C("Jakarta"));
        var r = env.Step(h.AppendAction("Is your hometown located near a coastline or body of water?\n"));
        Assert.Equal("Questions:\nIs your hometown located near a coastline or body of water?\nYes, my city is on the coast and is surrounded by water on one side.\n", r.History.Render());
        h = r.History;
        var total = r.Reward;
        for (var i = 2; i <= 20; i++)
        {
            var s = env.Step(h.AppendAction(i % 2 == 0 ? "\n" : "zzz qqq\n"));
            Assert.Equal(-1.0, s.Reward);
            Assert.Equal(i == 20, s.Done);
            total += s.Reward;
            h = s.History;
        }
        Assert.Equal(-20, total);
    }

    [Fact]
    public void Expert_succeeds_far_more_than_random_and_is_deterministic()
    {
        var expert = DialogueTasks.Evaluate(DialogueTasks.GuessMyCity, DialoguePolicyKind.Expert, 100, seed: 3);
        var random = DialogueTasks.Evaluate(DialogueTasks.GuessMyCity, DialoguePolicyKind.Random, 100, seed: 3);
        Assert.True(expert.SuccessRate >= 0.95, expert.ToString());
        Assert.True(expert.AvgReturn > -8.56, expert.ToString()); // better than the paper's "max" constant
        Assert.True(random.SuccessRate <= 0.2, random.ToString());
        Assert.Equal(expert, DialogueTasks.Evaluate(DialogueTasks.GuessMyCity, DialoguePolicyKind.Expert, 100, seed: 3));
    }
}
