/* SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB) */
/*
 * odp-hca user verbs ABI: what the kernel driver (odp_hca.ko) and the
 * rdma-core provider (libodp_hca) exchange through uverbs' driver data.
 *
 * Queues live in user memory: the provider allocates page-aligned
 * buffers, the kernel pins them (ib_umem) and hands their page list to
 * the device.  Doorbells are the context's own UAR page of BAR 2, mapped
 * into the process at mmap offset ODP_HCA_MMAP_DB.  The ring entry
 * formats are those of odp-hca-hw.h, and so is the rule the provider's
 * log strides follow (its "WQE stride geometry"): the kernel refuses a
 * log stride above ODP_HCA_MAX_LOG_STRIDE, a stride above
 * ODP_HCA_MAX_WQE_STRIDE, or one too small for the queue's caps.
 */
#ifndef ODP_HCA_ABI_H
#define ODP_HCA_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <stdint.h>
#endif

#define ODP_HCA_UVERBS_ABI_VERSION 1

/* mmap offsets (in pages, as vm_pgoff) */
#define ODP_HCA_MMAP_DB            0

struct odp_hca_alloc_ucontext_resp {
	__u32 uar;           /* this context's doorbell page */
	__u32 max_inline;
	__u32 max_sge;
	__u32 max_qp_wr;
	__u32 max_cqe;
	__u32 page_size;
};

struct odp_hca_alloc_pd_resp {
	__u32 pdn;
	__u32 reserved;
};

/*
 * ODP_HCA_CREATE_CQ_CI_RECORD: the CQ buffer goes on past the ring with a
 * consumer record at odp_hca_cq_ci_record_offset() (odp-hca-hw.h), which
 * the consumer updates instead of ringing DB_CQ_CI.  The kernel echoes
 * the flag in the response when the device was given the record; a
 * provider that does not see it there rings the doorbell.
 */
#define ODP_HCA_CREATE_CQ_CI_RECORD  (1u << 0)

struct odp_hca_create_cq {
	__aligned_u64 buf_addr;  /* user VA, page aligned */
	__u32 log_entries;
	__u32 flags;             /* ODP_HCA_CREATE_CQ_* */
};

struct odp_hca_create_cq_resp {
	__u32 cqn;
	__u32 log_entries;
	__u32 flags;             /* ODP_HCA_CREATE_CQ_* in effect */
	__u32 reserved;
};

struct odp_hca_create_qp {
	__aligned_u64 sq_buf_addr;
	__aligned_u64 rq_buf_addr;   /* 0 with an SRQ */
	__u32 sq_log_entries;
	__u32 sq_log_stride;
	__u32 rq_log_entries;
	__u32 rq_log_stride;
};

struct odp_hca_create_qp_resp {
	__u32 qpn;
	__u32 max_inline;
};

struct odp_hca_create_srq {
	__aligned_u64 buf_addr;
	__u32 log_entries;
	__u32 log_stride;
};

struct odp_hca_create_srq_resp {
	__u32 srqn;
	__u32 reserved;
};

/* UD address handles are resolved by the provider into the WQE. */
struct odp_hca_create_ah_resp {
	__u8 dmac[6];
	__u8 reserved[2];
};

#endif /* ODP_HCA_ABI_H */
