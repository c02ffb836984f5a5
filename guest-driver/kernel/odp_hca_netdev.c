// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: the port's net_device.
 *
 * RoCE GIDs come from the addresses of the net_device bound to the port
 * (ib_device_set_netdev()): this one has the port's MAC, and the port is
 * ACTIVE while it is up.  The device carries no Ethernet frames yet, so
 * everything sent here is dropped and counted (tx_dropped); RDMA traffic
 * does not pass through it.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>

#include "odp_hca.h"

struct odp_hca_netdev_priv {
	struct odp_hca_dev *dev;
};

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

static int odp_hca_ndo_open(struct net_device *ndev)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);

	netif_carrier_on(ndev);
	netif_start_queue(ndev);
	odp_hca_port_event(priv->dev, IB_EVENT_PORT_ACTIVE);
	return 0;
}

static int odp_hca_ndo_stop(struct net_device *ndev)
{
	struct odp_hca_netdev_priv *priv = netdev_priv(ndev);

	netif_stop_queue(ndev);
	netif_carrier_off(ndev);
	odp_hca_port_event(priv->dev, IB_EVENT_PORT_ERR);
	return 0;
}

static netdev_tx_t odp_hca_ndo_start_xmit(struct sk_buff *skb,
					  struct net_device *ndev)
{
	/* No frames on the wire yet. */
	DEV_STATS_INC(ndev, tx_dropped);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops odp_hca_netdev_ops = {
	.ndo_open = odp_hca_ndo_open,
	.ndo_stop = odp_hca_ndo_stop,
	.ndo_start_xmit = odp_hca_ndo_start_xmit,
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
	cmd->base.speed = SPEED_100000;
	cmd->base.duplex = DUPLEX_FULL;
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
	SET_NETDEV_DEV(ndev, &dev->pdev->dev);
	ndev->netdev_ops = &odp_hca_netdev_ops;
	ndev->ethtool_ops = &odp_hca_ethtool_ops;
	ndev->max_mtu = 9000;
	eth_hw_addr_set(ndev, dev->caps.mac);
	netif_carrier_off(ndev);

	ret = register_netdev(ndev);
	if (ret) {
		free_netdev(ndev);
		return ret;
	}
	dev->netdev = ndev;
	return 0;
}

void odp_hca_netdev_fini(struct odp_hca_dev *dev)
{
	if (!dev->netdev)
		return;
	unregister_netdev(dev->netdev);
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
