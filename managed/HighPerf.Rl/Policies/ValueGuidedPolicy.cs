using HighPerf.Gym.Core;
using HighPerf.Rl.Algorithms;
using HighPerf.Rl.Critics;

namespace HighPerf.Rl.Policies;

/// <summary>Token-level value-guided decoding (spec §4.3/§4.4, ILQL's "advantage-perturbed sampling"): at every action
/// token the sampling logits are π_β's logits + β·(Q(s,·) − V(s)) (or + β·Q without V), computed by the kernels'
/// value-guided adjustment, then sampled at temperature T until the newline token (spec §1.1). Without a critic it
/// samples π_β itself (the BC policies' token-level decoding).
/// <para>It is a <see cref="SamplingPolicy"/> with a logit hook: decoding runs on the batched executor's per-token
/// steps (every episode keeps its KV cache across turns, all live episodes decode together, logits and hidden states —
/// the critic's features — come from the same decode), and each request samples with its own RNG.</para></summary>
public sealed class ValueGuidedPolicy : IBatchTextPolicy, IDisposable
{
    /// <summary>Episodes decoded in parallel (the evaluator's batch size).</summary>
    public const int ParallelSequences = 32;

    private readonly SamplingPolicy _sampler;
    private readonly TokenCritic? _critic;
    private readonly float _beta;
    private readonly bool _useValue;
    private readonly float _temperature;
    private readonly float[] _q;
    private readonly float[] _v = new float[1];

    public ValueGuidedPolicy(PolicyModel policy, TokenCritic? critic, float beta, bool useValue, float temperature = 1f, int maxTokens = 32)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _critic = critic;
        _beta = beta;
        _useValue = useValue;
        _temperature = temperature;
        _q = new float[policy.VocabSize];
        _sampler = new SamplingPolicy(policy.Model, new SamplingPolicyOptions
        {
            MaxResidentConversations = ParallelSequences, Temperature = temperature, MaxActionTokens = maxTokens,
        }, Guided ? Adjust : null);
    }

    private bool Guided => _critic is not null && _beta != 0f;

    /// <summary>The adjusted logits of one state: (logits + β·(minQ − V)) / T, through the kernel.</summary>
    public static float[] AdjustedLogits(ReadOnlySpan<float> policyLogits, ReadOnlySpan<float> qLogits, float v, float beta, float temperature)
    {
        var output = new float[policyLogits.Length];
        KernelOps.ValueGuidedLogits(policyLogits, qLogits, [v], 1, policyLogits.Length, beta, temperature, output);
        return output;
    }

    private void Adjust(ReadOnlySpan<float> feature, ReadOnlySpan<float> logits, Span<float> sampling)
    {
        var critic = _critic!;
        critic.QLogits(feature, -1, _q, critic.Shape.WithValue && _useValue ? _v : []);
        KernelOps.ValueGuidedLogits(logits, _q, [_useValue ? _v[0] : 0f], 1, logits.Length, _beta, _temperature, sampling);
    }

    public IReadOnlyList<string> ActBatch(IReadOnlyList<PolicyRequest> requests) => _sampler.ActBatch(requests);

    public void EndEpisode(int episodeId) => _sampler.EndEpisode(episodeId);

    /// <summary>Generates one action (single request; the conversation of episode id 0 is reused across calls).</summary>
    public string Act(TextHistory history, Random rng) => ActBatch([new PolicyRequest(0, 0, history, rng)])[0];

    public void Dispose() => _sampler.Dispose();
}
