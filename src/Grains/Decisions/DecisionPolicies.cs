using Mdl.Goals;

namespace Mdl.Decisions;

/// <summary>The registered decision policies, and which one a goal uses.</summary>
public sealed class DecisionPolicies
{
    private readonly Dictionary<string, IDecisionPolicy> _policies;

    /// <summary>Collects the policies registered in the silo's services; the scoring policy is always there.</summary>
    public DecisionPolicies(IEnumerable<IDecisionPolicy> policies)
    {
        _policies = new Dictionary<string, IDecisionPolicy>(StringComparer.Ordinal) { [ScoringPolicy.PolicyName] = new ScoringPolicy() };
        foreach (var policy in policies)
        {
            _policies[policy.Name] = policy;
        }

        Names = _policies.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Every policy name.</summary>
    public IReadOnlyCollection<string> Names { get; }

    /// <summary>
    /// The policy for <paramref name="definition"/>: the one it names, else one registered under its kind
    /// (a C#-coded policy per goal kind), else scoring.
    /// </summary>
    public IDecisionPolicy For(GoalDefinition definition) =>
        definition.Policy?.Name is { } name && _policies.TryGetValue(name, out var named) ? named
        : _policies.TryGetValue(definition.Kind, out var byKind) ? byKind
        : _policies[ScoringPolicy.PolicyName];
}
