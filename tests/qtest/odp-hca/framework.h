/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared framework of the odp-hca qtests.
 *
 * Each test starts its own QEMU (q35, qtest accelerator), drives the
 * device as its driver through drv.c and checks the bytes that land in
 * guest memory and the entries the device writes: command status, CQEs
 * and EQEs.  The virtual clock only moves when a test steps it (RNR and
 * ACK timers).
 *
 * The tests under /odp-hca/<concern>/ live in <concern>-tests.c, which
 * registers them with odp_hca_add_<concern>_tests(); odp-hca-test.c's
 * main() calls those in turn, so that all of them are one binary.
 */
#ifndef ODP_HCA_FRAMEWORK_H
#define ODP_HCA_FRAMEWORK_H

#include "drv.h"

#define ACC_ALL     (ODP_HCA_ACCESS_LOCAL_WRITE | \
                     ODP_HCA_ACCESS_REMOTE_WRITE | \
                     ODP_HCA_ACCESS_REMOTE_READ | \
                     ODP_HCA_ACCESS_REMOTE_ATOMIC)
#define ACC_LW      ODP_HCA_ACCESS_LOCAL_WRITE
#define RNR_STEP    10000           /* 10 us: min_rnr_timer 1 */
#define RNR_STEPS   2000

/* A device with one PD, and where the next buffer's iova goes. */
typedef struct T {
    OdpHca *h;
    uint32_t pd;
    uint64_t next_iova;
} T;

/* Guest pages at an iova, and the MR over them. */
typedef struct Buf {
    OdpMem *m;
    OdpMr *mr;
    uint64_t iova;
    uint64_t size;
    uint32_t key;
} Buf;

/* Two RC QPs connected to each other, each with its own CQ. */
typedef struct Pair {
    OdpCq *cqa;
    OdpCq *cqb;
    OdpQp *a;
    OdpQp *b;
} Pair;

/* Test context */
T *t_new_eq(const char *opts, uint8_t eq0_log);
T *t_new(const char *opts);
T *t_new_args(const char *args, int devfn);
void t_free(T *t);
uint64_t t_iova(T *t, uint64_t size);

/* Buffers */
Buf *buf_pinned_pd(T *t, uint32_t pd, uint64_t size, uint32_t access);
Buf *buf_pinned(T *t, uint64_t size, uint32_t access);
Buf *buf_odp(T *t, uint64_t size, uint32_t access);
void buf_map(T *t, Buf *b, uint64_t iova, uint64_t len, bool writable);
void buf_write(T *t, Buf *b, uint64_t off, const void *data, size_t len);
uint64_t buf_read64(T *t, Buf *b, uint64_t off);
void buf_write64(T *t, Buf *b, uint64_t off, uint64_t v);
uint8_t *buf_pattern(T *t, Buf *b, uint32_t seed);
void check_bytes(T *t, const OdpMem *m, uint64_t iova,
                 const void *exp, size_t len, const char *what);
void buf_check(T *t, Buf *b, uint64_t off, const void *exp,
               size_t len, const char *what);
void buf_check_fill(T *t, Buf *b, uint64_t off, uint8_t byte,
                    size_t len, const char *what);
void buf_fill(T *t, Buf *b, uint8_t byte);

/* QPs and work requests */
void pair_new_cfg(T *t, Pair *p, const OdpQpCfg *tmpl,
                  const OdpRcAttr *aa, const OdpRcAttr *ab);
void pair_new2(T *t, Pair *p, const OdpRcAttr *aa, const OdpRcAttr *ab);
void pair_new(T *t, Pair *p);
void pair_new_scq(T *t, Pair *p, OdpCq *a_scq);
struct odp_hca_sge sge(uint64_t addr, uint32_t len, uint32_t lkey);
void post_recv1(T *t, OdpQp *qp, uint64_t wr_id, uint64_t addr,
                uint32_t len, uint32_t lkey);
void wr1(OdpWr *wr, uint64_t wr_id, uint8_t opcode, uint64_t laddr,
         uint32_t len, uint32_t lkey, uint64_t raddr, uint32_t rkey);
uint32_t send1(T *t, OdpQp *qp, uint64_t wr_id, uint8_t opcode,
               uint64_t laddr, uint32_t len, uint32_t lkey,
               uint64_t raddr, uint32_t rkey);
OdpQp *ud_qp(T *t, OdpCq *cq, uint32_t qkey);
void ud_wr(T *t, OdpWr *wr, uint64_t wr_id, uint64_t addr,
           uint32_t len, uint32_t lkey, uint32_t dest_qpn,
           uint32_t qkey);
void write_and_wait(T *t, Pair *p, uint64_t wr_id, Buf *src,
                    uint64_t soff, uint32_t len, Buf *dst,
                    uint64_t doff);
uint8_t qp_state(T *t, OdpQp *qp);
void wait_qp_err(T *t, OdpQp *qp);
void check_fresh_pair_works(T *t, uint32_t seed);

/* Completions */
void check_cqe(const struct odp_hca_cqe *c, uint64_t wr_id,
               uint8_t status, int opcode, uint32_t qpn);
void wait_cqe(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
              uint8_t status, int opcode, uint32_t qpn);
int64_t wait_cqe_clock(T *t, OdpCq *cq, struct odp_hca_cqe *c,
                       uint64_t wr_id, uint8_t status, int opcode,
                       uint32_t qpn, int64_t step, int steps);
void wait_recv(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
               int opcode, uint32_t qpn, uint32_t src_qp,
               uint32_t byte_len);
void wait_cqes(T *t, OdpCq *cq, struct odp_hca_cqe *c, int n);
const struct odp_hca_cqe *find_cqe(const struct odp_hca_cqe *c, int n,
                                   uint64_t wr_id);
void quiet(T *t, OdpCq *cq);

/* Events, page faults and translations */
void eqe_dump(const char *what, const struct odp_hca_eqe *e);
uint32_t check_fault(const struct odp_hca_eqe *e, uint32_t qpn,
                     uint32_t key, uint64_t iova, uint64_t min_len,
                     uint64_t max_len, uint8_t access, uint8_t side,
                     int wqe_index);
uint32_t wait_fault(T *t, uint32_t qpn, uint32_t key, uint64_t iova,
                    uint64_t min_len, uint64_t max_len, uint8_t access,
                    uint8_t side, int wqe_index);
void wait_event(T *t, uint8_t type, uint32_t obj);
/* query-odp-hca's port of the only device: a new reference. */
QDict *odp_port_query(T *t);
/* A port counter: "rx-frames", or a drop reason such as "rx-no-qp". */
uint64_t odp_port_count(T *t, const char *name);
uint64_t odp_counter(T *t, const char *name);
/* The tests' end of a socket netdev: all of @len bytes, or within @ms. */
void odp_sock_write_all(int fd, const void *buf, size_t len);
bool odp_sock_read_all(int fd, void *buf, size_t len, int ms);
void eq_quiet(T *t);
void eq_drain(T *t);
void resume_ok(T *t, uint32_t token);
uint32_t inval(T *t, Buf *b, uint64_t off, uint64_t len);

/* Registration: each test runs in a subprocess of its own */
void add_test_data(const char *path, gconstpointer data, GTestDataFunc fn);
void add_test(const char *path, GTestFunc fn);

void odp_hca_add_probe_tests(void);
void odp_hca_add_rc_tests(void);
void odp_hca_add_ud_tests(void);
void odp_hca_add_srq_tests(void);
void odp_hca_add_frmr_tests(void);
void odp_hca_add_err_tests(void);
void odp_hca_add_odp_tests(void);
void odp_hca_add_invalidate_tests(void);
void odp_hca_add_reset_tests(void);
void odp_hca_add_hostile_tests(void);
void odp_hca_add_monitor_tests(void);
void odp_hca_add_port_tests(void);
void odp_hca_add_wire_tests(void);
void odp_hca_add_responder_fault_tests(void);
void odp_hca_add_iommu_tests(void);

#endif /* ODP_HCA_FRAMEWORK_H */
