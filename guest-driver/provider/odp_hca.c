// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * odp-hca rdma-core provider.
 *
 * Kernel bypass for the data path: the provider allocates the queue
 * buffers (page-aligned anonymous memory that the kernel driver pins and
 * hands to the device as page lists), writes work queue entries and rings
 * the doorbells of its context's UAR page, and polls completion queues by
 * their owner bit.  Every other verb goes through the kernel (ibv_cmd_*).
 *
 * The formats are odp-hca-hw.h's; the kernel <-> provider contract is
 * odp-hca-abi.h.  What this file assumes beyond those two headers:
 *  - the UAR page is mapped at mmap offset ODP_HCA_MMAP_DB (in pages) of
 *    the uverbs file and is one page long;
 *  - the kernel passes the provider's ring sizes and strides to the device
 *    unchanged, and the queue's caps (max_send_sge, max_recv_sge,
 *    max_inline) as the provider computed them from the strides.
 */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <util/mmio.h>
#include <util/udma_barrier.h>

#include "odp_hca.h"

#define ODP_HCA_QP_CHUNK_SHIFT	10
#define ODP_HCA_QP_CHUNK	(1u << ODP_HCA_QP_CHUNK_SHIFT)
#define ODP_HCA_QP_CHUNKS	(65536u >> ODP_HCA_QP_CHUNK_SHIFT)

static_assert(ODP_HCA_QP_CHUNKS ==
	      sizeof(((struct odp_hca_context *)0)->qp_table) /
	      sizeof(((struct odp_hca_context *)0)->qp_table[0]),
	      "qp_table size");
#define ODP_HCA_MIN_LOG_CQ	4

static const struct verbs_match_ent odp_hca_match_table[] = {
	VERBS_PCI_MATCH(ODP_HCA_PCI_VENDOR_ID, ODP_HCA_PCI_DEVICE_ID, NULL),
	{}
};

/* ------------------------------------------------------------------ */
/* Helpers */

static uint32_t odp_hca_log2_ceil(uint32_t v)
{
	uint32_t l = 0;

	while ((1ull << l) < v)
		l++;
	return l;
}

static int odp_hca_alloc_buf(struct odp_hca_buf *b, size_t size, size_t page)
{
	b->length = (size + page - 1) & ~(page - 1);
	b->buf = mmap(NULL, b->length, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->buf == MAP_FAILED) {
		b->buf = NULL;
		return errno;
	}
	if (ibv_dontfork_range(b->buf, b->length)) {
		munmap(b->buf, b->length);
		b->buf = NULL;
		return ENOMEM;
	}
	return 0;
}

static void odp_hca_free_buf(struct odp_hca_buf *b)
{
	if (!b->buf)
		return;
	ibv_dofork_range(b->buf, b->length);
	munmap(b->buf, b->length);
	b->buf = NULL;
}

static inline void odp_hca_doorbell(struct odp_hca_context *ctx, uint32_t reg,
				    uint32_t obj, uint32_t count)
{
	/* The entries the doorbell announces must be visible first. */
	udma_to_device_barrier();
	mmio_write32_le((uint8_t *)ctx->db + reg,
			htole32(odp_hca_db_value(obj, count)));
}

static inline uint32_t load_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* qpn -> QP table: two levels, lock-free lookups from poll_cq. */
static int odp_hca_qp_table_set(struct odp_hca_context *ctx, uint32_t qpn,
				struct odp_hca_qp *qp)
{
	struct odp_hca_qp **chunk;
	uint32_t hi = qpn >> ODP_HCA_QP_CHUNK_SHIFT;

	if (hi >= ODP_HCA_QP_CHUNKS)
		return EINVAL;
	pthread_mutex_lock(&ctx->qp_table_lock);
	chunk = ctx->qp_table[hi];
	if (!chunk) {
		chunk = calloc(ODP_HCA_QP_CHUNK, sizeof(*chunk));
		if (!chunk) {
			pthread_mutex_unlock(&ctx->qp_table_lock);
			return ENOMEM;
		}
		__atomic_store_n(&ctx->qp_table[hi], chunk, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&chunk[qpn & (ODP_HCA_QP_CHUNK - 1)], qp,
			 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx->qp_table_lock);
	return 0;
}

static struct odp_hca_qp *odp_hca_qp_lookup(struct odp_hca_context *ctx,
					    uint32_t qpn)
{
	struct odp_hca_qp **chunk;

	if ((qpn >> ODP_HCA_QP_CHUNK_SHIFT) >= ODP_HCA_QP_CHUNKS)
		return NULL;
	chunk = __atomic_load_n(&ctx->qp_table[qpn >> ODP_HCA_QP_CHUNK_SHIFT],
				__ATOMIC_ACQUIRE);
	if (!chunk)
		return NULL;
	return __atomic_load_n(&chunk[qpn & (ODP_HCA_QP_CHUNK - 1)],
			       __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------ */
/* Device and port */

static int odp_hca_query_device_ex(struct ibv_context *context,
				   const struct ibv_query_device_ex_input *input,
				   struct ibv_device_attr_ex *attr,
				   size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	uint64_t fw;
	int ret;

	ret = ibv_cmd_query_device_any(context, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;
	fw = resp.base.fw_ver;
	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%u.%u.%u", (unsigned int)(fw >> 32) & 0xffff,
		 (unsigned int)(fw >> 16) & 0xffff, (unsigned int)fw & 0xffff);
	return 0;
}

static int odp_hca_query_port(struct ibv_context *context, uint8_t port,
			      struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd;

	return ibv_cmd_query_port(context, port, attr, &cmd, sizeof(cmd));
}

/* ------------------------------------------------------------------ */
/* PD, MR */

static struct ibv_pd *odp_hca_alloc_pd(struct ibv_context *context)
{
	struct ibv_alloc_pd cmd;
	struct uodp_alloc_pd_resp resp = {};
	struct ibv_pd *pd;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;
	if (ibv_cmd_alloc_pd(context, pd, &cmd, sizeof(cmd), &resp.ibv_resp,
			     sizeof(resp))) {
		free(pd);
		return NULL;
	}
	return pd;
}

static int odp_hca_dealloc_pd(struct ibv_pd *pd)
{
	int ret = ibv_cmd_dealloc_pd(pd);

	if (!ret)
		free(pd);
	return ret;
}

/*
 * Pinned, on-demand (IBV_ACCESS_ON_DEMAND) and implicit on-demand MRs
 * (addr NULL, length SIZE_MAX) all go to the kernel as they are.
 */
static struct ibv_mr *odp_hca_reg_mr(struct ibv_pd *pd, void *addr,
				     size_t length, uint64_t hca_va, int access)
{
	struct ibv_reg_mr cmd;
	struct ib_uverbs_reg_mr_resp resp;
	struct verbs_mr *vmr;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	if (ibv_cmd_reg_mr(pd, addr, length, hca_va, access, vmr, &cmd,
			   sizeof(cmd), &resp, sizeof(resp))) {
		free(vmr);
		return NULL;
	}
	return &vmr->ibv_mr;
}

static int odp_hca_dereg_mr(struct verbs_mr *vmr)
{
	int ret = ibv_cmd_dereg_mr(vmr);

	if (!ret)
		free(vmr);
	return ret;
}

static int odp_hca_advise_mr(struct ibv_pd *pd,
			     enum ibv_advise_mr_advice advice, uint32_t flags,
			     struct ibv_sge *sg_list, uint32_t num_sge)
{
	return ibv_cmd_advise_mr(pd, advice, flags, sg_list, num_sge);
}

/* ------------------------------------------------------------------ */
/* CQ */

static inline struct odp_hca_cqe *odp_hca_cqe_at(struct odp_hca_cq *cq,
						 uint32_t counter)
{
	return (struct odp_hca_cqe *)cq->buf.buf +
	       (counter & ((1u << cq->log_entries) - 1));
}

/* Does software own the entry of consumer counter @counter? */
static inline bool odp_hca_cqe_owned(struct odp_hca_cq *cq, uint32_t counter)
{
	const volatile uint8_t *owner = &odp_hca_cqe_at(cq, counter)->owner;
	uint8_t want = ((counter >> cq->log_entries) & 1) ^ 1;

	return (*owner & ODP_HCA_CQE_OWNER) == want;
}

/*
 * Tell the device how far the CQ has been read: the consumer record,
 * where the CQ has one (a plain store, no MMIO exit), else the doorbell.
 * Called with the CQ's lock held.
 */
static void odp_hca_cq_set_ci(struct odp_hca_context *ctx,
			      struct odp_hca_cq *cq)
{
	if (!cq->ci_record) {
		odp_hca_doorbell(ctx, ODP_HCA_DB_CQ_CI, cq->cqn, cq->ci);
		return;
	}
	/* The entries are read before the device may write over them. */
	udma_to_device_barrier();
	__atomic_store_n(cq->ci_record, htole32(cq->ci), __ATOMIC_RELAXED);
}

static struct ibv_cq *odp_hca_create_cq(struct ibv_context *context, int cqe,
					struct ibv_comp_channel *channel,
					int comp_vector)
{
	struct odp_hca_context *ctx = to_octx(context);
	struct uodp_create_cq cmd = {};
	struct uodp_create_cq_resp resp = {};
	struct odp_hca_cq *cq;
	uint32_t log;
	int ret;

	if (cqe < 1 || (uint32_t)cqe > ctx->max_cqe) {
		errno = EINVAL;
		return NULL;
	}
	/* A few entries at least, where the device allows it. */
	log = odp_hca_log2_ceil(cqe);
	if (log < ODP_HCA_MIN_LOG_CQ &&
	    (1u << ODP_HCA_MIN_LOG_CQ) <= ctx->max_cqe)
		log = ODP_HCA_MIN_LOG_CQ;
	if (log > ODP_HCA_MAX_LOG_RING) {
		errno = EINVAL;
		return NULL;
	}

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;
	if (pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE))
		goto err_free;
	/* The ring, then the consumer record the device reads. */
	ret = odp_hca_alloc_buf(&cq->buf, odp_hca_cq_ci_record_offset(log) +
				sizeof(*cq->ci_record), ctx->page_size);
	if (ret) {
		errno = ret;
		goto err_lock;
	}
	cq->log_entries = log;

	cmd.drv_payload.buf_addr = (uintptr_t)cq->buf.buf;
	cmd.drv_payload.log_entries = log;
	cmd.drv_payload.flags = ODP_HCA_CREATE_CQ_CI_RECORD;
	ret = ibv_cmd_create_cq(context, 1 << log, channel, comp_vector,
				&cq->ibcq, &cmd.ibv_cmd, sizeof(cmd),
				&resp.ibv_resp, sizeof(resp));
	if (ret) {
		errno = ret;
		goto err_buf;
	}
	cq->cqn = resp.drv_payload.cqn;
	if (resp.drv_payload.log_entries &&
	    resp.drv_payload.log_entries != log) {
		/* the kernel must use the ring we allocated */
		ibv_cmd_destroy_cq(&cq->ibcq);
		errno = EINVAL;
		goto err_buf;
	}
	/* A kernel that did not give the device the record: doorbells. */
	if (resp.drv_payload.flags & ODP_HCA_CREATE_CQ_CI_RECORD)
		cq->ci_record = (uint32_t *)((uint8_t *)cq->buf.buf +
					     odp_hca_cq_ci_record_offset(log));
	return &cq->ibcq;

err_buf:
	odp_hca_free_buf(&cq->buf);
err_lock:
	pthread_spin_destroy(&cq->lock);
err_free:
	free(cq);
	return NULL;
}

static int odp_hca_destroy_cq(struct ibv_cq *ibcq)
{
	struct odp_hca_cq *cq = to_ocq(ibcq);
	int ret;

	ret = ibv_cmd_destroy_cq(ibcq);
	if (ret)
		return ret;
	odp_hca_free_buf(&cq->buf);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}

static enum ibv_wc_status odp_hca_wc_status(uint8_t st)
{
	switch (st) {
	case ODP_HCA_WC_SUCCESS:		return IBV_WC_SUCCESS;
	case ODP_HCA_WC_LOC_LEN_ERR:		return IBV_WC_LOC_LEN_ERR;
	case ODP_HCA_WC_LOC_QP_OP_ERR:		return IBV_WC_LOC_QP_OP_ERR;
	case ODP_HCA_WC_LOC_PROT_ERR:		return IBV_WC_LOC_PROT_ERR;
	case ODP_HCA_WC_WR_FLUSH_ERR:		return IBV_WC_WR_FLUSH_ERR;
	case ODP_HCA_WC_LOC_ACCESS_ERR:		return IBV_WC_LOC_ACCESS_ERR;
	case ODP_HCA_WC_REM_INV_REQ_ERR:	return IBV_WC_REM_INV_REQ_ERR;
	case ODP_HCA_WC_REM_ACCESS_ERR:		return IBV_WC_REM_ACCESS_ERR;
	case ODP_HCA_WC_REM_OP_ERR:		return IBV_WC_REM_OP_ERR;
	case ODP_HCA_WC_RETRY_EXC_ERR:		return IBV_WC_RETRY_EXC_ERR;
	case ODP_HCA_WC_RNR_RETRY_EXC_ERR:	return IBV_WC_RNR_RETRY_EXC_ERR;
	default:				return IBV_WC_GENERAL_ERR;
	}
}

static enum ibv_wc_opcode odp_hca_wc_opcode(uint8_t op)
{
	switch (op) {
	case ODP_HCA_CQE_SEND:		return IBV_WC_SEND;
	case ODP_HCA_CQE_RDMA_WRITE:	return IBV_WC_RDMA_WRITE;
	case ODP_HCA_CQE_RDMA_READ:	return IBV_WC_RDMA_READ;
	case ODP_HCA_CQE_COMP_SWAP:	return IBV_WC_COMP_SWAP;
	case ODP_HCA_CQE_FETCH_ADD:	return IBV_WC_FETCH_ADD;
	case ODP_HCA_CQE_RECV_RDMA_IMM:	return IBV_WC_RECV_RDMA_WITH_IMM;
	case ODP_HCA_CQE_RECV:
	default:			return IBV_WC_RECV;
	}
}

/* Retire the ring entries a completion of @qp accounts for. */
static void odp_hca_retire(struct odp_hca_qp *qp, const struct odp_hca_cqe *cqe)
{
	if (odp_hca_cqe_is_recv(cqe->opcode)) {
		/* receive: one RQ/SRQ entry */
		if (qp->srq)
			__atomic_fetch_add(&qp->srq->rq.done, 1,
					   __ATOMIC_RELEASE);
		else
			store_u32(&qp->rq.done, load_u32(&qp->rq.done) + 1);
	} else {
		/* send: every SQ entry up to wqe_index (unsignalled ones too) */
		uint32_t mask = (1u << qp->sq.log_entries) - 1;
		uint32_t done = load_u32(&qp->sq.done);
		uint32_t idx = le16toh(cqe->wqe_index);

		store_u32(&qp->sq.done, done + ((idx - done) & mask) + 1);
	}
}

static int odp_hca_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc)
{
	struct odp_hca_context *ctx = to_octx(ibcq->context);
	struct odp_hca_cq *cq = to_ocq(ibcq);
	uint32_t start;
	int n = 0;

	pthread_spin_lock(&cq->lock);
	start = cq->ci;
	while (n < ne && odp_hca_cqe_owned(cq, cq->ci)) {
		struct odp_hca_cqe *cqe = odp_hca_cqe_at(cq, cq->ci);
		struct ibv_wc *w = &wc[n];
		struct odp_hca_qp *qp;
		uint32_t qpn;

		/* Read the entry only after its owner bit. */
		udma_from_device_barrier();
		qpn = le32toh(cqe->qpn);
		qp = odp_hca_qp_lookup(ctx, qpn);
		cq->ci++;
		if (!qp)
			continue;	/* QP destroyed: drop its leftovers */
		odp_hca_retire(qp, cqe);

		memset(w, 0, sizeof(*w));
		w->wr_id = le64toh(cqe->wr_id);
		w->status = odp_hca_wc_status(cqe->status);
		w->opcode = odp_hca_wc_opcode(cqe->opcode);
		w->vendor_err = cqe->vendor_err;
		w->byte_len = le32toh(cqe->byte_len);
		w->qp_num = qpn;
		w->src_qp = le32toh(cqe->src_qp);
		if (cqe->flags & ODP_HCA_CQE_F_IMM) {
			w->wc_flags |= IBV_WC_WITH_IMM;
			w->imm_data = cqe->imm_data;	/* network order */
		}
		if (cqe->flags & ODP_HCA_CQE_F_INVALIDATE) {
			/* The rkey freed, little-endian like the CQE. */
			w->wc_flags |= IBV_WC_WITH_INV;
			w->invalidated_rkey = le32toh(cqe->imm_data);
		}
		if (cqe->flags & ODP_HCA_CQE_F_GRH)
			w->wc_flags |= IBV_WC_GRH;
		n++;
	}
	/* Give the device its room back. */
	if (cq->ci != start)
		odp_hca_cq_set_ci(ctx, cq);
	pthread_spin_unlock(&cq->lock);
	return n;
}

static int odp_hca_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	struct odp_hca_context *ctx = to_octx(ibcq->context);
	struct odp_hca_cq *cq = to_ocq(ibcq);

	pthread_spin_lock(&cq->lock);
	odp_hca_doorbell(ctx, solicited_only ? ODP_HCA_DB_CQ_ARM_SOL :
			 ODP_HCA_DB_CQ_ARM, cq->cqn, cq->ci);
	pthread_spin_unlock(&cq->lock);
	return 0;
}

/*
 * Remove the unpolled completions of @qpn from @cq (QP destroyed or
 * reset), compacting the rest towards the producer end.  Receive entries
 * taken from an SRQ are retired there.
 */
static void odp_hca_cq_clean(struct odp_hca_context *ctx,
			     struct odp_hca_cq *cq, uint32_t qpn,
			     struct odp_hca_srq *srq)
{
	uint32_t entries, pi, nfreed = 0;

	if (!cq)
		return;
	entries = 1u << cq->log_entries;
	pthread_spin_lock(&cq->lock);
	for (pi = cq->ci; pi - cq->ci < entries; pi++)
		if (!odp_hca_cqe_owned(cq, pi))
			break;
	udma_from_device_barrier();
	while (pi != cq->ci) {
		struct odp_hca_cqe *cqe = odp_hca_cqe_at(cq, --pi);

		if (le32toh(cqe->qpn) == qpn) {
			if (srq && odp_hca_cqe_is_recv(cqe->opcode))
				__atomic_fetch_add(&srq->rq.done, 1,
						   __ATOMIC_RELEASE);
			nfreed++;
		} else if (nfreed) {
			struct odp_hca_cqe *dst = odp_hca_cqe_at(cq, pi + nfreed);
			uint8_t owner = dst->owner;

			memcpy(dst, cqe, offsetof(struct odp_hca_cqe, owner));
			dst->owner = owner;
		}
	}
	if (nfreed) {
		cq->ci += nfreed;
		odp_hca_cq_set_ci(ctx, cq);
	}
	pthread_spin_unlock(&cq->lock);
}

/* ------------------------------------------------------------------ */
/* Work queues */

static int odp_hca_wq_init(struct odp_hca_wq *wq, uint32_t log_entries,
			   uint32_t log_stride, uint32_t max_sge, size_t page)
{
	int ret;

	memset(wq, 0, sizeof(*wq));
	if (pthread_spin_init(&wq->lock, PTHREAD_PROCESS_PRIVATE))
		return ENOMEM;
	wq->log_entries = log_entries;
	wq->log_stride = log_stride;
	wq->max_sge = max_sge;
	ret = odp_hca_alloc_buf(&wq->buf, (size_t)1 << (log_entries + log_stride),
				page);
	if (ret)
		pthread_spin_destroy(&wq->lock);
	return ret;
}

static void odp_hca_wq_fini(struct odp_hca_wq *wq)
{
	if (!wq->buf.buf)
		return;
	odp_hca_free_buf(&wq->buf);
	pthread_spin_destroy(&wq->lock);
}

static inline bool odp_hca_wq_full(struct odp_hca_wq *wq)
{
	return wq->pi - load_u32(&wq->done) >= (1u << wq->log_entries);
}

/* The SGEs a receive stride holds, within the device's limit. */
static uint32_t odp_hca_recv_max_sge(uint32_t log_stride, uint32_t dev_max)
{
	uint32_t n = odp_hca_rq_max_sge(log_stride);

	return n < dev_max ? n : dev_max;
}

static void odp_hca_write_recv(struct odp_hca_wq *wq, struct ibv_recv_wr *wr)
{
	struct odp_hca_recv_wqe *wqe = odp_hca_wq_entry(wq, wq->pi);
	struct odp_hca_sge *sge = (struct odp_hca_sge *)(wqe + 1);
	int i;

	wqe->wr_id = htole64(wr->wr_id);
	wqe->num_sge = wr->num_sge;
	memset(wqe->rsvd, 0, sizeof(wqe->rsvd));
	for (i = 0; i < wr->num_sge; i++) {
		sge[i].addr = htole64(wr->sg_list[i].addr);
		sge[i].length = htole32(wr->sg_list[i].length);
		sge[i].lkey = htole32(wr->sg_list[i].lkey);
	}
	wq->pi++;
}

static int odp_hca_post_recv_wq(struct odp_hca_context *ctx,
				struct odp_hca_wq *wq, uint32_t db_reg,
				uint32_t obj, struct ibv_recv_wr *wr,
				struct ibv_recv_wr **bad_wr)
{
	uint32_t start;
	int ret = 0;

	pthread_spin_lock(&wq->lock);
	start = wq->pi;
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > wq->max_sge) {
			ret = EINVAL;
			break;
		}
		if (odp_hca_wq_full(wq)) {
			ret = ENOMEM;
			break;
		}
		odp_hca_write_recv(wq, wr);
	}
	if (wq->pi != start)
		odp_hca_doorbell(ctx, db_reg, obj, wq->pi);
	pthread_spin_unlock(&wq->lock);
	if (ret)
		*bad_wr = wr;
	return ret;
}

/* ------------------------------------------------------------------ */
/* SRQ */

static struct ibv_srq *odp_hca_create_srq(struct ibv_pd *pd,
					  struct ibv_srq_init_attr *attr)
{
	struct odp_hca_context *ctx = to_octx(pd->context);
	struct uodp_create_srq cmd = {};
	struct uodp_create_srq_resp resp = {};
	struct odp_hca_srq *srq;
	uint32_t log, log_stride, max_sge;
	int ret;

	if (attr->attr.max_wr > ctx->max_qp_wr ||
	    attr->attr.max_sge > ctx->max_sge) {
		errno = EINVAL;
		return NULL;
	}
	log = odp_hca_log2_ceil(attr->attr.max_wr ? attr->attr.max_wr : 1);
	log_stride = odp_hca_log_stride(
		odp_hca_rq_wqe_size(attr->attr.max_sge));
	max_sge = odp_hca_recv_max_sge(log_stride, ctx->max_sge);

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	ret = odp_hca_wq_init(&srq->rq, log, log_stride, max_sge,
			      ctx->page_size);
	if (ret) {
		errno = ret;
		free(srq);
		return NULL;
	}
	attr->attr.max_wr = 1u << log;
	attr->attr.max_sge = max_sge;
	cmd.drv_payload.buf_addr = (uintptr_t)srq->rq.buf.buf;
	cmd.drv_payload.log_entries = log;
	cmd.drv_payload.log_stride = log_stride;
	ret = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd.ibv_cmd,
				 sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret) {
		errno = ret;
		odp_hca_wq_fini(&srq->rq);
		free(srq);
		return NULL;
	}
	srq->srqn = resp.drv_payload.srqn;
	attr->attr.max_wr = 1u << log;
	attr->attr.max_sge = max_sge;
	return &srq->vsrq.srq;
}

static int odp_hca_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr,
			      int mask)
{
	struct ibv_modify_srq cmd;

	/* The ring does not grow: only the limit can change. */
	if (mask & IBV_SRQ_MAX_WR)
		return EINVAL;
	return ibv_cmd_modify_srq(srq, attr, mask, &cmd, sizeof(cmd));
}

static int odp_hca_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd;

	return ibv_cmd_query_srq(srq, attr, &cmd, sizeof(cmd));
}

static int odp_hca_destroy_srq(struct ibv_srq *ibsrq)
{
	struct odp_hca_srq *srq = to_osrq(ibsrq);
	int ret;

	ret = ibv_cmd_destroy_srq(ibsrq);
	if (ret)
		return ret;
	odp_hca_wq_fini(&srq->rq);
	free(srq);
	return 0;
}

static int odp_hca_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
				 struct ibv_recv_wr **bad_wr)
{
	struct odp_hca_srq *srq = to_osrq(ibsrq);

	return odp_hca_post_recv_wq(to_octx(ibsrq->context), &srq->rq,
				    ODP_HCA_DB_SRQ, srq->srqn, wr, bad_wr);
}

/* ------------------------------------------------------------------ */
/* QP */

static struct ibv_qp *odp_hca_create_qp(struct ibv_pd *pd,
					struct ibv_qp_init_attr *attr)
{
	struct odp_hca_context *ctx = to_octx(pd->context);
	struct uodp_create_qp cmd = {};
	struct uodp_create_qp_resp resp = {};
	struct ibv_qp_cap *cap = &attr->cap;
	uint32_t ud = attr->qp_type == IBV_QPT_UD;
	uint32_t room, sq_log, sq_log_stride, rq_log = 0, rq_log_stride = 0;
	uint32_t send_sge, inline_max, recv_sge = 0;
	struct odp_hca_qp *qp;
	int ret;

	if (attr->qp_type != IBV_QPT_RC && attr->qp_type != IBV_QPT_UD) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (cap->max_send_wr > ctx->max_qp_wr ||
	    cap->max_send_sge > ctx->max_sge ||
	    cap->max_inline_data > ctx->max_inline ||
	    (!attr->srq && (cap->max_recv_wr > ctx->max_qp_wr ||
			    cap->max_recv_sge > ctx->max_sge))) {
		errno = EINVAL;
		return NULL;
	}

	/* SQ: control segment, UD segment, then SGEs or inline data. */
	sq_log_stride = odp_hca_log_stride(
		odp_hca_sq_wqe_size(ud, cap->max_send_sge,
				    cap->max_inline_data));
	room = odp_hca_sq_room(sq_log_stride, ud);
	send_sge = odp_hca_sq_max_sge(sq_log_stride, ud);
	if (send_sge > ctx->max_sge)
		send_sge = ctx->max_sge;
	inline_max = room < ctx->max_inline ? room : ctx->max_inline;
	sq_log = odp_hca_log2_ceil(cap->max_send_wr ? cap->max_send_wr : 1);

	if (!attr->srq) {
		rq_log = odp_hca_log2_ceil(cap->max_recv_wr ? cap->max_recv_wr : 1);
		rq_log_stride = odp_hca_log_stride(
			odp_hca_rq_wqe_size(cap->max_recv_sge));
		recv_sge = odp_hca_recv_max_sge(rq_log_stride, ctx->max_sge);
	}

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	ret = odp_hca_wq_init(&qp->sq, sq_log, sq_log_stride, send_sge,
			      ctx->page_size);
	if (ret)
		goto err_free;
	if (!attr->srq) {
		ret = odp_hca_wq_init(&qp->rq, rq_log, rq_log_stride, recv_sge,
				      ctx->page_size);
		if (ret)
			goto err_sq;
	} else {
		qp->srq = to_osrq(attr->srq);
	}

	/* Tell the kernel what the rings really hold. */
	cap->max_send_wr = 1u << sq_log;
	cap->max_send_sge = send_sge;
	cap->max_inline_data = inline_max;
	if (!attr->srq) {
		cap->max_recv_wr = 1u << rq_log;
		cap->max_recv_sge = recv_sge;
	} else {
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
	}

	cmd.drv_payload.sq_buf_addr = (uintptr_t)qp->sq.buf.buf;
	cmd.drv_payload.sq_log_entries = sq_log;
	cmd.drv_payload.sq_log_stride = sq_log_stride;
	if (!attr->srq) {
		cmd.drv_payload.rq_buf_addr = (uintptr_t)qp->rq.buf.buf;
		cmd.drv_payload.rq_log_entries = rq_log;
		cmd.drv_payload.rq_log_stride = rq_log_stride;
	}
	ret = ibv_cmd_create_qp(pd, &qp->vqp.qp, attr, &cmd.ibv_cmd,
				sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto err_rq;

	qp->qpn = qp->vqp.qp.qp_num;
	qp->max_inline = resp.drv_payload.max_inline < inline_max ?
			 resp.drv_payload.max_inline : inline_max;
	qp->sq_sig_all = attr->sq_sig_all;
	ret = odp_hca_qp_table_set(ctx, qp->qpn, qp);
	if (ret) {
		ibv_cmd_destroy_qp(&qp->vqp.qp);
		goto err_rq;
	}

	cap->max_send_wr = 1u << sq_log;
	cap->max_send_sge = send_sge;
	cap->max_inline_data = qp->max_inline;
	if (!attr->srq) {
		cap->max_recv_wr = 1u << rq_log;
		cap->max_recv_sge = recv_sge;
	}
	return &qp->vqp.qp;

err_rq:
	odp_hca_wq_fini(&qp->rq);
err_sq:
	odp_hca_wq_fini(&qp->sq);
err_free:
	free(qp);
	errno = ret;
	return NULL;
}

/*
 * ibv_create_qp_ex with what ibv_create_qp can express: a PD and no
 * create flags.  The extended send API (ibv_wr_*), XRC and the rest are
 * not supported.
 */
static struct ibv_qp *odp_hca_create_qp_ex(struct ibv_context *context,
					   struct ibv_qp_init_attr_ex *attr)
{
	struct ibv_qp_init_attr init = {};
	struct ibv_qp *qp;

	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || !attr->pd ||
	    attr->pd->context != context) {
		errno = EINVAL;
		return NULL;
	}
	if ((attr->comp_mask & ~(IBV_QP_INIT_ATTR_PD |
				 IBV_QP_INIT_ATTR_CREATE_FLAGS)) ||
	    ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) &&
	     attr->create_flags)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	init.qp_context = attr->qp_context;
	init.send_cq = attr->send_cq;
	init.recv_cq = attr->recv_cq;
	init.srq = attr->srq;
	init.cap = attr->cap;
	init.qp_type = attr->qp_type;
	init.sq_sig_all = attr->sq_sig_all;
	qp = odp_hca_create_qp(attr->pd, &init);
	if (qp)
		attr->cap = init.cap;
	return qp;
}

static int odp_hca_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
			    int mask, struct ibv_qp_init_attr *init_attr)
{
	struct odp_hca_qp *qp = to_oqp(ibqp);
	struct ibv_query_qp cmd;
	int ret;

	ret = ibv_cmd_query_qp(ibqp, attr, mask, init_attr, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	attr->cap.max_send_wr = 1u << qp->sq.log_entries;
	attr->cap.max_send_sge = qp->sq.max_sge;
	attr->cap.max_inline_data = qp->max_inline;
	if (!qp->srq) {
		attr->cap.max_recv_wr = 1u << qp->rq.log_entries;
		attr->cap.max_recv_sge = qp->rq.max_sge;
	}
	init_attr->cap = attr->cap;
	return 0;
}

/* Drop the unpolled completions of a QP from its CQs. */
static void odp_hca_qp_clean_cqs(struct odp_hca_context *ctx,
				 struct odp_hca_qp *qp)
{
	struct ibv_qp *ibqp = &qp->vqp.qp;
	struct odp_hca_cq *scq = to_ocq(ibqp->send_cq);
	struct odp_hca_cq *rcq = to_ocq(ibqp->recv_cq);

	odp_hca_cq_clean(ctx, rcq, qp->qpn, qp->srq);
	if (scq != rcq)
		odp_hca_cq_clean(ctx, scq, qp->qpn, NULL);
}

/* The device forgets a QP's counters when it enters RESET: so do we. */
static void odp_hca_qp_reset(struct odp_hca_context *ctx,
			     struct odp_hca_qp *qp)
{
	odp_hca_qp_clean_cqs(ctx, qp);
	pthread_spin_lock(&qp->sq.lock);
	qp->sq.pi = 0;
	store_u32(&qp->sq.done, 0);
	pthread_spin_unlock(&qp->sq.lock);
	if (!qp->srq) {
		pthread_spin_lock(&qp->rq.lock);
		qp->rq.pi = 0;
		store_u32(&qp->rq.done, 0);
		pthread_spin_unlock(&qp->rq.lock);
	}
}

static int odp_hca_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
			     int mask)
{
	struct ibv_modify_qp cmd = {};
	int ret;

	ret = ibv_cmd_modify_qp(ibqp, attr, mask, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	if ((mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_RESET)
		odp_hca_qp_reset(to_octx(ibqp->context), to_oqp(ibqp));
	return 0;
}

static int odp_hca_destroy_qp(struct ibv_qp *ibqp)
{
	struct odp_hca_context *ctx = to_octx(ibqp->context);
	struct odp_hca_qp *qp = to_oqp(ibqp);
	int ret;

	ret = ibv_cmd_destroy_qp(ibqp);
	if (ret)
		return ret;
	/*
	 * No completion can come for it any more.  Unpublish it first: a
	 * poller that found it holds the CQ lock, which the cleaning below
	 * takes, so nobody uses it once that returns.  Then drop what is
	 * left in the CQs.
	 */
	odp_hca_qp_table_set(ctx, qp->qpn, NULL);
	odp_hca_qp_clean_cqs(ctx, qp);
	odp_hca_wq_fini(&qp->rq);
	odp_hca_wq_fini(&qp->sq);
	free(qp);
	return 0;
}

static int odp_hca_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
			     struct ibv_recv_wr **bad_wr)
{
	struct odp_hca_qp *qp = to_oqp(ibqp);

	if (qp->srq) {
		*bad_wr = wr;
		return EINVAL;
	}
	return odp_hca_post_recv_wq(to_octx(ibqp->context), &qp->rq,
				    ODP_HCA_DB_RQ, qp->qpn, wr, bad_wr);
}

static int odp_hca_wqe_opcode(enum ibv_wr_opcode op, enum ibv_qp_type type)
{
	if (type == IBV_QPT_UD)
		return (op == IBV_WR_SEND || op == IBV_WR_SEND_WITH_IMM) ?
		       (op == IBV_WR_SEND ? ODP_HCA_WQE_SEND :
					    ODP_HCA_WQE_SEND_IMM) : -1;
	switch (op) {
	case IBV_WR_RDMA_WRITE:			return ODP_HCA_WQE_RDMA_WRITE;
	case IBV_WR_RDMA_WRITE_WITH_IMM:	return ODP_HCA_WQE_RDMA_WRITE_IMM;
	case IBV_WR_SEND:			return ODP_HCA_WQE_SEND;
	case IBV_WR_SEND_WITH_IMM:		return ODP_HCA_WQE_SEND_IMM;
	case IBV_WR_SEND_WITH_INV:		return ODP_HCA_WQE_SEND_INV;
	case IBV_WR_RDMA_READ:			return ODP_HCA_WQE_RDMA_READ;
	case IBV_WR_ATOMIC_CMP_AND_SWP:		return ODP_HCA_WQE_ATOMIC_CS;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:	return ODP_HCA_WQE_ATOMIC_FA;
	default:				return -1;
	}
}

/* Fill one send WQE at the SQ's producer counter.  0 or an errno. */
static int odp_hca_write_send(struct odp_hca_qp *qp, struct ibv_send_wr *wr)
{
	struct ibv_qp *ibqp = &qp->vqp.qp;
	uint8_t *wqe = odp_hca_wq_entry(&qp->sq, qp->sq.pi);
	struct odp_hca_wqe_ctrl *ctrl = (struct odp_hca_wqe_ctrl *)wqe;
	uint8_t *data = wqe + sizeof(*ctrl);
	int opcode = odp_hca_wqe_opcode(wr->opcode, ibqp->qp_type);
	uint8_t flags = 0;
	int i;

	if (opcode < 0)
		return EINVAL;
	if (wr->num_sge < 0)
		return EINVAL;
	if ((opcode == ODP_HCA_WQE_ATOMIC_CS || opcode == ODP_HCA_WQE_ATOMIC_FA) &&
	    (wr->num_sge != 1 || (wr->send_flags & IBV_SEND_INLINE)))
		return EINVAL;

	memset(ctrl, 0, sizeof(*ctrl));
	ctrl->wr_id = htole64(wr->wr_id);
	ctrl->opcode = opcode;
	if (wr->opcode == IBV_WR_SEND_WITH_IMM ||
	    wr->opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		ctrl->imm_data = wr->imm_data;	/* network order, as is */

	switch (opcode) {
	case ODP_HCA_WQE_RDMA_WRITE:
	case ODP_HCA_WQE_RDMA_WRITE_IMM:
	case ODP_HCA_WQE_RDMA_READ:
		ctrl->remote_addr = htole64(wr->wr.rdma.remote_addr);
		ctrl->rkey = htole32(wr->wr.rdma.rkey);
		break;
	case ODP_HCA_WQE_ATOMIC_CS:
	case ODP_HCA_WQE_ATOMIC_FA:
		ctrl->remote_addr = htole64(wr->wr.atomic.remote_addr);
		ctrl->rkey = htole32(wr->wr.atomic.rkey);
		ctrl->compare_add = htole64(wr->wr.atomic.compare_add);
		ctrl->swap = htole64(wr->wr.atomic.swap);
		break;
	case ODP_HCA_WQE_SEND_INV:
		ctrl->rkey = htole32(wr->invalidate_rkey);
		break;
	default:
		break;
	}

	if (ibqp->qp_type == IBV_QPT_UD) {
		struct odp_hca_wqe_ud *ud = (struct odp_hca_wqe_ud *)data;

		if (!wr->wr.ud.ah)
			return EINVAL;
		*ud = to_oah(wr->wr.ud.ah)->ud;
		ud->dest_qpn = htole32(wr->wr.ud.remote_qpn);
		/* bit 31 set: the QP's own qkey, the IB rule */
		ud->qkey = htole32(wr->wr.ud.remote_qkey);
		data += sizeof(*ud);
	}

	if (wr->send_flags & IBV_SEND_INLINE &&
	    opcode != ODP_HCA_WQE_RDMA_READ) {
		uint32_t len = 0;

		for (i = 0; i < wr->num_sge; i++) {
			uint32_t l = wr->sg_list[i].length;

			if (l > qp->max_inline || len + l > qp->max_inline)
				return ENOMEM;
			memcpy(data + len,
			       (void *)(uintptr_t)wr->sg_list[i].addr, l);
			len += l;
		}
		ctrl->inline_len = htole32(len);
		ctrl->num_sge = 0;
		flags |= ODP_HCA_WQE_F_INLINE;
	} else {
		struct odp_hca_sge *sge = (struct odp_hca_sge *)data;

		if ((uint32_t)wr->num_sge > qp->sq.max_sge)
			return EINVAL;
		for (i = 0; i < wr->num_sge; i++) {
			sge[i].addr = htole64(wr->sg_list[i].addr);
			sge[i].length = htole32(wr->sg_list[i].length);
			sge[i].lkey = htole32(wr->sg_list[i].lkey);
		}
		ctrl->num_sge = wr->num_sge;
	}

	if (wr->send_flags & IBV_SEND_SIGNALED || qp->sq_sig_all)
		flags |= ODP_HCA_WQE_F_SIGNALED;
	if (wr->send_flags & IBV_SEND_SOLICITED)
		flags |= ODP_HCA_WQE_F_SOLICITED;
	if (wr->send_flags & IBV_SEND_FENCE)
		flags |= ODP_HCA_WQE_F_FENCE;
	ctrl->flags = flags;
	qp->sq.pi++;
	return 0;
}

static int odp_hca_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
			     struct ibv_send_wr **bad_wr)
{
	struct odp_hca_context *ctx = to_octx(ibqp->context);
	struct odp_hca_qp *qp = to_oqp(ibqp);
	uint32_t start;
	int ret = 0;

	pthread_spin_lock(&qp->sq.lock);
	start = qp->sq.pi;
	for (; wr; wr = wr->next) {
		if (odp_hca_wq_full(&qp->sq)) {
			ret = ENOMEM;
			break;
		}
		ret = odp_hca_write_send(qp, wr);
		if (ret)
			break;
	}
	if (qp->sq.pi != start)
		odp_hca_doorbell(ctx, ODP_HCA_DB_SQ, qp->qpn, qp->sq.pi);
	pthread_spin_unlock(&qp->sq.lock);
	if (ret)
		*bad_wr = wr;
	return ret;
}

/* ------------------------------------------------------------------ */
/* AH (UD) */

static struct ibv_ah *odp_hca_create_ah(struct ibv_pd *pd,
					struct ibv_ah_attr *attr)
{
	struct uodp_create_ah_resp resp = {};
	struct odp_hca_ah *ah;
	union ibv_gid sgid;
	int ret;

	ah = calloc(1, sizeof(*ah));
	if (!ah)
		return NULL;
	ret = ibv_cmd_create_ah(pd, &ah->ibah, attr, &resp.ibv_resp,
				sizeof(resp));
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	memcpy(ah->ud.dmac, resp.drv_payload.dmac, sizeof(ah->ud.dmac));
	if (attr->is_global) {
		memcpy(ah->ud.dgid, attr->grh.dgid.raw, sizeof(ah->ud.dgid));
		if (!ibv_query_gid(pd->context, attr->port_num,
				   attr->grh.sgid_index, &sgid))
			memcpy(ah->ud.sgid, sgid.raw, sizeof(ah->ud.sgid));
		ah->ud.hop_limit = attr->grh.hop_limit;
		ah->ud.traffic_class = attr->grh.traffic_class;
		ah->ud.flow_label = htole32(attr->grh.flow_label);
	}
	return &ah->ibah;
}

static int odp_hca_destroy_ah(struct ibv_ah *ibah)
{
	int ret = ibv_cmd_destroy_ah(ibah);

	if (!ret)
		free(to_oah(ibah));
	return ret;
}

/* ------------------------------------------------------------------ */
/* Context and device */

static void odp_hca_free_context(struct ibv_context *ibctx);

static const struct verbs_context_ops odp_hca_ctx_ops = {
	.advise_mr = odp_hca_advise_mr,
	.alloc_pd = odp_hca_alloc_pd,
	.create_ah = odp_hca_create_ah,
	.create_cq = odp_hca_create_cq,
	.create_qp = odp_hca_create_qp,
	.create_qp_ex = odp_hca_create_qp_ex,
	.create_srq = odp_hca_create_srq,
	.dealloc_pd = odp_hca_dealloc_pd,
	.dereg_mr = odp_hca_dereg_mr,
	.destroy_ah = odp_hca_destroy_ah,
	.destroy_cq = odp_hca_destroy_cq,
	.destroy_qp = odp_hca_destroy_qp,
	.destroy_srq = odp_hca_destroy_srq,
	.free_context = odp_hca_free_context,
	.modify_qp = odp_hca_modify_qp,
	.modify_srq = odp_hca_modify_srq,
	.poll_cq = odp_hca_poll_cq,
	.post_recv = odp_hca_post_recv,
	.post_send = odp_hca_post_send,
	.post_srq_recv = odp_hca_post_srq_recv,
	.query_device_ex = odp_hca_query_device_ex,
	.query_port = odp_hca_query_port,
	.query_qp = odp_hca_query_qp,
	.query_srq = odp_hca_query_srq,
	.reg_mr = odp_hca_reg_mr,
	.req_notify_cq = odp_hca_req_notify_cq,
};

static struct verbs_context *odp_hca_alloc_context(struct ibv_device *ibdev,
						   int cmd_fd,
						   void *private_data)
{
	struct odp_hca_device *dev = to_odev(ibdev);
	struct ibv_get_context cmd;
	struct uodp_alloc_ucontext_resp resp = {};
	struct odp_hca_context *ctx;

	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, vctx,
					   RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;
	/* rdma-core 65 added the fd_arr argument (no file descriptors here). */
#if HAVE_IBV_CMD_GET_CONTEXT_FD_ARR
	if (ibv_cmd_get_context(&ctx->vctx, &cmd, sizeof(cmd), NULL,
				&resp.ibv_resp, sizeof(resp)))
		goto err;
#else
	if (ibv_cmd_get_context(&ctx->vctx, &cmd, sizeof(cmd), &resp.ibv_resp,
				sizeof(resp)))
		goto err;
#endif

	ctx->uar = resp.drv_payload.uar;
	ctx->max_inline = resp.drv_payload.max_inline;
	ctx->max_sge = resp.drv_payload.max_sge;
	ctx->max_qp_wr = resp.drv_payload.max_qp_wr;
	ctx->max_cqe = resp.drv_payload.max_cqe;
	ctx->page_size = resp.drv_payload.page_size ?
			 resp.drv_payload.page_size : (uint32_t)dev->page_size;
	if (ctx->page_size < (uint32_t)dev->page_size)
		ctx->page_size = dev->page_size;

	pthread_mutex_init(&ctx->qp_table_lock, NULL);

	ctx->db = mmap(NULL, dev->page_size, PROT_WRITE, MAP_SHARED, cmd_fd,
		       (off_t)ODP_HCA_MMAP_DB * dev->page_size);
	if (ctx->db == MAP_FAILED) {
		pthread_mutex_destroy(&ctx->qp_table_lock);
		goto err;
	}

	verbs_set_ops(&ctx->vctx, &odp_hca_ctx_ops);
	return &ctx->vctx;

err:
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
	return NULL;
}

static void odp_hca_free_context(struct ibv_context *ibctx)
{
	struct odp_hca_context *ctx = to_octx(ibctx);
	uint32_t i;

	munmap(ctx->db, to_odev(ibctx->device)->page_size);
	for (i = 0; i < ODP_HCA_QP_CHUNKS; i++)
		free(ctx->qp_table[i]);
	pthread_mutex_destroy(&ctx->qp_table_lock);
	verbs_uninit_context(&ctx->vctx);
	free(ctx);
}

static struct verbs_device *odp_hca_device_alloc(struct verbs_sysfs_dev *sdev)
{
	struct odp_hca_device *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->page_size = sysconf(_SC_PAGESIZE);
	return &dev->vdev;
}

static void odp_hca_device_uninit(struct verbs_device *vdev)
{
	free(container_of(vdev, struct odp_hca_device, vdev));
}

static const struct verbs_device_ops odp_hca_dev_ops = {
	.name = "odp_hca",
	.match_min_abi_version = ODP_HCA_UVERBS_ABI_VERSION,
	.match_max_abi_version = ODP_HCA_UVERBS_ABI_VERSION,
	.match_table = odp_hca_match_table,
	.alloc_device = odp_hca_device_alloc,
	.uninit_device = odp_hca_device_uninit,
	.alloc_context = odp_hca_alloc_context,
};
PROVIDER_DRIVER(odp_hca, odp_hca_dev_ops);
