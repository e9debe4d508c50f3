using System.CommandLine;
using HighPerf.Gym.Core;
using HighPerf.Gym.Data;
using Spectre.Console;

namespace HighPerf.Cli.Commands;

/// <summary>`highperf dataset --task T --out F [--episodes N --seed S --filtered-bc]`: generates the task's offline
/// dataset with its behaviour policy, writes JSONL atomically, prints Table-1 statistics (next to the paper's) and
/// stores them in F.stats.json.</summary>
public static class DatasetCommand
{
    public static Command Create()
    {
        var task = GymCommandSupport.TaskOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "Output JSONL file.", Required = true };
        var episodes = GymCommandSupport.EpisodesOption("Number of episodes (default: the task's small-machine size).");
        var seed = GymCommandSupport.SeedOption();
        var filtered = new Option<bool>("--filtered-bc") { Description = "Keep only the episodes the task's filtered-BC rule selects." };
        var command = new Command("dataset", "Generate a task's offline dataset (JSONL, one episode per line).") { task, output, episodes, seed, filtered };
        command.SetAction(parse =>
        {
            var def = GymCommandSupport.ResolveTask(parse, parse.GetValue(task)!);
            if (def is null) return GymCommandSupport.UsageError;
            var o = parse.InvocationConfiguration.Output;
            var path = parse.GetValue(output)!.FullName;
            var n = parse.GetValue(episodes) ?? def.DatasetEpisodes;
            var s = parse.GetValue(seed);
            var stats = new DatasetStatistics();
            IEnumerable<EpisodeRecord> source = def.GenerateDataset(n, s);
            if (parse.GetValue(filtered))
            {
                var all = source.ToList();
                source = def.FilteredBc.Apply(all);
                o.WriteLine($"filtered BC ({def.FilteredBc}): kept {((IReadOnlyList<EpisodeRecord>)source).Count} of {all.Count} episodes");
            }
            try
            {
                if (GymCommandSupport.ShowProgress(parse))
                {
                    AnsiConsole.Progress().Start(ctx =>
                    {
                        var bar = ctx.AddTask($"{def.Name} dataset", maxValue: n);
                        EpisodeJsonl.Write(path, source, e => { stats.Add(e); bar.Increment(1); });
                    });
                }
                else
                {
                    EpisodeJsonl.Write(path, source, stats.Add);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: cannot write '{path}': {ex.Message}");
                return 1;
            }
            AtomicFile.WriteAllText(path + ".stats.json", stats.ToJson(def.Name, def.PaperStatistics));
            o.WriteLine($"wrote {stats.Count} episodes to {path} (seed {s})");
            o.Write(stats.ToText(def.Name, def.PaperStatistics));
            o.WriteLine($"statistics: {path}.stats.json");
            return 0;
        });
        return command;
    }
}
