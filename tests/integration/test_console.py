"""The shared console: per-VM line tags and input focus switched with Ctrl-]."""
import re

ESC = "\x1d"


def test_two_vms_tagged_output_and_input_focus(machine):
    m = machine(CONFIG="test-console", HARTS=2)
    seen = set()
    while len(seen) < 2:              # the VMs run in parallel: either may be first
        seen.add(m.expect(r"(left|right)\| hello: type something").group(1))
    m.send("a")                       # focus starts on vm 0
    m.expect(r"left\| a")
    m.send(ESC + "1")
    m.expect(r"rvhv: input goes to vm 1 'right'")
    m.send("b")
    m.expect(r"right\| b")
    m.send(ESC + "l")
    m.expect(r"rvhv: vm 0 'left': running, 1 vcpus, 32 MiB")
    m.expect(r"rvhv: vm 1 'right': running")
    m.send(ESC + "s")                 # exit statistics of every VM, on demand
    m.expect(r"rvhv: vm 'left' exits: [^\n]*sbi \d+[^\n]*\(total \d+\)")
    m.expect(r"rvhv: vm 'right' exits: [^\n]*sbi \d+[^\n]*\(total \d+\)")
    m.send("q")
    m.expect(r"rvhv: vm 'right' stopped")
    m.send(ESC + "0" + "c" + "q")
    m.expect(r"left\| c")
    out = m.wait_exit(timeout=30)
    assert "rvhv: vm 'left' stopped" in out
    # nothing typed for one VM showed up in the other
    assert not re.search(r"^(right\| a|left\| b)\r?$", out, re.M)


def test_reboot_resets_one_vm_only(machine):
    m = machine(CONFIG="test-console", HARTS=2)
    seen = set()
    while len(seen) < 2:
        seen.add(m.expect(r"(left|right)\| hello: type something").group(1))
    m.send(ESC + "1" + "r")           # reboot 'right' through SBI SRST
    m.expect(r"rvhv: vm 'right' resetting: the guest asked for a reboot \(SBI SRST\)")
    m.expect(r"right\| hello: rvhv demo guest on hart 0")
    m.expect(r"right\| tick 3")
    m.send(ESC + "0" + "z")           # 'left' was never interrupted
    m.expect(r"left\| z")
    m.send("q")
    m.expect(r"rvhv: vm 'left' stopped")
    m.send(ESC + "1" + "q")
    out = m.wait_exit(timeout=30)
    assert out.count("left| hello: rvhv demo guest") == 1
    assert out.count("right| hello: rvhv demo guest") == 2
