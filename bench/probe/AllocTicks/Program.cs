// Sums the GCAllocationTick events of an EventPipe trace (dotnet-trace with the runtime's GC keyword at verbose level) by
// allocated type and by type plus its innermost frames: where a window's managed bytes go.
//   dotnet run -c Release --project bench/probe/AllocTicks -- TRACE.nettrace [FRAMES] [TYPE (stacks of that type only; "" for all)] [STACKS (default 25)]
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: AllocTicks TRACE.nettrace [FRAMES (default 8)]");
    return 2;
}

var depth = args.Length > 1 ? int.Parse(args[1]) : 8;
var onlyType = args.Length > 2 && args[2].Length > 0 ? args[2] : null; // the stacks of this type only
var byType = new Dictionary<string, long>();
var byStack = new Dictionary<string, long>();
long total = 0;
var collections = new int[3];
long promoted0 = 0, promoted1 = 0, heapStats = 0;
double pausedMs = 0, pauseStart = -1;
using var log = TraceLog.OpenOrConvert(TraceLog.CreateFromEventPipeDataFile(args[0]));
foreach (var traceEvent in log.Events)
{
    switch (traceEvent)
    {
        case GCStartTraceData start:
            collections[Math.Min(start.Depth, 2)]++;
            continue;
        case GCHeapStatsTraceData stats:
            promoted0 += stats.TotalPromotedSize0;
            promoted1 += stats.TotalPromotedSize1;
            heapStats++;
            continue;
        case GCSuspendEETraceData suspend:
            pauseStart = suspend.TimeStampRelativeMSec;
            continue;
        case GCNoUserDataTraceData when pauseStart >= 0 && traceEvent.EventName.EndsWith("RestartEEStop", StringComparison.Ordinal):
            pausedMs += traceEvent.TimeStampRelativeMSec - pauseStart;
            pauseStart = -1;
            continue;
    }

    if (traceEvent is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    var bytes = tick.AllocationAmount64;
    total += bytes;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + bytes;
    var frames = new List<string>();
    for (var frame = tick.CallStack(); frame is not null && frames.Count < depth; frame = frame.Caller)
    {
        if (frame.CodeAddress.FullMethodName is { Length: > 0 } method)
        {
            frames.Add(method.Length > 90 ? method[..90] : method);
        }
    }

    if (onlyType is not null && tick.TypeName != onlyType)
    {
        continue;
    }

    var stack = $"{tick.TypeName} <= {string.Join(" <= ", frames)}";
    byStack[stack] = byStack.GetValueOrDefault(stack) + bytes;
}

if (total == 0)
{
    Console.Error.WriteLine($"no allocation ticks in {args[0]}: was it collected with --providers Microsoft-Windows-DotNETRuntime:0x1:5?");
    return 1;
}

Console.WriteLine($"{total:N0} bytes sampled");
Console.WriteLine($"collections: gen0 {collections[0]}, gen1 {collections[1]}, gen2 {collections[2]}; promoted out of gen0 {promoted0:N0} B, out of gen1 {promoted1:N0} B over {heapStats} collections; paused {pausedMs:F0} ms over {log.SessionDuration.TotalMilliseconds:F0} ms");
foreach (var (type, bytes) in byType.OrderByDescending(x => x.Value).Take(25))
{
    Console.WriteLine($"{100.0 * bytes / total,6:F2} %  {type}");
}

Console.WriteLine("by type and innermost frames:");
foreach (var (stack, bytes) in byStack.OrderByDescending(x => x.Value).Take(args.Length > 3 ? int.Parse(args[3]) : 25))
{
    Console.WriteLine($"{100.0 * bytes / total,6:F2} %  {stack}");
}

return 0;
