using Mdl.Decisions;

namespace Mdl.Tests.Decisions;

/// <summary>
/// <c>test.slow</c>: decides as the scoring policy does, after <see cref="Pause"/>, as a policy that asks a model or a
/// service would. A goal that names it decides asynchronously.
/// </summary>
public sealed class SlowPolicy : IDecisionPolicy
{
    /// <summary>The policy's name.</summary>
    public const string PolicyName = "test.slow";

    /// <summary>How long each decision takes.</summary>
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(150);

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public async ValueTask<DecisionProposal> DecideAsync(DecisionContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(Pause, cancellationToken);
        return ScoringPolicy.Decide(context);
    }
}
