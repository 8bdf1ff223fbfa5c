using System.Text.Json;
using Mdl.Goals;
using static Mdl.Tests.Goals.TestDefinitions;

namespace Mdl.Tests.Goals;

public sealed class GoalDefinitionValidatorTests
{
    private static Dictionary<string, string[]> Validate(GoalDefinition? definition) =>
        GoalDefinitionValidator.Validate(definition, User55Functions, Policies);

    /// <summary>Asserts that <paramref name="definition"/> fails on <paramref name="field"/> alone and returns its messages.</summary>
    private static string[] OnlyError(GoalDefinition definition, string field)
    {
        var errors = Validate(definition);
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Key);
        Assert.NotEmpty(error.Value);
        Assert.All(error.Value, message => Assert.False(string.IsNullOrWhiteSpace(message)));
        return error.Value;
    }

    [Fact]
    public void Validate_accepts_the_user_55_example_from_the_design()
    {
        var definition = User55();

        Assert.Empty(Validate(definition));
        Assert.Equal(2, definition.Objectives.Length);
        Assert.Equal("notify.push", definition.Metrics[1].Function);
    }

    [Fact]
    public void Validate_names_an_unknown_operator()
    {
        var definition = User55() with { Objectives = [Objective("engagement.score", "=>", 0.6)] };

        var messages = OnlyError(definition, "objectives[0].op");
        Assert.Contains("=>", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_an_objective_on_an_unmapped_metric()
    {
        var definition = User55() with { Objectives = [Objective("engagement.scor", ">=", 0.6)] };

        var messages = OnlyError(definition, "objectives[0].metric");
        Assert.Contains("engagement.scor", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_the_position_of_the_bad_objective()
    {
        var definition = User55() with
        {
            Objectives = [Objective("engagement.score", ">=", 0.6), Objective("notifications.today", "<<", 3)],
        };

        OnlyError(definition, "objectives[1].op");
    }

    [Fact]
    public void Validate_requires_an_objective()
    {
        OnlyError(User55() with { Objectives = [] }, "objectives");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Validate_names_a_weight_that_is_not_positive(double weight)
    {
        OnlyError(User55() with { Objectives = [Objective("engagement.score", ">=", 0.6, weight)] }, "objectives[0].weight");
    }

    [Fact]
    public void Validate_names_a_target_that_is_not_finite()
    {
        OnlyError(User55() with { Objectives = [Objective("engagement.score", ">=", double.PositiveInfinity)] }, "objectives[0].target");
    }

    [Fact]
    public void Validate_names_an_unknown_function()
    {
        var definition = User55() with { AllowedFunctions = ["send.spam", "notify.push"] };

        var messages = OnlyError(definition, "allowedFunctions[0]");
        Assert.Contains("send.spam", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_a_function_listed_twice()
    {
        OnlyError(User55() with { AllowedFunctions = ["notify.push", "notify.push"] }, "allowedFunctions[1]");
    }

    [Fact]
    public void Validate_names_a_negative_budget()
    {
        OnlyError(User55() with { Budget = new GoalBudget { PerDay = -1 } }, "budget.perDay");
    }

    [Fact]
    public void Validate_accepts_a_zero_budget()
    {
        Assert.Empty(Validate(User55() with { Budget = new GoalBudget { PerDay = 0 } }));
    }

    [Theory]
    [InlineData("1 day")]
    [InlineData("PT0S")]
    [InlineData("-P1D")]
    [InlineData("")]
    public void Validate_names_a_bad_window(string window)
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0], definition.Metrics[1] with { Window = window }] };

        OnlyError(definition, "metrics[1].window");
    }

    [Fact]
    public void Validate_names_a_window_on_an_ewma()
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0] with { Window = "PT5M" }, definition.Metrics[1]] };

        OnlyError(definition, "metrics[0].window");
    }

    [Theory]
    [InlineData("ewma")]
    [InlineData("last")]
    [InlineData("sum")]
    [InlineData("min")]
    [InlineData("max")]
    public void Validate_names_a_missing_field_for_an_aggregate_other_than_count(string aggregate)
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0] with { Aggregate = aggregate, Field = null }, definition.Metrics[1]] };

        OnlyError(definition, "metrics[0].field");
    }

    [Fact]
    public void Validate_lets_a_count_go_without_a_field()
    {
        var definition = User55();

        Assert.Null(definition.Metrics[1].Field);
        Assert.Empty(Validate(definition));
    }

    [Fact]
    public void Validate_names_a_field_that_is_not_a_dotted_path()
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0] with { Field = "score..value" }, definition.Metrics[1]] };

        OnlyError(definition, "metrics[0].field");
    }

    [Fact]
    public void Validate_names_an_unknown_aggregate()
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0] with { Aggregate = "median" }, definition.Metrics[1]] };

        OnlyError(definition, "metrics[0].aggregate");
    }

    [Fact]
    public void Validate_names_a_metric_mapped_twice()
    {
        var definition = User55();
        definition = definition with { Metrics = [.. definition.Metrics, definition.Metrics[0] with { Aggregate = "last" }] };

        var messages = OnlyError(definition, "metrics[2].name");
        Assert.Contains("engagement.score", messages[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    public void Validate_names_an_alpha_outside_zero_to_one(double alpha)
    {
        var definition = User55();
        definition = definition with { Metrics = [definition.Metrics[0] with { Alpha = alpha }, definition.Metrics[1]] };

        OnlyError(definition, "metrics[0].alpha");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public void Validate_names_max_in_flight_out_of_range(int maxInFlight)
    {
        OnlyError(User55() with { MaxInFlight = maxInFlight }, "maxInFlight");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void Validate_accepts_max_in_flight_at_its_bounds(int maxInFlight)
    {
        Assert.Empty(Validate(User55() with { MaxInFlight = maxInFlight }));
    }

    [Fact]
    public void Validate_names_a_deadline_that_is_not_positive()
    {
        OnlyError(User55() with { DeadlineMs = 0 }, "deadlineMs");
    }

    [Fact]
    public void Validate_names_an_unknown_policy()
    {
        OnlyError(User55() with { Policy = new DecisionPolicyOptions { Name = "oracle" } }, "policy.name");
    }

    [Fact]
    public void Validate_names_a_negative_cost_weight()
    {
        OnlyError(User55() with { Policy = new DecisionPolicyOptions { CostWeight = -1 } }, "policy.costWeight");
    }

    [Fact]
    public void Validate_names_a_bad_effect_horizon()
    {
        OnlyError(User55() with { EffectHorizon = "ten minutes" }, "effectHorizon");
    }

    [Fact]
    public void Validate_names_a_context_that_is_not_an_object()
    {
        OnlyError(User55() with { Context = JsonDocument.Parse("[1,2]").RootElement.Clone() }, "context");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData(".leading-dot")]
    public void Validate_names_a_bad_kind(string kind)
    {
        OnlyError(User55() with { Kind = kind }, "kind");
    }

    [Fact]
    public void Validate_names_a_bad_topic()
    {
        OnlyError(User55() with { Topics = ["catalog.updates", "bad topic"] }, "topics[1]");
    }

    [Fact]
    public void Validate_names_too_many_topics()
    {
        var topics = Enumerable.Range(0, GoalDefinitionValidator.MaxItems + 1).Select(i => $"t{i}").ToArray();

        OnlyError(User55() with { Topics = topics }, "topics");
    }

    [Fact]
    public void Validate_reports_every_bad_field_at_once()
    {
        var definition = User55() with
        {
            Objectives = [Objective("nope", "=>", 0.6)],
            AllowedFunctions = ["send.spam"],
            Budget = new GoalBudget { PerDay = -5 },
            MaxInFlight = 0,
        };

        var errors = Validate(definition);

        Assert.Equal(
            new[] { "allowedFunctions[0]", "budget.perDay", "maxInFlight", "objectives[0].metric", "objectives[0].op" },
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_refuses_a_missing_definition()
    {
        var error = Assert.Single(Validate(null));

        Assert.Equal("$", error.Key);
    }

    [Fact]
    public void Validate_tolerates_null_lists_from_json()
    {
        var definition = JsonSerializer.Deserialize<GoalDefinition>(
            """{"kind":"k","objectives":null,"metrics":null,"topics":null,"allowedFunctions":null}""", MdlJson.Options)!;

        var errors = Validate(definition);

        Assert.Equal(new[] { "objectives" }, errors.Keys);
    }

    [Theory]
    [InlineData("user-55", true)]
    [InlineData("market.BTC", true)]
    [InlineData("a_b", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("-leading", false)]
    [InlineData("with/slash", false)]
    public void IsName_accepts_letters_digits_dots_dashes_and_underscores(string? name, bool expected)
    {
        Assert.Equal(expected, GoalDefinitionValidator.IsName(name));
    }

    [Fact]
    public void IsName_refuses_names_longer_than_64()
    {
        Assert.True(GoalDefinitionValidator.IsName(new string('a', 64)));
        Assert.False(GoalDefinitionValidator.IsName(new string('a', 65)));
    }
}
