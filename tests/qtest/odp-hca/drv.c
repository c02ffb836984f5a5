/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtest driver library: see drv.h.
 */

#include "qemu/osdep.h"
#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/pci.h"
#include "tests/qtest/libqos/pci-pc.h"
#include "tests/qtest/libqos/libqos-malloc.h"
#include "tests/qtest/libqos/malloc-pc.h"
#include "standard-headers/linux/pci_regs.h"
#include "drv.h"

#if HOST_BIG_ENDIAN
#error "odp-hca qtests write little-endian device structures natively"
#endif

#define ODP_CMDQ_LOG        5       /* 32 commands: one page */
#define ODP_PORT_SLOT       2       /* the root port: 00:02.0 */
#define ODP_PORT_DEVFN      QPCI_DEVFN(ODP_PORT_SLOT, 0)
/* q35's MCH: PCIEXBAR (64 bits at 0x60), 256 MiB at its default base */
#define ODP_MCH_PCIEXBAR    0x60
#define ODP_ECAM_BASE       0xb0000000u
#define ODP_ECAM_ENABLE     1u
#define ODP_PSN             0x1000

/* ------------------------------------------------------------------ */
/* Start / stop                                                         */

static void odp_found_cb(QPCIDevice *dev, int devfn, void *data)
{
    OdpHca *h = data;

    if (h->want_devfn < 0) {
        g_assert(h->dev.bus == NULL);   /* exactly one odp-hca */
    } else if (devfn != h->want_devfn) {
        g_free(dev);
        return;
    }
    h->dev = *dev;
    g_free(dev);
}

static void odp_msix_setup(OdpHca *h)
{
    uint16_t n = qpci_msix_table_size(&h->dev);
    uint16_t v;

    for (v = 0; v < n; v++) {
        odp_msix_restore(h, v);
    }
}

/* (Re)do the PCI side: memory + bus master, BARs, MSI-X.  After FLR too. */
void odp_hca_pci_setup(OdpHca *h)
{
    h->dev.msix_enabled = false;
    qpci_device_enable(&h->dev);
    h->bar0 = qpci_iomap(&h->dev, ODP_HCA_REG_BAR, NULL);
    h->bar2 = qpci_iomap(&h->dev, ODP_HCA_DB_BAR, &h->bar2_size);
    qpci_msix_enable(&h->dev);
    odp_msix_setup(h);
}

OdpHca *odp_hca_start(const char *device_opts)
{
    g_autofree char *args = g_strdup_printf("-device odp-hca%s%s",
                                            device_opts && *device_opts ?
                                            "," : "",
                                            device_opts ? device_opts : "");

    return odp_hca_start_args(args, -1);
}

/*
 * Start QEMU with @args after the machine options (the devices), and
 * drive the odp-hca at @devfn, or the only one there is if @devfn < 0.
 */
static OdpHca *odp_hca_launch(const char *args, int devfn)
{
    OdpHca *h = g_new0(OdpHca, 1);

    h->want_devfn = devfn;
    h->qts = qtest_initf("-machine q35 -nodefaults -m %u "
                         "-global apic-common.vapic=off %s", ODP_RAM_MB,
                         args);
    /* the clock stands still from here on, but for odp_clock_step() */
    h->clock_ns = qtest_clock_step(h->qts, 1);
    pc_alloc_init(&h->alloc, h->qts, ALLOC_NO_FLAGS);
    h->bus = qpci_new_pc(h->qts, &h->alloc);
    return h;
}

static void odp_hca_attach(OdpHca *h)
{
    h->msix_mbox = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    h->scratch = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    h->next_mr_index = 1;
    odp_hca_pci_setup(h);
}

OdpHca *odp_hca_start_args(const char *args, int devfn)
{
    OdpHca *h = odp_hca_launch(args, devfn);

    qpci_device_foreach(h->bus, ODP_HCA_PCI_VENDOR_ID, ODP_HCA_PCI_DEVICE_ID,
                        odp_found_cb, h);
    g_assert(h->dev.bus != NULL);
    odp_hca_attach(h);
    return h;
}

/*
 * The odp-hca alone on bus 1, behind a PCIe root port at 00:02.0, which
 * forwards the BARs libqos assigns (0xe0000000 up) and the device's DMA.
 * No firmware numbers the buses under qtest, so this does; libqos reaches
 * bus 1 through the 0xcf8 mechanism with the bus number above the devfn.
 */
OdpHca *odp_hca_start_port(const char *device_opts)
{
    g_autofree char *args = g_strdup_printf(
        "-device pcie-root-port,id=odp-rp,chassis=1,addr=%x.0 "
        "-device odp-hca,bus=odp-rp%s%s", ODP_PORT_SLOT,
        device_opts && *device_opts ? "," : "",
        device_opts ? device_opts : "");
    OdpHca *h = odp_hca_launch(args, -1);
    QPCIDevice *dev;

    h->port = qpci_device_find(h->bus, ODP_PORT_DEVFN);
    g_assert(h->port != NULL);
    qpci_config_writeb(h->port, PCI_PRIMARY_BUS, 0);
    qpci_config_writeb(h->port, PCI_SECONDARY_BUS, 1);
    qpci_config_writeb(h->port, PCI_SUBORDINATE_BUS, 1);
    qpci_config_writew(h->port, PCI_MEMORY_BASE, 0xe000);
    qpci_config_writew(h->port, PCI_MEMORY_LIMIT, 0xfff0);
    /* no prefetchable window, no I/O window: base above limit */
    qpci_config_writew(h->port, PCI_PREF_MEMORY_BASE, 0xfff0);
    qpci_config_writew(h->port, PCI_PREF_MEMORY_LIMIT, 0);
    qpci_config_writeb(h->port, PCI_IO_BASE, 0xf0);
    qpci_config_writeb(h->port, PCI_IO_LIMIT, 0);
    qpci_config_writew(h->port, PCI_COMMAND,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    h->busnr = 1;
    dev = qpci_device_find(h->bus, (1 << 8) | QPCI_DEVFN(0, 0));
    g_assert(dev != NULL);
    g_assert_cmphex(qpci_config_readw(dev, PCI_VENDOR_ID), ==,
                    ODP_HCA_PCI_VENDOR_ID);
    h->dev = *dev;
    g_free(dev);
    odp_hca_attach(h);
    return h;
}

/* Turn on q35's ECAM window; returns its base. */
uint64_t odp_ecam_enable(OdpHca *h)
{
    QPCIDevice *mch = qpci_device_find(h->bus, QPCI_DEVFN(0, 0));

    g_assert(mch != NULL);
    qpci_config_writel(mch, ODP_MCH_PCIEXBAR + 4, 0);
    qpci_config_writel(mch, ODP_MCH_PCIEXBAR, ODP_ECAM_BASE | ODP_ECAM_ENABLE);
    g_free(mch);
    h->ecam = ODP_ECAM_BASE;
    /* the device answers there */
    g_assert_cmphex(qtest_readl(h->qts, odp_ecam_dev(h, PCI_VENDOR_ID)), ==,
                    ODP_HCA_PCI_VENDOR_ID | (ODP_HCA_PCI_DEVICE_ID << 16));
    return h->ecam;
}

uint64_t odp_ecam_addr(OdpHca *h, uint8_t bus, uint8_t devfn, uint16_t off)
{
    g_assert(h->ecam != 0);
    g_assert_cmpuint(off, <, ODP_HCA_PAGE_SIZE);
    return h->ecam + ((uint64_t)bus << 20) + ((uint64_t)devfn << 12) + off;
}

/* @off in the odp-hca's configuration space, and in its root port's */
uint64_t odp_ecam_dev(OdpHca *h, uint16_t off)
{
    return odp_ecam_addr(h, h->busnr, h->dev.devfn & 0xff, off);
}

uint64_t odp_ecam_port(OdpHca *h, uint16_t off)
{
    g_assert(h->port != NULL);
    return odp_ecam_addr(h, 0, h->port->devfn, off);
}

void odp_hca_bringup(OdpHca *h, uint8_t eq0_log)
{
    h->cmdq_log = ODP_CMDQ_LOG;
    h->cmdq = odp_alloc(h, sizeof(struct odp_hca_cmd) << h->cmdq_log);
    h->cmd_pi = 0;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_LO, (uint32_t)h->cmdq);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_HI, h->cmdq >> 32);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_LOG_SIZE, h->cmdq_log);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_ENABLE);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    (ODP_HCA_STATUS_READY | ODP_HCA_STATUS_FATAL), ==,
                    ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, 0);

    g_assert_cmpuint(odp_query_device(h, &h->caps), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(h->caps.page_size, ==, ODP_HCA_PAGE_SIZE);

    /*
     * EQ 0 takes the asynchronous events; CQs go to a second EQ by
     * default, so that completion events (whatever a new CQ's arming
     * state) never mix with them.  Each EQ gets a vector of its own.
     */
    g_assert_cmpuint(h->caps.num_vectors, >, ODP_VEC_COMP);
    h->eq0 = odp_eq_new(h, eq0_log, ODP_VEC_ASYNC);
    g_assert_cmpuint(h->eq0->eqn, ==, 0);
    {
        uint8_t l = 8;

        while ((1u << l) > h->caps.max_eqe) {
            l--;
        }
        h->ceq = odp_eq_new(h, l, ODP_VEC_COMP);
    }
    g_assert_cmpuint(h->ceq->eqn, !=, 0);
}

/* After CTRL.RESET / FLR: wait (bounded) until the registers read clear. */
void odp_hca_wait_reset(OdpHca *h)
{
    int i;

    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_reg_read(h, ODP_HCA_REG_STATUS) == 0 &&
            odp_reg_read(h, ODP_HCA_REG_CTRL) == 0) {
            return;
        }
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==, 0);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CTRL), ==, 0);
}

OdpHca *odp_hca_new_eq(const char *device_opts, uint8_t eq0_log)
{
    OdpHca *h = odp_hca_start(device_opts);

    odp_hca_bringup(h, eq0_log);
    return h;
}

void odp_hca_stop(OdpHca *h)
{
    g_free(h->port);
    qpci_free_pc(h->bus);
    alloc_destroy(&h->alloc);
    qtest_quit(h->qts);
    g_free(h);
}

/* ------------------------------------------------------------------ */
/* Registers, doorbells, MSI-X                                          */

uint32_t odp_reg_read(OdpHca *h, uint32_t off)
{
    return qpci_io_readl(&h->dev, h->bar0, off);
}

void odp_reg_write(OdpHca *h, uint32_t off, uint32_t val)
{
    qpci_io_writel(&h->dev, h->bar0, off, val);
}

void odp_db_write(OdpHca *h, uint32_t uar, uint32_t off, uint32_t val)
{
    g_assert((uint64_t)uar * ODP_HCA_PAGE_SIZE + off + 4 <= h->bar2_size);
    qpci_io_writel(&h->dev, h->bar2, (uint64_t)uar * ODP_HCA_PAGE_SIZE + off,
                   val);
}

void odp_eq_db(OdpHca *h, uint32_t eqn, uint32_t ci, bool arm)
{
    odp_reg_write(h, ODP_HCA_REG_EQ_DB,
                  (ci & ODP_HCA_EQ_DB_CI_MASK) |
                  ((eqn & ODP_HCA_EQ_DB_EQN_MASK) << ODP_HCA_EQ_DB_EQN_SHIFT) |
                  (arm ? ODP_HCA_EQ_DB_ARM : 0));
}

bool odp_msix_pending(OdpHca *h, uint16_t vec)
{
    return qpci_msix_pending(&h->dev, vec);
}

/*
 * Write one MSI-X table entry: the message address and data, masked or
 * not.  A hostile driver may aim a vector anywhere, the device itself too.
 */
void odp_msix_aim(OdpHca *h, uint16_t vec, uint64_t addr, uint32_t data,
                  bool masked)
{
    uint64_t e = h->dev.msix_table_off + vec * PCI_MSIX_ENTRY_SIZE;

    g_assert_cmpuint(vec, <, qpci_msix_table_size(&h->dev));
    qpci_io_writel(&h->dev, h->dev.msix_table_bar,
                   e + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    qpci_io_writel(&h->dev, h->dev.msix_table_bar,
                   e + PCI_MSIX_ENTRY_LOWER_ADDR, (uint32_t)addr);
    qpci_io_writel(&h->dev, h->dev.msix_table_bar,
                   e + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    qpci_io_writel(&h->dev, h->dev.msix_table_bar,
                   e + PCI_MSIX_ENTRY_DATA, data);
    if (!masked) {
        qpci_io_writel(&h->dev, h->dev.msix_table_bar,
                       e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }
}

/* Back to the set-up state: masked, messages to the vector's mailbox. */
void odp_msix_restore(OdpHca *h, uint16_t vec)
{
    odp_msix_aim(h, vec, h->msix_mbox + 4 * vec, 0x0da0 + vec, true);
}

/* Unmask (the pending message is delivered to the mailbox), mask again. */
void odp_msix_clear(OdpHca *h, uint16_t vec)
{
    uint64_t e = h->dev.msix_table_off + vec * PCI_MSIX_ENTRY_SIZE +
                 PCI_MSIX_ENTRY_VECTOR_CTRL;

    qpci_io_writel(&h->dev, h->dev.msix_table_bar, e, 0);
    qpci_io_writel(&h->dev, h->dev.msix_table_bar, e,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    g_assert_false(qpci_msix_pending(&h->dev, vec));
}

/* ------------------------------------------------------------------ */
/* Guest memory                                                         */

uint64_t odp_alloc(OdpHca *h, size_t size)
{
    uint64_t addr = guest_alloc(&h->alloc, size);

    g_assert(addr != 0);
    g_assert((addr & (ODP_HCA_PAGE_SIZE - 1)) == 0);
    qtest_memset(h->qts, addr, 0, size);
    return addr;
}

void odp_write(OdpHca *h, uint64_t addr, const void *buf, size_t len)
{
    if (len > 256) {
        qtest_bufwrite(h->qts, addr, buf, len);
    } else if (len) {
        qtest_memwrite(h->qts, addr, buf, len);
    }
}

void odp_read(OdpHca *h, uint64_t addr, void *buf, size_t len)
{
    if (len > 256) {
        qtest_bufread(h->qts, addr, buf, len);
    } else if (len) {
        qtest_memread(h->qts, addr, buf, len);
    }
}

uint64_t odp_read64(OdpHca *h, uint64_t addr)
{
    return qtest_readq(h->qts, addr);
}

void odp_write64(OdpHca *h, uint64_t addr, uint64_t val)
{
    qtest_writeq(h->qts, addr, val);
}

/*
 * Back [iova, iova + size) with pages taken from one allocation in
 * reverse order, so iova-contiguous data is never physically contiguous.
 */
OdpMem *odp_mem_new(OdpHca *h, uint64_t iova, uint64_t size)
{
    OdpMem *m = g_new0(OdpMem, 1);
    uint64_t block;
    uint32_t i;

    g_assert((iova & (ODP_HCA_PAGE_SIZE - 1)) == 0);
    m->iova = iova;
    m->npages = DIV_ROUND_UP(size, ODP_HCA_PAGE_SIZE);
    m->size = (uint64_t)m->npages * ODP_HCA_PAGE_SIZE;
    m->pages = g_new0(uint64_t, m->npages);
    block = odp_alloc(h, m->size);
    for (i = 0; i < m->npages; i++) {
        m->pages[i] = block + (uint64_t)(m->npages - 1 - i) * ODP_HCA_PAGE_SIZE;
    }
    return m;
}

uint64_t odp_mem_pa(const OdpMem *m, uint64_t iova)
{
    uint64_t off = iova - m->iova;

    g_assert(iova >= m->iova && off < m->size);
    return m->pages[off / ODP_HCA_PAGE_SIZE] + (off & (ODP_HCA_PAGE_SIZE - 1));
}

void odp_mem_write(OdpHca *h, const OdpMem *m, uint64_t iova,
                   const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        size_t n = MIN(len,
                       ODP_HCA_PAGE_SIZE - (iova & (ODP_HCA_PAGE_SIZE - 1)));

        odp_write(h, odp_mem_pa(m, iova), p, n);
        iova += n;
        p += n;
        len -= n;
    }
}

void odp_mem_read(OdpHca *h, const OdpMem *m, uint64_t iova,
                  void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len) {
        size_t n = MIN(len,
                       ODP_HCA_PAGE_SIZE - (iova & (ODP_HCA_PAGE_SIZE - 1)));

        odp_read(h, odp_mem_pa(m, iova), p, n);
        iova += n;
        p += n;
        len -= n;
    }
}

void odp_mem_fill(OdpHca *h, const OdpMem *m, uint8_t byte)
{
    uint32_t i;

    for (i = 0; i < m->npages; i++) {
        qtest_memset(h->qts, m->pages[i], byte, ODP_HCA_PAGE_SIZE);
    }
}

void odp_pattern(void *buf, size_t len, uint32_t seed)
{
    uint8_t *p = buf;
    uint32_t x = seed * 2654435761u + 0x9e3779b9u;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = x >> 11;
    }
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */

uint64_t odp_cmdq_entry(OdpHca *h, uint32_t counter)
{
    return h->cmdq + (uint64_t)(counter & ((1u << h->cmdq_log) - 1)) *
           sizeof(struct odp_hca_cmd);
}

/*
 * Execute one command: fill the entry (owner HW), advance CMDQ_PI, poll
 * the owner byte until the device hands the entry back, read the outputs.
 */
uint8_t odp_cmd_exec(OdpHca *h, struct odp_hca_cmd *cmd)
{
    uint64_t entry = odp_cmdq_entry(h, h->cmd_pi);
    uint8_t opcode = cmd->opcode;
    int i;

    cmd->owner = ODP_HCA_CMD_OWNER_HW;
    cmd->status = 0xee;         /* the device must overwrite it */
    odp_write(h, entry, cmd, sizeof(*cmd));
    h->cmd_pi++;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (qtest_readb(h->qts, entry + 3) == ODP_HCA_CMD_OWNER_SW) {
            break;
        }
    }
    if (i == ODP_POLL_MAX) {
        odp_diag("command 0x%x at counter %u not completed (CMDQ_CI %u, "
                 "STATUS 0x%x)", cmd->opcode, h->cmd_pi - 1,
                 odp_reg_read(h, ODP_HCA_REG_CMDQ_CI),
                 odp_reg_read(h, ODP_HCA_REG_STATUS));
    }
    g_assert_cmpint(i, <, ODP_POLL_MAX);
    odp_read(h, entry, cmd, sizeof(*cmd));
    h->cmds_issued[opcode]++;
    if (cmd->status != ODP_HCA_CMD_OK) {
        h->cmds_failed++;
    }
    g_assert_cmpuint(cmd->owner, ==, ODP_HCA_CMD_OWNER_SW);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==,
                     h->cmd_pi & 0xffff);
    return cmd->status;
}

uint8_t odp_cmd_simple(OdpHca *h, uint8_t opcode, uint32_t handle)
{
    struct odp_hca_cmd cmd = { .opcode = opcode };

    cmd.destroy.handle = handle;
    return odp_cmd_exec(h, &cmd);
}

uint8_t odp_nop(OdpHca *h)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_NOP };

    return odp_cmd_exec(h, &cmd);
}

uint8_t odp_query_device(OdpHca *h, struct odp_hca_caps *caps)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_DEVICE };
    uint8_t st;

    qtest_memset(h->qts, h->scratch, 0xa5, ODP_HCA_PAGE_SIZE);
    cmd.query_device.caps_addr = h->scratch;
    st = odp_cmd_exec(h, &cmd);
    odp_read(h, h->scratch, caps, sizeof(*caps));
    return st;
}

uint8_t odp_destroy(OdpHca *h, uint8_t opcode, uint32_t handle)
{
    return odp_cmd_simple(h, opcode, handle);
}

uint8_t odp_invalidate(OdpHca *h, uint32_t key, uint64_t iova,
                       uint64_t length, uint32_t flags, uint32_t *entries)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_INVALIDATE };
    uint8_t st;

    cmd.invalidate.key = key;
    cmd.invalidate.iova = iova;
    cmd.invalidate.length = length;
    cmd.invalidate.flags = flags;
    cmd.invalidate.entries = 0xdeadbeef;
    st = odp_cmd_exec(h, &cmd);
    if (entries) {
        *entries = cmd.invalidate.entries;
    }
    return st;
}

uint8_t odp_resume(OdpHca *h, uint32_t token, uint32_t status)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_RESUME };

    cmd.resume.token = token;
    cmd.resume.status = status;
    return odp_cmd_exec(h, &cmd);
}

/* ------------------------------------------------------------------ */
/* Rings                                                                */

void odp_ring_init(OdpHca *h, OdpRing *r, uint8_t log_entries,
                   uint8_t log_stride)
{
    uint64_t bytes = (uint64_t)1 << (log_entries + log_stride);
    uint64_t block;
    uint32_t i;

    r->log_entries = log_entries;
    r->log_stride = log_stride;
    r->npages = MAX(1, DIV_ROUND_UP(bytes, ODP_HCA_PAGE_SIZE));
    r->pages = g_new0(uint64_t, r->npages);
    block = odp_alloc(h, (uint64_t)r->npages * ODP_HCA_PAGE_SIZE);
    r->page_list = odp_alloc(h, r->npages * sizeof(uint64_t));
    for (i = 0; i < r->npages; i++) {
        /* ring page i lives in block page npages - 1 - i */
        r->pages[i] = block + (uint64_t)(r->npages - 1 - i) * ODP_HCA_PAGE_SIZE;
        odp_write64(h, r->page_list + i * 8, r->pages[i]);
    }
}

void odp_ring_desc(const OdpRing *r, struct odp_hca_ring_desc *d)
{
    memset(d, 0, sizeof(*d));
    d->page_list = r->page_list;
    d->npages = r->npages;
    d->log_entries = r->log_entries;
    d->log_stride = r->log_stride;
}

uint64_t odp_ring_entry(const OdpRing *r, uint32_t counter)
{
    uint64_t off = (uint64_t)(counter & ((1u << r->log_entries) - 1))
                   << r->log_stride;

    return r->pages[off / ODP_HCA_PAGE_SIZE] + (off & (ODP_HCA_PAGE_SIZE - 1));
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

OdpEq *odp_eq_new(OdpHca *h, uint8_t log_entries, uint16_t vector)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_EQ };
    OdpEq *eq = g_new0(OdpEq, 1);

    odp_ring_init(h, &eq->ring, log_entries, ODP_EQ_LOG_STRIDE);
    odp_ring_desc(&eq->ring, &cmd.create_eq.ring);
    cmd.create_eq.vector = vector;
    cmd.create_eq.eqn = 0xffffffff;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    eq->eqn = cmd.create_eq.eqn;
    g_assert_cmpuint(eq->eqn, <, h->caps.max_eqs);
    eq->vector = vector;
    eq->auto_ci = true;
    return eq;
}

uint32_t odp_pd_new(OdpHca *h)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_PD };

    cmd.create_pd.pdn = 0xffffffff;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(cmd.create_pd.pdn, <, h->caps.max_pds);
    return cmd.create_pd.pdn;
}

/*
 * A CQ whose consumer counter the device reads at @ci_record (0: it is
 * told by DB_CQ_CI).  The command's status; *@out only when it is OK.
 */
uint8_t odp_cq_create(OdpHca *h, uint8_t log_entries, OdpEq *eq,
                      uint32_t uar, uint64_t ci_record, OdpCq **out)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_CQ };
    OdpCq *cq = g_new0(OdpCq, 1);
    uint8_t st;

    odp_ring_init(h, &cq->ring, log_entries, ODP_CQ_LOG_STRIDE);
    odp_ring_desc(&cq->ring, &cmd.create_cq.ring);
    cmd.create_cq.eqn = (eq ? eq : h->ceq)->eqn;
    cmd.create_cq.uar = uar;
    cmd.create_cq.cqn = 0xffffffff;
    cmd.create_cq.ci_record = ci_record;
    st = odp_cmd_exec(h, &cmd);
    if (st != ODP_HCA_CMD_OK) {
        g_free(cq);
        return st;
    }
    cq->cqn = cmd.create_cq.cqn;
    g_assert_cmpuint(cq->cqn, <, h->caps.max_cqs);
    cq->uar = uar;
    cq->auto_ci = true;
    cq->ci_record = ci_record;
    *out = cq;
    return st;
}

OdpCq *odp_cq_new(OdpHca *h, uint8_t log_entries, OdpEq *eq, uint32_t uar)
{
    OdpCq *cq;

    g_assert_cmpuint(odp_cq_create(h, log_entries, eq, uar, 0, &cq), ==,
                     ODP_HCA_CMD_OK);
    return cq;
}

OdpSrq *odp_srq_new(OdpHca *h, uint32_t pdn, uint8_t log_entries,
                    uint16_t max_sge, uint32_t limit, uint32_t uar)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_SRQ };
    OdpSrq *srq = g_new0(OdpSrq, 1);

    odp_ring_init(h, &srq->ring, log_entries,
                  odp_hca_log_stride(odp_hca_rq_wqe_size(max_sge)));
    odp_ring_desc(&srq->ring, &cmd.create_srq.ring);
    cmd.create_srq.pdn = pdn;
    cmd.create_srq.uar = uar;
    cmd.create_srq.max_sge = max_sge;
    cmd.create_srq.limit = limit;
    cmd.create_srq.srqn = 0xffffffff;
    g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_OK);
    srq->srqn = cmd.create_srq.srqn;
    g_assert_cmpuint(srq->srqn, <, h->caps.max_srqs);
    srq->uar = uar;
    srq->max_sge = max_sge;
    return srq;
}

void odp_qp_cfg_init(OdpQpCfg *c, uint8_t type, uint32_t pdn,
                     OdpCq *scq, OdpCq *rcq)
{
    memset(c, 0, sizeof(*c));
    c->type = type;
    c->pdn = pdn;
    c->scq = scq;
    c->rcq = rcq;
    c->sq_log = 6;
    c->rq_log = 6;
    c->max_send_sge = 4;
    c->max_recv_sge = 4;
    c->max_inline = 128;
    c->sq_sig_all = 1;
}

uint8_t odp_qp_create(OdpHca *h, const OdpQpCfg *c, OdpQp **out)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_QP };
    OdpQp *qp = g_new0(OdpQp, 1);
    uint32_t sq_need, rq_need;
    uint8_t st;

    sq_need = odp_hca_sq_wqe_size(odp_hca_qpt_is_ud(c->type),
                                  c->max_send_sge, c->max_inline);
    rq_need = odp_hca_rq_wqe_size(c->max_recv_sge);
    odp_ring_init(h, &qp->sq, c->sq_log, odp_hca_log_stride(sq_need));
    odp_ring_desc(&qp->sq, &cmd.create_qp.sq);
    if (!c->srq) {
        odp_ring_init(h, &qp->rq, c->rq_log, odp_hca_log_stride(rq_need));
        odp_ring_desc(&qp->rq, &cmd.create_qp.rq);
    }
    cmd.create_qp.pdn = c->pdn;
    cmd.create_qp.send_cqn = c->scq->cqn;
    cmd.create_qp.recv_cqn = c->rcq->cqn;
    cmd.create_qp.srqn = c->srq ? c->srq->srqn : ODP_HCA_NO_SRQ;
    cmd.create_qp.uar = c->uar;
    cmd.create_qp.type = c->type;
    cmd.create_qp.sq_sig_all = c->sq_sig_all;
    cmd.create_qp.max_send_sge = c->max_send_sge;
    cmd.create_qp.max_recv_sge = c->max_recv_sge;
    cmd.create_qp.max_inline = c->max_inline;
    cmd.create_qp.qpn = 0xffffffff;
    st = odp_cmd_exec(h, &cmd);
    qp->qpn = cmd.create_qp.qpn;
    qp->type = c->type;
    qp->uar = c->uar;
    qp->pdn = c->pdn;
    qp->scq = c->scq;
    qp->rcq = c->rcq;
    qp->srq = c->srq;
    qp->max_send_sge = c->max_send_sge;
    qp->max_recv_sge = c->max_recv_sge;
    qp->max_inline = c->max_inline;
    *out = qp;
    return st;
}

OdpQp *odp_qp_new(OdpHca *h, const OdpQpCfg *c)
{
    OdpQp *qp;

    g_assert_cmpuint(odp_qp_create(h, c, &qp), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(qp->qpn, >=, 2);
    g_assert_cmpuint(qp->qpn, <, h->caps.max_qps);
    return qp;
}

/* ------------------------------------------------------------------ */
/* QP state                                                             */

void odp_rc_attr_init(OdpRcAttr *a)
{
    a->path_mtu = ODP_HCA_MTU_4096;     /* a packet per page, as perftest */
    a->timeout = 10;            /* 4.19 ms */
    a->retry_cnt = 3;
    a->rnr_retry = 7;           /* forever */
    a->min_rnr_timer = 1;       /* 10 us */
    a->access = ODP_HCA_ACCESS_REMOTE_WRITE | ODP_HCA_ACCESS_REMOTE_READ |
                ODP_HCA_ACCESS_REMOTE_ATOMIC;
}

uint8_t odp_qp_modify(OdpHca *h, uint32_t qpn,
                      struct odp_hca_cmd_modify_qp *m)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_MODIFY_QP };

    m->qpn = qpn;
    cmd.modify_qp = *m;
    return odp_cmd_exec(h, &cmd);
}

uint8_t odp_qp_query(OdpHca *h, uint32_t qpn,
                     struct odp_hca_cmd_modify_qp *out)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_QP };
    uint8_t st;

    memset(cmd.raw, 0xcc, sizeof(cmd.raw));
    cmd.modify_qp.qpn = qpn;
    st = odp_cmd_exec(h, &cmd);
    if (out) {
        *out = cmd.modify_qp;
    }
    return st;
}

uint8_t odp_qp_state(OdpHca *h, uint32_t qpn)
{
    struct odp_hca_cmd_modify_qp q;

    g_assert_cmpuint(odp_qp_query(h, qpn, &q), ==, ODP_HCA_CMD_OK);
    return q.state;
}

uint8_t odp_qp_to_state(OdpHca *h, OdpQp *qp, uint8_t state)
{
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE,
        .state = state,
    };
    uint8_t st = odp_qp_modify(h, qp->qpn, &m);

    if (st == ODP_HCA_CMD_OK && state == ODP_HCA_QPS_RESET) {
        qp->sq_pi = 0;
        qp->rq_pi = 0;
    }
    return st;
}

const uint8_t odp_loopback_gid[16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1,
};

void odp_qp_rc_init(OdpHca *h, OdpQp *qp, const OdpRcAttr *a)
{
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_PKEY_INDEX |
                     ODP_HCA_QP_ATTR_PORT | ODP_HCA_QP_ATTR_ACCESS_FLAGS,
        .state = ODP_HCA_QPS_INIT,
        .port = 1,
        .access_flags = a->access,
    };

    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
}

void odp_qp_rc_rtr(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                   const OdpRcAttr *a)
{
    /* loopback: the destination MAC is the port's own */
    odp_qp_rc_rtr_av(h, qp, dest_qpn, a, h->caps.mac, odp_loopback_gid,
                     odp_loopback_gid);
}

void odp_qp_rc_rtr_av(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                      const OdpRcAttr *a, const uint8_t dmac[6],
                      const uint8_t sgid[16], const uint8_t dgid[16])
{
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_AV |
                     ODP_HCA_QP_ATTR_PATH_MTU | ODP_HCA_QP_ATTR_DEST_QPN |
                     ODP_HCA_QP_ATTR_RQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC |
                     ODP_HCA_QP_ATTR_MIN_RNR_TIMER,
        .state = ODP_HCA_QPS_RTR,
        .path_mtu = a->path_mtu,
        .dest_qpn = dest_qpn,
        .rq_psn = ODP_PSN,
        .max_dest_rd_atomic = 4,
        .min_rnr_timer = a->min_rnr_timer,
    };

    memcpy(m.dmac, dmac, sizeof(m.dmac));
    memcpy(m.sgid, sgid, sizeof(m.sgid));
    memcpy(m.dgid, dgid, sizeof(m.dgid));
    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
}

void odp_qp_rc_rts(OdpHca *h, OdpQp *qp, const OdpRcAttr *a)
{
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_TIMEOUT |
                     ODP_HCA_QP_ATTR_RETRY_CNT | ODP_HCA_QP_ATTR_RNR_RETRY |
                     ODP_HCA_QP_ATTR_SQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC,
        .state = ODP_HCA_QPS_RTS,
        .timeout = a->timeout,
        .retry_cnt = a->retry_cnt,
        .rnr_retry = a->rnr_retry,
        .sq_psn = ODP_PSN,
        .max_rd_atomic = 4,
    };

    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
}

void odp_qp_rc_connect(OdpHca *h, OdpQp *qp, uint32_t dest_qpn,
                       const OdpRcAttr *a)
{
    OdpRcAttr def;

    if (!a) {
        odp_rc_attr_init(&def);
        a = &def;
    }
    odp_qp_rc_init(h, qp, a);
    odp_qp_rc_rtr(h, qp, dest_qpn, a);
    odp_qp_rc_rts(h, qp, a);
    g_assert_cmpuint(odp_qp_state(h, qp->qpn), ==, ODP_HCA_QPS_RTS);
}

void odp_qp_ud_ready(OdpHca *h, OdpQp *qp, uint32_t qkey)
{
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_PKEY_INDEX |
                     ODP_HCA_QP_ATTR_PORT | ODP_HCA_QP_ATTR_QKEY,
        .state = ODP_HCA_QPS_INIT,
        .port = 1,
        .qkey = qkey,
    };

    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    memset(&m, 0, sizeof(m));
    m.attr_mask = ODP_HCA_QP_ATTR_STATE;
    m.state = ODP_HCA_QPS_RTR;
    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    memset(&m, 0, sizeof(m));
    m.attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_SQ_PSN;
    m.state = ODP_HCA_QPS_RTS;
    m.sq_psn = ODP_PSN;
    g_assert_cmpuint(odp_qp_modify(h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
}

/* ------------------------------------------------------------------ */
/* Memory regions                                                       */

uint8_t odp_levels_for(uint64_t iova, uint64_t length)
{
    uint64_t pages = ((iova + length - 1) >> ODP_HCA_PAGE_SHIFT) -
                     (iova >> ODP_HCA_PAGE_SHIFT) + 1;
    uint8_t levels = 1;

    while (levels < ODP_HCA_PT_MAX_LEVELS &&
           pages > (1ull << (ODP_HCA_PT_LEVEL_BITS * levels))) {
        levels++;
    }
    return levels;
}

uint32_t odp_mr_key_alloc(OdpHca *h)
{
    uint32_t index = h->next_mr_index++;

    return odp_hca_key_make(index, index * 37 + 0x5a);
}

OdpMr *odp_mr_prepare(OdpHca *h, uint32_t pdn, uint64_t iova,
                      uint64_t length, uint8_t levels, uint32_t access,
                      uint8_t flags)
{
    OdpMr *mr = g_new0(OdpMr, 1);

    mr->key = odp_mr_key_alloc(h);
    mr->pdn = pdn;
    mr->iova = iova;
    mr->length = length;
    mr->levels = levels;
    mr->access = access;
    mr->flags = flags;
    mr->table = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    return mr;
}

uint8_t odp_mr_register(OdpHca *h, OdpMr *mr)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_MR };

    cmd.create_mr.iova = mr->iova;
    cmd.create_mr.length = mr->length;
    cmd.create_mr.table = mr->table;
    cmd.create_mr.pdn = mr->pdn;
    cmd.create_mr.access = mr->access;
    cmd.create_mr.key = mr->key;
    cmd.create_mr.levels = mr->levels;
    cmd.create_mr.flags = mr->flags;
    return odp_cmd_exec(h, &cmd);
}

/*
 * Guest address of the entry for iova at `level` (0 = leaf table,
 * levels - 1 = top).  Missing inner tables are allocated (zeroed) when
 * create is set; otherwise 0 is returned if the walk meets an absent entry.
 */
uint64_t odp_mr_pte_addr(OdpHca *h, OdpMr *mr, uint64_t iova, int level,
                         bool create)
{
    uint64_t pn = (iova >> ODP_HCA_PAGE_SHIFT) -
                  (mr->iova >> ODP_HCA_PAGE_SHIFT);
    uint64_t table = mr->table;
    int l;

    g_assert(level >= 0 && level < mr->levels);
    for (l = mr->levels - 1; l > level; l--) {
        uint64_t idx = (pn >> (ODP_HCA_PT_LEVEL_BITS * l)) &
                       (ODP_HCA_PT_ENTRIES - 1);
        uint64_t e = odp_read64(h, table + idx * 8);

        if (!(e & ODP_HCA_PTE_PRESENT)) {
            if (!create) {
                return 0;
            }
            e = odp_alloc(h, ODP_HCA_PAGE_SIZE) | ODP_HCA_PTE_PRESENT;
            odp_write64(h, table + idx * 8, e);
        }
        table = e & ODP_HCA_PTE_ADDR_MASK;
    }
    return table + ((pn >> (ODP_HCA_PT_LEVEL_BITS * level)) &
                    (ODP_HCA_PT_ENTRIES - 1)) * 8;
}

void odp_mr_set_pte(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t pte)
{
    odp_write64(h, odp_mr_pte_addr(h, mr, iova, 0, true), pte);
}

uint64_t odp_mr_get_pte(OdpHca *h, OdpMr *mr, uint64_t iova)
{
    uint64_t a = odp_mr_pte_addr(h, mr, iova, 0, false);

    return a ? odp_read64(h, a) : 0;
}

void odp_mr_map_page(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t pa,
                     bool writable)
{
    g_assert((pa & (ODP_HCA_PAGE_SIZE - 1)) == 0);
    odp_mr_set_pte(h, mr, iova, pa | ODP_HCA_PTE_PRESENT |
                   (writable ? ODP_HCA_PTE_WRITABLE : 0));
}

void odp_mr_unmap_page(OdpHca *h, OdpMr *mr, uint64_t iova)
{
    uint64_t a = odp_mr_pte_addr(h, mr, iova, 0, false);

    if (a) {
        odp_write64(h, a, 0);
    }
}

/* Map the pages of m that cover [iova, iova + len). */
void odp_mr_map_mem(OdpHca *h, OdpMr *mr, const OdpMem *m, uint64_t iova,
                    uint64_t len, bool writable)
{
    uint64_t p = iova & ~(uint64_t)(ODP_HCA_PAGE_SIZE - 1);

    for (; p < iova + len; p += ODP_HCA_PAGE_SIZE) {
        odp_mr_map_page(h, mr, p,
                        odp_mem_pa(m, p) & ~(uint64_t)(ODP_HCA_PAGE_SIZE - 1),
                        writable);
    }
}

void odp_mr_unmap_range(OdpHca *h, OdpMr *mr, uint64_t iova, uint64_t len)
{
    uint64_t p = iova & ~(uint64_t)(ODP_HCA_PAGE_SIZE - 1);

    for (; p < iova + len; p += ODP_HCA_PAGE_SIZE) {
        odp_mr_unmap_page(h, mr, p);
    }
}

OdpMr *odp_mr_new_pinned(OdpHca *h, uint32_t pdn, const OdpMem *m,
                         uint32_t access, uint8_t levels)
{
    OdpMr *mr;

    if (!levels) {
        levels = odp_levels_for(m->iova, m->size);
    }
    mr = odp_mr_prepare(h, pdn, m->iova, m->size, levels, access, 0);
    odp_mr_map_mem(h, mr, m, m->iova, m->size, true);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

OdpMr *odp_mr_new_odp(OdpHca *h, uint32_t pdn, uint64_t iova,
                      uint64_t length, uint32_t access, uint8_t levels)
{
    OdpMr *mr;

    if (!levels) {
        levels = odp_levels_for(iova, length);
    }
    mr = odp_mr_prepare(h, pdn, iova, length, levels, access,
                        ODP_HCA_MR_F_ON_DEMAND);
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

OdpMr *odp_mr_new_implicit(OdpHca *h, uint32_t pdn, uint32_t access)
{
    OdpMr *mr = odp_mr_prepare(h, pdn, 0, 0, ODP_HCA_PT_MAX_LEVELS, access,
                               ODP_HCA_MR_F_ON_DEMAND | ODP_HCA_MR_F_IMPLICIT);

    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    return mr;
}

/* ------------------------------------------------------------------ */
/* Work requests                                                        */

void odp_wr_init(OdpWr *wr, uint64_t wr_id, uint8_t opcode)
{
    memset(wr, 0, sizeof(*wr));
    wr->wr_id = wr_id;
    wr->opcode = opcode;
    wr->flags = ODP_HCA_WQE_F_SIGNALED;
}

void odp_wr_sge(OdpWr *wr, uint64_t addr, uint32_t len, uint32_t lkey)
{
    g_assert(wr->num_sge < ARRAY_SIZE(wr->sge));
    wr->sge[wr->num_sge].addr = addr;
    wr->sge[wr->num_sge].length = len;
    wr->sge[wr->num_sge].lkey = lkey;
    wr->num_sge++;
}

uint32_t odp_post_send_raw(OdpHca *h, OdpQp *qp, const void *wqe, size_t len)
{
    uint32_t idx = qp->sq_pi & ((1u << qp->sq.log_entries) - 1);

    g_assert(len <= (1u << qp->sq.log_stride));
    odp_write(h, odp_ring_entry(&qp->sq, qp->sq_pi), wqe, len);
    qp->sq_pi++;
    return idx;
}

uint32_t odp_post_send(OdpHca *h, OdpQp *qp, const OdpWr *wr)
{
    size_t stride = 1u << qp->sq.log_stride;
    g_autofree uint8_t *buf = g_malloc0(stride);
    struct odp_hca_wqe_ctrl *ctrl = (void *)buf;
    size_t off = sizeof(*ctrl);

    ctrl->wr_id = wr->wr_id;
    ctrl->opcode = wr->opcode;
    ctrl->flags = wr->flags | (wr->inline_data ? ODP_HCA_WQE_F_INLINE : 0);
    ctrl->num_sge = wr->num_sge;
    ctrl->imm_data = wr->imm;
    ctrl->remote_addr = wr->remote_addr;
    ctrl->rkey = wr->rkey;
    ctrl->inline_len = wr->inline_data ? wr->inline_len : 0;
    ctrl->compare_add = wr->compare_add;
    ctrl->swap = wr->swap;
    if (odp_hca_qpt_is_ud(qp->type)) {
        memcpy(buf + off, &wr->ud, sizeof(wr->ud));
        off += sizeof(wr->ud);
    }
    if (wr->inline_data) {
        g_assert(off + wr->inline_len <= stride);
        memcpy(buf + off, wr->inline_data, wr->inline_len);
    } else {
        g_assert(off + wr->num_sge * sizeof(struct odp_hca_sge) <= stride);
        memcpy(buf + off, wr->sge, wr->num_sge * sizeof(struct odp_hca_sge));
    }
    return odp_post_send_raw(h, qp, buf, stride);
}

void odp_ring_sq(OdpHca *h, OdpQp *qp)
{
    odp_db_write(h, qp->uar, ODP_HCA_DB_SQ, odp_hca_db_value(qp->qpn,
                                                             qp->sq_pi));
}

uint32_t odp_send(OdpHca *h, OdpQp *qp, const OdpWr *wr)
{
    uint32_t idx = odp_post_send(h, qp, wr);

    odp_ring_sq(h, qp);
    return idx;
}

static void odp_write_recv(OdpHca *h, uint64_t addr, size_t stride,
                           uint64_t wr_id, const struct odp_hca_sge *sge,
                           int nsge)
{
    g_autofree uint8_t *buf = g_malloc0(stride);
    struct odp_hca_recv_wqe *r = (void *)buf;

    g_assert(sizeof(*r) + nsge * sizeof(*sge) <= stride);
    r->wr_id = wr_id;
    r->num_sge = nsge;
    memcpy(buf + sizeof(*r), sge, nsge * sizeof(*sge));
    odp_write(h, addr, buf, stride);
}

uint32_t odp_post_recv(OdpHca *h, OdpQp *qp, uint64_t wr_id,
                       const struct odp_hca_sge *sge, int nsge)
{
    uint32_t idx = qp->rq_pi & ((1u << qp->rq.log_entries) - 1);

    g_assert(!qp->srq);
    odp_write_recv(h, odp_ring_entry(&qp->rq, qp->rq_pi),
                   1u << qp->rq.log_stride, wr_id, sge, nsge);
    qp->rq_pi++;
    odp_db_write(h, qp->uar, ODP_HCA_DB_RQ,
                 odp_hca_db_value(qp->qpn, qp->rq_pi));
    return idx;
}

uint32_t odp_post_srq_recv(OdpHca *h, OdpSrq *srq, uint64_t wr_id,
                           const struct odp_hca_sge *sge, int nsge)
{
    uint32_t idx = srq->pi & ((1u << srq->ring.log_entries) - 1);

    odp_write_recv(h, odp_ring_entry(&srq->ring, srq->pi),
                   1u << srq->ring.log_stride, wr_id, sge, nsge);
    srq->pi++;
    odp_db_write(h, srq->uar, ODP_HCA_DB_SRQ,
                 odp_hca_db_value(srq->srqn, srq->pi));
    return idx;
}

/* ------------------------------------------------------------------ */
/* Completions and events                                               */

static uint8_t odp_owner_expected(uint32_t ci, uint8_t log_entries)
{
    return (((ci & 0xffff) >> log_entries) & 1) ^ 1;
}

void odp_cq_db(OdpHca *h, OdpCq *cq, uint32_t off)
{
    odp_db_write(h, cq->uar, off, odp_hca_db_value(cq->cqn, cq->ci));
}

/* Tell the device how far the CQ was read, the way the CQ was made to. */
void odp_cq_set_ci(OdpHca *h, OdpCq *cq)
{
    if (cq->ci_record) {
        qtest_writel(h->qts, cq->ci_record, cq->ci);
    } else {
        odp_cq_db(h, cq, ODP_HCA_DB_CQ_CI);
    }
}

bool odp_cq_poll(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe)
{
    struct odp_hca_cqe e;

    odp_read(h, odp_ring_entry(&cq->ring, cq->ci), &e, sizeof(e));
    if ((e.owner & ODP_HCA_CQE_OWNER) !=
        odp_owner_expected(cq->ci, cq->ring.log_entries)) {
        return false;
    }
    cq->ci++;
    if (cq->auto_ci) {
        odp_cq_set_ci(h, cq);
    }
    if (cqe) {
        *cqe = e;
    }
    return true;
}

void odp_cq_wait(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe)
{
    int i;

    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_cq_poll(h, cq, cqe)) {
            return;
        }
    }
    odp_diag("no CQE on CQ %u (consumer %u) after %d polls", cq->cqn,
             cq->ci, ODP_POLL_MAX);
    g_assert_not_reached();
}

/*
 * Wait for a CQE while the virtual clock moves step_ns at a time (for
 * RNR and ACK timers).  Returns the virtual time stepped until then.
 */
int64_t odp_cq_wait_clock(OdpHca *h, OdpCq *cq, struct odp_hca_cqe *cqe,
                          int64_t step_ns, int max_steps)
{
    int64_t elapsed = 0;
    int s, r;

    for (s = 0; s <= max_steps; s++) {
        for (r = 0; r < 8; r++) {
            if (odp_cq_poll(h, cq, cqe)) {
                return elapsed;
            }
        }
        odp_clock_step(h, step_ns);
        elapsed += step_ns;
    }
    odp_diag("no CQE on CQ %u (consumer %u) after %" PRId64 " ns of "
             "virtual time", cq->cqn, cq->ci, elapsed);
    g_assert_not_reached();
    return elapsed;
}

void odp_cq_assert_empty(OdpHca *h, OdpCq *cq, int rounds)
{
    struct odp_hca_cqe e;
    int i;

    for (i = 0; i < rounds; i++) {
        if (odp_cq_poll(h, cq, &e)) {
            odp_diag("unexpected CQE: cq %u wr_id 0x%" PRIx64
                           " status %u opcode 0x%x qpn %u",
                           cq->cqn, e.wr_id, e.status, e.opcode, e.qpn);
            g_assert_not_reached();
        }
    }
}

bool odp_eq_poll(OdpHca *h, OdpEq *eq, struct odp_hca_eqe *eqe)
{
    struct odp_hca_eqe e;

    odp_read(h, odp_ring_entry(&eq->ring, eq->ci), &e, sizeof(e));
    if ((e.owner & ODP_HCA_CQE_OWNER) !=
        odp_owner_expected(eq->ci, eq->ring.log_entries)) {
        return false;
    }
    eq->ci++;
    if (eq->auto_ci) {
        odp_eq_db(h, eq->eqn, eq->ci, true);
    }
    if (eqe) {
        *eqe = e;
    }
    return true;
}

void odp_eq_wait(OdpHca *h, OdpEq *eq, struct odp_hca_eqe *eqe)
{
    int i;

    for (i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_eq_poll(h, eq, eqe)) {
            return;
        }
    }
    odp_diag("no event on EQ %u (consumer %u) after %d polls", eq->eqn,
             eq->ci, ODP_POLL_MAX);
    g_assert_not_reached();
}

void odp_eq_wait_type(OdpHca *h, OdpEq *eq, uint8_t type,
                      struct odp_hca_eqe *eqe)
{
    struct odp_hca_eqe e;

    odp_eq_wait(h, eq, &e);
    if (e.type != type) {
        odp_diag("EQ %u: expected event type 0x%x, got 0x%x "
                       "(obj %u subtype %u)", eq->eqn, type, e.type, e.obj,
                       e.subtype);
    }
    g_assert_cmpuint(e.type, ==, type);
    if (eqe) {
        *eqe = e;
    }
}

void odp_eq_assert_empty(OdpHca *h, OdpEq *eq, int rounds)
{
    struct odp_hca_eqe e;
    int i;

    for (i = 0; i < rounds; i++) {
        if (odp_eq_poll(h, eq, &e)) {
            odp_diag("unexpected event on EQ %u: type 0x%x obj %u "
                           "subtype %u", eq->eqn, e.type, e.obj, e.subtype);
            g_assert_not_reached();
        }
    }
}

void odp_eq_drain(OdpHca *h, OdpEq *eq)
{
    int i;

    for (i = 0; i < 4 * ODP_QUIET_ROUNDS; i++) {
        odp_eq_poll(h, eq, NULL);
    }
}

/* Let the device run: each register read is a qtest round trip. */
void odp_settle(OdpHca *h, int rounds)
{
    int i;

    for (i = 0; i < rounds; i++) {
        odp_reg_read(h, ODP_HCA_REG_STATUS);
    }
}

/* ------------------------------------------------------------------ */
/* Virtual clock                                                        */

void odp_clock_step(OdpHca *h, int64_t ns)
{
    h->clock_ns = qtest_clock_step(h->qts, ns);
}

/*
 * The virtual clock, in ns (what the device stamps its faults with).
 * Only odp_clock_step() moves it (qtest cannot read it without moving
 * it), so the value it returned last is the time now.
 */
int64_t odp_clock_now(OdpHca *h)
{
    return h->clock_ns;
}

int64_t odp_ack_timeout_ns(uint8_t timeout)
{
    return (int64_t)4096 << timeout;
}

/* IB RNR timer encoding, in units of 10 us. */
int64_t odp_rnr_timer_ns(uint8_t code)
{
    static const uint32_t t10us[32] = {
        65536, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192,
        256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192,
        12288, 16384, 24576, 32768, 49152,
    };

    g_assert(code < 32);
    return (int64_t)t10us[code] * 10000;
}
