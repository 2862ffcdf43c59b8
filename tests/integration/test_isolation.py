"""Acceptance 2(c): two VMs at once; the attacker's loads and stores outside its
own memory fault in the attacker only, and the victim keeps running intact."""
import re

from conftest import guest_results

ADDRS = ["0x84000000", "0x88000000", "0x90000000", "0xa0000000", "0xc0000000", "0x100000000",
         "0x0", "0x7ffffff8"]


def test_vms_cannot_reach_each_other(machine):
    m = machine(CONFIG="test-isolation", HARTS=2)
    m.expect(r"attacker\| attacker: \d+ passed, \d+ failed", timeout=60)
    m.expect(r"victim\| victim: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)

    attacker = "\n".join(l[len("attacker| "):] for l in out.splitlines()
                         if l.startswith("attacker| "))
    victim = "\n".join(l[len("victim| "):] for l in out.splitlines() if l.startswith("victim| "))
    a_oks, a_fails, a_sum = guest_results(attacker, "attacker")
    v_oks, v_fails, v_sum = guest_results(victim, "victim")
    assert a_fails == [] and v_fails == []
    for addr in ADDRS:
        assert f"fault-load-{addr}" in a_oks
        assert f"fault-store-{addr}" in a_oks
    assert v_oks == ["victim-intact"]

    # The victim kept its heartbeat going after the attack, to the end.
    done = out.index("attacker| attacker: done")
    beats_after = re.findall(r"victim\| victim: heartbeat (\d+)", out[done:])
    assert beats_after and int(beats_after[-1]) == 40
    # The faults were the attacker's: rvhv logged them against it only.
    assert re.search(r"rvhv: vm 'attacker': vcpu 0: store to unmapped gpa 0x84000000", out)
    assert not re.search(r"rvhv: vm 'victim': vcpu 0: (load|store)", out)
    assert "rvhv: vm 'attacker' stopped" in out and "rvhv: vm 'victim' stopped" in out
