/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/ud/.
 *
 * UD: SENDs that land behind a GRH, and a UD QP's errors (a message
 * longer than the MTU, RDMA WRITE on UD); the GSI QP, QP 1.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
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

static void v4_gid(uint8_t gid[16], uint32_t addr)
{
    memset(gid, 0, 16);
    gid[10] = gid[11] = 0xff;
    stl_be_p(gid + 12, addr);
}

/* The IPv4 form of a GRH slot: 20 zero bytes, then the packet's header. */
static void check_grh_ipv4(T *t, Buf *b, uint64_t off, const OdpWr *wr,
                           uint32_t payload_len)
{
    static const uint8_t zero[ODP_HCA_GRH_IPV4_OFFSET];
    uint8_t grh[ODP_HCA_GRH_LEN];
    const uint8_t *ip = grh + ODP_HCA_GRH_IPV4_OFFSET;
    uint32_t sum = 0;
    int i;

    odp_mem_read(t->h, b->m, b->iova + off, grh, sizeof(grh));
    g_assert_cmpmem(grh, sizeof(zero), zero, sizeof(zero));
    g_assert_cmphex(ip[0], ==, 0x45);
    g_assert_cmphex(ip[1], ==, wr->ud.traffic_class);
    /* IP + UDP + BTH + DETH + payload + ICRC */
    g_assert_cmpuint(lduw_be_p(ip + 2), ==, 20 + 8 + 12 + 8 + payload_len + 4);
    g_assert_cmpuint(ip[8], ==, wr->ud.hop_limit);
    g_assert_cmpuint(ip[9], ==, 17);
    g_assert_cmpmem(ip + 12, 4, wr->ud.sgid + 12, 4);
    g_assert_cmpmem(ip + 16, 4, wr->ud.dgid + 12, 4);
    for (i = 0; i < 20; i += 2) {
        sum += lduw_be_p(ip + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    g_assert_cmphex(sum, ==, 0xffff);       /* a valid header checksum */
}

static OdpQpCfg gsi_cfg(T *t, OdpCq *cq)
{
    OdpQpCfg cfg;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_GSI, t->pd, cq, cq);
    cfg.max_send_sge = 2;
    return cfg;
}

/*
 * QP 1: CREATE_QP of type GSI answers QP 1 and BUSY for a second; a CM
 * MAD (a 256-byte datagram from QP 1 to QP 1, as rdma_cm in loopback
 * sends, with IPv4-mapped GIDs as on RoCEv2) lands behind the IPv4 form
 * of the GRH; another Q_Key is dropped; datagrams the GSI QP sends name
 * source QP 1.
 */
static void test_ud_gsi(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    OdpCq *cqu = odp_cq_new(t->h, 6, NULL, 0);
    OdpCq *cqg = odp_cq_new(t->h, 6, NULL, 0);
    OdpQpCfg cfg = gsi_cfg(t, cqg);
    OdpQp *g, *g2 = NULL, *u;
    OdpWr wr;
    Buf *sb, *rb;
    g_autofree uint8_t *data = NULL;

    g_assert_cmpuint(odp_qp_create(t->h, &cfg, &g), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(g->qpn, ==, ODP_HCA_GSI_QPN);
    g_assert_cmpuint(odp_qp_create(t->h, &cfg, &g2), ==, ODP_HCA_CMD_BUSY);
    odp_qp_ud_ready(t->h, g, ODP_HCA_GSI_QKEY);
    u = ud_qp(t, cqu, 0x1234);
    g_assert_cmpuint(u->qpn, >, ODP_HCA_GSI_QPN);

    sb = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, sb, 21);

    post_recv1(t, g, 0xa1, rb->iova, ODP_HCA_GRH_LEN + 256, rb->key);
    ud_wr(t, &wr, 0xb1, sb->iova, 256, sb->key, ODP_HCA_GSI_QPN,
          ODP_HCA_GSI_QKEY);
    v4_gid(wr.ud.sgid, 0x0a000001);
    v4_gid(wr.ud.dgid, 0x0a000002);
    odp_send(t->h, g, &wr);
    wait_cqe(t, cqg, &c, 0xb1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             ODP_HCA_GSI_QPN);
    wait_recv(t, cqg, &c, 0xa1, ODP_HCA_CQE_RECV, ODP_HCA_GSI_QPN,
              ODP_HCA_GSI_QPN, ODP_HCA_GRH_LEN + 256);
    g_assert_cmphex(c.flags & (ODP_HCA_CQE_F_GRH | ODP_HCA_CQE_F_GRH_IPV4),
                    ==, ODP_HCA_CQE_F_GRH | ODP_HCA_CQE_F_GRH_IPV4);
    check_grh_ipv4(t, rb, 0, &wr, 256);
    buf_check(t, rb, ODP_HCA_GRH_LEN, data, 256, "MAD to QP 1");

    /* another Q_Key: dropped at QP 1, the sender still succeeds */
    post_recv1(t, g, 0xa2, rb->iova, ODP_HCA_GRH_LEN + 256, rb->key);
    ud_wr(t, &wr, 0xb2, sb->iova, 256, sb->key, ODP_HCA_GSI_QPN, 0x1234);
    odp_send(t->h, u, &wr);
    wait_cqe(t, cqu, &c, 0xb2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, u->qpn);
    quiet(t, cqg);

    /* QP 1 sends: the receiver sees source QP 1 (IPv6 GIDs: no F_GRH_IPV4) */
    post_recv1(t, u, 0xa3, rb->iova + ODP_HCA_PAGE_SIZE,
               ODP_HCA_GRH_LEN + 256, rb->key);
    ud_wr(t, &wr, 0xb3, sb->iova + 256, 100, sb->key, u->qpn, 0x1234);
    odp_send(t->h, g, &wr);
    wait_cqe(t, cqg, &c, 0xb3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             ODP_HCA_GSI_QPN);
    wait_recv(t, cqu, &c, 0xa3, ODP_HCA_CQE_RECV, u->qpn, ODP_HCA_GSI_QPN,
              ODP_HCA_GRH_LEN + 100);
    g_assert_cmphex(c.flags & (ODP_HCA_CQE_F_GRH | ODP_HCA_CQE_F_GRH_IPV4),
                    ==, ODP_HCA_CQE_F_GRH);
    check_grh(t, rb, ODP_HCA_PAGE_SIZE, &wr);
    buf_check(t, rb, ODP_HCA_PAGE_SIZE + ODP_HCA_GRH_LEN, data + 256, 100,
              "datagram from QP 1");

    /* QP 1 is free again once destroyed */
    g_assert_cmpuint(odp_cmd_simple(t->h, ODP_HCA_CMD_DESTROY_QP,
                                    ODP_HCA_GSI_QPN), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_qp_create(t->h, &cfg, &g2), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(g2->qpn, ==, ODP_HCA_GSI_QPN);
    t_free(t);
}

void odp_hca_add_ud_tests(void)
{
    add_test("/odp-hca/ud/send", test_ud_send);
    add_test("/odp-hca/ud/errors", test_ud_errors);
    add_test("/odp-hca/ud/gsi", test_ud_gsi);
}
