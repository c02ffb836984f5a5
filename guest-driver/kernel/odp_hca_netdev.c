// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: the port's net_device.
 *
 * RoCE GIDs come from the addresses of the net_device bound to the port
 * (ib_device_set_netdev()): this one has the port's MAC, and the port is
 * ACTIVE while it is up and the link is (PORT_STATE, the PORT_ACTIVE and
 * PORT_DOWN events).
 *
 * Frames go through the device's one RAW_ETH QP (odp-hca-hw.h), created
 * with the kernel verbs of this driver once the ib_device is registered
 * (odp_hca_netdev_attach()) and destroyed before it is unregistered
 * (odp_hca_netdev_detach()), so that a reset rebuilds it with the rest of
 * the bring-up.  One CQ serves both queues; its completion event schedules
 * NAPI, which retires sends and hands received frames to the stack.
 *
 * Receive: a fixed ring of buffers of caps.max_frame bytes, mapped once
 * and addressed through the PD's DMA MR (untranslated: it never faults,
 * so no frame is dropped for a missing page); each frame is copied into
 * a fresh skb and its buffer posted again at once.
 * Send: the skb itself, linear, mapped and posted as one signalled SEND.
 * The device adds no padding and no
 * checksum: the stack computes checksums, and short frames are padded
 * here to the Ethernet minimum.
 *
 * Without a RAW_ETH QP (a device whose caps.max_frame is 0, a port that
 * is attached to no QEMU netdev and so carries only RDMA loopback, or a
 * failed attach) everything sent here is dropped and counted as before.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/dma-mapping.h>
#include <linux/rtnetlink.h>
#include <linux/u64_stats_sync.h>

#include "odp_hca.h"

#define ODP_HCA_NETDEV_TX_LOG	8	/* 256 send WQEs */
#define ODP_HCA_NETDEV_RX_LOG	8	/* 256 receive buffers */
#define ODP_HCA_NETDEV_POLL	16	/* completions a poll_cq call */

struct odp_hca_rx_buf {
	void *buf;
	dma_addr_t dma;
};

struct odp_hca_tx_buf {
	struct sk_buff *skb;
	dma_addr_t dma;
	u32 len;
};

struct odp_hca_netdev_priv {
	struct odp_hca_dev *dev;
	struct net_device *ndev;
	struct napi_struct napi;

	/* The RAW_ETH QP and what it uses; set while hw_up. */
	bool hw_up;			/* changed under RTNL */
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	u32 lkey;
	u32 buf_size;			/* receive buffer: caps.max_frame */
	u32 rx_n, tx_n;			/* powers of 2 */
	struct odp_hca_rx_buf *rx;
	struct odp_hca_tx_buf *tx;
	u32 tx_head;			/* posted; ndo_start_xmit */
	u32 tx_tail;			/* completed; NAPI */

	/* Link: PORT_STATE as last read. */
	bool link_up;
	/* Events may touch the net_device: cleared before it goes. */
	bool events;

	/* Updated by NAPI only. */
	struct u64_stats_sync syncp;
	u64 rx_packets, rx_bytes, tx_packets, tx_bytes;
};

static struct odp_hca_netdev_priv *odp_hca_priv(struct odp_hca_dev *dev)
{
	return netdev_priv(dev->netdev);
}

static void odp_hca_port_event(struct odp_hca_dev *dev,
			       enum ib_event_type type)
{
	struct ib_event ev = {
		.device = &dev->ibdev,
		.element.port_num = 1,
		.event = type,
	};

	if (READ_ONCE(dev->ib_registered))
		ib_dispatch_event(&ev);
}

/* ------------------------------------------------------------------ */
/* Link state */

static bool odp_hca_read_link(struct odp_hca_dev *dev)
{
	u32 state;

	if (READ_ONCE(dev->cmd_dead))
		return false;
	state = readl(dev->regs + ODP_HCA_REG_PORT_STATE);
	if (state == U32_MAX)	/* the device is gone from the bus */
		return false;
	return state & ODP_HCA_PORT_LINK_UP;
}

/* Carrier from the link; the port's users hear of a change. */
static void odp_hca_set_link(struct odp_hca_dev *dev, bool up)
{
	struct net_device *ndev = dev->netdev;
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);
	bool was = READ_ONCE(priv->link_up);

	WRITE_ONCE(priv->link_up, up);
	if (up)
		netif_carrier_on(ndev);
	else
		netif_carrier_off(ndev);
	if (was == up)
		return;
	netdev_info(ndev, "link %s\n", up ? "up" : "down");
	if (netif_running(ndev))
		odp_hca_port_event(dev, up ? IB_EVENT_PORT_ACTIVE :
					     IB_EVENT_PORT_ERR);
}

/* PORT_ACTIVE or PORT_DOWN from EQ 0 (process context). */
void odp_hca_netdev_link_changed(struct odp_hca_dev *dev)
{
	if (!dev->netdev || !READ_ONCE(odp_hca_priv(dev)->events))
		return;
	odp_hca_set_link(dev, odp_hca_read_link(dev));
}

/* ------------------------------------------------------------------ */
/* Receive and send completions (NAPI) */

static int odp_hca_rx_post(struct odp_hca_netdev_priv *priv, u32 slot)
{
	struct ib_sge sge = {
		.addr = priv->rx[slot].dma,
		.length = priv->buf_size,
		.lkey = priv->lkey,
	};
	struct ib_recv_wr wr = {
		.wr_id = slot,
		.sg_list = &sge,
		.num_sge = 1,
	};
	const struct ib_recv_wr *bad;

	return ib_post_recv(priv->qp, &wr, &bad);
}

static void odp_hca_rx_done(struct odp_hca_netdev_priv *priv,
			    const struct ib_wc *wc)
{
	struct net_device *ndev = priv->ndev;
	struct device *dmadev = &priv->dev->pdev->dev;
	u32 slot = wc->wr_id & (priv->rx_n - 1);
	struct odp_hca_rx_buf *rb = &priv->rx[slot];
	u32 len = wc->byte_len;
	struct sk_buff *skb = NULL;

	if (wc->status == IB_WC_WR_FLUSH_ERR)
		return;		/* the QP is going: no repost */
	if (wc->status != IB_WC_SUCCESS) {
		netdev_dbg(ndev, "receive completion status %d\n", wc->status);
		DEV_STATS_INC(ndev, rx_errors);
	} else if (len < ETH_HLEN || len > priv->buf_size) {
		netdev_dbg(ndev, "received frame of %u bytes\n", len);
		DEV_STATS_INC(ndev, rx_length_errors);
		DEV_STATS_INC(ndev, rx_errors);
	} else {
		skb = napi_alloc_skb(&priv->napi, len);
		if (skb) {
			dma_sync_single_for_cpu(dmadev, rb->dma, len,
						DMA_FROM_DEVICE);
			skb_put_data(skb, rb->buf, len);
			dma_sync_single_for_device(dmadev, rb->dma, len,
						   DMA_FROM_DEVICE);
		} else {
			DEV_STATS_INC(ndev, rx_dropped);
		}
	}
	if (odp_hca_rx_post(priv, slot)) {
		netdev_dbg(ndev, "cannot post receive buffer %u\n", slot);
		DEV_STATS_INC(ndev, rx_fifo_errors);
	}
	if (!skb)
		return;
	skb->protocol = eth_type_trans(skb, ndev);
	u64_stats_update_begin(&priv->syncp);
	priv->rx_packets++;
	priv->rx_bytes += len;
	u64_stats_update_end(&priv->syncp);
	napi_gro_receive(&priv->napi, skb);
}

static void odp_hca_tx_free(struct odp_hca_netdev_priv *priv,
			    struct odp_hca_tx_buf *tb, int budget)
{
	dma_unmap_single(&priv->dev->pdev->dev, tb->dma, tb->len,
			 DMA_TO_DEVICE);
	napi_consume_skb(tb->skb, budget);
	tb->skb = NULL;
}

static void odp_hca_tx_done(struct odp_hca_netdev_priv *priv,
			    const struct ib_wc *wc, int budget)
{
	struct net_device *ndev = priv->ndev;
	u32 idx = wc->wr_id;
	struct odp_hca_tx_buf *tb = &priv->tx[idx & (priv->tx_n - 1)];

	/* Sends complete in order; anything else is the device's confusion. */
	if (idx != priv->tx_tail || !tb->skb) {
		netdev_dbg(ndev, "send completion %u, expected %u\n", idx,
			   priv->tx_tail);
		DEV_STATS_INC(ndev, tx_errors);
		return;
	}
	if (wc->status == IB_WC_SUCCESS) {
		u64_stats_update_begin(&priv->syncp);
		priv->tx_packets++;
		priv->tx_bytes += tb->len;
		u64_stats_update_end(&priv->syncp);
	} else {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			netdev_dbg(ndev, "send completion status %d\n",
				   wc->status);
		DEV_STATS_INC(ndev, tx_errors);
	}
	odp_hca_tx_free(priv, tb, budget);
	/* The slot is free before ndo_start_xmit sees the new tail. */
	smp_store_release(&priv->tx_tail, idx + 1);
}

static int odp_hca_napi_poll(struct napi_struct *napi, int budget)
{
	struct odp_hca_netdev_priv *priv =
		container_of(napi, struct odp_hca_netdev_priv, napi);
	struct net_device *ndev = priv->ndev;
	struct ib_wc wc[ODP_HCA_NETDEV_POLL];
	int done = 0, n, i;
	bool sent = false;

	while (done < budget) {
		n = ib_poll_cq(priv->cq, min(budget - done,
					     ODP_HCA_NETDEV_POLL), wc);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (wc[i].opcode & IB_WC_RECV) {
				odp_hca_rx_done(priv, &wc[i]);
			} else {
				odp_hca_tx_done(priv, &wc[i], budget);
				sent = true;
			}
		}
		done += n;
	}

	if (sent) {
		/* Pairs with the barrier after netif_stop_queue(). */
		smp_mb();
		if (netif_queue_stopped(ndev) &&
		    READ_ONCE(priv->tx_head) - priv->tx_tail < priv->tx_n / 2)
			netif_wake_queue(ndev);
	}

	if (done < budget && napi_complete_done(napi, done)) {
		/* A completion that came after the last poll polls again. */
		if (ib_req_notify_cq(priv->cq, IB_CQ_NEXT_COMP |
				     IB_CQ_REPORT_MISSED_EVENTS) > 0)
			napi_schedule(napi);
	}
	return min(done, budget);
}

/* From the completion EQ's interrupt, or EQ 0's thread with one vector. */
static void odp_hca_netdev_comp(struct ib_cq *cq, void *ctx)
{
	struct odp_hca_netdev_priv *priv = ctx;

	if (in_task()) {
		local_bh_disable();
		napi_schedule(&priv->napi);
		local_bh_enable();
	} else {
		napi_schedule(&priv->napi);
	}
}

static void odp_hca_netdev_cq_event(struct ib_event *ev, void *ctx)
{
	struct odp_hca_netdev_priv *priv = ctx;

	netdev_warn(priv->ndev, "CQ event %s\n", ib_event_msg(ev->event));
}

static void odp_hca_netdev_qp_event(struct ib_event *ev, void *ctx)
{
	struct odp_hca_netdev_priv *priv = ctx;

	netdev_dbg(priv->ndev, "QP event %s\n", ib_event_msg(ev->event));
	if (ev->event == IB_EVENT_QP_FATAL)
		netdev_err(priv->ndev,
			   "RAW_ETH QP in error: no frames until the next reset or reload\n");
}

/* ------------------------------------------------------------------ */
/* net_device operations */

static int odp_hca_ndo_open(struct net_device *ndev)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);

	if (priv->hw_up)
		napi_enable(&priv->napi);
	netif_start_queue(ndev);
	if (priv->hw_up) {
		/* What came while down; NAPI wants BHs off from a task. */
		local_bh_disable();
		napi_schedule(&priv->napi);
		local_bh_enable();
	}
	if (netif_carrier_ok(ndev))
		odp_hca_port_event(priv->dev, IB_EVENT_PORT_ACTIVE);
	return 0;
}

static int odp_hca_ndo_stop(struct net_device *ndev)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);

	netif_tx_disable(ndev);
	if (priv->hw_up)
		napi_disable(&priv->napi);
	odp_hca_port_event(priv->dev, IB_EVENT_PORT_ERR);
	return 0;
}

static netdev_tx_t odp_hca_ndo_start_xmit(struct sk_buff *skb,
					  struct net_device *ndev)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);
	struct device *dmadev = &priv->dev->pdev->dev;
	struct odp_hca_tx_buf *tb;
	const struct ib_send_wr *bad;
	struct ib_send_wr wr = {};
	struct ib_sge sge;
	u32 head = priv->tx_head;
	dma_addr_t dma;
	int ret;

	if (!priv->hw_up)
		goto drop;
	if (head - smp_load_acquire(&priv->tx_tail) >= priv->tx_n) {
		/* The queue is stopped before it gets here full. */
		netif_stop_queue(ndev);
		return NETDEV_TX_BUSY;
	}
	/* eth_skb_pad() frees the skb when it fails. */
	if (eth_skb_pad(skb)) {
		DEV_STATS_INC(ndev, tx_dropped);
		return NETDEV_TX_OK;
	}
	if (skb->len > priv->buf_size || skb_linearize(skb)) {
		netdev_dbg(ndev, "dropping a frame of %u bytes\n", skb->len);
		goto drop;
	}
	dma = dma_map_single(dmadev, skb->data, skb->len, DMA_TO_DEVICE);
	if (dma_mapping_error(dmadev, dma)) {
		netdev_dbg(ndev, "cannot map a frame of %u bytes\n", skb->len);
		goto drop;
	}
	tb = &priv->tx[head & (priv->tx_n - 1)];
	tb->skb = skb;
	tb->dma = dma;
	tb->len = skb->len;
	sge.addr = dma;
	sge.length = skb->len;
	sge.lkey = priv->lkey;
	wr.wr_id = head;
	wr.opcode = IB_WR_SEND;
	wr.send_flags = IB_SEND_SIGNALED;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	skb_tx_timestamp(skb);
	ret = ib_post_send(priv->qp, &wr, &bad);
	if (ret) {
		netdev_dbg(ndev, "post_send failed: %d\n", ret);
		tb->skb = NULL;
		dma_unmap_single(dmadev, dma, skb->len, DMA_TO_DEVICE);
		DEV_STATS_INC(ndev, tx_errors);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	WRITE_ONCE(priv->tx_head, ++head);
	if (head - smp_load_acquire(&priv->tx_tail) >= priv->tx_n) {
		netif_stop_queue(ndev);
		/* Pairs with the barrier in the poll: a completion may be in. */
		smp_mb();
		if (head - smp_load_acquire(&priv->tx_tail) < priv->tx_n)
			netif_start_queue(ndev);
	}
	return NETDEV_TX_OK;

drop:
	DEV_STATS_INC(ndev, tx_dropped);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static void odp_hca_ndo_get_stats64(struct net_device *ndev,
				    struct rtnl_link_stats64 *s)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);
	unsigned int start;

	netdev_stats_to_stats64(s, &ndev->stats);
	do {
		start = u64_stats_fetch_begin(&priv->syncp);
		s->rx_packets = priv->rx_packets;
		s->rx_bytes = priv->rx_bytes;
		s->tx_packets = priv->tx_packets;
		s->tx_bytes = priv->tx_bytes;
	} while (u64_stats_fetch_retry(&priv->syncp, start));
}

static const struct net_device_ops odp_hca_netdev_ops = {
	.ndo_open = odp_hca_ndo_open,
	.ndo_stop = odp_hca_ndo_stop,
	.ndo_start_xmit = odp_hca_ndo_start_xmit,
	.ndo_get_stats64 = odp_hca_ndo_get_stats64,
	.ndo_validate_addr = eth_validate_addr,
};

static void odp_hca_get_drvinfo(struct net_device *ndev,
				struct ethtool_drvinfo *info)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);

	strscpy(info->driver, DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(priv->dev->pdev),
		sizeof(info->bus_info));
}

static int odp_hca_get_link_ksettings(struct net_device *ndev,
				      struct ethtool_link_ksettings *cmd)
{
	bool up = netif_carrier_ok(ndev);

	cmd->base.speed = up ? SPEED_100000 : SPEED_UNKNOWN;
	cmd->base.duplex = up ? DUPLEX_FULL : DUPLEX_UNKNOWN;
	cmd->base.port = PORT_OTHER;
	cmd->base.autoneg = AUTONEG_DISABLE;
	cmd->lanes = 4;
	return 0;
}

static const struct ethtool_ops odp_hca_ethtool_ops = {
	.get_drvinfo = odp_hca_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_link_ksettings = odp_hca_get_link_ksettings,
};

/* ------------------------------------------------------------------ */
/* The RAW_ETH QP */

static void odp_hca_rx_free(struct odp_hca_netdev_priv *priv)
{
	struct device *dmadev = &priv->dev->pdev->dev;
	u32 i;

	if (!priv->rx)
		return;
	for (i = 0; i < priv->rx_n; i++) {
		struct odp_hca_rx_buf *rb = &priv->rx[i];

		if (!rb->buf)
			continue;
		dma_unmap_single(dmadev, rb->dma, priv->buf_size,
				 DMA_FROM_DEVICE);
		kfree(rb->buf);
	}
	kfree(priv->rx);
	priv->rx = NULL;
}

static int odp_hca_rx_alloc(struct odp_hca_netdev_priv *priv)
{
	struct device *dmadev = &priv->dev->pdev->dev;
	u32 i;

	priv->rx = kcalloc(priv->rx_n, sizeof(*priv->rx), GFP_KERNEL);
	if (!priv->rx)
		return -ENOMEM;
	for (i = 0; i < priv->rx_n; i++) {
		struct odp_hca_rx_buf *rb = &priv->rx[i];

		rb->buf = kmalloc(priv->buf_size, GFP_KERNEL);
		if (!rb->buf)
			return -ENOMEM;
		rb->dma = dma_map_single(dmadev, rb->buf, priv->buf_size,
					 DMA_FROM_DEVICE);
		if (dma_mapping_error(dmadev, rb->dma)) {
			kfree(rb->buf);
			rb->buf = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static int odp_hca_qp_to_rts(struct odp_hca_netdev_priv *priv)
{
	static const enum ib_qp_state states[] = {
		IB_QPS_INIT, IB_QPS_RTR, IB_QPS_RTS,
	};
	struct ib_qp_attr attr = {};
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(states); i++) {
		attr.qp_state = states[i];
		attr.port_num = 1;
		ret = ib_modify_qp(priv->qp, &attr, IB_QP_STATE |
				   (states[i] == IB_QPS_INIT ? IB_QP_PORT : 0));
		if (ret) {
			netdev_dbg(priv->ndev, "RAW_ETH QP to state %d: %d\n",
				   states[i], ret);
			return ret;
		}
	}
	return 0;
}

/* Everything attach built; the device no longer uses it (QP gone first). */
static void odp_hca_hw_free(struct odp_hca_netdev_priv *priv)
{
	u32 i;

	if (priv->qp)
		ib_destroy_qp(priv->qp);
	priv->qp = NULL;
	if (priv->tx) {
		for (i = 0; i < priv->tx_n; i++)
			if (priv->tx[i].skb)
				odp_hca_tx_free(priv, &priv->tx[i], 0);
		kfree(priv->tx);
		priv->tx = NULL;
	}
	odp_hca_rx_free(priv);
	if (priv->cq)
		ib_destroy_cq(priv->cq);
	priv->cq = NULL;
	if (priv->pd)
		ib_dealloc_pd(priv->pd);
	priv->pd = NULL;
}

/*
 * Once the ib_device is registered: the RAW_ETH QP in RTS with every
 * receive buffer posted.  A failure leaves the net_device dropping frames.
 */
void odp_hca_netdev_attach(struct odp_hca_dev *dev)
{
	struct net_device *ndev = dev->netdev;
	struct odp_hca_netdev_priv *priv;
	struct ib_cq_init_attr cq_attr = {};
	struct ib_qp_init_attr init = {};
	u32 log_max = ilog2(dev->caps.max_qp_wr);
	u32 i;
	int ret;

	if (!ndev || !dev->caps.max_frame)
		return;
	priv = netdev_priv(ndev);
	/* Frames of a port attached to no netdev would go nowhere. */
	if (!(readl(dev->regs + ODP_HCA_REG_PORT_STATE) &
	      ODP_HCA_PORT_HAS_NETDEV)) {
		netdev_dbg(ndev, "port without a netdev: no RAW_ETH QP\n");
		return;
	}
	priv->buf_size = dev->caps.max_frame;
	priv->tx_n = 1U << min_t(u32, ODP_HCA_NETDEV_TX_LOG, log_max);
	priv->rx_n = 1U << min_t(u32, ODP_HCA_NETDEV_RX_LOG, log_max);
	priv->tx_head = 0;
	priv->tx_tail = 0;

	priv->pd = ib_alloc_pd(&dev->ibdev, 0);
	if (IS_ERR(priv->pd)) {
		ret = PTR_ERR(priv->pd);
		priv->pd = NULL;
		netdev_dbg(ndev, "ib_alloc_pd: %d\n", ret);
		goto err;
	}
	priv->lkey = priv->pd->local_dma_lkey;

	cq_attr.cqe = min(priv->tx_n + priv->rx_n, dev->caps.max_cqe);
	priv->cq = ib_create_cq(&dev->ibdev, odp_hca_netdev_comp,
				odp_hca_netdev_cq_event, priv, &cq_attr);
	if (IS_ERR(priv->cq)) {
		ret = PTR_ERR(priv->cq);
		priv->cq = NULL;
		netdev_dbg(ndev, "ib_create_cq: %d\n", ret);
		goto err;
	}

	init.qp_type = IB_QPT_RAW_PACKET;
	init.send_cq = priv->cq;
	init.recv_cq = priv->cq;
	init.sq_sig_type = IB_SIGNAL_REQ_WR;
	init.cap.max_send_wr = priv->tx_n;
	init.cap.max_recv_wr = priv->rx_n;
	init.cap.max_send_sge = 1;
	init.cap.max_recv_sge = 1;
	init.event_handler = odp_hca_netdev_qp_event;
	init.qp_context = priv;
	init.port_num = 1;
	priv->qp = ib_create_qp(priv->pd, &init);
	if (IS_ERR(priv->qp)) {
		ret = PTR_ERR(priv->qp);
		priv->qp = NULL;
		netdev_dbg(ndev, "ib_create_qp(RAW_PACKET): %d\n", ret);
		goto err;
	}
	ret = odp_hca_qp_to_rts(priv);
	if (ret)
		goto err;

	priv->tx = kcalloc(priv->tx_n, sizeof(*priv->tx), GFP_KERNEL);
	ret = -ENOMEM;
	if (!priv->tx)
		goto err;
	ret = odp_hca_rx_alloc(priv);
	if (ret) {
		netdev_dbg(ndev, "receive buffers: %d\n", ret);
		goto err;
	}
	for (i = 0; i < priv->rx_n; i++) {
		ret = odp_hca_rx_post(priv, i);
		if (ret) {
			netdev_dbg(ndev, "posting receive %u: %d\n", i, ret);
			goto err;
		}
	}
	ib_req_notify_cq(priv->cq, IB_CQ_NEXT_COMP);

	rtnl_lock();
	WRITE_ONCE(priv->hw_up, true);
	if (netif_running(ndev)) {
		napi_enable(&priv->napi);
		local_bh_disable();
		napi_schedule(&priv->napi);
		local_bh_enable();
		netif_wake_queue(ndev);
	}
	rtnl_unlock();
	netdev_dbg(ndev, "RAW_ETH QP %u: %u receive buffers of %u bytes, %u sends\n",
		   priv->qp->qp_num, priv->rx_n, priv->buf_size, priv->tx_n);
	return;

err:
	odp_hca_hw_free(priv);
	dev_warn(&dev->pdev->dev,
		 "%s carries no frames: no RAW_ETH QP (%d)\n",
		 netdev_name(ndev), ret);
}

/*
 * Before the ib_device is unregistered (removal, reset): sends and NAPI
 * stop, the QP and what it used go.  After odp_hca_kill() the verbs free
 * the memory without commands.
 */
void odp_hca_netdev_detach(struct odp_hca_dev *dev)
{
	struct net_device *ndev = dev->netdev;
	struct odp_hca_netdev_priv *priv;

	if (!ndev)
		return;
	priv = netdev_priv(ndev);
	rtnl_lock();
	if (!priv->hw_up) {
		rtnl_unlock();
		return;
	}
	if (netif_running(ndev)) {
		netif_tx_disable(ndev);
		napi_disable(&priv->napi);
	}
	WRITE_ONCE(priv->hw_up, false);
	rtnl_unlock();
	odp_hca_hw_free(priv);
}

/* ------------------------------------------------------------------ */

int odp_hca_netdev_init(struct odp_hca_dev *dev)
{
	struct odp_hca_netdev_priv *priv;
	struct net_device *ndev;
	int ret;

	ndev = alloc_netdev(sizeof(*priv), "odphca%d", NET_NAME_ENUM,
			    ether_setup);
	if (!ndev)
		return -ENOMEM;
	priv = netdev_priv(ndev);
	priv->dev = dev;
	priv->ndev = ndev;
	u64_stats_init(&priv->syncp);
	netif_napi_add(ndev, &priv->napi, odp_hca_napi_poll);
	SET_NETDEV_DEV(ndev, &dev->pdev->dev);
	ndev->netdev_ops = &odp_hca_netdev_ops;
	ndev->ethtool_ops = &odp_hca_ethtool_ops;
	/* The largest frame holds the MTU, the header and a VLAN tag. */
	if (dev->caps.max_frame)
		ndev->max_mtu = dev->caps.max_frame - ETH_HLEN - VLAN_HLEN;
	else
		ndev->max_mtu = 9000;
	/*
	 * A port with a wire starts at Ethernet's 1500, as its peers do.  A
	 * port without one (no netdev= on the device) only loops back, like
	 * lo: it starts at its largest MTU, so that RoCE's active MTU (and
	 * every QP's path MTU) is 4096 and a page goes in one packet.
	 */
	if (readl(dev->regs + ODP_HCA_REG_PORT_STATE) & ODP_HCA_PORT_HAS_NETDEV)
		ndev->mtu = min_t(u32, ETH_DATA_LEN, ndev->max_mtu);
	else
		ndev->mtu = ndev->max_mtu;
	eth_hw_addr_set(ndev, dev->caps.mac);
	/*
	 * No carrier until registered: a carrier set before that fires no
	 * link watch event, and the operstate would stay "unknown".
	 */
	netif_carrier_off(ndev);

	ret = register_netdev(ndev);
	if (ret) {
		netif_napi_del(&priv->napi);
		free_netdev(ndev);
		return ret;
	}
	dev->netdev = ndev;
	/* From now on events set the link too. */
	WRITE_ONCE(priv->events, true);
	odp_hca_set_link(dev, odp_hca_read_link(dev));
	return 0;
}

void odp_hca_netdev_fini(struct odp_hca_dev *dev)
{
	struct odp_hca_netdev_priv *priv;

	if (!dev->netdev)
		return;
	priv = netdev_priv(dev->netdev);
	/* No event handler touches the net_device after this. */
	WRITE_ONCE(priv->events, false);
	odp_hca_sync_async_events(dev);
	odp_hca_netdev_detach(dev);
	unregister_netdev(dev->netdev);
	netif_napi_del(&priv->napi);
	free_netdev(dev->netdev);
	dev->netdev = NULL;
}

bool odp_hca_netdev_active(struct odp_hca_dev *dev)
{
	struct net_device *ndev = dev->netdev;

	return ndev && netif_running(ndev) && netif_carrier_ok(ndev);
}

int odp_hca_netdev_mtu(struct odp_hca_dev *dev)
{
	return dev->netdev ? READ_ONCE(dev->netdev->mtu) : ETH_DATA_LEN;
}
