"""Host PCIe and the IOMMU at boot: enumeration, BAR placement, INTx wiring,
the virtio-iommu brought up with bypass off; nothing said without them."""
import re

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
