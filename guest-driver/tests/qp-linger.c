// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * qp-linger.so: preloaded (LD_PRELOAD) into a verbs program, it waits
 * QP_LINGER_MS milliseconds (default 1000) before each ibv_destroy_qp().
 *
 * Why: on a lossy link, each end of ibv_rc_pingpong exits as soon as
 * its own last SEND is acknowledged and the peer's last message has
 * arrived.  When the ACK for the peer's last SEND is lost, the peer's
 * requester resends after its local ACK timeout; the QP is gone by then,
 * nothing answers, and the peer fails with "transport retry counter
 * exceeded" although every byte arrived.  Either end can be the one left
 * behind, so both run with this preload.
 * That is the tool's race, and real adapters lose it the same way.  While
 * the program lingers its QP is still there, so the device answers the
 * resent packet (in the device, without the program) and both sides end
 * cleanly.  Nothing else of the program changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <infiniband/verbs.h>

int ibv_destroy_qp(struct ibv_qp *qp)
{
	static int (*destroy)(struct ibv_qp *);
	const char *env = getenv("QP_LINGER_MS");
	long ms = env ? strtol(env, NULL, 10) : 1000;
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	if (!destroy)
		destroy = (int (*)(struct ibv_qp *))dlsym(RTLD_NEXT,
							  "ibv_destroy_qp");
	if (!destroy)
		return ENOSYS;
	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return destroy(qp);
}
