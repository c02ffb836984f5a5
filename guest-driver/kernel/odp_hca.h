/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odp_hca: Linux driver for the odp-hca emulated RDMA adapter.
 *
 * State shared by the files of the driver.  One concern a file:
 * odp_hca_main.c (PCI, bring-up, registration), odp_hca_cmd.c (command
 * queue), odp_hca_eq.c (event queues, interrupts, async events),
 * odp_hca_verbs.c (user verbs objects), odp_hca_kverbs.c (kernel rings,
 * post/poll), odp_hca_mr.c (translation tables, pinned and DMA MRs),
 * odp_hca_odp.c (on-demand paging: faults, invalidation, prefetch,
 * implicit MRs), odp_hca_netdev.c (the port's net_device) and
 * odp_hca_stats.c (counters).
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#ifndef ODP_HCA_H
#define ODP_HCA_H

#include <linux/pci.h>
#include <linux/netdevice.h>
#include <linux/xarray.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/completion.h>
#include <linux/workqueue.h>
#include <linux/dmapool.h>
#include <rdma/ib_verbs.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_umem_odp.h>

#include "odp_hca_compat.h"

#include "odp-hca-hw.h"
#include "odp-hca-abi.h"

#define DRV_NAME "odp_hca"

/* The device's fields are little-endian; these say which way a value goes. */
static inline u16 odp_le16(u16 v) { return (__force u16)cpu_to_le16(v); }
static inline u32 odp_le32(u32 v) { return (__force u32)cpu_to_le32(v); }
static inline u64 odp_le64(u64 v) { return (__force u64)cpu_to_le64(v); }
static inline u16 odp_cpu16(u16 v) { return le16_to_cpu((__force __le16)v); }
static inline u32 odp_cpu32(u32 v) { return le32_to_cpu((__force __le32)v); }
static inline u64 odp_cpu64(u64 v) { return le64_to_cpu((__force __le64)v); }

/* Command queue: 64 entries of 128 bytes, one command in flight. */
#define ODP_HCA_CMDQ_LOG_SIZE	6
#define ODP_HCA_CMD_TIMEOUT_MS	30000

/* The async EQ (EQ 0) and the completion EQs. */
#define ODP_HCA_ASYNC_EQ_LOG	12
#define ODP_HCA_EQ_BUDGET	256

/* Implicit ODP: child umems of 2^27 bytes (128 MiB) each. */
#define ODP_HCA_IMR_CHILD_SHIFT	27
#define ODP_HCA_IMR_CHILD_SIZE	BIT_ULL(ODP_HCA_IMR_CHILD_SHIFT)
/* An implicit MR covers [0, 2^48): four levels of 9 bits over 4 KiB. */
#define ODP_HCA_IMR_VA_BITS	48
/*
 * An explicit on-demand MR longer than this is chunked like an implicit
 * one (child umems made on first fault), so that registering it costs
 * the same at any size: ib_umem_odp_get() allocates and zeroes two
 * arrays of a word per page of the whole range up front (64 MiB for
 * 16 GiB).
 */
#define ODP_HCA_ODP_CHUNKED_MIN	ODP_HCA_IMR_CHILD_SIZE

/* A fault resolves at most this much at once, then a window up to 2 MiB. */
#define ODP_HCA_FAULT_MAX_BYTES	(4UL << 20)
#define ODP_HCA_FAULT_WINDOW	(2UL << 20)
/*
 * Tries of a synchronous prefetch whose range stays busy under
 * hmm_range_fault() (~1 s each); a fault is answered RESUME(OK) instead.
 */
#define ODP_HCA_ODP_BUSY_TRIES	8

/* A kernel-owned ring in DMA-coherent memory (EQs, kernel CQs and QPs). */
struct odp_hca_ring {
	void *buf;
	dma_addr_t dma;
	size_t size;		/* bytes, a multiple of ODP_HCA_PAGE_SIZE */
	u32 entries;
	u8 log_entries;
	u8 log_stride;
};

/* A page list handed to the device at object creation, then freed. */
struct odp_hca_plist {
	__le64 *va;
	dma_addr_t dma;
	u32 npages;
};

struct odp_hca_dev;

/*
 * The PCI function, as the PCI core knows it (its drvdata).  It outlives
 * device resets: each bring-up of the device is a struct odp_hca_dev of
 * its own with an ib_device of its own (odp_hca_main.c, "Resets").
 */
struct odp_hca_pci {
	struct pci_dev *pdev;
	/* The running bring-up, or NULL; changed under the device lock. */
	struct odp_hca_dev *dev;
	/* Config space as probe left it, for a reset nobody announced. */
	struct pci_saved_state *saved;
	struct delayed_work health;	/* reads STATUS every few seconds */
	struct work_struct recover;	/* resets the function after a loss */
	atomic_t lost;			/* a loss waits for recover */
	bool removing;
	bool netdev_up;			/* bring the next net_device up */
	u32 resets;			/* bring-ups after the first */
};

struct odp_hca_eq {
	struct odp_hca_dev *dev;
	struct odp_hca_ring ring;
	u32 eqn;
	u16 vector;
	int irq;
	u32 ci;			/* free-running consumer counter */
	bool created;
	char name[32];
};

/* Driver-side counters, exported through rdma statistic. */
enum odp_hca_counter {
	ODP_HCA_CNT_FAULTS,
	ODP_HCA_CNT_FAULTS_REQUESTER,
	ODP_HCA_CNT_FAULTS_RESPONDER,
	ODP_HCA_CNT_FAULTS_READ,
	ODP_HCA_CNT_FAULTS_WRITE,
	ODP_HCA_CNT_FAULTS_ATOMIC,
	ODP_HCA_CNT_FAULT_PAGES,
	ODP_HCA_CNT_FAULTS_FAILED,
	ODP_HCA_CNT_FAULTS_BUSY,
	ODP_HCA_CNT_RESUMES,
	ODP_HCA_CNT_RESUME_ERRORS,
	ODP_HCA_CNT_INVALIDATIONS,
	ODP_HCA_CNT_INVALIDATED_PAGES,
	ODP_HCA_CNT_PREFETCHES,
	ODP_HCA_CNT_PREFETCH_PAGES,
	ODP_HCA_CNT_RNR_NAKS,
	ODP_HCA_CNT_IMR_CHILDREN,
	ODP_HCA_CNT_ODP_CHUNKS,
	ODP_HCA_CNT_SNAPSHOT_PAGES,
	ODP_HCA_CNT_ASYNC_EVENTS,
	ODP_HCA_CNT_BAD_EVENTS,
	ODP_HCA_CNT_CMDS,
	ODP_HCA_CNT_CMD_ERRORS,
	ODP_HCA_CNT_MAX
};

struct odp_hca_dev {
	struct ib_device ibdev;
	struct pci_dev *pdev;
	void __iomem *regs;		/* BAR 0 */
	void __iomem *uar0;		/* UAR 0 of BAR 2: the kernel's doorbells */
	resource_size_t db_bar_start;
	struct odp_hca_caps caps;	/* QUERY_DEVICE, host byte order */
	u32 num_uars;

	/* Command queue (odp_hca_cmd.c). */
	struct mutex cmd_lock;		/* one command in flight */
	struct odp_hca_cmd *cmdq;
	dma_addr_t cmdq_dma;
	u32 cmdq_entries;
	u16 cmd_pi;
	struct completion cmd_done;
	bool cmd_dead;			/* commands fail with -EIO */
	/*
	 * The device no longer touches our memory: it was reset (every
	 * object of ours is gone from it) or its bus mastering is off.
	 * Destroying an object then needs no command and frees its memory.
	 */
	bool hw_gone;
	unsigned long lost;		/* bit 0: the loss was reported */
	struct odp_hca_pci *pci;

	/* Interrupts and event queues (odp_hca_eq.c). */
	int nvec;
	struct odp_hca_eq async_eq;	/* EQ 0 on vector 0 */
	struct odp_hca_eq *comp_eqs;
	u32 num_comp_eqs;
	bool async_irq_requested;

	/* Objects by device handle, for events and kernel completions. */
	struct xarray qps;
	struct xarray cqs;
	struct xarray srqs;
	struct xarray mrs;		/* by key index */
	u32 mr_next;
	atomic_t key_variant;
	struct ida uar_ida;

	struct workqueue_struct *wq;	/* page faults and prefetches */
	struct dma_pool *pt_pool;	/* translation table pages */

	struct net_device *netdev;
	bool ib_registered;

	atomic64_t counters[ODP_HCA_CNT_MAX];
};

static inline struct odp_hca_dev *to_odev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct odp_hca_dev, ibdev);
}

static inline void odp_hca_count(struct odp_hca_dev *dev,
				 enum odp_hca_counter c, u64 n)
{
	atomic64_add(n, &dev->counters[c]);
}

struct odp_hca_ucontext {
	struct ib_ucontext ibucontext;
	u32 uar;
};

static inline struct odp_hca_ucontext *to_octx(struct ib_ucontext *ibctx)
{
	return container_of(ibctx, struct odp_hca_ucontext, ibucontext);
}

struct odp_hca_pd {
	struct ib_pd ibpd;
	u32 pdn;
};

static inline struct odp_hca_pd *to_opd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct odp_hca_pd, ibpd);
}

struct odp_hca_cq {
	struct ib_cq ibcq;
	u32 cqn;
	u32 uar;
	struct odp_hca_eq *eq;
	struct ib_umem *umem;		/* user ring */
	/* kernel ring */
	struct odp_hca_ring ring;
	spinlock_t lock;		/* poll and arm */
	u32 ci;
};

static inline struct odp_hca_cq *to_ocq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct odp_hca_cq, ibcq);
}

/* A kernel work queue (SQ, RQ or SRQ) in DMA-coherent memory. */
struct odp_hca_wq {
	struct odp_hca_ring ring;
	spinlock_t lock;		/* posting */
	u32 pi;				/* posted; the device sees 16 bits */
	u32 ci;				/* retired, from completions */
	u32 max_sge;
};

struct odp_hca_srq {
	struct ib_srq ibsrq;
	u32 srqn;
	u32 max_wr;
	u32 max_sge;
	u32 limit;
	struct ib_umem *umem;
	struct odp_hca_wq rq;		/* kernel SRQ */
};

static inline struct odp_hca_srq *to_osrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct odp_hca_srq, ibsrq);
}

struct odp_hca_qp {
	struct ib_qp ibqp;
	u32 qpn;
	enum ib_qp_type type;
	bool kernel;
	bool sq_sig_all;
	struct odp_hca_srq *srq;
	struct ib_umem *sq_umem;
	struct ib_umem *rq_umem;
	struct odp_hca_wq sq;		/* kernel QP */
	struct odp_hca_wq rq;
	u32 max_inline;
	struct ib_qp_cap cap;

	struct mutex state_lock;	/* modify and query */
	enum ib_qp_state state;		/* as last set or reported */
	/* what query_qp reports besides the device's own fields */
	u8 sgid_index;
	u8 hop_limit;
	u8 traffic_class;
	u8 sl;
	u32 flow_label;
	union ib_gid dgid;
	u8 dmac[ETH_ALEN];
};

static inline struct odp_hca_qp *to_oqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct odp_hca_qp, ibqp);
}

struct odp_hca_ah {
	struct ib_ah ibah;
	struct odp_hca_wqe_ud ud;	/* prebuilt datagram segment, LE */
};

static inline struct odp_hca_ah *to_oah(struct ib_ah *ibah)
{
	return container_of(ibah, struct odp_hca_ah, ibah);
}

/* One 4 KiB page of a translation table and its software shadow. */
struct odp_hca_pt_node {
	__le64 *va;
	dma_addr_t dma;
	struct odp_hca_pt_node **child;	/* inner levels only: 512 slots */
};

enum odp_hca_mr_kind {
	ODP_HCA_MR_PINNED,	/* ib_umem_get, table fully present */
	ODP_HCA_MR_ODP,		/* ib_umem_odp over [start, start + length) */
	ODP_HCA_MR_IMPLICIT,	/* the whole address space, child umems */
	ODP_HCA_MR_DMA,		/* kernel DMA MR: untranslated, no table */
	ODP_HCA_MR_FAST_REG,	/* ib_alloc_mr: registered by REG_MR WQEs */
};

/*
 * A fast-reg MR's two one-level table pages.  map_mr_sg fills the one
 * the live registration does not use (the device reads a table while it
 * translates, until the MR is invalidated), and the next REG_MR names it.
 */
struct odp_hca_frmr {
	__le64 *va[2];
	dma_addr_t dma[2];
	unsigned int cur;	/* the page the last map_mr_sg filled */
	unsigned int npages;	/* ... and its entries */
	unsigned int max_pages;	/* max_num_sg of ib_alloc_mr */
};

struct odp_hca_mr {
	struct ib_mr ibmr;
	struct odp_hca_dev *dev;
	enum odp_hca_mr_kind kind;
	u32 key;
	u32 index;
	int access;		/* IB_ACCESS_* */
	bool writable;		/* leaves may carry ODP_HCA_PTE_WRITABLE */
	u64 iova;		/* device address of the first byte */
	u64 va;			/* user address of the first byte */
	u64 length;
	u64 first_page;		/* iova >> 12: table index 0 */
	u64 npages;		/* table indices 0 .. npages - 1 */
	u8 levels;
	bool chunked;		/* ODP: child umems of an implicit root */

	struct odp_hca_pt_node *root;
	struct mutex pt_lock;	/* grows the table; never in the notifier */
	struct odp_hca_frmr frmr;	/* ODP_HCA_MR_FAST_REG only */

	struct ib_umem *umem;	/* pinned, on-demand or implicit root */
	struct xarray children;	/* implicit or chunked: va >> CHILD_SHIFT -> umem_odp */
	struct mutex child_lock;
	/*
	 * One resolution at a time (odp_hca_odp_map()): hmm_range_fault()
	 * rewrites the pfn_list entries it walks without umem_mutex, keeping
	 * their HMM_PFN_DMA_MAPPED flag as it read it, so a walk racing
	 * another fault's hmm_dma_map_pfn() on the same pages can clear the
	 * flag of a page that is mapped; the next map then links its IOVA a
	 * second time, which the IOMMU refuses (-EFAULT, a failed fault).
	 * Never taken in the notifier.
	 */
	struct mutex map_lock;

	refcount_t users;	/* lookups by key: faults, prefetches */
	struct completion released;

	atomic64_t stat_faults;
	atomic64_t stat_invalidations;
	atomic64_t stat_prefetch;
};

static inline struct odp_hca_mr *to_omr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct odp_hca_mr, ibmr);
}

static inline bool odp_hca_mr_is_odp(const struct odp_hca_mr *mr)
{
	return mr->kind == ODP_HCA_MR_ODP || mr->kind == ODP_HCA_MR_IMPLICIT;
}

/* Its umem is an implicit root; the pages are in children by chunk. */
static inline bool odp_hca_mr_has_children(const struct odp_hca_mr *mr)
{
	return mr->kind == ODP_HCA_MR_IMPLICIT || mr->chunked;
}

/* odp_hca_cmd.c */
int odp_hca_cmdq_init(struct odp_hca_dev *dev);
void odp_hca_cmdq_fini(struct odp_hca_dev *dev);
int odp_hca_cmd_exec(struct odp_hca_dev *dev, struct odp_hca_cmd *cmd);
int odp_hca_cmd_destroy(struct odp_hca_dev *dev, u8 opcode, u32 handle);
int odp_hca_cmd_invalidate(struct odp_hca_dev *dev, u32 key, u64 iova,
			   u64 length, u32 flags);
int odp_hca_cmd_resume(struct odp_hca_dev *dev, u32 token, bool ok);
void odp_hca_dev_lost(struct odp_hca_dev *dev, const char *why, u32 status);
void odp_hca_cmd_complete_irq(struct odp_hca_dev *dev);
int odp_hca_ring_alloc(struct odp_hca_dev *dev, struct odp_hca_ring *ring,
		       u32 log_entries, u32 log_stride);
void odp_hca_ring_free(struct odp_hca_dev *dev, struct odp_hca_ring *ring);
int odp_hca_plist_from_ring(struct odp_hca_dev *dev, struct odp_hca_plist *pl,
			    const struct odp_hca_ring *ring);
int odp_hca_plist_from_umem(struct odp_hca_dev *dev, struct odp_hca_plist *pl,
			    struct ib_umem *umem, u32 npages);
void odp_hca_plist_free(struct odp_hca_dev *dev, struct odp_hca_plist *pl);
dma_addr_t odp_hca_plist_dma_at(const struct odp_hca_plist *pl, u64 off);
void odp_hca_ring_desc(struct odp_hca_ring_desc *d,
		       const struct odp_hca_plist *pl, u32 log_entries,
		       u32 log_stride);

/* odp_hca_eq.c */
int odp_hca_async_irq_request(struct odp_hca_dev *dev);
int odp_hca_eqs_init(struct odp_hca_dev *dev);
void odp_hca_eqs_stop(struct odp_hca_dev *dev);
void odp_hca_eqs_free(struct odp_hca_dev *dev);
struct odp_hca_eq *odp_hca_comp_eq(struct odp_hca_dev *dev, int vector);
void odp_hca_sync_async_events(struct odp_hca_dev *dev);
void odp_hca_sync_eq(struct odp_hca_dev *dev, struct odp_hca_eq *eq);

/* odp_hca_verbs.c */
int odp_hca_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
			 struct ib_udata *udata);
int odp_hca_query_port(struct ib_device *ibdev, u32 port,
		       struct ib_port_attr *attr);
int odp_hca_get_port_immutable(struct ib_device *ibdev, u32 port,
			       struct ib_port_immutable *immutable);
enum rdma_link_layer odp_hca_get_link_layer(struct ib_device *ibdev,
					    u32 port);
int odp_hca_query_gid(struct ib_device *ibdev, u32 port, int index,
		      union ib_gid *gid);
int odp_hca_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
		       u16 *pkey);
void odp_hca_get_fw_str(struct ib_device *ibdev, char *str);
int odp_hca_alloc_ucontext(struct ib_ucontext *ibctx, struct ib_udata *udata);
void odp_hca_dealloc_ucontext(struct ib_ucontext *ibctx);
void odp_hca_disassociate_ucontext(struct ib_ucontext *ibctx);
int odp_hca_mmap(struct ib_ucontext *ibctx, struct vm_area_struct *vma);
int odp_hca_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int odp_hca_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int odp_hca_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		      struct uverbs_attr_bundle *attrs);
int odp_hca_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int odp_hca_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		      struct ib_udata *udata);
int odp_hca_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr,
		      int mask, struct ib_udata *udata);
int odp_hca_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		     struct ib_qp_init_attr *init);
int odp_hca_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int odp_hca_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		       struct ib_udata *udata);
int odp_hca_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		       enum ib_srq_attr_mask mask, struct ib_udata *udata);
int odp_hca_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int odp_hca_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int odp_hca_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		      struct ib_udata *udata);
int odp_hca_destroy_ah(struct ib_ah *ibah, u32 flags);
void odp_hca_qp_event(struct odp_hca_dev *dev, u32 qpn,
		      enum ib_event_type type);

/* odp_hca_kverbs.c */
int odp_hca_kcq_init(struct odp_hca_dev *dev, struct odp_hca_cq *cq,
		     u32 entries);
int odp_hca_kqp_init(struct odp_hca_dev *dev, struct odp_hca_qp *qp,
		     u32 sq_log_entries, u32 sq_log_stride, u32 max_send_sge,
		     u32 rq_log_entries, u32 rq_log_stride, u32 max_recv_sge,
		     struct odp_hca_plist *sq_pl, struct odp_hca_plist *rq_pl);
void odp_hca_kqp_fini(struct odp_hca_dev *dev, struct odp_hca_qp *qp);
int odp_hca_ksrq_init(struct odp_hca_dev *dev, struct odp_hca_srq *srq,
		      u32 log_entries, u32 log_stride, u32 max_sge,
		      struct odp_hca_plist *pl);
int odp_hca_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		      const struct ib_send_wr **bad_wr);
int odp_hca_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr);
int odp_hca_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			  const struct ib_recv_wr **bad_wr);
int odp_hca_poll_cq(struct ib_cq *ibcq, int num, struct ib_wc *wc);
int odp_hca_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);

/* odp_hca_mr.c */
int odp_hca_pt_alloc_root(struct odp_hca_mr *mr);
void odp_hca_pt_free(struct odp_hca_mr *mr);
int odp_hca_pt_ensure(struct odp_hca_mr *mr, u64 first, u64 last);
void odp_hca_pt_set(struct odp_hca_mr *mr, u64 n, u64 pte);
u64 odp_hca_pt_zap(struct odp_hca_mr *mr, u64 first, u64 count);
u8 odp_hca_pt_levels(u64 npages);
int odp_hca_mr_create_hw(struct odp_hca_dev *dev, struct odp_hca_mr *mr,
			 u32 pdn, u8 flags);
struct odp_hca_mr *odp_hca_mr_alloc(struct odp_hca_dev *dev, int access);
void odp_hca_mr_free_key(struct odp_hca_mr *mr);
struct odp_hca_mr *odp_hca_mr_get(struct odp_hca_dev *dev, u32 key);
void odp_hca_mr_put(struct odp_hca_mr *mr);
struct ib_mr *odp_hca_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				  u64 iova, int access, struct ib_udata *udata);
struct ib_mr *odp_hca_get_dma_mr(struct ib_pd *ibpd, int access);
int odp_hca_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
struct ib_mr *odp_hca_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			       u32 max_num_sg);
int odp_hca_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
		      int sg_nents, unsigned int *sg_offset);
void odp_hca_frmr_set_access(struct odp_hca_mr *mr, int access);
int odp_hca_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/* odp_hca_odp.c */
struct ib_mr *odp_hca_reg_odp_mr(struct odp_hca_pd *pd, u64 start,
				 u64 length, u64 iova, int access);
void odp_hca_odp_mr_release(struct odp_hca_mr *mr);
void odp_hca_page_fault(struct odp_hca_dev *dev, u32 qpn,
			const struct odp_hca_fault_info *fi);
int odp_hca_advise_mr(struct ib_pd *ibpd,
		      enum ib_uverbs_advise_mr_advice advice, u32 flags,
		      struct ib_sge *sg_list, u32 num_sge,
		      struct uverbs_attr_bundle *attrs);

/* odp_hca_netdev.c */
int odp_hca_netdev_init(struct odp_hca_dev *dev);
void odp_hca_netdev_fini(struct odp_hca_dev *dev);
void odp_hca_netdev_attach(struct odp_hca_dev *dev);
void odp_hca_netdev_detach(struct odp_hca_dev *dev);
void odp_hca_netdev_link_changed(struct odp_hca_dev *dev);
bool odp_hca_netdev_active(struct odp_hca_dev *dev);
int odp_hca_netdev_mtu(struct odp_hca_dev *dev);

/* odp_hca_stats.c */
struct rdma_hw_stats *odp_hca_alloc_hw_port_stats(struct ib_device *ibdev,
						  u32 port);
int odp_hca_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
			 u32 port, int index);

#endif /* ODP_HCA_H */
