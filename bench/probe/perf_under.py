#!/usr/bin/env python3
"""What runs under a frame in a `perf script -F comm,tid,ip,sym` profile (bench/probe/perf-loop.sh writes OUT/perf.txt):
the share of all samples with a frame matching FRAME_REGEX, split by the frame it called (the first frame inside its
outermost match), so a part of the loop can be taken apart one level at a time.

    python3 bench/probe/perf_under.py OUT/perf.txt FRAME_REGEX [ROWS]
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_categories  # noqa: E402
import perf_innermost  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: perf_under.py PERF_SCRIPT_OUTPUT FRAME_REGEX [ROWS]")
    samples = perf_categories.load(sys.argv[1], "perf_under")
    pattern = re.compile(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    total = len(samples)
    under = collections.Counter()
    matched = 0
    for sample in samples:
        frames = sample[1:]  # innermost first
        hits = [i for i, frame in enumerate(frames) if pattern.search(frame)]
        if not hits:
            continue
        matched += 1
        outermost = hits[-1]
        under[perf_innermost.short(frames[outermost - 1]) if outermost > 0 else "(the frame itself)"] += 1
    print(f"{100 * matched / total:5.1f} %  of {total} samples have a frame matching {sys.argv[2]}; what it called:")
    for name, count in under.most_common(rows):
        print(f"{100 * count / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
