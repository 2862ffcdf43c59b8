"""Issue 3, acceptance 2: guests of ours on the emulated CLINT, PLIC and 16550.
(a) mboot boots like xv6's start.c in the virtual M-mode (M CSRs, CLINT timer
    in M-mode forwarded as SSIP, mret to S, Sv39 paging) and counts 20 ticks on
    each of 3 harts;
(b) uart_irq receives typed input and transmits by THR-empty interrupts."""
import re

from conftest import guest_results


def test_machine_mode_guest_ticks_on_three_harts(machine):
    m = machine(CONFIG="test-mboot", HARTS=3)
    m.expect(r"rvhv: vm 'mboot': machine mode, 3 vcpus, 128 MiB")
    m.expect(r"mboot: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "mboot")
    assert fails == []
    assert oks == ["mhartid", "misa", "ticks-hart0", "ticks-hart1", "ticks-hart2", "paging"]
    assert summary.groups() == ("6", "0")
    for hart in range(3):
        assert f"mboot: hart {hart} paging on" in out
        assert f"mboot: hart {hart} 20 ticks" in out
    assert "rvhv: vm 'mboot' stopped: the guest powered off (sifive,test)" in out
    # The M-mode timer really ran through the emulation: CSR and mret traps,
    # virtual M timer interrupts, CLINT accesses.
    vmm = re.search(r"virtual M-mode: (\d+) CSR accesses, (\d+) mret, (\d+) interrupts", out)
    assert vmm, out[-2000:]
    csr, mret, irqs = map(int, vmm.groups())
    # One mret per interrupt plus each hart's first; a hart may be inside a
    # handler, before its mret, when another one's power-off stops the VM.
    assert irqs >= 60 and mret >= irqs and csr > 2 * irqs
    clint = re.search(r"device clint@0x2000000: (\d+) accesses", out)
    assert clint and int(clint.group(1)) >= 2 * irqs


def test_interrupt_driven_uart(machine):
    m = machine(CONFIG="test-uart", HARTS=1)
    m.expect(r"uart_irq: ready, type a line", timeout=60)
    m.send("hello\r")
    m.expect(r"HELLO")
    m.expect(r"uart_irq: got line hello")
    m.expect(r"uart_irq: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "uart_irq")
    assert fails == []
    assert oks == ["rx-irq", "tx-irq", "echo"]
    counts = re.search(r"uart_irq: (\d+) RX and (\d+) THRE interrupts, (\d+) of (\d+) bytes sent", out)
    assert counts and int(counts.group(1)) >= 1
    assert int(counts.group(2)) >= int(counts.group(4)) == int(counts.group(3))
    plic = re.search(r"device plic@0xc000000: (\d+) accesses", out)
    assert plic and int(plic.group(1)) >= 2 * int(counts.group(2))   # claim + complete each


def test_plic_claims_through_the_assembly_tier(machine):
    """guest_exit's assembly tier answers claims and completions in a vCPU's
    own S-mode context (lw/sw, c.lw/c.sw): a random walk over 32 sources
    checks every claim and the notification after every step against the
    guest's model of the PLIC, for both gateways; and the tier answered
    exactly the accesses the model says it must (others go to the C tier:
    lwu, other contexts, a notification of context 0).  A c.sw in the last
    two bytes of RAM, whose upper half the tier cannot read, is the C tier's,
    and the tier takes the next claim again (without that the guest would
    loop on the store and never finish)."""
    m = machine(CONFIG="test-plic-tier", HARTS=2)
    out = m.wait_exit(timeout=120)
    for vm in ("spec", "qemu"):
        lines = "\n".join(l[len(vm) + 2:] for l in out.splitlines() if l.startswith(vm + "| "))
        oks, fails, summary = guest_results(lines, "plic_tier")
        assert fails == [] and oks == ["plic-walk", "plic-store-at-ram-end"], vm
        g = re.search(r"plic_tier: (\d+) claims found a source; (\d+) PLIC accesses, (\d+) for "
                      r"the tier", lines)
        found, accesses, tier = map(int, g.groups())
        assert found > 300 and tier > 1000, g.group(0)
        # about half of them with our context the only one enabling anything
        quiet = int(re.search(r"plic_tier: (\d+) of those while context 0 enabled nothing",
                              lines).group(1))
        assert tier / 4 < quiet < tier, (quiet, tier)
        assert f"rvhv: vm '{vm}' device plic@0xc000000: {accesses} accesses" in out
        assert f"rvhv: vm '{vm}' of those, the assembly tier answered 0 UART and {tier} PLIC " \
               "accesses, and 0 loads from register windows" in out


def test_uart_and_sbi_through_the_assembly_tier(machine):
    """guest_exit's assembly tier (switch.S) answers the console UART's LSR
    and SCR loads, SCR and THR stores, the loads of its registers its model
    publishes (the register window), and SBI BASE/TIME calls: the answers
    must be the models' and SBI's, through every register, with what it
    passes on (error bits, loopback, DLAB, other widths, ETBEI) unchanged."""
    m = machine(CONFIG="test-uart-tier", HARTS=1)
    m.expect(r"uart_tier: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "uart_tier")
    assert fails == []
    assert oks == ["scr-every-register", "scr-x0-tp-gp", "lsr", "dlab", "window",
                   "other-widths-fault", "sbi"]
    assert summary.groups() == ("7", "0")
    # the bytes written to THR reached the console, whole lines, in order
    lines = out.splitlines()
    thr = lines.index("uart_tier: sent through THR")
    assert lines[thr + 1] == "uart_tier: sent with ETBEI"
    # the exit statistics count what the tier answered: every access the
    # guest completed, none of the two that faulted
    guest, windowed = map(int, re.search(r"uart_tier: (\d+) accesses, (\d+) from the "
                                         r"register window", out).groups())
    rvhv = int(re.search(r"device uart16550@0x10000000: (\d+) accesses", out).group(1))
    assert rvhv == guest > 100
    # the loads of registers its model publishes, and no others, came
    # from the UART's register window (uart_window in switch.S)
    tier = int(re.search(r"rvhv: vm 'tier' of those, the assembly tier answered \d+ UART "
                         r"and \d+ PLIC accesses, and (\d+) loads from register windows",
                         out).group(1))
    assert tier == windowed >= 15, (tier, windowed)
    exits = re.search(r"rvhv: vm 'tier' exits: .*load-gpf (\d+) store-gpf (\d+)", out)
    assert exits and int(exits.group(1)) + int(exits.group(2)) == guest + 2


def test_register_windows(machine):
    """Loads of the registers a model publishes in a register window
    (kernel/mmio.h) are answered by guest_exit's assembly tier (switch.S:
    win_load): the model's values, into every register, following the
    driver's changes and the device's completions; other loads fault as
    before, and the statistics count what the windows answered."""
    m = machine(CONFIG="test-window", HARTS=1)
    m.expect(r"window_test: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, summary = guest_results(out, "window_test")
    assert fails == []
    assert oks == ["every-register", "identity", "follows-the-model", "other-loads-fault",
                   "interrupt-status"]
    guest = int(re.search(r"window_test: (\d+) window loads", out).group(1))
    tier = int(re.search(r"rvhv: vm 'window' of those, the assembly tier answered \d+ UART "
                         r"and \d+ PLIC accesses, and (\d+) loads from register windows",
                         out).group(1))
    # the guest's own loads, and the virtio driver's in its library
    assert guest > 1000 and tier >= guest, (guest, tier)
    empty = int(re.search(r"device virtio-empty@0x10002000: (\d+) accesses", out).group(1))
    assert empty == 1000 + 4  # the loop and identity's four; the lbu faulted
