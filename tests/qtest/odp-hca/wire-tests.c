/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/wire/.
 *
 * The RC transport on a wire: the device's netdev is a socket backend on
 * one end of a socketpair (as in port-tests.c), and the test, on the
 * other end, plays the remote RoCEv2 peer of an RC QP whose address
 * vector points away from the port.  It parses the frames the device
 * sends and builds the ones it answers with using the device's own
 * RoCEv2 frame module (hw/odp-hca-roce.c, linked into this binary), so
 * every frame in either direction carries a real ICRC.
 *
 * The virtual clock moves only when a test steps it: ACK and RNR
 * timeouts happen exactly when a test says so.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/socket.h>
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qemu/bswap.h"
#include "wire.h"

/* 1: a 3-packet WRITE goes out right; the peer's ACK completes it. */
static void test_wire_requester(void)
{
    Wire w;
    Frame f[3];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint64_t raddr = 0x7f0000abc000ull;
    const uint32_t rkey = 0x12345, len = 3000;

    wire_new(&w, NULL);
    src = buf_pattern(w.t, w.buf, 1);
    wire_post_write(&w, 0x11, 100, len, raddr, rkey);
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src + 100, len, raddr, rkey);
    /* only the last asks for an ACK; the first two need none */
    g_assert_false(f[0].pkt.ack_req);
    g_assert_false(f[1].pkt.ack_req);
    odp_settle(w.t->h, ODP_QUIET_ROUNDS);
    quiet(w.t, w.cq);
    wire_quiet(&w);

    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 2), 1);
    wait_cqe(w.t, w.cq, &c, 0x11, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    wire_quiet(&w);

    /* the next WRITE carries on from the next PSN: one packet */
    wire_post_write(&w, 0x12, 0, 500, raddr, rkey);
    wire_expect_write(&w, f, 1, psn_add(w.sq_psn, 3), 0, src, 500, raddr,
                      rkey);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 3), 2);
    wait_cqe(w.t, w.cq, &c, 0x12, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, 0);
    wire_free(&w);
}

/* The peer's READ response @op at @psn with @len bytes of @data. */
static void wire_send_read_resp(Wire *w, uint8_t op, uint32_t psn,
                                const uint8_t *data, uint32_t len)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, op, psn);
    p.aeth.syndrome = SYN_ACK;
    p.payload = data;
    p.payload_len = len;
    wire_send(w, &p);
}

/*
 * 1b: the device's READ and FETCH_ADD answered from the wire; a READ
 * response lost on the way asks again for what did not land.
 */
static void test_wire_requester_read(void)
{
    Wire w;
    Frame f;
    OdpWr wr;
    struct odp_hca_cqe c;
    uint8_t rem[2500];
    const uint64_t raddr = 0x40000;
    const uint32_t rkey = 0x66;
    uint32_t psn;

    wire_new(&w, NULL);
    psn = w.sq_psn;
    buf_fill(w.t, w.buf, 0xee);
    odp_pattern(rem, sizeof(rem), 71);

    send1(w.t, w.qp, 0x81, ODP_HCA_WQE_RDMA_READ, w.buf->iova + 8, 2500,
          w.buf->key, raddr, rkey);
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
    g_assert_cmphex(f.pkt.reth.va, ==, raddr);
    g_assert_cmphex(f.pkt.reth.rkey, ==, rkey);
    g_assert_cmpuint(f.pkt.reth.dma_len, ==, 2500);
    wire_quiet(&w);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST, psn,
                        rem, 1024);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE,
                        psn_add(psn, 1), rem + 1024, 1024);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST,
                        psn_add(psn, 2), rem + 2048, 452);
    wait_cqe(w.t, w.cq, &c, 0x81, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             w.qp->qpn);
    buf_check(w.t, w.buf, 8, rem, 2500, "READ from the wire");
    buf_check_fill(w.t, w.buf, 2508, 0xee, 64, "after the READ");
    wire_quiet(&w);
    psn = psn_add(psn, 3);

    /* the MIDDLE response lost: the READ asks again from there */
    buf_fill(w.t, w.buf, 0xee);
    send1(w.t, w.qp, 0x82, ODP_HCA_WQE_RDMA_READ, w.buf->iova, 2500,
          w.buf->key, raddr, rkey);
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST, psn,
                        rem, 1024);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST,
                        psn_add(psn, 2), rem + 2048, 452);
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn_add(psn, 1));
    g_assert_cmphex(f.pkt.reth.va, ==, raddr + 1024);
    g_assert_cmphex(f.pkt.reth.rkey, ==, rkey);
    g_assert_cmpuint(f.pkt.reth.dma_len, ==, 2500 - 1024);
    wire_quiet(&w);
    quiet(w.t, w.cq);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST,
                        psn_add(psn, 1), rem + 1024, 1024);
    wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST,
                        psn_add(psn, 2), rem + 2048, 452);
    wait_cqe(w.t, w.cq, &c, 0x82, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             w.qp->qpn);
    buf_check(w.t, w.buf, 0, rem, 2500, "READ asked again");
    psn = psn_add(psn, 3);

    /* FETCH_ADD: the original value comes back into the local buffer */
    wr1(&wr, 0x83, ODP_HCA_WQE_ATOMIC_FA, w.buf->iova + 0x1000, 8,
        w.buf->key, raddr + 0x100, rkey);
    wr.compare_add = 5;
    odp_send(w.t->h, w.qp, &wr);
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_FETCH_ADD, psn);
    g_assert_cmphex(f.pkt.atomic.va, ==, raddr + 0x100);
    g_assert_cmphex(f.pkt.atomic.rkey, ==, rkey);
    g_assert_cmphex(f.pkt.atomic.swap_add, ==, 5);
    {
        OdpHcaRocePacket p;

        pkt_init(&w, &p, ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE, psn);
        p.aeth.syndrome = SYN_ACK;
        p.atomic_ack = 0x1122334455667788ull;
        wire_send(&w, &p);
        /* the same answer again: a duplicate, dropped */
        wire_send(&w, &p);
    }
    wait_cqe(w.t, w.cq, &c, 0x83, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             w.qp->qpn);
    g_assert_cmphex(buf_read64(w.t, w.buf, 0x1000), ==,
                    0x1122334455667788ull);
    quiet(w.t, w.cq);
    wire_quiet(&w);
    g_assert_cmpuint(qp_state(w.t, w.qp), ==, ODP_HCA_QPS_RTS);
    wire_free(&w);
}

/* 2: the middle packet "lost": NAK sequence error; go back to it. */
static void test_wire_go_back_n(void)
{
    Wire w;
    Frame f[3];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint64_t raddr = 0x10000;
    const uint32_t rkey = 0x777, len = 3000;
    uint64_t retries;

    wire_new(&w, NULL);
    src = buf_pattern(w.t, w.buf, 2);
    retries = wire_counter(&w, "requester-retries");
    wire_post_write(&w, 0x21, 0, len, raddr, rkey);
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, raddr, rkey);

    /* the LAST came, the MIDDLE did not: NAK-seq for the MIDDLE's PSN */
    wire_send_aeth(&w, SYN_NAK_SEQ, psn_add(w.sq_psn, 1), 0);
    wire_expect_write(&w, f, 3, w.sq_psn, 1, src, len, raddr, rkey);
    wire_quiet(&w);
    quiet(w.t, w.cq);
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, retries + 1);

    /* a second NAK-seq for the same PSN (the old LAST's) is ignored */
    wire_send_aeth(&w, SYN_NAK_SEQ, psn_add(w.sq_psn, 1), 0);
    wire_quiet(&w);

    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 2), 1);
    wait_cqe(w.t, w.cq, &c, 0x21, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, retries + 1);

    /* NAK-seq for the first packet: all three again */
    wire_post_write(&w, 0x22, 0, len, raddr, rkey);
    wire_expect_write(&w, f, 3, psn_add(w.sq_psn, 3), 0, src, len, raddr,
                      rkey);
    wire_send_aeth(&w, SYN_NAK_SEQ, psn_add(w.sq_psn, 3), 1);
    wire_expect_write(&w, f, 3, psn_add(w.sq_psn, 3), 0, src, len, raddr,
                      rkey);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 5), 2);
    wait_cqe(w.t, w.cq, &c, 0x22, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, retries + 2);
    wire_free(&w);
}

/* 3: nobody answers: retry_cnt resends on the ACK timer, then the error. */
static void test_wire_ack_timeout(void)
{
    Wire w;
    Frame f[3];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint32_t len = 3000;
    int64_t tmo;
    uint64_t retries;

    tmo = wire_new_timed(&w);
    src = buf_pattern(w.t, w.buf, 3);
    retries = wire_counter(&w, "requester-retries");

    wire_post_write(&w, 0x31, 0, len, 0x20000, 0x99);
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, 0x20000, 0x99);
    wire_quiet(&w);
    /* not quite the timeout: nothing */
    odp_clock_step(w.t->h, tmo - 1000);
    wire_quiet(&w);

    for (int i = 0; i < w.a.retry_cnt; i++) {
        odp_clock_step(w.t->h, i ? tmo + 1000 : 2000);
        /* the same packets again, from the first unacknowledged */
        wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, 0x20000, 0x99);
        wire_quiet(&w);
        quiet(w.t, w.cq);
    }
    odp_clock_step(w.t->h, tmo + 1000);
    wait_cqe(w.t, w.cq, &c, 0x31, ODP_HCA_WC_RETRY_EXC_ERR, -1, w.qp->qpn);
    wait_qp_err(w.t, w.qp);
    wire_quiet(&w);
    /* the ACK timer retries are the transport's retries */
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==,
                     retries + w.a.retry_cnt);
    /* and nothing more, however long */
    odp_clock_step(w.t->h, 10 * tmo);
    wire_quiet(&w);
    wire_free(&w);
}

/*
 * The ACK timer counts from the last send or progress, not from when it
 * was first armed: the device moves its QEMU timer only to bring it
 * earlier (odp_hca_req_ack_timer()), so a timer left from an answered
 * WRITE fires early and must be put off, never resend.
 */
static void test_wire_ack_timeout_restarts(void)
{
    Wire w;
    Frame f[1];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint32_t len = 500;
    int64_t tmo;

    tmo = wire_new_timed(&w);
    src = buf_pattern(w.t, w.buf, 5);

    /* A, answered three quarters into its timeout */
    wire_post_write(&w, 0x51, 0, len, 0x20000, 0x99);
    wire_expect_write(&w, f, 1, w.sq_psn, 0, src, len, 0x20000, 0x99);
    odp_clock_step(w.t->h, tmo * 3 / 4);
    wire_send_aeth(&w, SYN_ACK, w.sq_psn, 1);
    wait_cqe(w.t, w.cq, &c, 0x51, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);

    /* B, never answered: resent one timeout after B, not after A */
    wire_post_write(&w, 0x52, 0, len, 0x20000, 0x99);
    wire_expect_write(&w, f, 1, psn_add(w.sq_psn, 1), 0, src, len, 0x20000,
                      0x99);
    odp_clock_step(w.t->h, tmo / 2);        /* A's timeout has passed */
    wire_quiet(&w);
    odp_clock_step(w.t->h, tmo / 2 - 1000);
    wire_quiet(&w);
    odp_clock_step(w.t->h, 2000);
    wire_expect_write(&w, f, 1, psn_add(w.sq_psn, 1), 0, src, len, 0x20000,
                      0x99);

    /*
     * C goes out behind B; B's ACK, 0.6 timeouts on, is progress: C's
     * wait starts again there, and the deadline of the resend is gone.
     */
    wire_post_write(&w, 0x53, 0, len, 0x20000, 0x99);
    wire_expect_write(&w, f, 1, psn_add(w.sq_psn, 2), 0, src, len, 0x20000,
                      0x99);
    odp_clock_step(w.t->h, tmo * 6 / 10);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 1), 2);
    wait_cqe(w.t, w.cq, &c, 0x52, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    odp_clock_step(w.t->h, tmo / 2);        /* the resend's has passed */
    wire_quiet(&w);
    odp_clock_step(w.t->h, tmo / 2 - 1000);
    wire_quiet(&w);
    odp_clock_step(w.t->h, 2000);
    wire_expect_write(&w, f, 1, psn_add(w.sq_psn, 2), 0, src, len, 0x20000,
                      0x99);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 2), 3);
    wait_cqe(w.t, w.cq, &c, 0x53, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    /* answered: the timer, early or not, sends nothing more */
    odp_clock_step(w.t->h, 3 * tmo);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, 2);
    wire_free(&w);
}

/*
 * The link goes down under a connection.  Shorter than the retry budget,
 * nothing is lost: the ACK timer resends once the link is back.  Longer,
 * the QP goes the way of a dead peer: retry exceeded, error state.
 */
static void test_wire_link_down(void)
{
    Wire w;
    Frame f[3];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint32_t len = 3000;
    uint64_t lost;
    int64_t tmo;

    tmo = wire_new_timed(&w);
    src = buf_pattern(w.t, w.buf, 5);

    /* a flap: posted while down, two timeouts in the dark, then up */
    wire_set_link(&w, false);
    lost = odp_port_count(w.t, "tx-link-down");
    wire_post_write(&w, 0x51, 0, len, 0x30000, 0x77);
    wire_quiet(&w);
    odp_clock_step(w.t->h, tmo + 1000);
    odp_clock_step(w.t->h, tmo + 1000);
    wire_quiet(&w);
    quiet(w.t, w.cq);
    /* every try went to the link and was lost there */
    g_assert_cmpuint(odp_port_count(w.t, "tx-link-down"), ==, lost + 9);
    wire_set_link(&w, true);
    odp_clock_step(w.t->h, tmo + 1000);
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, 0x30000, 0x77);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 2), 1);
    wait_cqe(w.t, w.cq, &c, 0x51, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    wire_quiet(&w);

    /* down for good: the retry budget runs out */
    wire_set_link(&w, false);
    wire_post_write(&w, 0x52, 0, len, 0x30000, 0x77);
    for (int i = 0; i <= w.a.retry_cnt; i++) {
        odp_clock_step(w.t->h, tmo + 1000);
    }
    wait_cqe(w.t, w.cq, &c, 0x52, ODP_HCA_WC_RETRY_EXC_ERR, -1, w.qp->qpn);
    wait_qp_err(w.t, w.qp);
    wire_free(&w);
}

/*
 * 3b: READs shorter than a packet, one at a time (ib_read_lat): the
 * second's request lost, the ACK timer asks again, counted once.  An
 * answered READ must move the oldest unacknowledged PSN past itself, or
 * the timer has nothing to resend.
 */
static void test_wire_read_timeout(void)
{
    Wire w;
    Frame f;
    struct odp_hca_cqe c;
    const uint8_t rem[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    const uint64_t raddr = 0x30000;
    const uint32_t rkey = 0x55;
    uint64_t retries;
    int64_t tmo;
    uint32_t psn;

    tmo = wire_new_timed(&w);
    psn = w.sq_psn;
    retries = wire_counter(&w, "requester-retries");

    for (int i = 0; i < 3; i++) {
        buf_fill(w.t, w.buf, 0xee);
        send1(w.t, w.qp, 0x90 + i, ODP_HCA_WQE_RDMA_READ, w.buf->iova, 8,
              w.buf->key, raddr, rkey);
        wire_expect(&w, &f, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
        if (i == 1) {
            /* lost: after the timeout the same request again */
            wire_quiet(&w);
            odp_clock_step(w.t->h, tmo + 1000);
            wire_expect(&w, &f, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
            g_assert_cmpuint(f.pkt.reth.dma_len, ==, 8);
        }
        wire_send_read_resp(&w, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY, psn,
                            rem, 8);
        wait_cqe(w.t, w.cq, &c, 0x90 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_READ, w.qp->qpn);
        buf_check(w.t, w.buf, 0, rem, 8, "short READ");
        psn = psn_add(psn, 1);
    }
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, retries + 1);
    /* everything answered: the timer has nothing left to resend */
    odp_clock_step(w.t->h, 4 * tmo);
    wire_quiet(&w);
    g_assert_cmpuint(qp_state(w.t, w.qp), ==, ODP_HCA_QPS_RTS);
    wire_free(&w);
}

/*
 * A wire QP for the RNR tests: path MTU 1024, @retry_cnt, @rnr_retry and
 * the ACK @timeout given; its buffer holds pattern @seed (returned).
 */
static uint8_t *wire_new_rnr(Wire *w, uint8_t retry_cnt, uint8_t rnr_retry,
                             uint8_t timeout, int seed)
{
    OdpRcAttr a;

    odp_rc_attr_init(&a);
    a.path_mtu = WIRE_MTU_1024;
    a.retry_cnt = retry_cnt;
    a.rnr_retry = rnr_retry;
    a.timeout = timeout;
    wire_new(w, &a);
    return buf_pattern(w->t, w->buf, seed);
}

/* 4: RNR NAK: silence until the RNR timer, then again; then the error. */
static void test_wire_rnr(void)
{
    Wire w;
    Frame f;
    struct odp_hca_cqe c;
    const uint8_t code = 14;                /* 960 us */
    const uint8_t rnr_retry = 2;
    int64_t rnr = odp_rnr_timer_ns(code);
    /* timeout 20 (4.3 s): out of the way */
    g_autofree uint8_t *src = wire_new_rnr(&w, 3, rnr_retry, 20, 4);
    uint32_t psn = w.sq_psn;

    send1(w.t, w.qp, 0x41, ODP_HCA_WQE_SEND, w.buf->iova, 200, w.buf->key,
          0, 0);
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
    g_assert_cmpmem(f.pkt.payload, f.pkt.payload_len, src, 200);

    for (int i = 0; i < rnr_retry; i++) {
        wire_send_aeth(&w, SYN_RNR | code, psn, 0);
        wire_quiet(&w);
        odp_clock_step(w.t->h, rnr - 2000);
        wire_quiet(&w);
        odp_clock_step(w.t->h, 4000);
        wire_expect(&w, &f, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
        g_assert_cmpmem(f.pkt.payload, f.pkt.payload_len, src, 200);
        quiet(w.t, w.cq);
    }
    /* the third RNR NAK: rnr_retry (2) is used up */
    wire_send_aeth(&w, SYN_RNR | code, psn, 0);
    wait_cqe(w.t, w.cq, &c, 0x41, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
             w.qp->qpn);
    odp_clock_step(w.t->h, 4 * rnr);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "rnr-retries-exceeded"), ==, 1);
    wire_free(&w);
}

/*
 * 4b: an RNR NAK is an answer: the ACK timeouts before it no longer count
 * against retry_cnt ("resends because the remote side does not answer"),
 * or a long responder fault on a lossy link would use them all up.
 */
static void test_wire_rnr_refills_retry(void)
{
    Wire w;
    Frame f;
    struct odp_hca_cqe c;
    const uint8_t code = 14;                /* 960 us */
    const uint8_t timeout = 12;             /* 16.8 ms */
    int64_t rnr = odp_rnr_timer_ns(code), tmo = odp_ack_timeout_ns(timeout);
    /* retry_cnt 1, rnr_retry 7 (forever) */
    g_autofree uint8_t *src = wire_new_rnr(&w, 1, 7, timeout, 5);
    uint32_t psn = w.sq_psn;

    send1(w.t, w.qp, 0x45, ODP_HCA_WQE_SEND, w.buf->iova, 100, w.buf->key,
          0, 0);
    for (int i = 0; i < 3; i++) {
        wire_expect(&w, &f, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
        g_assert_cmpmem(f.pkt.payload, f.pkt.payload_len, src, 100);
        /* lost: the one retry retry_cnt allows */
        odp_clock_step(w.t->h, tmo + 1000);
        wire_expect(&w, &f, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
        quiet(w.t, w.cq);
        /* the responder is there, but not ready */
        wire_send_aeth(&w, SYN_RNR | code, psn, 0);
        wire_quiet(&w);         /* (and the NAK taken in) */
        odp_clock_step(w.t->h, rnr + 1000);
    }
    wire_expect(&w, &f, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
    wire_send_aeth(&w, SYN_ACK, psn, 1);
    wait_cqe(w.t, w.cq, &c, 0x45, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             w.qp->qpn);
    wire_quiet(&w);
    wire_free(&w);
}

/* A SEND from the peer. */
static void wire_send_only(Wire *w, uint32_t psn, const uint8_t *data,
                           uint32_t len)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, ODP_HCA_ROCE_RC_SEND_ONLY, psn);
    p.ack_req = true;
    p.payload = data;
    p.payload_len = len;
    wire_send(w, &p);
}

static void wire_read_req(Wire *w, uint32_t psn, uint64_t va, uint32_t rkey,
                          uint32_t len)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
    p.ack_req = true;
    p.reth.va = va;
    p.reth.rkey = rkey;
    p.reth.dma_len = len;
    wire_send(w, &p);
}

static void wire_fetch_add(Wire *w, uint32_t psn, uint64_t va, uint32_t rkey,
                           uint64_t add)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, ODP_HCA_ROCE_RC_FETCH_ADD, psn);
    p.ack_req = true;
    p.atomic.va = va;
    p.atomic.rkey = rkey;
    p.atomic.swap_add = add;
    wire_send(w, &p);
}

/* The READ responses to a READ of @len bytes from @psn: @exp. */
static void wire_expect_read(Wire *w, uint32_t psn, const uint8_t *exp,
                             uint32_t len)
{
    int n = DIV_ROUND_UP(len, WIRE_PMTU);

    for (int i = 0; i < n; i++) {
        uint8_t op = n == 1 ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY :
                     i == 0 ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST :
                     i == n - 1 ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST :
                     ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE;
        uint32_t plen = MIN(WIRE_PMTU, len - i * WIRE_PMTU);
        Frame f;

        wire_expect(w, &f, op, psn_add(psn, i));
        if (op != ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE) {
            g_assert_cmphex(f.pkt.aeth.syndrome, ==, SYN_ACK);
        }
        g_assert_cmpuint(f.pkt.payload_len, ==, plen);
        g_assert_cmpmem(f.pkt.payload, plen, exp + i * WIRE_PMTU, plen);
    }
}

static void wire_expect_atomic_ack(Wire *w, uint32_t psn, uint64_t orig)
{
    Frame f;

    wire_expect(w, &f, ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE, psn);
    g_assert_cmphex(f.pkt.aeth.syndrome, ==, SYN_ACK);
    g_assert_cmphex(f.pkt.atomic_ack, ==, orig);
}

/* 5: the device as responder to the peer's requests. */
static void test_wire_responder(void)
{
    Wire w;
    struct odp_hca_cqe c;
    uint8_t da[200], db[200], ds[300];
    g_autofree uint8_t *mem = NULL;
    Buf *rb;
    uint32_t psn;

    wire_new(&w, NULL);
    psn = w.rq_psn;
    odp_pattern(da, sizeof(da), 51);
    odp_pattern(db, sizeof(db), 52);
    odp_pattern(ds, sizeof(ds), 53);
    buf_fill(w.t, w.buf, 0xee);
    rb = buf_pinned(w.t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_fill(w.t, rb, 0xee);

    /* WRITE ONLY at the expected PSN: ACK, data landed */
    wire_write_only(&w, psn, w.buf->iova + 16, w.buf->key, da, 200);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, w.buf, 16, da, 200, "WRITE from the wire");
    buf_check_fill(w.t, w.buf, 216, 0xee, 64, "after the WRITE");

    /* the same PSN again, other bytes: ACKed, not executed */
    wire_write_only(&w, psn, w.buf->iova + 16, w.buf->key, db, 200);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, w.buf, 16, da, 200, "after the duplicate WRITE");
    wire_quiet(&w);

    /* SEND ONLY into a receive WQE */
    post_recv1(w.t, w.qp, 0x51, rb->iova + 8, 1024, rb->key);
    wire_send_only(&w, psn_add(psn, 1), ds, 300);
    wire_expect_aeth(&w, SYN_ACK, psn_add(psn, 1));
    wait_recv(w.t, w.cq, &c, 0x51, ODP_HCA_CQE_RECV, w.qp->qpn,
              WIRE_PEER_QPN, 300);
    buf_check(w.t, rb, 8, ds, 300, "SEND from the wire");
    /* its duplicate: ACKed, no second receive completion */
    wire_send_only(&w, psn_add(psn, 1), db, 200);
    wire_expect_aeth(&w, SYN_ACK, psn_add(psn, 1));
    quiet(w.t, w.cq);
    buf_check(w.t, rb, 8, ds, 300, "after the duplicate SEND");

    /* PSNs ahead: one NAK-seq with the expected PSN, then silence */
    wire_write_only(&w, psn_add(psn, 5), w.buf->iova, w.buf->key, db, 200);
    wire_expect_aeth(&w, SYN_NAK_SEQ, psn_add(psn, 2));
    wire_write_only(&w, psn_add(psn, 6), w.buf->iova, w.buf->key, db, 200);
    wire_write_only(&w, psn_add(psn, 3), w.buf->iova, w.buf->key, db, 200);
    wire_quiet(&w);
    buf_check_fill(w.t, w.buf, 0, 0xee, 16, "ahead WRITEs");

    /* READ: 2500 bytes in three responses */
    mem = buf_pattern(w.t, w.buf, 54);
    wire_read_req(&w, psn_add(psn, 2), w.buf->iova + 100, w.buf->key, 2500);
    wire_expect_read(&w, psn_add(psn, 2), mem + 100, 2500);
    wire_quiet(&w);
    /* the same READ again: answered again */
    wire_read_req(&w, psn_add(psn, 2), w.buf->iova + 100, w.buf->key, 2500);
    wire_expect_read(&w, psn_add(psn, 2), mem + 100, 2500);
    wire_quiet(&w);

    /* FETCH_ADD after the READ's three PSNs */
    buf_write64(w.t, w.buf, 0x800, 1000);
    wire_fetch_add(&w, psn_add(psn, 5), w.buf->iova + 0x800, w.buf->key, 7);
    wire_expect_atomic_ack(&w, psn_add(psn, 5), 1000);
    g_assert_cmpuint(buf_read64(w.t, w.buf, 0x800), ==, 1007);
    /* its duplicate: the same original, memory added once */
    wire_fetch_add(&w, psn_add(psn, 5), w.buf->iova + 0x800, w.buf->key, 7);
    wire_expect_atomic_ack(&w, psn_add(psn, 5), 1000);
    g_assert_cmpuint(buf_read64(w.t, w.buf, 0x800), ==, 1007);
    wire_quiet(&w);

    /* and the next in order still works */
    wire_write_only(&w, psn_add(psn, 6), w.buf->iova + 0x900, w.buf->key,
                    da, 200);
    wire_expect_aeth(&w, SYN_ACK, psn_add(psn, 6));
    buf_check(w.t, w.buf, 0x900, da, 200, "WRITE after the atomic");
    quiet(w.t, w.cq);
    g_assert_cmpuint(qp_state(w.t, w.qp), ==, ODP_HCA_QPS_RTS);
    wire_free(&w);
}

/*
 * The device answered nothing, completed nothing, and still takes a good
 * packet at @psn (which it ACKs): the hostile frame before was dropped.
 * Advances *psn.
 */
static void wire_still_good(Wire *w, uint32_t *psn, uint64_t off,
                            uint32_t seed)
{
    uint8_t d[64];

    wire_quiet(w);
    quiet(w->t, w->cq);
    odp_pattern(d, sizeof(d), seed);
    wire_write_only(w, *psn, w->buf->iova + off, w->buf->key, d, sizeof(d));
    wire_expect_aeth(w, SYN_ACK, *psn);
    buf_check(w->t, w->buf, off, d, sizeof(d), "good WRITE after hostile");
    *psn = psn_add(*psn, 1);
}

/*
 * Cut the IPv4 frame in @f (no VLAN tag) to @len bytes, keeping it
 * consistent: IP total length, header checksum, UDP length and ICRC
 * describe the shorter frame, so the parser gets as far as the RoCE
 * headers before it refuses it.
 */
static uint32_t frame_cut(uint8_t *f, uint32_t len)
{
    const uint32_t ip = ODP_HCA_ROCE_ETH_HLEN;
    const uint32_t udp = ip + ODP_HCA_ROCE_IPV4_HLEN;
    uint32_t sum = 0, icrc;

    g_assert_cmpuint(len, >=, udp + ODP_HCA_ROCE_UDP_HLEN + 4);
    stw_be_p(f + ip + 2, len - ip);
    stw_be_p(f + ip + 10, 0);
    for (int i = 0; i < ODP_HCA_ROCE_IPV4_HLEN; i += 2) {
        sum += lduw_be_p(f + ip + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    stw_be_p(f + ip + 10, ~sum & 0xffff);
    stw_be_p(f + udp + 4, len - udp);
    icrc = odp_hca_roce_icrc(f + ip, len - ip - ODP_HCA_ROCE_ICRC_LEN, false);
    stl_le_p(f + len - ODP_HCA_ROCE_ICRC_LEN, icrc);
    return len;
}

/* 6: hostile frames from the wire: dropped; QEMU and the QP live on. */
static void test_wire_hostile(void)
{
    Wire w;
    OdpHcaRocePacket p;
    struct odp_hca_cqe c;
    uint8_t frame[WIRE_FRAME_MAX + 2048];
    uint8_t d[2000];
    uint32_t len, psn, n;
    OdpCq *ucq;
    OdpQp *ud;
    Buf *rb;

    wire_new(&w, NULL);
    psn = w.rq_psn;
    buf_fill(w.t, w.buf, 0xee);
    odp_pattern(d, sizeof(d), 61);

    /* a good WRITE ONLY, cut short at every interesting length */
    pkt_init(&w, &p, ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY, psn);
    p.ack_req = true;
    p.reth.va = w.buf->iova;
    p.reth.rkey = w.buf->key;
    p.reth.dma_len = 64;
    p.payload = d;
    p.payload_len = 64;
    len = pkt_build(&p, frame, sizeof(frame));
    {
        static const uint32_t cuts[] = { 1, 4, 5, 63, 64 + 4, 64 + 8 };
        static const uint32_t lens[] = { 14, 20, 34, 41, 42, 50, 54, 70 };

        for (int i = 0; i < ARRAY_SIZE(cuts); i++) {
            wire_send_raw(&w, frame, len - cuts[i]);
        }
        for (int i = 0; i < ARRAY_SIZE(lens); i++) {
            wire_send_raw(&w, frame, lens[i]);
        }
    }
    /*
     * Cut short with consistent lengths and a right ICRC: no room for
     * the BTH, for the RETH; a cut into the payload is a frame fine as
     * such, whose WRITE ONLY carries less than its RETH says (NAK
     * invalid request).
     */
    {
        static const uint32_t keep[] = {
            ODP_HCA_ROCE_BTH_LEN - 1, ODP_HCA_ROCE_BTH_LEN,
            ODP_HCA_ROCE_BTH_LEN + 4, ODP_HCA_ROCE_BTH_LEN + 15,
        };
        const uint32_t hdrs = ODP_HCA_ROCE_ETH_HLEN + ODP_HCA_ROCE_IPV4_HLEN +
                              ODP_HCA_ROCE_UDP_HLEN;
        uint8_t cut[sizeof(frame)];

        for (int i = 0; i < ARRAY_SIZE(keep); i++) {
            memcpy(cut, frame, len);
            wire_send_raw(&w, cut, frame_cut(cut, hdrs + keep[i] +
                                                  ODP_HCA_ROCE_ICRC_LEN));
        }
        wire_quiet(&w);
        memcpy(cut, frame, len);
        wire_send_raw(&w, cut, frame_cut(cut, len - 32));
        wire_expect_aeth(&w, SYN_NAK_INVALID, psn);
    }
    wire_quiet(&w);
    buf_check_fill(w.t, w.buf, 0, 0xee, 64, "truncated frames");

    /* bad ICRC; a flipped payload bit under the right ICRC */
    frame[len - 1] ^= 0x01;
    wire_send_raw(&w, frame, len);
    frame[len - 1] ^= 0x01;
    frame[len - 20] ^= 0x80;
    wire_send_raw(&w, frame, len);
    frame[len - 20] ^= 0x80;
    wire_quiet(&w);
    buf_check_fill(w.t, w.buf, 0, 0xee, 64, "bad ICRC");

    /* wrong UDP length (IPv4, no tag: bytes 38-39), longer and shorter */
    {
        uint16_t ulen = frame[38] << 8 | frame[39];

        for (int delta = -5; delta <= 5; delta += 10) {
            frame[38] = (ulen + delta) >> 8;
            frame[39] = (ulen + delta) & 0xff;
            wire_send_raw(&w, frame, len);
        }
        frame[38] = ulen >> 8;
        frame[39] = ulen & 0xff;
    }
    wire_quiet(&w);
    buf_check_fill(w.t, w.buf, 0, 0xee, 64, "wrong UDP length");
    /* the frame itself is good */
    wire_send_raw(&w, frame, len);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, w.buf, 0, d, 64, "the good frame");
    psn = psn_add(psn, 1);

    /* unknown destination QPNs */
    n = w.t->h->caps.max_qps;
    for (uint32_t qpn = 0; qpn < 3; qpn++) {
        uint32_t bad[] = { n - 1, n, ODP_HCA_ROCE_FIELD24_MAX };

        pkt_init(&w, &p, ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY, psn);
        p.dest_qpn = bad[qpn];
        p.ack_req = true;
        p.reth.va = w.buf->iova + 0x100;
        p.reth.rkey = w.buf->key;
        p.reth.dma_len = 64;
        p.payload = d;
        p.payload_len = 64;
        wire_send(&w, &p);
    }
    wire_quiet(&w);
    buf_check_fill(w.t, w.buf, 0x100, 0xee, 64, "unknown QPN");
    wire_still_good(&w, &psn, 0x200, 62);

    /*
     * A PSN far out of the window: not executed.  Half the PSN space
     * ahead is a sequence error (one NAK-seq), behind it a duplicate
     * (an ACK of the last accepted PSN); neither lands.
     */
    wire_write_only(&w, psn_add(psn, 0x7ffff0), w.buf->iova + 0x300,
                    w.buf->key, d, 64);
    wire_expect_aeth(&w, SYN_NAK_SEQ, psn);
    wire_write_only(&w, psn_add(psn, 0x400000), w.buf->iova + 0x300,
                    w.buf->key, d, 64);
    wire_quiet(&w);
    wire_write_only(&w, psn_add(psn, -0x7ffff0), w.buf->iova + 0x300,
                    w.buf->key, d, 64);
    wire_expect_aeth(&w, SYN_ACK, psn_add(psn, -1));
    buf_check_fill(w.t, w.buf, 0x300, 0xee, 64, "PSN out of window");
    wire_still_good(&w, &psn, 0x400, 63);

    /* WRITE outside any MR: NAK remote access error, nothing written */
    wire_write_only(&w, psn, 0x5000000000ull, w.buf->key, d, 64);
    wire_expect_aeth(&w, SYN_NAK_ACCESS, psn);
    wire_write_only(&w, psn, w.buf->iova + 4 * ODP_HCA_PAGE_SIZE - 32,
                    w.buf->key, d, 64);
    wire_expect_aeth(&w, SYN_NAK_ACCESS, psn);
    wire_write_only(&w, psn, w.buf->iova, w.buf->key ^ 0x100, d, 64);
    wire_expect_aeth(&w, SYN_NAK_ACCESS, psn);
    buf_check_fill(w.t, w.buf, 4 * ODP_HCA_PAGE_SIZE - 32, 0xee, 32,
                   "WRITE across the MR's end");
    wire_still_good(&w, &psn, 0x500, 64);

    rb = buf_pinned(w.t, ODP_HCA_PAGE_SIZE, ACC_ALL);

    /* a response for nothing outstanding: dropped, no completion */
    wire_send_aeth(&w, SYN_ACK, w.sq_psn, 1);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, -1), 1);
    wire_send_aeth(&w, SYN_NAK_SEQ, psn_add(w.sq_psn, -1), 1);
    wire_send_aeth(&w, SYN_NAK_ACCESS, psn_add(w.sq_psn, 100), 1);
    wire_send_aeth(&w, SYN_RNR | 1, w.sq_psn, 1);
    pkt_init(&w, &p, ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY, w.sq_psn);
    p.aeth.syndrome = SYN_ACK;
    p.payload = d;
    p.payload_len = 100;
    wire_send(&w, &p);
    pkt_init(&w, &p, ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE,
             psn_add(w.sq_psn, -1));
    p.aeth.syndrome = SYN_ACK;
    p.atomic_ack = 5;
    wire_send(&w, &p);
    wire_quiet(&w);
    quiet(w.t, w.cq);
    g_assert_cmpuint(qp_state(w.t, w.qp), ==, ODP_HCA_QPS_RTS);
    /* the requester still works */
    {
        Frame f[1];
        g_autofree uint8_t *src = g_malloc(4 * ODP_HCA_PAGE_SIZE);

        odp_mem_read(w.t->h, w.buf->m, w.buf->iova, src,
                     4 * ODP_HCA_PAGE_SIZE);
        wire_post_write(&w, 0x62, 0, 100, 0x30000, 0x55);
        wire_expect_write(&w, f, 1, w.sq_psn, 0, src, 100, 0x30000, 0x55);
        wire_send_aeth(&w, SYN_ACK, w.sq_psn, 1);
        wait_cqe(w.t, w.cq, &c, 0x62, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, w.qp->qpn);
    }

    /* UD: a wrong Q_Key is dropped, the right one lands */
    ucq = odp_cq_new(w.t->h, 6, NULL, 0);
    ud = ud_qp(w.t, ucq, 0x1111);
    buf_fill(w.t, rb, 0xee);
    post_recv1(w.t, ud, 0x71, rb->iova, ODP_HCA_GRH_LEN + 512, rb->key);
    pkt_init(&w, &p, ODP_HCA_ROCE_UD_SEND_ONLY, 0x123);
    p.dest_qpn = ud->qpn;
    p.deth.qkey = 0x2222;
    p.deth.src_qpn = 0x99;
    p.payload = d;
    p.payload_len = 100;
    wire_send(&w, &p);
    wire_quiet(&w);
    quiet(w.t, ucq);
    buf_check_fill(w.t, rb, 0, 0xee, ODP_HCA_GRH_LEN + 100, "wrong Q_Key");
    p.deth.qkey = 0x1111;
    wire_send(&w, &p);
    wait_recv(w.t, ucq, &c, 0x71, ODP_HCA_CQE_RECV, ud->qpn, 0x99,
              ODP_HCA_GRH_LEN + 100);
    buf_check(w.t, rb, ODP_HCA_GRH_LEN, d, 100, "UD SEND from the wire");

    /* and the RC responder too */
    wire_still_good(&w, &psn, 0x600, 65);
    g_assert_cmpuint(qp_state(w.t, w.qp), ==, ODP_HCA_QPS_RTS);
    wire_free(&w);
}

/*
 * A SEND longer than the path MTU (1024 bytes) from the wire: a malformed
 * request (IBTA 9.7.5.1: a packet longer than the PMTU is a length
 * error).  The responder drops it or NAKs it (invalid request); it never
 * accepts it.
 */
static void test_wire_send_over_mtu(void)
{
    Wire w;
    Frame f;
    uint8_t d[2000];
    uint32_t psn;
    Buf *rb;

    wire_new(&w, NULL);
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 66);
    rb = buf_pinned(w.t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_fill(w.t, rb, 0xee);
    post_recv1(w.t, w.qp, 0x61, rb->iova, 4096, rb->key);
    wire_send_only(&w, psn, d, 1500);
    odp_settle(w.t->h, ODP_QUIET_ROUNDS);
    if (wire_recv_ms(&w, &f, WIRE_QUIET_MS)) {
        if (f.pkt.opcode != ODP_HCA_ROCE_RC_ACKNOWLEDGE ||
            f.pkt.aeth.syndrome != SYN_NAK_INVALID) {
            odp_diag("SEND of 1500 bytes on a 1024-byte path MTU: "
                     "answered opcode 0x%x syndrome 0x%x psn 0x%x",
                     f.pkt.opcode, f.pkt.aeth.syndrome, f.pkt.psn);
        }
        g_assert_cmphex(f.pkt.opcode, ==, ODP_HCA_ROCE_RC_ACKNOWLEDGE);
        g_assert_cmphex(f.pkt.aeth.syndrome, ==, SYN_NAK_INVALID);
        g_assert_cmphex(f.pkt.psn, ==, psn);
    }
    buf_check_fill(w.t, rb, 0, 0xee, 1500, "SEND longer than the MTU");
    /* a SEND of the path MTU exactly lands */
    wire_send_only(&w, psn, d, WIRE_PMTU);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, rb, 0, d, WIRE_PMTU, "SEND of the path MTU");
    wire_free(&w);
}

void odp_hca_add_wire_tests(void)
{
    add_test("/odp-hca/wire/requester", test_wire_requester);
    add_test("/odp-hca/wire/requester-read", test_wire_requester_read);
    add_test("/odp-hca/wire/go-back-n", test_wire_go_back_n);
    add_test("/odp-hca/wire/ack-timeout", test_wire_ack_timeout);
    add_test("/odp-hca/wire/ack-timeout-restarts",
             test_wire_ack_timeout_restarts);
    add_test("/odp-hca/wire/read-timeout", test_wire_read_timeout);
    add_test("/odp-hca/wire/link-down", test_wire_link_down);
    add_test("/odp-hca/wire/rnr", test_wire_rnr);
    add_test("/odp-hca/wire/rnr-refills-retry", test_wire_rnr_refills_retry);
    add_test("/odp-hca/wire/responder", test_wire_responder);
    add_test("/odp-hca/wire/hostile", test_wire_hostile);
    add_test("/odp-hca/wire/send-over-mtu", test_wire_send_over_mtu);
}
