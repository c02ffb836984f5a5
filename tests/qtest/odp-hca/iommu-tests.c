/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/iommu/.
 *
 * The device behind QEMU's intel-iommu in translating mode (vtd.h): the
 * test maps a window of bus addresses onto guest pages, has the device
 * use them, then takes the translation away and checks that the device
 * does not use it afterwards: neither its IOTLB nor a looped-back frame
 * that kept its payload mapped, and a DMA through the removed
 * translation ends in an error completion and an IOMMU fault, not in
 * the page behind it.
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "vtd.h"

#define IOMMU_LEN   200

/* A device behind a translating intel-iommu, and an RC pair on it. */
typedef struct IommuT {
    T *t;
    Vtd v;
    Pair p;
} IommuT;

static T *iommu_new(IommuT *x, const char *opts)
{
    g_autofree char *args = g_strdup_printf(VTD_ARGS "-device odp-hca,id=hca0%s",
                                            opts ? opts : "");

    x->t = t_new_args(args, -1);
    vtd_enable(&x->v, x->t);
    pair_new(x->t, &x->p);
    return x->t;
}

/* An on-demand MR over one page, mapped through window page @index. */
static Buf *iommu_buf(T *t, Vtd *v, uint32_t index, uint32_t access)
{
    Buf *b = buf_odp(t, ODP_HCA_PAGE_SIZE, access);

    vtd_map(v, index, b->m->pages[0], true);
    odp_mr_map_page(t->h, b->mr, b->iova, vtd_window(index), true);
    return b;
}

static uint64_t iommu_hairpin_mapped(T *t)
{
    QDict *port = odp_port_query(t);
    QDict *roce = qdict_get_qdict(port, "roce");
    uint64_t v;

    g_assert_nonnull(roce);
    v = qdict_get_int(roce, "hairpin-mapped");
    qobject_unref(port);
    return v;
}

/*
 * A WRITE lands through the window; the IOMMU unmaps the page: the
 * device drops the IOTLB entry it had for it, and the next WRITE there
 * fails at the IOMMU: an error completion, the page untouched.
 */
static void test_iommu_unmapped(void)
{
    uint8_t e[IOMMU_LEN];
    g_autofree uint8_t *d = NULL;
    struct odp_hca_cqe c;
    uint64_t unmaps;
    Buf *src, *dst;
    IommuT x;
    T *t;

    t = iommu_new(&x, NULL);
    src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = iommu_buf(t, &x.v, 0, ACC_ALL);
    buf_fill(t, dst, 0);
    d = buf_pattern(t, src, 61);
    send1(t, x.p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, IOMMU_LEN, src->key,
          dst->iova + 100, dst->key);
    wait_cqe(t, x.p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             x.p.a->qpn);
    buf_check(t, dst, 100, d, IOMMU_LEN, "WRITE through the IOMMU");
    g_assert_false(vtd_fault_pending(&x.v));

    unmaps = odp_counter(t, "iommu-unmaps");
    g_assert_cmpuint(unmaps, >=, 1);        /* vtd_map's invalidation */
    g_assert_cmpuint(odp_counter(t, "iommu-entries-dropped"), ==, 0);
    vtd_unmap(&x.v, 0);
    g_assert_cmpuint(odp_counter(t, "iommu-unmaps"), ==, unmaps + 1);
    /* the WRITE's translation of dst, and nothing else */
    g_assert_cmpuint(odp_counter(t, "iommu-entries-dropped"), ==, 1);

    odp_pattern(e, sizeof(e), 62);
    buf_write(t, src, 0, e, sizeof(e));
    send1(t, x.p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova, IOMMU_LEN, src->key,
          dst->iova + 100, dst->key);
    wait_cqe(t, x.p.cqa, &c, 2, ODP_HCA_WC_REM_ACCESS_ERR,
             ODP_HCA_CQE_RDMA_WRITE, x.p.a->qpn);
    buf_check(t, dst, 100, d, IOMMU_LEN, "no WRITE after the unmap");
    g_assert_true(vtd_fault_pending(&x.v));
    /* the broken QP fails alone */
    check_fresh_pair_works(t, 63);
    t_free(t);
}

/*
 * A MR whose page the IOMMU never mapped: the requester's read of it
 * fails, nothing is sent, the guest's memory behind the window stays.
 */
static void test_iommu_never_mapped(void)
{
    struct odp_hca_cqe c;
    Buf *src, *dst;
    IommuT x;
    T *t;

    t = iommu_new(&x, NULL);
    src = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    /* window page 5 stays empty; the MR's translation points at it */
    odp_mr_map_page(t->h, src->mr, src->iova, vtd_window(5), true);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_fill(t, dst, 0xaa);
    send1(t, x.p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, IOMMU_LEN, src->key,
          dst->iova, dst->key);
    wait_cqe(t, x.p.cqa, &c, 1, ODP_HCA_WC_LOC_PROT_ERR,
             ODP_HCA_CQE_RDMA_WRITE, x.p.a->qpn);
    buf_check_fill(t, dst, 0, 0xaa, ODP_HCA_PAGE_SIZE, "nothing sent");
    g_assert_true(vtd_fault_pending(&x.v));
    g_assert_cmpuint(qp_state(t, x.p.b), ==, ODP_HCA_QPS_RTS);
    t_free(t);
}

/*
 * A looped-back WRITE keeps its payload mapped while the responder
 * stalls on a fault (stall policy).  The IOMMU unmaps the source page
 * and the guest then reuses it: the WRITE, resumed, delivers the bytes
 * the page held while it was mapped, not what the guest put there after
 * the unmap.
 */
static void test_iommu_mapped_frame(void)
{
    uint8_t e[IOMMU_LEN];
    g_autofree uint8_t *d = NULL;
    struct odp_hca_cqe c;
    uint64_t unmaps;
    uint32_t token;
    Buf *src, *dst;
    IommuT x;
    T *t;

    t = iommu_new(&x, ",responder-fault=stall");
    src = iommu_buf(t, &x.v, 3, ACC_ALL);
    dst = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    d = buf_pattern(t, src, 64);
    buf_fill(t, dst, 0);
    send1(t, x.p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova + 8, IOMMU_LEN,
          src->key, dst->iova, dst->key);
    token = wait_fault(t, x.p.b->qpn, dst->key, dst->iova, IOMMU_LEN,
                       ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    /* the frame waits with its payload mapped, not copied */
    g_assert_cmpuint(iommu_hairpin_mapped(t), ==, 1);

    unmaps = odp_counter(t, "iommu-unmaps");
    vtd_unmap(&x.v, 3);
    g_assert_cmpuint(odp_counter(t, "iommu-unmaps"), ==, unmaps + 1);
    odp_pattern(e, sizeof(e), 65);
    buf_write(t, src, 8, e, sizeof(e));

    buf_map(t, dst, dst->iova, ODP_HCA_PAGE_SIZE, true);
    resume_ok(t, token);
    wait_cqe(t, x.p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             x.p.a->qpn);
    buf_check(t, dst, 0, d + 8, IOMMU_LEN, "bytes as mapped before the unmap");
    g_assert_false(vtd_fault_pending(&x.v));
    t_free(t);
}

void odp_hca_add_iommu_tests(void)
{
    add_test("/odp-hca/iommu/unmapped", test_iommu_unmapped);
    add_test("/odp-hca/iommu/never-mapped", test_iommu_never_mapped);
    add_test("/odp-hca/iommu/mapped-frame", test_iommu_mapped_frame);
}
