namespace Mdl.Functions;

/// <summary>The functions this silo offers, from the <see cref="IAgentFunction"/>s registered in its services.</summary>
public sealed class FunctionCatalog : IFunctionDirectory
{
    private readonly Dictionary<string, IAgentFunction> _functions;
    private readonly FunctionStatsBook _stats;
    private readonly FunctionResilience _resilience;

    /// <summary>Builds the catalog; two functions with one name are a configuration error.</summary>
    public FunctionCatalog(IEnumerable<IAgentFunction> functions, FunctionStatsBook stats, FunctionResilience resilience)
    {
        _functions = new Dictionary<string, IAgentFunction>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (!_functions.TryAdd(function.Descriptor.Name, function))
            {
                throw new InvalidOperationException($"Two functions are registered as '{function.Descriptor.Name}'.");
            }
        }

        _stats = stats;
        _resilience = resilience;
        Names = _functions.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Names { get; }

    /// <summary>The implementation of <paramref name="name"/>, or null.</summary>
    public IAgentFunction? Get(string name) => _functions.GetValueOrDefault(name);

    /// <inheritdoc />
    public FunctionDescriptor? Find(string name) => _functions.GetValueOrDefault(name)?.Descriptor;

    /// <inheritdoc />
    public FunctionHealth Health(string name) => new(_stats.P95(name), _resilience.IsOpen(name));
}
