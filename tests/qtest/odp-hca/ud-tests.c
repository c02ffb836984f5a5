/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/ud/.
 *
 * UD: SENDs that land behind a GRH, and a UD QP's errors (a message
 * longer than the MTU, RDMA WRITE on UD).
 */

#include "qemu/osdep.h"
#include "framework.h"

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

    sb = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, sb, 11);
    buf_fill(t, rb, 0xee);
    pair_new(t, &rc);

    post_recv1(t, r, 0x71, rb->iova, ODP_HCA_GRH_LEN + 512, rb->key);
    post_recv1(t, r, 0x72, rb->iova + ODP_HCA_PAGE_SIZE, ODP_HCA_GRH_LEN + 512,
               rb->key);

    ud_wr(t, &wr, 0x61, sb->iova + 10, 200, sb->key, r->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x61, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x71, ODP_HCA_CQE_RECV, r->qpn, s->qpn,
              ODP_HCA_GRH_LEN + 200);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_GRH, ==, ODP_HCA_CQE_F_GRH);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    check_grh(t, rb, 0, &wr);
    buf_check(t, rb, ODP_HCA_GRH_LEN, data + 10, 200, "UD payload");
    buf_check_fill(t, rb, ODP_HCA_GRH_LEN + 200, 0xee, 100, "after UD payload");

    /* qkey mismatch: dropped, the sender still succeeds */
    ud_wr(t, &wr, 0x62, sb->iova, 100, sb->key, r->qpn, 0x9999);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x62, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    quiet(t, cqr);
    buf_check_fill(t, rb, ODP_HCA_PAGE_SIZE, 0xee, 600, "qkey mismatch");

    /* bit 31: the sender QP's qkey (0x1234) matches */
    ud_wr(t, &wr, 0x63, sb->iova + 500, 300, sb->key, r->qpn, 0x80000000);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x63, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x72, ODP_HCA_CQE_RECV, r->qpn, s->qpn,
              ODP_HCA_GRH_LEN + 300);
    g_assert_cmpuint(c.wqe_index, ==, 1);
    buf_check(t, rb, ODP_HCA_PAGE_SIZE + ODP_HCA_GRH_LEN, data + 500, 300,
              "UD payload 2");

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
    post_recv1(t, r, 0x73, rb->iova + 2 * ODP_HCA_PAGE_SIZE,
               ODP_HCA_GRH_LEN + 512, rb->key);
    ud_wr(t, &wr, 0x67, sb->iova + 1000, 512, sb->key, r->qpn, 0x1234);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x67, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x73, ODP_HCA_CQE_RECV, r->qpn, s->qpn,
              ODP_HCA_GRH_LEN + 512);
    g_assert_cmpuint(c.wqe_index, ==, 2);
    buf_check(t, rb, 2 * ODP_HCA_PAGE_SIZE + ODP_HCA_GRH_LEN, data + 1000, 512,
              "UD payload 3");
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

    sb = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, sb, 12);

    /* exactly 4096 bytes: fine */
    post_recv1(t, r, 0x81, rb->iova, ODP_HCA_GRH_LEN + 4096, rb->key);
    ud_wr(t, &wr, 0x91, sb->iova + 5, 4096, sb->key, r->qpn, 0x42);
    odp_send(t->h, s, &wr);
    wait_cqe(t, cqs, &c, 0x91, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, s->qpn);
    wait_recv(t, cqr, &c, 0x81, ODP_HCA_CQE_RECV, r->qpn, s->qpn,
              ODP_HCA_GRH_LEN + 4096);
    buf_check(t, rb, ODP_HCA_GRH_LEN, data + 5, 4096, "4 KiB datagram");

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

void odp_hca_add_ud_tests(void)
{
    add_test("/odp-hca/ud/send", test_ud_send);
    add_test("/odp-hca/ud/errors", test_ud_errors);
}
