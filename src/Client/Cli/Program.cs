using Mdl.Cli;

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: let the running command stop cleanly (a watch unsubscribes); a second one kills the process.
    if (!interrupted.IsCancellationRequested)
    {
        e.Cancel = true;
        interrupted.Cancel();
    }
};

return await CliApp.RunAsync(args, Console.Out, Console.Error, interrupted.Token);
