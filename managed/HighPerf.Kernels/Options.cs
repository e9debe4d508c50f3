namespace HighPerf.Kernels;

/// <summary>Per-token KL estimator of the shaped reward r_t − β·KL_t (d = clamp(logp − ref_logp, ±20)).</summary>
public enum KlEstimator
{
    /// <summary>No KL shaping.</summary>
    None = 0,

    /// <summary>k1 = d.</summary>
    K1 = 1,

    /// <summary>k2 = d²/2.</summary>
    K2 = 2,

    /// <summary>k3 = clamp(e^(−d) + d − 1, ±10) (verl's low_var_kl).</summary>
    K3 = 3,
}

/// <summary>Options of token-level GAE.</summary>
/// <param name="Gamma">Discount per action token, in [0, 1].</param>
/// <param name="Lambda">GAE λ, in [0, 1].</param>
/// <param name="Kl">KL estimator for reward shaping (None: rewards used as given).</param>
/// <param name="KlCoef">β ≥ 0 of r_t − β·KL_t.</param>
/// <param name="Whiten">Whiten advantages over all action tokens of the batch (Bessel-corrected variance).</param>
/// <param name="WhitenEps">ε &gt; 0 in (A − mean)/√(var + ε); 1e-8 as in verl.</param>
public sealed record GaeOptions(float Gamma, float Lambda, KlEstimator Kl = KlEstimator.None, float KlCoef = 0f,
    bool Whiten = false, float WhitenEps = 1e-8f);
