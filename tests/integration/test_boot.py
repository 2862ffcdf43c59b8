"""rvhv itself: boots, refuses clearly what it cannot run, shows its console."""
import re

from conftest import guest_results


def test_demo_guest_boots_and_echoes(machine):
    m = machine(CONFIG="demo", HARTS=2)
    m.expect(r"rvhv: RISC-V hypervisor on hart \d+ \(2 harts\)")
    m.expect(r"rvhv: vm 'demo': supervisor mode, 1 vcpu, 64 MiB at gpa 0x80000000")
    m.expect(r"hello: rvhv demo guest on hart 0")
    # The generated guest DTB: only this VM's memory and vCPUs, no H in the ISA.
    m.expect(r"hello: dtb memory@80000000 base 0x80000000 size 0x4000000")
    isa = m.expect(r"hello: dtb isa (rv64[a-z]+)_\S+").group(1)
    assert "h" not in isa and isa.startswith("rv64ima")
    m.expect(r"hello: dtb 1 cpus")
    for i in (1, 2, 3):
        m.expect(rf"tick {i}")
    m.expect(r"'q' quits")
    m.send("xyz")
    m.expect("xyz")
    m.send("q")
    m.expect("bye")
    out = m.wait_exit(timeout=30)
    assert "rvhv: vm 'demo' stopped: the guest asked for shutdown (SBI SRST)" in out
    stats = re.search(r"rvhv: vm 'demo' exits: .*sbi (\d+).*\(total (\d+)\)", out)
    assert stats and int(stats.group(1)) > 0
    assert "rvhv: every VM has stopped; powering off" in out


def test_refuses_cpu_without_h_extension(machine):
    m = machine(CONFIG="demo", HARTS=1, QEMU_CPU="rv64,h=false")
    isa = m.expect(r"rvhv: this CPU has no H extension \(riscv,isa \"(rv64[a-z]*)[_\"]").group(1)
    assert "h" not in isa
    out = m.wait_exit(timeout=30)
    assert "hello:" not in out


def test_refuses_missing_config(machine, tmp_path):
    # An -initrd that is not a DTB: rvhv says so and powers off.
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a device tree" * 100)
    m = machine(VMCONFIG=str(junk), HARTS=1)
    m.expect(r"is not a VM configuration")
    m.wait_exit(timeout=30)


def test_refuses_too_few_harts(machine):
    m = machine(CONFIG="test-sbi", HARTS=1)
    m.expect(r"rvhv: vm 'sbi' vcpu 1: no free hart \(this machine has 1")
    m.wait_exit(timeout=30)


def test_make_qemu_guest(machine):
    """make qemu GUEST=<elf> CPUS=n MEM=size: one VM named after the file."""
    m = machine(GUEST="build/guests/hello.elf", CPUS=2, MEM="32M")
    m.expect(r"rvhv: RISC-V hypervisor on hart \d+ \(2 harts\)")
    m.expect(r"rvhv: vm 'hello': supervisor mode, 2 vcpus, 32 MiB at gpa 0x80000000")
    m.expect(r"hello: dtb memory@80000000 base 0x80000000 size 0x2000000")
    m.expect(r"hello: dtb 2 cpus")
    m.expect(r"'q' quits")
    m.send("q")
    m.wait_exit(timeout=30)


def test_make_qemu_guest_machine_mode(machine):
    """An ELF entered at 0x80000000 boots in the virtual M-mode by default, on
    QEMU virt's devices (as QEMU -bios none would run it)."""
    m = machine(GUEST="build/guests/mboot.elf", CPUS=3)
    m.expect(r"rvhv: vm 'mboot': machine mode, 3 vcpus, 128 MiB")
    m.expect(r"mboot: 6 passed, 0 failed", timeout=60)
    m.wait_exit(timeout=30)
