// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: the driver's counters, as port hardware counters for
 * `rdma statistic` (and /sys/class/infiniband/<dev>/ports/1/hw_counters).
 *
 * They are the driver's own view of the fault path: faults it received,
 * by side and kind, pages it made present for them, faults it answered
 * RESUME(FAIL), invalidations it sent and the pages they cleared,
 * prefetches, and the RNR NAKs implied by responder faults of RC QPs
 * (the device answers every request to such a QP with an RNR NAK until
 * the fault is resumed; it counts the NAKs themselves).
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "odp_hca.h"

static const struct rdma_stat_desc odp_hca_counter_descs[] = {
	[ODP_HCA_CNT_FAULTS].name = "odp_faults",
	[ODP_HCA_CNT_FAULTS_REQUESTER].name = "odp_faults_requester",
	[ODP_HCA_CNT_FAULTS_RESPONDER].name = "odp_faults_responder",
	[ODP_HCA_CNT_FAULTS_READ].name = "odp_faults_read",
	[ODP_HCA_CNT_FAULTS_WRITE].name = "odp_faults_write",
	[ODP_HCA_CNT_FAULTS_ATOMIC].name = "odp_faults_atomic",
	[ODP_HCA_CNT_FAULT_PAGES].name = "odp_fault_pages",
	[ODP_HCA_CNT_FAULTS_FAILED].name = "odp_faults_failed",
	[ODP_HCA_CNT_FAULTS_BUSY].name = "odp_faults_busy",
	[ODP_HCA_CNT_RESUMES].name = "odp_resumes",
	[ODP_HCA_CNT_RESUME_ERRORS].name = "odp_resume_errors",
	[ODP_HCA_CNT_INVALIDATIONS].name = "odp_invalidations",
	[ODP_HCA_CNT_INVALIDATED_PAGES].name = "odp_invalidated_pages",
	[ODP_HCA_CNT_PREFETCHES].name = "odp_prefetches",
	[ODP_HCA_CNT_PREFETCH_PAGES].name = "odp_prefetch_pages",
	[ODP_HCA_CNT_RNR_NAKS].name = "rnr_naks",
	[ODP_HCA_CNT_IMR_CHILDREN].name = "odp_implicit_children",
	[ODP_HCA_CNT_ODP_CHUNKS].name = "odp_chunks",
	[ODP_HCA_CNT_SNAPSHOT_PAGES].name = "odp_snapshot_pages",
	[ODP_HCA_CNT_ASYNC_EVENTS].name = "async_events",
	[ODP_HCA_CNT_BAD_EVENTS].name = "bad_events",
	[ODP_HCA_CNT_CMDS].name = "commands",
	[ODP_HCA_CNT_CMD_ERRORS].name = "command_errors",
};

static_assert(ARRAY_SIZE(odp_hca_counter_descs) == ODP_HCA_CNT_MAX);

struct rdma_hw_stats *odp_hca_alloc_hw_port_stats(struct ib_device *ibdev,
						  u32 port)
{
	return rdma_alloc_hw_stats_struct(odp_hca_counter_descs,
					  ARRAY_SIZE(odp_hca_counter_descs),
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

int odp_hca_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
			 u32 port, int index)
{
	struct odp_hca_dev *dev = to_odev(ibdev);
	int i;

	for (i = 0; i < ODP_HCA_CNT_MAX && i < stats->num_counters; i++)
		stats->value[i] = atomic64_read(&dev->counters[i]);
	return i;
}
