/* Common includes for the cmocka host unit tests. */
#ifndef RVHV_UNIT_H
#define RVHV_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
