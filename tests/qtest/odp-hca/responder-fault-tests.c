/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/responder-fault/.
 *
 * What a responder does with a request that meets a missing page, under
 * each responder-fault policy, seen from the wire (wire.h): the test is
 * the requester, writing into an on-demand MR of the device's QP whose
 * pages are not mapped, and plays the driver that resolves the fault.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "wire.h"

#define RF_LEN      200

/* The wire with the policy set at run time, and an on-demand MR. */
static Buf *rf_new(Wire *w, const char *policy)
{
    QDict *rsp;

    wire_new(w, NULL);
    rsp = qtest_qmp(w->t->h->qts, "{ 'execute': 'odp-hca-set-responder-fault',"
                    " 'arguments': { 'id': 'hca0', 'policy': %s } }", policy);
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    return buf_odp(w->t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
}

/* query-odp-hca's newest fault record (a new reference). */
static QDict *rf_last_record(Wire *w)
{
    QDict *rsp = qtest_qmp(w->t->h->qts, "{ 'execute': 'query-odp-hca' }");
    QDict *info = qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp,
                                                               "return")));
    QList *faults = qdict_get_qlist(info, "faults");
    QDict *last = NULL;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(faults, e) {
        last = qobject_to(QDict, qlist_entry_obj(e));
    }
    g_assert_nonnull(last);
    qobject_ref(last);
    qobject_unref(rsp);
    return last;
}

/* The device's policy as query-odp-hca reports it. */
static void rf_expect_policy(Wire *w, const char *policy)
{
    QDict *rsp = qtest_qmp(w->t->h->qts, "{ 'execute': 'query-odp-hca' }");
    QDict *info = qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp,
                                                               "return")));

    g_assert_cmpstr(qdict_get_str(info, "responder-fault"), ==, policy);
    qobject_unref(rsp);
}

/* The peer's WRITE into a missing page: the fault event, its token. */
static uint32_t rf_write_faults(Wire *w, Buf *b, uint32_t psn,
                                const uint8_t *d)
{
    wire_write_only(w, psn, b->iova + 64, b->key, d, RF_LEN);
    return wait_fault(w->t, w->qp->qpn, b->key, b->iova + 64, RF_LEN,
                      4 * ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_WRITE,
                      ODP_HCA_FAULT_RESPONDER, -1);
}

/* rnr: an RNR NAK for every try while the fault is pending. */
static void test_rf_rnr(void)
{
    Wire w;
    uint8_t d[RF_LEN];
    uint32_t token, psn;
    QDict *rec;
    Buf *b;

    b = rf_new(&w, "rnr");
    rf_expect_policy(&w, "rnr");
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 21);
    token = rf_write_faults(&w, b, psn, d);
    wire_expect_aeth(&w, SYN_RNR | (w.a.min_rnr_timer & 31), psn);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_RNR | (w.a.min_rnr_timer & 31), psn);
    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, b, 64, d, RF_LEN, "WRITE after RESUME (rnr)");
    rec = rf_last_record(&w);
    g_assert_cmpstr(qdict_get_str(rec, "policy"), ==, "rnr");
    g_assert_cmpuint(qdict_get_int(rec, "rnr-retries"), ==, 2);
    g_assert_cmpuint(qdict_get_int(rec, "drops"), ==, 0);
    qobject_unref(rec);
    g_assert_cmpuint(wire_counter(&w, "responder-drops"), ==, 0);
    wire_free(&w);
}

/*
 * drop: silence for the faulting request and for what follows it (no
 * sequence NAK for the gap it leaves); the requester's resend after the
 * RESUME lands, and the next PSN after it.
 */
static void test_rf_drop(void)
{
    Wire w;
    uint8_t d[RF_LEN], e[RF_LEN];
    uint32_t token, psn;
    QDict *rec;
    Buf *b;

    b = rf_new(&w, "drop");
    rf_expect_policy(&w, "drop");
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 22);
    odp_pattern(e, sizeof(e), 23);
    token = rf_write_faults(&w, b, psn, d);
    wire_quiet(&w);
    /* the next request, into pinned memory: dropped too, no NAK */
    wire_write_only(&w, psn_add(psn, 1), w.buf->iova, w.buf->key, e, RF_LEN);
    /* the first sent again before the RESUME: dropped */
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "responder-drops"), ==, 3);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 0);

    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    wire_quiet(&w);             /* the RESUME itself says nothing */
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn);
    wire_write_only(&w, psn_add(psn, 1), w.buf->iova, w.buf->key, e, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn_add(psn, 1));
    buf_check(w.t, b, 64, d, RF_LEN, "WRITE after RESUME (drop)");
    buf_check(w.t, w.buf, 0, e, RF_LEN, "WRITE behind the dropped one");
    rec = rf_last_record(&w);
    g_assert_cmpstr(qdict_get_str(rec, "policy"), ==, "drop");
    g_assert_cmpuint(qdict_get_int(rec, "drops"), ==, 3);
    g_assert_cmpuint(qdict_get_int(rec, "rnr-retries"), ==, 0);
    qobject_unref(rec);
    wire_free(&w);
}

/* A second RC QP of the device, its peer QPN one above the first's. */
static OdpQp *rf_bystander(Wire *w, uint32_t *rq_psn)
{
    struct odp_hca_cmd_modify_qp q;
    OdpQpCfg cfg;
    OdpQp *qp;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, w->t->pd, w->cq, w->cq);
    qp = odp_qp_new(w->t->h, &cfg);
    odp_qp_rc_init(w->t->h, qp, &w->a);
    w->peers = 1;
    odp_qp_rc_rtr_av(w->t->h, qp, WIRE_PEER_QPN + 1, &w->a, peer_mac,
                     dev_gid, peer_gid);
    odp_qp_rc_rts(w->t->h, qp, &w->a);
    g_assert_cmpuint(odp_qp_query(w->t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    *rq_psn = q.rq_psn;
    return qp;
}

/* An ACK (syndrome ACK) from the device's QP answering @peer_qpn. */
static void rf_expect_ack_to(Wire *w, uint32_t peer_qpn, uint32_t psn)
{
    Frame f;

    wire_expect(w, &f, ODP_HCA_ROCE_RC_ACKNOWLEDGE, psn);
    g_assert_cmphex(f.pkt.aeth.syndrome, ==, SYN_ACK);
    g_assert_cmpuint(f.pkt.dest_qpn, ==, peer_qpn);
}

/*
 * stall: the port's receive queue stops behind the faulting request; a
 * bystander QP's request (pinned memory) waits behind it, and both are
 * answered, in order, once the fault is resumed.
 */
static void test_rf_stall(void)
{
    Wire w;
    uint8_t d[RF_LEN], e[RF_LEN];
    uint32_t token, psn, psn2;
    const int64_t step = 3 * 1000 * 1000;     /* 3 ms */
    OdpQp *by;
    QDict *rec;
    Buf *b;

    b = rf_new(&w, "stall");
    by = rf_bystander(&w, &psn2);
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 24);
    odp_pattern(e, sizeof(e), 25);
    token = rf_write_faults(&w, b, psn, d);
    wire_write_only_to(&w, by->qpn, psn2, w.buf->iova, w.buf->key, e, RF_LEN);
    wire_quiet(&w);
    odp_clock_step(w.t->h, step);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "port-stalls"), ==, 1);
    g_assert_cmpuint(wire_counter(&w, "port-stall-ns"), >=, step);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 0);
    g_assert_cmpuint(wire_counter(&w, "responder-drops"), ==, 0);
    /* the bystander's bytes have not landed */
    g_assert_cmpuint(buf_read64(w.t, w.buf, 0), !=, *(uint64_t *)e);

    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    /* the held request first, then the one that queued behind it */
    rf_expect_ack_to(&w, WIRE_PEER_QPN, psn);
    rf_expect_ack_to(&w, WIRE_PEER_QPN + 1, psn2);
    wire_quiet(&w);
    buf_check(w.t, b, 64, d, RF_LEN, "the stalled WRITE");
    buf_check(w.t, w.buf, 0, e, RF_LEN, "the bystander's WRITE");
    rec = rf_last_record(&w);
    g_assert_cmpstr(qdict_get_str(rec, "policy"), ==, "stall");
    qobject_unref(rec);
    /* over: the stall time stops growing */
    {
        uint64_t ns = wire_counter(&w, "port-stall-ns");

        odp_clock_step(w.t->h, step);
        g_assert_cmpuint(wire_counter(&w, "port-stall-ns"), ==, ns);
    }
    wire_free(&w);
}

/*
 * stall: a READ whose answer meets a missing page mid-way stands where
 * it stopped, the port with it; the RESUME answers on from that packet,
 * with nothing asked again (under rnr or drop the requester must resend
 * the READ after its RNR timer or ACK timeout).
 */
static void test_rf_stall_read(void)
{
    const uint32_t mtu = 1024, len = 2 * ODP_HCA_PAGE_SIZE;
    const uint32_t npkts = len / mtu, before = ODP_HCA_PAGE_SIZE / mtu;
    g_autofree uint8_t *d = g_malloc(len);
    OdpHcaRocePacket p;
    uint32_t token, psn;
    Wire w;
    Frame f;
    Buf *b;

    b = rf_new(&w, "stall");
    psn = w.rq_psn;
    odp_pattern(d, len, 26);
    buf_write(w.t, b, 0, d, len);
    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);  /* not the 2nd */
    pkt_init(&w, &p, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST, psn);
    p.ack_req = true;
    p.reth.va = b->iova;
    p.reth.rkey = b->key;
    p.reth.dma_len = len;
    wire_send(&w, &p);
    /* the first page's packets, then the fault on the second */
    for (uint32_t i = 0; i < before; i++) {
        wire_expect(&w, &f, i ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE :
                            ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST,
                    psn_add(psn, i));
        g_assert_cmpmem(f.pkt.payload, f.pkt.payload_len, d + i * mtu, mtu);
    }
    token = wait_fault(w.t, w.qp->qpn, b->key, b->iova + ODP_HCA_PAGE_SIZE,
                       1, len, ODP_HCA_FAULT_READ, ODP_HCA_FAULT_RESPONDER,
                       -1);
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "port-stalls"), ==, 1);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 0);

    buf_map(w.t, b, b->iova + ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    /* on from the packet it stopped at, without a resend */
    for (uint32_t i = before; i < npkts; i++) {
        wire_expect(&w, &f, i + 1 < npkts ?
                            ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE :
                            ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST,
                    psn_add(psn, i));
        g_assert_cmpmem(f.pkt.payload, f.pkt.payload_len, d + i * mtu, mtu);
    }
    wire_quiet(&w);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 0);
    wire_free(&w);
}

/*
 * stall: the receive queue is a bounded buffer.  Frames from the wire
 * that find it full are dropped and counted; the rest are answered after
 * the RESUME.
 */
static void test_rf_stall_overflow(void)
{
    Wire w;
    uint8_t d[RF_LEN];
    uint32_t token, psn, psn2, acks = 0, last = 0;
    /* wire_new()'s device keeps the default rx-queue of 1024 frames */
    const uint32_t extra = 40, sent = 1024 + extra;
    OdpQp *by;
    Frame f;
    Buf *b;

    b = rf_new(&w, "stall");
    by = rf_bystander(&w, &psn2);
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 26);
    token = rf_write_faults(&w, b, psn, d);
    for (uint32_t i = 0; i < sent; i++) {
        wire_write_only_to(&w, by->qpn, psn_add(psn2, i), w.buf->iova,
                           w.buf->key, d, RF_LEN);
    }
    wire_quiet(&w);
    /* the held request and sent - extra - 1 more fill the queue */
    g_assert_cmpuint(odp_port_count(w.t, "rx-stall-overflow"), ==, extra + 1);

    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    rf_expect_ack_to(&w, WIRE_PEER_QPN, psn);
    while (wire_recv_ms(&w, &f, WIRE_QUIET_MS)) {
        g_assert_cmpuint(f.pkt.dest_qpn, ==, WIRE_PEER_QPN + 1);
        g_assert_cmphex(f.pkt.aeth.syndrome, ==, SYN_ACK);
        g_assert_cmphex(f.pkt.psn, ==, psn_add(psn2, acks));
        last = f.pkt.psn;
        acks++;
    }
    g_assert_cmpuint(acks, ==, sent - extra - 1);
    g_assert_cmphex(last, ==, psn_add(psn2, sent - extra - 2));
    wire_free(&w);
}

/* The peer's notify-policy message @opcode for @psn. */
static void rf_expect_x(Wire *w, uint8_t opcode, uint32_t psn)
{
    Frame f;

    wire_expect(w, &f, opcode, psn);
    g_assert_cmpuint(f.pkt.payload_len, ==, 0);
    g_assert_true(f.pkt.x_notify);
}

/*
 * notify, a peer that takes it: NOT_READY for each try while the fault
 * is pending, READY for the PSN on the RESUME, and the resend lands.
 */
static void test_rf_notify(void)
{
    Wire w;
    uint8_t d[RF_LEN];
    uint32_t token, psn;
    QDict *rec;
    Buf *b;

    b = rf_new(&w, "notify");
    w.x_notify = true;
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 28);
    token = rf_write_faults(&w, b, psn, d);
    rf_expect_x(&w, ODP_HCA_ROCE_X_NOT_READY, psn);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    rf_expect_x(&w, ODP_HCA_ROCE_X_NOT_READY, psn);
    wire_quiet(&w);
    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    rf_expect_x(&w, ODP_HCA_ROCE_X_READY, psn);
    wire_quiet(&w);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn);
    buf_check(w.t, b, 64, d, RF_LEN, "WRITE after READY");
    g_assert_cmpuint(wire_counter(&w, "not-ready-sent"), ==, 2);
    g_assert_cmpuint(wire_counter(&w, "ready-sent"), ==, 1);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 0);
    rec = rf_last_record(&w);
    g_assert_cmpstr(qdict_get_str(rec, "policy"), ==, "notify");
    g_assert_cmpuint(qdict_get_int(rec, "rnr-retries"), ==, 2);
    qobject_unref(rec);
    wire_free(&w);
}

/* notify, a peer that does not say it takes it: RNR NAK, no READY. */
static void test_rf_notify_fallback(void)
{
    Wire w;
    uint8_t d[RF_LEN];
    uint32_t token, psn;
    Buf *b;

    b = rf_new(&w, "notify");
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 29);
    token = rf_write_faults(&w, b, psn, d);
    wire_expect_aeth(&w, SYN_RNR | (w.a.min_rnr_timer & 31), psn);
    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    wire_quiet(&w);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn);
    g_assert_cmpuint(wire_counter(&w, "not-ready-sent"), ==, 0);
    g_assert_cmpuint(wire_counter(&w, "ready-sent"), ==, 0);
    g_assert_cmpuint(wire_counter(&w, "rnr-naks"), ==, 1);
    wire_free(&w);
}

/* The port's ACK timeouts (query-odp-hca's port.roce). */
static uint64_t rf_ack_timeouts(Wire *w)
{
    QDict *port = odp_port_query(w->t);
    uint64_t v = qdict_get_int(qdict_get_qdict(port, "roce"), "ack-timeouts");

    qobject_unref(port);
    return v;
}

/* The peer answers the device's requester with @opcode for @psn. */
static void rf_send_x(Wire *w, uint8_t opcode, uint32_t psn)
{
    OdpHcaRocePacket p;

    pkt_init(w, &p, opcode, psn);
    p.aeth.syndrome = SYN_ACK;
    wire_send(w, &p);
}

/*
 * notify, the device as the requester: its requests say it takes the
 * exchange; after NOT_READY it waits, READY sends it again at once (no
 * timer), and a READY lost costs one ACK timeout, not a retry.
 */
static void test_rf_notify_requester(void)
{
    Wire w;
    Frame f[3];
    struct odp_hca_cqe c;
    g_autofree uint8_t *src = NULL;
    const uint32_t len = 3000;
    int64_t tmo;

    tmo = wire_new_timed(&w);
    src = buf_pattern(w.t, w.buf, 6);

    wire_post_write(&w, 0x61, 0, len, 0x40000, 0x55);
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, 0x40000, 0x55);
    g_assert_true(f[0].pkt.x_notify);
    /* the first packet is not ready; the rest waits with it */
    rf_send_x(&w, ODP_HCA_ROCE_X_NOT_READY, w.sq_psn);
    odp_clock_step(w.t->h, tmo / 2);
    wire_quiet(&w);
    rf_send_x(&w, ODP_HCA_ROCE_X_READY, w.sq_psn);
    /* at once, without the clock */
    wire_expect_write(&w, f, 3, w.sq_psn, 0, src, len, 0x40000, 0x55);
    /* a READY again (duplicated on the way): nothing */
    rf_send_x(&w, ODP_HCA_ROCE_X_READY, w.sq_psn);
    wire_quiet(&w);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 2), 1);
    wait_cqe(w.t, w.cq, &c, 0x61, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    g_assert_cmpuint(wire_counter(&w, "not-ready-received"), ==, 1);
    g_assert_cmpuint(wire_counter(&w, "ready-received"), ==, 1);
    /* sent again once, on the READY, not on a timer */
    g_assert_cmpuint(wire_counter(&w, "requester-retries"), ==, 1);
    g_assert_cmpuint(rf_ack_timeouts(&w), ==, 0);

    /* READY lost: the ACK timeout resends, retry_cnt is not spent */
    wire_post_write(&w, 0x62, 0, len, 0x40000, 0x55);
    wire_expect_write(&w, f, 3, psn_add(w.sq_psn, 3), 0, src, len, 0x40000,
                      0x55);
    for (int i = 0; i <= w.a.retry_cnt; i++) {
        rf_send_x(&w, ODP_HCA_ROCE_X_NOT_READY, psn_add(w.sq_psn, 3));
        wire_quiet(&w);
        odp_clock_step(w.t->h, tmo + 1000);
        wire_expect_write(&w, f, 3, psn_add(w.sq_psn, 3), 0, src, len,
                          0x40000, 0x55);
    }
    g_assert_cmpuint(wire_counter(&w, "ready-timeouts"), ==, w.a.retry_cnt + 1);
    /* waits for READY, not ACK timeouts: retry_cnt 3 would be spent */
    g_assert_cmpuint(rf_ack_timeouts(&w), ==, 0);
    wire_send_aeth(&w, SYN_ACK, psn_add(w.sq_psn, 5), 2);
    wait_cqe(w.t, w.cq, &c, 0x62, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             w.qp->qpn);
    wire_free(&w);
}

/* A policy that faults pending began under stays theirs. */
static void test_rf_switch(void)
{
    Wire w;
    uint8_t d[RF_LEN];
    uint32_t token, psn;
    QDict *rsp;
    Buf *b;

    b = rf_new(&w, "drop");
    psn = w.rq_psn;
    odp_pattern(d, sizeof(d), 27);
    token = rf_write_faults(&w, b, psn, d);
    rsp = qtest_qmp(w.t->h->qts, "{ 'execute': 'odp-hca-set-responder-fault',"
                    " 'arguments': { 'id': 'hca0', 'policy': 'rnr' } }");
    qobject_unref(rsp);
    rf_expect_policy(&w, "rnr");
    /* still dropped: the fault was raised under drop */
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_quiet(&w);
    buf_map(w.t, b, b->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(w.t, token);
    wire_write_only(&w, psn, b->iova + 64, b->key, d, RF_LEN);
    wire_expect_aeth(&w, SYN_ACK, psn);
    /* unknown policies and devices are refused */
    rsp = qtest_qmp(w.t->h->qts, "{ 'execute': 'odp-hca-set-responder-fault',"
                    " 'arguments': { 'id': 'hca0', 'policy': 'pray' } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    rsp = qtest_qmp(w.t->h->qts, "{ 'execute': 'odp-hca-set-responder-fault',"
                    " 'arguments': { 'id': 'nope', 'policy': 'drop' } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    rf_expect_policy(&w, "rnr");
    /* and HMP sets it too */
    g_free(qtest_hmp(w.t->h->qts, "odp-hca-set-responder-fault hca0 stall"));
    rf_expect_policy(&w, "stall");
    wire_free(&w);
}

void odp_hca_add_responder_fault_tests(void)
{
    add_test("/odp-hca/responder-fault/rnr", test_rf_rnr);
    add_test("/odp-hca/responder-fault/drop", test_rf_drop);
    add_test("/odp-hca/responder-fault/stall", test_rf_stall);
    add_test("/odp-hca/responder-fault/stall-read", test_rf_stall_read);
    add_test("/odp-hca/responder-fault/stall-overflow",
             test_rf_stall_overflow);
    add_test("/odp-hca/responder-fault/switch", test_rf_switch);
    add_test("/odp-hca/responder-fault/notify", test_rf_notify);
    add_test("/odp-hca/responder-fault/notify-fallback",
             test_rf_notify_fallback);
    add_test("/odp-hca/responder-fault/notify-requester",
             test_rf_notify_requester);
}
