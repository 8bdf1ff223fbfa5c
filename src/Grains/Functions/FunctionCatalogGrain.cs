using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>Answers "which functions are there, and how are they doing" for the API, the SDK and the CLI.</summary>
[StatelessWorker]
internal sealed class FunctionCatalogGrain(FunctionCatalog catalog, FunctionResilience resilience) : Grain, IFunctionCatalogGrain
{
    /// <inheritdoc />
    public async Task<FunctionInfo[]> ListAsync()
    {
        var rows = catalog.Names.Select(async name => new FunctionInfo
        {
            Descriptor = catalog.Find(name)!,
            // Circuits are per silo: this is the state on the silo answering (stateless workers run where they are called).
            Stats = await GrainFactory.GetGrain<IFunctionStatsGrain>(name).GetAsync() with { Circuit = resilience.Circuit(name) },
        });
        return await Task.WhenAll(rows);
    }
}
