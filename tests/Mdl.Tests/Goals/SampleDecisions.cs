using System.Text.Json;
using Mdl.Decisions;

namespace Mdl.Tests.Goals;

/// <summary>Decision records for the tests of how decisions are held and stored.</summary>
internal static class SampleDecisions
{
    /// <summary>A succeeded call's outcome.</summary>
    public static ActionOutcome Outcome => new() { Status = OutcomeStatus.Succeeded, DurationMs = 3 };

    /// <summary>Decision <paramref name="seq"/> of goal "g", with its arguments and a candidate; settled when <paramref name="outcome"/>.</summary>
    public static DecisionRecord Decision(long seq, bool outcome = false) => new()
    {
        Seq = seq,
        GoalId = "g",
        Chosen = "f",
        Reason = $"gap {seq}",
        Candidates = [new CandidateEvaluation { Function = "f", Utility = 0.5 }],
        Arguments = JsonDocument.Parse($$"""{"n":{{seq}}}""").RootElement.Clone(),
        Outcome = outcome ? Outcome : null,
    };

    /// <summary>The record as the HTTP API shows it: what two records must agree on to be the same decision.</summary>
    public static string AsJson(DecisionRecord record) => JsonSerializer.Serialize(record, MdlJson.Options);
}
