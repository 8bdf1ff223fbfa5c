using System.Diagnostics;
using System.Text.Json;
using Mdl.Bench.Hosting;
using Mdl.Bench.Reporting;
using Mdl.Client;
using Mdl.Goals;
using Mdl.Observations;
using Mdl.Silo;
using Mdl.Silo.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mdl.Bench.Measurements;

/// <summary>
/// Acknowledged observations per second in PostgreSQL mode: the product's own silo host (<see cref="MdlSiloApp"/>,
/// <c>Mdl__Storage=postgres</c>) in this process on a fresh database, an Orleans client, and workers that each send one
/// observation per call to their own goals and wait for the acknowledgement (which returns only once the goal's state
/// holding it is committed). The baseline, in the same run and at the same concurrency, is the database alone: one
/// transaction per event, each inserting a row of the goal state's size — what "one write per event" costs here.
/// </summary>
internal static class DurableThroughput
{
    private const string Kind = "bench.tick";

    private static readonly GoalDefinition Counting = JsonSerializer.Deserialize<GoalDefinition>(
        $$"""
        {
          "kind": "durable-bench",
          "objectives": [ { "metric": "ticks", "op": ">=", "target": 0 } ],
          "metrics": [ { "name": "ticks", "from": "{{Kind}}", "aggregate": "count" } ],
          "allowedFunctions": []
        }
        """,
        MdlJson.Options)!;

    /// <summary>What one run measured.</summary>
    public sealed record Result(double ObservationsPerSecond, double BaselineCommitsPerSecond, long Acknowledged, int Goals, int Concurrency, double AckP50Ms, double AckP99Ms);

    /// <summary>Runs the measurement on a new database of the server <paramref name="adminConnectionString"/> reaches, then drops it.</summary>
    public static async Task<Result> MeasureAsync(
        string adminConnectionString, int goals, int concurrency, TimeSpan warmup, TimeSpan window, Action<string> step)
    {
        var database = $"mdl_bench_{Environment.ProcessId}_{DateTime.UtcNow:HHmmss}";
        await ExecuteAsync(adminConnectionString, $"CREATE DATABASE {database}");
        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
        try
        {
            var baseline = await MeasureBaselineAsync(connectionString, concurrency, warmup, window);
            step($"durable baseline (one transaction per event, {StateBytes} B rows): {baseline:N0} commits/s");

            var gateway = FreePorts.Next();
            var app = MdlSiloApp.Build(
            [
                "--Mdl:Storage=postgres",
                $"--ConnectionStrings:Mdl={connectionString}",
                $"--Mdl:SiloPort={FreePorts.Next()}",
                $"--Mdl:GatewayPort={gateway}",
                $"--Mdl:HttpPort={FreePorts.Next()}",
                "--Mdl:HttpHost=127.0.0.1",
                "--Mdl:ClusterId=durable-bench",
                "--Mdl:ApiKeys:0:Name=bench",
                $"--Mdl:ApiKeys:0:Hash={ApiKeyHash.Of(ApiKeyHash.NewKey())}",
                "--Mdl:ApiKeys:0:Scopes:0=admin",
            ],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync();
            try
            {
                var clientBuilder = Host.CreateApplicationBuilder();
                clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
                clientBuilder.Services.AddMdlClient(o =>
                {
                    o.Gateways = [$"127.0.0.1:{gateway}"];
                    o.ClusterId = "durable-bench";
                });
                using var client = clientBuilder.Build();
                await client.StartAsync();
                var mdl = client.Services.GetRequiredService<MdlClient>();

                var ids = Enumerable.Range(0, goals).Select(i => $"durable-{i:D5}").ToArray();
                foreach (var chunk in ids.Chunk(64))
                {
                    await Task.WhenAll(chunk.Select(id => mdl.PutGoalAsync(id, Counting)));
                }

                step($"{goals:N0} counting goals defined on PostgreSQL");
                var (acknowledged, perSecond, latencies) = await DriveAsync(mdl, ids, concurrency, warmup, window);
                await client.StopAsync();
                return new Result(
                    Percentiles.Round(perSecond, 1),
                    Percentiles.Round(baseline, 1),
                    acknowledged,
                    goals,
                    concurrency,
                    latencies.P(0.50),
                    latencies.P(0.99));
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    // Roughly what a counting goal's state serialises to, so the baseline writes as many bytes per event.
    private const int StateBytes = 1024;

    private static async Task<(long Acknowledged, double PerSecond, LatencySamples Latencies)> DriveAsync(
        MdlClient mdl, string[] ids, int concurrency, TimeSpan warmup, TimeSpan window)
    {
        var latencies = new LatencySamples();
        long counted = 0;
        var measuring = false;
        var stop = Stopwatch.StartNew();
        var end = warmup + window;
        var measureStart = TimeSpan.Zero;

        // Each worker owns a slice of the goals, so no two workers write one goal at once: every acknowledgement is one
        // observation the goal had to commit by itself or together with others in flight at the same moment.
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = ids.Where((_, i) => i % concurrency == w).ToArray();
            var n = 0;
            while (stop.Elapsed < end)
            {
                var goal = mine[n++ % mine.Length];
                var started = Stopwatch.GetTimestamp();
                var receipt = await mdl.ObserveAsync(goal, new Observation { Id = Observation.NewId(), Kind = Kind });
                if (receipt.Accepted != 1)
                {
                    throw new InvalidOperationException($"observation to {goal} not accepted: {receipt}");
                }

                if (Volatile.Read(ref measuring) && stop.Elapsed < end)
                {
                    Interlocked.Increment(ref counted);
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        measureStart = stop.Elapsed;
        Volatile.Write(ref measuring, true);
        await Task.WhenAll(workers);
        var seconds = (end - measureStart).TotalSeconds;
        return (counted, counted / seconds, latencies);
    }

    private static async Task<double> MeasureBaselineAsync(string connectionString, int concurrency, TimeSpan warmup, TimeSpan window)
    {
        await ExecuteAsync(connectionString, "CREATE TABLE bench_event (id bigserial PRIMARY KEY, worker int NOT NULL, payload bytea NOT NULL)");
        await using var source = NpgsqlDataSource.Create(connectionString);
        var payload = new byte[StateBytes];
        Random.Shared.NextBytes(payload);
        long counted = 0;
        var measuring = false;
        var stop = Stopwatch.StartNew();
        var end = warmup + window;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            while (stop.Elapsed < end)
            {
                // Autocommit: one transaction, so one WAL flush, per event.
                await using var command = source.CreateCommand("INSERT INTO bench_event (worker, payload) VALUES ($1, $2)");
                command.Parameters.AddWithValue(w);
                command.Parameters.AddWithValue(payload);
                await command.ExecuteNonQueryAsync();
                if (Volatile.Read(ref measuring) && stop.Elapsed < end)
                {
                    Interlocked.Increment(ref counted);
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        var measureStart = stop.Elapsed;
        Volatile.Write(ref measuring, true);
        await Task.WhenAll(workers);
        await ExecuteAsync(connectionString, "DROP TABLE bench_event");
        return counted / (end - measureStart).TotalSeconds;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
