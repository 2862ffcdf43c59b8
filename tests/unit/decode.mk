UNIT_TESTS += test_decode
test_decode_SRCS := kernel/decode.c
