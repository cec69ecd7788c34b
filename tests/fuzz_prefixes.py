#!/usr/bin/env python3
"""Smoke fuzzing: feed every prefix (cut at each byte) of every corpus script
to `withy -c` and check that withy never dies from a signal: the exit status
must be 0, 1 or 2. A prefix that loops forever (a loop whose `break` was cut
off) is stopped after a timeout and counted, not failed.

usage: fuzz_prefixes.py WITHY [--stride N] [--jobs N] FILES_OR_DIRS...
"""
import argparse, concurrent.futures as cf, os, subprocess, sys

def prefixes(data, stride):
    cuts = set(range(0, len(data) + 1, stride))
    cuts.update(i for i, b in enumerate(data) if b == 0x0A)  # every line boundary
    cuts.add(len(data))
    return sorted(cuts)

def run(binary, src, timeout):
    try:
        p = subprocess.run([binary, "-c", src], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout, cwd="/tmp")
        rc = p.returncode
        # like CPython, an uncaught KeyboardInterrupt ends the process by SIGINT
        if rc == -2 and p.stderr.rstrip().split(b"\n")[-1].startswith(b"KeyboardInterrupt"):
            rc = 1
        return rc, p.stderr[-300:]
    except subprocess.TimeoutExpired:
        return "timeout", b""

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("withy")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()
    files = []
    for p in a.paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
        else:
            files.append(p)
    jobs = []
    for f in sorted(files):
        data = open(f, "rb").read()
        for cut in prefixes(data, a.stride):
            # argv cannot carry NUL bytes; the corpus has none
            jobs.append((f, cut, data[:cut].decode("utf-8", "ignore")))
    crashes, timeouts, ok = [], [], 0
    with cf.ThreadPoolExecutor(a.jobs) as pool:
        futs = {pool.submit(run, a.withy, src, a.timeout): (f, cut) for f, cut, src in jobs}
        for fut in cf.as_completed(futs):
            rc, err = fut.result()
            if rc == "timeout":
                timeouts.append(futs[fut])
            elif rc in (0, 1, 2):
                ok += 1
            else:
                crashes.append((futs[fut], rc, err))
    for (f, cut), rc, err in sorted(crashes)[:20]:
        print(f"CRASH {f} cut at byte {cut}: exit status {rc}\n    {err.decode('utf-8', 'replace')[-200:]}")
    for f, cut in sorted(timeouts)[:5]:
        print(f"timed out: {f} cut at byte {cut}")
    print(f"fuzz-prefixes: {len(jobs)} prefixes of {len(files)} scripts, {len(timeouts)} timed out")
    print(f"fuzz-prefixes: {ok + len(timeouts)} passed, {len(crashes)} failed")
    sys.exit(1 if crashes else 0)

main()
