using Microsoft.AspNetCore.Diagnostics;

namespace Mdl.Silo.Ingress;

/// <summary>
/// Turns Kestrel's <see cref="BadHttpRequestException"/> (a body over the size limit, a client that stopped sending)
/// into its own 4xx status with problem+json, wherever in the pipeline the body was read, rather than a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        await Results.Problem(bad.Message, statusCode: bad.StatusCode, title: "The request was refused.").ExecuteAsync(httpContext);
        return true;
    }
}
