#!/usr/bin/env python3
"""Shares of a `perf script -F comm,tid,ip,sym` profile's samples (bench/probe/perf-loop.sh writes OUT/perf.txt), by the
innermost product frame of each sample: what the product's own methods cost, with the runtime and library code they
call (a `HashSet` lookup, a Polly strategy) counted to the product method that called it. Samples on the GC's threads
are left out of the table but kept in the total.

    python3 bench/probe/perf_innermost.py OUT/perf.txt [ROWS]
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_categories  # noqa: E402

PRODUCT = re.compile(r"Mdl\.(?!Bench)|OrleansCodeGen\.Mdl")
METHOD = re.compile(r"([\w.`\[\]<>,+|]+::[\w<>`|]+)\(")


def short(frame):
    match = METHOD.search(frame)
    return match.group(1)[-100:] if match else frame[:100]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: perf_innermost.py PERF_SCRIPT_OUTPUT [ROWS]")
    samples = perf_categories.load(sys.argv[1], "perf_innermost")
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    shares = collections.Counter()
    for sample in samples:
        if "GC" in sample[0] and "Server" in sample[0]:
            continue
        for frame in sample[1:]:
            if PRODUCT.search(frame):
                shares[short(frame)] += 1
                break
        else:
            shares["(no product frame)"] += 1
    print(f"{len(samples)} samples")
    for name, count in shares.most_common(rows):
        print(f"{100 * count / len(samples):5.2f} %  {name}")


if __name__ == "__main__":
    main()
