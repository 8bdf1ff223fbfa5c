using System.Text.Json;
using System.Xml.Linq;
using Mdl.Silo.Hosting;
using Mdl.Tests.Support;

namespace Mdl.Tests.Deployment;

/// <summary>
/// The Dockerfile checked against the code without a Docker engine: what it builds, runs, exposes and copies.
/// </summary>
public sealed class DockerfileTests
{
    private const string SiloProject = "src/Silo/Silo.csproj";

    private readonly Dockerfile _dockerfile = Dockerfile.Load();

    [Fact]
    public void Parser_reads_stages_continuations_and_exec_form()
    {
        var parsed = Dockerfile.Parse("""
            # comment
            FROM a:1 AS build
            RUN one \
                two
            FROM b:2 AS runtime
            ENTRYPOINT ["dotnet", "x.dll"]
            """);

        Assert.Equal(["build", "runtime"], parsed.Stages);
        Assert.Equal("one  two", parsed.All("RUN", "build").Single().Arguments);
        Assert.Equal(["dotnet", "x.dll"], parsed.All("ENTRYPOINT", "runtime").Single().ExecForm());
        Assert.Equal("b:2", parsed.BaseImage("runtime"));
    }

    [Fact]
    public void Entrypoint_runs_the_silos_assembly()
    {
        var assembly = ProjectProperty(SiloProject, "AssemblyName");
        var entrypoint = _dockerfile.All("ENTRYPOINT", _dockerfile.FinalStage).Single().ExecForm();

        Assert.Equal(["dotnet", $"{assembly}.dll"], entrypoint);
        Assert.Contains(_dockerfile.All("RUN"), r => r.Arguments.StartsWith($"dotnet publish {SiloProject} ", StringComparison.Ordinal));
    }

    [Fact]
    public void Image_runs_as_a_numeric_non_root_user()
    {
        var user = _dockerfile.All("USER", _dockerfile.FinalStage).LastOrDefault()?.Arguments;

        Assert.NotNull(user);
        Assert.True(int.TryParse(user, out var uid), $"USER {user} is not numeric: Kubernetes's runAsNonRoot cannot verify a user name");
        Assert.NotEqual(0, uid);
    }

    [Fact]
    public void Image_exposes_the_silos_ports()
    {
        var defaults = new MdlSiloOptions();
        var exposed = _dockerfile.All("EXPOSE", _dockerfile.FinalStage).SelectMany(e => e.Words()).Select(int.Parse).Order();

        Assert.Equal(new[] { defaults.HttpPort, defaults.SiloPort, defaults.GatewayPort }.Order(), exposed);
    }

    [Fact]
    public void Build_uses_an_SDK_global_json_accepts_and_runs_on_the_target_frameworks_runtime()
    {
        using var globalJson = JsonDocument.Parse(RepositoryFiles.Read("global.json"));
        var sdk = globalJson.RootElement.GetProperty("sdk");
        var wanted = Version.Parse(sdk.GetProperty("version").GetString()!);
        var rollForward = sdk.TryGetProperty("rollForward", out var policy) ? policy.GetString() : "latestPatch";
        var image = Version.Parse(Tag(_dockerfile.BaseImage(_dockerfile.Stages[0])));

        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", _dockerfile.BaseImage(_dockerfile.Stages[0]), StringComparison.Ordinal);
        Assert.True(image >= wanted && (image.Major, image.Minor) == (wanted.Major, wanted.Minor), $"SDK image {image} does not satisfy global.json's {wanted}");
        if (rollForward is "patch" or "latestPatch")
        {
            Assert.Equal(wanted.Build / 100, image.Build / 100);
        }

        var framework = XDocument.Load(RepositoryFiles.PathOf("Directory.Build.props")).Descendants("TargetFramework").Single().Value;
        Assert.Equal($"mcr.microsoft.com/dotnet/aspnet:{framework.Replace("net", "", StringComparison.Ordinal)}", _dockerfile.BaseImage(_dockerfile.FinalStage));
    }

    [Fact]
    public void Restore_copies_every_project_the_silo_needs_and_the_shared_build_files()
    {
        var copied = _dockerfile.All("COPY", _dockerfile.Stages[0]).SelectMany(c => c.Words()).ToHashSet(StringComparer.Ordinal);
        var needed = ProjectClosure(SiloProject).Concat(["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig"]).ToList();

        Assert.Contains("src/Grains.Interfaces/Grains.Interfaces.csproj", needed);
        Assert.All(needed, file => Assert.True(copied.Contains(file), $"the Dockerfile does not copy {file} before restoring"));
    }

    [Fact]
    public void Dockerignore_keeps_host_build_output_out_of_the_image()
    {
        var ignored = IgnoreEntries(RepositoryFiles.Read(".dockerignore"));

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.DoesNotContain("src/", ignored);
    }

    /// <summary>The patterns of a <c>.dockerignore</c>: its non-empty, non-comment lines.</summary>
    private static IReadOnlyList<string> IgnoreEntries(string text) =>
        text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    private static string Tag(string image) => image[(image.LastIndexOf(':') + 1)..];

    private static string ProjectProperty(string project, string name) =>
        XDocument.Load(RepositoryFiles.PathOf(project)).Descendants(name).Single().Value;

    /// <summary>The project and every project it references, transitively, as repository-relative paths with '/'.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(RepositoryFiles.PathOf(current))!;
            foreach (var reference in XDocument.Load(RepositoryFiles.PathOf(current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(RepositoryFiles.Root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }
}
