using Mdl.Hosting;
using Mdl.Silo;
using Mdl.TestSilo;

// The product's silo, configured exactly as Mdl.Silo configures it, plus test.file-effect (see FileEffectFunction) and,
// when MDL_TEST_HOLD_FUNCTION_ANSWERS or MDL_TEST_HOLD_RESULT_RECORDS names a file, a filter that holds function answers
// or workers' result records (see HoldCalls) and lists what it holds in that file — so a test can kill this process
// after a function acted and before its goal heard, or before the result was recorded.
var app = MdlSiloApp.Build(args, builder =>
{
    builder.Services.AddMdlFunction<FileEffectFunction>();
    (string Variable, HoldPoint Point)[] holds =
    [
        ("MDL_TEST_HOLD_FUNCTION_ANSWERS", HoldPoint.FunctionAnswers),
        ("MDL_TEST_HOLD_RESULT_RECORDS", HoldPoint.ResultRecords),
    ];
    foreach (var (variable, point) in holds)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } heldFile)
        {
            builder.Services.AddSingleton<IOutgoingGrainCallFilter>(new HoldCalls(heldFile, point));
        }
    }
});
await app.RunAsync();
