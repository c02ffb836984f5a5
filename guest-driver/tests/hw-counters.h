/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * hw-counters.h: a driver counter of port 1, as the guest test programs
 * (odp-verify.c, odp-midflight.c, bench-xfer.c) read it: the file
 * /sys/class/infiniband/<device>/ports/1/hw_counters/<name> that
 * `rdma statistic` shows.  Each program is one file built on its own,
 * hence static inline.
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#ifndef ODP_HCA_TESTS_HW_COUNTERS_H
#define ODP_HCA_TESTS_HW_COUNTERS_H

#include <stdio.h>

#include <infiniband/verbs.h>

/* The counter @name of @ctx's port 1, or -1 when the driver has none. */
static inline long long hw_counter(struct ibv_context *ctx, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
		 ibv_get_device_name(ctx->device), name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#endif
