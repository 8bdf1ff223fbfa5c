using Mdl.Functions;
using Mdl.Goals;

namespace Mdl.Decisions;

/// <summary>
/// The Decide step as a pluggable service: given a goal's projected metrics and its candidate functions, propose
/// what to call. The scoring policy is the default; a C#-coded policy per goal kind, or a model-backed one, plugs in here.
/// </summary>
public interface IDecisionPolicy
{
    /// <summary>The name goal definitions use to pick this policy (<c>policy.name</c>).</summary>
    string Name { get; }

    /// <summary>Proposes a decision. Must record every candidate, scored or excluded with a reason.</summary>
    ValueTask<DecisionProposal> DecideAsync(DecisionContext context, CancellationToken cancellationToken);
}

/// <summary>What a policy sees.</summary>
/// <param name="GoalId">The deciding goal.</param>
/// <param name="Definition">Its definition.</param>
/// <param name="Projected">Metric values once pending actions' expected effects land (null = unknown).</param>
/// <param name="Candidates">Every function the goal is allowed to call, with what is known of it.</param>
/// <param name="SpentLastDay">What the goal spent in the last 24 hours, reserved calls included.</param>
public sealed record DecisionContext(
    string GoalId,
    GoalDefinition Definition,
    IReadOnlyDictionary<string, double?> Projected,
    IReadOnlyList<CandidateFunction> Candidates,
    double SpentLastDay);

/// <summary>A function a goal may call, with its live health and the effect corrections the goal has learnt for it.</summary>
/// <param name="Name">The function's name (kept even when it is missing from the catalog).</param>
/// <param name="Descriptor">The descriptor, or null when no silo offers the function any more.</param>
/// <param name="ObservedP95Ms">The recently observed p95 latency, when the function has been called.</param>
/// <param name="CircuitOpen">Whether calls are currently being refused.</param>
/// <param name="Corrections">Per metric, observed ÷ declared effect learnt from past outcomes (absent = 1).</param>
public sealed record CandidateFunction(
    string Name,
    FunctionDescriptor? Descriptor,
    double? ObservedP95Ms,
    bool CircuitOpen,
    IReadOnlyDictionary<string, double> Corrections);

/// <summary>What a policy proposes.</summary>
/// <param name="Candidates">Every candidate's evaluation.</param>
/// <param name="Chosen">The function to call, or null for no action.</param>
/// <param name="Utility">The chosen function's utility.</param>
/// <param name="Reason">Why.</param>
/// <param name="Gaps">The violated objectives' gaps the policy acted on.</param>
public sealed record DecisionProposal(
    CandidateEvaluation[] Candidates,
    string? Chosen,
    double? Utility,
    string Reason,
    Dictionary<string, double> Gaps);
