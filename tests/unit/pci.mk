# Host PCIe: the host bridge's node, enumeration and BAR assignment on an ECAM model.
UNIT_TESTS += test_pci
test_pci_SRCS := passthru/pci.c kernel/printf.c
