using Mdl.Goals;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Mdl.Tests.Support;

/// <summary>Orleans's serializer with the product's types and codecs, as a silo has it; built once (scanning assemblies is the slow part).</summary>
public static class ProductSerializer
{
    /// <summary>The services holding it, for typed serializers such as <c>Serializer&lt;DecisionRecord&gt;</c>.</summary>
    public static IServiceProvider Services { get; } = new ServiceCollection()
        .AddSerializer(serializer => serializer
            .AddAssembly(typeof(GoalState).Assembly)
            .AddAssembly(typeof(JsonElementSurrogate).Assembly))
        .BuildServiceProvider();

    /// <summary>The serializer.</summary>
    public static Serializer Serializer { get; } = Services.GetRequiredService<Serializer>();
}
