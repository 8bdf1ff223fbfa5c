using System.Net;
using System.Net.Sockets;

namespace Mdl.Tests.Support;

/// <summary>Hands out loopback TCP ports nobody listens on, so test silos never collide with each other or a running silo.</summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    /// <summary>A free port not handed out before in this process.</summary>
    public static int Next()
    {
        lock (Given)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
