using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using HighPerf.Kernels;

namespace HighPerf.Bench;

/// <summary>Fills large arrays fast (an LCG, not System.Random) so GlobalSetup of 512 MB stays around a second.</summary>
internal static class Fill
{
    public static void Uniform(Span<float> x, float lo, float hi, uint seed)
    {
        var s = seed * 2654435761u + 1;
        var scale = (hi - lo) / 16777216f;
        for (var i = 0; i < x.Length; i++)
        {
            s = s * 1664525u + 1013904223u;
            x[i] = lo + (s >> 8) * scale;
        }
    }

    /// <summary>Variants present on this machine: managed scalar, TensorPrimitives (when the kernel has one), native CPU, CUDA.</summary>
    public static IEnumerable<string> Variants(bool tensorPrimitives, bool cuda)
    {
        yield return "ManagedScalar";
        if (tensorPrimitives) yield return "TensorPrimitives";
        if (KernelRuntime.IsNativeAvailable) yield return "NativeCpu";
        if (cuda && KernelRuntime.IsCudaAvailable) yield return "Cuda";
    }

    public static KernelBackend Backend(string variant) => variant switch
    {
        "NativeCpu" => KernelBackend.NativeCpu,
        "Cuda" => KernelBackend.Cuda,
        _ => KernelBackend.Managed,
    };
}

/// <summary>DRAM read-bandwidth probe: sum over a 512 MB float array (2x the 260 MB L3 of the build machine).
/// Everything else is reported as a fraction of this.</summary>
[MemoryDiagnoser(false)]
public class MemoryBandwidthBench : IWorkload
{
    private const int N = 128 << 20;  // 128 Mi floats = 512 MiB
    private float[] _x = [];

    [GlobalSetup]
    public void Setup()
    {
        _x = GC.AllocateUninitializedArray<float>(N);
        Fill.Uniform(_x, 0f, 1f, 1);
    }

    /// <summary>Four independent Vector512 accumulators: enough loads in flight to saturate one core's DRAM stream.</summary>
    [Benchmark(Baseline = true)]
    public float SumVector512()
    {
        ReadOnlySpan<float> x = _x;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var i = 0;
        for (; i + 64 <= x.Length; i += 64)
        {
            a0 += Vector512.Create(x.Slice(i, 16));
            a1 += Vector512.Create(x.Slice(i + 16, 16));
            a2 += Vector512.Create(x.Slice(i + 32, 16));
            a3 += Vector512.Create(x.Slice(i + 48, 16));
        }
        var sum = Vector512.Sum(a0 + a1 + a2 + a3);
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    [Benchmark]
    public float SumTensorPrimitives() => TensorPrimitives.Sum<float>(_x);

    public long Items(IReadOnlyDictionary<string, object> p) => N;
    public long Bytes(IReadOnlyDictionary<string, object> p) => 4L * N;
}

/// <summary>Token-level GAE at 64 sequences x 1,024 tokens, ~70 % action tokens in runs (multi-turn shape).</summary>
public class AdvantageBench : IWorkload
{
    private const int Seqs = 64, Len = 1024, N = Seqs * Len;
    private readonly int[] _offsets = Enumerable.Range(0, Seqs + 1).Select(s => s * Len).ToArray();
    private float[] _r = [], _v = [], _lp = [], _ref = [], _a = [], _ret = [], _boot = [];
    private byte[] _m = [], _d = [];

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: false, cuda: true);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    /// <summary>Plain: GAE only (17 B/token). KlK3Whiten: k3 shaping + whitening (25 B + 8 B second pass).</summary>
    [Params("Plain", "KlK3Whiten")]
    public string Config { get; set; } = "Plain";

    [GlobalSetup]
    public void Setup()
    {
        (_r, _v, _lp, _ref, _a, _ret) = (new float[N], new float[N], new float[N], new float[N], new float[N], new float[N]);
        Fill.Uniform(_r, -1, 1, 2);
        Fill.Uniform(_v, -2, 2, 3);
        Fill.Uniform(_lp, -5, 0, 4);
        Fill.Uniform(_ref, -5, 0, 5);
        _m = new byte[N];
        var rng = new Random(6);
        var action = true;
        for (var i = 0; i < N; i++)
        {
            // Runs: action runs of mean ~35, observation runs of mean ~15 tokens.
            if (rng.Next(action ? 35 : 15) == 0) action = !action;
            _m[i] = (byte)(action ? 1 : 0);
        }
        _d = Enumerable.Range(0, Seqs).Select(i => (byte)(i % 2)).ToArray();
        _boot = new float[Seqs];
    }

    [Benchmark]
    public void Gae()
    {
        var o = Config == "Plain" ? new GaeOptions(0.99f, 0.95f) : new GaeOptions(0.99f, 0.95f, KlEstimator.K3, 0.05f, Whiten: true);
        Advantages.Gae(_offsets, _r, _v, _m, _d, _a, _ret, o, _boot, _lp, _ref, Fill.Backend(Variant));
    }

    public long Items(IReadOnlyDictionary<string, object> p) => N;
    public long Bytes(IReadOnlyDictionary<string, object> p) => (string)p["Config"] == "Plain" ? 17L * N : 33L * N;
}

/// <summary>Bellman backups over the same 64 x 1,024 ragged batch: ragged double-Q TD targets, MC returns-to-go,
/// expectile loss + gradient.</summary>
public class BellmanBench : IWorkload
{
    private const int Seqs = 64, Len = 1024, N = Seqs * Len;
    private readonly int[] _offsets = Enumerable.Range(0, Seqs + 1).Select(s => s * Len).ToArray();
    private float[] _r = [], _v1 = [], _v2 = [], _y = [], _w = [], _g = [];
    private byte[] _m = [], _d = [];

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: false, cuda: false);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    [Params("TdRagged", "McReturns", "Expectile")]
    public string Kernel { get; set; } = "TdRagged";

    [GlobalSetup]
    public void Setup()
    {
        (_r, _v1, _v2, _y, _w, _g) = (new float[N], new float[N], new float[N], new float[N], new float[N], new float[N]);
        Fill.Uniform(_r, -1, 1, 7);
        Fill.Uniform(_v1, -2, 2, 8);
        Fill.Uniform(_v2, -2, 2, 9);
        var rng = new Random(10);
        _m = Enumerable.Range(0, N).Select(_ => (byte)(rng.Next(10) < 7 ? 1 : 0)).ToArray();
        _d = new byte[Seqs];
    }

    [Benchmark]
    public float Run()
    {
        var b = Fill.Backend(Variant);
        switch (Kernel)
        {
            case "TdRagged":
                Bellman.TdTargetsRagged(_offsets, _r, _m, _v1, _v2, _d, 0.99f, _y, backend: b);
                return _y[0];
            case "McReturns":
                Bellman.McReturns(_offsets, _r, _m, 0.99f, _y, b);
                return _y[0];
            default:
                return Bellman.Expectile(_v1, _v2, 0.7f, _m, _w, _g, b);
        }
    }

    public long Items(IReadOnlyDictionary<string, object> p) => N;
    public long Bytes(IReadOnlyDictionary<string, object> p) => (string)p["Kernel"] switch
    {
        "TdRagged" => 17L * N,   // r, mask, V1, V2 read; y written
        "McReturns" => 9L * N,   // r, mask read; G written
        _ => 17L * N,            // v, target, mask read; weight, grad written
    };
}

/// <summary>Polyak update over 64 Mi float parameters (2 x 256 MiB, beyond L3): 12 B/param.</summary>
public class PolyakBench : IWorkload
{
    private const int N = 64 << 20;
    private float[] _target = [], _online = [];

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: true, cuda: false);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    [GlobalSetup]
    public void Setup()
    {
        (_target, _online) = (GC.AllocateUninitializedArray<float>(N), GC.AllocateUninitializedArray<float>(N));
        Fill.Uniform(_target, -1, 1, 11);
        Fill.Uniform(_online, -1, 1, 12);
    }

    [Benchmark]
    public void Polyak()
    {
        if (Variant == "TensorPrimitives") TensorPrimitivesKernels.Polyak(_target, _online, 0.005f);
        else Bellman.Polyak(_target, _online, 0.005f, Fill.Backend(Variant));
    }

    public long Items(IReadOnlyDictionary<string, object> p) => N;
    public long Bytes(IReadOnlyDictionary<string, object> p) => 12L * N;
}

/// <summary>Fused log-softmax + gather + entropy over fp32 logits; rows chosen so each invocation streams ~512 MiB
/// (2x L3), i.e. the DRAM-bound regime of a real [tokens x vocab] logits buffer.</summary>
public class VocabBench : IWorkload
{
    private const long TargetBytes = 512L << 20;
    private float[] _logits = [], _lp = [], _ent = [], _lse = [], _scratch = [];
    private int[] _labels = [];
    private int _rows;

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: true, cuda: true);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    [Params(32000, 128256, 151936)]
    public int Vocab { get; set; } = 32000;

    private static int RowsFor(int vocab) => (int)(TargetBytes / (4L * vocab));

    [GlobalSetup]
    public void Setup()
    {
        _rows = RowsFor(Vocab);
        _logits = GC.AllocateUninitializedArray<float>(_rows * Vocab);
        Fill.Uniform(_logits, -8, 8, 13);
        var rng = new Random(14);
        _labels = Enumerable.Range(0, _rows).Select(_ => rng.Next(Vocab)).ToArray();
        (_lp, _ent, _lse) = (new float[_rows], new float[_rows], new float[_rows]);
        _scratch = new float[2 * Vocab];
    }

    [Benchmark]
    public float LogprobEntropy()
    {
        if (Variant == "TensorPrimitives")
            TensorPrimitivesKernels.VocabStats(_logits, _rows, Vocab, Vocab, _labels, 1f, _lp, _ent, _lse, _scratch);
        else
            Vocabulary.Stats(_logits, _rows, Vocab, _labels, _lp, _ent, _lse, 1f, 0, Fill.Backend(Variant));
        return _lp[0];
    }

    public long Items(IReadOnlyDictionary<string, object> p) => RowsFor((int)p["Vocab"]);
    public long Bytes(IReadOnlyDictionary<string, object> p)
    {
        var v = (int)p["Vocab"];
        return (long)RowsFor(v) * (4L * v + 16);
    }
}

/// <summary>Value-guided logits (logits + beta(Q - V))/T for 64 rows of a 151,936 vocabulary (12 B/logit).</summary>
public class ValueGuidedBench : IWorkload
{
    private const int Rows = 64, V = 151936, N = Rows * V;
    private float[] _x = [], _q = [], _v = [], _o = [];

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: true, cuda: false);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    [GlobalSetup]
    public void Setup()
    {
        (_x, _q, _o) = (new float[N], new float[N], new float[N]);
        Fill.Uniform(_x, -8, 8, 15);
        Fill.Uniform(_q, -1, 1, 16);
        _v = Enumerable.Range(0, Rows).Select(i => i * 0.01f).ToArray();
    }

    [Benchmark]
    public void ValueGuided()
    {
        if (Variant == "TensorPrimitives") TensorPrimitivesKernels.ValueGuidedLogits(_x, _q, _v, Rows, V, 0.5f, 0.7f, _o);
        else Vocabulary.ValueGuidedLogits(_x, _q, _v, Rows, V, 0.5f, 0.7f, _o, Fill.Backend(Variant));
    }

    public long Items(IReadOnlyDictionary<string, object> p) => N;
    public long Bytes(IReadOnlyDictionary<string, object> p) => 12L * N;
}

/// <summary>KV batch planning for 256 live conversations (1-16 pending tokens, some forks/rollbacks), n_batch 2,048.</summary>
public class KvPlannerBench : IWorkload
{
    private const int Conversations = 256, BatchSize = 2048;
    private ConversationState[] _convs = [];
    private BatchBuffers _buffers = new(BatchSize, Conversations);
    private KvBatchPlanner? _planner;

    public IEnumerable<string> Variants() => Fill.Variants(tensorPrimitives: false, cuda: false);

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "NativeCpu";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(17);
        _convs = Enumerable.Range(0, Conversations).Select(i => new ConversationState(i, rng.Next(0, 2000),
            Enumerable.Range(0, rng.Next(1, 17)).Select(_ => rng.Next(32000)).ToArray(),
            ForkParent: i % 16 == 1 ? i - 1 : -1, RollbackTo: i % 16 == 2 ? 0 : -1)).ToArray();
        _buffers = new BatchBuffers(BatchSize, Conversations);
        _planner = new KvBatchPlanner(BatchSize, Conversations, Fill.Backend(Variant));
    }

    [Benchmark]
    public int Plan() => _planner!.Plan(_convs, _buffers);

    public long Items(IReadOnlyDictionary<string, object> p) => Conversations;
    public long Bytes(IReadOnlyDictionary<string, object> p) => 0;
}
