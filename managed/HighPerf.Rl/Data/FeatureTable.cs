using HighPerf.Rl.Policies;

namespace HighPerf.Rl.Data;

/// <summary>The frozen policy's state features (<see cref="PolicyModel.StateFeatures"/>) for every state the critics read: one row per distinct
/// (segment, position) among the dataset's action-token states and bootstrap states. Computed once (the policy is
/// frozen, DESIGN D4), so critic training never touches the LM again.</summary>
public sealed class FeatureTable
{
    private FeatureTable(float[] features, int width, int[] rowFeature, int[] rowBootstrapFeature)
    {
        Features = features;
        Width = width;
        RowFeature = rowFeature;
        RowBootstrapFeature = rowBootstrapFeature;
    }

    /// <summary>[Count, Width] row-major.</summary>
    public float[] Features { get; }
    public int Width { get; }
    public int Count => Features.Length / Width;

    /// <summary>Feature row of the state of each dataset row.</summary>
    public int[] RowFeature { get; }

    /// <summary>Feature row of each dataset row's bootstrap state (-1 when none).</summary>
    public int[] RowBootstrapFeature { get; }

    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * Width, Width);

    /// <summary>Gathers feature rows into a contiguous [indices.Length, Width] block.</summary>
    public void Gather(ReadOnlySpan<int> indices, Span<float> destination)
    {
        for (var i = 0; i < indices.Length; i++) Row(indices[i]).CopyTo(destination.Slice(i * Width, Width));
    }

    public static FeatureTable Compute(OfflineDataset data, PolicyModel policy)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(policy);
        var perSegment = new Dictionary<int, SortedSet<int>>();
        void Need(int s, int p)
        {
            if (!perSegment.TryGetValue(s, out var set)) perSegment[s] = set = [];
            set.Add(p);
        }
        for (var r = 0; r < data.RowCount; r++)
        {
            Need(data.RowSegment[r], data.RowStatePosition[r]);
            var (bs, bp) = data.RowBootstrap[r];
            if (bs >= 0) Need(bs, bp);
        }
        var segments = perSegment.Keys.Order().ToArray();
        var requests = new List<(ReadOnlyMemory<int>, int[])>(segments.Length);
        var index = new Dictionary<(int, int), int>();
        var next = 0;
        foreach (var s in segments)
        {
            var positions = perSegment[s].ToArray();
            requests.Add((data.Tokens.AsMemory(data.SegmentOffsets[s], data.SegmentOffsets[s + 1] - data.SegmentOffsets[s]), positions));
            foreach (var p in positions) index[(s, p)] = next++;
        }
        var features = policy.StateFeatures(requests);
        var rowFeature = new int[data.RowCount];
        var rowBoot = new int[data.RowCount];
        for (var r = 0; r < data.RowCount; r++)
        {
            rowFeature[r] = index[(data.RowSegment[r], data.RowStatePosition[r])];
            var (bs, bp) = data.RowBootstrap[r];
            rowBoot[r] = bs >= 0 ? index[(bs, bp)] : -1;
        }
        return new FeatureTable(features, policy.FeatureWidth, rowFeature, rowBoot);
    }
}
