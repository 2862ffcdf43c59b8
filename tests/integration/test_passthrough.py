"""Issue 5: passthrough (DESIGN §7, docs/passthrough.md).  A real device's
MMIO mapped into a guest, its interrupt forwarded, its DMA confined: a Linux
guest on QEMU's own virtio-blk (a platform virtio-mmio slot passed through,
identity-mapped DMA), and the refusals when a configuration asks for what
would break isolation."""
import re

import pytest

from conftest import ROOT, guest_results
from test_linux import IMAGE, ROOT_HEAD, VM, compile_dts, plic, virtio

HELLO = str(ROOT / "build/guests/hello.elf")


def passthrough_slot(slot, extra, phandle="0x100"):
    """The platform's virtio-mmio slot given to the guest at the same address."""
    return virtio(slot, f"rvhv,passthrough = <0x0 0x1000{slot}000>; {extra}", phandle)


def linux_vm(name, base, mem, devices, role="none"):
    return VM.format(name=name, cpus=1, mem=mem, image=IMAGE, role=role, devices=devices) \
        .replace("memory = <0x0 0x80000000", f"memory = <0x0 {base}")


@pytest.mark.skipif(not __import__("os").path.isfile(IMAGE), reason="make linux")
def test_linux_passthrough_virtio_blk(machine, tmp_path):
    """Linux drives QEMU's virtio-blk itself: no rvhv virtio model, the slot's
    registers mapped at the same address, its interrupt forwarded, its DMA at
    GPA == HPA (guest RAM placed at its own host address)."""
    devices = plic(1, "0x100") + passthrough_slot(1, 'rvhv,dma = "identity";')
    dts = ROOT_HEAD + linux_vm("linux-p", "0xa0000000", "0x10000000", devices) + "\n};\n"
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(8 << 20))
    m = machine(VMCONFIG=str(compile_dts(tmp_path, dts)), HARTS=1, DISK=str(disk), timeout=120)
    m.expect(r"vm 'linux-p': RAM at host 0xa0000000-0xb0000000, the same as its guest-physical")
    m.expect(r"vm 'linux-p': host device 0x10001000 \(interrupt 1\) passed through at 0x10001000 "
             r"\(source 1\), DMA identity-mapped")
    m.expect(r"rvhv-init: \d+ passed, \d+ failed", timeout=120)
    out = m.wait_exit(timeout=60)
    oks, fails, _ = guest_results(out, "rvhv-init")
    assert fails == [] and "blk" in oks
    # Linux saw QEMU's device itself (rvhv's models name no such thing) ...
    assert "virtio_blk virtio0: [vda] 16384 512-byte logical blocks" in out
    # ... its interrupts came through rvhv's forwarding, not a model ...
    exits = next(l for l in out.splitlines() if "vm 'linux-p' exits:" in l)
    assert "irq-ext" in exits
    assert "virtio@" not in out.split("vm 'linux-p' exits:")[1]  # no emulated virtio device
    # ... and the megabyte it wrote with checksums is in the host's image.
    assert any(disk.read_bytes()[:1 << 20])


def config(tmp_path, extra, base="0x80000000"):
    devices = plic(1, "0x100") + passthrough_slot(1, extra)
    vm = VM.format(name="pt", cpus=1, mem="0x2000000", image=HELLO, role="none",
                   devices=devices).replace("memory = <0x0 0x80000000", f"memory = <0x0 {base}")
    return compile_dts(tmp_path, ROOT_HEAD + vm + "\n};\n")


@pytest.mark.parametrize("extra, base, message", [
    ("", "0x80000000",
     r"device 'virtio_mmio@10001000': host 0x10001000 can DMA and no IOMMU covers platform "
     r"devices, so it could reach any memory: add rvhv,dma = \"identity\""),
    ('rvhv,dma = "identity";', "0x80000000",
     r"vm 'pt': a device DMAs with identity mapping, so its RAM must be at host "
     r"0x80000000-0x82000000, and that is not free host RAM"),
    ('rvhv,dma = "direct";', "0xa0000000", r"rvhv,dma must be \"identity\""),
])
def test_passthrough_refused(machine, tmp_path, extra, base, message):
    """What would let a device reach memory that is not the VM's is refused,
    with the reason on the console, before any guest runs."""
    m = machine(VMCONFIG=str(config(tmp_path, extra, base)), HARTS=1, timeout=30)
    m.expect(message)
    out = m.wait_exit(timeout=30)
    assert "vm 'pt': supervisor mode" not in out  # no VM was started


def test_passthrough_refuses_host_devices(machine, tmp_path):
    """rvhv's own console UART cannot be given away."""
    devices = plic(1, "0x100") + """
			serial@10100000 {
				compatible = "ns16550a";
				reg = <0x0 0x10100000 0x0 0x1000>;
				rvhv,passthrough = <0x0 0x10000000>;
				rvhv,no-dma;
			};"""
    vm = VM.format(name="pt", cpus=1, mem="0x2000000", image=HELLO, role="none", devices=devices)
    m = machine(VMCONFIG=str(compile_dts(tmp_path, ROOT_HEAD + vm + "\n};\n")), HARTS=1,
                timeout=30)
    m.expect(r"device 'serial@10100000': host 0x10000000 is rvhv's console UART")
    out = m.wait_exit(timeout=30)
    assert "vm 'pt': supervisor mode" not in out  # no VM was started


IOMMU = "-device virtio-iommu-device,primary-bus=pcie.0"


def pci_node(functions, phandle="0x100"):
    return f"""
			pci@30000000 {{
				compatible = "rvhv,pci";
				reg = <0x0 0x30000000 0x0 0x100000>;
				rvhv,functions = <{functions}>;
				interrupt-parent = <{phandle}>;
				interrupts = <32 33 34 35>;
			}};"""


@pytest.mark.skipif(not __import__("os").path.isfile(IMAGE), reason="make linux")
def test_linux_passthrough_pci_nic(machine, tmp_path):
    """Linux's virtio-net driver on QEMU's virtio-net-pci (host 00:02.0)
    behind the virtual ECAM, its DMA confined by the virtio-iommu: an ARP
    request to QEMU's user-net gateway gets its answer.  (Not e1000: its
    Linux driver needs the I/O BAR, which the virtual ECAM does not give.)"""
    devices = plic(1, "0x100") + pci_node("0x0010")
    dts = ROOT_HEAD + VM.format(name="linux-n", cpus=1, mem="0x8000000", image=IMAGE,
                                role="uplink", devices=devices) + "\n};\n"
    m = machine(VMCONFIG=str(compile_dts(tmp_path, dts)), HARTS=1, timeout=120,
                QEMUFLAGS=f"{IOMMU} -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=02.0,disable-legacy=on,iommu_platform=on")
    m.expect(r"rvhv: iommu: virtio-iommu at 0x[0-9a-f]+, bypass off")
    m.expect(r"rvhv-init: \d+ passed, \d+ failed", timeout=120)
    out = m.wait_exit(timeout=60)
    oks, fails, _ = guest_results(out, "rvhv-init")
    assert fails == [] and "net" in oks
    assert "virtio-pci 0000:00:02.0: enabling device" in out
    assert "10.0.2.2 is at 52:55:0a:00:02:02" in out   # slirp's gateway answered
    exits = next(l for l in out.splitlines() if "vm 'linux-n' exits:" in l)
    assert "irq-ext" in exits  # its INTx came through rvhv
    assert "rvhv: iommu: blocked" not in out  # every DMA it made was to its own RAM


def test_edu_passthrough_and_dma_isolation(machine):
    """Acceptance 1: our guest drives edu (id, factorial, INTx, DMA both ways);
    DMA aimed at the other VM's RAM, at rvhv's image and at the byte just
    below its own RAM is blocked, reported, and the targets are unchanged."""
    m = machine(CONFIG="test-pt-edu", HARTS=2, timeout=60,
                QEMUFLAGS=f"{IOMMU} -device edu,addr=01.0,dma_mask=0xffffffffffffffff")
    m.expect(r"rvhv: iommu: virtio-iommu at 0x[0-9a-f]+, bypass off")
    victim_hpa = int(m.expect(r"vm 'victim': supervisor mode, 1 vcpu, 64 MiB at gpa 0x80000000 "
                              r"\(hpa (0x[0-9a-f]+)\)").group(1), 16)
    m.expect(r"edu\| edu: victim address\?")
    m.send(f"v{victim_hpa:x}\n")
    m.expect(r"edu: \d+ passed, \d+ failed", timeout=60)
    m.expect(r"victim: \d+ passed, \d+ failed", timeout=60)
    out = m.wait_exit(timeout=30)
    oks, fails, _ = guest_results(out, "edu")
    assert fails == []
    assert {"pci-id", "pci-only-assigned", "bar-sizing", "edu-id", "edu-liveness",
            "edu-factorial", "edu-intx", "dma-roundtrip", "dma-read-blocked"} <= set(oks)
    assert "victim| ok victim-intact" in out
    # each DMA outside its RAM was reported, with the VM and the device (QEMU
    # reports unmapped faults per 4-byte chunk and without a direction)
    victim = victim_hpa + 0x400000
    blocked = "rvhv: iommu: blocked DMA by 00:01.0 (vm 'edu') at "
    assert out.count(f"{blocked}0x{victim:x}..0x{victim + 60:x} (16 reports): no mapping") == 2
    assert f"{blocked}0x80200000..0x8020003c (16 reports): no mapping" in out
    assert "rvhv: iommu: blocked DMA write by 00:01.0 (vm 'edu') at 0xbfffffff: guard page " \
        "below its RAM" in out
    # and what they aimed at is unchanged: the victim's pattern (above), the
    # page below edu's RAM and rvhv's own image (checked by rvhv)
    assert "rvhv: iommu: guard pages intact, hypervisor image intact" in out
    assert "***" not in out


@pytest.mark.parametrize("device, message", [
    ("virtio-net-pci,addr=02.0",
     r"pci 00:02.0: a virtio device without VIRTIO_F_ACCESS_PLATFORM: QEMU lets its DMA "
     r"bypass the IOMMU"),
    ("edu,addr=02.0", None),
])
def test_pci_refused_when_dma_escapes(machine, tmp_path, device, message):
    """A function whose DMA the IOMMU cannot confine is refused; without an
    IOMMU, any function needs the config's explicit identity mapping."""
    devices = plic(1, "0x100") + pci_node("0x0010")
    vm = VM.format(name="pt", cpus=1, mem="0x2000000", image=HELLO, role="none", devices=devices)
    dtb = compile_dts(tmp_path, ROOT_HEAD + vm + "\n};\n")
    if message:  # behind the IOMMU, but QEMU's legacy virtio bypasses it
        m = machine(VMCONFIG=str(dtb), HARTS=1, timeout=30,
                    QEMUFLAGS=f"{IOMMU} -netdev user,id=n0 -device {device},netdev=n0")
    else:  # no IOMMU at all
        m = machine(VMCONFIG=str(dtb), HARTS=1, timeout=30, QEMUFLAGS=f"-device {device}")
        message = (r"pci 00:02.0: a DMA-capable device without an IOMMU: add rvhv,dma = "
                   r"\"identity\" to accept that it can reach all of memory")
    m.expect(message)
    out = m.wait_exit(timeout=30)
    assert "vm 'pt': supervisor mode" not in out  # no VM was started


# ---- the host side at boot: enumeration, BAR placement, INTx wiring, the IOMMU

PCI_DEVICES = ("-device virtio-iommu-device,primary-bus=pcie.0 "
               "-device edu,dma_mask=0xffffffffffffffff -device e1000")


def test_pci_functions_and_iommu_at_boot(machine):
    m = machine(CONFIG="demo", HARTS=2, QEMUFLAGS=PCI_DEVICES)
    m.expect(r"rvhv: pci: ECAM 0x30000000 buses 0-255, .* 2 functions")
    # Largest BAR first from the window's base; QEMU wires INTA of device d to 32 + d.
    m.expect(r"rvhv: pci 00:01\.0 1234:11e8 class 00ff00 BAR0 mem 0x40000000\+1 MiB INTA->33")
    m.expect(r"rvhv: pci 00:02\.0 8086:100e class 020000 BAR0 mem 0x40100000\+128 KiB "
             r"BAR1 io 0x3001000\+64 bytes INTA->34")
    m.expect(r"rvhv: iommu: virtio-iommu at 0x10008000, bypass off, page sizes 4 KiB")
    m.expect(r"hello: rvhv demo guest on hart 0")
    out = m.output()
    assert "00:00.0" not in out  # the host bridge is nobody's to assign


def test_no_pci_functions_no_iommu(machine):
    m = machine(CONFIG="demo", HARTS=2)
    m.expect(r"rvhv: pci: ECAM 0x30000000 buses 0-255, .* 0 functions")
    m.expect(r"hello: rvhv demo guest on hart 0")
    out = m.output()
    assert not re.search(r"rvhv: (pci \d|iommu)", out)
