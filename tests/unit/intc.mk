UNIT_TESTS += test_plic test_clint
test_plic_SRCS := vdev/plic.c
test_clint_SRCS := vdev/clint.c
