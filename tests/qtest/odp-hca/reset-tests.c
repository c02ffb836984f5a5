/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/reset/.
 *
 * Resets: FLR, CTRL.RESET and FATAL with faults pending and timers
 * armed, and resets the device sets off itself while it is busy (the
 * tests under /odp-hca/reset/self/).
 */

#include "qemu/osdep.h"
#include "standard-headers/linux/pci_regs.h"
#include "framework.h"

typedef struct Stalled {
    Pair p;
    Buf *src;
    Buf *dst;
    uint32_t token;
} Stalled;

/* A QP stalled on a fault with WQEs behind it and a receive posted. */
static void make_stalled(T *t, Stalled *s)
{
    pair_new(t, &s->p);
    s->src = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    s->dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_fill(t, s->dst, 0xee);
    post_recv1(t, s->p.b, 0xb1, s->dst->iova + 2048, 512, s->dst->key);
    send1(t, s->p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, s->src->iova, 64,
          s->src->key, s->dst->iova, s->dst->key);
    send1(t, s->p.a, 0xa2, ODP_HCA_WQE_SEND, s->src->iova, 64, s->src->key,
          0, 0);
    s->token = wait_fault(t, s->p.a->qpn, s->src->key, s->src->iova, 64,
                          ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_READ,
                          ODP_HCA_FAULT_REQUESTER, 0);
}

static void check_after_reset(T *t, Stalled *s)
{
    OdpHca *h = t->h;

    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CTRL), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, s->p.a->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, s->p.b->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, s->p.cqa->cqn),
                     ==, ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, s->src->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_resume(h, s->token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);
    {
        uint32_t n;

        g_assert_cmpuint(odp_invalidate(h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                         ==, ODP_HCA_CMD_OK);
        g_assert_cmpuint(n, ==, 0);
    }
    /* the old objects are gone: nothing more lands in their memory */
    buf_map(t, s->src, s->src->iova, ODP_HCA_PAGE_SIZE, false);
    odp_cq_assert_empty(h, s->p.cqa, ODP_QUIET_ROUNDS);
    odp_cq_assert_empty(h, s->p.cqb, ODP_QUIET_ROUNDS);
    buf_check_fill(t, s->dst, 0, 0xee, ODP_HCA_PAGE_SIZE, "after reset");
    /* the same MR index is free again */
    {
        OdpMr *mr = odp_mr_prepare(h, t->pd, 0x100000, ODP_HCA_PAGE_SIZE, 1,
                                   ACC_LW, 0);

        mr->key = s->src->key;
        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    }
    check_fresh_pair_works(t, 37);
}

static void test_reset_flr(void)
{
    T *t = t_new(NULL);
    QPCIDevice *dev = &t->h->dev;
    Stalled s;
    uint8_t pcie;
    uint16_t ctl;

    make_stalled(t, &s);
    pcie = qpci_find_capability(dev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(pcie, !=, 0);
    g_assert_true(qpci_config_readl(dev, pcie + PCI_EXP_DEVCAP) &
                  PCI_EXP_DEVCAP_FLR);
    ctl = qpci_config_readw(dev, pcie + PCI_EXP_DEVCTL);
    qpci_config_writew(dev, pcie + PCI_EXP_DEVCTL,
                       ctl | PCI_EXP_DEVCTL_BCR_FLR);
    /* FLR clears the BARs and the command register: set them up again */
    g_assert_cmphex(qpci_config_readw(dev, PCI_COMMAND) &
                    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    odp_hca_pci_setup(t->h);
    odp_hca_wait_reset(t->h);
    check_after_reset(t, &s);
    t_free(t);
}

static void test_reset_ctrl(void)
{
    T *t = t_new(NULL);
    Stalled s;

    make_stalled(t, &s);
    odp_reg_write(t->h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    /* whether the PCI side (MSI-X) is reset too is unspecified: redo it */
    odp_hca_pci_setup(t->h);
    odp_hca_wait_reset(t->h);
    check_after_reset(t, &s);
    t_free(t);
}

/* A command queue outside guest RAM: STATUS.FATAL, then reset recovers. */
static void test_reset_fatal(void)
{
    OdpHca *h = odp_hca_start(NULL);
    int i;

    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_LO, (uint32_t)ODP_BAD_ADDR);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_HI, ODP_BAD_ADDR >> 32);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_LOG_SIZE, 4);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_ENABLE);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, 1);
    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_FATAL) {
            break;
        }
    }
    g_assert_cmpint(i, <, ODP_POLL_MAX);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    odp_hca_bringup(h, 6);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    odp_hca_stop(h);
}

/* CTRL.RESET / FLR while RNR and ACK timers are armed, then time moves. */
static void test_reset_timers(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpRcAttr aa, ab;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpQpCfg cfg;
    OdpQp *lone;
    Pair p;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        odp_rc_attr_init(&aa);
        odp_rc_attr_init(&ab);
        aa.timeout = 6;
        ab.min_rnr_timer = 12;
        pair_new2(t, &p, &aa, &ab);
        send1(t, p.a, 0x1, ODP_HCA_WQE_SEND, src->iova, 16, src->key, 0, 0);
        odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, p.cqb, p.cqb);
        lone = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, lone, h->caps.max_qps - 1, &aa);
        send1(t, lone, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
              src->iova + 64, src->key);
        quiet(t, p.cqa);
        quiet(t, p.cqb);

        if (pass == 0) {
            odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
        } else {
            uint8_t pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
            uint16_t ctl = qpci_config_readw(&h->dev, pcie + PCI_EXP_DEVCTL);

            qpci_config_writew(&h->dev, pcie + PCI_EXP_DEVCTL,
                               ctl | PCI_EXP_DEVCTL_BCR_FLR);
        }
        odp_clock_step(h, 100 * 1000 * 1000ll);
        odp_hca_pci_setup(h);
        odp_hca_wait_reset(h);
        odp_clock_step(h, 100 * 1000 * 1000ll);
        odp_hca_bringup(h, 6);
        t->pd = odp_pd_new(h);
        src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
        odp_clock_step(h, 100 * 1000 * 1000ll);
        check_fresh_pair_works(t, 64 + pass);
    }
    t_free(t);
}

/*
 * The device's own DMA and MSI-X writes reach PCI configuration space
 * through q35's ECAM window, which belongs to the host bridge and so is
 * beyond the device's memory re-entrancy guard: they can set FLR in the
 * device's Device Control, or Secondary Bus Reset in the root port above
 * it, while the device is in the middle of its own work.  Whatever it
 * was doing, QEMU stays up, the device ends in the documented post-reset
 * state, and it works again after the driver's bring-up.
 */
enum { SELF_FLR, SELF_SBR };                    /* what the write resets */

enum { SELF_BY_DMA, SELF_BY_MSIX };             /* how it gets there */

enum { SELF_IN_SEND, SELF_IN_ERROR, SELF_IN_RESUME, SELF_IN_COMMAND };

#define SELF_EVIL_IOVA      0x40000000ull

#define SELF_BAD_KEY        0x7fff00u       /* names no MR */

typedef struct SelfReset {
    int what, how, when;
} SelfReset;

static const SelfReset self_resets[] = {
    { SELF_FLR, SELF_BY_DMA, SELF_IN_SEND },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_ERROR },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_RESUME },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_SEND },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_ERROR },
    { SELF_FLR, SELF_BY_MSIX, SELF_IN_RESUME },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_SEND },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_ERROR },
    { SELF_SBR, SELF_BY_DMA, SELF_IN_RESUME },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_SEND },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_ERROR },
    { SELF_SBR, SELF_BY_MSIX, SELF_IN_RESUME },
    { SELF_FLR, SELF_BY_DMA, SELF_IN_COMMAND },
};

/* Where the 32-bit write that resets goes, and what it says. */
static void self_target(T *t, int what, uint64_t *addr, uint32_t *val)
{
    OdpHca *h = t->h;

    if (what == SELF_FLR) {
        uint8_t pcie = qpci_find_capability(&h->dev, PCI_CAP_ID_EXP, 0);
        uint16_t ctl;

        g_assert_cmphex(pcie, !=, 0);
        ctl = qpci_config_readw(&h->dev, pcie + PCI_EXP_DEVCTL);
        *addr = odp_ecam_dev(h, pcie + PCI_EXP_DEVCTL);
        /* Device Status above it is write-one-to-clear: zeros are inert */
        *val = ctl | PCI_EXP_DEVCTL_BCR_FLR;
    } else {
        /* interrupt line, pin (read-only), then Bridge Control */
        *addr = odp_ecam_port(h, PCI_INTERRUPT_LINE);
        *val = (uint32_t)PCI_BRIDGE_CTL_BUS_RESET << 16;
    }
}

/* An MR whose one page is the configuration page holding @addr. */
static OdpMr *self_evil_mr(T *t, uint64_t addr)
{
    OdpMr *mr = odp_mr_prepare(t->h, t->pd, SELF_EVIL_IOVA, ODP_HCA_PAGE_SIZE,
                               1, ACC_ALL, 0);

    odp_mr_map_page(t->h, mr, SELF_EVIL_IOVA, addr & ~(uint64_t)0xfff, true);
    g_assert_cmpuint(odp_mr_register(t->h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

/* The next completion on @cq sends its EQ's vector's message to @addr. */
static void self_aim(T *t, OdpCq *cq, uint64_t addr, uint32_t val)
{
    OdpHca *h = t->h;

    odp_eq_db(h, h->ceq->eqn, h->ceq->ci, true);
    odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
    odp_msix_aim(h, h->ceq->vector, addr, val, false);
}

/* Post a command and ring, without waiting: it may reset the device. */
static void self_post_cmd(OdpHca *h, struct odp_hca_cmd *cmd)
{
    cmd->owner = ODP_HCA_CMD_OWNER_HW;
    odp_write(h, odp_cmdq_entry(h, h->cmd_pi), cmd, sizeof(*cmd));
    h->cmd_pi++;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
}

static void self_reset_one(const SelfReset *v)
{
    static const char *const what[] = { "FLR", "secondary bus reset" };
    static const char *const how[] = { "DMA", "MSI-X" };
    static const char *const when[] = { "SEND", "error completion",
                                        "RESUME", "command" };
    T *t = g_new0(T, 1);
    OdpHca *h;
    Pair p;
    Buf *src, *dst;
    uint64_t addr;
    uint32_t val;

    t->h = h = odp_hca_start_port(NULL);
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    t->next_iova = 0x10000000;
    odp_ecam_enable(h);
    self_target(t, v->what, &addr, &val);
    odp_diag("%s by the device's own %s while it processes a %s",
             what[v->what], how[v->how], when[v->when]);

    pair_new(t, &p);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_write(t, src, 0, &val, sizeof(val));

    if (v->when == SELF_IN_COMMAND) {
        /*
         * QUERY_DEVICE writes the limits where it is told: max_cqe
         * (0x8000 by default) lands on Device Control, FLR set.
         */
        struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_DEVICE };

        g_assert_cmpuint(v->what, ==, SELF_FLR);
        g_assert_cmphex(h->caps.max_cqe, ==, PCI_EXP_DEVCTL_BCR_FLR);
        cmd.query_device.caps_addr =
            addr - offsetof(struct odp_hca_caps, max_cqe);
        self_post_cmd(h, &cmd);
    } else if (v->when == SELF_IN_RESUME) {
        /* a's WQE stalls on a fault; the RESUME resets the device */
        Buf *odp = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
        struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_RESUME };
        uint32_t token;

        odp_mem_write(h, odp->m, odp->iova, &val, sizeof(val));
        if (v->how == SELF_BY_DMA) {
            OdpMr *evil = self_evil_mr(t, addr);

            send1(t, p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 4,
                  odp->key, SELF_EVIL_IOVA + (addr & 0xfff), evil->key);
        } else {
            send1(t, p.a, 0xa1, ODP_HCA_WQE_RDMA_WRITE, odp->iova, 4,
                  odp->key, dst->iova, dst->key);
        }
        token = wait_fault(t, p.a->qpn, odp->key, odp->iova, 4,
                           ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_READ,
                           ODP_HCA_FAULT_REQUESTER, 0);
        cmd.resume.token = token;
        if (v->how == SELF_BY_DMA) {
            /* resumed, the WRITE lands in configuration space */
            buf_map(t, odp, odp->iova, ODP_HCA_PAGE_SIZE, false);
            cmd.resume.status = ODP_HCA_RESUME_OK;
        } else {
            /* failed, the error completion's event is the message */
            self_aim(t, p.cqa, addr, val);
            cmd.resume.status = ODP_HCA_RESUME_FAIL;
        }
        self_post_cmd(h, &cmd);
    } else if (v->how == SELF_BY_DMA) {
        OdpMr *evil = self_evil_mr(t, addr);
        struct odp_hca_sge sg[2] = {
            sge(SELF_EVIL_IOVA + (addr & 0xfff), 4, evil->key),
            sge(dst->iova, 64, SELF_BAD_KEY),
        };

        /* the SEND's first bytes land in configuration space; for the
         * error, the rest meets an SGE with a key that names no MR */
        odp_post_recv(h, p.b, 0xb1, sg, v->when == SELF_IN_ERROR ? 2 : 1);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova,
              v->when == SELF_IN_ERROR ? 8 : 4, src->key, 0, 0);
    } else if (v->when == SELF_IN_SEND) {
        post_recv1(t, p.b, 0xb1, dst->iova, 64, dst->key);
        self_aim(t, p.cqb, addr, val);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova, 4, src->key, 0, 0);
    } else {
        self_aim(t, p.cqa, addr, val);
        send1(t, p.a, 0xa1, ODP_HCA_WQE_SEND, src->iova, 4, SELF_BAD_KEY,
              0, 0);
    }
    odp_settle(h, ODP_QUIET_ROUNDS);

    /* QEMU is alive, and the PCI side was reset */
    g_assert_true(qtest_probe_child(h->qts));
    g_assert_cmphex(qpci_config_readw(&h->dev, PCI_COMMAND) &
                    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), ==, 0);
    if (v->what == SELF_SBR) {
        g_assert_cmphex(qpci_config_readw(h->port, PCI_BRIDGE_CONTROL) &
                        PCI_BRIDGE_CTL_BUS_RESET, ==,
                        PCI_BRIDGE_CTL_BUS_RESET);
        qpci_config_writew(h->port, PCI_BRIDGE_CONTROL, 0);
    }
    odp_hca_pci_setup(h);

    /* the documented post-reset state, no flag left behind */
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CTRL), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_LOG_SIZE), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_PI), ==, 0);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    /* up again: the old objects are gone, new ones move data */
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_QP, p.a->qpn), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_MR, src->key), ==,
                     ODP_HCA_CMD_BAD_HANDLE);
    check_fresh_pair_works(t, 53);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    t_free(t);
}

static void test_reset_self(gconstpointer data)
{
    self_reset_one(data);
}

void odp_hca_add_reset_tests(void)
{
    add_test("/odp-hca/reset/flr", test_reset_flr);
    add_test("/odp-hca/reset/ctrl", test_reset_ctrl);
    add_test("/odp-hca/reset/fatal", test_reset_fatal);
    add_test("/odp-hca/reset/timers", test_reset_timers);
    for (size_t k = 0; k < ARRAY_SIZE(self_resets); k++) {
        static const char *const what[] = { "flr", "sbr" };
        static const char *const how[] = { "dma", "msix" };
        static const char *const when[] = { "send", "error", "resume",
                                            "command" };
        const SelfReset *v = &self_resets[k];
        g_autofree char *path = g_strdup_printf(
            "/odp-hca/reset/self/%s-by-%s-in-%s", what[v->what],
            how[v->how], when[v->when]);

        add_test_data(path, v, test_reset_self);
    }
}
