using Mdl.Silo;
using Mdl.Silo.Postgres;
using Mdl.Silo.Security;

// Key tools: print and exit before anything starts, so they work without a data folder or free ports.
if (args is ["--new-api-key"])
{
    var key = ApiKeyHash.NewKey();
    Console.WriteLine($"key:  {key}");
    Console.WriteLine($"hash: {ApiKeyHash.Of(key)}");
    Console.WriteLine("Give the key to its holder; configure only the hash (Mdl__ApiKeys__N__Hash).");
    return 0;
}

if (args is ["--hash-api-key", var given])
{
    if (given.Length < ApiKeyHash.MinKeyLength)
    {
        await Console.Error.WriteLineAsync(
            $"An API key must be at least {ApiKeyHash.MinKeyLength} characters of random text (its hash is unsalted SHA-256); make one with --new-api-key.");
        return 1;
    }

    Console.WriteLine(ApiKeyHash.Of(given));
    return 0;
}

if (args.Length > 0 && args[0] is "--hash-api-key" or "--new-api-key")
{
    await Console.Error.WriteLineAsync("usage: --new-api-key | --hash-api-key <key>");
    return 1;
}

// Schema only: apply the PostgreSQL migrations and exit, without starting Orleans or binding ports.
if (args.Contains(MigrateOnlyCommand.Flag))
{
    return await MigrateOnlyCommand.RunAsync(args);
}

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
