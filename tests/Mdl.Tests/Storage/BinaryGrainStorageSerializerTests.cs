using Mdl.Goals;
using Mdl.Storage;
using Mdl.Tests.Support;

namespace Mdl.Tests.Storage;

/// <summary>
/// The pooled serialisation the product's storages write with: the same bytes as Orleans's own, whatever the size of the
/// state before it, which sizes the buffer it starts with.
/// </summary>
public sealed class BinaryGrainStorageSerializerTests
{
    private static readonly BinaryGrainStorageSerializer Serializer = BinaryGrainStorageSerializer.From(ProductSerializer.Services);

    [Fact]
    public void Pooled_bytes_are_the_serializers_own_for_states_smaller_and_larger_than_the_one_before()
    {
        // Small, then far past the first buffer (it grows while writing), then small again (a large buffer to start with).
        foreach (var observations in new[] { 1, 20_000, 3 })
        {
            var state = StateWith(observations);
            var expected = Serializer.Serialize(state).ToArray();

            using var pooled = StateBuffer.Serialize(Serializer, state);

            Assert.Equal(expected, pooled.Memory.ToArray());
            var read = Serializer.Deserialize<GoalState>(new BinaryData(pooled.Memory))!;
            Assert.Equal(observations, read.RecentObservations.Count);
            Assert.Equal(state.ObservationsProcessed, read.ObservationsProcessed);
        }
    }

    [Fact]
    public void A_disposed_buffer_gives_no_bytes()
    {
        var pooled = StateBuffer.Serialize(Serializer, StateWith(2));
        pooled.Dispose();
        pooled.Dispose(); // twice is harmless

        Assert.Throws<ObjectDisposedException>(() => pooled.Memory);
    }

    private static GoalState StateWith(int observations)
    {
        var state = new GoalState { ObservationsProcessed = observations };
        for (var i = 0; i < observations; i++)
        {
            state.RecentObservations.Add(ObservationFingerprint.Of($"obs-{i}"));
        }

        return state;
    }
}
