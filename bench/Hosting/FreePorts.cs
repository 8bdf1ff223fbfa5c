using System.Net;
using System.Net.Sockets;

namespace Mdl.Bench.Hosting;

/// <summary>Free loopback TCP ports, found by letting the OS pick one.</summary>
internal static class FreePorts
{
    /// <summary>A port nothing is listening on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
