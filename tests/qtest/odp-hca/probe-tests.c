/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/probe/.
 *
 * PCI identity, registers, device properties and capabilities, table
 * limits, interrupts, and objects destroyed while in use.
 */

#include "qemu/osdep.h"
#include "standard-headers/linux/pci_regs.h"
#include "framework.h"

#define PROBE_OPTS "max-qps=64,max-cqs=32,max-srqs=8,max-mrs=128,max-pds=16," \
                   "max-qp-wr=1024,max-cqe=4096,max-eqe=512,max-sge=8," \
                   "max-inline=128,iotlb-entries=64,uars=8,vectors=4," \
                   "mac=52:54:00:ab:cd:ef"

static void test_probe(void)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    const uint32_t all_caps = ODP_HCA_CAP_ODP | ODP_HCA_CAP_IMPLICIT_ODP |
                              ODP_HCA_CAP_SRQ | ODP_HCA_CAP_UD |
                              ODP_HCA_CAP_ATOMIC | ODP_HCA_CAP_FAST_REG;
    OdpHca *h = odp_hca_start(PROBE_OPTS);
    struct odp_hca_caps *caps = &h->caps;
    uint8_t tail[64], pcie;

    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_VENDOR_ID), ==,
                    ODP_HCA_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_DEVICE_ID), ==,
                    ODP_HCA_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readb(&h->dev, PCI_REVISION_ID), ==,
                    ODP_HCA_PCI_REVISION);
    pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(pcie, !=, 0);
    g_assert_true(qpci_config_readl(&h->dev, pcie + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    g_assert_cmpuint(qpci_msix_table_size(&h->dev), ==, 4);
    g_assert_cmpuint(h->bar2_size, ==, 8 * ODP_HCA_PAGE_SIZE);

    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_UARS), ==, 8);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_VECTORS), ==, 4);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    g_assert_cmphex(caps->flags, ==, all_caps);
    g_assert_cmpuint(caps->max_qps, ==, 64);
    g_assert_cmpuint(caps->max_cqs, ==, 32);
    g_assert_cmpuint(caps->max_srqs, ==, 8);
    g_assert_cmpuint(caps->max_mrs, ==, 128);
    g_assert_cmpuint(caps->max_pds, ==, 16);
    g_assert_cmpuint(caps->max_eqs, ==, 4);       /* = vectors */
    g_assert_cmpuint(caps->max_qp_wr, ==, 1024);
    g_assert_cmpuint(caps->max_cqe, ==, 4096);
    g_assert_cmpuint(caps->max_eqe, ==, 512);
    g_assert_cmpuint(caps->max_sge, ==, 8);
    g_assert_cmpuint(caps->max_inline, ==, 128);
    g_assert_cmpuint(caps->max_msg_size, ==, 1u << 31);
    g_assert_cmpuint(caps->iotlb_entries, ==, 64);
    g_assert_cmpuint(caps->num_uars, ==, 8);
    g_assert_cmpuint(caps->num_vectors, ==, 4);
    g_assert_cmpuint(caps->page_size, ==, ODP_HCA_PAGE_SIZE);
    g_assert_cmpmem(caps->mac, 6, mac, 6);
    g_assert_cmpuint(caps->max_mtu, ==, ODP_HCA_MTU_4096);
    g_assert_cmpuint(caps->pt_levels, ==, ODP_HCA_PT_MAX_LEVELS);
    g_assert_cmpuint(caps->max_fast_reg_pages, ==,
                     ODP_HCA_FAST_REG_MAX_PAGES);
    g_assert_cmpuint(caps->max_srq_wr, >, 0);
    g_assert_cmpuint(caps->max_rd_atomic, >, 0);

    /* the device wrote the caps structure and nothing after it */
    odp_read(h, h->scratch + sizeof(*caps), tail, sizeof(tail));
    for (size_t i = 0; i < sizeof(tail); i++) {
        g_assert_cmphex(tail[i], ==, 0xa5);
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

static void test_probe_defaults(void)
{
    OdpHca *h = odp_hca_new(NULL);
    struct odp_hca_caps *c = &h->caps;

    g_assert_cmpuint(c->max_qps, ==, 256);
    g_assert_cmpuint(c->max_cqs, ==, 256);
    g_assert_cmpuint(c->max_srqs, ==, 64);
    g_assert_cmpuint(c->max_mrs, ==, 1024);
    g_assert_cmpuint(c->max_pds, ==, 256);
    g_assert_cmpuint(c->max_eqs, ==, 8);
    g_assert_cmpuint(c->max_qp_wr, ==, 4096);
    g_assert_cmpuint(c->max_cqe, ==, 32768);
    g_assert_cmpuint(c->max_eqe, ==, 4096);
    g_assert_cmpuint(c->max_sge, ==, 16);
    g_assert_cmpuint(c->max_inline, ==, 256);
    g_assert_cmpuint(c->iotlb_entries, ==, 16384);
    g_assert_cmpuint(c->num_uars, ==, 64);
    g_assert_cmpuint(c->num_vectors, ==, 8);
    g_assert_cmpuint(h->bar2_size, ==, 64 * ODP_HCA_PAGE_SIZE);
    g_assert_cmpuint(qpci_msix_table_size(&h->dev), ==, 8);
    g_assert_cmpuint(c->max_msg_size, ==, 1u << 31);
    odp_hca_stop(h);
}

/* Table limits: NO_RESOURCES when full, handles in range, reuse. */
static void test_limits(void)
{
    OdpHca *h = odp_hca_new("max-pds=4,max-qps=4,max-cqs=3,vectors=3,"
                            "max-mrs=8");
    struct odp_hca_cmd cmd;
    uint32_t pds[4];
    OdpCq *cq[3];
    OdpQpCfg c;
    OdpQp *qp[3];
    OdpMr *mr;
    int i;

    for (i = 0; i < 4; i++) {
        pds[i] = odp_pd_new(h);
        for (int j = 0; j < i; j++) {
            g_assert_cmpuint(pds[i], !=, pds[j]);
        }
    }
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_PD;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_NO_RESOURCES);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, pds[2]), ==,
                     ODP_HCA_CMD_OK);
    pds[2] = odp_pd_new(h);

    for (i = 0; i < 3; i++) {
        cq[i] = odp_cq_new(h, 3, NULL, 0);
    }
    {
        OdpRing r;

        odp_ring_init(h, &r, 3, ODP_CQ_LOG_STRIDE);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
        odp_ring_desc(&r, &cmd.create_cq.ring);
        g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==,
                         ODP_HCA_CMD_NO_RESOURCES);
    }

    /* qpn 0 and 1 are reserved: two QPs fit */
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, pds[0], cq[0], cq[0]);
    qp[0] = odp_qp_new(h, &c);
    qp[1] = odp_qp_new(h, &c);
    g_assert_cmpuint(odp_qp_create(h, &c, &qp[2]), ==,
                     ODP_HCA_CMD_NO_RESOURCES);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp[0]->qpn), ==,
                     ODP_HCA_CMD_OK);
    qp[2] = odp_qp_new(h, &c);

    /* MR key index: below max_mrs, not in use */
    mr = odp_mr_prepare(h, pds[0], 0x100000, ODP_HCA_PAGE_SIZE, 1, ACC_LW, 0);
    mr->key = odp_hca_key_make(7, 0x11);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    mr->key = odp_hca_key_make(7, 0x22);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    mr->key = odp_hca_key_make(8, 0x11);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    /* the largest index a key can hold */
    mr->key = odp_hca_key_make(UINT32_MAX >> ODP_HCA_KEY_VARIANT_BITS, 0);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR,
                                 odp_hca_key_make(7, 0x11)), ==,
                     ODP_HCA_CMD_OK);
    mr->key = odp_hca_key_make(7, 0x22);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

/* Command interrupt (vector 0), EQ arming, CQ arming (any / solicited). */
static void test_interrupts(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_NOP };
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    OdpEq *eq1;
    OdpQpCfg cfg;
    Pair p;
    Buf *src, *dst;
    const uint16_t vec = ODP_VEC_FREE;

    g_assert_false(odp_msix_pending(h, 0));
    cmd.flags = ODP_HCA_CMD_F_INTR;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    g_assert_true(odp_msix_pending(h, 0));
    odp_msix_clear(h, 0);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_settle(h, 8);
    g_assert_false(odp_msix_pending(h, 0));

    eq1 = odp_eq_new(h, 4, vec);
    eq1->auto_ci = false;
    p.cqa = odp_cq_new(h, 6, eq1, 0);
    p.cqb = odp_cq_new(h, 6, eq1, 0);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, p.cqa, p.cqa);
    p.a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = p.cqb;
    p.b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, p.a, p.b->qpn, NULL);
    odp_qp_rc_connect(h, p.b, p.a->qpn, NULL);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_assert_false(odp_msix_pending(h, vec));

    /* armed CQ, armed EQ (created armed): event + vector */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));
    odp_msix_clear(h, vec);

    /* EQ consumed but not re-armed: event, no vector */
    odp_eq_db(h, eq1->eqn, eq1->ci, false);
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_false(odp_msix_pending(h, vec));

    /* EQ re-armed: vector again */
    odp_eq_db(h, eq1->eqn, eq1->ci, true);
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));
    odp_msix_clear(h, vec);
    odp_eq_db(h, eq1->eqn, eq1->ci, true);

    /* CQ disarmed after its event: no event */
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    g_assert_false(odp_msix_pending(h, vec));

    /* solicited arming on the receive CQ */
    odp_cq_db(h, p.cqb, ODP_HCA_DB_CQ_ARM_SOL);
    post_recv1(t, p.b, 0xb1, dst->iova, 256, dst->key);
    post_recv1(t, p.b, 0xb2, dst->iova + 256, 256, dst->key);
    send1(t, p.a, 5, ODP_HCA_WQE_SEND, src->iova, 32, src->key, 0, 0);
    wait_cqe(t, p.cqa, &c, 5, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb1, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 32);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_SOLICITED, ==, 0);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    {
        OdpWr wr;

        wr1(&wr, 6, ODP_HCA_WQE_SEND, src->iova, 48, src->key, 0, 0);
        wr.flags |= ODP_HCA_WQE_F_SOLICITED;
        odp_send(h, p.a, &wr);
    }
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.a->qpn);
    wait_recv(t, p.cqb, &c, 0xb2, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 48);
    g_assert_cmphex(c.flags & ODP_HCA_CQE_F_SOLICITED, ==,
                    ODP_HCA_CQE_F_SOLICITED);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqb->cqn);
    odp_settle(h, 8);
    g_assert_true(odp_msix_pending(h, vec));

    /* solicited arming also fires for an error completion */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM_SOL);
    send1(t, p.a, 7, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 7, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    send1(t, p.a, 8, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key ^ 0x40,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 8, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
    odp_eq_wait_type(h, eq1, ODP_HCA_EV_COMPLETION, &e);
    g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    odp_eq_assert_empty(h, eq1, ODP_QUIET_ROUNDS);
    t_free(t);
}

/* DESTROY of objects still in use -> BUSY; in order -> OK; twice -> gone */
static void test_objects_busy(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpEq *eq1 = odp_eq_new(h, 3, ODP_VEC_FREE);
    OdpCq *cq = odp_cq_new(h, 4, eq1, 0);
    OdpSrq *srq = odp_srq_new(h, t->pd, 4, 2, 0, 0);
    OdpQpCfg c;
    OdpQp *qp, *qp2;
    Buf *b = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);

    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &c);
    c.srq = srq;
    qp2 = odp_qp_new(h, &c);

    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_BUSY);

    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp2->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp2->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, qp->qpn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_OK);
    /* the MR still holds the PD */
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, b->key), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, b->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_PD, t->pd), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, cq->cqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_EQ, eq1->eqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    t_free(t);
}

void odp_hca_add_probe_tests(void)
{
    add_test("/odp-hca/probe/props", test_probe);
    add_test("/odp-hca/probe/defaults", test_probe_defaults);
    add_test("/odp-hca/probe/limits", test_limits);
    add_test("/odp-hca/probe/interrupts", test_interrupts);
    add_test("/odp-hca/probe/busy", test_objects_busy);
}
