// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * bench-xfer: the time one RDMA WRITE of a given size takes, from posting
 * it to polling its completion, in loopback between two RC QPs of this
 * process, with the memory on both sides in one state (make bench, its
 * "xfer" part; issue 12):
 *
 *   pinned         both buffers touched, then registered without ODP;
 *   odp-warm       on-demand MRs made resident before the first WRITE
 *                  with ibv_advise_mr(PREFETCH_WRITE, FLUSH): the
 *                  "prefetched" configuration;
 *   odp-cold       on-demand MRs whose pages are dropped
 *                  (madvise(MADV_DONTNEED)) before every WRITE, so that
 *                  every WRITE faults on both sides: the requester's
 *                  source and the responder's target;
 *   implicit-warm  one implicit on-demand MR (the whole address space)
 *                  for both buffers, prefetched;
 *   implicit-cold  the same, pages dropped before every WRITE;
 *   cpu-warm       no RDMA: memcpy(3) of the same bytes between the same
 *                  kind of buffers, both touched before: the partner
 *                  figure of a warm WRITE;
 *   cpu-cold       the same memcpy with the pages dropped before every
 *                  copy: what the first touch costs the CPU itself (the
 *                  kernel's page faults, a fresh page for every target
 *                  page), the floor under a cold WRITE.
 *
 *   bench-xfer -m mode -s bytes [-n iterations] [-d device] [-g gid-index]
 *              [-t min_rnr_timer]
 *
 * The source is a shared memfd mapping, the target private anonymous
 * memory.  Dropping the source's pages unmaps them from the process (and
 * so from the device) while the file keeps their bytes, so a cold
 * source still has content to check: before every WRITE the file gets a
 * new mark at its start, middle and end through pwrite(2), which maps
 * nothing, and after it the target must equal the source.  A dropped
 * target reads zero until the device writes it.
 *
 * The QPs' min_rnr_timer is -t (default 12, 0.64 ms, what perftest
 * sets).  Prints one JSON line: the mode, the size, the iterations, the
 * WRITE's time in microseconds (p50, min, max, mean), MB/s of the mean,
 * and the driver's fault counters over the timed WRITEs (odp_faults,
 * odp_fault_pages, odp_prefetch_pages; null when the driver has none).
 * Every WRITE's bytes are checked against the source; a wrong byte, an
 * error completion or a WRITE that did not complete within 60 s ends the
 * program with exit status 1 and a message.  Exit status 2: set-up
 * failed.
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "hw-counters.h"
#include "tap.h"

#define WRITE_TIMEOUT	60.0	/* seconds */

enum mode { PINNED, ODP_WARM, ODP_COLD, IMPLICIT_WARM, IMPLICIT_COLD,
	    CPU_WARM, CPU_COLD };
static const char *const mode_name[] = {
	"pinned", "odp-warm", "odp-cold", "implicit-warm", "implicit-cold",
	"cpu-warm", "cpu-cold",
};

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static union ibv_gid gid;
static int gid_index = -1;
static uint8_t min_rnr = 12;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vfatal("bench-xfer: ", fmt, ap);
}


static void open_device(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);

	if (!list)
		die("ibv_get_device_list");
	for (int i = 0; list[i]; i++)
		if (!name || !strcmp(ibv_get_device_name(list[i]), name)) {
			ctx = ibv_open_device(list[i]);
			break;
		}
	ibv_free_device_list(list);
	if (!ctx)
		die("no RDMA device %s", name ? name : "at all");
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 16, NULL, NULL, 0) : NULL;
	if (!cq)
		die("ibv_alloc_pd/ibv_create_cq");
	if (gid_index < 0) {
		/* the first non-zero GID of port 1 */
		for (int i = 0; i < 16 && gid_index < 0; i++)
			if (!ibv_query_gid(ctx, 1, i, &gid) &&
			    (gid.global.subnet_prefix || gid.global.interface_id))
				gid_index = i;
		if (gid_index < 0)
			die("port 1 has no GID");
	}
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		die("ibv_query_gid %d", gid_index);
}

static struct ibv_qp *qp_new(void)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	if (!qp || ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				 IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("create a QP");
	return qp;
}

/* RTR and RTS towards @dest, a QP of this device (loopback). */
static void qp_connect(struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dest, .rq_psn = 0, .max_dest_rd_atomic = 1,
		.min_rnr_timer = min_rnr,
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
	a.rnr_retry = 7;	/* a responder fault is waited out */
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		die("modify QP to RTS");
}

/* @fd < 0: private anonymous memory, else a shared mapping of @fd. */
static char *map_buf(size_t len, int fd)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes", len);
	/* 4 KiB pages, as a cold transfer of a fresh buffer would see */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* The source file: @len bytes of a pattern, in the page cache. */
static int source_file(size_t len)
{
	int fd = memfd_create("bench-xfer", MFD_CLOEXEC);
	static uint64_t block[512];

	if (fd < 0 || ftruncate(fd, len))
		die("memfd_create/ftruncate");
	for (size_t off = 0; off < len; off += sizeof(block)) {
		size_t n = len - off < sizeof(block) ? len - off : sizeof(block);

		for (size_t i = 0; i < 512; i++)
			block[i] = (off / 8 + i) * 0x9e3779b97f4a7c15ull;
		if (pwrite(fd, block, n, off) != (ssize_t)n)
			die("pwrite the source file");
	}
	return fd;
}

/* A new mark in the file at @off, through the file: nothing is mapped. */
static void mark(int fd, size_t off, uint64_t tag)
{
	if (pwrite(fd, &tag, sizeof(tag), off) != sizeof(tag))
		die("pwrite a mark");
}

static void prefetch(struct ibv_mr *mr, void *addr, size_t len)
{
	struct ibv_sge s = { .addr = (uintptr_t)addr, .length = (uint32_t)len,
			     .lkey = mr->lkey };
	int ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				IBV_ADVISE_MR_FLAG_FLUSH, &s, 1);

	if (ret) {
		errno = ret;
		die("ibv_advise_mr(PREFETCH_WRITE, FLUSH)");
	}
}

/* Post one signaled WRITE of @len bytes and wait for it: microseconds. */
static double write_once(struct ibv_qp *qp, char *src, uint32_t lkey,
			 char *dst, uint32_t rkey, size_t len)
{
	struct ibv_sge s = { .addr = (uintptr_t)src, .length = (uint32_t)len,
			     .lkey = lkey };
	struct ibv_send_wr wr = {
		.sg_list = &s, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)dst, .rkey = rkey },
	}, *bad;
	struct ibv_wc wc;
	double t0 = now(), t;
	int n;

	if (ibv_post_send(qp, &wr, &bad))
		die("ibv_post_send");
	while (!(n = ibv_poll_cq(cq, 1, &wc))) {
		if (now() - t0 > WRITE_TIMEOUT) {
			fprintf(stderr, "bench-xfer: a WRITE of %zu bytes did not "
				"complete within %.0f s\n", len, WRITE_TIMEOUT);
			exit(1);
		}
	}
	t = now();
	if (n < 0)
		die("ibv_poll_cq");
	if (wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "bench-xfer: a WRITE of %zu bytes completed %s\n",
			len, ibv_wc_status_str(wc.status));
		exit(1);
	}
	return (t - t0) * 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-xfer -m pinned|odp-warm|odp-cold|"
		"implicit-warm|implicit-cold|cpu-warm|cpu-cold -s bytes [-n iterations] "
		"[-d device] [-g gid-index] [-t min_rnr_timer]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	int mode = -1, iters = 100, c;
	size_t len = 0;
	long long f0, p0, r0, f1, p1, r1;
	struct ibv_mr *smr = NULL, *dmr = NULL;
	struct ibv_qp *a = NULL, *b = NULL;
	double *us, sum = 0;
	char *src, *dst;
	bool cold, odp, implicit, cpu;
	int fd;

	while ((c = getopt(argc, argv, "m:s:n:d:g:t:")) != -1) {
		switch (c) {
		case 'm':
			for (int i = 0; i < (int)(sizeof(mode_name) / sizeof(*mode_name)); i++)
				if (!strcmp(optarg, mode_name[i]))
					mode = i;
			break;
		case 's': len = strtoull(optarg, NULL, 0); break;
		case 'n': iters = atoi(optarg); break;
		case 'd': dev = optarg; break;
		case 'g': gid_index = atoi(optarg); break;
		case 't': {
			int t = atoi(optarg);

			if (t < 0 || t > 31)
				usage();
			min_rnr = t;
			break;
		}
		default: usage();
		}
	}
	if (mode < 0 || len < 8 || len > 1ul << 30 || iters < 1)
		usage();
	cold = mode == ODP_COLD || mode == IMPLICIT_COLD || mode == CPU_COLD;
	cpu = mode == CPU_WARM || mode == CPU_COLD;
	odp = mode != PINNED && !cpu;
	implicit = mode == IMPLICIT_WARM || mode == IMPLICIT_COLD;

	open_device(dev);
	fd = source_file(len);
	src = map_buf(len, fd);
	dst = map_buf(len, -1);
	us = calloc(iters, sizeof(*us));
	if (!us)
		die("calloc");
	if (!odp)
		memset(dst, 0, len);	/* pinning maps the source's file pages */
	if (cpu) {
		if (!cold)
			memcpy(dst, src, len);	/* both mapped, untimed */
	} else if (implicit) {
		smr = dmr = ibv_reg_mr(pd, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND |
				       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
		if (!smr)
			die("ibv_reg_mr (implicit on-demand)");
	} else {
		int acc = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			  (odp ? IBV_ACCESS_ON_DEMAND : 0);

		smr = ibv_reg_mr(pd, src, len, acc);
		dmr = ibv_reg_mr(pd, dst, len, acc);
		if (!smr || !dmr)
			die("ibv_reg_mr%s", odp ? " (on-demand)" : "");
	}
	if (!cpu) {
		a = qp_new();
		b = qp_new();
		qp_connect(a, b->qp_num);
		qp_connect(b, a->qp_num);
	}
	if (odp && !cold) {
		prefetch(smr, src, len);
		prefetch(dmr, dst, len);
	}

	f0 = hw_counter(ctx, "odp_faults");
	p0 = hw_counter(ctx, "odp_fault_pages");
	r0 = hw_counter(ctx, "odp_prefetch_pages");
	for (int i = 0; i < iters; i++) {
		uint64_t tag = 0x9e3779b97f4a7c15ull * (i + 1);

		mark(fd, 0, tag);
		mark(fd, len / 2 & ~7ul, tag + 1);
		mark(fd, len - sizeof(tag), tag + 2);
		if (cold && (madvise(src, len, MADV_DONTNEED) ||
			     madvise(dst, len, MADV_DONTNEED)))
			die("madvise(MADV_DONTNEED)");
		if (cpu) {
			double t0 = now();

			memcpy(dst, src, len);
			us[i] = (now() - t0) * 1e6;
		} else {
			us[i] = write_once(a, src, smr->lkey, dst, dmr->rkey, len);
		}
		sum += us[i];
		if (memcmp(dst, src, len)) {
			fprintf(stderr, "bench-xfer: iteration %d: the target "
				"differs from the source\n", i);
			return 1;
		}
	}
	f1 = hw_counter(ctx, "odp_faults");
	p1 = hw_counter(ctx, "odp_fault_pages");
	r1 = hw_counter(ctx, "odp_prefetch_pages");

	qsort(us, iters, sizeof(*us), cmp_double);
	printf("{\"mode\": \"%s\", \"size\": %zu, \"iterations\": %d, "
	       "\"min_rnr_timer\": %u, "
	       "\"us\": {\"p50\": %.1f, \"min\": %.1f, \"max\": %.1f, \"mean\": %.1f}, "
	       "\"mbps\": %.1f, ", mode_name[mode], len, iters, min_rnr,
	       us[iters / 2], us[0], us[iters - 1], sum / iters,
	       len / (sum / iters));
	if (f0 >= 0 && f1 >= 0 && p0 >= 0 && p1 >= 0 && r0 >= 0 && r1 >= 0)
		printf("\"faults\": %lld, \"fault-pages\": %lld, \"prefetch-pages\": %lld}\n",
		       f1 - f0, p1 - p0, r1 - r0);
	else
		printf("\"faults\": null, \"fault-pages\": null, \"prefetch-pages\": null}\n");

	if (a) {
		ibv_destroy_qp(a);
		ibv_destroy_qp(b);
		ibv_dereg_mr(smr);
		if (dmr != smr)
			ibv_dereg_mr(dmr);
	}
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	close(fd);
	return 0;
}
