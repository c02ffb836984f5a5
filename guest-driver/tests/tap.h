/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * tap.h: the output helpers of the guest test programs (odp-verify.c,
 * odp-midflight.c, bench-xfer.c), each one file built on its own, hence
 * static inline.
 *
 *   now()          monotonic time in seconds
 *   note()         a "# ..." line: progress and details
 *   tap_vdetail()  a "#   ..." line for one error of the current check,
 *                  the first @limit of them; then one "(more errors not
 *                  shown)" line, then nothing
 *   tap_vfatal()   @prefix, the message and strerror(errno) on one line,
 *                  then exit status 2 (set-up failed)
 *
 * Each program keeps its own TAP numbering and its own error and fatal
 * wrappers around the v* helpers: odp-verify numbers its results and
 * bails out, odp-midflight prints unnumbered lines that its suite numbers.
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#ifndef ODP_HCA_TESTS_TAP_H
#define ODP_HCA_TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_vdetail(int *shown, int limit, const char *fmt,
			       va_list ap)
	__attribute__((format(printf, 3, 0)));
static inline void tap_vdetail(int *shown, int limit, const char *fmt,
			       va_list ap)
{
	if (++*shown <= limit) {
		printf("#   ");
		vprintf(fmt, ap);
		printf("\n");
	} else if (*shown == limit + 1) {
		printf("#   (more errors not shown)\n");
	}
	fflush(stdout);
}

static inline void tap_vfatal(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0), noreturn));
static inline void tap_vfatal(const char *prefix, const char *fmt, va_list ap)
{
	int e = errno;

	printf("%s", prefix);
	vprintf(fmt, ap);
	printf(" (%s)\n", strerror(e));
	fflush(stdout);
	exit(2);
}

#endif /* ODP_HCA_TESTS_TAP_H */
