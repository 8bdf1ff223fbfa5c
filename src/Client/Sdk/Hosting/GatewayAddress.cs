using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mdl.Client;

/// <summary>A silo gateway as <c>host:port</c>, e.g. <c>localhost:30000</c>, <c>10.0.0.7:30000</c> or <c>[::1]:30000</c>.</summary>
public readonly record struct GatewayAddress(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c>; throws <see cref="FormatException"/> when <paramref name="value"/> is not one.</summary>
    public static GatewayAddress Parse(string value) =>
        TryParse(value, out var address) ? address : throw new FormatException($"gateway '{value}' is not host:port");

    /// <summary>Parses <c>host:port</c>.</summary>
    public static bool TryParse(string? value, out GatewayAddress address)
    {
        address = default;
        var text = value?.Trim();
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        // An IPv6 host must be bracketed: in "::1:30000" the port cannot be told from the address.
        var host = text[..colon];
        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (bracketed)
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || (host.Contains(':') && (!bracketed || !IPAddress.TryParse(host, out _)))
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        address = new GatewayAddress(host, port);
        return true;
    }

    /// <summary>Resolves the host, preferring IPv4 (what silos listen on by default), to the endpoint the client dials.</summary>
    public IPEndPoint Resolve()
    {
        if (IPAddress.TryParse(Host, out var literal))
        {
            return new IPEndPoint(literal, Port);
        }

        var addresses = Dns.GetHostAddresses(Host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(chosen, Port);
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
