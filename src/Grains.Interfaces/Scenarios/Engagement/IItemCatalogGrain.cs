namespace Mdl.Scenarios.Engagement;

/// <summary>The items that can be recommended to users (key: catalog name, e.g. <c>default</c>).</summary>
[Alias("mdl.IItemCatalogGrain")]
public interface IItemCatalogGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces items.</summary>
    [Alias("Upsert")]
    Task UpsertAsync(CatalogItem[] items);

    /// <summary>Every item, in insertion order.</summary>
    [Alias("List")]
    Task<CatalogItem[]> ListAsync();
}

/// <summary>An item of the catalog.</summary>
[GenerateSerializer, Immutable, Alias("mdl.CatalogItem")]
public sealed record CatalogItem([property: Id(0)] string Id, [property: Id(1)] string Title);
