#!/usr/bin/python3
"""Where one operation's instructions go: run bench.elf's group GROUP under
QEMU with one instruction per translation block and an execution log, take
one iteration of the loop loop_LOOP (bench/guests/loops.S) and print, in
order, the code it ran, one line per run of instructions in one function or
assembly label, then the totals per function.

  bench/profile.py GROUP LOOP [--iteration N] [--native] [--keep-log]
  bench/profile.py GROUP --at FUNCTION [...]

e.g. `bench/profile.py mmio ld` (a testdev register read, the general
path through the C tier), `bench/profile.py mmio lw` (a virtio-mmio register
read, from its register window), `bench/profile.py plic claim`, `bench/profile.py uart lbu`,
`bench/profile.py sbi ecall`.  Groups run their loops in order, each REPS
times over N_LOOP iterations (bench/guests/bench.c), so with the default
--iteration 1000 a loop that two benchmarks share (uart: lbu for LSR, then
for SCR) is the first one's; --iteration 7000 is the second's.  --native
runs the same guest on QEMU + OpenSBI without rvhv.  Needs `make
bench-build`; the log (about 2 GB for a group) is deleted afterwards unless
--keep-log.  The count is the one -icount gives `make bench`: every
instruction the hart retires from the loop's instruction to its next turn.
With --at, an iteration runs from one call of bench.elf's FUNCTION to the
next instead: `bench/profile.py blk --at virtq_chain --iteration 1500` is a
4 KiB read from the host backend's disk (bench.c: 1,024 requests a
pattern, the host disk's first).
"""
import argparse
import re
import subprocess
import sys
from bisect import bisect_right
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py: QEMU command lines, disks)

OUT = bench.OUT / "profile"
FIRMWARE = Path("/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.elf")
TRACE_RE = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/([0-9a-f]+)/[0-9a-f]+\]")


def symbols(elf):
    """Sorted (address, name) of the functions and labels in elf."""
    if not elf.exists():
        return []
    out = subprocess.run(["riscv64-unknown-elf-nm", "-n", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTW" and not parts[2].startswith(("$", ".L")):
            syms.append((int(parts[0], 16), parts[2]))
    return syms


class Namer:
    def __init__(self, syms):
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]

    def __call__(self, pc):
        i = bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else f"0x{pc:x}"


def loop_body(elf, addrs, loop):
    """The address of loop_<loop>'s first timed instruction: the one after
    its opening rdinstret (addrs: elf's symbols by name)."""
    addr = addrs.get(f"loop_{loop}")
    if addr is None:
        sys.exit(f"profile: no loop_{loop} in {elf}")
    dis = subprocess.run(["riscv64-unknown-elf-objdump", "-d", str(elf),
                          f"--start-address=0x{addr:x}", f"--stop-address=0x{addr + 64:x}"],
                         check=True, capture_output=True, text=True).stdout
    seen = False
    for m in re.finditer(r"^\s*([0-9a-f]+):\s+[0-9a-f]+\s+(\S+)", dis, re.M):
        if seen:
            return int(m.group(1), 16)
        seen = m.group(2) == "rdinstret"
    sys.exit(f"profile: no rdinstret in loop_{loop}")


def trace(group, native, log):
    """Run bench.elf's group with the execution log in `log`."""
    flags = f"{bench.ICOUNT} -singlestep -d exec,nochain -D {log}"
    if native:
        # natively there is no DTB to name the group: every group runs
        cmd = bench.native_cmd(bench.OUT / "bench.elf", disk=bench.fresh_disk("profile"),
                               extra=flags)
    else:
        template = (bench.ROOT / "bench/configs/bench.dts").read_text()
        dts = OUT / f"bench-{group}.dts"
        dts.write_text(template.replace('boot = "supervisor";',
                                        f'boot = "supervisor";\n\t\tbootargs = "bench={group}";'))
        dtb = dts.with_suffix(".dtb")
        subprocess.run(["dtc", "-q", "-i", str(bench.ROOT), "-I", "dts", "-O", "dtb",
                        "-o", str(dtb), str(dts)], check=True, cwd=bench.ROOT)
        cmd = bench.make_qemu_cmd(VMCONFIG=dtb, HARTS=1, DISK=bench.fresh_disk("profile"),
                                  QEMUFLAGS=flags)
    r = bench.Run(f"profile-{group}{'-native' if native else ''}", cmd, 900).start().finish()
    if "bench: done" not in r.text:
        sys.exit(f"profile: the guest did not finish (log: {r.log_path})")


def iteration(log, body, n):
    """[(pc, flags)] from the n-th execution of `body` (1 = the first) up to
    the next, and the flags of guest code."""
    key = f"/{body:016x}/"
    seen, steps, guest_flags = 0, [], None
    with open(log, errors="replace") as f:
        for line in f:
            if key in line:
                seen += 1
                if seen == n + 1:
                    return steps, guest_flags
            if seen == n:
                m = TRACE_RE.search(line)
                if m:
                    pc, flags = int(m.group(1), 16), m.group(2)
                    guest_flags = guest_flags or flags
                    steps.append((pc, flags))
    sys.exit(f"profile: the loop's instruction ran {seen} times, not {n + 1}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("group", help="a bench.elf group: sbi uart mmio plic timer irq")
    ap.add_argument("loop", nargs="?", help="the loop in bench/guests/loops.S, without loop_")
    ap.add_argument("--at", metavar="FUNCTION",
                    help="count iterations at this bench.elf function instead of a loop")
    ap.add_argument("--iteration", type=int, default=1000)
    ap.add_argument("--native", action="store_true", help="QEMU + OpenSBI, no rvhv")
    ap.add_argument("--keep-log", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    bench.LOGS.mkdir(parents=True, exist_ok=True)
    guest_elf = bench.OUT / "bench.elf"
    guest_syms = symbols(guest_elf)
    guest_addrs = {n: a for a, n in guest_syms}
    if args.at:
        body = guest_addrs.get(args.at)
        if body is None:
            sys.exit(f"profile: no {args.at} in {guest_elf}")
        what = args.at
    elif args.loop:
        body, what = loop_body(guest_elf, guest_addrs, args.loop), f"loop_{args.loop}"
    else:
        ap.error("name a LOOP or --at FUNCTION")
    host = "opensbi" if args.native else "rvhv"
    # the symbols of the binaries being run (a rebuild meanwhile would shift them)
    names = {"guest": Namer(guest_syms),
             host: Namer(symbols(FIRMWARE if args.native else bench.B / "rvhv.elf"))}
    log = OUT / f"{args.group}{'-native' if args.native else ''}.trace"
    try:
        trace(args.group, args.native, log)
        steps, guest_flags = iteration(log, body, args.iteration)
    finally:
        for path in bench.DISKS:
            path.unlink(missing_ok=True)
        if not args.keep_log:
            log.unlink(missing_ok=True)
    runs = []  # [domain, name, count]
    for pc, flags in steps:
        domain = "guest" if flags == guest_flags else host
        name = names[domain](pc)
        if runs and runs[-1][:2] == [domain, name]:
            runs[-1][2] += 1
        else:
            runs.append([domain, name, 1])
    print(f"{what}, group {args.group}, iteration {args.iteration}"
          f"{' (native)' if args.native else ''}: {len(steps)} instructions "
          f"(the guest's: {sum(1 for _, f in steps if f == guest_flags)})")
    for domain, name, count in runs:
        print(f"  {count:5d}  {domain:7s}  {name}")
    totals = Counter()
    for domain, name, count in runs:
        totals[(domain, name)] += count
    print("by function:")
    for (domain, name), count in totals.most_common():
        print(f"  {count:5d}  {domain:7s}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
