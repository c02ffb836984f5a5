/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * odp-hca rdma-core provider: objects and helpers.
 *
 * The queue formats, doorbells and counters are those of odp-hca-hw.h;
 * what the kernel driver and this provider exchange is odp-hca-abi.h.
 */
#ifndef ODP_HCA_PROVIDER_H
#define ODP_HCA_PROVIDER_H

#include <stdint.h>
#include <stddef.h>
#include <pthread.h>

#include <infiniband/driver.h>
#include <infiniband/kern-abi.h>

#include "odp-hca-hw.h"
#include "odp-hca-abi.h"

/*
 * Driver-data request/response structures.  DECLARE_DRV_CMD() wants a
 * _STRUCT_<name> macro for each payload (rdma-core generates those for
 * in-tree kernel headers); ours are plain structs, so the anonymous member
 * is empty and the payload is reached as drv_payload.
 */
#define _STRUCT_odp_hca_alloc_ucontext_resp struct {}
#define _STRUCT_odp_hca_alloc_pd_resp struct {}
#define _STRUCT_odp_hca_create_cq struct {}
#define _STRUCT_odp_hca_create_cq_resp struct {}
#define _STRUCT_odp_hca_create_qp struct {}
#define _STRUCT_odp_hca_create_qp_resp struct {}
#define _STRUCT_odp_hca_create_srq struct {}
#define _STRUCT_odp_hca_create_srq_resp struct {}
#define _STRUCT_odp_hca_create_ah_resp struct {}

DECLARE_DRV_CMD(uodp_alloc_ucontext, IB_USER_VERBS_CMD_GET_CONTEXT,
		empty, odp_hca_alloc_ucontext_resp);
DECLARE_DRV_CMD(uodp_alloc_pd, IB_USER_VERBS_CMD_ALLOC_PD,
		empty, odp_hca_alloc_pd_resp);
DECLARE_DRV_CMD(uodp_create_cq, IB_USER_VERBS_CMD_CREATE_CQ,
		odp_hca_create_cq, odp_hca_create_cq_resp);
DECLARE_DRV_CMD(uodp_create_qp, IB_USER_VERBS_CMD_CREATE_QP,
		odp_hca_create_qp, odp_hca_create_qp_resp);
DECLARE_DRV_CMD(uodp_create_srq, IB_USER_VERBS_CMD_CREATE_SRQ,
		odp_hca_create_srq, odp_hca_create_srq_resp);
DECLARE_DRV_CMD(uodp_create_ah, IB_USER_VERBS_CMD_CREATE_AH,
		empty, odp_hca_create_ah_resp);

struct odp_hca_device {
	struct verbs_device vdev;
	int page_size;
};

struct odp_hca_context {
	struct verbs_context vctx;
	void *db;			/* this context's UAR page (BAR 2) */
	uint32_t uar;
	uint32_t max_inline;
	uint32_t max_sge;
	uint32_t max_qp_wr;
	uint32_t max_cqe;
	uint32_t page_size;

	/*
	 * qpn -> QP, for completions: 64 chunks of 1024 entries (doorbells
	 * carry 16-bit QP numbers), a chunk allocated when first used.
	 */
	pthread_mutex_t qp_table_lock;
	struct odp_hca_qp **qp_table[64];
};

/* A page-aligned, zero-filled queue buffer the kernel pins. */
struct odp_hca_buf {
	void *buf;
	size_t length;
};

struct odp_hca_cq {
	struct ibv_cq ibcq;
	pthread_spinlock_t lock;
	struct odp_hca_buf buf;
	uint32_t cqn;
	uint32_t log_entries;
	uint32_t ci;			/* consumer counter (low 16 bits matter) */
	uint32_t *ci_record;		/* where the device reads ci; or NULL */
};

/*
 * A work queue ring.  pi counts WQEs posted; done counts WQEs known to be
 * retired (completed), so pi - done slots are busy.
 */
struct odp_hca_wq {
	pthread_spinlock_t lock;
	struct odp_hca_buf buf;
	uint32_t log_entries;
	uint32_t log_stride;
	uint32_t pi;
	uint32_t done;
	uint32_t max_sge;
};

struct odp_hca_srq {
	struct verbs_srq vsrq;
	struct odp_hca_wq rq;
	uint32_t srqn;
};

struct odp_hca_qp {
	struct verbs_qp vqp;
	uint32_t qpn;
	struct odp_hca_wq sq;
	struct odp_hca_wq rq;		/* unused with an SRQ */
	struct odp_hca_srq *srq;
	uint32_t max_inline;
	int sq_sig_all;
};

struct odp_hca_ah {
	struct ibv_ah ibah;
	struct odp_hca_wqe_ud ud;	/* little-endian, ready to copy */
};

static inline struct odp_hca_device *to_odev(struct ibv_device *ibdev)
{
	return container_of(ibdev, struct odp_hca_device, vdev.device);
}

static inline struct odp_hca_context *to_octx(struct ibv_context *ibctx)
{
	return container_of(ibctx, struct odp_hca_context, vctx.context);
}

static inline struct odp_hca_cq *to_ocq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct odp_hca_cq, ibcq);
}

static inline struct odp_hca_qp *to_oqp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct odp_hca_qp, vqp.qp);
}

static inline struct odp_hca_srq *to_osrq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct odp_hca_srq, vsrq.srq);
}

static inline struct odp_hca_ah *to_oah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct odp_hca_ah, ibah);
}

static inline void *odp_hca_wq_entry(struct odp_hca_wq *wq, uint32_t counter)
{
	return (uint8_t *)wq->buf.buf +
	       ((size_t)(counter & ((1u << wq->log_entries) - 1))
		<< wq->log_stride);
}

#endif /* ODP_HCA_PROVIDER_H */
