/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/invalidate/.
 *
 * INVALIDATE: of pinned and on-demand MRs, of everything, bounded by the
 * IOTLB size, and over huge or wrapping ranges.
 */

#include "qemu/osdep.h"
#include "framework.h"

static void test_inval_pinned(void)
{
    T *t = t_new(NULL);
    Buf *src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 29);
    uint64_t old0 = dst->m->pages[0], old1 = dst->m->pages[1];
    uint64_t new0 = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint64_t new1 = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint64_t news = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint8_t got[16], z[16] = { 0 }, sdata[16];
    Pair p;

    pair_new(t, &p);
    /* cache dst pages 0 and 1, src page 0 */
    write_and_wait(t, &p, 1, src, 0, 16, dst, 64);
    write_and_wait(t, &p, 2, src, 16, 16, dst, ODP_HCA_PAGE_SIZE + 64);

    /* repoint both dst leaves without INVALIDATE: the cache still wins */
    odp_mr_map_page(t->h, dst->mr, dst->iova, new0, true);
    odp_mr_map_page(t->h, dst->mr, dst->iova + ODP_HCA_PAGE_SIZE, new1, true);
    write_and_wait(t, &p, 3, src, 32, 16, dst, 64);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 32, 16);
    odp_read(t->h, new0 + 64, got, 16);
    g_assert_cmpmem(got, 16, z, 16);

    /* invalidate page 1 only: exactly one entry */
    g_assert_cmpuint(inval(t, dst, ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE), ==,
                     1);
    g_assert_cmpuint(inval(t, dst, ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE), ==,
                     0);
    write_and_wait(t, &p, 4, src, 48, 16, dst, ODP_HCA_PAGE_SIZE + 64);
    odp_read(t->h, new1 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 48, 16);
    odp_read(t->h, old1 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 16, 16);
    /* page 0 still cached */
    write_and_wait(t, &p, 5, src, 64, 16, dst, 64);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 64, 16);

    g_assert_cmpuint(inval(t, dst, 0, ODP_HCA_PAGE_SIZE), ==, 1);
    /* of pages 0 and 1, only page 1 is still cached */
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_HCA_PAGE_SIZE), ==, 1);
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_HCA_PAGE_SIZE), ==, 0);
    write_and_wait(t, &p, 6, src, 80, 16, dst, 64);
    odp_read(t->h, new0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 80, 16);
    odp_read(t->h, old0 + 64, got, 16);
    g_assert_cmpmem(got, 16, data + 64, 16);

    /* the local side: a repointed source page */
    odp_pattern(sdata, sizeof(sdata), 30);
    odp_write(t->h, news, sdata, sizeof(sdata));
    odp_mr_map_page(t->h, src->mr, src->iova, news, true);
    write_and_wait(t, &p, 7, src, 0, 16, dst, 128);
    odp_read(t->h, new0 + 128, got, 16);
    g_assert_cmpmem(got, 16, data, 16);        /* cached old source */
    g_assert_cmpuint(inval(t, src, 0, ODP_HCA_PAGE_SIZE), ==, 1);
    write_and_wait(t, &p, 8, src, 0, 16, dst, 128);
    odp_read(t->h, new0 + 128, got, 16);
    g_assert_cmpmem(got, 16, sdata, 16);
    t_free(t);
}

static void test_inval_odp(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    Buf *dst = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE,
                       ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    Buf *pin = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, pin, 31);
    g_autofree uint8_t *sdata = buf_pattern(t, src, 32);
    uint64_t newpg = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint8_t got[32];
    uint32_t token;
    Pair p;

    pair_new(t, &p);
    buf_map(t, dst, dst->iova, ODP_HCA_PAGE_SIZE, true);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 32, pin->key,
          dst->iova + 8, dst->key);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    eq_quiet(t);

    /* the mmu-notifier flow: zap the entry, INVALIDATE, next use faults */
    odp_mr_unmap_page(t->h, dst->mr, dst->iova);
    g_assert_cmpuint(inval(t, dst, 0, 2 * ODP_HCA_PAGE_SIZE), ==, 1);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, pin->iova + 100, 32, pin->key,
          dst->iova + 8, dst->key);
    token = wait_fault(t, p.b->qpn, dst->key, dst->iova + 8, 32,
                       2 * ODP_HCA_PAGE_SIZE - 8, ODP_HCA_FAULT_WRITE,
                       ODP_HCA_FAULT_RESPONDER, -1);
    odp_mr_map_page(t->h, dst->mr, dst->iova, newpg, true);
    resume_ok(t, token);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, RNR_STEP, RNR_STEPS);
    odp_read(t->h, newpg + 8, got, 32);
    g_assert_cmpmem(got, 32, data + 100, 32);
    odp_read(t->h, dst->m->pages[0] + 8, got, 32);
    g_assert_cmpmem(got, 32, data, 32);

    /* requester side */
    buf_map(t, src, src->iova, ODP_HCA_PAGE_SIZE, false);
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 32, src->key,
          pin->iova + 2048, pin->key);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, pin, 2048, sdata, 32, "WRITE from a mapped ODP MR");
    odp_mr_unmap_page(t->h, src->mr, src->iova);
    g_assert_cmpuint(inval(t, src, 0, ODP_HCA_PAGE_SIZE), ==, 1);
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 32, src->key,
          pin->iova + 2048, pin->key);
    token = wait_fault(t, p.a->qpn, src->key, src->iova, 32, ODP_HCA_PAGE_SIZE,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, 3);
    quiet(t, p.cqa);
    buf_map(t, src, src->iova, ODP_HCA_PAGE_SIZE, false);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    t_free(t);
}

/* INVALIDATE ALL; DESTROY_MR drops the key's entries. */
static void test_inval_all_destroy(void)
{
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 33);
    uint64_t newpg = odp_alloc(t->h, ODP_HCA_PAGE_SIZE);
    uint32_t n;
    uint8_t got[16];
    OdpMr *again;
    Pair p;

    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 16, dst, 0);
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpuint(inval(t, src, 0, ODP_HCA_PAGE_SIZE), ==, 0);
    g_assert_cmpuint(inval(t, dst, 0, ODP_HCA_PAGE_SIZE), ==, 0);
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 0);

    /* cache dst, destroy it, re-create the same key on another page */
    write_and_wait(t, &p, 2, src, 16, 16, dst, 0);
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, dst->key), ==,
                     ODP_HCA_CMD_OK);
    again = odp_mr_prepare(t->h, t->pd, dst->iova, ODP_HCA_PAGE_SIZE, 1,
                           ACC_ALL, 0);
    again->key = dst->key;
    odp_mr_map_page(t->h, again, dst->iova, newpg, true);
    g_assert_cmpuint(odp_mr_register(t->h, again), ==, ODP_HCA_CMD_OK);
    write_and_wait(t, &p, 3, src, 32, 16, dst, 0);
    odp_read(t->h, newpg, got, 16);
    g_assert_cmpmem(got, 16, data + 32, 16);
    odp_read(t->h, dst->m->pages[0], got, 16);
    g_assert_cmpmem(got, 16, data + 16, 16);

    /* a destroyed key is gone */
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_MR, dst->key), ==,
                     ODP_HCA_CMD_OK);
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, src->iova, 16, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_REM_ACCESS_ERR, -1, p.a->qpn);
    t_free(t);
}

/* iotlb-entries bounds what INVALIDATE can find cached. */
static void test_inval_iotlb_size(void)
{
    T *t = t_new("iotlb-entries=4");
    Buf *src = buf_pinned(t, 8 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, 8 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    g_autofree uint8_t *data = buf_pattern(t, src, 34);
    uint32_t n;
    Pair p;

    g_assert_cmpuint(t->h->caps.iotlb_entries, ==, 4);
    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 8 * ODP_HCA_PAGE_SIZE, dst, 0);
    buf_check(t, dst, 0, data, 8 * ODP_HCA_PAGE_SIZE,
              "WRITE through a small IOTLB");
    g_assert_cmpuint(odp_invalidate(t->h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpuint(n, <=, 4);
    t_free(t);
}

/* Huge and wrapping INVALIDATE ranges complete promptly. */
static void test_invalidate_ranges(void)
{
    T *t = t_new(NULL);
    OdpMr *imr = odp_mr_new_implicit(t->h, t->pd, ACC_ALL);
    Buf *src = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    uint32_t n;
    uint8_t st;
    Pair p;

    pair_new(t, &p);
    write_and_wait(t, &p, 1, src, 0, 16, dst, 0);
    /* the whole 64-bit space of one key, through the implicit MR too */
    g_assert_cmpuint(odp_invalidate(t->h, dst->key, 0, UINT64_MAX, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(odp_invalidate(t->h, imr->key, 0, 1ull << 48, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpuint(odp_invalidate(t->h, imr->key, 0, UINT64_MAX, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    /* a range that wraps: refused or clamped, but answered */
    st = odp_invalidate(t->h, src->key, UINT64_MAX - 4095, 1ull << 40, 0,
                        &n);
    g_assert_true(st == ODP_HCA_CMD_OK || st == ODP_HCA_CMD_BAD_PARAM);
    g_assert_cmpuint(odp_nop(t->h), ==, ODP_HCA_CMD_OK);
    write_and_wait(t, &p, 2, src, 0, 16, dst, 0);
    t_free(t);
}

void odp_hca_add_invalidate_tests(void)
{
    add_test("/odp-hca/invalidate/pinned", test_inval_pinned);
    add_test("/odp-hca/invalidate/odp", test_inval_odp);
    add_test("/odp-hca/invalidate/all-destroy", test_inval_all_destroy);
    add_test("/odp-hca/invalidate/iotlb-size", test_inval_iotlb_size);
    add_test("/odp-hca/invalidate/ranges", test_invalidate_ranges);
}
