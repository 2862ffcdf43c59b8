# Host DTB, VM config, guest DTB and image loader tests (libfdt is linked in by the Makefile).
UNIT_TESTS += test_platform test_config test_guest_dtb test_loader
test_platform_SRCS := kernel/platform.c kernel/printf.c
test_config_SRCS := kernel/config.c kernel/printf.c
test_guest_dtb_SRCS := kernel/guest_dtb.c kernel/config.c kernel/platform.c kernel/printf.c
test_loader_SRCS := kernel/loader.c kernel/printf.c
