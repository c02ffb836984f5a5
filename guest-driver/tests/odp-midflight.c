// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * odp-midflight: steady RDMA traffic over on-demand (ODP) memory regions
 * with every completion and every byte checked, for the guest tests that
 * hit the device while it runs (guest-driver/tests/check-midflight.sh):
 * a function reset, the driver unloaded, the process killed, fault
 * injection at high rates with invalidations racing the faults.  Plain
 * libibverbs; written for odp-hca, usable on any device with RC ODP.
 *
 * Each of -p QP pairs (QP a and QP b of one device, connected to each
 * other, one CQ) keeps -w work requests in flight on QP a, cycling
 * through RDMA WRITE (a's source slot to b's destination slot), RDMA READ
 * (b's slot into a's) and SEND/RECV (a receive posted on b first).
 * Operation n uses slot n % w of both buffers with a pattern of its own;
 * a slot is reused once its operation completed.  Both buffers are one
 * shared memory file (memfd) mapped once, each under an explicit ODP MR
 * (-i: all operations use one implicit ODP MR instead).
 *
 * Checked:
 *  - completions: QP a's arrive once each, in posting order (RC); QP b's
 *    receive completions in the order of the SENDs; all with status
 *    success.  A completion that skips an expected one is a lost
 *    completion, one already seen (or never posted) a duplicate;
 *  - bytes: when an operation completed, every byte of the slot it wrote
 *    (b's for WRITE and SEND, a's for READ) holds its pattern, and a
 *    receive's byte count is the message's;
 *  - liveness: some completion at least every -T seconds.
 *
 * -c adds a thread that drops the pages of every buffer (MADV_DONTNEED,
 * which on shared memory unmaps them and keeps their contents) in a loop,
 * so invalidations race the faults.  IBV_EVENT_DEVICE_FATAL (the device
 * was reset, or its driver unloaded) ends the run: what completed before
 * it must have been right; it is reported, the objects are destroyed
 * (which must not hang) and the exit status is 3.
 *
 * Output: "# ..." progress and details (per pair, every -P seconds),
 * then TAP-style "ok - ..." / "not ok - ..." lines without numbers (the
 * suite numbers them) and a summary line
 *   # midflight: ops N bytes N lost N dup N bad-status N bad-bytes N
 *     fatal 0|1 stalled 0|1 seconds S
 * Once every pair completed its first window, the -r file gets "pid N",
 * "mr <pair> src|dst <key> <addr> <length>" lines (hex key and address)
 * and "ready", for the test to aim fault injection at a key.
 *
 * Exit status: 0 all right; 1 a wrong byte or completion; 2 set-up
 * failed; 3 IBV_EVENT_DEVICE_FATAL (and nothing wrong before it); 4 no
 * completion for -T seconds (and nothing wrong before it).
 *
 * Usage: odp-midflight [-d dev] [-g gid] [-t seconds] [-n ops] [-p pairs]
 *                      [-w depth] [-s size] [-o wrs] [-c] [-i] [-r file]
 *                      [-P seconds] [-T seconds]
 *   -t run this long (default 10), then drain; -n or stop after this many
 *   operations per pair; -o the operations, letters of w (WRITE), r
 *   (READ), s (SEND) (default wrs); -s bytes per operation, a multiple of
 *   8 (default 16384).
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "hw-counters.h"
#include "tap.h"

#define MAX_PAIRS	16
#define MAX_DEPTH	64
#define ODP_ACCESS	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

enum kind { K_WRITE, K_READ, K_SEND };

struct slot {
	uint64_t seq;
	enum kind kind;
	bool busy;		/* posted, not checked yet */
	bool send_done, recv_done;
};

struct pair {
	int idx;
	struct ibv_cq *cq;
	struct ibv_qp *a, *b;
	char *mem, *src, *dst;	/* src = mem, dst = mem + depth * size */
	int memfd;
	struct ibv_mr *smr, *dmr;
	uint32_t slkey, drkey, dlkey, srkey;
	uint64_t posted;	/* next operation number */
	uint64_t next_send;	/* QP a's next expected completion */
	uint64_t recv_q[MAX_DEPTH];	/* SENDs in order, for QP b */
	unsigned int recv_head, recv_tail;
	uint64_t checked;	/* operations completed and checked */
	uint64_t last_progress_ops;
	struct slot slots[MAX_DEPTH];
};

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_mr *imr;
static union ibv_gid gid;
static int gid_index = -1;
static const char *dev_name, *ready_file;
static int npairs = 2, depth = 8;
static size_t size = 16384;
static double duration = 10, progress_every = 1, stall_secs = 30;
static uint64_t max_ops;
static bool churn, implicit;
static char kinds[4] = "wrs";
static int nkinds = 3;
static struct pair pairs[MAX_PAIRS];

static volatile bool fatal, stop_churn;
static volatile double fatal_at;
static volatile unsigned long churns;
static uint64_t n_lost, n_dup, n_status, n_bytes_bad, bytes_ok, ops_by_kind[3];
static int shown;

/* An error worth showing; the first 20 are. */
static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdetail(&shown, 20, fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vfatal("not ok - set-up: ", fmt, ap);
}

/* ------------------------------------------------------------------ */
/* Patterns: word i of operation n of pair p */

static inline uint64_t pat_word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed + (i + 1) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

static uint64_t seed_of(const struct pair *p, uint64_t seq)
{
	return ((uint64_t)p->idx << 56) ^ (seq * 0x2545f4914f6cdd1dull) ^
	       ((uint64_t)getpid() << 32);
}

static void fill(void *buf, uint64_t seed)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < size / 8; i++)
		w[i] = pat_word(seed, i);
}

static bool check(const void *buf, uint64_t seed, size_t *bad, size_t *first)
{
	const uint64_t *w = buf;

	*bad = 0;
	for (size_t i = 0; i < size / 8; i++) {
		if (w[i] != pat_word(seed, i) && !(*bad)++)
			*first = i * 8;
	}
	return !*bad;
}

/* ------------------------------------------------------------------ */
/* Set-up */

static void open_device(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_port_attr port;

	if (!list)
		die("ibv_get_device_list");
	for (int i = 0; list[i]; i++) {
		if (dev_name && strcmp(ibv_get_device_name(list[i]), dev_name))
			continue;
		ctx = ibv_open_device(list[i]);
		break;
	}
	ibv_free_device_list(list);
	if (!ctx)
		die("cannot open %s", dev_name ? dev_name : "an RDMA device");
	if (ibv_query_port(ctx, 1, &port))
		die("ibv_query_port");
	if (gid_index < 0) {
		static const union ibv_gid zero;

		for (int i = 0; i < port.gid_tbl_len && gid_index < 0; i++) {
			union ibv_gid g;

			if (!ibv_query_gid(ctx, 1, i, &g) &&
			    memcmp(&g, &zero, sizeof(g)))
				gid_index = i;
		}
		if (gid_index < 0)
			gid_index = 0;
	}
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		die("ibv_query_gid %d", gid_index);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");
}

static struct ibv_qp *qp_create(struct ibv_cq *cq)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = depth, .max_recv_wr = depth,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	if (!qp)
		die("ibv_create_qp");
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("modify QP to INIT");
	return qp;
}

static void qp_connect(struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dest, .rq_psn = 0,
		.max_dest_rd_atomic = 1, .min_rnr_timer = 1,
		.ah_attr = {
			.is_global = 1, .port_num = 1,
			.grh = { .dgid = gid, .sgid_index = gid_index,
				 .hop_limit = 1 },
		},
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("modify QP to RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;	/* responder faults: retry as long as it takes */
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		die("modify QP to RTS");
}

static void pair_setup(struct pair *p, int idx)
{
	size_t half = (size_t)depth * size;
	char name[32];

	memset(p, 0, sizeof(*p));
	p->idx = idx;
	snprintf(name, sizeof(name), "odp-midflight-%d", idx);
	p->memfd = memfd_create(name, MFD_CLOEXEC);
	if (p->memfd < 0 || ftruncate(p->memfd, 2 * half))
		die("memfd of %zu bytes", 2 * half);
	p->mem = mmap(NULL, 2 * half, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->memfd, 0);
	if (p->mem == MAP_FAILED)
		die("mmap memfd");
	p->src = p->mem;
	p->dst = p->mem + half;
	if (implicit) {
		p->slkey = p->dlkey = imr->lkey;
		p->srkey = p->drkey = imr->rkey;
	} else {
		p->smr = ibv_reg_mr(pd, p->src, half, ODP_ACCESS);
		p->dmr = ibv_reg_mr(pd, p->dst, half, ODP_ACCESS);
		if (!p->smr || !p->dmr)
			die("ibv_reg_mr(ON_DEMAND) of %zu bytes", half);
		p->slkey = p->smr->lkey;
		p->srkey = p->smr->rkey;
		p->dlkey = p->dmr->lkey;
		p->drkey = p->dmr->rkey;
	}
	p->cq = ibv_create_cq(ctx, 4 * depth, NULL, NULL, 0);
	if (!p->cq)
		die("ibv_create_cq");
	p->a = qp_create(p->cq);
	p->b = qp_create(p->cq);
	qp_connect(p->a, p->b->qp_num);
	qp_connect(p->b, p->a->qp_num);
}

/* Destroy everything; after a device loss this must return, not hang. */
static void teardown(void)
{
	int r[6] = { 0 };

	for (int i = 0; i < npairs; i++) {
		struct pair *p = &pairs[i];

		if (p->a)
			r[0] |= ibv_destroy_qp(p->a);
		if (p->b)
			r[0] |= ibv_destroy_qp(p->b);
		if (p->cq)
			r[1] |= ibv_destroy_cq(p->cq);
		if (p->smr)
			r[2] |= ibv_dereg_mr(p->smr);
		if (p->dmr)
			r[2] |= ibv_dereg_mr(p->dmr);
	}
	if (imr)
		r[2] |= ibv_dereg_mr(imr);
	r[3] = ibv_dealloc_pd(pd);
	r[4] = ibv_close_device(ctx);
	note("teardown: destroy QPs %d, CQs %d, MRs %d, PD %d, close %d",
	     r[0], r[1], r[2], r[3], r[4]);
}

/* ------------------------------------------------------------------ */
/* Traffic */

static enum kind kind_of(uint64_t seq)
{
	switch (kinds[seq % nkinds]) {
	case 'r': return K_READ;
	case 's': return K_SEND;
	default: return K_WRITE;
	}
}

/* Post the next operation of @p if its window and slot allow. */
static bool post_one(struct pair *p)
{
	uint64_t seq = p->posted;
	struct slot *s = &p->slots[seq % depth];
	char *sbuf = p->src + (seq % depth) * size;
	char *dbuf = p->dst + (seq % depth) * size;
	struct ibv_sge sge = { .length = (uint32_t)size };
	struct ibv_send_wr wr = {
		.wr_id = seq, .sg_list = &sge, .num_sge = 1,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	uint64_t seed = seed_of(p, seq);

	if (s->busy || seq - p->next_send >= (uint64_t)depth)
		return false;
	memset(s, 0, sizeof(*s));
	s->seq = seq;
	s->kind = kind_of(seq);
	s->busy = true;
	switch (s->kind) {
	case K_WRITE:
		fill(sbuf, seed);
		sge.addr = (uintptr_t)sbuf;
		sge.lkey = p->slkey;
		wr.opcode = IBV_WR_RDMA_WRITE;
		wr.wr.rdma.remote_addr = (uintptr_t)dbuf;
		wr.wr.rdma.rkey = p->drkey;
		s->recv_done = true;
		break;
	case K_READ:
		fill(dbuf, seed);
		sge.addr = (uintptr_t)sbuf;
		sge.lkey = p->slkey;
		wr.opcode = IBV_WR_RDMA_READ;
		wr.wr.rdma.remote_addr = (uintptr_t)dbuf;
		wr.wr.rdma.rkey = p->drkey;
		s->recv_done = true;
		break;
	case K_SEND: {
		struct ibv_sge rsge = {
			.addr = (uintptr_t)dbuf, .length = (uint32_t)size,
			.lkey = p->dlkey,
		};
		struct ibv_recv_wr rwr = {
			.wr_id = seq, .sg_list = &rsge, .num_sge = 1,
		}, *rbad;

		fill(sbuf, seed);
		if (ibv_post_recv(p->b, &rwr, &rbad))
			die("ibv_post_recv");
		p->recv_q[p->recv_tail++ % MAX_DEPTH] = seq;
		sge.addr = (uintptr_t)sbuf;
		sge.lkey = p->slkey;
		wr.opcode = IBV_WR_SEND;
		break;
	}
	}
	if (ibv_post_send(p->a, &wr, &bad))
		die("ibv_post_send");
	p->posted++;
	return true;
}

/* Both halves of slot @s are in: check its bytes, free it. */
static void finish(struct pair *p, struct slot *s)
{
	static const char *const kname[] = { "RDMA WRITE", "RDMA READ", "SEND" };
	const char *buf = (s->kind == K_READ ? p->src : p->dst) +
			  (s->seq % depth) * size;
	size_t bad, first = 0;

	if (!check(buf, seed_of(p, s->seq), &bad, &first)) {
		n_bytes_bad++;
		err("pair %d op %" PRIu64 " (%s): %zu of %zu bytes wrong, first at +%zu",
		    p->idx, s->seq, kname[s->kind], bad, size, first);
	} else {
		bytes_ok += size;
	}
	ops_by_kind[s->kind]++;
	p->checked++;
	s->busy = false;
}

static void completion(struct pair *p, const struct ibv_wc *wc)
{
	bool send = wc->qp_num == p->a->qp_num;
	uint64_t want;
	struct slot *s;

	if (wc->status != IBV_WC_SUCCESS) {
		n_status++;
		err("pair %d QP %s: wr_id %" PRIu64 " completed %s (vendor error %u)",
		    p->idx, send ? "a" : "b", (uint64_t)wc->wr_id,
		    ibv_wc_status_str(wc->status), wc->vendor_err);
	}
	if (send) {
		want = p->next_send;
	} else if (wc->qp_num == p->b->qp_num) {
		if (p->recv_head == p->recv_tail) {
			n_dup++;
			err("pair %d: receive completion %" PRIu64 " with no receive outstanding",
			    p->idx, (uint64_t)wc->wr_id);
			return;
		}
		want = p->recv_q[p->recv_head % MAX_DEPTH];
	} else {
		n_dup++;
		err("pair %d: a completion of QP %u, not of this pair",
		    p->idx, wc->qp_num);
		return;
	}
	if (wc->wr_id != want) {
		if (wc->wr_id > want && wc->wr_id < p->posted) {
			n_lost += wc->wr_id - want;
			err("pair %d QP %s: completion of op %" PRIu64 " while op %" PRIu64 " never completed (lost)",
			    p->idx, send ? "a" : "b", (uint64_t)wc->wr_id, want);
		} else {
			n_dup++;
			err("pair %d QP %s: completion of op %" PRIu64 ", expected op %" PRIu64 " (duplicate or never posted)",
			    p->idx, send ? "a" : "b", (uint64_t)wc->wr_id, want);
			return;
		}
	}
	s = &p->slots[wc->wr_id % depth];
	if (!s->busy || s->seq != wc->wr_id) {
		n_dup++;
		err("pair %d: op %" PRIu64 " completed twice", p->idx,
		    (uint64_t)wc->wr_id);
		return;
	}
	if (send) {
		p->next_send = wc->wr_id + 1;
		s->send_done = true;
	} else {
		p->recv_head++;
		s->recv_done = true;
		if (wc->status == IBV_WC_SUCCESS && wc->byte_len != size) {
			n_bytes_bad++;
			err("pair %d op %" PRIu64 ": received %u bytes, sent %zu",
			    p->idx, (uint64_t)wc->wr_id, wc->byte_len, size);
		}
	}
	if (s->send_done && s->recv_done)
		finish(p, s);
}

static void *async_thread(void *arg)
{
	struct ibv_async_event ev;

	(void)arg;
	for (;;) {
		if (ibv_get_async_event(ctx, &ev))
			return NULL;
		note("async event: %s", ibv_event_type_str(ev.event_type));
		if (ev.event_type == IBV_EVENT_DEVICE_FATAL) {
			fatal_at = now();
			fatal = true;
		}
		ibv_ack_async_event(&ev);
		if (fatal)
			return NULL;	/* the end of the event stream */
	}
}

static void *churn_thread(void *arg)
{
	(void)arg;
	while (!stop_churn) {
		for (int i = 0; i < npairs; i++)
			madvise(pairs[i].mem, 2 * (size_t)depth * size,
				MADV_DONTNEED);
		churns++;
		usleep(200);
	}
	return NULL;
}

static void write_ready(void)
{
	size_t half = (size_t)depth * size;
	FILE *f;

	if (!ready_file)
		return;
	f = fopen(ready_file, "w");
	if (!f)
		die("%s", ready_file);
	fprintf(f, "pid %d\n", getpid());
	for (int i = 0; i < npairs; i++) {
		fprintf(f, "mr %d src %#x %#" PRIxPTR " %zu\n", i, pairs[i].slkey,
			(uintptr_t)pairs[i].src, half);
		fprintf(f, "mr %d dst %#x %#" PRIxPTR " %zu\n", i, pairs[i].drkey,
			(uintptr_t)pairs[i].dst, half);
	}
	fprintf(f, "ready\n");
	fclose(f);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-d dev] [-g gid] [-t seconds] [-n ops] [-p pairs] [-w depth]\n"
		"          [-s size] [-o wrs] [-c] [-i] [-r file] [-P seconds] [-T seconds]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	long long f0, i0, r0;
	double t0, t_end, last_done, next_progress;
	bool ready = false, stalled = false, draining = false;
	pthread_t at, ct;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev_name = getenv("ODP_DEV");
	while ((opt = getopt(argc, argv, "d:g:t:n:p:w:s:o:cir:P:T:h")) != -1) {
		switch (opt) {
		case 'd': dev_name = optarg; break;
		case 'g': gid_index = atoi(optarg); break;
		case 't': duration = atof(optarg); break;
		case 'n': max_ops = strtoull(optarg, NULL, 0); break;
		case 'p': npairs = atoi(optarg); break;
		case 'w': depth = atoi(optarg); break;
		case 's': size = strtoul(optarg, NULL, 0); break;
		case 'o':
			snprintf(kinds, sizeof(kinds), "%s", optarg);
			nkinds = (int)strlen(kinds);
			break;
		case 'c': churn = true; break;
		case 'i': implicit = true; break;
		case 'r': ready_file = optarg; break;
		case 'P': progress_every = atof(optarg); break;
		case 'T': stall_secs = atof(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (npairs < 1 || npairs > MAX_PAIRS || depth < 1 || depth > MAX_DEPTH ||
	    !size || size % 8 || size > (1u << 30) || !nkinds ||
	    strspn(kinds, "wrs") != (size_t)nkinds || optind != argc)
		usage(argv[0]);

	open_device();
	if (implicit) {
		imr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP_ACCESS);
		if (!imr)
			die("ibv_reg_mr(NULL, SIZE_MAX, ON_DEMAND): implicit ODP MR");
	}
	for (int i = 0; i < npairs; i++)
		pair_setup(&pairs[i], i);
	if (pthread_create(&at, NULL, async_thread, NULL))
		die("pthread_create");
	if (churn && pthread_create(&ct, NULL, churn_thread, NULL))
		die("pthread_create");
	note("%s GID %d: %d QP pairs, %d in flight each, %zu bytes, ops %s, %s MRs%s, %.0f s",
	     ibv_get_device_name(ctx->device), gid_index, npairs, depth, size,
	     kinds, implicit ? "implicit ODP" : "explicit ODP",
	     churn ? ", pages dropped in a loop" : "", duration);

	f0 = hw_counter(ctx, "odp_faults");
	i0 = hw_counter(ctx, "odp_invalidations");
	r0 = hw_counter(ctx, "odp_resumes");
	t0 = now();
	t_end = t0 + duration;
	last_done = t0;
	next_progress = t0 + progress_every;
	for (;;) {
		bool busy = false, moved = false;
		double t = now();

		if (fatal)
			break;
		if (!draining && (t >= t_end || (max_ops && pairs[0].posted >= max_ops)))
			draining = true;
		for (int i = 0; i < npairs; i++) {
			struct pair *p = &pairs[i];
			struct ibv_wc wc[16];
			int n;

			while (!draining && (!max_ops || p->posted < max_ops) &&
			       post_one(p))
				;
			n = ibv_poll_cq(p->cq, 16, wc);
			if (n < 0) {
				err("ibv_poll_cq: %d", n);
				n_status++;
				break;
			}
			for (int k = 0; k < n; k++)
				completion(p, &wc[k]);
			if (n)
				moved = true;
			if (p->checked != p->posted)
				busy = true;
		}
		if (shown > 20 || n_lost || n_dup)
			break;	/* nothing more to learn */
		if (moved) {
			last_done = t;
		} else if (t - last_done > stall_secs) {
			stalled = true;
			note("no completion for %.0f s", stall_secs);
			break;
		}
		if (!ready) {
			bool all = true;

			for (int i = 0; i < npairs; i++)
				all &= pairs[i].checked >= (uint64_t)depth ||
				       (max_ops && pairs[i].checked >= max_ops);
			if (all) {
				ready = true;
				write_ready();
			}
		}
		if (progress_every > 0 && t >= next_progress) {
			char line[512];
			int len = 0;

			for (int i = 0; i < npairs; i++)
				len += snprintf(line + len, sizeof(line) - len,
						" pair%d %" PRIu64, i,
						pairs[i].checked);
			note("progress %.1f s:%s ops, faults %lld, invalidations %lld",
			     t - t0, line, hw_counter(ctx, "odp_faults") - f0,
			     hw_counter(ctx, "odp_invalidations") - i0);
			next_progress = t + progress_every;
		}
		if (draining && !busy)
			break;
		if (!moved)
			usleep(50);
	}
	if (churn) {
		stop_churn = true;
		pthread_join(ct, NULL);
	}

	{
		uint64_t ops = ops_by_kind[0] + ops_by_kind[1] + ops_by_kind[2];
		uint64_t out = 0;
		bool bad = n_lost || n_dup || n_status || n_bytes_bad;
		double secs = (fatal ? fatal_at : now()) - t0;

		for (int i = 0; i < npairs; i++)
			out += pairs[i].posted - pairs[i].checked;
		if (!fatal) {
			note("driver: faults %lld, resumes %lld, invalidations %lld during the run",
			     hw_counter(ctx, "odp_faults") - f0, hw_counter(ctx, "odp_resumes") - r0,
			     hw_counter(ctx, "odp_invalidations") - i0);
		}
		if (churn)
			note("churn: every buffer's pages dropped %lu times", churns);
		printf("%s - %" PRIu64 " operations (%" PRIu64 " RDMA WRITE, %" PRIu64
		       " RDMA READ, %" PRIu64 " SEND) on %d QP pairs: every completion once, in order, successful (lost %" PRIu64
		       ", duplicated %" PRIu64 ", bad status %" PRIu64 ")%s\n",
		       n_lost || n_dup || n_status ? "not ok" : "ok", ops,
		       ops_by_kind[0], ops_by_kind[1], ops_by_kind[2], npairs,
		       n_lost, n_dup, n_status,
		       fatal ? " before IBV_EVENT_DEVICE_FATAL" : "");
		printf("%s - every byte checked: %" PRIu64 " bytes in %" PRIu64
		       " operations, %" PRIu64 " wrong\n",
		       n_bytes_bad ? "not ok" : "ok", bytes_ok, ops, n_bytes_bad);
		if (fatal)
			note("IBV_EVENT_DEVICE_FATAL %.1f s into the run, %" PRIu64
			     " operations in flight never completed", secs, out);
		printf("# midflight: ops %" PRIu64 " bytes %" PRIu64 " lost %" PRIu64
		       " dup %" PRIu64 " bad-status %" PRIu64 " bad-bytes %" PRIu64
		       " fatal %d stalled %d seconds %.1f\n", ops, bytes_ok, n_lost,
		       n_dup, n_status, n_bytes_bad, fatal ? 1 : 0, stalled ? 1 : 0,
		       secs);
		fflush(stdout);
		if (bad)
			return 1;
		if (fatal) {
			teardown();
			return 3;
		}
		if (stalled)
			return 4;
		teardown();
		return 0;
	}
}
