/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the port: an Ethernet NIC on a QEMU netdev.
 *
 * With -device odp-hca,netdev=ID the port is a NIC in QEMU's network
 * layer, as e1000e or virtio-net are.  RoCEv2 frames belong to the
 * transport (odp-hca-link.c).  Every other frame is plain Ethernet: the
 * RAW_ETH QP's send WQEs leave as frames (odp_hca_port_frame_out() from
 * the requester), and frames from the netdev land in its receive WQEs
 * through the responder.  The
 * link follows the netdev (the monitor's set_link).  Without netdev=
 * there is no NIC: the link is always up and frames sent are dropped.
 *
 * Frames from the network are hostile input like guest writes: every
 * one is consumed, delivered or dropped and counted, in bounded work.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "net/net.h"
#include "odp-hca.h"
#include "trace.h"

/* The monitor's names of the drop counters, for the trace. */
static const char *const odp_hca_port_drop_names[ODP_HCA_PORT_DROP_MAX] = {
    [ODP_HCA_PORT_DROP_TX_LINK_DOWN] = "tx-link-down",
    [ODP_HCA_PORT_DROP_TX_NO_NETDEV] = "tx-no-netdev",
    [ODP_HCA_PORT_DROP_RX_NO_QP] = "rx-no-qp",
    [ODP_HCA_PORT_DROP_RX_NO_BUFFER] = "rx-no-buffer",
    [ODP_HCA_PORT_DROP_RX_TOO_LONG] = "rx-too-long",
    [ODP_HCA_PORT_DROP_RX_TOO_SHORT] = "rx-too-short",
    [ODP_HCA_PORT_DROP_RX_FAULT] = "rx-fault",
    [ODP_HCA_PORT_DROP_RX_WQE_ERROR] = "rx-wqe-error",
    [ODP_HCA_PORT_DROP_RX_OTHER_HOST] = "rx-other-host",
    [ODP_HCA_PORT_DROP_RX_STALL_OVERFLOW] = "rx-stall-overflow",
};

static void odp_hca_port_drop(OdpHcaState *s, OdpHcaPortDrop why,
                              uint32_t len)
{
    s->stats.port_drops[why]++;
    trace_odp_hca_port_drop(odp_hca_port_drop_names[why], len);
}

static bool odp_hca_port_link_now(OdpHcaState *s)
{
    return !s->nic || !qemu_get_queue(s->nic)->link_down;
}

uint32_t odp_hca_port_state_reg(OdpHcaState *s)
{
    return (odp_hca_port_link_now(s) ? ODP_HCA_PORT_LINK_UP : 0) |
           (s->nic ? ODP_HCA_PORT_HAS_NETDEV : 0);
}

/* A frame of the RAW_ETH QP, gathered whole by the requester. */
void odp_hca_port_frame_out(OdpHcaState *s, const uint8_t *frame,
                            uint32_t len)
{
    if (!s->nic) {
        odp_hca_port_drop(s, ODP_HCA_PORT_DROP_TX_NO_NETDEV, len);
        return;
    }
    if (!odp_hca_port_link_now(s)) {
        /* a NIC with no carrier: the send completes, the frame is lost */
        odp_hca_port_drop(s, ODP_HCA_PORT_DROP_TX_LINK_DOWN, len);
        return;
    }
    s->stats.port_tx_frames++;
    s->stats.port_tx_bytes += len;
    trace_odp_hca_port_tx(len);
    qemu_send_packet(qemu_get_queue(s->nic), frame, len);
}

/*
 * Whether the device can take frames now.  While it cannot (not enabled,
 * bus mastering off, a reset held back) frames wait in QEMU's queue,
 * and odp_hca_port_unblock() lets them in when that changes.
 */
static bool odp_hca_port_ready(OdpHcaState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return (s->ctrl & ODP_HCA_CTRL_ENABLE) && !odp_hca_quiescing(s) &&
           (pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER);
}

static bool odp_hca_port_nic_can_receive(NetClientState *nc)
{
    OdpHcaState *s = qemu_get_nic_opaque(nc);

    if (!odp_hca_port_ready(s)) {
        s->rx_blocked = true;
        return false;
    }
    return true;
}

/*
 * What receive() returns for a frame it took (delivered or dropped).  0
 * would tell QEMU to keep the frame and stop the sender until a flush:
 * a 0-length frame must not read as that, or one such frame from a peer
 * would stop the port for good.
 */
static ssize_t odp_hca_port_consumed(size_t size)
{
    return MAX(size, 1);
}

/* One frame from the netdev; returns the bytes consumed, 0 to wait. */
static ssize_t odp_hca_port_rx_locked(OdpHcaState *s, const uint8_t *buf,
                                      size_t size)
{
    OdpHcaQp *qp;
    static const OdpHcaPortDrop drops[] = {
        [ODP_HCA_RAW_RX_NO_QP] = ODP_HCA_PORT_DROP_RX_NO_QP,
        [ODP_HCA_RAW_RX_NO_BUFFER] = ODP_HCA_PORT_DROP_RX_NO_BUFFER,
        [ODP_HCA_RAW_RX_TOO_LONG] = ODP_HCA_PORT_DROP_RX_TOO_LONG,
        [ODP_HCA_RAW_RX_FAULT] = ODP_HCA_PORT_DROP_RX_FAULT,
        [ODP_HCA_RAW_RX_WQE_ERROR] = ODP_HCA_PORT_DROP_RX_WQE_ERROR,
    };
    OdpHcaRocePacket pkt;
    OdpHcaRoceDrop why;
    OdpHcaRawRx rx;

    if (!odp_hca_port_ready(s)) {
        /* 0: QEMU keeps the frame until qemu_flush_queued_packets() */
        s->rx_blocked = true;
        trace_odp_hca_port_blocked();
        return 0;
    }
    if (size < ODP_HCA_ETH_MIN_FRAME) {
        odp_hca_port_drop(s, ODP_HCA_PORT_DROP_RX_TOO_SHORT, size);
        return odp_hca_port_consumed(size);
    }
    if (size > ODP_HCA_ETH_MAX_FRAME) {
        odp_hca_port_drop(s, ODP_HCA_PORT_DROP_RX_TOO_LONG,
                          MIN(size, UINT32_MAX));
        return odp_hca_port_consumed(size);
    }
    /* RoCEv2 (UDP to 4791, good or bad) is the transport's. */
    why = odp_hca_roce_parse(buf, size, ODP_HCA_PAGE_SIZE, &pkt);
    if (why != ODP_HCA_ROCE_NOT_IP && why != ODP_HCA_ROCE_NOT_UDP &&
        why != ODP_HCA_ROCE_NOT_ROCE) {
        ssize_t ret = odp_hca_link_rx_roce(s, buf, size, why, &pkt);

        return ret ? odp_hca_port_consumed(size) : 0;
    }
    /* Everything else is plain Ethernet, for the RAW_ETH QP. */
    qp = s->raw_qpn ? odp_hca_qp_get(s, s->raw_qpn) : NULL;
    rx = qp ? odp_hca_responder_raw(s, qp, buf, size) : ODP_HCA_RAW_RX_NO_QP;
    if (rx != ODP_HCA_RAW_RX_OK) {
        odp_hca_port_drop(s, drops[rx], size);
        return odp_hca_port_consumed(size);
    }
    s->stats.port_rx_frames++;
    s->stats.port_rx_bytes += size;
    trace_odp_hca_port_rx(qp->qpn, size);
    return odp_hca_port_consumed(size);
}

static ssize_t odp_hca_port_nic_receive(NetClientState *nc,
                                        const uint8_t *buf, size_t size)
{
    OdpHcaState *s = qemu_get_nic_opaque(nc);
    ssize_t ret;

    odp_hca_enter(s);
    ret = odp_hca_port_rx_locked(s, buf, size);
    odp_hca_leave(s);
    return ret;
}

/* Post a port event when the link changed since the last one. */
static void odp_hca_port_link_update(OdpHcaState *s)
{
    bool up = odp_hca_port_link_now(s);

    if (up == s->link_up) {
        return;
    }
    s->link_up = up;
    trace_odp_hca_port_link(up);
    odp_hca_event(s, up ? ODP_HCA_EV_PORT_ACTIVE : ODP_HCA_EV_PORT_DOWN, 0, 1);
}

static void odp_hca_port_nic_link_changed(NetClientState *nc)
{
    OdpHcaState *s = qemu_get_nic_opaque(nc);

    odp_hca_enter(s);
    odp_hca_port_link_update(s);
    odp_hca_leave(s);
}

static void odp_hca_port_nic_cleanup(NetClientState *nc)
{
    OdpHcaState *s = qemu_get_nic_opaque(nc);

    s->nic = NULL;
}

static NetClientInfo odp_hca_port_nic_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = odp_hca_port_nic_can_receive,
    .receive = odp_hca_port_nic_receive,
    .link_status_changed = odp_hca_port_nic_link_changed,
    .cleanup = odp_hca_port_nic_cleanup,
};

/*
 * Frames that waited go in from a bottom half, not from the register
 * or configuration write that made the device ready: that write stays
 * short, and the frames meet a device that is not in the middle of it.
 */
static void odp_hca_port_bh(void *opaque)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    if (s->nic && s->rx_blocked && odp_hca_port_ready(s)) {
        s->rx_blocked = false;
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
    odp_hca_leave(s);
}

/* Called when the device's code returns: can waiting frames go in now? */
void odp_hca_port_unblock(OdpHcaState *s)
{
    if (s->nic && s->rx_blocked && odp_hca_port_ready(s)) {
        qemu_bh_schedule(s->port_bh);
    }
}

void odp_hca_port_realize(OdpHcaState *s)
{
    DeviceState *dev = DEVICE(s);

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->port_bh = qemu_bh_new_guarded(odp_hca_port_bh, s,
                                     &dev->mem_reentrancy_guard);
    s->link_up = true;
    if (!s->conf.peers.ncs[0]) {
        return;             /* no netdev: loopback only, always up */
    }
    s->nic = qemu_new_nic(&odp_hca_port_nic_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    s->link_up = odp_hca_port_link_now(s);
}

void odp_hca_port_unrealize(OdpHcaState *s)
{
    if (s->nic) {
        qemu_del_nic(s->nic);
        s->nic = NULL;
    }
    qemu_bh_delete(s->port_bh);
    s->port_bh = NULL;
}
