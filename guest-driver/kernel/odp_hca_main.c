// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: PCI driver for the odp-hca emulated RDMA adapter: probe and
 * remove, BARs, MSI-X, device bring-up and the ib_device registration.
 *
 * The device is an out-of-tree driver's: it registers with
 * RDMA_DRIVER_UNKNOWN and uverbs_no_driver_id_binding, and the rdma-core
 * provider finds it by PCI id.  Its port is RoCE (v1 and v2) over a
 * net_device of our own (odp_hca_netdev.c), an Ethernet NIC on the
 * device's RAW_ETH QP.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/module.h>
#include <linux/interrupt.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <net/addrconf.h>

#include "odp_hca.h"

MODULE_AUTHOR("The odp-hca developers");
MODULE_DESCRIPTION("Driver for the odp-hca emulated RDMA adapter with on-demand paging");
MODULE_LICENSE("GPL");

static const struct pci_device_id odp_hca_pci_ids[] = {
	{ PCI_DEVICE(ODP_HCA_PCI_VENDOR_ID, ODP_HCA_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, odp_hca_pci_ids);

static const struct ib_device_ops odp_hca_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = ODP_HCA_UVERBS_ABI_VERSION,
	.uverbs_no_driver_id_binding = 1,

	.advise_mr = odp_hca_advise_mr,
	.alloc_hw_port_stats = odp_hca_alloc_hw_port_stats,
	.alloc_mr = odp_hca_alloc_mr,
	.alloc_pd = odp_hca_alloc_pd,
	.alloc_ucontext = odp_hca_alloc_ucontext,
	.create_ah = odp_hca_create_ah,
	.create_cq = odp_hca_create_cq,
	.create_qp = odp_hca_create_qp,
	.create_srq = odp_hca_create_srq,
	.create_user_ah = odp_hca_create_ah,
	.dealloc_pd = odp_hca_dealloc_pd,
	.dealloc_ucontext = odp_hca_dealloc_ucontext,
	.dereg_mr = odp_hca_dereg_mr,
	.destroy_ah = odp_hca_destroy_ah,
	.destroy_cq = odp_hca_destroy_cq,
	.destroy_qp = odp_hca_destroy_qp,
	.destroy_srq = odp_hca_destroy_srq,
	.disassociate_ucontext = odp_hca_disassociate_ucontext,
	.fill_stat_mr_entry = odp_hca_fill_stat_mr_entry,
	.get_dev_fw_str = odp_hca_get_fw_str,
	.get_dma_mr = odp_hca_get_dma_mr,
	.get_hw_stats = odp_hca_get_hw_stats,
	.get_link_layer = odp_hca_get_link_layer,
	.get_port_immutable = odp_hca_get_port_immutable,
	.map_mr_sg = odp_hca_map_mr_sg,
	.mmap = odp_hca_mmap,
	.modify_qp = odp_hca_modify_qp,
	.modify_srq = odp_hca_modify_srq,
	.poll_cq = odp_hca_poll_cq,
	.post_recv = odp_hca_post_recv,
	.post_send = odp_hca_post_send,
	.post_srq_recv = odp_hca_post_srq_recv,
	.query_device = odp_hca_query_device,
	.query_gid = odp_hca_query_gid,
	.query_pkey = odp_hca_query_pkey,
	.query_port = odp_hca_query_port,
	.query_qp = odp_hca_query_qp,
	.query_srq = odp_hca_query_srq,
	.reg_user_mr = ODP_HCA_REG_USER_MR,
	.req_notify_cq = odp_hca_req_notify_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, odp_hca_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, odp_hca_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_pd, odp_hca_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, odp_hca_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, odp_hca_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, odp_hca_ucontext, ibucontext),
};

/* Every object is gone and the registers are back to their reset values. */
static int odp_hca_reset(struct odp_hca_dev *dev)
{
	int i;

	writel(ODP_HCA_CTRL_RESET, dev->regs + ODP_HCA_REG_CTRL);
	/* The contract does not say reset is done when the write returns. */
	for (i = 0; i < 1000; i++) {
		if (!readl(dev->regs + ODP_HCA_REG_STATUS) &&
		    !readl(dev->regs + ODP_HCA_REG_CTRL))
			return 0;
		usleep_range(100, 200);
	}
	dev_err(&dev->pdev->dev, "device did not come out of reset\n");
	return -EIO;
}

static int odp_hca_query_caps(struct odp_hca_dev *dev)
{
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_DEVICE };
	struct device *dmadev = &dev->pdev->dev;
	struct odp_hca_caps *hw, *c = &dev->caps;
	dma_addr_t dma;
	int ret;

	hw = dma_alloc_coherent(dmadev, ODP_HCA_PAGE_SIZE, &dma, GFP_KERNEL);
	if (!hw)
		return -ENOMEM;
	cmd.query_device.caps_addr = odp_le64(dma);
	ret = odp_hca_cmd_exec(dev, &cmd);
	if (ret) {
		dev_err(dmadev, "QUERY_DEVICE failed: %d\n", ret);
		goto out;
	}
	c->version = odp_cpu32(hw->version);
	c->flags = odp_cpu32(hw->flags);
	c->max_qps = odp_cpu32(hw->max_qps);
	c->max_cqs = odp_cpu32(hw->max_cqs);
	c->max_srqs = odp_cpu32(hw->max_srqs);
	c->max_mrs = odp_cpu32(hw->max_mrs);
	c->max_pds = odp_cpu32(hw->max_pds);
	c->max_eqs = odp_cpu32(hw->max_eqs);
	c->max_qp_wr = odp_cpu32(hw->max_qp_wr);
	c->max_srq_wr = odp_cpu32(hw->max_srq_wr);
	c->max_cqe = odp_cpu32(hw->max_cqe);
	c->max_eqe = odp_cpu32(hw->max_eqe);
	c->max_sge = odp_cpu32(hw->max_sge);
	c->max_inline = odp_cpu32(hw->max_inline);
	c->max_msg_size = odp_cpu32(hw->max_msg_size);
	c->max_rd_atomic = odp_cpu32(hw->max_rd_atomic);
	c->iotlb_entries = odp_cpu32(hw->iotlb_entries);
	c->num_uars = odp_cpu32(hw->num_uars);
	c->num_vectors = odp_cpu32(hw->num_vectors);
	c->page_size = odp_cpu32(hw->page_size);
	memcpy(c->mac, hw->mac, sizeof(c->mac));
	c->max_mtu = hw->max_mtu;
	c->pt_levels = hw->pt_levels;
	c->max_frame = odp_cpu32(hw->max_frame);
	c->max_fast_reg_pages = odp_cpu32(hw->max_fast_reg_pages);

	/* What the driver relies on; a device outside it is refused. */
	if (c->page_size != ODP_HCA_PAGE_SIZE ||
	    c->pt_levels != ODP_HCA_PT_MAX_LEVELS ||
	    c->max_qps < 3 || c->max_qps > 65536 ||
	    !c->max_cqs || c->max_cqs > 65536 ||
	    !c->max_srqs || c->max_srqs > 65536 ||
	    !c->max_pds || !c->max_mrs || c->max_mrs > (1U << 24) ||
	    c->max_qp_wr < 2 || !is_power_of_2(c->max_qp_wr) ||
	    c->max_cqe < 2 || !is_power_of_2(c->max_cqe) ||
	    c->max_eqe < 2 || !is_power_of_2(c->max_eqe) ||
	    !c->max_sge || c->max_sge > 255 ||
	    c->max_inline > U16_MAX || c->num_uars != dev->num_uars ||
	    !is_valid_ether_addr(c->mac)) {
		dev_err(dmadev, "device reports unusable limits\n");
		ret = -EINVAL;
		goto out;
	}
	if (!(c->flags & ODP_HCA_CAP_ODP))
		dev_warn(dmadev, "device without on-demand paging\n");
	if (!c->max_srq_wr || !is_power_of_2(c->max_srq_wr))
		c->max_srq_wr = c->max_qp_wr;
	/* A REG_MR's table is one page: no more entries than that. */
	if (!(c->flags & ODP_HCA_CAP_FAST_REG) || !c->max_fast_reg_pages ||
	    c->max_fast_reg_pages > ODP_HCA_FAST_REG_MAX_PAGES) {
		c->flags &= ~ODP_HCA_CAP_FAST_REG;
		c->max_fast_reg_pages = 0;
	}
	if (!c->max_msg_size)
		c->max_msg_size = 1U << 31;
	if (c->max_mtu < ODP_HCA_MTU_256 || c->max_mtu > ODP_HCA_MTU_4096)
		c->max_mtu = ODP_HCA_MTU_4096;
	/* A port that cannot carry a minimal IPv4 frame carries none. */
	if (c->max_frame > ODP_HCA_ETH_MAX_FRAME ||
	    c->max_frame < ETH_HLEN + 68 + 4) {
		if (c->max_frame)
			dev_warn(dmadev, "max_frame %u unusable: the port carries no frames\n",
				 c->max_frame);
		c->max_frame = 0;
	}
out:
	dma_free_coherent(dmadev, ODP_HCA_PAGE_SIZE, hw, dma);
	return ret;
}

static int odp_hca_map_bars(struct odp_hca_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	u32 magic, version;

	if (pci_resource_len(pdev, ODP_HCA_REG_BAR) < ODP_HCA_REG_BAR_SIZE ||
	    !(pci_resource_flags(pdev, ODP_HCA_REG_BAR) & IORESOURCE_MEM) ||
	    !(pci_resource_flags(pdev, ODP_HCA_DB_BAR) & IORESOURCE_MEM)) {
		dev_err(&pdev->dev, "unexpected BAR layout\n");
		return -ENODEV;
	}
	dev->regs = pci_iomap(pdev, ODP_HCA_REG_BAR, ODP_HCA_REG_BAR_SIZE);
	if (!dev->regs)
		return -ENOMEM;

	magic = readl(dev->regs + ODP_HCA_REG_MAGIC);
	version = readl(dev->regs + ODP_HCA_REG_VERSION);
	if (magic != ODP_HCA_MAGIC || version != ODP_HCA_VERSION) {
		dev_err(&pdev->dev, "magic 0x%x version %u: not an odp-hca v%u\n",
			magic, version, ODP_HCA_VERSION);
		return -ENODEV;
	}

	dev->num_uars = readl(dev->regs + ODP_HCA_REG_NUM_UARS);
	if (!dev->num_uars || dev->num_uars > 65536 ||
	    pci_resource_len(pdev, ODP_HCA_DB_BAR) <
	    (resource_size_t)dev->num_uars * ODP_HCA_PAGE_SIZE) {
		dev_err(&pdev->dev, "%u UARs do not fit BAR %d\n",
			dev->num_uars, ODP_HCA_DB_BAR);
		return -ENODEV;
	}
	dev->db_bar_start = pci_resource_start(pdev, ODP_HCA_DB_BAR);
	dev->uar0 = pci_iomap_range(pdev, ODP_HCA_DB_BAR, 0, ODP_HCA_PAGE_SIZE);
	if (!dev->uar0)
		return -ENOMEM;
	return 0;
}

static void odp_hca_unmap_bars(struct odp_hca_dev *dev)
{
	if (dev->uar0)
		pci_iounmap(dev->pdev, dev->uar0);
	if (dev->regs)
		pci_iounmap(dev->pdev, dev->regs);
	dev->uar0 = NULL;
	dev->regs = NULL;
}

static int odp_hca_ib_register(struct odp_hca_dev *dev)
{
	struct ib_device *ibdev = &dev->ibdev;
	int ret;

	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = max_t(u32, dev->num_comp_eqs, 1);
	ibdev->dev.parent = &dev->pdev->dev;
	addrconf_addr_eui48((u8 *)&ibdev->node_guid, dev->caps.mac);
	strscpy(ibdev->node_desc, "odp-hca", sizeof(ibdev->node_desc));
	ib_set_device_ops(ibdev, &odp_hca_dev_ops);

	ret = ib_device_set_netdev(ibdev, dev->netdev, 1);
	if (ret)
		return ret;
	ret = ib_register_device(ibdev, "odp_hca%d", &dev->pdev->dev);
	if (ret)
		return ret;
	dev->ib_registered = true;
	return 0;
}

static void odp_hca_teardown(struct odp_hca_dev *dev)
{
	/* Interrupts off: no new fault work is queued after this. */
	odp_hca_eqs_stop(dev);
	/* Queued faults and prefetches finish (commands then poll). */
	if (dev->wq) {
		destroy_workqueue(dev->wq);
		dev->wq = NULL;
	}
	/* The device forgets everything and stops touching our memory. */
	if (dev->regs)
		odp_hca_reset(dev);
	odp_hca_eqs_free(dev);
	odp_hca_cmdq_fini(dev);
}

/* ------------------------------------------------------------------ */
/*
 * Resets.
 *
 * A device reset destroys every object the driver created in the device
 * (docs/specs/odp-hca.rst, "Reset"), so an ib_device cannot live on
 * across one: as mlx5 does after a firmware reset, the driver takes the
 * whole ib_device down and brings up a new one.  struct odp_hca_pci (the
 * PCI driver data) outlives resets; each bring-up is a struct
 * odp_hca_dev with its ib_device, net_device, command queue and EQs
 * (odp_hca_start() / odp_hca_stop()).
 *
 * Taking it down: odp_hca_kill() cuts the device off the bus (Bus
 * Master off) so that it touches none of our memory from then on, fails
 * every command in flight and to come with -EIO, resets the device
 * (CTRL_RESET) and tells the ib_device's users (IB_EVENT_DEVICE_FATAL).
 * Then ib_unregister_device() disassociates the user contexts
 * (uverbs then delivers IB_EVENT_DEVICE_FATAL on their async FDs, zaps
 * their doorbell mappings and their later verbs fail with EIO) and
 * destroys every object through our verbs, which free the memory without
 * commands (hw_gone); pending faults and their work items finish with a
 * failed RESUME.
 *
 * A reset the PCI core announces (sysfs "reset", a bus reset, VFIO) goes
 * through .reset_prepare, which takes the bring-up down, and .reset_done,
 * which runs the bring-up sequence again with the new ib_device (and
 * brings its net_device up when the old one was).
 *
 * A reset nobody announced (the device reset itself, an FLR written into
 * its config space behind the kernel's back) is noticed by the command
 * path (STATUS without READY, a command that times out, a slot the
 * device still owns) or by the health check, which reads STATUS every
 * ODP_HCA_HEALTH_MS: odp_hca_dev_lost() cuts the device off the bus at
 * once and queues the recovery, a function reset through the PCI core
 * (pci_try_reset_function()) and so the same two callbacks.  Such a
 * reset may have cleared config space (BARs, Memory Space, MSI-X):
 * .reset_prepare then restores probe's copy of it first, so that the
 * state the PCI core saves and restores around its reset is a working
 * one.
 */
#define ODP_HCA_HEALTH_MS	2000
#define ODP_HCA_RECOVER_TRIES	100

static bool odp_hca_config_lost(struct pci_dev *pdev)
{
	u16 cmd;

	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd))
		return true;
	return cmd == U16_MAX || !(cmd & PCI_COMMAND_MEMORY) ||
	       !(cmd & PCI_COMMAND_MASTER);
}

/*
 * The device was reset or stopped working without us: say so once, stop
 * its DMA, fail commands, and have the function reset and brought up.
 */
void odp_hca_dev_lost(struct odp_hca_dev *dev, const char *why, u32 status)
{
	struct odp_hca_pci *pci = dev->pci;

	if (test_and_set_bit(0, &dev->lost))
		return;
	/* Whatever it does now, it does not do it to our memory. */
	pci_clear_master(dev->pdev);
	WRITE_ONCE(dev->hw_gone, true);
	smp_wmb();	/* hw_gone before cmd_dead: see odp_hca_cmd_invalidate() */
	WRITE_ONCE(dev->cmd_dead, true);
	complete(&dev->cmd_done);
	dev_err(&dev->pdev->dev,
		"device lost (%s; STATUS 0x%08x): resetting and bringing it up again\n",
		why, status);
	/* A bring-up in progress fails instead; a removal needs no recovery. */
	if (READ_ONCE(pci->dev) != dev || READ_ONCE(pci->removing))
		return;
	atomic_set(&pci->lost, 1);
	queue_work(system_long_wq, &pci->recover);
}

static void odp_hca_recover_fn(struct work_struct *work)
{
	struct odp_hca_pci *pci = container_of(work, struct odp_hca_pci,
					       recover);
	int i, ret = -EAGAIN;

	for (i = 0; i < ODP_HCA_RECOVER_TRIES; i++) {
		/* A reset meanwhile (sysfs, the PCI core) already did it. */
		if (READ_ONCE(pci->removing) || !atomic_read(&pci->lost))
			return;
		/* Trylock: remove() holds the device lock and waits for us. */
		ret = pci_try_reset_function(pci->pdev);
		if (ret != -EAGAIN)
			break;
		msleep(100);
	}
	if (ret)
		dev_err(&pci->pdev->dev, "recovery: function reset failed: %d\n",
			ret);
}

static void odp_hca_health_fn(struct work_struct *work)
{
	struct odp_hca_pci *pci = container_of(to_delayed_work(work),
					       struct odp_hca_pci, health);
	/* Cancelled (synchronously) before the bring-up goes away. */
	struct odp_hca_dev *dev = READ_ONCE(pci->dev);
	u32 status;

	if (!dev || READ_ONCE(dev->cmd_dead))
		return;
	status = readl(dev->regs + ODP_HCA_REG_STATUS);
	if (!(status & ODP_HCA_STATUS_READY) || status == U32_MAX) {
		odp_hca_dev_lost(dev, "health check", status);
		return;
	}
	queue_delayed_work(system_wq, &pci->health,
			   msecs_to_jiffies(ODP_HCA_HEALTH_MS));
}

/*
 * Before a reset, or once the device is dead: no DMA, no command, no
 * object left in the device; the users hear of it.
 */
static void odp_hca_kill(struct odp_hca_dev *dev)
{
	struct odp_hca_pci *pci = dev->pci;
	struct pci_dev *pdev = dev->pdev;
	struct ib_event ev = {
		.device = &dev->ibdev,
		.element.port_num = 1,
		.event = IB_EVENT_DEVICE_FATAL,
	};

	/* An unannounced FLR left config space reset: put probe's back. */
	if (odp_hca_config_lost(pdev) && pci->saved) {
		dev_warn(&pdev->dev, "config space was reset: restoring it\n");
		pci_load_saved_state(pdev, pci->saved);
		pci_restore_state(pdev);
	}
	pci_clear_master(pdev);
	WRITE_ONCE(dev->hw_gone, true);
	smp_wmb();	/* hw_gone before cmd_dead: see odp_hca_cmd_invalidate() */
	WRITE_ONCE(dev->cmd_dead, true);
	complete(&dev->cmd_done);
	/* The command in flight has given up once we hold the lock. */
	mutex_lock(&dev->cmd_lock);
	if (dev->regs)
		odp_hca_reset(dev);
	mutex_unlock(&dev->cmd_lock);
	if (dev->ib_registered)
		ib_dispatch_event(&ev);
}

/* One bring-up: docs/specs/odp-hca.rst, "Bring-up sequence". */
static int odp_hca_start(struct odp_hca_pci *pci)
{
	struct pci_dev *pdev = pci->pdev;
	struct odp_hca_dev *dev;
	u32 hw_vectors;
	int ret;

	dev = ib_alloc_device(odp_hca_dev, ibdev);
	if (!dev)
		return -ENOMEM;
	dev->pdev = pdev;
	dev->pci = pci;
	xa_init(&dev->qps);
	xa_init(&dev->cqs);
	xa_init(&dev->srqs);
	xa_init_flags(&dev->mrs, XA_FLAGS_ALLOC);
	ida_init(&dev->uar_ida);

	/* Step 1; after an FLR the PCI core restored the rest of it. */
	pci_set_master(pdev);
	ret = odp_hca_map_bars(dev);
	if (ret)
		goto err_unmap;
	/* Whatever a previous driver left behind goes. */
	ret = odp_hca_reset(dev);
	if (ret)
		goto err_unmap;

	hw_vectors = readl(dev->regs + ODP_HCA_REG_NUM_VECTORS);
	if (!hw_vectors) {
		ret = -ENODEV;
		goto err_unmap;
	}
	/* Vector 0 for commands and EQ 0, then one per CPU for completions. */
	ret = pci_alloc_irq_vectors(pdev, 1,
				    min_t(u32, hw_vectors, num_online_cpus() + 1),
				    PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "no MSI-X vectors: %d\n", ret);
		goto err_unmap;
	}
	dev->nvec = ret;

	ret = odp_hca_cmdq_init(dev);
	if (ret)
		goto err_vectors;
	ret = odp_hca_async_irq_request(dev);
	if (ret)
		goto err_teardown;
	ret = odp_hca_query_caps(dev);
	if (ret)
		goto err_teardown;
	dev->nvec = min_t(u32, dev->nvec, dev->caps.max_eqs ? dev->caps.max_eqs : 1);

	dev->wq = alloc_workqueue("odp_hca_pf", WQ_UNBOUND, 0);
	if (!dev->wq) {
		ret = -ENOMEM;
		goto err_teardown;
	}
	dev->pt_pool = dma_pool_create("odp_hca_pt", &pdev->dev,
				       ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE, 0);
	if (!dev->pt_pool) {
		ret = -ENOMEM;
		goto err_teardown;
	}
	ret = odp_hca_eqs_init(dev);
	if (ret)
		goto err_teardown;
	ret = odp_hca_netdev_init(dev);
	if (ret)
		goto err_teardown;
	ret = odp_hca_ib_register(dev);
	if (ret) {
		dev_err(&pdev->dev, "ib_register_device failed: %d\n", ret);
		goto err_netdev;
	}
	/* The net_device's RAW_ETH QP, from verbs of the registered device. */
	odp_hca_netdev_attach(dev);
	if (pci->netdev_up) {
		/* As the net_device of the bring-up before was. */
		rtnl_lock();
		ret = dev_open(dev->netdev, NULL);
		rtnl_unlock();
		if (ret)
			dev_warn(&pdev->dev, "cannot bring %s up: %d\n",
				 netdev_name(dev->netdev), ret);
	}

	WRITE_ONCE(pci->dev, dev);
	queue_delayed_work(system_wq, &pci->health,
			   msecs_to_jiffies(ODP_HCA_HEALTH_MS));
	dev_info(&pdev->dev,
		 "%s: %pM, %u QPs, %u MRs, %u UARs, %u completion vectors%s\n",
		 dev_name(&dev->ibdev.dev), dev->caps.mac, dev->caps.max_qps,
		 dev->caps.max_mrs, dev->num_uars, dev->ibdev.num_comp_vectors,
		 dev->caps.flags & ODP_HCA_CAP_ODP ? ", on-demand paging" : "");
	return 0;

err_netdev:
	/* Drop the port's hold on the net_device, or unregistering it waits. */
	ib_device_set_netdev(&dev->ibdev, NULL, 1);
	odp_hca_netdev_fini(dev);
err_teardown:
	odp_hca_teardown(dev);
	dma_pool_destroy(dev->pt_pool);
err_vectors:
	pci_free_irq_vectors(pdev);
err_unmap:
	odp_hca_unmap_bars(dev);
	ida_destroy(&dev->uar_ida);
	ib_dealloc_device(&dev->ibdev);
	return ret;
}

/*
 * Take the running bring-up down.  @kill: the device is about to be
 * reset or is dead (odp_hca_kill()); else the objects are destroyed in
 * the device one by one, as users close them.
 */
static void odp_hca_stop(struct odp_hca_pci *pci, bool kill)
{
	struct odp_hca_dev *dev = pci->dev;
	struct pci_dev *pdev = pci->pdev;

	if (!dev)
		return;
	cancel_delayed_work_sync(&pci->health);
	if (kill || READ_ONCE(dev->cmd_dead))
		odp_hca_kill(dev);

	/* The net_device's QP goes first, as a kernel verbs user would. */
	odp_hca_netdev_detach(dev);
	/* Destroys every user and kernel object through our verbs. */
	if (dev->ib_registered) {
		ib_unregister_device(&dev->ibdev);
		WRITE_ONCE(dev->ib_registered, false);
	}
	pci->netdev_up = dev->netdev && netif_running(dev->netdev);
	odp_hca_netdev_fini(dev);
	odp_hca_teardown(dev);
	if (!xa_empty(&dev->qps) || !xa_empty(&dev->cqs) ||
	    !xa_empty(&dev->srqs) || !xa_empty(&dev->mrs))
		dev_warn(&pdev->dev, "objects left behind (device dead?)\n");
	WRITE_ONCE(pci->dev, NULL);
	dma_pool_destroy(dev->pt_pool);
	pci_free_irq_vectors(pdev);
	odp_hca_unmap_bars(dev);
	ida_destroy(&dev->uar_ida);
	xa_destroy(&dev->qps);
	xa_destroy(&dev->cqs);
	xa_destroy(&dev->srqs);
	xa_destroy(&dev->mrs);
	ib_dealloc_device(&dev->ibdev);
}

/* Under the device lock, before the PCI core resets the function. */
static void odp_hca_reset_prepare(struct pci_dev *pdev)
{
	struct odp_hca_pci *pci = pci_get_drvdata(pdev);

	dev_info(&pdev->dev, "function reset: taking %s down\n",
		 pci->dev ? dev_name(&pci->dev->ibdev.dev) : "the device");
	odp_hca_stop(pci, true);
}

/* Under the device lock, once config space was restored after it. */
static void odp_hca_reset_done(struct pci_dev *pdev)
{
	struct odp_hca_pci *pci = pci_get_drvdata(pdev);
	int ret;

	atomic_set(&pci->lost, 0);
	if (READ_ONCE(pci->removing))
		return;
	ret = odp_hca_start(pci);
	if (ret) {
		dev_err(&pdev->dev, "bring-up after the reset failed: %d\n", ret);
		return;
	}
	pci->resets++;
	dev_info(&pdev->dev, "%s up again after function reset %u\n",
		 dev_name(&pci->dev->ibdev.dev), pci->resets);
}

static const struct pci_error_handlers odp_hca_err_handler = {
	.reset_prepare = odp_hca_reset_prepare,
	.reset_done = odp_hca_reset_done,
};

/* ------------------------------------------------------------------ */
/* The PCI driver */

static int odp_hca_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct odp_hca_pci *pci;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != ODP_HCA_PAGE_SIZE);

	pci = kzalloc(sizeof(*pci), GFP_KERNEL);
	if (!pci)
		return -ENOMEM;
	pci->pdev = pdev;
	INIT_DELAYED_WORK(&pci->health, odp_hca_health_fn);
	INIT_WORK(&pci->recover, odp_hca_recover_fn);
	pci_set_drvdata(pdev, pci);

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_regions(pdev, DRV_NAME);
	if (ret)
		goto err_disable;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_regions;
	/* For a reset that clears config space without telling us. */
	ret = pci_save_state(pdev);
	if (ret)
		goto err_regions;
	pci->saved = pci_store_saved_state(pdev);
	if (!pci->saved) {
		ret = -ENOMEM;
		goto err_regions;
	}

	ret = odp_hca_start(pci);
	if (ret)
		goto err_saved;
	return 0;

err_saved:
	kfree(pci->saved);
err_regions:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(pci);
	return ret;
}

static void odp_hca_remove(struct pci_dev *pdev)
{
	struct odp_hca_pci *pci = pci_get_drvdata(pdev);

	WRITE_ONCE(pci->removing, true);
	odp_hca_stop(pci, false);
	/* Finds nothing to do now (removing), if it runs at all. */
	cancel_work_sync(&pci->recover);
	kfree(pci->saved);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	kfree(pci);
}

static void odp_hca_shutdown(struct pci_dev *pdev)
{
	struct odp_hca_pci *pci = pci_get_drvdata(pdev);
	struct odp_hca_dev *dev = pci ? READ_ONCE(pci->dev) : NULL;

	/* Stop DMA into memory the next kernel may own (kexec). */
	if (dev && dev->regs)
		writel(ODP_HCA_CTRL_RESET, dev->regs + ODP_HCA_REG_CTRL);
}

static struct pci_driver odp_hca_pci_driver = {
	.name = DRV_NAME,
	.id_table = odp_hca_pci_ids,
	.probe = odp_hca_probe,
	.remove = odp_hca_remove,
	.shutdown = odp_hca_shutdown,
	.err_handler = &odp_hca_err_handler,
};

module_pci_driver(odp_hca_pci_driver);
