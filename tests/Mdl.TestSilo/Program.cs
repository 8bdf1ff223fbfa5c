using Mdl.Hosting;
using Mdl.Silo;
using Mdl.TestSilo;

// The product's silo, configured exactly as Mdl.Silo configures it, plus test.file-effect (see FileEffectFunction) and,
// when MDL_TEST_HOLD_FUNCTION_ANSWERS names a file, a filter that keeps function answers from reaching goals (and lists
// the answers it holds in that file) — so a test can kill this process after a function acted and before its goal
// recorded the outcome.
var app = MdlSiloApp.Build(args, builder =>
{
    builder.Services.AddMdlFunction<FileEffectFunction>();
    if (Environment.GetEnvironmentVariable(HoldFunctionAnswers.Variable) is { Length: > 0 } heldFile)
    {
        builder.Services.AddSingleton<IOutgoingGrainCallFilter>(new HoldFunctionAnswers(heldFile));
    }
});
await app.RunAsync();
