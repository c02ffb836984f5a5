/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/port/.
 *
 * The port as an Ethernet NIC: the device's netdev is a socket backend
 * on one end of a socketpair (-netdev socket,fd=N), the test holds the
 * other end and sees exactly the frames the RAW_ETH QP sends, and
 * injects the frames it receives.  The stream backend frames each
 * packet with its length, 4 bytes big-endian, as in virtio-net-test.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/socket.h>
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/pci_regs.h"
#include "framework.h"

#define PORT_WAIT_MS        5000    /* for a frame that must come */
#define PORT_QUIET_MS       200     /* for one that must not */
#define PORT_ETHERTYPE      0x88b5  /* IEEE local experimental */

/* A device whose port is attached to the test's socket. */
typedef struct Port {
    T *t;
    int fd;                 /* the test's end of the netdev's socket */
    OdpCq *cq;
    OdpQp *qp;              /* the RAW_ETH QP, RTS */
    Buf *tx;                /* frames to send */
    Buf *rx;                /* receive buffers */
} Port;

static OdpQp *raw_qp(T *t, OdpCq *cq)
{
    OdpQpCfg cfg;
    OdpQp *qp;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RAW_ETH, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &cfg);
    odp_qp_ud_ready(t->h, qp, 0);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RTS);
    return qp;
}

/* The device (id hca0) on netdev n0, a RAW_ETH QP and two buffers. */
static void port_new(Port *p, bool with_qp)
{
    int sv[2];
    g_autofree char *args = NULL;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = g_strdup_printf("-netdev socket,id=n0,fd=%d "
                           "-device odp-hca,id=hca0,netdev=n0", sv[1]);
    p->t = t_new_args(args, -1);
    close(sv[1]);
    p->fd = sv[0];
    p->cq = odp_cq_new(p->t->h, 7, NULL, 0);
    p->qp = with_qp ? raw_qp(p->t, p->cq) : NULL;
    p->tx = buf_pinned(p->t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    p->rx = buf_pinned(p->t, 8 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_fill(p->t, p->rx, 0xee);
}

static void port_free(Port *p)
{
    close(p->fd);
    t_free(p->t);
}

/* An Ethernet frame of @len bytes to the device's MAC. */
static uint8_t *frame_new(T *t, uint32_t len, uint32_t seed)
{
    uint8_t *f = g_malloc(MAX(len, 1));

    odp_pattern(f, len, seed);
    if (len >= ODP_HCA_ETH_HLEN) {
        memcpy(f, t->h->caps.mac, 6);
        memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
        f[12] = PORT_ETHERTYPE >> 8;
        f[13] = PORT_ETHERTYPE & 0xff;
    }
    return f;
}

/* Hand @len bytes to the netdev as one frame. */
static void sock_send(Port *p, const void *frame, uint32_t len)
{
    uint32_t be = htonl(len);

    odp_sock_write_all(p->fd, &be, 4);
    odp_sock_write_all(p->fd, frame, len);
}

/* The next frame the device sent: exactly @exp. */
static void sock_expect(Port *p, const uint8_t *exp, uint32_t len)
{
    g_autofree uint8_t *got = g_malloc(MAX(len, 1));
    uint32_t be;

    g_assert_true(odp_sock_read_all(p->fd, &be, 4, PORT_WAIT_MS));
    g_assert_cmpuint(ntohl(be), ==, len);
    g_assert_true(odp_sock_read_all(p->fd, got, len, PORT_WAIT_MS));
    g_assert_cmpmem(got, len, exp, len);
}

/* The device sent nothing (more). */
static void sock_quiet(Port *p)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

    odp_settle(p->t->h, ODP_QUIET_ROUNDS);
    g_assert_cmpint(poll(&pfd, 1, PORT_QUIET_MS), ==, 0);
}

/* Frames reach the device when the main loop polls the socket: wait. */
static void port_wait_count(T *t, const char *name, uint64_t want)
{
    uint64_t v = 0;

    for (int i = 0; i < 2000; i++) {
        v = odp_port_count(t, name);
        if (v >= want) {
            break;
        }
        g_usleep(1000);
    }
    if (v != want) {
        odp_diag("port counter %s is %" PRIu64 ", expected %" PRIu64,
                 name, v, want);
    }
    g_assert_cmpuint(v, ==, want);
}

/* All drop counters and the frame counters, in one go. */
static const char *const port_counters[] = {
    "tx-frames", "tx-bytes", "rx-frames", "rx-bytes", "tx-link-down",
    "tx-no-netdev", "rx-no-qp", "rx-no-buffer", "rx-too-long",
    "rx-too-short", "rx-fault", "rx-wqe-error",
};

static void port_check_counts(T *t, const uint64_t *exp)
{
    for (int i = 0; i < ARRAY_SIZE(port_counters); i++) {
        uint64_t v = odp_port_count(t, port_counters[i]);

        if (v != exp[i]) {
            odp_diag("port counter %s is %" PRIu64 ", expected %" PRIu64,
                     port_counters[i], v, exp[i]);
        }
        g_assert_cmpuint(v, ==, exp[i]);
    }
}

enum { C_TXF, C_TXB, C_RXF, C_RXB, C_TX_DOWN, C_TX_NONET, C_RX_NOQP,
       C_RX_NOBUF, C_RX_LONG, C_RX_SHORT, C_RX_FAULT, C_RX_WQE, C_N };

/* Send @len bytes of the tx buffer at @off as a frame (one SGE). */
static void port_tx(Port *p, uint64_t wr_id, uint64_t off, uint32_t len)
{
    send1(p->t, p->qp, wr_id, ODP_HCA_WQE_SEND, p->tx->iova + off, len,
          p->tx->key, 0, 0);
}

static void port_tx_ok(Port *p, uint64_t wr_id, uint64_t off, uint32_t len)
{
    struct odp_hca_cqe c;

    port_tx(p, wr_id, off, len);
    wait_cqe(p->t, p->cq, &c, wr_id, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p->qp->qpn);
    g_assert_cmpuint(c.byte_len, ==, len);
}

static uint32_t port_reg(Port *p)
{
    return odp_reg_read(p->t->h, ODP_HCA_REG_PORT_STATE);
}

static void port_set_link(T *t, const char *name, bool up)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'set_link', "
                           "'arguments': { 'name': %s, 'up': %i } }",
                           name, up);

    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

/* TX: the bytes of the frame, and only they, appear on the wire. */
static void test_port_tx(void)
{
    Port p;
    g_autofree uint8_t *f60 = NULL, *f1514 = NULL, *fmax = NULL;
    g_autofree uint8_t *fin = NULL;
    uint64_t exp[C_N] = { 0 };
    struct odp_hca_cqe c;
    OdpWr wr;

    port_new(&p, true);
    g_assert_cmpuint(p.t->h->caps.max_frame, ==, ODP_HCA_ETH_MAX_FRAME);
    f60 = frame_new(p.t, 60, 1);
    f1514 = frame_new(p.t, 1514, 2);
    fmax = frame_new(p.t, ODP_HCA_ETH_MAX_FRAME, 3);
    fin = frame_new(p.t, 100, 4);

    /* a minimal frame, one SGE */
    buf_write(p.t, p.tx, 7, f60, 60);
    port_tx_ok(&p, 0x1, 7, 60);
    sock_expect(&p, f60, 60);

    /* 1514 bytes over two SGEs that cross a page */
    buf_write(p.t, p.tx, ODP_HCA_PAGE_SIZE - 1000, f1514, 1000);
    buf_write(p.t, p.tx, 2 * ODP_HCA_PAGE_SIZE + 5, f1514 + 1000, 514);
    odp_wr_init(&wr, 0x2, ODP_HCA_WQE_SEND);
    odp_wr_sge(&wr, p.tx->iova + ODP_HCA_PAGE_SIZE - 1000, 1000, p.tx->key);
    odp_wr_sge(&wr, p.tx->iova + 2 * ODP_HCA_PAGE_SIZE + 5, 514, p.tx->key);
    odp_send(p.t->h, p.qp, &wr);
    wait_cqe(p.t, p.cq, &c, 0x2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.qp->qpn);
    sock_expect(&p, f1514, 1514);

    /* inline */
    odp_wr_init(&wr, 0x3, ODP_HCA_WQE_SEND);
    wr.flags |= ODP_HCA_WQE_F_INLINE;
    wr.inline_data = fin;
    wr.inline_len = 100;
    odp_send(p.t->h, p.qp, &wr);
    wait_cqe(p.t, p.cq, &c, 0x3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.qp->qpn);
    sock_expect(&p, fin, 100);

    /* the largest frame; the smallest */
    buf_write(p.t, p.tx, 0, fmax, ODP_HCA_ETH_MAX_FRAME);
    port_tx_ok(&p, 0x4, 0, ODP_HCA_ETH_MAX_FRAME);
    sock_expect(&p, fmax, ODP_HCA_ETH_MAX_FRAME);
    port_tx_ok(&p, 0x5, 0, ODP_HCA_ETH_MIN_FRAME);
    sock_expect(&p, fmax, ODP_HCA_ETH_MIN_FRAME);
    sock_quiet(&p);

    exp[C_TXF] = 5;
    exp[C_TXB] = 60 + 1514 + 100 + ODP_HCA_ETH_MAX_FRAME +
                 ODP_HCA_ETH_MIN_FRAME;
    port_check_counts(p.t, exp);
    g_assert_cmphex(port_reg(&p), ==,
                    ODP_HCA_PORT_LINK_UP | ODP_HCA_PORT_HAS_NETDEV);
    port_free(&p);
}

/* A send that faults halfway: nothing leaves until RESUME, then all. */
static void test_port_tx_fault(void)
{
    Port p;
    g_autofree uint8_t *f = NULL;
    uint32_t len = 3000, token;
    Buf *ob;

    port_new(&p, true);
    f = frame_new(p.t, len, 8);
    ob = buf_odp(p.t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_write(p.t, ob, 2000, f, len);
    buf_map(p.t, ob, ob->iova, ODP_HCA_PAGE_SIZE, false);

    send1(p.t, p.qp, 0x91, ODP_HCA_WQE_SEND, ob->iova + 2000, len, ob->key,
          0, 0);
    token = wait_fault(p.t, p.qp->qpn, ob->key, ob->iova + ODP_HCA_PAGE_SIZE,
                       2000 + len - ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 0);
    quiet(p.t, p.cq);
    sock_quiet(&p);

    buf_map(p.t, ob, ob->iova + ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE, false);
    resume_ok(p.t, token);
    wait_cqe(p.t, p.cq, NULL, 0x91, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.qp->qpn);
    sock_expect(&p, f, len);
    sock_quiet(&p);
    g_assert_cmpuint(odp_port_count(p.t, "tx-frames"), ==, 1);
    g_assert_cmpuint(odp_port_count(p.t, "tx-bytes"), ==, len);
    port_free(&p);
}

/* A new RAW_ETH QP in place of one that went to ERR. */
static void port_replace_qp(Port *p)
{
    wait_qp_err(p->t, p->qp);
    g_assert_cmpuint(odp_destroy(p->t->h, ODP_HCA_CMD_DESTROY_QP,
                                 p->qp->qpn), ==, ODP_HCA_CMD_OK);
    p->qp = raw_qp(p->t, p->cq);
}

/* TX errors: bad lengths, bad opcodes; nothing leaves. */
static void test_port_tx_errors(void)
{
    Port p;
    struct odp_hca_cqe c;
    static const uint8_t bad_ops[] = {
        ODP_HCA_WQE_SEND_IMM, ODP_HCA_WQE_RDMA_WRITE, ODP_HCA_WQE_RDMA_READ,
        ODP_HCA_WQE_ATOMIC_FA,
    };

    port_new(&p, true);
    buf_pattern(p.t, p.tx, 5);

    port_tx(&p, 0x11, 0, ODP_HCA_ETH_MIN_FRAME - 1);
    wait_cqe(p.t, p.cq, &c, 0x11, ODP_HCA_WC_LOC_LEN_ERR, -1, p.qp->qpn);
    port_replace_qp(&p);

    port_tx(&p, 0x12, 0, ODP_HCA_ETH_MAX_FRAME + 1);
    wait_cqe(p.t, p.cq, &c, 0x12, ODP_HCA_WC_LOC_LEN_ERR, -1, p.qp->qpn);
    port_replace_qp(&p);

    for (int i = 0; i < ARRAY_SIZE(bad_ops); i++) {
        OdpWr wr;

        wr1(&wr, 0x20 + i, bad_ops[i], p.tx->iova, 64, p.tx->key,
            p.rx->iova, p.rx->key);
        odp_send(p.t->h, p.qp, &wr);
        wait_cqe(p.t, p.cq, &c, 0x20 + i, ODP_HCA_WC_LOC_QP_OP_ERR, -1,
                 p.qp->qpn);
        port_replace_qp(&p);
    }
    sock_quiet(&p);
    g_assert_cmpuint(odp_port_count(p.t, "tx-frames"), ==, 0);

    /* the replacement QP works */
    port_tx_ok(&p, 0x30, 0, 64);
    {
        g_autofree uint8_t *exp = g_malloc(64);

        odp_mem_read(p.t->h, p.tx->m, p.tx->iova, exp, 64);
        sock_expect(&p, exp, 64);
    }
    port_free(&p);
}

/* One RAW_ETH QP a device: a second is BUSY until the first goes. */
static void test_port_one_qp(void)
{
    Port p;
    OdpQpCfg cfg;
    OdpQp *second = NULL;

    port_new(&p, true);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RAW_ETH, p.t->pd, p.cq, p.cq);
    g_assert_cmpuint(odp_qp_create(p.t->h, &cfg, &second), ==,
                     ODP_HCA_CMD_BUSY);
    /* other types are not limited */
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_UD, p.t->pd, p.cq, p.cq);
    odp_qp_new(p.t->h, &cfg);
    g_assert_cmpuint(odp_destroy(p.t->h, ODP_HCA_CMD_DESTROY_QP, p.qp->qpn),
                     ==, ODP_HCA_CMD_OK);
    p.qp = raw_qp(p.t, p.cq);
    port_tx_ok(&p, 0x1, 0, 64);
    g_assert_cmpuint(odp_port_count(p.t, "tx-frames"), ==, 1);
    port_free(&p);
}

/* RX: frames land whole, with the frame's length in the CQE. */
static void test_port_rx(void)
{
    Port p;
    struct odp_hca_cqe c;
    struct odp_hca_sge s2[2];
    g_autofree uint8_t *f1514 = NULL, *f60 = NULL, *fmax = NULL;
    uint64_t exp[C_N] = { 0 };

    port_new(&p, true);
    f1514 = frame_new(p.t, 1514, 11);
    f60 = frame_new(p.t, 60, 12);
    fmax = frame_new(p.t, ODP_HCA_ETH_MAX_FRAME, 13);

    post_recv1(p.t, p.qp, 0x41, p.rx->iova + 8, 2048, p.rx->key);
    s2[0] = sge(p.rx->iova + ODP_HCA_PAGE_SIZE, 40, p.rx->key);
    s2[1] = sge(p.rx->iova + 2 * ODP_HCA_PAGE_SIZE - 10, 100, p.rx->key);
    odp_post_recv(p.t->h, p.qp, 0x42, s2, 2);
    post_recv1(p.t, p.qp, 0x43, p.rx->iova + 3 * ODP_HCA_PAGE_SIZE,
               ODP_HCA_ETH_MAX_FRAME, p.rx->key);

    sock_send(&p, f1514, 1514);
    wait_recv(p.t, p.cq, &c, 0x41, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 1514);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(p.t, p.rx, 8, f1514, 1514, "frame");
    buf_check_fill(p.t, p.rx, 8 + 1514, 0xee, 100, "after the frame");
    buf_check_fill(p.t, p.rx, 0, 0xee, 8, "before the frame");

    sock_send(&p, f60, 60);
    wait_recv(p.t, p.cq, &c, 0x42, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 60);
    buf_check(p.t, p.rx, ODP_HCA_PAGE_SIZE, f60, 40, "frame, first SGE");
    buf_check(p.t, p.rx, 2 * ODP_HCA_PAGE_SIZE - 10, f60 + 40, 20,
              "frame, second SGE");
    buf_check_fill(p.t, p.rx, 2 * ODP_HCA_PAGE_SIZE + 10, 0xee, 80,
                   "after the second SGE");

    sock_send(&p, fmax, ODP_HCA_ETH_MAX_FRAME);
    wait_recv(p.t, p.cq, &c, 0x43, ODP_HCA_CQE_RECV, p.qp->qpn, 0,
              ODP_HCA_ETH_MAX_FRAME);
    buf_check(p.t, p.rx, 3 * ODP_HCA_PAGE_SIZE, fmax, ODP_HCA_ETH_MAX_FRAME,
              "largest frame");

    exp[C_RXF] = 3;
    exp[C_RXB] = 1514 + 60 + ODP_HCA_ETH_MAX_FRAME;
    port_check_counts(p.t, exp);
    quiet(p.t, p.cq);
    port_free(&p);
}

/* Frames that cannot land: dropped, counted by reason, nothing else. */
static void test_port_rx_drops(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *f200 = NULL, *f80 = NULL, *flong = NULL;
    uint64_t exp[C_N] = { 0 };

    port_new(&p, false);
    f200 = frame_new(p.t, 200, 21);
    f80 = frame_new(p.t, 80, 22);
    flong = frame_new(p.t, ODP_HCA_ETH_MAX_FRAME + 1, 23);

    /* no RAW_ETH QP; one in INIT */
    sock_send(&p, f200, 200);
    port_wait_count(p.t, "rx-no-qp", 1);
    {
        OdpQpCfg cfg;
        struct odp_hca_cmd_modify_qp m = {
            .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_PORT,
            .state = ODP_HCA_QPS_INIT,
            .port = 1,
        };

        odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RAW_ETH, p.t->pd, p.cq, p.cq);
        p.qp = odp_qp_new(p.t->h, &cfg);
        g_assert_cmpuint(odp_qp_modify(p.t->h, p.qp->qpn, &m), ==,
                         ODP_HCA_CMD_OK);
        post_recv1(p.t, p.qp, 0x50, p.rx->iova, 4096, p.rx->key);
        sock_send(&p, f200, 200);
        port_wait_count(p.t, "rx-no-qp", 2);
        g_assert_cmpuint(odp_destroy(p.t->h, ODP_HCA_CMD_DESTROY_QP,
                                     p.qp->qpn), ==, ODP_HCA_CMD_OK);
    }
    p.qp = raw_qp(p.t, p.cq);

    /* no receive WQE */
    sock_send(&p, f200, 200);
    port_wait_count(p.t, "rx-no-buffer", 1);

    /* a WQE too small keeps waiting for a frame that fits */
    post_recv1(p.t, p.qp, 0x51, p.rx->iova, 100, p.rx->key);
    sock_send(&p, f200, 200);
    port_wait_count(p.t, "rx-too-long", 1);
    buf_check_fill(p.t, p.rx, 0, 0xee, 200, "too long for the WQE");

    /*
     * Runts: 13 bytes, 0 bytes; longer than the largest frame.  (The
     * socket backend passes a 0-length frame on when bytes follow it.)
     */
    sock_send(&p, f200, ODP_HCA_ETH_MIN_FRAME - 1);
    sock_send(&p, f200, 0);
    sock_send(&p, flong, ODP_HCA_ETH_MAX_FRAME + 1);
    port_wait_count(p.t, "rx-too-long", 2);
    port_wait_count(p.t, "rx-too-short", 2);
    quiet(p.t, p.cq);

    /* the small WQE takes the next frame that fits */
    sock_send(&p, f80, 80);
    wait_recv(p.t, p.cq, &c, 0x51, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 80);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(p.t, p.rx, 0, f80, 80, "frame after the drops");

    exp[C_RXF] = 1;
    exp[C_RXB] = 80;
    exp[C_RX_NOQP] = 2;
    exp[C_RX_NOBUF] = 1;
    exp[C_RX_LONG] = 2;
    exp[C_RX_SHORT] = 2;
    port_check_counts(p.t, exp);

    /* odp-hca-reset-stats clears them */
    qobject_unref(qtest_qmp(p.t->h->qts,
                            "{ 'execute': 'odp-hca-reset-stats' }"));
    memset(exp, 0, sizeof(exp));
    port_check_counts(p.t, exp);
    port_free(&p);
}

/* A receive buffer that faults: the frame is lost, the fault raised. */
static void test_port_rx_fault(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *f1 = NULL, *f2 = NULL;
    Buf *ob;
    uint32_t token;

    port_new(&p, true);
    f1 = frame_new(p.t, 300, 31);
    f2 = frame_new(p.t, 400, 32);
    ob = buf_odp(p.t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);

    post_recv1(p.t, p.qp, 0x61, ob->iova + 100, 2048, ob->key);
    sock_send(&p, f1, 300);
    token = wait_fault(p.t, p.qp->qpn, ob->key, ob->iova + 100, 300,
                       2 * ODP_HCA_PAGE_SIZE - 100, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    port_wait_count(p.t, "rx-fault", 1);
    /* while it waits for RESUME, frames are dropped; no second event */
    sock_send(&p, f1, 300);
    port_wait_count(p.t, "rx-fault", 2);
    eq_quiet(p.t);
    quiet(p.t, p.cq);

    buf_map(p.t, ob, ob->iova, 2 * ODP_HCA_PAGE_SIZE, true);
    resume_ok(p.t, token);
    sock_send(&p, f2, 400);
    wait_recv(p.t, p.cq, &c, 0x61, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 400);
    g_assert_cmpuint(c.wqe_index, ==, 0);
    buf_check(p.t, ob, 100, f2, 400, "frame after RESUME");
    g_assert_cmpuint(odp_port_count(p.t, "rx-frames"), ==, 1);
    port_free(&p);
}

/* Without netdev=: the link is up, sends complete, frames are counted. */
static void test_port_no_netdev(void)
{
    T *t = t_new("mac=52:54:00:12:34:99");
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };
    OdpCq *cq = odp_cq_new(t->h, 6, NULL, 0);
    OdpQp *qp = raw_qp(t, cq);
    Buf *b = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    struct odp_hca_cqe c;
    QDict *port;

    g_assert_cmpmem(t->h->caps.mac, 6, mac, 6);
    g_assert_cmphex(odp_reg_read(t->h, ODP_HCA_REG_PORT_STATE), ==,
                    ODP_HCA_PORT_LINK_UP);
    send1(t, qp, 0x71, ODP_HCA_WQE_SEND, b->iova, 64, b->key, 0, 0);
    wait_cqe(t, cq, &c, 0x71, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, qp->qpn);
    send1(t, qp, 0x72, ODP_HCA_WQE_SEND, b->iova, 1514, b->key, 0, 0);
    wait_cqe(t, cq, &c, 0x72, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, qp->qpn);
    g_assert_cmpuint(odp_port_count(t, "tx-no-netdev"), ==, 2);
    g_assert_cmpuint(odp_port_count(t, "tx-frames"), ==, 0);
    port = odp_port_query(t);
    g_assert_true(qdict_get_bool(port, "link"));
    g_assert_false(qdict_haskey(port, "netdev"));
    qobject_unref(port);
    t_free(t);
}

static void port_expect_link(Port *p, bool up)
{
    QDict *port = odp_port_query(p->t);

    g_assert_cmphex(port_reg(p), ==,
                    (up ? ODP_HCA_PORT_LINK_UP : 0) | ODP_HCA_PORT_HAS_NETDEV);
    g_assert_cmpint(qdict_get_bool(port, "link"), ==, up);
    g_assert_cmpstr(qdict_get_str(port, "netdev"), ==, "n0");
    qobject_unref(port);
}

/* set_link: the register, the events; no frames while down. */
static void test_port_link(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *f = NULL;
    OdpHca *h;

    port_new(&p, true);
    h = p.t->h;
    f = frame_new(p.t, 100, 41);
    buf_write(p.t, p.tx, 0, f, 100);
    port_expect_link(&p, true);
    eq_quiet(p.t);

    port_set_link(p.t, "n0", false);
    wait_event(p.t, ODP_HCA_EV_PORT_DOWN, 1);
    port_expect_link(&p, false);
    /* the send completes, the frame is lost */
    port_tx_ok(&p, 0x81, 0, 100);
    g_assert_cmpuint(odp_port_count(p.t, "tx-link-down"), ==, 1);
    /* nothing comes in either */
    post_recv1(p.t, p.qp, 0x82, p.rx->iova, 2048, p.rx->key);
    sock_send(&p, f, 100);
    sock_quiet(&p);
    quiet(p.t, p.cq);
    /* set_link to the same state again: no event */
    port_set_link(p.t, "n0", false);
    eq_quiet(p.t);

    port_set_link(p.t, "n0", true);
    wait_event(p.t, ODP_HCA_EV_PORT_ACTIVE, 1);
    port_expect_link(&p, true);
    port_tx_ok(&p, 0x83, 0, 100);
    sock_expect(&p, f, 100);
    sock_send(&p, f, 100);
    wait_recv(p.t, p.cq, &c, 0x82, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 100);
    buf_check(p.t, p.rx, 0, f, 100, "frame after link up");
    g_assert_cmpuint(odp_port_count(p.t, "tx-frames"), ==, 1);
    g_assert_cmpuint(odp_port_count(p.t, "rx-frames"), ==, 1);

    /* by the device's name too */
    port_set_link(p.t, "hca0", false);
    wait_event(p.t, ODP_HCA_EV_PORT_DOWN, 1);
    port_expect_link(&p, false);

    /* a reset keeps the link state: it is the cable */
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    port_expect_link(&p, false);
    odp_hca_bringup(h, 6);
    port_expect_link(&p, false);
    port_set_link(p.t, "hca0", true);
    wait_event(p.t, ODP_HCA_EV_PORT_ACTIVE, 1);
    port_expect_link(&p, true);
    port_free(&p);
}

static void port_bus_master(Port *p, bool on)
{
    uint16_t cmd = qpci_config_readw(&p->t->h->dev, PCI_COMMAND);

    cmd = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
    qpci_config_writew(&p->t->h->dev, PCI_COMMAND, cmd);
}

/* Frames wait while bus mastering is off, and land when it is back. */
static void test_port_rx_wait(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *f1 = NULL, *f2 = NULL;
    uint64_t exp[C_N] = { 0 };

    port_new(&p, true);
    f1 = frame_new(p.t, 500, 51);
    f2 = frame_new(p.t, 600, 52);
    post_recv1(p.t, p.qp, 0x91, p.rx->iova, 2048, p.rx->key);
    post_recv1(p.t, p.qp, 0x92, p.rx->iova + ODP_HCA_PAGE_SIZE, 2048,
               p.rx->key);

    port_bus_master(&p, false);
    sock_send(&p, f1, 500);
    sock_send(&p, f2, 600);
    odp_settle(p.t->h, ODP_QUIET_ROUNDS);
    g_usleep(PORT_QUIET_MS * 1000);
    odp_settle(p.t->h, ODP_QUIET_ROUNDS);
    port_check_counts(p.t, exp);        /* neither taken nor dropped */

    port_bus_master(&p, true);
    wait_recv(p.t, p.cq, &c, 0x91, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 500);
    wait_recv(p.t, p.cq, &c, 0x92, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 600);
    buf_check(p.t, p.rx, 0, f1, 500, "first frame that waited");
    buf_check(p.t, p.rx, ODP_HCA_PAGE_SIZE, f2, 600,
              "second frame that waited");
    port_free(&p);
}

/* A reset while frames wait: they meet the reset device, not a crash. */
static void test_port_reset_queued(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *f = NULL;
    OdpHca *h;
    OdpCq *cq;
    OdpQp *qp;
    Buf *rb;

    port_new(&p, true);
    h = p.t->h;
    f = frame_new(p.t, 700, 61);
    post_recv1(p.t, p.qp, 0xa1, p.rx->iova, 2048, p.rx->key);

    port_bus_master(&p, false);
    for (int i = 0; i < 3; i++) {
        sock_send(&p, f, 700);
    }
    odp_settle(h, ODP_QUIET_ROUNDS);
    g_usleep(PORT_QUIET_MS * 1000);
    odp_settle(h, ODP_QUIET_ROUNDS);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    /* ready for frames again only once enabled */
    port_bus_master(&p, true);
    odp_settle(h, ODP_QUIET_ROUNDS);
    g_assert_cmpuint(odp_port_count(p.t, "rx-frames"), ==, 0);
    g_assert_cmpuint(odp_port_count(p.t, "rx-no-qp"), ==, 0);
    odp_hca_bringup(h, 6);
    /* the RAW_ETH QP went with the reset */
    port_wait_count(p.t, "rx-no-qp", 3);
    g_assert_cmpuint(odp_port_count(p.t, "rx-frames"), ==, 0);
    buf_check_fill(p.t, p.rx, 0, 0xee, 2048, "buffer of the old QP");

    /* a new QP on the reset device receives */
    p.t->pd = odp_pd_new(h);
    cq = odp_cq_new(h, 6, NULL, 0);
    qp = raw_qp(p.t, cq);
    rb = buf_pinned(p.t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    post_recv1(p.t, qp, 0xa2, rb->iova, 2048, rb->key);
    sock_send(&p, f, 700);
    wait_recv(p.t, cq, &c, 0xa2, ODP_HCA_CQE_RECV, qp->qpn, 0, 700);
    buf_check(p.t, rb, 0, f, 700, "frame after the reset");
    port_free(&p);
}

/*
 * Hostile frames: random lengths and bytes, runts, 0-length frames,
 * receive WQEs with bad keys.  Every frame is accounted for, and the
 * port still works afterwards.
 */
static void test_port_hostile(void)
{
    Port p;
    struct odp_hca_cqe c;
    g_autofree uint8_t *junk = g_malloc(ODP_HCA_ETH_MAX_FRAME + 64);
    g_autofree uint8_t *good = NULL;
    GRand *rnd = g_rand_new_with_seed(0x0d9ca);
    uint64_t sent = 0, rounds = 0, sum;
    const char *const all[] = {
        "rx-frames", "rx-no-buffer", "rx-too-long", "rx-too-short",
        "rx-wqe-error", "rx-fault", "rx-no-qp",
    };

    port_new(&p, true);
    good = frame_new(p.t, 128, 71);
    for (int i = 0; i < 8; i++) {
        post_recv1(p.t, p.qp, 0xb0 + i, p.rx->iova + i * 2048, 2048,
                   i == 5 ? 0xdead00 : p.rx->key);
    }
    /* 0-length frames first: they must not stop the port */
    sock_send(&p, junk, 0);
    sock_send(&p, junk, 0);
    sent += 2;
    for (int i = 0; i < 200; i++) {
        uint32_t len;

        switch (i % 4) {
        case 0:
            len = g_rand_int_range(rnd, 0, ODP_HCA_ETH_MIN_FRAME);
            break;
        case 1:
            len = g_rand_int_range(rnd, ODP_HCA_ETH_MAX_FRAME - 8,
                                   ODP_HCA_ETH_MAX_FRAME + 64);
            break;
        default:
            len = g_rand_int_range(rnd, 0, 2048);
            break;
        }
        for (uint32_t j = 0; j < len; j++) {
            junk[j] = g_rand_int(rnd);
        }
        sock_send(&p, junk, len);
        sent++;
    }
    do {
        sum = 0;
        for (int i = 0; i < ARRAY_SIZE(all); i++) {
            sum += odp_port_count(p.t, all[i]);
        }
    } while (sum < sent && ++rounds < 5000);
    g_assert_cmpuint(sum, ==, sent);
    g_assert_cmpuint(odp_port_count(p.t, "rx-no-qp"), ==, 0);
    g_assert_cmpuint(odp_port_count(p.t, "rx-too-short"), >=, 50);
    g_assert_cmpuint(odp_port_count(p.t, "rx-too-long"), >, 0);
    g_assert_cmpuint(odp_port_count(p.t, "rx-no-buffer"), >, 0);
    g_assert_cmpuint(odp_port_count(p.t, "rx-wqe-error"), ==, 1);
    /* every WQE completed: 7 frames and the bad key */
    for (int i = 0; i < 8; i++) {
        odp_cq_wait(p.t->h, p.cq, &c);
        g_assert_cmphex(c.wr_id, ==, 0xb0 + i);
        g_assert_cmpuint(c.status, ==, i == 5 ? ODP_HCA_WC_LOC_PROT_ERR
                                              : ODP_HCA_WC_SUCCESS);
    }
    g_assert_cmpuint(odp_port_count(p.t, "rx-frames"), ==, 7);
    g_assert_cmpuint(qp_state(p.t, p.qp), ==, ODP_HCA_QPS_RTS);

    /* still a NIC */
    post_recv1(p.t, p.qp, 0xc0, p.rx->iova + 6 * ODP_HCA_PAGE_SIZE, 2048,
               p.rx->key);
    sock_send(&p, good, 128);
    wait_recv(p.t, p.cq, &c, 0xc0, ODP_HCA_CQE_RECV, p.qp->qpn, 0, 128);
    buf_check(p.t, p.rx, 6 * ODP_HCA_PAGE_SIZE, good, 128, "good frame");
    buf_write(p.t, p.tx, 0, good, 128);
    port_tx_ok(&p, 0xc1, 0, 128);
    sock_expect(&p, good, 128);
    g_rand_free(rnd);
    port_free(&p);
}

void odp_hca_add_port_tests(void)
{
    add_test("/odp-hca/port/tx", test_port_tx);
    add_test("/odp-hca/port/tx-errors", test_port_tx_errors);
    add_test("/odp-hca/port/tx-fault", test_port_tx_fault);
    add_test("/odp-hca/port/one-qp", test_port_one_qp);
    add_test("/odp-hca/port/rx", test_port_rx);
    add_test("/odp-hca/port/rx-drops", test_port_rx_drops);
    add_test("/odp-hca/port/rx-fault", test_port_rx_fault);
    add_test("/odp-hca/port/no-netdev", test_port_no_netdev);
    add_test("/odp-hca/port/link", test_port_link);
    add_test("/odp-hca/port/rx-wait", test_port_rx_wait);
    add_test("/odp-hca/port/reset-queued", test_port_reset_queued);
    add_test("/odp-hca/port/hostile", test_port_hostile);
}
