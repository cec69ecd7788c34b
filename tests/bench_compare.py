#!/usr/bin/env python3
"""Time withy against CPython on ../shared/bench: alternating runs, medians,
peak RSS. Prints one line per benchmark with the ratio withy/python.

usage: tests/bench_compare.py [--runs N] [--python /usr/bin/python3.11] WITHY [NAMES...]
Not a test: timing on a shared machine is noisy; use the ratio, not seconds.
"""
import argparse, os, resource, statistics, subprocess, sys, time

def run_once(cmd, cwd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    # ru_maxrss of RUSAGE_CHILDREN is the max over all children so far; run
    # each measurement in a wrapper to get its own figure instead
    return elapsed, p.returncode, p.stdout.decode().strip().splitlines()[-1:] , p.stderr.decode()[-300:]

def peak_rss_kib(cmd, cwd, env):
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        return int(p.stderr.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return -1

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("withy")
    ap.add_argument("names", nargs="*")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--bench-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
    a = ap.parse_args()
    withy = os.path.abspath(a.withy)
    bdir = os.path.abspath(a.bench_dir)
    names = a.names or sorted(f[:-3] for f in os.listdir(bdir) if f.endswith(".py"))
    env = dict(os.environ)
    print(f"{'benchmark':24} {'withy s':>9} {'python s':>9} {'ratio':>7} {'withy KiB':>10} {'python KiB':>10}  checksum")
    for name in names:
        script = name + ".py"
        expected = open(os.path.join(bdir, name + ".out")).read().strip()
        wt, pt, ok = [], [], True
        for _ in range(a.runs):
            e, rc, out, err = run_once([withy, script], bdir, env)
            ok = ok and rc == 0 and out == [expected]
            wt.append(e)
            e, rc, out, err2 = run_once([a.python, script], bdir, env)
            pt.append(e)
        wm, pm = statistics.median(wt), statistics.median(pt)
        wr = peak_rss_kib([withy, script], bdir, env)
        pr = peak_rss_kib([a.python, script], bdir, env)
        print(f"{name:24} {wm:9.3f} {pm:9.3f} {wm / pm:7.2f} {wr:10d} {pr:10d}  {'ok' if ok else 'WRONG: ' + err[-120:]}")
        sys.stdout.flush()

main()
