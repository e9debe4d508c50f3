using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using HighPerf.Llama;
using HighPerf.Llama.Batching;
using HighPerf.Llama.Native;
using HighPerf.Llama.Training;

namespace HighPerf.Bench;

/// <summary>Generated models and the multi-turn workload shared by the llama benchmarks.</summary>
public static class LlamaBenchWorkload
{
    public static readonly string[] Corpus =
    [
        "You are in a maze. There is a wall to the north and a door to the east. Move north. Move south.",
        "Guess my city: is it in Europe? Yes. Is it the capital of France? Yes, it is Paris.",
        "Wordle: the secret word has five letters. Your guess was crane and the feedback is green yellow gray.",
        "The buyer asked the car dealer about the price of the blue car with leather seats.",
        "Twenty questions: is it an animal? No. Is it a vehicle? Yes. Is it a car? Yes.",
    ];

    /// <summary>tiny: 64-d, 2 layers. larger: 384-d, 6 layers, 6 heads (2 KV), n_ff 1024.</summary>
    public static TinyModelSpec Spec(string size) => size switch
    {
        "tiny" => new TinyModelSpec { Seed = 11 },
        "larger" => new TinyModelSpec { Seed = 12, EmbeddingSize = 384, LayerCount = 6, HeadCount = 6, HeadCountKv = 2, FeedForwardSize = 1024 },
        _ => throw new ArgumentException($"unknown model size '{size}'", nameof(size)),
    };

    public static string EnsureModel(string size)
    {
        var dir = Path.Combine(Path.GetTempPath(), "highperf-bench-models");
        var path = Path.Combine(dir, $"llama-{size}.gguf");
        if (!File.Exists(path)) TinyModelFactory.Create(path, Corpus, Spec(size));
        return path;
    }

    /// <summary>The user text of turn t of conversation c (about 12 tokens).</summary>
    public static string UserTurn(int c, int t) => $" Move {(t % 2 == 0 ? "north" : "east")}. Is it a car? {(c % 3 == 0 ? "Yes" : "No")}.";

    /// <summary>(a) naive: one conversation at a time; every turn re-encodes the whole history in a cleared context.</summary>
    public static long Naive(LlamaModel model, LlamaContext ctx, LlamaBatch batch, int conversations, int turns, int genTokens)
    {
        long generated = 0;
        for (int c = 0; c < conversations; c++)
        {
            var history = new List<int> { model.Tokenizer.Bos };
            for (int t = 0; t < turns; t++)
            {
                history.AddRange(model.Tokenizer.Tokenize(UserTurn(c, t), addSpecial: false));
                ctx.ClearMemory();
                int idx = -1;
                for (int at = 0; at < history.Count; at += batch.Capacity)
                {
                    batch.Clear();
                    int n = Math.Min(batch.Capacity, history.Count - at);
                    idx = batch.AddSequence(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history).Slice(at, n), at, 0, outputLast: at + n == history.Count);
                    ctx.Decode(batch);
                }
                for (int g = 0; g < genTokens; g++)
                {
                    int tok = ArgMax(ctx.GetLogits(idx));
                    history.Add(tok);
                    generated++;
                    if (g == genTokens - 1) break;
                    batch.Clear();
                    idx = batch.Add(tok, history.Count - 1, 0, true);
                    ctx.Decode(batch);
                }
            }
        }
        return generated;
    }

    /// <summary>(b) the batched executor: all conversations together, history kept in the KV cache.</summary>
    public static long Batched(BatchedExecutor ex, int conversations, int turns, int genTokens)
    {
        var convs = Enumerable.Range(0, conversations).Select(_ => ex.CreateConversation()).ToArray();
        long generated = 0;
        var opts = new GenerationOptions { MaxTokens = genTokens, StopAtEndOfGeneration = false };
        for (int t = 0; t < turns; t++)
        {
            for (int c = 0; c < conversations; c++) convs[c].Append(UserTurn(c, t), addBos: t == 0);
            foreach (var r in ex.Generate(convs, opts)) generated += r.Tokens.Length;
        }
        foreach (var c in convs) c.Dispose();
        return generated;
    }

    public static int ArgMax(ReadOnlySpan<float> a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}

/// <summary>BenchmarkDotNet: multi-turn rollouts, naive re-encoding vs the batched executor (8 conversations × 8 turns).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class LlamaRolloutBench
{
    private LlamaModel _model = null!;
    private LlamaContext _ctx = null!;
    private LlamaBatch _batch = null!;

    [Params("tiny", "larger")] public string ModelSize { get; set; } = "tiny";
    [Params(8)] public int Conversations { get; set; } = 8;
    [Params(8)] public int Turns { get; set; } = 8;
    public int GenTokens { get; set; } = 16;

    [GlobalSetup]
    public void Setup()
    {
        _model = LlamaModel.Load(LlamaBenchWorkload.EnsureModel(ModelSize));
        _ctx = _model.CreateContext(new LlamaContextOptions { ContextSize = 1024, BatchSize = 512, MicroBatchSize = 512 });
        _batch = new LlamaBatch(512);
    }

    [Benchmark(Baseline = true)]
    public long Naive() => LlamaBenchWorkload.Naive(_model, _ctx, _batch, Conversations, Turns, GenTokens);

    [Benchmark]
    public long Batched()
    {
        using var ex = new BatchedExecutor(_model, new BatchedExecutorOptions { MaxResidentConversations = Conversations, ContextPerConversation = 512 });
        return LlamaBenchWorkload.Batched(ex, Conversations, Turns, GenTokens);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _ctx.Dispose();
        _model.Dispose();
    }
}

/// <summary>
/// Stopwatch harness for the comparisons BenchmarkDotNet cannot do (another process, a native tool): (a) naive vs
/// (b) batched executor vs (c) llama-batched-bench from the same build, and the weighted training step vs
/// llama_opt_epoch. Writes a markdown report. Entry: <c>LlamaComparison.Run(args)</c>
/// (args: --out FILE, --tool PATH to llama-batched-bench, --quick).
/// </summary>
public static class LlamaComparison
{
    public static int Run(string[] args)
    {
        string? Arg(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        bool quick = args.Contains("--quick");
        var tool = Arg("--tool") ?? FindTool();
        var sb = new StringBuilder();
        LlamaNativeLibrary.EnsureInitialized();
        sb.AppendLine($"Machine: {Environment.ProcessorCount} cores, llama.cpp {LlamaNativeLibrary.Version}, threads {LlamaNativeLibrary.DefaultThreads}, planner: {nameof(HighPerf.Kernels.KvBatchPlanner)} ({new HighPerf.Kernels.KvBatchPlanner(1, 1).Backend}, as the executor resolves it).");
        sb.AppendLine($"System: `{LlamaNativeLibrary.SystemInfo.Trim()}`");
        sb.AppendLine();
        int conversations = 8, turns = quick ? 4 : 8, gen = 16;
        sb.AppendLine($"## Multi-turn rollouts: {conversations} conversations × {turns} turns, ~12 user tokens + {gen} generated tokens per turn (greedy)");
        sb.AppendLine();
        sb.AppendLine("| model | (a) naive s | (a) gen tok/s | (b) batched s | (b) gen tok/s | b/a |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var size in new[] { "tiny", "larger" })
        {
            using var model = LlamaModel.Load(LlamaBenchWorkload.EnsureModel(size));
            using var ctx = model.CreateContext(new LlamaContextOptions { ContextSize = 1024, BatchSize = 512, MicroBatchSize = 512 });
            using var batch = new LlamaBatch(512);
            LlamaBenchWorkload.Naive(model, ctx, batch, 1, 1, 2); // warm-up
            var sw = Stopwatch.StartNew();
            long na = LlamaBenchWorkload.Naive(model, ctx, batch, conversations, turns, gen);
            double ta = sw.Elapsed.TotalSeconds;
            using var ex = new BatchedExecutor(model, new BatchedExecutorOptions { MaxResidentConversations = conversations, ContextPerConversation = 512 });
            LlamaBenchWorkload.Batched(ex, 2, 1, 2); // warm-up
            sw.Restart();
            long nb = LlamaBenchWorkload.Batched(ex, conversations, turns, gen);
            double tb = sw.Elapsed.TotalSeconds;
            Line(sb, Inv($"| {size} ({model.ParameterCount / 1e6:F2} M params) | {ta:F2} | {na / ta:F0} | {tb:F2} | {nb / tb:F0} | **{ta / tb:F2}×** |"));
        }
        sb.AppendLine();

        int pp = 128, tg = 32;
        sb.AppendLine($"## Batched generation vs llama-batched-bench (same build; PP {pp}, TG {tg}, B = parallel sequences; generated tokens/s)");
        sb.AppendLine();
        if (tool is null || !File.Exists(tool))
        {
            sb.AppendLine("llama-batched-bench not found (looked in build/native/tools and /tmp/llsrc/llama.cpp/build/bin); (c) not measured.");
        }
        else
        {
            sb.AppendLine($"Tool: `{tool}`");
            sb.AppendLine();
            sb.AppendLine("llama-batched-bench runs with its default unified KV cache (it prints no rows with --no-kv-unified); the executor is measured in both modes.");
            sb.AppendLine();
            sb.AppendLine("| model | B | (c) S_TG t/s | (b) executor, unified KV | b/c | (b) executor, per-sequence KV | b/c |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var size in new[] { "tiny", "larger" })
            {
                var path = LlamaBenchWorkload.EnsureModel(size);
                using var model = LlamaModel.Load(path);
                foreach (int b in new[] { 1, 4, 8 })
                {
                    double c = double.NaN;
                    for (int attempt = 0; attempt < 3 && double.IsNaN(c); attempt++)
                    {
                        try { c = RunTool(tool, path, pp, tg, b); }
                        catch (InvalidOperationException e) { Console.Error.WriteLine($"llama-batched-bench attempt {attempt + 1}: {e.Message[..Math.Min(e.Message.Length, 300)]}"); }
                    }
                    double uni = ExecutorTg(model, pp, tg, b, unified: true);
                    double sep = ExecutorTg(model, pp, tg, b, unified: false);
                    Line(sb, Inv($"| {size} | {b} | {c:F0} | {uni:F0} | **{uni / c:F2}×** | {sep:F0} | {sep / c:F2}× |"));
                }
            }
        }
        sb.AppendLine();
        sb.AppendLine("## Weighted training step vs llama_opt_epoch (same data, tokens/s)");
        sb.AppendLine();
        sb.AppendLine(TrainingComparison(quick));
        var text = sb.ToString();
        Console.WriteLine(text);
        var outPath = Arg("--out");
        if (outPath is not null)
        {
            var tmp = outPath + ".tmp";
            File.WriteAllText(tmp, text);
            File.Move(tmp, outPath, overwrite: true);
        }
        return 0;
    }

    private static void Line(StringBuilder sb, string line)
    {
        sb.AppendLine(line);
        Console.WriteLine(line);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string? FindTool()
    {
        foreach (var p in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "build", "native", "tools", "llama-batched-bench"),
                     "build/native/tools/llama-batched-bench",
                     "/tmp/llsrc/llama.cpp/build/bin/llama-batched-bench",
                 })
            if (File.Exists(p)) return Path.GetFullPath(p);
        return null;
    }

    /// <summary>Runs llama-batched-bench and returns S_TG (generated tokens/s) of its single row.</summary>
    public static double RunTool(string tool, string model, int pp, int tg, int b) => RunToolColumn(tool, model, pp, tg, b, "S_TG t/s");

    /// <summary>Runs llama-batched-bench and returns one column of its single row ("S_TG t/s", "S t/s", ...).</summary>
    public static double RunToolColumn(string tool, string model, int pp, int tg, int b, string column)
    {
        int ctx = Math.Max(2048, (pp + tg + 256) * b);
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-m", model, "-c", ctx.ToString(CultureInfo.InvariantCulture), "-b", "512", "-ub", "512",
                     "-npp", pp.ToString(CultureInfo.InvariantCulture), "-ntg", tg.ToString(CultureInfo.InvariantCulture),
                     "-npl", b.ToString(CultureInfo.InvariantCulture), "-t", LlamaNativeLibrary.DefaultThreads.ToString(CultureInfo.InvariantCulture),
                     })
            psi.ArgumentList.Add(a);
        psi.Environment["GGML_NO_BACKTRACE"] = "1";
        using var p = Process.Start(psi)!;
        var errTask = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var all = output + errTask.Result;
        return ParseColumn(all, column) ?? throw new InvalidOperationException($"llama-batched-bench printed no result row (PP {pp}, TG {tg}, B {b})");
    }

    /// <summary>Parses the S_TG t/s column of the first data row of llama-batched-bench's table.</summary>
    public static double? ParseSTg(string output) => ParseColumn(output, "S_TG t/s");

    /// <summary>Parses one column of the first data row of llama-batched-bench's table.</summary>
    public static double? ParseColumn(string output, string column)
    {
        string[]? header = null;
        foreach (var line in output.Split('\n'))
        {
            if (!line.TrimStart().StartsWith('|')) continue;
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (header is null) { if (cells.Contains(column)) header = cells; continue; }
            if (cells.All(c => Regex.IsMatch(c, "^-+$"))) continue;
            int i = Array.IndexOf(header, column);
            if (i < cells.Length && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return v;
        }
        return null;
    }

    /// <summary>The executor on llama-batched-bench's workload: B conversations with PP-token prompts, then TG steps;
    /// returns generated tokens/s of the generation phase (best of 3).</summary>
    public static double ExecutorTg(LlamaModel model, int pp, int tg, int b, bool unified)
    {
        double best = 0;
        using var ex = new BatchedExecutor(model, new BatchedExecutorOptions { MaxResidentConversations = b, ContextPerConversation = pp + tg + 16, BatchSize = 512, UnifiedKv = unified });
        var rng = new Random(3);
        for (int rep = 0; rep < 3; rep++)
        {
            var convs = Enumerable.Range(0, b).Select(_ => ex.CreateConversation()).ToArray();
            foreach (var c in convs) c.AppendTokens(Enumerable.Range(0, pp).Select(_ => rng.Next(3, model.VocabSize)).ToArray());
            ex.Prefill(convs);
            var sw = Stopwatch.StartNew();
            var res = ex.Generate(convs, new GenerationOptions { MaxTokens = tg, StopAtEndOfGeneration = false });
            double s = sw.Elapsed.TotalSeconds;
            best = Math.Max(best, res.Sum(r => r.Tokens.Length) / s);
            foreach (var c in convs) c.Dispose();
        }
        return best;
    }

    private static unsafe string TrainingComparison(bool quick)
    {
        if (!WeightedTrainer.IsAvailable)
            return "Not measured: the loaded libllama has no `llama_opt_step_weighted` (the HighPerf patch was not in this build).";
        var path = LlamaBenchWorkload.EnsureModel("tiny");
        int seqLen = 256, nSeq = quick ? 4 : 16, epochs = 3;
        var rng = new Random(5);
        using var probe = LlamaModel.Load(path);
        var data = Enumerable.Range(0, nSeq).Select(_ => Enumerable.Range(0, seqLen + 1).Select(_ => rng.Next(3, probe.VocabSize)).ToArray()).ToArray();

        // Weighted step: one step per sequence group of 4 (n_ubatch 256 each), all weights 1.
        double tW;
        using (var m = LlamaModel.Load(path, LlamaModelOptions.Trainable))
        using (var tr = new WeightedTrainer(m, new WeightedTrainerOptions { MaxSequenceLength = seqLen, SequencesPerMicroBatch = 1, LearningRate = 1e-4f }))
        {
            var seqs = data.Select(d => WeightedSequence.FromEpisode(d, Enumerable.Repeat(1f, seqLen).ToArray())).ToArray();
            tr.Step([seqs[0]]);
            var sw = Stopwatch.StartNew();
            for (int e = 0; e < epochs; e++)
                foreach (var s in seqs) tr.Step([s]);
            tW = sw.Elapsed.TotalSeconds;
        }
        // llama_opt_epoch on the same tokens: datapoints of n_ctx = 256, n_batch = n_ubatch = 256.
        double tE;
        using (var m = LlamaModel.Load(path, LlamaModelOptions.Trainable))
        using (var ctx = m.CreateContext(new LlamaContextOptions { ContextSize = seqLen, BatchSize = seqLen, MicroBatchSize = seqLen, KeyType = GgmlType.F32, ValueType = GgmlType.F32, FlashAttention = false }))
        {
            var opt = (GgmlOptOptimizerParamsNative*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(28);
            *opt = NativeMethods.ggml_opt_get_default_optimizer_params(IntPtr.Zero);
            opt->AdamwAlpha = 1e-4f;
            NativeMethods.llama_opt_init(ctx.Ptr, m.Ptr, new LlamaOptParamsNative
            {
                ParamFilter = LlamaNativeLibrary.GetLlamaExport("llama_opt_param_filter_all"),
                GetOptPars = LlamaNativeLibrary.GetGgmlBaseExport("ggml_opt_get_constant_optimizer_params"),
                GetOptParsUserData = (IntPtr)opt,
            });
            using (var warm = new LlamaBatch(2)) { warm.Add(1, 0, 0, true); warm.Add(5, 1, 0, true); ctx.Decode(warm); ctx.ClearMemory(); } // spec §7.3
            var ds = NativeMethods.ggml_opt_dataset_init(26, 26, seqLen, seqLen, nSeq, 1);
            var dd = (int*)NativeMethods.ggml_get_data(NativeMethods.ggml_opt_dataset_data(ds));
            var dl = (int*)NativeMethods.ggml_get_data(NativeMethods.ggml_opt_dataset_labels(ds));
            for (int i = 0; i < nSeq; i++)
                for (int j = 0; j < seqLen; j++) { dd[i * seqLen + j] = data[i][j]; dl[i * seqLen + j] = data[i][j + 1]; }
            var res = NativeMethods.ggml_opt_result_init();
            NativeMethods.llama_opt_epoch(ctx.Ptr, ds, res, IntPtr.Zero, nSeq, IntPtr.Zero, IntPtr.Zero); // warm-up epoch
            var sw = Stopwatch.StartNew();
            for (int e = 0; e < epochs; e++) { NativeMethods.ggml_opt_result_reset(res); NativeMethods.llama_opt_epoch(ctx.Ptr, ds, res, IntPtr.Zero, nSeq, IntPtr.Zero, IntPtr.Zero); }
            tE = sw.Elapsed.TotalSeconds;
            NativeMethods.ggml_opt_result_free(res);
            NativeMethods.ggml_opt_dataset_free(ds);
            System.Runtime.InteropServices.NativeMemory.Free(opt);
        }
        double tokens = (double)epochs * nSeq * seqLen;
        return Inv($"| path | tokens/s |\n|---|---|\n| llama_opt_epoch | {tokens / tE:F0} |\n| weighted step (WeightedTrainer) | {tokens / tW:F0} |\n\nratio weighted/epoch: **{tE / tW:F2}×** ({nSeq} sequences × {seqLen} tokens × {epochs} epochs, tiny model, one sequence per step).");
    }
}
