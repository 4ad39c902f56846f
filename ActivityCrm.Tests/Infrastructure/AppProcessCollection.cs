namespace ActivityCrm.Tests.Infrastructure;

/// <summary>
/// Test classes that start several app processes and a browser run one after another (xunit runs the classes
/// of one collection in sequence), so the suite never has all of them starting at once on a small machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AppProcessCollection
{
    public const string Name = "Several app processes";
}
