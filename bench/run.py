#!/usr/bin/python3
"""make bench: run rvhv's benchmarks and their native references under QEMU's
-icount, and write build/bench/results.md and build/bench/results.svg.

Builds nothing (make bench builds first); see bench/README.md for what each
figure means.  Each configuration is one QEMU with a deadline, killed with
SIGKILL at the end (QEMU 7.2 sometimes ignores SIGTERM); its console output is
kept in build/bench/logs/<run>.log.  rvhv's QEMU command lines come from
`make qemu-cmd`, the native ones are built here the same way.

  bench/run.py [--xv6 DIR] [--only NAMES] [--update-docs]
"""
import argparse
import datetime
import math
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
B = ROOT / "build"
OUT = B / "bench"
LOGS = OUT / "logs"
CACHE = Path(os.environ.get("RVHV_CACHE", Path.home() / ".cache" / "rvhv"))
LINUX_IMAGE = Path(os.environ.get("RVHV_LINUX_IMAGE", CACHE / "linux" / "Image"))
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")
ICOUNT = "-icount shift=0,sleep=off"
# xv6 waits for its disk asleep: with sleep=off the clock would jump to its
# next timer tick on every wait (bench/README.md, "xv6").
ICOUNT_SLEEP = "-icount shift=0,sleep=on"
TIMEBASE = 10_000_000  # QEMU virt's time CSR: 10 MHz
NS_PER_TICK = 1e9 / TIMEBASE
LINUX_ARGS = "console=ttyS0 earlycon=sbi"
DISK_BYTES = 8 << 20
RUNS = (1, 2, 3)  # bench.elf runs, natively and under rvhv
XV6_DEADLINE = 3600  # s: usertests -q under -icount is slow (bench/README.md)

BENCH_RE = re.compile(r"(?:^|\s)bench (\S+) (\d+) (-|-?[\d.]+) (-?[\d.]+)\s*$", re.M)
INFO_RE = re.compile(r"^benchinfo (\S+) (.*?)\s*$", re.M)
EXITS_RE = re.compile(r"rvhv: vm '([^']+)' exits:(.*) \(total (\d+)\)")
INIT_TIME_RE = re.compile(r"bench-init: time (\d+)")
RUN_INIT_RE = re.compile(r"\[\s*([\d.]+)\] Run /init as init process")


# ---------------------------------------------------------------- running QEMU

def make_qemu_cmd(**make_vars):
    """rvhv's QEMU command line, as `make qemu` would run it."""
    args = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "qemu-cmd"]
    args += [f"{k}={v}" for k, v in make_vars.items()]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return shlex.split(out.strip().splitlines()[-1])


def native_cmd(kernel, smp=1, mem="256M", bios="default", disk=None, extra=""):
    """QEMU without rvhv: the same machine, the guest where the firmware (or
    -bios none) puts it, QEMU's own virtio-blk on the first slot."""
    cmd = [QEMU, "-machine", "virt", "-cpu", "rv64", "-smp", str(smp), "-m", mem,
           "-nographic", "-bios", bios, "-kernel", str(kernel),
           "-global", "virtio-mmio.force-legacy=false"]
    if disk:
        cmd += ["-drive", f"file={disk},if=none,format=raw,id=disk0",
                "-device", "virtio-blk-device,drive=disk0,bus=virtio-mmio-bus.0"]
    return cmd + shlex.split(extra)


# Disk images live in memory when they can: the host disk's latency reaches
# the figures (QEMU's virtio-blk completes requests in host time).
DISK_DIR = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else OUT


def fresh_disk(name):
    """An 8 MiB raw image of zeros for one run, written out (not sparse, so
    that no write has to allocate blocks)."""
    path = DISK_DIR / f"rvhv-bench-{os.getpid()}-{name}.img"
    with open(path, "wb") as f:
        f.write(bytes(DISK_BYTES))
    DISKS.add(path)
    return path


DISKS = set()


class Run:
    """One QEMU: its output, its wall time, whether it ended on its own."""

    def __init__(self, name, cmd, deadline):
        self.name, self.cmd, self.deadline = name, cmd, deadline
        self.log_path = LOGS / f"{name}.log"
        self.proc = None
        self.ok = False
        self.wall = 0.0
        self.text = ""

    def start(self):
        self.log = open(self.log_path, "w", buffering=1)  # line by line: tail -f works
        self.log.write("# " + shlex.join(self.cmd) + "\n")
        self.log.flush()
        self.t0 = time.monotonic()
        self.proc = pexpect.spawn(self.cmd[0], self.cmd[1:], encoding="utf-8",
                                  codec_errors="replace", timeout=self.deadline,
                                  cwd=str(ROOT), maxread=65536)
        self.proc.logfile_read = self.log
        return self

    def remaining(self):
        return max(1.0, self.deadline - (time.monotonic() - self.t0))

    def finish(self):
        """Wait for QEMU to exit by itself (the guest powers off)."""
        try:
            self.proc.expect(pexpect.EOF, timeout=self.remaining())
            self.ok = True
        except pexpect.TIMEOUT:
            self.log.write(f"\n# bench: deadline of {self.deadline} s reached, killed\n")
        return self.stop()

    def stop(self):
        self.wall = time.monotonic() - self.t0
        if self.proc.isalive():
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.close(force=True)
        self.log.write(f"\n# bench: {self.wall:.1f} s wall\n")
        self.log.close()
        self.text = self.log_path.read_text(errors="replace")
        status = "ok" if self.ok else "DEADLINE"
        print(f"bench: {self.name}: {status}, {self.wall:.1f} s wall", flush=True)
        return self


def run(name, cmd, deadline):
    return Run(name, cmd, deadline).start().finish()


# ---------------------------------------------------------------- parsing

def parse_bench(text):
    """{name: (n, instructions per op or None, virtual ns per op)}"""
    res = {}
    for m in BENCH_RE.finditer(text):
        instr = None if m.group(3) == "-" else float(m.group(3))
        res[m.group(1)] = (int(m.group(2)), instr, float(m.group(4)))
    return res


def parse_info(text):
    info = {}
    for m in INFO_RE.finditer(text):
        info.setdefault(m.group(1), []).append(m.group(2))
    return info


def info_field(info, key, field):
    """The integer after `field` in a benchinfo line of `key`."""
    for line in info.get(key, []):
        m = re.search(rf"\b{field} (\d+)", line)
        if m:
            return int(m.group(1))
    return None


def parse_exits(text):
    """({exit kind: count}, total) from rvhv's statistics at VM stop."""
    m = EXITS_RE.search(text)
    if not m:
        return None, None
    words = m.group(2).split()
    kinds = {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}
    return kinds, int(m.group(3))


def rvhv_size():
    out = subprocess.run(["riscv64-unknown-elf-size", str(B / "rvhv.elf")], check=True,
                         capture_output=True, text=True).stdout.splitlines()[-1].split()
    return int(out[0]) + int(out[1])


# ---------------------------------------------------------------- the runs

class Bench:
    def __init__(self, args):
        self.args = args
        self.runs = {}
        self.notes = []

    def want(self, group):
        return not self.args.only or group in self.args.only.split(",")

    def keep(self, r):
        self.runs[r.name] = r
        if r.name.endswith("-xv6"):
            return r  # xv6_one says what went wrong
        if r.ok and "bench: done" not in r.text:
            r.ok = False  # QEMU stopped, but the guest did not finish
            self.notes.append(f"`{r.name}` ended before the guest's `bench: done` "
                              f"(log: build/bench/logs/{r.name}.log)")
        elif not r.ok:
            self.notes.append(f"`{r.name}` did not finish within {r.deadline} s "
                              f"(log: build/bench/logs/{r.name}.log)")
        return r

    # -- bench.elf, several times on each side to check that the counts repeat,
    # and mbench.elf
    def micro(self):
        for i in RUNS:
            self.keep(run(f"native-bench-{i}", native_cmd(OUT / "bench.elf", disk=fresh_disk(
                "native"), extra=ICOUNT), 120))
            self.keep(run(f"rvhv-bench-{i}", make_qemu_cmd(
                VMCONFIG=OUT / "configs/bench.dtb", HARTS=1, DISK=fresh_disk("rvhv"),
                QEMUFLAGS=ICOUNT), 300))
        self.keep(run("native-mbench", native_cmd(OUT / "mbench.elf", mem="128M", bios="none",
                                                  extra=ICOUNT), 60))
        self.keep(run("rvhv-mbench", make_qemu_cmd(
            VMCONFIG=OUT / "configs/mbench.dtb", HARTS=1, QEMUFLAGS=ICOUNT), 180))

    # -- the poller hart.  Under -icount QEMU 7.2 runs the harts in turn, each
    # until its budget of virtual time (up to 100 ms) runs out or it idles,
    # so a request the poller serves waits for the poller's turn, and a short
    # run may never see the poller at all: one short run shows that, and the
    # exit counts come from runs without -icount (true parallel harts).
    def poller(self):
        self.keep(run("rvhv-bench-poller-icount", make_qemu_cmd(
            VMCONFIG=OUT / "configs/bench-poller-icount.dtb", HARTS=2, DISK=fresh_disk("poller"),
            QEMUFLAGS=f"-accel tcg,thread=single {ICOUNT}"), 300))
        self.keep(run("rvhv-bench-poller", make_qemu_cmd(
            VMCONFIG=OUT / "configs/bench-poller.dtb", HARTS=2, DISK=fresh_disk("poller")),
            300))

    # -- Linux: boot to /init, and the exits of its disk I/O
    def linux(self):
        if not LINUX_IMAGE.is_file():
            self.notes.append(f"Linux: {LINUX_IMAGE} missing (make linux): skipped")
            return
        initrd = OUT / "linux/initrd.cpio"
        for blk, suffix in ((0, ""), (256, "-blk")):
            self.keep(run(f"native-linux{suffix}", native_cmd(
                LINUX_IMAGE, disk=fresh_disk("linux"),
                extra=f"-initrd {initrd} -append '{LINUX_ARGS} bench.blk={blk}' {ICOUNT}"), 300))
            self.keep(run(f"rvhv-linux{suffix}", make_qemu_cmd(
                VMCONFIG=OUT / f"configs/linux{suffix}.dtb", HARTS=1, DISK=fresh_disk("linux"),
                QEMUFLAGS=ICOUNT), 600))

    def linux_poller(self):
        """Exits only: without -icount (see poller)."""
        if not LINUX_IMAGE.is_file():
            return
        for suffix in ("", "-blk"):
            self.keep(run(f"rvhv-linux-poller{suffix}", make_qemu_cmd(
                VMCONFIG=OUT / f"configs/linux-poller{suffix}.dtb", HARTS=2,
                DISK=fresh_disk("linux")), 600))
        # ... and with a polling guest driver: virtio-blk's poll queue, io_uring
        # IOPOLL (bench/configs/linux-iopoll.dts: 2 vCPUs, hart 2 polls)
        for suffix in ("", "-blk"):
            self.keep(run(f"rvhv-linux-iopoll{suffix}", make_qemu_cmd(
                VMCONFIG=OUT / f"configs/linux-iopoll{suffix}.dtb", HARTS=3,
                DISK=fresh_disk("linux")), 600))

    # -- xv6 usertests -q, natively and under rvhv, side by side (the figures
    # are instruction counts and timer-paced idle time, not host speed)
    def xv6(self, xdir):
        kernel, fs = Path(xdir) / "kernel" / "kernel", Path(xdir) / "fs.img"
        if not kernel.is_file() or not fs.is_file():
            self.notes.append(f"xv6: {xdir} has no kernel/kernel and fs.img: skipped")
            return
        jobs = []
        for who in ("native", "rvhv"):
            mon, disk = OUT / f"xv6-{who}.sock", OUT / f"xv6-{who}-fs.img"
            shutil.copyfile(fs, disk)
            mon.unlink(missing_ok=True)
            flags = f"{ICOUNT_SLEEP} -monitor unix:{mon},server,nowait"
            if who == "native":
                cmd = native_cmd(kernel, mem="128M", bios="none", disk=disk, extra=flags)
            else:
                cfg = OUT / "configs/xv6"
                subprocess.run([sys.executable, str(ROOT / "tools/mkconfig.py"), "--guest",
                                str(kernel), "--cpus", "1", "--mem", "128M", "--disk", str(disk),
                                "-o", f"{cfg}.dts"], check=True)
                subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", f"{cfg}.dtb",
                                f"{cfg}.dts"], check=True)
                cmd = make_qemu_cmd(VMCONFIG=f"{cfg}.dtb", HARTS=1, DISK=disk, QEMUFLAGS=flags)
            jobs.append(threading.Thread(target=self.xv6_one, args=(f"{who}-xv6", cmd, mon)))
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()

    def xv6_one(self, name, cmd, mon):
        r = Run(name, cmd, XV6_DEADLINE).start()
        try:
            r.proc.expect(r"\$ ", timeout=r.remaining())
            t0 = read_mtime(mon)
            r.proc.send("usertests -q\n")
            r.proc.expect(r"ALL TESTS PASSED|FAILED", timeout=r.remaining())
            t1 = read_mtime(mon)
            if r.proc.after.startswith("ALL"):
                r.ok = True
                r.log.write(f"\n# bench: usertests -q took {t1 - t0} ticks of mtime\n")
            else:
                self.notes.append(f"`{name}`: usertests failed")
        except (pexpect.TIMEOUT, pexpect.EOF, OSError) as e:
            self.notes.append(f"`{name}`: {type(e).__name__} before ALL TESTS PASSED")
        r.stop()
        self.keep(r)


def read_mtime(sock_path):
    """The CLINT's mtime through QEMU's monitor (xp reads the device)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    for _ in range(50):
        try:
            s.connect(str(sock_path))
            break
        except OSError:
            time.sleep(0.1)
    buf = b""
    s.sendall(b"xp /1gx 0x200bff8\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        buf += s.recv(4096)
        m = re.search(rb"200bff8: (0x[0-9a-f]+)", buf)
        if m:
            s.close()
            return int(m.group(1), 16)
    s.close()
    raise OSError("no answer from QEMU's monitor")


# ---------------------------------------------------------------- figures

# benchmark -> (target text, predicate on the rvhv figure) for per-op targets
OP_TARGETS = {
    "sbi-null": ("≤ 100", lambda v: v <= 100),
    "uart-lsr-read": ("≤ 60 (UART fast path)", lambda v: v <= 60),
    "uart-scr-write": ("≤ 60 (UART fast path)", lambda v: v <= 60),
    "uart-thr-write": ("≤ 60 (UART fast path)", lambda v: v <= 60),
    "mmio-virtio-read": ("≤ 110 (general MMIO path: a register window)", lambda v: v <= 110),
    "mmio-testdev-read": ("≤ 110 (general MMIO path: the model's code)", lambda v: v <= 110),
    "mmio-testdev-write": ("≤ 110 (general MMIO path: the model's code)", lambda v: v <= 110),
    "plic-claim-complete": ("≤ 220 (2 general-path accesses)", lambda v: v <= 220),
}

DESCRIPTIONS = {
    "sbi-null": "null SBI call (BASE get_spec_version)",
    "sbi-probe": "SBI probe_extension (C tier)",
    "sbi-set-timer": "SBI set_timer, deadline far away",
    "uart-lsr-read": "16550 LSR read (lbu)",
    "uart-scr-write": "16550 SCR write (sb)",
    "uart-ier-read": "16550 IER read (lbu, answered from its register window)",
    "uart-thr-write": "16550 THR write (sb, one byte out)",
    "mmio-virtio-read": "virtio-mmio MagicValue read (lw, answered from its register window)",
    "mmio-testdev-read": "rvhv testdev read (ld, C tier: the model)",
    "mmio-testdev-write": "rvhv testdev write (sd, C tier: the model)",
    "plic-claim-complete": "PLIC claim + complete (lw + sw)",
    "uart-thre-irq": "UART THRE interrupt: IER store to S handler",
    "timer-irq-stimecmp": "timer interrupt: csrw stimecmp to handler (Sstc)",
    "timer-irq-sbi": "timer interrupt: SBI set_timer(now) to handler",
    "vm-csr-read": "virtual M-mode: csrr mscratch",
    "vm-mtime-read": "virtual M-mode: CLINT mtime read (ld)",
    "vm-timer-irq": "virtual M-mode: mtimecmp store to MTI handler",
}

BLK_PATTERNS = ("seq-read", "seq-write", "rand-read", "rand-write")


def fmt(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"


class Report:
    def __init__(self, bench):
        self.b = bench
        self.rows = []        # (benchmark, rvhv instr, rvhv ns, native instr, ratio, target, met)
        self.blk_rows = []
        self.summary = []     # (target, figure, met)
        self.details = []
        self.plot = []        # (label, rvhv, native, target)

    def res(self, name):
        r = self.b.runs.get(name)
        return (parse_bench(r.text), parse_info(r.text)) if r else ({}, {})

    def micro(self):
        nat1, _ = self.res("native-bench-1")
        rv1, rvinfo = self.res("rvhv-bench-1")
        mnat, _ = self.res("native-mbench")
        mrv, _ = self.res("rvhv-mbench")
        # repeatability: every per-op count but the host disks' (host I/O timing)
        for label in ("rvhv", "native"):
            all_runs = [self.res(f"{label}-bench-{i}")[0] for i in RUNS]
            a = all_runs[0]
            diff = sorted({k for b in all_runs[1:] for k in a
                           if not k.startswith("blk-") and k in b and a[k] != b[k]})
            # rvhv's RAM disk: its own work repeats, but rvhv's 100 Hz tick lands
            # in it where the (varying) host-backed disk's time put it
            ram = [b[k][1] for b in all_runs for k in b if k.startswith("blk-ram-")]
            if a and all(all_runs):
                self.details.append(
                    f"Repeat check ({label}, {len(RUNS)} runs): " +
                    ("every per-operation figure identical in every run"
                     if not diff else "DIFFERENT: " + ", ".join(
                         f"{k} " + " vs ".join(str(b.get(k, ('', '-'))[1]) for b in all_runs)
                         for k in diff)) +
                    (f"; RAM-disk requests within ±{(max(ram) - min(ram)) / 2:.1f} instructions "
                     "(where rvhv's timer tick falls)" if ram else "") +
                    "; the host-backed disk's figures vary (host I/O timing).")
        rv = {**rv1, **mrv}
        nat = {**nat1, **mnat}
        for name in DESCRIPTIONS:
            if name not in rv and name not in nat:
                continue
            ri, rn = (rv[name][1], rv[name][2]) if name in rv else (None, None)
            ni = nat[name][1] if name in nat else None
            ratio = ri / ni if ri is not None and ni else None
            tgt, pred = OP_TARGETS.get(name, ("", None))
            met = ("yes" if pred(ri) else "no") if pred and ri is not None else ""
            self.rows.append((f"{name}: {DESCRIPTIONS[name]}", ri, rn, ni, ratio, tgt, met))
            if pred and ri is not None:
                self.summary.append((f"{name} {tgt}", f"{fmt(ri)} instructions", met))
            if ri is not None:
                self.plot.append((name, ri, ni, OP_TARGETS.get(name, ("", None))[0]))
        claims = rvinfo.get("plic-claim-complete", [""])[0]
        if claims:
            self.details.append(f"plic-claim-complete under rvhv: {claims} (native QEMU's "
                                "gateway takes a new edge, so its claims find 0; 2 instructions "
                                "either way).")
        for who, run_name in (("rvhv", "rvhv-bench-1"), ("native", "native-bench-1")):
            _, info = self.res(run_name)
            m = re.search(r"(\d+) ticks", " ".join(info.get("entry-time", [])))
            if m:
                self.details.append(f"Virtual time from QEMU's reset to bench.elf's main, "
                                    f"{who}: {int(m.group(1)) * NS_PER_TICK / 1e6:.1f} ms"
                                    + (" (OpenSBI, rvhv's boot, and creating the 64 MiB VM)"
                                       if who == "rvhv" else " (OpenSBI)"))
        # Entry times of two VMs that differ in RAM (64 and 128 MiB): rvhv's
        # cost of creating a VM, per byte of guest RAM, if it shows.
        entry = {}
        for run_name in ("rvhv-bench-1", "rvhv-mbench"):
            m = re.search(r"(\d+) ticks", " ".join(self.res(run_name)[1].get("entry-time", [])))
            if m:
                entry[run_name] = int(m.group(1)) * NS_PER_TICK
        if len(entry) == 2:
            per_byte = (entry["rvhv-mbench"] - entry["rvhv-bench-1"]) / (64 << 20)
            text = (f"Creating a VM, from the two VMs above (64 and 128 MiB of guest RAM, "
                    f"{entry['rvhv-bench-1'] / 1e6:.1f} and {entry['rvhv-mbench'] / 1e6:.1f} ms "
                    "to their main): ")
            if per_byte >= 0.05:
                text += (f"about {per_byte:.1f} instructions per byte of guest RAM, "
                         f"{per_byte * (256 << 20) / 1e6:,.0f} ms of virtual time for the Linux "
                         "VM's 256 MiB, before Linux runs.")
            else:
                text += ("no cost per byte of guest RAM shows (rvhv clears it as the guest "
                         "first uses it, docs/emulation.md).")
            self.details.append(text)
        for who, run_name in (("rvhv", "rvhv-mbench"), ("native", "native-mbench")):
            _, info = self.res(run_name)
            m = re.search(r"(\d+) ticks", " ".join(info.get("entry-time", [])))
            if m:
                self.details.append(f"Virtual time from QEMU's reset to mbench.elf's main, "
                                    f"{who}: {int(m.group(1)) * NS_PER_TICK / 1e6:.3f} ms"
                                    + (" (OpenSBI, rvhv, a 128 MiB VM)" if who == "rvhv"
                                       else " (-bios none)"))

    def blk(self):
        runs = [(self.res(f"rvhv-bench-{i}"), self.res(f"native-bench-{i}")) for i in RUNS]
        poll, pinfo = self.res("rvhv-bench-poller")

        def stats(which, key):
            """mean ns over the runs, the range of the runs' means, the fastest
            request, notifications per request"""
            means, fastest, notif = [], [], None
            for r in runs:
                res, info = r[which]
                if key in res:
                    means.append(res[key][2])
                    fastest.append(info_field(info, key, "min"))
                    req = info_field(info, key, "requests")
                    if notif is None and req:
                        notif = info_field(info, key, "notifies") / req
            if not means:
                return None
            return (statistics.mean(means), f"{min(means):,.0f}-{max(means):,.0f}",
                    min(f for f in fastest if f is not None), notif)

        worst = None
        for pat in BLK_PATTERNS:
            nat = stats(1, f"blk-qemu-{pat}") or (None, "", None, None)
            for backend in ("host", "ram"):
                rv = stats(0, f"blk-{backend}-{pat}")
                if not rv:
                    continue
                ratio = nat[2] / rv[2] if nat[2] else None
                mean_ratio = nat[0] / rv[0] if nat[0] else None
                host = backend == "host"
                met = ("yes" if ratio >= 0.9 else "no") if host and ratio else ""
                if host and ratio is not None:
                    worst = ratio if worst is None else min(worst, ratio)
                pk = f"blk-{backend}-{pat}"
                preq = info_field(pinfo, pk, "requests")
                pepr = info_field(pinfo, pk, "notifies") / preq if pk in poll and preq else None
                self.blk_rows.append((f"{backend} {pat}", rv, nat, ratio, mean_ratio,
                                      "≥ 0.90 of native" if host else "", met, pepr))
        for name, rv, nat, *_ in self.blk_rows:
            if "seq" in name:
                self.plot.append((f"blk {name} (path)", rv[2], nat[2], ""))
        ires, iinfo = self.res("rvhv-bench-poller-icount")
        if ires:
            req = sum(info_field(iinfo, k, "requests") or 0 for k in ires)
            notif = sum(info_field(iinfo, k, "notifies") or 0 for k in ires)
            ms = [ires[k][2] / 1e6 for k in ires]
            self.details.append(
                "Poller under -icount (2 harts, `-accel tcg,thread=single`): it runs and nothing "
                "hangs, but QEMU runs the harts in turn, each until its share of virtual time "
                "(up to 100 ms) is used or it idles, so a request the poller serves waits for "
                "the poller's turn, and a short run may not give the poller a turn at all "
                f"(this run: {notif} notifications in {req} requests, {min(ms):.2f}-"
                f"{max(ms):.2f} ms per request; an earlier one: 100 ms per request, no "
                "notifications). So the poller's exits are counted without -icount "
                "(`rvhv-bench-poller`, `rvhv-linux-poller*`: parallel harts), and its times "
                "are not measured.")
        if worst is not None:
            self.summary.append(("virtio-blk host backend throughput ≥ 0.90 of native "
                                 "(worst pattern; request path, see the disk table)",
                                 f"{worst:.2f}", "yes" if worst >= 0.9 else "no"))
        # Under -icount QEMU's device model costs no virtual time, so the native
        # path is the guest's driver alone.  With a device that takes L ns, the
        # ratio is (L + native) / (L + rvhv): >= 0.9 once L >= 9 rvhv - 10 native.
        paths = [(r[1][2], r[2][2]) for r in self.blk_rows
                 if r[0].startswith("host") and r[1][2] and r[2][2]]
        if paths:
            need = max(9 * rv - 10 * nat for rv, nat in paths)
            self.details.append(
                "virtio-blk: under -icount QEMU's own virtio-blk and its file cost no virtual "
                "time (QEMU's code is not counted), so the native request path is the guest's "
                "driver alone and the host backend's ratio is rvhv's extra instructions against "
                "a device of zero latency. With a disk taking L ns per request the ratio would "
                f"be (L + native) / (L + rvhv): ≥ 0.90 once L ≥ {need / 1000:.1f} µs for the "
                "worst pattern measured.")

    def linux(self):
        def boot(run_name):
            r = self.b.runs.get(run_name)
            if not r:
                return None, None
            m, k = INIT_TIME_RE.search(r.text), RUN_INIT_RE.search(r.text)
            return (int(m.group(1)) * NS_PER_TICK / 1e6 if m else None,
                    float(k.group(1)) * 1e3 if k else None)
        rv, nat = boot("rvhv-linux"), boot("native-linux")
        if rv[0] and nat[0]:
            ratio = rv[0] / nat[0]
            self.summary.append(("Linux boot-to-init (from QEMU's reset) rvhv/native ≤ 1.10",
                                 f"{ratio:.2f} ({rv[0]:.1f} ms / {nat[0]:.1f} ms)",
                                 "yes" if ratio <= 1.10 else "no"))
        if rv[1] and nat[1]:
            ratio = rv[1] / nat[1]
            self.summary.append(("Linux boot-to-init (kernel clock, from time_init) rvhv/native "
                                 "≤ 1.10", f"{ratio:.2f} ({rv[1]:.1f} ms / {nat[1]:.1f} ms)",
                                 "yes" if ratio <= 1.10 else "no"))
        self.linux_boot = (rv, nat)
        self.linux_exits = []
        for label, base, blk in (("1 hart, no poller (-icount)", "rvhv-linux", "rvhv-linux-blk"),
                                 ("poller hart, interrupt-driven guest (no -icount)",
                                  "rvhv-linux-poller", "rvhv-linux-poller-blk"),
                                 ("poller hart, guest polls: poll queue + io_uring IOPOLL "
                                  "(no -icount)", "rvhv-linux-iopoll", "rvhv-linux-iopoll-blk")):
            a, b = self.b.runs.get(base), self.b.runs.get(blk)
            if not a or not b or not a.ok or not b.ok:
                continue
            ka, ta = parse_exits(a.text)
            kb, tb = parse_exits(b.text)
            info = parse_info(b.text)
            req = sum((info_field(info, f"linux-blk-{p}", "requests") or 0) -
                      (info_field(parse_info(a.text), f"linux-blk-{p}", "requests") or 0)
                      for p in BLK_PATTERNS)
            if ta is None or tb is None or not req:
                continue
            per = (tb - ta) / req
            kinds = ", ".join(f"{k} {(kb.get(k, 0) - ka.get(k, 0)) / req:.2f}"
                              for k in sorted(set(ka) | set(kb)))
            self.linux_exits.append((label, req, tb - ta, per, kinds))
            if label.startswith("poller"):
                polled = "guest polls" in label
                if polled and "benchinfo linux-blk iopoll on" not in b.text:
                    self.b.notes.append(f"`{blk}`: the guest's requests were not polled "
                                        "(no `benchinfo linux-blk iopoll on`)")
                    continue
                self.summary.append((
                    "Linux exits per virtio-blk request with a poller hart ≤ 0.1" +
                    (": guest polls too (poll queue, io_uring IOPOLL)" if polled
                     else ": interrupt-driven guest driver"),
                    f"{per:.2f}", "yes" if per <= 0.1 else "no"))
        self.linux_blk = []
        nb, _ = self.res("native-linux-blk")
        rb, _ = self.res("rvhv-linux-blk")
        for pat in BLK_PATTERNS:
            k = f"linux-blk-{pat}"
            if k in rb or k in nb:
                self.linux_blk.append((pat, rb.get(k, (0, 0, None))[2],
                                       nb.get(k, (0, 0, None))[2]))

    def xv6(self):
        a, b = self.b.runs.get("rvhv-xv6"), self.b.runs.get("native-xv6")
        def ticks(r):
            m = re.search(r"# bench: usertests -q took (\d+) ticks", r.text) if r else None
            return int(m.group(1)) if m else None
        ta, tb = ticks(a), ticks(b)
        if ta and tb:
            ratio = ta / tb
            self.summary.append(("xv6 usertests -q virtual time rvhv/native ≤ 1.05",
                                 f"{ratio:.2f} ({ta / TIMEBASE:.2f} s / {tb / TIMEBASE:.2f} s)",
                                 "yes" if ratio <= 1.05 else "no"))
            self.details.append(
                "xv6 (1 hart, `-icount shift=0,sleep=on`, mtime from QEMU's monitor around "
                "`usertests -q`): natively xv6 sleeps while QEMU's disk works and that idle "
                "time passes at the host's pace; under rvhv the host backend completes the "
                "request inside the notification exit, and its wait is counted in instructions "
                "at TCG's pace (slower than 1 per ns). The disk waits therefore weigh less "
                "under rvhv: the ratio favours rvhv by an unknown share of the disk time.")
        elif self.b.args.xv6:
            self.summary.append(("xv6 usertests -q virtual time rvhv/native ≤ 1.05",
                                 "not measured (see notes)", ""))
        else:
            self.summary.append(("xv6 usertests -q virtual time rvhv/native ≤ 1.05",
                                 "not run (no XV6_DIR)", ""))

    def size(self):
        n = rvhv_size()
        self.summary.append(("rvhv image text+data ≤ 128 KiB",
                             f"{n:,} bytes ({n / 1024:.1f} KiB)",
                             "yes" if n <= 128 * 1024 else "no"))

    # ---------------------------------------------------------------- output
    def markdown(self, command, wall, now):
        L = []
        L.append(f"# rvhv benchmarks ({now})\n")
        L.append(f"`{command}` on {now}, {wall:.0f} s wall on this machine. QEMU 7.2 with "
                 "`-icount shift=0,sleep=off`: one instruction = one virtual ns, counts repeat "
                 "run to run. Per-operation figures are seen from the guest: the loop with the "
                 "operation minus the loop without it (rvhv's exit to re-entry plus the "
                 "instruction), per iteration; interrupts: instructions from the instruction "
                 "that raises one to the handler's first. Native = the same guest on QEMU + "
                 "OpenSBI without rvhv (bench/README.md).\n")
        L.append("## Targets\n")
        L.append("| target | measured | met? |\n|---|---|---|")
        for t, f, m in self.summary:
            L.append(f"| {t} | {f} | {m or '-'} |")
        L.append("\n## Operations\n")
        L.append("| benchmark | rvhv instructions/op | rvhv virtual ns/op | native instructions/op "
                 "| ratio | target | met? |\n|---|---:|---:|---:|---:|---|---|")
        for name, ri, rn, ni, ratio, tgt, met in self.rows:
            L.append(f"| {name} | {fmt(ri)} | {fmt(rn)} | {fmt(ni)} | {fmt(ratio, 1)} | "
                     f"{tgt or '-'} | {met or '-'} |")
        if self.blk_rows:
            L.append("\n## virtio-blk, 4 KiB at queue depth 1, polled (bench.elf)\n")
            L.append("Each request: header, 4 KiB, status; the guest spins on the used ring; "
                     f"1024 requests per pattern over the first 4 MiB, {len(RUNS)} runs. "
                     "`host` = rvhv's host backend on QEMU's virtio-blk (a file in /dev/shm), "
                     "`ram` = rvhv's RAM backend; native = the same guest on QEMU's virtio-blk "
                     "without rvhv. QEMU's file-backed requests complete in host time, which "
                     "reaches virtual time only through how far the hart got meanwhile: most "
                     "requests take exactly the fastest time (the request path: guest driver, "
                     "exits, rvhv, QEMU's device), a few take 0.1-1 ms more when the host stalls, "
                     "and those stalls make the mean vary run to run. The path is what repeats: "
                     "IOPS, MB/s and the ratio to native are computed from it; the means (range "
                     "of the runs' means) are shown for completeness. MB = 10^6 bytes per "
                     "virtual second.\n")
            L.append("| disk, pattern | rvhv ns/request (path) | IOPS | MB/s | native ns/request "
                     "(path) | native IOPS | throughput vs native | target | met? | rvhv mean "
                     "ns (runs) | native mean ns (runs) | mean vs native | exits/request | "
                     "exits/request, poller |\n"
                     "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|")
            for name, rv, nat, ratio, mean_ratio, tgt, met, pepr in self.blk_rows:
                ns, spread, fast, epr = rv
                nns, nspread, nfast, _ = nat
                L.append(f"| {name} | {fmt(fast, 0)} | {fmt(1e9 / fast, 0)} | "
                         f"{fmt(4096e3 / fast, 0)} | {fmt(nfast, 0)} | "
                         f"{fmt(1e9 / nfast if nfast else None, 0)} | {fmt(ratio)} | "
                         f"{tgt or '-'} | {met or '-'} | {fmt(ns, 0)} ({spread}) | "
                         f"{fmt(nns, 0)} ({nspread or '-'}) | {fmt(mean_ratio)} | {fmt(epr, 3)} | "
                         f"{fmt(pepr, 3)} |")
            L.append("\nexits/request = the guest's QueueNotify writes per request (its only "
                     "exits while it waits). With a poller hart, from a run without -icount (see "
                     "the notes): a pattern's requests notify until the poller has first seen "
                     "the queue, which depends on host timing.")
        if getattr(self, "linux_boot", None):
            rv, nat = self.linux_boot
            L.append("\n## Linux 6.1 (the cached Image, 1 vCPU, bench/linux/init.c as /init)\n")
            L.append("| | rvhv | native | ratio |\n|---|---:|---:|---:|")
            for i, what in ((0, "boot to /init, from QEMU's reset (ms, time CSR read by /init)"),
                            (1, "boot to /init, kernel clock (ms, printk time of "
                                "`Run /init`)")):
                r = rv[i] / nat[i] if rv[i] and nat[i] else None
                L.append(f"| {what} | {fmt(rv[i])} | {fmt(nat[i])} | {fmt(r)} |")
            if self.linux_exits:
                L.append("\n| exits per virtio-blk request | requests | exits | per request | "
                         "by kind, per request |\n|---|---:|---:|---:|---|")
                for label, req, ex, per, kinds in self.linux_exits:
                    L.append(f"| {label} | {req} | {ex} | {per:.2f} | {kinds} |")
                L.append("\nExits of the run with 4 × 256 O_DIRECT 4 KiB requests minus those "
                         "of the same boot without them, over the requests Linux counted in "
                         "/sys/block/vda/stat; for the polling guest, 4 × 512 requests minus "
                         "4 × 256, so that the bench's console lines cancel too. Without -icount "
                         "the exit counts include rvhv's 100 Hz tick over wall-clock time, "
                         "which TCG stretches (with a poller hart the tick is the poller's).")
            if self.linux_blk:
                L.append("\n| Linux O_DIRECT 4 KiB, virtual µs per request | rvhv | native |"
                         "\n|---|---:|---:|")
                for pat, a, n in self.linux_blk:
                    L.append(f"| {pat} | {fmt(a / 1e3 if a else None)} | "
                             f"{fmt(n / 1e3 if n else None)} |")
                L.append("\nInformation only, not comparable: natively Linux sleeps while its "
                         "request is in flight, and with sleep=off QEMU's clock then jumps to the "
                         "next timer; rvhv's host backend completes the request inside the "
                         "notification exit, so Linux never sleeps.")
        if self.details or self.b.notes:
            L.append("\n## Notes\n")
            for d in self.details + self.b.notes:
                L.append(f"- {d}")
        L.append("\n## Runs\n")
        L.append("| run | ended | wall s |\n|---|---|---:|")
        for r in self.b.runs.values():
            L.append(f"| {r.name} | {'finished' if r.ok else 'failed (log)'} | {r.wall:.1f} |")
        return "\n".join(L) + "\n"

    def svg(self):
        """Horizontal bars on a log scale: rvhv and native instructions per op."""
        rows = self.plot
        if not rows:
            return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"
        left, width, bar, gap, top = 250, 560, 11, 10, 50
        hi = max(max(r[1], r[2] or 1) for r in rows)
        decades = max(1, math.ceil(math.log10(hi)))
        lo = -0.3  # the axis starts at 0.5, so that a 1-instruction bar shows

        def x(v):
            return left + width * (math.log10(max(v, 0.5)) - lo) / (decades - lo)

        h = top + len(rows) * (2 * bar + gap) + 40
        s = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + width + 40}' height='{h}' "
             "font-family='sans-serif' font-size='11'>",
             f"<rect width='100%' height='100%' fill='white'/>",
             f"<text x='{left}' y='18' font-size='13' font-weight='bold'>rvhv vs native: "
             "instructions per operation (log scale, QEMU -icount)</text>",
             f"<rect x='{left}' y='28' width='10' height='10' fill='#d9534f'/>"
             f"<text x='{left + 14}' y='37'>rvhv</text>",
             f"<rect x='{left + 60}' y='28' width='10' height='10' fill='#5b8def'/>"
             f"<text x='{left + 74}' y='37'>native</text>",
             f"<line x1='{left + 130}' y1='33' x2='{left + 145}' y2='33' stroke='black' "
             "stroke-dasharray='3,2'/>"
             f"<text x='{left + 150}' y='37'>target</text>"]
        for d in range(decades + 1):
            xx = x(10 ** d)
            s.append(f"<line x1='{xx}' y1='{top - 5}' x2='{xx}' y2='{h - 30}' stroke='#ddd'/>")
            s.append(f"<text x='{xx}' y='{h - 15}' text-anchor='middle'>{10 ** d:,}</text>")
        y = top
        for name, rv, nat, tgt in rows:
            s.append(f"<text x='{left - 6}' y='{y + bar + 4}' text-anchor='end'>{name}</text>")
            s.append(f"<rect x='{left}' y='{y}' width='{x(rv) - left:.1f}' height='{bar}' "
                     f"fill='#d9534f'/><text x='{x(rv) + 3:.1f}' y='{y + bar - 2}'>{fmt(rv)}"
                     "</text>")
            if nat is not None:
                s.append(f"<rect x='{left}' y='{y + bar}' width='{x(nat) - left:.1f}' "
                         f"height='{bar}' fill='#5b8def'/><text x='{x(nat) + 3:.1f}' "
                         f"y='{y + 2 * bar - 2}'>{fmt(nat)}</text>")
            m = re.search(r"≤ (\d+)", tgt)
            if m:
                tx = x(int(m.group(1)))
                s.append(f"<line x1='{tx:.1f}' y1='{y - 2}' x2='{tx:.1f}' y2='{y + 2 * bar + 2}' "
                         "stroke='black' stroke-dasharray='3,2'/>")
            y += 2 * bar + gap
        s.append("</svg>")
        return "\n".join(s) + "\n"


def update_docs(md):
    """Replace the generated section of docs/perf.md with this run's tables,
    (the chart stays in build/bench/results.svg)."""
    path = ROOT / "docs" / "perf.md"
    text = path.read_text()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        print("bench: docs/perf.md has no bench markers; not updated", file=sys.stderr)
        return
    body = md.split("\n", 1)[1].replace("\n## ", "\n### ")
    head, rest = text.split(begin, 1)
    text = head + begin + "\n" + body + end + rest.split(end, 1)[1]
    path.write_text(text)
    print("bench: docs/perf.md updated (the chart stays in build/bench/results.svg)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--xv6", help="an xv6-riscv tree with kernel/kernel and fs.img (XV6_DIR)")
    ap.add_argument("--only", help="comma-separated: micro,poller,linux,linux-poller,xv6")
    ap.add_argument("--update-docs", action="store_true",
                    help="rewrite the generated section of docs/perf.md (after a full run)")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: the report from the logs of the last run")
    args = ap.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    b = Bench(args)
    if args.report_only:
        for log in sorted(LOGS.glob("*.log"), key=lambda p: p.stat().st_mtime):
            if log.stem.endswith("-xv6") and not args.xv6:
                continue
            r = Run(log.stem, [], 0)
            r.text = log.read_text(errors="replace")
            r.ok = "# bench: deadline" not in r.text
            m = re.search(r"# bench: ([\d.]+) s wall", r.text)
            r.wall = float(m.group(1)) if m else 0.0
            b.keep(r)
    else:
        try:
            for group, fn in (("micro", b.micro), ("poller", b.poller), ("linux", b.linux),
                              ("linux-poller", b.linux_poller)):
                if b.want(group):
                    fn()
            if args.xv6 and b.want("xv6"):
                b.xv6(args.xv6)
        finally:
            for path in DISKS:
                path.unlink(missing_ok=True)
    wall_file = LOGS / "run"  # the last run's wall time and date, for --report-only
    if args.report_only:
        wall, when = (wall_file.read_text().split(" ", 1) if wall_file.exists()
                      else ("0", "unknown date"))
        wall, when = float(wall), when.strip()
    else:
        wall, when = time.monotonic() - t0, started
        wall_file.write_text(f"{wall:.1f} {when}\n")
    rep = Report(b)
    rep.micro()
    rep.blk()
    rep.linux()
    rep.xv6()
    rep.size()
    command = (f"python3 bench/run.py --only {args.only}" if args.only else "make bench") + \
        (f" XV6_DIR={args.xv6}" if args.xv6 else "")
    md = rep.markdown(command, wall, when)
    (OUT / "results.md").write_text(md)
    (OUT / "results.svg").write_text(rep.svg())
    print(md)
    print(f"bench: wrote {OUT / 'results.md'} and {OUT / 'results.svg'} ({wall:.0f} s)")
    if args.update_docs:
        update_docs(md)
    failed = [r.name for r in b.runs.values() if not r.ok]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
