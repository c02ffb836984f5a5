/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests under /odp-hca/monitor/.
 *
 * The monitor: query-odp-hca against the QMP schema, info odp-hca, the
 * counters and fault ring, fault injection and the IOTLB flush.
 */

#include "qemu/osdep.h"
#include <math.h>
#include <poll.h>
#include <sys/socket.h>
#include "qapi/error.h"
#include "qapi/qapi-visit-odp-hca.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "framework.h"

/*
 * A generic check of a QMP value against the schema QEMU itself reports
 * (query-qmp-schema): objects (every required member present, no
 * unknown member, optional members checked when present, flat-union
 * variants), alternates, arrays, enums (the value is one of the enum's
 * members) and builtins by their JSON type.  Introspection reports
 * every integer type as "int", so the declared widths (uint32, uint64)
 * are checked by mon_decode() below, with the visitors QEMU generates
 * from the same schema.
 */
typedef struct QmpSchema {
    QDict *rsp;
    GHashTable *types;          /* name -> SchemaInfo (owned by rsp) */
} QmpSchema;

static QmpSchema *schema_load(QTestState *qts)
{
    QmpSchema *s = g_new0(QmpSchema, 1);
    QListEntry *e;
    QList *list;

    s->rsp = qtest_qmp(qts, "{ 'execute': 'query-qmp-schema' }");
    list = qdict_get_qlist(s->rsp, "return");
    g_assert(list);
    s->types = g_hash_table_new(g_str_hash, g_str_equal);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        g_assert(d);
        g_hash_table_insert(s->types, (gpointer)qdict_get_str(d, "name"), d);
    }
    return s;
}

static void schema_free(QmpSchema *s)
{
    g_hash_table_destroy(s->types);
    qobject_unref(s->rsp);
    g_free(s);
}

static QDict *schema_type(QmpSchema *s, const char *name)
{
    QDict *t = g_hash_table_lookup(s->types, name);

    if (!t) {
        odp_diag("schema: no entity named '%s'", name);
    }
    g_assert(t);
    return t;
}

static const char *schema_ret_type(QmpSchema *s, const char *command)
{
    QDict *c = schema_type(s, command);

    g_assert_cmpstr(qdict_get_str(c, "meta-type"), ==, "command");
    return qdict_get_str(c, "ret-type");
}

static void G_GNUC_PRINTF(3, 4) schema_err(GString *errs, const char *path,
                                           const char *fmt, ...)
{
    va_list ap;

    g_string_append_printf(errs, "%s: ", path);
    va_start(ap, fmt);
    g_string_append_vprintf(errs, fmt, ap);
    va_end(ap);
    g_string_append_c(errs, '\n');
}

static bool schema_check(QmpSchema *s, const char *type, QObject *v,
                         const char *path, GString *errs);
/* The members of object type @t (and of its variants) found in @d. */
static bool schema_check_members(QmpSchema *s, QDict *t, QDict *d,
                                 const char *path, GString *errs,
                                 GHashTable *known)
{
    QList *members = qdict_get_qlist(t, "members");
    const char *tag = qdict_get_try_str(t, "tag");
    QListEntry *e;
    bool ok = true;

    g_assert(members);
    QLIST_FOREACH_ENTRY(members, e) {
        QDict *m = qobject_to(QDict, qlist_entry_obj(e));
        const char *name = qdict_get_str(m, "name");
        QObject *mv = qdict_get(d, name);
        g_autofree char *sub = g_strdup_printf("%s.%s", path, name);

        g_hash_table_add(known, (gpointer)name);
        if (!mv) {
            /* introspection marks optional members with "default" */
            if (!qdict_haskey(m, "default")) {
                schema_err(errs, sub, "required member missing");
                ok = false;
            }
            continue;
        }
        ok &= schema_check(s, qdict_get_str(m, "type"), mv, sub, errs);
    }
    if (tag) {
        QString *tv = qobject_to(QString, qdict_get(d, tag));
        QList *variants = qdict_get_qlist(t, "variants");

        QLIST_FOREACH_ENTRY(variants, e) {
            QDict *var = qobject_to(QDict, qlist_entry_obj(e));

            if (tv && !strcmp(qdict_get_str(var, "case"),
                              qstring_get_str(tv))) {
                ok &= schema_check_members(s, schema_type(s,
                                           qdict_get_str(var, "type")),
                                           d, path, errs, known);
            }
        }
    }
    return ok;
}

static bool schema_check(QmpSchema *s, const char *type, QObject *v,
                         const char *path, GString *errs)
{
    QDict *t = schema_type(s, type);
    const char *meta = qdict_get_str(t, "meta-type");
    QListEntry *e;

    if (!strcmp(meta, "builtin")) {
        const char *jt = qdict_get_str(t, "json-type");
        QNum *n = qobject_to(QNum, v);
        int64_t i;
        uint64_t u;
        bool ok;

        if (!strcmp(jt, "value")) {
            ok = true;
        } else if (!strcmp(jt, "string")) {
            ok = qobject_type(v) == QTYPE_QSTRING;
        } else if (!strcmp(jt, "boolean")) {
            ok = qobject_type(v) == QTYPE_QBOOL;
        } else if (!strcmp(jt, "null")) {
            ok = qobject_type(v) == QTYPE_QNULL;
        } else if (!strcmp(jt, "number")) {
            ok = n != NULL;
        } else if (!strcmp(jt, "int")) {
            ok = n && (qnum_get_try_int(n, &i) || qnum_get_try_uint(n, &u));
        } else if (!strcmp(jt, "object")) {
            ok = qobject_type(v) == QTYPE_QDICT;
        } else if (!strcmp(jt, "array")) {
            ok = qobject_type(v) == QTYPE_QLIST;
        } else {
            schema_err(errs, path, "unknown json-type '%s'", jt);
            return false;
        }
        if (!ok) {
            g_autoptr(GString) js = qobject_to_json(v);

            schema_err(errs, path, "%s is not a %s (%s)", js->str, jt, type);
        }
        return ok;
    }
    if (!strcmp(meta, "enum")) {
        QString *str = qobject_to(QString, v);
        QList *members = qdict_get_qlist(t, "members");

        if (!str) {
            schema_err(errs, path, "enum %s: not a string", type);
            return false;
        }
        QLIST_FOREACH_ENTRY(members, e) {
            QDict *m = qobject_to(QDict, qlist_entry_obj(e));

            if (!strcmp(qdict_get_str(m, "name"), qstring_get_str(str))) {
                return true;
            }
        }
        schema_err(errs, path, "'%s' is not a member of enum %s",
                   qstring_get_str(str), type);
        return false;
    }
    if (!strcmp(meta, "array")) {
        QList *l = qobject_to(QList, v);
        const char *et = qdict_get_str(t, "element-type");
        bool ok = true;
        int idx = 0;

        if (!l) {
            schema_err(errs, path, "not an array (%s)", type);
            return false;
        }
        QLIST_FOREACH_ENTRY(l, e) {
            g_autofree char *sub = g_strdup_printf("%s[%d]", path, idx++);

            ok &= schema_check(s, et, qlist_entry_obj(e), sub, errs);
        }
        return ok;
    }
    if (!strcmp(meta, "object")) {
        QDict *d = qobject_to(QDict, v);
        g_autoptr(GHashTable) known = NULL;
        const QDictEntry *de;
        bool ok;

        if (!d) {
            schema_err(errs, path, "not an object (%s)", type);
            return false;
        }
        known = g_hash_table_new(g_str_hash, g_str_equal);
        ok = schema_check_members(s, t, d, path, errs, known);
        for (de = qdict_first(d); de; de = qdict_next(d, de)) {
            if (!g_hash_table_contains(known, qdict_entry_key(de))) {
                schema_err(errs, path, "unknown member '%s'",
                           qdict_entry_key(de));
                ok = false;
            }
        }
        return ok;
    }
    if (!strcmp(meta, "alternate")) {
        QList *members = qdict_get_qlist(t, "members");

        QLIST_FOREACH_ENTRY(members, e) {
            QDict *m = qobject_to(QDict, qlist_entry_obj(e));
            g_autoptr(GString) scratch = g_string_new("");

            if (schema_check(s, qdict_get_str(m, "type"), v, path, scratch)) {
                return true;
            }
        }
        schema_err(errs, path, "matches no branch of alternate %s", type);
        return false;
    }
    schema_err(errs, path, "unexpected meta-type '%s' of %s", meta, type);
    return false;
}

/* @v against the return type of @command; the errors are in @errs. */
static bool schema_check_ret(QmpSchema *s, const char *command, QObject *v,
                             GString *errs)
{
    return schema_check(s, schema_ret_type(s, command), v, "return", errs);
}

/*
 * Decode a query-odp-hca return value with the visitors QEMU generates
 * from qapi/odp-hca.json (strict: a missing or unknown member, a wrong
 * type, an enum value not in the enum, an integer outside its declared
 * width are errors) and encode it back: the result must be what was
 * received, so that for instance no negative number stood for a uint64.
 */
static OdpHcaInfoList *mon_decode(QObject *ret)
{
    OdpHcaInfoList *list = NULL;
    Error *err = NULL;
    QObject *back = NULL;
    Visitor *v;
    bool ok;

    v = qobject_input_visitor_new(ret);
    ok = visit_type_OdpHcaInfoList(v, NULL, &list, &err);
    visit_free(v);
    if (!ok) {
        odp_diag("query-odp-hca: the return value does not decode: %s",
                 error_get_pretty(err));
        error_free(err);
    }
    g_assert_true(ok);

    v = qobject_output_visitor_new(&back);
    visit_type_OdpHcaInfoList(v, NULL, &list, &error_abort);
    visit_complete(v, &back);
    visit_free(v);
    if (!qobject_is_equal(back, ret)) {
        g_autoptr(GString) a = qobject_to_json(ret);
        g_autoptr(GString) b = qobject_to_json(back);

        odp_diag("query-odp-hca: received %s\n  re-encoded %s", a->str,
                 b->str);
    }
    g_assert_true(qobject_is_equal(back, ret));
    qobject_unref(back);
    return list;
}

/* The schema check and the typed decoding, for a return value. */
static void mon_validate(QTestState *qts, QObject *ret)
{
    QmpSchema *s = schema_load(qts);
    g_autoptr(GString) errs = g_string_new("");
    bool ok = schema_check_ret(s, "query-odp-hca", ret, errs);

    if (!ok || errs->len) {
        odp_diag("query-odp-hca does not match the schema:\n%s", errs->str);
    }
    g_assert_true(ok);
    g_assert_cmpuint(errs->len, ==, 0);
    schema_free(s);
    qapi_free_OdpHcaInfoList(mon_decode(ret));
}

/* query-odp-hca [id]: the return value (a new reference). */
static QObject *mon_query_raw(QTestState *qts, const char *id)
{
    QDict *rsp;
    QObject *ret;

    if (id) {
        rsp = qtest_qmp(qts, "{ 'execute': 'query-odp-hca',"
                        " 'arguments': { 'id': %s } }", id);
    } else {
        rsp = qtest_qmp(qts, "{ 'execute': 'query-odp-hca' }");
    }
    ret = qdict_get(rsp, "return");
    if (!ret) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("query-odp-hca: %s", js->str);
    }
    g_assert(ret);
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

static OdpHcaInfoList *mon_query(QTestState *qts, const char *id)
{
    QObject *ret = mon_query_raw(qts, id);
    OdpHcaInfoList *list = mon_decode(ret);

    qobject_unref(ret);
    return list;
}

/* The state of the only odp-hca device. */
static OdpHcaInfoList *mon_query1(T *t)
{
    OdpHcaInfoList *list = mon_query(t->h->qts, NULL);

    g_assert(list);
    g_assert_null(list->next);
    return list;
}

/* @rsp is an error of class @cls (consumed). */
static void mon_assert_error(QDict *rsp, const char *cls)
{
    QDict *err = qdict_get_qdict(rsp, "error");

    if (!err || g_strcmp0(qdict_get_try_str(err, "class"), cls)) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("expected an error of class %s, got %s", cls, js->str);
    }
    g_assert(err);
    g_assert_cmpstr(qdict_get_try_str(err, "class"), ==, cls);
    g_assert_nonnull(qdict_get_try_str(err, "desc"));
    qobject_unref(rsp);
}

static void mon_assert_ok(QDict *rsp)
{
    if (!qdict_haskey(rsp, "return")) {
        g_autoptr(GString) js = qobject_to_json(QOBJECT(rsp));

        odp_diag("expected success, got %s", js->str);
    }
    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static void mon_reset_stats(T *t)
{
    mon_assert_ok(qtest_qmp(t->h->qts,
                            "{ 'execute': 'odp-hca-reset-stats' }"));
}

/* Every QMP command that takes an odp-hca id, with @id. */
static void mon_assert_id_error(QTestState *qts, const char *id,
                                const char *cls)
{
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'query-odp-hca',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-inject-faults',"
                               " 'arguments': { 'id': %s, 'every': 2 } }",
                               id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'odp-hca-flush-iotlb',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': 'query-odp-hca-qps',"
                               " 'arguments': { 'id': %s } }", id), cls);
    mon_assert_error(qtest_qmp(qts, "{ 'execute': "
                               "'odp-hca-set-link-impairment',"
                               " 'arguments': { 'id': %s, 'loss': 1 } }",
                               id), cls);
}

/* A QOM property of the device at @path, as an integer. */
static int64_t mon_qom_int(QTestState *qts, const char *path,
                           const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                           " { 'path': %s, 'property': %s } }", path, prop);
    int64_t v = qdict_get_int(rsp, "return");

    qobject_unref(rsp);
    return v;
}

static char *mon_qom_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments':"
                           " { 'path': %s, 'property': %s } }", path, prop);
    char *v = g_strdup(qdict_get_str(rsp, "return"));

    qobject_unref(rsp);
    return v;
}

/* Command names, as the device specification spells them. */
static const char *const mon_cmd_names[ODP_HCA_CMD_MAX] = {
#define CMD_NAME(x) [ODP_HCA_CMD_##x] = #x
    CMD_NAME(NOP), CMD_NAME(QUERY_DEVICE), CMD_NAME(CREATE_EQ),
    CMD_NAME(DESTROY_EQ), CMD_NAME(CREATE_PD), CMD_NAME(DESTROY_PD),
    CMD_NAME(CREATE_CQ), CMD_NAME(DESTROY_CQ), CMD_NAME(CREATE_SRQ),
    CMD_NAME(MODIFY_SRQ), CMD_NAME(DESTROY_SRQ), CMD_NAME(CREATE_QP),
    CMD_NAME(MODIFY_QP), CMD_NAME(QUERY_QP), CMD_NAME(DESTROY_QP),
    CMD_NAME(CREATE_MR), CMD_NAME(DESTROY_MR), CMD_NAME(INVALIDATE),
    CMD_NAME(RESUME),
#undef CMD_NAME
};

static int mon_cmd_opcode(const char *name)
{
    for (int i = 0; i < ODP_HCA_CMD_MAX; i++) {
        if (mon_cmd_names[i] && !strcmp(mon_cmd_names[i], name)) {
            return i;
        }
    }
    return -1;
}

/*
 * The commands list is what the driver had executed since @since (its
 * per-opcode tally then): each kind once, none with a zero count.
 */
static void mon_check_commands(T *t, OdpHcaCommandCountList *l,
                               const uint64_t *since)
{
    uint64_t seen[ODP_HCA_CMD_MAX] = { 0 };
    bool ok = true;

    for (; l; l = l->next) {
        int op = mon_cmd_opcode(l->value->command);

        if (op < 0) {
            odp_diag("commands: unknown command name '%s'",
                     l->value->command);
        }
        g_assert_cmpint(op, >=, 0);
        g_assert_cmpuint(seen[op], ==, 0);      /* listed once */
        g_assert_cmpuint(l->value->count, >, 0);
        seen[op] = l->value->count;
    }
    for (int i = 0; i < ODP_HCA_CMD_MAX; i++) {
        uint64_t exp = t->h->cmds_issued[i] - since[i];

        if (seen[i] != exp) {
            odp_diag("commands: %s counted %" PRIu64 ", driver issued %"
                     PRIu64, mon_cmd_names[i], seen[i], exp);
            ok = false;
        }
    }
    g_assert_true(ok);
}

static uint64_t mon_cmd_count(OdpHcaCommandCountList *l, const char *name)
{
    for (; l; l = l->next) {
        if (!strcmp(l->value->command, name)) {
            return l->value->count;
        }
    }
    return 0;
}

/* What a fault record must say. */
typedef struct ExpFault {
    uint32_t token;
    uint32_t qpn;
    uint32_t key;
    uint64_t iova;
    uint32_t length;
    OdpHcaFaultAccess access;
    OdpHcaFaultSide side;
    OdpHcaFaultOutcome outcome;
    int64_t time_ns;
    int64_t service_ns;         /* when resumed or failed */
    uint32_t rnr;
    bool injected;
    uint32_t rqpn;              /* the peer QP; 0: not checked */
} ExpFault;

/* The GID of odp_qp_rc_rtr()'s loopback path, as the monitor writes it. */
#define MON_LOOPBACK_GID "::ffff:10.0.0.1"

/*
 * The next event is the fault @e describes (qpn, key, iova, exact
 * length, access bits, side), raised at virtual time @when.
 */
static void mon_fault(T *t, ExpFault *e, uint32_t qpn, uint32_t key,
                      uint64_t iova, uint32_t length, uint8_t access,
                      uint8_t side, int64_t when)
{
    memset(e, 0, sizeof(*e));
    e->token = wait_fault(t, qpn, key, iova, length, length, access, side,
                          -1);
    e->qpn = qpn;
    e->key = key;
    e->iova = iova;
    e->length = length;
    e->access = access & ODP_HCA_FAULT_ATOMIC ? ODP_HCA_FAULT_ACCESS_ATOMIC :
                access & ODP_HCA_FAULT_WRITE ? ODP_HCA_FAULT_ACCESS_WRITE :
                ODP_HCA_FAULT_ACCESS_READ;
    e->side = side == ODP_HCA_FAULT_REQUESTER ? ODP_HCA_FAULT_SIDE_REQUESTER
                                              : ODP_HCA_FAULT_SIDE_RESPONDER;
    e->outcome = ODP_HCA_FAULT_OUTCOME_PENDING;
    e->time_ns = when;
    e->service_ns = -1;
}

/* RESUME @e now; its service time is the virtual time since the event. */
static void mon_resume(T *t, ExpFault *e, uint32_t status)
{
    e->service_ns = odp_clock_now(t->h) - e->time_ns;
    g_assert_cmpuint(odp_resume(t->h, e->token, status), ==,
                     ODP_HCA_CMD_OK);
    e->outcome = status == ODP_HCA_RESUME_OK ? ODP_HCA_FAULT_OUTCOME_RESUMED
                                             : ODP_HCA_FAULT_OUTCOME_FAILED;
}

/*
 * Move the virtual clock @ns forward in steps of @step, letting the
 * device act after each one; @cq (the requester's) stays empty.
 */
static void mon_clock_run(T *t, OdpCq *cq, int64_t ns, int64_t step)
{
    while (ns > 0) {
        int64_t s = MIN(step, ns);

        odp_clock_step(t->h, s);
        ns -= s;
        odp_cq_assert_empty(t->h, cq, 8);
    }
}

static void mon_check_record(const OdpHcaFaultRecord *r, const ExpFault *e,
                             uint64_t seq)
{
    bool serviced = e->outcome == ODP_HCA_FAULT_OUTCOME_RESUMED ||
                    e->outcome == ODP_HCA_FAULT_OUTCOME_FAILED;

    if (r->seq != seq || r->qpn != e->qpn || r->key != e->key ||
        r->iova != e->iova || r->length != e->length ||
        r->access != e->access || r->side != e->side ||
        r->outcome != e->outcome || r->time_ns != e->time_ns ||
        r->has_service_ns != serviced ||
        (serviced && r->service_ns != e->service_ns) ||
        r->rnr_retries != e->rnr || r->injected != e->injected) {
        odp_diag("fault record: seq %" PRIu64 " qpn %u key 0x%x iova 0x%"
                 PRIx64 " length %u access %s side %s outcome %s time %"
                 PRId64 " service %s%" PRId64 " rnr %u injected %d",
                 r->seq, r->qpn, r->key, r->iova, r->length,
                 OdpHcaFaultAccess_str(r->access),
                 OdpHcaFaultSide_str(r->side),
                 OdpHcaFaultOutcome_str(r->outcome), r->time_ns,
                 r->has_service_ns ? "" : "(absent) ", r->service_ns,
                 r->rnr_retries, r->injected);
        odp_diag("expected:     seq %" PRIu64 " qpn %u key 0x%x iova 0x%"
                 PRIx64 " length %u access %s side %s outcome %s time %"
                 PRId64 " service %s%" PRId64 " rnr %u injected %d",
                 seq, e->qpn, e->key, e->iova, e->length,
                 OdpHcaFaultAccess_str(e->access),
                 OdpHcaFaultSide_str(e->side),
                 OdpHcaFaultOutcome_str(e->outcome), e->time_ns,
                 serviced ? "" : "(absent) ", e->service_ns, e->rnr,
                 e->injected);
    }
    g_assert_cmpuint(r->seq, ==, seq);
    g_assert_cmpuint(r->qpn, ==, e->qpn);
    g_assert_cmphex(r->key, ==, e->key);
    g_assert_cmphex(r->iova, ==, e->iova);
    g_assert_cmpuint(r->length, ==, e->length);
    g_assert_cmpint(r->access, ==, e->access);
    g_assert_cmpint(r->side, ==, e->side);
    g_assert_cmpint(r->outcome, ==, e->outcome);
    g_assert_cmpint(r->time_ns, ==, e->time_ns);
    g_assert_cmpint(r->has_service_ns, ==, serviced);
    if (serviced) {
        g_assert_cmpint(r->service_ns, ==, e->service_ns);
    }
    g_assert_cmpuint(r->rnr_retries, ==, e->rnr);
    g_assert_cmpint(r->injected, ==, e->injected);
    /* an RC QP's peer: the other QP of its pair, on the loopback path */
    if (e->rqpn) {
        if (r->remote_qpn != e->rqpn ||
            strcmp(r->remote_gid, MON_LOOPBACK_GID)) {
            odp_diag("fault record %" PRIu64 ": remote qpn %u gid %s, "
                     "expected %u %s", r->seq, r->remote_qpn,
                     r->remote_gid, e->rqpn, MON_LOOPBACK_GID);
        }
        g_assert_cmpuint(r->remote_qpn, ==, e->rqpn);
        g_assert_cmpstr(r->remote_gid, ==, MON_LOOPBACK_GID);
    }
}

/* The records are exactly @exp[0..n), oldest first, from seq @seq0. */
static void mon_check_records(OdpHcaFaultRecordList *l, const ExpFault *exp,
                              int n, uint64_t seq0)
{
    int i = 0;

    for (; l; l = l->next, i++) {
        if (i >= n) {
            odp_diag("fault records: more than the %d expected", n);
        }
        g_assert_cmpint(i, <, n);
        mon_check_record(l->value, &exp[i], seq0 + i);
    }
    g_assert_cmpint(i, ==, n);
}

/*
 * The bucket the schema gives a latency: "upper bound of the bucket in
 * nanoseconds (a power of two); the bucket holds latencies above half
 * of it, up to it".  Latency 0 has the bucket 0.
 */
/*
 * The histogram's bound for @ns, counted out afresh: 1 to 16 ns one by
 * one, then eight equal steps to each next power of two.
 */
static uint64_t mon_lat_bucket(uint64_t ns)
{
    uint64_t le = 1, step = 1;

    if (!ns) {
        return 0;
    }
    while (le < ns) {
        if (le >= 16 && !(le & (le - 1))) {
            step = le / 8;
        }
        le += step;
    }
    return le;
}

static const char *mon_fmt_i64(const int64_t *v, int n)
{
    static char buf[512];
    size_t off = 0;

    buf[0] = 0;
    for (int i = 0; i < n && off < sizeof(buf); i++) {
        off += snprintf(buf + off, sizeof(buf) - off, "%s%" PRId64,
                        i ? " " : "", v[i]);
    }
    return buf;
}

static int mon_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The latency block for the service times of the faults in @exp. */
static void mon_check_latency(const OdpHcaLatency *l, const ExpFault *exp,
                              int n)
{
    g_autofree int64_t *v = g_new0(int64_t, n + 1);
    OdpHcaLatencyBucketList *b = l->buckets;
    uint64_t med_lo, med_hi, p99;
    bool ok = true;
    int k = 0, i;

    for (i = 0; i < n; i++) {
        if (exp[i].outcome == ODP_HCA_FAULT_OUTCOME_RESUMED ||
            exp[i].outcome == ODP_HCA_FAULT_OUTCOME_FAILED) {
            v[k++] = exp[i].service_ns;
        }
    }
    qsort(v, k, sizeof(*v), mon_cmp_i64);
    g_assert_cmpuint(l->count, ==, k);
    if (!k) {
        g_assert_cmpuint(l->min_ns, ==, 0);
        g_assert_cmpuint(l->max_ns, ==, 0);
        g_assert_null(l->buckets);
        return;
    }
    if (l->min_ns != v[0] || l->max_ns != v[k - 1]) {
        odp_diag("latency: min-ns %" PRIu64 " max-ns %" PRIu64 ", expected "
                 "%" PRId64 " and %" PRId64 " for the service times %s",
                 l->min_ns, l->max_ns, v[0], v[k - 1], mon_fmt_i64(v, k));
        ok = false;
    }

    /* the non-empty buckets, smallest first */
    {
        g_autoptr(GString) want = g_string_new("");
        g_autoptr(GString) got = g_string_new("");

        for (i = 0; i < k;) {
            uint64_t le = mon_lat_bucket(v[i]);
            uint64_t cnt = 0;

            while (i < k && mon_lat_bucket(v[i]) == le) {
                cnt++;
                i++;
            }
            g_string_append_printf(want, " %" PRIu64 ":%" PRIu64, le, cnt);
        }
        for (; b; b = b->next) {
            g_string_append_printf(got, " %" PRIu64 ":%" PRIu64,
                                   b->value->le_ns, b->value->count);
        }
        if (strcmp(want->str, got->str)) {
            odp_diag("latency: buckets (le-ns:count)%s, expected%s for the "
                     "service times %s", got->str, want->str,
                     mon_fmt_i64(v, k));
            ok = false;
        }
    }

    /* median: the bucket of the middle value (either middle one if even) */
    med_lo = mon_lat_bucket(v[(k - 1) / 2]);
    med_hi = mon_lat_bucket(v[k / 2]);
    if (l->median_ns != med_lo && l->median_ns != med_hi) {
        odp_diag("latency: median-ns %" PRIu64 ", expected %" PRIu64
                 " (the bucket of the median %" PRId64 ")", l->median_ns,
                 med_hi, v[k / 2]);
        ok = false;
    }
    /* p99: the bucket of the nearest-rank 99th percentile */
    p99 = mon_lat_bucket(v[(k * 99 + 99) / 100 - 1]);
    if (l->p99_ns != p99) {
        odp_diag("latency: p99-ns %" PRIu64 ", expected %" PRIu64
                 " (the bucket of %" PRId64 ")", l->p99_ns, p99,
                 v[(k * 99 + 99) / 100 - 1]);
        ok = false;
    }
    g_assert_true(ok);
}

/* Pages spanned by [iova, iova + len). */
static uint64_t mon_pages(uint64_t iova, uint64_t len)
{
    return len ? (iova + len - 1) / ODP_HCA_PAGE_SIZE -
                 iova / ODP_HCA_PAGE_SIZE + 1 : 0;
}

/*
 * A little of everything, so that every list in query-odp-hca has
 * entries: a requester fault resumed, a responder fault with RNR NAKs
 * resumed, a requester fault failed (its pair is left in ERR).
 */
static void mon_some_faults(T *t)
{
    const int64_t step = odp_rnr_timer_ns(1) / 4;
    struct odp_hca_cqe c;
    ExpFault e;
    Buf *src, *dst, *pin;
    Pair p, q;

    pair_new(t, &p);
    pair_new(t, &q);
    src = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE, ACC_LW);
    dst = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE,
                  ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    pin = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);

    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova + 10, 5000, src->key,
          pin->iova, pin->key);
    mon_fault(t, &e, p.a->qpn, src->key, src->iova + 10, 5000,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 2500);
    buf_map(t, src, src->iova, 2 * ODP_HCA_PAGE_SIZE, false);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);

    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, pin->iova, 3000, pin->key,
          dst->iova + 4000, dst->key);
    mon_fault(t, &e, p.b->qpn, dst->key, dst->iova + 4000, 3000,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER,
              odp_clock_now(t->h));
    mon_clock_run(t, p.cqa, 9 * step, step);
    buf_map(t, dst, dst->iova, 2 * ODP_HCA_PAGE_SIZE, true);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);

    odp_mr_unmap_range(t->h, src->mr, src->iova, 2 * ODP_HCA_PAGE_SIZE);
    inval(t, src, 0, 2 * ODP_HCA_PAGE_SIZE);
    send1(t, q.a, 3, ODP_HCA_WQE_RDMA_WRITE, src->iova, 100, src->key,
          pin->iova, pin->key);
    mon_fault(t, &e, q.a->qpn, src->key, src->iova, 100, ODP_HCA_FAULT_READ,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 700);
    mon_resume(t, &e, ODP_HCA_RESUME_FAIL);
    wait_cqe(t, q.cqa, &c, 3, ODP_HCA_WC_LOC_PROT_ERR, -1, q.a->qpn);
    wait_event(t, ODP_HCA_EV_QP_FATAL, q.a->qpn);
    eq_quiet(t);
}

/* Deep copy through JSON, for the validator's negative cases. */
static QObject *mon_copy(QObject *o)
{
    g_autoptr(GString) js = qobject_to_json(o);

    return qobject_from_json(js->str, &error_abort);
}

/* The schema check rejects @o (consumed); so does the typed decoding. */
static void mon_assert_invalid(QmpSchema *s, QObject *o, const char *what)
{
    g_autoptr(GString) errs = g_string_new("");
    OdpHcaInfoList *list = NULL;
    Visitor *v;
    bool ok;

    ok = schema_check_ret(s, "query-odp-hca", o, errs);
    if (ok) {
        odp_diag("validator: %s was accepted", what);
    }
    g_assert_false(ok);
    g_assert_cmpuint(errs->len, >, 0);

    v = qobject_input_visitor_new(o);
    ok = visit_type_OdpHcaInfoList(v, NULL, &list, NULL);
    visit_free(v);
    qapi_free_OdpHcaInfoList(list);
    if (ok) {
        odp_diag("decoding: %s was accepted", what);
    }
    g_assert_false(ok);
    qobject_unref(o);
}

/*
 * The validator can fail: every kind of violation it checks, made on a
 * copy of a real return value (@ret has one device with faults).
 */
static void mon_validator_selftest(QTestState *qts, QObject *ret)
{
    QmpSchema *s = schema_load(qts);
    QObject *o;
    QDict *info, *rec;

#define FIRST_INFO(o) qobject_to(QDict, qlist_peek(qobject_to(QList, (o))))
#define FIRST_FAULT(o) qobject_to(QDict, \
        qlist_peek(qdict_get_qlist(FIRST_INFO(o), "faults")))

    o = mon_copy(ret);
    qdict_del(qdict_get_qdict(FIRST_INFO(o), "counters"), "rnr-naks");
    mon_assert_invalid(s, o, "a missing required member");

    o = mon_copy(ret);
    qdict_put_int(FIRST_INFO(o), "bogus", 1);
    mon_assert_invalid(s, o, "an unknown member");

    o = mon_copy(ret);
    qdict_put_str(FIRST_FAULT(o), "side", "sideways");
    mon_assert_invalid(s, o, "a value not in the enum");

    o = mon_copy(ret);
    qdict_put_str(FIRST_FAULT(o), "qpn", "7");
    mon_assert_invalid(s, o, "a string for an integer");

    o = mon_copy(ret);
    qdict_put(FIRST_FAULT(o), "iova", qnum_from_double(1.5));
    mon_assert_invalid(s, o, "a fraction for an integer");

    o = mon_copy(ret);
    qdict_put_int(FIRST_FAULT(o), "injected", 0);
    mon_assert_invalid(s, o, "an integer for a bool");

    o = mon_copy(ret);
    qdict_put_int(FIRST_INFO(o), "qom-path", 0);
    mon_assert_invalid(s, o, "an integer for a string");

    o = mon_copy(ret);
    qdict_put(FIRST_INFO(o), "faults", qdict_new());
    mon_assert_invalid(s, o, "an object for an array");

    o = mon_copy(ret);
    qdict_put(qdict_get_qdict(FIRST_INFO(o), "latency"), "buckets",
              qlist_new());
    qlist_append_int(qdict_get_qlist(qdict_get_qdict(FIRST_INFO(o),
                                                     "latency"),
                                     "buckets"), 3);
    mon_assert_invalid(s, o, "an integer for an object");

    o = mon_copy(ret);
    rec = FIRST_FAULT(o);
    qdict_del(rec, "outcome");
    mon_assert_invalid(s, o, "a fault record without outcome");

    /*
     * Widths: introspection only says "int"; the generated visitor
     * knows qpn is a uint32.  Both accept an optional member left out.
     */
    o = mon_copy(ret);
    qdict_put_int(FIRST_FAULT(o), "qpn", 1ll << 33);
    {
        g_autoptr(GString) errs = g_string_new("");
        OdpHcaInfoList *list = NULL;
        Visitor *v = qobject_input_visitor_new(o);

        g_assert_true(schema_check_ret(s, "query-odp-hca", o, errs));
        g_assert_false(visit_type_OdpHcaInfoList(v, NULL, &list, NULL));
        visit_free(v);
        qapi_free_OdpHcaInfoList(list);
    }
    qobject_unref(o);

    o = mon_copy(ret);
    info = FIRST_INFO(o);
    qdict_del(info, "id");
    rec = FIRST_FAULT(o);
    qdict_del(rec, "service-ns");
    {
        g_autoptr(GString) errs = g_string_new("");

        g_assert_true(schema_check_ret(s, "query-odp-hca", o, errs));
        qapi_free_OdpHcaInfoList(mon_decode(o));
    }
    qobject_unref(o);
#undef FIRST_INFO
#undef FIRST_FAULT
    schema_free(s);
}

/* No odp-hca: an empty list; ids name nothing or something else. */
static void test_mon_none(void)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults");
    QObject *ret = mon_query_raw(qts, NULL);
    g_autofree char *out = NULL;

    g_assert_cmpint(qobject_type(ret), ==, QTYPE_QLIST);
    g_assert_true(qlist_empty(qobject_to(QList, ret)));
    mon_validate(qts, ret);
    qobject_unref(ret);

    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats' }"));
    mon_assert_id_error(qts, "nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/q35", "GenericError");

    out = qtest_hmp(qts, "info odp-hca");
    if (!strstr(out, "no odp-hca device")) {
        odp_diag("info odp-hca: %s", out);
    }
    g_assert_nonnull(strstr(out, "no odp-hca device"));
    g_free(out);
    out = qtest_hmp(qts, "info odp-hca nosuch");
    if (!g_str_has_prefix(out, "Error:") || !strstr(out, "nosuch")) {
        odp_diag("info odp-hca nosuch: %s", out);
    }
    g_assert_true(g_str_has_prefix(out, "Error:"));
    g_assert_nonnull(strstr(out, "nosuch"));
    qtest_quit(qts);
}

/* One device, after faults: valid; by id, by QOM path; wrong ids. */
static void test_mon_schema_one(void)
{
    bool edu = qtest_has_device("edu");
    g_autofree char *args = g_strdup_printf("-device odp-hca,id=hca0%s",
                                            edu ? " -device edu,id=e" : "");
    T *t = t_new_args(args, -1);
    QTestState *qts = t->h->qts;
    QObject *ret, *by_id, *by_path;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree char *type = NULL;
    OdpHcaInfo *info;

    mon_some_faults(t);
    ret = mon_query_raw(qts, NULL);
    mon_validate(qts, ret);
    list = mon_decode(ret);
    g_assert_nonnull(list);
    g_assert_null(list->next);
    info = list->value;
    g_assert_nonnull(info->id);
    g_assert_cmpstr(info->id, ==, "hca0");
    g_assert_cmpstr(info->qom_path, ==, "/machine/peripheral/hca0");
    type = mon_qom_str(qts, info->qom_path, "type");
    g_assert_cmpstr(type, ==, "odp-hca");
    g_assert_cmpint(info->fault_ring_size, ==,
                    mon_qom_int(qts, info->qom_path, "fault-ring-size"));
    /* the lists are not empty */
    g_assert_nonnull(info->counters->commands);
    g_assert_nonnull(info->faults);
    g_assert_nonnull(info->faults->next);
    g_assert_nonnull(info->latency->buckets);

    /* by id and by QOM path: exactly that device, the same data */
    by_id = mon_query_raw(qts, "hca0");
    by_path = mon_query_raw(qts, "/machine/peripheral/hca0");
    mon_validate(qts, by_id);
    g_assert_true(qobject_is_equal(by_id, ret));
    g_assert_true(qobject_is_equal(by_path, ret));
    qobject_unref(by_id);
    qobject_unref(by_path);

    mon_validator_selftest(qts, ret);
    qobject_unref(ret);

    mon_assert_id_error(qts, "nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/peripheral/nosuch", "DeviceNotFound");
    mon_assert_id_error(qts, "/machine/q35", "GenericError");
    mon_assert_id_error(qts, "/machine", "GenericError");
    if (edu) {
        mon_assert_id_error(qts, "e", "GenericError");
        mon_assert_id_error(qts, "/machine/peripheral/e", "GenericError");
    }
    t_free(t);
}

/* Two devices: both listed and valid; each id names exactly its own. */
static void test_mon_schema_two(void)
{
    T *t = t_new_args("-device odp-hca,id=a,addr=04.0,fault-ring-size=8 "
                      "-device odp-hca,id=b,addr=05.0", QPCI_DEVFN(4, 0));
    QTestState *qts = t->h->qts;
    QObject *ret, *ra, *rb;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autoptr(OdpHcaInfoList) la = NULL;
    g_autoptr(OdpHcaInfoList) lb = NULL;
    OdpHcaInfo *a = NULL, *b = NULL;
    g_autofree char *out = NULL;

    mon_some_faults(t);          /* on a; b is never enabled */
    ret = mon_query_raw(qts, NULL);
    mon_validate(qts, ret);
    list = mon_decode(ret);
    for (OdpHcaInfoList *l = list; l; l = l->next) {
        g_assert_nonnull(l->value->id);
        if (!strcmp(l->value->id, "a")) {
            g_assert_null(a);
            a = l->value;
        } else {
            g_assert_cmpstr(l->value->id, ==, "b");
            g_assert_null(b);
            b = l->value;
        }
    }
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpstr(a->qom_path, ==, "/machine/peripheral/a");
    g_assert_cmpstr(b->qom_path, ==, "/machine/peripheral/b");
    g_assert_cmpuint(a->fault_ring_size, ==, 8);
    g_assert_cmpuint(b->fault_ring_size, ==,
                     mon_qom_int(qts, b->qom_path, "fault-ring-size"));
    g_assert_nonnull(a->faults);
    g_assert_cmpuint(a->counters->faults_requester, ==, 2);
    g_assert_cmpuint(a->counters->faults_responder, ==, 1);
    g_assert_null(b->faults);
    g_assert_null(b->counters->commands);
    g_assert_cmpuint(b->counters->faults_requester +
                     b->counters->faults_responder, ==, 0);
    g_assert_cmpuint(b->latency->count, ==, 0);

    ra = mon_query_raw(qts, "a");
    rb = mon_query_raw(qts, "/machine/peripheral/b");
    mon_validate(qts, ra);
    mon_validate(qts, rb);
    la = mon_decode(ra);
    lb = mon_decode(rb);
    g_assert_nonnull(la);
    g_assert_null(la->next);
    g_assert_cmpstr(la->value->id, ==, "a");
    g_assert_nonnull(lb);
    g_assert_null(lb->next);
    g_assert_cmpstr(lb->value->id, ==, "b");
    /* the same as in the full list */
    for (const QListEntry *e = qlist_first(qobject_to(QList, ret)); e;
         e = qlist_next(e)) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));
        QObject *one = qlist_peek(qobject_to(QList, strcmp(
                           qdict_get_str(d, "id"), "a") ? rb : ra));

        g_assert_true(qobject_is_equal(QOBJECT(d), one));
    }
    qobject_unref(ra);
    qobject_unref(rb);
    qobject_unref(ret);

    /* reset-stats of b leaves a alone; of all, clears a */
    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats',"
                            " 'arguments': { 'id': 'b' } }"));
    qapi_free_OdpHcaInfoList(la);
    la = mon_query(qts, "a");
    g_assert_cmpuint(la->value->counters->faults_requester, ==, 2);
    g_assert_nonnull(la->value->faults);
    mon_assert_ok(qtest_qmp(qts, "{ 'execute': 'odp-hca-reset-stats' }"));
    qapi_free_OdpHcaInfoList(la);
    la = mon_query(qts, "a");
    g_assert_cmpuint(la->value->counters->faults_requester, ==, 0);
    g_assert_null(la->value->faults);

    out = qtest_hmp(qts, "info odp-hca b");
    g_assert_nonnull(strstr(out, "odp-hca b /machine/peripheral/b"));
    g_assert_null(strstr(out, "odp-hca a "));
    g_free(out);
    out = qtest_hmp(qts, "info odp-hca");
    g_assert_nonnull(strstr(out, "odp-hca a /machine/peripheral/a"));
    g_assert_nonnull(strstr(out, "odp-hca b /machine/peripheral/b"));
    t_free(t);
}

/*
 * Counters and records after a scripted workload, exactly.
 *
 * If the environment variable ODP_HCA_QMP_DUMP names a file, the raw
 * query-odp-hca return value of this workload is written there as
 * pretty-printed JSON (input for the plot tool, or for a look):
 *   ODP_HCA_QMP_DUMP=/tmp/odp.json \
 *     ./tests/qtest/odp-hca-test -p /odp-hca/monitor/counters
 */
static void test_mon_counters(void)
{
    T *t = t_new(NULL);
    OdpHca *h = t->h;
    const int64_t rnr = odp_rnr_timer_ns(2);     /* b's min_rnr_timer */
    const int64_t step = rnr / 4;
    const int64_t d4 = 11 * step, d5 = 2 * step; /* RNR waits */
    struct odp_hca_cqe c;
    uint64_t since[256];
    uint64_t since_failed;
    ExpFault ef[9];
    uint32_t n1, n2, n3;
    OdpRcAttr aa, ab;
    Pair p, q, r, e;
    Buf *src1, *src2, *loc, *rem, *psrc, *dst, *rdst, *rdst2, *aloc, *arem;
    Buf *fsrc, *gsrc, *edst;
    g_autofree uint8_t *d1 = NULL;
    g_autofree uint8_t *dr = NULL;
    g_autofree uint8_t *dp = NULL;
    g_autoptr(OdpHcaInfoList) list = NULL;
    QObject *ret;
    OdpHcaInfo *info;
    OdpHcaCounters *k;
    OdpWr wr;
    uint64_t pages = 0, bytes = 0;
    int i;

    /* p: a has rnr_retry 7 (forever), b min_rnr_timer 2 (20 us) */
    odp_rc_attr_init(&aa);
    odp_rc_attr_init(&ab);
    ab.min_rnr_timer = 2;
    pair_new2(t, &p, &aa, &ab);
    pair_new(t, &q);
    pair_new(t, &r);
    aa.rnr_retry = 1;                       /* e: gives up after 1 retry */
    pair_new2(t, &e, &aa, &ab);

    src1 = buf_odp(t, 3 * ODP_HCA_PAGE_SIZE, ACC_LW);
    src2 = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    loc = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE, ACC_LW);
    rem = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    psrc = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    rdst = buf_odp(t, 3 * ODP_HCA_PAGE_SIZE,
                   ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    rdst2 = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    aloc = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    arem = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    fsrc = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    gsrc = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    edst = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW | ODP_HCA_ACCESS_REMOTE_WRITE);
    d1 = buf_pattern(t, src1, 101);
    dr = buf_pattern(t, rem, 102);
    dp = buf_pattern(t, psrc, 103);
    buf_write64(t, arem, 256, 1000);

    mon_reset_stats(t);
    memcpy(since, h->cmds_issued, sizeof(since));
    since_failed = h->cmds_failed;

    /* 1: requester read fault (WRITE source), 2 pages, 3000 ns */
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src1->iova + 1000, 6000,
          src1->key, dst->iova + 8, dst->key);
    mon_fault(t, &ef[0], p.a->qpn, src1->key, src1->iova + 1000, 6000,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[0].rqpn = p.b->qpn;
    odp_clock_step(h, 3000);
    buf_map(t, src1, src1->iova + 1000, 6000, false);
    mon_resume(t, &ef[0], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 8, d1 + 1000, 6000, "WRITE after fault 1");

    /* 2: requester read fault, 1 page, 1024 ns (a power of two) */
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src2->iova + 100, 200,
          src2->key, dst->iova + 3 * ODP_HCA_PAGE_SIZE, dst->key);
    mon_fault(t, &ef[1], p.a->qpn, src2->key, src2->iova + 100, 200,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[1].rqpn = p.b->qpn;
    odp_clock_step(h, 1024);
    buf_map(t, src2, src2->iova, ODP_HCA_PAGE_SIZE, false);
    mon_resume(t, &ef[1], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);

    /* INVALIDATE: fault 1's two pages are cached, then nothing is */
    odp_mr_unmap_range(h, src1->mr, src1->iova, 3 * ODP_HCA_PAGE_SIZE);
    n1 = inval(t, src1, 0, 3 * ODP_HCA_PAGE_SIZE);
    g_assert_cmpuint(n1, ==, 2);
    n2 = inval(t, src1, 0, 3 * ODP_HCA_PAGE_SIZE);
    g_assert_cmpuint(n2, ==, 0);

    /* 3: requester write fault (READ destination), 2 pages, 100 us */
    send1(t, p.a, 3, ODP_HCA_WQE_RDMA_READ, loc->iova + 100, 4096,
          loc->key, rem->iova + 50, rem->key);
    mon_fault(t, &ef[2], p.a->qpn, loc->key, loc->iova + 100, 4096,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[2].rqpn = p.b->qpn;
    odp_clock_step(h, 100000);
    buf_map(t, loc, loc->iova, 2 * ODP_HCA_PAGE_SIZE, true);
    mon_resume(t, &ef[2], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    buf_check(t, loc, 100, dr + 50, 4096, "READ after fault 3");

    /*
     * 4: responder write fault, 3 pages.  The first RNR NAK comes with
     * the fault, one more each time the requester's RNR timer (20 us)
     * runs out before the RESUME (2 in 55 us), and the retry after it
     * succeeds.
     */
    send1(t, p.a, 4, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 8000, psrc->key,
          rdst->iova + 500, rdst->key);
    mon_fault(t, &ef[3], p.b->qpn, rdst->key, rdst->iova + 500, 8000,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[3].rqpn = p.a->qpn;
    ef[3].rnr = 1 + d4 / rnr;
    mon_clock_run(t, p.cqa, d4, step);
    buf_map(t, rdst, rdst->iova, 3 * ODP_HCA_PAGE_SIZE, true);
    mon_resume(t, &ef[3], ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);
    buf_check(t, rdst, 500, dp, 8000, "WRITE after fault 4");

    /* 5: responder write fault resumed before the first retry */
    send1(t, p.a, 5, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 100, psrc->key,
          rdst2->iova, rdst2->key);
    mon_fault(t, &ef[4], p.b->qpn, rdst2->key, rdst2->iova, 100,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[4].rqpn = p.a->qpn;
    ef[4].rnr = 1 + d5 / rnr;
    mon_clock_run(t, p.cqa, d5, step);
    buf_map(t, rdst2, rdst2->iova, ODP_HCA_PAGE_SIZE, true);
    mon_resume(t, &ef[4], ODP_HCA_RESUME_OK);
    wait_cqe_clock(t, p.cqa, &c, 5, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, step, RNR_STEPS);

    /* 6: atomic fault (the local result of a fetch-and-add) */
    wr1(&wr, 6, ODP_HCA_WQE_ATOMIC_FA, aloc->iova + 64, 8, aloc->key,
        arem->iova + 256, arem->key);
    wr.compare_add = 5;
    odp_send(h, p.a, &wr);
    mon_fault(t, &ef[5], p.a->qpn, aloc->key, aloc->iova + 64, 8,
              ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[5].rqpn = p.b->qpn;
    odp_clock_step(h, 777);
    buf_map(t, aloc, aloc->iova, ODP_HCA_PAGE_SIZE, true);
    mon_resume(t, &ef[5], ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_FETCH_ADD,
             p.a->qpn);
    g_assert_cmpuint(buf_read64(t, aloc, 64), ==, 1000);
    g_assert_cmpuint(buf_read64(t, arem, 256), ==, 1005);

    /* 7: RESUME FAIL */
    send1(t, q.a, 7, ODP_HCA_WQE_RDMA_WRITE, fsrc->iova, 512, fsrc->key,
          dst->iova, dst->key);
    mon_fault(t, &ef[6], q.a->qpn, fsrc->key, fsrc->iova, 512,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[6].rqpn = q.b->qpn;
    odp_clock_step(h, 5000);
    mon_resume(t, &ef[6], ODP_HCA_RESUME_FAIL);
    wait_cqe(t, q.cqa, &c, 7, ODP_HCA_WC_LOC_PROT_ERR, -1, q.a->qpn);
    wait_event(t, ODP_HCA_EV_QP_FATAL, q.a->qpn);

    /* 8: flushed by moving the QP to ERR; its token is then stale */
    send1(t, r.a, 8, ODP_HCA_WQE_RDMA_WRITE, gsrc->iova, 64, gsrc->key,
          dst->iova, dst->key);
    mon_fault(t, &ef[7], r.a->qpn, gsrc->key, gsrc->iova, 64,
              ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, odp_clock_now(h));
    ef[7].rqpn = r.b->qpn;
    odp_clock_step(h, 4000);
    g_assert_cmpuint(odp_qp_to_state(h, r.a, ODP_HCA_QPS_ERR), ==,
                     ODP_HCA_CMD_OK);
    ef[7].outcome = ODP_HCA_FAULT_OUTCOME_FLUSHED;
    wait_cqe(t, r.cqa, &c, 8, ODP_HCA_WC_WR_FLUSH_ERR, -1, r.a->qpn);
    g_assert_cmpuint(odp_resume(h, ef[7].token, ODP_HCA_RESUME_OK), ==,
                     ODP_HCA_CMD_BAD_TOKEN);

    /*
     * 9: responder fault never resolved: NAK, the one retry, NAK, RNR
     * retry exceeded on the requester; the fault stays pending.
     */
    send1(t, e.a, 9, ODP_HCA_WQE_RDMA_WRITE, psrc->iova, 100, psrc->key,
          edst->iova, edst->key);
    mon_fault(t, &ef[8], e.b->qpn, edst->key, edst->iova, 100,
              ODP_HCA_FAULT_WRITE, ODP_HCA_FAULT_RESPONDER, odp_clock_now(h));
    ef[8].rqpn = e.a->qpn;
    ef[8].rnr = 2;
    wait_cqe_clock(t, e.cqa, &c, 9, ODP_HCA_WC_RNR_RETRY_EXC_ERR, -1,
                   e.a->qpn, step, RNR_STEPS);
    wait_event(t, ODP_HCA_EV_QP_FATAL, e.a->qpn);

    g_assert_cmpuint(odp_invalidate(h, 0, 0, 0, ODP_HCA_INV_F_ALL, &n3), ==,
                     ODP_HCA_CMD_OK);
    g_assert_cmpuint(n3, >, 0);
    eq_quiet(t);

    ret = mon_query_raw(h->qts, NULL);
    if (getenv("ODP_HCA_QMP_DUMP")) {
        g_autoptr(GString) js = qobject_to_json_pretty(ret, true);
        g_autoptr(GError) err = NULL;

        if (!g_file_set_contents(getenv("ODP_HCA_QMP_DUMP"), js->str,
                                 js->len, &err)) {
            odp_diag("ODP_HCA_QMP_DUMP: %s", err->message);
        }
        g_assert_null(err);
    }
    mon_validate(h->qts, ret);
    list = mon_decode(ret);
    qobject_unref(ret);
    g_assert_nonnull(list);
    g_assert_null(list->next);
    info = list->value;
    k = info->counters;

    /* commands: what the driver issued since the reset, by kind */
    mon_check_commands(t, k->commands, since);
    g_assert_cmpuint(mon_cmd_count(k->commands, "RESUME"), ==, 8);
    g_assert_cmpuint(mon_cmd_count(k->commands, "INVALIDATE"), ==, 3);
    g_assert_cmpuint(k->command_errors, ==, h->cmds_failed - since_failed);
    g_assert_cmpuint(k->command_errors, ==, 1);     /* the stale token */
    g_assert_cmpuint(k->guest_errors, ==, 1);

    for (i = 0; i < 9; i++) {
        if (ef[i].outcome == ODP_HCA_FAULT_OUTCOME_RESUMED) {
            pages += mon_pages(ef[i].iova, ef[i].length);
            bytes += ef[i].length;
        }
    }
    /* pages 2 + 1 + 2 + 3 + 1 + 1, bytes 6000 + 200 + 4096 + 8000 + 108 */
    g_assert_cmpuint(k->faults_requester, ==, 6);
    g_assert_cmpuint(k->faults_responder, ==, 3);
    g_assert_cmpuint(k->faults_read, ==, 4);
    g_assert_cmpuint(k->faults_write, ==, 4);
    g_assert_cmpuint(k->faults_atomic, ==, 1);
    g_assert_cmpuint(k->faults_injected, ==, 0);
    g_assert_cmpuint(k->pages_resolved, ==, pages);
    g_assert_cmpuint(k->bytes_resolved, ==, bytes);
    g_assert_cmpuint(k->resumes_ok, ==, 6);
    g_assert_cmpuint(k->resumes_failed, ==, 1);
    g_assert_cmpuint(k->invalidations, ==, 3);
    g_assert_cmpuint(k->entries_invalidated, ==, n1 + n2 + n3);
    /* every miss walks the table, and nothing else does */
    g_assert_cmpuint(k->table_walks, ==, k->iotlb_misses);
    g_assert_cmpuint(k->table_walks, >, 0);
    g_assert_cmpuint(k->iotlb_hits, >, 0);
    /* NAKs: 3 + 1 for faults 4 and 5, 2 for fault 9 */
    g_assert_cmpuint(k->rnr_naks, ==, ef[3].rnr + ef[4].rnr + ef[8].rnr);
    /* each NAK of faults 4 and 5 is retried (the last retry succeeds) */
    g_assert_cmpuint(k->requester_retries, ==, ef[3].rnr + ef[4].rnr + 1);
    g_assert_cmpuint(k->rnr_retries_exceeded, ==, 1);
    g_assert_cmpuint(k->events_dropped, ==, 0);

    g_assert_null(info->id);
    g_assert_cmpuint(info->fault_ring_size, ==, 256);
    g_assert_cmpuint(info->fault_ring_size, ==,
                     mon_qom_int(h->qts, info->qom_path, "fault-ring-size"));
    mon_check_records(info->faults, ef, 9, 1);
    mon_check_latency(info->latency, ef, 9);
    t_free(t);
}

/* fault-ring-size=4: the last 4 records, oldest first; counters all. */
static void test_mon_ring(void)
{
    T *t = t_new("fault-ring-size=4");
    struct odp_hca_cqe c;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree char *out = NULL;
    ExpFault ef[6];
    Buf *src, *dst;
    uint64_t n, total;
    Pair p;
    int i;

    pair_new(t, &p);
    src = buf_odp(t, 6 * ODP_HCA_PAGE_SIZE, ACC_LW);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    for (i = 0; i < 6; i++) {
        uint64_t iova = src->iova + i * ODP_HCA_PAGE_SIZE + 8 * i;

        send1(t, p.a, i, ODP_HCA_WQE_RDMA_WRITE, iova, 100 + i, src->key,
              dst->iova, dst->key);
        mon_fault(t, &ef[i], p.a->qpn, src->key, iova, 100 + i,
                  ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER,
                  odp_clock_now(t->h));
        odp_clock_step(t->h, 1000 * (i + 1) + 1);
        buf_map(t, src, iova, 100 + i, false);
        mon_resume(t, &ef[i], ODP_HCA_RESUME_OK);
        wait_cqe(t, p.cqa, &c, i, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
                 p.a->qpn);
    }
    list = mon_query1(t);
    g_assert_cmpuint(list->value->fault_ring_size, ==, 4);
    g_assert_cmpuint(mon_qom_int(t->h->qts, list->value->qom_path,
                                 "fault-ring-size"), ==, 4);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, 6);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, 6);
    mon_check_records(list->value->faults, ef + 2, 4, 3);
    /* the histogram has every fault, the ring the last ones */
    g_assert_cmpuint(list->value->latency->count, ==, 6);
    g_assert_cmpuint(list->value->latency->min_ns, ==, ef[0].service_ns);
    g_assert_cmpuint(list->value->latency->max_ns, ==, ef[5].service_ns);

    out = qtest_hmp(t->h->qts, "info odp-hca");
    g_assert_nonnull(strstr(out, "recent faults ("));
    g_assert_cmpint(sscanf(strstr(out, "recent faults ("),
                           "recent faults (%" SCNu64 " of %" SCNu64,
                           &n, &total), ==, 2);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmpuint(total, ==, 6);
    t_free(t);
}

/* HMP output, one line per element, without line ends. */
static char **hmp_lines(QTestState *qts, const char *cmd)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);
    char **lines = g_strsplit(out, "\n", -1);

    for (char **l = lines; *l; l++) {
        g_strchomp(*l);
    }
    return lines;
}

/* The line that begins, after blanks, with @prefix (from there). */
static const char *hmp_find(char **lines, const char *prefix)
{
    for (; *lines; lines++) {
        const char *l = *lines + strspn(*lines, " ");

        if (g_str_has_prefix(l, prefix)) {
            return l;
        }
    }
    odp_diag("HMP: no line begins with '%s'", prefix);
    g_assert_not_reached();
    return NULL;
}

/* A decimal in microseconds as HMP prints it, against nanoseconds. */
static void hmp_check_us(const char *field, const char *s, int64_t ns)
{
    char *end;
    double us = strtod(s, &end);

    if (*end || fabs(us * 1000 - ns) > 0.5001) {
        odp_diag("HMP: %s is '%s', expected %" PRId64 " ns", field, s, ns);
    }
    g_assert_true(*end == '\0');
    g_assert_cmpfloat(fabs(us * 1000 - ns), <=, 0.5001);
}

/* The recent-faults table of @lines says what @info's records say. */
static void hmp_check_table(char **lines, const OdpHcaInfo *info)
{
    const char *hdr = hmp_find(lines, "recent faults (");
    OdpHcaFaultRecordList *r = info->faults;
    uint64_t n, total, listed = 0;
    char **l;

    g_assert_cmpint(sscanf(hdr, "recent faults (%" SCNu64 " of %" SCNu64,
                           &n, &total), ==, 2);
    for (OdpHcaFaultRecordList *x = info->faults; x; x = x->next) {
        listed++;
    }
    /* the header counts the rows below it */
    if (n != listed) {
        odp_diag("HMP: '%s' but query-odp-hca has %" PRIu64 " records",
                 hdr, listed);
    }
    g_assert_cmpuint(n, ==, listed);
    g_assert_cmpuint(total, >=, n);

    for (l = lines; *l && *l + strspn(*l, " ") != hdr; l++) {
        /* up to the header */
    }
    g_assert_nonnull(*l);
    l++;
    if (!listed) {
        return;
    }
    g_assert_true(g_str_has_prefix(*l + strspn(*l, " "), "seq "));
    for (l++; r; r = r->next, l++) {
        const OdpHcaFaultRecord *f = r->value;
        char time[32], key[32], iova[32], acc[16], side[16], out[16];
        char svc[32], pol[16], inj[8], gid[64];
        unsigned qp, len, rnr, drops, rqp;
        uint64_t seq;

        g_assert_nonnull(*l);
        if (sscanf(*l, "%" SCNu64 " %31s %u %31s %31s %u %15s %15s %15s "
                   "%31s %15s %u %u %7s %u %63s", &seq, time, &qp, key, iova,
                   &len, acc, side, out, svc, pol, &rnr, &drops, inj, &rqp,
                   gid) != 16) {
            odp_diag("HMP: fault row '%s'", *l);
            g_assert_not_reached();
        }
        g_assert_cmpuint(seq, ==, f->seq);
        hmp_check_us("time-us", time, f->time_ns);
        g_assert_cmpuint(qp, ==, f->qpn);
        g_assert_cmphex(g_ascii_strtoull(key, NULL, 16), ==, f->key);
        g_assert_cmphex(g_ascii_strtoull(iova, NULL, 16), ==, f->iova);
        g_assert_cmpuint(len, ==, f->length);
        g_assert_cmpstr(acc, ==, OdpHcaFaultAccess_str(f->access));
        g_assert_cmpstr(side, ==, OdpHcaFaultSide_str(f->side));
        g_assert_cmpstr(out, ==, OdpHcaFaultOutcome_str(f->outcome));
        if (f->has_service_ns) {
            hmp_check_us("service-us", svc, f->service_ns);
        } else {
            g_assert_cmpstr(svc, ==, "-");
        }
        g_assert_cmpstr(pol, ==, OdpHcaResponderFault_str(f->policy));
        g_assert_cmpuint(rnr, ==, f->rnr_retries);
        g_assert_cmpuint(drops, ==, f->drops);
        g_assert_cmpstr(inj, ==, f->injected ? "yes" : "no");
        g_assert_cmpuint(rqp, ==, f->remote_qpn);
        g_assert_cmpstr(gid, ==, f->remote_gid);
    }
    /* nothing after the last record of this device */
    g_assert_true(!*l || !**l || g_str_has_prefix(*l, "odp-hca "));
}

/* The port's two lines of `info odp-hca` against query-odp-hca. */
static void hmp_check_port(char **lines, const OdpHcaPort *p)
{
    const OdpHcaPortDrops *d = p->drops;
    uint64_t v[10];
    char link[8], netdev[64];
    const char *l = hmp_find(lines, "port:");

    g_assert_cmpint(sscanf(l, "port: link %7s netdev %63s | tx frames %"
                           SCNu64 " bytes %" SCNu64 " | rx frames %" SCNu64
                           " bytes %" SCNu64, link, netdev, &v[0], &v[1],
                           &v[2], &v[3]), ==, 6);
    g_assert_cmpstr(link, ==, p->link ? "up" : "down");
    g_assert_cmpstr(netdev, ==, p->netdev ? p->netdev : "-");
    g_assert_cmpuint(v[0], ==, p->tx_frames);
    g_assert_cmpuint(v[1], ==, p->tx_bytes);
    g_assert_cmpuint(v[2], ==, p->rx_frames);
    g_assert_cmpuint(v[3], ==, p->rx_bytes);

    l = hmp_find(lines, "port drops:");
    g_assert_cmpint(sscanf(l, "port drops: tx link-down %" SCNu64
                           " no-netdev %" SCNu64 " | rx no-qp %" SCNu64
                           " no-buffer %" SCNu64 " too-long %" SCNu64
                           " too-short %" SCNu64 " fault %" SCNu64
                           " wqe-error %" SCNu64 " other-host %" SCNu64
                           " stall-overflow %" SCNu64, &v[0], &v[1], &v[2],
                           &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]),
                    ==, 10);
    g_assert_cmpuint(v[0], ==, d->tx_link_down);
    g_assert_cmpuint(v[1], ==, d->tx_no_netdev);
    g_assert_cmpuint(v[2], ==, d->rx_no_qp);
    g_assert_cmpuint(v[3], ==, d->rx_no_buffer);
    g_assert_cmpuint(v[4], ==, d->rx_too_long);
    g_assert_cmpuint(v[5], ==, d->rx_too_short);
    g_assert_cmpuint(v[6], ==, d->rx_fault);
    g_assert_cmpuint(v[7], ==, d->rx_wqe_error);
    g_assert_cmpuint(v[8], ==, d->rx_other_host);
    g_assert_cmpuint(v[9], ==, d->rx_stall_overflow);
}

/* A QAPI struct of counters as a dict, member name -> count (new ref). */
#define MON_DICT(type, obj) ({                                          \
    QObject *o_ = NULL;                                                 \
    Visitor *v_ = qobject_output_visitor_new(&o_);                      \
    type *p_ = (obj);                                                   \
                                                                        \
    visit_type_##type(v_, NULL, &p_, &error_abort);                     \
    visit_complete(v_, &o_);                                            \
    visit_free(v_);                                                     \
    qobject_to(QDict, o_);                                              \
})

/* The sum of a dict of counters. */
static uint64_t mon_dict_sum(QDict *d)
{
    uint64_t sum = 0;

    for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
        sum += qnum_get_uint(qobject_to(QNum, qdict_entry_value(e)));
    }
    return sum;
}

/*
 * " name count ..." of `info odp-hca` (up to " |" or the end) against
 * @d: every member once, when @all; else the members that are not 0,
 * or "none".
 */
static void hmp_check_reasons(const char *l, QDict *d, bool all)
{
    g_auto(GStrv) w = g_strsplit(l, " ", -1);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    int n = 0;

    for (int i = 0; w[i] && strcmp(w[i], "|"); i++) {
        if (!*w[i]) {
            continue;
        }
        if (!strcmp(w[i], "none") && !all) {
            g_assert_cmpuint(mon_dict_sum(d), ==, 0);
            return;
        }
        if (!qdict_haskey(d, w[i])) {
            odp_diag("HMP: '%s' is no counter of query-odp-hca", w[i]);
        }
        g_assert_true(qdict_haskey(d, w[i]));
        g_assert_nonnull(w[i + 1]);
        g_assert_cmpuint(g_ascii_strtoull(w[i + 1], NULL, 10), ==,
                         qnum_get_uint(qobject_to(QNum, qdict_get(d, w[i]))));
        g_assert_false(g_hash_table_contains(seen, w[i]));
        g_hash_table_add(seen, w[i]);
        n++;
        i++;
    }
    if (all) {
        g_assert_cmpint(n, ==, qdict_size(d));
    } else {
        int nonzero = 0;

        for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
            nonzero += !!qnum_get_uint(qobject_to(QNum,
                                                  qdict_entry_value(e)));
        }
        g_assert_cmpint(n, ==, nonzero);
        g_assert_cmpint(n, >, 0);
    }
}

/* The transport's lines of `info odp-hca` against query-odp-hca. */
static void hmp_check_roce(char **lines, const OdpHcaRoce *r)
{
    uint64_t v[9];
    const char *l = hmp_find(lines, "roce:");
    const char *x;
    QDict *d;

    g_assert_cmpint(sscanf(l, "roce: tx %" SCNu64 " rx %" SCNu64 " hairpin %"
                           SCNu64 " (mapped %" SCNu64 ") | retransmits %"
                           SCNu64 " ack-timeouts %" SCNu64 " duplicates %"
                           SCNu64 " | acks sent %" SCNu64 " received %"
                           SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                           &v[6], &v[7], &v[8]), ==, 9);
    g_assert_cmpuint(v[0], ==, r->tx_packets);
    g_assert_cmpuint(v[1], ==, r->rx_packets);
    g_assert_cmpuint(v[2], ==, r->hairpin_packets);
    g_assert_cmpuint(v[3], ==, r->hairpin_mapped);
    g_assert_cmpuint(v[4], ==, r->retransmits);
    g_assert_cmpuint(v[5], ==, r->ack_timeouts);
    g_assert_cmpuint(v[6], ==, r->duplicates);
    g_assert_cmpuint(v[7], ==, r->acks_sent);
    g_assert_cmpuint(v[8], ==, r->acks_received);

    l = hmp_find(lines, "roce naks sent:");
    d = MON_DICT(OdpHcaRoceNaks, r->naks_sent);
    hmp_check_reasons(l + strlen("roce naks sent:"), d, true);
    qobject_unref(d);
    x = strstr(l, "| received:");
    g_assert_nonnull(x);
    d = MON_DICT(OdpHcaRoceNaks, r->naks_received);
    hmp_check_reasons(x + strlen("| received:"), d, true);
    qobject_unref(d);

    l = hmp_find(lines, "roce parse drops:");
    d = MON_DICT(OdpHcaRoceParseDrops, r->parse_drops);
    hmp_check_reasons(l + strlen("roce parse drops:"), d, false);
    qobject_unref(d);
    l = hmp_find(lines, "roce transport drops:");
    d = MON_DICT(OdpHcaRoceTransportDrops, r->transport_drops);
    hmp_check_reasons(l + strlen("roce transport drops:"), d, false);
    qobject_unref(d);
}

/* The link impairment's line of `info odp-hca` against query-odp-hca. */
static void hmp_check_impairment(char **lines, const OdpHcaPort *p)
{
    const OdpHcaLinkImpairment *m = p->impairment;
    const OdpHcaRoceImpaired *c = p->roce->impaired;
    const char *l = hmp_find(lines, "link impairment:");
    unsigned u[6];
    uint64_t v[6];

    g_assert_cmpint(sscanf(l, "link impairment: loss %u corrupt %u duplicate"
                           " %u reorder %u ppm delay-us %u seed %" SCNu64
                           " held %u | dropped %" SCNu64 " corrupted %"
                           SCNu64 " duplicated %" SCNu64 " reordered %"
                           SCNu64 " delayed %" SCNu64, &u[0], &u[1], &u[2],
                           &u[3], &u[4], &v[0], &u[5], &v[1], &v[2], &v[3],
                           &v[4], &v[5]), ==, 12);
    g_assert_cmpuint(u[0], ==, m->loss);
    g_assert_cmpuint(u[1], ==, m->corrupt);
    g_assert_cmpuint(u[2], ==, m->duplicate);
    g_assert_cmpuint(u[3], ==, m->reorder);
    g_assert_cmpuint(u[4], ==, m->delay_us);
    g_assert_cmpuint(v[0], ==, m->seed);
    g_assert_cmpuint(u[5], ==, m->held);
    g_assert_cmpuint(v[1], ==, c->dropped);
    g_assert_cmpuint(v[2], ==, c->corrupted);
    g_assert_cmpuint(v[3], ==, c->duplicated);
    g_assert_cmpuint(v[4], ==, c->reordered);
    g_assert_cmpuint(v[5], ==, c->delayed);
}

/* Every number of `info odp-hca` against query-odp-hca. */
static void hmp_check(char **lines, const OdpHcaInfo *info)
{
    const OdpHcaCounters *k = info->counters;
    const OdpHcaLatency *lat = info->latency;
    uint64_t v[8];
    const char *l;
    g_autofree char *title = g_strdup_printf("odp-hca %s%s%s",
                                             info->id ? info->id : "",
                                             info->id ? " " : "",
                                             info->qom_path);
    g_autofree char *policy = NULL;
    OdpHcaLatencyBucketList *b;
    g_auto(GStrv) words = NULL;
    int nwords, i;

    g_assert_cmpstr(hmp_find(lines, "odp-hca "), ==, title);

    /* commands: NAME count ... (errors N) */
    l = hmp_find(lines, "commands:");
    words = g_strsplit(l + strlen("commands:"), " ", -1);
    nwords = g_strv_length(words);
    for (i = 0; i < nwords && strcmp(words[i], "(errors"); i++) {
        if (!*words[i]) {
            continue;
        }
        g_assert_cmpint(i + 1, <, nwords);
        g_assert_cmpuint(g_ascii_strtoull(words[i + 1], NULL, 10), ==,
                         mon_cmd_count(k->commands, words[i]));
        g_assert_cmpuint(mon_cmd_count(k->commands, words[i]), >, 0);
        i++;
    }
    g_assert_cmpint(i + 1, <, nwords);
    g_assert_cmpuint(g_ascii_strtoull(words[i + 1], NULL, 10), ==,
                     k->command_errors);
    {
        /* and every kind the QMP lists is on the line */
        int kinds = 0;

        for (OdpHcaCommandCountList *c = k->commands; c; c = c->next) {
            kinds++;
        }
        g_assert_cmpint(i, ==, 1 + 2 * kinds);
    }

    l = hmp_find(lines, "faults:");
    g_assert_cmpint(sscanf(l, "faults: requester %" SCNu64 " responder %"
                           SCNu64 " | read %" SCNu64 " write %" SCNu64
                           " atomic %" SCNu64 " | injected %" SCNu64
                           " deferred %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]),
                    ==, 7);
    g_assert_cmpuint(v[0], ==, k->faults_requester);
    g_assert_cmpuint(v[1], ==, k->faults_responder);
    g_assert_cmpuint(v[2], ==, k->faults_read);
    g_assert_cmpuint(v[3], ==, k->faults_write);
    g_assert_cmpuint(v[4], ==, k->faults_atomic);
    g_assert_cmpuint(v[5], ==, k->faults_injected);
    g_assert_cmpuint(v[6], ==, k->injections_deferred);

    l = hmp_find(lines, "resolved:");
    g_assert_cmpint(sscanf(l, "resolved: pages %" SCNu64 " bytes %" SCNu64
                           " | resumes ok %" SCNu64 " failed %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3]), ==, 4);
    g_assert_cmpuint(v[0], ==, k->pages_resolved);
    g_assert_cmpuint(v[1], ==, k->bytes_resolved);
    g_assert_cmpuint(v[2], ==, k->resumes_ok);
    g_assert_cmpuint(v[3], ==, k->resumes_failed);

    l = hmp_find(lines, "translation:");
    g_assert_cmpint(sscanf(l, "translation: walks %" SCNu64 " iotlb hits %"
                           SCNu64 " misses %" SCNu64 " | invalidations %"
                           SCNu64 " entries %" SCNu64 " | iommu unmaps %"
                           SCNu64 " entries %" SCNu64, &v[0], &v[1], &v[2],
                           &v[3], &v[4], &v[5], &v[6]), ==, 7);
    g_assert_cmpuint(v[0], ==, k->table_walks);
    g_assert_cmpuint(v[1], ==, k->iotlb_hits);
    g_assert_cmpuint(v[2], ==, k->iotlb_misses);
    g_assert_cmpuint(v[3], ==, k->invalidations);
    g_assert_cmpuint(v[4], ==, k->entries_invalidated);
    g_assert_cmpuint(v[5], ==, k->iommu_unmaps);
    g_assert_cmpuint(v[6], ==, k->iommu_entries_dropped);

    l = hmp_find(lines, "transport:");
    g_assert_cmpint(sscanf(l, "transport: rnr naks %" SCNu64 " retries %"
                           SCNu64 " rnr exceeded %" SCNu64
                           " | cq records read %" SCNu64
                           " | events dropped %" SCNu64 " | guest errors %"
                           SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]),
                    ==, 6);
    g_assert_cmpuint(v[0], ==, k->rnr_naks);
    g_assert_cmpuint(v[1], ==, k->requester_retries);
    g_assert_cmpuint(v[2], ==, k->rnr_retries_exceeded);
    g_assert_cmpuint(v[3], ==, k->cq_record_reads);
    g_assert_cmpuint(v[4], ==, k->events_dropped);
    g_assert_cmpuint(v[5], ==, k->guest_errors);
    l = hmp_find(lines, "responder faults:");
    g_assert_cmpint(sscanf(l, "responder faults: drops %" SCNu64
                           " | port stalls %" SCNu64 " for %" SCNu64
                           " ns | not-ready sent %" SCNu64 " received %"
                           SCNu64 " | ready sent %" SCNu64 " received %"
                           SCNu64 " timeouts %" SCNu64, &v[0], &v[1], &v[2],
                           &v[3], &v[4], &v[5], &v[6], &v[7]), ==, 8);
    g_assert_cmpuint(v[0], ==, k->responder_drops);
    g_assert_cmpuint(v[1], ==, k->port_stalls);
    g_assert_cmpuint(v[2], ==, k->port_stall_ns);
    g_assert_cmpuint(v[3], ==, k->not_ready_sent);
    g_assert_cmpuint(v[4], ==, k->not_ready_received);
    g_assert_cmpuint(v[5], ==, k->ready_sent);
    g_assert_cmpuint(v[6], ==, k->ready_received);
    g_assert_cmpuint(v[7], ==, k->ready_timeouts);
    policy = g_strdup_printf("responder-fault: %s",
                             OdpHcaResponderFault_str(info->responder_fault));
    g_assert_cmpstr(hmp_find(lines, "responder-fault:"), ==, policy);

    hmp_check_port(lines, info->port);
    hmp_check_roce(lines, info->port->roce);
    hmp_check_impairment(lines, info->port);

    l = hmp_find(lines, "fault service latency:");
    if (lat->count) {
        g_assert_cmpint(sscanf(l, "fault service latency: count %" SCNu64
                               " min %" SCNu64 " median <=%" SCNu64
                               " p99 <=%" SCNu64 " max %" SCNu64 " ns",
                               &v[0], &v[1], &v[2], &v[3], &v[4]), ==, 5);
        g_assert_cmpuint(v[1], ==, lat->min_ns);
        g_assert_cmpuint(v[2], ==, lat->median_ns);
        g_assert_cmpuint(v[3], ==, lat->p99_ns);
        g_assert_cmpuint(v[4], ==, lat->max_ns);
    } else {
        g_assert_cmpint(sscanf(l, "fault service latency: count %" SCNu64,
                               &v[0]), ==, 1);
    }
    g_assert_cmpuint(v[0], ==, lat->count);

    /* one histogram line a bucket: "<= LE ns COUNT ###" */
    b = lat->buckets;
    for (char **x = lines; *x; x++) {
        const char *s = *x + strspn(*x, " ");

        if (!g_str_has_prefix(s, "<= ")) {
            continue;
        }
        g_assert_nonnull(b);
        g_assert_cmpint(sscanf(s, "<= %" SCNu64 " ns %" SCNu64, &v[0], &v[1]),
                        ==, 2);
        g_assert_cmpuint(v[0], ==, b->value->le_ns);
        g_assert_cmpuint(v[1], ==, b->value->count);
        b = b->next;
    }
    g_assert_null(b);

    hmp_check_table(lines, info);
}

static void hmp_assert_error(QTestState *qts, const char *cmd,
                             const char *what)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    if (!g_str_has_prefix(out, "Error:") || !strstr(out, what)) {
        odp_diag("%s: '%s'", cmd, out);
    }
    g_assert_true(g_str_has_prefix(out, "Error:"));
    g_assert_nonnull(strstr(out, what));
}

/* info odp-hca [id]: the numbers of query-odp-hca, for people. */
static void test_mon_hmp(void)
{
    T *t = t_new("id=hca0");
    QTestState *qts = t->h->qts;
    struct odp_hca_cqe c;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *all = NULL;
    g_autofree char *one = NULL;
    ExpFault e;
    Buf *src, *dst;
    Pair p;

    mon_some_faults(t);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->rnr_naks, >, 1);
    lines = hmp_lines(qts, "info odp-hca");
    hmp_check(lines, list->value);

    all = qtest_hmp(qts, "info odp-hca");
    one = qtest_hmp(qts, "info odp-hca hca0");
    g_assert_cmpstr(one, ==, all);
    g_free(one);
    one = qtest_hmp(qts, "info odp-hca /machine/peripheral/hca0");
    g_assert_cmpstr(one, ==, all);
    hmp_assert_error(qts, "info odp-hca nosuch", "nosuch");
    hmp_assert_error(qts, "info odp-hca /machine/q35", "odp-hca");

    /* after odp-hca-reset-stats: the new records only */
    mon_reset_stats(t);
    pair_new(t, &p);
    src = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 64, src->key,
          dst->iova, dst->key);
    mon_fault(t, &e, p.a->qpn, src->key, src->iova, 64, ODP_HCA_FAULT_READ,
              ODP_HCA_FAULT_REQUESTER, odp_clock_now(t->h));
    odp_clock_step(t->h, 1234);
    buf_map(t, src, src->iova, ODP_HCA_PAGE_SIZE, false);
    mon_resume(t, &e, ODP_HCA_RESUME_OK);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    g_assert_nonnull(list->value->faults);
    g_assert_null(list->value->faults->next);
    g_strfreev(lines);
    lines = hmp_lines(qts, "info odp-hca");
    hmp_check(lines, list->value);
    t_free(t);
}

/* A frame into the port's socket: 4 bytes of length, big-endian, first. */
static void mon_port_inject(int fd, const uint8_t *frame, uint32_t len)
{
    uint32_t be = htonl(len);

    g_assert_cmpint(write(fd, &be, 4), ==, 4);
    g_assert_cmpint(write(fd, frame, len), ==, len);
}

/* The port's counters after frames each way and drops of three kinds. */
static void mon_port_traffic(T *t, int fd)
{
    OdpCq *cq = odp_cq_new(t->h, 6, NULL, 0);
    Buf *b = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    struct odp_hca_cqe c;
    uint8_t frame[300] = { 0 };
    OdpQpCfg cfg;
    OdpQp *qp;
    QDict *rsp;

    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RAW_ETH, t->pd, cq, cq);
    qp = odp_qp_new(t->h, &cfg);
    odp_qp_ud_ready(t->h, qp, 0);
    for (int i = 0; i < 3; i++) {
        send1(t, qp, i, ODP_HCA_WQE_SEND, b->iova, 60 + 100 * i, b->key,
              0, 0);
        wait_cqe(t, cq, &c, i, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, qp->qpn);
    }
    mon_port_inject(fd, frame, 200);        /* no receive WQE */
    mon_port_inject(fd, frame, 10);         /* a runt */
    for (int i = 0; i < 2000; i++) {
        g_autoptr(OdpHcaInfoList) l = mon_query1(t);

        if (l->value->port->drops->rx_no_buffer &&
            l->value->port->drops->rx_too_short) {
            break;
        }
        g_usleep(1000);
    }
    post_recv1(t, qp, 9, b->iova, 2048, b->key);
    mon_port_inject(fd, frame, 300);
    wait_recv(t, cq, &c, 9, ODP_HCA_CQE_RECV, qp->qpn, 0, 300);

    rsp = qtest_qmp(t->h->qts, "{ 'execute': 'set_link', "
                    "'arguments': { 'name': 'n0', 'up': false } }");
    mon_assert_ok(rsp);
    send1(t, qp, 3, ODP_HCA_WQE_SEND, b->iova, 64, b->key, 0, 0);
    wait_cqe(t, cq, &c, 3, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, qp->qpn);
}

/* query-odp-hca's port, valid, exact, and the same in info odp-hca. */
static void test_mon_port(void)
{
    int sv[2];
    g_autofree char *args = NULL;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_auto(GStrv) lines = NULL;
    const OdpHcaPort *port;
    QObject *ret;
    T *t;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = g_strdup_printf("-netdev socket,id=n0,fd=%d "
                           "-device odp-hca,id=hca0,netdev=n0", sv[1]);
    t = t_new_args(args, -1);
    close(sv[1]);
    mon_port_traffic(t, sv[0]);

    ret = mon_query_raw(t->h->qts, NULL);
    mon_validate(t->h->qts, ret);
    list = mon_decode(ret);
    qobject_unref(ret);
    port = list->value->port;
    g_assert_false(port->link);
    g_assert_cmpstr(port->netdev, ==, "n0");
    g_assert_cmpuint(port->tx_frames, ==, 3);
    g_assert_cmpuint(port->tx_bytes, ==, 60 + 160 + 260);
    g_assert_cmpuint(port->rx_frames, ==, 1);
    g_assert_cmpuint(port->rx_bytes, ==, 300);
    g_assert_cmpuint(port->drops->tx_link_down, ==, 1);
    g_assert_cmpuint(port->drops->tx_no_netdev, ==, 0);
    g_assert_cmpuint(port->drops->rx_no_qp, ==, 0);
    g_assert_cmpuint(port->drops->rx_no_buffer, ==, 1);
    g_assert_cmpuint(port->drops->rx_too_long, ==, 0);
    g_assert_cmpuint(port->drops->rx_too_short, ==, 1);
    g_assert_cmpuint(port->drops->rx_fault, ==, 0);
    g_assert_cmpuint(port->drops->rx_wqe_error, ==, 0);
    lines = hmp_lines(t->h->qts, "info odp-hca");
    hmp_check(lines, list->value);

    /* reset-stats clears the counters, not the link or the netdev */
    mon_reset_stats(t);
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    port = list->value->port;
    g_assert_false(port->link);
    g_assert_cmpstr(port->netdev, ==, "n0");
    g_assert_cmpuint(port->tx_frames + port->tx_bytes + port->rx_frames +
                     port->rx_bytes + port->drops->tx_link_down +
                     port->drops->rx_no_buffer + port->drops->rx_too_short,
                     ==, 0);
    g_strfreev(lines);
    lines = hmp_lines(t->h->qts, "info odp-hca");
    hmp_check(lines, list->value);
    close(sv[0]);
    t_free(t);
}

/*
 * Which pages of a page-aligned transfer of @pages pages from an
 * on-demand region get an injected fault with every=@every: the
 * device translates each page once, the Nth translation faults and
 * the retry after the RESUME is one more translation.
 */
static int mon_inject_model(int every, int pages, int *fault_pages)
{
    int counter = 0, n = 0;

    for (int pg = 0; pg < pages; pg++) {
        while (++counter >= every) {
            counter = 0;
            fault_pages[n++] = pg;
        }
    }
    return n;
}

/*
 * Wait (bounded) for a completion on @cq, RESUMEing every page fault
 * (the entries are present: the faults are injected).  Returns the
 * faults seen, their events in @ev.
 */
static int mon_resolve(T *t, OdpCq *cq, struct odp_hca_cqe *c,
                       struct odp_hca_eqe *ev, int max)
{
    int n = 0;

    for (int i = 0; i < ODP_POLL_MAX; i++) {
        if (odp_cq_poll(t->h, cq, c)) {
            return n;
        }
        if (odp_eq_poll(t->h, t->h->eq0, &ev[n])) {
            if (ev[n].type != ODP_HCA_EV_PAGE_FAULT) {
                eqe_dump("expected a page fault, got", &ev[n]);
            }
            g_assert_cmpuint(ev[n].type, ==, ODP_HCA_EV_PAGE_FAULT);
            g_assert_cmpint(n, <, max - 1);
            resume_ok(t, ev[n].fault.token);
            n++;
        }
    }
    odp_diag("no completion on CQ %u after %d polls", cq->cqn, ODP_POLL_MAX);
    g_assert_not_reached();
    return n;
}

/* odp-hca-inject-faults on hca0 with the members of @args (consumed). */
static void mon_inject(T *t, QDict *args)
{
    qdict_put_str(args, "id", "hca0");
    mon_assert_ok(qtest_qmp(t->h->qts, "{ 'execute': 'odp-hca-inject-faults',"
                            " 'arguments': %p }", args));
}

/*
 * odp-hca-inject-faults: every Nth translation, a key and range, off;
 * injected faults are resolved by a plain RESUME and marked.
 */
/*
 * every=2 between two on-demand regions: each step translates a page on
 * each side, so without sparing the retried page one of the two would
 * always take the injected fault and the WRITE would never complete.
 */
static void test_mon_inject_both_sides(void)
{
    enum { NP = 6 };
    T *t = t_new("id=hca0");
    struct odp_hca_cqe c;
    struct odp_hca_eqe ev[8 * NP];
    g_autofree uint8_t *data = NULL;
    Buf *src, *dst;
    QDict *args;
    Pair p;
    int n;

    pair_new(t, &p);
    src = buf_odp(t, NP * ODP_HCA_PAGE_SIZE, ACC_LW);
    dst = buf_odp(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_map(t, src, src->iova, NP * ODP_HCA_PAGE_SIZE, false);
    buf_map(t, dst, dst->iova, NP * ODP_HCA_PAGE_SIZE, true);
    data = buf_pattern(t, src, 121);
    buf_fill(t, dst, 0xee);

    args = qdict_new();
    qdict_put_int(args, "every", 2);
    mon_inject(t, args);
    send1(t, p.a, 0x31, ODP_HCA_WQE_RDMA_WRITE, src->iova,
          NP * ODP_HCA_PAGE_SIZE, src->key, dst->iova, dst->key);
    /* responder faults are RNR NAKed: time has to move for the retries */
    for (n = 0; !odp_cq_poll(t->h, p.cqa, &c); ) {
        if (odp_eq_poll(t->h, t->h->eq0, &ev[n])) {
            g_assert_cmpuint(ev[n].type, ==, ODP_HCA_EV_PAGE_FAULT);
            resume_ok(t, ev[n].fault.token);
            g_assert_cmpint(++n, <, G_N_ELEMENTS(ev));
        }
        odp_clock_step(t->h, odp_rnr_timer_ns(1));
    }
    check_cqe(&c, 0x31, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, data, NP * ODP_HCA_PAGE_SIZE, "WRITE under every=2");
    /*
     * Every step took a fault, and the WRITE finished within the bound
     * of the loop (8 faults a page); without sparing it never does.
     */
    g_assert_cmpint(n, >=, NP);
    t_free(t);
}

static void test_mon_inject(void)
{
    enum { NP = 8, EVERY = 3 };
    T *t = t_new("id=hca0");
    OdpHca *h = t->h;
    struct odp_hca_cqe c;
    struct odp_hca_eqe ev[32];
    int fp[32], nexp, n, i;
    ExpFault ef[32];
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree uint8_t *data = NULL;
    g_autofree uint8_t *da = NULL;
    Buf *src, *dst, *sa, *sb, *pin;
    uint64_t pages = 0, bytes = 0, inj0;
    int64_t now;
    QDict *args;
    Pair p;

    pair_new(t, &p);
    src = buf_odp(t, NP * ODP_HCA_PAGE_SIZE, ACC_LW);
    sa = buf_odp(t, 4 * ODP_HCA_PAGE_SIZE, ACC_LW);
    sb = buf_odp(t, 4 * ODP_HCA_PAGE_SIZE, ACC_LW);
    pin = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_map(t, src, src->iova, NP * ODP_HCA_PAGE_SIZE, false);
    buf_map(t, sa, sa->iova, 4 * ODP_HCA_PAGE_SIZE, false);
    buf_map(t, sb, sb->iova, 4 * ODP_HCA_PAGE_SIZE, false);
    data = buf_pattern(t, src, 111);
    da = buf_pattern(t, sa, 112);

    /* all present: no fault */
    write_and_wait(t, &p, 1, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
    eq_quiet(t);
    mon_reset_stats(t);

    mon_assert_error(qtest_qmp(h->qts, "{ 'execute': 'odp-hca-inject-faults',"
                               " 'arguments': { 'id': 'hca0', 'every': 1 } }"),
                     "GenericError");

    /* every 3rd translation */
    args = qdict_new();
    qdict_put_int(args, "every", EVERY);
    mon_inject(t, args);
    buf_fill(t, dst, 0xee);
    now = odp_clock_now(h);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova, NP * ODP_HCA_PAGE_SIZE,
          src->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, data, NP * ODP_HCA_PAGE_SIZE,
              "WRITE with injected faults");
    nexp = mon_inject_model(EVERY, NP, fp);     /* pages 2, 4 and 6 */
    g_assert_cmpint(n, ==, nexp);
    for (i = 0; i < n; i++) {
        uint64_t iova = src->iova + (uint64_t)fp[i] * ODP_HCA_PAGE_SIZE;
        uint32_t len = (NP - fp[i]) * ODP_HCA_PAGE_SIZE;

        check_fault(&ev[i], p.a->qpn, src->key, iova, len, len,
                    ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);
        ef[i] = (ExpFault) {
            .qpn = p.a->qpn, .key = src->key, .iova = iova, .length = len,
            .access = ODP_HCA_FAULT_ACCESS_READ,
            .side = ODP_HCA_FAULT_SIDE_REQUESTER,
            .outcome = ODP_HCA_FAULT_OUTCOME_RESUMED,
            .time_ns = now, .service_ns = 0, .injected = true,
        };
        pages += mon_pages(iova, len);
        bytes += len;
    }
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_injected, ==, nexp);
    /* each retry came right after its fault: no injection deferred */
    g_assert_cmpuint(list->value->counters->injections_deferred, ==, 0);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, nexp);
    g_assert_cmpuint(list->value->counters->faults_responder, ==, 0);
    g_assert_cmpuint(list->value->counters->faults_read, ==, nexp);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, nexp);
    g_assert_cmpuint(list->value->counters->pages_resolved, ==, pages);
    g_assert_cmpuint(list->value->counters->bytes_resolved, ==, bytes);
    mon_check_records(list->value->faults, ef, n, 1);
    mon_check_latency(list->value->latency, ef, n);

    /* a region that is not on demand never gets one */
    write_and_wait(t, &p, 3, pin, 0, 4 * ODP_HCA_PAGE_SIZE, dst, 0);
    eq_quiet(t);

    /* no arguments: off */
    mon_inject(t, qdict_new());
    write_and_wait(t, &p, 4, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
    buf_check(t, dst, 0, data, NP * ODP_HCA_PAGE_SIZE, "WRITE, injection off");
    eq_quiet(t);
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    inj0 = list->value->counters->faults_injected;
    g_assert_cmpuint(inj0, ==, nexp);

    /* key sa, its second page, twice: the retry faults again */
    args = qdict_new();
    qdict_put_int(args, "key", sa->key);
    qdict_put_int(args, "iova", sa->iova + ODP_HCA_PAGE_SIZE);
    qdict_put_int(args, "length", ODP_HCA_PAGE_SIZE);
    qdict_put_int(args, "count", 2);
    mon_inject(t, args);
    write_and_wait(t, &p, 5, sb, 0, 4 * ODP_HCA_PAGE_SIZE, dst, 0);
    eq_quiet(t);
    send1(t, p.a, 6, ODP_HCA_WQE_RDMA_WRITE, sa->iova, 4 * ODP_HCA_PAGE_SIZE,
          sa->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst, 0, da, 4 * ODP_HCA_PAGE_SIZE, "WRITE with key injection");
    g_assert_cmpint(n, ==, 2);
    for (i = 0; i < n; i++) {
        check_fault(&ev[i], p.a->qpn, sa->key, sa->iova + ODP_HCA_PAGE_SIZE,
                    3 * ODP_HCA_PAGE_SIZE, 3 * ODP_HCA_PAGE_SIZE,
                    ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);
    }
    /* spent */
    write_and_wait(t, &p, 7, sa, 0, 4 * ODP_HCA_PAGE_SIZE, dst, 0);
    eq_quiet(t);

    /* key alone: one fault, at the first translation of that key */
    args = qdict_new();
    qdict_put_int(args, "key", sb->key);
    mon_inject(t, args);
    write_and_wait(t, &p, 8, sa, 0, 4 * ODP_HCA_PAGE_SIZE, dst, 0);
    eq_quiet(t);
    send1(t, p.a, 9, ODP_HCA_WQE_RDMA_WRITE, sb->iova + 100,
          3 * ODP_HCA_PAGE_SIZE, sb->key, dst->iova, dst->key);
    n = mon_resolve(t, p.cqa, &c, ev, ARRAY_SIZE(ev));
    check_cqe(&c, 9, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    g_assert_cmpint(n, ==, 1);
    check_fault(&ev[0], p.a->qpn, sb->key, sb->iova + 100,
                3 * ODP_HCA_PAGE_SIZE, 3 * ODP_HCA_PAGE_SIZE,
                ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);

    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_injected, ==, inj0 + 3);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, inj0 + 3);
    {
        OdpHcaFaultRecordList *r = list->value->faults;
        uint32_t keys[3] = { sa->key, sa->key, sb->key };

        for (i = 0; i < (int)inj0; i++) {
            r = r->next;
        }
        for (i = 0; i < 3; i++, r = r->next) {
            g_assert_nonnull(r);
            g_assert_cmphex(r->value->key, ==, keys[i]);
            g_assert_true(r->value->injected);
            g_assert_cmpint(r->value->outcome, ==,
                            ODP_HCA_FAULT_OUTCOME_RESUMED);
        }
        g_assert_null(r);
    }
    eq_quiet(t);
    t_free(t);
}

static uint32_t mon_flush(T *t)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'odp-hca-flush-iotlb',"
                           " 'arguments': { 'id': 'hca0' } }");
    QDict *ret = qdict_get_qdict(rsp, "return");
    uint32_t n;

    g_assert_nonnull(ret);
    g_assert_cmpuint(qdict_size(ret), ==, 1);
    n = qdict_get_int(ret, "entries");
    qobject_unref(rsp);
    return n;
}

/*
 * odp-hca-flush-iotlb: the entries it drops are those cached, and the
 * accesses after it walk the tables again.  A large IOTLB, so that the
 * few entries here do not evict each other (checked: all hit).
 */
/*
 * An injection that falls due on the spared retry of an injected page
 * goes to the next translation, and is counted as deferred: QP pair p
 * faults on its second page (every=2), pair q translates one page while
 * p waits, and p's retry is then the second translation of the count.
 */
static void test_mon_inject_deferred(void)
{
    T *t = t_new("id=hca0");
    struct odp_hca_cqe c;
    struct odp_hca_eqe ev;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree uint8_t *d1 = NULL;
    g_autofree uint8_t *d2 = NULL;
    Buf *s1, *s2, *dst1, *dst2;
    QDict *args;
    Pair p, q;

    pair_new(t, &p);
    pair_new(t, &q);
    s1 = buf_odp(t, 2 * ODP_HCA_PAGE_SIZE, ACC_LW);
    s2 = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    dst1 = buf_pinned(t, 2 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst2 = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    buf_map(t, s1, s1->iova, 2 * ODP_HCA_PAGE_SIZE, false);
    buf_map(t, s2, s2->iova, ODP_HCA_PAGE_SIZE, false);
    d1 = buf_pattern(t, s1, 121);
    d2 = buf_pattern(t, s2, 122);
    mon_reset_stats(t);

    args = qdict_new();
    qdict_put_int(args, "every", 2);
    mon_inject(t, args);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, s1->iova,
          2 * ODP_HCA_PAGE_SIZE, s1->key, dst1->iova, dst1->key);
    odp_eq_wait_type(t->h, t->h->eq0, ODP_HCA_EV_PAGE_FAULT, &ev);
    check_fault(&ev, p.a->qpn, s1->key, s1->iova + ODP_HCA_PAGE_SIZE,
                ODP_HCA_PAGE_SIZE, ODP_HCA_PAGE_SIZE, ODP_HCA_FAULT_READ,
                ODP_HCA_FAULT_REQUESTER, -1);
    write_and_wait(t, &q, 2, s2, 0, ODP_HCA_PAGE_SIZE, dst2, 0);
    buf_check(t, dst2, 0, d2, ODP_HCA_PAGE_SIZE, "WRITE of pair q");
    resume_ok(t, ev.fault.token);
    odp_cq_wait(t->h, p.cqa, &c);
    check_cqe(&c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE, p.a->qpn);
    buf_check(t, dst1, 0, d1, 2 * ODP_HCA_PAGE_SIZE, "WRITE of pair p");
    eq_quiet(t);

    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_injected, ==, 1);
    g_assert_cmpuint(list->value->counters->injections_deferred, ==, 1);
    t_free(t);
}

static void test_mon_flush(void)
{
    enum { NP = 4 };
    T *t = t_new("id=hca0,iotlb-entries=65536");
    g_autoptr(OdpHcaInfoList) l0 = NULL;
    g_autoptr(OdpHcaInfoList) l1 = NULL;
    struct odp_hca_cqe c;
    Buf *src, *dst, *osrc;
    uint32_t token;
    Pair p;

#define DELTA(f) (l1->value->counters->f - l0->value->counters->f)
#define STEP() do { qapi_free_OdpHcaInfoList(l0); l0 = l1; \
                    l1 = mon_query1(t); } while (0)

    pair_new(t, &p);
    src = buf_pinned(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
    osrc = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    buf_map(t, osrc, osrc->iova, ODP_HCA_PAGE_SIZE, false);

    g_assert_cmpuint(mon_flush(t), ==, 0);      /* nothing translated */
    l1 = mon_query1(t);

    /* NP pages each side: walked once, cached */
    write_and_wait(t, &p, 1, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_misses), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_hits), ==, 0);
    write_and_wait(t, &p, 2, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 0);
    g_assert_cmpuint(DELTA(iotlb_hits), ==, 2 * NP);

    g_assert_cmpuint(mon_flush(t), ==, 2 * NP);
    g_assert_cmpuint(mon_flush(t), ==, 0);
    STEP();
    /* the flush is not an INVALIDATE command */
    g_assert_cmpuint(DELTA(invalidations), ==, 0);
    g_assert_cmpuint(DELTA(entries_invalidated), ==, 0);
    write_and_wait(t, &p, 3, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
    STEP();
    g_assert_cmpuint(DELTA(table_walks), ==, 2 * NP);
    g_assert_cmpuint(DELTA(iotlb_misses), ==, 2 * NP);

    /*
     * A stale translation (the entry cleared without INVALIDATE) is
     * used until the flush; after it, the access faults.
     */
    write_and_wait(t, &p, 4, osrc, 0, 64, dst, 0);
    odp_mr_unmap_page(t->h, osrc->mr, osrc->iova);
    write_and_wait(t, &p, 5, osrc, 0, 64, dst, 0);
    eq_quiet(t);
    g_assert_cmpuint(mon_flush(t), ==, 2 * NP + 1);
    send1(t, p.a, 6, ODP_HCA_WQE_RDMA_WRITE, osrc->iova, 64, osrc->key,
          dst->iova, dst->key);
    token = wait_fault(t, p.a->qpn, osrc->key, osrc->iova, 64, 64,
                       ODP_HCA_FAULT_READ, ODP_HCA_FAULT_REQUESTER, -1);
    buf_map(t, osrc, osrc->iova, ODP_HCA_PAGE_SIZE, false);
    resume_ok(t, token);
    wait_cqe(t, p.cqa, &c, 6, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
#undef DELTA
#undef STEP
    t_free(t);
}

/*
 * The IOTLB's sets: two MRs of four pages each in an IOTLB of eight
 * entries (four sets of two) are both cached after one pass, whatever
 * their keys, and a second pass walks nothing.  A direct-mapped IOTLB
 * indexed by a hash of each page put some of the eight in one slot.
 */
static void test_mon_tlb_sets(void)
{
    enum { NP = 4 };
    g_autoptr(OdpHcaInfoList) l0 = NULL;
    g_autoptr(OdpHcaInfoList) l1 = NULL;

    for (int round = 0; round < 8; round++) {
        T *t = t_new("id=hca0,iotlb-entries=8");
        Buf *src, *dst;
        Pair p;

        pair_new(t, &p);
        /* other keys each round: buffers taken and left */
        for (int i = 0; i < round; i++) {
            buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
        }
        src = buf_pinned(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
        dst = buf_pinned(t, NP * ODP_HCA_PAGE_SIZE, ACC_ALL);
        write_and_wait(t, &p, 1, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
        l0 = mon_query1(t);
        write_and_wait(t, &p, 2, src, 0, NP * ODP_HCA_PAGE_SIZE, dst, 0);
        l1 = mon_query1(t);
        g_assert_cmpuint(l1->value->counters->table_walks -
                         l0->value->counters->table_walks, ==, 0);
        g_assert_cmpuint(l1->value->counters->iotlb_hits -
                         l0->value->counters->iotlb_hits, ==, 2 * NP);
        qapi_free_OdpHcaInfoList(l0);
        qapi_free_OdpHcaInfoList(l1);
        l0 = l1 = NULL;
        t_free(t);
    }
}

/* query-odp-hca-qps, checked against the schema and decoded. */
static OdpHcaQps *mon_qps(T *t)
{
    QDict *rsp = qtest_qmp(t->h->qts, "{ 'execute': 'query-odp-hca-qps',"
                           " 'arguments': { 'id': 'hca0' } }");
    QObject *ret = qdict_get(rsp, "return");
    QmpSchema *sc = schema_load(t->h->qts);
    g_autoptr(GString) errs = g_string_new("");
    OdpHcaQps *q = NULL;
    Visitor *v;

    g_assert(ret);
    g_assert_true(schema_check_ret(sc, "query-odp-hca-qps", ret, errs));
    g_assert_cmpuint(errs->len, ==, 0);
    schema_free(sc);
    v = qobject_input_visitor_new(ret);
    g_assert_true(visit_type_OdpHcaQps(v, NULL, &q, &error_abort));
    visit_free(v);
    qobject_unref(rsp);
    return q;
}

/* The entry of QP @qpn that is (or is not) @live; NULL when none. */
static OdpHcaQpTally *mon_qp(OdpHcaQps *q, uint32_t qpn, bool live)
{
    for (OdpHcaQpTallyList *l = q->qps; l; l = l->next) {
        if (l->value->qpn == qpn && l->value->live == live) {
            return l->value;
        }
    }
    return NULL;
}

/*
 * What each QP's requester completed: WQEs and bytes that completed
 * with success (not a failed one), the QP's time, kept when it is
 * destroyed, forgotten (and restarted for the live ones) by reset-stats.
 */
static void test_mon_qps(void)
{
    T *t = t_new("id=hca0");
    Buf *src, *dst;
    struct odp_hca_cqe c;
    OdpHcaQpTally *a, *b;
    OdpHcaQps *q;
    uint32_t qpn_a;
    uint64_t ns;
    Pair p, r;

    pair_new(t, &p);
    pair_new(t, &r);
    src = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, 4 * ODP_HCA_PAGE_SIZE, ACC_ALL);
    qpn_a = p.a->qpn;

    write_and_wait(t, &p, 1, src, 0, 4096, dst, 0);
    write_and_wait(t, &p, 2, src, 0, 8192, dst, 0);
    write_and_wait(t, &p, 3, src, 0, 100, dst, 0);
    write_and_wait(t, &r, 4, src, 0, 64, dst, 0);
    /* a WRITE with a bad key fails: not counted */
    send1(t, r.a, 5, ODP_HCA_WQE_RDMA_WRITE, src->iova, 512, src->key,
          dst->iova, dst->key ^ 0x100);
    wait_cqe(t, r.cqa, &c, 5, ODP_HCA_WC_REM_ACCESS_ERR,
             ODP_HCA_CQE_RDMA_WRITE, r.a->qpn);

    /* the virtual clock moves only when the test steps it */
    qtest_clock_step(t->h->qts, 1000000);
    q = mon_qps(t);
    a = mon_qp(q, qpn_a, true);
    b = mon_qp(q, p.b->qpn, true);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_cmpint(a->type, ==, ODP_HCA_QP_TYPE_RC);
    g_assert_cmpuint(a->wqes, ==, 3);
    g_assert_cmpuint(a->bytes, ==, 4096 + 8192 + 100);
    g_assert_cmpuint(a->ns, >=, 1000000);
    ns = a->ns;
    g_assert_cmpuint(b->wqes, ==, 0);     /* the responder sent nothing */
    g_assert_cmpuint(mon_qp(q, r.a->qpn, true)->wqes, ==, 1);
    g_assert_cmpuint(mon_qp(q, r.a->qpn, true)->bytes, ==, 64);
    g_assert_null(mon_qp(q, qpn_a, false));
    g_assert_cmpuint(q->destroyed_dropped, ==, 0);
    qapi_free_OdpHcaQps(q);

    /* destroyed: kept, with its counts, no longer live */
    g_assert_cmpuint(odp_destroy(t->h, ODP_HCA_CMD_DESTROY_QP, qpn_a), ==,
                     ODP_HCA_CMD_OK);
    qtest_clock_step(t->h->qts, 1000000);
    q = mon_qps(t);
    g_assert_null(mon_qp(q, qpn_a, true));
    a = mon_qp(q, qpn_a, false);
    g_assert_nonnull(a);
    g_assert_cmpuint(a->wqes, ==, 3);
    g_assert_cmpuint(a->bytes, ==, 4096 + 8192 + 100);
    g_assert_cmpuint(a->ns, ==, ns);    /* its time stopped with it */
    g_assert_cmpuint(mon_qp(q, p.b->qpn, true)->ns, >=, ns + 1000000);
    qapi_free_OdpHcaQps(q);

    /* reset-stats: the destroyed one forgotten, the live ones from 0 */
    qobject_unref(qtest_qmp(t->h->qts, "{ 'execute': 'odp-hca-reset-stats',"
                            " 'arguments': { 'id': 'hca0' } }"));
    q = mon_qps(t);
    g_assert_null(mon_qp(q, qpn_a, false));
    g_assert_nonnull(mon_qp(q, p.b->qpn, true));
    g_assert_cmpuint(mon_qp(q, r.a->qpn, true)->wqes, ==, 0);
    g_assert_cmpuint(mon_qp(q, r.a->qpn, true)->bytes, ==, 0);
    qapi_free_OdpHcaQps(q);
    t_free(t);
}

/*
 * @n pairs whose requesters each WRITE 64 bytes from an unmapped
 * on-demand page (a fault each), with EQ 0 not consumed automatically.
 */
static void mon_fault_pairs(T *t, Pair *p, Buf **src, Buf *dst, int n)
{
    for (int i = 0; i < n; i++) {
        pair_new(t, &p[i]);
        src[i] = buf_odp(t, ODP_HCA_PAGE_SIZE, ACC_LW);
    }
    t->h->eq0->auto_ci = false;
    for (int i = 0; i < n; i++) {
        send1(t, p[i].a, 0x400 + i, ODP_HCA_WQE_RDMA_WRITE, src[i]->iova, 64,
              src[i]->key, dst->iova + i * 64, dst->key);
    }
}

/*
 * events-dropped counts events lost to a full EQ; page-fault events
 * that find EQ 0 full wait and are posted later, so they are not lost.
 */
static void test_mon_dropped(void)
{
    enum { NF = 6 };
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    g_autoptr(OdpHcaInfoList) list = NULL;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[NF];
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *src[NF];
    Pair p[NF];
    OdpEq *eqc;
    OdpCq *cq;
    OdpQpCfg cfg;
    OdpQp *qp;
    int i, n = 0;

    mon_reset_stats(t);
    mon_fault_pairs(t, p, src, dst, NF);
    while (n < 4) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    while (n < NF) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    for (i = 0; i < NF; i++) {
        buf_map(t, src[i], src[i]->iova, ODP_HCA_PAGE_SIZE, false);
        resume_ok(t, e[i].fault.token);
    }
    for (i = 0; i < NF; i++) {
        odp_cq_wait(h, p[i].cqa, &c);
        g_assert_cmpuint(c.status, ==, ODP_HCA_WC_SUCCESS);
    }

    /* two completion events lost to a full EQ (4 entries, 6 events) */
    eqc = odp_eq_new(h, 2, ODP_VEC_FREE);
    eqc->auto_ci = false;
    cq = odp_cq_new(h, 4, eqc, 0);
    odp_qp_cfg_init(&cfg, ODP_HCA_QPT_RC, t->pd, cq, cq);
    qp = odp_qp_new(h, &cfg);
    odp_qp_rc_connect(h, qp, qp->qpn, NULL);
    for (i = 0; i < 6; i++) {
        odp_cq_db(h, cq, ODP_HCA_DB_CQ_ARM);
        send1(t, qp, 0x500 + i, ODP_HCA_WQE_RDMA_WRITE, dst->iova, 8,
              dst->key, dst->iova + 1024, dst->key);
        wait_cqe(t, cq, &c, 0x500 + i, ODP_HCA_WC_SUCCESS,
                 ODP_HCA_CQE_RDMA_WRITE, qp->qpn);
        odp_settle(h, 8);
    }
    for (i = 0; i < 4; i++) {
        odp_eq_wait_type(h, eqc, ODP_HCA_EV_COMPLETION, NULL);
    }
    odp_eq_assert_empty(h, eqc, ODP_QUIET_ROUNDS);

    list = mon_query1(t);
    g_assert_cmpuint(list->value->counters->faults_requester, ==, NF);
    g_assert_cmpuint(list->value->counters->resumes_ok, ==, NF);
    if (list->value->counters->events_dropped != 2) {
        odp_diag("events-dropped %" PRIu64 ": 2 completion events were "
                 "lost; %d page-fault events waited for room and were "
                 "posted", list->value->counters->events_dropped, NF - 4);
    }
    g_assert_cmpuint(list->value->counters->events_dropped, ==, 2);
    t_free(t);
}

/*
 * The service latency runs "from the fault event being posted to the
 * RESUME": a fault event that waited for room in EQ 0 is posted when
 * the driver makes room, and its latency starts then.
 */
static void test_mon_latency_deferred(void)
{
    enum { NF = 5 };
    const int64_t d1 = 10000, d2 = 3000;
    T *t = t_new_eq(NULL, 2);   /* EQ 0: 4 entries */
    OdpHca *h = t->h;
    g_autoptr(OdpHcaInfoList) list = NULL;
    struct odp_hca_cqe c;
    struct odp_hca_eqe e[NF];
    Buf *dst = buf_pinned(t, ODP_HCA_PAGE_SIZE, ACC_ALL);
    Buf *src[NF];
    Pair p[NF];
    ExpFault ef[NF];
    int64_t t0;
    int i, n = 0;

    mon_reset_stats(t);
    t0 = odp_clock_now(h);
    mon_fault_pairs(t, p, src, dst, NF);
    while (n < 4) {
        odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    }
    odp_eq_assert_empty(h, h->eq0, ODP_QUIET_ROUNDS);
    odp_clock_step(h, d1);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);     /* posts the 5th */
    odp_eq_wait_type(h, h->eq0, ODP_HCA_EV_PAGE_FAULT, &e[n++]);
    odp_eq_db(h, h->eq0->eqn, h->eq0->ci, true);
    odp_clock_step(h, d2);
    for (i = 0; i < NF; i++) {
        int j = 0;

        while (j < NF && p[j].a->qpn != e[i].obj) {
            j++;
        }
        g_assert_cmpint(j, <, NF);
        ef[i] = (ExpFault) {
            .token = e[i].fault.token, .qpn = p[j].a->qpn,
            .key = src[j]->key, .iova = src[j]->iova, .length = 64,
            .access = ODP_HCA_FAULT_ACCESS_READ,
            .side = ODP_HCA_FAULT_SIDE_REQUESTER, .time_ns = t0,
        };
        buf_map(t, src[j], src[j]->iova, ODP_HCA_PAGE_SIZE, false);
        mon_resume(t, &ef[i], ODP_HCA_RESUME_OK);
        odp_cq_wait(h, p[j].cqa, &c);
        g_assert_cmpuint(c.status, ==, ODP_HCA_WC_SUCCESS);
    }
    /* e[4] was posted when the driver made room, d1 after it was raised */
    ef[4].service_ns = d2;

    /* records are in the order the faults were raised */
    list = mon_query1(t);
    mon_check_latency(list->value->latency, ef, NF);
    {
        OdpHcaFaultRecordList *r = list->value->faults;

        for (n = 0; r; r = r->next, n++) {
            i = 0;
            while (i < NF && ef[i].qpn != r->value->qpn) {
                i++;
            }
            g_assert_cmpint(i, <, NF);
            mon_check_record(r->value, &ef[i], r->value->seq);
            g_assert_cmpuint(r->value->seq, ==, n + 1);
        }
        g_assert_cmpint(n, ==, NF);
    }
    t_free(t);
}

/* The port's RoCEv2 counters now, checked in info odp-hca too. */
static OdpHcaInfoList *mon_roce_query(T *t)
{
    OdpHcaInfoList *list = mon_query1(t);
    g_auto(GStrv) lines = hmp_lines(t->h->qts, "info odp-hca");

    hmp_check(lines, list->value);
    return list;
}

static uint64_t mon_naks_sum(OdpHcaRoceNaks *n)
{
    QDict *d = MON_DICT(OdpHcaRoceNaks, n);
    uint64_t sum = mon_dict_sum(d);

    qobject_unref(d);
    return sum;
}

/* Every parse and transport drop counter of @r. */
static uint64_t mon_roce_drops(const OdpHcaRoce *r)
{
    QDict *a = MON_DICT(OdpHcaRoceParseDrops, r->parse_drops);
    QDict *b = MON_DICT(OdpHcaRoceTransportDrops, r->transport_drops);
    uint64_t sum = mon_dict_sum(a) + mon_dict_sum(b);

    qobject_unref(a);
    qobject_unref(b);
    return sum;
}

/*
 * The transport's counters on loopback: a WRITE's packets all hairpin
 * and are all received and ACKed; an RNR NAK is counted sent and
 * received, and the retry as a retransmission; reset-stats clears them.
 */
static void test_mon_roce(void)
{
    const uint32_t len = 64 * 1024;
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    g_autofree uint8_t *d = NULL;
    OdpHcaInfoList *list;
    OdpHcaRoce *r;
    uint64_t npkts = len / 4096;    /* odp_rc_attr_init(): path MTU 4096 */
    Buf *src, *dst;
    Pair p;
    int i;

    pair_new(t, &p);
    src = buf_pinned(t, len, ACC_ALL);
    dst = buf_pinned(t, len, ACC_ALL);
    d = buf_pattern(t, src, 31);
    mon_reset_stats(t);

    write_and_wait(t, &p, 1, src, 0, len, dst, 0);
    buf_check(t, dst, 0, d, len, "loopback WRITE");
    list = mon_roce_query(t);
    r = list->value->port->roce;
    g_assert_cmpuint(r->acks_sent, >, 0);
    g_assert_cmpuint(r->acks_received, ==, r->acks_sent);
    /* the WRITE's packets and the ACKs: all looped back, all taken */
    g_assert_cmpuint(r->tx_packets, ==, npkts + r->acks_sent);
    g_assert_cmpuint(r->rx_packets, ==, r->tx_packets);
    g_assert_cmpuint(r->hairpin_packets, ==, r->tx_packets);
    /* each WRITE packet's payload is one page: left mapped, copied once */
    g_assert_cmpuint(r->hairpin_mapped, ==, npkts);
    g_assert_cmpuint(r->retransmits + r->ack_timeouts + r->duplicates, ==, 0);
    g_assert_cmpuint(mon_naks_sum(r->naks_sent), ==, 0);
    g_assert_cmpuint(mon_naks_sum(r->naks_received), ==, 0);
    g_assert_cmpuint(mon_roce_drops(r), ==, 0);
    /* nothing left on a netdev: there is none */
    g_assert_cmpuint(list->value->port->tx_frames, ==, 0);
    qapi_free_OdpHcaInfoList(list);

    /* a SEND with no receive WQE: RNR NAKs until one is posted */
    send1(t, p.a, 2, ODP_HCA_WQE_SEND, src->iova, 100, src->key, 0, 0);
    for (i = 0; i < 2000; i++) {
        list = mon_query1(t);
        r = list->value->port->roce;
        if (r->naks_received->rnr) {
            break;
        }
        qapi_free_OdpHcaInfoList(list);
        g_usleep(1000);
    }
    g_assert_cmpint(i, <, 2000);
    qapi_free_OdpHcaInfoList(list);
    post_recv1(t, p.b, 3, dst->iova, 4096, dst->key);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND,
                   p.a->qpn, RNR_STEP, RNR_STEPS);
    wait_recv(t, p.cqb, &c, 3, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn, 100);
    buf_check(t, dst, 0, d, 100, "SEND after RNR");

    list = mon_roce_query(t);
    r = list->value->port->roce;
    g_assert_cmpuint(r->naks_sent->rnr, >, 0);
    g_assert_cmpuint(r->naks_received->rnr, ==, r->naks_sent->rnr);
    g_assert_cmpuint(list->value->counters->rnr_naks, ==, r->naks_sent->rnr);
    g_assert_cmpuint(mon_naks_sum(r->naks_sent), ==, r->naks_sent->rnr);
    g_assert_cmpuint(mon_naks_sum(r->naks_received), ==,
                     r->naks_received->rnr);
    /* each RNR NAK sends the SEND again */
    g_assert_cmpuint(r->retransmits, ==, r->naks_received->rnr);
    g_assert_cmpuint(r->hairpin_mapped, ==, npkts + 1 + r->retransmits);
    g_assert_cmpuint(r->rx_packets, ==, r->tx_packets);
    g_assert_cmpuint(r->hairpin_packets, ==, r->tx_packets);
    g_assert_cmpuint(mon_roce_drops(r), ==, 0);
    qapi_free_OdpHcaInfoList(list);

    mon_reset_stats(t);
    list = mon_roce_query(t);
    r = list->value->port->roce;
    g_assert_cmpuint(r->tx_packets + r->rx_packets + r->hairpin_packets +
                     r->hairpin_mapped + r->retransmits + r->ack_timeouts + r->duplicates +
                     r->acks_sent + r->acks_received +
                     mon_naks_sum(r->naks_sent) +
                     mon_naks_sum(r->naks_received) + mon_roce_drops(r),
                     ==, 0);
    qapi_free_OdpHcaInfoList(list);
    t_free(t);
}

/*
 * Which looped-back payloads stay mapped (copied once) and which are read
 * into their frame: READ responses of whole pages are mapped; a packet
 * whose payload spans two pages, and inline data, are not; every byte
 * arrives either way.
 */
static void test_mon_roce_mapped(void)
{
    const uint32_t len = 4 * ODP_HCA_PAGE_SIZE;
    T *t = t_new(NULL);
    struct odp_hca_cqe c;
    g_autofree uint8_t *d = NULL;
    uint8_t data[100];
    OdpHcaInfoList *list;
    Buf *src, *dst;
    OdpWr wr;
    Pair p;

    pair_new(t, &p);
    src = buf_pinned(t, len + ODP_HCA_PAGE_SIZE, ACC_ALL);
    dst = buf_pinned(t, len + ODP_HCA_PAGE_SIZE, ACC_ALL);
    d = buf_pattern(t, src, 51);
    buf_fill(t, dst, 0);
    mon_reset_stats(t);

    /* a READ of four pages: four responses, each one page */
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_READ, dst->iova, len, dst->key,
          src->iova, src->key);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_READ,
             p.a->qpn);
    buf_check(t, dst, 0, d, len, "looped-back READ");
    list = mon_roce_query(t);
    g_assert_cmpuint(list->value->port->roce->hairpin_mapped, ==, 4);
    qapi_free_OdpHcaInfoList(list);

    /* a WRITE from 100 bytes into a page: each packet spans two pages */
    buf_fill(t, dst, 0);
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_WRITE, src->iova + 100, len, src->key,
          dst->iova, dst->key);
    wait_cqe(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 0, d + 100, len, "WRITE across pages");

    /* inline data is in the WQE, not in memory */
    odp_pattern(data, sizeof(data), 52);
    post_recv1(t, p.b, 3, dst->iova, ODP_HCA_PAGE_SIZE, dst->key);
    odp_wr_init(&wr, 4, ODP_HCA_WQE_SEND);
    wr.inline_data = data;
    wr.inline_len = sizeof(data);
    odp_send(t->h, p.a, &wr);
    wait_cqe(t, p.cqa, &c, 4, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_SEND, p.a->qpn);
    wait_recv(t, p.cqb, &c, 3, ODP_HCA_CQE_RECV, p.b->qpn, p.a->qpn,
              sizeof(data));
    buf_check(t, dst, 0, data, sizeof(data), "inline SEND");

    list = mon_roce_query(t);
    g_assert_cmpuint(list->value->port->roce->hairpin_mapped, ==, 4);
    g_assert_cmpuint(list->value->port->roce->retransmits, ==, 0);
    qapi_free_OdpHcaInfoList(list);
    t_free(t);
}

/* The next frame the port sent into socket @fd (length first), or fail. */
static uint32_t mon_port_read(int fd, uint8_t *frame, uint32_t size)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    uint32_t be, len;

    g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
    g_assert_cmpint(read(fd, &be, 4), ==, 4);
    len = ntohl(be);
    g_assert_cmpuint(len, <=, size);
    g_assert_cmpint(read(fd, frame, len), ==, len);
    return len;
}

/*
 * The transport's counters on the wire: QP a's path leads to another
 * MAC, so its WRITE leaves on the netdev; the frame comes back three
 * times: as it is (another host's: rx-other-host), to our MAC with a
 * payload byte flipped (icrc), and to our MAC, when QP b takes it and
 * its ACK loops back to a.
 */
static void test_mon_roce_wire(void)
{
    static const uint8_t other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    struct odp_hca_cmd_modify_qp m = {
        .attr_mask = ODP_HCA_QP_ATTR_AV,
    };
    struct odp_hca_cqe c;
    g_autofree char *args = NULL;
    g_autofree uint8_t *d = NULL;
    OdpHcaInfoList *list;
    OdpHcaRoce *r;
    uint8_t frame[512];
    uint32_t len;
    Buf *src, *dst;
    Pair p;
    int sv[2];
    T *t;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    args = g_strdup_printf("-netdev socket,id=n0,fd=%d "
                           "-device odp-hca,id=hca0,netdev=n0", sv[1]);
    t = t_new_args(args, -1);
    close(sv[1]);
    pair_new(t, &p);
    memcpy(m.dmac, other, 6);
    memcpy(m.sgid, odp_loopback_gid, 16);
    memcpy(m.dgid, odp_loopback_gid, 16);
    g_assert_cmpuint(odp_qp_modify(t->h, p.a->qpn, &m), ==, ODP_HCA_CMD_OK);
    src = buf_pinned(t, 4096, ACC_ALL);
    dst = buf_pinned(t, 4096, ACC_ALL);
    d = buf_pattern(t, src, 41);
    buf_fill(t, dst, 0);
    mon_reset_stats(t);

    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 200, src->key,
          dst->iova, dst->key);
    len = mon_port_read(sv[0], frame, sizeof(frame));
    g_assert_cmpmem(frame, 6, other, 6);
    list = mon_roce_query(t);
    r = list->value->port->roce;
    g_assert_cmpuint(r->tx_packets, ==, 1);
    g_assert_cmpuint(r->hairpin_packets, ==, 0);
    g_assert_cmpuint(r->hairpin_mapped, ==, 0);    /* read into its frame */
    g_assert_cmpuint(r->rx_packets, ==, 0);
    g_assert_cmpuint(list->value->port->tx_frames, ==, 1);
    g_assert_cmpuint(list->value->port->tx_bytes, ==, len);
    qapi_free_OdpHcaInfoList(list);

    /* another host's frame: the MACs are outside the ICRC */
    mon_port_inject(sv[0], frame, len);
    memcpy(frame, t->h->caps.mac, 6);
    /* the last payload byte, before the 4 bytes of ICRC */
    frame[len - 5] ^= 0x5a;
    mon_port_inject(sv[0], frame, len);
    frame[len - 5] ^= 0x5a;
    mon_port_inject(sv[0], frame, len);
    wait_cqe(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS, ODP_HCA_CQE_RDMA_WRITE,
             p.a->qpn);
    buf_check(t, dst, 0, d, 200, "WRITE over the wire");

    list = mon_roce_query(t);
    r = list->value->port->roce;
    g_assert_cmpuint(list->value->port->drops->rx_other_host, ==, 1);
    g_assert_cmpuint(r->parse_drops->icrc, ==, 1);
    g_assert_cmpuint(mon_roce_drops(r), ==, 1);
    /* the WRITE out, b's ACK looped back; both received */
    g_assert_cmpuint(r->tx_packets, ==, 2);
    g_assert_cmpuint(r->hairpin_packets, ==, 1);
    g_assert_cmpuint(r->rx_packets, ==, 2);
    g_assert_cmpuint(r->acks_sent, ==, 1);
    g_assert_cmpuint(r->acks_received, ==, 1);
    g_assert_cmpuint(r->retransmits, ==, 0);
    /* RoCEv2 frames from the netdev are not the RAW_ETH QP's */
    g_assert_cmpuint(list->value->port->rx_frames, ==, 0);
    qapi_free_OdpHcaInfoList(list);
    close(sv[0]);
    t_free(t);
}

/*
 * A hostile link (odp-hca-set-link-impairment) on a loopback RC pair:
 * a 256 KiB WRITE and a READ of it back complete with the right bytes
 * through whatever the impairment does, and the counters say what it
 * did.  The ACK timeout is 131 us (timeout 5) and the clock moves 10 us
 * a step, as the err/retry test steps it.
 */
#define IMP_LEN         (256 * 1024)
#define IMP_STEP        10000
#define IMP_STEPS       200000

/* odp-hca-set-link-impairment on hca0 with @args (JSON members). */
static void imp_set(T *t, const char *args)
{
    g_autofree char *json = g_strdup_printf("{ 'id': 'hca0'%s%s }",
                                            *args ? ", " : "", args);
    QObject *a = qobject_from_json(json, &error_abort);

    mon_assert_ok(qtest_qmp(t->h->qts, "{ 'execute': "
                            "'odp-hca-set-link-impairment', "
                            "'arguments': %p }", a));
}

/* A loopback RC pair whose ACK timeout is 131 us (timeout 5), retry 7. */
static void imp_pair(T *t, Pair *p)
{
    OdpRcAttr a;

    odp_rc_attr_init(&a);
    a.timeout = 5;
    a.retry_cnt = 7;
    pair_new2(t, p, &a, &a);
}

/*
 * The WRITE and the READ through the impairment @args with @seed (or
 * $ODP_HCA_IMPAIR_SEED, to look for trouble with other draws); the
 * state after.
 */
static OdpHcaInfoList *imp_run(const char *args, uint64_t seed)
{
    const char *env = getenv("ODP_HCA_IMPAIR_SEED");
    g_autofree char *full = NULL;
    T *t = t_new("id=hca0");
    struct odp_hca_cqe c;
    g_autofree uint8_t *d = NULL;
    g_auto(GStrv) lines = NULL;
    OdpHcaInfoList *list;
    Buf *src, *dst, *back;
    Pair p;

    imp_pair(t, &p);
    src = buf_pinned(t, IMP_LEN, ACC_ALL);
    dst = buf_pinned(t, IMP_LEN, ACC_ALL);
    back = buf_pinned(t, IMP_LEN, ACC_ALL);
    d = buf_pattern(t, src, 77);
    buf_fill(t, dst, 0);
    buf_fill(t, back, 0);
    mon_reset_stats(t);
    if (env) {
        seed = g_ascii_strtoull(env, NULL, 0);
    }
    full = g_strdup_printf("%s, 'seed': %" PRIu64, args, seed);
    imp_set(t, full);

    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, IMP_LEN, src->key,
          dst->iova, dst->key);
    wait_cqe_clock(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, IMP_STEP, IMP_STEPS);
    buf_check(t, dst, 0, d, IMP_LEN, "WRITE over an impaired link");
    send1(t, p.a, 2, ODP_HCA_WQE_RDMA_READ, back->iova, IMP_LEN, back->key,
          dst->iova, dst->key);
    wait_cqe_clock(t, p.cqa, &c, 2, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_READ, p.a->qpn, IMP_STEP, IMP_STEPS);
    buf_check(t, back, 0, d, IMP_LEN, "READ over an impaired link");
    /*
     * What is still held goes (a reordered frame waits 100 us, then the
     * delay: a timer each, in steps); nothing else completes.
     */
    for (int i = 0; i < 200; i++) {
        odp_clock_step(t->h, IMP_STEP);
    }
    odp_cq_assert_empty(t->h, p.cqa, 8);
    odp_cq_assert_empty(t->h, p.cqb, 8);

    list = mon_query1(t);
    lines = hmp_lines(t->h->qts, "info odp-hca");
    hmp_check(lines, list->value);
    g_assert_cmpuint(list->value->port->impairment->held, ==, 0);
    /* the impairment may touch a frame's bytes: none stays mapped */
    g_assert_cmpuint(list->value->port->roce->hairpin_mapped, ==, 0);
    t_free(t);
    return list;
}

/* The seed is the test's own: the counts below are what it draws. */
static bool imp_own_seed(void)
{
    return !getenv("ODP_HCA_IMPAIR_SEED");
}

static void imp_log(const char *what, const OdpHcaPort *port)
{
    const OdpHcaRoce *r = port->roce;
    const OdpHcaRoceImpaired *i = r->impaired;

    odp_diag("%s: tx %" PRIu64 " rx %" PRIu64 " retransmits %" PRIu64
                   " ack-timeouts %" PRIu64 " duplicates %" PRIu64
                   " naks-seq %" PRIu64 " icrc %" PRIu64 " | dropped %"
                   PRIu64 " corrupted %" PRIu64 " duplicated %" PRIu64
                   " reordered %" PRIu64 " delayed %" PRIu64, what,
                   r->tx_packets, r->rx_packets, r->retransmits,
                   r->ack_timeouts, r->duplicates, r->naks_sent->seq,
                   r->parse_drops->icrc, i->dropped, i->corrupted,
                   i->duplicated, i->reordered, i->delayed);
}

static void test_imp_loss(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run("'loss': 100000", 1);
    const OdpHcaPort *port = l->value->port;

    imp_log("loss 10%", port);
    g_assert_cmpuint(port->impairment->loss, ==, 100000);
    g_assert_cmpuint(port->roce->impaired->dropped, >, 0);
    g_assert_cmpuint(port->roce->retransmits, >, 0);
    g_assert_cmpuint(port->roce->impaired->corrupted +
                     port->roce->impaired->duplicated +
                     port->roce->impaired->reordered +
                     port->roce->impaired->delayed, ==, 0);
    /* every frame sent is lost or received */
    g_assert_cmpuint(port->roce->rx_packets +
                     port->roce->impaired->dropped, ==,
                     port->roce->tx_packets);
}

static void test_imp_corrupt(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run("'corrupt': 100000", 2);
    const OdpHcaPort *port = l->value->port;

    imp_log("corrupt 10%", port);
    g_assert_cmpuint(port->roce->impaired->corrupted, >, 0);
    /* each corrupted frame fails its ICRC check, and nothing else does */
    g_assert_cmpuint(port->roce->parse_drops->icrc, ==,
                     port->roce->impaired->corrupted);
    g_assert_cmpuint(port->roce->retransmits, >, 0);
    g_assert_cmpuint(port->roce->rx_packets +
                     port->roce->parse_drops->icrc, ==,
                     port->roce->tx_packets);
}

/*
 * ACKs for packets sent before going back, arriving while the requester
 * sends again: a 512 KiB WRITE (128 packets, an ACK asked every 16th) on
 * a link that delays each frame 20 us, with an ACK timeout of 131 us and
 * the clock moving 100 us a step.  The ACKs come out of the delay in the
 * same step as the timeout, just before it; the requester goes back
 * first and sends 16 packets again (its budget for one turn), and the
 * ACKs for PSNs it has not sent again yet are answers to what it sent
 * the first time: they move it forward (ack-seek) instead of being
 * dropped and the whole window sent again.
 */
static void test_imp_ack_after_rewind(void)
{
    const uint32_t len = 512 * 1024;
    T *t = t_new("id=hca0");
    struct odp_hca_cqe c;
    g_autofree uint8_t *d = NULL;
    g_autoptr(OdpHcaInfoList) list = NULL;
    const OdpHcaRoce *r;
    Buf *src, *dst;
    Pair p;

    imp_pair(t, &p);
    src = buf_pinned(t, len, ACC_ALL);
    dst = buf_pinned(t, len, ACC_ALL);
    d = buf_pattern(t, src, 79);
    buf_fill(t, dst, 0);
    mon_reset_stats(t);
    imp_set(t, "'delay-us': 20");

    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, len, src->key,
          dst->iova, dst->key);
    wait_cqe_clock(t, p.cqa, &c, 1, ODP_HCA_WC_SUCCESS,
                   ODP_HCA_CQE_RDMA_WRITE, p.a->qpn, 100000, 1000);
    buf_check(t, dst, 0, d, len, "WRITE with an ACK timeout");

    list = mon_query1(t);
    r = list->value->port->roce;
    imp_log("ACKs after going back", list->value->port);
    g_assert_cmpuint(r->ack_timeouts, ==, 1);
    /* the ACKs beyond what was sent again were taken, not dropped */
    g_assert_cmpuint(r->transport_drops->unexpected_response, ==, 0);
    /* only what went before them was sent again */
    g_assert_cmpuint(r->retransmits, >, 0);
    g_assert_cmpuint(r->retransmits, <, len / 4096);
    t_free(t);
}

static void test_imp_duplicate(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run("'duplicate': 100000", 3);
    const OdpHcaPort *port = l->value->port;

    imp_log("duplicate 10%", port);
    g_assert_cmpuint(port->roce->impaired->duplicated, >, 0);
    /* (another seed may duplicate only answers, which are dropped) */
    if (imp_own_seed()) {
        g_assert_cmpuint(port->roce->duplicates, >, 0);
    }
    g_assert_cmpuint(port->roce->rx_packets, ==,
                     port->roce->tx_packets +
                     port->roce->impaired->duplicated);
}

static void test_imp_reorder(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run("'reorder': 100000", 4);
    const OdpHcaPort *port = l->value->port;

    imp_log("reorder 10%", port);
    g_assert_cmpuint(port->roce->impaired->reordered, >, 0);
    g_assert_cmpuint(port->roce->rx_packets, ==, port->roce->tx_packets);
}

static void test_imp_delay(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run("'delay-us': 20", 5);
    const OdpHcaPort *port = l->value->port;

    imp_log("delay 20 us", port);
    g_assert_cmpuint(port->roce->impaired->delayed, ==,
                     port->roce->tx_packets);
    g_assert_cmpuint(port->roce->rx_packets, ==, port->roce->tx_packets);
}

/* All of them at once. */
static void test_imp_all(void)
{
    g_autoptr(OdpHcaInfoList) l = imp_run(
        "'loss': 50000, 'corrupt': 50000, 'duplicate': 50000, "
        "'reorder': 50000, 'delay-us': 5", 6);

    imp_log("everything 5%", l->value->port);
}

/*
 * Settings: checked, replaced by each call, kept by reset-stats (which
 * clears the counters); frames held across a device reset are freed
 * and their timer stopped.
 */
static void test_imp_settings(void)
{
    T *t = t_new("id=hca0");
    QTestState *qts = t->h->qts;
    g_autoptr(OdpHcaInfoList) list = NULL;
    g_autofree char *out = NULL;
    const OdpHcaLinkImpairment *m;
    Buf *src, *dst;
    Pair p;

    mon_assert_error(qtest_qmp(qts, "{ 'execute': "
                               "'odp-hca-set-link-impairment', 'arguments':"
                               " { 'id': 'hca0', 'loss': 1000001 } }"),
                     "GenericError");
    mon_assert_error(qtest_qmp(qts, "{ 'execute': "
                               "'odp-hca-set-link-impairment', 'arguments':"
                               " { 'id': 'hca0', 'delay-us': 1000001 } }"),
                     "GenericError");
    imp_set(t, "'loss': 1, 'corrupt': 2, 'duplicate': 3, 'reorder': 4, "
               "'delay-us': 5, 'seed': 6");
    list = mon_query1(t);
    m = list->value->port->impairment;
    g_assert_cmpuint(m->loss + m->corrupt + m->duplicate + m->reorder, ==,
                     10);
    g_assert_cmpuint(m->delay_us, ==, 5);
    g_assert_cmpuint(m->seed, ==, 6);
    qapi_free_OdpHcaInfoList(list);

    /* HMP: the same command */
    out = qtest_hmp(qts, "odp-hca-set-link-impairment hca0 reorder=7 "
                    "delay-us=1000");
    g_assert_cmpstr(out, ==, "");
    hmp_assert_error(qts, "odp-hca-set-link-impairment hca0 lose=1", "lose");
    hmp_assert_error(qts, "odp-hca-set-link-impairment hca0 loss=2000000",
                     "1000000");
    hmp_assert_error(qts, "odp-hca-set-link-impairment nosuch", "nosuch");
    list = mon_query1(t);
    m = list->value->port->impairment;
    g_assert_cmpuint(m->loss + m->corrupt + m->duplicate + m->seed, ==, 0);
    g_assert_cmpuint(m->reorder, ==, 7);
    g_assert_cmpuint(m->delay_us, ==, 1000);
    qapi_free_OdpHcaInfoList(list);

    /* a WRITE whose frames the 1 ms delay holds */
    pair_new(t, &p);
    src = buf_pinned(t, 3 * 4096, ACC_ALL);
    dst = buf_pinned(t, 3 * 4096, ACC_ALL);
    send1(t, p.a, 1, ODP_HCA_WQE_RDMA_WRITE, src->iova, 3 * 4096, src->key,
          dst->iova, dst->key);
    for (int i = 0; i < 1000; i++) {
        list = mon_query1(t);
        if (list->value->port->impairment->held == 3) {
            break;
        }
        qapi_free_OdpHcaInfoList(list);
        list = NULL;
        g_usleep(1000);
    }
    g_assert_nonnull(list);
    g_assert_cmpuint(list->value->port->roce->impaired->delayed, ==, 3);
    qapi_free_OdpHcaInfoList(list);

    /* reset-stats keeps the settings and what is held */
    mon_reset_stats(t);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->port->impairment->reorder, ==, 7);
    g_assert_cmpuint(list->value->port->impairment->held, ==, 3);
    g_assert_cmpuint(list->value->port->roce->impaired->delayed, ==, 0);
    qapi_free_OdpHcaInfoList(list);

    /* a reset frees them; their due time passes without them */
    odp_reg_write(t->h, ODP_HCA_REG_CTRL, ODP_HCA_CTRL_RESET);
    odp_hca_pci_setup(t->h);
    odp_hca_wait_reset(t->h);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->port->impairment->held, ==, 0);
    g_assert_cmpuint(list->value->port->impairment->delay_us, ==, 1000);
    qapi_free_OdpHcaInfoList(list);
    odp_clock_step(t->h, 10 * 1000 * 1000);
    list = mon_query1(t);
    g_assert_cmpuint(list->value->port->roce->rx_packets, ==, 0);
    g_assert_cmpuint(list->value->port->impairment->held, ==, 0);

    /* no arguments: no impairment */
    imp_set(t, "");
    qapi_free_OdpHcaInfoList(list);
    list = mon_query1(t);
    m = list->value->port->impairment;
    g_assert_cmpuint(m->loss + m->corrupt + m->duplicate + m->reorder +
                     m->delay_us + m->seed, ==, 0);
    t_free(t);
}

void odp_hca_add_monitor_tests(void)
{
    add_test("/odp-hca/monitor/schema/none", test_mon_none);
    add_test("/odp-hca/monitor/schema/one", test_mon_schema_one);
    add_test("/odp-hca/monitor/schema/two", test_mon_schema_two);
    add_test("/odp-hca/monitor/counters", test_mon_counters);
    add_test("/odp-hca/monitor/ring", test_mon_ring);
    add_test("/odp-hca/monitor/hmp", test_mon_hmp);
    add_test("/odp-hca/monitor/port", test_mon_port);
    add_test("/odp-hca/monitor/inject", test_mon_inject);
    add_test("/odp-hca/monitor/inject-both-sides",
             test_mon_inject_both_sides);
    add_test("/odp-hca/monitor/inject-deferred", test_mon_inject_deferred);
    add_test("/odp-hca/monitor/flush-iotlb", test_mon_flush);
    add_test("/odp-hca/monitor/qps", test_mon_qps);
    add_test("/odp-hca/monitor/iotlb-sets", test_mon_tlb_sets);
    add_test("/odp-hca/monitor/events-dropped", test_mon_dropped);
    add_test("/odp-hca/monitor/latency-deferred", test_mon_latency_deferred);
    add_test("/odp-hca/monitor/roce", test_mon_roce);
    add_test("/odp-hca/monitor/roce-mapped", test_mon_roce_mapped);
    add_test("/odp-hca/monitor/roce-wire", test_mon_roce_wire);
    add_test("/odp-hca/monitor/impair/settings", test_imp_settings);
    add_test("/odp-hca/monitor/impair/loss", test_imp_loss);
    add_test("/odp-hca/monitor/impair/ack-after-rewind",
             test_imp_ack_after_rewind);
    add_test("/odp-hca/monitor/impair/corrupt", test_imp_corrupt);
    add_test("/odp-hca/monitor/impair/duplicate", test_imp_duplicate);
    add_test("/odp-hca/monitor/impair/reorder", test_imp_reorder);
    add_test("/odp-hca/monitor/impair/delay", test_imp_delay);
    add_test("/odp-hca/monitor/impair/all", test_imp_all);
}
