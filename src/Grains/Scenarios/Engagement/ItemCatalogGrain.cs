using Mdl.Storage;

namespace Mdl.Scenarios.Engagement;

/// <summary>The catalog of recommendable items; seeded with a starter set the first time it is read.</summary>
internal sealed class ItemCatalogGrain(
    [PersistentState("catalog", StorageNames.Goals)] IPersistentState<ItemCatalogState> state) : Grain, IItemCatalogGrain
{
    private static readonly CatalogItem[] Starter =
    [
        new("item-1", "Getting started guide"),
        new("item-2", "Weekly digest"),
        new("item-3", "New arrivals"),
        new("item-4", "Staff picks"),
        new("item-5", "Trending now"),
        new("item-6", "Because you liked item-1"),
        new("item-7", "Last chance deals"),
        new("item-8", "Community highlights"),
    ];

    /// <inheritdoc />
    public async Task UpsertAsync(CatalogItem[] items)
    {
        var list = Items();
        foreach (var item in items)
        {
            var index = list.FindIndex(i => i.Id == item.Id);
            if (index >= 0)
            {
                list[index] = item;
            }
            else
            {
                list.Add(item);
            }
        }

        state.State.Items = list;
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<CatalogItem[]> ListAsync() => Task.FromResult(Items().ToArray());

    private List<CatalogItem> Items() => state.State.Items ?? [.. Starter];
}

/// <summary>The catalog's persisted state; null items means "not yet customised: use the starter set".</summary>
[GenerateSerializer, Alias("mdl.ItemCatalogState")]
public sealed class ItemCatalogState
{
    /// <summary>The items.</summary>
    [Id(0)] public List<CatalogItem>? Items { get; set; }
}
