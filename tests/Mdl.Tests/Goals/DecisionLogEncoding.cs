using Mdl.Decisions;
using Mdl.Goals;

namespace Mdl.Tests.Goals;

/// <summary>The tests' way to encode a log: its parts as one array, through a plain serializing function.</summary>
internal static class DecisionLogEncoding
{
    /// <summary>What <see cref="DecisionLog.Encode{TState}"/> yields for <paramref name="serialize"/>, as an array.</summary>
    public static ReadOnlyMemory<byte>[] Encode(this DecisionLog log, Func<DecisionRecord, bool, ReadOnlyMemory<byte>> serialize)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        log.Encode(parts, serialize, static (serialize, record, keep) => serialize(record, keep));
        return [.. parts];
    }
}
