UNIT_TESTS += test_string
test_string_SRCS := kernel/string.c
