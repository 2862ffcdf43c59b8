"""Acceptance 2(a): the SBI service, seen from a guest of ours (tests/guests/sbi_test.c)."""
import re

from conftest import guest_results

SBI_CHECKS = ["spec-version", "probe-required", "dbcn-write", "dbcn-bad-address", "timer-sbi",
              "timer-sstc", "ipi-self", "hsm", "hsm-invalid", "unknown-ext", "rfence",
              "rfence-i", "srst-invalid"]


def run_sbi_test(machine, **make_vars):
    m = machine(CONFIG="test-sbi", HARTS=2, **make_vars)
    m.expect(r"sbi_test: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    return out


def test_sbi_service(machine):
    out = run_sbi_test(machine)
    oks, fails, summary = guest_results(out, "sbi_test")
    assert fails == []
    assert oks == SBI_CHECKS
    assert summary.groups() == (str(len(SBI_CHECKS)), "0")
    # What the guest saw of rvhv and what rvhv printed for it
    assert re.search(r"sbi: spec version 2\.0, impl id 29302 ", out)  # 0x7276, "rv"
    for ext in ("BASE", "TIME", "IPI", "RFENCE", "HSM", "SRST", "DBCN"):
        assert re.search(rf"probe {ext} 1", out), ext
    assert "dbcn: hello from the guest" in out          # arrived through DBCN write
    assert "hsm: hart 1 up opaque=0x1234" in out          # second vCPU started by HSM
    # SRST shutdown stops that VM only, then rvhv (nothing left) powers off
    assert re.search(r"sbi: shutting down\s+rvhv: vm 'sbi' stopped: the guest asked for "
                     r"shutdown \(SBI SRST\)", out)
    assert "rvhv: every VM has stopped; powering off" in out


def test_sbi_timer_without_sstc(machine):
    # A hart without Sstc: rvhv emulates the guest timer with its own SBI
    # timer and hvip.VSTIP; the guest sees no stimecmp.
    out = run_sbi_test(machine, QEMU_CPU="rv64,sstc=off")
    oks, fails, summary = guest_results(out, "sbi_test")
    assert fails == []
    assert "rvhv: H extension, Sstc no" in out
    assert "sstc: absent" in out
    assert "timer-sbi" in oks and "timer-sstc" not in oks
    assert summary.group(2) == "0"
