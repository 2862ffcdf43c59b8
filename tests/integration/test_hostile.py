"""Robustness: hostile guests next to a well-behaved one (configs/test-hostile.dts).
One VM abuses every device, virtqueue, instruction and SBI call it can, storms
rvhv with interrupts and exits and ends in a fault loop (tests/guests/hostile*.c);
another breaks a disk's virtqueues (tests/guests/virtio_hostile.c).  Each abuse must get what the
spec or a real machine gives, rvhv must log the incidents in a bounded number of
lines, and the worker's memory checksums and disk I/O (tests/guests/worker.c)
must go on, correct, while they attack and after."""
import re

from conftest import guest_results

HOSTILE = [
    "ram-end-access", "ram-end-fetch", "uart-bytes", "uart-wide", "plic-words", "plic-wide",
    "plic-amo", "clint-regs", "clint-mtime-shared", "clint-wide", "finisher-regs",
    "finisher-wide", "virtio@10001000-regs", "virtio@10001000-config", "virtio@10002000-regs",
    "virtio@10002000-config", "virtio@10003000-regs", "virtio@10004000-regs",
    "virtio@10005000-regs", "virtio@10001000-txq-rings", "virtio@10001000-rxq-rings",
    "virtio@10002000-txq-rings", "virtio@10002000-rxq-rings", "virtio@10004000-rng-rings",
    "virtio@10005000-rng-rings",
    "sbi-bad-extension", "sbi-bad-function", "sbi-bad-hart-mask", "sbi-dbcn-bad-buffer",
    "sbi-set-timer",
    "s-h-fences", "s-h-loads", "s-h-stores", "s-h-csrs", "s-m-insns",
    "u-s-insns", "u-m-insns", "u-h-fences", "u-h-loads", "u-h-stores", "u-h-csrs",
    "sbi-hsm-abuse", "sbi-hsm-start", "wfi-timer", "wfi-pending", "wfi-ipi",
    "storm-exits", "storm-timer", "storm-ipi-self", "storm-uart-irq", "storm-faults",
    "storm-ipi-cross", "sbi-dbcn-flood", "sbi-srst-reserved",
]
WORKER = ["memory-rounds", "disk-rounds", "disk-reread", "disk-irq"]
# A sample of the incidents rvhv must report, one line each, against the hostile VM
INCIDENTS = [
    r"vcpu 0: fetch from gpa 0x84000000 \(no memory\): access fault injected",
    r"vcpu 0: store to unmapped gpa 0x84000000 at pc 0x[0-9a-f]+: access fault injected",
    r"vcpu 0: load from uart16550 gpa 0x10000006 at pc",
    r"vcpu 0: store to misaligned access to device gpa 0x10000007 at pc",
    r"vcpu 0: store to unsupported instruction for device gpa 0xc000028 at pc",  # the AMO
    r"vcpu 0: load from plic gpa 0xc000028 at pc",
    r"vcpu 0: store to clint gpa 0x2000000 at pc",
    r"vcpu 0: load from sifive-test gpa 0x100000 at pc",
]


def vm_lines(out, name):
    return "\n".join(l[len(name) + 2:] for l in out.splitlines() if l.startswith(name + "| "))


def rounds_between(out, start, end):
    """The worker's round numbers printed between two markers of the log."""
    return [int(n) for n in re.findall(r"^worker\| worker: round (\d+):", out[start:end], re.M)]


def test_hostile_guests_next_to_a_worker(machine):
    m = machine(CONFIG="test-hostile", HARTS=4, timeout=120,
                QEMUFLAGS="-device virtio-rng-device,bus=virtio-mmio-bus.6 "
                          "-device virtio-rng-device,bus=virtio-mmio-bus.7")
    done = set()
    while len(done) < 2:  # the attackers finish in either order
        done.add(m.expect(r"rvhv: vm '(hostile|vhostile)' stopped").group(1))
    m.send("q")  # the worker stops at its next round
    m.expect(r"worker\| worker: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)

    oks, fails, summary = guest_results(vm_lines(out, "hostile"), "hostile")
    assert fails == []
    assert oks == HOSTILE
    assert summary.groups() == (str(len(HOSTILE)), "0")
    v_oks, v_fails, v_summary = guest_results(vm_lines(out, "vhostile"), "virtio_hostile")
    assert v_fails == [] and v_summary and v_summary.group(2) == "0"
    assert "hostile-disk-intact" in v_oks and "hostile-legacy-disk-intact" in v_oks
    w_oks, w_fails, w_summary = guest_results(vm_lines(out, "worker"), "worker")
    assert w_fails == [] and w_oks == WORKER

    # The worker's rounds, every one correct, ran all through the attack,
    # through the final fault loop and after it.
    rounds = [int(n) for n in re.findall(r"^worker\| worker: round (\d+): memory ok, disk ok$",
                                         out, re.M)]
    assert rounds == list(range(1, len(rounds) + 1))
    assert f"worker| worker: {len(rounds)} rounds" in out
    begin = out.index("hostile| hostile: attack begins")
    loop = out.index("hostile| hostile: fault loop on hart 0 until hart 1 stops the VM")
    stopped = out.index("rvhv: vm 'hostile' stopped")
    assert len(rounds_between(out, begin, loop)) >= 3
    assert rounds_between(out, loop, stopped)
    assert rounds_between(out, stopped, len(out))

    # Hart 1 ended the VM while hart 0 spun in its fault loop, which rvhv
    # took as thousands of exits without a log line each.
    assert "rvhv: vm 'hostile' stopped: the guest asked for shutdown (SBI SRST)" in out
    exits = re.search(r"rvhv: vm 'hostile' exits: .*fetch-gpf (\d+)", out)
    assert exits and int(exits.group(1)) >= 500
    # The incidents: one line each, 100 at most in a 10 s window, then one
    # line saying so; the next window starts with the count left out.
    incidents = re.findall(r"^rvhv: vm 'hostile': vcpu \d+: .*$", out, re.M)
    notices = out.count("rvhv: vm 'hostile': more incidents, not logged for up to 10 s")
    windows = out.count("incidents were not logged")
    assert notices >= 1 and windows <= notices
    first = out.index("rvhv: vm 'hostile': more incidents")
    assert len(re.findall(r"^rvhv: vm 'hostile': vcpu \d+: ", out[:first], re.M)) == 100
    assert len(incidents) <= 100 * (windows + 1)
    for pattern in INCIDENTS:
        assert any(re.search(pattern, line) for line in incidents), pattern
    assert not re.search(r"rvhv: vm 'worker': (vcpu \d+|virtio-\w+|more incidents)[:,]", out)
    # A huge DBCN write took a bounded share of the shared console.
    flood = re.search(r"hostile\| hostile: DBCN took (\d+) of 65536 bytes", out)
    assert flood and 0 < int(flood.group(1)) <= 4096
    assert "unexpected trap in the hypervisor" not in out and "panic" not in out
    assert "rvhv: every VM has stopped; powering off" in out
