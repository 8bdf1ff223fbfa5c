using Microsoft.AspNetCore.Builder;

namespace Mdl.Tests.Support;

/// <summary>What tests that start a real silo host share: its arguments on free loopback ports, and its teardown.</summary>
public static class TestSilos
{
    /// <summary>Command-line arguments for a silo on <paramref name="dataPath"/> with fresh loopback ports.</summary>
    public static string[] Args(string dataPath, string clusterId, int? httpPort = null) =>
    [
        $"--Mdl:DataPath={dataPath}",
        $"--Mdl:SiloPort={FreePorts.Next()}",
        $"--Mdl:GatewayPort={FreePorts.Next()}",
        $"--Mdl:HttpPort={httpPort ?? FreePorts.Next()}",
        $"--Mdl:ClusterId={clusterId}",
    ];

    /// <summary>Stops and disposes <paramref name="app"/> and <paramref name="http"/>, then removes <paramref name="dataPath"/>.</summary>
    public static async Task StopAndDeleteAsync(WebApplication? app, HttpClient? http, string dataPath)
    {
        http?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        try
        {
            Directory.Delete(dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
