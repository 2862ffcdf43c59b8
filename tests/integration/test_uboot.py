"""Issue 3, acceptance 3: Debian's U-Boot (qemu-riscv64_smode) on the emulated
16550 answers a typed command; its poweroff and reset end or restart its VM only."""
import os

import pytest

UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
ESC = "\x1d"

pytestmark = pytest.mark.skipif(not os.path.exists(UBOOT), reason="u-boot-qemu not installed")


def prompt(m):
    m.expect(r"uboot\| => ", timeout=60)


def test_uboot_prompt_reset_poweroff(machine):
    m = machine(CONFIG="test-uboot", HARTS=2)
    m.expect(r"uboot\| U-Boot 20\d\d\.\d\d", timeout=60)
    m.expect(r"uboot\| Model: rvhv virtual machine")
    m.expect(r"uboot\| DRAM:  128 MiB")
    m.expect(r"uboot\| In:    serial@10000000")
    prompt(m)
    m.send("echo typed-into-uboot\r")
    # U-Boot's output, not the echo of the command line ("uboot| => echo ...")
    m.expect(r"uboot\| typed-into-uboot")
    prompt(m)
    m.send("version\r")
    m.expect(r"uboot\| U-Boot 20\d\d\.\d\d")
    prompt(m)
    m.send("reset\r")
    m.expect(r"rvhv: vm 'uboot' resetting: the guest asked for a reset \(sifive,test\)")
    m.expect(r"uboot\| U-Boot 20\d\d\.\d\d", timeout=60)   # booted again
    prompt(m)
    m.send("poweroff\r")
    m.expect(r"rvhv: vm 'uboot' stopped: the guest powered off \(sifive,test\)")
    # The other VM never noticed: it still answers.
    m.send(ESC + "1" + "k")
    m.expect(r"demo\| k")
    m.send("q")
    out = m.wait_exit(timeout=30)
    assert out.count("demo| hello: rvhv demo guest") == 1
    assert "rvhv: vm 'demo' stopped" in out
