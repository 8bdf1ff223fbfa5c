#!/usr/bin/env python3
"""Shares of a `perf script -F comm,tid,ip,sym` profile's samples, per part of the loop.

A sample counts for the part its innermost recognised frame belongs to (so the state's codecs count as the state's
serialisation even when the goal's grain called them); samples on the GC's and the JIT's own threads count apart.
Further arguments are regular expressions: for each, the share of samples with any frame matching it (inclusive).
With `--per-unit RATE` first (the loops or calls a second of the profiled window, from the bench's round line), each
part is also given in CPU microseconds a unit, so profiles of two windows (the loops' and the shaped chain's, say) can
be compared part by part: perf-loop.sh samples at 1999 Hz for 10 s, and the round's rate stands for the profiled 10 s.
"""
import collections
import re
import sys

SAMPLES_PER_CPU_SECOND = 1999  # perf-loop.sh: perf record -F 1999
PROFILED_SECONDS = 10  # perf-loop.sh: perf record ... -- sleep 10

PARTS = [
    ("goal state and history serialisation", r"Mdl\.Storage\.BinaryGrainStorageSerializer|OrleansCodeGen\.Mdl|DecisionLog|JsonElementCodec|Mdl\..*Codec"),
    ("harness storage", r"Mdl\.Bench\.Storage"),
    ("Orleans storage bridge", r"StateStorageBridge"),
    ("Polly", r"Polly\."),
    ("goal engine (observe, orient, decide)", r"Mdl\.Goals\.GoalEngine|Mdl\.Decisions|Mdl\.Objectives|Mdl\.Metrics"),
    ("telemetry", r"Mdl\.Telemetry"),
    ("functions (filter, worker, deadlines)", r"Mdl\.Functions"),
    ("goal grain shell", r"Mdl\.Goals\."),
    ("other product code", r"Mdl\.(?!Bench)"),
    ("harness", r"Mdl\.Bench"),
    ("Orleans messaging", r"Orleans\.Runtime\.Messaging|Orleans\.Messaging|MessageCenter|Orleans\.Networking"),
    ("Orleans serialisation (messages)", r"Orleans\.Serialization"),
    ("Orleans scheduler", r"Orleans\.Runtime\.Scheduler|ActivationData|WorkItemGroup"),
    ("Orleans, other", r"Orleans\."),
    ("System.Text.Json", r"System\.Text\.Json"),
    ("sockets and pipes", r"System\.Net\.Sockets|System\.IO\.Pipelines"),
    ("thread pool", r"ThreadPool|PortableThreadPool|LowLevelLifoSemaphore|WorkerThread"),
    ("tasks and async", r"System\.Threading\.Tasks"),
]


def read(path):
    samples, current = [], None
    with open(path, errors="replace") as lines:
        for line in lines:
            if not line.strip():
                if current is not None:
                    samples.append(current)
                current = None
            elif not line[0].isspace():
                current = [line.strip()]
            elif current is not None:
                parts = line.strip().split(" ", 1)
                current.append(parts[1] if len(parts) > 1 else "?")
    if current is not None:
        samples.append(current)
    return samples


def load(path, tool):
    """The samples of PATH, or exit with TOOL's message when it has none."""
    samples = read(path)
    if not samples:
        sys.exit(f"{tool}: no samples in {path}")
    return samples


def part_of(sample):
    thread = sample[0]
    if "Server GC" in thread or "BGC" in thread:
        return "GC threads"
    if "Tiered Com" in thread:
        return "JIT's background thread"
    for frame in sample[1:]:
        for name, pattern in PARTS:
            if re.search(pattern, frame):
                return name
    return "other (kernel, runtime, unnamed)"


def main():
    args = sys.argv[1:]
    rate = None
    if args[:1] == ["--per-unit"]:
        if len(args) < 2:
            sys.exit("perf_categories: --per-unit needs the window's units a second")
        rate = float(args[1].replace(",", ""))
        args = args[2:]
    if not args:
        sys.exit("usage: perf_categories.py [--per-unit RATE] PERF_SCRIPT_OUTPUT [FRAME_REGEX ...]")
    samples = load(args[0], "perf_categories")
    total = len(samples)
    shares = collections.Counter(part_of(s) for s in samples)

    def per_unit(count):
        # CPU seconds the samples stand for, over the units the window completed, in microseconds.
        return "" if rate is None else f"{count / SAMPLES_PER_CPU_SECOND / (rate * PROFILED_SECONDS) * 1e6:6.2f} µs  "

    print(f"{total} samples" + ("" if rate is None else f", {per_unit(total).strip()} a unit"))
    for name, count in shares.most_common():
        print(f"{100 * count / total:5.1f} %  {per_unit(count)}{name}")
    for pattern in args[1:]:
        count = sum(1 for s in samples if any(re.search(pattern, f) for f in s[1:]))
        print(f"{100 * count / total:5.1f} %  with a frame matching {pattern}")


if __name__ == "__main__":
    main()
