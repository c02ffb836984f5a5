/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/rc/.
 *
 * RC loopback operations with pinned MRs: SEND, WRITE, READ and atomics,
 * with immediates, several SGEs, inline data and large messages; SQD, a
 * QP connected to itself, and rings that wrap.
 */

#include "qemu/osdep.h"
#include "framework.h"

static void test_rc_send(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    buf_check_fill(t, dst, 7000, 0xee, 2 * ODP_HCA_PAGE_SIZE - 7000,
                   "after SEND");
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
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    src = buf_pinned(t, 3 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 3);
    buf_fill(t, dst, 0xee);

    send1(t, p.a, 0x77, ODP_HCA_WQE_RDMA_WRITE, src->iova + 5000, 3000,
          src->key, dst->iova + 100, dst->key);
    wait_cqe(t, p.cqa, &c, 0x77, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(t, dst, 100, data + 5000, 3000, "WRITE payload");
    buf_check_fill(t, dst, 0, 0xee, 100, "before WRITE");
    buf_check_fill(t, dst, 3100, 0xee, 2 * ODP_HCA_PAGE_SIZE - 3100,
                   "after WRITE");
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
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rbuf = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 4);
    buf_fill(t, dst, 0xee);
    buf_fill(t, rbuf, 0xdd);

    post_recv1(t, p.b, 0xb7, rbuf->iova, ODP_HCA_PAGE_SIZE, rbuf->key);
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
    buf_check_fill(t, rbuf, 0, 0xdd, ODP_HCA_PAGE_SIZE,
                   "WRITE_IMM receive buffer");
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
    loc = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    rem = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, rem, 5);
    buf_fill(t, loc, 0xee);

    send1(t, p.a, 0x3ead, ODP_HCA_WQE_RDMA_READ, loc->iova + 50, 5000,
          loc->key, rem->iova + 300, rem->key);
    wait_cqe(t, p.cqa, &c, 0x3ead, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    g_assert_cmpuint(c.byte_len, ==, 5000);
    buf_check(t, loc, 50, data + 300, 5000, "READ payload");
    buf_check_fill(t, loc, 0, 0xee, 50, "before READ");
    buf_check_fill(t, loc, 5050, 0xee, 2 * ODP_HCA_PAGE_SIZE - 5050,
                   "after READ");
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
    loc = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rem = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    s1 = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    s2 = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    d1 = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    d2 = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    g_autofree uint8_t *data = g_malloc(17 * ODP_HCA_PAGE_SIZE);
    Pair p;

    pair_new(t, &p);
    ms = odp_mem_new(t->h, t_iova(t, 17 * ODP_HCA_PAGE_SIZE),
                     17 * ODP_HCA_PAGE_SIZE);
    md = odp_mem_new(t->h, t_iova(t, 17 * ODP_HCA_PAGE_SIZE),
                     17 * ODP_HCA_PAGE_SIZE);
    mr3 = odp_mem_new(t->h, t_iova(t, 17 * ODP_HCA_PAGE_SIZE),
                      17 * ODP_HCA_PAGE_SIZE);
    rs = odp_mr_new_pinned(t->h, t->pd, ms, ACC_ALL, 2);
    rd = odp_mr_new_pinned(t->h, t->pd, md, ACC_ALL, 3);
    r3 = odp_mr_new_pinned(t->h, t->pd, mr3, ACC_ALL, 4);
    odp_pattern(data, 17 * ODP_HCA_PAGE_SIZE, 9);
    odp_mem_write(t->h, ms, ms->iova, data, 17 * ODP_HCA_PAGE_SIZE);
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
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
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

/* A QP connected to itself: "possibly itself" in the specification. */
static void test_rc_self(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c, cs[2];
    OdpCq *cq = odp_cq_new(t->h, 6, NULL, 0);
    Buf *a = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *b = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
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
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
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

            post_recv1(t, b, 0xb000 + n, dst->iova + i * ODP_HCA_PAGE_SIZE, 256,
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
            buf_check(t, dst, i * ODP_HCA_PAGE_SIZE, data + n * 16, 64 + i,
                      "SEND through wrapped rings");
        }
    }
    quiet(t, cqa);
    quiet(t, cqb);

    /* a fault and flushes after the wrap report ring indexes too */
    {
        Buf *odp = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
        uint32_t token;

        send1(t, a, 0xa100, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 16, odp->key,
              dst->iova, dst->key);
        send1(t, a, 0xa101, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
              dst->iova, dst->key);
        token = wait_fault(t, a->qpn, odp->key, odp->iova, 16,
                           ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_READ,
                           ODP_HCA_FAULT_REQUESTER, 0);
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

/*
 * An untranslated MR (the kernel's local DMA key): its addresses are the
 * guest's own.  A WRITE reads a source page through it and lands in a
 * destination page through it, as the scrambled pinned mapping of the
 * same memory says; a bad CREATE_MR of the kind is refused; an address
 * outside guest memory is a DMA error, not host memory.
 */
static void test_rc_physical_key(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;
    OdpMr *pm, *bad;
    uint64_t spa, dpa;
    g_autofree uint8_t *data = NULL;

    pair_new(t, &p);
    src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    data = buf_pattern(t, src, 17);
    buf_fill(t, dst, 0xee);

    pm = odp_mr_prepare(t->h, t->pd, 0, 1ull << 48, 0, ACC_ALL,
                        ODP_HCA_MR_F_PHYSICAL);
    g_assert_cmpuint(odp_mr_register(t->h, pm), ==, ODP_HCA_CMD_OK);

    /* the second page of each buffer, by its guest address */
    spa = odp_mem_pa(src->m, src->iova + ODP_HCA_PAGE_SIZE);
    dpa = odp_mem_pa(dst->m, dst->iova + ODP_HCA_PAGE_SIZE);
    send1(t, p.a, 0x31, ODP_HCA_WQE_RDMA_WRITE, spa + 40, 2000, pm->key,
          dpa + 100, pm->key);
    wait_cqe(t, p.cqa, &c, 0x31, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, ODP_HCA_PAGE_SIZE + 100,
              data + ODP_HCA_PAGE_SIZE + 40, 2000, "WRITE by guest address");
    buf_check_fill(t, dst, 0, 0xee, ODP_HCA_PAGE_SIZE + 100,
                   "before the WRITE");

    /* outside guest memory: the requester's DMA fails */
    send1(t, p.a, 0x32, ODP_HCA_WQE_RDMA_WRITE, 0xfff000000000ull, 64,
          pm->key, dpa, pm->key);
    wait_cqe(t, p.cqa, &c, 0x32, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_DMA);

    /* with another flag, at another iova, or empty: refused */
    bad = odp_mr_prepare(t->h, t->pd, 0, 1ull << 48, 0, ACC_ALL,
                         ODP_HCA_MR_F_PHYSICAL | ODP_HCA_MR_F_ON_DEMAND);
    g_assert_cmpuint(odp_mr_register(t->h, bad), ==, ODP_HCA_CMD_BAD_PARAM);
    bad->flags = ODP_HCA_MR_F_PHYSICAL;
    bad->iova = ODP_HCA_PAGE_SIZE;
    g_assert_cmpuint(odp_mr_register(t->h, bad), ==, ODP_HCA_CMD_BAD_PARAM);
    bad->iova = 0;
    bad->length = 0;
    g_assert_cmpuint(odp_mr_register(t->h, bad), ==, ODP_HCA_CMD_BAD_PARAM);
    t_free(t);
}

/*
 * The same 64 KiB WRITE, one after another on one QP, each completed
 * before the next; the destination holds the source at the end.
 * ODP_HCA_REPEAT sets how many (8 by default): make bench runs it under
 * callgrind at two counts, and the difference is the device's
 * instructions for that many 64 KiB WRITEs (scripts/bench-callgrind.sh).
 */
static void test_rc_write_repeat(void)
{
    const char *env = getenv("ODP_HCA_REPEAT");
    uint32_t n = env ? strtoul(env, NULL, 10) : 8;
    const uint32_t len = 64 * 1024;
    T *t = t_new(NULL);
    Buf *src = buf_pinned(t, len, ACC_ALL);
    Buf *dst = buf_pinned(t, len, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 12);
    Pair p;

    g_assert_cmpuint(n, >, 0);
    pair_new(t, &p);
    buf_fill(t, dst, 0xee);
    for (uint32_t i = 0; i < n; i++) {
        write_and_wait(t, &p, 0x100 + i, src, 0, len, dst, 0);
    }
    buf_check(t, dst, 0, data, len, "after the repeated 64 KiB WRITEs");
    quiet(t, p.cqa);
    t_free(t);
}

void odp_hca_add_rc_tests(void)
{
    add_test("/odp-hca/rc/send", test_rc_send);
    add_test("/odp-hca/rc/send-imm", test_rc_send_imm);
    add_test("/odp-hca/rc/write", test_rc_write);
    add_test("/odp-hca/rc/physical-key", test_rc_physical_key);
    add_test("/odp-hca/rc/write-imm", test_rc_write_imm);
    add_test("/odp-hca/rc/read", test_rc_read);
    add_test("/odp-hca/rc/atomic", test_rc_atomic);
    add_test("/odp-hca/rc/multi-sge", test_rc_multi_sge);
    add_test("/odp-hca/rc/inline", test_rc_inline);
    add_test("/odp-hca/rc/large", test_rc_large);
    add_test("/odp-hca/rc/write-repeat", test_rc_write_repeat);
    add_test("/odp-hca/rc/sqd", test_rc_sqd);
    add_test("/odp-hca/rc/self", test_rc_self);
    add_test("/odp-hca/rc/ring-wrap", test_rc_ring_wrap);
}
