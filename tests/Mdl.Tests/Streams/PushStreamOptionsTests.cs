using Mdl.Streams;

namespace Mdl.Tests.Streams;

/// <summary>The push stream provider refuses settings that cannot work, naming each one.</summary>
public sealed class PushStreamOptionsTests
{
    [Fact]
    public void Defaults_have_no_problems() => Assert.Empty(new PushStreamOptions().Problems());

    [Fact]
    public void Zero_wait_zero_retry_period_and_no_queues_are_each_named()
    {
        var options = new PushStreamOptions { IdleWait = TimeSpan.Zero, RetryPeriod = TimeSpan.Zero, Queues = 0 };

        var problems = options.Problems().ToList();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("IdleWait", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("RetryPeriod", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Queues", StringComparison.Ordinal));
    }
}
