/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/srq/.
 *
 * Shared receive queues: the receives of two QPs from one SRQ, and its
 * one-shot limit event.
 */

#include "qemu/osdep.h"
#include "framework.h"

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
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    rb = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
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

void odp_hca_add_srq_tests(void)
{
    add_test("/odp-hca/srq/recv", test_srq);
}
