/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/err/.
 *
 * Error completions: bad keys, remote access, local errors, RNR and
 * transport retries, lengths, flushes, and peers destroyed mid-retry.
 */

#include "qemu/osdep.h"
#include "framework.h"

static void test_err_bad_lkey(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c, cs[3];
    Pair p;
    Buf *src, *dst;
    int i1 = -1, i2 = -1;

    pair_new(t, &p);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    buf_check_fill(t, dst, 0, 0xee, ODP_HCA_PAGE_SIZE, "nothing written");
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *ro = buf_pinned(t, ODP_HCA_PAGE_SIZE,
                         ACC_LW | ODP_HCA_ACCESS_REMOTE_READ);
    Buf *wo = buf_pinned(t, ODP_HCA_PAGE_SIZE,
                         ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    Buf *all = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *other = buf_pinned_pd(t, pd2, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
        all->iova + ODP_HCA_PAGE_SIZE - 10, all->key);
    one_shot(t, &p, &wr, ODP_HCA_WC_REM_ACCESS_ERR);
    buf_check_fill(t, all, 0, 0xee, ODP_HCA_PAGE_SIZE, "WRITE past the MR");

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
    Buf *src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *nolw = buf_pinned(t, ODP_HCA_PAGE_SIZE, ODP_HCA_ACCESS_REMOTE_READ);
    Buf *other = buf_pinned_pd(t, pd2, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *holes = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpWr wr;
    Pair p;

    buf_fill(t, dst, 0xee);
    /* holes: page 1 absent, page 0 read-only */
    odp_mr_unmap_page(t->h, holes->mr, holes->iova + ODP_HCA_PAGE_SIZE);
    odp_mr_map_page(t->h, holes->mr, holes->iova, holes->m->pages[0], false);

    /* SGE past the MR */
    wr1(&wr, 0x20, ODP_HCA_WQE_RDMA_WRITE,
        src->iova + 2 * ODP_HCA_PAGE_SIZE - 8, 64, src->key, dst->iova,
        dst->key);
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
    wr1(&wr, 0x23, ODP_HCA_WQE_RDMA_WRITE, holes->iova + ODP_HCA_PAGE_SIZE, 64,
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
          holes->iova + ODP_HCA_PAGE_SIZE, holes->key);
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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

/* QPs destroyed or reset while their retry timers are armed. */
static void test_err_destroy_peer(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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

void odp_hca_add_err_tests(void)
{
    add_test("/odp-hca/err/bad-lkey", test_err_bad_lkey);
    add_test("/odp-hca/err/remote-access", test_err_remote_access);
    add_test("/odp-hca/err/local", test_err_local);
    add_test("/odp-hca/err/rnr", test_err_rnr);
    add_test("/odp-hca/err/retry", test_err_retry);
    add_test("/odp-hca/err/length", test_err_length);
    add_test("/odp-hca/err/flush", test_err_flush);
    add_test("/odp-hca/err/destroy-peer", test_err_destroy_peer);
}
