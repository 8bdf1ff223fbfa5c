using System.Text.Json;
using Mdl.Audit;

namespace Mdl.Tests.Audit;

/// <summary>Masking the fields a definition marks sensitive before they are audited or logged.</summary>
public sealed class SensitiveMaskTests
{
    [Fact]
    public void Mask_replaces_the_value_at_a_dotted_path_and_leaves_the_rest()
    {
        var observation = Json("""{"id":"e1","kind":"user.activity","data":{"email":"ann@example.com","score":0.4}}""");

        var masked = SensitiveMask.Mask(observation, ["data.email"]);

        Assert.Equal("""{"id":"e1","kind":"user.activity","data":{"email":"***","score":0.4}}""", masked.GetRawText());
    }

    [Fact]
    public void Mask_follows_a_longer_path_into_a_decision_record()
    {
        var decision = Json("""{"seq":3,"trigger":{"kind":"user.activity","data":{"email":"ann@example.com","phone":"555"}},"chosen":"notify.push"}""");

        var masked = SensitiveMask.Mask(decision, ["trigger.data.email", "trigger.data.phone"]);

        Assert.Equal("""{"seq":3,"trigger":{"kind":"user.activity","data":{"email":"***","phone":"***"}},"chosen":"notify.push"}""", masked.GetRawText());
    }

    [Fact]
    public void Mask_applies_the_rest_of_a_path_to_every_element_of_arrays_along_the_way()
    {
        var value = Json("""{"data":{"contacts":[{"email":"a@x","name":"A"},{"name":"B"},{"email":"c@x"},"plain",[{"email":"d@x"}]]}}""");

        var masked = SensitiveMask.Mask(value, ["data.contacts.email"]);

        Assert.Equal(
            """{"data":{"contacts":[{"email":"***","name":"A"},{"name":"B"},{"email":"***"},"plain",[{"email":"***"}]]}}""",
            masked.GetRawText());
    }

    [Fact]
    public void Mask_applies_to_each_element_when_the_value_itself_is_an_array()
    {
        var batch = Json("""[{"data":{"email":"a@x"}},{"data":{"email":"b@x"}}]""");

        var masked = SensitiveMask.Mask(batch, ["data.email"]);

        Assert.Equal("""[{"data":{"email":"***"}},{"data":{"email":"***"}}]""", masked.GetRawText());
    }

    [Fact]
    public void Mask_replaces_a_whole_object_array_or_number_at_the_path()
    {
        var value = Json("""{"data":{"card":{"number":"4111","cvc":"123"},"ssn":123456789,"emails":["a@x","b@x"],"keep":true}}""");

        var masked = SensitiveMask.Mask(value, ["data.card", "data.ssn", "data.emails"]);

        Assert.Equal("""{"data":{"card":"***","ssn":"***","emails":"***","keep":true}}""", masked.GetRawText());
    }

    [Fact]
    public void Mask_matches_names_case_insensitively_so_a_differently_cased_field_is_not_leaked()
    {
        var value = Json("""{"Data":{"EMAIL":"ann@example.com"}}""");

        var masked = SensitiveMask.Mask(value, ["data.email"]);

        Assert.Equal("""{"Data":{"EMAIL":"***"}}""", masked.GetRawText());
    }

    [Fact]
    public void Mask_changes_nothing_for_a_path_that_leads_nowhere_or_through_a_non_object()
    {
        var value = Json("""{"data":{"email":"ann@example.com","n":5},"id":"e1"}""");

        var masked = SensitiveMask.Mask(value, ["data.missing", "id.email", "data.n.deeper", "other.email"]);

        Assert.Equal(value.GetRawText(), masked.GetRawText());
    }

    [Fact]
    public void Mask_without_paths_returns_the_value_itself()
    {
        var value = Json("""{ "data" : { "email" : "x" } }""");

        var masked = SensitiveMask.Mask(value, []);

        Assert.Equal(value.GetRawText(), masked.GetRawText());
    }

    [Fact]
    public void Mask_keeps_unicode_readable()
    {
        var value = Json("""{"data":{"name":"Zoë → 東京","email":"z@x"}}""");

        var masked = SensitiveMask.Mask(value, ["data.email"]);

        Assert.Equal("""{"data":{"name":"Zoë → 東京","email":"***"}}""", masked.GetRawText());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("data..email")]
    [InlineData(".email")]
    [InlineData("data.")]
    public void Invalid_paths_are_named_and_refused(string path)
    {
        Assert.NotNull(SensitiveMask.PathProblem(path));
        Assert.Throws<ArgumentException>(() => SensitiveMask.Mask(Json("""{"a":1}"""), [path]));
    }

    [Fact]
    public void Valid_paths_have_no_problem()
    {
        Assert.Null(SensitiveMask.PathProblem("data.email"));
        Assert.Null(SensitiveMask.PathProblem("trigger.data.email"));
        Assert.Null(SensitiveMask.PathProblem("email"));
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
