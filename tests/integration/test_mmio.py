"""Acceptance 2(b): every load/store width and compressed form reaches an
emulated register through the decoder; misaligned and unclaimed accesses
fault in the guest (tests/guests/mmio_test.c on the rvhv,testdev model)."""
import re

from conftest import guest_results

STORES = ["sb", "sh", "sw", "sd", "c.sw", "c.sd", "c.swsp", "c.sdsp"]
LOADS = ["lb", "lbu", "lh", "lhu", "lw", "lwu", "ld", "c.lw", "c.ld", "c.lwsp", "c.ldsp"]
FAULTS = ["misaligned-load-fault", "misaligned-store-fault", "misaligned-ld-fault",
          "misaligned-clw-fault", "unmapped-fault", "unmapped-store-fault",
          "reserved-offset-fault", "readonly-store-fault", "readonly-count-fault"]


def test_every_width_and_form(machine):
    m = machine(CONFIG="test-mmio", HARTS=1)
    m.expect(r"mmio_test: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "mmio_test")
    assert fails == []
    for name in ["count-read"] + STORES + LOADS + FAULTS + ["count"]:
        assert name in oks, name
    assert summary.group(2) == "0" and int(summary.group(1)) == len(oks)
    # rvhv logged each injected fault, naming the VM and the address
    assert re.search(r"rvhv: vm 'mmio': vcpu 0: load from misaligned access to device "
                     r"gpa 0x10010001 at pc 0x[0-9a-f]+: access fault injected", out)
    assert re.search(r"rvhv: vm 'mmio': vcpu 0: load from unmapped gpa 0x10020000", out)
    # and counted the device accesses it emulated
    count = re.search(r"rvhv: vm 'mmio' device testdev@0x10010000: (\d+) accesses", out)
    assert count and int(count.group(1)) > 2 * (len(STORES) + len(LOADS))
