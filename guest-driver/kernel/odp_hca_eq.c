// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: event queues, interrupts and asynchronous events.
 *
 * Vector 0 carries command completions and EQ 0, the asynchronous EQ
 * that receives page faults and error events.  Its hard handler wakes
 * the command waiter and, when EQ 0 holds an entry, its thread, which
 * drains EQ 0 in process context: page faults become work items, the
 * rest ib_events.  Vectors 1.. each carry one completion EQ, drained in
 * the hard handler into the CQs' comp_handler.
 *
 * Every event is checked before use: an object number that names no
 * object of ours, or an unknown type, is counted and dropped.  Objects
 * leave the lookup tables before their destruction synchronises with the
 * handler that might still see them (odp_hca_sync_eq()).
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/interrupt.h>

#include "odp_hca.h"

static struct odp_hca_eqe *odp_hca_eq_peek(struct odp_hca_eq *eq)
{
	struct odp_hca_eqe *e;
	u8 want;

	e = eq->ring.buf + ((size_t)(eq->ci & (eq->ring.entries - 1)) <<
			    eq->ring.log_stride);
	want = ((eq->ci >> eq->ring.log_entries) & 1) ^ 1;
	if ((READ_ONCE(e->owner) & ODP_HCA_CQE_OWNER) != want)
		return NULL;
	/* The rest of the entry only after its owner byte. */
	dma_rmb();
	return e;
}

static void odp_hca_eq_doorbell(struct odp_hca_eq *eq, bool arm)
{
	u32 val = (eq->ci & ODP_HCA_EQ_DB_CI_MASK) |
		  ((eq->eqn & ODP_HCA_EQ_DB_EQN_MASK) << ODP_HCA_EQ_DB_EQN_SHIFT);

	if (arm)
		val |= ODP_HCA_EQ_DB_ARM;
	writel(val, eq->dev->regs + ODP_HCA_REG_EQ_DB);
}

/*
 * An event we cannot use.  One for an object just destroyed is a normal
 * race (the event was posted before the destroy); the rest are the
 * device's confusion.  Either way it is counted and dropped.
 */
static void odp_hca_bad_event(struct odp_hca_dev *dev, const char *what,
			      u8 type, u32 obj)
{
	odp_hca_count(dev, ODP_HCA_CNT_BAD_EVENTS, 1);
	dev_dbg(&dev->pdev->dev, "dropping event type 0x%x obj %u: %s\n",
		type, obj, what);
}

static void odp_hca_completion_event(struct odp_hca_dev *dev,
				     struct odp_hca_eq *eq, u32 cqn)
{
	struct odp_hca_cq *cq = xa_load(&dev->cqs, cqn);

	if (!cq || cq->eq != eq) {
		odp_hca_bad_event(dev, "no such CQ on this EQ",
				  ODP_HCA_EV_COMPLETION, cqn);
		return;
	}
	if (cq->ibcq.comp_handler)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
}

static void odp_hca_cq_event(struct odp_hca_dev *dev, u32 cqn)
{
	struct odp_hca_cq *cq = xa_load(&dev->cqs, cqn);
	struct ib_event ev = {};

	if (!cq) {
		odp_hca_bad_event(dev, "no such CQ", ODP_HCA_EV_CQ_ERROR, cqn);
		return;
	}
	dev_warn_ratelimited(&dev->pdev->dev, "CQ %u overflowed\n", cqn);
	if (!cq->ibcq.event_handler)
		return;
	ev.device = &dev->ibdev;
	ev.element.cq = &cq->ibcq;
	ev.event = IB_EVENT_CQ_ERR;
	cq->ibcq.event_handler(&ev, cq->ibcq.cq_context);
}

static void odp_hca_srq_event(struct odp_hca_dev *dev, u32 srqn)
{
	struct odp_hca_srq *srq = xa_load(&dev->srqs, srqn);
	struct ib_event ev = {};

	if (!srq) {
		odp_hca_bad_event(dev, "no such SRQ", ODP_HCA_EV_SRQ_LIMIT, srqn);
		return;
	}
	/* The limit event fires once; the device disarms it. */
	WRITE_ONCE(srq->limit, 0);
	if (!srq->ibsrq.event_handler)
		return;
	ev.device = &dev->ibdev;
	ev.element.srq = &srq->ibsrq;
	ev.event = IB_EVENT_SRQ_LIMIT_REACHED;
	srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
}

static void odp_hca_fault_event(struct odp_hca_dev *dev,
				const struct odp_hca_eqe *e)
{
	struct odp_hca_fault_info fi = e->fault;
	u32 qpn = odp_cpu32(e->obj);
	struct odp_hca_qp *qp;

	/*
	 * The fault is answered whatever the QP: an unanswered fault stalls
	 * its QP for good.  The QP only matters for the counters: a responder
	 * fault of an RC QP is what the requester sees as an RNR NAK.
	 */
	qp = xa_load(&dev->qps, qpn);
	if (qp && fi.side == ODP_HCA_FAULT_RESPONDER && qp->type == IB_QPT_RC)
		odp_hca_count(dev, ODP_HCA_CNT_RNR_NAKS, 1);
	odp_hca_page_fault(dev, qpn, &fi);
}

static void odp_hca_async_event(struct odp_hca_dev *dev,
				const struct odp_hca_eqe *e)
{
	u32 obj = odp_cpu32(e->obj);

	odp_hca_count(dev, ODP_HCA_CNT_ASYNC_EVENTS, 1);
	switch (e->type) {
	case ODP_HCA_EV_PAGE_FAULT:
		odp_hca_fault_event(dev, e);
		break;
	case ODP_HCA_EV_COMPLETION:
		/* Only when the completion EQ is EQ 0 (a single vector). */
		odp_hca_completion_event(dev, &dev->async_eq, obj);
		break;
	case ODP_HCA_EV_QP_FATAL:
		dev_dbg(&dev->pdev->dev, "QP %u fatal, vendor error %u\n",
			obj, e->subtype);
		odp_hca_qp_event(dev, obj, IB_EVENT_QP_FATAL);
		break;
	case ODP_HCA_EV_QP_ACCESS_ERR:
		odp_hca_qp_event(dev, obj, IB_EVENT_QP_ACCESS_ERR);
		break;
	case ODP_HCA_EV_SQ_DRAINED:
		odp_hca_qp_event(dev, obj, IB_EVENT_SQ_DRAINED);
		break;
	case ODP_HCA_EV_CQ_ERROR:
		odp_hca_cq_event(dev, obj);
		break;
	case ODP_HCA_EV_SRQ_LIMIT:
		odp_hca_srq_event(dev, obj);
		break;
	case ODP_HCA_EV_PORT_ACTIVE:
	case ODP_HCA_EV_PORT_DOWN:
		/* PORT_STATE says where the link is now: the event may be stale. */
		if (obj != 1) {
			odp_hca_bad_event(dev, "no such port", e->type, obj);
			break;
		}
		odp_hca_netdev_link_changed(dev);
		break;
	default:
		odp_hca_bad_event(dev, "unknown type", e->type, obj);
		dev_warn_ratelimited(&dev->pdev->dev,
				     "unknown event type 0x%x\n", e->type);
		break;
	}
}

static irqreturn_t odp_hca_async_irq(int irq, void *data)
{
	struct odp_hca_dev *dev = data;
	struct odp_hca_eq *eq = &dev->async_eq;

	odp_hca_cmd_complete_irq(dev);
	if (READ_ONCE(eq->created) && odp_hca_eq_peek(eq))
		return IRQ_WAKE_THREAD;
	return IRQ_HANDLED;
}

static irqreturn_t odp_hca_async_thread(int irq, void *data)
{
	struct odp_hca_dev *dev = data;
	struct odp_hca_eq *eq = &dev->async_eq;
	struct odp_hca_eqe *e;
	int n;

	if (!READ_ONCE(eq->created))
		return IRQ_HANDLED;
	do {
		for (n = 0; n < ODP_HCA_EQ_BUDGET; n++) {
			struct odp_hca_eqe copy;

			e = odp_hca_eq_peek(eq);
			if (!e)
				break;
			copy = *e;
			eq->ci++;
			odp_hca_async_event(dev, &copy);
			/* Hand ring space back early: pending faults wait for it. */
			if ((n & 31) == 31)
				odp_hca_eq_doorbell(eq, false);
		}
		odp_hca_eq_doorbell(eq, true);
		cond_resched();
	} while (odp_hca_eq_peek(eq));
	return IRQ_HANDLED;
}

static irqreturn_t odp_hca_comp_irq(int irq, void *data)
{
	struct odp_hca_eq *eq = data;
	struct odp_hca_dev *dev = eq->dev;
	struct odp_hca_eqe *e;
	int n, rounds = 0;

	do {
		for (n = 0; n < ODP_HCA_EQ_BUDGET; n++) {
			u8 type;
			u32 obj;

			e = odp_hca_eq_peek(eq);
			if (!e)
				break;
			type = e->type;
			obj = odp_cpu32(e->obj);
			eq->ci++;
			if (type == ODP_HCA_EV_COMPLETION)
				odp_hca_completion_event(dev, eq, obj);
			else
				odp_hca_bad_event(dev, "not a completion", type,
						  obj);
		}
		odp_hca_eq_doorbell(eq, true);
		/* Armed again: the device signals whatever comes next. */
	} while (odp_hca_eq_peek(eq) && ++rounds < 4);
	return IRQ_HANDLED;
}

static int odp_hca_eq_create(struct odp_hca_dev *dev, struct odp_hca_eq *eq,
			     u32 log_entries, u16 vector)
{
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_EQ };
	struct odp_hca_plist pl = {};
	int ret;

	eq->dev = dev;
	eq->vector = vector;
	eq->ci = 0;
	ret = odp_hca_ring_alloc(dev, &eq->ring, log_entries,
				 ilog2(sizeof(struct odp_hca_eqe)));
	if (ret)
		return ret;
	ret = odp_hca_plist_from_ring(dev, &pl, &eq->ring);
	if (ret)
		goto err_ring;
	odp_hca_ring_desc(&cmd.create_eq.ring, &pl, log_entries,
			  ilog2(sizeof(struct odp_hca_eqe)));
	cmd.create_eq.vector = odp_le16(vector);
	ret = odp_hca_cmd_exec(dev, &cmd);
	odp_hca_plist_free(dev, &pl);
	if (ret)
		goto err_ring;
	eq->eqn = odp_cpu32(cmd.create_eq.eqn);
	if (eq->eqn > ODP_HCA_EQ_DB_EQN_MASK) {
		odp_hca_cmd_destroy(dev, ODP_HCA_CMD_DESTROY_EQ, eq->eqn);
		ret = -EIO;
		goto err_ring;
	}
	return 0;

err_ring:
	odp_hca_ring_free(dev, &eq->ring);
	return ret;
}

static u32 odp_hca_eq_log(struct odp_hca_dev *dev, u32 want)
{
	u32 max = ilog2(dev->caps.max_eqe);

	return clamp_t(u32, want, 1, min_t(u32, max, ODP_HCA_MAX_LOG_RING));
}

/*
 * Interrupts first (vector 0 then serves command completions), then EQ 0,
 * then one completion EQ per further vector.
 */
int odp_hca_eqs_init(struct odp_hca_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	struct odp_hca_eq *eq = &dev->async_eq;
	u32 i, ncomp = dev->nvec - 1;
	int ret;

	ret = odp_hca_eq_create(dev, eq, odp_hca_eq_log(dev, ODP_HCA_ASYNC_EQ_LOG),
				0);
	if (ret) {
		dev_err(&pdev->dev, "cannot create the async EQ: %d\n", ret);
		return ret;
	}
	if (eq->eqn != 0) {
		/* Faults go to EQ 0 only: ours must be it. */
		dev_err(&pdev->dev, "async EQ got number %u, not 0\n", eq->eqn);
		ret = -EIO;
		goto err_async;
	}
	eq->irq = pci_irq_vector(pdev, 0);
	snprintf(eq->name, sizeof(eq->name), "odp_hca-async@%s", pci_name(pdev));
	WRITE_ONCE(eq->created, true);
	/* Created armed; events may already be there. */
	odp_hca_eq_doorbell(eq, true);

	dev->comp_eqs = kcalloc(max_t(u32, ncomp, 1), sizeof(*dev->comp_eqs),
				GFP_KERNEL);
	if (!dev->comp_eqs) {
		ret = -ENOMEM;
		goto err_async;
	}
	for (i = 0; i < ncomp; i++) {
		struct odp_hca_eq *ceq = &dev->comp_eqs[i];
		u32 log = odp_hca_eq_log(dev,
					 order_base_2(dev->caps.max_cqs + 1));

		ret = odp_hca_eq_create(dev, ceq, log, i + 1);
		if (ret) {
			dev_err(&pdev->dev, "cannot create completion EQ %u: %d\n",
				i, ret);
			goto err_comp;
		}
		ceq->irq = pci_irq_vector(pdev, i + 1);
		snprintf(ceq->name, sizeof(ceq->name), "odp_hca-comp%u@%s", i,
			 pci_name(pdev));
		ret = request_irq(ceq->irq, odp_hca_comp_irq, 0, ceq->name, ceq);
		if (ret) {
			odp_hca_cmd_destroy(dev, ODP_HCA_CMD_DESTROY_EQ, ceq->eqn);
			odp_hca_ring_free(dev, &ceq->ring);
			goto err_comp;
		}
		ceq->created = true;
		odp_hca_eq_doorbell(ceq, true);
		dev->num_comp_eqs++;
	}
	return 0;

err_comp:
	while (dev->num_comp_eqs) {
		struct odp_hca_eq *ceq = &dev->comp_eqs[--dev->num_comp_eqs];

		ceq->created = false;
		free_irq(ceq->irq, ceq);
		odp_hca_cmd_destroy(dev, ODP_HCA_CMD_DESTROY_EQ, ceq->eqn);
		odp_hca_ring_free(dev, &ceq->ring);
	}
	kfree(dev->comp_eqs);
	dev->comp_eqs = NULL;
err_async:
	WRITE_ONCE(eq->created, false);
	synchronize_irq(pci_irq_vector(pdev, 0));
	odp_hca_cmd_destroy(dev, ODP_HCA_CMD_DESTROY_EQ, eq->eqn);
	odp_hca_ring_free(dev, &eq->ring);
	return ret;
}

int odp_hca_async_irq_request(struct odp_hca_dev *dev)
{
	int ret;

	ret = request_threaded_irq(pci_irq_vector(dev->pdev, 0),
				   odp_hca_async_irq, odp_hca_async_thread, 0,
				   "odp_hca-async", dev);
	if (!ret)
		dev->async_irq_requested = true;
	return ret;
}

/* No more interrupts: every handler has returned when this does. */
void odp_hca_eqs_stop(struct odp_hca_dev *dev)
{
	u32 i;

	for (i = 0; i < dev->num_comp_eqs; i++) {
		struct odp_hca_eq *ceq = &dev->comp_eqs[i];

		if (ceq->created) {
			ceq->created = false;
			free_irq(ceq->irq, ceq);
		}
	}
	if (dev->async_irq_requested) {
		WRITE_ONCE(dev->async_eq.created, false);
		free_irq(pci_irq_vector(dev->pdev, 0), dev);
		dev->async_irq_requested = false;
	}
}

/* Once the device was reset: it writes none of the rings any more. */
void odp_hca_eqs_free(struct odp_hca_dev *dev)
{
	u32 i;

	for (i = 0; i < dev->num_comp_eqs; i++)
		odp_hca_ring_free(dev, &dev->comp_eqs[i].ring);
	dev->num_comp_eqs = 0;
	kfree(dev->comp_eqs);
	dev->comp_eqs = NULL;
	odp_hca_ring_free(dev, &dev->async_eq.ring);
}

/* The EQ that takes completion events of CQs on @vector. */
struct odp_hca_eq *odp_hca_comp_eq(struct odp_hca_dev *dev, int vector)
{
	if (!dev->num_comp_eqs)
		return &dev->async_eq;
	return &dev->comp_eqs[(u32)vector % dev->num_comp_eqs];
}

void odp_hca_sync_async_events(struct odp_hca_dev *dev)
{
	if (dev->async_irq_requested)
		synchronize_irq(pci_irq_vector(dev->pdev, 0));
}

void odp_hca_sync_eq(struct odp_hca_dev *dev, struct odp_hca_eq *eq)
{
	if (eq == &dev->async_eq)
		odp_hca_sync_async_events(dev);
	else if (eq->created)
		synchronize_irq(eq->irq);
}
