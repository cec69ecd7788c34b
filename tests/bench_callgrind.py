#!/usr/bin/env python3
"""Instruction-count ratios withy/python3.11 on ../shared/bench under
callgrind: the stable way to compare on a noisy machine (DESIGN.md).

For each benchmark both interpreters run at BENCH_N=N1 and BENCH_N=N2 and
the ratio is (withy(N2) - withy(N1)) / (python(N2) - python(N1)): start-up,
imports and shutdown cancel out. With N1 = 0 this is DESIGN.md's method;
a larger N1 also leaves out the first heap growth, so the figure is the
steady state the benchmark's full-size run spends most of its time in.

usage: tests/bench_callgrind.py [--python /usr/bin/python3.11] [-j JOBS] WITHY NAME:N1:N2 ...
  e.g. tests/bench_callgrind.py build/withy-dynamic with_suppress:0:24000 with_suppress:30000:130000
WITHY must be dynamically linked (make build/withy-dynamic): valgrind needs that.
"""
import argparse, os, re, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

def instructions(cmd, script, n, cwd):
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        env = dict(os.environ, BENCH_N=str(n))
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out.name, cmd, script],
                           cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        m = re.search(rb"Collected : (\d+)", p.stderr)
        if p.returncode != 0 or not m:
            sys.exit(f"{cmd} {script} BENCH_N={n} failed: {p.stderr.decode()[-400:]}")
        return int(m.group(1)), p.stdout.decode().strip()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("withy")
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--bench-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
    a = ap.parse_args()
    bdir = os.path.abspath(a.bench_dir)
    withy = os.path.abspath(a.withy)
    jobs = []
    for spec in a.specs:
        name, n1, n2 = spec.split(":")
        for cmd in (withy, a.python):
            for n in (int(n1), int(n2)):
                jobs.append((spec, cmd, name + ".py", n))
    with ThreadPoolExecutor(a.j) as pool:
        results = list(pool.map(lambda j: instructions(j[1], j[2], j[3], bdir), jobs))
    got = {(j[0], j[1], j[3]): r for j, r in zip(jobs, results)}
    print(f"{'benchmark':22} {'N1..N2':>16} {'withy/iter':>11} {'python/iter':>12} {'ratio':>6}  checksums")
    for spec in a.specs:
        name, n1, n2 = spec.split(":")
        n1, n2 = int(n1), int(n2)
        w = got[(spec, withy, n2)][0] - got[(spec, withy, n1)][0]
        p = got[(spec, a.python, n2)][0] - got[(spec, a.python, n1)][0]
        same = got[(spec, withy, n2)][1] == got[(spec, a.python, n2)][1]
        print(f"{name:22} {f'{n1}..{n2}':>16} {w // (n2 - n1):>11} {p // (n2 - n1):>12} {w / p:>6.3f}  "
              f"{'equal' if same else 'DIFFER'}")

if __name__ == "__main__":
    main()
