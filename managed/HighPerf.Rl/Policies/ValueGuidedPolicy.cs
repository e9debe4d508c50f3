using HighPerf.Gym.Core;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Policies;

/// <summary>Token-level value-guided decoding (spec §4.3/§4.4, ILQL's "advantage-perturbed sampling"): at every action
/// token the sampling logits are π_β's logits + β·(Q(s,·) − V(s)) (or + β·Q without V), computed by the kernels'
/// value-guided adjustment, then sampled at temperature T until the newline token (spec §1.1). Without a critic it
/// samples π_β itself (the BC policies' token-level decoding).</summary>
public sealed class ValueGuidedPolicy(PolicyModel policy, TokenCritic? critic, float beta, bool useValue, float temperature = 1f, int maxTokens = 32) : IBatchTextPolicy
{
    /// <summary>The adjusted logits of one state: (logits + β·(minQ − V)) / T, through the kernel.</summary>
    public static float[] AdjustedLogits(ReadOnlySpan<float> policyLogits, ReadOnlySpan<float> qLogits, float v, float beta, float temperature)
    {
        var output = new float[policyLogits.Length];
        KernelOps.ValueGuidedLogits(policyLogits, qLogits, [v], 1, policyLogits.Length, beta, temperature, output);
        return output;
    }

    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests)
    {
        var result = new string[requests.Count];
        for (var i = 0; i < requests.Count; i++) result[i] = Act(requests[i].History, requests[i].Rng);
        return result;
    }

    public string Act(TextHistory history, Random rng)
    {
        var tt = TokenTrajectory.FromHistory(history, policy.Tokenizer);
        var tokens = new List<int>(tt.Length + maxTokens + 1);
        if (policy.Bos is { } b) tokens.Add(b);
        tokens.AddRange(tt.Tokens);
        var generated = new List<int>();
        var newline = policy.Model.Tokenizer.NewLine;
        var vocab = policy.VocabSize;
        var q = new float[vocab];
        var v = new float[1];
        for (var step = 0; step < maxTokens; step++)
        {
            var seq = new (ReadOnlyMemory<int>, int[])[] { (tokens.ToArray(), [tokens.Count - 1]) };
            var logits = policy.Outputs(seq, embeddings: false);
            float[] adjusted;
            if (critic is null || beta == 0f)
            {
                adjusted = logits;
                if (temperature != 1f) for (var k = 0; k < adjusted.Length; k++) adjusted[k] /= temperature;
            }
            else
            {
                var h = policy.StateFeatures(seq);
                critic.QLogits(h, -1, q, critic.Shape.WithValue && useValue ? v : []);
                adjusted = AdjustedLogits(logits, q, useValue ? v[0] : 0f, beta, temperature);
            }
            var next = Sampling.SampleSoftmax(adjusted, rng);
            tokens.Add(next);
            if (next == newline) break;
            generated.Add(next);
        }
        return policy.Model.Tokenizer.Detokenize(generated.ToArray()) + "\n";
    }

}
