// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * study-rdma: one RDMA WRITE flow between two guests, for the
 * responder-fault study (make study, scripts/study.py).  Plain
 * libibverbs; the QP numbers, PSNs, GIDs and the server's rkey travel
 * over a TCP connection, which also ends the flow.
 *
 * Server (the responder):
 *   study-rdma server -d dev -g gid-index -p port [-o] [-s region]
 *                     [-m min_rnr_timer] [-F file]
 * registers one region of -s bytes (default 1 MiB), with -o as an
 * on-demand (ODP) MR, else pinned, once for its whole life, prints
 * "ready" and then serves one client at a time: a QP of its own for
 * each, destroyed when the client closes the TCP connection.
 * Its QP's min_rnr_timer is -m (default 12: 0.64 ms), unless the client
 * asks for another; it tells the client the one it used.
 * With -F file the region is the file's first -s bytes, mapped shared
 * (a block device too), and before each client its pages are written
 * back and dropped from the page cache: the client's first WRITE to each
 * page makes the kernel read it from the file's storage to resolve the
 * device's fault.  (make check-wire2 backs it with NVMe over RDMA through
 * the faulting port itself, the stall policy's deadlock.)
 *
 * Client (the requester):
 *   study-rdma client -d dev -g gid-index -p port -S server-ip
 *                     [-t seconds] [-b bytes] [-q depth] [-f flow]
 *                     [-T timeout] [-r retry_cnt] [-n rnr_retry]
 *                     [-D drain-seconds] [-m min_rnr_timer] [-w]
 * keeps -q (default 8) RDMA WRITEs of -b bytes (default 16384) in
 * flight for -t seconds (default 4), cycling through the server's
 * region, every one signaled; its local buffer is pinned.  Then it
 * waits up to -D seconds (default 20) for the WRITEs in flight.  With
 * -w it first writes the whole region once, untimed (a warm-up that
 * maps the server's ODP pages).
 * The QP's local ACK timeout, retry count and RNR retry count are -T
 * (default 14: 67 ms), -r (default 7) and -n (default 7: for ever).
 * With -m the client asks the server to give its QP that min_rnr_timer
 * (the RNR NAK timer the responder puts in its NAKs, which is what the
 * requester waits); the JSON line reports the one the server used.
 *
 * The client prints one JSON line: the flow's name, the QP settings,
 * WRITEs completed, bytes, seconds, MB/s, completion latency (from
 * posting to the completion being polled) p50/p99/max in microseconds
 * (null when no WRITE completed),
 * error completions and the first one's status (the QP is then dead:
 * e.g. "transport retry counter exceeded" or "RNR retry counter
 * exceeded"), and "stuck": WRITEs still outstanding when the drain
 * time ran out.  A dead or stuck QP ends the flow early; it is
 * reported, not waited for.
 *
 * Exit status: 0 the flow ran (whatever its completions said), 2 set-up
 * failed (no JSON line).
 *
 * Copyright (c) 2026 The odp-hca developers
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define MAX_DEPTH	64

/* What the two sides tell each other, in network byte order. */
/*
 * rnr: a client's wish for the server QP's min_rnr_timer, plus one (0:
 * no wish); in the server's answer, the one it used, plus one.
 */
struct wmsg {
	uint32_t qpn, psn, rkey, rnr;
	uint64_t addr, len;
	uint8_t gid[16];
};

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid;
static int gid_index = -1;
static const char *dev_name, *server_ip, *flow = "flow", *file;
static int port = 18600, depth = 8;
static size_t region = 1 << 20, msg = 16384;
static double seconds = 4, drain = 20;
static bool odp, warm;
static uint8_t timeout = 14, retry_cnt = 7, rnr_retry = 7;
static int min_rnr = 12;	/* an int, so that -m 256 is refused, not 0 */
static bool min_rnr_set;

static void die(const char *what)
{
	fprintf(stderr, "study-rdma: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(2);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void open_device(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);

	if (!list)
		die("ibv_get_device_list");
	for (int i = 0; list[i]; i++)
		if (!dev_name || !strcmp(ibv_get_device_name(list[i]), dev_name)) {
			ctx = ibv_open_device(list[i]);
			break;
		}
	ibv_free_device_list(list);
	if (!ctx)
		die("no such RDMA device");
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");
	if (gid_index < 0)
		gid_index = 0;
	if (ibv_query_gid(ctx, 1, gid_index, &gid))
		die("ibv_query_gid");
}

static struct ibv_qp *make_qp(struct ibv_cq *cq)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = MAX_DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
	};
	struct ibv_qp *qp = ibv_create_qp(pd, &ia);

	if (!qp)
		die("ibv_create_qp");
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("modify QP to INIT");
	return qp;
}

/* RTR then RTS towards the peer's QP; our requests start at @sq_psn. */
static void connect_qp(struct ibv_qp *qp, const struct wmsg *peer, uint32_t sq_psn,
		       uint8_t rnr_timer)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = ntohl(peer->qpn), .rq_psn = ntohl(peer->psn),
		.max_dest_rd_atomic = 1, .min_rnr_timer = rnr_timer,
		.ah_attr = {
			.is_global = 1, .port_num = 1,
			.grh = { .sgid_index = gid_index, .hop_limit = 64 },
		},
	};

	memcpy(a.ah_attr.grh.dgid.raw, peer->gid, 16);
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("modify QP to RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = timeout;
	a.retry_cnt = retry_cnt;
	a.rnr_retry = rnr_retry;
	a.sq_psn = sq_psn;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		die("modify QP to RTS");
}

static int full_io(int fd, void *buf, size_t len, bool wr)
{
	char *p = buf;

	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void fill_msg(struct wmsg *m, struct ibv_qp *qp, uint32_t psn)
{
	memset(m, 0, sizeof(*m));
	m->qpn = htonl(qp->qp_num);
	m->psn = htonl(psn);
	memcpy(m->gid, gid.raw, 16);
}

static int file_fd = -1;

/* The server's region: anonymous and zeroed, or the file's first bytes. */
static char *region_map(void)
{
	char *buf;

	if (!file) {
		buf = aligned_alloc(4096, region);
		if (!buf)
			die("aligned_alloc");
		memset(buf, 0, region);
		return buf;
	}
	file_fd = open(file, O_RDWR | O_CLOEXEC);
	if (file_fd < 0)
		die("open the file");
	buf = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_SHARED, file_fd, 0);
	if (buf == MAP_FAILED)
		die("mmap the file");
	return buf;
}

/*
 * A file-backed region written back and out of memory: unmapped from the
 * process (the device's translations go with it) and dropped from the
 * page cache, so that the next access reads the file's storage.
 */
static void region_cool(char *buf)
{
	if (!file)
		return;
	if (msync(buf, region, MS_SYNC) || madvise(buf, region, MADV_DONTNEED))
		die("msync/madvise the file's region");
	errno = posix_fadvise(file_fd, 0, region, POSIX_FADV_DONTNEED);
	if (errno)
		die("posix_fadvise(DONTNEED)");
}

static int serve(void)
{
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE;
	struct ibv_mr *mr;
	char *buf;

	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4))
		die("bind/listen");
	buf = region_map();
	if (odp)
		access |= IBV_ACCESS_ON_DEMAND;
	mr = ibv_reg_mr(pd, buf, region, access);
	if (!mr)
		die(odp ? "ibv_reg_mr (on-demand)" : "ibv_reg_mr");
	printf("ready %s port %d region %zu key 0x%x%s%s\n", odp ? "odp" : "pinned",
	       port, region, mr->rkey, file ? " file " : "", file ? file : "");
	fflush(stdout);
	for (;;) {
		struct wmsg peer, me;
		struct ibv_cq *cq;
		struct ibv_qp *qp;
		uint32_t rnr_timer;
		char c;
		int fd = accept(l, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		if (full_io(fd, &peer, sizeof(peer), false)) {
			close(fd);
			continue;
		}
		rnr_timer = ntohl(peer.rnr) ? ntohl(peer.rnr) - 1 : (uint32_t)min_rnr;
		if (rnr_timer > 31) {	/* a 5-bit field: refuse, not truncate */
			fprintf(stderr, "study-rdma: a client asked for min_rnr_timer %u\n",
				rnr_timer);
			close(fd);
			continue;
		}
		region_cool(buf);
		cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
		if (!cq)
			die("ibv_create_cq");
		qp = make_qp(cq);
		fill_msg(&me, qp, 0);
		me.rkey = htonl(mr->rkey);
		me.addr = htobe64((uintptr_t)buf);
		me.len = htobe64(region);
		me.rnr = htonl(rnr_timer + 1u);
		connect_qp(qp, &peer, 0, rnr_timer);
		if (!full_io(fd, &me, sizeof(me), true))
			while (read(fd, &c, 1) > 0 || errno == EINTR)
				;	/* until the client is done */
		close(fd);
		ibv_destroy_qp(qp);
		ibv_destroy_cq(cq);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static int client(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	struct wmsg me, peer;
	double post_t[MAX_DEPTH] = { 0 }, t0, t_end, t_drain, t_last;
	double *lat = NULL;
	size_t nlat = 0, cap = 0;
	uint64_t raddr, rlen, next_off = 0, ops = 0, errors = 0;
	uint32_t rkey;
	int fd = -1, outstanding = 0, stuck = 0;
	bool posting = true, warming = warm;
	uint64_t warm_left = 0;
	char first_err[64] = "";
	unsigned int resp_rnr;
	char *buf;

	if (inet_pton(AF_INET, server_ip, &sa.sin_addr) != 1)
		die("bad server address");
	/* The server may not listen yet: retry for up to a minute. */
	for (int i = 0; i < 600; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0)
		die("connect to the server");
	ch = ibv_create_comp_channel(ctx);
	if (!ch)
		die("ibv_create_comp_channel");
	cq = ibv_create_cq(ctx, 2 * MAX_DEPTH, NULL, ch, 0);
	if (!cq)
		die("ibv_create_cq");
	qp = make_qp(cq);
	buf = aligned_alloc(4096, msg);
	if (!buf)
		die("aligned_alloc");
	memset(buf, 0x5a, msg);
	mr = ibv_reg_mr(pd, buf, msg, IBV_ACCESS_LOCAL_WRITE);
	if (!mr)
		die("ibv_reg_mr");
	/* Both sides start at PSN 0: each point has new QPs, new numbers. */
	fill_msg(&me, qp, 0);
	if (min_rnr_set)
		me.rnr = htonl(min_rnr + 1u);
	if (full_io(fd, &me, sizeof(me), true) || full_io(fd, &peer, sizeof(peer), false))
		die("exchange with the server");
	/* our own QP answers nothing: its timer is the server's too */
	resp_rnr = ntohl(peer.rnr) ? ntohl(peer.rnr) - 1 : (unsigned int)min_rnr;
	if (resp_rnr > 31) {
		errno = 0;
		die("the server answered with a min_rnr_timer over 31");
	}
	connect_qp(qp, &peer, ntohl(me.psn), resp_rnr);
	raddr = be64toh(peer.addr);
	rlen = be64toh(peer.len);
	rkey = ntohl(peer.rkey);
	if (rlen < msg)
		die("the server's region is smaller than a message");
	if (ibv_req_notify_cq(cq, 0))
		die("ibv_req_notify_cq");
	if (warming)
		warm_left = rlen / msg;

	t0 = now();
	t_end = t0 + seconds;
	t_drain = t_end + drain;
	t_last = t0;
	for (;;) {
		struct ibv_wc wc[16];
		double t = now();
		int n;

		if (posting && !warming && t >= t_end)
			posting = false;
		while (posting && outstanding < depth && (!warming || warm_left)) {
			int slot = -1;
			struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = msg,
					       .lkey = mr->lkey };
			struct ibv_send_wr wr = {
				.opcode = IBV_WR_RDMA_WRITE, .sg_list = &sge,
				.num_sge = 1, .send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = { .remote_addr = raddr + next_off, .rkey = rkey },
			}, *bad;

			for (int i = 0; i < depth; i++)
				if (post_t[i] <= 0) {
					slot = i;
					break;
				}
			wr.wr_id = slot;
			post_t[slot] = now();
			if (ibv_post_send(qp, &wr, &bad)) {
				post_t[slot] = -1;
				snprintf(first_err, sizeof(first_err), "post: %s", strerror(errno));
				posting = false;
				break;
			}
			outstanding++;
			next_off += msg;
			if (next_off + msg > rlen)
				next_off = 0;
			if (warming)
				warm_left--;
		}
		if (!outstanding) {
			if (warming && !posting)
				break;
			if (warming) {
				/* the warm-up is done: the timed run starts now */
				warming = false;
				t0 = now();
				t_end = t0 + seconds;
				t_drain = t_end + drain;
				continue;
			}
			if (!posting)
				break;
		}
		n = ibv_poll_cq(cq, 16, wc);
		if (n < 0)
			die("ibv_poll_cq");
		if (n == 0) {
			struct pollfd p = { .fd = ch->fd, .events = POLLIN };
			struct ibv_cq *ecq;
			void *ectx;

			if (t >= t_drain) {
				stuck = outstanding;
				break;
			}
			if (poll(&p, 1, 50) > 0 && !ibv_get_cq_event(ch, &ecq, &ectx)) {
				ibv_ack_cq_events(ecq, 1);
				if (ibv_req_notify_cq(cq, 0))
					die("ibv_req_notify_cq");
			}
			continue;
		}
		t = now();
		for (int i = 0; i < n; i++) {
			int slot = (int)wc[i].wr_id;

			outstanding--;
			if (wc[i].status != IBV_WC_SUCCESS) {
				if (!errors++)
					snprintf(first_err, sizeof(first_err), "%s",
						 ibv_wc_status_str(wc[i].status));
				posting = false;
				warming = false;
			} else if (!warming) {
				if (nlat == cap) {
					cap = cap ? 2 * cap : 4096;
					lat = realloc(lat, cap * sizeof(*lat));
					if (!lat)
						die("realloc");
				}
				lat[nlat++] = (t - post_t[slot]) * 1e6;
				ops++;
				t_last = t;
			}
			post_t[slot] = -1;
		}
	}
	{
		/* A flow that died or stuck early had the whole window: it counts. */
		double secs = (t_last > t_end ? t_last : t_end) - t0;
		double mbps;

		char lats[128] = "null";

		mbps = ops * (double)msg / secs / 1e6;
		/* no completion, no latency: null, not 0 */
		if (nlat) {
			qsort(lat, nlat, sizeof(*lat), cmp_double);
			snprintf(lats, sizeof(lats),
				 "{\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}",
				 pct(lat, nlat, 0.5), pct(lat, nlat, 0.99), lat[nlat - 1]);
		}
		printf("{\"flow\": \"%s\", \"odp\": %s, \"msg-bytes\": %zu, \"depth\": %d, "
		       "\"qp\": {\"timeout\": %u, \"retry_cnt\": %u, \"rnr_retry\": %u, "
		       "\"min_rnr_timer\": %u, \"path_mtu\": 1024}, "
		       "\"ops\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"seconds\": %.3f, "
		       "\"mbps\": %.3f, \"lat-us\": %s, "
		       "\"errors\": %" PRIu64 ", \"first-error\": \"%s\", \"stuck\": %d}\n",
		       flow, odp ? "true" : "false", msg, depth, timeout, retry_cnt,
		       rnr_retry, resp_rnr, ops, ops * (uint64_t)msg, secs, mbps,
		       lats, errors, first_err, stuck);
		fflush(stdout);
	}
	/* A stuck QP may hold the device busy; let the process exit tear it down. */
	close(fd);
	if (!stuck) {
		ibv_destroy_qp(qp);
		ibv_destroy_cq(cq);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int c;

	if (strcmp(mode, "server") && strcmp(mode, "client")) {
		fprintf(stderr, "usage: study-rdma server|client [options] (see the source)\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "d:g:p:os:m:F:S:t:b:q:f:T:r:n:D:w")) != -1) {
		switch (c) {
		case 'd': dev_name = optarg; break;
		case 'g': gid_index = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'o': odp = true; break;
		case 's': region = strtoull(optarg, NULL, 0); break;
		case 'm': min_rnr = atoi(optarg); min_rnr_set = true; break;
		case 'F': file = optarg; break;
		case 'S': server_ip = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'b': msg = strtoull(optarg, NULL, 0); break;
		case 'q': depth = atoi(optarg); break;
		case 'f': flow = optarg; break;
		case 'T': timeout = atoi(optarg); break;
		case 'r': retry_cnt = atoi(optarg); break;
		case 'n': rnr_retry = atoi(optarg); break;
		case 'D': drain = atof(optarg); break;
		case 'w': warm = true; break;
		default: return 2;
		}
	}
	if (depth < 1 || depth > MAX_DEPTH || !msg || region < 4096 ||
	    min_rnr < 0 || min_rnr > 31) {
		fprintf(stderr, "study-rdma: bad -q, -b, -s or -m\n");
		return 2;
	}
	open_device();
	if (!strcmp(mode, "server"))
		return serve();
	if (!server_ip) {
		fprintf(stderr, "study-rdma: client needs -S server-ip\n");
		return 2;
	}
	return client();
}
