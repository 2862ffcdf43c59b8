/* Unit-test helper: compile device-tree source with the dtc program. */
#ifndef RVHV_UNIT_DTC_H
#define RVHV_UNIT_DTC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "tests/unit/unit.h"

/* Compile DTS source with dtc; the blob is malloc()ed. */
static void *dtc_compile(const char *dts)
{
	char path[] = "/tmp/rvhv-unit-XXXXXX";
	char cmd[128];
	size_t cap = 4096, len = 0, n;
	char *blob = malloc(cap);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, dts, strlen(dts)), strlen(dts));
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb %s", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	while ((n = fread(blob + len, 1, cap - len, f)) > 0)
		if ((len += n) == cap)
			blob = realloc(blob, cap *= 2);
	assert_int_equal(pclose(f), 0);
	unlink(path);
	assert_int_equal(fdt_check_header(blob), 0);
	return blob;
}

#endif
