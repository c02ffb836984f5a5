/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest testcases for the odp-hca RDMA adapter with on-demand paging.
 *
 * Each test starts its own QEMU (q35, qtest accelerator), drives the
 * device as its driver through odp-hca/drv.c and checks the bytes that
 * land in guest memory and the entries the device writes: command
 * status, CQEs and EQEs.  The virtual clock only moves when a test steps
 * it (RNR and ACK timers).
 */

#include "qemu/osdep.h"
#include <math.h>
#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/pci.h"
#include "standard-headers/linux/pci_regs.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-odp-hca.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "odp-hca/drv.h"

#define ACC_ALL     (ODP_HCA_ACCESS_LOCAL_WRITE | \
                     ODP_HCA_ACCESS_REMOTE_WRITE | \
                     ODP_HCA_ACCESS_REMOTE_READ | \
                     ODP_HCA_ACCESS_REMOTE_ATOMIC)
#define ACC_LW      ODP_HCA_ACCESS_LOCAL_WRITE
#define RNR_STEP    10000           /* 10 us: min_rnr_timer 1 */
#define RNR_STEPS   2000

/* ------------------------------------------------------------------ */
/* Test context                                                         */

typedef struct T {
    OdpHca *h;
    uint32_t pd;
    uint64_t next_iova;
} T;

typedef struct Buf {
    OdpMem *m;
    OdpMr *mr;
    uint64_t iova;
    uint64_t size;
    uint32_t key;
} Buf;

typedef struct Pair {
    OdpCq *cqa;
    OdpCq *cqb;
    OdpQp *a;
    OdpQp *b;
} Pair;

static T *t_new_eq(const char *opts, uint8_t eq0_log)
{
    T *t = g_new0(T, 1);

    t->h = odp_hca_new_eq(opts, eq0_log);
    t->pd = odp_pd_new(t->h);
    t->next_iova = 0x10000000;
    return t;
}

static T *t_new(const char *opts)
{
    return t_new_eq(opts, 6);
}

static void t_free(T *t)
{
    odp_hca_stop(t->h);
    g_free(t);
}

/* iova ranges are separated by unmapped gaps */
static uint64_t t_iova(T *t, uint64_t size)
{
    uint64_t iova = t->next_iova;

    t->next_iova += ROUND_UP(size, ODP_PAGE) + 16 * ODP_PAGE;
    return iova;
}

static Buf *buf_pinned_pd(T *t, uint32_t pd, uint64_t size, uint32_t access)
{
    Buf *b = g_new0(Buf, 1);

    b->m = odp_mem_new(t->h, t_iova(t, size), size);
    b->mr = odp_mr_new_pinned(t->h, pd, b->m, access, 0);
    b->iova = b->m->iova;
    b->size = b->m->size;
    b->key = b->mr->key;
    return b;
}

static Buf *buf_pinned(T *t, uint64_t size, uint32_t access)
{
    return buf_pinned_pd(t, t->pd, size, access);
}

/* An on-demand MR over fresh pages; no translation entry is present. */
static Buf *buf_odp(T *t, uint64_t size, uint32_t access)
{
    Buf *b = g_new0(Buf, 1);

    b->m = odp_mem_new(t->h, t_iova(t, size), size);
    b->mr = odp_mr_new_odp(t->h, t->pd, b->m->iova, b->m->size, access, 0);
    b->iova = b->m->iova;
    b->size = b->m->size;
    b->key = b->mr->key;
    return b;
}

static void buf_map(T *t, Buf *b, uint64_t iova, uint64_t len, bool writable)
{
    odp_mr_map_mem(t->h, b->mr, b->m, iova, len, writable);
}

static void buf_write(T *t, Buf *b, uint64_t off, const void *data, size_t len)
{
    odp_mem_write(t->h, b->m, b->iova + off, data, len);
}

static uint64_t buf_read64(T *t, Buf *b, uint64_t off)
{
    uint64_t v;

    odp_mem_read(t->h, b->m, b->iova + off, &v, 8);
    return v;
}

static void buf_write64(T *t, Buf *b, uint64_t off, uint64_t v)
{
    odp_mem_write(t->h, b->m, b->iova + off, &v, 8);
}

/* Fill with a pattern; returns it (caller frees). */
static uint8_t *buf_pattern(T *t, Buf *b, uint32_t seed)
{
    uint8_t *p = g_malloc(b->size);

    odp_pattern(p, b->size, seed);
    buf_write(t, b, 0, p, b->size);
    return p;
}

static void check_bytes(T *t, const OdpMem *m, uint64_t iova,
                        const void *exp, size_t len, const char *what)
{
    g_autofree uint8_t *got = g_malloc(len);
    const uint8_t *e = exp;
    size_t i;

    odp_mem_read(t->h, m, iova, got, len);
    for (i = 0; i < len; i++) {
        if (got[i] != e[i]) {
            odp_diag("%s: byte %zu of %zu at iova 0x%" PRIx64
                           " is 0x%02x, expected 0x%02x", what, i, len,
                           iova + i, got[i], e[i]);
            g_assert_not_reached();
        }
    }
}

static void buf_check(T *t, Buf *b, uint64_t off, const void *exp,
                      size_t len, const char *what)
{
    check_bytes(t, b->m, b->iova + off, exp, len, what);
}

static void buf_check_fill(T *t, Buf *b, uint64_t off, uint8_t byte,
                           size_t len, const char *what)
{
    g_autofree uint8_t *exp = g_malloc(len);

    memset(exp, byte, len);
    buf_check(t, b, off, exp, len, what);
}

static void buf_fill(T *t, Buf *b, uint8_t byte)
{
    odp_mem_fill(t->h, b->m, byte);
}

static void pair_new_cfg(T *t, Pair *p, const OdpQpCfg *tmpl,
                         const OdpRcAttr *aa, const OdpRcAttr *ab)
{
    OdpHca *h = t->h;
    OdpQpCfg c;

    p->cqa = odp_cq_new(h, 7, NULL, 0);
    p->cqb = odp_cq_new(h, 7, NULL, 0);
    if (tmpl) {
        c = *tmpl;
    } else {
        odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    }
    c.scq = c.rcq = p->cqa;
    p->a = odp_qp_new(h, &c);
    c.scq = c.rcq = p->cqb;
    p->b = odp_qp_new(h, &c);
    g_assert_cmpuint(p->a->qpn, !=, p->b->qpn);
    odp_qp_rc_connect(h, p->a, p->b->qpn, aa);
    odp_qp_rc_connect(h, p->b, p->a->qpn, ab);
}

static void pair_new2(T *t, Pair *p, const OdpRcAttr *aa, const OdpRcAttr *ab)
{
    pair_new_cfg(t, p, NULL, aa, ab);
}

static void pair_new(T *t, Pair *p)
{
    pair_new_cfg(t, p, NULL, NULL, NULL);
}

static struct odp_hca_sge sge(uint64_t addr, uint32_t len, uint32_t lkey)
{
    struct odp_hca_sge s = { .addr = addr, .length = len, .lkey = lkey };

    return s;
}

static void post_recv1(T *t, OdpQp *qp, uint64_t wr_id, uint64_t addr,
                       uint32_t len, uint32_t lkey)
{
    struct odp_hca_sge s = sge(addr, len, lkey);

    odp_post_recv(t->h, qp, wr_id, &s, 1);
}

/* A one-SGE work request. */
static void wr1(OdpWr *wr, uint64_t wr_id, uint8_t opcode, uint64_t laddr,
                uint32_t len, uint32_t lkey, uint64_t raddr, uint32_t rkey)
{
    odp_wr_init(wr, wr_id, opcode);
    if (len || lkey) {
        odp_wr_sge(wr, laddr, len, lkey);
    }
    wr->remote_addr = raddr;
    wr->rkey = rkey;
}

static uint32_t send1(T *t, OdpQp *qp, uint64_t wr_id, uint8_t opcode,
                      uint64_t laddr, uint32_t len, uint32_t lkey,
                      uint64_t raddr, uint32_t rkey)
{
    OdpWr wr;

    wr1(&wr, wr_id, opcode, laddr, len, lkey, raddr, rkey);
    return odp_send(t->h, qp, &wr);
}

static void cqe_dump(const char *what, const struct odp_hca_cqe *c)
{
    odp_diag("%s: wr_id 0x%" PRIx64 " status %u vendor_err %u "
                   "opcode 0x%x byte_len %u imm 0x%x qpn %u src_qp %u "
                   "flags 0x%x wqe_index %u owner %u", what, c->wr_id,
                   c->status, c->vendor_err, c->opcode, c->byte_len,
                   c->imm_data, c->qpn, c->src_qp, c->flags, c->wqe_index,
                   c->owner);
}

/* opcode < 0: not checked (error and flush completions) */
static void check_cqe(const struct odp_hca_cqe *c, uint64_t wr_id,
                      uint8_t status, int opcode, uint32_t qpn)
{
    if (c->wr_id != wr_id || c->status != status || c->qpn != qpn ||
        (opcode >= 0 && c->opcode != opcode)) {
        cqe_dump("CQE mismatch", c);
        odp_diag("expected wr_id 0x%" PRIx64 " status %u opcode %d "
                       "qpn %u", wr_id, status, opcode, qpn);
    }
    g_assert_cmphex(c->wr_id, ==, wr_id);
    g_assert_cmpuint(c->status, ==, status);
    g_assert_cmpuint(c->qpn, ==, qpn);
    if (opcode >= 0) {
        g_assert_cmphex(c->opcode, ==, opcode);
    }
}

static void wait_cqe(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
                     uint8_t status, int opcode, uint32_t qpn)
{
    struct odp_hca_cqe tmp;

    if (!c) {
        c = &tmp;
    }
    odp_cq_wait(t->h, cq, c);
    check_cqe(c, wr_id, status, opcode, qpn);
}

static int64_t wait_cqe_clock(T *t, OdpCq *cq, struct odp_hca_cqe *c,
                              uint64_t wr_id, uint8_t status, int opcode,
                              uint32_t qpn, int64_t step, int steps)
{
    struct odp_hca_cqe tmp;
    int64_t el;

    if (!c) {
        c = &tmp;
    }
    el = odp_cq_wait_clock(t->h, cq, c, step, steps);
    check_cqe(c, wr_id, status, opcode, qpn);
    return el;
}

static void wait_recv(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
                      int opcode, uint32_t qpn, uint32_t src_qp,
                      uint32_t byte_len)
{
    wait_cqe(t, cq, c, wr_id, ODP_HCA_WC_SUCCESS, opcode, qpn);
    g_assert_cmpuint(c->src_qp, ==, src_qp);
    g_assert_cmpuint(c->byte_len, ==, byte_len);
}

static void quiet(T *t, OdpCq *cq)
{
    odp_cq_assert_empty(t->h, cq, ODP_QUIET_ROUNDS);
}

static void eqe_dump(const char *what, const struct odp_hca_eqe *e)
{
    odp_diag("%s: type 0x%x subtype %u obj %u token 0x%x key 0x%x "
                   "iova 0x%" PRIx64 " length %u access 0x%x side %u "
                   "wqe_index %u", what, e->type, e->subtype, e->obj,
                   e->fault.token, e->fault.key, e->fault.iova,
                   e->fault.length, e->fault.access, e->fault.side,
                   e->fault.wqe_index);
}

/*
 * Check a page-fault event.  length must cover at least min_len bytes
 * (the rest of the SGE / of the request) and stay inside the MR
 * (max_len = bytes from iova to the MR's end).  wqe_index < 0: unchecked.
 */
static uint32_t check_fault(const struct odp_hca_eqe *e, uint32_t qpn,
                            uint32_t key, uint64_t iova, uint64_t min_len,
                            uint64_t max_len, uint8_t access, uint8_t side,
                            int wqe_index)
{
    if (e->type != ODP_HCA_EV_PAGE_FAULT || e->obj != qpn ||
        e->fault.key != key || e->fault.iova != iova ||
        e->fault.length < min_len || e->fault.length > max_len ||
        e->fault.access != access || e->fault.side != side ||
        (wqe_index >= 0 && e->fault.wqe_index != wqe_index)) {
        eqe_dump("fault event mismatch", e);
        odp_diag("expected qpn %u key 0x%x iova 0x%" PRIx64
                       " length %" PRIu64 "..%" PRIu64 " access 0x%x "
                       "side %u wqe_index %d", qpn, key, iova, min_len,
                       max_len, access, side, wqe_index);
    }
    g_assert_cmpuint(e->type, ==, ODP_HCA_EV_PAGE_FAULT);
    g_assert_cmpuint(e->obj, ==, qpn);
    g_assert_cmphex(e->fault.key, ==, key);
    g_assert_cmphex(e->fault.iova, ==, iova);
    g_assert_cmpuint(e->fault.length, >=, min_len);
    g_assert_cmpuint(e->fault.length, <=, max_len);
    g_assert_cmphex(e->fault.access, ==, access);
    g_assert_cmpuint(e->fault.side, ==, side);
    if (wqe_index >= 0) {
        g_assert_cmpuint(e->fault.wqe_index, ==, wqe_index);
    }
    return e->fault.token;
}

static uint32_t wait_fault(T *t, uint32_t qpn, uint32_t key, uint64_t iova,
                           uint64_t min_len, uint64_t max_len, uint8_t access,
                           uint8_t side, int wqe_index)
{
    struct odp_hca_eqe e;

    odp_eq_wait(t->h, t->h->eq0, &e);
    if (e.type != ODP_HCA_EV_PAGE_FAULT) {
        eqe_dump("expected a page fault, got", &e);
    }
    return check_fault(&e, qpn, key, iova, min_len, max_len, access, side,
                       wqe_index);
}

static void wait_event(T *t, uint8_t type, uint32_t obj)
{
    struct odp_hca_eqe e;

    odp_eq_wait(t->h, t->h->eq0, &e);
    if (e.type != type || e.obj != obj) {
        eqe_dump("event mismatch", &e);
        odp_diag("expected type 0x%x obj %u", type, obj);
    }
    g_assert_cmpuint(e.type, ==, type);
    g_assert_cmpuint(e.obj, ==, obj);
}

static void eq_quiet(T *t)
{
    odp_eq_assert_empty(t->h, t->h->eq0, ODP_QUIET_ROUNDS);
}

static void eq_drain(T *t)
{
    odp_eq_drain(t->h, t->h->eq0);
}

static void resume_ok(T *t, uint32_t token)
{
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_OK);
}

static uint8_t qp_state(T *t, OdpQp *qp)
{
    return odp_qp_state(t->h, qp->qpn);
}

/* The QP reaches ERR (bounded wait). */
static void wait_qp_err(T *t, OdpQp *qp)
{
    int i;

    for (i = 0; i < 1000; i++) {
        if (qp_state(t, qp) == ODP_HCA_QPS_ERR) {
            return;
        }
    }
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_ERR);
}

/* A fresh pair moves data: WRITE and SEND/RECV with byte checks. */
static void check_fresh_pair_works(T *t, uint32_t seed)
{
    uint8_t data[1500];
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;

    pair_new(t, &p);
    src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    odp_pattern(data, sizeof(data), seed);
    buf_write(t, src, 10, data, sizeof(data));

    send1(t, p.a, 0x51, ODP_HCA_WQE_RDMA_WRITE, src->iova + 10, 1500,
          src->key, dst->iova + 3000, dst->key);
    wait_cqe(t, p.cqa, &c, 0x51, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 3000, data, 1500, "fresh pair WRITE");

    post_recv1(t, p.a, 0x52, src->iova + 4096, 2000, src->key);
    send1(t, p.b, 0x53, ODP_HCA_WQE_SEND, dst->iova + 3000, 1500, dst->key,
          0, 0);
    wait_cqe(t, p.cqb, &c, 0x53, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.b->qpn);
    wait_recv(t, p.cqa, &c, 0x52, ODP_HCA_CQE_RECV, p.a->qpn, p.b->qpn, 1500);
    buf_check(t, src, 4096, data, 1500, "fresh pair SEND");
}

/* ------------------------------------------------------------------ */
/* 1. Probe                                                             */

#define PROBE_OPTS "max-qps=64,max-cqs=32,max-srqs=8,max-mrs=128,max-pds=16," \
                   "max-qp-wr=1024,max-cqe=4096,max-eqe=512,max-sge=8," \
                   "max-inline=128,iotlb-entries=64,uars=8,vectors=4," \
                   "mac=52:54:00:ab:cd:ef"

static void test_probe(void)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    const uint32_t all_caps = ODP_HCA_CAP_ODP | ODP_HCA_CAP_IMPLICIT_ODP |
                              ODP_HCA_CAP_SRQ | ODP_HCA_CAP_UD |
                              ODP_HCA_CAP_ATOMIC;
    OdpHca *h = odp_hca_start(PROBE_OPTS);
    struct odp_hca_caps *caps = &h->caps;
    uint8_t tail[64], pcie;

    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_VENDOR_ID), ==,
                    ODP_HCA_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_DEVICE_ID), ==,
                    ODP_HCA_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readb(&h->dev, PCI_REVISION_ID), ==,
                    ODP_HCA_PCI_REVISION);
    pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(pcie, !=, 0);
    g_assert_true(qpci_config_readl(&h->dev, pcie + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    g_assert_cmpuint(qpci_msix_table_size(&h->dev), ==, 4);
    g_assert_cmpuint(h->bar2_size, ==, 8 * ODP_PAGE);

    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_UARS), ==, 8);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_VECTORS), ==, 4);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    g_assert_cmphex(caps->flags, ==, all_caps);
    g_assert_cmpuint(caps->max_qps, ==, 64);
    g_assert_cmpuint(caps->max_cqs, ==, 32);
    g_assert_cmpuint(caps->max_srqs, ==, 8);
    g_assert_cmpuint(caps->max_mrs, ==, 128);
    g_assert_cmpuint(caps->max_pds, ==, 16);
    g_assert_cmpuint(caps->max_eqs, ==, 4);       /* = vectors */
    g_assert_cmpuint(caps->max_qp_wr, ==, 1024);
    g_assert_cmpuint(caps->max_cqe, ==, 4096);
    g_assert_cmpuint(caps->max_eqe, ==, 512);
    g_assert_cmpuint(caps->max_sge, ==, 8);
    g_assert_cmpuint(caps->max_inline, ==, 128);
    g_assert_cmpuint(caps->max_msg_size, ==, 1u << 31);
    g_assert_cmpuint(caps->iotlb_entries, ==, 64);
    g_assert_cmpuint(caps->num_uars, ==, 8);
    g_assert_cmpuint(caps->num_vectors, ==, 4);
    g_assert_cmpuint(caps->page_size, ==, 4096);
    g_assert_cmpmem(caps->mac, 6, mac, 6);
    g_assert_cmpuint(caps->max_mtu, ==, ODP_HCA_MTU_4096);
    g_assert_cmpuint(caps->pt_levels, ==, ODP_HCA_PT_MAX_LEVELS);
    g_assert_cmpuint(caps->max_srq_wr, >, 0);
    g_assert_cmpuint(caps->max_rd_atomic, >, 0);

    /* the device wrote the caps structure and nothing after it */
    odp_read(h, h->scratch + sizeof(*caps), tail, sizeof(tail));
    for (size_t i = 0; i < sizeof(tail); i++) {
        g_assert_cmphex(tail[i], ==, 0xa5);
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

static void test_probe_defaults(void)
{
    OdpHca *h = odp_hca_new(NULL);
    struct odp_hca_caps *c = &h->caps;

    g_assert_cmpuint(c->max_qps, ==, 256);
    g_assert_cmpuint(c->max_cqs, ==, 256);
    g_assert_cmpuint(c->max_srqs, ==, 64);
    g_assert_cmpuint(c->max_mrs, ==, 1024);
    g_assert_cmpuint(c->max_pds, ==, 256);
    g_assert_cmpuint(c->max_eqs, ==, 8);
    g_assert_cmpuint(c->max_qp_wr, ==, 4096);
    g_assert_cmpuint(c->max_cqe, ==, 32768);
    g_assert_cmpuint(c->max_eqe, ==, 4096);
    g_assert_cmpuint(c->max_sge, ==, 16);
    g_assert_cmpuint(c->max_inline, ==, 256);
    g_assert_cmpuint(c->iotlb_entries, ==, 1024);
    g_assert_cmpuint(c->num_uars, ==, 64);
    g_assert_cmpuint(c->num_vectors, ==, 8);
    g_assert_cmpuint(h->bar2_size, ==, 64 * ODP_PAGE);
    g_assert_cmpuint(qpci_msix_table_size(&h->dev), ==, 8);
    g_assert_cmpuint(c->max_msg_size, ==, 1u << 31);
    odp_hca_stop(h);
}

/* Table limits: NO_RESOURCES when full, handles in range, reuse. */
static void test_limits(void)
{
    OdpHca *h = odp_hca_new("max-pds=4,max-qps=4,max-cqs=3,vectors=3,"
                            "max-mrs=8");
    struct odp_hca_cmd cmd;
    uint32_t pds[4];
    OdpCq *cq[3];
    OdpQpCfg c;
    OdpQp *qp[3];
    OdpMr *mr;
    int i;

    for (i = 0; i < 4; i++) {
        pds[i] = odp_pd_new(h);
        for (int j = 0; j < i; j++) {
            g_assert_cmpuint(pds[i], !=, pds[j]);
        }
    }
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_PD;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_NO_RESOURCES);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, pds[2]), ==,
                     ODP_HCA_CMD_OK);
    pds[2] = odp_pd_new(h);

    for (i = 0; i < 3; i++) {
        cq[i] = odp_cq_new(h, 3, NULL, 0);
    }
    {
        OdpRing r;

        odp_ring_init(h, &r, 3, 5);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
        odp_ring_desc(&r, &cmd.create_cq.ring);
        g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==,
                         ODP_HCA_CMD_NO_RESOURCES);
    }

    /* qpn 0 and 1 are reserved: two QPs fit */
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, pds[0], cq[0], cq[0]);
    qp[0] = odp_qp_new(h, &c);
    qp[1] = odp_qp_new(h, &c);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp[2]), ==,
                     ODP_HCA_CMD_NO_RESOURCES);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp[0]->qpn), ==,
                     ODP_HCA_CMD_OK);
    qp[2] = odp_qp_new(h, &c);

    /* MR key index: below max_mrs, not in use */
    mr = odp_mr_prepare(h, pds[0], 0x100000, ODP_PAGE, 1, ACC_LW, 0);
    mr->key = (7 << 8) | 0x11;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    mr->key = (7 << 8) | 0x22;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    mr->key = (8 << 8) | 0x11;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    mr->key = 0xffffff00;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, (7 << 8) | 0x11),
                     ==, ODP_HCA_CMD_OK);
    mr->key = (7 << 8) | 0x22;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

/* Command interrupt (vector 0), EQ arming, CQ arming (any / solicited). */
static void test_interrupts(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_NOP };
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    OdpEq *eq1;
    OdpQpCfg cfg;
    Pair p;
    Buf *src, *dst;
    const uint16_t vec = ODP_VEC_FREE;

    g_assert_false(odp_msix_pending(h, 0));
    cmd.flags = ODP_HCA_CMD_F_INTR;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    g_assert_true(odp_msix_pending(h, 0));
    odp_msix_clear(h, 0);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_settle(h, 8);
    g_assert_false(odp_msix_pending(h, 0));

    eq1 = odp_eq_new(h, 4, vec);
    eq1->auto_ci = false;
    p.cqa = odp_cq_new(h, 6, eq1, 0);
    p.cqb = odp_cq_new(h, 6, eq1, 0);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, p.cqa, p.cqa);
    p.a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = p.cqb;
    p.b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, p.a, p.b->qpn, NULL);
    odp_qp_rc_connect(h, p.b, p.a->qpn, NULL);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_assert_false(odp_msix_pending(h, vec));

    /* armed CQ, armed EQ (created armed): event + vector */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));
    odp_msix_clear(h, vec);

    /* EQ consumed but not re-armed: event, no vector */
    odp_eq_db(h, eq1->eqn, eq1->ci, false);
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_false(odp_msix_pending(h, vec));

    /* EQ re-armed: vector again */
    odp_eq_db(h, eq1->eqn, eq1->ci, true);
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));
    odp_msix_clear(h, vec);
    odp_eq_db(h, eq1->eqn, eq1->ci, true);

    /* CQ disarmed after its event: no event */
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    g_assert_false(odp_msix_pending(h, vec));

    /* solicited arming on the receive CQ */
    odp_cq_db(h, p.cqb, ODP_HCA_DB_CQ_ARM_SOL);
    post_recv1(t, p.b, 0xb1, dst->iova, 256, dst->key);
    post_recv1(t, p.b, 0xb2, dst->iova + 256, 256, dst->key);
    send1(t, p.a, 5, ODP_HCA_WQE_SEND, src->iova, 32, src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 5, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 32);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_SOLICITED, ==, 0);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    {
        OdpWr wr;

        wr1(&wr, 6, ODP_HCA_WQE_SEND, src->iova, 48, src->key, 0, 0);
        wr.flags |= ODP_HCA_WQE_F_SOLICITED;
        odp_send(h, p.a, &wr);
    }
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb2, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 48);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_SOLICITED, ==,
                    ODP_HCA_CQE_F_SOLICITED);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqb->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));

    /* solicited arming also fires for an error completion */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM_SOL);
    send1(t, p.a, 7, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 7, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    send1(t, p.a, 8, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key ^ 0x40,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 8, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    t_free(t);
}

/* DESTROY of objects still in use -> BUSY; in order -> OK; twice -> gone */
static void test_objects_busy(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpEq *eq1 = odp_eq_new(h, 3, ODP_VEC_FREE);
    OdpCq *cq = odp_cq_new(h, 4, eq1, 0);
    OdpSrq *srq = odp_srq_new(h, t->pd, 4, 2, 0, 0);
    OdpQpCfg c;
    OdpQp *qp, *qp2;
    Buf *b = buf_pinned(t, ODP_PAGE, ACC_ALL);

    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &c);
    c.srq = srq;
    qp2 = odp_qp_new(h, &c);

    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_BUSY);

    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp2->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp2->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_OK);
    /* the MR still holds the PD */
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, b->key), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, b->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 2. RC loopback operations with pinned MRs                            */

static void test_rc_send(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 1);
    buf_fill(t, dst, 0xee);

    post_recv1(t, p.b, 0xb001, dst->iova + 16, 2000, dst->key);
    send1(t, p.a, 0xa001, ODP_HCA_WQE_SEND, src->iova + 100, 1000, src->key,
          0, 0);
    wait_cqe(t, p.cqa, &c, 0xa001, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    wait_recv(t, p.cqb, &c, 0xb001, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn,
              1000);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_IMM, ==, 0);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, dst, 16, data + 100, 1000, "SEND payload");
    buf_check_fill(t, dst, 0, 0xee, 16, "before SEND payload");
    buf_check_fill(t, dst, 1016, 0xee, 2000, "after SEND payload");

    /* crossing page boundaries on both sides */
    post_recv1(t, p.b, 0xb002, dst->iova + 3000, 5000, dst->key);
    send1(t, p.a, 0xa002, ODP_HCA_WQE_SEND, src->iova + 2500, 4000,
          src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 0xa002, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    wait_recv(t, p.cqb, &c, 0xb002, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn,
              4000);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    buf_check(t, dst, 3000, data + 2500, 4000, "SEND across pages");
    buf_check_fill(t, dst, 7000, 0xee, 2 * ODP_PAGE - 7000, "after SEND");
    quiet(t, p.cqa);
    quiet(t, p.cqb);
    t_free(t);
}

static void test_rc_send_imm(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpWr wr;
    Pair p;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 2);
    buf_fill(t, dst, 0xee);

    post_recv1(t, p.b, 0xb1, dst->iova, 512, dst->key);
    wr1(&wr, 0xa1, ODP_HCA_WQE_SEND_IMM, src->iova, 300, src->key, 0, 0);
    wr.imm = 0x78563412;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 300);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_IMM, ==, ODP_HCA_CQE_F_IMM);
    g_assert_cmphex(c.imm_data, ==, 0x78563412);
    buf_check(t, dst, 0, data, 300, "SEND_IMM payload");

    /* zero-length SEND_IMM: a notification */
    post_recv1(t, p.b, 0xb2, dst->iova + 1024, 512, dst->key);
    odp_wr_init(&wr, 0xa2, ODP_HCA_WQE_SEND_IMM);
    wr.imm = 0xdeadbeef;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb2, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 0);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_IMM, ==, ODP_HCA_CQE_F_IMM);
    g_assert_cmphex(c.imm_data, ==, 0xdeadbeef);
    buf_check_fill(t, dst, 1024, 0xee, 512, "zero-length SEND");
    t_free(t);
}

static void test_rc_write(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpQpCfg cfg;
    OdpWr wr;
    Pair p, q;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, 3 * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 3);
    buf_fill(t, dst, 0xee);

    send1(t, p.a, 0x77, ODP_HCA_WQE_RDMA_WRITE, src->iova + 5000, 3000,
          src->key, dst->iova + 100, dst->key);
    wait_cqe(t, p.cqa, &c, 0x77, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, dst, 100, data + 5000, 3000, "WRITE payload");
    buf_check_fill(t, dst, 0, 0xee, 100, "before WRITE");
    buf_check_fill(t, dst, 3100, 0xee, 2 * ODP_PAGE - 3100, "after WRITE");
    quiet(t, p.cqb);            /* a WRITE consumes no receive */

    /* sq_sig_all = 0: only SIGNALED WQEs complete */
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.sq_sig_all = 0;
    pair_new_cfg(t, &q, &cfg, NULL, NULL);
    buf_fill(t, dst, 0xee);
    wr1(&wr, 0x101, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        dst->iova, dst->key);
    wr.flags = 0;
    odp_post_send(t->h, q.a, &wr);
    wr1(&wr, 0x102, ODP_HCA_WQE_RDMA_WRITE, src->iova + 64, 64, src->key,
        dst->iova + 64, dst->key);
    odp_send(t->h, q.a, &wr);
    wait_cqe(t, q.cqa, &c, 0x102, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             q.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    buf_check(t, dst, 0, data, 128, "unsignaled + signaled WRITE");
    quiet(t, q.cqa);
    t_free(t);
}

static void test_rc_write_imm(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpWr wr;
    Pair p;
    Buf *src, *dst, *rbuf;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rbuf = buf_pinned(t, ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 4);
    buf_fill(t, dst, 0xee);
    buf_fill(t, rbuf, 0xdd);

    post_recv1(t, p.b, 0xb7, rbuf->iova, ODP_PAGE, rbuf->key);
    wr1(&wr, 0xa7, ODP_HCA_WQE_RDMA_WRITE_IMM, src->iova + 8, 2000, src->key,
        dst->iova + 1000, dst->key);
    wr.imm = 0x01020304;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa7, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb7, ODP_HCA_CQE_RECV_RDMA_IMM, p.b->qpn,
              p.a->qpn, 2000);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_IMM, ==, ODP_HCA_CQE_F_IMM);
    g_assert_cmphex(c.imm_data, ==, 0x01020304);
    buf_check(t, dst, 1000, data + 8, 2000, "WRITE_IMM payload");
    buf_check_fill(t, rbuf, 0, 0xdd, ODP_PAGE, "WRITE_IMM receive buffer");
    t_free(t);
}

static void test_rc_read(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Pair p;
    Buf *loc, *rem;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    loc = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    rem = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, rem, 5);
    buf_fill(t, loc, 0xee);

    send1(t, p.a, 0x3ead, ODP_HCA_WQE_RDMA_READ, loc->iova + 50, 5000,
          loc->key, rem->iova + 300, rem->key);
    wait_cqe(t, p.cqa, &c, 0x3ead, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 5000);
    buf_check(t, loc, 50, data + 300, 5000, "READ payload");
    buf_check_fill(t, loc, 0, 0xee, 50, "before READ");
    buf_check_fill(t, loc, 5050, 0xee, 2 * ODP_PAGE - 5050, "after READ");
    quiet(t, p.cqb);
    t_free(t);
}

static void test_rc_atomic(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpWr wr;
    Pair p;
    Buf *loc, *rem;
    const uint64_t v0 = 0x1111222233334444ull, v1 = 0xaaaabbbbccccddddull;

    pair_new(t, &p);
    loc = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rem = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_fill(t, loc, 0xee);
    buf_write64(t, rem, 64, v0);

    /* CS, equal: swapped */
    wr1(&wr, 0xc1, ODP_HCA_WQE_ATOMIC_CS, loc->iova + 8, 8, loc->key,
        rem->iova + 64, rem->key);
    wr.compare_add = v0;
    wr.swap = v1;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xc1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_COMP_SWAP,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 8);
    g_assert_cmphex(buf_read64(t, loc, 8), ==, v0);
    g_assert_cmphex(buf_read64(t, rem, 64), ==, v1);
    buf_check_fill(t, loc, 0, 0xee, 8, "before atomic result");
    buf_check_fill(t, loc, 16, 0xee, 16, "after atomic result");

    /* CS, not equal: unchanged, original returned */
    wr1(&wr, 0xc2, ODP_HCA_WQE_ATOMIC_CS, loc->iova + 16, 8, loc->key,
        rem->iova + 64, rem->key);
    wr.compare_add = v0;
    wr.swap = 0x5555;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xc2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_COMP_SWAP,
             p.a->qpn);
    g_assert_cmphex(buf_read64(t, loc, 16), ==, v1);
    g_assert_cmphex(buf_read64(t, rem, 64), ==, v1);

    /* FA */
    wr1(&wr, 0xf1, ODP_HCA_WQE_ATOMIC_FA, loc->iova + 24, 8, loc->key,
        rem->iova + 64, rem->key);
    wr.compare_add = 0x0000000100000001ull;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xf1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 8);
    g_assert_cmphex(buf_read64(t, loc, 24), ==, v1);
    g_assert_cmphex(buf_read64(t, rem, 64), ==, v1 + 0x0000000100000001ull);

    /* FA with carry across 32 bits and wrap */
    buf_write64(t, rem, 128, 0xffffffffull);
    wr1(&wr, 0xf2, ODP_HCA_WQE_ATOMIC_FA, loc->iova + 32, 8, loc->key,
        rem->iova + 128, rem->key);
    wr.compare_add = 1;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xf2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmphex(buf_read64(t, loc, 32), ==, 0xffffffffull);
    g_assert_cmphex(buf_read64(t, rem, 128), ==, 0x100000000ull);
    buf_write64(t, rem, 136, UINT64_MAX);
    wr1(&wr, 0xf3, ODP_HCA_WQE_ATOMIC_FA, loc->iova + 40, 8, loc->key,
        rem->iova + 136, rem->key);
    wr.compare_add = 2;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xf3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmphex(buf_read64(t, loc, 40), ==, UINT64_MAX);
    g_assert_cmphex(buf_read64(t, rem, 136), ==, 1);
    t_free(t);
}

static void test_rc_multi_sge(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    struct odp_hca_sge rs[3];
    OdpWr wr;
    Pair p;
    Buf *s1, *s2, *d1, *d2;
    g_autofree uint8_t *p1 = NULL, *p2 = NULL;
    uint8_t exp[600];

    pair_new(t, &p);
    s1 = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    s2 = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    d1 = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    d2 = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    p1 = buf_pattern(t, s1, 6);
    p2 = buf_pattern(t, s2, 7);
    buf_fill(t, d1, 0xee);
    buf_fill(t, d2, 0xee);

    memcpy(exp, p1, 100);
    memcpy(exp + 100, p2 + 4000, 200);
    memcpy(exp + 300, p1 + 5000, 300);

    /* SEND gathers 3 SGEs, the receive scatters into 3 */
    rs[0] = sge(d1->iova + 10, 250, d1->key);
    rs[1] = sge(d2->iova + 4090, 100, d2->key);
    rs[2] = sge(d1->iova + 6000, 1000, d1->key);
    odp_post_recv(t->h, p.b, 0xb5, rs, 3);
    odp_wr_init(&wr, 0xa5, ODP_HCA_WQE_SEND);
    odp_wr_sge(&wr, s1->iova, 100, s1->key);
    odp_wr_sge(&wr, s2->iova + 4000, 200, s2->key);
    odp_wr_sge(&wr, s1->iova + 5000, 300, s1->key);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa5, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb5, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 600);
    buf_check(t, d1, 10, exp, 250, "scatter 0");
    buf_check(t, d2, 4090, exp + 250, 100, "scatter 1");
    buf_check(t, d1, 6000, exp + 350, 250, "scatter 2");
    buf_check_fill(t, d1, 6250, 0xee, 100, "after scatter 2");
    buf_check_fill(t, d1, 260, 0xee, 100, "after scatter 0");

    /* WRITE gathers 2 SGEs into one remote range */
    odp_wr_init(&wr, 0xa6, ODP_HCA_WQE_RDMA_WRITE);
    odp_wr_sge(&wr, s1->iova, 100, s1->key);
    odp_wr_sge(&wr, s2->iova + 4000, 200, s2->key);
    wr.remote_addr = d2->iova + 100;
    wr.rkey = d2->key;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, d2, 100, exp, 300, "gathered WRITE");

    /* READ scatters into 2 local SGEs */
    buf_fill(t, s2, 0xcc);
    odp_wr_init(&wr, 0xa7, ODP_HCA_WQE_RDMA_READ);
    odp_wr_sge(&wr, s2->iova + 10, 120, s2->key);
    odp_wr_sge(&wr, s2->iova + 5000, 180, s2->key);
    wr.remote_addr = d2->iova + 100;
    wr.rkey = d2->key;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa7, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 300);
    buf_check(t, s2, 10, exp, 120, "READ scatter 0");
    buf_check(t, s2, 5000, exp + 120, 180, "READ scatter 1");
    t_free(t);
}

static void test_rc_inline(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    uint8_t data[128];
    OdpWr wr;
    Pair p;
    Buf *dst;

    pair_new(t, &p);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_fill(t, dst, 0xee);
    odp_pattern(data, sizeof(data), 8);

    post_recv1(t, p.b, 0xb1, dst->iova, 512, dst->key);
    odp_wr_init(&wr, 0xa1, ODP_HCA_WQE_SEND);
    wr.inline_data = data;
    wr.inline_len = 100;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 100);
    buf_check(t, dst, 0, data, 100, "inline SEND");
    buf_check_fill(t, dst, 100, 0xee, 412, "after inline SEND");

    /* inline WRITE of exactly max_inline bytes */
    odp_wr_init(&wr, 0xa2, ODP_HCA_WQE_RDMA_WRITE);
    wr.inline_data = data;
    wr.inline_len = 128;
    wr.remote_addr = dst->iova + 1024;
    wr.rkey = dst->key;
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 1024, data, 128, "inline WRITE");
    buf_check_fill(t, dst, 1152, 0xee, 64, "after inline WRITE");
    t_free(t);
}

/* 64 KiB messages over multi-level tables, byte exact. */
static void test_rc_large(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    const uint32_t len = 64 * 1024;
    OdpMem *ms, *md, *mr3;
    OdpMr *rs, *rd, *r3;
    g_autofree uint8_t *data = g_malloc(17 * ODP_PAGE);
    Pair p;

    pair_new(t, &p);
    ms = odp_mem_new(t->h, t_iova(t, 17 * ODP_PAGE), 17 * ODP_PAGE);
    md = odp_mem_new(t->h, t_iova(t, 17 * ODP_PAGE), 17 * ODP_PAGE);
    mr3 = odp_mem_new(t->h, t_iova(t, 17 * ODP_PAGE), 17 * ODP_PAGE);
    rs = odp_mr_new_pinned(t->h, t->pd, ms, ACC_ALL, 2);
    rd = odp_mr_new_pinned(t->h, t->pd, md, ACC_ALL, 3);
    r3 = odp_mr_new_pinned(t->h, t->pd, mr3, ACC_ALL, 4);
    odp_pattern(data, 17 * ODP_PAGE, 9);
    odp_mem_write(t->h, ms, ms->iova, data, 17 * ODP_PAGE);
    odp_mem_fill(t->h, md, 0xee);
    odp_mem_fill(t->h, mr3, 0xee);

    post_recv1(t, p.b, 0xb1, md->iova, len, rd->key);
    send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, ms->iova, len, rs->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, len);
    check_bytes(t, md, md->iova, data, len, "64 KiB SEND");

    /* unaligned on both sides: 17 pages touched */
    send1(t, p.a, 0xa2, ODP_HCA_WQE_RDMA_WRITE, ms->iova + 1000, len,
          rs->key, md->iova + 3000, rd->key);
    wait_cqe(t, p.cqa, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    check_bytes(t, md, md->iova + 3000, data + 1000, len, "64 KiB WRITE");

    send1(t, p.a, 0xa3, ODP_HCA_WQE_RDMA_READ, mr3->iova + 77, len, r3->key,
          md->iova + 3000, rd->key);
    wait_cqe(t, p.cqa, &c, 0xa3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, len);
    check_bytes(t, mr3, mr3->iova + 77, data + 1000, len, "64 KiB READ");
    {
        uint8_t e[77];

        memset(e, 0xee, sizeof(e));
        check_bytes(t, mr3, mr3->iova, e, 77, "before 64 KiB READ");
        check_bytes(t, mr3, mr3->iova + 77 + len, e, 77, "after 64 KiB READ");
    }
    t_free(t);
}

/* Send WQEs execute only in RTS: SQD holds them until SQD -> RTS. */
static void test_rc_sqd(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 10);
    buf_fill(t, dst, 0xee);

    g_assert_cmpuint(odp_qp_to_state(t->h, p.a, ODP_HCA_QPS_SQD), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_SQD);
    g_assert_cmpuint(odp_qp_to_state(t->h, p.a, ODP_HCA_QPS_SQD), ==,
                     ODP_HCA_CMD_OK);
    send1(t, p.a, 0x5d, ODP_HCA_WQE_RDMA_WRITE, src->iova, 256, src->key,
          dst->iova, dst->key);
    quiet(t, p.cqa);
    buf_check_fill(t, dst, 0, 0xee, 256, "WRITE held in SQD");
    /* the responder side still receives in SQD */
    send1(t, p.b, 0x5e, ODP_HCA_WQE_RDMA_WRITE, dst->iova + 2048, 64,
          dst->key, src->iova + 2048, src->key);
    wait_cqe(t, p.cqb, &c, 0x5e, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.b->qpn);
    g_assert_cmpuint(odp_qp_to_state(t->h, p.a, ODP_HCA_QPS_RTS), ==,
                     ODP_HCA_CMD_OK);
    wait_cqe(t, p.cqa, &c, 0x5d, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 0, data, 256, "WRITE after SQD -> RTS");
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* UD and SRQ                                                           */

static OdpQp *ud_qp(T *t, OdpCq *cq, uint32_t qkey)
{
    OdpQpCfg cfg;
    OdpQp *qp;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_UD, t->pd, cq, cq);
    cfg.max_inline = 64;
    qp = odp_qp_new(t->h, &cfg);
    odp_qp_ud_ready(t->h, qp, qkey);
    return qp;
}

static void ud_wr(T *t, OdpWr *wr, uint64_t wr_id, uint64_t addr,
                  uint32_t len, uint32_t lkey, uint32_t dest_qpn,
                  uint32_t qkey)
{
    int i;

    wr1(wr, wr_id, ODP_HCA_WQE_SEND, addr, len, lkey, 0, 0);
    wr->ud.dest_qpn = dest_qpn;
    wr->ud.qkey = qkey;
    for (i = 0; i < 16; i++) {
        wr->ud.dgid[i] = 0xd0 + i;
        wr->ud.sgid[i] = 0x50 + i;
    }
    memcpy(wr->ud.dmac, t->h->caps.mac, 6);
    wr->ud.hop_limit = 64;
    wr->ud.traffic_class = 0x5a;
    wr->ud.flow_label = 0x12345;
}

static void check_grh(T *t, Buf *b, uint64_t off, const OdpWr *wr)
{
    uint8_t grh[ODP_HCA_GRH_LEN];

    odp_mem_read(t->h, b->m, b->iova + off, grh, sizeof(grh));
    /* IPv6-style: source and destination GIDs at bytes 8 and 24 */
    g_assert_cmpmem(grh + 8, 16, wr->ud.sgid, 16);
    g_assert_cmpmem(grh + 24, 16, wr->ud.dgid, 16);
}

static void test_ud_send(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpCq *cqs = odp_cq_new(t->h, 6, NULL, 0);
    OdpCq *cqr = odp_cq_new(t->h, 6, NULL, 0);
    OdpQp *s = ud_qp(t, cqs, 0x1234);
    OdpQp *r = ud_qp(t, cqr, 0x1234);
    OdpWr wr;
    Buf *sb, *rb;
    Pair rc;
    g_autofree uint8_t *data = NULL;

    sb = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rb = buf_pinned(t, 4 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, sb, 11);
    buf_fill(t, rb, 0xee);
    pair_new(t, &rc);

    post_recv1(t, r, 0x71, rb->iova, 40 + 512, rb->key);
    post_recv1(t, r, 0x72, rb->iova + ODP_PAGE, 40 + 512, rb->key);

    ud_wr(t, &wr, 0x61, sb->iova + 10, 200, sb->key, r->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x61, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x71, ODP_HCA_CQE_RECV, r->qpn, s->qpn, 240);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_GRH, ==, ODP_HCA_CQE_F_GRH);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    check_grh(t, rb, 0, &wr);
    buf_check(t, rb, 40, data + 10, 200, "UD payload");
    buf_check_fill(t, rb, 240, 0xee, 100, "after UD payload");

    /* qkey mismatch: dropped, the sender still succeeds */
    ud_wr(t, &wr, 0x62, sb->iova, 100, sb->key, r->qpn, 0x9999);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x62, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    quiet(t, cqr);
    buf_check_fill(t, rb, ODP_PAGE, 0xee, 600, "qkey mismatch");

    /* bit 31: the sender QP's qkey (0x1234) matches */
    ud_wr(t, &wr, 0x63, sb->iova + 500, 300, sb->key, r->qpn, 0x80000000);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x63, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x72, ODP_HCA_CQE_RECV, r->qpn, s->qpn, 340);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    buf_check(t, rb, ODP_PAGE + 40, data + 500, 300, "UD payload 2");

    /* no receive posted / no such QP / an RC QP: dropped, success */
    ud_wr(t, &wr, 0x64, sb->iova, 100, sb->key, r->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x64, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    ud_wr(t, &wr, 0x65, sb->iova, 100, sb->key, t->h->caps.max_qps - 1,
          0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x65, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    ud_wr(t, &wr, 0x66, sb->iova, 100, sb->key, rc.b->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x66, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    quiet(t, cqr);
    quiet(t, rc.cqb);

    /* the dropped datagrams consumed nothing */
    post_recv1(t, r, 0x73, rb->iova + 2 * ODP_PAGE, 40 + 512, rb->key);
    ud_wr(t, &wr, 0x67, sb->iova + 1000, 512, sb->key, r->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x67, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x73, ODP_HCA_CQE_RECV, r->qpn, s->qpn, 552);
    g_assert_cmpuint(c.wqe_index, ==, 2);
    buf_check(t, rb, 2 * ODP_PAGE + 40, data + 1000, 512, "UD payload 3");
    t_free(t);
}

static void test_ud_errors(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpCq *cqs = odp_cq_new(t->h, 6, NULL, 0);
    OdpCq *cqr = odp_cq_new(t->h, 6, NULL, 0);
    OdpQp *s = ud_qp(t, cqs, 0x42);
    OdpQp *r = ud_qp(t, cqr, 0x42);
    OdpWr wr;
    Buf *sb, *rb;
    g_autofree uint8_t *data = NULL;

    sb = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, sb, 12);

    /* exactly 4096 bytes: fine */
    post_recv1(t, r, 0x81, rb->iova, 40 + 4096, rb->key);
    ud_wr(t, &wr, 0x91, sb->iova + 5, 4096, sb->key, r->qpn, 0x42);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x91, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x81, ODP_HCA_CQE_RECV, r->qpn, s->qpn, 4136);
    buf_check(t, rb, 40, data + 5, 4096, "4 KiB datagram");

    /* 4097 bytes: LOC_LEN_ERR */
    ud_wr(t, &wr, 0x92, sb->iova, 4097, sb->key, r->qpn, 0x42);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x92, ODP_HCA_WC_LOC_LEN_ERR, -1, s->qpn);
    quiet(t, cqr);

    /* RDMA WRITE on UD: LOC_QP_OP_ERR */
    s = ud_qp(t, cqs, 0x42);
    ud_wr(t, &wr, 0x93, sb->iova, 16, sb->key, r->qpn, 0x42);
    wr.opcode = ODP_HCA_WQE_RDMA_WRITE;
    wr.remote_addr = rb->iova;
    wr.rkey = rb->key;
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x93, ODP_HCA_WC_LOC_QP_OP_ERR, -1, s->qpn);
    t_free(t);
}

static void test_srq(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_cmd cmd;
    OdpSrq *srq = odp_srq_new(h, t->pd, 4, 2, 3, 0);
    OdpQpCfg cfg;
    Pair p1, p2;
    Buf *src, *rb;
    g_autofree uint8_t *data = NULL;
    int i;

    /* responders b and d share the SRQ */
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.srq = srq;
    pair_new_cfg(t, &p1, &cfg, NULL, NULL);
    pair_new_cfg(t, &p2, &cfg, NULL, NULL);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 13);
    buf_fill(t, rb, 0xee);

    for (i = 0; i < 5; i++) {
        struct odp_hca_sge s[2] = {
            sge(rb->iova + i * 1024, 100, rb->key),
            sge(rb->iova + i * 1024 + 512, 400, rb->key),
        };

        g_assert_cmpuint(odp_post_srq_recv(h, srq, 0x500 + i, s, 2), ==, i);
    }

    /* 5 -> 4 WQEs: not below the limit of 3 */
    send1(t, p1.a, 0xa0, ODP_HCA_WQE_SEND, src->iova, 300, src->key, 0, 0);
    wait_cqe(t, p1.cqa, &c, 0xa0, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p1.a->qpn);
    wait_recv(t, p1.cqb, &c, 0x500, ODP_HCA_CQE_RECV, p1.b->qpn, p1.a->qpn,
              300);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, rb, 0, data, 100, "SRQ recv 0 sge 0");
    buf_check(t, rb, 512, data + 100, 200, "SRQ recv 0 sge 1");

    /* 4 -> 3: not below */
    send1(t, p2.a, 0xa1, ODP_HCA_WQE_SEND, src->iova + 1000, 50, src->key,
          0, 0);
    wait_cqe(t, p2.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p2.a->qpn);
    wait_recv(t, p2.cqb, &c, 0x501, ODP_HCA_CQE_RECV, p2.b->qpn, p2.a->qpn,
              50);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    buf_check(t, rb, 1024, data + 1000, 50, "SRQ recv 1");
    eq_quiet(t);

    /* 3 -> 2: below the limit, one event */
    send1(t, p1.a, 0xa2, ODP_HCA_WQE_SEND, src->iova + 2000, 450, src->key,
          0, 0);
    wait_cqe(t, p1.cqa, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p1.a->qpn);
    wait_recv(t, p1.cqb, &c, 0x502, ODP_HCA_CQE_RECV, p1.b->qpn, p1.a->qpn,
              450);
    g_assert_cmpuint(c.wqe_index, ==, 2);
    buf_check(t, rb, 2048, data + 2000, 100, "SRQ recv 2 sge 0");
    buf_check(t, rb, 2048 + 512, data + 2100, 350, "SRQ recv 2 sge 1");
    wait_event(t, ODP_HCA_EV_SRQ_LIMIT, srq->srqn);

    /* the limit event is one-shot */
    send1(t, p2.a, 0xa3, ODP_HCA_WQE_SEND, src->iova, 10, src->key, 0, 0);
    wait_cqe(t, p2.cqa, &c, 0xa3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p2.a->qpn);
    wait_recv(t, p2.cqb, &c, 0x503, ODP_HCA_CQE_RECV, p2.b->qpn, p2.a->qpn,
              10);
    eq_quiet(t);

    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_MODIFY_SRQ;
    cmd.modify_srq.srqn = srq->srqn;
    cmd.modify_srq.limit = 0;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    cmd.modify_srq.srqn = 0xffffffff;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_HANDLE);
    cmd.modify_srq.srqn = h->caps.max_srqs;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_HANDLE);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 3. Error completions                                                 */

/* Collect n CQEs (any order) and return them sorted by arrival. */
static void wait_cqes(T *t, OdpCq *cq, struct odp_hca_cqe *c, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        odp_cq_wait(t->h, cq, &c[i]);
    }
}

static const struct odp_hca_cqe *find_cqe(const struct odp_hca_cqe *c, int n,
                                          uint64_t wr_id)
{
    int i;

    for (i = 0; i < n; i++) {
        if (c[i].wr_id == wr_id) {
            return &c[i];
        }
    }
    odp_diag("no CQE with wr_id 0x%" PRIx64, wr_id);
    g_assert_not_reached();
    return NULL;
}

static void test_err_bad_lkey(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c, cs[3];
    Pair p;
    Buf *src, *dst;
    int i1 = -1, i2 = -1;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_pattern(t, src, 14);
    buf_fill(t, dst, 0xee);

    post_recv1(t, p.a, 0xa9, src->iova, 64, src->key);
    post_recv1(t, p.b, 0xb9, dst->iova + 2048, 64, dst->key);
    send1(t, p.a, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64,
          src->key ^ 0x80, dst->iova, dst->key);
    {
        OdpWr wr;

        wr1(&wr, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
            dst->iova + 64, dst->key);
        odp_post_send(t->h, p.a, &wr);
        wr1(&wr, 0x3, ODP_HCA_WQE_SEND, src->iova, 64, src->key, 0, 0);
        wr.flags = 0;   /* flushed WQEs complete, signalled or not */
        odp_send(t->h, p.a, &wr);
    }
    wait_cqe(t, p.cqa, &c, 0x1, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_BAD_LKEY);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    wait_cqes(t, p.cqa, cs, 3);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpuint(cs[i].status, ==, ODP_HCA_WC_WR_FLUSH_ERR);
        g_assert_cmpuint(cs[i].qpn, ==, p.a->qpn);
        if (cs[i].wr_id == 0x2) {
            i1 = i;
        } else if (cs[i].wr_id == 0x3) {
            i2 = i;
        }
    }
    find_cqe(cs, 3, 0xa9);
    g_assert_cmpint(i1, >=, 0);
    g_assert_cmpint(i2, >, i1);     /* SQ flushes in order */
    wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);

    /* posted in ERR: flushed too */
    send1(t, p.a, 0x4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x4, ODP_HCA_WC_WR_FLUSH_ERR, -1, p.a->qpn);
    post_recv1(t, p.a, 0xaa, src->iova, 64, src->key);
    wait_cqe(t, p.cqa, &c, 0xaa, ODP_HCA_WC_WR_FLUSH_ERR, -1, p.a->qpn);
    quiet(t, p.cqa);
    quiet(t, p.cqb);
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "nothing written");
    t_free(t);
}

/* One WQE on a fresh pair; returns the pair for further checks. */
static void one_shot(T *t, Pair *p, const OdpWr *wr, uint8_t status)
{
    struct odp_hca_cqe c;

    pair_new(t, p);
    odp_send(t->h, p->a, wr);
    wait_cqe(t, p->cqa, &c, wr->wr_id, status, -1, p->a->qpn);
}

static void test_err_remote_access(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr ar, ab;
    uint32_t pd2 = odp_pd_new(t->h);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *ro = buf_pinned(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_READ);
    Buf *wo = buf_pinned(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    Buf *all = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *other = buf_pinned_pd(t, pd2, ODP_PAGE, ACC_ALL);
    OdpWr wr;
    Pair p;

    buf_fill(t, ro, 0xee);
    buf_fill(t, all, 0xee);
    buf_fill(t, other, 0xee);

    /* MR without REMOTE_WRITE */
    wr1(&wr, 0x10, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        ro->iova, ro->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);
    wait_qp_err(t, p.a);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
    quiet(t, p.cqb);
    buf_check_fill(t, ro, 0, 0xee, 64, "WRITE to a read-only MR");

    /* QP access flags without REMOTE_WRITE */
    odp_rc_attr_init(&ar);
    odp_rc_attr_init(&ab);
    ab.access = ODP_HCA_ACCESS_REMOTE_READ;
    pair_new2(t, &p, &ar, &ab);
    send1(t, p.a, 0x11, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          all->iova, all->key);
    wait_cqe(t, p.cqa, &c, 0x11, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
    buf_check_fill(t, all, 0, 0xee, 64, "WRITE forbidden by the QP");

    /* outside the MR */
    wr1(&wr, 0x12, ODP_HCA_WQE_RDMA_WRITE, src->iova, 100, src->key,
        all->iova + ODP_PAGE - 10, all->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);
    buf_check_fill(t, all, 0, 0xee, ODP_PAGE, "WRITE past the MR");

    /* rkey of another PD */
    wr1(&wr, 0x13, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        other->iova, other->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);
    buf_check_fill(t, other, 0, 0xee, 64, "WRITE with a foreign rkey");

    /* unknown rkey (stale variant) */
    wr1(&wr, 0x14, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        all->iova, all->key ^ 0x01);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);

    /* READ without REMOTE_READ */
    wr1(&wr, 0x15, ODP_HCA_WQE_RDMA_READ, src->iova, 64, src->key,
        wo->iova, wo->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);

    /* atomic without REMOTE_ATOMIC */
    wr1(&wr, 0x16, ODP_HCA_WQE_ATOMIC_FA, src->iova, 8, src->key,
        wo->iova, wo->key);
    wr.compare_add = 1;
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);
    g_assert_cmphex(buf_read64(t, wo, 0), ==, 0);

    /* atomic on an unaligned address */
    wr1(&wr, 0x17, ODP_HCA_WQE_ATOMIC_FA, src->iova, 8, src->key,
        all->iova + 4, all->key);
    wr.compare_add = 1;
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_INV_REQ_ERR);
    buf_check_fill(t, all, 0, 0xee, 16, "unaligned atomic");
    t_free(t);
}

static void test_err_local(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    uint32_t pd2 = odp_pd_new(t->h);
    Buf *src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *nolw = buf_pinned(t, ODP_PAGE, ODP_HCA_ACCESS_REMOTE_READ);
    Buf *other = buf_pinned_pd(t, pd2, ODP_PAGE, ACC_ALL);
    Buf *holes = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    OdpWr wr;
    Pair p;

    buf_fill(t, dst, 0xee);
    /* holes: page 1 absent, page 0 read-only */
    odp_mr_unmap_page(t->h, holes->mr, holes->iova + ODP_PAGE);
    odp_mr_map_page(t->h, holes->mr, holes->iova, holes->m->pages[0], false);

    /* SGE past the MR */
    wr1(&wr, 0x20, ODP_HCA_WQE_RDMA_WRITE, src->iova + 2 * ODP_PAGE - 8, 64,
        src->key, dst->iova, dst->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_LOC_PROT_ERR);
    buf_check_fill(t, dst, 0, 0xee, 64, "WRITE from past the MR");

    /* lkey of another PD */
    wr1(&wr, 0x21, ODP_HCA_WQE_RDMA_WRITE, other->iova, 64, other->key,
        dst->iova, dst->key);
    pair_new(t, &p);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x21, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_BAD_LKEY);

    /* READ into an MR without LOCAL_WRITE */
    wr1(&wr, 0x22, ODP_HCA_WQE_RDMA_READ, nolw->iova, 64, nolw->key,
        dst->iova, dst->key);
    pair_new(t, &p);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x22, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_ACCESS);

    /* pinned MR, absent entry: protection error, never a fault */
    eq_drain(t);
    wr1(&wr, 0x23, ODP_HCA_WQE_RDMA_WRITE, holes->iova + ODP_PAGE, 64,
        holes->key, dst->iova, dst->key);
    pair_new(t, &p);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x23, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_PTE);
    odp_eq_wait(t->h, t->h->eq0, &e);
    g_assert_cmpuint(e.type, ==, ODP_HCA_EV_QP_FATAL);
    g_assert_cmpuint(e.obj, ==, p.a->qpn);
    eq_quiet(t);

    /* pinned MR, read-only entry as a READ destination */
    wr1(&wr, 0x24, ODP_HCA_WQE_RDMA_READ, holes->iova, 64, holes->key,
        dst->iova, dst->key);
    pair_new(t, &p);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x24, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_PTE);

    /* ...but reading a read-only entry is fine */
    pair_new(t, &p);
    send1(t, p.a, 0x25, ODP_HCA_WQE_RDMA_WRITE, holes->iova, 64, holes->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x25, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);

    /* remote: WRITE into a read-only / absent pinned entry */
    pair_new(t, &p);
    send1(t, p.a, 0x26, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          holes->iova, holes->key);
    wait_cqe(t, p.cqa, &c, 0x26, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    pair_new(t, &p);
    send1(t, p.a, 0x27, ODP_HCA_WQE_RDMA_READ, src->iova, 64, src->key,
          holes->iova + ODP_PAGE, holes->key);
    wait_cqe(t, p.cqa, &c, 0x27, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);

    /* SEND into a receive SGE without LOCAL_WRITE: NAK remote operational */
    pair_new(t, &p);
    post_recv1(t, p.b, 0xb8, nolw->iova, 64, nolw->key);
    send1(t, p.a, 0x28, ODP_HCA_WQE_SEND, src->iova, 32, src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 0x28, ODP_HCA_WC_REM_OP_ERR, -1, p.a->qpn);
    wait_cqe(t, p.cqb, &c, 0xb8, ODP_HCA_WC_LOC_PROT_ERR, -1, p.b->qpn);
    t_free(t);
}

static void test_err_rnr(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 15);
    int64_t el;
    Pair p;

    /* recovery: the receive is posted while the requester RNR-waits */
    pair_new(t, &p);
    send1(t, p.a, 0x31, ODP_HCA_WQE_SEND, src->iova, 128, src->key, 0, 0);
    quiet(t, p.cqa);                /* waits on the virtual clock */
    post_recv1(t, p.b, 0xb1, dst->iova, 256, dst->key);
    el = wait_cqe_clock(t, p.cqa, &c, 0x31, ODP_HCA_WC_SUCCESS,
                        ODP_HCA_CQE_SEND, p.a->qpn, RNR_STEP / 2, RNR_STEPS);
    g_assert_cmpint(el, >=, odp_rnr_timer_ns(1));
    g_assert_cmpint(el, <, 20 * odp_rnr_timer_ns(1));
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 128);
    buf_check(t, dst, 0, data, 128, "SEND after RNR");

    /* exhausted: rnr_retry 2, responder min_rnr_timer 4 (40 us) */
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    aa.rnr_retry = 2;
    ab.min_rnr_timer = 4;
    pair_new2(t, &p, &aa, &ab);
    eq_drain(t);
    send1(t, p.a, 0x32, ODP_HCA_WQE_SEND, src->iova, 128, src->key, 0, 0);
    el = wait_cqe_clock(t, p.cqa, &c, 0x32, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
                        p.a->qpn, RNR_STEP, RNR_STEPS);
    g_assert_cmpint(el, >=, 2 * odp_rnr_timer_ns(4));
    g_assert_cmpint(el, <, 20 * odp_rnr_timer_ns(4));
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
    wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);
    quiet(t, p.cqb);

    /* min_rnr_timer 0 encodes 655.36 ms */
    aa.rnr_retry = 1;
    ab.min_rnr_timer = 0;
    pair_new2(t, &p, &aa, &ab);
    send1(t, p.a, 0x33, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    odp_settle(t->h, 16);
    odp_clock_step(t->h, 600 * 1000 * 1000ll);
    quiet(t, p.cqa);
    el = wait_cqe_clock(t, p.cqa, &c, 0x33, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
                        p.a->qpn, 10 * 1000 * 1000, 100);
    g_assert_cmpint(600 * 1000 * 1000ll + el, >=, odp_rnr_timer_ns(0));
    t_free(t);
}

static void test_err_retry(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr a;
    OdpQpCfg cfg;
    OdpCq *cq = odp_cq_new(t->h, 6, NULL, 0);
    OdpQp *qa, *qb, *qc, *ud;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    int64_t el;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    odp_rc_attr_init(&a);
    a.timeout = 5;                  /* 131 us */
    a.retry_cnt = 2;

    /* b is connected to c, not to a: a's requests are dropped */
    qa = odp_qp_new(t->h, &cfg);
    qb = odp_qp_new(t->h, &cfg);
    qc = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qa, qb->qpn, &a);
    odp_qp_rc_connect(t->h, qb, qc->qpn, &a);
    post_recv1(t, qb, 0xb1, dst->iova, 256, dst->key);
    send1(t, qa, 0x41, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    quiet(t, cq);
    el = wait_cqe_clock(t, cq, &c, 0x41, ODP_HCA_WC_RETRY_EXC_ERR, -1,
                        qa->qpn, 20000, 10000);
    g_assert_cmpint(el, >=, 3 * odp_ack_timeout_ns(5));
    g_assert_cmpint(el, <, 30 * odp_ack_timeout_ns(5));
    g_assert_cmpuint(qp_state(t, qa), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(qp_state(t, qb), ==, ODP_HCA_QPS_RTS);

    /* destination in INIT: dropped; retry_cnt 0 */
    a.retry_cnt = 0;
    a.timeout = 3;
    qa = odp_qp_new(t->h, &cfg);
    qb = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qa, qb->qpn, &a);
    odp_qp_rc_init(t->h, qb, &a);
    send1(t, qa, 0x42, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    el = wait_cqe_clock(t, cq, &c, 0x42, ODP_HCA_WC_RETRY_EXC_ERR, -1,
                        qa->qpn, 4000, 10000);
    g_assert_cmpint(el, >=, odp_ack_timeout_ns(3));

    /* no QP at dest_qpn / a UD QP there: dropped */
    qa = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qa, t->h->caps.max_qps - 1, &a);
    send1(t, qa, 0x43, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe_clock(t, cq, &c, 0x43, ODP_HCA_WC_RETRY_EXC_ERR, -1, qa->qpn,
                   4000, 10000);
    ud = ud_qp(t, cq, 1);
    qa = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qa, ud->qpn, &a);
    send1(t, qa, 0x44, ODP_HCA_WQE_SEND, src->iova, 64, src->key, 0, 0);
    wait_cqe_clock(t, cq, &c, 0x44, ODP_HCA_WC_RETRY_EXC_ERR, -1, qa->qpn,
                   4000, 10000);

    /* timeout 0 waits forever; ERR flushes the stuck WQE */
    a.timeout = 0;
    qa = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qa, t->h->caps.max_qps - 1, &a);
    send1(t, qa, 0x45, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    for (int i = 0; i < 10; i++) {
        odp_clock_step(t->h, 200 * 1000 * 1000ll);
        odp_cq_assert_empty(t->h, cq, 8);
    }
    g_assert_cmpuint(odp_qp_to_state(t->h, qa, ODP_HCA_QPS_ERR), ==,
                     ODP_HCA_CMD_OK);
    wait_cqe(t, cq, &c, 0x45, ODP_HCA_WC_WR_FLUSH_ERR, -1, qa->qpn);
    buf_check_fill(t, dst, 0, 0, 64, "dropped WRITEs");
    t_free(t);
}

static void test_err_length(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Pair p;

    pair_new(t, &p);
    buf_fill(t, dst, 0xee);
    post_recv1(t, p.b, 0xb1, dst->iova, 100, dst->key);
    send1(t, p.a, 0x51, ODP_HCA_WQE_SEND, src->iova, 200, src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 0x51, ODP_HCA_WC_REM_INV_REQ_ERR, -1, p.a->qpn);
    wait_cqe(t, p.cqb, &c, 0xb1, ODP_HCA_WC_LOC_LEN_ERR, -1, p.b->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_LEN);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_ERR);
    buf_check_fill(t, dst, 100, 0xee, 200, "beyond the receive buffer");
    t_free(t);
}

static void test_err_flush(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 16);
    Pair p;
    int i;

    /* to ERR flushes posted receives, in order */
    pair_new(t, &p);
    for (i = 0; i < 3; i++) {
        post_recv1(t, p.b, 0xb0 + i, dst->iova + i * 256, 256, dst->key);
    }
    g_assert_cmpuint(odp_qp_to_state(t->h, p.b, ODP_HCA_QPS_ERR), ==,
                     ODP_HCA_CMD_OK);
    for (i = 0; i < 3; i++) {
        wait_cqe(t, p.cqb, &c, 0xb0 + i, ODP_HCA_WC_WR_FLUSH_ERR, -1,
                 p.b->qpn);
        g_assert_cmpuint(c.wqe_index, ==, i);
    }
    post_recv1(t, p.b, 0xb3, dst->iova, 256, dst->key);
    wait_cqe(t, p.cqb, &c, 0xb3, ODP_HCA_WC_WR_FLUSH_ERR, -1, p.b->qpn);
    quiet(t, p.cqb);

    /* RESET puts the counters back to 0; the QP works again */
    g_assert_cmpuint(odp_qp_to_state(t->h, p.b, ODP_HCA_QPS_RESET), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RESET);
    odp_qp_rc_connect(t->h, p.b, p.a->qpn, NULL);
    post_recv1(t, p.b, 0xb4, dst->iova, 256, dst->key);
    send1(t, p.a, 0xa4, ODP_HCA_WQE_SEND, src->iova, 200, src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 0xa4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb4, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 200);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, dst, 0, data, 200, "SEND after RESET");

    /* to ERR while a SEND waits for RNR: it and the ones behind flush */
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    ab.min_rnr_timer = 31;
    pair_new2(t, &p, &aa, &ab);
    send1(t, p.a, 0xc1, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    send1(t, p.a, 0xc2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
          dst->iova + 1024, dst->key);
    send1(t, p.a, 0xc3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
          dst->iova + 2048, dst->key);
    quiet(t, p.cqa);
    g_assert_cmpuint(odp_qp_to_state(t->h, p.a, ODP_HCA_QPS_ERR), ==,
                     ODP_HCA_CMD_OK);
    for (i = 0; i < 3; i++) {
        wait_cqe(t, p.cqa, &c, 0xc1 + i, ODP_HCA_WC_WR_FLUSH_ERR, -1,
                 p.a->qpn);
        g_assert_cmpuint(c.wqe_index, ==, i);
    }
    odp_clock_step(t->h, odp_rnr_timer_ns(31) * 2);
    quiet(t, p.cqa);
    quiet(t, p.cqb);
    buf_check(t, dst, 0, data, 200, "flushed WRITEs wrote nothing");
    {
        uint8_t z[16] = { 0 };

        buf_check(t, dst, 1024, z, 16, "flushed WRITE 1");
        buf_check(t, dst, 2048, z, 16, "flushed WRITE 2");
    }
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 4-5. Requester faults                                                */

static void test_odp_req_write(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    src = buf_odp(t, 3 * ODP_PAGE, ACC_LW);
    dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 17);
    buf_fill(t, dst, 0xee);
    g_assert_false(odp_msix_pending(t->h, t->h->eq0->vector));

    send1(t, p.a, 0x11, ODP_HCA_WQE_RDMA_WRITE, src->iova + 1000, 6000,
          src->key, dst->iova + 8, dst->key);
    token = wait_fault(t, p.a->qpn, src->key, src->iova + 1000, 6000,
                       3 * ODP_PAGE - 1000, ODP_HCA_FAULT_READ,
                       ODP_HCA_FAULT_REQUESTER, 0);
    odp_settle(t->h, 8);
    g_assert_true(odp_msix_pending(t->h, t->h->eq0->vector));
    quiet(t, p.cqa);
    eq_quiet(t);
    buf_check_fill(t, dst, 0, 0xee, 2 * ODP_PAGE, "stalled WRITE");

    /* reads only need present entries */
    buf_map(t, src, src->iova + 1000, 6000, false);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 0x11, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 8, data + 1000, 6000, "WRITE after the fault");
    buf_check_fill(t, dst, 6008, 0xee, 2 * ODP_PAGE - 6008, "after WRITE");
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /* mapped now: no fault */
    send1(t, p.a, 0x12, ODP_HCA_WQE_RDMA_WRITE, src->iova + 1000, 6000,
          src->key, dst->iova + 8, dst->key);
    wait_cqe(t, p.cqa, &c, 0x12, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    eq_quiet(t);
    t_free(t);
}

static void test_odp_req_read(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *loc, *rem;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    loc = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    rem = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, rem, 18);
    buf_fill(t, loc, 0xee);

    send1(t, p.a, 0x21, ODP_HCA_WQE_RDMA_READ, loc->iova + 100, 4096,
          loc->key, rem->iova + 50, rem->key);
    token = wait_fault(t, p.a->qpn, loc->key, loc->iova + 100, 4096,
                       2 * ODP_PAGE - 100, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_REQUESTER, 0);
    quiet(t, p.cqa);
    buf_map(t, loc, loc->iova, 2 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 0x21, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 4096);
    buf_check(t, loc, 100, data + 50, 4096, "READ into an ODP MR");
    buf_check_fill(t, loc, 0, 0xee, 100, "before READ");
    t_free(t);
}

/* A present but read-only leaf hit by a write faults (access WRITE). */
static void test_odp_req_readonly(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *loc, *rem;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    loc = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    rem = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, rem, 19);
    buf_fill(t, loc, 0xee);
    buf_map(t, loc, loc->iova, 2 * ODP_PAGE, false);

    /* WRITE from the read-only pages works */
    send1(t, p.a, 0x30, ODP_HCA_WQE_RDMA_WRITE, loc->iova, 64, loc->key,
          rem->iova + 6000, rem->key);
    wait_cqe(t, p.cqa, &c, 0x30, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    eq_quiet(t);

    send1(t, p.a, 0x31, ODP_HCA_WQE_RDMA_READ, loc->iova + 4000, 1000,
          loc->key, rem->iova, rem->key);
    token = wait_fault(t, p.a->qpn, loc->key, loc->iova + 4000, 1000,
                       2 * ODP_PAGE - 4000, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_REQUESTER, 1);
    quiet(t, p.cqa);
    buf_map(t, loc, loc->iova, 2 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 0x31, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    buf_check(t, loc, 4000, data, 1000, "READ into a formerly RO page");
    t_free(t);
}

/* The local result write of an atomic faults; the atomic applies once. */
static void test_odp_req_atomic(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *loc, *rem;
    uint32_t token;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    loc = buf_odp(t, ODP_PAGE, ACC_LW);
    rem = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_write64(t, rem, 256, 100);

    wr1(&wr, 0x41, ODP_HCA_WQE_ATOMIC_FA, loc->iova + 64, 8, loc->key,
        rem->iova + 256, rem->key);
    wr.compare_add = 5;
    odp_send(t->h, p.a, &wr);
    token = wait_fault(t, p.a->qpn, loc->key, loc->iova + 64, 8,
                       ODP_PAGE - 64,
                       ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC,
                       ODP_HCA_FAULT_REQUESTER, 0);
    quiet(t, p.cqa);
    buf_map(t, loc, loc->iova, ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 0x41, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmphex(buf_read64(t, loc, 64), ==, 100);
    g_assert_cmphex(buf_read64(t, rem, 256), ==, 105);     /* once */
    t_free(t);
}

/*
 * Partially present: the fault names the first absent byte; resolving
 * one page at a time restarts where the WQE stopped.
 */
static void test_odp_req_partial(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst, *pin;
    g_autofree uint8_t *data = NULL;
    g_autofree uint8_t *pdata = NULL;
    uint32_t t1, t2, t3;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    src = buf_odp(t, 4 * ODP_PAGE, ACC_LW);
    dst = buf_pinned(t, 5 * ODP_PAGE, ACC_ALL);
    pin = buf_pinned(t, ODP_PAGE, ACC_ALL);
    data = buf_pattern(t, src, 20);
    pdata = buf_pattern(t, pin, 21);
    buf_fill(t, dst, 0xee);
    buf_map(t, src, src->iova, 2 * ODP_PAGE, false);

    send1(t, p.a, 0x51, ODP_HCA_WQE_RDMA_WRITE, src->iova, 4 * ODP_PAGE,
          src->key, dst->iova + 100, dst->key);
    t1 = wait_fault(t, p.a->qpn, src->key, src->iova + 2 * ODP_PAGE,
                    2 * ODP_PAGE, 2 * ODP_PAGE, ODP_HCA_FAULT_READ,
                    ODP_HCA_FAULT_REQUESTER, 0);
    buf_map(t, src, src->iova + 2 * ODP_PAGE, ODP_PAGE, false);
    resume_ok(t, t1);
    t2 = wait_fault(t, p.a->qpn, src->key, src->iova + 3 * ODP_PAGE,
                    ODP_PAGE, ODP_PAGE, ODP_HCA_FAULT_READ,
                    ODP_HCA_FAULT_REQUESTER, 0);
    g_assert_cmphex(t2, !=, t1);
    quiet(t, p.cqa);
    buf_map(t, src, src->iova + 3 * ODP_PAGE, ODP_PAGE, false);
    resume_ok(t, t2);
    wait_cqe(t, p.cqa, &c, 0x51, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 100, data, 4 * ODP_PAGE, "WRITE resolved in steps");
    buf_check_fill(t, dst, 0, 0xee, 100, "before WRITE");
    buf_check_fill(t, dst, 100 + 4 * ODP_PAGE, 0xee, ODP_PAGE - 100,
                   "after WRITE");

    /* SEND: pinned SGE then an ODP SGE with nothing present */
    odp_mr_unmap_range(t->h, src->mr, src->iova, 4 * ODP_PAGE);
    g_assert_cmpuint(odp_invalidate(t->h, src->key, src->iova,
                                    4 * ODP_PAGE, 0, NULL), ==,
                     ODP_HCA_CMD_OK);
    buf_fill(t, dst, 0xee);
    post_recv1(t, p.b, 0xb2, dst->iova, 8000, dst->key);
    odp_wr_init(&wr, 0x52, ODP_HCA_WQE_SEND);
    odp_wr_sge(&wr, pin->iova + 10, 100, pin->key);
    odp_wr_sge(&wr, src->iova + 3000, 5000, src->key);
    odp_send(t->h, p.a, &wr);
    t3 = wait_fault(t, p.a->qpn, src->key, src->iova + 3000, 5000,
                    4 * ODP_PAGE - 3000, ODP_HCA_FAULT_READ,
                    ODP_HCA_FAULT_REQUESTER, 1);
    g_assert_cmphex(t3, !=, t1);
    g_assert_cmphex(t3, !=, t2);
    quiet(t, p.cqb);
    buf_map(t, src, src->iova + 3000, 5000, false);
    resume_ok(t, t3);
    wait_cqe(t, p.cqa, &c, 0x52, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb2, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 5100);
    buf_check(t, dst, 0, pdata + 10, 100, "SEND sge 0");
    buf_check(t, dst, 100, data + 3000, 5000, "SEND sge 1 after fault");
    t_free(t);
}

static void test_odp_resume_fail(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst, *pin;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    src = buf_odp(t, ODP_PAGE, ACC_LW);
    pin = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_fill(t, dst, 0xee);

    send1(t, p.a, 0x61, ODP_HCA_WQE_RDMA_WRITE, src->iova, 512, src->key,
          dst->iova, dst->key);
    send1(t, p.a, 0x62, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 512, pin->key,
          dst->iova + 1024, dst->key);
    token = wait_fault(t, p.a->qpn, src->key, src->iova, 512, ODP_PAGE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    quiet(t, p.cqa);
    g_assert_cmpuint(odp_resume(t->h, token ^ 0x5a5a5a5a,
                                ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    quiet(t, p.cqa);            /* a bogus token resolves nothing */
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_FAIL), ==,
                     ODP_HCA_CMD_OK);
    wait_cqe(t, p.cqa, &c, 0x61, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_FAULT_FAILED);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    wait_cqe(t, p.cqa, &c, 0x62, ODP_HCA_WC_WR_FLUSH_ERR, -1, p.a->qpn);
    wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_FAIL), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "failed WRITE");
    t_free(t);
}

/* Tokens die with their QP's reset or destruction; they are unique. */
static void test_odp_token_lifetime(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst;
    uint32_t tok[3];
    Pair p, q;

    pair_new(t, &p);
    pair_new(t, &q);
    src = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);

    send1(t, p.a, 0x71, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    tok[0] = wait_fault(t, p.a->qpn, src->key, src->iova, 64, 2 * ODP_PAGE,
                        ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    send1(t, q.a, 0x72, ODP_HCA_WQE_RDMA_WRITE, src->iova + ODP_PAGE, 64,
          src->key, dst->iova, dst->key);
    tok[1] = wait_fault(t, q.a->qpn, src->key, src->iova + ODP_PAGE, 64,
                        ODP_PAGE, ODP_HCA_FAULT_READ,
                        ODP_HCA_FAULT_REQUESTER, 0);
    g_assert_cmphex(tok[0], !=, tok[1]);

    /* reset p.a: its token is stale */
    g_assert_cmpuint(odp_qp_to_state(t->h, p.a, ODP_HCA_QPS_RESET), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_resume(t->h, tok[0], ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    /* destroy q.a: its token is stale */
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_QP, q.a->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_resume(t->h, tok[1], ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /* p.a reconnected faults again, with a fresh token */
    odp_qp_rc_connect(t->h, p.a, p.b->qpn, NULL);
    send1(t, p.a, 0x73, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    tok[2] = wait_fault(t, p.a->qpn, src->key, src->iova, 64, 2 * ODP_PAGE,
                        ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    g_assert_cmphex(tok[2], !=, tok[0]);
    g_assert_cmphex(tok[2], !=, tok[1]);
    buf_map(t, src, src->iova, ODP_PAGE, false);
    resume_ok(t, tok[2]);
    odp_cq_wait(t->h, p.cqa, &c);
    if (c.wr_id == 0x71) {
        /* whether RESET completes outstanding WQEs is unspecified */
        check_cqe(&c, 0x71, ODP_HCA_WC_WR_FLUSH_ERR, -1, p.a->qpn);
        odp_cq_wait(t->h, p.cqa, &c);
    }
    check_cqe(&c, 0x73, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    quiet(t, p.cqa);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 6. Responder faults                                                  */

static void test_odp_resp_write(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    int i;
    Pair p;

    pair_new(t, &p);            /* rnr_retry 7, min_rnr_timer 10 us */
    src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    dst = buf_odp(t, 3 * ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    data = buf_pattern(t, src, 22);
    buf_fill(t, dst, 0xee);

    send1(t, p.a, 0x81, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8000, src->key,
          dst->iova + 500, dst->key);
    token = wait_fault(t, p.b->qpn, dst->key, dst->iova + 500, 8000,
                       3 * ODP_PAGE - 500, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    /* RNR NAKs while unresolved: no completion, no second event */
    for (i = 0; i < 10; i++) {
        odp_clock_step(t->h, RNR_STEP);
        odp_cq_assert_empty(t->h, p.cqa, 8);
    }
    eq_quiet(t);
    quiet(t, p.cqb);
    buf_map(t, dst, dst->iova, 3 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 0x81, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, RNR_STEP, RNR_STEPS);
    buf_check(t, dst, 500, data, 8000, "WRITE after a responder fault");
    buf_check_fill(t, dst, 0, 0xee, 500, "before WRITE");
    buf_check_fill(t, dst, 8500, 0xee, 3 * ODP_PAGE - 8500, "after WRITE");
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
    quiet(t, p.cqb);
    eq_quiet(t);
    t_free(t);
}

static void test_odp_resp_rnr_exceeded(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr aa, ab;
    Buf *src, *dst;
    int64_t el;
    Pair p;

    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    aa.rnr_retry = 2;
    ab.min_rnr_timer = 2;       /* 20 us */
    pair_new2(t, &p, &aa, &ab);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    buf_fill(t, dst, 0xee);

    send1(t, p.a, 0x82, ODP_HCA_WQE_RDMA_WRITE, src->iova, 100, src->key,
          dst->iova, dst->key);
    wait_fault(t, p.b->qpn, dst->key, dst->iova, 100, ODP_PAGE,
               ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);
    el = wait_cqe_clock(t, p.cqa, &c, 0x82, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
                        p.a->qpn, RNR_STEP, RNR_STEPS);
    g_assert_cmpint(el, >=, 2 * odp_rnr_timer_ns(2));
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "never resolved");
    t_free(t);
}

static void test_odp_resp_send(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *rb;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rb = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    data = buf_pattern(t, src, 23);
    buf_fill(t, rb, 0xee);

    post_recv1(t, p.b, 0xb1, rb->iova + 3000, 4000, rb->key);
    send1(t, p.a, 0x91, ODP_HCA_WQE_SEND, src->iova, 3000, src->key, 0, 0);
    token = wait_fault(t, p.b->qpn, rb->key, rb->iova + 3000, 3000,
                       2 * ODP_PAGE - 3000, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    odp_clock_step(t->h, 3 * RNR_STEP);
    quiet(t, p.cqa);
    quiet(t, p.cqb);
    buf_map(t, rb, rb->iova, 2 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 0x91, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
                   p.a->qpn, RNR_STEP, RNR_STEPS);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 3000);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, rb, 3000, data, 3000, "SEND into an ODP buffer");
    buf_check_fill(t, rb, 0, 0xee, 3000, "before SEND");
    t_free(t);
}

static void test_odp_resp_read(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *loc, *rem;
    g_autofree uint8_t *data = NULL;
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    loc = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    rem = buf_odp(t, 2 * ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_READ);
    data = buf_pattern(t, rem, 24);
    buf_fill(t, loc, 0xee);

    send1(t, p.a, 0xa1, ODP_HCA_WQE_RDMA_READ, loc->iova, 6000, loc->key,
          rem->iova + 1000, rem->key);
    token = wait_fault(t, p.b->qpn, rem->key, rem->iova + 1000, 6000,
                       2 * ODP_PAGE - 1000, ODP_HCA_FAULT_READ,
                       ODP_HCA_FAULT_RESPONDER, -1);
    odp_clock_step(t->h, 3 * RNR_STEP);
    quiet(t, p.cqa);
    buf_map(t, rem, rem->iova, 2 * ODP_PAGE, false);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_READ, p.a->qpn, RNR_STEP, RNR_STEPS);
    g_assert_cmpuint(c.byte_len, ==, 6000);
    buf_check(t, loc, 0, data + 1000, 6000, "READ from an ODP MR");
    t_free(t);
}

static void test_odp_resp_atomic(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *loc, *rem;
    uint32_t token;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    loc = buf_pinned(t, ODP_PAGE, ACC_ALL);
    rem = buf_odp(t, ODP_PAGE, ACC_ALL);
    buf_write64(t, rem, 512, 0x1234);
    buf_map(t, rem, rem->iova, ODP_PAGE, false);    /* read-only */

    wr1(&wr, 0xb1, ODP_HCA_WQE_ATOMIC_CS, loc->iova, 8, loc->key,
        rem->iova + 512, rem->key);
    wr.compare_add = 0x1234;
    wr.swap = 0x4321;
    odp_send(t->h, p.a, &wr);
    token = wait_fault(t, p.b->qpn, rem->key, rem->iova + 512, 8,
                       ODP_PAGE - 512,
                       ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC,
                       ODP_HCA_FAULT_RESPONDER, -1);
    g_assert_cmphex(buf_read64(t, rem, 512), ==, 0x1234);
    buf_map(t, rem, rem->iova, ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 0xb1, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_COMP_SWAP, p.a->qpn, RNR_STEP, RNR_STEPS);
    g_assert_cmphex(buf_read64(t, loc, 0), ==, 0x1234);
    g_assert_cmphex(buf_read64(t, rem, 512), ==, 0x4321);
    t_free(t);
}

static void test_odp_resp_fail(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *dst, *rb;
    uint32_t token;
    Pair p;

    /* WRITE: RESUME FAIL -> the retried request is NAKed for access */
    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    buf_fill(t, dst, 0xee);
    send1(t, p.a, 0xc1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    token = wait_fault(t, p.b->qpn, dst->key, dst->iova, 64, ODP_PAGE,
                       ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_FAIL), ==,
                     ODP_HCA_CMD_OK);
    wait_cqe_clock(t, p.cqa, &c, 0xc1, ODP_HCA_WC_REM_ACCESS_ERR, -1,
                   p.a->qpn, RNR_STEP, RNR_STEPS);
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "failed responder fault");
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /* SEND: the receive completes LOC_PROT_ERR, the sender REM_OP_ERR */
    eq_drain(t);
    pair_new(t, &p);
    rb = buf_odp(t, ODP_PAGE, ACC_LW);
    post_recv1(t, p.b, 0xb2, rb->iova, 256, rb->key);
    send1(t, p.a, 0xc2, ODP_HCA_WQE_SEND, src->iova, 64, src->key, 0, 0);
    token = wait_fault(t, p.b->qpn, rb->key, rb->iova, 64, ODP_PAGE,
                       ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_FAIL), ==,
                     ODP_HCA_CMD_OK);
    wait_cqe_clock(t, p.cqa, &c, 0xc2, ODP_HCA_WC_REM_OP_ERR, -1, p.a->qpn,
                   RNR_STEP, RNR_STEPS);
    wait_cqe(t, p.cqb, &c, 0xb2, ODP_HCA_WC_LOC_PROT_ERR, -1, p.b->qpn);
    t_free(t);
}

/* UD: the event is posted, the datagram dropped, the sender succeeds. */
static void test_odp_resp_ud(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpCq *cqs = odp_cq_new(t->h, 6, NULL, 0);
    OdpCq *cqr = odp_cq_new(t->h, 6, NULL, 0);
    OdpQp *s = ud_qp(t, cqs, 7);
    OdpQp *r = ud_qp(t, cqr, 7);
    Buf *sb = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *rb = buf_odp(t, ODP_PAGE, ACC_LW);
    g_autofree uint8_t *data = buf_pattern(t, sb, 25);
    uint32_t token;
    OdpWr wr;

    post_recv1(t, r, 0xd1, rb->iova, 40 + 256, rb->key);
    ud_wr(t, &wr, 0xe1, sb->iova, 256, sb->key, r->qpn, 7);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0xe1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    token = wait_fault(t, r->qpn, rb->key, rb->iova, 40 + 256, ODP_PAGE,
                       ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);
    quiet(t, cqr);
    buf_map(t, rb, rb->iova, ODP_PAGE, true);
    resume_ok(t, token);
    quiet(t, cqr);              /* dropped, not replayed */

    /*
     * Whether the dropped datagram's receive WQE is kept is unspecified:
     * post a second one; the next datagram lands in one of them.
     */
    post_recv1(t, r, 0xd2, rb->iova + 2048, 40 + 256, rb->key);
    ud_wr(t, &wr, 0xe2, sb->iova + 256, 256, sb->key, r->qpn, 7);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0xe2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    odp_cq_wait(t->h, cqr, &c);
    g_assert_true(c.wr_id == 0xd1 || c.wr_id == 0xd2);
    check_cqe(&c, c.wr_id, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RECV, r->qpn);
    g_assert_cmpuint(c.src_qp, ==, s->qpn);
    g_assert_cmpuint(c.byte_len, ==, 296);
    buf_check(t, rb, (c.wr_id == 0xd1 ? 0 : 2048) + 40, data + 256, 256,
              "UD after a responder fault");
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 7. Implicit ODP                                                      */

static void test_odp_implicit(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    const uint64_t x = 0x00007f1234560000ull, y = 0x0000555500000000ull;
    OdpMem *mx = odp_mem_new(t->h, x, 2 * ODP_PAGE);
    OdpMem *my = odp_mem_new(t->h, y, 2 * ODP_PAGE);
    OdpMr *imr = odp_mr_new_implicit(t->h, t->pd,
                                     ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE |
                                     ODP_HCA_ACCESS_REMOTE_READ);
    Buf *pin = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *dx = g_malloc(2 * ODP_PAGE);
    g_autofree uint8_t *dp = NULL;
    uint32_t token;
    Pair p;

    g_assert_cmpuint(imr->levels, ==, 4);
    pair_new(t, &p);
    odp_pattern(dx, 2 * ODP_PAGE, 26);
    odp_mem_write(t->h, mx, x, dx, 2 * ODP_PAGE);
    odp_mem_fill(t->h, my, 0xee);
    dp = buf_pattern(t, pin, 27);

    /* requester */
    send1(t, p.a, 0xf1, ODP_HCA_WQE_RDMA_WRITE, x + 100, 5000, imr->key,
          pin->iova, pin->key);
    token = wait_fault(t, p.a->qpn, imr->key, x + 100, 5000,
                       (1ull << 48) - (x + 100), ODP_HCA_FAULT_READ,
                       ODP_HCA_FAULT_REQUESTER, 0);
    quiet(t, p.cqa);
    odp_mr_map_mem(t->h, imr, mx, x, 2 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 0xf1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, pin, 0, dx + 100, 5000, "WRITE from an implicit MR");

    /* responder: inner tables present, leaves absent */
    dp = buf_pattern(t, pin, 28);
    odp_mr_pte_addr(t->h, imr, y, 0, true);
    odp_mr_pte_addr(t->h, imr, y + ODP_PAGE, 0, true);
    send1(t, p.b, 0xf2, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 6000, pin->key,
          y + 10, imr->key);
    token = wait_fault(t, p.a->qpn, imr->key, y + 10, 6000,
                       (1ull << 48) - (y + 10), ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    odp_mr_map_mem(t->h, imr, my, y, 2 * ODP_PAGE, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqb, &c, 0xf2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.b->qpn, RNR_STEP, RNR_STEPS);
    check_bytes(t, my, y + 10, dp, 6000, "WRITE into an implicit MR");

    /* beyond 2^48: out of bounds, not a fault */
    eq_drain(t);
    send1(t, p.a, 0xf3, ODP_HCA_WQE_RDMA_WRITE, (1ull << 48) - 100, 200,
          imr->key, pin->iova, pin->key);
    wait_cqe(t, p.cqa, &c, 0xf3, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_BOUNDS);
    wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 8. Invalidation                                                      */

static void write_and_wait(T *t, Pair *p, uint64_t wr_id, Buf *src,
                           uint64_t soff, uint32_t len, Buf *dst,
                           uint64_t doff)
{
    struct odp_hca_cqe c;

    send1(t, p->a, wr_id, ODP_HCA_WQE_RDMA_WRITE, src->iova + soff, len,
          src->key, dst->iova + doff, dst->key);
    wait_cqe(t, p->cqa, &c, wr_id, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p->a->qpn);
}

static uint32_t inval(T *t, Buf *b, uint64_t off, uint64_t len)
{
    uint32_t n;

    g_assert_cmpuint(odp_invalidate(t->h, b->key, b->iova + off, len, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    return n;
}

static void test_inval_pinned(void)
{
    T *t = t_new(NULL);
    Buf *src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 29);
    uint64_t old0 = dst->m->pages[0], old1 = dst->m->pages[1];
    uint64_t new0 = odp_alloc(t->h, ODP_PAGE);
    uint64_t new1 = odp_alloc(t->h, ODP_PAGE);
    uint64_t news = odp_alloc(t->h, ODP_PAGE);
    uint8_t got[16], z[16] = { 0 }, sdata[16];
    Pair p;

    pair_new(t, &p);
    /* cache dst pages 0 and 1, src page 0 */
    write_and_wait(t, &p, 1, src, 0, 16, dst, 64);
    write_and_wait(t, &p, 2, src, 16, 16, dst, ODP_PAGE + 64);

    /* repoint both dst leaves without INVALIDATE: the cache still wins */
    odp_mr_map_page(t->h, dst->mr, dst->iova, new0, true);
    odp_mr_map_page(t->h, dst->mr, dst->iova + ODP_PAGE, new1, true);
    write_and_wait(t, &p, 3, src, 32, 16, dst, 64);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 32, 16);
    odp_read(t->h, new0 + 64, got, 16);
    g_assert_cmpmem(got, 16, z, 16);

    /* invalidate page 1 only: exactly one entry */
    g_assert_cmpuint(inval(t, dst, ODP_PAGE, ODP_PAGE), ==, 1);
    g_assert_cmpuint(inval(t, dst, ODP_PAGE, ODP_PAGE), ==, 0);
    write_and_wait(t, &p, 4, src, 48, 16, dst, ODP_PAGE + 64);
    odp_read(t->h, new1 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 48, 16);
    odp_read(t->h, old1 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 16, 16);
    /* page 0 still cached */
    write_and_wait(t, &p, 5, src, 64, 16, dst, 64);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 64, 16);

    g_assert_cmpuint(inval(t, dst, 0, ODP_PAGE), ==, 1);
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_PAGE), ==, 1);  /* page 1 */
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_PAGE), ==, 0);
    write_and_wait(t, &p, 6, src, 80, 16, dst, 64);
    odp_read(t->h, new0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 80, 16);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 64, 16);

    /* the local side: a repointed source page */
    odp_pattern(sdata, sizeof(sdata), 30);
    odp_write(t->h, news, sdata, sizeof(sdata));
    odp_mr_map_page(t->h, src->mr, src->iova, news, true);
    write_and_wait(t, &p, 7, src, 0, 16, dst, 128);
    odp_read(t->h, new0 + 128, got, 16);
    g_assert_cmpmem(got, 16, data, 16);        /* cached old source */
    g_assert_cmpuint(inval(t, src, 0, ODP_PAGE), ==, 1);
    write_and_wait(t, &p, 8, src, 0, 16, dst, 128);
    odp_read(t->h, new0 + 128, got, 16);
    g_assert_cmpmem(got, 16, sdata, 16);
    t_free(t);
}

static void test_inval_odp(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_odp(t, ODP_PAGE, ACC_LW);
    Buf *dst = buf_odp(t, 2 * ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    Buf *pin = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, pin, 31);
    g_autofree uint8_t *sdata = buf_pattern(t, src, 32);
    uint64_t newpg = odp_alloc(t->h, ODP_PAGE);
    uint8_t got[32];
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    buf_map(t, dst, dst->iova, ODP_PAGE, true);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 32, pin->key,
          dst->iova + 8, dst->key);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    eq_quiet(t);

    /* the mmu-notifier flow: zap the entry, INVALIDATE, next use faults */
    odp_mr_unmap_page(t->h, dst->mr, dst->iova);
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_PAGE), ==, 1);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, pin->iova + 100, 32, pin->key,
          dst->iova + 8, dst->key);
    token = wait_fault(t, p.b->qpn, dst->key, dst->iova + 8, 32,
                       2 * ODP_PAGE - 8, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    odp_mr_map_page(t->h, dst->mr, dst->iova, newpg, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, RNR_STEP, RNR_STEPS);
    odp_read(t->h, newpg + 8, got, 32);
    g_assert_cmpmem(got, 32, data + 100, 32);
    odp_read(t->h, dst->m->pages[0] + 8, got, 32);
    g_assert_cmpmem(got, 32, data, 32);

    /* requester side */
    buf_map(t, src, src->iova, ODP_PAGE, false);
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 32, src->key,
          pin->iova + 2048, pin->key);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, pin, 2048, sdata, 32, "WRITE from a mapped ODP MR");
    odp_mr_unmap_page(t->h, src->mr, src->iova);
    g_assert_cmpuint(inval(t, src, 0, ODP_PAGE), ==, 1);
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 32, src->key,
          pin->iova + 2048, pin->key);
    token = wait_fault(t, p.a->qpn, src->key, src->iova, 32, ODP_PAGE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 3);
    quiet(t, p.cqa);
    buf_map(t, src, src->iova, ODP_PAGE, false);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    t_free(t);
}

/* INVALIDATE ALL; DESTROY_MR drops the key's entries. */
static void test_inval_all_destroy(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 33);
    uint64_t newpg = odp_alloc(t->h, ODP_PAGE);
    uint32_t n;
    uint8_t got[16];
    OdpMr *again;
    Pair p;

    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 16, dst, 0);
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpuint(inval(t, src, 0, ODP_PAGE), ==, 0);
    g_assert_cmpuint(inval(t, dst, 0, ODP_PAGE), ==, 0);
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 0);

    /* cache dst, destroy it, re-create the same key on another page */
    write_and_wait(t, &p, 2, src, 16, 16, dst, 0);
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, dst->key), ==,
                     ODP_HCA_CMD_OK);
    again = odp_mr_prepare(t->h, t->pd, dst->iova, ODP_PAGE, 1, ACC_ALL, 0);
    again->key = dst->key;
    odp_mr_map_page(t->h, again, dst->iova, newpg, true);
    g_assert_cmpuint(odp_mr_register(t->h, again), ==, ODP_HCA_CMD_OK);
    write_and_wait(t, &p, 3, src, 32, 16, dst, 0);
    odp_read(t->h, newpg, got, 16);
    g_assert_cmpmem(got, 16, data + 32, 16);
    odp_read(t->h, dst->m->pages[0], got, 16);
    g_assert_cmpmem(got, 16, data + 16, 16);

    /* a destroyed key is gone */
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, dst->key), ==,
                     ODP_HCA_CMD_OK);
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    t_free(t);
}

/* iotlb-entries bounds what INVALIDATE can find cached. */
static void test_inval_iotlb_size(void)
{
    T *t = t_new("iotlb-entries=4");
    Buf *src = buf_pinned(t, 8 * ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, 8 * ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 34);
    uint32_t n;
    Pair p;

    g_assert_cmpuint(t->h->caps.iotlb_entries, ==, 4);
    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 8 * ODP_PAGE, dst, 0);
    buf_check(t, dst, 0, data, 8 * ODP_PAGE, "WRITE through a small IOTLB");
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpuint(n, <=, 4);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 9. A fault stalls only its QP                                        */

static void test_odp_isolation(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *odp = buf_odp(t, ODP_PAGE, ACC_LW);
    Buf *src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *rdst = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    g_autofree uint8_t *data = buf_pattern(t, src, 35);
    g_autofree uint8_t *odata = buf_pattern(t, odp, 36);
    uint32_t token, rtoken;
    Pair a, b, r;
    int i;

    pair_new(t, &a);
    pair_new(t, &b);
    pair_new(t, &r);
    buf_fill(t, dst, 0xee);

    /* a: requester fault; r: responder fault */
    send1(t, a.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 128, odp->key,
          dst->iova + 6000, dst->key);
    send1(t, a.a, 0xa2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 128, src->key,
          dst->iova + 7000, dst->key);
    token = wait_fault(t, a.a->qpn, odp->key, odp->iova, 128, ODP_PAGE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    send1(t, r.a, 0xc1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          rdst->iova, rdst->key);
    rtoken = wait_fault(t, r.b->qpn, rdst->key, rdst->iova, 64, ODP_PAGE,
                        ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);

    /* b keeps going */
    for (i = 0; i < 5; i++) {
        write_and_wait(t, &b, 0xb0 + i, src, i * 500, 500, dst, i * 500);
    }
    post_recv1(t, b.b, 0xbb, dst->iova + 4096, 1000, dst->key);
    send1(t, b.a, 0xb5, ODP_HCA_WQE_SEND, src->iova + 3000, 700, src->key,
          0, 0);
    wait_cqe(t, b.cqa, &c, 0xb5, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             b.a->qpn);
    wait_recv(t, b.cqb, &c, 0xbb, ODP_HCA_CQE_RECV, b.b->qpn, b.a->qpn, 700);
    buf_check(t, dst, 0, data, 2500, "independent QP WRITEs");
    buf_check(t, dst, 4096, data + 3000, 700, "independent QP SEND");
    quiet(t, a.cqa);
    quiet(t, r.cqa);
    buf_check_fill(t, dst, 6000, 0xee, 2 * ODP_PAGE - 6000, "stalled QP");

    buf_map(t, odp, odp->iova, ODP_PAGE, false);
    resume_ok(t, token);
    wait_cqe(t, a.cqa, &c, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a.a->qpn);
    wait_cqe(t, a.cqa, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a.a->qpn);
    buf_check(t, dst, 6000, odata, 128, "resumed WRITE");
    buf_check(t, dst, 7000, data, 128, "WRITE queued behind the fault");

    buf_map(t, rdst, rdst->iova, ODP_PAGE, true);
    resume_ok(t, rtoken);
    wait_cqe_clock(t, r.cqa, &c, 0xc1, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, r.a->qpn, RNR_STEP, RNR_STEPS);
    buf_check(t, rdst, 0, data, 64, "resumed responder WRITE");
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 10. Reset                                                            */

typedef struct Stalled {
    Pair p;
    Buf *src;
    Buf *dst;
    uint32_t token;
} Stalled;

/* A QP stalled on a fault with WQEs behind it and a receive posted. */
static void make_stalled(T *t, Stalled *s)
{
    pair_new(t, &s->p);
    s->src = buf_odp(t, ODP_PAGE, ACC_LW);
    s->dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_fill(t, s->dst, 0xee);
    post_recv1(t, s->p.b, 0xb1, s->dst->iova + 2048, 512, s->dst->key);
    send1(t, s->p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, s->src->iova, 64,
          s->src->key, s->dst->iova, s->dst->key);
    send1(t, s->p.a, 0xa2, ODP_HCA_WQE_SEND, s->src->iova, 64, s->src->key,
          0, 0);
    s->token = wait_fault(t, s->p.a->qpn, s->src->key, s->src->iova, 64,
                          ODP_PAGE, ODP_HCA_FAULT_READ,
                          ODP_HCA_FAULT_REQUESTER, 0);
}

static void check_after_reset(T *t, Stalled *s)
{
    OdpHca *h = t->h;

    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CTRL), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, s->p.a->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, s->p.b->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, s->p.cqa->cqn),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, s->src->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_resume(h, s->token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    {
        uint32_t n;

        g_assert_cmpuint(odp_invalidate(h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                         ==, ODP_HCA_CMD_OK);
        g_assert_cmpuint(n, ==, 0);
    }
    /* the old objects are gone: nothing more lands in their memory */
    buf_map(t, s->src, s->src->iova, ODP_PAGE, false);
    odp_cq_assert_empty(h, s->p.cqa, ODP_QUIET_ROUNDS);
    odp_cq_assert_empty(h, s->p.cqb, ODP_QUIET_ROUNDS);
    buf_check_fill(t, s->dst, 0, 0xee, ODP_PAGE, "after reset");
    /* the same MR index is free again */
    {
        OdpMr *mr = odp_mr_prepare(h, t->pd, 0x100000, ODP_PAGE, 1, ACC_LW, 0);

        mr->key = s->src->key;
        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    }
    check_fresh_pair_works(t, 37);
}

static void test_reset_flr(void)
{
    T *t = t_new(NULL);
    QPCIDevice *dev = &t->h->dev;
    Stalled s;
    uint8_t pcie;
    uint16_t ctl;

    make_stalled(t, &s);
    pcie = qpci_find_capability(dev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(pcie, !=, 0);
    g_assert_true(qpci_config_readl(dev, pcie + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    ctl = qpci_config_readw(dev, pcie + PCI_EXP_DEVCTL);
    qpci_config_writew(dev, pcie + PCI_EXP_DEVCTL,
                       ctl | PCI_EXP_DEVCTL_BCR_FLR);
    /* FLR clears the BARs and the command register: set them up again */
    g_assert_cmphex(qpci_config_readw(dev, PCI_COMMAND) &
                    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    odp_hca_pci_setup(t->h);
    odp_hca_wait_reset(t->h);
    check_after_reset(t, &s);
    t_free(t);
}

static void test_reset_ctrl(void)
{
    T *t = t_new(NULL);
    Stalled s;

    make_stalled(t, &s);
    odp_reg_write(t->h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    /* whether the PCI side (MSI-X) is reset too is unspecified: redo it */
    odp_hca_pci_setup(t->h);
    odp_hca_wait_reset(t->h);
    check_after_reset(t, &s);
    t_free(t);
}

/* A command queue outside guest RAM: STATUS.FATAL, then reset recovers. */
static void test_reset_fatal(void)
{
    OdpHca *h = odp_hca_start(NULL);
    int i;

    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_LO, (uint32_t)ODP_BAD_ADDR);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_HI, ODP_BAD_ADDR >> 32);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_LOG_SIZE, 4);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_ENABLE);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, 1);
    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_FATAL) {
            break;
        }
    }
    g_assert_cmpint(i, <, ODP_POLL_MAX);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

/* ------------------------------------------------------------------ */
/* 11. Hostile input                                                    */

static void test_bad_opcode(void)
{
    OdpHca *h = odp_hca_new(NULL);
    static const uint8_t ops[] = { ODP_HCA_CMD_MAX, 0x14, 0x7f, 0x80, 0xff };
    struct odp_hca_cmd cmd;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ops); i++) {
        memset(&cmd, 0xa5, sizeof(cmd));
        cmd.opcode = ops[i];
        cmd.flags = 0;
        g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_OPCODE);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    }
    odp_hca_stop(h);
}

static void test_bad_handles(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE, .state = ODP_HCA_QPS_INIT,
    };
    const uint32_t big = 0xffffffff;
    uint32_t unused_eqn = 1;
    OdpRing r;

    while (unused_eqn == h->eq0->eqn || unused_eqn == h->ceq->eqn) {
        unused_eqn++;
    }
    g_assert_cmpuint(unused_eqn, <, h->caps.max_eqs);

    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, big), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, h->caps.max_eqs),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, unused_eqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, big), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, h->caps.max_pds),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, h->caps.max_cqs),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, 3), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, 0), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, big), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, 0), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, 1), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, 2), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, h->caps.max_qps),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, big), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, big), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, 0x0101), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_qp_modify(h, 1, &m), ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_qp_modify(h, big, &m), ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_qp_query(h, 0xffff, NULL), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_qp_query(h, 7, NULL), ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_resume(h, 0, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    g_assert_cmpuint(odp_resume(h, big, ODP_HCA_RESUME_FAIL), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /* creating on top of objects that do not exist */
    odp_ring_init(h, &r, 4, 5);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
    odp_ring_desc(&r, &cmd.create_cq.ring);
    cmd.create_cq.eqn = unused_eqn;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_HANDLE);
    cmd.create_cq.eqn = big;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_HANDLE);
    odp_ring_init(h, &r, 4, 5);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_SRQ;
    odp_ring_desc(&r, &cmd.create_srq.ring);
    cmd.create_srq.pdn = t->pd + 1;
    cmd.create_srq.max_sge = 1;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_HANDLE);
    {
        OdpMr *mr = odp_mr_prepare(h, t->pd + 1, 0, ODP_PAGE, 1, ACC_LW, 0);

        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_HANDLE);
        mr->pdn = big;
        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_HANDLE);
    }
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    t_free(t);
}

static uint8_t create_cq_ring(OdpHca *h, const struct odp_hca_ring_desc *d,
                              uint32_t uar)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_CQ };

    cmd.create_cq.ring = *d;
    cmd.create_cq.eqn = 0;
    cmd.create_cq.uar = uar;
    return odp_cmd_exec(h, &cmd);
}

static uint8_t create_qp_rings(OdpHca *h, uint32_t pdn, OdpCq *cq,
                               uint8_t type, uint8_t sq_log,
                               uint8_t sq_stride, uint8_t rq_log,
                               uint8_t rq_stride, uint8_t max_send_sge,
                               uint8_t max_recv_sge, uint16_t max_inline,
                               uint32_t uar)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_QP };
    OdpRing sq, rq;

    odp_ring_init(h, &sq, sq_log, sq_stride);
    odp_ring_init(h, &rq, rq_log, rq_stride);
    odp_ring_desc(&sq, &cmd.create_qp.sq);
    odp_ring_desc(&rq, &cmd.create_qp.rq);
    cmd.create_qp.pdn = pdn;
    cmd.create_qp.send_cqn = cq->cqn;
    cmd.create_qp.recv_cqn = cq->cqn;
    cmd.create_qp.srqn = ODP_HCA_NO_SRQ;
    cmd.create_qp.uar = uar;
    cmd.create_qp.type = type;
    cmd.create_qp.max_send_sge = max_send_sge;
    cmd.create_qp.max_recv_sge = max_recv_sge;
    cmd.create_qp.max_inline = max_inline;
    return odp_cmd_exec(h, &cmd);
}

static void test_bad_rings(void)
{
    T *t = t_new("max-cqe=256,max-eqe=64,max-qp-wr=256");
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    struct odp_hca_ring_desc d;
    OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
    OdpRing r;
    uint8_t st;

    /* CQ */
    odp_ring_init(h, &r, 4, 5);
    odp_ring_desc(&r, &d);
    d.log_stride = 6;
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    d.log_stride = 4;
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_desc(&r, &d);
    d.log_entries = 16;
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_desc(&r, &d);
    d.npages = 0;
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_desc(&r, &d);
    d.log_entries = 8;          /* 8 KiB in one page */
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_init(h, &r, 9, 5); /* 512 > max-cqe 256 */
    odp_ring_desc(&r, &d);
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_init(h, &r, 4, 5);
    odp_ring_desc(&r, &d);
    g_assert_cmpuint(create_cq_ring(h, &d, h->caps.num_uars), ==,
                     ODP_HCA_CMD_BAD_PARAM);
    d.page_list = ODP_BAD_ADDR;
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_DMA_ERROR);
    odp_write64(h, r.page_list, r.pages[0] + 0x800);   /* unaligned page */
    odp_ring_desc(&r, &d);
    g_assert_cmpuint(create_cq_ring(h, &d, 0), ==, ODP_HCA_CMD_BAD_PARAM);
    /* a page outside RAM: refused, or the CQ fails cleanly later */
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    st = create_cq_ring(h, &d, 0);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BAD_PARAM ||
                  st == ODP_HCA_CMD_DMA_ERROR);

    /* EQ */
    odp_ring_init(h, &r, 4, 5);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_EQ;
    odp_ring_desc(&r, &cmd.create_eq.ring);
    cmd.create_eq.ring.log_stride = 6;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_desc(&r, &cmd.create_eq.ring);
    cmd.create_eq.vector = h->caps.num_vectors;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_ring_init(h, &r, 7, 5);     /* 128 > max-eqe 64 */
    odp_ring_desc(&r, &cmd.create_eq.ring);
    cmd.create_eq.vector = 1;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_PARAM);

    /* QP: SQ/RQ strides against SGEs and inline, sizes, limits */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 6, 4,
                                     7, 4, 4, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);   /* SQ 64 < 64 + 4 * 16 */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 7, 4,
                                     6, 4, 4, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);   /* RQ 64 < 16 + 4 * 16 */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_UD, 4, 7, 4,
                                     7, 1, 1, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);   /* UD SQ 128 < 144 */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 2, 13, 4,
                                     7, 4, 4, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);   /* stride > 4096 */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 9, 7, 4,
                                     7, 4, 4, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);   /* 512 > max-qp-wr */
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 9, 4,
                                     9, h->caps.max_sge + 1, 1, 0, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 10, 4,
                                     7, 1, 1, h->caps.max_inline + 1, 0), ==,
                     ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 7, 4,
                                     7, 4, 4, 0, h->caps.num_uars), ==,
                     ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(create_qp_rings(h, t->pd, cq, ODP_HCA_QPT_RC, 4, 7, 4,
                                     7, 4, 4, 0, 0), ==, ODP_HCA_CMD_OK);

    /* SRQ stride */
    odp_ring_init(h, &r, 4, 5);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_SRQ;
    odp_ring_desc(&r, &cmd.create_srq.ring);
    cmd.create_srq.pdn = t->pd;
    cmd.create_srq.max_sge = 2;             /* needs 48 > 32 */
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_PARAM);
    cmd.create_srq.max_sge = 1;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);

    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 38);
    t_free(t);
}

static void test_bad_mr(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpMr *mr;
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Pair p;

#define MR_EXPECT(field_assign, status) do {                              \
        mr = odp_mr_prepare(h, t->pd, 0x200000, 2 * ODP_PAGE, 1, ACC_LW, 0); \
        field_assign;                                                     \
        g_assert_cmpuint(odp_mr_register(h, mr), ==, status);             \
    } while (0)

    MR_EXPECT(mr->levels = 0, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->levels = 5, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->levels = 0xff, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->length = 0, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->length = 513 * ODP_PAGE, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT((mr->iova = 0x200800, mr->length = 512 * ODP_PAGE),
              ODP_HCA_CMD_BAD_PARAM);  /* spans 513 pages */
    MR_EXPECT((mr->iova = UINT64_MAX - ODP_PAGE + 1, mr->length = 8192),
              ODP_HCA_CMD_BAD_PARAM);  /* wraps */
    MR_EXPECT(mr->flags = ODP_HCA_MR_F_IMPLICIT, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT((mr->flags = ODP_HCA_MR_F_IMPLICIT | ODP_HCA_MR_F_ON_DEMAND,
               mr->iova = 0, mr->levels = 3), ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT((mr->flags = ODP_HCA_MR_F_IMPLICIT | ODP_HCA_MR_F_ON_DEMAND,
               mr->iova = 0x1000, mr->levels = 4), ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->key = (h->caps.max_mrs << 8) | 1, ODP_HCA_CMD_BAD_PARAM);
    MR_EXPECT(mr->pdn = 77, ODP_HCA_CMD_BAD_HANDLE);
    MR_EXPECT(mr->key = dst->key, ODP_HCA_CMD_BAD_PARAM);    /* in use */
    MR_EXPECT(mr->levels = 4, ODP_HCA_CMD_OK);  /* more levels than needed */

    /* a table outside RAM: not read at creation; every use fails cleanly */
    mr = odp_mr_prepare(h, t->pd, 0x200000, 2 * ODP_PAGE, 2, ACC_ALL, 0);
    mr->table = ODP_BAD_ADDR;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    {
        pair_new(t, &p);
        send1(t, p.a, 0x91, ODP_HCA_WQE_RDMA_WRITE, 0x200000, 64, mr->key,
              dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x91, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
        g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_DMA);
        pair_new(t, &p);
        send1(t, p.a, 0x92, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 64, dst->key,
              0x200000, mr->key);
        wait_cqe(t, p.cqa, &c, 0x92, ODP_HCA_WC_REM_ACCESS_ERR, -1,
                 p.a->qpn);
    }
#undef MR_EXPECT
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 39);
    t_free(t);
}

static void test_bad_qp_create(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
    OdpCq ghost = { .cqn = 200 };
    OdpSrq gsrq = { .srqn = 40 };
    OdpQpCfg c;
    OdpQp *qp;

    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd + 1, cq, cq);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_HANDLE);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, &ghost, cq);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_HANDLE);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, &ghost);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_HANDLE);
    ghost.cqn = 0xffffffff;
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_HANDLE);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    c.srq = &gsrq;
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_HANDLE);
    odp_qp_cfg_init(&c, 3, t->pd, cq, cq);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_qp_cfg_init(&c, 0, t->pd, cq, cq);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp), ==, ODP_HCA_CMD_BAD_PARAM);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &c);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);
    check_fresh_pair_works(t, 40);
    t_free(t);
}

static void expect_transition(T *t, OdpQp *qp, uint8_t to, uint8_t status)
{
    uint8_t before = qp_state(t, qp);
    uint8_t st = odp_qp_to_state(t->h, qp, to);

    if (st != status) {
        odp_diag("QP %u: %u -> %u gave status %u, expected %u",
                       qp->qpn, before, to, st, status);
    }
    g_assert_cmpuint(st, ==, status);
    g_assert_cmpuint(qp_state(t, qp), ==,
                     status == ODP_HCA_CMD_OK ? to : before);
}

static void test_bad_qp_state(void)
{
    T *t = t_new(NULL);
    OdpCq *cq = odp_cq_new(t->h, 4, NULL, 0);
    OdpRcAttr a;
    OdpQpCfg c;
    OdpQp *qp, *peer;
    uint8_t st;

    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &c);
    peer = odp_qp_new(t->h, &c);

    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);
    expect_transition(t, qp, ODP_HCA_QPS_RTR, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQE, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RESET, ODP_HCA_CMD_OK);
    st = odp_qp_to_state(t->h, qp, 7);
    g_assert_true(st == ODP_HCA_CMD_BAD_PARAM || st == ODP_HCA_CMD_BAD_STATE);
    st = odp_qp_to_state(t->h, qp, 0xff);
    g_assert_true(st == ODP_HCA_CMD_BAD_PARAM || st == ODP_HCA_CMD_BAD_STATE);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);

    odp_qp_rc_init(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_OK);
    odp_qp_rc_rtr(t->h, qp, peer->qpn, &a);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    odp_qp_rc_rts(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_RTR, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_RESET, ODP_HCA_CMD_OK);
    odp_qp_rc_init(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    t_free(t);
}

static void expect_attr(T *t, OdpQp *qp, struct odp_hca_cmd_modify_qp *m,
                        const char *what)
{
    uint8_t before = qp_state(t, qp);
    uint8_t st = odp_qp_modify(t->h, qp->qpn, m);

    if (st != ODP_HCA_CMD_BAD_PARAM) {
        odp_diag("%s: status %u, expected BAD_PARAM", what, st);
    }
    g_assert_cmpuint(st, ==, ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(qp_state(t, qp), ==, before);
}

static void test_bad_qp_attr(void)
{
    T *t = t_new(NULL);
    OdpCq *cq = odp_cq_new(t->h, 4, NULL, 0);
    struct odp_hca_cmd_modify_qp rtr = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_AV |
                     ODP_HCA_QP_ATTR_PATH_MTU | ODP_HCA_QP_ATTR_DEST_QPN |
                     ODP_HCA_QP_ATTR_RQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC |
                     ODP_HCA_QP_ATTR_MIN_RNR_TIMER,
        .state = ODP_HCA_QPS_RTR, .path_mtu = 3, .min_rnr_timer = 1,
        .max_dest_rd_atomic = 1,
    };
    struct odp_hca_cmd_modify_qp rts = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_TIMEOUT |
                     ODP_HCA_QP_ATTR_RETRY_CNT | ODP_HCA_QP_ATTR_RNR_RETRY |
                     ODP_HCA_QP_ATTR_SQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC,
        .state = ODP_HCA_QPS_RTS, .timeout = 10, .retry_cnt = 3,
        .rnr_retry = 3, .max_rd_atomic = 1,
    };
    struct odp_hca_cmd_modify_qp m;
    OdpRcAttr a;
    OdpQpCfg c;
    OdpQp *qp, *peer;

    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &c);
    peer = odp_qp_new(t->h, &c);
    odp_qp_rc_init(t->h, qp, &a);
    rtr.dest_qpn = peer->qpn;

    m = rtr; m.path_mtu = 0;
    expect_attr(t, qp, &m, "path_mtu 0");
    m = rtr; m.path_mtu = 6;
    expect_attr(t, qp, &m, "path_mtu 6");
    m = rtr; m.dest_qpn = t->h->caps.max_qps;
    expect_attr(t, qp, &m, "dest_qpn max_qps");
    m = rtr; m.dest_qpn = 0xffffffff;
    expect_attr(t, qp, &m, "dest_qpn ~0");
    m = rtr; m.min_rnr_timer = 32;
    expect_attr(t, qp, &m, "min_rnr_timer 32");
    m = rtr;
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);

    m = rts; m.timeout = 32;
    expect_attr(t, qp, &m, "timeout 32");
    m = rts; m.retry_cnt = 8;
    expect_attr(t, qp, &m, "retry_cnt 8");
    m = rts; m.rnr_retry = 8;
    expect_attr(t, qp, &m, "rnr_retry 8");
    m = rts;
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    {
        struct odp_hca_cmd_modify_qp q;

        g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==,
                         ODP_HCA_CMD_OK);
        g_assert_cmpuint(q.qpn, ==, qp->qpn);
        g_assert_cmpuint(q.state, ==, ODP_HCA_QPS_RTS);
        g_assert_cmpuint(q.path_mtu, ==, 3);
        g_assert_cmpuint(q.dest_qpn, ==, peer->qpn);
        g_assert_cmpuint(q.timeout, ==, 10);
        g_assert_cmpuint(q.retry_cnt, ==, 3);
        g_assert_cmpuint(q.rnr_retry, ==, 3);
        g_assert_cmpuint(q.min_rnr_timer, ==, 1);
        g_assert_cmphex(q.access_flags, ==, a.access);
    }
    t_free(t);
}

static void test_bad_doorbell_uar(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpCq *cqa = odp_cq_new(h, 6, NULL, 3);
    OdpCq *cqb = odp_cq_new(h, 6, NULL, 3);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    OdpQpCfg cfg;
    OdpQp *a, *b;
    OdpWr wr;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cqa, cqa);
    cfg.uar = 3;
    a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = cqb;
    b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, a, b->qpn, NULL);
    odp_qp_rc_connect(h, b, a->qpn, NULL);

    /* SQ doorbell on another UAR page: ignored */
    wr1(&wr, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        dst->iova, dst->key);
    odp_post_send(h, a, &wr);
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(a->qpn, a->sq_pi));
    odp_db_write(h, 5, ODP_HCA_DB_SQ, odp_hca_db_value(a->qpn, a->sq_pi));
    /* the right page but another object number: ignored */
    odp_db_write(h, 3, ODP_HCA_DB_SQ,
                 odp_hca_db_value(h->caps.max_qps - 1, a->sq_pi));
    odp_db_write(h, 3, ODP_HCA_DB_SQ, odp_hca_db_value(0xffff, a->sq_pi));
    /* an unknown doorbell offset: ignored */
    odp_db_write(h, 3, 0x100, odp_hca_db_value(a->qpn, a->sq_pi));
    quiet(t, cqa);
    g_assert_cmpuint(qp_state(t, a), ==, ODP_HCA_QPS_RTS);
    odp_ring_sq(h, a);
    wait_cqe(t, cqa, &c, 0x1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);

    /* CQ arm on the wrong page: no event; on the right page: event */
    odp_eq_drain(h, h->ceq);
    odp_db_write(h, 0, ODP_HCA_DB_CQ_ARM, odp_hca_db_value(cqa->cqn, cqa->ci));
    send1(t, a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, cqa, &c, 0x2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);
    odp_eq_assert_empty(h, h->ceq, ODP_QUIET_ROUNDS);
    odp_cq_db(h, cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, a, 0x3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, cqa, &c, 0x3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);
    {
        struct odp_hca_eqe e;

        odp_eq_wait_type(h, h->ceq, ODP_HCA_EV_COMPLETION, &e);
        g_assert_cmpuint(e.obj, ==, cqa->cqn);
    }

    /* RQ doorbell on the wrong page: the SEND meets RNR until it's right */
    {
        struct odp_hca_sge s = sge(dst->iova, 128, dst->key);
        uint32_t idx = b->rq_pi;

        odp_write(h, odp_ring_entry(&b->rq, idx), &(struct odp_hca_recv_wqe){
                      .wr_id = 0xb1, .num_sge = 1 }, 16);
        odp_write(h, odp_ring_entry(&b->rq, idx) + 16, &s, sizeof(s));
        b->rq_pi++;
        odp_db_write(h, 0, ODP_HCA_DB_RQ, odp_hca_db_value(b->qpn, b->rq_pi));
        send1(t, a, 0x4, ODP_HCA_WQE_SEND, src->iova, 100, src->key, 0, 0);
        odp_clock_step(h, 5 * RNR_STEP);
        quiet(t, cqa);
        quiet(t, cqb);
        odp_db_write(h, 3, ODP_HCA_DB_RQ, odp_hca_db_value(b->qpn, b->rq_pi));
        wait_cqe_clock(t, cqa, &c, 0x4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
                       a->qpn, RNR_STEP, RNR_STEPS);
        wait_recv(t, cqb, &c, 0xb1, ODP_HCA_CQE_RECV, b->qpn, a->qpn, 100);
    }
    t_free(t);
}

static void test_bad_doorbell_counter(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    OdpQpCfg cfg;
    Pair p, q, r;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.sq_log = 4;
    cfg.rq_log = 4;
    pair_new_cfg(t, &p, &cfg, NULL, NULL);
    pair_new_cfg(t, &q, &cfg, NULL, NULL);
    pair_new_cfg(t, &r, &cfg, NULL, NULL);

    /* SQ producer 100 ahead of a 16-entry ring */
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(p.a->qpn, 100));
    wait_qp_err(t, p.a);
    /* RQ producer 17 ahead */
    odp_db_write(h, 0, ODP_HCA_DB_RQ, odp_hca_db_value(q.b->qpn, 17));
    wait_qp_err(t, q.b);
    /* SQ producer going backwards */
    send1(t, r.a, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    send1(t, r.a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(r.a->qpn, 1));
    wait_qp_err(t, r.a);
    /* SRQ producer far ahead */
    {
        OdpSrq *srq = odp_srq_new(h, t->pd, 4, 1, 0, 0);

        odp_db_write(h, 0, ODP_HCA_DB_SRQ, odp_hca_db_value(srq->srqn, 999));
    }
    /* a CQ consumer index beyond its producer */
    odp_db_write(h, 0, ODP_HCA_DB_CQ_CI, odp_hca_db_value(r.cqa->cqn, 5000));
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    eq_drain(t);
    check_fresh_pair_works(t, 41);
    t_free(t);
}

/* A doorbell counter never moves backwards, even within the ring. */
static void test_bad_doorbell_backwards(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    struct odp_hca_cqe c;
    OdpRcAttr a;
    OdpQpCfg cfg;
    OdpQp *qp;
    Pair p;
    OdpWr wr;
    int i;

    /* an INIT QP executes nothing: three WQEs stay posted, untaken */
    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.scq = cfg.rcq = odp_cq_new(h, 6, NULL, 0);
    qp = odp_qp_new(h, &cfg);
    odp_qp_rc_init(h, qp, &a);
    for (i = 0; i < 3; i++) {
        wr1(&wr, 0x10 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
            dst->iova, dst->key);
        odp_post_send(h, qp, &wr);
    }
    odp_ring_sq(h, qp);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_INIT);
    /* producer 3 -> 1: behind, though still ahead of the consumer (0) */
    odp_db_write(h, qp->uar, ODP_HCA_DB_SQ, odp_hca_db_value(qp->qpn, 1));
    wait_qp_err(t, qp);
    wait_event(t, ODP_HCA_EV_QP_FATAL, qp->qpn);

    /* a CQ consumer counter 2 -> 1 is ignored, arming included */
    pair_new(t, &p);
    for (i = 0; i < 2; i++) {
        send1(t, p.a, 0x20 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
              src->key, dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x20 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    }
    odp_db_write(h, p.cqa->uar, ODP_HCA_DB_CQ_CI,
                 odp_hca_db_value(p.cqa->cqn, 2));
    odp_eq_db(h, h->ceq->eqn, h->ceq->ci, true);
    odp_db_write(h, p.cqa->uar, ODP_HCA_DB_CQ_ARM,
                 odp_hca_db_value(p.cqa->cqn, 1));
    send1(t, p.a, 0x22, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x22, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, h->ceq, ODP_QUIET_ROUNDS);

    /* arming at the driver's own consumer counter is accepted */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 0x23, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x23, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    {
        struct odp_hca_eqe e;

        odp_eq_wait(h, h->ceq, &e);
        g_assert_cmpuint(e.type, ==, ODP_HCA_EV_COMPLETION);
        g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    }
    check_fresh_pair_works(t, 43);
    t_free(t);
}

static void test_bad_wqe(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    uint8_t data[256];
    OdpQpCfg cfg;
    OdpWr wr;
    Pair p;
    int i;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.max_send_sge = 2;       /* the 256-byte stride has room for more */
    buf_fill(t, dst, 0xee);
    odp_pattern(data, sizeof(data), 42);

    for (i = 0; i < 7; i++) {
        uint8_t status = ODP_HCA_WC_LOC_QP_OP_ERR;

        pair_new_cfg(t, &p, &cfg, NULL, NULL);
        wr1(&wr, 0x100 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
            dst->iova, dst->key);
        switch (i) {
        case 0:     /* num_sge > max_send_sge */
            odp_wr_sge(&wr, src->iova + 16, 16, src->key);
            odp_wr_sge(&wr, src->iova + 32, 16, src->key);
            break;
        case 1: {   /* num_sge 255 */
            struct odp_hca_wqe_ctrl ctrl = {
                .wr_id = wr.wr_id, .opcode = ODP_HCA_WQE_RDMA_WRITE,
                .flags = ODP_HCA_WQE_F_SIGNALED, .num_sge = 255,
                .remote_addr = dst->iova, .rkey = dst->key,
            };
            odp_post_send_raw(h, p.a, &ctrl, sizeof(ctrl));
            break;
        }
        case 2:     /* unknown opcode */
            wr.opcode = 0x7f;
            break;
        case 3:     /* inline longer than max_inline */
            wr.num_sge = 0;
            wr.inline_data = data;
            wr.inline_len = 129;
            status = ODP_HCA_WC_LOC_LEN_ERR;
            break;
        case 4: {   /* inline_len huge */
            struct odp_hca_wqe_ctrl ctrl = {
                .wr_id = wr.wr_id, .opcode = ODP_HCA_WQE_SEND,
                .flags = ODP_HCA_WQE_F_SIGNALED | ODP_HCA_WQE_F_INLINE,
                .inline_len = 0xffffffff,
            };
            odp_post_send_raw(h, p.a, &ctrl, sizeof(ctrl));
            status = ODP_HCA_WC_LOC_LEN_ERR;
            break;
        }
        case 5:     /* an SGE that wraps the address space */
            wr.sge[0].addr = UINT64_MAX - 0xfff;
            wr.sge[0].length = 0x2000;
            status = ODP_HCA_WC_LOC_PROT_ERR;
            break;
        case 6:     /* a remote range that wraps */
            wr.remote_addr = UINT64_MAX - 7;
            status = ODP_HCA_WC_REM_ACCESS_ERR;
            break;
        }
        if (i == 1 || i == 4) {
            odp_ring_sq(h, p.a);
        } else if (i == 3) {
            /* odp_post_send refuses to overflow the stride: build it */
            g_autofree uint8_t *buf = g_malloc0(1u << p.a->sq.log_stride);
            struct odp_hca_wqe_ctrl *ctrl = (void *)buf;

            ctrl->wr_id = wr.wr_id;
            ctrl->opcode = ODP_HCA_WQE_SEND;
            ctrl->flags = ODP_HCA_WQE_F_SIGNALED | ODP_HCA_WQE_F_INLINE;
            ctrl->inline_len = 129;
            memcpy(buf + sizeof(*ctrl), data, 129);
            odp_post_send_raw(h, p.a, buf, 1u << p.a->sq.log_stride);
            odp_ring_sq(h, p.a);
        } else {
            odp_send(h, p.a, &wr);
        }
        wait_cqe(t, p.cqa, &c, 0x100 + i, status, -1, p.a->qpn);
        wait_qp_err(t, p.a);
        g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
        quiet(t, p.cqb);
    }
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "malformed WQEs");
    eq_drain(t);
    check_fresh_pair_works(t, 43);
    t_free(t);
}

static void test_bad_pte(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *b[4];
    Pair p;
    int i;

    buf_fill(t, dst, 0xee);
    for (i = 0; i < 4; i++) {
        b[i] = g_new0(Buf, 1);
        b[i]->m = odp_mem_new(h, t_iova(t, ODP_PAGE), ODP_PAGE);
        b[i]->mr = odp_mr_new_pinned(h, t->pd, b[i]->m, ACC_ALL, 2);
        b[i]->iova = b[i]->m->iova;
        b[i]->size = ODP_PAGE;
        b[i]->key = b[i]->mr->key;
    }
    /* leaf with a reserved bit */
    odp_mr_set_pte(h, b[0]->mr, b[0]->iova, b[0]->m->pages[0] |
                   ODP_HCA_PTE_PRESENT | ODP_HCA_PTE_WRITABLE | 0x4);
    /* leaf pointing outside guest RAM */
    odp_mr_set_pte(h, b[1]->mr, b[1]->iova, ODP_BAD_ADDR |
                   ODP_HCA_PTE_PRESENT | ODP_HCA_PTE_WRITABLE);
    /* inner entry with a reserved bit */
    {
        uint64_t a = odp_mr_pte_addr(h, b[2]->mr, b[2]->iova, 1, false);

        odp_write64(h, a, odp_read64(h, a) | 0x100);
    }
    /* inner entry pointing outside guest RAM */
    {
        uint64_t a = odp_mr_pte_addr(h, b[3]->mr, b[3]->iova, 1, false);

        odp_write64(h, a, ODP_BAD_ADDR | ODP_HCA_PTE_PRESENT);
    }

    eq_drain(t);
    for (i = 0; i < 4; i++) {
        pair_new(t, &p);
        send1(t, p.a, 0x200 + i, ODP_HCA_WQE_RDMA_WRITE, b[i]->iova, 64,
              b[i]->key, dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x200 + i, ODP_HCA_WC_LOC_PROT_ERR, -1,
                 p.a->qpn);
        g_assert_cmpuint(c.vendor_err, ==, (i & 1) ? ODP_HCA_VERR_DMA :
                                                     ODP_HCA_VERR_PTE);
        wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);

        /* the same tables as the responder's: NAK access */
        pair_new(t, &p);
        send1(t, p.a, 0x210 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 64,
              dst->key, b[i]->iova, b[i]->key);
        wait_cqe(t, p.cqa, &c, 0x210 + i, ODP_HCA_WC_REM_ACCESS_ERR, -1,
                 p.a->qpn);
        g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
        eq_drain(t);
    }
    buf_check_fill(t, dst, 0, 0xee, ODP_PAGE, "bad translations");
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 44);
    t_free(t);
}

static void test_cq_overflow(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    OdpCq *scq = odp_cq_new(h, 2, NULL, 0);     /* 4 entries */
    OdpCq *rcq = odp_cq_new(h, 4, NULL, 0);
    OdpCq *cqb = odp_cq_new(h, 4, NULL, 0);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 45);
    bool cq_err = false, qp_fatal = false;
    OdpQpCfg cfg;
    OdpQp *a, *b;
    int i;

    scq->auto_ci = false;
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, scq, rcq);
    a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = cqb;
    b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, a, b->qpn, NULL);
    odp_qp_rc_connect(h, b, a->qpn, NULL);

    for (i = 0; i < 5; i++) {
        send1(t, a, 0x300 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova + i * 8, 8,
              src->key, dst->iova + i * 8, dst->key);
    }
    for (i = 0; i < 4; i++) {
        wait_cqe(t, scq, &c, 0x300 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, a->qpn);
    }
    for (i = 0; i < 2; i++) {
        odp_eq_wait(h, h->eq0, &e);
        if (e.type == ODP_HCA_EV_CQ_ERROR) {
            g_assert_cmpuint(e.obj, ==, scq->cqn);
            cq_err = true;
        } else {
            g_assert_cmpuint(e.type, ==, ODP_HCA_EV_QP_FATAL);
            g_assert_cmpuint(e.obj, ==, a->qpn);
            qp_fatal = true;
        }
    }
    g_assert_true(cq_err);
    g_assert_true(qp_fatal);
    g_assert_cmpuint(qp_state(t, a), ==, ODP_HCA_QPS_ERR);
    buf_check(t, dst, 0, data, 32, "WRITEs before the overflow");

    /* overflowed: no more CQEs, even with room again */
    odp_cq_db(h, scq, ODP_HCA_DB_CQ_CI);
    send1(t, a, 0x3ff, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    quiet(t, scq);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, scq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(qp_state(t, b), ==, ODP_HCA_QPS_RTS);
    check_fresh_pair_works(t, 46);
    t_free(t);
}

/* A full EQ keeps page-fault events pending until the ci moves. */
static void test_eq_full(void)
{
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[6];
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *src[6];
    uint8_t data[6][64];
    Pair p[6];
    int i, j, n = 0;

    for (i = 0; i < 6; i++) {
        pair_new(t, &p[i]);
        src[i] = buf_odp(t, ODP_PAGE, ACC_LW);
        odp_pattern(data[i], 64, 50 + i);
        buf_write(t, src[i], 0, data[i], 64);
    }
    h->eq0->auto_ci = false;
    for (i = 0; i < 6; i++) {
        send1(t, p[i].a, 0x400 + i, ODP_HCA_WQE_RDMA_WRITE, src[i]->iova, 64,
              src[i]->key, dst->iova + i * 64, dst->key);
    }
    while (n < 4) {
        odp_eq_wait(h, h->eq0, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    while (n < 6) {
        odp_eq_wait(h, h->eq0, &e[n++]);
    }
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);

    for (i = 0; i < 6; i++) {
        int found = -1;

        for (j = 0; j < 6; j++) {
            if (e[j].obj == p[i].a->qpn) {
                g_assert_cmpint(found, <, 0);
                found = j;
            }
        }
        g_assert_cmpint(found, >=, 0);
        check_fault(&e[found], p[i].a->qpn, src[i]->key, src[i]->iova, 64,
                    ODP_PAGE, ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
        for (j = 0; j < found; j++) {
            g_assert_cmphex(e[j].fault.token, !=, e[found].fault.token);
        }
        buf_map(t, src[i], src[i]->iova, ODP_PAGE, false);
        resume_ok(t, e[found].fault.token);
    }
    for (i = 0; i < 6; i++) {
        wait_cqe(t, p[i].cqa, &c, 0x400 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, p[i].a->qpn);
        buf_check(t, dst, i * 64, data[i], 64, "WRITE after a pending fault");
    }

    /* completion events that find their EQ full are dropped, not kept */
    {
        OdpEq *eqc = odp_eq_new(h, 2, ODP_VEC_FREE);
        OdpCq *cq = odp_cq_new(h, 4, eqc, 0);
        struct odp_hca_eqe ce;
        OdpQpCfg cfg;
        OdpQp *qp;

        eqc->auto_ci = false;
        odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
        qp = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        for (i = 0; i < 6; i++) {
            odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
            send1(t, qp, 0x500 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8,
                  dst->key, dst->iova + 1024, dst->key);
            wait_cqe(t, cq, &c, 0x500 + i, ODP_HCA_WC_SUCCESS,
                     ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
            odp_settle(h, 8);
        }
        for (i = 0; i < 4; i++) {
            odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, &ce);
            g_assert_cmpuint(ce.obj, ==, cq->cqn);
        }
        odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);
        odp_eq_db(h, eqc->eqn, eqc->ci, true);
        odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);
        /* with room again, the next event arrives */
        odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
        send1(t, qp, 0x506, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8, dst->key,
              dst->iova + 1024, dst->key);
        wait_cqe(t, cq, &c, 0x506, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
        odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, &ce);
        g_assert_cmpuint(ce.obj, ==, cq->cqn);
    }
    t_free(t);
}

static void test_bad_registers(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    QPCIDevice *dev = &h->dev;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    uint32_t base_lo = odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO);
    uint32_t base_hi = odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI);
    uint32_t ci = odp_reg_read(h, ODP_HCA_REG_CMDQ_CI);
    Pair p;

    /* wrong sizes on BAR 0: ignored */
    qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CTRL, 0);
    qpci_io_writeq(dev, h->bar0, ODP_HCA_REG_CMDQ_BASE_LO, ODP_BAD_ADDR);
    qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CMDQ_LOG_SIZE, 1);
    qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, ci + 3);
    (void)qpci_io_readb(dev, h->bar0, ODP_HCA_REG_MAGIC);
    (void)qpci_io_readw(dev, h->bar0, ODP_HCA_REG_STATUS + 2);
    (void)qpci_io_readq(dev, h->bar0, ODP_HCA_REG_MAGIC);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, ODP_HCA_STATUS_READY);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, base_lo);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, base_hi);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, ci);

    /* read-only and unknown registers */
    odp_reg_write(h, ODP_HCA_REG_MAGIC, 0);
    odp_reg_write(h, ODP_HCA_REG_VERSION, 0x77);
    odp_reg_write(h, ODP_HCA_REG_STATUS, 0);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_CI, 9);
    odp_reg_write(h, ODP_HCA_REG_NUM_UARS, 0);
    odp_reg_write(h, ODP_HCA_REG_NUM_VECTORS, 0);
    odp_reg_write(h, 0x100, 0xffffffff);
    odp_reg_write(h, 0xffc, 0xffffffff);
    (void)odp_reg_read(h, 0x100);
    (void)odp_reg_read(h, 0xffc);
    odp_reg_write(h, ODP_HCA_REG_EQ_DB, 0x00ff0000 | ODP_HCA_EQ_DB_ARM);
    odp_reg_write(h, ODP_HCA_REG_EQ_DB, 0x00050007);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_UARS), ==,
                     h->caps.num_uars);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_VECTORS), ==,
                     h->caps.num_vectors);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, ci);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);

    /* a 64-bit doorbell write to CMDQ_PI is ignored as a whole */
    {
        struct odp_hca_cmd cmd = {
            .opcode = ODP_HCA_CMD_NOP, .owner = ODP_HCA_CMD_OWNER_HW,
            .status = 0xee,
        };
        uint64_t entry = odp_cmdq_entry(h, h->cmd_pi);
        int i;

        odp_write(h, entry, &cmd, sizeof(cmd));
        h->cmd_pi++;
        qpci_io_writeq(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xff);
        for (i = 0; i < ODP_QUIET_ROUNDS; i++) {
            g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==,
                             (h->cmd_pi - 1) & 0xffff);
        }
        g_assert_cmpuint(qtest_readb(h->qts, entry + 3), ==,
                         ODP_HCA_CMD_OWNER_HW);
        odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        for (i = 0; i < ODP_POLL_MAX; i++) {
            if (qtest_readb(h->qts, entry + 3) == ODP_HCA_CMD_OWNER_SW) {
                break;
            }
        }
        g_assert_cmpint(i, <, ODP_POLL_MAX);
        g_assert_cmpuint(qtest_readb(h->qts, entry + 2), ==, ODP_HCA_CMD_OK);
    }

    /* wrong sizes on BAR 2: ignored */
    pair_new(t, &p);
    {
        OdpWr wr;

        wr1(&wr, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
            dst->iova, dst->key);
        odp_post_send(h, p.a, &wr);
    }
    qpci_io_writeq(dev, h->bar2, ODP_HCA_DB_SQ,
                   odp_hca_db_value(p.a->qpn, p.a->sq_pi));
    qpci_io_writew(dev, h->bar2, ODP_HCA_DB_SQ, p.a->sq_pi);
    qpci_io_writew(dev, h->bar2, ODP_HCA_DB_SQ + 2, p.a->qpn);
    qpci_io_writeb(dev, h->bar2, ODP_HCA_DB_SQ, p.a->sq_pi);
    (void)qpci_io_readl(dev, h->bar2, ODP_HCA_DB_SQ);
    quiet(t, p.cqa);
    odp_ring_sq(h, p.a);
    wait_cqe(t, p.cqa, &c, 0x1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    check_fresh_pair_works(t, 47);
    t_free(t);
}

/* An entry not owned by the device stops the queue; reset recovers. */
static void test_cmdq_owner(void)
{
    OdpHca *h = odp_hca_new(NULL);
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_NOP };
    uint64_t entry = odp_cmdq_entry(h, h->cmd_pi);
    int i;

    cmd.owner = ODP_HCA_CMD_OWNER_SW;
    cmd.status = 0xee;
    odp_write(h, entry, &cmd, sizeof(cmd));
    h->cmd_pi++;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
    for (i = 0; i < ODP_QUIET_ROUNDS; i++) {
        g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==,
                         (h->cmd_pi - 1) & 0xffff);
    }
    g_assert_cmpuint(qtest_readb(h->qts, entry + 2), ==, 0xee);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_FATAL, ==, 0);

    /* what restarts a stopped queue is unspecified: reset recovers it */
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_hca_bringup(h, 6);

    /* wrap the 32-entry ring a few times */
    for (i = 0; i < 100; i++) {
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    }
    odp_hca_stop(h);
}

/* Random commands and doorbells; the device answers and still works. */
static void garbage_cmd(OdpHca *h, GRand *r, uint64_t junk_pl,
                        uint64_t junk)
{
    struct odp_hca_cmd cmd;
    uint32_t *w = (uint32_t *)&cmd;
    size_t i;
    uint8_t st;

    for (i = 0; i < sizeof(cmd) / 4; i++) {
        w[i] = g_rand_int(r);
    }
    cmd.opcode = g_rand_int_range(r, 0, ODP_HCA_CMD_MAX + 2);
    switch (g_rand_int_range(r, 0, 4)) {
    case 0:     /* fully random payload */
        break;
    case 1:     /* small numbers: real handles, states, flags */
        for (i = 2; i < sizeof(cmd) / 4; i++) {
            w[i] = g_rand_int_range(r, 0, 20);
        }
        break;
    case 2:     /* rings in the junk area */
        cmd.create_qp.sq.page_list = junk_pl;
        cmd.create_qp.sq.npages = g_rand_int_range(r, 0, 5);
        cmd.create_qp.sq.log_entries = g_rand_int_range(r, 0, 8);
        cmd.create_qp.sq.log_stride = g_rand_int_range(r, 4, 10);
        cmd.create_qp.rq = cmd.create_qp.sq;
        cmd.create_qp.rq.page_list = junk_pl + 64;
        for (i = offsetof(struct odp_hca_cmd, create_qp.pdn) / 4;
             i < sizeof(cmd) / 4; i++) {
            w[i] = g_rand_int_range(r, 0, 8);
        }
        break;
    case 3:     /* MRs on junk tables, key indexes the harness never uses */
        cmd.create_mr.table = junk + g_rand_int_range(r, 0, 8) * ODP_PAGE;
        cmd.create_mr.levels = g_rand_int_range(r, 0, 6);
        cmd.create_mr.pdn = g_rand_int_range(r, 0, 4);
        cmd.create_mr.key = (g_rand_int_range(r, 512, 1024) << 8) |
                            g_rand_int_range(r, 0, 256);
        cmd.create_mr.length = g_rand_int_range(r, 0, 1 << 22);
        cmd.create_mr.flags = g_rand_int_range(r, 0, 4);
        break;
    }
    /* keep the harness's async EQ */
    if (cmd.opcode == ODP_HCA_CMD_DESTROY_EQ && cmd.destroy.handle == 0) {
        cmd.destroy.handle = 1;
    }
    st = odp_cmd_exec(h, &cmd);
    g_assert_cmpuint(st, <=, ODP_HCA_CMD_BAD_TOKEN);
}

static void garbage_doorbells(OdpHca *h, GRand *r)
{
    int i;

    for (i = 0; i < 16; i++) {
        uint32_t uar = g_rand_int_range(r, 1, h->caps.num_uars);
        uint32_t off = g_rand_int_range(r, 0, 8) * 4;

        odp_db_write(h, uar, off, g_rand_boolean(r) ? g_rand_int(r) :
                     odp_hca_db_value(g_rand_int_range(r, 0, 20),
                                      g_rand_int_range(r, 0, 70000)));
    }
    odp_eq_db(h, g_rand_int_range(r, 1, 256), g_rand_int(r),
              g_rand_boolean(r));
}

static void test_garbage(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    GRand *r = g_rand_new_with_seed(0x0dbca5e);
    uint64_t junk = odp_alloc(h, 16 * ODP_PAGE);
    uint64_t junk_pl = odp_alloc(h, ODP_PAGE);
    g_autofree uint8_t *bytes = g_malloc(16 * ODP_PAGE);
    int i;

    for (i = 0; i < 16 * ODP_PAGE; i++) {
        bytes[i] = g_rand_int(r);
    }
    odp_write(h, junk, bytes, 16 * ODP_PAGE);
    for (i = 0; i < 512; i++) {
        odp_write64(h, junk_pl + i * 8, junk + (i % 16) * ODP_PAGE);
    }

    for (i = 1; i <= 2000; i++) {
        garbage_cmd(h, r, junk_pl, junk);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
        if (i % 100 == 0) {
            garbage_doorbells(h, r);
            g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                            ODP_HCA_STATUS_READY);
            eq_drain(t);
            t->pd = odp_pd_new(h);
            check_fresh_pair_works(t, 100 + i);
        }
    }
    g_rand_free(r);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* Lifetimes, wrap-around, self-loops                                   */

/* A QP connected to itself: "possibly itself" in the specification. */
static void test_rc_self(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c, cs[2];
    OdpCq *cq = odp_cq_new(t->h, 6, NULL, 0);
    Buf *a = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    Buf *b = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, a, 60);
    const struct odp_hca_cqe *sc, *rc;
    OdpQpCfg cfg;
    OdpQp *qp;

    buf_fill(t, b, 0xee);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &cfg);
    odp_qp_rc_connect(t->h, qp, qp->qpn, NULL);

    post_recv1(t, qp, 0xb1, b->iova, 1000, b->key);
    send1(t, qp, 0xa1, ODP_HCA_WQE_SEND, a->iova + 3, 900, a->key, 0, 0);
    wait_cqes(t, cq, cs, 2);
    sc = find_cqe(cs, 2, 0xa1);
    rc = find_cqe(cs, 2, 0xb1);
    check_cqe(sc, 0xa1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, qp->qpn);
    check_cqe(rc, 0xb1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RECV, qp->qpn);
    g_assert_cmpuint(rc->src_qp, ==, qp->qpn);
    g_assert_cmpuint(rc->byte_len, ==, 900);
    buf_check(t, b, 0, data + 3, 900, "SEND to itself");

    send1(t, qp, 0xa2, ODP_HCA_WQE_RDMA_WRITE, a->iova, 5000, a->key,
          b->iova + 2000, b->key);
    wait_cqe(t, cq, &c, 0xa2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             qp->qpn);
    buf_check(t, b, 2000, data, 5000, "WRITE to itself");
    send1(t, qp, 0xa3, ODP_HCA_WQE_RDMA_READ, a->iova + 6000, 1500, a->key,
          b->iova + 2000, b->key);
    wait_cqe(t, cq, &c, 0xa3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             qp->qpn);
    buf_check(t, a, 6000, data, 1500, "READ from itself");
    t_free(t);
}

/* Small rings wrap many times: counters, indexes and owner bits. */
static void test_rc_ring_wrap(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpCq *cqa = odp_cq_new(h, 2, NULL, 0);     /* 4 CQEs */
    OdpCq *cqb = odp_cq_new(h, 2, NULL, 0);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, 4 * ODP_PAGE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 61);
    OdpQpCfg cfg;
    OdpQp *a, *b;
    int round, i;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cqa, cqa);
    cfg.sq_log = 2;
    cfg.rq_log = 2;
    a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = cqb;
    b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, a, b->qpn, NULL);
    odp_qp_rc_connect(h, b, a->qpn, NULL);

    for (round = 0; round < 12; round++) {
        for (i = 0; i < 4; i++) {
            uint32_t n = round * 4 + i;

            post_recv1(t, b, 0xb000 + n, dst->iova + i * ODP_PAGE, 256,
                       dst->key);
        }
        for (i = 0; i < 4; i++) {
            uint32_t n = round * 4 + i;
            OdpWr wr;

            wr1(&wr, 0xa000 + n, ODP_HCA_WQE_SEND, src->iova + n * 16,
                64 + i, src->key, 0, 0);
            odp_post_send(h, a, &wr);
        }
        odp_ring_sq(h, a);
        for (i = 0; i < 4; i++) {
            uint32_t n = round * 4 + i;

            wait_cqe(t, cqa, &c, 0xa000 + n, ODP_HCA_WC_SUCCESS,
                     ODP_HCA_CQE_SEND, a->qpn);
            g_assert_cmpuint(c.wqe_index, ==, i);
            g_assert_cmpuint(c.owner & 1, ==, (round & 1) ^ 1);
            wait_recv(t, cqb, &c, 0xb000 + n, ODP_HCA_CQE_RECV, b->qpn,
                      a->qpn, 64 + i);
            g_assert_cmpuint(c.wqe_index, ==, i);
            buf_check(t, dst, i * ODP_PAGE, data + n * 16, 64 + i,
                      "SEND through wrapped rings");
        }
    }
    quiet(t, cqa);
    quiet(t, cqb);

    /* a fault and flushes after the wrap report ring indexes too */
    {
        Buf *odp = buf_odp(t, ODP_PAGE, ACC_LW);
        uint32_t token;

        send1(t, a, 0xa100, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 16, odp->key,
              dst->iova, dst->key);
        send1(t, a, 0xa101, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
              dst->iova, dst->key);
        token = wait_fault(t, a->qpn, odp->key, odp->iova, 16, ODP_PAGE,
                           ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
        g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_FAIL), ==,
                         ODP_HCA_CMD_OK);
        wait_cqe(t, cqa, &c, 0xa100, ODP_HCA_WC_LOC_PROT_ERR, -1, a->qpn);
        g_assert_cmpuint(c.wqe_index, ==, 0);
        wait_cqe(t, cqa, &c, 0xa101, ODP_HCA_WC_WR_FLUSH_ERR, -1, a->qpn);
        g_assert_cmpuint(c.wqe_index, ==, 1);
        post_recv1(t, b, 0xb100, dst->iova, 16, dst->key);
        post_recv1(t, b, 0xb101, dst->iova, 16, dst->key);
        g_assert_cmpuint(odp_qp_to_state(h, b, ODP_HCA_QPS_ERR), ==,
                         ODP_HCA_CMD_OK);
        wait_cqe(t, cqb, &c, 0xb100, ODP_HCA_WC_WR_FLUSH_ERR, -1, b->qpn);
        g_assert_cmpuint(c.wqe_index, ==, 0);
        wait_cqe(t, cqb, &c, 0xb101, ODP_HCA_WC_WR_FLUSH_ERR, -1, b->qpn);
        g_assert_cmpuint(c.wqe_index, ==, 1);
    }
    t_free(t);
}

/* DESTROY_MR while a QP faults on it: refused, or the retry fails. */
static void test_odp_destroy_mr_faulting(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_odp(t, ODP_PAGE, ACC_LW);
    Buf *dst = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    Buf *pin = buf_pinned(t, ODP_PAGE, ACC_ALL);
    uint32_t token;
    uint8_t st, rs;
    Pair p, q;

    /* requester side */
    pair_new(t, &p);
    send1(t, p.a, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          pin->iova, pin->key);
    token = wait_fault(t, p.a->qpn, src->key, src->iova, 64, ODP_PAGE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    st = odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, src->key);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BUSY);
    buf_map(t, src, src->iova, ODP_PAGE, false);
    rs = odp_resume(t->h, token, ODP_HCA_RESUME_OK);
    if (st == ODP_HCA_CMD_OK) {
        /* the MR is gone: the WQE must not succeed through it */
        g_assert_true(rs == ODP_HCA_CMD_OK || rs == ODP_HCA_CMD_BAD_TOKEN);
        wait_cqe(t, p.cqa, &c, 0x1, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    } else {
        g_assert_cmpuint(rs, ==, ODP_HCA_CMD_OK);
        wait_cqe(t, p.cqa, &c, 0x1, ODP_HCA_WC_SUCCESS, -1, p.a->qpn);
    }

    /* responder side */
    eq_drain(t);
    pair_new(t, &q);
    send1(t, q.a, 0x2, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 64, pin->key,
          dst->iova, dst->key);
    token = wait_fault(t, q.b->qpn, dst->key, dst->iova, 64, ODP_PAGE,
                       ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, -1);
    st = odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, dst->key);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BUSY);
    buf_map(t, dst, dst->iova, ODP_PAGE, true);
    rs = odp_resume(t->h, token, ODP_HCA_RESUME_OK);
    g_assert_true(rs == ODP_HCA_CMD_OK ||
                  (st == ODP_HCA_CMD_OK && rs == ODP_HCA_CMD_BAD_TOKEN));
    wait_cqe_clock(t, q.cqa, &c, 0x2, st == ODP_HCA_CMD_OK ?
                   ODP_HCA_WC_REM_ACCESS_ERR : ODP_HCA_WC_SUCCESS, -1,
                   q.a->qpn, RNR_STEP, RNR_STEPS);
    eq_drain(t);
    check_fresh_pair_works(t, 62);
    t_free(t);
}

/* QPs destroyed or reset while their retry timers are armed. */
static void test_err_destroy_peer(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Pair p, q, r;
    int64_t el;

    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    aa.timeout = 4;             /* 65.5 us */
    aa.retry_cnt = 1;
    ab.min_rnr_timer = 10;      /* 0.32 ms */

    /* the responder disappears while the requester waits for RNR */
    pair_new2(t, &p, &aa, &ab);
    send1(t, p.a, 0x1, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    quiet(t, p.cqa);
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_QP, p.b->qpn), ==,
                     ODP_HCA_CMD_OK);
    el = wait_cqe_clock(t, p.cqa, &c, 0x1, ODP_HCA_WC_RETRY_EXC_ERR, -1,
                        p.a->qpn, 20000, 10000);
    g_assert_cmpint(el, >=, odp_rnr_timer_ns(10));

    /* the requester disappears, or is reset, with its timer armed */
    pair_new2(t, &q, &aa, &ab);
    pair_new2(t, &r, &aa, &ab);
    send1(t, q.a, 0x2, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    send1(t, r.a, 0x3, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    quiet(t, q.cqa);
    quiet(t, r.cqa);
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_QP, q.a->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_qp_to_state(t->h, r.a, ODP_HCA_QPS_RESET), ==,
                     ODP_HCA_CMD_OK);
    odp_clock_step(t->h, 10 * odp_rnr_timer_ns(10));
    odp_settle(t->h, 32);
    quiet(t, r.cqa);
    g_assert_cmpuint(qp_state(t, r.a), ==, ODP_HCA_QPS_RESET);
    g_assert_cmpuint(qp_state(t, q.b), ==, ODP_HCA_QPS_RTS);

    /* a new QP may take the destroyed number; the reset one works again */
    check_fresh_pair_works(t, 63);
    odp_qp_rc_connect(t->h, r.a, r.b->qpn, NULL);
    post_recv1(t, r.b, 0xb4, src->iova + 2048, 64, src->key);
    send1(t, r.a, 0x4, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
    odp_cq_wait(t->h, r.cqa, &c);
    if (c.wr_id == 0x3) {
        /* whether RESET completes outstanding WQEs is unspecified */
        check_cqe(&c, 0x3, ODP_HCA_WC_WR_FLUSH_ERR, -1, r.a->qpn);
        odp_cq_wait(t->h, r.cqa, &c);
    }
    check_cqe(&c, 0x4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, r.a->qpn);
    t_free(t);
}

/* CTRL.RESET / FLR while RNR and ACK timers are armed, then time moves. */
static void test_reset_timers(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    OdpQpCfg cfg;
    OdpQp *lone;
    Pair p;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        odp_rc_attr_init(&aa);
        odp_rc_attr_init(&ab);
        aa.timeout = 6;
        ab.min_rnr_timer = 12;
        pair_new2(t, &p, &aa, &ab);
        send1(t, p.a, 0x1, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
        odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, p.cqb, p.cqb);
        lone = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, lone, h->caps.max_qps - 1, &aa);
        send1(t, lone, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
              src->iova + 64, src->key);
        quiet(t, p.cqa);
        quiet(t, p.cqb);

        if (pass == 0) {
            odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
        } else {
            uint8_t pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
            uint16_t ctl = qpci_config_readw(&h->dev, pcie + PCI_EXP_DEVCTL);

            qpci_config_writew(&h->dev, pcie + PCI_EXP_DEVCTL,
                               ctl | PCI_EXP_DEVCTL_BCR_FLR);
        }
        odp_clock_step(h, 100 * 1000 * 1000ll);
        odp_hca_pci_setup(h);
        odp_hca_wait_reset(h);
        odp_clock_step(h, 100 * 1000 * 1000ll);
        odp_hca_bringup(h, 6);
        t->pd = odp_pd_new(h);
        src = buf_pinned(t, ODP_PAGE, ACC_ALL);
        odp_clock_step(h, 100 * 1000 * 1000ll);
        check_fresh_pair_works(t, 64 + pass);
    }
    t_free(t);
}

/* The device's own BARs as DMA targets: nothing may break. */
static void test_dma_to_self(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    struct odp_hca_cqe c;
    uint64_t bars[2] = { h->bar0.addr, h->bar2.addr };
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    OdpRing r;
    uint8_t st;
    int i;

    for (i = 0; i < 2; i++) {
        OdpMr *mr;
        Pair p;

        /* QUERY_DEVICE writing the caps into the registers / doorbells */
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_QUERY_DEVICE;
        cmd.query_device.caps_addr = bars[i];
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR);

        /* a page list read from the BAR */
        odp_ring_init(h, &r, 4, 5);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
        odp_ring_desc(&r, &cmd.create_cq.ring);
        cmd.create_cq.ring.page_list = bars[i];
        cmd.create_cq.eqn = h->ceq->eqn;
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);

        /* a CQ whose ring is the BAR page, used by a QP */
        odp_write64(h, r.page_list, bars[i]);
        odp_ring_desc(&r, &cmd.create_cq.ring);
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);
        if (st == ODP_HCA_CMD_OK) {
            OdpCq *bad = g_new0(OdpCq, 1);
            OdpQpCfg cfg;
            OdpQp *qp;

            bad->cqn = cmd.create_cq.cqn;
            bad->ring = r;
            odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, bad, bad);
            qp = odp_qp_new(h, &cfg);
            odp_qp_rc_connect(h, qp, qp->qpn, NULL);
            odp_db_write(h, 0, ODP_HCA_DB_CQ_ARM,
                         odp_hca_db_value(bad->cqn, 0));
            send1(t, qp, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16,
                  src->key, src->iova + 64, src->key);
            odp_settle(h, ODP_QUIET_ROUNDS);
        }

        /* an MR whose page is the BAR: remote WRITE into it, READ from it */
        mr = odp_mr_prepare(h, t->pd, 0x40000000, ODP_PAGE, 1, ACC_ALL, 0);
        odp_mr_map_page(h, mr, 0x40000000, bars[i], true);
        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
        pair_new(t, &p);
        send1(t, p.a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
              0x40000000 + ODP_HCA_REG_CTRL, mr->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x2);
        pair_new(t, &p);
        send1(t, p.a, 0x3, ODP_HCA_WQE_RDMA_READ, src->iova, 64, src->key,
              0x40000000, mr->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x3);
        pair_new(t, &p);
        send1(t, p.a, 0x4, ODP_HCA_WQE_RDMA_WRITE, 0x40000000, 64, mr->key,
              src->iova, src->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x4);

        /* the device is still itself */
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==,
                        ODP_HCA_MAGIC);
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                        ODP_HCA_STATUS_READY);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
        eq_drain(t);
        odp_eq_drain(h, h->ceq);
        check_fresh_pair_works(t, 70 + i);
    }

    /* a command ring in the register BAR */
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_LO, (uint32_t)h->bar0.addr);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_HI, h->bar0.addr >> 32);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_LOG_SIZE, 5);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_ENABLE);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, 1);
    odp_settle(h, ODP_QUIET_ROUNDS);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    check_fresh_pair_works(t, 72);
    t_free(t);
}

/*
 * An MSI-X vector aimed at the device's own CTRL register with the data
 * CTRL.RESET: raising it is a write of RESET to CTRL.  The device may then
 * reset itself or not (a write while it is busy may be dropped), but QEMU
 * must survive, and the device must work after a new bring-up.
 *
 * The completion that raises the vector comes from an ACK timeout (the
 * requester gives up when its retry timer runs out), from an exhausted RNR
 * retry, or from a plain successful SEND.  The first used to crash QEMU:
 * the retry timer callback completed the WQE outside the device's
 * re-entrancy guard, the reset freed the QP's timer mid-completion, and
 * the completion went on with timer_del(NULL).
 */
enum {
    MSIX_SELF_ACK_TIMEOUT,
    MSIX_SELF_RNR_EXCEEDED,
    MSIX_SELF_SEND,
    MSIX_SELF_N,
};

static void msix_to_self_one(int variant)
{
    static const char *const names[MSIX_SELF_N] = {
        "ACK timeout", "RNR retries exhausted", "SEND",
    };
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    const uint16_t vec = ODP_VEC_FREE;
    OdpEq *eq = odp_eq_new(h, 4, vec);
    OdpCq *cq = odp_cq_new(h, 6, eq, 0);      /* a's CQ: raises vec */
    OdpCq *other = odp_cq_new(h, 6, NULL, 0);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    OdpRcAttr aa, ab;
    OdpQpCfg cfg;
    OdpQp *qa, *qb, *qc;
    uint8_t status = ODP_HCA_WC_SUCCESS;
    int opcode = -1;
    bool got = false, reset;
    int i;

    odp_diag("msix-to-self: %s", names[variant]);
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qa = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = other;
    qb = odp_qp_new(h, &cfg);

    switch (variant) {
    case MSIX_SELF_ACK_TIMEOUT:
        /* b is connected to c, not back to a: a's request is dropped */
        aa.timeout = 3;             /* 32.8 us */
        aa.retry_cnt = 0;
        qc = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qc->qpn, &ab);
        status = ODP_HCA_WC_RETRY_EXC_ERR;
        break;
    case MSIX_SELF_RNR_EXCEEDED:
        /* no receive at b: RNR NAK, one retry after 10 us, then give up */
        aa.rnr_retry = 1;
        ab.min_rnr_timer = 1;
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qa->qpn, &ab);
        status = ODP_HCA_WC_RNR_RETRY_EXC_ERR;
        break;
    default:
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qa->qpn, &ab);
        post_recv1(t, qb, 0xb1, dst->iova, 256, dst->key);
        opcode = ODP_HCA_CQE_SEND;
        break;
    }

    /* the next completion on cq raises vec: a write of RESET to CTRL */
    odp_eq_db(h, eq->eqn, eq->ci, true);
    odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
    g_assert_false(odp_msix_pending(h, vec));
    odp_msix_aim(h, vec, h->bar0.addr + ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET,
                 false);

    if (variant == MSIX_SELF_ACK_TIMEOUT) {
        send1(t, qa, 0x61, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
              dst->iova, dst->key);
    } else {
        send1(t, qa, 0x61, ODP_HCA_WQE_SEND, src->iova, 64, src->key, 0, 0);
    }

    /* the completion, or the reset it caused (bounded, virtual time) */
    for (i = 0; i < 2000; i++) {
        if (!(odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_READY)) {
            break;
        }
        if (odp_cq_poll(h, cq, &c)) {
            got = true;
            break;
        }
        odp_clock_step(h, 4000);
    }
    odp_clock_step(h, 10 * 1000 * 1000ll);  /* whatever timers are left */
    g_assert_true(qtest_probe_child(h->qts));
    reset = !(odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_READY);
    odp_diag("msix-to-self: %s: %s", names[variant],
             reset ? "the device reset itself" : "no reset");
    if (!got && !reset) {
        odp_diag("msix-to-self: %s: no completion on CQ %u and no reset",
                 names[variant], cq->cqn);
    }
    g_assert_true(got || reset);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);

    if (reset) {
        /* the MSI-X table is the guest's: point the vector back */
        odp_hca_pci_setup(h);
        odp_hca_wait_reset(h);
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==,
                        ODP_HCA_MAGIC);
        odp_hca_bringup(h, 6);
        t->pd = odp_pd_new(h);
    } else {
        /* the completion did come, and its event raised the vector */
        check_cqe(&c, 0x61, status, opcode, qa->qpn);
        odp_msix_restore(h, vec);
        odp_eq_wait(h, eq, &e);
        g_assert_cmpuint(e.type, ==, ODP_HCA_EV_COMPLETION);
        g_assert_cmpuint(e.obj, ==, cq->cqn);
        if (variant == MSIX_SELF_SEND) {
            wait_recv(t, other, &c, 0xb1, ODP_HCA_CQE_RECV, qb->qpn,
                      qa->qpn, 64);
        }
        eq_drain(t);
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 80 + variant);
    g_assert_true(qtest_probe_child(h->qts));
    t_free(t);
}

static void test_msix_to_self(void)
{
    int v;

    for (v = 0; v < MSIX_SELF_N; v++) {
        msix_to_self_one(v);
    }
}

/* Huge and wrapping INVALIDATE ranges complete promptly. */
static void test_invalidate_ranges(void)
{
    T *t = t_new(NULL);
    OdpMr *imr = odp_mr_new_implicit(t->h, t->pd, ACC_ALL);
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    uint32_t n;
    uint8_t st;
    Pair p;

    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 16, dst, 0);
    /* the whole 64-bit space of one key, through the implicit MR too */
    g_assert_cmpuint(odp_invalidate(t->h, dst->key, 0, UINT64_MAX, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(odp_invalidate(t->h, imr->key, 0, 1ull << 48, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpuint(odp_invalidate(t->h, imr->key, 0, UINT64_MAX, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    /* a range that wraps: refused or clamped, but answered */
    st = odp_invalidate(t->h, src->key, UINT64_MAX - 4095, 1ull << 40, 0,
                        &n);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(odp_nop(t->h), ==, ODP_HCA_CMD_OK);
    write_and_wait(t, &p, 2, src, 0, 16, dst, 0);
    t_free(t);
}

/* Ring pages outside guest RAM: the QPs fail, the device carries on. */
static void test_bad_ring_pages(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpQpCfg cfg_dummy;
    struct odp_hca_cmd cmd;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    OdpRing r;
    uint8_t st;
    int i;

    /* an EQ whose page is not RAM, and an armed CQ on it */
    odp_ring_init(h, &r, 4, 5);
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_EQ;
    odp_ring_desc(&r, &cmd.create_eq.ring);
    cmd.create_eq.vector = ODP_VEC_FREE;
    st = odp_cmd_exec(h, &cmd);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                  st == ODP_HCA_CMD_BAD_PARAM);
    if (st == ODP_HCA_CMD_OK) {
        OdpEq *eq = g_new0(OdpEq, 1);
        Pair p;

        eq->eqn = cmd.create_eq.eqn;
        eq->ring = r;
        p.cqa = odp_cq_new(h, 4, eq, 0);
        p.cqb = odp_cq_new(h, 4, eq, 0);
        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, p.cqa, p.cqa);
        p.a = odp_qp_new(h, &cfg_dummy);
        cfg_dummy.scq = cfg_dummy.rcq = p.cqb;
        p.b = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, p.a, p.b->qpn, NULL);
        odp_qp_rc_connect(h, p.b, p.a->qpn, NULL);
        for (i = 0; i < 3; i++) {
            odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
            send1(t, p.a, 0x10 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
                  src->key, src->iova + 64, src->key);
            wait_cqe(t, p.cqa, &c, 0x10 + i, ODP_HCA_WC_SUCCESS,
                     ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
        }
    }

    /* a CQ whose page is not RAM, used by a QP pair */
    odp_ring_init(h, &r, 4, 5);
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
    odp_ring_desc(&r, &cmd.create_cq.ring);
    cmd.create_cq.eqn = h->ceq->eqn;
    st = odp_cmd_exec(h, &cmd);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                  st == ODP_HCA_CMD_BAD_PARAM);
    if (st == ODP_HCA_CMD_OK) {
        OdpCq *bad = g_new0(OdpCq, 1);
        OdpQp *qp;

        bad->cqn = cmd.create_cq.cqn;
        bad->ring = r;
        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, bad, bad);
        qp = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        for (i = 0; i < 3; i++) {
            send1(t, qp, 0x20 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
                  src->key, src->iova + 64, src->key);
        }
        odp_settle(h, ODP_QUIET_ROUNDS);
    }

    /* a QP whose send queue page is not RAM */
    {
        OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
        OdpQp *qp;

        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, cq, cq);
        qp = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        /* the page list was read at creation: changing it does nothing */
        odp_write64(h, qp->sq.page_list, ODP_BAD_ADDR);
        send1(t, qp, 0x30, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
              src->iova + 64, src->key);
        wait_cqe(t, cq, &c, 0x30, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
                 qp->qpn);
    }
    {
        OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
        OdpRing rq;

        odp_ring_init(h, &r, 4, 8);
        odp_ring_init(h, &rq, 4, 7);
        odp_write64(h, r.page_list, ODP_BAD_ADDR);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_QP;
        odp_ring_desc(&r, &cmd.create_qp.sq);
        odp_ring_desc(&rq, &cmd.create_qp.rq);
        cmd.create_qp.pdn = t->pd;
        cmd.create_qp.send_cqn = cq->cqn;
        cmd.create_qp.recv_cqn = cq->cqn;
        cmd.create_qp.srqn = ODP_HCA_NO_SRQ;
        cmd.create_qp.type = ODP_HCA_QPT_RC;
        cmd.create_qp.max_send_sge = 4;
        cmd.create_qp.max_recv_sge = 4;
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);
        if (st == ODP_HCA_CMD_OK) {
            OdpQp qp = {
                .qpn = cmd.create_qp.qpn, .sq = r, .rq = rq,
                .type = ODP_HCA_QPT_RC,
            };

            /* the WQE cannot be fetched: no success, no crash */
            odp_qp_rc_connect(h, &qp, qp.qpn, NULL);
            qp.sq_pi = 3;
            odp_ring_sq(h, &qp);
            odp_settle(h, ODP_QUIET_ROUNDS);
            while (odp_cq_poll(h, cq, &c)) {
                g_assert_cmpuint(c.status, !=, ODP_HCA_WC_SUCCESS);
            }
        }
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    eq_drain(t);
    check_fresh_pair_works(t, 73);
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 12. The monitor: query-odp-hca, info odp-hca, injection, IOTLB flush */

/*
 * A generic check of a QMP value against the schema QEMU itself reports
 * (query-qmp-schema): objects (every required member present, no
 * unknown member, optional members checked when present, flat-union
 * variants), alternates, arrays, enums (the value is one of the enum's
 * members) and builtins by their JSON type.  Introspection reports
 * every integer type as "int", so the declared widths (uint32, uint64)
 * are checked by mon_decode() below, with the visitors QEMU generates
 * from the same schema.
 */
typedef struct QmpSchema {
    QDict *rsp;
    GHashTable *types;          /* name -> SchemaInfo (owned by rsp) */
} QmpSchema;

static QmpSchema *schema_load(QTestState *qts)
{
    QmpSchema *s = g_new0(QmpSchema, 1);
    QListEntry *e;
    QList *list;

    s->rsp = qtest_qmp(qts, "{ 'execute': 'query-qmp-schema' }");
    list = qdict_get_qlist(s->rsp, "return");
    g_assert(list);
    s->types = g_hash_table_new(g_str_hash, g_str_equal);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        g_assert(d);
        g_hash_table_insert(s->types, (gpointer)qdict_get_str(d, "name"), d);
    }
    return s;
}

static void schema_free(QmpSchema *s)
{
    g_hash_table_destroy(s->types);
    qobject_unref(s->rsp);
    g_free(s);
}

static QDict *schema_type(QmpSchema *s, const char *name)
{
    QDict *t = g_hash_table_lookup(s->types, name);

    if (!t) {
        odp_diag("schema: no entity named '%s'", name);
    }
    g_assert(t);
    return t;
}

static const char *schema_ret_type(QmpSchema *s, const char *command)
{
    QDict *c = schema_type(s, command);

    g_assert_cmpstr(qdict_get_str(c, "meta-type"), ==, "command");
    return qdict_get_str(c, "ret-type");
}

static void G_GNUC_PRINTF(3, 4) schema_err(GString *errs, const char *path,
                                           const char *fmt, ...)
{
    va_list ap;

    g_string_append_printf(errs, "%s: ", path);
    va_start(ap, fmt);
    g_string_append_vprintf(errs, fmt, ap);
    va_end(ap);
    g_string_append_c(errs, '\n');
}

static bool schema_check(QmpSchema *s, const char *type, QObject *v,
                         const char *path, GString *errs);

/* The members of object type @t (and of its variants) found in @d. */
static bool schema_check_members(QmpSchema *s, QDict *t, QDict *d,
                                 const char *path, GString *errs,
                                 GHashTable *known)
{
    QList *members = qdict_get_qlist(t, "members");
    const char *tag = qdict_get_try_str(t, "tag");
    QListEntry *e;
    bool ok = true;

    g_assert(members);
    QLIST_FOREACH_ENTRY(members, e) {
        QDict *m = qobject_to(QDict, qlist_entry_obj(e));
        const char *name = qdict_get_str(m, "name");
        QObject *mv = qdict_get(d, name);
        g_autofree char *sub = g_strdup_printf("%s.%s", path, name);

        g_hash_table_add(known, (gpointer)name);
        if (!mv) {
            /* introspection marks optional members with "default" */
            if (!qdict_haskey(m, "default")) {
                schema_err(errs, sub, "required member missing");
                ok = false;
            }
            continue;
        }
        ok &= schema_check(s, qdict_get_str(m, "type"), mv, sub, errs);
    }
    if (tag) {
        QString *tv = qobject_to(QString, qdict_get(d, tag));
        QList *variants = qdict_get_qlist(t, "variants");

        QLIST_FOREACH_ENTRY(variants, e) {
            QDict *var = qobject_to(QDict, qlist_entry_obj(e));

            if (tv && !strcmp(qdict_get_str(var, "case"),
                              qstring_get_str(tv))) {
                ok &= schema_check_members(s, schema_type(s,
                                           qdict_get_str(var, "type")),
                                           d, path, errs, known);
            }
        }
    }
    return ok;
}

static bool schema_check(QmpSchema *s, const char *type, QObject *v,
                         const char *path, GString *errs)
{
    QDict *t = schema_type(s, type);
    const char *meta = qdict_get_str(t, "meta-type");
    QListEntry *e;

    if (!strcmp(meta, "builtin")) {
        const char *jt = qdict_get_str(t, "json-type");
        QNum *n = qobject_to(QNum, v);
        int64_t i;
        uint64_t u;
        bool ok;

        if (!strcmp(jt, "value")) {
            ok = true;
        } else if (!strcmp(jt, "string")) {
            ok = qobject_type(v) == QTYPE_QSTRING;
        } else if (!strcmp(jt, "boolean")) {
            ok = qobject_type(v) == QTYPE_QBOOL;
        } else if (!strcmp(jt, "null")) {
            ok = qobject_type(v) == QTYPE_QNULL;
        } else if (!strcmp(jt, "number")) {
            ok = n != NULL;
        } else if (!strcmp(jt, "int")) {
            ok = n && (qnum_get_try_int(n, &i) || qnum_get_try_uint(n, &u));
        } else if (!strcmp(jt, "object")) {
            ok = qobject_type(v) == QTYPE_QDICT;
        } else if (!strcmp(jt, "array")) {
            ok = qobject_type(v) == QTYPE_QLIST;
        } else {
            schema_err(errs, path, "unknown json-type '%s'", jt);
            return false;
        }
        if (!ok) {
            g_autoptr(GString) js = qobject_to_json(v);

            schema_err(errs, path, "%s is not a %s (%s)", js->str, jt, type);
        }
        return ok;
    }
    if (!strcmp(meta, "enum")) {
        QString *str = qobject_to(QString, v);
        QList *members = qdict_get_qlist(t, "members");

        if (!str) {
            schema_err(errs, path, "enum %s: not a string", type);
            return false;
        }
        QLIST_FOREACH_ENTRY(members, e) {
            QDict *m = qobject_to(QDict, qlist_entry_obj(e));

            if (!strcmp(qdict_get_str(m, "name"), qstring_get_str(str))) {
                return true;
            }
        }
        schema_err(errs, path, "'%s' is not a member of enum %s",
                   qstring_get_str(str), type);
        return false;
    }
    if (!strcmp(meta, "array")) {
        QList *l = qobject_to(QList, v);
        const char *et = qdict_get_str(t, "element-type");
        bool ok = true;
        int idx = 0;

        if (!l) {
            schema_err(errs, path, "not an array (%s)", type);
            return false;
        }
        QLIST_FOREACH_ENTRY(l, e) {
            g_autofree char *sub = g_strdup_printf("%s[%d]", path, idx++);

            ok &= schema_check(s, et, qlist_entry_obj(e), sub, errs);
        }
        return ok;
    }
    if (!strcmp(meta, "object")) {
        QDict *d = qobject_to(QDict, v);
        g_autoptr(GHashTable) known = NULL;
        const QDictEntry *de;
        bool ok;

        if (!d) {
            schema_err(errs, path, "not an object (%s)", type);
            return false;
        }
        known = g_hash_table_new(g_str_hash, g_str_equal);
        ok = schema_check_members(s, t, d, path, errs, known);
        for (de = qdict_first(d); de; de = qdict_next(d, de)) {
            if (!g_hash_table_contains(known, qdict_entry_key(de))) {
                schema_err(errs, path, "unknown member '%s'",
                           qdict_entry_key(de));
                ok = false;
            }
        }
        return ok;
    }
    if (!strcmp(meta, "alternate")) {
        QList *members = qdict_get_qlist(t, "members");

        QLIST_FOREACH_ENTRY(members, e) {
            QDict *m = qobject_to(QDict, qlist_entry_obj(e));
            g_autoptr(GString) scratch = g_string_new("");

            if (schema_check(s, qdict_get_str(m, "type"), v, path, scratch)) {
                return true;
            }
        }
        schema_err(errs, path, "matches no branch of alternate %s", type);
        return false;
    }
    schema_err(errs, path, "unexpected meta-type '%s' of %s", meta, type);
    return false;
}

/* @v against the return type of @command; the errors are in @errs. */
static bool schema_check_ret(QmpSchema *s, const char *command, QObject *v,
                             GString *errs)
{
    return schema_check(s, schema_ret_type(s, command), v, "return", errs);
}

/*
 * Decode a query-odp-hca return value with the visitors QEMU generates
 * from qapi/odp-hca.json (strict: a missing or unknown member, a wrong
 * type, an enum value not in the enum, an integer outside its declared
 * width are errors) and encode it back: the result must be what was
 * received, so that for instance no negative number stood for a uint64.
 */
static OdpHcaInfoList *mon_decode(QObject *ret)
{
    OdpHcaInfoList *list = NULL;
    Error *err = NULL;
    QObject *back = NULL;
    Visitor *v;
    bool ok;

    v = qobject_input_visitor_new(ret);
    ok = visit_type_OdpHcaInfoList(v, NULL, &list, &err);
    visit_free(v);
    if (!ok) {
        odp_diag("query-odp-hca: the return value does not decode: %s",
                 error_get_pretty(err));
        error_free(err);
    }
    g_assert_true(ok);

    v = qobject_output_visitor_new(&back);
    visit_type_OdpHcaInfoList(v, NULL, &list, &error_abort);
    visit_complete(v, &back);
    visit_free(v);
    if (!qobject_is_equal(back, ret)) {
        g_autoptr(GString) a = qobject_to_json(ret);
        g_autoptr(GString) b = qobject_to_json(back);

        odp_diag("query-odp-hca: received %s\n  re-encoded %s", a->str,
                 b->str);
    }
    g_assert_true(qobject_is_equal(back, ret));
    qobject_unref(back);
    return list;
}

/* The schema check and the typed decoding, for a return value. */
static void mon_validate(QTestState *qts, QObject *ret)
{
    QmpSchema *s = schema_load(qts);
    g_autoptr(GString) errs = g_string_new("");
    bool ok = schema_check_ret(s, "query-odp-hca", ret, errs);

    if (!ok || errs->len) {
        odp_diag("query-odp-hca does not match the schema:\n%s", errs->str);
    }
    g_assert_true(ok);
    g_assert_cmpuint(errs->len, ==, 0);
    schema_free(s);
    qapi_free_OdpHcaInfoList(mon_decode(ret));
}

/* query-odp-hca [id]: the return value (a new reference). */
static QObject *mon_query_raw(QTestState *qts, const char *id)
{
    QDict *rsp;
    QObject *ret;

    if (id) {
        rsp = qtest_qmp(qts, "{ 'execute': 'query-odp-hca',"
                        " 'arguments': { 'id': %s } }", id);
    } else {
        rsp = qtest_qmp(qts, "{ 'execute': 'query-odp-hca' }");
    }
    ret = qdict_get(rsp, "return");
    if (!ret) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("query-odp-hca: %s", js->str);
    }
    g_assert(ret);
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

static OdpHcaInfoList *mon_query(QTestState *qts, const char *id)
{
    QObject *ret = mon_query_raw(qts, id);
    OdpHcaInfoList *list = mon_decode(ret);

    qobject_unref(ret);
    return list;
}

/* The state of the only odp-hca device. */
static OdpHcaInfoList *mon_query1(T *t)
{
    OdpHcaInfoList *list = mon_query(t->h->qts, NULL);

    g_assert(list);
    g_assert_null(list->next);
    return list;
}

/* @rsp is an error of class @cls (consumed). */
static void mon_assert_error(QDict *rsp, const char *cls)
{
    QDict *err = qdict_get_qdict(rsp, "error");

    if (!err || g_strcmp0(qdict_get_try_str(err, "class"), cls)) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("expected an error of class %s, got %s", cls, js->str);
    }
    g_assert(err);
    g_assert_cmpstr(qdict_get_try_str(err, "class"), ==, cls);
    g_assert_nonnull(qdict_get_try_str(err, "desc"));
    qobject_unref(rsp);
}

static void mon_assert_ok(QDict *rsp)
{
    if (!qdict_haskey(rsp, "return")) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("expected success, got %s", js->str);
    }
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static void mon_reset_stats(T *t)
{
    mon_assert_ok(qtest_qmp(t->h->qts,
                            "{ 'execute': 'odp-hca-reset-stats' }"));
}

/* Every QMP command that takes an odp-hca id, with @id. */
static void mon_assert_id_error(QTestState *qts, const char *id,
                                const char *cls)
{
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'query-odp-hca',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-inject-faults',"
                               " 'arguments': { 'id': %s, 'every': 2 } }",
                               id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-flush-iotlb',"
                               " 'arguments': { 'id': %s } }", id), cls);
}

/* A QOM property of the device at @path, as an integer. */
static int64_t mon_qom_int(QTestState *qts, const char *path,
                           const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                           " { 'path': %s, 'property': %s } }", path, prop);
    int64_t v = qdict_get_int(rsp, "return");

    qobject_unref(rsp);
    return v;
}

static char *mon_qom_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                           " { 'path': %s, 'property': %s } }", path, prop);
    char *v = g_strdup(qdict_get_str(rsp, "return"));

    qobject_unref(rsp);
    return v;
}

/* Command names, as the device specification spells them. */
static const char *const mon_cmd_names[ODP_HCA_CMD_MAX] = {
#define CMD_NAME(x) [ODP_HCA_CMD_##x] = #x
    CMD_NAME(NOP), CMD_NAME(QUERY_DEVICE), CMD_NAME(CREATE_EQ),
    CMD_NAME(DESTROY_EQ), CMD_NAME(CREATE_PD), CMD_NAME(DESTROY_PD),
    CMD_NAME(CREATE_CQ), CMD_NAME(DESTROY_CQ), CMD_NAME(CREATE_SRQ),
    CMD_NAME(MODIFY_SRQ), CMD_NAME(DESTROY_SRQ), CMD_NAME(CREATE_QP),
    CMD_NAME(MODIFY_QP), CMD_NAME(QUERY_QP), CMD_NAME(DESTROY_QP),
    CMD_NAME(CREATE_MR), CMD_NAME(DESTROY_MR), CMD_NAME(INVALIDATE),
    CMD_NAME(RESUME),
#undef CMD_NAME
};

static int mon_cmd_opcode(const char *name)
{
    for (int i = 0; i < ODP_HCA_CMD_MAX; i++) {
        if (mon_cmd_names[i] && !strcmp(mon_cmd_names[i], name)) {
            return i;
        }
    }
    return -1;
}

/*
 * The commands list is what the driver had executed since @since (its
 * per-opcode tally then): each kind once, none with a zero count.
 */
static void mon_check_commands(T *t, OdpHcaCommandCountList *l,
                               const uint64_t *since)
{
    uint64_t seen[ODP_HCA_CMD_MAX] = { 0 };
    bool ok = true;

    for (; l; l = l->next) {
        int op = mon_cmd_opcode(l->value->command);

        if (op < 0) {
            odp_diag("commands: unknown command name '%s'",
                     l->value->command);
        }
        g_assert_cmpint(op, >=, 0);
        g_assert_cmpuint(seen[op], ==, 0);      /* listed once */
        g_assert_cmpuint(l->value->count, >, 0);
        seen[op] = l->value->count;
    }
    for (int i = 0; i < ODP_HCA_CMD_MAX; i++) {
        uint64_t exp = t->h->cmds_issued[i] - since[i];

        if (seen[i] != exp) {
            odp_diag("commands: %s counted %" PRIu64 ", driver issued %"
                     PRIu64, mon_cmd_names[i], seen[i], exp);
            ok = false;
        }
    }
    g_assert_true(ok);
}

static uint64_t mon_cmd_count(OdpHcaCommandCountList *l, const char *name)
{
    for (; l; l = l->next) {
        if (!strcmp(l->value->command, name)) {
            return l->value->count;
        }
    }
    return 0;
}

/* What a fault record must say. */
typedef struct ExpFault {
    uint32_t token;
    uint32_t qpn;
    uint32_t key;
    uint64_t iova;
    uint32_t length;
    OdpHcaFaultAccess access;
    OdpHcaFaultSide side;
    OdpHcaFaultOutcome outcome;
    int64_t time_ns;
    int64_t service_ns;         /* when resumed or failed */
    uint32_t rnr;
    bool injected;
} ExpFault;

/*
 * The next event is the fault @e describes (qpn, key, iova, exact
 * length, access bits, side), raised at virtual time @when.
 */
static void mon_fault(T *t, ExpFault *e, uint32_t qpn, uint32_t key,
                      uint64_t iova, uint32_t length, uint8_t access,
                      uint8_t side, int64_t when)
{
    memset(e, 0, sizeof(*e));
    e->token = wait_fault(t, qpn, key, iova, length, length, access, side,
                          -1);
    e->qpn = qpn;
    e->key = key;
    e->iova = iova;
    e->length = length;
    e->access = access & ODP_HCA_FAULT_ATOMIC ? ODP_HCA_FAULT_ACCESS_ATOMIC :
                access & ODP_HCA_FAULT_WRITE ? ODP_HCA_FAULT_ACCESS_WRITE :
                ODP_HCA_FAULT_ACCESS_READ;
    e->side = side == ODP_HCA_FAULT_REQUESTER ? ODP_HCA_FAULT_SIDE_REQUESTER
                                              : ODP_HCA_FAULT_SIDE_RESPONDER;
    e->outcome = ODP_HCA_FAULT_OUTCOME_PENDING;
    e->time_ns = when;
    e->service_ns = -1;
}

/* RESUME @e now; its service time is the virtual time since the event. */
static void mon_resume(T *t, ExpFault *e, uint32_t status)
{
    e->service_ns = odp_clock_now(t->h) - e->time_ns;
    g_assert_cmpuint(odp_resume(t->h, e->token, status), ==,
                     ODP_HCA_CMD_OK);
    e->outcome = status == ODP_HCA_RESUME_OK ? ODP_HCA_FAULT_OUTCOME_RESUMED
                                             : ODP_HCA_FAULT_OUTCOME_FAILED;
}

/*
 * Move the virtual clock @ns forward in steps of @step, letting the
 * device act after each one; @cq (the requester's) stays empty.
 */
static void mon_clock_run(T *t, OdpCq *cq, int64_t ns, int64_t step)
{
    while (ns > 0) {
        int64_t s = MIN(step, ns);

        odp_clock_step(t->h, s);
        ns -= s;
        odp_cq_assert_empty(t->h, cq, 8);
    }
}

static void mon_check_record(const OdpHcaFaultRecord *r, const ExpFault *e,
                             uint64_t seq)
{
    bool serviced = e->outcome == ODP_HCA_FAULT_OUTCOME_RESUMED ||
                    e->outcome == ODP_HCA_FAULT_OUTCOME_FAILED;

    if (r->seq != seq || r->qpn != e->qpn || r->key != e->key ||
        r->iova != e->iova || r->length != e->length ||
        r->access != e->access || r->side != e->side ||
        r->outcome != e->outcome || r->time_ns != e->time_ns ||
        r->has_service_ns != serviced ||
        (serviced && r->service_ns != e->service_ns) ||
        r->rnr_retries != e->rnr || r->injected != e->injected) {
        odp_diag("fault record: seq %" PRIu64 " qpn %u key 0x%x iova 0x%"
                 PRIx64 " length %u access %s side %s outcome %s time %"
                 PRId64 " service %s%" PRId64 " rnr %u injected %d",
                 r->seq, r->qpn, r->key, r->iova, r->length,
                 OdpHcaFaultAccess_str(r->access),
                 OdpHcaFaultSide_str(r->side),
                 OdpHcaFaultOutcome_str(r->outcome), r->time_ns,
                 r->has_service_ns ? "" : "(absent) ", r->service_ns,
                 r->rnr_retries, r->injected);
        odp_diag("expected:     seq %" PRIu64 " qpn %u key 0x%x iova 0x%"
                 PRIx64 " length %u access %s side %s outcome %s time %"
                 PRId64 " service %s%" PRId64 " rnr %u injected %d",
                 seq, e->qpn, e->key, e->iova, e->length,
                 OdpHcaFaultAccess_str(e->access),
                 OdpHcaFaultSide_str(e->side),
                 OdpHcaFaultOutcome_str(e->outcome), e->time_ns,
                 serviced ? "" : "(absent) ", e->service_ns, e->rnr,
                 e->injected);
    }
    g_assert_cmpuint(r->seq, ==, seq);
    g_assert_cmpuint(r->qpn, ==, e->qpn);
    g_assert_cmphex(r->key, ==, e->key);
    g_assert_cmphex(r->iova, ==, e->iova);
    g_assert_cmpuint(r->length, ==, e->length);
    g_assert_cmpint(r->access, ==, e->access);
    g_assert_cmpint(r->side, ==, e->side);
    g_assert_cmpint(r->outcome, ==, e->outcome);
    g_assert_cmpint(r->time_ns, ==, e->time_ns);
    g_assert_cmpint(r->has_service_ns, ==, serviced);
    if (serviced) {
        g_assert_cmpint(r->service_ns, ==, e->service_ns);
    }
    g_assert_cmpuint(r->rnr_retries, ==, e->rnr);
    g_assert_cmpint(r->injected, ==, e->injected);
}

/* The records are exactly @exp[0..n), oldest first, from seq @seq0. */
static void mon_check_records(OdpHcaFaultRecordList *l, const ExpFault *exp,
                              int n, uint64_t seq0)
{
    int i = 0;

    for (; l; l = l->next, i++) {
        if (i >= n) {
            odp_diag("fault records: more than the %d expected", n);
        }
        g_assert_cmpint(i, <, n);
        mon_check_record(l->value, &exp[i], seq0 + i);
    }
    g_assert_cmpint(i, ==, n);
}

/*
 * The bucket the schema gives a latency: "upper bound of the bucket in
 * nanoseconds (a power of two); the bucket holds latencies above half
 * of it, up to it".  Latency 0 has the bucket 0.
 */
static uint64_t mon_lat_bucket(uint64_t ns)
{
    uint64_t le = 1;

    if (!ns) {
        return 0;
    }
    while (le < ns) {
        le <<= 1;
    }
    return le;
}

static const char *mon_fmt_i64(const int64_t *v, int n)
{
    static char buf[512];
    size_t off = 0;

    buf[0] = 0;
    for (int i = 0; i < n && off < sizeof(buf); i++) {
        off += snprintf(buf + off, sizeof(buf) - off, "%s%" PRId64,
                        i ? " " : "", v[i]);
    }
    return buf;
}

static int mon_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The latency block for the service times of the faults in @exp. */
static void mon_check_latency(const OdpHcaLatency *l, const ExpFault *exp,
                              int n)
{
    g_autofree int64_t *v = g_new0(int64_t, n + 1);
    OdpHcaLatencyBucketList *b = l->buckets;
    uint64_t med_lo, med_hi, p99;
    bool ok = true;
    int k = 0, i;

    for (i = 0; i < n; i++) {
        if (exp[i].outcome == ODP_HCA_FAULT_OUTCOME_RESUMED ||
            exp[i].outcome == ODP_HCA_FAULT_OUTCOME_FAILED) {
            v[k++] = exp[i].service_ns;
        }
    }
    qsort(v, k, sizeof(*v), mon_cmp_i64);
    g_assert_cmpuint(l->count, ==, k);
    if (!k) {
        g_assert_cmpuint(l->min_ns, ==, 0);
        g_assert_cmpuint(l->max_ns, ==, 0);
        g_assert_null(l->buckets);
        return;
    }
    if (l->min_ns != v[0] || l->max_ns != v[k - 1]) {
        odp_diag("latency: min-ns %" PRIu64 " max-ns %" PRIu64 ", expected "
                 "%" PRId64 " and %" PRId64 " for the service times %s",
                 l->min_ns, l->max_ns, v[0], v[k - 1], mon_fmt_i64(v, k));
        ok = false;
    }

    /* the non-empty buckets, smallest first */
    {
        g_autoptr(GString) want = g_string_new("");
        g_autoptr(GString) got = g_string_new("");

        for (i = 0; i < k;) {
            uint64_t le = mon_lat_bucket(v[i]);
            uint64_t cnt = 0;

            while (i < k && mon_lat_bucket(v[i]) == le) {
                cnt++;
                i++;
            }
            g_string_append_printf(want, " %" PRIu64 ":%" PRIu64, le, cnt);
        }
        for (; b; b = b->next) {
            g_string_append_printf(got, " %" PRIu64 ":%" PRIu64,
                                   b->value->le_ns, b->value->count);
        }
        if (strcmp(want->str, got->str)) {
            odp_diag("latency: buckets (le-ns:count)%s, expected%s for the "
                     "service times %s", got->str, want->str,
                     mon_fmt_i64(v, k));
            ok = false;
        }
    }

    /* median: the bucket of the middle value (either middle one if even) */
    med_lo = mon_lat_bucket(v[(k - 1) / 2]);
    med_hi = mon_lat_bucket(v[k / 2]);
    if (l->median_ns != med_lo && l->median_ns != med_hi) {
        odp_diag("latency: median-ns %" PRIu64 ", expected %" PRIu64
                 " (the bucket of the median %" PRId64 ")", l->median_ns,
                 med_hi, v[k / 2]);
        ok = false;
    }
    /* p99: the bucket of the nearest-rank 99th percentile */
    p99 = mon_lat_bucket(v[(k * 99 + 99) / 100 - 1]);
    if (l->p99_ns != p99) {
        odp_diag("latency: p99-ns %" PRIu64 ", expected %" PRIu64
                 " (the bucket of %" PRId64 ")", l->p99_ns, p99,
                 v[(k * 99 + 99) / 100 - 1]);
        ok = false;
    }
    g_assert_true(ok);
}

/* Pages spanned by [iova, iova + len). */
static uint64_t mon_pages(uint64_t iova, uint64_t len)
{
    return len ? (iova + len - 1) / ODP_PAGE - iova / ODP_PAGE + 1 : 0;
}

/* A T on a machine started with @args, driving the odp-hca at @devfn. */
static T *t_new_args(const char *args, int devfn)
{
    T *t = g_new0(T, 1);

    t->h = odp_hca_start_args(args, devfn);
    odp_hca_bringup(t->h, 6);
    t->pd = odp_pd_new(t->h);
    t->next_iova = 0x10000000;
    return t;
}

/*
 * A little of everything, so that every list in query-odp-hca has
 * entries: a requester fault resumed, a responder fault with RNR NAKs
 * resumed, a requester fault failed (its pair is left in ERR).
 */
static void mon_some_faults(T *t)
{
    const int64_t step = odp_rnr_timer_ns(1) / 4;
    struct odp_hca_cqe c;
    ExpFault e;
    Buf *src, *dst, *pin;
    Pair p, q;

    pair_new(t, &p);
    pair_new(t, &q);
    src = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    dst = buf_odp(t, 2 * ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    pin = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);

    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova + 10, 5000, src->key,
          pin->iova, pin->key);
    mon_fault(t, &e, p.a->qpn, src->key, src->iova + 10, 5000,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 2500);
    buf_map(t, src, src->iova, 2 * ODP_PAGE, false);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);

    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 3000, pin->key,
          dst->iova + 4000, dst->key);
    mon_fault(t, &e, p.b->qpn, dst->key, dst->iova + 4000, 3000,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER,
              odp_clock_now(t->h));
    mon_clock_run(t, p.cqa, 9 * step, step);
    buf_map(t, dst, dst->iova, 2 * ODP_PAGE, true);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);

    odp_mr_unmap_range(t->h, src->mr, src->iova, 2 * ODP_PAGE);
    inval(t, src, 0, 2 * ODP_PAGE);
    send1(t, q.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 100, src->key,
          pin->iova, pin->key);
    mon_fault(t, &e, q.a->qpn, src->key, src->iova, 100, ODP_HCA_FAULT_READ,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 700);
    mon_resume(t, &e, ODP_HCA_RESUME_FAIL);
    wait_cqe(t, q.cqa, &c, 3, ODP_HCA_WC_LOC_PROT_ERR, -1, q.a->qpn);
    wait_event(t, ODP_HCA_EV_QP_FATAL, q.a->qpn);
    eq_quiet(t);
}

/* Deep copy through JSON, for the validator's negative cases. */
static QObject *mon_copy(QObject *o)
{
    g_autoptr(GString) js = qobject_to_json(o);

    return qobject_from_json(js->str, &error_abort);
}

/* The schema check rejects @o (consumed); so does the typed decoding. */
static void mon_assert_invalid(QmpSchema *s, QObject *o, const char *what)
{
    g_autoptr(GString) errs = g_string_new("");
    OdpHcaInfoList *list = NULL;
    Visitor *v;
    bool ok;

    ok = schema_check_ret(s, "query-odp-hca", o, errs);
    if (ok) {
        odp_diag("validator: %s was accepted", what);
    }
    g_assert_false(ok);
    g_assert_cmpuint(errs->len, >, 0);

    v = qobject_input_visitor_new(o);
    ok = visit_type_OdpHcaInfoList(v, NULL, &list, NULL);
    visit_free(v);
    qapi_free_OdpHcaInfoList(list);
    if (ok) {
        odp_diag("decoding: %s was accepted", what);
    }
    g_assert_false(ok);
    qobject_unref(o);
}

/*
 * The validator can fail: every kind of violation it checks, made on a
 * copy of a real return value (@ret has one device with faults).
 */
static void mon_validator_selftest(QTestState *qts, QObject *ret)
{
    QmpSchema *s = schema_load(qts);
    QObject *o;
    QDict *info, *rec;

#define FIRST_INFO(o) qobject_to(QDict, qlist_peek(qobject_to(QList, (o))))
#define FIRST_FAULT(o) qobject_to(QDict, \
        qlist_peek(qdict_get_qlist(FIRST_INFO(o), "faults")))

    o = mon_copy(ret);
    qdict_del(qdict_get_qdict(FIRST_INFO(o), "counters"), "rnr-naks");
    mon_assert_invalid(s, o, "a missing required member");

    o = mon_copy(ret);
    qdict_put_int(FIRST_INFO(o), "bogus", 1);
    mon_assert_invalid(s, o, "an unknown member");

    o = mon_copy(ret);
    qdict_put_str(FIRST_FAULT(o), "side", "sideways");
    mon_assert_invalid(s, o, "a value not in the enum");

    o = mon_copy(ret);
    qdict_put_str(FIRST_FAULT(o), "qpn", "7");
    mon_assert_invalid(s, o, "a string for an integer");

    o = mon_copy(ret);
    qdict_put(FIRST_FAULT(o), "iova", qnum_from_double(1.5));
    mon_assert_invalid(s, o, "a fraction for an integer");

    o = mon_copy(ret);
    qdict_put_int(FIRST_FAULT(o), "injected", 0);
    mon_assert_invalid(s, o, "an integer for a bool");

    o = mon_copy(ret);
    qdict_put_int(FIRST_INFO(o), "qom-path", 0);
    mon_assert_invalid(s, o, "an integer for a string");

    o = mon_copy(ret);
    qdict_put(FIRST_INFO(o), "faults", qdict_new());
    mon_assert_invalid(s, o, "an object for an array");

    o = mon_copy(ret);
    qdict_put(qdict_get_qdict(FIRST_INFO(o), "latency"), "buckets",
              qlist_new());
    qlist_append_int(qdict_get_qlist(qdict_get_qdict(FIRST_INFO(o),
                                                     "latency"),
                                     "buckets"), 3);
    mon_assert_invalid(s, o, "an integer for an object");

    o = mon_copy(ret);
    rec = FIRST_FAULT(o);
    qdict_del(rec, "outcome");
    mon_assert_invalid(s, o, "a fault record without outcome");

    /*
     * Widths: introspection only says "int"; the generated visitor
     * knows qpn is a uint32.  Both accept an optional member left out.
     */
    o = mon_copy(ret);
    qdict_put_int(FIRST_FAULT(o), "qpn", 1ll << 33);
    {
        g_autoptr(GString) errs = g_string_new("");
        OdpHcaInfoList *list = NULL;
        Visitor *v = qobject_input_visitor_new(o);

        g_assert_true(schema_check_ret(s, "query-odp-hca", o, errs));
        g_assert_false(visit_type_OdpHcaInfoList(v, NULL, &list, NULL));
        visit_free(v);
        qapi_free_OdpHcaInfoList(list);
    }
    qobject_unref(o);

    o = mon_copy(ret);
    info = FIRST_INFO(o);
    qdict_del(info, "id");
    rec = FIRST_FAULT(o);
    qdict_del(rec, "service-ns");
    {
        g_autoptr(GString) errs = g_string_new("");

        g_assert_true(schema_check_ret(s, "query-odp-hca", o, errs));
        qapi_free_OdpHcaInfoList(mon_decode(o));
    }
    qobject_unref(o);
#undef FIRST_INFO
#undef FIRST_FAULT
    schema_free(s);
}

/* No odp-hca: an empty list; ids name nothing or something else. */
static void test_mon_none(void)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults");
    QObject *ret = mon_query_raw(qts, NULL);
    g_autofree char *out = NULL;

    g_assert_cmpint(qobject_type(ret), ==, QTYPE_QLIST);
    g_assert_true(qlist_empty(qobject_to(QList, ret)));
    mon_validate(qts, ret);
    qobject_unref(ret);

    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats' }"));
    mon_assert_id_error(qts, "nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/q35", "GenericError");

    out = qtest_hmp(qts, "info odp-hca");
    if (!strstr(out, "no odp-hca device")) {
        odp_diag("info odp-hca: %s", out);
    }
    g_assert_nonnull(strstr(out, "no odp-hca device"));
    g_free(out);
    out = qtest_hmp(qts, "info odp-hca nosuch");
    if (!g_str_has_prefix(out, "Error:") || !strstr(out, "nosuch")) {
        odp_diag("info odp-hca nosuch: %s", out);
    }
    g_assert_true(g_str_has_prefix(out, "Error:"));
    g_assert_nonnull(strstr(out, "nosuch"));
    qtest_quit(qts);
}

/* One device, after faults: valid; by id, by QOM path; wrong ids. */
static void test_mon_schema_one(void)
{
    bool edu = qtest_has_device("edu");
    g_autofree char *args = g_strdup_printf("-device odp-hca,id=hca0%s",
                                            edu ? " -device edu,id=e" : "");
    T *t = t_new_args(args, -1);
    QTestState *qts = t->h->qts;
    QObject *ret, *by_id, *by_path;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree char *type = NULL;
    OdpHcaInfo *info;

    mon_some_faults(t);
    ret = mon_query_raw(qts, NULL);
    mon_validate(qts, ret);
    list = mon_decode(ret);
    g_assert_nonnull(list);
    g_assert_null(list->next);
    info = list->value;
    g_assert_nonnull(info->id);
    g_assert_cmpstr(info->id, ==, "hca0");
    g_assert_cmpstr(info->qom_path, ==, "/machine/peripheral/hca0");
    type = mon_qom_str(qts, info->qom_path, "type");
    g_assert_cmpstr(type, ==, "odp-hca");
    g_assert_cmpint(info->fault_ring_size, ==,
                    mon_qom_int(qts, info->qom_path, "fault-ring-size"));
    /* the lists are not empty */
    g_assert_nonnull(info->counters->commands);
    g_assert_nonnull(info->faults);
    g_assert_nonnull(info->faults->next);
    g_assert_nonnull(info->latency->buckets);

    /* by id and by QOM path: exactly that device, the same data */
    by_id = mon_query_raw(qts, "hca0");
    by_path = mon_query_raw(qts, "/machine/peripheral/hca0");
    mon_validate(qts, by_id);
    g_assert_true(qobject_is_equal(by_id, ret));
    g_assert_true(qobject_is_equal(by_path, ret));
    qobject_unref(by_id);
    qobject_unref(by_path);

    mon_validator_selftest(qts, ret);
    qobject_unref(ret);

    mon_assert_id_error(qts, "nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/peripheral/nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/q35", "GenericError");
    mon_assert_id_error(qts, "/machine", "GenericError");
    if (edu) {
        mon_assert_id_error(qts, "e", "GenericError");
        mon_assert_id_error(qts, "/machine/peripheral/e", "GenericError");
    }
    t_free(t);
}

/* Two devices: both listed and valid; each id names exactly its own. */
static void test_mon_schema_two(void)
{
    T *t = t_new_args("-device odp-hca,id=a,addr=04.0,fault-ring-size=8 "
                      "-device odp-hca,id=b,addr=05.0", QPCI_DEVFN(4, 0));
    QTestState *qts = t->h->qts;
    QObject *ret, *ra, *rb;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autoptr(OdpHcaInfoList) la = NULL;
    g_autoptr(OdpHcaInfoList) lb = NULL;
    OdpHcaInfo *a = NULL, *b = NULL;
    g_autofree char *out = NULL;

    mon_some_faults(t);          /* on a; b is never enabled */
    ret = mon_query_raw(qts, NULL);
    mon_validate(qts, ret);
    list = mon_decode(ret);
    for (OdpHcaInfoList *l = list; l; l = l->next) {
        g_assert_nonnull(l->value->id);
        if (!strcmp(l->value->id, "a")) {
            g_assert_null(a);
            a = l->value;
        } else {
            g_assert_cmpstr(l->value->id, ==, "b");
            g_assert_null(b);
            b = l->value;
        }
    }
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpstr(a->qom_path, ==, "/machine/peripheral/a");
    g_assert_cmpstr(b->qom_path, ==, "/machine/peripheral/b");
    g_assert_cmpuint(a->fault_ring_size, ==, 8);
    g_assert_cmpuint(b->fault_ring_size, ==,
                     mon_qom_int(qts, b->qom_path, "fault-ring-size"));
    g_assert_nonnull(a->faults);
    g_assert_cmpuint(a->counters->faults_requester, ==, 2);
    g_assert_cmpuint(a->counters->faults_responder, ==, 1);
    g_assert_null(b->faults);
    g_assert_null(b->counters->commands);
    g_assert_cmpuint(b->counters->faults_requester +
                     b->counters->faults_responder, ==, 0);
    g_assert_cmpuint(b->latency->count, ==, 0);

    ra = mon_query_raw(qts, "a");
    rb = mon_query_raw(qts, "/machine/peripheral/b");
    mon_validate(qts, ra);
    mon_validate(qts, rb);
    la = mon_decode(ra);
    lb = mon_decode(rb);
    g_assert_nonnull(la);
    g_assert_null(la->next);
    g_assert_cmpstr(la->value->id, ==, "a");
    g_assert_nonnull(lb);
    g_assert_null(lb->next);
    g_assert_cmpstr(lb->value->id, ==, "b");
    /* the same as in the full list */
    for (const QListEntry *e = qlist_first(qobject_to(QList, ret)); e;
         e = qlist_next(e)) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));
        QObject *one = qlist_peek(qobject_to(QList, strcmp(
                           qdict_get_str(d, "id"), "a") ? rb : ra));

        g_assert_true(qobject_is_equal(QOBJECT(d), one));
    }
    qobject_unref(ra);
    qobject_unref(rb);
    qobject_unref(ret);

    /* reset-stats of b leaves a alone; of all, clears a */
    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats',"
                            " 'arguments': { 'id': 'b' } }"));
    qapi_free_OdpHcaInfoList(la);
    la = mon_query(qts, "a");
    g_assert_cmpuint(la->value->counters->faults_requester, ==, 2);
    g_assert_nonnull(la->value->faults);
    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats' }"));
    qapi_free_OdpHcaInfoList(la);
    la = mon_query(qts, "a");
    g_assert_cmpuint(la->value->counters->faults_requester, ==, 0);
    g_assert_null(la->value->faults);

    out = qtest_hmp(qts, "info odp-hca b");
    g_assert_nonnull(strstr(out, "odp-hca b /machine/peripheral/b"));
    g_assert_null(strstr(out, "odp-hca a "));
    g_free(out);
    out = qtest_hmp(qts, "info odp-hca");
    g_assert_nonnull(strstr(out, "odp-hca a /machine/peripheral/a"));
    g_assert_nonnull(strstr(out, "odp-hca b /machine/peripheral/b"));
    t_free(t);
}

/*
 * Counters and records after a scripted workload, exactly.
 *
 * If the environment variable ODP_HCA_QMP_DUMP names a file, the raw
 * query-odp-hca return value of this workload is written there as
 * pretty-printed JSON (input for the plot tool, or for a look):
 *   ODP_HCA_QMP_DUMP=/tmp/odp.json \
 *     ./tests/qtest/odp-hca-test -p /odp-hca/monitor/counters
 */
static void test_mon_counters(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    const int64_t rnr = odp_rnr_timer_ns(2);     /* b's min_rnr_timer */
    const int64_t step = rnr / 4;
    const int64_t d4 = 11 * step, d5 = 2 * step; /* RNR waits */
    struct odp_hca_cqe c;
    uint64_t since[256];
    uint64_t since_failed;
    ExpFault ef[9];
    uint32_t n1, n2, n3;
    OdpRcAttr aa, ab;
    Pair p, q, r, e;
    Buf *src1, *src2, *loc, *rem, *psrc, *dst, *rdst, *rdst2, *aloc, *arem;
    Buf *fsrc, *gsrc, *edst;
    g_autofree uint8_t *d1 = NULL;
    g_autofree uint8_t *dr = NULL;
    g_autofree uint8_t *dp = NULL;
    g_autoptr(OdpHcaInfoList) list = NULL;
    QObject *ret;
    OdpHcaInfo *info;
    OdpHcaCounters *k;
    OdpWr wr;
    uint64_t pages = 0, bytes = 0;
    int i;

    /* p: a has rnr_retry 7 (forever), b min_rnr_timer 2 (20 us) */
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    ab.min_rnr_timer = 2;
    pair_new2(t, &p, &aa, &ab);
    pair_new(t, &q);
    pair_new(t, &r);
    aa.rnr_retry = 1;                       /* e: gives up after 1 retry */
    pair_new2(t, &e, &aa, &ab);

    src1 = buf_odp(t, 3 * ODP_PAGE, ACC_LW);
    src2 = buf_odp(t, ODP_PAGE, ACC_LW);
    loc = buf_odp(t, 2 * ODP_PAGE, ACC_LW);
    rem = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    psrc = buf_pinned(t, 2 * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, 4 * ODP_PAGE, ACC_ALL);
    rdst = buf_odp(t, 3 * ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    rdst2 = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    aloc = buf_odp(t, ODP_PAGE, ACC_LW);
    arem = buf_pinned(t, ODP_PAGE, ACC_ALL);
    fsrc = buf_odp(t, ODP_PAGE, ACC_LW);
    gsrc = buf_odp(t, ODP_PAGE, ACC_LW);
    edst = buf_odp(t, ODP_PAGE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    d1 = buf_pattern(t, src1, 101);
    dr = buf_pattern(t, rem, 102);
    dp = buf_pattern(t, psrc, 103);
    buf_write64(t, arem, 256, 1000);

    mon_reset_stats(t);
    memcpy(since, h->cmds_issued, sizeof(since));
    since_failed = h->cmds_failed;

    /* 1: requester read fault (WRITE source), 2 pages, 3000 ns */
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src1->iova + 1000, 6000,
          src1->key, dst->iova + 8, dst->key);
    mon_fault(t, &ef[0], p.a->qpn, src1->key, src1->iova + 1000, 6000,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 3000);
    buf_map(t, src1, src1->iova + 1000, 6000, false);
    mon_resume(t, &ef[0], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 8, d1 + 1000, 6000, "WRITE after fault 1");

    /* 2: requester read fault, 1 page, 1024 ns (a power of two) */
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src2->iova + 100, 200,
          src2->key, dst->iova + 3 * ODP_PAGE, dst->key);
    mon_fault(t, &ef[1], p.a->qpn, src2->key, src2->iova + 100, 200,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 1024);
    buf_map(t, src2, src2->iova, ODP_PAGE, false);
    mon_resume(t, &ef[1], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);

    /* INVALIDATE: fault 1's two pages are cached, then nothing is */
    odp_mr_unmap_range(h, src1->mr, src1->iova, 3 * ODP_PAGE);
    n1 = inval(t, src1, 0, 3 * ODP_PAGE);
    g_assert_cmpuint(n1, ==, 2);
    n2 = inval(t, src1, 0, 3 * ODP_PAGE);
    g_assert_cmpuint(n2, ==, 0);

    /* 3: requester write fault (READ destination), 2 pages, 100 us */
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_READ, loc->iova + 100, 4096,
          loc->key, rem->iova + 50, rem->key);
    mon_fault(t, &ef[2], p.a->qpn, loc->key, loc->iova + 100, 4096,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 100000);
    buf_map(t, loc, loc->iova, 2 * ODP_PAGE, true);
    mon_resume(t, &ef[2], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    buf_check(t, loc, 100, dr + 50, 4096, "READ after fault 3");

    /*
     * 4: responder write fault, 3 pages.  The first RNR NAK comes with
     * the fault, one more each time the requester's RNR timer (20 us)
     * runs out before the RESUME (2 in 55 us), and the retry after it
     * succeeds.
     */
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 8000, psrc->key,
          rdst->iova + 500, rdst->key);
    mon_fault(t, &ef[3], p.b->qpn, rdst->key, rdst->iova + 500, 8000,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[3].rnr = 1 + d4 / rnr;
    mon_clock_run(t, p.cqa, d4, step);
    buf_map(t, rdst, rdst->iova, 3 * ODP_PAGE, true);
    mon_resume(t, &ef[3], ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);
    buf_check(t, rdst, 500, dp, 8000, "WRITE after fault 4");

    /* 5: responder write fault resumed before the first retry */
    send1(t, p.a, 5, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 100, psrc->key,
          rdst2->iova, rdst2->key);
    mon_fault(t, &ef[4], p.b->qpn, rdst2->key, rdst2->iova, 100,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[4].rnr = 1 + d5 / rnr;
    mon_clock_run(t, p.cqa, d5, step);
    buf_map(t, rdst2, rdst2->iova, ODP_PAGE, true);
    mon_resume(t, &ef[4], ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 5, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);

    /* 6: atomic fault (the local result of a fetch-and-add) */
    wr1(&wr, 6, ODP_HCA_WQE_ATOMIC_FA, aloc->iova + 64, 8, aloc->key,
        arem->iova + 256, arem->key);
    wr.compare_add = 5;
    odp_send(h, p.a, &wr);
    mon_fault(t, &ef[5], p.a->qpn, aloc->key, aloc->iova + 64, 8,
              ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 777);
    buf_map(t, aloc, aloc->iova, ODP_PAGE, true);
    mon_resume(t, &ef[5], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmpuint(buf_read64(t, aloc, 64), ==, 1000);
    g_assert_cmpuint(buf_read64(t, arem, 256), ==, 1005);

    /* 7: RESUME FAIL */
    send1(t, q.a, 7, ODP_HCA_WQE_RDMA_WRITE, fsrc->iova, 512, fsrc->key,
          dst->iova, dst->key);
    mon_fault(t, &ef[6], q.a->qpn, fsrc->key, fsrc->iova, 512,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 5000);
    mon_resume(t, &ef[6], ODP_HCA_RESUME_FAIL);
    wait_cqe(t, q.cqa, &c, 7, ODP_HCA_WC_LOC_PROT_ERR, -1, q.a->qpn);
    wait_event(t, ODP_HCA_EV_QP_FATAL, q.a->qpn);

    /* 8: flushed by moving the QP to ERR; its token is then stale */
    send1(t, r.a, 8, ODP_HCA_WQE_RDMA_WRITE, gsrc->iova, 64, gsrc->key,
          dst->iova, dst->key);
    mon_fault(t, &ef[7], r.a->qpn, gsrc->key, gsrc->iova, 64,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    odp_clock_step(h, 4000);
    g_assert_cmpuint(odp_qp_to_state(h, r.a, ODP_HCA_QPS_ERR), ==,
                     ODP_HCA_CMD_OK);
    ef[7].outcome = ODP_HCA_FAULT_OUTCOME_FLUSHED;
    wait_cqe(t, r.cqa, &c, 8, ODP_HCA_WC_WR_FLUSH_ERR, -1, r.a->qpn);
    g_assert_cmpuint(odp_resume(h, ef[7].token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /*
     * 9: responder fault never resolved: NAK, the one retry, NAK, RNR
     * retry exceeded on the requester; the fault stays pending.
     */
    send1(t, e.a, 9, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 100, psrc->key,
          edst->iova, edst->key);
    mon_fault(t, &ef[8], e.b->qpn, edst->key, edst->iova, 100,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[8].rnr = 2;
    wait_cqe_clock(t, e.cqa, &c, 9, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
                   e.a->qpn, step, RNR_STEPS);
    wait_event(t, ODP_HCA_EV_QP_FATAL, e.a->qpn);

    g_assert_cmpuint(odp_invalidate(h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n3), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(n3, >, 0);
    eq_quiet(t);

    ret = mon_query_raw(h->qts, NULL);
    if (getenv("ODP_HCA_QMP_DUMP")) {
        g_autoptr(GString) js = qobject_to_json_pretty(ret, true);
        g_autoptr(GError) err = NULL;

        if (!g_file_set_contents(getenv("ODP_HCA_QMP_DUMP"), js->str,
                                 js->len, &err)) {
            odp_diag("ODP_HCA_QMP_DUMP: %s", err->message);
        }
        g_assert_null(err);
    }
    mon_validate(h->qts, ret);
    list = mon_decode(ret);
    qobject_unref(ret);
    g_assert_nonnull(list);
    g_assert_null(list->next);
    info = list->value;
    k = info->counters;

    /* commands: what the driver issued since the reset, by kind */
    mon_check_commands(t, k->commands, since);
    g_assert_cmpuint(mon_cmd_count(k->commands, "RESUME"), ==, 8);
    g_assert_cmpuint(mon_cmd_count(k->commands, "INVALIDATE"), ==, 3);
    g_assert_cmpuint(k->command_errors, ==, h->cmds_failed - since_failed);
    g_assert_cmpuint(k->command_errors, ==, 1);     /* the stale token */
    g_assert_cmpuint(k->guest_errors, ==, 1);

    for (i = 0; i < 9; i++) {
        if (ef[i].outcome == ODP_HCA_FAULT_OUTCOME_RESUMED) {
            pages += mon_pages(ef[i].iova, ef[i].length);
            bytes += ef[i].length;
        }
    }
    /* pages 2 + 1 + 2 + 3 + 1 + 1, bytes 6000 + 200 + 4096 + 8000 + 108 */
    g_assert_cmpuint(k->faults_requester, ==, 6);
    g_assert_cmpuint(k->faults_responder, ==, 3);
    g_assert_cmpuint(k->faults_read, ==, 4);
    g_assert_cmpuint(k->faults_write, ==, 4);
    g_assert_cmpuint(k->faults_atomic, ==, 1);
    g_assert_cmpuint(k->faults_injected, ==, 0);
    g_assert_cmpuint(k->pages_resolved, ==, pages);
    g_assert_cmpuint(k->bytes_resolved, ==, bytes);
    g_assert_cmpuint(k->resumes_ok, ==, 6);
    g_assert_cmpuint(k->resumes_failed, ==, 1);
    g_assert_cmpuint(k->invalidations, ==, 3);
    g_assert_cmpuint(k->entries_invalidated, ==, n1 + n2 + n3);
    /* every miss walks the table, and nothing else does */
    g_assert_cmpuint(k->table_walks, ==, k->iotlb_misses);
    g_assert_cmpuint(k->table_walks, >, 0);
    g_assert_cmpuint(k->iotlb_hits, >, 0);
    /* NAKs: 3 + 1 for faults 4 and 5, 2 for fault 9 */
    g_assert_cmpuint(k->rnr_naks, ==, ef[3].rnr + ef[4].rnr + ef[8].rnr);
    /* each NAK of faults 4 and 5 is retried (the last retry succeeds) */
    g_assert_cmpuint(k->requester_retries, ==, ef[3].rnr + ef[4].rnr + 1);
    g_assert_cmpuint(k->rnr_retries_exceeded, ==, 1);
    g_assert_cmpuint(k->events_dropped, ==, 0);

    g_assert_null(info->id);
    g_assert_cmpuint(info->fault_ring_size, ==, 256);
    g_assert_cmpuint(info->fault_ring_size, ==,
                     mon_qom_int(h->qts, info->qom_path, "fault-ring-size"));
    mon_check_records(info->faults, ef, 9, 1);
    mon_check_latency(info->latency, ef, 9);
    t_free(t);
}

/* fault-ring-size=4: the last 4 records, oldest first; counters all. */
static void test_mon_ring(void)
{
    T *t = t_new("fault-ring-size=4");
    struct odp_hca_cqe c;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree char *out = NULL;
    ExpFault ef[6];
    Buf *src, *dst;
    uint64_t n, total;
    Pair p;
    int i;

    pair_new(t, &p);
    src = buf_odp(t, 6 * ODP_PAGE, ACC_LW);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    for (i = 0; i < 6; i++) {
        uint64_t iova = src->iova + i * ODP_PAGE + 8 * i;

        send1(t, p.a, i, ODP_HCA_WQE_RDMA_WRITE, iova, 100 + i, src->key,
              dst->iova, dst->key);
        mon_fault(t, &ef[i], p.a->qpn, src->key, iova, 100 + i,
                  ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER,
                  odp_clock_now(t->h));
        odp_clock_step(t->h, 1000 * (i + 1) + 1);
        buf_map(t, src, iova, 100 + i, false);
        mon_resume(t, &ef[i], ODP_HCA_RESUME_OK);
        wait_cqe(t, p.cqa, &c, i, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
                 p.a->qpn);
    }
    list = mon_query1(t);
    g_assert_cmpuint(list->value->fault_ring_size, ==, 4);
    g_assert_cmpuint(mon_qom_int(t->h->qts, list->value->qom_path,
                                 "fault-ring-size"), ==, 4);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, 6);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, 6);
    mon_check_records(list->value->faults, ef + 2, 4, 3);
    /* the histogram has every fault, the ring the last ones */
    g_assert_cmpuint(list->value->latency->count, ==, 6);
    g_assert_cmpuint(list->value->latency->min_ns, ==, ef[0].service_ns);
    g_assert_cmpuint(list->value->latency->max_ns, ==, ef[5].service_ns);

    out = qtest_hmp(t->h->qts, "info odp-hca");
    g_assert_nonnull(strstr(out, "recent faults ("));
    g_assert_cmpint(sscanf(strstr(out, "recent faults ("),
                           "recent faults (%" SCNu64 " of %" SCNu64,
                           &n, &total), ==, 2);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpuint(total, ==, 6);
    t_free(t);
}

/* HMP output, one line per element, without line ends. */
static char **hmp_lines(QTestState *qts, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);
    char **lines = g_strsplit(out, "\n", -1);

    for (char **l = lines; *l; l++) {
        g_strchomp(*l);
    }
    return lines;
}

/* The line that begins, after blanks, with @prefix (from there). */
static const char *hmp_find(char **lines, const char *prefix)
{
    for (; *lines; lines++) {
        const char *l = *lines + strspn(*lines, " ");

        if (g_str_has_prefix(l, prefix)) {
            return l;
        }
    }
    odp_diag("HMP: no line begins with '%s'", prefix);
    g_assert_not_reached();
    return NULL;
}

/* A decimal in microseconds as HMP prints it, against nanoseconds. */
static void hmp_check_us(const char *field, const char *s, int64_t ns)
{
    char *end;
    double us = strtod(s, &end);

    if (*end || fabs(us * 1000 - ns) > 0.5001) {
        odp_diag("HMP: %s is '%s', expected %" PRId64 " ns", field, s, ns);
    }
    g_assert_true(*end == '\0');
    g_assert_cmpfloat(fabs(us * 1000 - ns), <=, 0.5001);
}

/* The recent-faults table of @lines says what @info's records say. */
static void hmp_check_table(char **lines, const OdpHcaInfo *info)
{
    const char *hdr = hmp_find(lines, "recent faults (");
    OdpHcaFaultRecordList *r = info->faults;
    uint64_t n, total, listed = 0;
    char **l;

    g_assert_cmpint(sscanf(hdr, "recent faults (%" SCNu64 " of %" SCNu64,
                           &n, &total), ==, 2);
    for (OdpHcaFaultRecordList *x = info->faults; x; x = x->next) {
        listed++;
    }
    /* the header counts the rows below it */
    if (n != listed) {
        odp_diag("HMP: '%s' but query-odp-hca has %" PRIu64 " records",
                 hdr, listed);
    }
    g_assert_cmpuint(n, ==, listed);
    g_assert_cmpuint(total, >=, n);

    for (l = lines; *l && *l + strspn(*l, " ") != hdr; l++) {
        /* up to the header */
    }
    g_assert_nonnull(*l);
    l++;
    if (!listed) {
        return;
    }
    g_assert_true(g_str_has_prefix(*l + strspn(*l, " "), "seq "));
    for (l++; r; r = r->next, l++) {
        const OdpHcaFaultRecord *f = r->value;
        char time[32], key[32], iova[32], acc[16], side[16], out[16];
        char svc[32], inj[8];
        unsigned qp, len, rnr;
        uint64_t seq;

        g_assert_nonnull(*l);
        if (sscanf(*l, "%" SCNu64 " %31s %u %31s %31s %u %15s %15s %15s "
                   "%31s %u %7s", &seq, time, &qp, key, iova, &len, acc,
                   side, out, svc, &rnr, inj) != 12) {
            odp_diag("HMP: fault row '%s'", *l);
            g_assert_not_reached();
        }
        g_assert_cmpuint(seq, ==, f->seq);
        hmp_check_us("time-us", time, f->time_ns);
        g_assert_cmpuint(qp, ==, f->qpn);
        g_assert_cmphex(g_ascii_strtoull(key, NULL, 16), ==, f->key);
        g_assert_cmphex(g_ascii_strtoull(iova, NULL, 16), ==, f->iova);
        g_assert_cmpuint(len, ==, f->length);
        g_assert_cmpstr(acc, ==, OdpHcaFaultAccess_str(f->access));
        g_assert_cmpstr(side, ==, OdpHcaFaultSide_str(f->side));
        g_assert_cmpstr(out, ==, OdpHcaFaultOutcome_str(f->outcome));
        if (f->has_service_ns) {
            hmp_check_us("service-us", svc, f->service_ns);
        } else {
            g_assert_cmpstr(svc, ==, "-");
        }
        g_assert_cmpuint(rnr, ==, f->rnr_retries);
        g_assert_cmpstr(inj, ==, f->injected ? "yes" : "no");
    }
    /* nothing after the last record of this device */
    g_assert_true(!*l || !**l || g_str_has_prefix(*l, "odp-hca "));
}

/* Every number of `info odp-hca` against query-odp-hca. */
static void hmp_check(char **lines, const OdpHcaInfo *info)
{
    const OdpHcaCounters *k = info->counters;
    const OdpHcaLatency *lat = info->latency;
    uint64_t v[8];
    const char *l;
    g_autofree char *title = g_strdup_printf("odp-hca %s%s%s",
                                             info->id ? info->id : "",
                                             info->id ? " " : "",
                                             info->qom_path);
    OdpHcaLatencyBucketList *b;
    g_auto(GStrv) words = NULL;
    int nwords, i;

    g_assert_cmpstr(hmp_find(lines, "odp-hca "), ==, title);

    /* commands: NAME count ... (errors N) */
    l = hmp_find(lines, "commands:");
    words = g_strsplit(l + strlen("commands:"), " ", -1);
    nwords = g_strv_length(words);
    for (i = 0; i < nwords && strcmp(words[i], "(errors"); i++) {
        if (!*words[i]) {
            continue;
        }
        g_assert_cmpint(i + 1, <, nwords);
        g_assert_cmpuint(g_ascii_strtoull(words[i + 1], NULL, 10), ==,
                         mon_cmd_count(k->commands, words[i]));
        g_assert_cmpuint(mon_cmd_count(k->commands, words[i]), >, 0);
        i++;
    }
    g_assert_cmpint(i + 1, <, nwords);
    g_assert_cmpuint(g_ascii_strtoull(words[i + 1], NULL, 10), ==,
                     k->command_errors);
    {
        /* and every kind the QMP lists is on the line */
        int kinds = 0;

        for (OdpHcaCommandCountList *c = k->commands; c; c = c->next) {
            kinds++;
        }
        g_assert_cmpint(i, ==, 1 + 2 * kinds);
    }

    l = hmp_find(lines, "faults:");
    g_assert_cmpint(sscanf(l, "faults: requester %" SCNu64 " responder %"
                           SCNu64 " | read %" SCNu64 " write %" SCNu64
                           " atomic %" SCNu64 " | injected %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]), ==, 6);
    g_assert_cmpuint(v[0], ==, k->faults_requester);
    g_assert_cmpuint(v[1], ==, k->faults_responder);
    g_assert_cmpuint(v[2], ==, k->faults_read);
    g_assert_cmpuint(v[3], ==, k->faults_write);
    g_assert_cmpuint(v[4], ==, k->faults_atomic);
    g_assert_cmpuint(v[5], ==, k->faults_injected);

    l = hmp_find(lines, "resolved:");
    g_assert_cmpint(sscanf(l, "resolved: pages %" SCNu64 " bytes %" SCNu64
                           " | resumes ok %" SCNu64 " failed %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3]), ==, 4);
    g_assert_cmpuint(v[0], ==, k->pages_resolved);
    g_assert_cmpuint(v[1], ==, k->bytes_resolved);
    g_assert_cmpuint(v[2], ==, k->resumes_ok);
    g_assert_cmpuint(v[3], ==, k->resumes_failed);

    l = hmp_find(lines, "translation:");
    g_assert_cmpint(sscanf(l, "translation: walks %" SCNu64 " iotlb hits %"
                           SCNu64 " misses %" SCNu64 " | invalidations %"
                           SCNu64 " entries %" SCNu64, &v[0], &v[1], &v[2],
                           &v[3], &v[4]), ==, 5);
    g_assert_cmpuint(v[0], ==, k->table_walks);
    g_assert_cmpuint(v[1], ==, k->iotlb_hits);
    g_assert_cmpuint(v[2], ==, k->iotlb_misses);
    g_assert_cmpuint(v[3], ==, k->invalidations);
    g_assert_cmpuint(v[4], ==, k->entries_invalidated);

    l = hmp_find(lines, "transport:");
    g_assert_cmpint(sscanf(l, "transport: rnr naks %" SCNu64 " retries %"
                           SCNu64 " rnr exceeded %" SCNu64
                           " | events dropped %" SCNu64 " | guest errors %"
                           SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4]), ==, 5);
    g_assert_cmpuint(v[0], ==, k->rnr_naks);
    g_assert_cmpuint(v[1], ==, k->requester_retries);
    g_assert_cmpuint(v[2], ==, k->rnr_retries_exceeded);
    g_assert_cmpuint(v[3], ==, k->events_dropped);
    g_assert_cmpuint(v[4], ==, k->guest_errors);

    l = hmp_find(lines, "fault service latency:");
    if (lat->count) {
        g_assert_cmpint(sscanf(l, "fault service latency: count %" SCNu64
                               " min %" SCNu64 " median <=%" SCNu64
                               " p99 <=%" SCNu64 " max %" SCNu64 " ns",
                               &v[0], &v[1], &v[2], &v[3], &v[4]), ==, 5);
        g_assert_cmpuint(v[1], ==, lat->min_ns);
        g_assert_cmpuint(v[2], ==, lat->median_ns);
        g_assert_cmpuint(v[3], ==, lat->p99_ns);
        g_assert_cmpuint(v[4], ==, lat->max_ns);
    } else {
        g_assert_cmpint(sscanf(l, "fault service latency: count %" SCNu64,
                               &v[0]), ==, 1);
    }
    g_assert_cmpuint(v[0], ==, lat->count);

    /* one histogram line a bucket: "<= LE ns COUNT ###" */
    b = lat->buckets;
    for (char **x = lines; *x; x++) {
        const char *s = *x + strspn(*x, " ");

        if (!g_str_has_prefix(s, "<= ")) {
            continue;
        }
        g_assert_nonnull(b);
        g_assert_cmpint(sscanf(s, "<= %" SCNu64 " ns %" SCNu64, &v[0], &v[1]),
                        ==, 2);
        g_assert_cmpuint(v[0], ==, b->value->le_ns);
        g_assert_cmpuint(v[1], ==, b->value->count);
        b = b->next;
    }
    g_assert_null(b);

    hmp_check_table(lines, info);
}

static void hmp_assert_error(QTestState *qts, const char *cmd,
                             const char *what)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    if (!g_str_has_prefix(out, "Error:") || !strstr(out, what)) {
        odp_diag("%s: '%s'", cmd, out);
    }
    g_assert_true(g_str_has_prefix(out, "Error:"));
    g_assert_nonnull(strstr(out, what));
}

/* info odp-hca [id]: the numbers of query-odp-hca, for people. */
static void test_mon_hmp(void)
{
    T *t = t_new("id=hca0");
    QTestState *qts = t->h->qts;
    struct odp_hca_cqe c;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *all = NULL;
    g_autofree char *one = NULL;
    ExpFault e;
    Buf *src, *dst;
    Pair p;

    mon_some_faults(t);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->rnr_naks, >, 1);
    lines = hmp_lines(qts, "info odp-hca");
    hmp_check(lines, list->value);

    all = qtest_hmp(qts, "info odp-hca");
    one = qtest_hmp(qts, "info odp-hca hca0");
    g_assert_cmpstr(one, ==, all);
    g_free(one);
    one = qtest_hmp(qts, "info odp-hca /machine/peripheral/hca0");
    g_assert_cmpstr(one, ==, all);
    hmp_assert_error(qts, "info odp-hca nosuch", "nosuch");
    hmp_assert_error(qts, "info odp-hca /machine/q35", "odp-hca");

    /* after odp-hca-reset-stats: the new records only */
    mon_reset_stats(t);
    pair_new(t, &p);
    src = buf_odp(t, ODP_PAGE, ACC_LW);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    mon_fault(t, &e, p.a->qpn, src->key, src->iova, 64, ODP_HCA_FAULT_READ,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 1234);
    buf_map(t, src, src->iova, ODP_PAGE, false);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    g_assert_nonnull(list->value->faults);
    g_assert_null(list->value->faults->next);
    g_strfreev(lines);
    lines = hmp_lines(qts, "info odp-hca");
    hmp_check(lines, list->value);
    t_free(t);
}

/*
 * Which pages of a page-aligned transfer of @pages pages from an
 * on-demand region get an injected fault with every=@every: the
 * device translates each page once, the Nth translation faults and
 * the retry after the RESUME is one more translation.
 */
static int mon_inject_model(int every, int pages, int *fault_pages)
{
    int counter = 0, n = 0;

    for (int pg = 0; pg < pages; pg++) {
        while (++counter >= every) {
            counter = 0;
            fault_pages[n++] = pg;
        }
    }
    return n;
}

/*
 * Wait (bounded) for a completion on @cq, RESUMEing every page fault
 * (the entries are present: the faults are injected).  Returns the
 * faults seen, their events in @ev.
 */
static int mon_resolve(T *t, OdpCq *cq, struct odp_hca_cqe *c,
                       struct odp_hca_eqe *ev, int max)
{
    int n = 0;

    for (int i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_cq_poll(t->h, cq, c)) {
            return n;
        }
        if (odp_eq_poll(t->h, t->h->eq0, &ev[n])) {
            if (ev[n].type != ODP_HCA_EV_PAGE_FAULT) {
                eqe_dump("expected a page fault, got", &ev[n]);
            }
            g_assert_cmpuint(ev[n].type, ==, ODP_HCA_EV_PAGE_FAULT);
            g_assert_cmpint(n, <, max - 1);
            resume_ok(t, ev[n].fault.token);
            n++;
        }
    }
    odp_diag("no completion on CQ %u after %d polls", cq->cqn, ODP_POLL_MAX);
    g_assert_not_reached();
    return n;
}

/* odp-hca-inject-faults on hca0 with the members of @args (consumed). */
static void mon_inject(T *t, QDict *args)
{
    qdict_put_str(args, "id", "hca0");
    mon_assert_ok(qtest_qmp(t->h->qts, "{ 'execute': 'odp-hca-inject-faults',"
                            " 'arguments': %p }", args));
}

/*
 * odp-hca-inject-faults: every Nth translation, a key and range, off;
 * injected faults are resolved by a plain RESUME and marked.
 */
/*
 * every=2 between two on-demand regions: each step translates a page on
 * each side, so without sparing the retried page one of the two would
 * always take the injected fault and the WRITE would never complete.
 */
static void test_mon_inject_both_sides(void)
{
    enum { NP = 6 };
    T *t = t_new("id=hca0");
    struct odp_hca_cqe c;
    struct odp_hca_eqe ev[8 * NP];
    g_autofree uint8_t *data = NULL;
    Buf *src, *dst;
    QDict *args;
    Pair p;
    int n;

    pair_new(t, &p);
    src = buf_odp(t, NP * ODP_PAGE, ACC_LW);
    dst = buf_odp(t, NP * ODP_PAGE, ACC_ALL);
    buf_map(t, src, src->iova, NP * ODP_PAGE, false);
    buf_map(t, dst, dst->iova, NP * ODP_PAGE, true);
    data = buf_pattern(t, src, 121);
    buf_fill(t, dst, 0xee);

    args = qdict_new();
    qdict_put_int(args, "every", 2);
    mon_inject(t, args);
    send1(t, p.a, 0x31, ODP_HCA_WQE_RDMA_WRITE, src->iova, NP * ODP_PAGE,
          src->key, dst->iova, dst->key);
    /* responder faults are RNR NAKed: time has to move for the retries */
    for (n = 0; !odp_cq_poll(t->h, p.cqa, &c); ) {
        if (odp_eq_poll(t->h, t->h->eq0, &ev[n])) {
            g_assert_cmpuint(ev[n].type, ==, ODP_HCA_EV_PAGE_FAULT);
            resume_ok(t, ev[n].fault.token);
            g_assert_cmpint(++n, <, G_N_ELEMENTS(ev));
        }
        odp_clock_step(t->h, odp_rnr_timer_ns(1));
    }
    check_cqe(&c, 0x31, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, data, NP * ODP_PAGE, "WRITE under every=2");
    /*
     * Every step took a fault, and the WRITE finished within the bound
     * of the loop (8 faults a page); without sparing it never does.
     */
    g_assert_cmpint(n, >=, NP);
    t_free(t);
}

static void test_mon_inject(void)
{
    enum { NP = 8, EVERY = 3 };
    T *t = t_new("id=hca0");
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_eqe ev[32];
    int fp[32], nexp, n, i;
    ExpFault ef[32];
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree uint8_t *data = NULL;
    g_autofree uint8_t *da = NULL;
    Buf *src, *dst, *sa, *sb, *pin;
    uint64_t pages = 0, bytes = 0, inj0;
    int64_t now;
    QDict *args;
    Pair p;

    pair_new(t, &p);
    src = buf_odp(t, NP * ODP_PAGE, ACC_LW);
    sa = buf_odp(t, 4 * ODP_PAGE, ACC_LW);
    sb = buf_odp(t, 4 * ODP_PAGE, ACC_LW);
    pin = buf_pinned(t, 4 * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, NP * ODP_PAGE, ACC_ALL);
    buf_map(t, src, src->iova, NP * ODP_PAGE, false);
    buf_map(t, sa, sa->iova, 4 * ODP_PAGE, false);
    buf_map(t, sb, sb->iova, 4 * ODP_PAGE, false);
    data = buf_pattern(t, src, 111);
    da = buf_pattern(t, sa, 112);

    /* all present: no fault */
    write_and_wait(t, &p, 1, src, 0, NP * ODP_PAGE, dst, 0);
    eq_quiet(t);
    mon_reset_stats(t);

    mon_assert_error(qtest_qmp(h->qts, "{ 'execute': 'odp-hca-inject-faults',"
                               " 'arguments': { 'id': 'hca0', 'every': 1 } }"),
                     "GenericError");

    /* every 3rd translation */
    args = qdict_new();
    qdict_put_int(args, "every", EVERY);
    mon_inject(t, args);
    buf_fill(t, dst, 0xee);
    now = odp_clock_now(h);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova, NP * ODP_PAGE,
          src->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, data, NP * ODP_PAGE, "WRITE with injected faults");
    nexp = mon_inject_model(EVERY, NP, fp);     /* pages 2, 4 and 6 */
    g_assert_cmpint(n, ==, nexp);
    for (i = 0; i < n; i++) {
        uint64_t iova = src->iova + (uint64_t)fp[i] * ODP_PAGE;
        uint32_t len = (NP - fp[i]) * ODP_PAGE;

        check_fault(&ev[i], p.a->qpn, src->key, iova, len, len,
                    ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);
        ef[i] = (ExpFault) {
            .qpn = p.a->qpn, .key = src->key, .iova = iova, .length = len,
            .access = ODP_HCA_FAULT_ACCESS_READ,
            .side = ODP_HCA_FAULT_SIDE_REQUESTER,
            .outcome = ODP_HCA_FAULT_OUTCOME_RESUMED,
            .time_ns = now, .service_ns = 0, .injected = true,
        };
        pages += mon_pages(iova, len);
        bytes += len;
    }
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_injected, ==, nexp);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, nexp);
    g_assert_cmpuint(list->value->counters->faults_responder, ==, 0);
    g_assert_cmpuint(list->value->counters->faults_read, ==, nexp);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, nexp);
    g_assert_cmpuint(list->value->counters->pages_resolved, ==, pages);
    g_assert_cmpuint(list->value->counters->bytes_resolved, ==, bytes);
    mon_check_records(list->value->faults, ef, n, 1);
    mon_check_latency(list->value->latency, ef, n);

    /* a region that is not on demand never gets one */
    write_and_wait(t, &p, 3, pin, 0, 4 * ODP_PAGE, dst, 0);
    eq_quiet(t);

    /* no arguments: off */
    mon_inject(t, qdict_new());
    write_and_wait(t, &p, 4, src, 0, NP * ODP_PAGE, dst, 0);
    buf_check(t, dst, 0, data, NP * ODP_PAGE, "WRITE, injection off");
    eq_quiet(t);
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    inj0 = list->value->counters->faults_injected;
    g_assert_cmpuint(inj0, ==, nexp);

    /* key sa, its second page, twice: the retry faults again */
    args = qdict_new();
    qdict_put_int(args, "key", sa->key);
    qdict_put_int(args, "iova", sa->iova + ODP_PAGE);
    qdict_put_int(args, "length", ODP_PAGE);
    qdict_put_int(args, "count", 2);
    mon_inject(t, args);
    write_and_wait(t, &p, 5, sb, 0, 4 * ODP_PAGE, dst, 0);
    eq_quiet(t);
    send1(t, p.a, 6, ODP_HCA_WQE_RDMA_WRITE, sa->iova, 4 * ODP_PAGE,
          sa->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, da, 4 * ODP_PAGE, "WRITE with key injection");
    g_assert_cmpint(n, ==, 2);
    for (i = 0; i < n; i++) {
        check_fault(&ev[i], p.a->qpn, sa->key, sa->iova + ODP_PAGE,
                    3 * ODP_PAGE, 3 * ODP_PAGE, ODP_HCA_FAULT_READ,
                    ODP_HCA_FAULT_REQUESTER, -1);
    }
    /* spent */
    write_and_wait(t, &p, 7, sa, 0, 4 * ODP_PAGE, dst, 0);
    eq_quiet(t);

    /* key alone: one fault, at the first translation of that key */
    args = qdict_new();
    qdict_put_int(args, "key", sb->key);
    mon_inject(t, args);
    write_and_wait(t, &p, 8, sa, 0, 4 * ODP_PAGE, dst, 0);
    eq_quiet(t);
    send1(t, p.a, 9, ODP_HCA_WQE_RDMA_WRITE, sb->iova + 100, 3 * ODP_PAGE,
          sb->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 9, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    g_assert_cmpint(n, ==, 1);
    check_fault(&ev[0], p.a->qpn, sb->key, sb->iova + 100, 3 * ODP_PAGE,
                3 * ODP_PAGE, ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);

    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_injected, ==, inj0 + 3);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, inj0 + 3);
    {
        OdpHcaFaultRecordList *r = list->value->faults;
        uint32_t keys[3] = { sa->key, sa->key, sb->key };

        for (i = 0; i < (int)inj0; i++) {
            r = r->next;
        }
        for (i = 0; i < 3; i++, r = r->next) {
            g_assert_nonnull(r);
            g_assert_cmphex(r->value->key, ==, keys[i]);
            g_assert_true(r->value->injected);
            g_assert_cmpint(r->value->outcome, ==,
                            ODP_HCA_FAULT_OUTCOME_RESUMED);
        }
        g_assert_null(r);
    }
    eq_quiet(t);
    t_free(t);
}

static uint32_t mon_flush(T *t)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'odp-hca-flush-iotlb',"
                           " 'arguments': { 'id': 'hca0' } }");
    QDict *ret = qdict_get_qdict(rsp, "return");
    uint32_t n;

    g_assert_nonnull(ret);
    g_assert_cmpuint(qdict_size(ret), ==, 1);
    n = qdict_get_int(ret, "entries");
    qobject_unref(rsp);
    return n;
}

/*
 * odp-hca-flush-iotlb: the entries it drops are those cached, and the
 * accesses after it walk the tables again.  A large IOTLB, so that the
 * few entries here do not evict each other (checked: all hit).
 */
static void test_mon_flush(void)
{
    enum { NP = 4 };
    T *t = t_new("id=hca0,iotlb-entries=65536");
    g_autoptr(OdpHcaInfoList) l0 = NULL;
    g_autoptr(OdpHcaInfoList) l1 = NULL;
    struct odp_hca_cqe c;
    Buf *src, *dst, *osrc;
    uint32_t token;
    Pair p;

#define DELTA(f) (l1->value->counters->f - l0->value->counters->f)
#define STEP() do { qapi_free_OdpHcaInfoList(l0); l0 = l1; \
                    l1 = mon_query1(t); } while (0)

    pair_new(t, &p);
    src = buf_pinned(t, NP * ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, NP * ODP_PAGE, ACC_ALL);
    osrc = buf_odp(t, ODP_PAGE, ACC_LW);
    buf_map(t, osrc, osrc->iova, ODP_PAGE, false);

    g_assert_cmpuint(mon_flush(t), ==, 0);      /* nothing translated */
    l1 = mon_query1(t);

    /* NP pages each side: walked once, cached */
    write_and_wait(t, &p, 1, src, 0, NP * ODP_PAGE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_misses), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_hits), ==, 0);
    write_and_wait(t, &p, 2, src, 0, NP * ODP_PAGE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 0);
    g_assert_cmpuint(DELTA(iotlb_hits), ==, 2 * NP);

    g_assert_cmpuint(mon_flush(t), ==, 2 * NP);
    g_assert_cmpuint(mon_flush(t), ==, 0);
    STEP();
    /* the flush is not an INVALIDATE command */
    g_assert_cmpuint(DELTA(invalidations), ==, 0);
    g_assert_cmpuint(DELTA(entries_invalidated), ==, 0);
    write_and_wait(t, &p, 3, src, 0, NP * ODP_PAGE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_misses), ==, 2 * NP);

    /*
     * A stale translation (the entry cleared without INVALIDATE) is
     * used until the flush; after it, the access faults.
     */
    write_and_wait(t, &p, 4, osrc, 0, 64, dst, 0);
    odp_mr_unmap_page(t->h, osrc->mr, osrc->iova);
    write_and_wait(t, &p, 5, osrc, 0, 64, dst, 0);
    eq_quiet(t);
    g_assert_cmpuint(mon_flush(t), ==, 2 * NP + 1);
    send1(t, p.a, 6, ODP_HCA_WQE_RDMA_WRITE, osrc->iova, 64, osrc->key,
          dst->iova, dst->key);
    token = wait_fault(t, p.a->qpn, osrc->key, osrc->iova, 64, 64,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);
    buf_map(t, osrc, osrc->iova, ODP_PAGE, false);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
#undef DELTA
#undef STEP
    t_free(t);
}


/*
 * @n pairs whose requesters each WRITE 64 bytes from an unmapped
 * on-demand page (a fault each), with EQ 0 not consumed automatically.
 */
static void mon_fault_pairs(T *t, Pair *p, Buf **src, Buf *dst, int n)
{
    for (int i = 0; i < n; i++) {
        pair_new(t, &p[i]);
        src[i] = buf_odp(t, ODP_PAGE, ACC_LW);
    }
    t->h->eq0->auto_ci = false;
    for (int i = 0; i < n; i++) {
        send1(t, p[i].a, 0x400 + i, ODP_HCA_WQE_RDMA_WRITE, src[i]->iova, 64,
              src[i]->key, dst->iova + i * 64, dst->key);
    }
}

/*
 * events-dropped counts events lost to a full EQ; page-fault events
 * that find EQ 0 full wait and are posted later, so they are not lost.
 */
static void test_mon_dropped(void)
{
    enum { NF = 6 };
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    g_autoptr(OdpHcaInfoList) list = NULL;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[NF];
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *src[NF];
    Pair p[NF];
    OdpEq *eqc;
    OdpCq *cq;
    OdpQpCfg cfg;
    OdpQp *qp;
    int i, n = 0;

    mon_reset_stats(t);
    mon_fault_pairs(t, p, src, dst, NF);
    while (n < 4) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    while (n < NF) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    for (i = 0; i < NF; i++) {
        buf_map(t, src[i], src[i]->iova, ODP_PAGE, false);
        resume_ok(t, e[i].fault.token);
    }
    for (i = 0; i < NF; i++) {
        odp_cq_wait(h, p[i].cqa, &c);
        g_assert_cmpuint(c.status, ==, ODP_HCA_WC_SUCCESS);
    }

    /* two completion events lost to a full EQ (4 entries, 6 events) */
    eqc = odp_eq_new(h, 2, ODP_VEC_FREE);
    eqc->auto_ci = false;
    cq = odp_cq_new(h, 4, eqc, 0);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, qp, qp->qpn, NULL);
    for (i = 0; i < 6; i++) {
        odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
        send1(t, qp, 0x500 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8,
              dst->key, dst->iova + 1024, dst->key);
        wait_cqe(t, cq, &c, 0x500 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
        odp_settle(h, 8);
    }
    for (i = 0; i < 4; i++) {
        odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, NULL);
    }
    odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);

    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, NF);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, NF);
    if (list->value->counters->events_dropped != 2) {
        odp_diag("events-dropped %" PRIu64 ": 2 completion events were "
                 "lost; %d page-fault events waited for room and were "
                 "posted", list->value->counters->events_dropped, NF - 4);
    }
    g_assert_cmpuint(list->value->counters->events_dropped, ==, 2);
    t_free(t);
}

/*
 * The service latency runs "from the fault event being posted to the
 * RESUME": a fault event that waited for room in EQ 0 is posted when
 * the driver makes room, and its latency starts then.
 */
static void test_mon_latency_deferred(void)
{
    enum { NF = 5 };
    const int64_t d1 = 10000, d2 = 3000;
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    g_autoptr(OdpHcaInfoList) list = NULL;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[NF];
    Buf *dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    Buf *src[NF];
    Pair p[NF];
    ExpFault ef[NF];
    int64_t t0;
    int i, n = 0;

    mon_reset_stats(t);
    t0 = odp_clock_now(h);
    mon_fault_pairs(t, p, src, dst, NF);
    while (n < 4) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_clock_step(h, d1);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);     /* posts the 5th */
    odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    odp_clock_step(h, d2);
    for (i = 0; i < NF; i++) {
        int j = 0;

        while (j < NF && p[j].a->qpn != e[i].obj) {
            j++;
        }
        g_assert_cmpint(j, <, NF);
        ef[i] = (ExpFault) {
            .token = e[i].fault.token, .qpn = p[j].a->qpn,
            .key = src[j]->key, .iova = src[j]->iova, .length = 64,
            .access = ODP_HCA_FAULT_ACCESS_READ,
            .side = ODP_HCA_FAULT_SIDE_REQUESTER, .time_ns = t0,
        };
        buf_map(t, src[j], src[j]->iova, ODP_PAGE, false);
        mon_resume(t, &ef[i], ODP_HCA_RESUME_OK);
        odp_cq_wait(h, p[j].cqa, &c);
        g_assert_cmpuint(c.status, ==, ODP_HCA_WC_SUCCESS);
    }
    /* e[4] was posted when the driver made room, d1 after it was raised */
    ef[4].service_ns = d2;

    /* records are in the order the faults were raised */
    list = mon_query1(t);
    mon_check_latency(list->value->latency, ef, NF);
    {
        OdpHcaFaultRecordList *r = list->value->faults;

        for (n = 0; r; r = r->next, n++) {
            i = 0;
            while (i < NF && ef[i].qpn != r->value->qpn) {
                i++;
            }
            g_assert_cmpint(i, <, NF);
            mon_check_record(r->value, &ef[i], r->value->seq);
            g_assert_cmpuint(r->value->seq, ==, n + 1);
        }
        g_assert_cmpint(n, ==, NF);
    }
    t_free(t);
}

/* ------------------------------------------------------------------ */
/* 10b. Resets that arrive while the device is busy                     */

/*
 * The device's own DMA and MSI-X writes reach PCI configuration space
 * through q35's ECAM window, which belongs to the host bridge and so is
 * beyond the device's memory re-entrancy guard: they can set FLR in the
 * device's Device Control, or Secondary Bus Reset in the root port above
 * it, while the device is in the middle of its own work.  Whatever it
 * was doing, QEMU stays up, the device ends in the documented post-reset
 * state, and it works again after the driver's bring-up.
 */
enum { SELF_FLR, SELF_SBR };                    /* what the write resets */
enum { SELF_BY_DMA, SELF_BY_MSIX };             /* how it gets there */
enum { SELF_IN_SEND, SELF_IN_ERROR, SELF_IN_RESUME, SELF_IN_COMMAND };

#define SELF_EVIL_IOVA      0x40000000ull
#define SELF_BAD_KEY        0x7fff00u       /* names no MR */

typedef struct SelfReset {
    int what, how, when;
} SelfReset;

static const SelfReset self_resets[] = {
    { SELF_FLR, SELF_BY_DMA, SELF_IN_SEND },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_ERROR },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_RESUME },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_SEND },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_ERROR },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_RESUME },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_SEND },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_ERROR },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_RESUME },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_SEND },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_ERROR },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_RESUME },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_COMMAND },
};

/* Where the 32-bit write that resets goes, and what it says. */
static void self_target(T *t, int what, uint64_t *addr, uint32_t *val)
{
    OdpHca *h = t->h;

    if (what == SELF_FLR) {
        uint8_t pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
        uint16_t ctl;

        g_assert_cmphex(pcie, !=, 0);
        ctl = qpci_config_readw(&h->dev, pcie + PCI_EXP_DEVCTL);
        *addr = odp_ecam_dev(h, pcie + PCI_EXP_DEVCTL);
        /* Device Status above it is write-one-to-clear: zeros are inert */
        *val = ctl | PCI_EXP_DEVCTL_BCR_FLR;
    } else {
        /* interrupt line, pin (read-only), then Bridge Control */
        *addr = odp_ecam_port(h, PCI_INTERRUPT_LINE);
        *val = (uint32_t)PCI_BRIDGE_CTL_BUS_RESET << 16;
    }
}

/* An MR whose one page is the configuration page holding @addr. */
static OdpMr *self_evil_mr(T *t, uint64_t addr)
{
    OdpMr *mr = odp_mr_prepare(t->h, t->pd, SELF_EVIL_IOVA, ODP_PAGE, 1,
                               ACC_ALL, 0);

    odp_mr_map_page(t->h, mr, SELF_EVIL_IOVA, addr & ~(uint64_t)0xfff, true);
    g_assert_cmpuint(odp_mr_register(t->h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

/* The next completion on @cq sends its EQ's vector's message to @addr. */
static void self_aim(T *t, OdpCq *cq, uint64_t addr, uint32_t val)
{
    OdpHca *h = t->h;

    odp_eq_db(h, h->ceq->eqn, h->ceq->ci, true);
    odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
    odp_msix_aim(h, h->ceq->vector, addr, val, false);
}

/* Post a command and ring, without waiting: it may reset the device. */
static void self_post_cmd(OdpHca *h, struct odp_hca_cmd *cmd)
{
    cmd->owner = ODP_HCA_CMD_OWNER_HW;
    odp_write(h, odp_cmdq_entry(h, h->cmd_pi), cmd, sizeof(*cmd));
    h->cmd_pi++;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
}

static void self_reset_one(const SelfReset *v)
{
    static const char *const what[] = { "FLR", "secondary bus reset" };
    static const char *const how[] = { "DMA", "MSI-X" };
    static const char *const when[] = { "SEND", "error completion",
                                        "RESUME", "command" };
    T *t = g_new0(T, 1);
    OdpHca *h;
    Pair p;
    Buf *src, *dst;
    uint64_t addr;
    uint32_t val;

    t->h = h = odp_hca_start_port(NULL);
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    t->next_iova = 0x10000000;
    odp_ecam_enable(h);
    self_target(t, v->what, &addr, &val);
    odp_diag("%s by the device's own %s while it processes a %s",
             what[v->what], how[v->how], when[v->when]);

    pair_new(t, &p);
    src = buf_pinned(t, ODP_PAGE, ACC_ALL);
    dst = buf_pinned(t, ODP_PAGE, ACC_ALL);
    buf_write(t, src, 0, &val, sizeof(val));

    if (v->when == SELF_IN_COMMAND) {
        /*
         * QUERY_DEVICE writes the limits where it is told: max_cqe
         * (0x8000 by default) lands on Device Control, FLR set.
         */
        struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_DEVICE };

        g_assert_cmpuint(v->what, ==, SELF_FLR);
        g_assert_cmphex(h->caps.max_cqe, ==, PCI_EXP_DEVCTL_BCR_FLR);
        cmd.query_device.caps_addr =
            addr - offsetof(struct odp_hca_caps, max_cqe);
        self_post_cmd(h, &cmd);
    } else if (v->when == SELF_IN_RESUME) {
        /* a's WQE stalls on a fault; the RESUME resets the device */
        Buf *odp = buf_odp(t, ODP_PAGE, ACC_LW);
        struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_RESUME };
        uint32_t token;

        odp_mem_write(h, odp->m, odp->iova, &val, sizeof(val));
        if (v->how == SELF_BY_DMA) {
            OdpMr *evil = self_evil_mr(t, addr);

            send1(t, p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 4,
                  odp->key, SELF_EVIL_IOVA + (addr & 0xfff), evil->key);
        } else {
            send1(t, p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 4,
                  odp->key, dst->iova, dst->key);
        }
        token = wait_fault(t, p.a->qpn, odp->key, odp->iova, 4, ODP_PAGE,
                           ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
        cmd.resume.token = token;
        if (v->how == SELF_BY_DMA) {
            /* resumed, the WRITE lands in configuration space */
            buf_map(t, odp, odp->iova, ODP_PAGE, false);
            cmd.resume.status = ODP_HCA_RESUME_OK;
        } else {
            /* failed, the error completion's event is the message */
            self_aim(t, p.cqa, addr, val);
            cmd.resume.status = ODP_HCA_RESUME_FAIL;
        }
        self_post_cmd(h, &cmd);
    } else if (v->how == SELF_BY_DMA) {
        OdpMr *evil = self_evil_mr(t, addr);
        struct odp_hca_sge sg[2] = {
            sge(SELF_EVIL_IOVA + (addr & 0xfff), 4, evil->key),
            sge(dst->iova, 64, SELF_BAD_KEY),
        };

        /* the SEND's first bytes land in configuration space; for the
         * error, the rest meets an SGE with a key that names no MR */
        odp_post_recv(h, p.b, 0xb1, sg, v->when == SELF_IN_ERROR ? 2 : 1);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova,
              v->when == SELF_IN_ERROR ? 8 : 4, src->key, 0, 0);
    } else if (v->when == SELF_IN_SEND) {
        post_recv1(t, p.b, 0xb1, dst->iova, 64, dst->key);
        self_aim(t, p.cqb, addr, val);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova, 4, src->key, 0, 0);
    } else {
        self_aim(t, p.cqa, addr, val);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova, 4, SELF_BAD_KEY,
              0, 0);
    }
    odp_settle(h, ODP_QUIET_ROUNDS);

    /* QEMU is alive, and the PCI side was reset */
    g_assert_true(qtest_probe_child(h->qts));
    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_COMMAND) &
                    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    if (v->what == SELF_SBR) {
        g_assert_cmphex(qpci_config_readw(h->port, PCI_BRIDGE_CONTROL) &
                        PCI_BRIDGE_CTL_BUS_RESET, ==,
                        PCI_BRIDGE_CTL_BUS_RESET);
        qpci_config_writew(h->port, PCI_BRIDGE_CONTROL, 0);
    }
    odp_hca_pci_setup(h);

    /* the documented post-reset state, no flag left behind */
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CTRL), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_LOG_SIZE), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_PI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    /* up again: the old objects are gone, new ones move data */
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, p.a->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, src->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    check_fresh_pair_works(t, 53);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    t_free(t);
}

static void test_reset_self(gconstpointer data)
{
    self_reset_one(data);
}

/* ------------------------------------------------------------------ */

/*
 * Each test runs in a subprocess of its own: a failed assertion aborts
 * only that test (and its QEMU), the suite goes on to the next one.
 */
/* A test and its parameter. */
typedef struct IsolatedData {
    GTestDataFunc fn;
    gconstpointer data;
} IsolatedData;

static void run_isolated(gconstpointer p)
{
    const IsolatedData *d = p;

    if (g_test_subprocess()) {
        d->fn(d->data);
        return;
    }
    g_test_trap_subprocess(NULL, 180 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void add_test_data(const char *path, gconstpointer data,
                          GTestDataFunc fn)
{
    IsolatedData *d = g_new0(IsolatedData, 1);

    d->fn = fn;
    d->data = data;
    g_test_add_data_func_full(path, d, run_isolated, g_free);
}

static void run_plain(gconstpointer fn)
{
    ((GTestFunc)fn)();
}

static void add_test(const char *path, GTestFunc fn)
{
    add_test_data(path, (gconstpointer)fn, run_plain);
}

int main(int argc, char **argv)
{
    bool subprocess = false;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--GTestSubprocess")) {
            subprocess = true;
        }
    }
    g_test_init(&argc, &argv, NULL);
    if (!subprocess) {
        /* a failed test is reported, and the next ones still run */
        g_test_set_nonfatal_assertions();
        if (!qtest_has_device("odp-hca")) {
            g_test_message("odp-hca is not built into this QEMU");
            return g_test_run();
        }
    }

    add_test("/odp-hca/probe/props", test_probe);
    add_test("/odp-hca/probe/defaults", test_probe_defaults);
    add_test("/odp-hca/probe/limits", test_limits);
    add_test("/odp-hca/probe/interrupts", test_interrupts);
    add_test("/odp-hca/probe/busy", test_objects_busy);

    add_test("/odp-hca/rc/send", test_rc_send);
    add_test("/odp-hca/rc/send-imm", test_rc_send_imm);
    add_test("/odp-hca/rc/write", test_rc_write);
    add_test("/odp-hca/rc/write-imm", test_rc_write_imm);
    add_test("/odp-hca/rc/read", test_rc_read);
    add_test("/odp-hca/rc/atomic", test_rc_atomic);
    add_test("/odp-hca/rc/multi-sge", test_rc_multi_sge);
    add_test("/odp-hca/rc/inline", test_rc_inline);
    add_test("/odp-hca/rc/large", test_rc_large);
    add_test("/odp-hca/rc/sqd", test_rc_sqd);
    add_test("/odp-hca/rc/self", test_rc_self);
    add_test("/odp-hca/rc/ring-wrap", test_rc_ring_wrap);
    add_test("/odp-hca/ud/send", test_ud_send);
    add_test("/odp-hca/ud/errors", test_ud_errors);
    add_test("/odp-hca/srq/recv", test_srq);

    add_test("/odp-hca/err/bad-lkey", test_err_bad_lkey);
    add_test("/odp-hca/err/remote-access", test_err_remote_access);
    add_test("/odp-hca/err/local", test_err_local);
    add_test("/odp-hca/err/rnr", test_err_rnr);
    add_test("/odp-hca/err/retry", test_err_retry);
    add_test("/odp-hca/err/length", test_err_length);
    add_test("/odp-hca/err/flush", test_err_flush);
    add_test("/odp-hca/err/destroy-peer", test_err_destroy_peer);

    add_test("/odp-hca/odp/requester/write", test_odp_req_write);
    add_test("/odp-hca/odp/requester/read", test_odp_req_read);
    add_test("/odp-hca/odp/requester/readonly", test_odp_req_readonly);
    add_test("/odp-hca/odp/requester/atomic", test_odp_req_atomic);
    add_test("/odp-hca/odp/requester/partial", test_odp_req_partial);
    add_test("/odp-hca/odp/resume-fail", test_odp_resume_fail);
    add_test("/odp-hca/odp/token-lifetime", test_odp_token_lifetime);
    add_test("/odp-hca/odp/responder/write", test_odp_resp_write);
    add_test("/odp-hca/odp/responder/rnr-exceeded",
                   test_odp_resp_rnr_exceeded);
    add_test("/odp-hca/odp/responder/send", test_odp_resp_send);
    add_test("/odp-hca/odp/responder/read", test_odp_resp_read);
    add_test("/odp-hca/odp/responder/atomic", test_odp_resp_atomic);
    add_test("/odp-hca/odp/responder/fail", test_odp_resp_fail);
    add_test("/odp-hca/odp/responder/ud", test_odp_resp_ud);
    add_test("/odp-hca/odp/implicit", test_odp_implicit);
    add_test("/odp-hca/odp/isolation", test_odp_isolation);
    add_test("/odp-hca/odp/destroy-mr", test_odp_destroy_mr_faulting);

    add_test("/odp-hca/invalidate/pinned", test_inval_pinned);
    add_test("/odp-hca/invalidate/odp", test_inval_odp);
    add_test("/odp-hca/invalidate/all-destroy", test_inval_all_destroy);
    add_test("/odp-hca/invalidate/iotlb-size", test_inval_iotlb_size);
    add_test("/odp-hca/invalidate/ranges", test_invalidate_ranges);

    add_test("/odp-hca/reset/flr", test_reset_flr);
    add_test("/odp-hca/reset/ctrl", test_reset_ctrl);
    add_test("/odp-hca/reset/fatal", test_reset_fatal);
    add_test("/odp-hca/reset/timers", test_reset_timers);
    for (size_t k = 0; k < ARRAY_SIZE(self_resets); k++) {
        static const char *const what[] = { "flr", "sbr" };
        static const char *const how[] = { "dma", "msix" };
        static const char *const when[] = { "send", "error", "resume",
                                            "command" };
        const SelfReset *v = &self_resets[k];
        g_autofree char *path = g_strdup_printf(
            "/odp-hca/reset/self/%s-by-%s-in-%s", what[v->what],
            how[v->how], when[v->when]);

        add_test_data(path, v, test_reset_self);
    }

    add_test("/odp-hca/hostile/opcode", test_bad_opcode);
    add_test("/odp-hca/hostile/handles", test_bad_handles);
    add_test("/odp-hca/hostile/rings", test_bad_rings);
    add_test("/odp-hca/hostile/mr", test_bad_mr);
    add_test("/odp-hca/hostile/qp-create", test_bad_qp_create);
    add_test("/odp-hca/hostile/qp-state", test_bad_qp_state);
    add_test("/odp-hca/hostile/qp-attr", test_bad_qp_attr);
    add_test("/odp-hca/hostile/doorbell-uar", test_bad_doorbell_uar);
    add_test("/odp-hca/hostile/doorbell-counter",
                   test_bad_doorbell_counter);
    add_test("/odp-hca/hostile/doorbell-backwards",
             test_bad_doorbell_backwards);
    add_test("/odp-hca/hostile/wqe", test_bad_wqe);
    add_test("/odp-hca/hostile/pte", test_bad_pte);
    add_test("/odp-hca/hostile/cq-overflow", test_cq_overflow);
    add_test("/odp-hca/hostile/eq-full", test_eq_full);
    add_test("/odp-hca/hostile/registers", test_bad_registers);
    add_test("/odp-hca/hostile/cmdq-owner", test_cmdq_owner);
    add_test("/odp-hca/hostile/dma-to-self", test_dma_to_self);
    add_test("/odp-hca/hostile/msix-to-self", test_msix_to_self);
    add_test("/odp-hca/hostile/ring-pages", test_bad_ring_pages);
    add_test("/odp-hca/hostile/garbage", test_garbage);

    add_test("/odp-hca/monitor/schema/none", test_mon_none);
    add_test("/odp-hca/monitor/schema/one", test_mon_schema_one);
    add_test("/odp-hca/monitor/schema/two", test_mon_schema_two);
    add_test("/odp-hca/monitor/counters", test_mon_counters);
    add_test("/odp-hca/monitor/ring", test_mon_ring);
    add_test("/odp-hca/monitor/hmp", test_mon_hmp);
    add_test("/odp-hca/monitor/inject", test_mon_inject);
    add_test("/odp-hca/monitor/inject-both-sides",
             test_mon_inject_both_sides);
    add_test("/odp-hca/monitor/flush-iotlb", test_mon_flush);
    add_test("/odp-hca/monitor/events-dropped", test_mon_dropped);
    add_test("/odp-hca/monitor/latency-deferred", test_mon_latency_deferred);

    return g_test_run();
}
