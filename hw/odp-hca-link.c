/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the transport's link: RoCEv2 packets between the requester and
 * responder of every QP and the port.
 *
 * There is one transport.  A packet the requester or the responder sends
 * is built as a whole RoCEv2 frame; it leaves on the netdev, or, when its
 * destination MAC is the port's own (or the device has no netdev), it
 * loops back inside the adapter as a NIC's hairpin does.  Either way the
 * frame arrives in one receive queue, and a bottom half parses it and
 * hands it to the responder (requests) or the requester (ACKs and
 * responses) of the QP it names.  The qtests and the guest suite, which
 * mostly use loopback, therefore test the path the wire uses.
 *
 * A hairpin frame carries no ICRC: it never leaves the device's memory,
 * and a CRC over every byte twice would cost loopback most of its speed.
 * Frames from the netdev are checked, ICRC included, on arrival.
 *
 * For the same reason a hairpin frame's payload may stay where it is:
 * the sender (a requester's SEND or WRITE, a responder's READ response)
 * maps the page it sends from instead of copying it into the frame, and
 * the receiver copies it once, straight into its own buffer.  The bytes are then read later than a NIC would read them, so
 * every frame still mapped gets its copy (odp_hca_link_unmap_all())
 * before anything that could take the page from the sender: a command
 * (the driver's invalidations and deregistrations, after which the guest
 * may reuse the page), a configuration write (bus mastering turned off),
 * an IOMMU unmap (odp-hca-iommu.c), and the frame leaving by the netdev
 * or the impairment.
 *
 * Under the stall responder-fault policy the receive queue is the port's
 * receive buffer: a responder fault stops it with the faulting frame back
 * at its head (odp_hca_link_stall()), frames for every QP queue behind
 * it, those from the netdev that find it full are dropped, and the fault's
 * RESUME (or its QP's end) lets it go on from that frame.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "net/net.h"
#include "odp-hca.h"
#include "trace.h"

static const char *const odp_hca_xport_drop_names[ODP_HCA_XPORT_DROP_MAX] = {
    [ODP_HCA_XPORT_DROP_QUEUE_FULL] = "queue-full",
    [ODP_HCA_XPORT_DROP_NO_QP] = "no-qp",
    [ODP_HCA_XPORT_DROP_QP_TYPE] = "qp-type",
    [ODP_HCA_XPORT_DROP_QP_STATE] = "qp-state",
    [ODP_HCA_XPORT_DROP_PKEY] = "pkey",
    [ODP_HCA_XPORT_DROP_QKEY] = "qkey",
    [ODP_HCA_XPORT_DROP_PSN] = "psn",
    [ODP_HCA_XPORT_DROP_UD_NO_BUFFER] = "ud-no-buffer",
    [ODP_HCA_XPORT_DROP_UD_FAULT] = "ud-fault",
    [ODP_HCA_XPORT_DROP_RESPONSE] = "unexpected-response",
    [ODP_HCA_XPORT_DROP_READS_FULL] = "reads-full",
    [ODP_HCA_XPORT_DROP_READS_BUSY] = "reads-busy",
};

const char *odp_hca_xport_drop_name(OdpHcaXportDrop why)
{
    return why < ODP_HCA_XPORT_DROP_MAX ? odp_hca_xport_drop_names[why] : "?";
}

void odp_hca_link_xport_drop(OdpHcaState *s, OdpHcaXportDrop why,
                             const OdpHcaRocePacket *pkt)
{
    s->stats.xport_drops[why]++;
    trace_odp_hca_xport_drop(odp_hca_xport_drop_names[why], pkt->dest_qpn,
                             pkt->opcode, pkt->psn);
}

/* The path MTU of an RC QP in bytes; an unset one counts as 4096. */
uint32_t odp_hca_link_pmtu(const OdpHcaQp *qp)
{
    return qp->path_mtu >= ODP_HCA_MTU_256 && qp->path_mtu <= ODP_HCA_MTU_4096 ?
           128u << qp->path_mtu : ODP_HCA_PAGE_SIZE;
}

/* The headers of a packet @qp sends to its RC peer. */
void odp_hca_link_fill(OdpHcaState *s, OdpHcaQp *qp, OdpHcaRocePacket *pkt,
                       uint8_t opcode, uint32_t psn)
{
    memset(pkt, 0, sizeof(*pkt));
    memcpy(pkt->dst_mac, qp->dmac, 6);
    memcpy(pkt->src_mac, s->conf.macaddr.a, 6);
    memcpy(pkt->sgid, qp->sgid, 16);
    memcpy(pkt->dgid, qp->dgid, 16);
    pkt->tclass = qp->traffic_class;
    pkt->hop_limit = qp->hop_limit ? qp->hop_limit : 64;
    pkt->flow_label = qp->flow_label & 0xfffff;
    pkt->udp_sport = odp_hca_roce_udp_sport(pkt->flow_label, qp->qpn,
                                            qp->dest_qpn);
    pkt->opcode = opcode;
    pkt->pkey = ODP_HCA_DEFAULT_PKEY;
    pkt->dest_qpn = qp->dest_qpn & ODP_HCA_ROCE_FIELD24_MAX;
    pkt->psn = psn & ODP_HCA_PSN_MASK;
    /* this device's requesters take NOT_READY and READY (notify policy) */
    pkt->x_notify = true;
}

/* A frame of @len bytes (contents undefined), from the pool if it fits. */
OdpHcaFrame *odp_hca_frame_alloc(OdpHcaState *s, size_t len)
{
    OdpHcaFrame *f;

    if (len <= ODP_HCA_FRAME_POOL_CAP && s->frame_pooled) {
        f = s->frame_pool[--s->frame_pooled];
    } else {
        size_t cap = MAX(len, ODP_HCA_FRAME_POOL_CAP);

        f = g_malloc(sizeof(*f) + cap);
        f->cap = cap;
    }
    f->len = len;
    f->hairpin = false;
    f->map = NULL;
    return f;
}

/* Let go of a frame's mapped payload; @fill: copy it into the frame first. */
static void odp_hca_frame_unmap(OdpHcaState *s, OdpHcaFrame *f, bool fill)
{
    if (fill) {
        memcpy(f->data + f->map_off, f->map, f->mapped);
    }
    pci_dma_unmap(PCI_DEVICE(s), f->map, f->mapped, DMA_DIRECTION_TO_DEVICE,
                  0);
    f->map = NULL;
    s->frames_mapped--;
}

/*
 * Whether a freed frame is kept.  Under AddressSanitizer none is, so
 * that a frame used after its release is still caught (a kept one would
 * be valid memory to it).
 */
static bool odp_hca_frame_keep(OdpHcaState *s, OdpHcaFrame *f)
{
#ifdef QEMU_SANITIZE_ADDRESS
    return false;
#else
    return f->cap == ODP_HCA_FRAME_POOL_CAP &&
           s->frame_pooled < ODP_HCA_FRAME_POOL;
#endif
}

void odp_hca_frame_free(OdpHcaState *s, OdpHcaFrame *f)
{
    if (f && f->map) {
        odp_hca_frame_unmap(s, f, false);
    }
    if (f && odp_hca_frame_keep(s, f)) {
        s->frame_pool[s->frame_pooled++] = f;
        return;
    }
    g_free(f);
}

void odp_hca_frame_pool_drain(OdpHcaState *s)
{
    while (s->frame_pooled) {
        g_free(s->frame_pool[--s->frame_pooled]);
    }
}

/*
 * A frame buffer for @pkt, with pkt->payload pointing at the place of the
 * payload in it: the sender moves its bytes there once.  NULL when @pkt
 * cannot be a frame.
 */
OdpHcaFrame *odp_hca_link_frame_new(OdpHcaState *s, OdpHcaRocePacket *pkt)
{
    size_t len = odp_hca_roce_frame_len(pkt);
    OdpHcaFrame *f;

    if (!len) {
        return NULL;
    }
    f = odp_hca_frame_alloc(s, len);
    pkt->payload = pkt->payload_len ?
                   f->data + odp_hca_roce_payload_offset(pkt) : NULL;
    return f;
}

static bool odp_hca_link_hairpin(OdpHcaState *s, const uint8_t *dst_mac)
{
    return !s->nic || !memcmp(dst_mac, s->conf.macaddr.a, 6);
}

/*
 * Whether @pkt, sent now, loops back inside the adapter untouched: only
 * then may its frame keep its payload mapped.
 */
bool odp_hca_link_loops(OdpHcaState *s, const OdpHcaRocePacket *pkt)
{
    return odp_hca_link_hairpin(s, pkt->dst_mac) && !odp_hca_impair_enabled(s);
}

/* Whether the @len bytes at bus address @pa are RAM, all of them. */
static bool odp_hca_link_is_ram(OdpHcaState *s, dma_addr_t pa, hwaddr len)
{
    hwaddr xlat, l = len;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(pci_get_address_space(PCI_DEVICE(s)), pa,
                                 &xlat, &l, false, MEMTXATTRS_UNSPECIFIED);
    return memory_region_is_ram(mr) && l >= len;
}

/*
 * Let @f, the frame of @pkt, carry its payload as a mapping of the
 * pkt->payload_len bytes at bus address @pa (in one page) rather than a
 * copy.  False when they are not RAM or cannot be mapped whole: the
 * caller copies, and reports what a copy finds (an address outside guest
 * memory, bus mastering off).  A mapping of anything else would be a
 * bounce buffer that hides a failed read.
 */
static bool odp_hca_link_frame_map(OdpHcaState *s, OdpHcaFrame *f,
                                   const OdpHcaRocePacket *pkt, dma_addr_t pa)
{
    dma_addr_t len = pkt->payload_len;
    void *p;

    if (!odp_hca_iommu_may_map(s) || !odp_hca_link_is_ram(s, pa, len)) {
        return false;
    }
    p = pci_dma_map(PCI_DEVICE(s), pa, &len, DMA_DIRECTION_TO_DEVICE);
    if (!p) {
        return false;
    }
    if (len < pkt->payload_len) {
        pci_dma_unmap(PCI_DEVICE(s), p, len, DMA_DIRECTION_TO_DEVICE, 0);
        return false;
    }
    f->map = p;
    f->mapped = len;
    f->map_off = pkt->payload - f->data;
    s->frames_mapped++;
    s->stats.roce_hairpin_mapped++;
    return true;
}

/*
 * The payload of @pkt, whose frame is @f: its pkt->payload_len bytes of
 * @mr at @iova, mapped when the frame loops back and they lie in one
 * page, read into the frame otherwise.  Returns as odp_hca_mr_dma().
 */
int odp_hca_link_payload(OdpHcaState *s, OdpHcaFrame *f,
                         const OdpHcaRocePacket *pkt, OdpHcaMr *mr,
                         uint64_t iova, uint64_t *fault_iova, uint8_t *verr)
{
    uint32_t len = pkt->payload_len;
    dma_addr_t pa;

    if (odp_hca_link_loops(s, pkt) &&
        len <= ODP_HCA_PAGE_SIZE - (iova & (ODP_HCA_PAGE_SIZE - 1))) {
        switch (odp_hca_translate(s, mr, iova, false, &pa, verr)) {
        case ODP_HCA_XLATE_FAULT:
            *fault_iova = iova;
            return 1;
        case ODP_HCA_XLATE_ERROR:
            return -1;
        case ODP_HCA_XLATE_OK:
            if (odp_hca_link_frame_map(s, f, pkt, pa)) {
                return 0;
            }
            break;      /* not plain memory: read it */
        }
    }
    return odp_hca_mr_dma(s, mr, iova, (uint8_t *)pkt->payload, len, false,
                          fault_iova, verr);
}

/* Every queued frame's payload copied in: see the comment on top. */
void odp_hca_link_unmap_all(OdpHcaState *s)
{
    OdpHcaFrame *f;

    if (!s->frames_mapped) {
        return;
    }
    QSIMPLEQ_FOREACH(f, &s->rx_frames, next) {
        if (f->map) {
            odp_hca_frame_unmap(s, f, true);
        }
    }
}

/* Room for @frames more looped-back frames: the requester's back-pressure. */
bool odp_hca_link_room(OdpHcaState *s, uint32_t frames)
{
    return s->rx_queued + frames <= s->rx_queue_max;
}

/*
 * Only the first frame of an empty queue schedules the bottom half: while
 * frames wait, it is scheduled or running, and odp_hca_link_rx_run()
 * schedules it again for what it leaves.  Scheduling costs an eventfd
 * write while the main loop dispatches (QEMU's AioContext keeps notify_me
 * set when a bottom half was already pending), and loopback queues a
 * frame per packet.
 */
void odp_hca_link_enqueue(OdpHcaState *s, OdpHcaFrame *f)
{
    bool was_empty = QSIMPLEQ_EMPTY(&s->rx_frames);

    QSIMPLEQ_INSERT_TAIL(&s->rx_frames, f, next);
    s->rx_queued++;
    if (was_empty && !s->kicking) {
        qemu_bh_schedule(s->rx_bh);
    }
}

/* After a doorbell's own run (odp_hca_qp_kick()): the frames it left. */
void odp_hca_link_rx_resched(OdpHcaState *s)
{
    if (!QSIMPLEQ_EMPTY(&s->rx_frames) && !s->rx_stall && !s->kicking) {
        qemu_bh_schedule(s->rx_bh);
    }
}

/*
 * Build @pkt into @frame (from odp_hca_link_frame_new(), or NULL to have
 * one made here) and send it.  The frame is consumed.  False when it was
 * dropped on the way out (the counters say why).
 */
bool odp_hca_link_send(OdpHcaState *s, OdpHcaRocePacket *pkt,
                       OdpHcaFrame *frame)
{
    bool hairpin = odp_hca_link_hairpin(s, pkt->dst_mac);
    ssize_t len;

    if (!frame) {
        const uint8_t *payload = pkt->payload;

        frame = odp_hca_link_frame_new(s, pkt);
        if (!frame) {
            return false;
        }
        if (pkt->payload_len) {
            memcpy((uint8_t *)pkt->payload, payload, pkt->payload_len);
        }
    }
    if (frame->map && !odp_hca_link_loops(s, pkt)) {
        odp_hca_frame_unmap(s, frame, true);
    }
    pkt->hairpin = hairpin;
    len = odp_hca_roce_build(pkt, frame->data, frame->len);
    if (len < 0) {
        /* A bug of ours, not the guest's: the packet is lost, retried. */
        trace_odp_hca_roce_build_failed(pkt->opcode, pkt->dest_qpn, (int)len);
        odp_hca_frame_free(s, frame);
        return false;
    }
    frame->len = len;
    s->stats.roce_tx_packets++;
    trace_odp_hca_roce_tx(pkt->dest_qpn, pkt->opcode, pkt->psn,
                          pkt->payload_len, hairpin);
    if (hairpin) {
        s->stats.roce_hairpin_packets++;
    }
    /* The monitor's link impairment (odp-hca-impair.c) may take it. */
    if (odp_hca_impair_tx(s, frame, hairpin)) {
        return true;
    }
    if (hairpin) {
        if (s->rx_queued >= s->rx_queue_max) {
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QUEUE_FULL, pkt);
            odp_hca_frame_free(s, frame);
            return false;
        }
        frame->hairpin = true;
        odp_hca_link_enqueue(s, frame);
        return true;
    }
    odp_hca_port_frame_out(s, frame->data, frame->len);
    odp_hca_frame_free(s, frame);
    return true;
}

/*
 * A frame from the netdev that odp_hca_roce_parse() took for RoCEv2 (@why
 * is its verdict, @pkt its packet): queued for the transport, or dropped
 * and counted.  Returns what the NIC's receive() returns: 0 to have QEMU
 * hold the frame while the queue is full.
 */
ssize_t odp_hca_link_rx_roce(OdpHcaState *s, const uint8_t *buf, size_t size,
                             OdpHcaRoceDrop why, const OdpHcaRocePacket *pkt)
{
    OdpHcaFrame *f;

    if (why != ODP_HCA_ROCE_OK) {
        s->stats.roce_parse_drops[why]++;
        trace_odp_hca_roce_bad_frame(odp_hca_roce_drop_name(why), size);
        return size;
    }
    if (memcmp(pkt->dst_mac, s->conf.macaddr.a, 6)) {
        /* A hub shows every port every frame: not for us. */
        s->stats.port_drops[ODP_HCA_PORT_DROP_RX_OTHER_HOST]++;
        return size;
    }
    if (s->rx_queued >= s->rx_queue_max) {
        if (s->rx_stall) {
            /* a stalled port's buffer overflows; it does not push back */
            s->stats.port_drops[ODP_HCA_PORT_DROP_RX_STALL_OVERFLOW]++;
            trace_odp_hca_port_drop("rx-stall-overflow", size);
            return size;
        }
        s->rx_blocked = true;
        return 0;
    }
    f = odp_hca_frame_alloc(s, size);
    f->hairpin = true;      /* checked: the second parse skips the ICRC */
    memcpy(f->data, buf, size);
    odp_hca_link_enqueue(s, f);
    return size;
}

/* Hand a parsed packet to the QP it names. */
static void odp_hca_link_deliver(OdpHcaState *s, const OdpHcaRocePacket *pkt)
{
    const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(pkt->opcode);
    OdpHcaQp *qp;

    s->stats.roce_rx_packets++;
    trace_odp_hca_roce_rx(pkt->dest_qpn, pkt->opcode, pkt->psn,
                          pkt->payload_len);
    if ((pkt->pkey & 0x7fff) != (ODP_HCA_DEFAULT_PKEY & 0x7fff)) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_PKEY, pkt);
        return;
    }
    if (op->flags & ODP_HCA_ROCE_F_RESPONSE) {
        qp = odp_hca_qp_get(s, pkt->dest_qpn);
        if (!qp) {
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_NO_QP, pkt);
            return;
        }
        odp_hca_requester_rx(s, qp, pkt);
        return;
    }
    odp_hca_responder_rx(s, pkt);
}

/*
 * The responder fault @f stops the receive queue (stall policy).  Called
 * while a frame is delivered, that frame goes back to the head.
 */
void odp_hca_link_stall(OdpHcaState *s, OdpHcaFault *f)
{
    if (s->rx_delivering) {
        s->rx_hold = true;
    }
    if (s->rx_stall) {
        return;
    }
    s->rx_stall = f;
    s->rx_stall_since = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->stats.port_stalls++;
    trace_odp_hca_port_stall(le32_to_cpu(f->info.token), s->rx_queued);
}

static void odp_hca_link_stall_end(OdpHcaState *s)
{
    int64_t ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->rx_stall_since;

    s->stats.port_stall_ns += ns;
    trace_odp_hca_port_unstall(le32_to_cpu(s->rx_stall->info.token), ns,
                               s->rx_queued);
    s->rx_stall = NULL;
    qemu_bh_schedule(s->rx_bh);
}

/* The fault @f was resumed or flushed: a stall it held ends. */
void odp_hca_link_fault_over(OdpHcaState *s, OdpHcaFault *f)
{
    if (s->rx_stall == f) {
        odp_hca_link_stall_end(s);
    }
}

/* Virtual time the receive queue stood still, a stall going on included. */
uint64_t odp_hca_link_stall_ns(OdpHcaState *s)
{
    return s->stats.port_stall_ns + (s->rx_stall ?
        qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->rx_stall_since : 0);
}

/*
 * Hand up to a budget of queued frames to the transport.  True when it
 * handled some (answers may have opened a requester's window).
 */
bool odp_hca_link_rx_run(OdpHcaState *s, uint32_t budget)
{
    bool any = false;

    while (budget-- && !odp_hca_quiescing(s) && !s->rx_stall &&
           !QSIMPLEQ_EMPTY(&s->rx_frames)) {
        OdpHcaFrame *f = QSIMPLEQ_FIRST(&s->rx_frames);
        OdpHcaRocePacket pkt;
        OdpHcaRoceDrop why;

        QSIMPLEQ_REMOVE_HEAD(&s->rx_frames, next);
        s->rx_queued--;
        any = true;
        /* A looped-back frame with an ICRC (odp-hca-impair.c) is checked. */
        why = f->hairpin ?
              odp_hca_roce_parse_hairpin(f->data, f->len, ODP_HCA_PAGE_SIZE,
                                         &pkt) :
              odp_hca_roce_parse(f->data, f->len, ODP_HCA_PAGE_SIZE, &pkt);
        if (why == ODP_HCA_ROCE_OK) {
            if (f->map) {
                pkt.payload = f->map;
            }
            s->rx_delivering = true;
            odp_hca_link_deliver(s, &pkt);
            s->rx_delivering = false;
            if (s->rx_hold) {
                /* it stalled the queue: first again once that is over */
                s->rx_hold = false;
                QSIMPLEQ_INSERT_HEAD(&s->rx_frames, f, next);
                s->rx_queued++;
                break;
            }
        } else {
            s->stats.roce_parse_drops[why]++;
            trace_odp_hca_roce_bad_frame(odp_hca_roce_drop_name(why), f->len);
        }
        odp_hca_frame_free(s, f);
    }
    odp_hca_link_rx_resched(s);
    return any;
}

/*
 * Frames in, then the QPs they woke, a few rounds: loopback is a ping-pong
 * between the two, and a main-loop turn for each exchange would cost more
 * than the exchange.
 */
static void odp_hca_link_rx_bh(void *opaque)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    for (int round = 0; round < ODP_HCA_PUMP_ROUNDS; round++) {
        if (!odp_hca_link_rx_run(s, ODP_HCA_RX_BUDGET)) {
            break;
        }
        odp_hca_qp_run(s, ODP_HCA_QP_BYTE_BUDGET, ODP_HCA_BH_WQE_BUDGET);
    }
    odp_hca_leave(s);
}

/* Drop every queued frame: a reset, or the device going away. */
void odp_hca_link_flush(OdpHcaState *s)
{
    while (!QSIMPLEQ_EMPTY(&s->rx_frames)) {
        OdpHcaFrame *f = QSIMPLEQ_FIRST(&s->rx_frames);

        QSIMPLEQ_REMOVE_HEAD(&s->rx_frames, next);
        odp_hca_frame_free(s, f);
    }
    s->rx_queued = 0;
    s->rx_hold = false;
}

void odp_hca_link_init(OdpHcaState *s)
{
    QSIMPLEQ_INIT(&s->rx_frames);
    s->rx_queued = 0;
    s->rx_bh = qemu_bh_new_guarded(odp_hca_link_rx_bh, s,
                                   &DEVICE(s)->mem_reentrancy_guard);
}

void odp_hca_link_fini(OdpHcaState *s)
{
    odp_hca_link_flush(s);
    qemu_bh_delete(s->rx_bh);
    s->rx_bh = NULL;
}
