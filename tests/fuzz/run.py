#!/usr/bin/env python3
"""Run the libFuzzer targets one after the other (make fuzz), or fold what
they found into the committed seed corpus (make fuzz-merge).

    run.py --build build/fuzz --seconds 90 fuzz_decode ...   # fuzz each target
    run.py --build build/fuzz --merge fuzz_decode ...        # minimise into tests/fuzz/corpus

Fuzzing starts from tests/fuzz/corpus/<target> (read only) and keeps what
it finds in build/fuzz/corpus/<target>; crashes, leaks and timeouts go to
build/fuzz/artifacts/<target>/.  Each target's output is in
build/fuzz/logs/<target>.log; the per-target numbers (libFuzzer's final
stats) are printed and written to build/fuzz/summary.md.  Any crash, leak
or timeout fails the run.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fuzz" / "corpus"
MAX_FILES, MAX_BYTES = 100, 100 * 1024  # per target, in the committed corpus

# libFuzzer's status lines: "#123 DONE cov: 96 ft: 376 corp: 117/1699b ... exec/s: 18187"
STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\d+\w*)", re.M)
STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)


def env():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return e


def fuzz_one(build, target, seconds):
    binary = build / target
    work = build / "corpus" / target
    artifacts = build / "artifacts" / target
    log = build / "logs" / f"{target}.log"
    for d in (work, artifacts, log.parent):
        d.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), f"-max_total_time={seconds}", "-print_final_stats=1", "-timeout=10",
           f"-artifact_prefix={artifacts}/", str(work), str(SEEDS / target)]
    dictionary = ROOT / "tests" / "fuzz" / f"{target}.dict"
    if dictionary.exists():
        cmd.insert(1, f"-dict={dictionary}")
    start, start_wall = time.monotonic(), time.time()
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env()).returncode
    wall = time.monotonic() - start
    text = log.read_text(errors="replace")
    status = STATUS.findall(text)
    stats = dict(STAT.findall(text))
    execs, cov, ft, corp, corp_bytes = status[-1] if status else ("0", "-", "-", "-", "-")
    execs = stats.get("number_of_executed_units", execs)
    # this run's findings only: older ones may still lie there
    found = sorted(p.name for p in artifacts.iterdir() if p.stat().st_mtime >= start_wall)
    ok = rc == 0 and not found
    return {
        "target": target, "seconds": round(wall), "execs": int(execs),
        "exec_s": int(stats.get("average_exec_per_sec", 0)), "cov": cov, "ft": ft,
        "corpus": f"{corp} ({corp_bytes})", "new": stats.get("new_units_added", "-"),
        "rss": stats.get("peak_rss_mb", "-"), "ok": ok, "rc": rc, "found": found, "log": log,
    }


def fuzz(build, targets, seconds):
    results = []
    start = time.monotonic()
    for target in targets:
        print(f"fuzz: {target} for {seconds} s ...", flush=True)
        r = fuzz_one(build, target, seconds)
        results.append(r)
        verdict = "ok" if r["ok"] else f"FAILED (exit {r['rc']}) {' '.join(r['found'])}"
        print(f"fuzz: {target}: {r['execs']} execs ({r['exec_s']}/s) cov: {r['cov']} "
              f"ft: {r['ft']} corpus: {r['corpus']}: {verdict}", flush=True)
        if not r["ok"]:
            print(f"fuzz: see {r['log']}", flush=True)
    wall = time.monotonic() - start
    lines = [
        "# Fuzzing summary", "",
        f"{len(targets)} targets, {seconds} s each, {wall / 60:.1f} min in total "
        f"({time.strftime('%Y-%m-%d %H:%M')}).", "",
        "| target | seconds | executions | exec/s | cov | ft | corpus (files/bytes) "
        "| new units | peak RSS MB | result |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        result = "ok" if r["ok"] else "**FAILED**: " + (" ".join(r["found"]) or f"exit {r['rc']}")
        lines.append(f"| {r['target']} | {r['seconds']} | {r['execs']} | {r['exec_s']} | "
                     f"{r['cov']} | {r['ft']} | {r['corpus']} | {r['new']} | {r['rss']} "
                     f"| {result} |")
    (build / "summary.md").write_text("\n".join(lines) + "\n")
    print(f"fuzz: {wall / 60:.1f} min; summary in {build / 'summary.md'}")
    return all(r["ok"] for r in results)


def coverage_of(build, target, path):
    """The coverage features (edges only: -use_counters=0) of one input, from
    libFuzzer's merge control file.  One run per input: the control file
    lists only the features each input adds to those of the inputs before."""
    with tempfile.TemporaryDirectory() as tmp:
        control, out, one = Path(tmp) / "control", Path(tmp) / "out", Path(tmp) / "in"
        out.mkdir()
        one.mkdir()
        (one / "input").symlink_to(path.resolve())
        cmd = [str(build / target), "-merge=1", "-use_counters=0",
               f"-merge_control_file={control}", str(out), str(one)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env())
        if r.returncode != 0:
            sys.exit(f"merge: {target} failed on {path}:\n{r.stderr[-3000:]}")
        for line in control.read_text().splitlines():
            if line.startswith("FT "):
                return set(line.split()[2:])
    return set()


def merge(build, targets):
    """Minimise the committed corpus, what `make fuzz` found and the
    hand-made seeds into tests/fuzz/corpus: a greedy set cover of their
    coverage (the input adding most features first), which keeps fewer
    files than libFuzzer's smallest-first -merge=1.  crash-* files stay."""
    fresh = build / "seeds"
    shutil.rmtree(fresh, ignore_errors=True)
    subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "seeds.py"), str(fresh)],
                   check=True)
    ok = True
    for target in targets:
        dest = SEEDS / target
        dest.mkdir(parents=True, exist_ok=True)
        dirs = [d for d in (dest, build / "corpus" / target) if d.exists()]
        keep = {}
        with tempfile.TemporaryDirectory() as pre:
            # libFuzzer's merge first, to bring thousands of inputs down to ~100;
            # the seeds go in whole (libFuzzer keeps its first directory).
            for f in (fresh / target).iterdir():
                shutil.copy(f, Path(pre) / hashlib.sha1(f.read_bytes()).hexdigest())
            cmd = [str(build / target), "-merge=1", "-use_counters=0", pre] + [str(d) for d in dirs]
            r = subprocess.run(cmd, capture_output=True, text=True, env=env())
            if r.returncode != 0:
                sys.exit(f"merge: {target} failed:\n{r.stderr[-3000:]}")
            features = {f: coverage_of(build, target, f) for f in Path(pre).iterdir()}
            left = set().union(*features.values())
            while left:
                best = max(features, key=lambda f: (len(features[f] & left), -f.stat().st_size))
                left -= features[best]
                keep[best.name] = best.read_bytes()
        for f in dest.iterdir():
            if not f.name.startswith("crash-"):  # regression inputs stay
                f.unlink()
        for name, data in keep.items():
            (dest / name).write_bytes(data)
        files = list(dest.iterdir())
        size = sum(f.stat().st_size for f in files)
        note = ""
        if len(files) > MAX_FILES or size > MAX_BYTES:
            note = f" -- over the {MAX_FILES} files / {MAX_BYTES // 1024} KiB budget"
            ok = False
        print(f"merge: {target}: {len(files)} files, {size} bytes{note}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", type=Path, required=True)
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    ok = merge(args.build, args.targets) if args.merge else \
        fuzz(args.build, args.targets, args.seconds)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
