namespace ActivityCrm.Tests.Infrastructure;

/// <summary>The checkout the tests run from: the folder holding ActivityCrm.sln above the test binaries.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ActivityCrm.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ActivityCrm.sln not found above " + AppContext.BaseDirectory);
    }
}
