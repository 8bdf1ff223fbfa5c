using Mdl.Silo;

try
{
    await MdlSiloApp.Build(args).RunAsync();
    return 0;
}
catch (InvalidOperationException exception) when (exception.Message.StartsWith("The silo's configuration", StringComparison.Ordinal)
    || exception.Message.StartsWith("Mdl__", StringComparison.Ordinal))
{
    await Console.Error.WriteLineAsync(exception.Message);
    return 1;
}
