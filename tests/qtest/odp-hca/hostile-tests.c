/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/hostile/.
 *
 * Hostile guests: bad opcodes, handles, ring descriptions, MRs, QP
 * creation, states and attributes, doorbells, WQEs, PTEs, overflowing
 * queues, registers, command ownership, the device's DMA and MSI-X aimed
 * at itself, ring pages outside RAM and random garbage.
 */

#include "qemu/osdep.h"
#include "framework.h"

static void test_bad_opcode(void)
{
    OdpHca *h = odp_hca_new(NULL);
    static const uint8_t ops[] = { ODP_HCA_CMD_MAX, 0x14, 0x7f, 0x80, 0xff };
    struct odp_hca_cmd cmd;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ops); i++) {
        memset(&cmd, 0xa5, sizeof(cmd));
        cmd.opcode = ops[i];
        cmd.flags = 0;
        g_assert_cmpuint(odp_cmd_exec(h, &cmd), ==, ODP_HCA_CMD_BAD_OPCODE);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    }
    odp_hca_stop(h);
}

/*
 * @st, the status a command gave in the case @name, must be @expect.  The
 * case is named on stderr when it is not: a test runs in a subprocess
 * whose stdout is not shown.
 */
static void check_case(const char *what, const char *name, uint8_t st,
                       uint8_t expect)
{
    if (st != expect) {
        odp_diag("%s case %s: status %u, expected %u", what, name, st,
                 expect);
    }
    g_assert_cmpuint(st, ==, expect);
}

/* A DESTROY of a handle that names no object. */
typedef struct HandleCase {
    const char *name;
    uint8_t opcode;             /* ODP_HCA_CMD_DESTROY_* */
    uint32_t handle;
} HandleCase;

static void bad_handles_destroy(OdpHca *h, uint32_t unused_eqn)
{
    const uint32_t big = 0xffffffff;
    const HandleCase cases[] = {
        { .name = "eq-~0", .opcode = ODP_HCA_CMD_DESTROY_EQ, .handle = big },
        { .name = "eq-max-eqs", .opcode = ODP_HCA_CMD_DESTROY_EQ,
          .handle = h->caps.max_eqs },
        { .name = "eq-unused", .opcode = ODP_HCA_CMD_DESTROY_EQ,
          .handle = unused_eqn },
        { .name = "pd-~0", .opcode = ODP_HCA_CMD_DESTROY_PD, .handle = big },
        { .name = "pd-max-pds", .opcode = ODP_HCA_CMD_DESTROY_PD,
          .handle = h->caps.max_pds },
        { .name = "cq-max-cqs", .opcode = ODP_HCA_CMD_DESTROY_CQ,
          .handle = h->caps.max_cqs },
        { .name = "cq-3", .opcode = ODP_HCA_CMD_DESTROY_CQ, .handle = 3 },
        { .name = "srq-0", .opcode = ODP_HCA_CMD_DESTROY_SRQ, .handle = 0 },
        { .name = "srq-~0", .opcode = ODP_HCA_CMD_DESTROY_SRQ,
          .handle = big },
        { .name = "qp-0", .opcode = ODP_HCA_CMD_DESTROY_QP, .handle = 0 },
        { .name = "qp-1", .opcode = ODP_HCA_CMD_DESTROY_QP, .handle = 1 },
        { .name = "qp-2", .opcode = ODP_HCA_CMD_DESTROY_QP, .handle = 2 },
        { .name = "qp-max-qps", .opcode = ODP_HCA_CMD_DESTROY_QP,
          .handle = h->caps.max_qps },
        { .name = "qp-~0", .opcode = ODP_HCA_CMD_DESTROY_QP, .handle = big },
        { .name = "mr-~0", .opcode = ODP_HCA_CMD_DESTROY_MR, .handle = big },
        { .name = "mr-0x0101", .opcode = ODP_HCA_CMD_DESTROY_MR,
          .handle = 0x0101 },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        check_case("DESTROY", cases[i].name,
                   odp_destroy(h, cases[i].opcode, cases[i].handle),
                   ODP_HCA_CMD_BAD_HANDLE);
    }
}

static void test_bad_handles(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE, .state = ODP_HCA_QPS_INIT,
    };
    const uint32_t big = 0xffffffff;
    uint32_t unused_eqn = 1;
    OdpRing r;

    while (unused_eqn == h->eq0->eqn || unused_eqn == h->ceq->eqn) {
        unused_eqn++;
    }
    g_assert_cmpuint(unused_eqn, <, h->caps.max_eqs);

    bad_handles_destroy(h, unused_eqn);
    check_case("MODIFY_QP", "qp-1", odp_qp_modify(h, 1, &m),
               ODP_HCA_CMD_BAD_HANDLE);
    check_case("MODIFY_QP", "qp-~0", odp_qp_modify(h, big, &m),
               ODP_HCA_CMD_BAD_HANDLE);
    check_case("QUERY_QP", "qp-0xffff", odp_qp_query(h, 0xffff, NULL),
               ODP_HCA_CMD_BAD_HANDLE);
    check_case("QUERY_QP", "qp-7", odp_qp_query(h, 7, NULL),
               ODP_HCA_CMD_BAD_HANDLE);
    check_case("RESUME", "token-0-ok", odp_resume(h, 0, ODP_HCA_RESUME_OK),
               ODP_HCA_CMD_BAD_TOKEN);
    check_case("RESUME", "token-~0-fail",
               odp_resume(h, big, ODP_HCA_RESUME_FAIL), ODP_HCA_CMD_BAD_TOKEN);

    /* creating on top of objects that do not exist */
    odp_ring_init(h, &r, 4, ODP_CQ_LOG_STRIDE);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
    odp_ring_desc(&r, &cmd.create_cq.ring);
    cmd.create_cq.eqn = unused_eqn;
    check_case("CREATE_CQ", "eq-unused", odp_cmd_exec(h, &cmd),
               ODP_HCA_CMD_BAD_HANDLE);
    cmd.create_cq.eqn = big;
    check_case("CREATE_CQ", "eq-~0", odp_cmd_exec(h, &cmd),
               ODP_HCA_CMD_BAD_HANDLE);
    odp_ring_init(h, &r, 4, ODP_CQ_LOG_STRIDE);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_SRQ;
    odp_ring_desc(&r, &cmd.create_srq.ring);
    cmd.create_srq.pdn = t->pd + 1;
    cmd.create_srq.max_sge = 1;
    check_case("CREATE_SRQ", "pd-unused", odp_cmd_exec(h, &cmd),
               ODP_HCA_CMD_BAD_HANDLE);
    {
        OdpMr *mr = odp_mr_prepare(h, t->pd + 1, 0, ODP_HCA_PAGE_SIZE, 1,
                                   ACC_LW, 0);

        check_case("CREATE_MR", "pd-unused", odp_mr_register(h, mr),
                   ODP_HCA_CMD_BAD_HANDLE);
        mr->pdn = big;
        check_case("CREATE_MR", "pd-~0", odp_mr_register(h, mr),
                   ODP_HCA_CMD_BAD_HANDLE);
    }
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    t_free(t);
}

/*
 * A CREATE_CQ on a fresh ring of 2^ring_log CQEs, whose description is
 * then altered as the fields say (0 / false: left as the ring is).
 */
typedef struct CqRingCase {
    const char *name;
    uint8_t ring_log;
    uint8_t log_entries;
    uint8_t log_stride;
    bool no_pages;
    bool page_list_outside_ram;
    bool unaligned_page;        /* the first page, half a page off */
    uint32_t uar;
    uint8_t expect;
} CqRingCase;

static uint8_t create_cq_ring(OdpHca *h, const struct odp_hca_ring_desc *d,
                              uint32_t uar)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_CQ };

    cmd.create_cq.ring = *d;
    cmd.create_cq.eqn = 0;
    cmd.create_cq.uar = uar;
    return odp_cmd_exec(h, &cmd);
}

static uint8_t create_cq_case(OdpHca *h, const CqRingCase *c)
{
    struct odp_hca_ring_desc d;
    OdpRing r;

    odp_ring_init(h, &r, c->ring_log, ODP_CQ_LOG_STRIDE);
    if (c->unaligned_page) {
        odp_write64(h, r.page_list, r.pages[0] + 0x800);
    }
    odp_ring_desc(&r, &d);
    if (c->log_entries) {
        d.log_entries = c->log_entries;
    }
    if (c->log_stride) {
        d.log_stride = c->log_stride;
    }
    if (c->no_pages) {
        d.npages = 0;
    }
    if (c->page_list_outside_ram) {
        d.page_list = ODP_BAD_ADDR;
    }
    return create_cq_ring(h, &d, c->uar);
}

static void bad_rings_cq(OdpHca *h)
{
    const CqRingCase cases[] = {
        { .name = "stride-above-cqe", .ring_log = 4, .log_stride = 6,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "stride-below-cqe", .ring_log = 4, .log_stride = 4,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "entries-above-max-log-ring", .ring_log = 4,
          .log_entries = ODP_HCA_MAX_LOG_RING + 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "no-pages", .ring_log = 4, .no_pages = true,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* 8 KiB in one page */
        { .name = "entries-beyond-pages", .ring_log = 4, .log_entries = 8,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* 512 > max-cqe 256 */
        { .name = "entries-above-max-cqe", .ring_log = 9,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "uar-num-uars", .ring_log = 4, .uar = h->caps.num_uars,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "page-list-outside-ram", .ring_log = 4,
          .page_list_outside_ram = true, .expect = ODP_HCA_CMD_DMA_ERROR },
        { .name = "unaligned-page", .ring_log = 4, .unaligned_page = true,
          .expect = ODP_HCA_CMD_BAD_PARAM },
    };
    struct odp_hca_ring_desc d;
    OdpRing r;
    uint8_t st;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        check_case("CREATE_CQ", cases[i].name, create_cq_case(h, &cases[i]),
                   cases[i].expect);
    }

    /* a page outside RAM: refused, or the CQ fails cleanly later */
    odp_ring_init(h, &r, 4, ODP_CQ_LOG_STRIDE);
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    odp_ring_desc(&r, &d);
    st = create_cq_ring(h, &d, 0);
    if (st != ODP_HCA_CMD_OK && st != ODP_HCA_CMD_BAD_PARAM &&
        st != ODP_HCA_CMD_DMA_ERROR) {
        odp_diag("CREATE_CQ case page-outside-ram: status %u", st);
    }
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BAD_PARAM ||
                  st == ODP_HCA_CMD_DMA_ERROR);
}

/* A CREATE_EQ on a fresh ring of 2^ring_log EQEs (log_stride 0: as is). */
typedef struct EqRingCase {
    const char *name;
    uint8_t ring_log;
    uint8_t log_stride;
    uint16_t vector;
    uint8_t expect;
} EqRingCase;

static void bad_rings_eq(OdpHca *h)
{
    const EqRingCase cases[] = {
        { .name = "stride-above-eqe", .ring_log = 4, .log_stride = 6,
          .vector = 0, .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "vector-num-vectors", .ring_log = 4,
          .vector = h->caps.num_vectors, .expect = ODP_HCA_CMD_BAD_PARAM },
        /* 128 > max-eqe 64 */
        { .name = "entries-above-max-eqe", .ring_log = 7, .vector = 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
    };
    struct odp_hca_cmd cmd;
    OdpRing r;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        const EqRingCase *c = &cases[i];

        odp_ring_init(h, &r, c->ring_log, ODP_EQ_LOG_STRIDE);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_EQ;
        odp_ring_desc(&r, &cmd.create_eq.ring);
        if (c->log_stride) {
            cmd.create_eq.ring.log_stride = c->log_stride;
        }
        cmd.create_eq.vector = c->vector;
        check_case("CREATE_EQ", c->name, odp_cmd_exec(h, &cmd), c->expect);
    }
}

/* A CREATE_QP with its rings and limits spelled out. */
typedef struct QpRingCase {
    const char *name;
    uint8_t type;               /* ODP_HCA_QPT_* */
    uint8_t sq_log;
    uint8_t sq_stride;
    uint8_t rq_log;
    uint8_t rq_stride;
    uint8_t max_send_sge;
    uint8_t max_recv_sge;
    uint16_t max_inline;
    uint32_t uar;
    uint8_t expect;
} QpRingCase;

static uint8_t create_qp_case(OdpHca *h, uint32_t pdn, OdpCq *cq,
                              const QpRingCase *c)
{
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_QP };
    OdpRing sq, rq;

    odp_ring_init(h, &sq, c->sq_log, c->sq_stride);
    odp_ring_init(h, &rq, c->rq_log, c->rq_stride);
    odp_ring_desc(&sq, &cmd.create_qp.sq);
    odp_ring_desc(&rq, &cmd.create_qp.rq);
    cmd.create_qp.pdn = pdn;
    cmd.create_qp.send_cqn = cq->cqn;
    cmd.create_qp.recv_cqn = cq->cqn;
    cmd.create_qp.srqn = ODP_HCA_NO_SRQ;
    cmd.create_qp.uar = c->uar;
    cmd.create_qp.type = c->type;
    cmd.create_qp.max_send_sge = c->max_send_sge;
    cmd.create_qp.max_recv_sge = c->max_recv_sge;
    cmd.create_qp.max_inline = c->max_inline;
    return odp_cmd_exec(h, &cmd);
}

/* SQ/RQ strides against SGEs and inline data, sizes, limits */
static void bad_rings_qp(T *t, OdpCq *cq)
{
    OdpHca *h = t->h;
    const QpRingCase cases[] = {
        /* SQ 64 < 64 + 4 * 16 */
        { .name = "sq-stride-below-sges", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 6, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* RQ 64 < 16 + 4 * 16 */
        { .name = "rq-stride-below-sges", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 7, .rq_log = 4, .rq_stride = 6,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* UD SQ 128 < 144 */
        { .name = "ud-sq-stride-below-ud-wqe", .type = ODP_HCA_QPT_UD,
          .sq_log = 4, .sq_stride = 7, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 1, .max_recv_sge = 1, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "sq-stride-above-page", .type = ODP_HCA_QPT_RC,
          .sq_log = 2, .sq_stride = ODP_HCA_MAX_LOG_STRIDE + 1,
          .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* 512 > max-qp-wr */
        { .name = "sq-above-max-qp-wr", .type = ODP_HCA_QPT_RC,
          .sq_log = 9, .sq_stride = 7, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "send-sge-above-max-sge", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 9, .rq_log = 4, .rq_stride = 9,
          .max_send_sge = h->caps.max_sge + 1, .max_recv_sge = 1,
          .max_inline = 0, .uar = 0, .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "inline-above-max-inline", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 10, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 1, .max_recv_sge = 1,
          .max_inline = h->caps.max_inline + 1, .uar = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "uar-num-uars", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 7, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0,
          .uar = h->caps.num_uars, .expect = ODP_HCA_CMD_BAD_PARAM },
        /* the same QP within every limit is created */
        { .name = "within-limits", .type = ODP_HCA_QPT_RC,
          .sq_log = 4, .sq_stride = 7, .rq_log = 4, .rq_stride = 7,
          .max_send_sge = 4, .max_recv_sge = 4, .max_inline = 0, .uar = 0,
          .expect = ODP_HCA_CMD_OK },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        check_case("CREATE_QP", cases[i].name,
                   create_qp_case(h, t->pd, cq, &cases[i]), cases[i].expect);
    }
}

static void test_bad_rings(void)
{
    T *t = t_new("max-cqe=256,max-eqe=64,max-qp-wr=256");
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
    OdpRing r;

    bad_rings_cq(h);
    bad_rings_eq(h);
    bad_rings_qp(t, cq);

    /* SRQ stride */
    odp_ring_init(h, &r, 4, 5);       /* 32-byte entries */
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_SRQ;
    odp_ring_desc(&r, &cmd.create_srq.ring);
    cmd.create_srq.pdn = t->pd;
    cmd.create_srq.max_sge = 2;             /* needs 48 > 32 */
    check_case("CREATE_SRQ", "sges-above-stride", odp_cmd_exec(h, &cmd),
               ODP_HCA_CMD_BAD_PARAM);
    cmd.create_srq.max_sge = 1;
    check_case("CREATE_SRQ", "sges-within-stride", odp_cmd_exec(h, &cmd),
               ODP_HCA_CMD_OK);

    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 38);
    t_free(t);
}

/* A CREATE_MR as odp_mr_prepare() builds it, with @key if not 0. */
typedef struct MrCase {
    const char *name;
    uint32_t pdn;
    uint64_t iova;
    uint64_t length;
    uint8_t levels;
    uint8_t flags;              /* ODP_HCA_MR_F_* */
    uint32_t key;
    uint8_t expect;
} MrCase;

static void bad_mr_create(T *t, uint32_t used_key)
{
    const uint32_t pd = t->pd;
    const uint8_t implicit = ODP_HCA_MR_F_IMPLICIT | ODP_HCA_MR_F_ON_DEMAND;
    const MrCase cases[] = {
        { .name = "levels-0", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 0,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "levels-5", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 5,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "levels-255", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 0xff,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "length-0", .pdn = pd, .iova = 0x200000,
          .length = 0, .levels = 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "length-513-pages", .pdn = pd, .iova = 0x200000,
          .length = 513 * ODP_HCA_PAGE_SIZE, .levels = 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* 512 pages from half a page in: spans 513 pages */
        { .name = "spans-513-pages", .pdn = pd, .iova = 0x200800,
          .length = 512 * ODP_HCA_PAGE_SIZE, .levels = 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "wraps", .pdn = pd,
          .iova = UINT64_MAX - ODP_HCA_PAGE_SIZE + 1,
          .length = 8192, .levels = 1,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "implicit-not-on-demand", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 1,
          .flags = ODP_HCA_MR_F_IMPLICIT, .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "implicit-levels-3", .pdn = pd, .iova = 0,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 3, .flags = implicit,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "implicit-iova-not-0", .pdn = pd, .iova = 0x1000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 4, .flags = implicit,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "key-index-max-mrs", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 1,
          .key = odp_hca_key_make(t->h->caps.max_mrs, 1),
          .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "pd-77", .pdn = 77, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 1,
          .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "key-in-use", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 1, .key = used_key,
          .expect = ODP_HCA_CMD_BAD_PARAM },
        /* more levels than needed */
        { .name = "levels-4", .pdn = pd, .iova = 0x200000,
          .length = 2 * ODP_HCA_PAGE_SIZE, .levels = 4,
          .expect = ODP_HCA_CMD_OK },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        const MrCase *c = &cases[i];
        OdpMr *mr = odp_mr_prepare(t->h, c->pdn, c->iova, c->length,
                                   c->levels, ACC_LW, c->flags);

        if (c->key) {
            mr->key = c->key;
        }
        check_case("CREATE_MR", c->name, odp_mr_register(t->h, mr),
                   c->expect);
    }
}

static void test_bad_mr(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpMr *mr;
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Pair p;

    bad_mr_create(t, dst->key);

    /* a table outside RAM: not read at creation; every use fails cleanly */
    mr = odp_mr_prepare(h, t->pd, 0x200000, 2 * ODP_HCA_PAGE_SIZE, 2,
                        ACC_ALL, 0);
    mr->table = ODP_BAD_ADDR;
    g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
    {
        pair_new(t, &p);
        send1(t, p.a, 0x91, ODP_HCA_WQE_RDMA_WRITE, 0x200000, 64, mr->key,
              dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x91, ODP_HCA_WC_LOC_PROT_ERR, -1, p.a->qpn);
        g_assert_cmpuint(c.vendor_err, ==, ODP_HCA_VERR_DMA);
        pair_new(t, &p);
        send1(t, p.a, 0x92, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 64, dst->key,
              0x200000, mr->key);
        wait_cqe(t, p.cqa, &c, 0x92, ODP_HCA_WC_REM_ACCESS_ERR, -1,
                 p.a->qpn);
    }
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 39);
    t_free(t);
}

/* A CREATE_QP as odp_qp_cfg_init() describes it, on objects given here. */
typedef struct QpCreateCase {
    const char *name;
    uint8_t type;               /* ODP_HCA_QPT_*, or not one */
    uint32_t pdn;
    OdpCq *scq;
    OdpCq *rcq;
    OdpSrq *srq;
    uint8_t expect;
} QpCreateCase;

static void test_bad_qp_create(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
    OdpCq ghost = { .cqn = 200 };
    OdpCq ghost_max = { .cqn = 0xffffffff };
    OdpSrq gsrq = { .srqn = 40 };
    const QpCreateCase cases[] = {
        { .name = "pd-unused", .type = ODP_HCA_QPT_RC, .pdn = t->pd + 1,
          .scq = cq, .rcq = cq, .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "send-cq-200", .type = ODP_HCA_QPT_RC, .pdn = t->pd,
          .scq = &ghost, .rcq = cq, .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "recv-cq-200", .type = ODP_HCA_QPT_RC, .pdn = t->pd,
          .scq = cq, .rcq = &ghost, .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "recv-cq-~0", .type = ODP_HCA_QPT_RC, .pdn = t->pd,
          .scq = cq, .rcq = &ghost_max, .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "srq-40", .type = ODP_HCA_QPT_RC, .pdn = t->pd,
          .scq = cq, .rcq = cq, .srq = &gsrq,
          .expect = ODP_HCA_CMD_BAD_HANDLE },
        { .name = "type-3", .type = 3, .pdn = t->pd,
          .scq = cq, .rcq = cq, .expect = ODP_HCA_CMD_BAD_PARAM },
        { .name = "type-0", .type = 0, .pdn = t->pd,
          .scq = cq, .rcq = cq, .expect = ODP_HCA_CMD_BAD_PARAM },
    };
    OdpQpCfg c;
    OdpQp *qp;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        const QpCreateCase *k = &cases[i];

        odp_qp_cfg_init(&c, k->type, k->pdn, k->scq, k->rcq);
        c.srq = k->srq;
        check_case("CREATE_QP", k->name, odp_qp_create(h, &c, &qp),
                   k->expect);
    }
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &c);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);
    check_fresh_pair_works(t, 40);
    t_free(t);
}

static void expect_transition(T *t, OdpQp *qp, uint8_t to, uint8_t status)
{
    uint8_t before = qp_state(t, qp);
    uint8_t st = odp_qp_to_state(t->h, qp, to);

    if (st != status) {
        odp_diag("QP %u: %u -> %u gave status %u, expected %u",
                       qp->qpn, before, to, st, status);
    }
    g_assert_cmpuint(st, ==, status);
    g_assert_cmpuint(qp_state(t, qp), ==,
                     status == ODP_HCA_CMD_OK ? to : before);
}

static void test_bad_qp_state(void)
{
    T *t = t_new(NULL);
    OdpCq *cq = odp_cq_new(t->h, 4, NULL, 0);
    OdpRcAttr a;
    OdpQpCfg c;
    OdpQp *qp, *peer;
    uint8_t st;

    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &c);
    peer = odp_qp_new(t->h, &c);

    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);
    expect_transition(t, qp, ODP_HCA_QPS_RTR, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQE, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RESET, ODP_HCA_CMD_OK);
    st = odp_qp_to_state(t->h, qp, 7);
    g_assert_true(st == ODP_HCA_CMD_BAD_PARAM || st == ODP_HCA_CMD_BAD_STATE);
    st = odp_qp_to_state(t->h, qp, 0xff);
    g_assert_true(st == ODP_HCA_CMD_BAD_PARAM || st == ODP_HCA_CMD_BAD_STATE);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_RESET);

    odp_qp_rc_init(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_OK);
    odp_qp_rc_rtr(t->h, qp, peer->qpn, &a);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_BAD_STATE);
    odp_qp_rc_rts(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_RTR, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_SQD, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_RTS, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_INIT, ODP_HCA_CMD_BAD_STATE);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    expect_transition(t, qp, ODP_HCA_QPS_RESET, ODP_HCA_CMD_OK);
    odp_qp_rc_init(t->h, qp, &a);
    expect_transition(t, qp, ODP_HCA_QPS_ERR, ODP_HCA_CMD_OK);
    t_free(t);
}

static void expect_attr(T *t, OdpQp *qp, struct odp_hca_cmd_modify_qp *m,
                        const char *what)
{
    uint8_t before = qp_state(t, qp);
    uint8_t st = odp_qp_modify(t->h, qp->qpn, m);

    if (st != ODP_HCA_CMD_BAD_PARAM) {
        odp_diag("%s: status %u, expected BAD_PARAM", what, st);
    }
    g_assert_cmpuint(st, ==, ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(qp_state(t, qp), ==, before);
}

static void test_bad_qp_attr(void)
{
    T *t = t_new(NULL);
    OdpCq *cq = odp_cq_new(t->h, 4, NULL, 0);
    struct odp_hca_cmd_modify_qp rtr = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_AV |
                     ODP_HCA_QP_ATTR_PATH_MTU | ODP_HCA_QP_ATTR_DEST_QPN |
                     ODP_HCA_QP_ATTR_RQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC |
                     ODP_HCA_QP_ATTR_MIN_RNR_TIMER,
        .state = ODP_HCA_QPS_RTR, .path_mtu = 3, .min_rnr_timer = 1,
        .max_dest_rd_atomic = 1,
    };
    struct odp_hca_cmd_modify_qp rts = {
        .attr_mask = ODP_HCA_QP_ATTR_STATE | ODP_HCA_QP_ATTR_TIMEOUT |
                     ODP_HCA_QP_ATTR_RETRY_CNT | ODP_HCA_QP_ATTR_RNR_RETRY |
                     ODP_HCA_QP_ATTR_SQ_PSN |
                     ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC,
        .state = ODP_HCA_QPS_RTS, .timeout = 10, .retry_cnt = 3,
        .rnr_retry = 3, .max_rd_atomic = 1,
    };
    struct odp_hca_cmd_modify_qp m;
    OdpRcAttr a;
    OdpQpCfg c;
    OdpQp *qp, *peer;

    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &c);
    peer = odp_qp_new(t->h, &c);
    odp_qp_rc_init(t->h, qp, &a);
    rtr.dest_qpn = peer->qpn;
    memcpy(rtr.dmac, t->h->caps.mac, sizeof(rtr.dmac));
    memcpy(rtr.sgid, odp_loopback_gid, sizeof(rtr.sgid));
    memcpy(rtr.dgid, odp_loopback_gid, sizeof(rtr.dgid));

    m = rtr; m.path_mtu = 0;
    expect_attr(t, qp, &m, "path_mtu 0");
    m = rtr; m.path_mtu = 6;
    expect_attr(t, qp, &m, "path_mtu 6");
    m = rtr; m.dest_qpn = ODP_HCA_QPN_MAX + 1;
    expect_attr(t, qp, &m, "dest_qpn beyond 24 bits");
    m = rtr; m.dest_qpn = 0xffffffff;
    expect_attr(t, qp, &m, "dest_qpn ~0");
    m = rtr; m.min_rnr_timer = 32;
    expect_attr(t, qp, &m, "min_rnr_timer 32");
    m = rtr;
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);

    m = rts; m.timeout = 32;
    expect_attr(t, qp, &m, "timeout 32");
    m = rts; m.retry_cnt = 8;
    expect_attr(t, qp, &m, "retry_cnt 8");
    m = rts; m.rnr_retry = 8;
    expect_attr(t, qp, &m, "rnr_retry 8");
    m = rts;
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    {
        struct odp_hca_cmd_modify_qp q;

        g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==,
                         ODP_HCA_CMD_OK);
        g_assert_cmpuint(q.qpn, ==, qp->qpn);
        g_assert_cmpuint(q.state, ==, ODP_HCA_QPS_RTS);
        g_assert_cmpuint(q.path_mtu, ==, 3);
        g_assert_cmpuint(q.dest_qpn, ==, peer->qpn);
        g_assert_cmpuint(q.timeout, ==, 10);
        g_assert_cmpuint(q.retry_cnt, ==, 3);
        g_assert_cmpuint(q.rnr_retry, ==, 3);
        g_assert_cmpuint(q.min_rnr_timer, ==, 1);
        g_assert_cmphex(q.access_flags, ==, a.access);
    }
    t_free(t);
}

/*
 * The RoCE address vector: odp_qp_rc_rtr()'s loopback path, then a path
 * of its own, are reported back by QUERY_QP; a flow label wider than 20
 * bits is BAD_PARAM and changes nothing.
 */
static void test_qp_av(void)
{
    static const uint8_t sgid[16] = {
        0xfe, 0x80, 0, 0, 0, 0, 0, 0,
        0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56,
    };
    static const uint8_t dgid[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 7, 9,
    };
    static const uint8_t dmac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    static const uint8_t zero[16];
    T *t = t_new(NULL);
    OdpCq *cq = odp_cq_new(t->h, 4, NULL, 0);
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_AV,
        .flow_label = ODP_HCA_FLOW_LABEL_MASK,
        .hop_limit = 64,
        .traffic_class = 0x68,
    };
    struct odp_hca_cmd_modify_qp q;
    OdpRcAttr a;
    OdpQpCfg c;
    OdpQp *qp, *peer;

    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &c);
    peer = odp_qp_new(t->h, &c);

    /* a new QP's path is all zero */
    g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    g_assert_cmpmem(q.dmac, 6, zero, 6);
    g_assert_cmpmem(q.sgid, 16, zero, 16);
    g_assert_cmpmem(q.dgid, 16, zero, 16);
    g_assert_cmpuint(q.flow_label, ==, 0);
    g_assert_cmpuint(q.hop_limit, ==, 0);
    g_assert_cmpuint(q.traffic_class, ==, 0);

    /* the framework's loopback path */
    odp_qp_rc_init(t->h, qp, &a);
    odp_qp_rc_rtr(t->h, qp, peer->qpn, &a);
    g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(q.state, ==, ODP_HCA_QPS_RTR);
    g_assert_cmpmem(q.dmac, 6, t->h->caps.mac, 6);
    g_assert_cmpmem(q.sgid, 16, odp_loopback_gid, 16);
    g_assert_cmpmem(q.dgid, 16, odp_loopback_gid, 16);
    g_assert_cmpuint(q.flow_label, ==, 0);

    /* a path of its own, set without a transition */
    memcpy(m.dmac, dmac, sizeof(m.dmac));
    memcpy(m.sgid, sgid, sizeof(m.sgid));
    memcpy(m.dgid, dgid, sizeof(m.dgid));
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(q.state, ==, ODP_HCA_QPS_RTR);
    g_assert_cmpmem(q.dmac, 6, dmac, 6);
    g_assert_cmpmem(q.sgid, 16, sgid, 16);
    g_assert_cmpmem(q.dgid, 16, dgid, 16);
    g_assert_cmphex(q.flow_label, ==, ODP_HCA_FLOW_LABEL_MASK);
    g_assert_cmpuint(q.hop_limit, ==, 64);
    g_assert_cmphex(q.traffic_class, ==, 0x68);

    /* 21 bits: BAD_PARAM, and the stored path stays */
    m = (struct odp_hca_cmd_modify_qp) {
        .attr_mask = ODP_HCA_QP_ATTR_AV,
        .flow_label = ODP_HCA_FLOW_LABEL_MASK + 1,
        .hop_limit = 1,
    };
    expect_attr(t, qp, &m, "flow_label 1 << 20");
    m.flow_label = 0xffffffff;
    expect_attr(t, qp, &m, "flow_label ~0");
    g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    g_assert_cmpmem(q.dmac, 6, dmac, 6);
    g_assert_cmpmem(q.sgid, 16, sgid, 16);
    g_assert_cmpmem(q.dgid, 16, dgid, 16);
    g_assert_cmphex(q.flow_label, ==, ODP_HCA_FLOW_LABEL_MASK);
    g_assert_cmpuint(q.hop_limit, ==, 64);

    /* without ATTR_AV the field is not looked at */
    m.attr_mask = ODP_HCA_QP_ATTR_MIN_RNR_TIMER;
    m.min_rnr_timer = 2;
    g_assert_cmpuint(odp_qp_modify(t->h, qp->qpn, &m), ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(odp_qp_query(t->h, qp->qpn, &q), ==, ODP_HCA_CMD_OK);
    g_assert_cmphex(q.flow_label, ==, ODP_HCA_FLOW_LABEL_MASK);
    g_assert_cmpuint(q.min_rnr_timer, ==, 2);
    t_free(t);
}

static void test_bad_doorbell_uar(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpCq *cqa = odp_cq_new(h, 6, NULL, 3);
    OdpCq *cqb = odp_cq_new(h, 6, NULL, 3);
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpQpCfg cfg;
    OdpQp *a, *b;
    OdpWr wr;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cqa, cqa);
    cfg.uar = 3;
    a = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = cqb;
    b = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, a, b->qpn, NULL);
    odp_qp_rc_connect(h, b, a->qpn, NULL);

    /* SQ doorbell on another UAR page: ignored */
    wr1(&wr, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
        dst->iova, dst->key);
    odp_post_send(h, a, &wr);
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(a->qpn, a->sq_pi));
    odp_db_write(h, 5, ODP_HCA_DB_SQ, odp_hca_db_value(a->qpn, a->sq_pi));
    /* the right page but another object number: ignored */
    odp_db_write(h, 3, ODP_HCA_DB_SQ,
                 odp_hca_db_value(h->caps.max_qps - 1, a->sq_pi));
    odp_db_write(h, 3, ODP_HCA_DB_SQ, odp_hca_db_value(0xffff, a->sq_pi));
    /* an unknown doorbell offset: ignored */
    odp_db_write(h, 3, 0x100, odp_hca_db_value(a->qpn, a->sq_pi));
    quiet(t, cqa);
    g_assert_cmpuint(qp_state(t, a), ==, ODP_HCA_QPS_RTS);
    odp_ring_sq(h, a);
    wait_cqe(t, cqa, &c, 0x1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);

    /* CQ arm on the wrong page: no event; on the right page: event */
    odp_eq_drain(h, h->ceq);
    odp_db_write(h, 0, ODP_HCA_DB_CQ_ARM, odp_hca_db_value(cqa->cqn, cqa->ci));
    send1(t, a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, cqa, &c, 0x2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);
    odp_eq_assert_empty(h, h->ceq, ODP_QUIET_ROUNDS);
    odp_cq_db(h, cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, a, 0x3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    wait_cqe(t, cqa, &c, 0x3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             a->qpn);
    {
        struct odp_hca_eqe e;

        odp_eq_wait_type(h, h->ceq, ODP_HCA_EV_COMPLETION, &e);
        g_assert_cmpuint(e.obj, ==, cqa->cqn);
    }

    /* RQ doorbell on the wrong page: the SEND meets RNR until it's right */
    {
        struct odp_hca_sge s = sge(dst->iova, 128, dst->key);
        uint32_t idx = b->rq_pi;

        odp_write(h, odp_ring_entry(&b->rq, idx), &(struct odp_hca_recv_wqe){
                      .wr_id = 0xb1, .num_sge = 1 }, 16);
        odp_write(h, odp_ring_entry(&b->rq, idx) + 16, &s, sizeof(s));
        b->rq_pi++;
        odp_db_write(h, 0, ODP_HCA_DB_RQ, odp_hca_db_value(b->qpn, b->rq_pi));
        send1(t, a, 0x4, ODP_HCA_WQE_SEND, src->iova, 100, src->key, 0, 0);
        odp_clock_step(h, 5 * RNR_STEP);
        quiet(t, cqa);
        quiet(t, cqb);
        odp_db_write(h, 3, ODP_HCA_DB_RQ, odp_hca_db_value(b->qpn, b->rq_pi));
        wait_cqe_clock(t, cqa, &c, 0x4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
                       a->qpn, RNR_STEP, RNR_STEPS);
        wait_recv(t, cqb, &c, 0xb1, ODP_HCA_CQE_RECV, b->qpn, a->qpn, 100);
    }
    t_free(t);
}

static void test_bad_doorbell_counter(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpQpCfg cfg;
    Pair p, q, r;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.sq_log = 4;
    cfg.rq_log = 4;
    pair_new_cfg(t, &p, &cfg, NULL, NULL);
    pair_new_cfg(t, &q, &cfg, NULL, NULL);
    pair_new_cfg(t, &r, &cfg, NULL, NULL);

    /* SQ producer 100 ahead of a 16-entry ring */
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(p.a->qpn, 100));
    wait_qp_err(t, p.a);
    /* RQ producer 17 ahead */
    odp_db_write(h, 0, ODP_HCA_DB_RQ, odp_hca_db_value(q.b->qpn, 17));
    wait_qp_err(t, q.b);
    /* SQ producer going backwards */
    send1(t, r.a, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    send1(t, r.a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    odp_db_write(h, 0, ODP_HCA_DB_SQ, odp_hca_db_value(r.a->qpn, 1));
    wait_qp_err(t, r.a);
    /* SRQ producer far ahead */
    {
        OdpSrq *srq = odp_srq_new(h, t->pd, 4, 1, 0, 0);

        odp_db_write(h, 0, ODP_HCA_DB_SRQ, odp_hca_db_value(srq->srqn, 999));
    }
    /* a CQ consumer index beyond its producer */
    odp_db_write(h, 0, ODP_HCA_DB_CQ_CI, odp_hca_db_value(r.cqa->cqn, 5000));
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    eq_drain(t);
    check_fresh_pair_works(t, 41);
    t_free(t);
}

/* A doorbell counter never moves backwards, even within the ring. */
static void test_bad_doorbell_backwards(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    struct odp_hca_cqe c;
    OdpRcAttr a;
    OdpQpCfg cfg;
    OdpQp *qp;
    Pair p;
    OdpWr wr;
    int i;

    /* an INIT QP executes nothing: three WQEs stay posted, untaken */
    odp_rc_attr_init(&a);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.scq = cfg.rcq = odp_cq_new(h, 6, NULL, 0);
    qp = odp_qp_new(h, &cfg);
    odp_qp_rc_init(h, qp, &a);
    for (i = 0; i < 3; i++) {
        wr1(&wr, 0x10 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
            dst->iova, dst->key);
        odp_post_send(h, qp, &wr);
    }
    odp_ring_sq(h, qp);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_INIT);
    /* producer 3 -> 1: behind, though still ahead of the consumer (0) */
    odp_db_write(h, qp->uar, ODP_HCA_DB_SQ, odp_hca_db_value(qp->qpn, 1));
    wait_qp_err(t, qp);
    wait_event(t, ODP_HCA_EV_QP_FATAL, qp->qpn);

    /* a CQ consumer counter 2 -> 1 is ignored, arming included */
    pair_new(t, &p);
    for (i = 0; i < 2; i++) {
        send1(t, p.a, 0x20 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
              src->key, dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x20 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    }
    odp_db_write(h, p.cqa->uar, ODP_HCA_DB_CQ_CI,
                 odp_hca_db_value(p.cqa->cqn, 2));
    odp_eq_db(h, h->ceq->eqn, h->ceq->ci, true);
    odp_db_write(h, p.cqa->uar, ODP_HCA_DB_CQ_ARM,
                 odp_hca_db_value(p.cqa->cqn, 1));
    send1(t, p.a, 0x22, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x22, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    odp_eq_assert_empty(h, h->ceq, ODP_QUIET_ROUNDS);

    /* arming at the driver's own consumer counter is accepted */
    odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
    send1(t, p.a, 0x23, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 0x23, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    {
        struct odp_hca_eqe e;

        odp_eq_wait(h, h->ceq, &e);
        g_assert_cmpuint(e.type, ==, ODP_HCA_EV_COMPLETION);
        g_assert_cmpuint(e.obj, ==, p.cqa->cqn);
    }
    check_fresh_pair_works(t, 43);
    t_free(t);
}

static void test_bad_wqe(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    uint8_t data[256];
    OdpQpCfg cfg;
    OdpWr wr;
    Pair p;
    int i;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    cfg.max_send_sge = 2;       /* the 256-byte stride has room for more */
    buf_fill(t, dst, 0xee);
    odp_pattern(data, sizeof(data), 42);

    for (i = 0; i < 7; i++) {
        uint8_t status = ODP_HCA_WC_LOC_QP_OP_ERR;

        pair_new_cfg(t, &p, &cfg, NULL, NULL);
        wr1(&wr, 0x100 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
            dst->iova, dst->key);
        switch (i) {
        case 0:     /* num_sge > max_send_sge */
            odp_wr_sge(&wr, src->iova + 16, 16, src->key);
            odp_wr_sge(&wr, src->iova + 32, 16, src->key);
            break;
        case 1: {   /* num_sge 255 */
            struct odp_hca_wqe_ctrl ctrl = {
                .wr_id = wr.wr_id, .opcode = ODP_HCA_WQE_RDMA_WRITE,
                .flags = ODP_HCA_WQE_F_SIGNALED, .num_sge = 255,
                .remote_addr = dst->iova, .rkey = dst->key,
            };
            odp_post_send_raw(h, p.a, &ctrl, sizeof(ctrl));
            break;
        }
        case 2:     /* unknown opcode */
            wr.opcode = 0x7f;
            break;
        case 3:     /* inline longer than max_inline */
            wr.num_sge = 0;
            wr.inline_data = data;
            wr.inline_len = 129;
            status = ODP_HCA_WC_LOC_LEN_ERR;
            break;
        case 4: {   /* inline_len huge */
            struct odp_hca_wqe_ctrl ctrl = {
                .wr_id = wr.wr_id, .opcode = ODP_HCA_WQE_SEND,
                .flags = ODP_HCA_WQE_F_SIGNALED | ODP_HCA_WQE_F_INLINE,
                .inline_len = 0xffffffff,
            };
            odp_post_send_raw(h, p.a, &ctrl, sizeof(ctrl));
            status = ODP_HCA_WC_LOC_LEN_ERR;
            break;
        }
        case 5:     /* an SGE that wraps the address space */
            wr.sge[0].addr = UINT64_MAX - 0xfff;
            wr.sge[0].length = 0x2000;
            status = ODP_HCA_WC_LOC_PROT_ERR;
            break;
        case 6:     /* a remote range that wraps */
            wr.remote_addr = UINT64_MAX - 7;
            status = ODP_HCA_WC_REM_ACCESS_ERR;
            break;
        }
        if (i == 1 || i == 4) {
            odp_ring_sq(h, p.a);
        } else if (i == 3) {
            /* odp_post_send refuses to overflow the stride: build it */
            g_autofree uint8_t *buf = g_malloc0(1u << p.a->sq.log_stride);
            struct odp_hca_wqe_ctrl *ctrl = (void *)buf;

            ctrl->wr_id = wr.wr_id;
            ctrl->opcode = ODP_HCA_WQE_SEND;
            ctrl->flags = ODP_HCA_WQE_F_SIGNALED | ODP_HCA_WQE_F_INLINE;
            ctrl->inline_len = 129;
            memcpy(buf + sizeof(*ctrl), data, 129);
            odp_post_send_raw(h, p.a, buf, 1u << p.a->sq.log_stride);
            odp_ring_sq(h, p.a);
        } else {
            odp_send(h, p.a, &wr);
        }
        wait_cqe(t, p.cqa, &c, 0x100 + i, status, -1, p.a->qpn);
        wait_qp_err(t, p.a);
        g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
        quiet(t, p.cqb);
    }
    buf_check_fill(t, dst, 0, 0xee, ODP_HCA_PAGE_SIZE, "malformed WQEs");
    eq_drain(t);
    check_fresh_pair_works(t, 43);
    t_free(t);
}

static void test_bad_pte(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *b[4];
    Pair p;
    int i;

    buf_fill(t, dst, 0xee);
    for (i = 0; i < 4; i++) {
        b[i] = g_new0(Buf, 1);
        b[i]->m = odp_mem_new(h, t_iova(t, ODP_HCA_PAGE_SIZE),
                              ODP_HCA_PAGE_SIZE);
        b[i]->mr = odp_mr_new_pinned(h, t->pd, b[i]->m, ACC_ALL, 2);
        b[i]->iova = b[i]->m->iova;
        b[i]->size = ODP_HCA_PAGE_SIZE;
        b[i]->key = b[i]->mr->key;
    }
    /* leaf with a reserved bit */
    odp_mr_set_pte(h, b[0]->mr, b[0]->iova, b[0]->m->pages[0] |
                   ODP_HCA_PTE_PRESENT | ODP_HCA_PTE_WRITABLE | 0x4);
    /* leaf pointing outside guest RAM */
    odp_mr_set_pte(h, b[1]->mr, b[1]->iova, ODP_BAD_ADDR |
                   ODP_HCA_PTE_PRESENT | ODP_HCA_PTE_WRITABLE);
    /* inner entry with a reserved bit */
    {
        uint64_t a = odp_mr_pte_addr(h, b[2]->mr, b[2]->iova, 1, false);

        odp_write64(h, a, odp_read64(h, a) | 0x100);
    }
    /* inner entry pointing outside guest RAM */
    {
        uint64_t a = odp_mr_pte_addr(h, b[3]->mr, b[3]->iova, 1, false);

        odp_write64(h, a, ODP_BAD_ADDR | ODP_HCA_PTE_PRESENT);
    }

    eq_drain(t);
    for (i = 0; i < 4; i++) {
        pair_new(t, &p);
        send1(t, p.a, 0x200 + i, ODP_HCA_WQE_RDMA_WRITE, b[i]->iova, 64,
              b[i]->key, dst->iova, dst->key);
        wait_cqe(t, p.cqa, &c, 0x200 + i, ODP_HCA_WC_LOC_PROT_ERR, -1,
                 p.a->qpn);
        g_assert_cmpuint(c.vendor_err, ==, (i & 1) ? ODP_HCA_VERR_DMA :
                                                     ODP_HCA_VERR_PTE);
        wait_event(t, ODP_HCA_EV_QP_FATAL, p.a->qpn);

        /* the same tables as the responder's: NAK access */
        pair_new(t, &p);
        send1(t, p.a, 0x210 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 64,
              dst->key, b[i]->iova, b[i]->key);
        wait_cqe(t, p.cqa, &c, 0x210 + i, ODP_HCA_WC_REM_ACCESS_ERR, -1,
                 p.a->qpn);
        g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);
        eq_drain(t);
    }
    buf_check_fill(t, dst, 0, 0xee, ODP_HCA_PAGE_SIZE, "bad translations");
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 44);
    t_free(t);
}

/* The CQ error event, and the death of @qp, whose CQE @cq could not take. */
static void expect_cq_error(T *t, OdpCq *cq, OdpQp *qp, uint8_t verr)
{
    bool cq_err = false, qp_fatal = false;
    struct odp_hca_eqe e;
    int i;

    for (i = 0; i < 2; i++) {
        odp_eq_wait(t->h, t->h->eq0, &e);
        if (e.type == ODP_HCA_EV_CQ_ERROR) {
            g_assert_cmpuint(e.obj, ==, cq->cqn);
            g_assert_cmpuint(e.subtype, ==, verr);
            cq_err = true;
        } else {
            g_assert_cmpuint(e.type, ==, ODP_HCA_EV_QP_FATAL);
            g_assert_cmpuint(e.obj, ==, qp->qpn);
            qp_fatal = true;
        }
    }
    g_assert_true(cq_err);
    g_assert_true(qp_fatal);
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_ERR);
}

static void test_cq_overflow(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    OdpCq *scq = odp_cq_new(h, 2, NULL, 0);     /* 4 entries */
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 45);
    OdpQp *a, *b;
    Pair p;
    int i;

    scq->auto_ci = false;
    pair_new_scq(t, &p, scq);
    a = p.a;
    b = p.b;

    for (i = 0; i < 5; i++) {
        send1(t, a, 0x300 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova + i * 8, 8,
              src->key, dst->iova + i * 8, dst->key);
    }
    for (i = 0; i < 4; i++) {
        wait_cqe(t, scq, &c, 0x300 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, a->qpn);
    }
    expect_cq_error(t, scq, a, ODP_HCA_VERR_CQ_OVERFLOW);
    buf_check(t, dst, 0, data, 32, "WRITEs before the overflow");

    /* overflowed: no more CQEs, even with room again */
    odp_cq_db(h, scq, ODP_HCA_DB_CQ_CI);
    send1(t, a, 0x3ff, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    quiet(t, scq);
    g_assert_cmpuint(odp_destroy(h, ODP_HCA_CMD_DESTROY_CQ, scq->cqn), ==,
                     ODP_HCA_CMD_BUSY);
    g_assert_cmpuint(qp_state(t, b), ==, ODP_HCA_QPS_RTS);
    check_fresh_pair_works(t, 46);
    t_free(t);
}

/*
 * Post @n WRITEs of 8 bytes on @a, each completing on @cq (read, the
 * device not told): the CQEs of wr_ids @first...
 */
static void writes_completed(T *t, OdpQp *a, OdpCq *cq, Buf *src, Buf *dst,
                             uint64_t first, int n)
{
    struct odp_hca_cqe c;
    int i;

    for (i = 0; i < n; i++) {
        send1(t, a, first + i, ODP_HCA_WQE_RDMA_WRITE, src->iova + i * 8, 8,
              src->key, dst->iova + i * 8, dst->key);
        wait_cqe(t, cq, &c, first + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, a->qpn);
    }
}

/*
 * A CQ with a consumer record: the device takes the consumer's counter
 * from it when the CQ looks full, and no doorbell is needed; a record
 * that is not aligned is refused, one beyond the producer or one the
 * device cannot read breaks that CQ (and its QP) alone.
 */
static void test_cq_ci_record(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    uint64_t rec = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpCq *scq, *bad;
    Pair p;

    buf_pattern(t, src, 47);
    g_assert_cmpuint(odp_cq_create(h, 2, NULL, 0, rec + 2, &bad), ==,
                     ODP_HCA_CMD_BAD_PARAM);
    qtest_writel(h->qts, rec, 0);
    g_assert_cmpuint(odp_cq_create(h, 2, NULL, 0, rec, &scq), ==,
                     ODP_HCA_CMD_OK);           /* 4 entries */
    scq->auto_ci = false;
    pair_new_scq(t, &p, scq);

    /* Three rounds of a full CQ, each made room for by the record alone. */
    writes_completed(t, p.a, scq, src, dst, 0x400, 4);
    odp_cq_set_ci(h, scq);
    writes_completed(t, p.a, scq, src, dst, 0x410, 4);
    odp_cq_set_ci(h, scq);
    writes_completed(t, p.a, scq, src, dst, 0x420, 4);
    eq_quiet(t);
    g_assert_cmpuint(qp_state(t, p.a), ==, ODP_HCA_QPS_RTS);
    g_assert_cmpuint(odp_counter(t, "cq-record-reads"), ==, 2);

    /* A record beyond the producer is not taken: the CQ overflows. */
    qtest_writel(h->qts, rec, scq->ci + 100);
    send1(t, p.a, 0x430, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    expect_cq_error(t, scq, p.a, ODP_HCA_VERR_CQ_OVERFLOW);
    g_assert_cmpuint(qp_state(t, p.b), ==, ODP_HCA_QPS_RTS);

    /* A record the device cannot read: that CQ fails, nothing else. */
    g_assert_cmpuint(odp_cq_create(h, 2, NULL, 0, ODP_BAD_ADDR, &bad),
                     ==, ODP_HCA_CMD_OK);
    bad->auto_ci = false;
    pair_new_scq(t, &p, bad);
    writes_completed(t, p.a, bad, src, dst, 0x500, 4);
    send1(t, p.a, 0x504, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
          dst->iova, dst->key);
    expect_cq_error(t, bad, p.a, ODP_HCA_VERR_DMA);
    check_fresh_pair_works(t, 48);
    t_free(t);
}

/* A full EQ keeps page-fault events pending until the ci moves. */
static void test_eq_full(void)
{
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[6];
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *src[6];
    uint8_t data[6][64];
    Pair p[6];
    int i, j, n = 0;

    for (i = 0; i < 6; i++) {
        pair_new(t, &p[i]);
        src[i] = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
        odp_pattern(data[i], 64, 50 + i);
        buf_write(t, src[i], 0, data[i], 64);
    }
    h->eq0->auto_ci = false;
    for (i = 0; i < 6; i++) {
        send1(t, p[i].a, 0x400 + i, ODP_HCA_WQE_RDMA_WRITE, src[i]->iova, 64,
              src[i]->key, dst->iova + i * 64, dst->key);
    }
    while (n < 4) {
        odp_eq_wait(h, h->eq0, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    while (n < 6) {
        odp_eq_wait(h, h->eq0, &e[n++]);
    }
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);

    for (i = 0; i < 6; i++) {
        int found = -1;

        for (j = 0; j < 6; j++) {
            if (e[j].obj == p[i].a->qpn) {
                g_assert_cmpint(found, <, 0);
                found = j;
            }
        }
        g_assert_cmpint(found, >=, 0);
        check_fault(&e[found], p[i].a->qpn, src[i]->key, src[i]->iova, 64,
                    ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_READ,
                    ODP_HCA_FAULT_REQUESTER, 0);
        for (j = 0; j < found; j++) {
            g_assert_cmphex(e[j].fault.token, !=, e[found].fault.token);
        }
        buf_map(t, src[i], src[i]->iova, ODP_HCA_PAGE_SIZE, false);
        resume_ok(t, e[found].fault.token);
    }
    for (i = 0; i < 6; i++) {
        wait_cqe(t, p[i].cqa, &c, 0x400 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, p[i].a->qpn);
        buf_check(t, dst, i * 64, data[i], 64, "WRITE after a pending fault");
    }

    /* completion events that find their EQ full are dropped, not kept */
    {
        OdpEq *eqc = odp_eq_new(h, 2, ODP_VEC_FREE);
        OdpCq *cq = odp_cq_new(h, 4, eqc, 0);
        struct odp_hca_eqe ce;
        OdpQpCfg cfg;
        OdpQp *qp;

        eqc->auto_ci = false;
        odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
        qp = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        for (i = 0; i < 6; i++) {
            odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
            send1(t, qp, 0x500 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8,
                  dst->key, dst->iova + 1024, dst->key);
            wait_cqe(t, cq, &c, 0x500 + i, ODP_HCA_WC_SUCCESS,
                     ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
            odp_settle(h, 8);
        }
        for (i = 0; i < 4; i++) {
            odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, &ce);
            g_assert_cmpuint(ce.obj, ==, cq->cqn);
        }
        odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);
        odp_eq_db(h, eqc->eqn, eqc->ci, true);
        odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);
        /* with room again, the next event arrives */
        odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
        send1(t, qp, 0x506, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8, dst->key,
              dst->iova + 1024, dst->key);
        wait_cqe(t, cq, &c, 0x506, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
        odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, &ce);
        g_assert_cmpuint(ce.obj, ==, cq->cqn);
    }
    t_free(t);
}

static void test_bad_registers(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    QPCIDevice *dev = &h->dev;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    uint32_t base_lo = odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO);
    uint32_t base_hi = odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI);
    uint32_t ci = odp_reg_read(h, ODP_HCA_REG_CMDQ_CI);
    Pair p;

    /* wrong sizes on BAR 0: ignored */
    qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CTRL, 0);
    qpci_io_writeq(dev, h->bar0, ODP_HCA_REG_CMDQ_BASE_LO, ODP_BAD_ADDR);
    qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CMDQ_LOG_SIZE, 1);
    qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, ci + 3);
    (void)qpci_io_readb(dev, h->bar0, ODP_HCA_REG_MAGIC);
    (void)qpci_io_readw(dev, h->bar0, ODP_HCA_REG_STATUS + 2);
    (void)qpci_io_readq(dev, h->bar0, ODP_HCA_REG_MAGIC);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_READY, ==, ODP_HCA_STATUS_READY);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_LO), ==, base_lo);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_CMDQ_BASE_HI), ==, base_hi);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, ci);

    /* read-only and unknown registers */
    odp_reg_write(h, ODP_HCA_REG_MAGIC, 0);
    odp_reg_write(h, ODP_HCA_REG_VERSION, 0x77);
    odp_reg_write(h, ODP_HCA_REG_STATUS, 0);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_CI, 9);
    odp_reg_write(h, ODP_HCA_REG_NUM_UARS, 0);
    odp_reg_write(h, ODP_HCA_REG_NUM_VECTORS, 0);
    odp_reg_write(h, 0x100, 0xffffffff);
    odp_reg_write(h, 0xffc, 0xffffffff);
    (void)odp_reg_read(h, 0x100);
    (void)odp_reg_read(h, 0xffc);
    odp_reg_write(h, ODP_HCA_REG_EQ_DB, 0x00ff0000 | ODP_HCA_EQ_DB_ARM);
    odp_reg_write(h, ODP_HCA_REG_EQ_DB, 0x00050007);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_VERSION), ==,
                     ODP_HCA_VERSION);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_UARS), ==,
                     h->caps.num_uars);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_NUM_VECTORS), ==,
                     h->caps.num_vectors);
    g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==, ci);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);

    /* a 64-bit doorbell write to CMDQ_PI is ignored as a whole */
    {
        struct odp_hca_cmd cmd = {
            .opcode = ODP_HCA_CMD_NOP, .owner = ODP_HCA_CMD_OWNER_HW,
            .status = 0xee,
        };
        uint64_t entry = odp_cmdq_entry(h, h->cmd_pi);
        int i;

        odp_write(h, entry, &cmd, sizeof(cmd));
        h->cmd_pi++;
        qpci_io_writeq(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        qpci_io_writew(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        qpci_io_writeb(dev, h->bar0, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xff);
        for (i = 0; i < ODP_QUIET_ROUNDS; i++) {
            g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==,
                             (h->cmd_pi - 1) & 0xffff);
        }
        g_assert_cmpuint(qtest_readb(h->qts, entry + 3), ==,
                         ODP_HCA_CMD_OWNER_HW);
        odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
        for (i = 0; i < ODP_POLL_MAX; i++) {
            if (qtest_readb(h->qts, entry + 3) == ODP_HCA_CMD_OWNER_SW) {
                break;
            }
        }
        g_assert_cmpint(i, <, ODP_POLL_MAX);
        g_assert_cmpuint(qtest_readb(h->qts, entry + 2), ==, ODP_HCA_CMD_OK);
    }

    /* wrong sizes on BAR 2: ignored */
    pair_new(t, &p);
    {
        OdpWr wr;

        wr1(&wr, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
            dst->iova, dst->key);
        odp_post_send(h, p.a, &wr);
    }
    qpci_io_writeq(dev, h->bar2, ODP_HCA_DB_SQ,
                   odp_hca_db_value(p.a->qpn, p.a->sq_pi));
    qpci_io_writew(dev, h->bar2, ODP_HCA_DB_SQ, p.a->sq_pi);
    qpci_io_writew(dev, h->bar2, ODP_HCA_DB_SQ + 2, p.a->qpn);
    qpci_io_writeb(dev, h->bar2, ODP_HCA_DB_SQ, p.a->sq_pi);
    (void)qpci_io_readl(dev, h->bar2, ODP_HCA_DB_SQ);
    quiet(t, p.cqa);
    odp_ring_sq(h, p.a);
    wait_cqe(t, p.cqa, &c, 0x1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    check_fresh_pair_works(t, 47);
    t_free(t);
}

/* An entry not owned by the device stops the queue; reset recovers. */
static void test_cmdq_owner(void)
{
    OdpHca *h = odp_hca_new(NULL);
    struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_NOP };
    uint64_t entry = odp_cmdq_entry(h, h->cmd_pi);
    int i;

    cmd.owner = ODP_HCA_CMD_OWNER_SW;
    cmd.status = 0xee;
    odp_write(h, entry, &cmd, sizeof(cmd));
    h->cmd_pi++;
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, h->cmd_pi & 0xffff);
    for (i = 0; i < ODP_QUIET_ROUNDS; i++) {
        g_assert_cmpuint(odp_reg_read(h, ODP_HCA_REG_CMDQ_CI), ==,
                         (h->cmd_pi - 1) & 0xffff);
    }
    g_assert_cmpuint(qtest_readb(h->qts, entry + 2), ==, 0xee);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS) &
                    ODP_HCA_STATUS_FATAL, ==, 0);

    /* what restarts a stopped queue is unspecified: reset recovers it */
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_hca_bringup(h, 6);

    /* wrap the 32-entry ring a few times */
    for (i = 0; i < 100; i++) {
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    }
    odp_hca_stop(h);
}

/* Random commands and doorbells; the device answers and still works. */
static void garbage_cmd(OdpHca *h, GRand *r, uint64_t junk_pl,
                        uint64_t junk)
{
    struct odp_hca_cmd cmd;
    uint32_t *w = (uint32_t *)&cmd;
    size_t i;
    uint8_t st;

    for (i = 0; i < sizeof(cmd) / 4; i++) {
        w[i] = g_rand_int(r);
    }
    cmd.opcode = g_rand_int_range(r, 0, ODP_HCA_CMD_MAX + 2);
    switch (g_rand_int_range(r, 0, 4)) {
    case 0:     /* fully random payload */
        break;
    case 1:     /* small numbers: real handles, states, flags */
        for (i = 2; i < sizeof(cmd) / 4; i++) {
            w[i] = g_rand_int_range(r, 0, 20);
        }
        break;
    case 2:     /* rings in the junk area */
        cmd.create_qp.sq.page_list = junk_pl;
        cmd.create_qp.sq.npages = g_rand_int_range(r, 0, 5);
        cmd.create_qp.sq.log_entries = g_rand_int_range(r, 0, 8);
        cmd.create_qp.sq.log_stride = g_rand_int_range(r, 4, 10);
        cmd.create_qp.rq = cmd.create_qp.sq;
        cmd.create_qp.rq.page_list = junk_pl + 64;
        for (i = offsetof(struct odp_hca_cmd, create_qp.pdn) / 4;
             i < sizeof(cmd) / 4; i++) {
            w[i] = g_rand_int_range(r, 0, 8);
        }
        break;
    case 3: {   /* MRs on junk tables, key indexes the harness never uses */
        uint32_t index;

        cmd.create_mr.table = junk +
                              g_rand_int_range(r, 0, 8) * ODP_HCA_PAGE_SIZE;
        cmd.create_mr.levels = g_rand_int_range(r, 0, 6);
        cmd.create_mr.pdn = g_rand_int_range(r, 0, 4);
        /* the index is drawn before the variant: arguments have no order */
        index = g_rand_int_range(r, 512, 1024);
        cmd.create_mr.key = odp_hca_key_make(index,
                                             g_rand_int_range(r, 0, 256));
        cmd.create_mr.length = g_rand_int_range(r, 0, 1 << 22);
        cmd.create_mr.flags = g_rand_int_range(r, 0, 4);
        break;
    }
    }
    /* keep the harness's async EQ */
    if (cmd.opcode == ODP_HCA_CMD_DESTROY_EQ && cmd.destroy.handle == 0) {
        cmd.destroy.handle = 1;
    }
    st = odp_cmd_exec(h, &cmd);
    g_assert_cmpuint(st, <=, ODP_HCA_CMD_BAD_TOKEN);
}

static void garbage_doorbells(OdpHca *h, GRand *r)
{
    int i;

    for (i = 0; i < 16; i++) {
        uint32_t uar = g_rand_int_range(r, 1, h->caps.num_uars);
        uint32_t off = g_rand_int_range(r, 0, 8) * 4;

        odp_db_write(h, uar, off, g_rand_boolean(r) ? g_rand_int(r) :
                     odp_hca_db_value(g_rand_int_range(r, 0, 20),
                                      g_rand_int_range(r, 0, 70000)));
    }
    odp_eq_db(h, g_rand_int_range(r, 1, 256), g_rand_int(r),
              g_rand_boolean(r));
}

static void test_garbage(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    GRand *r = g_rand_new_with_seed(0x0dbca5e);
    uint64_t junk = odp_alloc(h, 16 * ODP_HCA_PAGE_SIZE);
    uint64_t junk_pl = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    g_autofree uint8_t *bytes = g_malloc(16 * ODP_HCA_PAGE_SIZE);
    int i;

    for (i = 0; i < 16 * ODP_HCA_PAGE_SIZE; i++) {
        bytes[i] = g_rand_int(r);
    }
    odp_write(h, junk, bytes, 16 * ODP_HCA_PAGE_SIZE);
    for (i = 0; i < 512; i++) {
        odp_write64(h, junk_pl + i * 8, junk + (i % 16) * ODP_HCA_PAGE_SIZE);
    }

    for (i = 1; i <= 2000; i++) {
        garbage_cmd(h, r, junk_pl, junk);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
        if (i % 100 == 0) {
            garbage_doorbells(h, r);
            g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                            ODP_HCA_STATUS_READY);
            eq_drain(t);
            t->pd = odp_pd_new(h);
            check_fresh_pair_works(t, 100 + i);
        }
    }
    g_rand_free(r);
    t_free(t);
}

/* The device's own BARs as DMA targets: nothing may break. */
static void test_dma_to_self(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    struct odp_hca_cmd cmd;
    struct odp_hca_cqe c;
    uint64_t bars[2] = { h->bar0.addr, h->bar2.addr };
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpRing r;
    uint8_t st;
    int i;

    for (i = 0; i < 2; i++) {
        OdpMr *mr;
        Pair p;

        /* QUERY_DEVICE writing the caps into the registers / doorbells */
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_QUERY_DEVICE;
        cmd.query_device.caps_addr = bars[i];
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR);

        /* a page list read from the BAR */
        odp_ring_init(h, &r, 4, ODP_CQ_LOG_STRIDE);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
        odp_ring_desc(&r, &cmd.create_cq.ring);
        cmd.create_cq.ring.page_list = bars[i];
        cmd.create_cq.eqn = h->ceq->eqn;
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);

        /* a CQ whose ring is the BAR page, used by a QP */
        odp_write64(h, r.page_list, bars[i]);
        odp_ring_desc(&r, &cmd.create_cq.ring);
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);
        if (st == ODP_HCA_CMD_OK) {
            OdpCq *bad = g_new0(OdpCq, 1);
            OdpQpCfg cfg;
            OdpQp *qp;

            bad->cqn = cmd.create_cq.cqn;
            bad->ring = r;
            odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, bad, bad);
            qp = odp_qp_new(h, &cfg);
            odp_qp_rc_connect(h, qp, qp->qpn, NULL);
            odp_db_write(h, 0, ODP_HCA_DB_CQ_ARM,
                         odp_hca_db_value(bad->cqn, 0));
            send1(t, qp, 0x1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16,
                  src->key, src->iova + 64, src->key);
            odp_settle(h, ODP_QUIET_ROUNDS);
        }

        /* an MR whose page is the BAR: remote WRITE into it, READ from it */
        mr = odp_mr_prepare(h, t->pd, 0x40000000, ODP_HCA_PAGE_SIZE, 1,
                            ACC_ALL, 0);
        odp_mr_map_page(h, mr, 0x40000000, bars[i], true);
        g_assert_cmpuint(odp_mr_register(h, mr), ==, ODP_HCA_CMD_OK);
        pair_new(t, &p);
        send1(t, p.a, 0x2, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
              0x40000000 + ODP_HCA_REG_CTRL, mr->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x2);
        pair_new(t, &p);
        send1(t, p.a, 0x3, ODP_HCA_WQE_RDMA_READ, src->iova, 64, src->key,
              0x40000000, mr->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x3);
        pair_new(t, &p);
        send1(t, p.a, 0x4, ODP_HCA_WQE_RDMA_WRITE, 0x40000000, 64, mr->key,
              src->iova, src->key);
        odp_cq_wait(h, p.cqa, &c);
        g_assert_cmphex(c.wr_id, ==, 0x4);

        /* the device is still itself */
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==,
                        ODP_HCA_MAGIC);
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                        ODP_HCA_STATUS_READY);
        g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
        eq_drain(t);
        odp_eq_drain(h, h->ceq);
        check_fresh_pair_works(t, 70 + i);
    }

    /* a command ring in the register BAR */
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_LO, (uint32_t)h->bar0.addr);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_BASE_HI, h->bar0.addr >> 32);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_LOG_SIZE, 5);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_ENABLE);
    odp_reg_write(h, ODP_HCA_REG_CMDQ_PI, 1);
    odp_settle(h, ODP_QUIET_ROUNDS);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);
    odp_reg_write(h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_wait_reset(h);
    odp_hca_bringup(h, 6);
    t->pd = odp_pd_new(h);
    check_fresh_pair_works(t, 72);
    t_free(t);
}

/*
 * An MSI-X vector aimed at the device's own CTRL register with the data
 * CTRL.RESET: raising it is a write of RESET to CTRL.  The device may then
 * reset itself or not (a write while it is busy may be dropped), but QEMU
 * must survive, and the device must work after a new bring-up.
 *
 * The completion that raises the vector comes from an ACK timeout (the
 * requester gives up when its retry timer runs out), from an exhausted RNR
 * retry, or from a plain successful SEND.  The first used to crash QEMU:
 * the retry timer callback completed the WQE outside the device's
 * re-entrancy guard, the reset freed the QP's timer mid-completion, and
 * the completion went on with timer_del(NULL).
 */
enum {
    MSIX_SELF_ACK_TIMEOUT,
    MSIX_SELF_RNR_EXCEEDED,
    MSIX_SELF_SEND,
    MSIX_SELF_N,
};

static void msix_to_self_one(int variant)
{
    static const char *const names[MSIX_SELF_N] = {
        "ACK timeout", "RNR retries exhausted", "SEND",
    };
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    const uint16_t vec = ODP_VEC_FREE;
    OdpEq *eq = odp_eq_new(h, 4, vec);
    OdpCq *cq = odp_cq_new(h, 6, eq, 0);      /* a's CQ: raises vec */
    OdpCq *other = odp_cq_new(h, 6, NULL, 0);
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    struct odp_hca_cqe c;
    struct odp_hca_eqe e;
    OdpRcAttr aa, ab;
    OdpQpCfg cfg;
    OdpQp *qa, *qb, *qc;
    uint8_t status = ODP_HCA_WC_SUCCESS;
    int opcode = -1;
    bool got = false, reset;
    int i;

    odp_diag("msix-to-self: %s", names[variant]);
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qa = odp_qp_new(h, &cfg);
    cfg.scq = cfg.rcq = other;
    qb = odp_qp_new(h, &cfg);

    switch (variant) {
    case MSIX_SELF_ACK_TIMEOUT:
        /* b is connected to c, not back to a: a's request is dropped */
        aa.timeout = 3;             /* 32.8 us */
        aa.retry_cnt = 0;
        qc = odp_qp_new(h, &cfg);
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qc->qpn, &ab);
        status = ODP_HCA_WC_RETRY_EXC_ERR;
        break;
    case MSIX_SELF_RNR_EXCEEDED:
        /* no receive at b: RNR NAK, one retry after 10 us, then give up */
        aa.rnr_retry = 1;
        ab.min_rnr_timer = 1;
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qa->qpn, &ab);
        status = ODP_HCA_WC_RNR_RETRY_EXC_ERR;
        break;
    default:
        odp_qp_rc_connect(h, qa, qb->qpn, &aa);
        odp_qp_rc_connect(h, qb, qa->qpn, &ab);
        post_recv1(t, qb, 0xb1, dst->iova, 256, dst->key);
        opcode = ODP_HCA_CQE_SEND;
        break;
    }

    /* the next completion on cq raises vec: a write of RESET to CTRL */
    odp_eq_db(h, eq->eqn, eq->ci, true);
    odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
    g_assert_false(odp_msix_pending(h, vec));
    odp_msix_aim(h, vec, h->bar0.addr + ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET,
                 false);

    if (variant == MSIX_SELF_ACK_TIMEOUT) {
        send1(t, qa, 0x61, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
              dst->iova, dst->key);
    } else {
        send1(t, qa, 0x61, ODP_HCA_WQE_SEND, src->iova, 64, src->key, 0, 0);
    }

    /* the completion, or the reset it caused (bounded, virtual time) */
    for (i = 0; i < 2000; i++) {
        if (!(odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_READY)) {
            break;
        }
        if (odp_cq_poll(h, cq, &c)) {
            got = true;
            break;
        }
        odp_clock_step(h, 4000);
    }
    odp_clock_step(h, 10 * 1000 * 1000ll);  /* whatever timers are left */
    g_assert_true(qtest_probe_child(h->qts));
    reset = !(odp_reg_read(h, ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_READY);
    odp_diag("msix-to-self: %s: %s", names[variant],
             reset ? "the device reset itself" : "no reset");
    if (!got && !reset) {
        odp_diag("msix-to-self: %s: no completion on CQ %u and no reset",
                 names[variant], cq->cqn);
    }
    g_assert_true(got || reset);
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==, ODP_HCA_MAGIC);

    if (reset) {
        /* the MSI-X table is the guest's: point the vector back */
        odp_hca_pci_setup(h);
        odp_hca_wait_reset(h);
        g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_MAGIC), ==,
                        ODP_HCA_MAGIC);
        odp_hca_bringup(h, 6);
        t->pd = odp_pd_new(h);
    } else {
        /* the completion did come, and its event raised the vector */
        check_cqe(&c, 0x61, status, opcode, qa->qpn);
        odp_msix_restore(h, vec);
        odp_eq_wait(h, eq, &e);
        g_assert_cmpuint(e.type, ==, ODP_HCA_EV_COMPLETION);
        g_assert_cmpuint(e.obj, ==, cq->cqn);
        if (variant == MSIX_SELF_SEND) {
            wait_recv(t, other, &c, 0xb1, ODP_HCA_CQE_RECV, qb->qpn,
                      qa->qpn, 64);
        }
        eq_drain(t);
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    check_fresh_pair_works(t, 80 + variant);
    g_assert_true(qtest_probe_child(h->qts));
    t_free(t);
}

static void test_msix_to_self(void)
{
    int v;

    for (v = 0; v < MSIX_SELF_N; v++) {
        msix_to_self_one(v);
    }
}

/* Ring pages outside guest RAM: the QPs fail, the device carries on. */
static void test_bad_ring_pages(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    OdpQpCfg cfg_dummy;
    struct odp_hca_cmd cmd;
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    OdpRing r;
    uint8_t st;
    int i;

    /* an EQ whose page is not RAM, and an armed CQ on it */
    odp_ring_init(h, &r, 4, ODP_EQ_LOG_STRIDE);
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_EQ;
    odp_ring_desc(&r, &cmd.create_eq.ring);
    cmd.create_eq.vector = ODP_VEC_FREE;
    st = odp_cmd_exec(h, &cmd);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                  st == ODP_HCA_CMD_BAD_PARAM);
    if (st == ODP_HCA_CMD_OK) {
        OdpEq *eq = g_new0(OdpEq, 1);
        Pair p;

        eq->eqn = cmd.create_eq.eqn;
        eq->ring = r;
        p.cqa = odp_cq_new(h, 4, eq, 0);
        p.cqb = odp_cq_new(h, 4, eq, 0);
        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, p.cqa, p.cqa);
        p.a = odp_qp_new(h, &cfg_dummy);
        cfg_dummy.scq = cfg_dummy.rcq = p.cqb;
        p.b = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, p.a, p.b->qpn, NULL);
        odp_qp_rc_connect(h, p.b, p.a->qpn, NULL);
        for (i = 0; i < 3; i++) {
            odp_cq_db(h, p.cqa, ODP_HCA_DB_CQ_ARM);
            send1(t, p.a, 0x10 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
                  src->key, src->iova + 64, src->key);
            wait_cqe(t, p.cqa, &c, 0x10 + i, ODP_HCA_WC_SUCCESS,
                     ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
        }
    }

    /* a CQ whose page is not RAM, used by a QP pair */
    odp_ring_init(h, &r, 4, ODP_CQ_LOG_STRIDE);
    odp_write64(h, r.page_list, ODP_BAD_ADDR);
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ODP_HCA_CMD_CREATE_CQ;
    odp_ring_desc(&r, &cmd.create_cq.ring);
    cmd.create_cq.eqn = h->ceq->eqn;
    st = odp_cmd_exec(h, &cmd);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                  st == ODP_HCA_CMD_BAD_PARAM);
    if (st == ODP_HCA_CMD_OK) {
        OdpCq *bad = g_new0(OdpCq, 1);
        OdpQp *qp;

        bad->cqn = cmd.create_cq.cqn;
        bad->ring = r;
        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, bad, bad);
        qp = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        for (i = 0; i < 3; i++) {
            send1(t, qp, 0x20 + i, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8,
                  src->key, src->iova + 64, src->key);
        }
        odp_settle(h, ODP_QUIET_ROUNDS);
    }

    /* a QP whose send queue page is not RAM */
    {
        OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
        OdpQp *qp;

        odp_qp_cfg_init(&cfg_dummy, ODP_HCA_QPT_RC, t->pd, cq, cq);
        qp = odp_qp_new(h, &cfg_dummy);
        odp_qp_rc_connect(h, qp, qp->qpn, NULL);
        /* the page list was read at creation: changing it does nothing */
        odp_write64(h, qp->sq.page_list, ODP_BAD_ADDR);
        send1(t, qp, 0x30, ODP_HCA_WQE_RDMA_WRITE, src->iova, 8, src->key,
              src->iova + 64, src->key);
        wait_cqe(t, cq, &c, 0x30, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
                 qp->qpn);
    }
    {
        OdpCq *cq = odp_cq_new(h, 4, NULL, 0);
        OdpRing rq;

        odp_ring_init(h, &r, 4, 8);
        odp_ring_init(h, &rq, 4, 7);
        odp_write64(h, r.page_list, ODP_BAD_ADDR);
        memset(&cmd, 0, sizeof(cmd));
        cmd.opcode = ODP_HCA_CMD_CREATE_QP;
        odp_ring_desc(&r, &cmd.create_qp.sq);
        odp_ring_desc(&rq, &cmd.create_qp.rq);
        cmd.create_qp.pdn = t->pd;
        cmd.create_qp.send_cqn = cq->cqn;
        cmd.create_qp.recv_cqn = cq->cqn;
        cmd.create_qp.srqn = ODP_HCA_NO_SRQ;
        cmd.create_qp.type = ODP_HCA_QPT_RC;
        cmd.create_qp.max_send_sge = 4;
        cmd.create_qp.max_recv_sge = 4;
        st = odp_cmd_exec(h, &cmd);
        g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_DMA_ERROR ||
                      st == ODP_HCA_CMD_BAD_PARAM);
        if (st == ODP_HCA_CMD_OK) {
            OdpQp qp = {
                .qpn = cmd.create_qp.qpn, .sq = r, .rq = rq,
                .type = ODP_HCA_QPT_RC,
            };

            /* the WQE cannot be fetched: no success, no crash */
            odp_qp_rc_connect(h, &qp, qp.qpn, NULL);
            qp.sq_pi = 3;
            odp_ring_sq(h, &qp);
            odp_settle(h, ODP_QUIET_ROUNDS);
            while (odp_cq_poll(h, cq, &c)) {
                g_assert_cmpuint(c.status, !=, ODP_HCA_WC_SUCCESS);
            }
        }
    }
    g_assert_cmphex(odp_reg_read(h, ODP_HCA_REG_STATUS), ==,
                    ODP_HCA_STATUS_READY);
    g_assert_cmpuint(odp_nop(h), ==, ODP_HCA_CMD_OK);
    eq_drain(t);
    check_fresh_pair_works(t, 73);
    t_free(t);
}

void odp_hca_add_hostile_tests(void)
{
    add_test("/odp-hca/hostile/opcode", test_bad_opcode);
    add_test("/odp-hca/hostile/handles", test_bad_handles);
    add_test("/odp-hca/hostile/rings", test_bad_rings);
    add_test("/odp-hca/hostile/mr", test_bad_mr);
    add_test("/odp-hca/hostile/qp-create", test_bad_qp_create);
    add_test("/odp-hca/hostile/qp-state", test_bad_qp_state);
    add_test("/odp-hca/hostile/qp-attr", test_bad_qp_attr);
    add_test("/odp-hca/hostile/qp-av", test_qp_av);
    add_test("/odp-hca/hostile/doorbell-uar", test_bad_doorbell_uar);
    add_test("/odp-hca/hostile/doorbell-counter",
                   test_bad_doorbell_counter);
    add_test("/odp-hca/hostile/doorbell-backwards",
             test_bad_doorbell_backwards);
    add_test("/odp-hca/hostile/wqe", test_bad_wqe);
    add_test("/odp-hca/hostile/pte", test_bad_pte);
    add_test("/odp-hca/hostile/cq-overflow", test_cq_overflow);
    add_test("/odp-hca/hostile/cq-ci-record", test_cq_ci_record);
    add_test("/odp-hca/hostile/eq-full", test_eq_full);
    add_test("/odp-hca/hostile/registers", test_bad_registers);
    add_test("/odp-hca/hostile/cmdq-owner", test_cmdq_owner);
    add_test("/odp-hca/hostile/dma-to-self", test_dma_to_self);
    add_test("/odp-hca/hostile/msix-to-self", test_msix_to_self);
    add_test("/odp-hca/hostile/ring-pages", test_bad_ring_pages);
    add_test("/odp-hca/hostile/garbage", test_garbage);
}
