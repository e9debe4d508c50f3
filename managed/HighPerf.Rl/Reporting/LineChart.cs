using System.Globalization;

namespace HighPerf.Rl.Reporting;

/// <summary>One named line of a chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Plots learning curves into a PNG: axes with ticks and labels, one colour per series, a legend.
/// No packages: drawing on <see cref="PngImage"/> with its bitmap font.</summary>
public static class LineChart
{
    private static readonly (byte, byte, byte)[] Palette =
    [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    ];

    /// <summary>Renders panels (one per title) side by side in a grid; each panel gets its own series.</summary>
    public static byte[] Render(IReadOnlyList<(string Title, string XLabel, IReadOnlyList<ChartSeries> Series)> panels, int panelWidth = 480, int panelHeight = 320)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("no panels", nameof(panels));
        var cols = Math.Min(2, panels.Count);
        var rows = (panels.Count + cols - 1) / cols;
        var img = new PngImage(cols * panelWidth, rows * panelHeight, (255, 255, 255));
        for (var i = 0; i < panels.Count; i++)
            DrawPanel(img, (i % cols) * panelWidth, (i / cols) * panelHeight, panelWidth, panelHeight, panels[i].Title, panels[i].XLabel, panels[i].Series);
        return img.EncodePng();
    }

    private static void DrawPanel(PngImage img, int ox, int oy, int w, int h, string title, string xLabel, IReadOnlyList<ChartSeries> series)
    {
        (byte, byte, byte) black = (0, 0, 0), grid = (225, 225, 225);
        int left = ox + 62, right = ox + w - 14, top = oy + 28, bottom = oy + h - 40;
        img.Text(ox + (w - PngImage.TextWidth(title)) / 2, oy + 8, title, black);

        var pts = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (pts.Count == 0)
        {
            img.Text(left + 10, (top + bottom) / 2, "no data", black);
            return;
        }
        double x0 = pts.Min(p => p.X), x1 = pts.Max(p => p.X), y0 = pts.Min(p => p.Y), y1 = pts.Max(p => p.Y);
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
        var pad = 0.05 * (y1 - y0);
        y0 -= pad;
        y1 += pad;
        int Px(double x) => left + (int)Math.Round((x - x0) / (x1 - x0) * (right - left));
        int Py(double y) => bottom - (int)Math.Round((y - y0) / (y1 - y0) * (bottom - top));

        foreach (var t in Ticks(y0, y1, 5))
        {
            var py = Py(t);
            img.Line(left, py, right, py, grid);
            var label = Format(t);
            img.Text(left - 6 - PngImage.TextWidth(label), py - 3, label, black);
        }
        foreach (var t in Ticks(x0, x1, 5))
        {
            var px = Px(t);
            img.Line(px, top, px, bottom, grid);
            var label = Format(t);
            img.Text(px - PngImage.TextWidth(label) / 2, bottom + 6, label, black);
        }
        img.Line(left, top, left, bottom, black);
        img.Line(left, bottom, right, bottom, black);
        img.Text(ox + (w - PngImage.TextWidth(xLabel)) / 2, oy + h - 16, xLabel, black);

        for (var s = 0; s < series.Count; s++)
        {
            var c = Palette[s % Palette.Length];
            var p = series[s].Points.Where(q => double.IsFinite(q.X) && double.IsFinite(q.Y)).ToList();
            for (var i = 1; i < p.Count; i++) img.Line(Px(p[i - 1].X), Py(p[i - 1].Y), Px(p[i].X), Py(p[i].Y), c, 2);
            if (p.Count == 1) img.FillRect(Px(p[0].X) - 2, Py(p[0].Y) - 2, Px(p[0].X) + 2, Py(p[0].Y) + 2, c);
            var ly = top + 4 + s * 11;
            img.FillRect(right - 110, ly + 2, right - 100, ly + 4, c);
            img.Text(right - 96, ly, series[s].Name.Length > 15 ? series[s].Name[..15] : series[s].Name, c);
        }
    }

    /// <summary>"Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi].</summary>
    public static IEnumerable<double> Ticks(double lo, double hi, int target)
    {
        var raw = (hi - lo) / Math.Max(1, target);
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * mag).First(s => s >= raw);
        for (var t = Math.Ceiling(lo / step) * step; t <= hi + 1e-9 * step; t += step) yield return Math.Abs(t) < 1e-12 * step ? 0 : t;
    }

    private static string Format(double v)
    {
        var a = Math.Abs(v);
        if (a >= 1e5 || (a > 0 && a < 1e-3)) return v.ToString("0.#E+0", CultureInfo.InvariantCulture);
        if (a >= 100) return v.ToString("0", CultureInfo.InvariantCulture);
        return v.ToString("0.###", CultureInfo.InvariantCulture);
    }
}
