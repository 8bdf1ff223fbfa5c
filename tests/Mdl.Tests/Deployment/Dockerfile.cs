using System.Text.Json;
using Mdl.Tests.Support;

namespace Mdl.Tests.Deployment;

/// <summary>One instruction of a Dockerfile (<c>COPY a b</c>), in the build stage it belongs to.</summary>
public sealed record DockerInstruction(string Stage, string Keyword, string Arguments)
{
    /// <summary>The arguments of the exec (JSON array) form, e.g. <c>ENTRYPOINT ["dotnet", "x.dll"]</c>.</summary>
    public IReadOnlyList<string> ExecForm() =>
        JsonSerializer.Deserialize<string[]>(Arguments) ?? throw new InvalidOperationException($"{Keyword} {Arguments} is not in exec form.");

    /// <summary>The arguments split on whitespace.</summary>
    public IReadOnlyList<string> Words() => Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// The repository's Dockerfile read as instructions, enough to check it against the code without a Docker engine:
/// comments dropped, continuation lines joined, each instruction tagged with its stage (the <c>AS</c> name of its <c>FROM</c>).
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> instructions) => Instructions = instructions;

    /// <summary>Every instruction in order.</summary>
    public IReadOnlyList<DockerInstruction> Instructions { get; }

    /// <summary>The stage names in order; the last one is the image that runs.</summary>
    public IReadOnlyList<string> Stages => Instructions.Where(i => i.Keyword == "FROM").Select(i => i.Stage).ToList();

    /// <summary>The image that runs: the last stage.</summary>
    public string FinalStage => Stages[^1];

    /// <summary>Reads the repository's <c>Dockerfile</c>.</summary>
    public static Dockerfile Load() => Parse(RepositoryFiles.Read("Dockerfile"));

    /// <summary>Parses Dockerfile text.</summary>
    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var stage = "";
        var pending = "";
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var whole = (pending + line).Trim();
            pending = "";
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : whole[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                stage = words.Length >= 3 && words[^2].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[^1] : $"stage{instructions.Count}";
            }

            instructions.Add(new DockerInstruction(stage, keyword, arguments));
        }

        return new Dockerfile(instructions);
    }

    /// <summary>The instructions with <paramref name="keyword"/>, optionally only in <paramref name="stage"/>.</summary>
    public IEnumerable<DockerInstruction> All(string keyword, string? stage = null) =>
        Instructions.Where(i => i.Keyword == keyword && (stage is null || i.Stage == stage));

    /// <summary>The image a stage starts from, e.g. <c>mcr.microsoft.com/dotnet/aspnet:10.0</c>.</summary>
    public string BaseImage(string stage) => All("FROM", stage).Single().Words()[0];
}
