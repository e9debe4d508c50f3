using System.Text;
using HighPerf.Gym.Dialogue.CarDealer;
using HighPerf.Gym.Dialogue.GuessMyCity;
using HighPerf.Gym.Dialogue.TwentyQuestions;

namespace HighPerf.Gym.Dialogue.Simulators;

/// <summary>Twenty Questions oracle backed by an LLM. The prompt is LMRL-Gym's oracle prompt (spec §2.6) preceded by a
/// system message that turns the knowledge-base entry into instructions, so small models answer consistently with the
/// scripted oracle. Output is normalized with <see cref="TwentyQuestionsAnswers.Normalize"/> ("Yes."/"No.").</summary>
public sealed class LlmTwentyQuestionsOracle(ITextGenerator generator, GenerationOptions? options = null) : IDialogueSimulator<TwentyQuestionsObject>
{
    public GenerationOptions Options { get; } = options ?? new GenerationOptions { MaxTokens = 4 };

    public string Respond(TwentyQuestionsObject secret, IReadOnlyList<DialogueTurn> conversation)
    {
        var question = conversation.Count == 0 ? string.Empty : conversation[^1].Text;
        if (string.IsNullOrWhiteSpace(question)) return TwentyQuestionsAnswers.No;
        return TwentyQuestionsAnswers.Normalize(generator.Generate(Prompt(secret, question), Options));
    }

    /// <summary>The chat prompt for one question.</summary>
    public static IReadOnlyList<ChatTurn> Prompt(TwentyQuestionsObject secret, string question) =>
    [
        new(ChatRole.System, Instructions(secret)),
        new(ChatRole.User,
            "Answer the question about the object truthfully.\n" +
            $"object: ({string.Join(", ", secret.Names)})\n" +
            $"question: {question}\n" +
            "answer (yes or no): "),
    ];

    /// <summary>The knowledge-base entry as oracle instructions.</summary>
    public static string Instructions(TwentyQuestionsObject o)
    {
        var sb = new StringBuilder();
        sb.Append($"You are the oracle in a game of twenty questions. The secret object is \"{o.Name}\"");
        if (o.Names.Count > 1) sb.Append($" (also called {string.Join(", ", o.Names.Skip(1).Select(n => $"\"{n}\""))})");
        sb.Append($". Category: {o.Category}. Size: {o.Size.ToString().ToLowerInvariant()}.");
        sb.Append($" Colors: {string.Join(", ", o.Colors)}.");
        if (o.Materials.Count > 0) sb.Append($" Made of: {string.Join(", ", o.Materials)}.");
        if (o.Where.Count > 0) sb.Append($" Found: {string.Join(", ", o.Where.Select(w => w.Replace('_', ' ')))}.");
        if (o.Uses.Count > 0) sb.Append($" Used for: {string.Join(", ", o.Uses.Select(u => u.Replace('_', ' ')))}.");
        sb.Append($" Properties: {string.Join(", ", o.Tags.Order(StringComparer.Ordinal).Select(t => t.Replace('_', ' ')))}.");
        sb.Append(" Answer every question with exactly one word, yes or no, truthfully for this object.");
        sb.Append(" Answer yes to a guess only if it names this object.");
        return sb.ToString();
    }
}

/// <summary>Guess My City oracle backed by an LLM: a person from the hidden city answers freely from the knowledge-base
/// facts (the paper's open-ended oracle, spec §2.7), with a few-shot example and the rule never to name the city or its
/// country before they are guessed. The environment's anti-leak filter is the final guard.</summary>
public sealed class LlmCityOracle(ITextGenerator generator, GenerationOptions? options = null) : IDialogueSimulator<City>
{
    public GenerationOptions Options { get; } = options ?? new GenerationOptions { MaxTokens = 64 };

    public string Respond(City secret, IReadOnlyList<DialogueTurn> conversation)
    {
        var output = generator.Generate(Prompt(secret, conversation), Options);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return line.Length == 0 ? CityAnswers.NotSure : line;
    }

    public static IReadOnlyList<ChatTurn> Prompt(City city, IReadOnlyList<DialogueTurn> conversation)
    {
        var turns = new List<ChatTurn> { new(ChatRole.System, Instructions(city)) };
        foreach (var t in conversation)
            turns.Add(new ChatTurn(t.Role == DialogueRole.Agent ? ChatRole.User : ChatRole.Assistant, t.Text));
        return turns;
    }

    public static string Instructions(City c) =>
        $"You are playing a guessing game. You are from {c.Name}, {c.Country} (in {c.Continent}). The other player asks questions to guess your home city. " +
        "Answer each question in one friendly sentence, truthfully, using these facts: " +
        $"it is {(c.IsCapital ? "" : "not ")}the capital; it is {(c.IsCoastal ? "" : "not ")}on the coast; about {Math.Round(c.MetroMillions)} million people live there; " +
        $"people speak {string.Join(", ", c.Languages)}; the climate is {c.Climate}; " +
        (c.River is null ? "there is no major river; " : $"the {c.River} river flows through it; ") +
        $"it is {(c.NearMountains ? "" : "not ")}near mountains; landmarks: {string.Join("; ", c.Landmarks)}; typical dishes: {string.Join(", ", c.Dishes)}. " +
        $"Never say the name of the city or the country unless the other player has already said it. If they name {c.Name}, answer \"Yes, the city I am from is {c.Name}.\" " +
        "Example (a different city): Q: What is your favorite traditional dish from your hometown? A: My favorite dish from my hometown is nasi lemak, rice cooked in coconut milk. " +
        "Q: Is your hometown near the coast? A: No, my city is inland, but a river runs through it.";
}

/// <summary>Car Dealer buyer backed by an LLM: the system message carries the buyer profile line of LMRL-Gym's
/// buyer-side format (spec §2.8) and the rule to end the conversation with the Output tag. The seller's lines are user
/// messages, the buyer's own lines assistant messages. A forced decision (the environment's re-prompt at 50 items)
/// asks for the tag alone.</summary>
public sealed class LlmCarBuyer(ITextGenerator generator, GenerationOptions? options = null) : IDialogueSimulator<BuyerPersona>
{
    public GenerationOptions Options { get; } = options ?? new GenerationOptions { MaxTokens = 127 };

    public string Respond(BuyerPersona persona, IReadOnlyList<DialogueTurn> conversation)
    {
        var output = generator.Generate(Prompt(persona, conversation), Options);
        return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public static IReadOnlyList<ChatTurn> Prompt(BuyerPersona persona, IReadOnlyList<DialogueTurn> conversation)
    {
        var turns = new List<ChatTurn> { new(ChatRole.System, Instructions(persona)) };
        var forced = conversation.Count > 0 && conversation[^1].Role == DialogueRole.Simulator;
        var n = forced ? conversation.Count - 1 : conversation.Count;
        for (var i = 0; i < n; i++)
            turns.Add(new ChatTurn(conversation[i].Role == DialogueRole.Agent ? ChatRole.User : ChatRole.Assistant, conversation[i].Text));
        if (forced)
        {
            turns.Add(new ChatTurn(ChatRole.User,
                "The conversation is over. Reply with only your final decision, exactly in one of these forms: " +
                "Output: Decision=Accept MSRP=$<msrp> Buy Price=$<price>  or  Output: Decision=Reject MSRP=$<msrp>"));
        }
        return turns;
    }

    public static string Instructions(BuyerPersona p) =>
        "You are a customer at a car dealership talking to a salesperson. Reply with one short line, in character.\n" +
        $"{p.ProfileLine}\n" +
        $"Haggling style: you {p.Style.Description}.\n" +
        "When you decide, end your line with exactly \"Output: Decision=Accept MSRP=$<msrp> Buy Price=$<price>\" if you buy, " +
        "or \"Output: Decision=Reject MSRP=$<msrp>\" if you walk away, where msrp is the car's list price. Never buy above your budget by much.";
}
