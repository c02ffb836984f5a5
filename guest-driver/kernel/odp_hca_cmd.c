// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: the command queue, and the rings and page lists commands name.
 *
 * Commands are serialised by cmd_lock: one is in flight at a time.  The
 * entry asks for an interrupt on vector 0 (ODP_HCA_CMD_F_INTR); the
 * waiter also polls the owner byte every few milliseconds, so a lost or
 * not yet requested interrupt only costs latency.
 *
 * cmd_lock is taken inside the MMU notifier (INVALIDATE), which may run
 * in reclaim: nothing here allocates memory while holding it.
 *
 * A device that was reset behind our back (an FLR nobody announced, a
 * bus reset) or stopped its command queue (STATUS.FATAL) reads back
 * STATUS without READY: the waiter checks STATUS while it waits and
 * reports the loss (odp_hca_dev_lost()), as it does for a command that
 * times out.  From then on every command fails with -EIO at once, and
 * a command in flight fails as soon as the loss is known; once the
 * device no longer touches our memory (hw_gone), destroying an object or
 * invalidating a range needs no command at all.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/dma-mapping.h>
#include <linux/delay.h>
#include <rdma/iter.h>

#include "odp_hca.h"

static int odp_hca_cmd_errno(u8 status)
{
	switch (status) {
	case ODP_HCA_CMD_OK:
		return 0;
	case ODP_HCA_CMD_BAD_OPCODE:
		return -EOPNOTSUPP;
	case ODP_HCA_CMD_BAD_PARAM:
	case ODP_HCA_CMD_BAD_STATE:
		return -EINVAL;
	case ODP_HCA_CMD_BAD_HANDLE:
	case ODP_HCA_CMD_BAD_TOKEN:
		return -ENOENT;
	case ODP_HCA_CMD_NO_RESOURCES:
		return -ENOMEM;
	case ODP_HCA_CMD_BUSY:
		return -EBUSY;
	case ODP_HCA_CMD_DMA_ERROR:
		return -EFAULT;
	default:
		return -EIO;
	}
}

int odp_hca_cmdq_init(struct odp_hca_dev *dev)
{
	struct device *dmadev = &dev->pdev->dev;
	size_t size;

	BUILD_BUG_ON(ODP_HCA_CMDQ_LOG_SIZE < ODP_HCA_CMDQ_MIN_LOG_SIZE ||
		     ODP_HCA_CMDQ_LOG_SIZE > ODP_HCA_CMDQ_MAX_LOG_SIZE);
	mutex_init(&dev->cmd_lock);
	init_completion(&dev->cmd_done);
	dev->cmdq_entries = 1U << ODP_HCA_CMDQ_LOG_SIZE;
	size = dev->cmdq_entries * sizeof(struct odp_hca_cmd);
	/* Zero-filled: every entry starts owned by software. */
	dev->cmdq = dma_alloc_coherent(dmadev, size, &dev->cmdq_dma,
				       GFP_KERNEL);
	if (!dev->cmdq)
		return -ENOMEM;
	if (dev->cmdq_dma & (ODP_HCA_PAGE_SIZE - 1)) {
		dev_err(dmadev, "command ring not 4 KiB aligned\n");
		goto err_free;
	}
	dev->cmd_pi = 0;
	dev->cmd_dead = false;

	writel(lower_32_bits(dev->cmdq_dma),
	       dev->regs + ODP_HCA_REG_CMDQ_BASE_LO);
	writel(upper_32_bits(dev->cmdq_dma),
	       dev->regs + ODP_HCA_REG_CMDQ_BASE_HI);
	writel(ODP_HCA_CMDQ_LOG_SIZE, dev->regs + ODP_HCA_REG_CMDQ_LOG_SIZE);
	writel(ODP_HCA_CTRL_ENABLE, dev->regs + ODP_HCA_REG_CTRL);
	if (!(readl(dev->regs + ODP_HCA_REG_STATUS) & ODP_HCA_STATUS_READY)) {
		dev_err(dmadev, "device not ready after enable (status 0x%x)\n",
			readl(dev->regs + ODP_HCA_REG_STATUS));
		goto err_free;
	}
	return 0;

err_free:
	dma_free_coherent(dmadev, size, dev->cmdq, dev->cmdq_dma);
	dev->cmdq = NULL;
	return -EIO;
}

/* Called after the device was reset: it no longer reads the ring. */
void odp_hca_cmdq_fini(struct odp_hca_dev *dev)
{
	if (!dev->cmdq)
		return;
	dma_free_coherent(&dev->pdev->dev,
			  dev->cmdq_entries * sizeof(struct odp_hca_cmd),
			  dev->cmdq, dev->cmdq_dma);
	dev->cmdq = NULL;
}

void odp_hca_cmd_complete_irq(struct odp_hca_dev *dev)
{
	complete(&dev->cmd_done);
}

/*
 * Execute one command.  @cmd holds opcode and inputs; on return it holds
 * the device's outputs and status.  Returns 0 or a negative errno derived
 * from the status.  Sleeps.
 */
int odp_hca_cmd_exec(struct odp_hca_dev *dev, struct odp_hca_cmd *cmd)
{
	struct odp_hca_cmd *slot;
	unsigned long deadline;
	int ret;

	might_sleep();
	mutex_lock(&dev->cmd_lock);
	if (dev->cmd_dead || !dev->cmdq) {
		ret = -EIO;
		goto out;
	}
	slot = &dev->cmdq[dev->cmd_pi & (dev->cmdq_entries - 1)];
	if (READ_ONCE(slot->owner) != ODP_HCA_CMD_OWNER_SW) {
		odp_hca_dev_lost(dev, "command slot still owned by the device",
				 readl(dev->regs + ODP_HCA_REG_STATUS));
		ret = -EIO;
		goto out;
	}

	reinit_completion(&dev->cmd_done);
	slot->opcode = cmd->opcode;
	slot->flags = ODP_HCA_CMD_F_INTR;
	slot->status = 0;
	slot->rsvd = 0;
	memcpy(slot->raw, cmd->raw, sizeof(slot->raw));
	/* The whole entry before the owner byte, the owner before the doorbell. */
	dma_wmb();
	WRITE_ONCE(slot->owner, ODP_HCA_CMD_OWNER_HW);
	dev->cmd_pi++;
	writel(dev->cmd_pi, dev->regs + ODP_HCA_REG_CMDQ_PI);

	deadline = jiffies + msecs_to_jiffies(ODP_HCA_CMD_TIMEOUT_MS);
	while (READ_ONCE(slot->owner) != ODP_HCA_CMD_OWNER_SW) {
		u32 status;

		if (READ_ONCE(dev->cmd_dead)) {
			/* Lost meanwhile (reset_prepare, the health check). */
			ret = -EIO;
			goto out;
		}
		if (time_after(jiffies, deadline)) {
			dev_err(&dev->pdev->dev, "command %s timed out\n",
				odp_hca_cmd_name(cmd->opcode));
			odp_hca_dev_lost(dev, "command timeout",
					 readl(dev->regs + ODP_HCA_REG_STATUS));
			ret = -ETIMEDOUT;
			goto out;
		}
		if (wait_for_completion_timeout(&dev->cmd_done,
						msecs_to_jiffies(5)))
			continue;
		/* Slow: is the device still there, enabled and running? */
		status = readl(dev->regs + ODP_HCA_REG_STATUS);
		if (!(status & ODP_HCA_STATUS_READY) || status == U32_MAX) {
			if (READ_ONCE(slot->owner) == ODP_HCA_CMD_OWNER_SW)
				break;	/* completed just before */
			odp_hca_dev_lost(dev, "STATUS not READY during a command",
					 status);
			ret = -EIO;
			goto out;
		}
	}
	/* Outputs only after seeing the owner byte. */
	dma_rmb();
	cmd->status = slot->status;
	memcpy(cmd->raw, slot->raw, sizeof(cmd->raw));
	ret = odp_hca_cmd_errno(cmd->status);
	odp_hca_count(dev, ODP_HCA_CNT_CMDS, 1);
	if (ret) {
		odp_hca_count(dev, ODP_HCA_CNT_CMD_ERRORS, 1);
		dev_dbg(&dev->pdev->dev, "command %s: status %u\n",
			odp_hca_cmd_name(cmd->opcode), cmd->status);
	}
out:
	mutex_unlock(&dev->cmd_lock);
	return ret;
}

int odp_hca_cmd_destroy(struct odp_hca_dev *dev, u8 opcode, u32 handle)
{
	struct odp_hca_cmd cmd = { .opcode = opcode };

	/* Reset (or cut off the bus): the object is gone with the rest. */
	if (READ_ONCE(dev->hw_gone))
		return 0;
	cmd.destroy.handle = odp_le32(handle);
	return odp_hca_cmd_exec(dev, &cmd);
}

int odp_hca_cmd_invalidate(struct odp_hca_dev *dev, u32 key, u64 iova,
			   u64 length, u32 flags)
{
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_INVALIDATE };
	int ret;

	/* Nothing cached and no DMA in flight in a device that lost it all. */
	if (READ_ONCE(dev->hw_gone))
		return 0;
	cmd.invalidate.key = odp_le32(key);
	cmd.invalidate.iova = odp_le64(iova);
	cmd.invalidate.length = odp_le64(length);
	cmd.invalidate.flags = odp_le32(flags);
	ret = odp_hca_cmd_exec(dev, &cmd);
	/*
	 * A loss noticed meanwhile cut the device off the bus before it
	 * failed this command (odp_hca_dev_lost()): the barrier holds.
	 */
	if (ret) {
		smp_rmb();	/* hw_gone is set before cmd_dead */
		if (READ_ONCE(dev->hw_gone))
			return 0;
	}
	return ret;
}

int odp_hca_cmd_resume(struct odp_hca_dev *dev, u32 token, bool ok)
{
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_RESUME };
	int ret;

	cmd.resume.token = odp_le32(token);
	cmd.resume.status = odp_le32(ok ? ODP_HCA_RESUME_OK :
					  ODP_HCA_RESUME_FAIL);
	ret = odp_hca_cmd_exec(dev, &cmd);
	odp_hca_count(dev, ODP_HCA_CNT_RESUMES, 1);
	if (ret)
		odp_hca_count(dev, ODP_HCA_CNT_RESUME_ERRORS, 1);
	return ret;
}

/* A zeroed ring of 2^log_entries entries of 2^log_stride bytes. */
int odp_hca_ring_alloc(struct odp_hca_dev *dev, struct odp_hca_ring *ring,
		       u32 log_entries, u32 log_stride)
{
	if (log_entries > ODP_HCA_MAX_LOG_RING ||
	    log_stride > ODP_HCA_MAX_LOG_STRIDE)
		return -EINVAL;
	ring->log_entries = log_entries;
	ring->log_stride = log_stride;
	ring->entries = 1U << log_entries;
	ring->size = ALIGN((size_t)ring->entries << log_stride,
			   ODP_HCA_PAGE_SIZE);
	ring->buf = dma_alloc_coherent(&dev->pdev->dev, ring->size, &ring->dma,
				       GFP_KERNEL);
	if (!ring->buf)
		return -ENOMEM;
	return 0;
}

void odp_hca_ring_free(struct odp_hca_dev *dev, struct odp_hca_ring *ring)
{
	if (!ring->buf)
		return;
	dma_free_coherent(&dev->pdev->dev, ring->size, ring->buf, ring->dma);
	ring->buf = NULL;
}

static int odp_hca_plist_alloc(struct odp_hca_dev *dev,
			       struct odp_hca_plist *pl, u32 npages)
{
	if (!npages || npages > U16_MAX)
		return -EINVAL;
	pl->npages = npages;
	pl->va = dma_alloc_coherent(&dev->pdev->dev, npages * sizeof(u64),
				    &pl->dma, GFP_KERNEL);
	return pl->va ? 0 : -ENOMEM;
}

int odp_hca_plist_from_ring(struct odp_hca_dev *dev, struct odp_hca_plist *pl,
			    const struct odp_hca_ring *ring)
{
	u32 i, npages = ring->size >> ODP_HCA_PAGE_SHIFT;
	int ret;

	ret = odp_hca_plist_alloc(dev, pl, npages);
	if (ret)
		return ret;
	for (i = 0; i < npages; i++)
		pl->va[i] = cpu_to_le64(ring->dma +
					((u64)i << ODP_HCA_PAGE_SHIFT));
	return 0;
}

/* The first @npages 4 KiB pages of a pinned, page-aligned user buffer. */
int odp_hca_plist_from_umem(struct odp_hca_dev *dev, struct odp_hca_plist *pl,
			    struct ib_umem *umem, u32 npages)
{
	struct ib_block_iter biter;
	u32 i = 0;
	int ret;

	if (ib_umem_num_dma_blocks(umem, ODP_HCA_PAGE_SIZE) < npages)
		return -EINVAL;
	ret = odp_hca_plist_alloc(dev, pl, npages);
	if (ret)
		return ret;
	rdma_umem_for_each_dma_block(umem, &biter, ODP_HCA_PAGE_SIZE) {
		if (i == npages)
			break;
		pl->va[i++] = cpu_to_le64(rdma_block_iter_dma_address(&biter));
	}
	return 0;
}

void odp_hca_plist_free(struct odp_hca_dev *dev, struct odp_hca_plist *pl)
{
	if (!pl->va)
		return;
	dma_free_coherent(&dev->pdev->dev, pl->npages * sizeof(u64), pl->va,
			  pl->dma);
	pl->va = NULL;
}

/* The DMA address of byte @off of the buffer @pl lists. */
dma_addr_t odp_hca_plist_dma_at(const struct odp_hca_plist *pl, u64 off)
{
	return le64_to_cpu(pl->va[off >> ODP_HCA_PAGE_SHIFT]) +
	       (off & (ODP_HCA_PAGE_SIZE - 1));
}

/*
 * The ring's own pages of @pl: a buffer may go on past the ring (a CQ's
 * consumer record), and the device takes no more pages than the ring has.
 */
void odp_hca_ring_desc(struct odp_hca_ring_desc *d,
		       const struct odp_hca_plist *pl, u32 log_entries,
		       u32 log_stride)
{
	u64 bytes = 1ULL << (log_entries + log_stride);

	d->page_list = odp_le64(pl->dma);
	d->npages = odp_le16(min_t(u64, pl->npages,
				   DIV_ROUND_UP(bytes, ODP_HCA_PAGE_SIZE)));
	d->log_entries = log_entries;
	d->log_stride = log_stride;
	d->rsvd = 0;
}
