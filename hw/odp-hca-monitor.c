/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the monitor's view: query-odp-hca (the port and its RoCEv2
 * counters included), odp-hca-reset-stats, odp-hca-inject-faults,
 * odp-hca-flush-iotlb, odp-hca-set-link-impairment (and its HMP twin)
 * and HMP "info odp-hca".
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-odp-hca.h"
#include "qapi/qapi-visit-odp-hca.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "qom/object.h"
#include "hw/qdev-core.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "odp-hca.h"

static int odp_hca_collect(Object *obj, void *opaque)
{
    GSList **list = opaque;

    if (object_dynamic_cast(obj, TYPE_ODP_HCA)) {
        *list = g_slist_append(*list, obj);
    }
    return 0;
}

/* The devices @id names, or all of them; NULL with @errp set on error. */
static GSList *odp_hca_find(const char *id, Error **errp)
{
    GSList *list = NULL;
    Object *obj;

    if (!id) {
        object_child_foreach_recursive(object_get_root(), odp_hca_collect,
                                       &list);
        return list;
    }
    obj = object_resolve_path(id, NULL);
    if (!obj) {
        obj = object_resolve_path_component(
            object_resolve_path("/machine/peripheral", NULL), id);
    }
    if (!obj) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Device '%s' not found", id);
        return NULL;
    }
    if (!object_dynamic_cast(obj, TYPE_ODP_HCA)) {
        error_setg(errp, "Device '%s' is not an odp-hca", id);
        return NULL;
    }
    return g_slist_append(NULL, obj);
}

static OdpHcaState *odp_hca_find_one(const char *id, Error **errp)
{
    GSList *list = odp_hca_find(id, errp);
    OdpHcaState *s = list ? ODP_HCA(list->data) : NULL;

    g_slist_free(list);
    return s;
}

/* Upper bound of the bucket that holds the @q-th latency (from 1). */
static uint64_t odp_hca_lat_quantile(const OdpHcaStats *st, uint64_t q)
{
    uint64_t seen = 0;

    for (int b = 0; b < ODP_HCA_LAT_BUCKETS; b++) {
        seen += st->lat_buckets[b];
        if (seen >= q) {
            return odp_hca_lat_bucket_le(b);
        }
    }
    return st->lat_max;
}

static OdpHcaLatency *odp_hca_latency(const OdpHcaStats *st)
{
    OdpHcaLatency *l = g_new0(OdpHcaLatency, 1);
    OdpHcaLatencyBucketList **tail = &l->buckets;

    l->count = st->lat_count;
    if (st->lat_count) {
        l->min_ns = st->lat_min;
        l->max_ns = st->lat_max;
        l->median_ns = odp_hca_lat_quantile(st, (st->lat_count + 1) / 2);
        l->p99_ns = odp_hca_lat_quantile(st,
                                         DIV_ROUND_UP(st->lat_count * 99, 100));
    }
    for (int b = 0; b < ODP_HCA_LAT_BUCKETS; b++) {
        OdpHcaLatencyBucket *bk;

        if (!st->lat_buckets[b]) {
            continue;
        }
        bk = g_new0(OdpHcaLatencyBucket, 1);
        bk->le_ns = odp_hca_lat_bucket_le(b);
        bk->count = st->lat_buckets[b];
        QAPI_LIST_APPEND(tail, bk);
    }
    return l;
}

static OdpHcaCounters *odp_hca_counters(const OdpHcaStats *st)
{
    OdpHcaCounters *c = g_new0(OdpHcaCounters, 1);
    OdpHcaCommandCountList **tail = &c->commands;

    for (int i = 0; i < ODP_HCA_CMD_MAX; i++) {
        OdpHcaCommandCount *cc;

        if (!st->cmds[i]) {
            continue;
        }
        cc = g_new0(OdpHcaCommandCount, 1);
        cc->command = g_strdup(odp_hca_cmd_name(i));
        cc->count = st->cmds[i];
        QAPI_LIST_APPEND(tail, cc);
    }
    c->command_errors = st->cmd_errors;
    c->faults_requester = st->faults_requester;
    c->faults_responder = st->faults_responder;
    c->faults_read = st->faults_read;
    c->faults_write = st->faults_write;
    c->faults_atomic = st->faults_atomic;
    c->faults_injected = st->faults_injected;
    c->injections_deferred = st->injections_deferred;
    c->pages_resolved = st->pages_resolved;
    c->bytes_resolved = st->bytes_resolved;
    c->resumes_ok = st->resumes_ok;
    c->resumes_failed = st->resumes_failed;
    c->invalidations = st->invalidations;
    c->entries_invalidated = st->entries_invalidated;
    c->table_walks = st->table_walks;
    c->iotlb_hits = st->tlb_hits;
    c->iotlb_misses = st->tlb_misses;
    c->rnr_naks = st->rnr_naks;
    c->requester_retries = st->req_retries;
    c->rnr_retries_exceeded = st->rnr_retry_exceeded;
    c->responder_drops = st->responder_drops;
    c->port_stalls = st->port_stalls;
    c->not_ready_sent = st->not_ready_sent;
    c->ready_sent = st->ready_sent;
    c->not_ready_received = st->not_ready_received;
    c->ready_received = st->ready_received;
    c->ready_timeouts = st->ready_timeouts;
    c->cq_record_reads = st->cq_record_reads;
    c->iommu_unmaps = st->iommu_unmaps;
    c->iommu_entries_dropped = st->iommu_entries_dropped;
    c->events_dropped = st->events_dropped;
    c->guest_errors = st->guest_errors;
    return c;
}

/*
 * Counters kept in an array indexed by reason, shown as a QAPI struct
 * with a member a reason: the member names are the names the device
 * gives the reasons (odp_hca_roce_drop_name(), odp_hca_xport_drop_name(),
 * odp_hca_nak_names[]), so one table names them for the trace, QMP and
 * HMP.  The struct is made by the QAPI input visitor from a dict of those
 * names, which refuses a missing or unknown member: a name that drifts
 * from the schema fails the first query-odp-hca, in every qtest.
 */
typedef const char *OdpHcaReasonName(int reason);

static const char *const odp_hca_nak_names[ODP_HCA_NAK_KIND_MAX] = {
    [ODP_HCA_NAK_KIND_RNR] = "rnr",
    [ODP_HCA_NAK_KIND_SEQ] = "seq",
    [ODP_HCA_NAK_KIND_INVALID] = "invalid",
    [ODP_HCA_NAK_KIND_ACCESS] = "access",
    [ODP_HCA_NAK_KIND_OPERATION] = "operation",
};

static const char *odp_hca_nak_name(int kind)
{
    return odp_hca_nak_names[kind];
}

/*
 * Of the parser's verdicts, the drops: not "ok", and not the frames that
 * are no RoCEv2 at all (they go to the RAW_ETH QP and are never counted).
 */
static const char *odp_hca_parse_drop_name(int why)
{
    if (why == ODP_HCA_ROCE_OK || why == ODP_HCA_ROCE_NOT_IP ||
        why == ODP_HCA_ROCE_NOT_UDP || why == ODP_HCA_ROCE_NOT_ROCE) {
        return NULL;
    }
    return odp_hca_roce_drop_name(why);
}

static const char *odp_hca_transport_drop_name(int why)
{
    return odp_hca_xport_drop_name(why);
}

static QObject *odp_hca_reason_dict(const uint64_t *v, int n,
                                    OdpHcaReasonName *name)
{
    QDict *d = qdict_new();

    for (int i = 0; i < n; i++) {
        if (name(i)) {
            qdict_put_obj(d, name(i), QOBJECT(qnum_from_uint(v[i])));
        }
    }
    return QOBJECT(d);
}

/* The QAPI struct @type from the counters @v[0..n) named by @name. */
#define ODP_HCA_REASONS(type, v, name) ({                               \
    QObject *d_ = odp_hca_reason_dict(v, ARRAY_SIZE(v), name);          \
    Visitor *iv_ = qobject_input_visitor_new(d_);                       \
    type *r_ = NULL;                                                    \
                                                                        \
    visit_type_##type(iv_, NULL, &r_, &error_abort);                    \
    visit_free(iv_);                                                    \
    qobject_unref(d_);                                                  \
    r_;                                                                 \
})

static OdpHcaRoce *odp_hca_roce_info(const OdpHcaStats *st)
{
    OdpHcaRoce *r = g_new0(OdpHcaRoce, 1);

    r->tx_packets = st->roce_tx_packets;
    r->rx_packets = st->roce_rx_packets;
    r->hairpin_packets = st->roce_hairpin_packets;
    r->hairpin_mapped = st->roce_hairpin_mapped;
    r->retransmits = st->roce_retransmits;
    r->ack_timeouts = st->roce_ack_timeouts;
    r->duplicates = st->roce_duplicates;
    r->acks_sent = st->roce_acks_sent;
    r->acks_received = st->roce_acks_received;
    r->naks_sent = ODP_HCA_REASONS(OdpHcaRoceNaks, st->naks_sent,
                                   odp_hca_nak_name);
    r->naks_received = ODP_HCA_REASONS(OdpHcaRoceNaks, st->naks_received,
                                       odp_hca_nak_name);
    r->parse_drops = ODP_HCA_REASONS(OdpHcaRoceParseDrops,
                                     st->roce_parse_drops,
                                     odp_hca_parse_drop_name);
    r->transport_drops = ODP_HCA_REASONS(OdpHcaRoceTransportDrops,
                                         st->xport_drops,
                                         odp_hca_transport_drop_name);
    r->impaired = g_new0(OdpHcaRoceImpaired, 1);
    r->impaired->dropped = st->impair_dropped;
    r->impaired->corrupted = st->impair_corrupted;
    r->impaired->duplicated = st->impair_duplicated;
    r->impaired->reordered = st->impair_reordered;
    r->impaired->delayed = st->impair_delayed;
    return r;
}

static OdpHcaLinkImpairment *odp_hca_impairment_info(const OdpHcaImpair *im)
{
    OdpHcaLinkImpairment *l = g_new0(OdpHcaLinkImpairment, 1);

    l->loss = im->loss;
    l->corrupt = im->corrupt;
    l->duplicate = im->duplicate;
    l->reorder = im->reorder;
    l->delay_us = im->delay_us;
    l->seed = im->seed;
    l->held = im->delayed_count + !!im->held;
    return l;
}

static OdpHcaPort *odp_hca_port_info(OdpHcaState *s)
{
    const OdpHcaStats *st = &s->stats;
    NetClientState *peer = s->nic ? qemu_get_queue(s->nic)->peer : NULL;
    OdpHcaPort *p = g_new0(OdpHcaPort, 1);
    OdpHcaPortDrops *d = g_new0(OdpHcaPortDrops, 1);

    p->link = odp_hca_port_state_reg(s) & ODP_HCA_PORT_LINK_UP;
    p->netdev = peer ? g_strdup(peer->name) : NULL;
    p->tx_frames = st->port_tx_frames;
    p->tx_bytes = st->port_tx_bytes;
    p->rx_frames = st->port_rx_frames;
    p->rx_bytes = st->port_rx_bytes;
    d->tx_link_down = st->port_drops[ODP_HCA_PORT_DROP_TX_LINK_DOWN];
    d->tx_no_netdev = st->port_drops[ODP_HCA_PORT_DROP_TX_NO_NETDEV];
    d->rx_no_qp = st->port_drops[ODP_HCA_PORT_DROP_RX_NO_QP];
    d->rx_no_buffer = st->port_drops[ODP_HCA_PORT_DROP_RX_NO_BUFFER];
    d->rx_too_long = st->port_drops[ODP_HCA_PORT_DROP_RX_TOO_LONG];
    d->rx_too_short = st->port_drops[ODP_HCA_PORT_DROP_RX_TOO_SHORT];
    d->rx_fault = st->port_drops[ODP_HCA_PORT_DROP_RX_FAULT];
    d->rx_wqe_error = st->port_drops[ODP_HCA_PORT_DROP_RX_WQE_ERROR];
    d->rx_other_host = st->port_drops[ODP_HCA_PORT_DROP_RX_OTHER_HOST];
    d->rx_stall_overflow = st->port_drops[ODP_HCA_PORT_DROP_RX_STALL_OVERFLOW];
    p->drops = d;
    p->roce = odp_hca_roce_info(st);
    p->impairment = odp_hca_impairment_info(&s->impair);
    return p;
}

static OdpHcaFaultAccess odp_hca_access_kind(uint8_t access)
{
    if (access & ODP_HCA_FAULT_ATOMIC) {
        return ODP_HCA_FAULT_ACCESS_ATOMIC;
    }
    return access & ODP_HCA_FAULT_WRITE ? ODP_HCA_FAULT_ACCESS_WRITE
                                        : ODP_HCA_FAULT_ACCESS_READ;
}

/* Records still kept: the last fault-ring-size since the last reset. */
static uint64_t odp_hca_records_kept(OdpHcaState *s)
{
    return MIN(s->fault_records - s->fault_records_cleared,
               s->fault_ring_size);
}

static OdpHcaFaultRecordList *odp_hca_records(OdpHcaState *s)
{
    OdpHcaFaultRecordList *head = NULL, **tail = &head;
    uint64_t n = odp_hca_records_kept(s);

    for (uint64_t seq = s->fault_records - n + 1; n; seq++, n--) {
        OdpHcaFaultEntry *rec = odp_hca_fault_record(s, seq);
        OdpHcaFaultRecord *r;

        if (!rec) {
            continue;       /* cleared by odp-hca-reset-stats */
        }
        r = g_new0(OdpHcaFaultRecord, 1);
        r->seq = rec->seq;
        r->time_ns = rec->time_ns;
        r->qpn = rec->qpn;
        r->key = rec->key;
        r->iova = rec->iova;
        r->length = rec->length;
        r->access = odp_hca_access_kind(rec->access);
        r->side = rec->side == ODP_HCA_FAULT_REQUESTER ?
                  ODP_HCA_FAULT_SIDE_REQUESTER : ODP_HCA_FAULT_SIDE_RESPONDER;
        r->outcome = rec->outcome;
        r->has_service_ns = rec->outcome == ODP_HCA_FAULT_OUTCOME_RESUMED ||
                            rec->outcome == ODP_HCA_FAULT_OUTCOME_FAILED;
        r->service_ns = rec->service_ns;
        r->rnr_retries = rec->rnr_retries;
        r->drops = rec->drops;
        r->policy = rec->policy;
        r->injected = rec->injected;
        r->remote_qpn = rec->remote_qpn;
        r->remote_gid = g_malloc(INET6_ADDRSTRLEN);
        inet_ntop(AF_INET6, rec->remote_gid, r->remote_gid,
                  INET6_ADDRSTRLEN);
        QAPI_LIST_APPEND(tail, r);
    }
    return head;
}

static OdpHcaInfo *odp_hca_info(OdpHcaState *s)
{
    OdpHcaInfo *info = g_new0(OdpHcaInfo, 1);
    DeviceState *dev = DEVICE(s);

    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->id = g_strdup(dev->id);
    info->counters = odp_hca_counters(&s->stats);
    info->counters->port_stall_ns = odp_hca_link_stall_ns(s);
    info->responder_fault = s->resp_fault;
    info->latency = odp_hca_latency(&s->stats);
    info->port = odp_hca_port_info(s);
    info->fault_ring_size = s->fault_ring_size;
    info->faults = odp_hca_records(s);
    return info;
}

OdpHcaInfoList *qmp_query_odp_hca(const char *id, Error **errp)
{
    OdpHcaInfoList *head = NULL, **tail = &head;
    GSList *list = odp_hca_find(id, errp);

    for (GSList *l = list; l; l = l->next) {
        QAPI_LIST_APPEND(tail, odp_hca_info(ODP_HCA(l->data)));
    }
    g_slist_free(list);
    return head;
}

/* Every live QP counts again from now; the destroyed ones are forgotten. */
static void odp_hca_qp_tallies_reset(OdpHcaState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    for (uint32_t i = 0; i < s->max_qps; i++) {
        s->qps[i].tally = (OdpHcaQpCount) { .since_ns = now };
    }
    s->qp_gone_count = 0;
}

void qmp_odp_hca_reset_stats(const char *id, Error **errp)
{
    GSList *list = odp_hca_find(id, errp);

    for (GSList *l = list; l; l = l->next) {
        OdpHcaState *s = ODP_HCA(l->data);

        memset(&s->stats, 0, sizeof(s->stats));
        odp_hca_qp_tallies_reset(s);
        memset(s->fault_ring, 0,
               s->fault_ring_size * sizeof(*s->fault_ring));
        /* Sequence numbers go on, so pending faults never match a new one. */
        s->fault_records_cleared = s->fault_records;
    }
    g_slist_free(list);
}

void qmp_odp_hca_inject_faults(const char *id, bool has_every,
                               uint32_t every, bool has_key, uint32_t key,
                               bool has_iova, uint64_t iova,
                               bool has_length, uint64_t length,
                               bool has_count, uint32_t count, Error **errp)
{
    OdpHcaState *s = odp_hca_find_one(id, errp);

    if (!s) {
        return;
    }
    if (has_every && every == 1) {
        error_setg(errp, "'every' must be 0 (off) or at least 2: every "
                   "access would fault again after its RESUME");
        return;
    }
    s->inject = (OdpHcaInject) {
        .every = has_every ? every : 0,
        .key = key,
        .left = has_key ? (has_count ? count : 1) : 0,
        .iova = has_iova ? iova : 0,
        .length = has_length ? length : UINT64_MAX,
    };
}

#define ODP_HCA_IMPAIR_PPM_MAX      1000000u
#define ODP_HCA_IMPAIR_DELAY_US_MAX 1000000u

void qmp_odp_hca_set_link_impairment(const char *id, bool has_loss,
                                     uint32_t loss, bool has_corrupt,
                                     uint32_t corrupt, bool has_duplicate,
                                     uint32_t duplicate, bool has_reorder,
                                     uint32_t reorder, bool has_delay_us,
                                     uint32_t delay_us, bool has_seed,
                                     uint64_t seed, Error **errp)
{
    OdpHcaState *s = odp_hca_find_one(id, errp);
    OdpHcaImpair *im;

    if (!s) {
        return;
    }
    if (loss > ODP_HCA_IMPAIR_PPM_MAX || corrupt > ODP_HCA_IMPAIR_PPM_MAX ||
        duplicate > ODP_HCA_IMPAIR_PPM_MAX ||
        reorder > ODP_HCA_IMPAIR_PPM_MAX) {
        error_setg(errp, "chances are parts per million: at most %u",
                   ODP_HCA_IMPAIR_PPM_MAX);
        return;
    }
    if (delay_us > ODP_HCA_IMPAIR_DELAY_US_MAX) {
        error_setg(errp, "'delay-us' must be at most %u",
                   ODP_HCA_IMPAIR_DELAY_US_MAX);
        return;
    }
    /* Absent arguments are 0 (the QAPI code zeroes them): a new set. */
    im = &s->impair;
    im->loss = loss;
    im->corrupt = corrupt;
    im->duplicate = duplicate;
    im->reorder = reorder;
    im->delay_us = delay_us;
    im->seed = seed;
    im->prng = seed;
}

void qmp_odp_hca_set_responder_fault(const char *id,
                                     OdpHcaResponderFault policy,
                                     Error **errp)
{
    OdpHcaState *s = odp_hca_find_one(id, errp);

    if (s) {
        s->resp_fault = policy;
    }
}

OdpHcaFlushResult *qmp_odp_hca_flush_iotlb(const char *id, Error **errp)
{
    OdpHcaState *s = odp_hca_find_one(id, errp);
    OdpHcaFlushResult *r;

    if (!s) {
        return NULL;
    }
    r = g_new0(OdpHcaFlushResult, 1);
    r->entries = odp_hca_tlb_invalidate(s, 0, 0, 0, true);
    return r;
}

static OdpHcaQpType odp_hca_qp_type(uint8_t type)
{
    switch (type) {
    case ODP_HCA_QPT_GSI:
        return ODP_HCA_QP_TYPE_GSI;
    case ODP_HCA_QPT_UD:
        return ODP_HCA_QP_TYPE_UD;
    case ODP_HCA_QPT_RAW_ETH:
        return ODP_HCA_QP_TYPE_RAW_ETH;
    default:
        return ODP_HCA_QP_TYPE_RC;      /* CREATE_QP takes no other */
    }
}

static OdpHcaQpTally *odp_hca_qp_tally(uint32_t qpn, uint8_t type, bool live,
                                       const OdpHcaQpCount *t, int64_t end)
{
    OdpHcaQpTally *q = g_new0(OdpHcaQpTally, 1);

    q->qpn = qpn;
    q->type = odp_hca_qp_type(type);
    q->live = live;
    q->wqes = t->wqes;
    q->bytes = t->bytes;
    q->ns = end > t->since_ns ? end - t->since_ns : 0;
    return q;
}

OdpHcaQps *qmp_query_odp_hca_qps(const char *id, Error **errp)
{
    OdpHcaState *s = odp_hca_find_one(id, errp);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    OdpHcaQpTallyList **tail;
    OdpHcaQps *r;
    uint64_t kept, i;

    if (!s) {
        return NULL;
    }
    r = g_new0(OdpHcaQps, 1);
    tail = &r->qps;
    for (i = 0; i < s->max_qps; i++) {
        const OdpHcaQp *qp = &s->qps[i];

        if (qp->valid) {
            QAPI_LIST_APPEND(tail, odp_hca_qp_tally(qp->qpn, qp->type, true,
                                                    &qp->tally, now));
        }
    }
    kept = MIN(s->qp_gone_count, ODP_HCA_QP_GONE_KEPT);
    r->destroyed_dropped = s->qp_gone_count - kept;
    for (i = s->qp_gone_count - kept; i < s->qp_gone_count; i++) {
        const OdpHcaQpGone *g = &s->qp_gone[i % ODP_HCA_QP_GONE_KEPT];

        QAPI_LIST_APPEND(tail, odp_hca_qp_tally(g->qpn, g->type, false,
                                                &g->tally, g->gone_ns));
    }
    return r;
}

/*
 * HMP "info odp-hca": the query-odp-hca result, for people.  Everything
 * printed comes from the QAPI structs, as in hw/net/rocker's HMP commands.
 */
static void odp_hca_hmp_counters(Monitor *mon, const OdpHcaCounters *c)
{
    monitor_printf(mon, "  commands:");
    for (OdpHcaCommandCountList *l = c->commands; l; l = l->next) {
        monitor_printf(mon, " %s %" PRIu64, l->value->command,
                       l->value->count);
    }
    monitor_printf(mon, " (errors %" PRIu64 ")\n", c->command_errors);
    monitor_printf(mon, "  faults: requester %" PRIu64 " responder %" PRIu64
                   " | read %" PRIu64 " write %" PRIu64 " atomic %" PRIu64
                   " | injected %" PRIu64 " deferred %" PRIu64 "\n",
                   c->faults_requester, c->faults_responder, c->faults_read,
                   c->faults_write, c->faults_atomic, c->faults_injected,
                   c->injections_deferred);
    monitor_printf(mon, "  resolved: pages %" PRIu64 " bytes %" PRIu64
                   " | resumes ok %" PRIu64 " failed %" PRIu64 "\n",
                   c->pages_resolved, c->bytes_resolved, c->resumes_ok,
                   c->resumes_failed);
    monitor_printf(mon, "  translation: walks %" PRIu64 " iotlb hits %"
                   PRIu64 " misses %" PRIu64 " | invalidations %" PRIu64
                   " entries %" PRIu64 " | iommu unmaps %" PRIu64
                   " entries %" PRIu64 "\n", c->table_walks, c->iotlb_hits,
                   c->iotlb_misses, c->invalidations,
                   c->entries_invalidated, c->iommu_unmaps,
                   c->iommu_entries_dropped);
    monitor_printf(mon, "  transport: rnr naks %" PRIu64 " retries %" PRIu64
                   " rnr exceeded %" PRIu64 " | cq records read %" PRIu64
                   " | events dropped %" PRIu64 " | guest errors %" PRIu64
                   "\n", c->rnr_naks, c->requester_retries,
                   c->rnr_retries_exceeded, c->cq_record_reads,
                   c->events_dropped, c->guest_errors);
    monitor_printf(mon, "  responder faults: drops %" PRIu64 " | port stalls %"
                   PRIu64 " for %" PRIu64 " ns | not-ready sent %" PRIu64
                   " received %" PRIu64 " | ready sent %" PRIu64
                   " received %" PRIu64 " timeouts %" PRIu64 "\n",
                   c->responder_drops, c->port_stalls, c->port_stall_ns,
                   c->not_ready_sent, c->not_ready_received, c->ready_sent,
                   c->ready_received, c->ready_timeouts);
}

static void odp_hca_hmp_port(Monitor *mon, const OdpHcaPort *p)
{
    const OdpHcaPortDrops *d = p->drops;

    monitor_printf(mon, "  port: link %s netdev %s | tx frames %" PRIu64
                   " bytes %" PRIu64 " | rx frames %" PRIu64 " bytes %"
                   PRIu64 "\n", p->link ? "up" : "down",
                   p->netdev ?: "-", p->tx_frames, p->tx_bytes, p->rx_frames,
                   p->rx_bytes);
    monitor_printf(mon, "  port drops: tx link-down %" PRIu64 " no-netdev %"
                   PRIu64 " | rx no-qp %" PRIu64 " no-buffer %" PRIu64
                   " too-long %" PRIu64 " too-short %" PRIu64 " fault %"
                   PRIu64 " wqe-error %" PRIu64 " other-host %" PRIu64
                   " stall-overflow %" PRIu64 "\n", d->tx_link_down,
                   d->tx_no_netdev, d->rx_no_qp, d->rx_no_buffer,
                   d->rx_too_long, d->rx_too_short, d->rx_fault,
                   d->rx_wqe_error, d->rx_other_host, d->rx_stall_overflow);
}

/*
 * " name count" for each reason of a QAPI reason struct, in the device's
 * order of reasons; with @nonzero only the reasons that happened, or
 * " none".
 */
#define ODP_HCA_HMP_REASONS(mon, type, obj, n, name, nonzero) do {      \
    Visitor *ov_ = NULL;                                                \
    QObject *o_ = NULL;                                                 \
    type *obj_ = (obj);                                                 \
                                                                        \
    ov_ = qobject_output_visitor_new(&o_);                              \
    visit_type_##type(ov_, NULL, &obj_, &error_abort);                  \
    visit_complete(ov_, &o_);                                           \
    visit_free(ov_);                                                    \
    odp_hca_hmp_reasons(mon, qobject_to(QDict, o_), n, name, nonzero);  \
    qobject_unref(o_);                                                  \
} while (0)

static void odp_hca_hmp_reasons(Monitor *mon, QDict *d, int n,
                                OdpHcaReasonName *name, bool nonzero)
{
    bool any = false;

    for (int i = 0; i < n; i++) {
        uint64_t v;

        if (!name(i)) {
            continue;
        }
        v = qnum_get_uint(qobject_to(QNum, qdict_get(d, name(i))));
        if (v || !nonzero) {
            monitor_printf(mon, " %s %" PRIu64, name(i), v);
            any = true;
        }
    }
    if (!any) {
        monitor_printf(mon, " none");
    }
}

static void odp_hca_hmp_impairment(Monitor *mon, const OdpHcaPort *p)
{
    const OdpHcaLinkImpairment *l = p->impairment;
    const OdpHcaRoceImpaired *c = p->roce->impaired;

    monitor_printf(mon, "  link impairment: loss %u corrupt %u duplicate %u"
                   " reorder %u ppm delay-us %u seed %" PRIu64 " held %u |"
                   " dropped %" PRIu64 " corrupted %" PRIu64 " duplicated %"
                   PRIu64 " reordered %" PRIu64 " delayed %" PRIu64 "\n",
                   l->loss, l->corrupt, l->duplicate, l->reorder, l->delay_us,
                   l->seed, l->held, c->dropped, c->corrupted, c->duplicated,
                   c->reordered, c->delayed);
}

static void odp_hca_hmp_roce(Monitor *mon, const OdpHcaRoce *r)
{
    monitor_printf(mon, "  roce: tx %" PRIu64 " rx %" PRIu64 " hairpin %"
                   PRIu64 " (mapped %" PRIu64 ") | retransmits %" PRIu64
                   " ack-timeouts %" PRIu64 " duplicates %" PRIu64
                   " | acks sent %" PRIu64 " received %" PRIu64 "\n",
                   r->tx_packets, r->rx_packets, r->hairpin_packets,
                   r->hairpin_mapped, r->retransmits, r->ack_timeouts,
                   r->duplicates, r->acks_sent, r->acks_received);
    monitor_printf(mon, "  roce naks sent:");
    ODP_HCA_HMP_REASONS(mon, OdpHcaRoceNaks, r->naks_sent,
                        ODP_HCA_NAK_KIND_MAX, odp_hca_nak_name, false);
    monitor_printf(mon, " | received:");
    ODP_HCA_HMP_REASONS(mon, OdpHcaRoceNaks, r->naks_received,
                        ODP_HCA_NAK_KIND_MAX, odp_hca_nak_name, false);
    monitor_printf(mon, "\n  roce parse drops:");
    ODP_HCA_HMP_REASONS(mon, OdpHcaRoceParseDrops, r->parse_drops,
                        ODP_HCA_ROCE_DROP_MAX, odp_hca_parse_drop_name, true);
    monitor_printf(mon, "\n  roce transport drops:");
    ODP_HCA_HMP_REASONS(mon, OdpHcaRoceTransportDrops, r->transport_drops,
                        ODP_HCA_XPORT_DROP_MAX, odp_hca_transport_drop_name,
                        true);
    monitor_printf(mon, "\n");
}

static void odp_hca_hmp_latency(Monitor *mon, const OdpHcaLatency *lat)
{
    uint64_t peak = 1;

    monitor_printf(mon, "  fault service latency: count %" PRIu64, lat->count);
    if (lat->count) {
        monitor_printf(mon, " min %" PRIu64 " median <=%" PRIu64 " p99 <=%"
                       PRIu64 " max %" PRIu64 " ns", lat->min_ns,
                       lat->median_ns, lat->p99_ns, lat->max_ns);
    }
    monitor_printf(mon, "\n");
    for (OdpHcaLatencyBucketList *l = lat->buckets; l; l = l->next) {
        peak = MAX(peak, l->value->count);
    }
    /* Only the non-empty buckets are listed, smallest first. */
    for (OdpHcaLatencyBucketList *l = lat->buckets; l; l = l->next) {
        const OdpHcaLatencyBucket *b = l->value;
        g_autofree char *bar = g_strnfill(MAX(1, b->count * 40 / peak), '#');

        monitor_printf(mon, "    <= %12" PRIu64 " ns %8" PRIu64 " %s\n",
                       b->le_ns, b->count, bar);
    }
}

static void odp_hca_hmp_faults(Monitor *mon, const OdpHcaInfo *info)
{
    /*
     * Each fault is counted on one side and recorded, and
     * odp-hca-reset-stats clears both: the sum is the number of faults
     * recorded since then, of which the list holds the last
     * fault-ring-size.
     */
    uint64_t total = info->counters->faults_requester +
                     info->counters->faults_responder;
    uint64_t n = 0;

    for (OdpHcaFaultRecordList *l = info->faults; l; l = l->next) {
        n++;
    }
    monitor_printf(mon, "  recent faults (%" PRIu64 " of %" PRIu64
                   ", oldest first):\n", n, total);
    if (!n) {
        return;
    }
    monitor_printf(mon, "    %6s %12s %5s %10s %18s %8s %-6s %-9s %-8s %10s "
                   "%-6s %4s %4s %-3s %8s %s\n", "seq", "time-us", "qp", "key",
                   "iova", "length", "access", "side", "outcome",
                   "service-us", "policy", "rnr", "drop", "inj", "rqp",
                   "remote-gid");
    for (OdpHcaFaultRecordList *l = info->faults; l; l = l->next) {
        const OdpHcaFaultRecord *r = l->value;

        monitor_printf(mon, "    %6" PRIu64 " %12.3f %5u 0x%08x 0x%016" PRIx64
                       " %8u %-6s %-9s %-8s ", r->seq, r->time_ns / 1e3,
                       r->qpn, r->key, r->iova, r->length,
                       OdpHcaFaultAccess_str(r->access),
                       OdpHcaFaultSide_str(r->side),
                       OdpHcaFaultOutcome_str(r->outcome));
        if (r->has_service_ns) {
            monitor_printf(mon, "%10.3f", r->service_ns / 1e3);
        } else {
            monitor_printf(mon, "%10s", "-");
        }
        monitor_printf(mon, " %-6s %4u %4u %-3s %8u %s\n",
                       OdpHcaResponderFault_str(r->policy), r->rnr_retries,
                       r->drops, r->injected ? "yes" : "no", r->remote_qpn,
                       r->remote_gid);
    }
}

static void hmp_info_odp_hca(Monitor *mon, const QDict *qdict)
{
    const char *id = qdict_get_try_str(qdict, "id");
    Error *err = NULL;
    OdpHcaInfoList *list = qmp_query_odp_hca(id, &err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    if (!list) {
        monitor_printf(mon, "no odp-hca device\n");
    }
    for (OdpHcaInfoList *l = list; l; l = l->next) {
        const OdpHcaInfo *info = l->value;

        monitor_printf(mon, "odp-hca %s%s%s\n", info->id ?: "",
                       info->id ? " " : "", info->qom_path);
        monitor_printf(mon, "  responder-fault: %s\n",
                       OdpHcaResponderFault_str(info->responder_fault));
        odp_hca_hmp_counters(mon, info->counters);
        odp_hca_hmp_port(mon, info->port);
        odp_hca_hmp_roce(mon, info->port->roce);
        odp_hca_hmp_impairment(mon, info->port);
        odp_hca_hmp_latency(mon, info->latency);
        odp_hca_hmp_faults(mon, info);
    }
    qapi_free_OdpHcaInfoList(list);
}

/*
 * HMP odp-hca-set-link-impairment ID [NAME=VALUE ...]: the QMP command,
 * its arguments as words (loss=100000 seed=7).
 */
void hmp_odp_hca_set_link_impairment(Monitor *mon, const QDict *qdict)
{
    static const char *const names[] = {
        "loss", "corrupt", "duplicate", "reorder", "delay-us", "seed",
    };
    const char *id = qdict_get_str(qdict, "id");
    const char *args = qdict_get_try_str(qdict, "args");
    g_auto(GStrv) words = g_strsplit_set(args ?: "", " ,", -1);
    uint64_t v[ARRAY_SIZE(names)] = { 0 };
    Error *err = NULL;

    for (char **w = words; *w; w++) {
        const char *eq = strchr(*w, '=');
        size_t i;

        if (!**w) {
            continue;
        }
        for (i = 0; i < ARRAY_SIZE(names); i++) {
            if (eq && eq - *w == strlen(names[i]) &&
                !strncmp(*w, names[i], eq - *w)) {
                break;
            }
        }
        if (i == ARRAY_SIZE(names) || qemu_strtou64(eq + 1, NULL, 0, &v[i]) ||
            (i < 5 && v[i] > UINT32_MAX)) {
            error_setg(&err, "'%s': expected NAME=NUMBER, NAME one of loss, "
                       "corrupt, duplicate, reorder, delay-us, seed", *w);
            hmp_handle_error(mon, err);
            return;
        }
    }
    qmp_odp_hca_set_link_impairment(id, true, v[0], true, v[1], true, v[2],
                                    true, v[3], true, v[4], true, v[5], &err);
    hmp_handle_error(mon, err);
}

/* HMP odp-hca-set-responder-fault ID POLICY: the QMP command. */
void hmp_odp_hca_set_responder_fault(Monitor *mon, const QDict *qdict)
{
    const char *id = qdict_get_str(qdict, "id");
    const char *name = qdict_get_str(qdict, "policy");
    Error *err = NULL;
    int policy = qapi_enum_parse(&OdpHcaResponderFault_lookup, name, -1,
                                 NULL);

    if (policy < 0) {
        error_setg(&err, "'%s': expected a policy: rnr, drop, stall or "
                   "notify", name);
    } else {
        qmp_odp_hca_set_responder_fault(id, policy, &err);
    }
    hmp_handle_error(mon, err);
}

static void odp_hca_monitor_register(void)
{
    monitor_register_hmp("odp-hca", true, hmp_info_odp_hca);
}

type_init(odp_hca_monitor_register)
