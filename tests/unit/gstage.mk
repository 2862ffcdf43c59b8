UNIT_TESTS += test_gstage
test_gstage_SRCS := arch/riscv/gstage.c
