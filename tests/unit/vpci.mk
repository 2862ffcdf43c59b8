# The virtual ECAM's config-space model (passthru/vpci_cfg.c) over fake functions.
UNIT_TESTS += test_vpci
test_vpci_SRCS := passthru/vpci_cfg.c kernel/printf.c
