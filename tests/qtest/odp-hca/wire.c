/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire of the odp-hca qtests: the test's end of the device's netdev
 * (see wire.h).
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/socket.h>
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qemu/bswap.h"
#include "wire.h"

/* The peer: a made-up host on the wire. */
const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
const uint8_t peer_gid[16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2,
};
/* The device's address on the wire. */
const uint8_t dev_gid[16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1,
};

uint32_t psn_add(uint32_t psn, int32_t n)
{
    return (psn + n) & ODP_HCA_PSN_MASK;
}

/*
 * wire_new() for the tests of the requester's timers: 1024-byte MTU,
 * retry_cnt 3, ACK timeout 12 (16.8 ms).  That timeout in ns.
 */
int64_t wire_new_timed(Wire *w)
{
    OdpRcAttr a;

    odp_rc_attr_init(&a);
    a.path_mtu = WIRE_MTU_1024;
    a.retry_cnt = 3;
    a.timeout = 12;
    wire_new(w, &a);
    return odp_ack_timeout_ns(a.timeout);
}

void wire_new(Wire *w, const OdpRcAttr *attr)
{
    struct odp_hca_cmd_modify_qp q;
    g_autofree char *args = NULL;
    OdpQpCfg cfg;
    int sv[2];

    memset(w, 0, sizeof(*w));
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = g_strdup_printf("-netdev socket,id=n0,fd=%d "
                           "-device odp-hca,id=hca0,netdev=n0", sv[1]);
    w->t = t_new_args(args, -1);
    close(sv[1]);
    w->fd = sv[0];
    w->cq = odp_cq_new(w->t->h, 7, NULL, 0);

    if (attr) {
        w->a = *attr;
    } else {
        odp_rc_attr_init(&w->a);
        w->a.path_mtu = WIRE_MTU_1024;
    }
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, w->t->pd, w->cq, w->cq);
    w->qp = odp_qp_new(w->t->h, &cfg);
    odp_qp_rc_init(w->t->h, w->qp, &w->a);
    odp_qp_rc_rtr_av(w->t->h, w->qp, WIRE_PEER_QPN, &w->a, peer_mac,
                     dev_gid, peer_gid);
    odp_qp_rc_rts(w->t->h, w->qp, &w->a);
    g_assert_cmpuint(odp_qp_query(w->t->h, w->qp->qpn, &q), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(q.state, ==, ODP_HCA_QPS_RTS);
    g_assert_cmpmem(q.dmac, 6, peer_mac, 6);
    w->sq_psn = q.sq_psn;
    w->rq_psn = q.rq_psn;
    w->buf = buf_pinned(w->t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
}

void wire_free(Wire *w)
{
    close(w->fd);
    t_free(w->t);
}

/* Hand @len bytes to the netdev as one frame (4-byte length first). */
void wire_send_raw(Wire *w, const void *frame, uint32_t len)
{
    uint32_t be = htonl(len);

    odp_sock_write_all(w->fd, &be, 4);
    odp_sock_write_all(w->fd, frame, len);
}

/*
 * The next frame the device sent, within @ms: a valid RoCEv2 frame (ICRC
 * included) from the QP's path to the peer.  False when none came.
 */
bool wire_recv_ms(Wire *w, Frame *f, int ms)
{
    OdpHcaRoceDrop why;
    uint32_t be;

    if (!odp_sock_read_all(w->fd, &be, 4, ms)) {
        return false;
    }
    f->len = ntohl(be);
    g_assert_cmpuint(f->len, <=, sizeof(f->data));
    g_assert_true(odp_sock_read_all(w->fd, f->data, f->len, WIRE_WAIT_MS));
    why = odp_hca_roce_parse(f->data, f->len, ODP_HCA_PAGE_SIZE, &f->pkt);
    if (why != ODP_HCA_ROCE_OK) {
        odp_diag("frame of %u bytes from the device: %s", f->len,
                 odp_hca_roce_drop_name(why));
    }
    g_assert_cmpint(why, ==, ODP_HCA_ROCE_OK);
    g_assert_cmpmem(f->pkt.dst_mac, 6, peer_mac, 6);
    g_assert_cmpmem(f->pkt.src_mac, 6, w->t->h->caps.mac, 6);
    g_assert_false(f->pkt.ipv6);
    g_assert_cmpmem(f->pkt.sgid, 16, dev_gid, 16);
    g_assert_cmpmem(f->pkt.dgid, 16, peer_gid, 16);
    g_assert_cmphex(f->pkt.pkey, ==, WIRE_PKEY);
    /* to the peer's QP, or to one a test added (w->peers) */
    g_assert_cmpuint(f->pkt.dest_qpn, >=, WIRE_PEER_QPN);
    g_assert_cmpuint(f->pkt.dest_qpn, <=, WIRE_PEER_QPN + w->peers);
    return true;
}

void wire_recv(Wire *w, Frame *f)
{
    if (!wire_recv_ms(w, f, WIRE_WAIT_MS)) {
        odp_diag("no frame from the device within %d ms", WIRE_WAIT_MS);
        g_assert_not_reached();
    }
}

/* The next frame: @opcode at @psn. */
void wire_expect(Wire *w, Frame *f, uint8_t opcode, uint32_t psn)
{
    wire_recv(w, f);
    if (f->pkt.opcode != opcode || f->pkt.psn != psn) {
        odp_diag("frame opcode 0x%x psn 0x%x, expected opcode 0x%x "
                 "psn 0x%x", f->pkt.opcode, f->pkt.psn, opcode, psn);
    }
    g_assert_cmphex(f->pkt.opcode, ==, opcode);
    g_assert_cmphex(f->pkt.psn, ==, psn);
}

/* An ACKNOWLEDGE with @syndrome for @psn. */
void wire_expect_aeth(Wire *w, uint8_t syndrome, uint32_t psn)
{
    Frame f;

    wire_expect(w, &f, ODP_HCA_ROCE_RC_ACKNOWLEDGE, psn);
    g_assert_cmphex(f.pkt.aeth.syndrome, ==, syndrome);
    g_assert_cmpuint(f.pkt.payload_len, ==, 0);
}

/* The device sent nothing (more). */
void wire_quiet(Wire *w)
{
    Frame f;

    odp_settle(w->t->h, ODP_QUIET_ROUNDS);
    if (wire_recv_ms(w, &f, WIRE_QUIET_MS)) {
        odp_diag("unexpected frame: opcode 0x%x psn 0x%x syndrome 0x%x",
                 f.pkt.opcode, f.pkt.psn, f.pkt.aeth.syndrome);
        g_assert_not_reached();
    }
}

/* A packet from the peer to the device's QP. */
void pkt_init(Wire *w, OdpHcaRocePacket *p, uint8_t opcode,
              uint32_t psn)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->dst_mac, w->t->h->caps.mac, 6);
    memcpy(p->src_mac, peer_mac, 6);
    memcpy(p->sgid, peer_gid, 16);
    memcpy(p->dgid, dev_gid, 16);
    p->hop_limit = 64;
    p->udp_sport = odp_hca_roce_udp_sport(0, WIRE_PEER_QPN, w->qp->qpn);
    p->opcode = opcode;
    p->pkey = WIRE_PKEY;
    p->dest_qpn = w->qp->qpn;
    p->psn = psn & ODP_HCA_PSN_MASK;
    p->x_notify = w->x_notify;
}

/* Build @p into @buf; returns the frame length. */
uint32_t pkt_build(const OdpHcaRocePacket *p, uint8_t *buf,
                   size_t size)
{
    ssize_t len = odp_hca_roce_build(p, buf, size);

    g_assert_cmpint(len, >, 0);
    return len;
}

void wire_send(Wire *w, const OdpHcaRocePacket *p)
{
    uint8_t buf[WIRE_FRAME_MAX + 2048];

    wire_send_raw(w, buf, pkt_build(p, buf, sizeof(buf)));
}

/* The peer answers with an ACKNOWLEDGE (@syndrome) for @psn. */
void wire_send_aeth(Wire *w, uint8_t syndrome, uint32_t psn,
                    uint32_t msn)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, ODP_HCA_ROCE_RC_ACKNOWLEDGE, psn);
    p.aeth.syndrome = syndrome;
    p.aeth.msn = msn;
    wire_send(w, &p);
}

void wire_write_only(Wire *w, uint32_t psn, uint64_t va, uint32_t rkey,
                     const uint8_t *data, uint32_t len)
{
    wire_write_only_to(w, w->qp->qpn, psn, va, rkey, data, len);
}

/* A WRITE ONLY, ACK requested, to the device's QP @qpn. */
void wire_write_only_to(Wire *w, uint32_t qpn, uint32_t psn, uint64_t va,
                        uint32_t rkey, const uint8_t *data, uint32_t len)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY, psn);
    p.dest_qpn = qpn;
    p.ack_req = true;
    p.reth.va = va;
    p.reth.rkey = rkey;
    p.reth.dma_len = len;
    p.payload = data;
    p.payload_len = len;
    wire_send(w, &p);
}

/* query-odp-hca's counter @name (e.g. "requester-retries"). */
uint64_t wire_counter(Wire *w, const char *name)
{
    return odp_counter(w->t, name);
}

/*
 * Post an RDMA WRITE of @len bytes at @off of the buffer to the peer's
 * @raddr; check the frames it goes out as (@npkts of them, from @psn)
 * and return them in @f.
 */
void wire_post_write(Wire *w, uint64_t wr_id, uint64_t off,
                     uint32_t len, uint64_t raddr, uint32_t rkey)
{
    send1(w->t, w->qp, wr_id, ODP_HCA_WQE_RDMA_WRITE, w->buf->iova + off,
          len, w->buf->key, raddr, rkey);
}

void wire_expect_write(Wire *w, Frame *f, int npkts, uint32_t psn,
                       int from, const uint8_t *src, uint32_t len,
                       uint64_t raddr, uint32_t rkey)
{
    for (int i = from; i < npkts; i++) {
        uint8_t op = npkts == 1 ? ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY :
                     i == 0 ? ODP_HCA_ROCE_RC_RDMA_WRITE_FIRST :
                     i == npkts - 1 ? ODP_HCA_ROCE_RC_RDMA_WRITE_LAST :
                     ODP_HCA_ROCE_RC_RDMA_WRITE_MIDDLE;
        uint32_t plen = MIN(WIRE_PMTU, len - i * WIRE_PMTU);
        Frame *fi = &f[i];

        wire_expect(w, fi, op, psn_add(psn, i));
        if (i == 0) {
            g_assert_cmphex(fi->pkt.reth.va, ==, raddr);
            g_assert_cmphex(fi->pkt.reth.rkey, ==, rkey);
            g_assert_cmpuint(fi->pkt.reth.dma_len, ==, len);
        }
        if (i == npkts - 1) {
            g_assert_true(fi->pkt.ack_req);
        }
        g_assert_cmpuint(fi->pkt.payload_len, ==, plen);
        g_assert_cmpmem(fi->pkt.payload, plen, src + i * WIRE_PMTU, plen);
    }
}

void wire_set_link(Wire *w, bool up)
{
    QDict *rsp = qtest_qmp(w->t->h->qts, "{ 'execute': 'set_link', "
                           "'arguments': { 'name': 'n0', 'up': %i } }", up);

    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    wait_event(w->t, up ? ODP_HCA_EV_PORT_ACTIVE : ODP_HCA_EV_PORT_DOWN, 1);
}
