// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * odp-verify: byte-exact checks of on-demand paging (ODP) on an RDMA
 * device, written for odp-hca and run by the guest suite
 * (guest-driver/tests/check-guest.sh), but using nothing but libibverbs.
 *
 * RC queue pairs in loopback (both ends in this process) move data between
 * ODP memory regions, explicit (ibv_reg_mr with IBV_ACCESS_ON_DEMAND) and
 * implicit (the whole address space), while the memory behind them changes:
 *
 *  - anonymous pages dropped (MADV_DONTNEED) before every operation;
 *  - a thread dropping shared-memory pages in a loop during operations;
 *  - anonymous memory unmapped and mapped again (MAP_FIXED) between
 *    operations;
 *  - shared memory (a memfd) remapped at the same address to other file
 *    pages between operations, the old pages still visible through a
 *    second mapping: they must not change after the remap;
 *  - the same, remapped by a thread while RDMA WRITEs run;
 *  - pages migrated between NUMA nodes (move_pages(2)) between operations
 *    and by a thread during operations;
 *  - fork(): the device's first write after the fork, an atomic, reads
 *    through a read-only MR (mapped without breaking copy-on-write) before
 *    and after the parent's CPU breaks copy-on-write: every device access
 *    goes to the parent's current pages, and the child's copy, checked
 *    after each step, stays exactly what it was at the fork;
 *  - faults that cannot be resolved (nothing mapped): an error completion,
 *    and the other queue pairs carry on;
 *  - a 400 MiB explicit MR, sparse, across every 64 MiB-aligned address
 *    (the chunk boundaries of a driver that builds large MRs in chunks).
 *
 * Operations: RDMA WRITE, RDMA READ, SEND/RECV (with several SGEs on some
 * rounds) and atomics (fetch-and-add, compare-and-swap, both outcomes).
 * Every round uses a fresh pseudo-random pattern, and every byte of the
 * buffers concerned is checked: the bytes written, the bytes around them,
 * and the source.  "No device write lands in a page after its
 * invalidation completed" is checked where a stale write would show: pages
 * that stay alive after the process's mapping moved away from them (the
 * memfd's old pages, the fork child's pages) must keep what the CPU put
 * there after the remap or fork, and writes completed after a migration
 * must be in the new pages.
 *
 * Output: TAP ("ok N - ..." / "not ok N - ...", "# ..." details, "1..N").
 * The exit status is non-zero when a byte was wrong, a status unexpected,
 * or an operation did not complete.
 *
 * Across the wire (two hosts, e.g. the guests of check-wire2.sh) the same
 * scenarios run with the memory on the responder's side: odp-verify
 * --serve ADDR:PORT owns the ODP buffers and changes their memory between
 * and during the operations of odp-verify --connect ADDR:PORT on the other
 * host, which issues them over one RC QP; a TCP connection between the
 * same addresses exchanges QP numbers, PSNs, GIDs, addresses and rkeys,
 * then has the responder prepare and check its memory round by round
 * (see "Across the wire" below).  Each side prints TAP of its own checks.
 * The requester needs no ODP (its buffer is pinned without it); the
 * responder does.
 *
 * Usage: odp-verify [-d device] [-g gid-index] [-u timeout] [-r retries]
 *                   [-q] [-v]
 *                   [--serve ADDR:PORT | --connect ADDR:PORT] [test...]
 *   -d  the device (default: $ODP_DEV, else the first one)
 *   -g  the GID index: of the loopback address, or across the wire of
 *       this host's address (default: the first non-zero GID of port 1)
 *   -u  the QPs' local ACK timeout, 4.096 us << timeout (default 14, 67 ms)
 *   -r  the QPs' retry_cnt, 0 to 7 (default 7); rnr_retry is always 7
 *       (infinite): a responder that faults answers RNR NAK.  A responder
 *       that drops instead (odp-hca responder-fault=drop) spends retry_cnt
 *       at one ACK timeout a try, so give it a timeout longer than its
 *       slowest fault.
 *   -q  quick: fewer rounds
 *   -v  print every operation
 *   --serve    be the responder: listen on IPv4 ADDR:PORT for one requester
 *   --connect  be the requester of the responder at ADDR:PORT (retried
 *              while it does not listen yet)
 *   test  run only the test groups whose name contains one of the words:
 *         drop, churn, remap, memfd, numa, migrator, fork, unresolvable,
 *         large
 *         (across the wire: drop, churn, remap, memfd, numa, migrator).
 *         churn and migrator are the scenarios with a thread that drops
 *         or migrates the pages during the operations.
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "odp-hca-hw.h"
#include "hw-counters.h"
#include "tap.h"

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

/* The device's page, which its driver requires the CPU's to be. */
#define PAGE		((size_t)ODP_HCA_PAGE_SIZE)
#define BUF_LEN		(2ul * 1024 * 1024 + 4 * PAGE)	/* per buffer */
#define MAX_SGE		3
#define OP_TIMEOUT	60.0	/* seconds; faults are slow under TCG */
#define ODP_ACCESS	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			 IBV_ACCESS_REMOTE_ATOMIC)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_mr *imr;		/* the implicit ODP MR */
static union ibv_gid gid;
static int gid_index = -1;
static uint32_t max_rd_atomic = 1;
/* the requester's local ACK timeout (4.096 us << n) and its retry budget */
static uint8_t qp_timeout = 14, qp_retry_cnt = 7;
static const char *dev_name;
static bool quick, verbose;
static bool dev_odp, dev_implicit;	/* what the device can do */
static char **only;
static int n_only;

/* ------------------------------------------------------------------ */
/* TAP */

static int tap_n, tap_failed, errors;

/* An error of the current check; the first 12 are shown. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vdetail(&errors, 12, fmt, ap);
	va_end(ap);
}

/* One TAP result: ok when no error was reported since the last one. */
static void result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void result(const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (errors) {
		tap_failed++;
		printf("not ok %d - ", tap_n);
	} else {
		printf("ok %d - ", tap_n);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (errors)
		printf(" (%d errors)", errors);
	printf("\n");
	fflush(stdout);
	errors = 0;
}

static void skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
	errors = 0;
}

static void bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vfatal("Bail out! ", fmt, ap);
}

static bool wanted(const char *group)
{
	if (!n_only)
		return true;
	for (int i = 0; i < n_only; i++)
		if (strstr(group, only[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Patterns: byte i of pattern @seed is byte i % 8 of a 64-bit hash of
 * (seed, i / 8); seed 0 is all zeroes.  A buffer filled with pattern s
 * from position p holds bytes p, p + 1, ... of it. */

static uint64_t seed_counter;

static uint64_t fresh_seed(void)
{
	uint64_t s;

	do {
		s = ++seed_counter * 0x2545f4914f6cdd1dull ^ (uint64_t)getpid() << 40;
	} while (!s);
	return s;
}

static inline uint64_t pat_word(uint64_t seed, uint64_t idx)
{
	uint64_t x;

	if (!seed)
		return 0;
	x = seed + (idx + 1) * 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

static inline uint8_t pat_byte(uint64_t seed, uint64_t pos)
{
	return pat_word(seed, pos / 8) >> (8 * (pos % 8));
}

static void pat_fill(void *buf, uint64_t seed, uint64_t pos, size_t len)
{
	uint8_t *b = buf;

	while (len && pos % 8) {
		*b++ = pat_byte(seed, pos++);
		len--;
	}
	for (; len >= 8; len -= 8, b += 8, pos += 8) {
		uint64_t w = pat_word(seed, pos / 8);

		memcpy(b, &w, 8);
	}
	while (len--)
		*b++ = pat_byte(seed, pos++);
}

/* Check @len bytes at @buf against pattern @seed from @pos. */
static bool expect(const void *buf, uint64_t seed, uint64_t pos, size_t len,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static bool expect(const void *buf, uint64_t seed, uint64_t pos, size_t len,
		   const char *fmt, ...)
{
	static uint8_t ref[65536];
	const uint8_t *b = buf;
	size_t bad = 0, first = 0, done;
	uint8_t got = 0, want = 0;
	char what[200];
	va_list ap;

	for (done = 0; done < len;) {
		size_t n = len - done < sizeof(ref) ? len - done : sizeof(ref);

		pat_fill(ref, seed, pos + done, n);
		if (memcmp(ref, b + done, n)) {
			for (size_t i = 0; i < n; i++) {
				if (ref[i] == b[done + i])
					continue;
				if (!bad++) {
					first = done + i;
					got = b[done + i];
					want = ref[i];
				}
			}
		}
		done += n;
	}
	if (!bad)
		return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail("%s: %zu of %zu bytes wrong, first at +%zu (0x%02x, expected 0x%02x)",
	     what, bad, len, first, got, want);
	return false;
}

static uint64_t pat_u64(uint64_t seed, uint64_t pos)
{
	uint64_t v;

	pat_fill(&v, seed, pos, 8);
	return v;
}

/* ------------------------------------------------------------------ */
/* Memory */

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap %zu bytes", len);
	return p;
}

/* Unmap and map fresh anonymous memory at the same address. */
static void remap_anon(void *addr, size_t len)
{
	if (munmap(addr, len))
		bail("munmap");
	if (mmap(addr, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != addr)
		bail("mmap MAP_FIXED");
}

static void drop(void *addr, size_t len)
{
	if (madvise(addr, len, MADV_DONTNEED))
		bail("madvise(MADV_DONTNEED)");
}

static struct ibv_mr *reg_odp(void *addr, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, addr, len, ODP_ACCESS);

	if (!mr)
		bail("ibv_reg_mr(ON_DEMAND) of %zu bytes", len);
	return mr;
}

/* The implicit ODP MR: the whole address space, in the global imr. */
static void reg_implicit(void)
{
	imr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP_ACCESS);
	if (!imr)
		bail("ibv_reg_mr(NULL, SIZE_MAX, ON_DEMAND): the implicit ODP MR");
}

static int numa_nodes(void)
{
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");
	int a, b, n = 1;

	if (!f)
		return 1;
	if (fscanf(f, "%d-%d", &a, &b) == 2)
		n = b - a + 1;
	fclose(f);
	return n;
}

/*
 * Move the pages of [addr, addr + len) to @node with move_pages(2).
 * Returns how many of them are there afterwards.
 */
static size_t migrate(void *addr, size_t len, int node)
{
	size_t n = len / PAGE, there = 0;
	void **pages = malloc(n * sizeof(*pages));
	int *nodes = malloc(n * sizeof(*nodes));
	int *status = malloc(n * sizeof(*status));

	if (!pages || !nodes || !status)
		bail("malloc");
	for (size_t i = 0; i < n; i++) {
		pages[i] = (char *)addr + i * PAGE;
		nodes[i] = node;
		status[i] = -1;
	}
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status,
		    MPOL_MF_MOVE) < 0 && errno != ENOENT && errno != EBUSY)
		bail("move_pages");
	for (size_t i = 0; i < n; i++)
		if (status[i] == node)
			there++;
	free(pages);
	free(nodes);
	free(status);
	return there;
}

/* ------------------------------------------------------------------ */
/* Queue pairs: a and b, connected to each other, one CQ. */

struct pair {
	struct ibv_cq *cq;
	struct ibv_qp *a, *b;
	bool broken;		/* an error completion or a timeout */
};

static struct ibv_qp *qp_create(struct ibv_cq *cq)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = 16,
			 .max_send_sge = MAX_SGE, .max_recv_sge = MAX_SGE },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	if (!qp)
		bail("ibv_create_qp");
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		bail("modify QP to INIT");
	return qp;
}

/*
 * Connect @qp to QP @dest at @dgid, which starts its requests at @rq_psn;
 * ours start at @sq_psn.  In loopback the peer is this device (gid, PSN 0).
 */
static void qp_connect_to(struct ibv_qp *qp, uint32_t dest,
			  const union ibv_gid *dgid, uint32_t rq_psn,
			  uint32_t sq_psn, uint8_t hop_limit)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dest, .rq_psn = rq_psn,
		.max_dest_rd_atomic = max_rd_atomic, .min_rnr_timer = 1,
		.ah_attr = {
			.is_global = 1, .port_num = 1,
			.grh = { .dgid = *dgid, .sgid_index = gid_index,
				 .hop_limit = hop_limit },
		},
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		bail("modify QP to RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = qp_timeout;
	a.retry_cnt = qp_retry_cnt;
	a.rnr_retry = 7;	/* responder faults: retry for as long as it takes */
	a.sq_psn = sq_psn;
	a.max_rd_atomic = max_rd_atomic;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		bail("modify QP to RTS");
}

static void qp_connect(struct ibv_qp *qp, uint32_t dest)
{
	qp_connect_to(qp, dest, &gid, 0, 0, 1);
}

static void pair_create(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	if (!p->cq)
		bail("ibv_create_cq");
	p->a = qp_create(p->cq);
	p->b = qp_create(p->cq);
	qp_connect(p->a, p->b->qp_num);
	qp_connect(p->b, p->a->qp_num);
}

static void pair_destroy(struct pair *p)
{
	if (ibv_destroy_qp(p->a) || (p->b && ibv_destroy_qp(p->b)) ||
	    ibv_destroy_cq(p->cq))
		bail("destroying a QP pair");
	memset(p, 0, sizeof(*p));
}

/* After an error completion or a timeout: a new pair. */
static void pair_fix(struct pair *p)
{
	if (p->broken) {
		pair_destroy(p);
		pair_create(p);
	}
}

/* ------------------------------------------------------------------ */
/* Operations */

struct op {
	enum ibv_wr_opcode opcode;
	struct ibv_sge sge[MAX_SGE];
	int nsge;
	uint64_t raddr;
	uint32_t rkey;
	uint64_t compare_add, swap;
	struct ibv_sge rsge[MAX_SGE];	/* SEND: the receive, posted first */
	int nrsge;
	/* results: -1 = no completion */
	int status, rstatus;
	uint32_t rlen;
};

static const char *opname(enum ibv_wr_opcode op)
{
	switch (op) {
	case IBV_WR_RDMA_WRITE: return "RDMA WRITE";
	case IBV_WR_RDMA_READ: return "RDMA READ";
	case IBV_WR_SEND: return "SEND";
	case IBV_WR_ATOMIC_FETCH_AND_ADD: return "FETCH-ADD";
	case IBV_WR_ATOMIC_CMP_AND_SWP: return "CMP-SWAP";
	default: return "?";
	}
}

static const char *wcstr(int status)
{
	return status < 0 ? "no completion" :
	       ibv_wc_status_str((enum ibv_wc_status)status);
}

/*
 * Post @o on p->a (and its receive on p->b), wait for the completions.
 * Across the wire there is no p->b: the peer posts the receive and
 * checks its completion.
 */
static void op_run(struct pair *p, struct op *o, double timeout)
{
	struct ibv_send_wr wr = {
		.wr_id = 1, .sg_list = o->sge, .num_sge = o->nsge,
		.opcode = o->opcode, .send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_recv_wr rwr = {
		.wr_id = 2, .sg_list = o->rsge, .num_sge = o->nrsge,
	}, *rbad;
	bool want_recv = o->opcode == IBV_WR_SEND && p->b;
	double end;

	o->status = o->rstatus = -1;
	o->rlen = 0;
	if (o->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD ||
	    o->opcode == IBV_WR_ATOMIC_CMP_AND_SWP) {
		wr.wr.atomic.remote_addr = o->raddr;
		wr.wr.atomic.rkey = o->rkey;
		wr.wr.atomic.compare_add = o->compare_add;
		wr.wr.atomic.swap = o->swap;
	} else {
		wr.wr.rdma.remote_addr = o->raddr;
		wr.wr.rdma.rkey = o->rkey;
	}
	if (verbose)
		note("  %s %d SGE(s) %#" PRIx64 "+%u -> %#" PRIx64,
		     opname(o->opcode), o->nsge, (uint64_t)o->sge[0].addr,
		     o->sge[0].length, o->raddr);
	if (want_recv && ibv_post_recv(p->b, &rwr, &rbad))
		bail("ibv_post_recv");
	if (ibv_post_send(p->a, &wr, &bad))
		bail("ibv_post_send");

	end = now() + timeout;
	for (unsigned int spins = 0;;) {
		struct ibv_wc wc;
		int n = ibv_poll_cq(p->cq, 1, &wc);

		if (n < 0)
			bail("ibv_poll_cq");
		if (n) {
			spins = 0;
			if (wc.wr_id == 1) {
				o->status = wc.status;
				/* After an error the receive may never come. */
				if (wc.status != IBV_WC_SUCCESS && o->rstatus < 0)
					end = now() + 2;
			} else {
				o->rstatus = wc.status;
				o->rlen = wc.byte_len;
			}
			if (o->status >= 0 && (!want_recv || o->rstatus >= 0))
				break;
			continue;
		}
		if (now() > end)
			break;
		if (++spins > 100)
			usleep(20);
	}
	if (o->status != IBV_WC_SUCCESS ||
	    (want_recv && o->rstatus != IBV_WC_SUCCESS))
		p->broken = true;
	if (o->status < 0)
		note("  %s: no completion within %.0f s", opname(o->opcode),
		     timeout);
}

/* Expect success; say what went wrong otherwise. */
static bool op_ok(struct pair *p, struct op *o, const char *ctx_fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool op_ok(struct pair *p, struct op *o, const char *ctx_fmt, ...)
{
	char what[160];
	va_list ap;

	op_run(p, o, OP_TIMEOUT);
	if (o->status == IBV_WC_SUCCESS &&
	    (o->opcode != IBV_WR_SEND || !p->b || o->rstatus == IBV_WC_SUCCESS))
		return true;
	va_start(ap, ctx_fmt);
	vsnprintf(what, sizeof(what), ctx_fmt, ap);
	va_end(ap);
	if (o->opcode == IBV_WR_SEND && p->b)
		fail("%s: %s completed %s, its receive %s", what,
		     opname(o->opcode), wcstr(o->status), wcstr(o->rstatus));
	else
		fail("%s: %s completed %s", what, opname(o->opcode),
		     wcstr(o->status));
	return false;
}

static struct ibv_sge sge(void *addr, size_t len, uint32_t lkey)
{
	return (struct ibv_sge){ .addr = (uintptr_t)addr,
				 .length = (uint32_t)len, .lkey = lkey };
}

/* Split [addr, addr + len) into @n SGEs (n = 1..MAX_SGE). */
static int split_sge(struct ibv_sge *s, int n, char *addr, size_t len,
		     uint32_t lkey)
{
	size_t cut1, cut2;

	if (n < 2 || len < 3) {
		s[0] = sge(addr, len, lkey);
		return 1;
	}
	cut1 = len / 3 + 1;
	cut2 = len - len / 4;
	s[0] = sge(addr, cut1, lkey);
	s[1] = sge(addr + cut1, cut2 - cut1, lkey);
	s[2] = sge(addr + cut2, len - cut2, lkey);
	return 3;
}

/* ------------------------------------------------------------------ */
/* Scenarios: two buffers (src, dst) and what happens to their memory
 * around each operation. */

enum opkind { OP_WRITE, OP_READ, OP_SEND, OP_ATOMIC, OP_KINDS };
static const char *const opkind_name[OP_KINDS] = {
	"RDMA WRITE", "RDMA READ", "SEND/RECV", "atomics (FA, CS)",
};

struct scen {
	const char *name;
	char *src, *dst;
	struct ibv_mr *smr, *dmr;	/* explicit ODP MRs over them */
	/* before the CPU fills the buffers */
	void (*prepare)(struct scen *sc, int round);
	/* after the CPU filled them, before the operation */
	void (*after_fill)(struct scen *sc, int round);
	/* after the operation, before the bytes are checked */
	void (*after_op)(struct scen *sc, int round);
	/* odd rounds leave dst as prepare() made it: all zero */
	bool zero_bg_odd;
	/* atomics: drop the page of the result before each operation */
	bool drop_results;
	/* a thread working on the memory while the operations run */
	void *(*thread)(void *sc);
	/* memfd scenarios */
	int memfd;
	char *obs;			/* the whole memfd, mapped once more */
	size_t off_s, off_d;		/* the file offsets src, dst map now */
	size_t old_s, old_d;		/* the ones they mapped before */
	uint64_t sent_s, sent_d;	/* what the CPU put in the old ones */
	/* statistics */
	volatile bool stop;
	volatile unsigned long churns;
	size_t moved, pages;
	int node;
};

static const size_t sizes[] = {
	1, 8, 4095, 4096, 4097, 12345, 65543, 262149, 1048573, 2097152,
};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static void keys_for(struct scen *sc, int round, uint32_t *sl, uint32_t *sr,
		     uint32_t *dl, uint32_t *dr)
{
	/* all four combinations of explicit and implicit over 4 rounds */
	struct ibv_mr *s = (round & 1) ? imr : sc->smr;
	struct ibv_mr *d = (round & 2) ? imr : sc->dmr;

	*sl = s->lkey;
	*sr = s->rkey;
	*dl = d->lkey;
	*dr = d->rkey;
}

static const char *keys_desc(int round)
{
	static const char *const d[] = {
		"explicit->explicit", "implicit->explicit",
		"explicit->implicit", "implicit->implicit",
	};
	return d[round & 3];
}

/*
 * The atomics of a round, on a target that holds @v: fetch-add, a
 * compare-swap that swaps, one that does not, fetch-add again; each
 * returns what the one before left.  @s is the round's seed.
 */
#define ATOMIC_STEPS 4
struct atomic_step {
	enum ibv_wr_opcode op;
	uint64_t ca, swap, want_ret, want_after;
};

static void atomic_steps(struct atomic_step *seq, uint64_t s, uint64_t v)
{
	uint64_t add1 = s | 1, add2 = s >> 7, x = s ^ 0x5a5a5a5a5a5a5a5aull;
	const struct atomic_step steps[ATOMIC_STEPS] = {
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, add1, 0, v, v + add1 },
		{ IBV_WR_ATOMIC_CMP_AND_SWP, v + add1, x, v + add1, x },
		{ IBV_WR_ATOMIC_CMP_AND_SWP, x + 1, ~x, x, x },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, add2, 0, x, x + add2 },
	};

	memcpy(seq, steps, sizeof(steps));
}

/* One round of one kind of operation in scenario @sc. */
static void scen_round(struct scen *sc, struct pair *p, enum opkind k,
		       int round)
{
	size_t len = sizes[(round * 3 + k) % N_SIZES];
	size_t span = BUF_LEN - len + 1;
	size_t off_s = ((size_t)round * 4093 + k * 511) % span;
	size_t off_d = ((size_t)round * 7919 + k * 4096 + 3) % span;
	bool zero_bg = sc->zero_bg_odd && (round & 1);
	uint64_t s, bg;
	uint32_t sl, sr, dl, dr;
	int nsge = round % 3 == 2 ? 3 : 1;
	struct op o = { 0 };
	const char *kd = keys_desc(round);

	keys_for(sc, round, &sl, &sr, &dl, &dr);
	if (sc->prepare)
		sc->prepare(sc, round);
	s = fresh_seed();
	bg = zero_bg ? 0 : fresh_seed();
	pat_fill(sc->src, s, 0, BUF_LEN);
	if (!zero_bg)
		pat_fill(sc->dst, bg, 0, BUF_LEN);
	if (sc->after_fill)
		sc->after_fill(sc, round);

	switch (k) {
	case OP_WRITE:
		o.opcode = IBV_WR_RDMA_WRITE;
		o.nsge = split_sge(o.sge, nsge, sc->src + off_s, len, sl);
		o.raddr = (uintptr_t)sc->dst + off_d;
		o.rkey = dr;
		op_ok(p, &o, "round %d (%s) %zu bytes", round, kd, len);
		break;
	case OP_READ:
		o.opcode = IBV_WR_RDMA_READ;
		o.nsge = split_sge(o.sge, nsge, sc->dst + off_d, len, dl);
		o.raddr = (uintptr_t)sc->src + off_s;
		o.rkey = sr;
		op_ok(p, &o, "round %d (%s) %zu bytes", round, kd, len);
		break;
	case OP_SEND:
		o.opcode = IBV_WR_SEND;
		o.nsge = split_sge(o.sge, nsge, sc->src + off_s, len, sl);
		o.nrsge = split_sge(o.rsge, round % 2 ? 3 : 1, sc->dst + off_d,
				    len, dl);
		if (op_ok(p, &o, "round %d (%s) %zu bytes", round, kd, len) &&
		    o.rlen != len)
			fail("round %d: the receive completed with %u bytes, not %zu",
			     round, o.rlen, len);
		break;
	case OP_ATOMIC: {
		/* target in dst, results in src, both 8-byte aligned */
		size_t t = (((size_t)round * 37 * PAGE + round * 8) %
			    (BUF_LEN - 8)) & ~7ul;
		size_t r = (((size_t)round * 11 * PAGE + 4064) %
			    (BUF_LEN - 64)) & ~7ul;
		struct atomic_step seq[ATOMIC_STEPS];

		atomic_steps(seq, s, pat_u64(bg, t));
		len = 8;
		off_d = t;
		for (int i = 0; i < ATOMIC_STEPS; i++) {
			char *res = sc->src + r + 8 * (i & 1);

			if (sc->drop_results)
				drop((char *)((uintptr_t)res & ~(PAGE - 1)), PAGE);
			memset(&o, 0, sizeof(o));
			o.opcode = seq[i].op;
			o.sge[0] = sge(res, 8, sl);
			o.nsge = 1;
			o.raddr = (uintptr_t)sc->dst + t;
			o.rkey = dr;
			o.compare_add = seq[i].ca;
			o.swap = seq[i].swap;
			if (!op_ok(p, &o, "round %d (%s) atomic %d", round, kd, i))
				break;
			if (memcmp(res, &seq[i].want_ret, 8)) {
				uint64_t got;

				memcpy(&got, res, 8);
				fail("round %d atomic %d (%s): returned %#" PRIx64
				     ", expected %#" PRIx64, round, i,
				     opname(seq[i].op), got, seq[i].want_ret);
			}
			if (memcmp(sc->dst + t, &seq[i].want_after, 8)) {
				uint64_t got;

				memcpy(&got, sc->dst + t, 8);
				fail("round %d atomic %d (%s): target %#" PRIx64
				     ", expected %#" PRIx64, round, i,
				     opname(seq[i].op), got, seq[i].want_after);
			}
		}
		if (sc->after_op)
			sc->after_op(sc, round);
		/* every other byte of dst is the background */
		expect(sc->dst, bg, 0, t, "round %d: dst before the target", round);
		expect(sc->dst + t + 8, bg, t + 8, BUF_LEN - t - 8,
		       "round %d: dst after the target", round);
		pair_fix(p);
		return;
	}
	default:
		break;
	}
	if (sc->after_op)
		sc->after_op(sc, round);
	/* WRITE, READ and SEND all copy src[off_s, +len) to dst[off_d, +len) */
	expect(sc->dst, bg, 0, off_d, "round %d (%s): dst bytes before the %zu copied",
	       round, kd, len);
	expect(sc->dst + off_d, s, off_s, len,
	       "round %d (%s): the %zu bytes copied", round, kd, len);
	expect(sc->dst + off_d + len, bg, off_d + len, BUF_LEN - off_d - len,
	       "round %d (%s): dst bytes after the %zu copied", round, kd, len);
	expect(sc->src, s, 0, BUF_LEN, "round %d (%s): the source", round, kd);
	pair_fix(p);
}

static void scen_run(struct scen *sc, struct pair *p)
{
	int rounds = quick ? 4 : 8;
	pthread_t th;
	long long f0 = hw_counter(ctx, "odp_faults"), i0 = hw_counter(ctx, "odp_invalidations");

	for (int k = 0; k < OP_KINDS; k++) {
		double t0 = now();

		sc->stop = false;
		if (sc->thread && pthread_create(&th, NULL, sc->thread, sc))
			bail("pthread_create");
		for (int round = 0; round < rounds; round++)
			scen_round(sc, p, (enum opkind)k, round);
		if (sc->thread) {
			sc->stop = true;
			pthread_join(th, NULL);
		}
		result("%s, %s: every byte right (%d rounds, %.1f s)",
		       opkind_name[k], sc->name, rounds, now() - t0);
	}
	if (f0 >= 0)
		note("driver: %lld faults, %lld invalidations during these",
		     hw_counter(ctx, "odp_faults") - f0,
		     hw_counter(ctx, "odp_invalidations") - i0);
}

/* --- anonymous memory, dropped before each operation --- */

static void prep_drop(struct scen *sc, int round)
{
	(void)round;
	drop(sc->src, BUF_LEN);
	drop(sc->dst, BUF_LEN);
}

/* --- anonymous memory, unmapped and mapped again --- */

static void prep_remap_anon(struct scen *sc, int round)
{
	(void)round;
	remap_anon(sc->src, BUF_LEN);
	remap_anon(sc->dst, BUF_LEN);
}

/* --- shared memory dropped by a thread in a loop --- */

static void *churn_thread(void *arg)
{
	struct scen *sc = arg;

	while (!sc->stop) {
		drop(sc->src, BUF_LEN);
		drop(sc->dst, BUF_LEN);
		sc->churns++;
		usleep(200);
	}
	return NULL;
}

/* --- memfd: src and dst move to other file pages, the old ones stay
 *     visible through sc->obs and must not change --- */

static void memfd_map(void *addr, int fd, size_t off)
{
	if (mmap(addr, BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, off) != addr)
		bail("mmap memfd MAP_FIXED");
}

static void prep_memfd(struct scen *sc, int round)
{
	(void)round;
	/* file layout: src at 0 or 1 x BUF_LEN, dst at 2 or 3 x BUF_LEN */
	sc->old_s = sc->off_s;
	sc->old_d = sc->off_d;
	sc->off_s ^= BUF_LEN;
	sc->off_d = (sc->off_d == 2 * BUF_LEN) ? 3 * BUF_LEN : 2 * BUF_LEN;
	memfd_map(sc->src, sc->memfd, sc->off_s);
	memfd_map(sc->dst, sc->memfd, sc->off_d);
	/* The remap has invalidated the device's view of the old pages. */
	sc->sent_s = fresh_seed();
	sc->sent_d = fresh_seed();
	pat_fill(sc->obs + sc->old_s, sc->sent_s, 0, BUF_LEN);
	pat_fill(sc->obs + sc->old_d, sc->sent_d, 0, BUF_LEN);
}

static void check_memfd(struct scen *sc, int round)
{
	expect(sc->obs + sc->old_d, sc->sent_d, 0, BUF_LEN,
	       "round %d: the old pages of dst (written to after the remap)",
	       round);
	expect(sc->obs + sc->old_s, sc->sent_s, 0, BUF_LEN,
	       "round %d: the old pages of src", round);
}

/* --- NUMA: pages move to the other node after the CPU filled them --- */

static void migrate_both(struct scen *sc, int node)
{
	sc->moved += migrate(sc->src, BUF_LEN, node);
	sc->moved += migrate(sc->dst, BUF_LEN, node);
	sc->pages += 2 * BUF_LEN / PAGE;
}

static void fill_numa(struct scen *sc, int round)
{
	migrate_both(sc, (round + 1) % 2);
}

/* the data the device wrote must survive the next migration too */
static void after_numa(struct scen *sc, int round)
{
	sc->moved += migrate(sc->dst, BUF_LEN, round % 2);
	sc->pages += BUF_LEN / PAGE;
}

static void *numa_thread(void *arg)
{
	struct scen *sc = arg;

	for (int node = 0; !sc->stop; node ^= 1) {
		migrate_both(sc, node);
		sc->churns++;
		usleep(500);
	}
	return NULL;
}

/*
 * The scenarios, in the order they run; the loopback checks and the
 * responder across the wire set them up the same way.
 */
enum { SC_DROP, SC_CHURN, SC_REMAP, SC_MEMFD, SC_NUMA, SC_NUMA_THREAD, SC_N };
static const char *const sc_group[SC_N] = {
	"drop", "churn", "remap", "memfd", "numa", "migrator",
};
static const char *const sc_name[SC_N] = {
	"anonymous memory dropped (MADV_DONTNEED) before each operation",
	"shared memory dropped (MADV_DONTNEED) by a thread in a loop",
	"anonymous memory unmapped and mapped again (MAP_FIXED) before each operation",
	"memfd remapped to other pages before each operation, the old pages unchanged",
	"pages migrated to the other NUMA node (move_pages) before each operation",
	"pages migrated between NUMA nodes by a thread in a loop",
};

static void map_memfd_pair(struct scen *sc, const char *name, size_t file_len,
			   size_t off_d)
{
	sc->memfd = memfd_create(name, MFD_CLOEXEC);
	if (sc->memfd < 0 || ftruncate(sc->memfd, file_len))
		bail("memfd");
	sc->src = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       sc->memfd, 0);
	sc->dst = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       sc->memfd, off_d);
	if (sc->src == MAP_FAILED || sc->dst == MAP_FAILED)
		bail("mmap memfd");
	sc->off_s = 0;
	sc->off_d = off_d;
}

/*
 * Map and register the buffers of scenario @which and set its hooks.
 * False (and @why) when it cannot run here.
 */
static bool scen_setup(struct scen *sc, int which, const char **why)
{
	memset(sc, 0, sizeof(*sc));
	sc->name = sc_name[which];
	sc->memfd = -1;
	switch (which) {
	case SC_DROP:
	case SC_REMAP:
		sc->src = map_anon(BUF_LEN);
		sc->dst = map_anon(BUF_LEN);
		sc->prepare = which == SC_DROP ? prep_drop : prep_remap_anon;
		sc->zero_bg_odd = true;
		sc->drop_results = true;
		break;
	case SC_CHURN:
		map_memfd_pair(sc, "odp-verify-churn", 2 * BUF_LEN, BUF_LEN);
		sc->thread = churn_thread;
		break;
	case SC_MEMFD:
		/* src at 0 or 1 x BUF_LEN, dst at 2 or 3 x BUF_LEN */
		map_memfd_pair(sc, "odp-verify-remap", 4 * BUF_LEN, 2 * BUF_LEN);
		sc->obs = mmap(NULL, 4 * BUF_LEN, PROT_READ | PROT_WRITE,
			       MAP_SHARED, sc->memfd, 0);
		if (sc->obs == MAP_FAILED)
			bail("mmap memfd");
		sc->prepare = prep_memfd;
		sc->after_op = check_memfd;
		break;
	case SC_NUMA:
	case SC_NUMA_THREAD:
		if (numa_nodes() < 2) {
			*why = "one NUMA node";
			return false;
		}
		sc->src = map_anon(BUF_LEN);
		sc->dst = map_anon(BUF_LEN);
		if (which == SC_NUMA) {
			sc->after_fill = fill_numa;
			sc->after_op = after_numa;
		} else {
			sc->thread = numa_thread;
		}
		break;
	}
	sc->smr = reg_odp(sc->src, BUF_LEN);
	sc->dmr = reg_odp(sc->dst, BUF_LEN);
	return true;
}

/* After the rounds: did the scenario's thread or migrations do anything? */
static void scen_finish(struct scen *sc, int which)
{
	if (which == SC_CHURN) {
		note("the thread dropped both buffers %lu times", sc->churns);
		if (!sc->churns) {
			fail("the dropping thread never ran");
			result("shared memory dropped by a thread: the thread ran");
		}
	} else if (which == SC_NUMA || which == SC_NUMA_THREAD) {
		note("%zu of %zu page moves done%s", sc->moved, sc->pages,
		     which == SC_NUMA_THREAD ? " by the thread" : "");
		if (!sc->moved) {
			fail("no page moved to another node");
			result("%s: pages moved", sc->name);
		}
	}
}

static void scen_teardown(struct scen *sc)
{
	ibv_dereg_mr(sc->smr);
	ibv_dereg_mr(sc->dmr);
	munmap(sc->src, BUF_LEN);
	munmap(sc->dst, BUF_LEN);
	if (sc->obs)
		munmap(sc->obs, 4 * BUF_LEN);
	if (sc->memfd >= 0)
		close(sc->memfd);
}

static void t_scenarios(struct pair *p)
{
	struct scen sc;

	reg_implicit();

	for (int w = 0; w < SC_N; w++) {
		const char *why = NULL;

		if (!wanted(sc_group[w]))
			continue;
		if (!scen_setup(&sc, w, &why)) {
			for (int k = 0; k < OP_KINDS; k++)
				skip(why, "%s, %s", opkind_name[k], sc_name[w]);
			continue;
		}
		scen_run(&sc, p);
		scen_finish(&sc, w);
		scen_teardown(&sc);
	}
}

/* ------------------------------------------------------------------ */
/* @o: one RDMA WRITE of @len bytes from @src to @dst. */
static void write_op(struct op *o, char *src, uint32_t lkey, char *dst,
		     uint32_t rkey, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->opcode = IBV_WR_RDMA_WRITE;
	o->sge[0] = sge(src, len, lkey);
	o->nsge = 1;
	o->raddr = (uintptr_t)dst;
	o->rkey = rkey;
}

/*
 * An explicit on-demand MR of 400 MiB, a few pages of it ever touched.
 * The driver may build a large MR from child umems made on first fault
 * (odp_hca does, in chunks of 128 MiB): operations that straddle every
 * 64 MiB-aligned address of the region cross every chunk boundary of
 * such a driver (a power of two of at least that size), as responder
 * (RDMA WRITE into the MR) and as requester (RDMA READ into it), then
 * across a boundary whose pages were dropped, and at the MR's last page.
 */
#define LARGE_LEN	(400ul << 20)
#define LARGE_STEP	(64ul << 20)
#define LARGE_OP	(4 * PAGE)	/* half on either side of a boundary */

static void t_large(struct pair *p)
{
	char *G = map_anon(LARGE_LEN), *L = map_anon(2 * LARGE_OP);
	struct ibv_mr *gmr, *lmr = reg_odp(L, 2 * LARGE_OP);
	uint64_t first = ((uintptr_t)G + LARGE_STEP) & ~(LARGE_STEP - 1);
	long long chunks0 = hw_counter(ctx, "odp_chunks"), chunks;
	int nb = 0;
	double t;
	struct op o;

	t = now();
	gmr = reg_odp(G, LARGE_LEN);
	note("registering %lu MiB on demand took %.3f ms", LARGE_LEN >> 20,
	     (now() - t) * 1e3);

	/* WRITE into the MR across each boundary, then READ it back. */
	for (uint64_t b = first; b + LARGE_OP <= (uintptr_t)G + LARGE_LEN;
	     b += LARGE_STEP, nb++) {
		char *at = (char *)(uintptr_t)(b - LARGE_OP / 2);
		uint64_t sw = fresh_seed(), sr = fresh_seed();

		pair_fix(p);
		pat_fill(L, sw, 0, LARGE_OP);
		write_op(&o, L, lmr->lkey, at, gmr->rkey, LARGE_OP);
		if (op_ok(p, &o, "WRITE across %#" PRIx64, b))
			expect(at, sw, 0, LARGE_OP, "WRITE across %#" PRIx64, b);
		/* the pages beside it were never written: still zero */
		expect(at - PAGE, 0, 0, PAGE, "the page before %#" PRIx64, b);
		expect(at + LARGE_OP, 0, 0, PAGE, "the page after %#" PRIx64, b);

		/* the MR as the requester's target: a READ lands in it */
		pat_fill(L + LARGE_OP, sr, 0, LARGE_OP);
		memset(&o, 0, sizeof(o));
		o.opcode = IBV_WR_RDMA_READ;
		o.sge[0] = sge(at + LARGE_OP + PAGE, LARGE_OP, gmr->lkey);
		o.nsge = 1;
		o.raddr = (uintptr_t)(L + LARGE_OP);
		o.rkey = lmr->rkey;
		pair_fix(p);
		if (op_ok(p, &o, "READ into %#" PRIx64 "+", b))
			expect(at + LARGE_OP + PAGE, sr, 0, LARGE_OP,
			       "READ into %#" PRIx64 "+", b);
	}
	result("a 400 MiB on-demand MR: WRITE across each of its %d 64 MiB "
	       "boundaries and a READ into it beside each, every byte", nb);

	/* Drop the pages across the first boundary: the device must fault
	 * them in again, and must not write the old ones. */
	{
		char *at = (char *)(uintptr_t)(first - LARGE_OP / 2);
		uint64_t s = fresh_seed();

		drop(at, LARGE_OP);
		expect(at, 0, 0, LARGE_OP, "dropped pages read zero");
		pat_fill(L, s, 0, LARGE_OP);
		write_op(&o, L, lmr->lkey, at, gmr->rkey, LARGE_OP);
		pair_fix(p);
		if (op_ok(p, &o, "WRITE after MADV_DONTNEED"))
			expect(at, s, 0, LARGE_OP, "WRITE after MADV_DONTNEED");
		result("the same MR: WRITE across a boundary whose pages were "
		       "dropped, every byte");
	}

	/* Its last page, short of any chunk boundary. */
	{
		char *at = G + LARGE_LEN - PAGE;
		uint64_t s = fresh_seed();

		pat_fill(L, s, 0, PAGE);
		write_op(&o, L, lmr->lkey, at, gmr->rkey, PAGE);
		pair_fix(p);
		if (op_ok(p, &o, "WRITE to the last page"))
			expect(at, s, 0, PAGE, "WRITE to the last page");
		/* one byte past the MR: outside it, however it is built */
		o.raddr = (uintptr_t)(G + LARGE_LEN - PAGE + 1);
		pair_fix(p);
		op_run(p, &o, OP_TIMEOUT);
		if (o.status != IBV_WC_REM_ACCESS_ERR)
			fail("a WRITE ending one byte past the MR completed %s, "
			     "expected %s", wcstr(o.status),
			     wcstr(IBV_WC_REM_ACCESS_ERR));
		pair_fix(p);
		result("the same MR: its last page, and a WRITE one byte past "
		       "its end refused");
	}

	chunks = hw_counter(ctx, "odp_chunks");
	if (chunks0 < 0 || chunks < 0) {
		skip("the device has no odp_chunks counter",
		     "the driver built the large MR from chunks");
	} else {
		/* each boundary crossed: both sides of it have a child */
		if (chunks - chunks0 < 2)
			fail("odp_chunks went from %lld to %lld: %d boundaries "
			     "crossed in one chunk?", chunks0, chunks, nb);
		result("the driver built the large MR from chunks on first "
		       "fault (%lld)", chunks - chunks0);
	}
	if (ibv_dereg_mr(gmr) || ibv_dereg_mr(lmr))
		bail("ibv_dereg_mr");
	munmap(G, LARGE_LEN);
	munmap(L, 2 * LARGE_OP);
}

/* ------------------------------------------------------------------ */
/* A thread remaps the target of RDMA WRITEs while they run. */

struct flip {
	char *a, *obs;
	int fd;
	volatile bool stop;
	unsigned long flips, checked_bad;
	size_t off;
};

static void *flip_thread(void *arg)
{
	struct flip *f = arg;

	while (!f->stop) {
		size_t old = f->off;
		uint64_t sent = fresh_seed();

		f->off ^= BUF_LEN;
		memfd_map(f->a, f->fd, f->off);
		/*
		 * mmap() returned: the invalidation of the old pages is
		 * complete.  Whatever the device writes from now on must go
		 * to the new pages.
		 */
		pat_fill(f->obs + old, sent, 0, BUF_LEN);
		usleep(3000);	/* RDMA WRITEs keep running meanwhile */
		if (!expect(f->obs + old, sent, 0, BUF_LEN,
			    "flip %lu: the old pages after the remap", f->flips))
			f->checked_bad++;
		f->flips++;
	}
	return NULL;
}

static void t_remap_concurrent(struct pair *p)
{
	struct flip f = { 0 };
	struct ibv_mr *smr, *amr;
	char *src = map_anon(BUF_LEN);
	int writes = quick ? 40 : 100, done = 0;
	double t0 = now();
	pthread_t th;
	uint64_t s;
	struct op o;

	f.fd = memfd_create("odp-verify-flip", MFD_CLOEXEC);
	if (f.fd < 0 || ftruncate(f.fd, 2 * BUF_LEN))
		bail("memfd");
	f.obs = mmap(NULL, 2 * BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
	f.a = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
	if (f.obs == MAP_FAILED || f.a == MAP_FAILED)
		bail("mmap memfd");
	smr = reg_odp(src, BUF_LEN);
	amr = reg_odp(f.a, BUF_LEN);
	pat_fill(src, fresh_seed(), 0, BUF_LEN);

	if (pthread_create(&th, NULL, flip_thread, &f))
		bail("pthread_create");
	for (int i = 0; i < writes && !errors; i++) {
		size_t len = (i % 4 == 3) ? BUF_LEN : sizes[i % N_SIZES];
		bool use_imr = i & 1;

		memset(&o, 0, sizeof(o));
		o.opcode = IBV_WR_RDMA_WRITE;
		o.sge[0] = sge(src, len, use_imr ? imr->lkey : smr->lkey);
		o.nsge = 1;
		o.raddr = (uintptr_t)f.a + (BUF_LEN - len) / 2;
		o.rkey = use_imr ? imr->rkey : amr->rkey;
		if (op_ok(p, &o, "write %d of %zu bytes during remaps", i, len))
			done++;
		pair_fix(p);
	}
	f.stop = true;
	pthread_join(th, NULL);

	/* Quiet now: a last WRITE must land in the current pages exactly. */
	s = fresh_seed();
	pat_fill(src, s, 0, BUF_LEN);
	memset(&o, 0, sizeof(o));
	o.opcode = IBV_WR_RDMA_WRITE;
	o.sge[0] = sge(src, BUF_LEN, smr->lkey);
	o.nsge = 1;
	o.raddr = (uintptr_t)f.a;
	o.rkey = amr->rkey;
	if (op_ok(p, &o, "the last write"))
		expect(f.obs + f.off, s, 0, BUF_LEN, "the last write, seen in the file");
	pair_fix(p);
	note("%d RDMA WRITEs completed during %lu remaps", done, f.flips);
	if (!f.flips)
		fail("the remapping thread never remapped");
	result("RDMA WRITE, memfd remapped by a thread during the writes: no write in the old pages after the remap (%.1f s)",
	       now() - t0);

	ibv_dereg_mr(smr);
	ibv_dereg_mr(amr);
	munmap(src, BUF_LEN);
	munmap(f.a, BUF_LEN);
	munmap(f.obs, 2 * BUF_LEN);
	close(f.fd);
}

/* ------------------------------------------------------------------ */
/* fork() and copy-on-write */

static bool do_copy(struct pair *p, enum ibv_wr_opcode op, char *local,
		    uint32_t lkey, char *remote, uint32_t rkey, size_t len,
		    const char *what)
{
	struct op o = { .opcode = op, .nsge = 1 };
	bool ok;

	o.sge[0] = sge(local, len, lkey);
	o.raddr = (uintptr_t)remote;
	o.rkey = rkey;
	ok = op_ok(p, &o, "%s", what);
	pair_fix(p);
	return ok;
}

/* Ask the fork child how many bytes of its copy changed; -1: no answer. */
static long child_changed(int to_child, int from_child)
{
	size_t bad;

	if (write(to_child, "c", 1) != 1 ||
	    read(from_child, &bad, sizeof(bad)) != sizeof(bad))
		return -1;
	return (long)bad;
}

/* First differing byte of two buffers, or -1. */
static long first_diff(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/*
 * P is the parent's buffer, registered read-write (explicit, or the
 * implicit MR) and read-only (explicit: the driver maps its pages without
 * breaking copy-on-write).  Before the fork the device has P's pages in
 * its tables.  After it, every device access must go to the parent's
 * pages as they are now, and the child's copy must keep exactly what P
 * held at the fork.  E is the model of P.
 */
static void t_fork(struct pair *p, bool implicit)
{
	const size_t L = 1024 * 1024, Q4 = L / 4;
	const char *kind = implicit ? "implicit" : "explicit";
	char *P = map_anon(L), *Q = map_anon(L), *E = malloc(L);
	struct ibv_mr *pmr, *qmr, *romr;
	uint32_t pr, ql;
	int to_child[2], from_child[2];
	uint64_t s0 = fresh_seed();
	long child_bad, child_worst = 0, d;
	const char *child_when = NULL;
	pid_t pid;
	int wst = 0;

	if (!E)
		bail("malloc");
	/*
	 * 4 KiB pages: a write to a transparent huge page shared with the
	 * child would split it and invalidate all of it, hiding a stale
	 * translation of the pages next to the one written.
	 */
	madvise(P, L, MADV_NOHUGEPAGE);
	madvise(Q, L, MADV_NOHUGEPAGE);
	pmr = reg_odp(P, L);
	qmr = reg_odp(Q, L);
	romr = ibv_reg_mr(pd, P, L, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	if (!romr)
		bail("ibv_reg_mr(ON_DEMAND | REMOTE_READ)");
	pr = implicit ? imr->rkey : pmr->rkey;
	ql = implicit ? imr->lkey : qmr->lkey;

	/* Before the fork the device wrote P and read it through both MRs. */
	pat_fill(Q, s0, 0, L);
	do_copy(p, IBV_WR_RDMA_WRITE, Q, ql, P, pr, L, "write P before the fork");
	expect(P, s0, 0, L, "P before the fork");
	memset(Q, 0, L);
	do_copy(p, IBV_WR_RDMA_READ, Q, ql, P, romr->rkey, L,
		"read P (read-only MR) before the fork");
	expect(Q, s0, 0, L, "P read through the read-only MR before the fork");
	memcpy(E, P, L);

	if (pipe(to_child) || pipe(from_child))
		bail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) {
		/*
		 * The child: on each request, check its copy byte for byte
		 * and answer with the number of bytes changed.
		 */
		char c;

		close(to_child[1]);
		close(from_child[0]);
		while (read(to_child[0], &c, 1) == 1 && c == 'c') {
			size_t bad = 0;

			for (size_t i = 0; i < L; i++)
				bad += (uint8_t)P[i] != pat_byte(s0, i);
			if (write(from_child[1], &bad, sizeof(bad)) != sizeof(bad))
				_exit(3);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
#define CHILD_CHECK(when) do {						\
		child_bad = child_changed(to_child[1], from_child[0]);	\
		if (child_bad && !child_when) {				\
			child_worst = child_bad;			\
			child_when = (when);				\
		}							\
	} while (0)

	/*
	 * 1. The device's first access after the fork: a write into pages
	 * shared with the child.  A translation kept from before the fork
	 * would put it in the child's copy.
	 */
	{
		size_t off = 3 * Q4 + 100, len = 5000;
		uint64_t s = fresh_seed();

		pat_fill(Q, s, 0, len);
		pat_fill(E + off, s, 0, len);
		if (do_copy(p, IBV_WR_RDMA_WRITE, Q, ql, P + off, pr, len,
			    "write into P after the fork") &&
		    (d = first_diff(P, E, L)) >= 0)
			fail("P after the device's write differs from what it should be, first at +%ld",
			     d);
		CHILD_CHECK("after the device's first write after the fork");
		if (child_bad)
			fail("the child's copy differs in %ld bytes after the device's write",
			     child_bad);
	}
	result("fork (%s ODP MR): a device write to pages shared with the child goes to the parent's new pages",
	       kind);

	/* 2. An atomic on another page still shared with the child. */
	{
		size_t t = Q4 + 5 * PAGE + 64;
		uint64_t before, after, add = 0x1234567;
		struct op o = { .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD, .nsge = 1 };

		memcpy(&before, E + t, 8);
		o.sge[0] = sge(Q, 8, ql);
		o.raddr = (uintptr_t)P + t;
		o.rkey = pr;
		o.compare_add = add;
		if (op_ok(p, &o, "fetch-add on a page shared with the child")) {
			memcpy(&after, Q, 8);
			if (after != before)
				fail("fetch-add returned %#" PRIx64 ", expected %#" PRIx64,
				     after, before);
			after = before + add;
			memcpy(E + t, &after, 8);
			if ((d = first_diff(P, E, L)) >= 0)
				fail("P after the fetch-add differs from what it should be, first at +%ld",
				     d);
		}
		pair_fix(p);
		CHILD_CHECK("after the device's fetch-add");
		if (child_bad)
			fail("the child's copy differs in %ld bytes after the fetch-add",
			     child_bad);
	}
	result("fork (%s ODP MR): a fetch-add on a page shared with the child lands in the parent's page",
	       kind);

	/*
	 * 3. The device reads pages still shared through the read-only MR
	 * (the driver maps them without breaking CoW); then the parent writes
	 * some of them (its CoW break gives it new pages), and the device
	 * reads again: its translations of the old pages must be gone.  Then
	 * all of P through the read-write MR.
	 */
	{
		size_t off = 1000, len = 3 * PAGE;
		uint64_t s = fresh_seed();

		pat_fill(Q, fresh_seed(), 0, L);
		if (do_copy(p, IBV_WR_RDMA_READ, Q, ql, P, romr->rkey, Q4,
			    "read P (read-only MR) after the fork") &&
		    (d = first_diff(Q, E, Q4)) >= 0)
			fail("the device read wrong bytes through the read-only MR, first at +%ld",
			     d);
		pat_fill(P + off, s, 0, len);
		pat_fill(E + off, s, 0, len);
		pat_fill(Q, fresh_seed(), 0, L);
		if (do_copy(p, IBV_WR_RDMA_READ, Q, ql, P, romr->rkey, Q4,
			    "read P (read-only MR) after the parent's write") &&
		    (d = first_diff(Q, E, Q4)) >= 0)
			fail("the device read old bytes through the read-only MR, first at +%ld",
			     d);
		pat_fill(Q, fresh_seed(), 0, L);
		if (do_copy(p, IBV_WR_RDMA_READ, Q, ql, P, pr, L,
			    "read P after the parent's write") &&
		    (d = first_diff(Q, E, L)) >= 0)
			fail("the device read old bytes of P, first at +%ld", d);
		CHILD_CHECK("after the parent's write and the device's reads");
	}
	result("fork (%s ODP MR): after the parent's copy-on-write the device reads the parent's new pages (read-only MR too)",
	       kind);

	/*
	 * 4. The parent keeps writing a quarter at a time; the device reads
	 * all of P and writes across the next quarter boundary.
	 */
	for (int q = 0; q < 3; q++) {
		uint64_t sc = fresh_seed(), sw = fresh_seed();
		size_t woff = q * Q4 + Q4 / 2 + 123, wlen = Q4;

		pat_fill(P + q * Q4, sc, q * Q4, Q4);
		pat_fill(E + q * Q4, sc, q * Q4, Q4);
		pat_fill(Q, fresh_seed(), 0, L);
		if (do_copy(p, IBV_WR_RDMA_READ, Q, ql, P, pr, L, "read P") &&
		    (d = first_diff(Q, E, L)) >= 0)
			fail("quarter %d: the device read old bytes of P, first at +%ld",
			     q, d);
		pat_fill(Q, sw, 0, wlen);
		pat_fill(E + woff, sw, 0, wlen);
		if (do_copy(p, IBV_WR_RDMA_WRITE, Q, ql, P + woff, pr, wlen, "write P") &&
		    (d = first_diff(P, E, L)) >= 0)
			fail("quarter %d: P differs from what it should be after the device's write, first at +%ld",
			     q, d);
		CHILD_CHECK("while the parent kept writing");
	}
	result("fork (%s ODP MR): the parent keeps writing, the device reads and writes the parent's pages",
	       kind);
#undef CHILD_CHECK

	/* 5. The child's copy: exactly what P held at the fork, every time. */
	if (child_when && child_worst < 0)
		fail("no answer from the child %s", child_when);
	else if (child_when)
		fail("%ld of %zu bytes of the child's copy changed %s",
		     child_worst, L, child_when);
	if (write(to_child[1], "q", 1) != 1 ||
	    waitpid(pid, &wst, 0) != pid || !WIFEXITED(wst) || WEXITSTATUS(wst))
		fail("the child ended with status %#x", wst);
	result("fork (%s ODP MR): the child's copy is untouched by the device", kind);

	close(to_child[1]);
	close(from_child[0]);
	ibv_dereg_mr(pmr);
	ibv_dereg_mr(qmr);
	ibv_dereg_mr(romr);
	munmap(P, L);
	munmap(Q, L);
	free(E);
}

/* ------------------------------------------------------------------ */
/* Faults that cannot be resolved */

struct bad_case {
	const char *what;
	enum ibv_wr_opcode op;
	int want, want_recv;	/* expected statuses (want_recv: SEND only) */
};

static void t_unresolvable(struct pair *good)
{
	char *R = map_anon(4 * PAGE), *S = map_anon(4 * PAGE), *hole_imr;
	struct ibv_mr *rmr = reg_odp(R, 4 * PAGE), *smr = reg_odp(S, 4 * PAGE);
	static const struct bad_case cases[] = {
		{ "RDMA WRITE to an unmapped remote page", IBV_WR_RDMA_WRITE,
		  IBV_WC_REM_ACCESS_ERR, -1 },
		{ "RDMA WRITE from an unmapped local page", IBV_WR_RDMA_WRITE,
		  IBV_WC_LOC_PROT_ERR, -1 },
		{ "RDMA READ of an unmapped remote page", IBV_WR_RDMA_READ,
		  IBV_WC_REM_ACCESS_ERR, -1 },
		{ "RDMA READ into an unmapped local page", IBV_WR_RDMA_READ,
		  IBV_WC_LOC_PROT_ERR, -1 },
		{ "fetch-add on an unmapped remote page", IBV_WR_ATOMIC_FETCH_AND_ADD,
		  IBV_WC_REM_ACCESS_ERR, -1 },
		{ "SEND into an unmapped receive buffer", IBV_WR_SEND,
		  IBV_WC_REM_OP_ERR, IBV_WC_LOC_PROT_ERR },
		{ "RDMA WRITE to an unmapped address of the implicit MR",
		  IBV_WR_RDMA_WRITE, IBV_WC_REM_ACCESS_ERR, -1 },
	};
	enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };
	struct pair y[N_CASES], z;
	long long ff0 = hw_counter(ctx, "odp_faults_failed");

	/*
	 * The queue pairs first: their rings are memory the provider maps,
	 * which could otherwise land in the holes made below.
	 */
	for (int c = 0; c < N_CASES; c++)
		pair_create(&y[c]);
	pair_create(&z);

	/* page 2 of R and of S: nothing mapped there any more */
	pat_fill(R, fresh_seed(), 0, 4 * PAGE);
	pat_fill(S, fresh_seed(), 0, 4 * PAGE);
	if (munmap(R + 2 * PAGE, PAGE) || munmap(S + 2 * PAGE, PAGE))
		bail("munmap");
	hole_imr = map_anon(16 * PAGE);
	if (munmap(hole_imr, 16 * PAGE))
		bail("munmap");

	for (int c = 0; c < N_CASES; c++) {
		const struct bad_case *bc = &cases[c];
		struct op o = { .opcode = bc->op, .nsge = 1 };
		double t0 = now();
		unsigned char vec;
		uint64_t s;

		/* mincore() fails with ENOMEM where nothing is mapped */
		if (!mincore(R + 2 * PAGE, PAGE, &vec) ||
		    !mincore(S + 2 * PAGE, PAGE, &vec) ||
		    !mincore(hole_imr + 5 * PAGE, PAGE, &vec)) {
			errno = EEXIST;
			bail("something was mapped into a hole of the test");
		}
		switch (c) {
		case 0:
		case 2:
		case 4:		/* the remote address is the hole */
			o.sge[0] = sge(S, c == 4 ? 8 : 1000, smr->lkey);
			o.raddr = (uintptr_t)R + 2 * PAGE + 16;
			o.rkey = rmr->rkey;
			break;
		case 1:
		case 3:		/* the local address is the hole */
			o.sge[0] = sge(S + 2 * PAGE + 16, 1000, smr->lkey);
			o.raddr = (uintptr_t)R;
			o.rkey = rmr->rkey;
			break;
		case 5:
			o.sge[0] = sge(S, 1000, smr->lkey);
			o.rsge[0] = sge(R + 2 * PAGE + 16, 1000, rmr->lkey);
			o.nrsge = 1;
			break;
		case 6:
			o.sge[0] = sge(S, 1000, smr->lkey);
			o.raddr = (uintptr_t)hole_imr + 5 * PAGE;
			o.rkey = imr->rkey;
			break;
		}
		op_run(&y[c], &o, OP_TIMEOUT);
		if (o.status != bc->want)
			fail("completed %s, expected %s", wcstr(o.status),
			     wcstr(bc->want));
		if (bc->want_recv >= 0 && o.rstatus != bc->want_recv)
			fail("the receive completed %s, expected %s",
			     wcstr(o.rstatus), wcstr(bc->want_recv));
		pair_destroy(&y[c]);

		/* The other QP pair carries on: a write, every byte checked. */
		s = fresh_seed();
		pat_fill(S, s, 0, 2 * PAGE);
		memset(R, 0, PAGE);
		if (do_copy(good, IBV_WR_RDMA_WRITE, S + 100, smr->lkey, R + 7,
			    rmr->rkey, PAGE + 500, "the other pair's write"))
			expect(R + 7, s, 100, PAGE + 500, "the other pair's write");
		result("%s completes %s%s%s%s, the other QP pair carries on (%.1f s)",
		       bc->what, wcstr(bc->want),
		       bc->want_recv >= 0 ? " (receive: " : "",
		       bc->want_recv >= 0 ? wcstr(bc->want_recv) : "",
		       bc->want_recv >= 0 ? ")" : "", now() - t0);
	}

	/* Mapped again, the same MRs work on a new pair. */
	{
		uint64_t s = fresh_seed();

		if (mmap(R + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != R + 2 * PAGE ||
		    mmap(S + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != S + 2 * PAGE)
			bail("mmap MAP_FIXED");
		pat_fill(S, s, 0, 4 * PAGE);
		if (do_copy(&z, IBV_WR_RDMA_WRITE, S, smr->lkey, R, rmr->rkey,
			    4 * PAGE, "write after mapping the hole again"))
			expect(R, s, 0, 4 * PAGE, "write after mapping the hole again");
		memset(S, 0, 4 * PAGE);
		if (do_copy(&z, IBV_WR_RDMA_READ, S, smr->lkey, R, rmr->rkey,
			    4 * PAGE, "read after mapping the hole again"))
			expect(S, s, 0, 4 * PAGE, "read after mapping the hole again");
		pair_destroy(&z);
		result("after the failed faults, a new QP pair moves every byte through the same MRs, the hole mapped again");
	}
	if (ff0 >= 0)
		note("driver: %lld faults answered RESUME(FAIL)",
		     hw_counter(ctx, "odp_faults_failed") - ff0);
	ibv_dereg_mr(rmr);
	ibv_dereg_mr(smr);
	munmap(R, 4 * PAGE);
	munmap(S, 4 * PAGE);
}

/* ------------------------------------------------------------------ */
/*
 * Across the wire: odp-verify --serve ADDR:PORT is the responder, whose
 * ODP memory is dropped, remapped and migrated (the scenarios above);
 * odp-verify --connect ADDR:PORT on another host is the requester.  One
 * RC QP each, connected over the devices' link; a TCP connection between
 * the same addresses carries the QP numbers, PSNs, GIDs, addresses and
 * rkeys, and then the control protocol: for each round the requester asks
 * the responder to prepare its memory, runs the operation, and asks it to
 * check its memory.  Both sides print TAP of what they checked: the
 * requester its completions, the bytes it read and the atomics' returns;
 * the responder its memory, every byte of both buffers, and the receives.
 */

#define W_TIMEOUT	300	/* seconds: to connect, and for any answer */

enum wcmd {
	W_HELLO = 1,	/* QP, PSN, GID, rd_atomic (both ways); irkey, nodes */
	W_BEGIN,	/* set up scenario @scen: addresses and rkeys, or bad
			 * != 0 and @text: why it cannot run there */
	W_PREP,		/* prepare @round of @kind: the memory changes, src
			 * filled with @seed, dst with @bg (the answer: the
			 * background it has), the receive posted (SEND) */
	W_CHECK,	/* the operation is over: the answer's @bad counts
			 * the errors the responder found */
	W_RESULT,	/* the rounds of @kind are over: the responder's TAP */
	W_RECONNECT,	/* after an error completion: new QPs (as W_HELLO) */
	W_END,		/* scenario @scen is over */
	W_QUIT,
};
#define W_FAILED	1	/* W_CHECK: the operation did not complete */

/*
 * One message, both directions; both ends run this program on the same
 * architecture, so it goes in native byte order.
 */
struct wmsg {
	uint32_t cmd, scen, kind, round;
	uint32_t qpn, psn, irkey, rd_atomic;
	uint32_t srkey, drkey, nrsge, flags;
	uint32_t nodes, pad;
	uint64_t len, off, loff, seed, bg, saddr, daddr;
	int64_t bad;
	uint8_t gid[16];
	char text[64];
};

static int wsock = -1;
static struct pair wp;		/* the wire's QP: wp.a; wp.b stays NULL */
static uint32_t wpsn;
static int wire_ran;		/* scenarios that ran */

static void wxfer(bool out, void *buf, size_t len)
{
	char *b = buf;

	while (len) {
		ssize_t n = out ? write(wsock, b, len) : read(wsock, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ECONNRESET;
			bail("the control connection (%s)", out ? "send" : "receive");
		}
		b += n;
		len -= n;
	}
}

static void wsend(struct wmsg *m)
{
	wxfer(true, m, sizeof(*m));
}

static void wrecv(struct wmsg *m)
{
	wxfer(false, m, sizeof(*m));
}

/* The requester: send @m, the answer comes back in @m. */
static void wask(struct wmsg *m)
{
	uint32_t cmd = m->cmd;

	wsend(m);
	wrecv(m);
	if (m->cmd != cmd) {
		errno = EPROTO;
		bail("the responder answered %u to %u", m->cmd, cmd);
	}
}

static void wparse(const char *where, struct sockaddr_in *sa)
{
	const char *colon = strrchr(where, ':');
	char host[64];
	int port = colon ? atoi(colon + 1) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	errno = EINVAL;
	if (!colon || colon - where >= (long)sizeof(host) || port <= 0 ||
	    port > 65535)
		bail("%s: not IPv4-ADDRESS:PORT", where);
	memcpy(host, where, colon - where);
	host[colon - where] = 0;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		bail("%s: not IPv4-ADDRESS:PORT", where);
	sa->sin_port = htons(port);
}

static void wsock_setup(void)
{
	struct timeval tv = { .tv_sec = W_TIMEOUT };
	int one = 1;

	/* one small message at a time: no Nagle delay; a dead peer ends
	 * the run instead of hanging it */
	if (setsockopt(wsock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(wsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		bail("setsockopt");
}

static void wire_listen(const char *where)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	int one = 1, l;

	wparse(where, &sa);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
		bail("listen on %s", where);
	note("listening on %s", where);
	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(&pfd, 1, W_TIMEOUT * 1000) != 1) {
		errno = ETIMEDOUT;
		bail("no requester came to %s", where);
	}
	wsock = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (wsock < 0)
		bail("accept");
	close(l);
	wsock_setup();
}

/* The responder may not listen yet: retry for a while. */
static void wire_dial(const char *where)
{
	struct sockaddr_in sa;
	double end = now() + W_TIMEOUT;

	wparse(where, &sa);
	for (;;) {
		wsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (wsock < 0)
			bail("socket");
		if (!connect(wsock, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		if (now() > end || (errno != ECONNREFUSED && errno != ETIMEDOUT &&
				    errno != EHOSTUNREACH && errno != ENETUNREACH))
			bail("connect to %s", where);
		close(wsock);
		usleep(300000);
	}
	wsock_setup();
}

/* A new QP (the old one, after an error, goes); its side of W_HELLO. */
static void wire_qp_new(struct wmsg *m)
{
	if (wp.a)
		pair_destroy(&wp);
	wp.cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	if (!wp.cq)
		bail("ibv_create_cq");
	wp.a = qp_create(wp.cq);
	wpsn = (uint32_t)fresh_seed() & ODP_HCA_PSN_MASK;
	m->qpn = wp.a->qp_num;
	m->psn = wpsn;
	m->rd_atomic = max_rd_atomic;
	memcpy(m->gid, gid.raw, sizeof(m->gid));
}

static void wire_qp_connect(const struct wmsg *peer)
{
	union ibv_gid dgid;

	/* both ends take the smaller: each one's max_dest_rd_atomic covers
	 * the other's max_rd_atomic */
	if (peer->rd_atomic && peer->rd_atomic < max_rd_atomic)
		max_rd_atomic = peer->rd_atomic;
	memcpy(dgid.raw, peer->gid, sizeof(dgid.raw));
	qp_connect_to(wp.a, peer->qpn, &dgid, peer->psn, wpsn, 64);
	wp.broken = false;
}

/* --- the requester --- */

static const size_t wsizes[] = { 5, 4097, 65543, 1048573 };
#define W_N_SIZES (sizeof(wsizes) / sizeof(wsizes[0]))

struct wremote {
	uint64_t src, dst;
	uint32_t srkey, drkey, irkey;
};

/* After an error completion both ends need new QPs. */
static void wire_reconnect(void)
{
	struct wmsg m = { .cmd = W_RECONNECT };

	note("  new QPs after the error");
	wire_qp_new(&m);
	wask(&m);
	wire_qp_connect(&m);
}

/*
 * Round @r of @k in scenario @w.  The responder's src holds pattern
 * s, its dst the background bg; a WRITE or SEND copies the requester's L
 * (pattern s too, from offset loff) to dst + off, a READ src + off to L
 * (background lbg) at loff, the atomics work on the word at dst + off.
 */
static void wire_round(const struct wremote *R, struct ibv_mr *lmr, char *L,
		       int w, enum opkind k, int r)
{
	size_t len = wsizes[(r + k + w) % W_N_SIZES];
	size_t span = BUF_LEN - len + 1;
	size_t off = ((size_t)r * 7919 + k * 4096 + w * 577 + 3) % span;
	size_t loff = ((size_t)r * 4093 + k * 511) % span;
	bool rimp = (r & 1) && R->irkey, limp = (r & 2) && imr;
	uint32_t lkey = limp ? imr->lkey : lmr->lkey;
	uint32_t srkey = rimp ? R->irkey : R->srkey;
	uint32_t drkey = rimp ? R->irkey : R->drkey;
	uint64_t lbg = fresh_seed(), s, bg;
	int nsge = r % 3 == 2 ? 3 : 1;
	struct wmsg m = {
		.cmd = W_PREP, .scen = w, .kind = k, .round = r,
		.seed = fresh_seed(), .bg = fresh_seed(),
		.nrsge = r % 2 ? 3 : 1,
	};
	struct op o = { 0 };
	char what[120];
	bool ok = true;

	if (k == OP_ATOMIC) {
		len = 8;
		off = (((size_t)r * 37 * PAGE + r * 8 + w * 488) %
		       (BUF_LEN - 8)) & ~7ul;
	}
	snprintf(what, sizeof(what), "round %d (%s MR there, %s here) %zu bytes",
		 r, rimp ? "implicit" : "explicit", limp ? "implicit" : "explicit",
		 len);
	m.len = len;
	m.off = off;
	m.loff = loff;
	m.flags = rimp;
	wask(&m);
	s = m.seed;
	bg = m.bg;	/* what the responder's dst holds now */
	/* our own pages go too: the requester faults as well */
	if (dev_odp)
		drop(L, BUF_LEN);
	pat_fill(L, k == OP_WRITE || k == OP_SEND ? s : lbg, 0, BUF_LEN);

	switch (k) {
	case OP_WRITE:
	case OP_SEND:
		o.opcode = k == OP_WRITE ? IBV_WR_RDMA_WRITE : IBV_WR_SEND;
		o.nsge = split_sge(o.sge, nsge, L + loff, len, lkey);
		o.raddr = R->dst + off;
		o.rkey = drkey;
		ok = op_ok(&wp, &o, "%s", what);
		expect(L, s, 0, BUF_LEN, "%s: the source", what);
		break;
	case OP_READ:
		o.opcode = IBV_WR_RDMA_READ;
		o.nsge = split_sge(o.sge, nsge, L + loff, len, lkey);
		o.raddr = R->src + off;
		o.rkey = srkey;
		ok = op_ok(&wp, &o, "%s", what);
		if (!ok)
			break;
		expect(L, lbg, 0, loff, "%s: bytes before the %zu read", what, len);
		expect(L + loff, s, off, len, "%s: the bytes read", what);
		expect(L + loff + len, lbg, loff + len, BUF_LEN - loff - len,
		       "%s: bytes after the %zu read", what, len);
		break;
	case OP_ATOMIC: {
		size_t res0 = (((size_t)r * 11 * PAGE + 4064) %
			       (BUF_LEN - 64)) & ~7ul;
		struct atomic_step seq[ATOMIC_STEPS];

		atomic_steps(seq, s, pat_u64(bg, off));
		for (int i = 0; i < ATOMIC_STEPS && ok; i++) {
			char *res = L + res0 + 8 * (i & 1);

			if (dev_odp)
				drop((char *)((uintptr_t)res & ~(PAGE - 1)), PAGE);
			memset(&o, 0, sizeof(o));
			o.opcode = seq[i].op;
			o.sge[0] = sge(res, 8, lkey);
			o.nsge = 1;
			o.raddr = R->dst + off;
			o.rkey = drkey;
			o.compare_add = seq[i].ca;
			o.swap = seq[i].swap;
			ok = op_ok(&wp, &o, "%s: atomic %d", what, i);
			if (ok && memcmp(res, &seq[i].want_ret, 8)) {
				uint64_t got;

				memcpy(&got, res, 8);
				fail("%s: atomic %d (%s) returned %#" PRIx64
				     ", expected %#" PRIx64, what, i,
				     opname(seq[i].op), got, seq[i].want_ret);
			}
		}
		break;
	}
	default:
		break;
	}
	memset(&m, 0, sizeof(m));
	m.cmd = W_CHECK;
	m.flags = ok ? 0 : W_FAILED;
	wask(&m);
	if (m.bad)
		fail("%s: the responder found %" PRId64 " errors (its TAP has them)",
		     what, m.bad);
	if (!ok)
		wire_reconnect();
}

static void wire_requester(const char *where)
{
	struct wmsg m = { .cmd = W_HELLO };
	char *L = map_anon(BUF_LEN);
	struct ibv_mr *lmr;
	int rounds = quick ? 4 : 8;

	/* without ODP here (a requester only) the local buffer is pinned */
	lmr = dev_odp ? reg_odp(L, BUF_LEN) :
	      ibv_reg_mr(pd, L, BUF_LEN, IBV_ACCESS_LOCAL_WRITE);
	if (!lmr)
		bail("ibv_reg_mr of the local buffer");
	if (dev_implicit)
		reg_implicit();
	wire_dial(where);
	wire_qp_new(&m);
	m.nodes = numa_nodes();
	wask(&m);
	wire_qp_connect(&m);
	note("requester: QP %u to QP %u at %s, max_rd_atomic %u; responder: %s, %u NUMA node(s); here: %s",
	     wp.a->qp_num, m.qpn, where, max_rd_atomic,
	     m.irkey ? "implicit ODP" : "no implicit ODP", m.nodes,
	     dev_odp ? "ODP" : "pinned memory (no ODP)");

	for (int w = 0; w < SC_N; w++) {
		struct wremote R;

		if (!wanted(sc_group[w]))
			continue;
		memset(&m, 0, sizeof(m));
		m.cmd = W_BEGIN;
		m.scen = w;
		wask(&m);
		if (m.bad) {
			m.text[sizeof(m.text) - 1] = 0;
			for (int k = 0; k < OP_KINDS; k++)
				skip(m.text, "%s, %s", opkind_name[k], sc_name[w]);
			continue;
		}
		wire_ran++;
		R = (struct wremote){ .src = m.saddr, .dst = m.daddr,
				      .srkey = m.srkey, .drkey = m.drkey,
				      .irkey = m.irkey };
		for (int k = 0; k < OP_KINDS; k++) {
			double t0 = now();

			for (int r = 0; r < rounds; r++)
				wire_round(&R, lmr, L, w, (enum opkind)k, r);
			memset(&m, 0, sizeof(m));
			m.cmd = W_RESULT;
			m.scen = w;
			m.kind = k;
			m.round = rounds;
			wask(&m);
			result("%s, %s: every byte right (%d rounds, %.1f s)",
			       opkind_name[k], sc_name[w], rounds, now() - t0);
		}
		memset(&m, 0, sizeof(m));
		m.cmd = W_END;
		wask(&m);
	}
	memset(&m, 0, sizeof(m));
	m.cmd = W_QUIT;
	wask(&m);
	ibv_dereg_mr(lmr);
	munmap(L, BUF_LEN);
}

/* --- the responder --- */

static void wresp_prep(struct scen *sc, struct wmsg *m)
{
	if (sc->prepare)
		sc->prepare(sc, m->round);
	pat_fill(sc->src, m->seed, 0, BUF_LEN);
	/* odd rounds of some scenarios: dst as prepare() left it, zeroes */
	if (sc->zero_bg_odd && (m->round & 1))
		m->bg = 0;
	else
		pat_fill(sc->dst, m->bg, 0, BUF_LEN);
	if (sc->after_fill)
		sc->after_fill(sc, m->round);
	if (m->kind == OP_SEND) {
		uint32_t lkey = (m->flags & 1) && imr ? imr->lkey : sc->dmr->lkey;
		struct ibv_sge rs[MAX_SGE];
		struct ibv_recv_wr rwr = { .wr_id = 2, .sg_list = rs }, *bad;

		rwr.num_sge = split_sge(rs, m->nrsge, sc->dst + m->off, m->len,
					lkey);
		if (ibv_post_recv(wp.a, &rwr, &bad))
			bail("ibv_post_recv");
	}
}

/* The receive of a SEND: its completion, success, the length. */
static void wresp_recv(const struct wmsg *m, const char *what)
{
	double end = now() + 10;
	struct ibv_wc wc;
	int n;

	while (!(n = ibv_poll_cq(wp.cq, 1, &wc)) && now() < end)
		usleep(100);
	if (n < 0)
		bail("ibv_poll_cq");
	if (!n)
		fail("%s: no receive completion", what);
	else if (wc.status != IBV_WC_SUCCESS)
		fail("%s: the receive completed %s", what, wcstr(wc.status));
	else if (wc.byte_len != m->len)
		fail("%s: the receive completed with %u bytes, not %" PRIu64,
		     what, wc.byte_len, m->len);
}

/* @p: the W_PREP of this round; @m: the W_CHECK, answered in place */
static void wresp_check(struct scen *sc, const struct wmsg *p, struct wmsg *m)
{
	int e0 = errors, r = p->round;
	size_t off = p->off, len = p->len;
	char what[80];

	snprintf(what, sizeof(what), "round %d (%s MR) %zu bytes", r,
		 (p->flags & 1) && imr ? "implicit" : "explicit", len);
	if (m->flags & W_FAILED) {
		/* the requester reported it; the QPs will be new */
		note("%s: the operation failed on the requester", what);
	} else if (p->kind == OP_SEND) {
		wresp_recv(p, what);
	}
	if (sc->after_op)
		sc->after_op(sc, r);
	if (!(m->flags & W_FAILED)) {
		switch (p->kind) {
		case OP_WRITE:
		case OP_SEND:
			expect(sc->dst, p->bg, 0, off,
			       "%s: dst bytes before the %zu written", what, len);
			expect(sc->dst + off, p->seed, p->loff, len,
			       "%s: the %zu bytes written", what, len);
			expect(sc->dst + off + len, p->bg, off + len,
			       BUF_LEN - off - len,
			       "%s: dst bytes after the %zu written", what, len);
			break;
		case OP_READ:
			expect(sc->dst, p->bg, 0, BUF_LEN, "%s: dst", what);
			break;
		case OP_ATOMIC: {
			struct atomic_step seq[ATOMIC_STEPS];
			uint64_t got;

			atomic_steps(seq, p->seed, pat_u64(p->bg, off));
			memcpy(&got, sc->dst + off, 8);
			if (got != seq[ATOMIC_STEPS - 1].want_after)
				fail("%s: the atomics' target holds %#" PRIx64
				     ", expected %#" PRIx64, what, got,
				     seq[ATOMIC_STEPS - 1].want_after);
			expect(sc->dst, p->bg, 0, off,
			       "%s: dst before the target", what);
			expect(sc->dst + off + 8, p->bg, off + 8,
			       BUF_LEN - off - 8, "%s: dst after the target", what);
			break;
		}
		default:
			break;
		}
		/* the responder's src is only ever read */
		expect(sc->src, p->seed, 0, BUF_LEN, "%s: src", what);
	}
	m->bad = errors - e0;
}

static void wire_responder(const char *where)
{
	struct wmsg m, prep = { 0 }, peer;
	struct scen sc = { 0 };
	bool have = false;
	double t0 = now();
	pthread_t th;

	if (dev_implicit)
		reg_implicit();
	wire_listen(where);
	wrecv(&peer);
	if (peer.cmd != W_HELLO) {
		errno = EPROTO;
		bail("the requester began with %u", peer.cmd);
	}
	memset(&m, 0, sizeof(m));
	m.cmd = W_HELLO;
	/* the smaller rd_atomic before ours goes out: both agree */
	if (peer.rd_atomic && peer.rd_atomic < max_rd_atomic)
		max_rd_atomic = peer.rd_atomic;
	wire_qp_new(&m);
	m.irkey = imr ? imr->rkey : 0;
	m.nodes = numa_nodes();
	wire_qp_connect(&peer);
	wsend(&m);
	note("responder: QP %u to QP %u, max_rd_atomic %u, the requester has %u NUMA node(s)",
	     wp.a->qp_num, peer.qpn, max_rd_atomic, peer.nodes);

	for (;;) {
		const char *why = NULL;

		wrecv(&m);
		switch (m.cmd) {
		case W_BEGIN:
			if (have || m.scen >= SC_N) {
				errno = EPROTO;
				bail("W_BEGIN %u", m.scen);
			}
			have = scen_setup(&sc, m.scen, &why);
			if (!have) {
				m.bad = 1;
				snprintf(m.text, sizeof(m.text), "%s", why);
				for (int k = 0; k < OP_KINDS; k++)
					skip(why, "%s, %s", opkind_name[k],
					     sc_name[m.scen]);
				break;
			}
			wire_ran++;
			m.saddr = (uintptr_t)sc.src;
			m.daddr = (uintptr_t)sc.dst;
			m.srkey = sc.smr->rkey;
			m.drkey = sc.dmr->rkey;
			sc.stop = false;
			if (sc.thread && pthread_create(&th, NULL, sc.thread, &sc))
				bail("pthread_create");
			t0 = now();
			break;
		case W_PREP:
			if (!have || m.kind >= OP_KINDS || m.len > BUF_LEN ||
			    m.off > BUF_LEN - m.len || m.loff > BUF_LEN - m.len) {
				errno = EPROTO;
				bail("W_PREP out of order or out of range");
			}
			wresp_prep(&sc, &m);
			prep = m;
			break;
		case W_CHECK:
			if (!have) {
				errno = EPROTO;
				bail("W_CHECK without a scenario");
			}
			wresp_check(&sc, &prep, &m);
			break;
		case W_RESULT:
			result("%s, %s: every byte right (%u rounds, %.1f s)",
			       opkind_name[m.kind % OP_KINDS], sc.name, m.round,
			       now() - t0);
			t0 = now();
			break;
		case W_RECONNECT:
			peer = m;
			wire_qp_new(&m);
			wire_qp_connect(&peer);
			break;
		case W_END:
			if (!have)
				break;
			if (sc.thread) {
				sc.stop = true;
				pthread_join(th, NULL);
			}
			scen_finish(&sc, m.scen);
			scen_teardown(&sc);
			have = false;
			break;
		case W_QUIT:
			wsend(&m);
			close(wsock);
			return;
		default:
			errno = EPROTO;
			bail("command %u", m.cmd);
		}
		wsend(&m);
	}
}

static void t_wire(const char *serve, const char *connect_to)
{
	const char *name = serve ? "odp_faults_responder" : "odp_faults_requester";
	const char *kind = serve ? "responder" : "requester";
	long long f0 = hw_counter(ctx, name);
	long long i0 = hw_counter(ctx, "odp_invalidations");

	if (serve)
		wire_responder(serve);
	else
		wire_requester(connect_to);
	if (wp.a)
		pair_destroy(&wp);
	/* Faults really happened here: on ODP memory that kept going away. */
	if (f0 >= 0 && wire_ran && (serve || dev_odp)) {
		long long f = hw_counter(ctx, name) - f0;
		long long i = hw_counter(ctx, "odp_invalidations") - i0;

		if (f <= 0)
			fail("no %s counted", name);
		if (i <= 0)
			fail("no invalidation counted");
		result("the driver counted %lld %s faults and %lld invalidations here",
		       f, kind, i);
	}
}

/* ------------------------------------------------------------------ */

/*
 * Open the device.  @need_odp: bail unless it has RC ODP (explicit and
 * implicit with @need_implicit); otherwise dev_odp and dev_implicit say.
 */
static void open_device(bool need_odp, bool need_implicit)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	uint32_t need = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_RECV |
			IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_READ |
			IBV_ODP_SUPPORT_ATOMIC;

	if (!list)
		bail("ibv_get_device_list");
	for (int i = 0; list[i]; i++) {
		if (dev_name && strcmp(ibv_get_device_name(list[i]), dev_name))
			continue;
		ctx = ibv_open_device(list[i]);
		break;
	}
	if (!ctx)
		bail("cannot open %s", dev_name ? dev_name : "any RDMA device");
	ibv_free_device_list(list);
	if (ibv_query_device_ex(ctx, NULL, &attr))
		bail("ibv_query_device_ex");
	dev_odp = (attr.odp_caps.general_caps & IBV_ODP_SUPPORT) &&
		  (attr.odp_caps.per_transport_caps.rc_odp_caps & need) == need;
	dev_implicit = dev_odp &&
		       (attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT);
	if (need_odp && !dev_odp) {
		errno = EOPNOTSUPP;
		bail("%s: no RC on-demand paging", ibv_get_device_name(ctx->device));
	}
	if (need_implicit && !dev_implicit) {
		errno = EOPNOTSUPP;
		bail("%s: no implicit ODP", ibv_get_device_name(ctx->device));
	}
	max_rd_atomic = attr.orig_attr.max_qp_rd_atom;
	if (max_rd_atomic > 4)
		max_rd_atomic = 4;
	if (!max_rd_atomic)
		max_rd_atomic = 1;
	if (ibv_query_port(ctx, 1, &port))
		bail("ibv_query_port");
	if (gid_index < 0) {
		for (int i = 0; i < port.gid_tbl_len && gid_index < 0; i++) {
			union ibv_gid g;
			static const union ibv_gid zero;

			if (!ibv_query_gid(ctx, 1, i, &g) && memcmp(&g, &zero, sizeof(g)))
				gid_index = i;
		}
		if (gid_index < 0)
			gid_index = 0;
	}
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		bail("ibv_query_gid %d", gid_index);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		bail("ibv_alloc_pd");
	note("%s, port 1 %s, GID index %d, max_rd_atomic %u, %d NUMA node(s)",
	     ibv_get_device_name(ctx->device),
	     port.state == IBV_PORT_ACTIVE ? "active" : "not active",
	     gid_index, max_rd_atomic, numa_nodes());
}

/* @s as a whole number up to @max, into @out */
static bool parse_uint(const char *s, unsigned int max, uint8_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return false;
	*out = (uint8_t)v;
	return true;
}

static int usage(const char *argv0, const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", argv0, why);
	fprintf(stderr, "usage: %s [-d device] [-g gid-index] [-u timeout] [-r retries]\n"
		"       [-q] [-v] [--serve ADDR:PORT | --connect ADDR:PORT] [test...]\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"odp_faults", "odp_faults_requester", "odp_faults_responder",
		"odp_fault_pages", "odp_faults_failed", "odp_resumes",
		"odp_invalidations", "odp_invalidated_pages", "rnr_naks",
	};
	long long c0[sizeof(names) / sizeof(names[0])];
	static const struct option longopts[] = {
		{ "serve", required_argument, NULL, 'S' },
		{ "connect", required_argument, NULL, 'C' },
		{ "qp-timeout", required_argument, NULL, 'u' },
		{ "retry-cnt", required_argument, NULL, 'r' },
		{ 0 },
	};
	const char *serve = NULL, *connect_to = NULL;
	struct pair p;
	double t0 = now();
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* ibv_fork_init() would madvise(DONTFORK) every MR: no CoW to test */
	unsetenv("RDMAV_FORK_SAFE");
	unsetenv("IBV_FORK_SAFE");
	dev_name = getenv("ODP_DEV");
	while ((opt = getopt_long(argc, argv, "d:g:u:r:qvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev_name = optarg; break;
		case 'g': gid_index = atoi(optarg); break;
		case 'u':
			if (!parse_uint(optarg, 31, &qp_timeout))
				return usage(argv[0], "-u: a timeout from 0 to 31");
			break;
		case 'r':
			if (!parse_uint(optarg, 7, &qp_retry_cnt))
				return usage(argv[0], "-r: a retry count from 0 to 7");
			break;
		case 'q': quick = true; break;
		case 'v': verbose = true; break;
		case 'S': serve = optarg; break;
		case 'C': connect_to = optarg; break;
		default:
			return usage(argv[0], NULL);
		}
	}
	only = argv + optind;
	n_only = argc - optind;

	if (serve || connect_to) {
		/* a responder needs ODP; a requester uses it if there */
		open_device(!!serve, false);
		t_wire(serve, connect_to);
		if (imr)
			ibv_dereg_mr(imr);
		ibv_dealloc_pd(pd);
		ibv_close_device(ctx);
		printf("1..%d\n", tap_n);
		printf("# odp-verify %s: %d of %d failed, %.1f s\n",
		       serve ? "responder" : "requester", tap_failed, tap_n,
		       now() - t0);
		return tap_failed ? 1 : 0;
	}
	open_device(true, true);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		c0[i] = hw_counter(ctx, names[i]);
	pair_create(&p);

	t_scenarios(&p);
	if (wanted("remap") || wanted("memfd"))
		t_remap_concurrent(&p);
	if (wanted("fork")) {
		t_fork(&p, false);
		t_fork(&p, true);
	}
	if (wanted("unresolvable"))
		t_unresolvable(&p);
	if (wanted("large"))
		t_large(&p);

	pair_destroy(&p);
	ibv_dereg_mr(imr);
	ibv_dealloc_pd(pd);

	if (c0[0] >= 0) {
		long long d[sizeof(names) / sizeof(names[0])];

		printf("# driver counters during odp-verify:");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			d[i] = hw_counter(ctx, names[i]) - c0[i];
			printf(" %s %lld", names[i], d[i]);
		}
		printf("\n");
		if (!n_only) {
			if (d[0] <= 0)
				fail("no page fault was counted");
			if (d[6] <= 0)
				fail("no invalidation was counted");
			if (d[4] <= 0)
				fail("no failed fault was counted");
			result("the driver counted faults (%lld), failed faults (%lld) and invalidations (%lld)",
			       d[0], d[4], d[6]);
		}
	}
	ibv_close_device(ctx);
	printf("1..%d\n", tap_n);
	printf("# odp-verify: %d of %d failed, %.1f s\n", tap_failed, tap_n,
	       now() - t0);
	return tap_failed ? 1 : 0;
}
