using Orleans.Concurrency;

namespace Mdl.Functions;

/// <summary>Answers "which functions are there, and how are they doing" for the API, the SDK and the CLI.</summary>
[StatelessWorker]
internal sealed class FunctionCatalogGrain(FunctionCatalog catalog) : Grain, IFunctionCatalogGrain
{
    /// <inheritdoc />
    public async Task<FunctionInfo[]> ListAsync()
    {
        var rows = catalog.Names.Select(async name => new FunctionInfo
        {
            Descriptor = catalog.Find(name)!,
            Stats = await GrainFactory.GetGrain<IFunctionStatsGrain>(name).GetAsync(),
        });
        return await Task.WhenAll(rows);
    }
}
