namespace Mdl.Tests.Support;

/// <summary>Waits for a condition that becomes true asynchronously, and fails loudly with what was last seen when it does not.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="until"/> holds, or throws after <paramref name="timeout"/> (default 10 s).</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> until, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        T last;
        while (true)
        {
            last = await probe();
            if (until(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}; last seen: {Describe(last)}");
            }

            await Task.Delay(20);
        }
    }

    private static string Describe<T>(T value) =>
        value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value, MdlJson.Options);
}
