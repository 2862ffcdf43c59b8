"""Unmodified xv6-riscv, built by the user, under rvhv (issue 3, acceptance 4).

xv6 is the user's, not ours: point XV6_DIR at a built xv6-riscv tree (with
kernel/kernel), or XV6_DIRS at several (separated by ':', e.g. one per
vintage). Without either, these tests skip.
"""
import os
import re

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


def vintage(d):
    """The virtio transport an xv6 tree expects, and its usertests command."""
    try:
        makefile = open(os.path.join(d, "Makefile")).read()
    except OSError:
        makefile = ""
    virtio = "modern" if "force-legacy=false" in makefile else "legacy"
    try:
        quick = '"-q"' in open(os.path.join(d, "user", "usertests.c")).read()
    except OSError:
        quick = False
    return virtio, "usertests -q" if quick else "usertests"


# xv6's kernel prints "hart N starting" when a hart comes up, and its user
# programs print a character at a time, so the message can land inside any
# line: init's, or a command's output (the old xv6's last hart, on 3 harts,
# can come up after the shell has started).  Checks look past it.
HART_STARTING = re.compile(r"hart \d+ starting\r*\n")


def shell(m, command):
    """Run a command in xv6's shell; what it printed, without the harts'
    start messages."""
    m.send(command + "\r")
    m.expect(r"\$ ")
    return HART_STARTING.sub("", m.proc.before)


def boot_xv6(machine, d, disk, cpus):
    virtio, _ = vintage(d)
    m = machine(GUEST=kernel_of(d), DISK=str(disk), CPUS=cpus, MEM="128M", VIRTIO=virtio,
                timeout=120)
    m.expect(rf"rvhv: vm 'kernel': virtio-blk at 0x10001000 \({virtio}, ")
    m.expect(r"\$ ")
    assert "init: starting sh" in HART_STARTING.sub("", m.output())
    return m


def fresh_disk(d, tmp_path):
    src = os.path.join(d, "fs.img")
    if not os.path.isfile(src):
        pytest.skip(f"{src}: not built")
    disk = tmp_path / "fs.img"
    disk.write_bytes(open(src, "rb").read())
    return disk


@pytest.mark.skipif(not DIRS, reason="set XV6_DIR (or XV6_DIRS) to a built xv6-riscv tree")
@pytest.mark.parametrize("cpus", [1, 3])
@pytest.mark.parametrize("xv6", DIRS or ["none"])
def test_xv6_shell_and_disk_persist(machine, xv6, cpus, tmp_path):
    """xv6 boots to its shell on rvhv's virtio-blk; what it writes lands in the
    host's image file and is there on the next boot."""
    disk = fresh_disk(xv6, tmp_path)
    token = f"rvhv-persist-{os.getpid()}-{cpus}"
    m = boot_xv6(machine, xv6, disk, cpus)
    shell(m, f"echo {token} > keep")
    assert re.search(r"keep +2 \d+ \d+", shell(m, "ls keep"))
    m.kill()            # xv6 cannot power off: the harness ends QEMU
    assert token.encode() in disk.read_bytes()
    m = boot_xv6(machine, xv6, disk, cpus)
    assert token in shell(m, "cat keep")


@pytest.mark.skipif(not DIRS, reason="set XV6_DIR (or XV6_DIRS) to a built xv6-riscv tree")
@pytest.mark.parametrize("cpus", [1, 3])
@pytest.mark.parametrize("xv6", DIRS or ["none"])
def test_xv6_usertests(machine, xv6, cpus, tmp_path):
    """xv6's own test suite, unmodified, under rvhv (minutes per run)."""
    disk = fresh_disk(xv6, tmp_path)
    _, usertests = vintage(xv6)
    m = boot_xv6(machine, xv6, disk, cpus)
    m.send(usertests + "\r")
    m.expect(r"usertests starting")
    i = m.proc.expect([r"ALL TESTS PASSED", r"SOME TESTS FAILED", r"panic"], timeout=1500)
    assert i == 0, m.output()[-3000:]
