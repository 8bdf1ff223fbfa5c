"""Per-step medians of quiet push samples, from `perf script` output of a run of the probe build (push-steps.sh)."""
import re
import statistics
import sys

# Marker sizes written by the probe patch, in path order, with the socket syscalls between the client and the silo.
STEPS = [
    ("call", "the harness calls ObserveAsync"),
    ("send", "sendto on the gateway socket"),
    ("epoll", "the silo's epoll thread wakes"),
    ("recv", "recvfrom"),
    (5555, "the goal's ObserveAsync starts"),
    (5001, "observe starts"),
    (5002, "observe done"),
    (5003, "orient + decide done"),
    (6666, "the call starts (read-only and idempotent calls go out before the write)"),
    (6767, "the goal yields to the call's turn"),
    (4444, "the worker's InvokeAsync"),
    (8888, "the function runs"),
]
CALL = 7777
LINE = re.compile(r"^\s*(.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$")


def main(path, pid):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if m and m.group(2) == pid:
            events.append((float(m.group(5)), m.group(6), m.group(7)))
    samples = []
    i = 0
    while i < len(events):
        t, event, trace = events[i]
        if "pwrite64" in event and size(trace) == CALL:
            points = {"call": t}
            j = i + 1
            while j < len(events) and events[j][0] - t < 0.01:
                t2, e2, tr2 = events[j]
                if "sendto" in e2:
                    points.setdefault("send", t2)
                elif "epoll" in e2 and "send" in points:
                    points.setdefault("epoll", t2)
                elif "recvfrom" in e2 and "epoll" in points:
                    points.setdefault("recv", t2)
                elif "pwrite64" in e2:
                    points.setdefault(size(tr2), t2)
                    if size(tr2) == 8888:
                        break
                j += 1
            keys = [k for k, _ in STEPS]
            if all(k in points for k in keys):
                samples.append([points[k] for k in keys])
            i = j
        i += 1
    if not samples:
        sys.exit("no complete push sample in the trace: was the probe build run with --only reaction?")
    print(f"{len(samples)} quiet push samples; median microseconds per step")
    for n in range(1, len(STEPS)):
        values = [(s[n] - s[n - 1]) * 1e6 for s in samples]
        print(f"{statistics.median(values):7.0f}  {STEPS[n - 1][1]} -> {STEPS[n][1]}")
    print(f"{statistics.median([(s[-1] - s[0]) * 1e6 for s in samples]):7.0f}  total")


def size(trace):
    m = re.search(r"count: (0x[0-9a-f]+)", trace)
    return int(m.group(1), 16) if m else None


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
