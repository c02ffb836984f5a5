/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the command queue and the life cycle of device objects.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "hw/pci/msix.h"
#include "odp-hca.h"
#include "trace.h"

/* Find a free slot at or after @first in a table of @n objects. */
#define FIND_FREE(tbl, n, first) ({                   \
    int64_t found_ = -1;                              \
    for (uint32_t i_ = (first); i_ < (n); i_++) {     \
        if (!(tbl)[i_].valid) {                       \
            found_ = i_;                              \
            break;                                    \
        }                                             \
    }                                                 \
    found_;                                           \
})

/*
 * Checks of the handlers that trace what they refuse.  Each returns
 * whether the command is refused: @bad for a handle that names no
 * object, @users for an object still in use, a @slot < 0 for a full
 * table.
 */
static bool odp_hca_bad_handle(const char *cmd, const char *kind,
                               uint32_t handle, bool bad)
{
    if (bad) {
        trace_odp_hca_err_cmd_handle(cmd, kind, handle);
    }
    return bad;
}

static bool odp_hca_busy(const char *cmd, uint32_t handle, uint32_t users)
{
    if (users) {
        trace_odp_hca_err_cmd_busy(cmd, handle, users);
    }
    return users != 0;
}

static bool odp_hca_no_slot(const char *cmd, int64_t slot, uint32_t limit)
{
    if (slot < 0) {
        trace_odp_hca_err_cmd_no_resources(cmd, limit);
    }
    return slot < 0;
}

/*
 * Command handlers: odp_hca_exec_<command>() carries out one opcode for
 * odp_hca_cmd_execute() and returns its status.  The "exec" keeps them
 * apart from the driver's and the provider's functions that issue the
 * same commands (odp_hca_create_cq() and the like).
 */
static uint8_t odp_hca_exec_query_device(OdpHcaState *s,
                                         struct odp_hca_cmd_query_device *c)
{
    struct odp_hca_caps caps = {
        .version = cpu_to_le32(ODP_HCA_VERSION),
        .flags = cpu_to_le32(ODP_HCA_CAP_ODP | ODP_HCA_CAP_IMPLICIT_ODP |
                             ODP_HCA_CAP_SRQ | ODP_HCA_CAP_UD |
                             ODP_HCA_CAP_ATOMIC | ODP_HCA_CAP_FAST_REG),
        .max_qps = cpu_to_le32(s->max_qps),
        .max_cqs = cpu_to_le32(s->max_cqs),
        .max_srqs = cpu_to_le32(s->max_srqs),
        .max_mrs = cpu_to_le32(s->max_mrs),
        .max_pds = cpu_to_le32(s->max_pds),
        .max_eqs = cpu_to_le32(s->max_eqs),
        .max_qp_wr = cpu_to_le32(s->max_qp_wr),
        .max_srq_wr = cpu_to_le32(s->max_qp_wr),
        .max_cqe = cpu_to_le32(s->max_cqe),
        .max_eqe = cpu_to_le32(s->max_eqe),
        .max_sge = cpu_to_le32(s->max_sge),
        .max_inline = cpu_to_le32(s->max_inline),
        .max_msg_size = cpu_to_le32(1u << 31),
        .max_rd_atomic = cpu_to_le32(ODP_HCA_RESP_RD_ATOMIC),
        .iotlb_entries = cpu_to_le32(s->iotlb_entries),
        .num_uars = cpu_to_le32(s->num_uars),
        .num_vectors = cpu_to_le32(s->num_vectors),
        .page_size = cpu_to_le32(ODP_HCA_PAGE_SIZE),
        .max_mtu = ODP_HCA_MTU_4096,
        .pt_levels = ODP_HCA_PT_MAX_LEVELS,
    };

    caps.max_frame = cpu_to_le32(ODP_HCA_ETH_MAX_FRAME);
    caps.max_fast_reg_pages = cpu_to_le32(ODP_HCA_FAST_REG_MAX_PAGES);
    memcpy(caps.mac, s->conf.macaddr.a, sizeof(caps.mac));
    if (pci_dma_write(PCI_DEVICE(s), le64_to_cpu(c->caps_addr), &caps,
                      sizeof(caps)) != MEMTX_OK) {
        trace_odp_hca_err_caps_dma(le64_to_cpu(c->caps_addr));
        odp_hca_guest_error(s, "QUERY_DEVICE: cannot write caps");
        return ODP_HCA_CMD_DMA_ERROR;
    }
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_eq(OdpHcaState *s,
                                      struct odp_hca_cmd_create_eq *c)
{
    int64_t eqn = FIND_FREE(s->eqs, s->max_eqs, 0);
    uint16_t vector = le16_to_cpu(c->vector);
    OdpHcaEq *eq;
    uint8_t st;

    if (odp_hca_no_slot("CREATE_EQ", eqn, s->max_eqs)) {
        return ODP_HCA_CMD_NO_RESOURCES;
    }
    if (vector >= s->num_vectors) {
        trace_odp_hca_err_eq_vector(vector, s->num_vectors);
        odp_hca_guest_error(s, "CREATE_EQ: vector %u out of range", vector);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    eq = &s->eqs[eqn];
    st = odp_hca_ring_init(s, &eq->ring, &c->ring, s->max_eqe,
                           sizeof(struct odp_hca_eqe),
                           sizeof(struct odp_hca_eqe), "CREATE_EQ");
    if (st) {
        return st;
    }
    eq->valid = true;
    eq->armed = true;
    eq->vector = vector;
    c->eqn = cpu_to_le32(eqn);
    /* Events that waited for an EQ can go now. */
    odp_hca_fault_repost(s);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_destroy_eq(OdpHcaState *s, uint32_t eqn)
{
    OdpHcaEq *eq;

    if (odp_hca_bad_handle("DESTROY_EQ", "EQ", eqn,
                           eqn >= s->max_eqs || !s->eqs[eqn].valid)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    eq = &s->eqs[eqn];
    if (odp_hca_busy("DESTROY_EQ", eqn, eq->users)) {
        return ODP_HCA_CMD_BUSY;
    }
    odp_hca_ring_forget(&eq->ring);
    memset(eq, 0, sizeof(*eq));
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_pd(OdpHcaState *s,
                                      struct odp_hca_cmd_create_pd *c)
{
    int64_t pdn = FIND_FREE(s->pds, s->max_pds, 0);

    if (odp_hca_no_slot("CREATE_PD", pdn, s->max_pds)) {
        return ODP_HCA_CMD_NO_RESOURCES;
    }
    s->pds[pdn].valid = true;
    s->pds[pdn].users = 0;
    c->pdn = cpu_to_le32(pdn);
    return ODP_HCA_CMD_OK;
}

static OdpHcaPd *odp_hca_pd_get(OdpHcaState *s, uint32_t pdn)
{
    return pdn < s->max_pds && s->pds[pdn].valid ? &s->pds[pdn] : NULL;
}

static uint8_t odp_hca_exec_destroy_pd(OdpHcaState *s, uint32_t pdn)
{
    OdpHcaPd *pd = odp_hca_pd_get(s, pdn);

    if (odp_hca_bad_handle("DESTROY_PD", "PD", pdn, !pd)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    if (odp_hca_busy("DESTROY_PD", pdn, pd->users)) {
        return ODP_HCA_CMD_BUSY;
    }
    pd->valid = false;
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_cq(OdpHcaState *s,
                                      struct odp_hca_cmd_create_cq *c)
{
    int64_t cqn = FIND_FREE(s->cqs, s->max_cqs, 0);
    uint32_t eqn = le32_to_cpu(c->eqn), uar = le32_to_cpu(c->uar);
    uint64_t ci_record = le64_to_cpu(c->ci_record);
    OdpHcaCq *cq;
    uint8_t st;

    if (odp_hca_no_slot("CREATE_CQ", cqn, s->max_cqs)) {
        return ODP_HCA_CMD_NO_RESOURCES;
    }
    if (odp_hca_bad_handle("CREATE_CQ", "EQ", eqn,
                           eqn >= s->max_eqs || !s->eqs[eqn].valid)) {
        odp_hca_guest_error(s, "CREATE_CQ: no EQ %u", eqn);
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    if (uar >= s->num_uars) {
        trace_odp_hca_err_cq_uar(uar, s->num_uars);
        odp_hca_guest_error(s, "CREATE_CQ: UAR %u out of range", uar);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (ci_record % ODP_HCA_CQ_CI_RECORD_ALIGN) {
        trace_odp_hca_err_cq_ci_record(ci_record);
        odp_hca_guest_error(s, "CREATE_CQ: consumer record at 0x%" PRIx64
                            " not aligned", ci_record);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    cq = &s->cqs[cqn];
    st = odp_hca_ring_init(s, &cq->ring, &c->ring, s->max_cqe,
                           sizeof(struct odp_hca_cqe),
                           sizeof(struct odp_hca_cqe), "CREATE_CQ");
    if (st) {
        return st;
    }
    cq->valid = true;
    cq->eqn = eqn;
    cq->uar = uar;
    cq->ci_record = ci_record;
    s->eqs[eqn].users++;
    c->cqn = cpu_to_le32(cqn);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_destroy_cq(OdpHcaState *s, uint32_t cqn)
{
    OdpHcaCq *cq;

    if (odp_hca_bad_handle("DESTROY_CQ", "CQ", cqn,
                           cqn >= s->max_cqs || !s->cqs[cqn].valid)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    cq = &s->cqs[cqn];
    if (odp_hca_busy("DESTROY_CQ", cqn, cq->users)) {
        return ODP_HCA_CMD_BUSY;
    }
    s->eqs[cq->eqn].users--;
    odp_hca_ring_forget(&cq->ring);
    memset(cq, 0, sizeof(*cq));
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_srq(OdpHcaState *s,
                                       struct odp_hca_cmd_create_srq *c)
{
    int64_t srqn = FIND_FREE(s->srqs, s->max_srqs, 0);
    uint32_t pdn = le32_to_cpu(c->pdn), uar = le32_to_cpu(c->uar);
    uint32_t max_sge = le16_to_cpu(c->max_sge);
    OdpHcaPd *pd = odp_hca_pd_get(s, pdn);
    OdpHcaSrq *srq;
    uint8_t st;

    if (odp_hca_no_slot("CREATE_SRQ", srqn, s->max_srqs)) {
        return ODP_HCA_CMD_NO_RESOURCES;
    }
    if (odp_hca_bad_handle("CREATE_SRQ", "PD", pdn, !pd)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    if (uar >= s->num_uars || max_sge < 1 || max_sge > s->max_sge) {
        trace_odp_hca_err_srq_param(uar, max_sge, s->num_uars, s->max_sge);
        odp_hca_guest_error(s, "CREATE_SRQ: uar %u / max_sge %u", uar,
                            max_sge);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    srq = &s->srqs[srqn];
    st = odp_hca_ring_init(s, &srq->ring, &c->ring, s->max_qp_wr,
                           odp_hca_rq_wqe_size(max_sge),
                           ODP_HCA_MAX_WQE_STRIDE, "CREATE_SRQ");
    if (st) {
        return st;
    }
    srq->valid = true;
    srq->pdn = pdn;
    srq->uar = uar;
    srq->max_sge = max_sge;
    srq->limit = le32_to_cpu(c->limit);
    pd->users++;
    c->srqn = cpu_to_le32(srqn);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_modify_srq(OdpHcaState *s,
                                       struct odp_hca_cmd_modify_srq *c)
{
    uint32_t srqn = le32_to_cpu(c->srqn);

    if (odp_hca_bad_handle("MODIFY_SRQ", "SRQ", srqn,
                           srqn >= s->max_srqs || !s->srqs[srqn].valid)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    s->srqs[srqn].limit = le32_to_cpu(c->limit);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_destroy_srq(OdpHcaState *s, uint32_t srqn)
{
    OdpHcaSrq *srq;

    if (odp_hca_bad_handle("DESTROY_SRQ", "SRQ", srqn,
                           srqn >= s->max_srqs || !s->srqs[srqn].valid)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    srq = &s->srqs[srqn];
    if (odp_hca_busy("DESTROY_SRQ", srqn, srq->users)) {
        return ODP_HCA_CMD_BUSY;
    }
    s->pds[srq->pdn].users--;
    odp_hca_ring_forget(&srq->ring);
    memset(srq, 0, sizeof(*srq));
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_qp(OdpHcaState *s,
                                      struct odp_hca_cmd_create_qp *c)
{
    /* QP 0 and 1 are the IB special QPs: only GSI gets 1. */
    int64_t qpn = c->type == ODP_HCA_QPT_GSI ? ODP_HCA_GSI_QPN :
                  FIND_FREE(s->qps, s->max_qps, 2);
    uint32_t pdn = le32_to_cpu(c->pdn);
    uint32_t scqn = le32_to_cpu(c->send_cqn), rcqn = le32_to_cpu(c->recv_cqn);
    uint32_t srqn = le32_to_cpu(c->srqn), uar = le32_to_cpu(c->uar);
    uint32_t min_sq_stride;
    OdpHcaPd *pd = odp_hca_pd_get(s, pdn);
    OdpHcaQp *qp;
    uint8_t st;

    if (odp_hca_no_slot("CREATE_QP", qpn, s->max_qps)) {
        return ODP_HCA_CMD_NO_RESOURCES;
    }
    if (odp_hca_bad_handle("CREATE_QP", "PD", pdn, !pd) ||
        odp_hca_bad_handle("CREATE_QP", "send CQ", scqn,
                           scqn >= s->max_cqs || !s->cqs[scqn].valid) ||
        odp_hca_bad_handle("CREATE_QP", "receive CQ", rcqn,
                           rcqn >= s->max_cqs || !s->cqs[rcqn].valid) ||
        odp_hca_bad_handle("CREATE_QP", "SRQ", srqn,
                           srqn != ODP_HCA_NO_SRQ &&
                           (srqn >= s->max_srqs || !s->srqs[srqn].valid))) {
        odp_hca_guest_error(s, "CREATE_QP: bad pd %u / cq %u,%u / srq %u",
                            pdn, scqn, rcqn, srqn);
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    if ((c->type != ODP_HCA_QPT_RC && !odp_hca_qpt_is_ud(c->type) &&
         c->type != ODP_HCA_QPT_RAW_ETH) ||
        uar >= s->num_uars || c->max_send_sge > s->max_sge ||
        c->max_recv_sge > s->max_sge ||
        le16_to_cpu(c->max_inline) > s->max_inline) {
        trace_odp_hca_err_qp_param(c->type, uar, c->max_send_sge,
                                   c->max_recv_sge,
                                   le16_to_cpu(c->max_inline));
        odp_hca_guest_error(s, "CREATE_QP: type %u uar %u sge %u/%u "
                            "inline %u", c->type, uar, c->max_send_sge,
                            c->max_recv_sge, le16_to_cpu(c->max_inline));
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (srqn != ODP_HCA_NO_SRQ && s->srqs[srqn].pdn != pdn) {
        trace_odp_hca_err_qp_srq_pd(srqn, s->srqs[srqn].pdn, pdn);
        odp_hca_guest_error(s, "CREATE_QP: SRQ %u of another PD", srqn);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (c->type == ODP_HCA_QPT_RAW_ETH && s->raw_qpn) {
        /* The port has one RAW_ETH QP: frames have one place to go. */
        trace_odp_hca_err_qp_raw_busy(s->raw_qpn);
        odp_hca_guest_error(s, "CREATE_QP: RAW_ETH QP %u exists already",
                            s->raw_qpn);
        return ODP_HCA_CMD_BUSY;
    }

    if (c->type == ODP_HCA_QPT_GSI && s->qps[qpn].valid) {
        /* One GSI QP a port: the CM's datagrams have one place to go. */
        trace_odp_hca_err_qp_gsi_busy();
        odp_hca_guest_error(s, "CREATE_QP: the GSI QP exists already");
        return ODP_HCA_CMD_BUSY;
    }

    qp = &s->qps[qpn];
    memset(qp, 0, sizeof(*qp));
    min_sq_stride = odp_hca_sq_wqe_size(odp_hca_qpt_is_ud(c->type),
                                        c->max_send_sge,
                                        le16_to_cpu(c->max_inline));
    st = odp_hca_ring_init(s, &qp->sq, &c->sq, s->max_qp_wr, min_sq_stride,
                           ODP_HCA_MAX_WQE_STRIDE, "CREATE_QP SQ");
    if (st) {
        return st;
    }
    if (srqn == ODP_HCA_NO_SRQ) {
        st = odp_hca_ring_init(s, &qp->rq, &c->rq, s->max_qp_wr,
                               odp_hca_rq_wqe_size(c->max_recv_sge),
                               ODP_HCA_MAX_WQE_STRIDE, "CREATE_QP RQ");
        if (st) {
            odp_hca_ring_forget(&qp->sq);
            return st;
        }
    }

    qp->valid = true;
    qp->qpn = qpn;
    qp->type = c->type;
    qp->tally.since_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    qp->state = ODP_HCA_QPS_RESET;
    qp->pdn = pdn;
    qp->send_cqn = scqn;
    qp->recv_cqn = rcqn;
    qp->srqn = srqn;
    qp->uar = uar;
    qp->sq_sig_all = c->sq_sig_all;
    qp->max_send_sge = c->max_send_sge;
    qp->max_recv_sge = c->max_recv_sge;
    qp->max_inline = le16_to_cpu(c->max_inline);
    if (c->type == ODP_HCA_QPT_GSI) {
        qp->qkey = ODP_HCA_GSI_QKEY;
    }
    pd->users++;
    s->cqs[scqn].users++;
    s->cqs[rcqn].users++;
    if (srqn != ODP_HCA_NO_SRQ) {
        s->srqs[srqn].users++;
    }
    if (c->type == ODP_HCA_QPT_RAW_ETH) {
        s->raw_qpn = qpn;
    }
    c->qpn = cpu_to_le32(qpn);
    return ODP_HCA_CMD_OK;
}

/* The monitor keeps what a QP did after it is gone. */
static void odp_hca_qp_remember(OdpHcaState *s, const OdpHcaQp *qp)
{
    OdpHcaQpGone *g = &s->qp_gone[s->qp_gone_count++ % ODP_HCA_QP_GONE_KEPT];

    g->qpn = qp->qpn;
    g->type = qp->type;
    g->tally = qp->tally;
    g->gone_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void odp_hca_qp_release(OdpHcaState *s, OdpHcaQp *qp)
{
    odp_hca_qp_remember(s, qp);
    odp_hca_qp_fini(s, qp);
    if (s->raw_qpn == qp->qpn) {
        s->raw_qpn = 0;
    }
    s->pds[qp->pdn].users--;
    s->cqs[qp->send_cqn].users--;
    s->cqs[qp->recv_cqn].users--;
    if (qp->srqn != ODP_HCA_NO_SRQ) {
        s->srqs[qp->srqn].users--;
    }
    odp_hca_ring_forget(&qp->sq);
    odp_hca_ring_forget(&qp->rq);
    memset(qp, 0, sizeof(*qp));
}

static uint8_t odp_hca_exec_destroy_qp(OdpHcaState *s, uint32_t qpn)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, qpn);

    if (odp_hca_bad_handle("DESTROY_QP", "QP", qpn, !qp)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    odp_hca_qp_release(s, qp);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_modify_qp(OdpHcaState *s,
                                      struct odp_hca_cmd_modify_qp *c)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, le32_to_cpu(c->qpn));

    if (odp_hca_bad_handle("MODIFY_QP", "QP", le32_to_cpu(c->qpn), !qp)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    return odp_hca_qp_modify(s, qp, c);
}

static uint8_t odp_hca_exec_query_qp(OdpHcaState *s,
                                     struct odp_hca_cmd_modify_qp *c)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, le32_to_cpu(c->qpn));

    if (odp_hca_bad_handle("QUERY_QP", "QP", le32_to_cpu(c->qpn), !qp)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    odp_hca_qp_query(qp, c);
    return ODP_HCA_CMD_OK;
}

/* CREATE_MR of an untranslated MR: no table to check. */
static uint8_t odp_hca_create_mr_physical(OdpHcaState *s,
                                          struct odp_hca_cmd_create_mr *c,
                                          OdpHcaPd *pd)
{
    uint32_t key = le32_to_cpu(c->key), access = le32_to_cpu(c->access);
    uint64_t iova = le64_to_cpu(c->iova), len = le64_to_cpu(c->length);
    OdpHcaMr *mr;

    if (c->flags != ODP_HCA_MR_F_PHYSICAL || iova != 0 || len == 0 ||
        (access & ~ODP_HCA_ACCESS_MASK)) {
        trace_odp_hca_err_mr_physical(c->flags, iova, len, access);
        odp_hca_guest_error(s, "CREATE_MR: untranslated MR with flags 0x%x "
                            "iova 0x%" PRIx64 " length 0x%" PRIx64
                            " access 0x%x", c->flags, iova, len, access);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    mr = &s->mrs[ODP_HCA_KEY_INDEX(key)];
    memset(mr, 0, sizeof(*mr));
    mr->valid = true;
    mr->key = key;
    mr->pdn = le32_to_cpu(c->pdn);
    mr->access = access;
    mr->length = len;
    mr->flags = c->flags;
    pd->users++;
    odp_hca_tlb_invalidate(s, key, 0, 0, false);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_create_mr(OdpHcaState *s,
                                      struct odp_hca_cmd_create_mr *c)
{
    uint32_t key = le32_to_cpu(c->key), idx = ODP_HCA_KEY_INDEX(key);
    uint32_t pdn = le32_to_cpu(c->pdn), access = le32_to_cpu(c->access);
    uint64_t iova = le64_to_cpu(c->iova), len = le64_to_cpu(c->length);
    uint64_t table = le64_to_cpu(c->table), pages;
    OdpHcaPd *pd = odp_hca_pd_get(s, pdn);
    OdpHcaMr *mr;

    if (odp_hca_bad_handle("CREATE_MR", "PD", pdn, !pd)) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    if (idx >= s->max_mrs || s->mrs[idx].valid) {
        trace_odp_hca_err_mr_key(key, s->max_mrs, idx < s->max_mrs);
        odp_hca_guest_error(s, "CREATE_MR: key 0x%x index unusable", key);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (c->flags & ODP_HCA_MR_F_PHYSICAL) {
        return odp_hca_create_mr_physical(s, c, pd);
    }
    if (c->flags == ODP_HCA_MR_F_FAST_REG) {
        /* Free until a REG_MR: nothing else of the command applies. */
        mr = &s->mrs[idx];
        *mr = (OdpHcaMr) {
            .valid = true, .free = true, .key = key, .pdn = pdn,
            .levels = 1, .flags = c->flags,
        };
        pd->users++;
        odp_hca_tlb_invalidate(s, key, 0, 0, false);
        return ODP_HCA_CMD_OK;
    }
    if (c->levels < 1 || c->levels > ODP_HCA_PT_MAX_LEVELS ||
        (table & (ODP_HCA_PAGE_SIZE - 1)) ||
        (c->flags & ~(ODP_HCA_MR_F_ON_DEMAND | ODP_HCA_MR_F_IMPLICIT)) ||
        (access & ~ODP_HCA_ACCESS_MASK)) {
        trace_odp_hca_err_mr_param(c->levels, table, c->flags, access);
        odp_hca_guest_error(s, "CREATE_MR: levels %u table 0x%" PRIx64
                            " flags 0x%x access 0x%x", c->levels, table,
                            c->flags, access);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (c->flags & ODP_HCA_MR_F_IMPLICIT) {
        if (!(c->flags & ODP_HCA_MR_F_ON_DEMAND) || iova != 0 ||
            c->levels != ODP_HCA_PT_MAX_LEVELS) {
            trace_odp_hca_err_mr_implicit(c->flags, iova, c->levels);
            odp_hca_guest_error(s, "CREATE_MR: implicit MR needs on-demand, "
                                "iova 0 and %u levels", ODP_HCA_PT_MAX_LEVELS);
            return ODP_HCA_CMD_BAD_PARAM;
        }
        len = 1ull << 48;
    } else {
        if (len == 0 || iova + len < iova) {
            trace_odp_hca_err_mr_range(iova, len);
            odp_hca_guest_error(s, "CREATE_MR: bad range 0x%" PRIx64
                                "+0x%" PRIx64, iova, len);
            return ODP_HCA_CMD_BAD_PARAM;
        }
        pages = odp_hca_mr_pages(iova, len);
        if (pages > 1ull << (ODP_HCA_PT_LEVEL_BITS * c->levels)) {
            trace_odp_hca_err_mr_levels(pages, c->levels);
            odp_hca_guest_error(s, "CREATE_MR: %" PRIu64 " pages do not fit "
                                "%u levels", pages, c->levels);
            return ODP_HCA_CMD_BAD_PARAM;
        }
    }

    mr = &s->mrs[idx];
    mr->valid = true;
    mr->key = key;
    mr->pdn = pdn;
    mr->access = access;
    mr->iova = iova;
    mr->length = len;
    mr->table = table;
    mr->levels = c->levels;
    mr->flags = c->flags;
    pd->users++;
    /* A previous MR with this index may have left cached entries. */
    odp_hca_tlb_invalidate(s, key, 0, 0, false);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_destroy_mr(OdpHcaState *s, uint32_t key)
{
    uint32_t idx = ODP_HCA_KEY_INDEX(key);
    OdpHcaMr *mr;

    /*
     * A fast-reg MR's key changes with each REG_MR, which software may
     * not see complete (unsignalled, or failed): any variant names it.
     */
    if (odp_hca_bad_handle("DESTROY_MR", "MR with key", key,
                           idx >= s->max_mrs || !s->mrs[idx].valid ||
                           (s->mrs[idx].key != key &&
                            !(s->mrs[idx].flags & ODP_HCA_MR_F_FAST_REG)))) {
        return ODP_HCA_CMD_BAD_HANDLE;
    }
    mr = &s->mrs[idx];
    odp_hca_tlb_invalidate(s, mr->key, 0, 0, false);
    s->pds[mr->pdn].users--;
    memset(mr, 0, sizeof(*mr));
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_exec_invalidate(OdpHcaState *s,
                                       struct odp_hca_cmd_invalidate *c)
{
    uint32_t flags = le32_to_cpu(c->flags);
    uint64_t iova = le64_to_cpu(c->iova), len = le64_to_cpu(c->length);
    uint32_t key = le32_to_cpu(c->key), n;

    if (flags & ~ODP_HCA_INV_F_ALL) {
        trace_odp_hca_err_inval_flags(flags);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    /*
     * Every device access translates through the cache at the moment it
     * moves bytes and finishes within the bottom half that started it,
     * so once the entries are gone nothing can reach the old pages: the
     * barrier holds when this returns.
     */
    n = odp_hca_tlb_invalidate(s, key, iova, len, flags & ODP_HCA_INV_F_ALL);
    s->stats.invalidations++;
    s->stats.entries_invalidated += n;
    trace_odp_hca_invalidate(key, iova, len, n);
    c->entries = cpu_to_le32(n);
    return ODP_HCA_CMD_OK;
}

static uint8_t odp_hca_cmd_execute(OdpHcaState *s, struct odp_hca_cmd *cmd)
{
    uint32_t handle = le32_to_cpu(cmd->destroy.handle);

    switch (cmd->opcode) {
    case ODP_HCA_CMD_NOP:
        return ODP_HCA_CMD_OK;
    case ODP_HCA_CMD_QUERY_DEVICE:
        return odp_hca_exec_query_device(s, &cmd->query_device);
    case ODP_HCA_CMD_CREATE_EQ:
        return odp_hca_exec_create_eq(s, &cmd->create_eq);
    case ODP_HCA_CMD_DESTROY_EQ:
        return odp_hca_exec_destroy_eq(s, handle);
    case ODP_HCA_CMD_CREATE_PD:
        return odp_hca_exec_create_pd(s, &cmd->create_pd);
    case ODP_HCA_CMD_DESTROY_PD:
        return odp_hca_exec_destroy_pd(s, handle);
    case ODP_HCA_CMD_CREATE_CQ:
        return odp_hca_exec_create_cq(s, &cmd->create_cq);
    case ODP_HCA_CMD_DESTROY_CQ:
        return odp_hca_exec_destroy_cq(s, handle);
    case ODP_HCA_CMD_CREATE_SRQ:
        return odp_hca_exec_create_srq(s, &cmd->create_srq);
    case ODP_HCA_CMD_MODIFY_SRQ:
        return odp_hca_exec_modify_srq(s, &cmd->modify_srq);
    case ODP_HCA_CMD_DESTROY_SRQ:
        return odp_hca_exec_destroy_srq(s, handle);
    case ODP_HCA_CMD_CREATE_QP:
        return odp_hca_exec_create_qp(s, &cmd->create_qp);
    case ODP_HCA_CMD_MODIFY_QP:
        return odp_hca_exec_modify_qp(s, &cmd->modify_qp);
    case ODP_HCA_CMD_QUERY_QP:
        return odp_hca_exec_query_qp(s, &cmd->modify_qp);
    case ODP_HCA_CMD_DESTROY_QP:
        return odp_hca_exec_destroy_qp(s, handle);
    case ODP_HCA_CMD_CREATE_MR:
        return odp_hca_exec_create_mr(s, &cmd->create_mr);
    case ODP_HCA_CMD_DESTROY_MR:
        return odp_hca_exec_destroy_mr(s, handle);
    case ODP_HCA_CMD_INVALIDATE:
        return odp_hca_exec_invalidate(s, &cmd->invalidate);
    case ODP_HCA_CMD_RESUME:
        return odp_hca_exec_resume(s, le32_to_cpu(cmd->resume.token),
                                   le32_to_cpu(cmd->resume.status));
    default:
        trace_odp_hca_err_cmd_opcode(cmd->opcode);
        odp_hca_guest_error(s, "unknown command opcode 0x%x", cmd->opcode);
        return ODP_HCA_CMD_BAD_OPCODE;
    }
}

void odp_hca_cmd_doorbell(OdpHcaState *s)
{
    if (s->status & ODP_HCA_STATUS_READY) {
        qemu_bh_schedule(s->cmd_bh);
    } else {
        trace_odp_hca_err_cmdq_disabled(s->cmdq_pi);
        odp_hca_guest_error(s, "command doorbell while not enabled");
    }
}

static void odp_hca_cmd_fatal(OdpHcaState *s, dma_addr_t addr)
{
    trace_odp_hca_err_cmdq_dma(addr);
    odp_hca_guest_error(s, "command queue entry at 0x%" PRIx64
                        " not accessible: device stops", (uint64_t)addr);
    s->status |= ODP_HCA_STATUS_FATAL;
    s->status &= ~ODP_HCA_STATUS_READY;
}

static void odp_hca_cmd_run(OdpHcaState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool intr = false;

    for (int n = 0; n < ODP_HCA_CMD_BUDGET; n++) {
        struct odp_hca_cmd cmd;
        dma_addr_t addr;

        if (!(s->status & ODP_HCA_STATUS_READY) ||
            s->cmdq_ci == s->cmdq_pi || odp_hca_quiescing(s)) {
            goto out;
        }
        /* the ring's size was checked when READY was set */
        addr = s->cmdq_base +
               (s->cmdq_ci & ((1u << s->cmdq_log_size) - 1)) *
               sizeof(struct odp_hca_cmd);
        if (pci_dma_read(pdev, addr, &cmd, sizeof(cmd)) != MEMTX_OK) {
            odp_hca_cmd_fatal(s, addr);
            goto out;
        }
        if (cmd.owner != ODP_HCA_CMD_OWNER_HW) {
            /* The driver rang before handing the entry over: wait. */
            trace_odp_hca_err_cmd_owner(s->cmdq_ci);
            odp_hca_guest_error(s, "command %u not owned by the device",
                                s->cmdq_ci);
            goto out;
        }

        trace_odp_hca_cmd(s->cmdq_ci, cmd.opcode);
        if (cmd.opcode < ODP_HCA_CMD_MAX) {
            s->stats.cmds[cmd.opcode]++;
        }
        /* What the command may let the guest take back is read first. */
        odp_hca_link_unmap_all(s);
        cmd.status = odp_hca_cmd_execute(s, &cmd);
        if (odp_hca_quiescing(s)) {
            /* the command reset the device: its entry is no more ours */
            goto out;
        }
        if (cmd.status != ODP_HCA_CMD_OK) {
            s->stats.cmd_errors++;
            qemu_log_mask(LOG_GUEST_ERROR, "odp-hca: command %u (opcode "
                          "0x%x) failed with status %u\n", s->cmdq_ci,
                          cmd.opcode, cmd.status);
        }
        trace_odp_hca_cmd_done(s->cmdq_ci, cmd.opcode, cmd.status);
        if (cmd.flags & ODP_HCA_CMD_F_INTR) {
            intr = true;
        }

        /* Outputs and status first, the owner byte last. */
        if (!odp_hca_ring_publish(s, addr, &cmd, sizeof(cmd),
                                  offsetof(struct odp_hca_cmd, owner),
                                  ODP_HCA_CMD_OWNER_SW)) {
            odp_hca_cmd_fatal(s, addr);
            goto out;
        }
        s->cmdq_ci = (s->cmdq_ci + 1) & 0xffff;
    }
    /* Budget spent: let the main loop breathe, then go on. */
    qemu_bh_schedule(s->cmd_bh);
out:
    if (intr && msix_enabled(pdev)) {
        msix_notify(pdev, 0);
    }
}

void odp_hca_cmd_bh(void *opaque)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    odp_hca_cmd_run(s);
    odp_hca_leave(s);
}

void odp_hca_objects_destroy_all(OdpHcaState *s)
{
    if (!s->qps) {
        return;
    }
    for (uint32_t i = 0; i < s->max_qps; i++) {
        if (s->qps[i].valid) {
            odp_hca_qp_release(s, &s->qps[i]);
        }
    }
    for (uint32_t i = 0; i < s->max_srqs; i++) {
        odp_hca_ring_forget(&s->srqs[i].ring);
    }
    for (uint32_t i = 0; i < s->max_cqs; i++) {
        odp_hca_ring_forget(&s->cqs[i].ring);
    }
    for (uint32_t i = 0; i < s->max_eqs; i++) {
        odp_hca_ring_forget(&s->eqs[i].ring);
    }
    memset(s->srqs, 0, s->max_srqs * sizeof(*s->srqs));
    memset(s->cqs, 0, s->max_cqs * sizeof(*s->cqs));
    memset(s->eqs, 0, s->max_eqs * sizeof(*s->eqs));
    memset(s->pds, 0, s->max_pds * sizeof(*s->pds));
    memset(s->mrs, 0, s->max_mrs * sizeof(*s->mrs));
    QTAILQ_INIT(&s->run_list);
}
