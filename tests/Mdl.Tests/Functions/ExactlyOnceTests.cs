using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Hosting;
using Mdl.Observations;
using Mdl.Silo;
using Mdl.Telemetry;
using Mdl.Tests.Goals;
using Mdl.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mdl.Tests.Functions;

/// <summary>
/// The silo goes down after an external function acted but before the goal recorded the outcome. The goal's state
/// still says the call is in flight (it was written ahead) and holds the result the worker recorded before answering; the
/// next silo answers the re-issued call from that record instead of calling again: the effect happened once.
/// </summary>
public sealed class ExactlyOnceTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "mdl-once-" + Guid.NewGuid().ToString("n"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dataPath, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_call_whose_outcome_was_lost_is_reissued_with_its_key_and_does_not_act_twice()
    {
        var id = Definitions.NewGoalId("once");
        var key = $"{id}/1";
        var definition = Definitions.Queue(functions: ["test.sends"]);

        var first = await StartAsync(holdResponses: true);
        try
        {
            var goal = first.Services.GetRequiredService<IClusterClient>().GetGrain<IGoalGrain>(id);
            await goal.PutDefinitionAsync(definition);
            await goal.ObserveAsync([new Observation("queue.sample", new { depth = 12 })]);
            // The worker recorded the result in the goal's own state before answering; the answer itself never arrives.
            var inFlight = await Eventually.WaitAsync(
                () => goal.GetSnapshotAsync(), s => s!.InFlight is [{ ResultRecorded: true }], "the send to act and its result to be recorded in the goal");
            Assert.Equal(key, Assert.Single(inFlight!.InFlight).IdempotencyKey);
            Assert.Equal(1, SendFunction.Effects(key));
        }
        finally
        {
            // The goal never hears back: its outcome is lost with this silo.
            await first.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            await first.DisposeAsync();
            HoldFunctionResponses.Holding = false;
        }

        using var reissued = new ReissueCounter("test.sends");
        var second = await StartAsync(holdResponses: false);
        try
        {
            var goal = second.Services.GetRequiredService<IClusterClient>().GetGrain<IGoalGrain>(id);
            var snapshot = await Eventually.WaitAsync(() => goal.GetSnapshotAsync(), s => s!.InFlight.Length == 0, "the re-issued call's outcome");
            var decision = (await goal.GetDecisionsAsync(10)).Single(d => d.Seq == 1);
            Assert.Equal(OutcomeStatus.Succeeded, decision.Outcome!.Status);
            Assert.Equal(key, decision.IdempotencyKey);
            Assert.Equal(1, SendFunction.Effects(key));
            Assert.Equal(1, snapshot!.ActionsTaken);

            // Operators see it: one call re-issued, answered by the recorded result.
            Assert.Equal(["recorded"], reissued.Answers);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    private async Task<WebApplication> StartAsync(bool holdResponses)
    {
        HoldFunctionResponses.Holding = holdResponses;
        var app = MdlSiloApp.Build(TestSilos.Args(_dataPath, "once"), builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddMdlFunction<SendFunction>();
            builder.Services.AddSingleton<IOutgoingGrainCallFilter, HoldFunctionResponses>();
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>Listens to <c>mdl.calls.reissued</c> for one function and keeps each re-issue's <c>mdl.answer</c>.</summary>
    private sealed class ReissueCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<string> _answers = new();

        public ReissueCounter(string function)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MdlTelemetry.Name && instrument.Name == "mdl.calls.reissued")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                var fields = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
                if (fields.GetValueOrDefault(MdlTelemetry.Tags.Function) == function)
                {
                    _answers.Enqueue(fields.GetValueOrDefault(MdlTelemetry.Tags.Answer) ?? "");
                }
            });
            _listener.Start();
        }

        public string[] Answers => [.. _answers];

        public void Dispose() => _listener.Dispose();
    }

    /// <summary><c>test.sends</c>: an external effect (counted per idempotency key) that drains the queue.</summary>
    private sealed class SendFunction : IAgentFunction
    {
        private static readonly ConcurrentDictionary<string, int> Sent = new();

        public FunctionDescriptor Descriptor { get; } = new()
        {
            Name = "test.sends",
            Description = "Sends something to the outside world.",
            Cost = 0.01,
            ExpectedLatencyMs = 1,
            Effects = new() { ["queue.depth"] = -5 },
            SideEffect = SideEffectClass.External,
            Permission = "queue",
        };

        public static int Effects(string key) => Sent.GetValueOrDefault(key);

        public Task<FunctionResult> InvokeAsync(FunctionCall call, CancellationToken cancellationToken)
        {
            Sent.AddOrUpdate(call.IdempotencyKey, 1, (_, n) => n + 1);
            return Task.FromResult(FunctionResult.Success(new { sent = true }));
        }
    }

    /// <summary>Holds function answers on their way back to goals, as if the silo died before the goal heard them.</summary>
    private sealed class HoldFunctionResponses : IOutgoingGrainCallFilter
    {
        public static volatile bool Holding;

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            await context.Invoke();
            while (Holding && context.InterfaceMethod?.DeclaringType == typeof(IFunctionGrain))
            {
                await Task.Delay(50);
            }
        }
    }
}
