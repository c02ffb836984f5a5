/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared framework of the odp-hca qtests: the test context, buffers
 * backed by MRs, connected RC pairs, checks of completions and events,
 * and test registration.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "framework.h"

T *t_new_eq(const char *opts, uint8_t eq0_log)
{
    T *t = g_new0(T, 1);

    t->h = odp_hca_new_eq(opts, eq0_log);
    t->pd = odp_pd_new(t->h);
    t->next_iova = 0x10000000;
    return t;
}

T *t_new(const char *opts)
{
    return t_new_eq(opts, 6);
}

/* A T on a machine started with @args, driving the odp-hca at @devfn. */
T *t_new_args(const char *args, int devfn)
{
    T *t = g_new0(T, 1);

    t->h = odp_hca_start_args(args, devfn);
    odp_hca_bringup(t->h, 6);
    t->pd = odp_pd_new(t->h);
    t->next_iova = 0x10000000;
    return t;
}

void t_free(T *t)
{
    odp_hca_stop(t->h);
    g_free(t);
}

/* iova ranges are separated by unmapped gaps */
uint64_t t_iova(T *t, uint64_t size)
{
    uint64_t iova = t->next_iova;

    t->next_iova += ROUND_UP(size, ODP_HCA_PAGE_SIZE) + 16 * ODP_HCA_PAGE_SIZE;
    return iova;
}

Buf *buf_pinned_pd(T *t, uint32_t pd, uint64_t size, uint32_t access)
{
    Buf *b = g_new0(Buf, 1);

    b->m = odp_mem_new(t->h, t_iova(t, size), size);
    b->mr = odp_mr_new_pinned(t->h, pd, b->m, access, 0);
    b->iova = b->m->iova;
    b->size = b->m->size;
    b->key = b->mr->key;
    return b;
}

Buf *buf_pinned(T *t, uint64_t size, uint32_t access)
{
    return buf_pinned_pd(t, t->pd, size, access);
}

/* An on-demand MR over fresh pages; no translation entry is present. */
Buf *buf_odp(T *t, uint64_t size, uint32_t access)
{
    Buf *b = g_new0(Buf, 1);

    b->m = odp_mem_new(t->h, t_iova(t, size), size);
    b->mr = odp_mr_new_odp(t->h, t->pd, b->m->iova, b->m->size, access, 0);
    b->iova = b->m->iova;
    b->size = b->m->size;
    b->key = b->mr->key;
    return b;
}

void buf_map(T *t, Buf *b, uint64_t iova, uint64_t len, bool writable)
{
    odp_mr_map_mem(t->h, b->mr, b->m, iova, len, writable);
}

void buf_write(T *t, Buf *b, uint64_t off, const void *data, size_t len)
{
    odp_mem_write(t->h, b->m, b->iova + off, data, len);
}

uint64_t buf_read64(T *t, Buf *b, uint64_t off)
{
    uint64_t v;

    odp_mem_read(t->h, b->m, b->iova + off, &v, 8);
    return v;
}

void buf_write64(T *t, Buf *b, uint64_t off, uint64_t v)
{
    odp_mem_write(t->h, b->m, b->iova + off, &v, 8);
}

/* Fill with a pattern; returns it (caller frees). */
uint8_t *buf_pattern(T *t, Buf *b, uint32_t seed)
{
    uint8_t *p = g_malloc(b->size);

    odp_pattern(p, b->size, seed);
    buf_write(t, b, 0, p, b->size);
    return p;
}

void check_bytes(T *t, const OdpMem *m, uint64_t iova,
                 const void *exp, size_t len, const char *what)
{
    g_autofree uint8_t *got = g_malloc(len);
    const uint8_t *e = exp;
    size_t i;

    odp_mem_read(t->h, m, iova, got, len);
    for (i = 0; i < len; i++) {
        if (got[i] != e[i]) {
            odp_diag("%s: byte %zu of %zu at iova 0x%" PRIx64
                           " is 0x%02x, expected 0x%02x", what, i, len,
                           iova + i, got[i], e[i]);
            g_assert_not_reached();
        }
    }
}

void buf_check(T *t, Buf *b, uint64_t off, const void *exp,
               size_t len, const char *what)
{
    check_bytes(t, b->m, b->iova + off, exp, len, what);
}

void buf_check_fill(T *t, Buf *b, uint64_t off, uint8_t byte,
                    size_t len, const char *what)
{
    g_autofree uint8_t *exp = g_malloc(len);

    memset(exp, byte, len);
    buf_check(t, b, off, exp, len, what);
}

void buf_fill(T *t, Buf *b, uint8_t byte)
{
    odp_mem_fill(t->h, b->m, byte);
}

static void pair_make(T *t, Pair *p, const OdpQpCfg *tmpl,
                      const OdpRcAttr *aa, const OdpRcAttr *ab, OdpCq *a_scq)
{
    OdpHca *h = t->h;
    OdpQpCfg c;

    p->cqa = odp_cq_new(h, 7, NULL, 0);
    p->cqb = odp_cq_new(h, 7, NULL, 0);
    if (tmpl) {
        c = *tmpl;
    } else {
        odp_qp_cfg_init(&c, ODP_HCA_QPT_RC, t->pd, NULL, NULL);
    }
    c.scq = a_scq ? a_scq : p->cqa;
    c.rcq = p->cqa;
    p->a = odp_qp_new(h, &c);
    c.scq = c.rcq = p->cqb;
    p->b = odp_qp_new(h, &c);
    g_assert_cmpuint(p->a->qpn, !=, p->b->qpn);
    odp_qp_rc_connect(h, p->a, p->b->qpn, aa);
    odp_qp_rc_connect(h, p->b, p->a->qpn, ab);
}

void pair_new_cfg(T *t, Pair *p, const OdpQpCfg *tmpl,
                  const OdpRcAttr *aa, const OdpRcAttr *ab)
{
    pair_make(t, p, tmpl, aa, ab, NULL);
}

/*
 * pair_new()'s pair, but a's send completions go to @a_scq, a CQ the test
 * made for them (small, or with a consumer record): cqa takes only a's
 * receives.
 */
void pair_new_scq(T *t, Pair *p, OdpCq *a_scq)
{
    pair_make(t, p, NULL, NULL, NULL, a_scq);
}

void pair_new2(T *t, Pair *p, const OdpRcAttr *aa, const OdpRcAttr *ab)
{
    pair_new_cfg(t, p, NULL, aa, ab);
}

void pair_new(T *t, Pair *p)
{
    pair_new_cfg(t, p, NULL, NULL, NULL);
}

struct odp_hca_sge sge(uint64_t addr, uint32_t len, uint32_t lkey)
{
    struct odp_hca_sge s = { .addr = addr, .length = len, .lkey = lkey };

    return s;
}

void post_recv1(T *t, OdpQp *qp, uint64_t wr_id, uint64_t addr,
                uint32_t len, uint32_t lkey)
{
    struct odp_hca_sge s = sge(addr, len, lkey);

    odp_post_recv(t->h, qp, wr_id, &s, 1);
}

/* A one-SGE work request. */
void wr1(OdpWr *wr, uint64_t wr_id, uint8_t opcode, uint64_t laddr,
         uint32_t len, uint32_t lkey, uint64_t raddr, uint32_t rkey)
{
    odp_wr_init(wr, wr_id, opcode);
    if (len || lkey) {
        odp_wr_sge(wr, laddr, len, lkey);
    }
    wr->remote_addr = raddr;
    wr->rkey = rkey;
}

uint32_t send1(T *t, OdpQp *qp, uint64_t wr_id, uint8_t opcode,
               uint64_t laddr, uint32_t len, uint32_t lkey,
               uint64_t raddr, uint32_t rkey)
{
    OdpWr wr;

    wr1(&wr, wr_id, opcode, laddr, len, lkey, raddr, rkey);
    return odp_send(t->h, qp, &wr);
}

static void cqe_dump(const char *what, const struct odp_hca_cqe *c)
{
    odp_diag("%s: wr_id 0x%" PRIx64 " status %u vendor_err %u "
                   "opcode 0x%x byte_len %u imm 0x%x qpn %u src_qp %u "
                   "flags 0x%x wqe_index %u owner %u", what, c->wr_id,
                   c->status, c->vendor_err, c->opcode, c->byte_len,
                   c->imm_data, c->qpn, c->src_qp, c->flags, c->wqe_index,
                   c->owner);
}

/* opcode < 0: not checked (error and flush completions) */
void check_cqe(const struct odp_hca_cqe *c, uint64_t wr_id,
               uint8_t status, int opcode, uint32_t qpn)
{
    if (c->wr_id != wr_id || c->status != status || c->qpn != qpn ||
        (opcode >= 0 && c->opcode != opcode)) {
        cqe_dump("CQE mismatch", c);
        odp_diag("expected wr_id 0x%" PRIx64 " status %u opcode %d "
                       "qpn %u", wr_id, status, opcode, qpn);
    }
    g_assert_cmphex(c->wr_id, ==, wr_id);
    g_assert_cmpuint(c->status, ==, status);
    g_assert_cmpuint(c->qpn, ==, qpn);
    if (opcode >= 0) {
        g_assert_cmphex(c->opcode, ==, opcode);
    }
}

void wait_cqe(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
              uint8_t status, int opcode, uint32_t qpn)
{
    struct odp_hca_cqe tmp;

    if (!c) {
        c = &tmp;
    }
    odp_cq_wait(t->h, cq, c);
    check_cqe(c, wr_id, status, opcode, qpn);
}

int64_t wait_cqe_clock(T *t, OdpCq *cq, struct odp_hca_cqe *c,
                       uint64_t wr_id, uint8_t status, int opcode,
                       uint32_t qpn, int64_t step, int steps)
{
    struct odp_hca_cqe tmp;
    int64_t el;

    if (!c) {
        c = &tmp;
    }
    el = odp_cq_wait_clock(t->h, cq, c, step, steps);
    check_cqe(c, wr_id, status, opcode, qpn);
    return el;
}

void wait_recv(T *t, OdpCq *cq, struct odp_hca_cqe *c, uint64_t wr_id,
               int opcode, uint32_t qpn, uint32_t src_qp,
               uint32_t byte_len)
{
    wait_cqe(t, cq, c, wr_id, ODP_HCA_WC_SUCCESS, opcode, qpn);
    g_assert_cmpuint(c->src_qp, ==, src_qp);
    g_assert_cmpuint(c->byte_len, ==, byte_len);
}

void quiet(T *t, OdpCq *cq)
{
    odp_cq_assert_empty(t->h, cq, ODP_QUIET_ROUNDS);
}

void eqe_dump(const char *what, const struct odp_hca_eqe *e)
{
    odp_diag("%s: type 0x%x subtype %u obj %u token 0x%x key 0x%x "
                   "iova 0x%" PRIx64 " length %u access 0x%x side %u "
                   "wqe_index %u", what, e->type, e->subtype, e->obj,
                   e->fault.token, e->fault.key, e->fault.iova,
                   e->fault.length, e->fault.access, e->fault.side,
                   e->fault.wqe_index);
}

/*
 * Check a page-fault event.  length must cover at least min_len bytes
 * (the rest of the SGE / of the request) and stay inside the MR
 * (max_len = bytes from iova to the MR's end).  wqe_index < 0: unchecked.
 */
uint32_t check_fault(const struct odp_hca_eqe *e, uint32_t qpn,
                     uint32_t key, uint64_t iova, uint64_t min_len,
                     uint64_t max_len, uint8_t access, uint8_t side,
                     int wqe_index)
{
    if (e->type != ODP_HCA_EV_PAGE_FAULT || e->obj != qpn ||
        e->fault.key != key || e->fault.iova != iova ||
        e->fault.length < min_len || e->fault.length > max_len ||
        e->fault.access != access || e->fault.side != side ||
        (wqe_index >= 0 && e->fault.wqe_index != wqe_index)) {
        eqe_dump("fault event mismatch", e);
        odp_diag("expected qpn %u key 0x%x iova 0x%" PRIx64
                       " length %" PRIu64 "..%" PRIu64 " access 0x%x "
                       "side %u wqe_index %d", qpn, key, iova, min_len,
                       max_len, access, side, wqe_index);
    }
    g_assert_cmpuint(e->type, ==, ODP_HCA_EV_PAGE_FAULT);
    g_assert_cmpuint(e->obj, ==, qpn);
    g_assert_cmphex(e->fault.key, ==, key);
    g_assert_cmphex(e->fault.iova, ==, iova);
    g_assert_cmpuint(e->fault.length, >=, min_len);
    g_assert_cmpuint(e->fault.length, <=, max_len);
    g_assert_cmphex(e->fault.access, ==, access);
    g_assert_cmpuint(e->fault.side, ==, side);
    if (wqe_index >= 0) {
        g_assert_cmpuint(e->fault.wqe_index, ==, wqe_index);
    }
    return e->fault.token;
}

uint32_t wait_fault(T *t, uint32_t qpn, uint32_t key, uint64_t iova,
                    uint64_t min_len, uint64_t max_len, uint8_t access,
                    uint8_t side, int wqe_index)
{
    struct odp_hca_eqe e;

    odp_eq_wait(t->h, t->h->eq0, &e);
    if (e.type != ODP_HCA_EV_PAGE_FAULT) {
        eqe_dump("expected a page fault, got", &e);
    }
    return check_fault(&e, qpn, key, iova, min_len, max_len, access, side,
                       wqe_index);
}

void wait_event(T *t, uint8_t type, uint32_t obj)
{
    struct odp_hca_eqe e;

    odp_eq_wait(t->h, t->h->eq0, &e);
    if (e.type != type || e.obj != obj) {
        eqe_dump("event mismatch", &e);
        odp_diag("expected type 0x%x obj %u", type, obj);
    }
    g_assert_cmpuint(e.type, ==, type);
    g_assert_cmpuint(e.obj, ==, obj);
}

void eq_quiet(T *t)
{
    odp_eq_assert_empty(t->h, t->h->eq0, ODP_QUIET_ROUNDS);
}

void eq_drain(T *t)
{
    odp_eq_drain(t->h, t->h->eq0);
}

void resume_ok(T *t, uint32_t token)
{
    g_assert_cmpuint(odp_resume(t->h, token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_OK);
}

uint8_t qp_state(T *t, OdpQp *qp)
{
    return odp_qp_state(t->h, qp->qpn);
}

/* The QP reaches ERR (bounded wait). */
void wait_qp_err(T *t, OdpQp *qp)
{
    int i;

    for (i = 0; i < 1000; i++) {
        if (qp_state(t, qp) == ODP_HCA_QPS_ERR) {
            return;
        }
    }
    g_assert_cmpuint(qp_state(t, qp), ==, ODP_HCA_QPS_ERR);
}

/* A fresh pair moves data: WRITE and SEND/RECV with byte checks. */
void check_fresh_pair_works(T *t, uint32_t seed)
{
    uint8_t data[1500];
    struct odp_hca_cqe c;
    Pair p;
    Buf *src, *dst;

    pair_new(t, &p);
    src = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    odp_pattern(data, sizeof(data), seed);
    buf_write(t, src, 10, data, sizeof(data));

    send1(t, p.a, 0x51, ODP_HCA_WQE_RDMA_WRITE, src->iova + 10, 1500,
          src->key, dst->iova + 3000, dst->key);
    wait_cqe(t, p.cqa, &c, 0x51, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 3000, data, 1500, "fresh pair WRITE");

    post_recv1(t, p.a, 0x52, src->iova + 4096, 2000, src->key);
    send1(t, p.b, 0x53, ODP_HCA_WQE_SEND, dst->iova + 3000, 1500, dst->key,
          0, 0);
    wait_cqe(t, p.cqb, &c, 0x53, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
             p.b->qpn);
    wait_recv(t, p.cqa, &c, 0x52, ODP_HCA_CQE_RECV, p.a->qpn, p.b->qpn, 1500);
    buf_check(t, src, 4096, data, 1500, "fresh pair SEND");
}

OdpQp *ud_qp(T *t, OdpCq *cq, uint32_t qkey)
{
    OdpQpCfg cfg;
    OdpQp *qp;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_UD, t->pd, cq, cq);
    cfg.max_inline = 64;
    qp = odp_qp_new(t->h, &cfg);
    odp_qp_ud_ready(t->h, qp, qkey);
    return qp;
}

void ud_wr(T *t, OdpWr *wr, uint64_t wr_id, uint64_t addr,
           uint32_t len, uint32_t lkey, uint32_t dest_qpn,
           uint32_t qkey)
{
    int i;

    wr1(wr, wr_id, ODP_HCA_WQE_SEND, addr, len, lkey, 0, 0);
    wr->ud.dest_qpn = dest_qpn;
    wr->ud.qkey = qkey;
    for (i = 0; i < 16; i++) {
        wr->ud.dgid[i] = 0xd0 + i;
        wr->ud.sgid[i] = 0x50 + i;
    }
    memcpy(wr->ud.dmac, t->h->caps.mac, 6);
    wr->ud.hop_limit = 64;
    wr->ud.traffic_class = 0x5a;
    wr->ud.flow_label = 0x12345;
}

/* Collect n CQEs (any order) and return them sorted by arrival. */
void wait_cqes(T *t, OdpCq *cq, struct odp_hca_cqe *c, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        odp_cq_wait(t->h, cq, &c[i]);
    }
}

const struct odp_hca_cqe *find_cqe(const struct odp_hca_cqe *c, int n,
                                   uint64_t wr_id)
{
    int i;

    for (i = 0; i < n; i++) {
        if (c[i].wr_id == wr_id) {
            return &c[i];
        }
    }
    odp_diag("no CQE with wr_id 0x%" PRIx64, wr_id);
    g_assert_not_reached();
    return NULL;
}

void write_and_wait(T *t, Pair *p, uint64_t wr_id, Buf *src,
                    uint64_t soff, uint32_t len, Buf *dst,
                    uint64_t doff)
{
    struct odp_hca_cqe c;

    send1(t, p->a, wr_id, ODP_HCA_WQE_RDMA_WRITE, src->iova + soff, len,
          src->key, dst->iova + doff, dst->key);
    wait_cqe(t, p->cqa, &c, wr_id, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p->a->qpn);
}

uint32_t inval(T *t, Buf *b, uint64_t off, uint64_t len)
{
    uint32_t n;

    g_assert_cmpuint(odp_invalidate(t->h, b->key, b->iova + off, len, 0, &n),
                     ==, ODP_HCA_CMD_OK);
    return n;
}

/*
 * Each test runs in a subprocess of its own: a failed assertion aborts
 * only that test (and its QEMU), the suite goes on to the next one.
 */

/* A test and its parameter. */
typedef struct IsolatedData {
    GTestDataFunc fn;
    gconstpointer data;
} IsolatedData;

static void run_isolated(gconstpointer p)
{
    const IsolatedData *d = p;

    if (g_test_subprocess()) {
        d->fn(d->data);
        return;
    }
    g_test_trap_subprocess(NULL, 180 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

void add_test_data(const char *path, gconstpointer data,
                   GTestDataFunc fn)
{
    IsolatedData *d = g_new0(IsolatedData, 1);

    d->fn = fn;
    d->data = data;
    g_test_add_data_func_full(path, d, run_isolated, g_free);
}

static void run_plain(gconstpointer fn)
{
    ((GTestFunc)fn)();
}

void add_test(const char *path, GTestFunc fn)
{
    add_test_data(path, (gconstpointer)fn, run_plain);
}

/* query-odp-hca's port of the only device: a new reference. */
QDict *odp_port_query(T *t)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'query-odp-hca' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *port;

    g_assert_nonnull(list);
    port = qdict_get_qdict(qobject_to(QDict, qlist_peek(list)), "port");
    g_assert_nonnull(port);
    qobject_ref(port);
    qobject_unref(rsp);
    return port;
}

/* query-odp-hca's counter @name (e.g. "requester-retries"). */
uint64_t odp_counter(T *t, const char *name)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'query-odp-hca' }");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *c;
    uint64_t v;

    g_assert_nonnull(list);
    c = qdict_get_qdict(qobject_to(QDict, qlist_peek(list)), "counters");
    g_assert_nonnull(c);
    g_assert_true(qdict_haskey(c, name));
    v = qdict_get_int(c, name);
    qobject_unref(rsp);
    return v;
}

/* A port counter: "rx-frames", or a drop reason such as "rx-no-qp". */
uint64_t odp_port_count(T *t, const char *name)
{
    QDict *port = odp_port_query(t);
    QDict *drops = qdict_get_qdict(port, "drops");
    uint64_t v;

    g_assert_nonnull(drops);
    if (qdict_haskey(port, name)) {
        v = qdict_get_int(port, name);
    } else {
        g_assert_true(qdict_haskey(drops, name));
        v = qdict_get_int(drops, name);
    }
    qobject_unref(port);
    return v;
}

/* Write all @len bytes to the tests' end of a socket netdev. */
void odp_sock_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *b = buf;

    while (len) {
        ssize_t n = write(fd, b, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        b += n;
        len -= n;
    }
}

/* Read exactly @len bytes within @ms; false on timeout. */
bool odp_sock_read_all(int fd, void *buf, size_t len, int ms)
{
    uint8_t *b = buf;

    while (len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&pfd, 1, ms) <= 0) {
            return false;
        }
        n = read(fd, b, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        b += n;
        len -= n;
    }
    return true;
}
