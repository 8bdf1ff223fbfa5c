using System.Collections;
using System.Reflection;
using Mdl.Silo.Hosting;
using Microsoft.Extensions.Configuration;

namespace Mdl.Tests.Deployment;

/// <summary>
/// Reads environment variables the way the silo does: <c>Mdl__ApiKeys__0__Hash</c> is the configuration key
/// <c>Mdl:ApiKeys:0:Hash</c>, bound onto <see cref="MdlSiloOptions"/>. Binding ignores keys that name nothing, so
/// <see cref="NamesAnOption"/> checks the names themselves against the options' properties.
/// </summary>
public static class SiloSettings
{
    /// <summary>The connection string's variable (<c>GetConnectionString("Mdl")</c>).</summary>
    public const string ConnectionStringVariable = "ConnectionStrings__Mdl";

    /// <summary>
    /// Whether <paramref name="variable"/> names a settable leaf of <see cref="MdlSiloOptions"/>: every segment a public
    /// property (case-insensitive, like the binder) or, under a list, an index, ending at a plain value.
    /// </summary>
    public static bool NamesAnOption(string variable)
    {
        var segments = variable.Split("__");
        if (segments is not [MdlSiloOptions.Section, _, ..])
        {
            return false;
        }

        var type = typeof(MdlSiloOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (ListElement(type) is { } element)
            {
                if (!int.TryParse(segment, out var index) || index < 0)
                {
                    return false;
                }

                type = element;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is not { CanWrite: true })
            {
                return false;
            }

            type = property.PropertyType;
        }

        var leaf = Nullable.GetUnderlyingType(type) ?? type;
        return leaf.IsPrimitive || leaf.IsEnum || leaf == typeof(string) || leaf == typeof(decimal);
    }

    /// <summary>The configuration the silo would see from <paramref name="environment"/> (unresolved values left out).</summary>
    public static IConfiguration Configuration(IReadOnlyDictionary<string, string?> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Where(e => e.Value is not null).Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();

    /// <summary>The options the silo would bind from <paramref name="environment"/>.</summary>
    public static MdlSiloOptions Bind(IReadOnlyDictionary<string, string?> environment) =>
        Configuration(environment).GetSection(MdlSiloOptions.Section).Get<MdlSiloOptions>() ?? new MdlSiloOptions();

    private static Type? ListElement(Type type) =>
        type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0] : null;
}
