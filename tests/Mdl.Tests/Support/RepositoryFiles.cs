namespace Mdl.Tests.Support;

/// <summary>The repository's own files, for tests that check sources, manifests or the Dockerfile against the code.</summary>
public static class RepositoryFiles
{
    /// <summary>The repository's root: the folder holding <c>Directory.Packages.props</c> above the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="parts"/> below the root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The text of the file at <paramref name="parts"/> below the root.</summary>
    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Directory.Packages.props above {AppContext.BaseDirectory}: cannot find the repository's files.");
    }
}
