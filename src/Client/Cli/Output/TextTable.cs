namespace Mdl.Cli;

/// <summary>Compact, left-aligned columns separated by two spaces; the last column is not padded.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; missing cells are blank.</summary>
    public TextTable Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    /// <summary>Whether any row was added.</summary>
    public bool IsEmpty => _rows.Count == 0;

    /// <summary>Writes the header and rows, each line prefixed by <paramref name="indent"/>.</summary>
    public void WriteTo(TextWriter writer, string indent = "")
    {
        var lines = new List<string[]> { headers };
        lines.AddRange(_rows);
        var widths = new int[headers.Length];
        foreach (var line in lines)
        {
            for (var i = 0; i < widths.Length && i < line.Length; i++)
            {
                widths[i] = Math.Max(widths[i], line[i].Length);
            }
        }

        foreach (var line in lines)
        {
            var cells = Enumerable.Range(0, widths.Length)
                .Select(i => i == widths.Length - 1 ? Cell(line, i) : Cell(line, i).PadRight(widths[i]));
            writer.WriteLine(indent + string.Join("  ", cells).TrimEnd());
        }
    }

    private static string Cell(string[] line, int i) => i < line.Length ? line[i] : "";
}
