"""Unmodified xv6-riscv, built by the user, under rvhv (issue 3, acceptance 4).

xv6 is the user's, not ours: point XV6_DIR at a built xv6-riscv tree (with
kernel/kernel), or XV6_DIRS at several (separated by ':', e.g. one per
vintage). Without either, these tests skip.
"""
import os

import pytest

DIRS = [d for d in os.environ.get("XV6_DIRS", os.environ.get("XV6_DIR", "")).split(":") if d]


def kernel_of(d):
    k = os.path.join(d, "kernel", "kernel")
    if not os.path.isfile(k):
        pytest.skip(f"{k}: not built")
    return k


@pytest.mark.skipif(not DIRS, reason="set XV6_DIR (or XV6_DIRS) to a built xv6-riscv tree")
@pytest.mark.parametrize("xv6", DIRS or ["none"])
def test_xv6_boots_to_its_disk_driver(machine, xv6):
    """Through its M-mode start-up (virtual M-mode) and S-mode initialisation on 3
    harts, up to the disk driver: with no virtio disk in the VM, xv6 stops at its
    own panic, printed through the emulated UART."""
    m = machine(GUEST=kernel_of(xv6), CPUS=3, MEM="128M", timeout=60)
    m.expect(r"rvhv: vm 'kernel': machine mode, 3 vcpus, 128 MiB")
    m.expect(r"xv6 kernel is booting")
    m.expect(r"panic: could not find virtio disk")
    # Hart 0 panics before it releases the others from main(), so they print
    # nothing; the statistics show that all three went through start.c's
    # M-mode set-up and its mret into S-mode.
    m.send("\x1ds")
    vmm = m.expect(r"virtual M-mode: (\d+) CSR accesses, (\d+) mret")
    assert int(vmm.group(2)) >= 3 and int(vmm.group(1)) >= 3 * 10
