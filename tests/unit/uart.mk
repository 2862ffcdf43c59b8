UNIT_TESTS += test_uart16550
test_uart16550_SRCS := vdev/uart16550.c
