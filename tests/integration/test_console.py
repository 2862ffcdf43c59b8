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


def both_prompts(m):
    seen = set()
    while len(seen) < 2:
        seen.add(m.expect(r"(left|right)\| hello: type something").group(1))


def test_console_stops_and_restarts_a_vm_while_the_other_runs(machine):
    m = machine(CONFIG="test-console", HARTS=2)
    both_prompts(m)
    # A hung guest kernel (interrupts off, spinning) is stopped from the console.
    m.send(ESC + "1" + "h")
    m.expect(r"right\| hello: hanging with interrupts off")
    m.send(ESC + "l")
    m.expect(r"rvhv: vm 1 'right': running, 1 vcpus")
    m.send(ESC + "k1")
    m.expect(r"rvhv: vm 'right' stopped: stopped from the console")
    m.send(ESC + "l")
    m.expect(r"rvhv: vm 0 'left': running")
    m.expect(r"rvhv: vm 1 'right': stopped")
    m.send(ESC + "0" + "a")           # 'left' goes on answering
    m.expect(r"left\| a")
    # ... and started again: it boots from scratch.
    m.send(ESC + "r1")
    m.expect(r"rvhv: vm 'right' starting again: restarted from the console")
    m.expect(r"right\| hello: rvhv demo guest on hart 0")
    m.expect(r"right\| hello: type something")
    # A guest trapping for ever (stvec at no memory): rvhv's log about it is
    # rate-limited, the other VM is unaffected, and a restart resets it.
    m.send(ESC + "1" + "f")
    m.expect(r"right\| hello: faulting in a loop")
    m.expect(r"rvhv: vm 'right': more incidents, not logged for up to 10 s", timeout=30)
    m.send(ESC + "0" + "b")
    m.expect(r"left\| b")
    m.send(ESC + "r1")
    m.expect(r"rvhv: vm 'right' resetting: restarted from the console")
    m.expect(r"right\| hello: type something")
    m.send(ESC + "k7")
    m.expect(r"rvhv: no vm 7")
    m.send(ESC + "0" + "q")
    m.expect(r"rvhv: vm 'left' stopped")
    m.send(ESC + "1" + "q")
    out = m.wait_exit(timeout=30)
    assert out.count("left| hello: rvhv demo guest") == 1
    assert out.count("right| hello: rvhv demo guest") == 3
    # one log line per incident, at most 100 of them, then the notice
    assert 0 < len(re.findall(r"rvhv: vm 'right': vcpu 0: fetch from gpa 0x1000", out)) <= 100
    assert "rvhv: vm 'left': vcpu" not in out
    assert "rvhv: every VM has stopped; powering off" in out


def test_state_dump_and_fatal_error(machine):
    m = machine(CONFIG="test-console", HARTS=2)
    both_prompts(m)
    m.send(ESC + "d")                 # a dump on demand: every vCPU, the VM runs on
    m.expect(r"rvhv: vm 0 'left': running, VMID 1")
    m.expect(r"rvhv: vm 'left' vcpu 0 \(hart \d+\): started, in vcpu_run, \d+ exits")
    m.expect(r"  pc [0-9a-f]{16} sstatus")
    m.expect(r"  scause \w+ stval \w+ htval \w+ htinst \w+")
    m.expect(r"  exit -0: cause \w+ pc 80[0-9a-f]{6}")
    m.expect(r"rvhv: vm 'right' vcpu 0")
    m.send(ESC + "0" + "x")
    m.expect(r"left\| x")
    m.send(ESC + "!")                 # a fatal error: the full dump, then halt
    m.expect(r"rvhv: panic on hart \d+: Ctrl-\] ! on the console")
    m.expect(r"rvhv: scause \w+ stval \w+ sepc \w+")
    m.expect(r"rvhv: hstatus \w+ hgatp \w+")
    m.expect(r"rvhv: vm 'left' vcpu 0 \(hart \d+\)")
    m.expect(r"\s+ra=[0-9a-f]{16}\s+sp=[0-9a-f]{16}")
    m.expect(r"  exit -0: cause")
    m.expect(r"rvhv: vm 'right' vcpu 0")
    m.expect(r"rvhv: halted after the panic on hart \d+")
    m.wait_exit(timeout=30)
