using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Mdl.Client;

/// <summary>
/// Retries the client's first connection until a deadline, then lets starting fail, so a caller learns quickly that the
/// cluster is unreachable instead of waiting through Orleans's default back-off (about three minutes).
/// </summary>
internal sealed class BoundedConnectionRetryFilter(MdlClientOptions options, TimeProvider time) : IClientConnectionRetryFilter
{
    // Measured from construction: Orleans resolves the filter as the client starts connecting.
    private readonly long _started = time.GetTimestamp();

    /// <inheritdoc />
    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (ConnectionFailedException or OrleansMessageRejectionException or SiloUnavailableException)
            || cancellationToken.IsCancellationRequested
            || time.GetElapsedTime(_started) + options.ConnectRetryDelay >= options.ConnectTimeout)
        {
            return false;
        }

        await Task.Delay(options.ConnectRetryDelay, time, cancellationToken);
        return true;
    }
}
