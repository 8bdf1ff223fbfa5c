using Mdl.Client;

namespace Mdl.Tests.Cli;

/// <summary>How <c>--gateway</c> and <see cref="MdlClientOptions.Gateways"/> read <c>host:port</c>.</summary>
public sealed class GatewayAddressTests
{
    [Theory]
    [InlineData("localhost:30000", "localhost", 30000)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::1]:30000", "::1", 30000)]
    [InlineData(" silo-0.mdl.svc:65535 ", "silo-0.mdl.svc", 65535)]
    public void Parses_host_and_port(string text, string host, int port)
    {
        Assert.True(GatewayAddress.TryParse(text, out var address));
        Assert.Equal(new GatewayAddress(host, port), address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("localhost:")]
    [InlineData(":30000")]
    [InlineData("localhost:0")]
    [InlineData("localhost:65536")]
    [InlineData("localhost:-1")]
    [InlineData("localhost:30000x")]
    [InlineData("::1:30000")]
    public void Refuses_what_is_not_host_colon_port(string text)
    {
        Assert.False(GatewayAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => GatewayAddress.Parse(text));
    }

    [Fact]
    public void Prints_ipv6_hosts_in_brackets()
    {
        Assert.Equal("[::1]:30000", new GatewayAddress("::1", 30000).ToString());
        Assert.Equal("localhost:30000", new GatewayAddress("localhost", 30000).ToString());
    }

    [Fact]
    public void Resolves_ip_literals_without_dns()
    {
        var endpoint = new GatewayAddress("127.0.0.1", 30000).Resolve();

        Assert.Equal("127.0.0.1:30000", endpoint.ToString());
    }

    [Fact]
    public void Options_name_each_problem()
    {
        var options = new MdlClientOptions { Gateways = ["nope"], ClusterId = " ", ConnectTimeout = TimeSpan.Zero };

        Assert.Equal(
            ["gateway 'nope' is not host:port", "the cluster id must not be empty", "the connect timeout must be positive"],
            options.Validate());
        Assert.Empty(new MdlClientOptions().Validate());
    }
}
