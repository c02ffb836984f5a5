/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/frmr/.
 *
 * Fast registration, as kernel upper-layer protocols (nvme-rdma, iSER,
 * SMB Direct) use it: fast-reg MRs created free, REG_MR and LOCAL_INV
 * work requests, SEND_WITH_INV freeing the MR at the responder, the
 * errors of each, and local operations keeping the SQ's order.
 */

#include "qemu/osdep.h"
#include "framework.h"

/* A fast-reg MR of @pd: free, its key's variant 0. */
static OdpMr *frmr_new(T *t, uint32_t pd)
{
    OdpMr *mr = odp_mr_prepare(t->h, pd, 0, 0, 1, 0, ODP_HCA_MR_F_FAST_REG);

    g_assert_cmpuint(odp_mr_register(t->h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

/*
 * A fresh table page for a registration of [iova, iova + len): its
 * pages are the first ones of @m, writable.
 */
static uint64_t frmr_table(T *t, const OdpMem *m, uint64_t iova,
                           uint64_t len)
{
    uint64_t table = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint64_t n = odp_hca_mr_pages(iova, len);

    for (uint64_t i = 0; i < n; i++) {
        odp_write64(t->h, table + i * 8,
                    odp_mem_pa(m, m->iova + i * ODP_HCA_PAGE_SIZE) |
                    ODP_HCA_PTE_PRESENT | ODP_HCA_PTE_WRITABLE);
    }
    return table;
}

/* Post (and ring) a REG_MR of the fast-reg MR to @key. */
static void post_reg(T *t, OdpQp *qp, uint64_t wr_id, uint32_t key,
                     uint64_t iova, uint64_t len, uint64_t table,
                     uint32_t access)
{
    struct odp_hca_wqe_reg_mr w = {
        .wr_id = wr_id,
        .opcode = ODP_HCA_WQE_REG_MR,
        .flags = ODP_HCA_WQE_F_SIGNALED,
        .access = access,
        .iova = iova,
        .key = key,
        .length = len,
        .table = table,
    };

    odp_post_send_raw(t->h, qp, &w, sizeof(w));
    odp_ring_sq(t->h, qp);
}

/* REG_MR of @key over [iova, iova + len) of @m; waits for its success. */
static void reg_ok(T *t, OdpQp *qp, OdpCq *cq, uint64_t wr_id, uint32_t key,
                   const OdpMem *m, uint64_t iova, uint64_t len)
{
    struct odp_hca_cqe c;

    post_reg(t, qp, wr_id, key, iova, len, frmr_table(t, m, iova, len),
             ACC_ALL);
    wait_cqe(t, cq, &c, wr_id, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_REG_MR,
             qp->qpn);
    g_assert_cmpuint(c.byte_len, ==, 0);
}

static void local_inv(T *t, OdpQp *qp, uint64_t wr_id, uint32_t key)
{
    OdpWr wr;

    odp_wr_init(&wr, wr_id, ODP_HCA_WQE_LOCAL_INV);
    wr.rkey = key;
    odp_send(t->h, qp, &wr);
}

/* A WRITE of @len bytes of @src to @raddr/@rkey, expected to give @status. */
static void write_expect(T *t, Pair *p, uint64_t wr_id, Buf *src,
                         uint32_t len, uint64_t raddr, uint32_t rkey,
                         uint8_t status)
{
    struct odp_hca_cqe c;

    send1(t, p->a, wr_id, ODP_HCA_WQE_RDMA_WRITE, src->iova, len, src->key,
          raddr, rkey);
    wait_cqe(t, p->cqa, &c, wr_id, status,
             status == ODP_HCA_WC_SUCCESS ? ODP_HCA_CQE_RDMA_WRITE : -1,
             p->a->qpn);
}

/* A peer's WRITE and READ through the registered key, bytes checked. */
static void test_frmr_write_read(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpMem *m = odp_mem_new(t->h, t_iova(t, 3 * ODP_HCA_PAGE_SIZE),
                            3 * ODP_HCA_PAGE_SIZE);
    uint64_t iova = m->iova + 300;      /* not page aligned, as a bio's */
    OdpMr *mr;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;
    g_autofree uint8_t *back = g_malloc(6000);
    uint32_t key;
    Pair p;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    key = odp_hca_key_make(ODP_HCA_KEY_INDEX(mr->key), 0x5a);
    src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 41);
    odp_mem_fill(t->h, m, 0xee);
    buf_fill(t, dst, 0xdd);

    /* free: neither its first key nor the next one reaches memory */
    write_expect(t, &p, 0x1, src, 16, iova, mr->key,
                 ODP_HCA_WC_REM_ACCESS_ERR);
    pair_new(t, &p);
    write_expect(t, &p, 0x2, src, 16, iova, key, ODP_HCA_WC_REM_ACCESS_ERR);
    pair_new(t, &p);

    /* the responder's side registers it, as a target does for its bio */
    reg_ok(t, p.b, p.cqb, 0x10, key, m, iova, 6000);
    write_expect(t, &p, 0x11, src, 6000, iova, key, ODP_HCA_WC_SUCCESS);
    check_bytes(t, m, iova, data, 6000, "WRITE through the fast-reg key");
    check_bytes(t, m, m->iova, (uint8_t[300]) { [0 ... 299] = 0xee }, 300,
                "before the registration");

    send1(t, p.a, 0x12, ODP_HCA_WQE_RDMA_READ, dst->iova, 6000, dst->key,
          iova, key);
    wait_cqe(t, p.cqa, &c, 0x12, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    buf_check(t, dst, 0, data, 6000, "READ through the fast-reg key");

    /* the registration's bounds are the WQE's, not the pages' */
    write_expect(t, &p, 0x13, src, 16, iova + 6000 - 8, key,
                 ODP_HCA_WC_REM_ACCESS_ERR);
    odp_mem_read(t->h, m, iova, back, 6000);
    g_assert_cmpmem(back, 6000, data, 6000);
    t_free(t);
}

/*
 * Re-registration: the same key again over other pages lands there (no
 * stale cached translation); a new variant refuses the old one.
 */
static void test_frmr_rereg(void)
{
    T *t = t_new(NULL);
    OdpMem *m1 = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                             ODP_HCA_PAGE_SIZE);
    OdpMem *m2 = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                             ODP_HCA_PAGE_SIZE);
    uint32_t k1, k2;
    OdpMr *mr;
    Buf *src;
    g_autofree uint8_t *data = NULL;
    struct odp_hca_cqe c;
    Pair p;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    k1 = odp_hca_key_make(ODP_HCA_KEY_INDEX(mr->key), 1);
    k2 = odp_hca_key_make(ODP_HCA_KEY_INDEX(mr->key), 2);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 42);
    odp_mem_fill(t->h, m1, 0x11);
    odp_mem_fill(t->h, m2, 0x22);

    reg_ok(t, p.b, p.cqb, 0x20, k1, m1, 0x10000, 4096);
    write_expect(t, &p, 0x21, src, 4096, 0x10000, k1, ODP_HCA_WC_SUCCESS);
    check_bytes(t, m1, m1->iova, data, 4096, "first registration");

    /* REG_MR of a registered MR fails; the registration stays */
    post_reg(t, p.b, 0x22, k1, 0x10000, 4096,
             frmr_table(t, m2, m2->iova, 4096), ACC_ALL);
    wait_cqe(t, p.cqb, &c, 0x22, ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_CQE_REG_MR,
             p.b->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_MR_STATE);
    pair_new(t, &p);

    local_inv(t, p.b, 0x23, k1);
    wait_cqe(t, p.cqb, &c, 0x23, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_LOCAL_INV,
             p.b->qpn);
    /* the same key, other pages: a cached translation would hit m1 */
    odp_mem_fill(t->h, m1, 0x11);
    reg_ok(t, p.b, p.cqb, 0x24, k1, m2, 0x10000, 4096);
    write_expect(t, &p, 0x25, src, 4096, 0x10000, k1, ODP_HCA_WC_SUCCESS);
    check_bytes(t, m2, m2->iova, data, 4096, "same key, new pages");
    check_bytes(t, m1, m1->iova, (uint8_t[4096]) { [0 ... 4095] = 0x11 },
                4096, "old pages untouched");

    /* a new variant: the old key is refused */
    local_inv(t, p.b, 0x26, k1);
    wait_cqe(t, p.cqb, &c, 0x26, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_LOCAL_INV,
             p.b->qpn);
    reg_ok(t, p.b, p.cqb, 0x27, k2, m1, 0x10000, 4096);
    write_expect(t, &p, 0x28, src, 64, 0x10000, k1,
                 ODP_HCA_WC_REM_ACCESS_ERR);

    /* DESTROY_MR names a fast-reg MR by any variant of its key */
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, mr->key), ==,
                     ODP_HCA_CMD_OK);
    t_free(t);
}

/* LOCAL_INV frees the MR: remote and local access then fail. */
static void test_frmr_local_inv(void)
{
    T *t = t_new(NULL);
    OdpMem *m = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                            ODP_HCA_PAGE_SIZE);
    struct odp_hca_cqe c;
    OdpMr *mr;
    Buf *src;
    Pair p;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_pattern(t, src, 43);

    reg_ok(t, p.b, p.cqb, 0x30, mr->key, m, m->iova, 4096);
    write_expect(t, &p, 0x31, src, 100, m->iova, mr->key, ODP_HCA_WC_SUCCESS);
    local_inv(t, p.b, 0x32, mr->key);
    wait_cqe(t, p.cqb, &c, 0x32, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_LOCAL_INV,
             p.b->qpn);
    write_expect(t, &p, 0x33, src, 100, m->iova, mr->key,
                 ODP_HCA_WC_REM_ACCESS_ERR);

    /* as an lkey too: a free MR is no MR */
    pair_new(t, &p);
    send1(t, p.a, 0x34, ODP_HCA_WQE_RDMA_WRITE, m->iova, 100, mr->key,
          src->iova, src->key);
    wait_cqe(t, p.cqa, &c, 0x34, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_BAD_LKEY);
    t_free(t);
}

/* SEND_WITH_INV: the message lands, the MR is freed, the CQE says so. */
static void test_frmr_send_inv(void)
{
    T *t = t_new(NULL);
    OdpMem *m = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                            ODP_HCA_PAGE_SIZE);
    struct odp_hca_cqe c;
    Buf *src, *rb;
    g_autofree uint8_t *data = NULL;
    OdpMr *mr;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 44);
    buf_fill(t, rb, 0xee);

    reg_ok(t, p.b, p.cqb, 0x40, mr->key, m, m->iova, 4096);
    write_expect(t, &p, 0x41, src, 64, m->iova, mr->key, ODP_HCA_WC_SUCCESS);

    /* two packets: SEND_FIRST, then SEND_LAST_WITH_INVALIDATE */
    post_recv1(t, p.b, 0x400, rb->iova, 2 * ODP_HCA_PAGE_SIZE, rb->key);
    wr1(&wr, 0x42, ODP_HCA_WQE_SEND_INV, src->iova, 5000, src->key, 0,
        mr->key);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x42, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0x400, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn,
              5000);
    g_assert_cmphex(c.flags & (ODP_HCA_CQE_F_INVALIDATE | ODP_HCA_CQE_F_IMM),
                    ==, ODP_HCA_CQE_F_INVALIDATE);
    g_assert_cmphex(c.imm_data, ==, mr->key);
    buf_check(t, rb, 0, data, 5000, "SEND_WITH_INV payload");

    /* freed: the next access through it fails */
    write_expect(t, &p, 0x43, src, 64, m->iova, mr->key,
                 ODP_HCA_WC_REM_ACCESS_ERR);

    /* SEND_ONLY_WITH_INVALIDATE of a free MR's key frees nothing more */
    pair_new(t, &p);
    post_recv1(t, p.b, 0x401, rb->iova, 100, rb->key);
    wr1(&wr, 0x44, ODP_HCA_WQE_SEND_INV, src->iova, 100, src->key, 0,
        mr->key);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x44, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0x401, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 100);
    g_assert_true(c.flags & ODP_HCA_CQE_F_INVALIDATE);
    t_free(t);
}

/* An rkey SEND_WITH_INV cannot invalidate: remote operational error. */
static void test_frmr_send_inv_bad(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src, *rb;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);

    /* a pinned MR is no fast-reg MR */
    post_recv1(t, p.b, 0x500, rb->iova, 4096, rb->key);
    wr1(&wr, 0x50, ODP_HCA_WQE_SEND_INV, src->iova, 100, src->key, 0,
        src->key);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x50, ODP_HCA_WC_REM_OP_ERR, -1, p.a->qpn);
    wait_cqe(t, p.cqb, &c, 0x500, ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_CQE_RECV,
             p.b->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_MR_STATE);
    g_assert_cmpuint(c.flags, ==, 0);

    /* a key that names nothing */
    pair_new(t, &p);
    post_recv1(t, p.b, 0x501, rb->iova, 4096, rb->key);
    wr1(&wr, 0x51, ODP_HCA_WQE_SEND_INV, src->iova, 100, src->key, 0,
        odp_hca_key_make(t->h->caps.max_mrs, 0));
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 0x51, ODP_HCA_WC_REM_OP_ERR, -1, p.a->qpn);
    wait_cqe(t, p.cqb, &c, 0x501, ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_CQE_RECV,
             p.b->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_BAD_LKEY);
    t_free(t);
}

/* One REG_MR or LOCAL_INV on a fresh pair; it must fail as told. */
static void local_op_fails(T *t, uint8_t opcode, uint32_t key, uint64_t len,
                           uint8_t num_sge, uint8_t status, uint8_t verr)
{
    OdpMem *m = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                            ODP_HCA_PAGE_SIZE);
    struct odp_hca_wqe_reg_mr w = {
        .wr_id = 0x60,
        .opcode = opcode,
        .flags = ODP_HCA_WQE_F_SIGNALED,
        .num_sge = num_sge,
        .access = ACC_ALL,
        .iova = m->iova,
        .key = key,
        .length = len,
        .table = frmr_table(t, m, m->iova, 1),
    };
    struct odp_hca_cqe c;
    Pair p;

    pair_new(t, &p);
    odp_post_send_raw(t->h, p.a, &w, sizeof(w));
    odp_ring_sq(t->h, p.a);
    wait_cqe(t, p.cqa, &c, 0x60, status,
             opcode == ODP_HCA_WQE_REG_MR ? ODP_HCA_CQE_REG_MR :
                                            ODP_HCA_CQE_LOCAL_INV, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, verr);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_ERR);
}

static void test_frmr_errors(void)
{
    T *t = t_new(NULL);
    uint32_t pd2 = odp_pd_new(t->h);
    OdpMr *mr = frmr_new(t, t->pd), *other = frmr_new(t, pd2);
    uint32_t idx = ODP_HCA_KEY_INDEX(mr->key);
    Buf *pinned = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_MR };

    /* REG_MR of an MR that is no fast-reg MR, or of another PD */
    local_op_fails(t, ODP_HCA_WQE_REG_MR, pinned->key, 4096, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_MR_STATE);
    local_op_fails(t, ODP_HCA_WQE_REG_MR, other->key, 4096, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_BAD_LKEY);
    local_op_fails(t, ODP_HCA_WQE_REG_MR,
                   odp_hca_key_make(t->h->caps.max_mrs, 0), 4096, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_BAD_LKEY);
    /* too long for one table page, empty, SGEs */
    local_op_fails(t, ODP_HCA_WQE_REG_MR, mr->key,
                   (ODP_HCA_FAST_REG_MAX_PAGES + 1ull) * ODP_HCA_PAGE_SIZE, 0,
                   ODP_HCA_WC_LOC_QP_OP_ERR, ODP_HCA_VERR_BAD_WQE);
    local_op_fails(t, ODP_HCA_WQE_REG_MR, mr->key, 0, 0,
                   ODP_HCA_WC_LOC_QP_OP_ERR, ODP_HCA_VERR_BAD_WQE);
    local_op_fails(t, ODP_HCA_WQE_REG_MR, mr->key, 4096, 1,
                   ODP_HCA_WC_LOC_QP_OP_ERR, ODP_HCA_VERR_BAD_WQE);
    /* LOCAL_INV with another variant of the key, of a pinned MR */
    local_op_fails(t, ODP_HCA_WQE_LOCAL_INV, odp_hca_key_make(idx, 7), 0, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_BAD_LKEY);
    local_op_fails(t, ODP_HCA_WQE_LOCAL_INV, pinned->key, 0, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_MR_STATE);
    local_op_fails(t, ODP_HCA_WQE_LOCAL_INV, other->key, 0, 0,
                   ODP_HCA_WC_LOC_PROT_ERR, ODP_HCA_VERR_BAD_LKEY);
    /* the MR that all of these named is still free and usable */
    {
        OdpMem *m = odp_mem_new(t->h, t_iova(t, ODP_HCA_PAGE_SIZE),
                                ODP_HCA_PAGE_SIZE);
        Pair p;

        pair_new(t, &p);
        reg_ok(t, p.a, p.cqa, 0x61, mr->key, m, m->iova, 4096);
    }

    /* a fast-reg MR takes no other flag */
    cmd.create_mr.pdn = t->pd;
    cmd.create_mr.key = odp_mr_key_alloc(t->h);
    cmd.create_mr.flags = ODP_HCA_MR_F_FAST_REG | ODP_HCA_MR_F_ON_DEMAND;
    g_assert_cmpuint(odp_cmd_exec(t->h, &cmd), ==, ODP_HCA_CMD_BAD_PARAM);
    t_free(t);
}

/*
 * A local operation waits for the WQEs before it and completes in SQ
 * order.  Here it frees the MR the WRITE before it reads from, while
 * that WRITE is held up by RNR NAKs and sent again (go-back-N): had the
 * LOCAL_INV run early, the resent WRITE would fail.
 */
static void test_frmr_order(void)
{
    T *t = t_new(NULL);
    OdpMem *m = odp_mem_new(t->h, t_iova(t, 3 * ODP_HCA_PAGE_SIZE),
                            3 * ODP_HCA_PAGE_SIZE);
    struct odp_hca_cqe c[3];
    g_autofree uint8_t *data = g_malloc(8000);
    uint32_t token;
    OdpMr *mr;
    Buf *dst;
    Pair p;
    int i;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    dst = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE,
                  ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    odp_pattern(data, 8000, 45);
    odp_mem_write(t->h, m, m->iova + 100, data, 8000);

    reg_ok(t, p.a, p.cqa, 0x70, mr->key, m, m->iova + 100, 8000);
    send1(t, p.a, 0x71, ODP_HCA_WQE_RDMA_WRITE, m->iova + 100, 8000, mr->key,
          dst->iova, dst->key);
    local_inv(t, p.a, 0x72, mr->key);
    send1(t, p.a, 0x73, ODP_HCA_WQE_RDMA_WRITE, m->iova + 100, 8, mr->key,
          dst->iova, dst->key);

    token = wait_fault(t, p.b->qpn, dst->key, dst->iova, 8000,
                       2 * ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    for (i = 0; i < 10; i++) {
        odp_clock_step(t->h, RNR_STEP);
        odp_cq_assert_empty(t->h, p.cqa, 8);
    }
    buf_map(t, dst, dst->iova, 2 * ODP_HCA_PAGE_SIZE, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c[0], 0x71, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, RNR_STEP, RNR_STEPS);
    wait_cqe(t, p.cqa, &c[1], 0x72, ODP_HCA_WC_SUCCESS,
             ODP_HCA_CQE_LOCAL_INV, p.a->qpn);
    g_assert_cmpuint(c[1].wqe_index, ==, c[0].wqe_index + 1);
    buf_check(t, dst, 0, data, 8000, "WRITE resent before the LOCAL_INV");
    /* the WRITE after it finds the MR free */
    wait_cqe(t, p.cqa, &c[2], 0x73, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c[2].vendor_err, ==, ODP_HCA_VERR_BAD_LKEY);
    t_free(t);
}

/*
 * A table entry, or the table itself, outside guest memory: the
 * registration succeeds (the table is read on use) and the access fails
 * as a pinned MR's hostile entry does.
 */
static void test_frmr_hostile_table(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    uint64_t table = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    OdpMr *mr;
    Buf *src;
    Pair p;

    pair_new(t, &p);
    mr = frmr_new(t, t->pd);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    odp_write64(t->h, table, ODP_BAD_ADDR | ODP_HCA_PTE_PRESENT |
                             ODP_HCA_PTE_WRITABLE);

    post_reg(t, p.b, 0x80, mr->key, 0x40000, 4096, table, ACC_ALL);
    wait_cqe(t, p.cqb, &c, 0x80, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_REG_MR,
             p.b->qpn);
    write_expect(t, &p, 0x81, src, 64, 0x40000, mr->key,
                 ODP_HCA_WC_REM_ACCESS_ERR);

    pair_new(t, &p);
    local_inv(t, p.b, 0x82, mr->key);
    wait_cqe(t, p.cqb, &c, 0x82, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_LOCAL_INV,
             p.b->qpn);
    post_reg(t, p.b, 0x83, mr->key, 0x40000, 4096, ODP_BAD_ADDR, ACC_ALL);
    wait_cqe(t, p.cqb, &c, 0x83, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_REG_MR,
             p.b->qpn);
    send1(t, p.a, 0x84, ODP_HCA_WQE_RDMA_READ, src->iova, 64, src->key,
          0x40000, mr->key);
    wait_cqe(t, p.cqa, &c, 0x84, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    t_free(t);
}

void odp_hca_add_frmr_tests(void)
{
    add_test("/odp-hca/frmr/write-read", test_frmr_write_read);
    add_test("/odp-hca/frmr/rereg", test_frmr_rereg);
    add_test("/odp-hca/frmr/local-inv", test_frmr_local_inv);
    add_test("/odp-hca/frmr/send-inv", test_frmr_send_inv);
    add_test("/odp-hca/frmr/send-inv-bad", test_frmr_send_inv_bad);
    add_test("/odp-hca/frmr/errors", test_frmr_errors);
    add_test("/odp-hca/frmr/order", test_frmr_order);
    add_test("/odp-hca/frmr/hostile-table", test_frmr_hostile_table);
}
