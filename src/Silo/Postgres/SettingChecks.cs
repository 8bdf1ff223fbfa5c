namespace Mdl.Silo.Postgres;

/// <summary>Validation shared by the postgres-mode option classes.</summary>
internal static class SettingChecks
{
    /// <summary>One message for each of <paramref name="settings"/> below 1, naming it as <c>Mdl__{section}__{name}</c>.</summary>
    public static IEnumerable<string> AtLeastOne(string section, params (string Name, int Value)[] settings) =>
        settings.Where(s => s.Value < 1).Select(s => $"Mdl__{section}__{s.Name} must be at least 1, not {s.Value}.");
}
