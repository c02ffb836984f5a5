// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * make bench's callgrind part: the partner of the device's figure, a
 * plain memcpy of 64 KiB, <n> times (scripts/bench-callgrind.sh counts
 * copy_loop's instructions under callgrind at two <n> and takes the
 * difference).
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <stdlib.h>
#include <string.h>

#define COPY_BYTES (64 * 1024)

static char src[COPY_BYTES], dst[COPY_BYTES];

__attribute__((noinline)) void copy_loop(long n)
{
	for (long i = 0; i < n; i++) {
		memcpy(dst, src, sizeof(dst));
		/* each copy happens: the compiler may not merge or drop them */
		__asm__ volatile("" ::: "memory");
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	memset(src, 0x5a, sizeof(src));
	copy_loop(atol(argv[1]));
	return dst[COPY_BYTES / 2] == 0x5a ? 0 : 1;
}
