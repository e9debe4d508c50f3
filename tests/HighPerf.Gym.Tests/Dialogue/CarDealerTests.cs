using HighPerf.Gym.Core;
using HighPerf.Gym.Dialogue;
using HighPerf.Gym.Dialogue.CarDealer;
using HighPerf.Gym.Dialogue.KnowledgeBase;

namespace HighPerf.Gym.Tests.Dialogue;

public class CarDealerTests
{
    private static readonly CarDealerData Data = CarDealerData.Default;

    private static BuyerPersona Persona(string style = "spec_stickler", int budget = 30000, string personality = "polite") =>
        new(personality, "Honda", "SUV", ["backup camera", "heated seats"], budget, Data.Styles.Single(s => s.Name == style));

    [Fact]
    public void Data_loads_with_the_lmrl_gym_option_lists()
    {
        Assert.Equal(10, Data.Personalities.Count);
        Assert.Equal(13, Data.Brands.Count);
        Assert.Equal(6, Data.Types.Count);
        Assert.Equal(8, Data.Features.Count);
        Assert.Equal(new[] { 10000, 30000, 50000, 70000, 90000 }, Data.Budgets);
        Assert.True(Data.Catalogue.Count >= 60);
        Assert.Equal("Personality: polite. Prefers a Honda SUV with backup camera, heated seats. Budget: $30,000", Persona().ProfileLine);
        var bad = EmbeddedData.ReadText(CarDealerData.ResourceName).Replace("\"model\": \"CR-V\", \"type\": \"SUV\"", "\"model\": \"CR-V\", \"type\": \"hovercraft\"", StringComparison.Ordinal);
        var e = Assert.Throws<KnowledgeBaseException>(() => CarDealerData.Parse(bad, "car.json"));
        Assert.Contains("Honda CR-V", e.Message);
    }

    [Theory]
    [InlineData("Output: Decision=Accept MSRP=$32,000 Buy Price=$29,500", true, 32000, 29500, "")]
    [InlineData("Deal! Output: Decision=Accept MSRP=$32,000 Buy Price=$29,500", true, 32000, 29500, "Deal!")]
    [InlineData("No thanks. Output: Decision=Reject MSRP=$40,000", false, 40000, null, "No thanks.")]
    public void Parses_and_strips_the_output_tag(string line, bool bought, int msrp, int? price, string visible)
    {
        var (o, v) = CarDealerText.ParseOutput(line);
        Assert.Equal(new CarDealerOutcome(bought, msrp, price), o);
        Assert.Equal(visible, v);
        Assert.Null(CarDealerText.ParseOutput("Output: Decision=Maybe MSRP=$1").Outcome);
        Assert.Null(CarDealerText.ParseOutput("Output: Decision=Accept MSRP=30000").Outcome);
        Assert.Equal(new CarDealerOutcome(false, 0, null), CarDealerText.ParseOutput("Output: Decision=Reject MSRP=$0").Outcome);
    }

    [Fact]
    public void Extracts_prices_in_common_notations()
    {
        Assert.Equal(new[] { 31500, 29000, 30000, 28500 }, CarDealerText.Prices("It's $31,500, or $29,000 cash, 30k financed, 28500 dollars if you hurry. 3 years warranty."));
    }

    [Fact]
    public void Rewards_follow_the_spec()
    {
        var p = Persona(budget: 30000);
        Assert.Equal(29500 / 31000.0, CarDealerEnvironment.Reward(p, new CarDealerOutcome(true, 32000, 29500), CarDealerRewardMode.Fancy), 12);
        Assert.Equal(-(30000 - 20000) / 20000.0, CarDealerEnvironment.Reward(p, new CarDealerOutcome(false, 20000, null), CarDealerRewardMode.Fancy), 12);
        Assert.Equal(0.0, CarDealerEnvironment.Reward(p, new CarDealerOutcome(false, 0, null), CarDealerRewardMode.Fancy));
        Assert.Equal(29.5, CarDealerEnvironment.Reward(p, new CarDealerOutcome(true, 32000, 29500), CarDealerRewardMode.Revenue), 12);
        Assert.Equal(0.0, CarDealerEnvironment.Reward(p, new CarDealerOutcome(false, 32000, null), CarDealerRewardMode.Revenue));
    }

    [Fact]
    public void Buyer_negotiates_and_buys_within_budget()
    {
        var env = new CarDealerEnvironment();
        var h = env.Reset(Persona("discount_seeker"));
        Assert.Equal("Start\n", h.Render());
        var r1 = env.Step(h.AppendAction("Good morning! Welcome to our car dealership. How can I assist you today?\n"));
        Assert.Equal("Hi. I'm looking for a Honda SUV with backup camera and heated seats. Can you show me what you have? Thank you.\n", r1.History.Last!.Value.Text);
        Assert.Equal((0.0, false), (r1.Reward, r1.Done));
        var r2 = env.Step(r1.History.AppendAction("We have the Honda CR-V with backup camera and heated seats. It's $30,000. Do we have a deal?\n"));
        Assert.False(r2.Done); // a discount seeker never buys at MSRP
        Assert.Contains("discount", r2.History.Last!.Value.Text);
        var r3 = env.Step(r2.History.AppendAction("I can take 5% off: $28,500. Do we have a deal?\n"));
        Assert.True(r3.Done);
        Assert.Equal(new CarDealerOutcome(true, 30000, 28500), env.Outcome);
        Assert.Equal(28500 / 30000.0, r3.Reward, 12);
        Assert.DoesNotContain("Output:", r3.History.Render());
        Assert.Equal(new[] { false, true, false, true, false, true, false }, r3.History.Items.Select(i => i.IsAction));
    }

    [Fact]
    public void Buyer_walks_away_when_patience_runs_out_and_garbage_never_throws()
    {
        var env = new CarDealerEnvironment();
        var h = env.Reset(Persona("impatient", personality: "rude"));
        StepResult? last = null;
        foreach (var line in new[] { "\n", "asdf\n", "???\n", "\u0000\u0001\n", new string('z', 3000) + "\n", "blah\n", "blah blah\n", "more blah\n", "x\n", "y\n" })
        {
            last = env.Step(h.AppendAction(line));
            h = last.Value.History;
            if (last.Value.Done) break;
        }
        Assert.True(last!.Value.Done);
        Assert.Equal(new CarDealerOutcome(false, 0, null), env.Outcome);
        Assert.Equal(0.0, last.Value.Reward); // msrp == 0 → 0
    }

    [Fact]
    public void Forced_decision_at_the_item_limit()
    {
        var env = new CarDealerEnvironment(options: new CarDealerOptions { MaxItems = 5 });
        var h = env.Reset(Persona("spec_stickler", budget: 50000, personality: "talkative"));
        var r1 = env.Step(h.AppendAction("We have the Honda CR-V for $30,000.\n"));
        Assert.False(r1.Done);
        var r2 = env.Step(r1.History.AppendAction("It has a backup camera and heated seats.\n"));
        Assert.True(r2.Done);
        Assert.Equal(5, r2.History.Count);
        Assert.Equal(new CarDealerOutcome(true, 30000, 30000), env.Outcome); // the buyer takes what is on the table
    }

    [Fact]
    public void Same_seed_same_episode_and_expert_beats_random()
    {
        static string Play(int seed) => DialogueTasks.RunEpisode(DialogueTasks.CarDealer, DialogueTasks.CreateEnvironment(DialogueTasks.CarDealer),
            DialogueTasks.CreatePolicy(DialogueTasks.CarDealer, DialoguePolicyKind.Behaviour), seed).History.Render();
        Assert.Equal(Play(9), Play(9));
        var expert = DialogueTasks.Evaluate(DialogueTasks.CarDealer, DialoguePolicyKind.Expert, 200, 5);
        var random = DialogueTasks.Evaluate(DialogueTasks.CarDealer, DialoguePolicyKind.Random, 200, 5);
        Assert.True(expert.SuccessRate > random.SuccessRate + 0.3, $"{expert} vs {random}");
        Assert.True(expert.AvgReturn > random.AvgReturn + 0.3, $"{expert} vs {random}");
    }
}

public class DialogueTasksTests
{
    [Fact]
    public void Registration_surface()
    {
        Assert.Equal(new[] { "twenty_questions", "guess_my_city", "car_dealer" }, DialogueTasks.All);
        Assert.Equal(20, DialogueTasks.Horizon(DialogueTasks.TwentyQuestions));
        Assert.Equal(0.1, DialogueTasks.FilteredBcTopFraction);
        var n = DialogueTasks.Normalization(DialogueTasks.TwentyQuestions)!.Value;
        Assert.Equal(50, n.Normalize(-17.3), 9);
        Assert.Equal(100, n.Normalize(-12.6), 9);
        Assert.Equal(0, n.Normalize(-20), 9);
        Assert.Equal(0, n.Normalize(-25), 9);
        Assert.Null(DialogueTasks.Normalization(DialogueTasks.CarDealer));
        Assert.Throws<ArgumentException>(() => DialogueTasks.CreateEnvironment("chess"));
        Assert.Throws<ArgumentException>(() => DialogueTasks.CreateEnvironment(DialogueTasks.CarDealer, new TwentyQuestionsOracleStub()));
    }

    [Fact]
    public void Dataset_generation_is_deterministic_with_metadata_and_filtered_bc_keeps_top_10_percent()
    {
        var a = DialogueTasks.GenerateEpisodes(DialogueTasks.TwentyQuestions, 40, seed: 100).ToList();
        var b = DialogueTasks.GenerateEpisodes(DialogueTasks.TwentyQuestions, 40, seed: 100).ToList();
        Assert.Equal(a.Select(e => e.History.Render()), b.Select(e => e.History.Render()));
        Assert.All(a, e =>
        {
            Assert.Equal(e.History.Count, e.ItemRewards.Count);
            Assert.All(e.History.Items.Select((item, i) => (item, i)).Where(x => !x.item.IsAction), x => Assert.Equal(0.0, e.ItemRewards[x.i]));
            Assert.InRange(e.Return, -20, 0);
            Assert.Contains(";", e.Metadata["word"] + ";");
        });
        var top = DialogueTasks.FilterTopByReturn(a);
        Assert.Equal(4, top.Count);
        Assert.True(top.Min(e => e.Return) >= a.OrderByDescending(e => e.Return).ElementAt(3).Return);
        var car = DialogueTasks.GenerateEpisodes(DialogueTasks.CarDealer, 5, seed: 1).ToList();
        Assert.All(car, e => Assert.StartsWith("Personality: ", e.Metadata["buyer_info"]));
    }

    [Fact]
    public void Behaviour_policies_are_comparable_to_the_paper_dataset()
    {
        var q = DialogueTasks.Evaluate(DialogueTasks.TwentyQuestions, DialoguePolicyKind.Behaviour, 300, seed: 1000);
        Assert.InRange(q.SuccessRate, 0.2, 0.5);
        Assert.InRange(q.AvgReturn, -18.5, -16.0);
        var c = DialogueTasks.Evaluate(DialogueTasks.GuessMyCity, DialoguePolicyKind.Behaviour, 200, seed: 1000);
        Assert.InRange(c.SuccessRate, 0.35, 0.7);
        Assert.InRange(c.AvgReturn, -19.5, -17.5);
    }
}
