using HighPerf.Gym.Core;
using HighPerf.Llama;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Policies;

/// <summary>Token-level value-guided decoding (spec §4.3/§4.4, ILQL's "advantage-perturbed sampling"): at every action
/// token the sampling logits are π_β's logits + β·(Q(s,·) − V(s)) (or + β·Q without V), computed by the kernels'
/// value-guided adjustment, then sampled at temperature T until the newline token (spec §1.1). Without a critic it
/// samples π_β itself (the BC policies' token-level decoding).
/// <para>A batch of requests decodes together: every prompt is decoded once into its own KV sequence (packed into
/// shared llama.cpp batches), then each step decodes one new token per unfinished sequence in a single batch, and
/// logits and hidden states (the critic's features) are read from the same decode. Each request samples with its own
/// RNG, so results do not depend on how requests are batched beyond llama.cpp's arithmetic.</para></summary>
public sealed class ValueGuidedPolicy(PolicyModel policy, TokenCritic? critic, float beta, bool useValue, float temperature = 1f, int maxTokens = 32) : IBatchTextPolicy, IDisposable
{
    /// <summary>Sequences decoded in parallel (the evaluator's batch size).</summary>
    public const int ParallelSequences = 32;

    private LlamaContext? _context;

    /// <summary>The adjusted logits of one state: (logits + β·(minQ − V)) / T, through the kernel.</summary>
    public static float[] AdjustedLogits(ReadOnlySpan<float> policyLogits, ReadOnlySpan<float> qLogits, float v, float beta, float temperature)
    {
        var output = new float[policyLogits.Length];
        KernelOps.ValueGuidedLogits(policyLogits, qLogits, [v], 1, policyLogits.Length, beta, temperature, output);
        return output;
    }

    private bool Guided => critic is not null && beta != 0f;

    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var result = new string[requests.Count];
        for (var start = 0; start < requests.Count; start += ParallelSequences)
            Generate(requests, start, Math.Min(ParallelSequences, requests.Count - start), result);
        return result;
    }

    /// <summary>Generates one action (single request).</summary>
    public string Act(TextHistory history, Random rng) => ActBatch([new PolicyRequest(0, 0, history, rng)])[0];

    private sealed class Slot
    {
        public required List<int> Tokens;
        public required Random Rng;
        public int Decoded;          // tokens already in the KV cache
        public int Generated;
        public bool Done;
        public float[]? Logits;      // of the last token
        public float[]? Hidden;
    }

    private void Generate(IReadOnlyList<PolicyRequest> requests, int first, int count, string[] result)
    {
        var slots = new Slot[count];
        var maxLen = 1;
        for (var i = 0; i < count; i++)
        {
            var tokens = policy.PromptTokens(requests[first + i].History, maxTokens);
            slots[i] = new Slot { Tokens = tokens, Rng = requests[first + i].Rng };
            maxLen = Math.Max(maxLen, tokens.Count + maxTokens);
        }
        var ctx = policy.GenerationContext(ref _context, ParallelSequences, maxLen);
        ctx.ClearMemory();
        using var batch = new LlamaBatch(ctx.BatchSize);
        var vocab = policy.VocabSize;
        var width = policy.FeatureWidth;
        var q = new float[vocab];
        var v = new float[1];
        var feature = new float[width];
        var owners = new List<(int Slot, int Index)>();
        while (true)
        {
            // Fill one llama.cpp batch with every slot's undecoded tokens (prompts first time, then one token each).
            batch.Clear();
            owners.Clear();
            for (var i = 0; i < count; i++)
            {
                var s = slots[i];
                while (!s.Done && s.Decoded < s.Tokens.Count && batch.Count < ctx.BatchSize)
                {
                    var last = s.Decoded == s.Tokens.Count - 1;
                    if (last) owners.Add((i, batch.Count));
                    batch.Add(s.Tokens[s.Decoded], s.Decoded, i, last);
                    s.Decoded++;
                }
            }
            if (batch.Count == 0) break;
            ctx.Decode(batch);
            foreach (var (i, index) in owners)
            {
                var s = slots[i];
                s.Logits = ctx.GetLogits(index).ToArray();
                if (Guided) s.Hidden = ctx.GetEmbeddings(index).ToArray();
                Sample(s, q, v, feature);
            }
        }
        for (var i = 0; i < count; i++)
        {
            var s = slots[i];
            var generated = s.Tokens.GetRange(s.Tokens.Count - s.Generated, s.Generated);
            if (generated.Count > 0 && generated[^1] == policy.Model.Tokenizer.NewLine) generated.RemoveAt(generated.Count - 1);
            result[first + i] = policy.Model.Tokenizer.Detokenize(generated.ToArray()) + "\n";
        }
    }

    /// <summary>Samples the next token of a slot whose last token was just decoded; marks it done at the newline or
    /// after <c>maxTokens</c>.</summary>
    private void Sample(Slot s, float[] q, float[] v, float[] feature)
    {
        float[] adjusted;
        if (!Guided)
        {
            adjusted = s.Logits!;
            if (temperature != 1f) for (var k = 0; k < adjusted.Length; k++) adjusted[k] /= temperature;
        }
        else
        {
            var tokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens);
            PolicyModel.ComposeFeature(s.Hidden!, tokens, tokens.Length - 1, feature);
            critic!.QLogits(feature, -1, q, critic.Shape.WithValue && useValue ? v : []);
            adjusted = AdjustedLogits(s.Logits!, q, useValue ? v[0] : 0f, beta, temperature);
        }
        var next = Sampling.SampleSoftmax(adjusted, s.Rng);
        s.Tokens.Add(next);
        s.Generated++;
        if (next == policy.Model.Tokenizer.NewLine || s.Generated >= maxTokens) s.Done = true;
    }


    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
    }
}
