using System.Net;
using Mdl.Silo.Hosting;
using Mdl.Silo.Postgres;
using Orleans.Configuration;

namespace Mdl.Tests.Postgres;

/// <summary>Postgres mode's settings: validated at start with what to set, and applied to Orleans as documented.</summary>
public sealed class PostgresOptionsTests
{
    private static MdlSiloOptions Keyed() => new()
    {
        Storage = StorageModes.Postgres,
        ApiKeys = [new() { Name = "ops", Hash = new string('a', 64), Scopes = ["admin"] }],
    };

    [Fact]
    public void Defaults_are_valid_and_advertise_loopback_outside_a_pod()
    {
        Assert.Empty(Keyed().Problems("Host=db"));
        if (Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is null)
        {
            Assert.Equal(IPAddress.Loopback, Keyed().EffectiveAdvertisedIp);
        }
    }

    [Fact]
    public void A_configured_advertised_ip_is_used_and_a_bad_one_is_refused()
    {
        var options = Keyed();
        options.AdvertisedIp = "10.1.2.3";
        Assert.Equal(IPAddress.Parse("10.1.2.3"), options.EffectiveAdvertisedIp);

        options.AdvertisedIp = "pod-name";
        Assert.Contains(options.Problems("Host=db"), p => p.StartsWith("Mdl__AdvertisedIp must be an IP address", StringComparison.Ordinal));
    }

    [Fact]
    public void Membership_and_stream_settings_below_one_or_votes_that_expire_too_soon_are_refused_by_name()
    {
        var options = Keyed();
        options.Membership.ProbeTimeoutSeconds = 5;
        options.Membership.NumMissedProbesLimit = 4;
        options.Streams.Queues = 0;

        var problems = options.Problems("Host=db").ToList();

        Assert.Contains(problems, p => p.StartsWith("Mdl__Membership__DeathVoteExpirationSeconds (20) must exceed", StringComparison.Ordinal));
        Assert.Contains("Mdl__Streams__Queues must be at least 1, not 0.", problems);
    }

    [Fact]
    public void Embedded_mode_ignores_postgres_settings()
    {
        var options = new MdlSiloOptions { AdvertisedIp = "not-an-ip" };
        options.Streams.Queues = 0;

        Assert.Empty(options.Problems(null));
    }

    [Fact]
    public void Membership_tuning_declares_a_dead_silo_in_seconds_not_minutes()
    {
        var membership = new ClusterMembershipOptions();

        PostgresSiloBuilderExtensions.ApplyMembershipTuning(membership, new MembershipTuning());

        Assert.Equal(TimeSpan.FromSeconds(2), membership.ProbeTimeout);
        Assert.Equal(2, membership.NumMissedProbesLimit);
        Assert.Equal(2, membership.NumVotesForDeathDeclaration);
        Assert.Equal(TimeSpan.FromSeconds(20), membership.DeathVoteExpirationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), membership.TableRefreshTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), membership.IAmAliveTablePublishTimeout);
    }
}
