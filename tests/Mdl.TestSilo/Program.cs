using Mdl.Hosting;
using Mdl.Silo;
using Mdl.TestSilo;

// The product's silo, configured exactly as Mdl.Silo configures it, plus test.file-effect (see FileEffectFunction) and,
// when MDL_TEST_HOLD_FUNCTION_ANSWERS=1, a filter that keeps function answers from reaching goals — so a test can kill
// this process after a function acted and before its goal recorded the outcome.
var app = MdlSiloApp.Build(args, builder =>
{
    builder.Services.AddMdlFunction<FileEffectFunction>();
    if (Environment.GetEnvironmentVariable(HoldFunctionAnswers.Variable) == "1")
    {
        builder.Services.AddSingleton<IOutgoingGrainCallFilter, HoldFunctionAnswers>();
    }
});
await app.RunAsync();
