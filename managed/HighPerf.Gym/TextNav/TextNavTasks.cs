using HighPerf.Gym.Core;
using HighPerf.Gym.Evaluation;

namespace HighPerf.Gym.TextNav;

/// <summary>Task definitions "textnav-fo" and "textnav-po".</summary>
public static class TextNavTasks
{
    public static TaskDefinition FullyObserved() => Create(true);

    public static TaskDefinition PartiallyObserved() => Create(false);

    private static TaskDefinition Create(bool fo) => new()
    {
        Name = fo ? "textnav-fo" : "textnav-po",
        Description = fo
            ? "Text-Nav, fully observed: put the stale food into the fridge (8-room house, room and inventory shown, 15 steps)."
            : "Text-Nav, partially observed: as textnav-fo but the room name and inventory are hidden.",
        CreateEnvironment = () => new TextNavEnvironment(fo),
        Policies = new Dictionary<string, PolicyFactory>
        {
            ["random"] = _ => new TextNavRandomPolicy(),
            ["behavior"] = e => new TextNavBehaviorPolicy(e),
            ["expert"] = e => new TextNavExpertPolicy(e),
        },
        Normalization = NormalizationConstants.TextNav,
        FilteredBc = FilteredBcRule.Success,
        // The observation lists the admissible commands: a policy may re-rank them (the CPU presets do).
        ActionCandidates = ActionCandidates.PerState(h => [.. TextNavEnvironment.LastAdmissible(h).Select(c => c + "\n")]),
        EvalEpisodes = 256,
        DatasetEpisodes = 2500,
        PaperDatasetSize = 2500,
        PaperStatistics = new PaperDatasetStatistics(2500, 12.2, 8.77, 0.26, 0.258, 0.424),
    };
}
