/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtest driver library.
 *
 * A small driver for the odp-hca device, in the spirit of libqos's
 * e1000e driver: it brings the device up through its registers, issues
 * commands on the command queue, builds translation tables in guest
 * memory, posts work requests, rings doorbells and polls completion and
 * event queues.  Everything it knows about the device comes from
 * odp-hca-hw.h.
 *
 * Every wait is bounded (ODP_POLL_MAX round trips, each of which lets the
 * device's bottom halves run) and fails the test with g_assert on timeout:
 * a test never hangs.  Structures are written to guest memory as they are
 * laid out by the host compiler; the device interface is little-endian, so
 * the suite requires a little-endian host.
 */
#ifndef ODP_HCA_DRV_H
#define ODP_HCA_DRV_H

#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/pci.h"
#include "tests/qtest/libqos/libqos-malloc.h"
#include "odp-hca-hw.h"

#define ODP_POLL_MAX            20000   /* qtest round trips per wait */
#define ODP_QUIET_ROUNDS        64      /* rounds to show "nothing happens" */
#define ODP_RAM_MB              256
#define ODP_BAD_ADDR            0xfff0000000ull /* not guest RAM */
#define ODP_VEC_ASYNC           1       /* EQ 0 */
#define ODP_VEC_COMP            2       /* the default completion EQ */
#define ODP_VEC_FREE            3       /* first vector tests may use */

/*
 * Diagnostics for a failing check, on stderr: tests run in subprocesses
 * whose stdout is not shown.
 */
#define odp_diag(fmt, ...) g_printerr("odp-hca: " fmt "\n", ## __VA_ARGS__)

/* A ring of entries in guest memory, described by a page list. */
typedef struct OdpRing {
    uint64_t *pages;        /* guest address of each ring page, ring order */
    uint32_t npages;
    uint64_t page_list;     /* guest address of the page-address array */
    uint8_t log_entries;
    uint8_t log_stride;
} OdpRing;

typedef struct OdpEq {
    OdpRing ring;
    uint32_t eqn;
    uint16_t vector;
    uint32_t ci;            /* consumer counter (free running) */
    bool auto_ci;           /* write EQ_DB (ci | ARM) after each event */
} OdpEq;

typedef struct OdpCq {
    OdpRing ring;
    uint32_t cqn;
    uint32_t uar;
    uint32_t ci;
    bool auto_ci;           /* tell the device ci after each CQE */
    uint64_t ci_record;     /* ... in this consumer record; 0: DB_CQ_CI */
} OdpCq;

typedef struct OdpSrq {
    OdpRing ring;
    uint32_t srqn;
    uint32_t uar;
    uint32_t pi;
    uint16_t max_sge;
} OdpSrq;

typedef struct OdpQpCfg {
    uint8_t type;           /* ODP_HCA_QPT_* */
    uint32_t pdn;
    OdpCq *scq;
    OdpCq *rcq;
    OdpSrq *srq;            /* NULL: own receive queue */
    uint32_t uar;
    uint8_t sq_log;
    uint8_t rq_log;
    uint8_t max_send_sge;
    uint8_t max_recv_sge;
    uint16_t max_inline;
    uint8_t sq_sig_all;
} OdpQpCfg;

typedef struct OdpQp {
    uint32_t qpn;
    uint8_t type;
    uint32_t uar;
    uint32_t pdn;
    OdpRing sq;
    OdpRing rq;
    uint32_t sq_pi;
    uint32_t rq_pi;
    OdpCq *scq;
    OdpCq *rcq;
    OdpSrq *srq;
    uint8_t max_send_sge;
    uint8_t max_recv_sge;
    uint16_t max_inline;
} OdpQp;

/*
 * A buffer as software sees it: an iova range backed by guest pages that
 * need not be contiguous or in order (odp_mem_new scrambles them), so a
 * device that ignores the translation tables moves the wrong bytes.
 */
typedef struct OdpMem {
    uint64_t iova;          /* page aligned */
    uint64_t size;          /* multiple of ODP_HCA_PAGE_SIZE */
    uint32_t npages;
    uint64_t *pages;        /* guest address backing each iova page */
} OdpMem;

typedef struct OdpMr {
    uint32_t key;
    uint32_t pdn;
    uint64_t iova;
    uint64_t length;
    uint8_t levels;
    uint8_t flags;          /* ODP_HCA_MR_F_* */
    uint32_t access;        /* ODP_HCA_ACCESS_* */
    uint64_t table;         /* top-level table page */
} OdpMr;

/* A send work request, turned into a WQE by odp_post_send(). */
typedef struct OdpWr {
    uint64_t wr_id;
    uint8_t opcode;         /* ODP_HCA_WQE_* */
    uint8_t flags;          /* ODP_HCA_WQE_F_* */
    uint32_t imm;
    uint64_t remote_addr;
    uint32_t rkey;
    uint64_t compare_add;
    uint64_t swap;
    uint8_t num_sge;
    struct odp_hca_sge sge[16];
    const void *inline_data;
    uint32_t inline_len;
    struct odp_hca_wqe_ud ud;       /* UD QPs only */
} OdpWr;

/* RC connection attributes. */
typedef struct OdpRcAttr {
    uint8_t path_mtu;
    uint8_t timeout;
    uint8_t retry_cnt;
    uint8_t rnr_retry;
    uint8_t min_rnr_timer;
    uint32_t access;        /* ODP_HCA_ACCESS_REMOTE_* on the QP */
} OdpRcAttr;

typedef struct OdpHca {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QPCIDevice dev;
    QPCIBar bar0;
    QPCIBar bar2;
    uint64_t bar2_size;
    uint64_t msix_mbox;     /* MSI-X messages land here */
    uint64_t cmdq;
    uint8_t cmdq_log;
    uint32_t cmd_pi;
    uint64_t scratch;       /* one page for command outputs */
    struct odp_hca_caps caps;
    OdpEq *eq0;             /* asynchronous events (vector 1) */
    OdpEq *ceq;             /* default EQ for completion events (vector 2) */
    uint32_t next_mr_index;
    int want_devfn;         /* the odp-hca to drive; < 0: the only one */
    QPCIDevice *port;       /* the root port above it, if any */
    uint8_t busnr;          /* its bus: 0, or 1 behind the port */
    uint64_t ecam;          /* q35 ECAM window, once enabled; else 0 */
    int64_t clock_ns;       /* the virtual clock (odp_clock_step) */
    /* commands this driver had executed, by opcode, and how many failed */
    uint64_t cmds_issued[256];
    uint64_t cmds_failed;
} OdpHca;

/* Start / stop */
OdpHca *odp_hca_start(const char *device_opts);
OdpHca *odp_hca_start_args(const char *args, int devfn);
OdpHca *odp_hca_start_port(const char *device_opts);
void odp_hca_pci_setup(OdpHca *h);
void odp_hca_bringup(OdpHca *h, uint8_t eq0_log);
void odp_hca_stop(OdpHca *h);
void odp_hca_wait_reset(OdpHca *h);
#define odp_hca_new(opts) odp_hca_new_eq((opts), 6)
OdpHca *odp_hca_new_eq(const char *device_opts, uint8_t eq0_log);

/* PCI Express configuration space through the q35 ECAM window */
uint64_t odp_ecam_enable(OdpHca *h);
uint64_t odp_ecam_addr(OdpHca *h, uint8_t bus, uint8_t devfn, uint16_t off);
uint64_t odp_ecam_dev(OdpHca *h, uint16_t off);
uint64_t odp_ecam_port(OdpHca *h, uint16_t off);

/* Registers and doorbells */
uint32_t odp_reg_read(OdpHca *h, uint32_t off);
void odp_reg_write(OdpHca *h, uint32_t off, uint32_t val);
void odp_db_write(OdpHca *h, uint32_t uar, uint32_t off, uint32_t val);
void odp_eq_db(OdpHca *h, uint32_t eqn, uint32_t ci, bool arm);

/* MSI-X: vectors are masked, so a signal shows as a pending bit */
bool odp_msix_pending(OdpHca *h, uint16_t vec);
void odp_msix_clear(OdpHca *h, uint16_t vec);
void odp_msix_aim(OdpHca *h, uint16_t vec, uint64_t addr, uint32_t data,
                  bool masked);
void odp_msix_restore(OdpHca *h, uint16_t vec);

/* Guest memory */
uint64_t odp_alloc(OdpHca *h, size_t size);
void odp_write(OdpHca *h, uint64_t addr, const void *buf, size_t len);
void odp_read(OdpHca *h, uint64_t addr, void *buf, size_t len);
uint64_t odp_read64(OdpHca *h, uint64_t addr);
void odp_write64(OdpHca *h, uint64_t addr, uint64_t val);
OdpMem *odp_mem_new(OdpHca *h, uint64_t iova, uint64_t size);
uint64_t odp_mem_pa(const OdpMem *m, uint64_t iova);
void odp_mem_write(OdpHca *h, const OdpMem *m, uint64_t iova,
                   const void *buf, size_t len);
void odp_mem_read(OdpHca *h, const OdpMem *m, uint64_t iova,
                  void *buf, size_t len);
void odp_mem_fill(OdpHca *h, const OdpMem *m, uint8_t byte);
void odp_pattern(void *buf, size_t len, uint32_t seed);

/* Commands */
uint64_t odp_cmdq_entry(OdpHca *h, uint32_t counter);
uint8_t odp_cmd_exec(OdpHca *h, struct odp_hca_cmd *cmd);
uint8_t odp_cmd_simple(OdpHca *h, uint8_t opcode, uint32_t handle);
uint8_t odp_nop(OdpHca *h);
uint8_t odp_query_device(OdpHca *h, struct odp_hca_caps *caps);
uint8_t odp_destroy(OdpHca *h, uint8_t opcode, uint32_t handle);
uint8_t odp_invalidate(OdpHca *h, uint32_t key, uint64_t iova,
                       uint64_t length, uint32_t flags, uint32_t *entries);
uint8_t odp_resume(OdpHca *h, uint32_t token, uint32_t status);

/* Rings */
/* The log2 strides of CQ and EQ rings: their entries' sizes. */
#define ODP_CQ_LOG_STRIDE   odp_hca_log_stride(sizeof(struct odp_hca_cqe))
#define ODP_EQ_LOG_STRIDE   odp_hca_log_stride(sizeof(struct odp_hca_eqe))
void odp_ring_init(OdpHca *h, OdpRing *r, uint8_t log_entries,
                   uint8_t log_stride);
void odp_ring_desc(const OdpRing *r, struct odp_hca_ring_desc *d);
uint64_t odp_ring_entry(const OdpRing *r, uint32_t counter);

/* Objects (these assert success) */
OdpEq *odp_eq_new(OdpHca *h, uint8_t log_entries, uint16_t vector);
uint32_t odp_pd_new(OdpHca *h);
OdpCq *odp_cq_new(OdpHca *h, uint8_t log_entries, OdpEq *eq, uint32_t uar);
uint8_t odp_cq_create(OdpHca *h, uint8_t log_entries, OdpEq *eq,
                      uint32_t uar, uint64_t ci_record, OdpCq **out);
OdpSrq *odp_srq_new(OdpHca *h, uint32_t pdn, uint8_t log_entries,
                    uint16_t max_sge, uint32_t limit, uint32_t uar);
void odp_qp_cfg_init(OdpQpCfg *c, uint8_t type, uint32_t pdn,
                     OdpCq *scq, OdpCq *rcq);
uint8_t odp_qp_create(OdpHca *h, const OdpQpCfg *c, OdpQp **out);
OdpQp *odp_qp_new(OdpHca *h, const OdpQpCfg *c);

/* QP state */
void odp_rc_attr_init(OdpRcAttr *a);
uint8_t odp_qp_modify(OdpHca *h, uint32_t qpn,
                      struct odp_hca_cmd_modify_qp *m);
uint8_t odp_qp_query(OdpHca *h, uint32_t qpn,
                     struct odp_hca_cmd_modify_qp *out);
uint8_t odp_qp_state(OdpHca *h, uint32_t qpn);
uint8_t odp_qp_to_state(OdpHca *h, OdpQp *qp, uint8_t state);
/*
 * The GID odp_qp_rc_rtr() gives an RC QP as both sgid and dgid, with
 * dmac the device's own MAC (caps.mac): the path of loopback traffic.
 * IPv4-mapped ::ffff:10.0.0.1.
 */
extern const uint8_t odp_loopback_gid[16];
void odp_qp_rc_init(OdpHca *h, OdpQp *qp, const OdpRcAttr *a);
void odp_qp_rc_rtr(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                   const OdpRcAttr *a);
/*
 * As odp_qp_rc_rtr(), with the path (MODIFY_QP ATTR_AV) to a peer
 * elsewhere: @dmac the next hop, @sgid the device's address, @dgid the
 * peer's.
 */
void odp_qp_rc_rtr_av(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                      const OdpRcAttr *a, const uint8_t dmac[6],
                      const uint8_t sgid[16], const uint8_t dgid[16]);
void odp_qp_rc_rts(OdpHca *h, OdpQp *qp, const OdpRcAttr *a);
void odp_qp_rc_connect(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                       const OdpRcAttr *a);
void odp_qp_ud_ready(OdpHca *h, OdpQp *qp, uint32_t qkey);

/* Memory regions and translation tables */
uint8_t odp_levels_for(uint64_t iova, uint64_t length);
uint32_t odp_mr_key_alloc(OdpHca *h);
OdpMr *odp_mr_prepare(OdpHca *h, uint32_t pdn, uint64_t iova,
                      uint64_t length, uint8_t levels, uint32_t access,
                      uint8_t flags);
uint8_t odp_mr_register(OdpHca *h, OdpMr *mr);
uint64_t odp_mr_pte_addr(OdpHca *h, OdpMr *mr, uint64_t iova, int level,
                         bool create);
void odp_mr_set_pte(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t pte);
uint64_t odp_mr_get_pte(OdpHca *h, OdpMr *mr, uint64_t iova);
void odp_mr_map_page(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t pa,
                     bool writable);
void odp_mr_unmap_page(OdpHca *h, OdpMr *mr, uint64_t iova);
void odp_mr_map_mem(OdpHca *h, OdpMr *mr, const OdpMem *m, uint64_t iova,
                    uint64_t len, bool writable);
void odp_mr_unmap_range(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t len);
OdpMr *odp_mr_new_pinned(OdpHca *h, uint32_t pdn, const OdpMem *m,
                         uint32_t access, uint8_t levels);
OdpMr *odp_mr_new_odp(OdpHca *h, uint32_t pdn, uint64_t iova,
                      uint64_t length, uint32_t access, uint8_t levels);
OdpMr *odp_mr_new_implicit(OdpHca *h, uint32_t pdn, uint32_t access);

/* Work requests */
void odp_wr_init(OdpWr *wr, uint64_t wr_id, uint8_t opcode);
void odp_wr_sge(OdpWr *wr, uint64_t addr, uint32_t len, uint32_t lkey);
uint32_t odp_post_send(OdpHca *h, OdpQp *qp, const OdpWr *wr);
uint32_t odp_post_send_raw(OdpHca *h, OdpQp *qp, const void *wqe,
                           size_t len);
void odp_ring_sq(OdpHca *h, OdpQp *qp);
uint32_t odp_send(OdpHca *h, OdpQp *qp, const OdpWr *wr);
uint32_t odp_post_recv(OdpHca *h, OdpQp *qp, uint64_t wr_id,
                       const struct odp_hca_sge *sge, int nsge);
uint32_t odp_post_srq_recv(OdpHca *h, OdpSrq *srq, uint64_t wr_id,
                           const struct odp_hca_sge *sge, int nsge);

/* Completions and events */
bool odp_cq_poll(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe);
void odp_cq_wait(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe);
int64_t odp_cq_wait_clock(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe,
                          int64_t step_ns, int max_steps);
void odp_cq_assert_empty(OdpHca *h, OdpCq *cq, int rounds);
void odp_cq_db(OdpHca *h, OdpCq *cq, uint32_t off);
void odp_cq_set_ci(OdpHca *h, OdpCq *cq);
bool odp_eq_poll(OdpHca *h, OdpEq *eq, struct odp_hca_eqe *eqe);
void odp_eq_wait(OdpHca *h, OdpEq *eq, struct odp_hca_eqe *eqe);
void odp_eq_wait_type(OdpHca *h, OdpEq *eq, uint8_t type,
                      struct odp_hca_eqe *eqe);
void odp_eq_assert_empty(OdpHca *h, OdpEq *eq, int rounds);
void odp_eq_drain(OdpHca *h, OdpEq *eq);
void odp_settle(OdpHca *h, int rounds);

/* Virtual clock */
void odp_clock_step(OdpHca *h, int64_t ns);
int64_t odp_clock_now(OdpHca *h);
int64_t odp_ack_timeout_ns(uint8_t timeout);
int64_t odp_rnr_timer_ns(uint8_t code);

#endif /* ODP_HCA_DRV_H */
