/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit test of hw/odp-hca-roce.c: RoCEv2 frames built, parsed, truncated
 * and corrupted.
 *
 * Every frame the parser reads sits at the very end of an mmap'ed region
 * followed by a PROT_NONE page (and, in a second pass, at its very
 * start after one), so a read outside the frame is a SIGSEGV, with or
 * without a sanitizer.
 *
 *   odp-hca-roce-test [--tap] [-p PATH] ...   the glib tests
 *   odp-hca-roce-test --dump FILE.pcap        write one frame of every
 *       opcode, IPv4 and IPv6, with and without a VLAN tag, with random
 *       fields, as a pcap; print "N OPCODE NAME ipv4|ipv6 vlan|novlan
 *       DEST_QPN PSN P_KEY PAYLOAD_LEN" per frame on stdout
 *       (tests/roce/check-roce.py checks them with tshark and its own
 *       ICRC)
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "../../hw/odp-hca-roce.h"

#define PMTU 4096

/* The opcodes, in table order. */
static const uint8_t all_ops[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16,
    0x17, 0x64, 0x65, 0xc0, 0xc1,
};

/* Guarded copies: the frame ends at (or starts at) a PROT_NONE page. */

typedef struct Guarded {
    uint8_t *map;
    size_t map_len;
    uint8_t *data;
} Guarded;

static Guarded guard_copy(const uint8_t *src, size_t len, bool at_start)
{
    size_t pg = getpagesize();
    size_t data_pages = (len + pg - 1) / pg + 1;
    Guarded g;

    g.map_len = (data_pages + 2) * pg;
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(g.map != MAP_FAILED);
    g_assert(mprotect(g.map, pg, PROT_NONE) == 0);
    g_assert(mprotect(g.map + (data_pages + 1) * pg, pg, PROT_NONE) == 0);
    if (at_start) {
        g.data = g.map + pg;
    } else {
        g.data = g.map + (data_pages + 1) * pg - len;
    }
    if (len) {
        memcpy(g.data, src, len);
    }
    return g;
}

static void guard_free(Guarded *g)
{
    munmap(g->map, g->map_len);
}

/* Parse @len bytes of @frame twice, against each guard; same answer. */
static OdpHcaRoceDrop parse_guarded(const uint8_t *frame, size_t len,
                                    uint32_t pmtu, OdpHcaRocePacket *out)
{
    OdpHcaRocePacket p2;
    OdpHcaRoceDrop r1, r2;
    Guarded g;

    g = guard_copy(frame, len, false);
    r1 = odp_hca_roce_parse(g.data, len, pmtu, out);
    /* The payload pointer must stay inside the frame. */
    if (r1 == ODP_HCA_ROCE_OK) {
        g_assert(out->payload >= g.data);
        g_assert(out->payload + out->payload_len <= g.data + len);
        out->payload = frame + (out->payload - g.data);
    }
    guard_free(&g);
    g = guard_copy(frame, len, true);
    r2 = odp_hca_roce_parse(g.data, len, pmtu, &p2);
    guard_free(&g);
    g_assert_cmpstr(odp_hca_roce_drop_name(r1), ==,
                    odp_hca_roce_drop_name(r2));
    return r1;
}

#define assert_reason(got, want) \
    g_assert_cmpstr(odp_hca_roce_drop_name(got), ==, \
                    odp_hca_roce_drop_name(want))

/*
 * Random packets, from one generator seeded at start (ODP_ROCE_SEED
 * repeats a run; the seed is printed on stderr).
 */

static GRand *rng;

static uint32_t rnd(uint32_t bound)
{
    return g_rand_int_range(rng, 0, bound);
}

static uint32_t rnd32(void)
{
    return g_rand_int(rng);
}

static uint64_t rnd64(void)
{
    return (uint64_t)rnd32() << 32 | rnd32();
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    while (n--) {
        *p++ = rnd(256);
    }
}

/* A random packet of @opcode; payload from @buf. */
static void random_packet(OdpHcaRocePacket *p, uint8_t opcode, bool v6,
                          bool vlan, uint8_t *buf)
{
    const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(opcode);
    uint32_t len = 0;

    g_assert(op);
    memset(p, 0, sizeof(*p));
    rnd_bytes(p->dst_mac, 6);
    rnd_bytes(p->src_mac, 6);
    p->src_mac[0] &= ~1;                /* not a group address */
    p->vlan = vlan;
    p->vlan_tci = vlan ? rnd(65536) : 0;
    p->ipv6 = v6;
    if (v6) {
        do {
            rnd_bytes(p->sgid, 16);
            rnd_bytes(p->dgid, 16);
        } while (odp_hca_roce_gid_is_ipv4(p->sgid) ||
                 odp_hca_roce_gid_is_ipv4(p->dgid));
        p->flow_label = rnd(1 << 20);
    } else {
        p->sgid[10] = p->sgid[11] = p->dgid[10] = p->dgid[11] = 0xff;
        rnd_bytes(p->sgid + 12, 4);
        rnd_bytes(p->dgid + 12, 4);
    }
    p->tclass = rnd(256);
    p->hop_limit = rnd(256);
    p->udp_sport = rnd(65536);
    p->opcode = opcode;
    p->se = rnd(2);
    p->mig = rnd(2);
    p->pkey = rnd(65536);
    p->dest_qpn = rnd(1 << 24);
    p->ack_req = rnd(2);
    p->psn = rnd(1 << 24);
    if (op->flags & ODP_HCA_ROCE_F_RETH) {
        p->reth.va = rnd64();
        p->reth.rkey = rnd32();
        p->reth.dma_len = rnd32();
    }
    if (op->flags & ODP_HCA_ROCE_F_AETH) {
        p->aeth.syndrome = rnd(256);
        p->aeth.msn = rnd(1 << 24);
    }
    if (op->flags & ODP_HCA_ROCE_F_DETH) {
        p->deth.qkey = rnd32();
        p->deth.src_qpn = rnd(1 << 24);
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ETH) {
        p->atomic.va = rnd64();
        p->atomic.rkey = rnd32();
        p->atomic.swap_add = rnd64();
        p->atomic.compare = rnd64();
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ACK) {
        p->atomic_ack = rnd64();
    }
    if (op->flags & ODP_HCA_ROCE_F_IMMDT) {
        p->imm = rnd32();
    }
    if (op->flags & ODP_HCA_ROCE_F_IETH) {
        p->ieth_rkey = rnd32();
    }
    if (op->flags & ODP_HCA_ROCE_F_PAYLOAD) {
        switch (rnd(4)) {
        case 0:
            len = 0;
            break;
        case 1:
            len = PMTU;
            break;
        default:
            len = rnd(PMTU + 1);
        }
        if (!(op->flags & ODP_HCA_ROCE_F_LAST)) {
            len &= ~3u;         /* first and middle packets have no pad */
        }
        rnd_bytes(buf, len);
    }
    p->payload = len ? buf : NULL;
    p->payload_len = len;
}

/* @got (parsed) is @want (built). */
static void assert_same(const OdpHcaRocePacket *got,
                        const OdpHcaRocePacket *want)
{
    const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(want->opcode);

    g_assert(memcmp(got->dst_mac, want->dst_mac, 6) == 0);
    g_assert(memcmp(got->src_mac, want->src_mac, 6) == 0);
    g_assert_cmpint(got->vlan, ==, want->vlan);
    g_assert_cmpuint(got->vlan_tci, ==, want->vlan_tci);
    g_assert_cmpint(got->ipv6, ==, want->ipv6);
    g_assert(memcmp(got->sgid, want->sgid, 16) == 0);
    g_assert(memcmp(got->dgid, want->dgid, 16) == 0);
    g_assert_cmpuint(got->tclass, ==, want->tclass);
    g_assert_cmpuint(got->hop_limit, ==, want->hop_limit);
    g_assert_cmpuint(got->flow_label, ==, want->flow_label);
    g_assert_cmpuint(got->udp_sport, ==, want->udp_sport);
    g_assert_cmpuint(got->opcode, ==, want->opcode);
    g_assert_cmpint(got->se, ==, want->se);
    g_assert_cmpint(got->mig, ==, want->mig);
    g_assert_cmpuint(got->pad, ==, -want->payload_len & 3);
    g_assert_cmpuint(got->tver, ==, 0);
    g_assert_cmpuint(got->pkey, ==, want->pkey);
    g_assert_cmpuint(got->dest_qpn, ==, want->dest_qpn);
    g_assert_cmpint(got->ack_req, ==, want->ack_req);
    g_assert_cmpuint(got->psn, ==, want->psn);
    g_assert(memcmp(&got->reth, &want->reth, sizeof(got->reth)) == 0);
    g_assert_cmpuint(got->aeth.syndrome, ==, want->aeth.syndrome);
    g_assert_cmpuint(got->aeth.msn, ==, want->aeth.msn);
    g_assert_cmpuint(got->deth.qkey, ==, want->deth.qkey);
    g_assert_cmpuint(got->deth.src_qpn, ==, want->deth.src_qpn);
    g_assert(memcmp(&got->atomic, &want->atomic, sizeof(got->atomic)) == 0);
    g_assert_cmpuint(got->atomic_ack, ==, want->atomic_ack);
    g_assert_cmpuint(got->imm, ==, want->imm);
    g_assert_cmpuint(got->ieth_rkey, ==, want->ieth_rkey);
    g_assert_cmpuint(got->payload_len, ==, want->payload_len);
    if (want->payload_len) {
        g_assert(memcmp(got->payload, want->payload, want->payload_len) == 0);
    }
    g_assert(op);
}

static uint8_t payload_buf[PMTU];
static uint8_t frame_buf[PMTU + ODP_HCA_ROCE_MAX_OVERHEAD + 8];

static size_t build_random(OdpHcaRocePacket *p, uint8_t opcode, bool v6,
                           bool vlan)
{
    ssize_t n;

    random_packet(p, opcode, v6, vlan, payload_buf);
    n = odp_hca_roce_build(p, frame_buf, sizeof(frame_buf));
    g_assert_cmpint(n, >, 0);
    g_assert_cmpuint(n, ==, odp_hca_roce_frame_len(p));
    return n;
}

/* The opcode table is consistent: header lengths, positions, the set. */
static void test_opcodes(void)
{
    int known = 0, op;

    for (op = 0; op < 256; op++) {
        const OdpHcaRoceOpInfo *i = odp_hca_roce_opcode_info(op);
        uint32_t ext = 0;

        if (!i) {
            continue;
        }
        known++;
        g_assert(memchr(all_ops, op, sizeof(all_ops)));
        ext += i->flags & ODP_HCA_ROCE_F_DETH ? ODP_HCA_ROCE_DETH_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_RETH ? ODP_HCA_ROCE_RETH_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_ATOMIC_ETH ?
               ODP_HCA_ROCE_ATOMIC_ETH_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_AETH ? ODP_HCA_ROCE_AETH_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_ATOMIC_ACK ?
               ODP_HCA_ROCE_ATOMIC_ACK_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_IMMDT ? ODP_HCA_ROCE_IMMDT_LEN : 0;
        ext += i->flags & ODP_HCA_ROCE_F_IETH ? ODP_HCA_ROCE_IETH_LEN : 0;
        g_assert_cmpuint(ext, ==, i->ext_len);
        g_assert_cmpuint(ext, <=, ODP_HCA_ROCE_MAX_EXT_LEN);
        /* Exactly one of request/response, and a position. */
        g_assert(!(i->flags & ODP_HCA_ROCE_F_REQUEST) !=
                 !(i->flags & ODP_HCA_ROCE_F_RESPONSE));
        g_assert(i->flags & (ODP_HCA_ROCE_F_FIRST | ODP_HCA_ROCE_F_MIDDLE |
                             ODP_HCA_ROCE_F_LAST));
        /* UD opcodes are 0x60..0x7f, RC 0x00..0x1f. */
        g_assert_cmpint(!!(i->flags & ODP_HCA_ROCE_F_UD), ==,
                        (op >> 5) == 3);
    }
    g_assert_cmpint(known, ==, sizeof(all_ops));
    /* The drop reasons all have distinct names. */
    for (op = 0; op < ODP_HCA_ROCE_DROP_MAX; op++) {
        int j;

        g_assert(odp_hca_roce_drop_name(op));
        g_assert_cmpstr(odp_hca_roce_drop_name(op), !=, "?");
        for (j = 0; j < op; j++) {
            g_assert_cmpstr(odp_hca_roce_drop_name(op), !=,
                            odp_hca_roce_drop_name(j));
        }
    }
    g_assert_cmpstr(odp_hca_roce_drop_name(ODP_HCA_ROCE_DROP_MAX), ==, "?");
}

/* Every opcode, IPv4 and IPv6, tagged and not: build, parse, compare. */
static void test_roundtrip(void)
{
    size_t i;
    int v6, vlan, n;

    for (i = 0; i < sizeof(all_ops); i++) {
        for (v6 = 0; v6 < 2; v6++) {
            for (vlan = 0; vlan < 2; vlan++) {
                for (n = 0; n < 20; n++) {
                    OdpHcaRocePacket want, got;
                    size_t len = build_random(&want, all_ops[i], v6, vlan);

                    assert_reason(parse_guarded(frame_buf, len, PMTU, &got),
                                  ODP_HCA_ROCE_OK);
                    assert_same(&got, &want);
                    /* Ethernet padding after the IP packet is ignored. */
                    memset(frame_buf + len, 0, 8);
                    assert_reason(parse_guarded(frame_buf, len + 8, PMTU,
                                                &got), ODP_HCA_ROCE_OK);
                }
            }
        }
    }
}

/*
 * Golden frames made by tests/roce/roce_ref.py (an independent Python
 * implementation: struct and zlib.crc32): RC SEND_ONLY, P_Key 0xffff,
 * dest QP 0x11, AckReq, PSN 0x123, payload "hello"; IPv4 untagged, and
 * IPv6 with VLAN tag 0x2005, traffic class 0x12, flow label 0xabcde.
 */
static const char golden_v4[] =
    "02000000000202000000000108004512003400004000401126a50a0000010a000002"
    "c12312b7002000000430ffff000000118000012368656c6c6f0000002a16602c";
static const char golden_v6_vlan[] =
    "0200000000020200000000018100200586dd612abcde00201140fe80000000000000"
    "0000000000000001fe800000000000000000000000000002c12312b70020021d0430"
    "ffff000000118000012368656c6c6f000000be85a4f5";

static void golden_packet(OdpHcaRocePacket *p, bool v6)
{
    static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 };
    static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 };

    memset(p, 0, sizeof(*p));
    memcpy(p->dst_mac, dmac, 6);
    memcpy(p->src_mac, smac, 6);
    p->ipv6 = v6;
    if (v6) {
        p->vlan = true;
        p->vlan_tci = 0x2005;
        p->sgid[0] = p->dgid[0] = 0xfe;
        p->sgid[1] = p->dgid[1] = 0x80;
        p->sgid[15] = 1;
        p->dgid[15] = 2;
        p->flow_label = 0xabcde;
    } else {
        p->sgid[10] = p->sgid[11] = p->dgid[10] = p->dgid[11] = 0xff;
        p->sgid[12] = p->dgid[12] = 10;
        p->sgid[15] = 1;
        p->dgid[15] = 2;
    }
    p->tclass = 0x12;
    p->hop_limit = 64;
    p->udp_sport = 0xc123;
    p->opcode = ODP_HCA_ROCE_RC_SEND_ONLY;
    p->pkey = 0xffff;
    p->dest_qpn = 0x11;
    p->ack_req = true;
    p->psn = 0x123;
    p->payload = (const uint8_t *)"hello";
    p->payload_len = 5;
}

static void test_golden(void)
{
    const char *hex[2] = { golden_v4, golden_v6_vlan };
    int v6;

    for (v6 = 0; v6 < 2; v6++) {
        OdpHcaRocePacket p, got;
        size_t glen = strlen(hex[v6]) / 2, i;
        g_autofree uint8_t *gold = g_malloc(glen);
        ssize_t n;

        for (i = 0; i < glen; i++) {
            char b[3] = { hex[v6][2 * i], hex[v6][2 * i + 1], 0 };
            gold[i] = strtoul(b, NULL, 16);
        }
        golden_packet(&p, v6);
        n = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
        g_assert_cmpint(n, ==, glen);
        g_assert(memcmp(frame_buf, gold, glen) == 0);
        assert_reason(parse_guarded(gold, glen, PMTU, &got), ODP_HCA_ROCE_OK);
        assert_same(&got, &p);
        g_assert_cmpuint(got.icrc, ==, v6 ? 0xf5a485be : 0x2c60162a);
    }
}

/* The Ethernet + IP header length of a frame the builder made. */
static size_t l3_off(const OdpHcaRocePacket *p)
{
    return ODP_HCA_ROCE_ETH_HLEN + (p->vlan ? ODP_HCA_ROCE_VLAN_HLEN : 0);
}

static size_t ip_hlen(const OdpHcaRocePacket *p)
{
    return p->ipv6 ? ODP_HCA_ROCE_IPV6_HLEN : ODP_HCA_ROCE_IPV4_HLEN;
}

/* Recompute the IPv4 header checksum after an edit (no-op for IPv6). */
static void fix_ip_csum(uint8_t *f, const OdpHcaRocePacket *p)
{
    uint8_t *ip = f + l3_off(p);
    uint32_t sum = 0;
    int i;

    if (p->ipv6) {
        return;
    }
    ip[10] = ip[11] = 0;
    for (i = 0; i < 20; i += 2) {
        sum += ip[i] << 8 | ip[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10] = ~sum >> 8;
    ip[11] = ~sum;
}

/* Every prefix of every frame: the first header that does not fit. */
static void test_truncate(void)
{
    size_t i;
    int v6, vlan;

    for (i = 0; i < sizeof(all_ops); i++) {
        for (v6 = 0; v6 < 2; v6++) {
            for (vlan = 0; vlan < 2; vlan++) {
                OdpHcaRocePacket p, got;
                size_t len = build_random(&p, all_ops[i], v6, vlan), l;
                size_t l3;

                /* Keep it short: the truncation walk is quadratic. */
                if (len > 600) {
                    p.payload_len = rnd(64) & ~3u;
                    len = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
                    g_assert_cmpint(len, >, 0);
                }
                l3 = l3_off(&p);
                for (l = 0; l < len; l++) {
                    OdpHcaRoceDrop want;

                    if (l < ODP_HCA_ROCE_ETH_HLEN || l < l3) {
                        want = ODP_HCA_ROCE_DROP_ETH_SHORT;
                    } else if (l < l3 + ip_hlen(&p)) {
                        want = ODP_HCA_ROCE_DROP_IP_SHORT;
                    } else {
                        want = ODP_HCA_ROCE_DROP_IP_LEN;
                    }
                    assert_reason(parse_guarded(frame_buf, l, PMTU, &got),
                                  want);
                }
            }
        }
    }
}

/*
 * Frames cut short consistently: IP and UDP lengths say the shorter
 * length, checksums right.  Then it is the BTH, the extended headers,
 * the pad or (wrong bytes now) the ICRC that fails.
 */
static void test_shrink(void)
{
    size_t i;
    int v6;

    for (i = 0; i < sizeof(all_ops); i++) {
        for (v6 = 0; v6 < 2; v6++) {
            const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(all_ops[i]);
            OdpHcaRocePacket p, got;
            size_t len, l3, ip, udp;
            uint32_t rest, k;

            random_packet(&p, all_ops[i], v6, rnd(2), payload_buf);
            if (op->flags & ODP_HCA_ROCE_F_PAYLOAD) {
                p.payload = payload_buf;
                p.payload_len = 9 + 4 * rnd(4);     /* always some pad */
                if (!(op->flags & ODP_HCA_ROCE_F_LAST)) {
                    p.payload_len &= ~3u;
                }
            }
            len = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
            g_assert_cmpint(len, >, 0);
            l3 = l3_off(&p);
            ip = l3;
            udp = ip + ip_hlen(&p);
            rest = len - udp - ODP_HCA_ROCE_UDP_HLEN;
            for (k = 1; k <= rest; k++) {
                g_autofree uint8_t *f = g_memdup2(frame_buf, len);
                uint32_t r = rest - k, body;
                OdpHcaRoceDrop want;

                /* New lengths; UDP checksum 0 (none). */
                if (v6) {
                    f[ip + 4] = (r + 8) >> 8;
                    f[ip + 5] = r + 8;
                } else {
                    f[ip + 2] = (r + 28) >> 8;
                    f[ip + 3] = r + 28;
                    fix_ip_csum(f, &p);
                }
                f[udp + 4] = (r + 8) >> 8;
                f[udp + 5] = r + 8;
                f[udp + 6] = f[udp + 7] = 0;

                if (r < ODP_HCA_ROCE_BTH_LEN + ODP_HCA_ROCE_ICRC_LEN) {
                    want = ODP_HCA_ROCE_DROP_BTH_SHORT;
                } else if (r < ODP_HCA_ROCE_BTH_LEN + op->ext_len +
                               ODP_HCA_ROCE_ICRC_LEN) {
                    want = ODP_HCA_ROCE_DROP_EXT_SHORT;
                } else {
                    body = r - ODP_HCA_ROCE_BTH_LEN - op->ext_len -
                           ODP_HCA_ROCE_ICRC_LEN;
                    want = (-p.payload_len & 3) > body ?
                           ODP_HCA_ROCE_DROP_PAD : ODP_HCA_ROCE_DROP_ICRC;
                }
                /* The frame keeps its length: the rest is Ethernet pad. */
                assert_reason(parse_guarded(f, len, PMTU, &got), want);
            }
        }
    }
}

/* One field at a time, set wrong: the reason that names it. */
static void test_fields(void)
{
    int v6;

    for (v6 = 0; v6 < 2; v6++) {
        OdpHcaRocePacket p, got;
        size_t len, ip, udp, bth;
        uint8_t *f;

        random_packet(&p, ODP_HCA_ROCE_RC_SEND_ONLY, v6, false, payload_buf);
        p.payload = payload_buf;
        p.payload_len = 61;
        len = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
        g_assert_cmpint(len, >, 0);
        ip = l3_off(&p);
        udp = ip + ip_hlen(&p);
        bth = udp + ODP_HCA_ROCE_UDP_HLEN;

#define CASE(edit, fix, want) do { \
            f = g_memdup2(frame_buf, len); \
            edit; \
            if (fix) { \
                fix_ip_csum(f, &p); \
            } \
            assert_reason(parse_guarded(f, len, PMTU, &got), want); \
            g_free(f); \
        } while (0)

        CASE(f[12] = 0x88, false, ODP_HCA_ROCE_NOT_IP);
        CASE(f[ip] ^= 0x20, true, ODP_HCA_ROCE_DROP_IP_VERSION);
        if (!v6) {
            CASE(f[ip] = 0x46, true, ODP_HCA_ROCE_DROP_IP_IHL);
            CASE(f[ip] = 0x44, true, ODP_HCA_ROCE_DROP_IP_IHL);
            CASE(f[ip + 2] += 1, true, ODP_HCA_ROCE_DROP_IP_LEN);
            CASE((f[ip + 2] = 0, f[ip + 3] = 19), true,
                 ODP_HCA_ROCE_DROP_IP_LEN);
            CASE(f[ip + 8] ^= 1, false, ODP_HCA_ROCE_DROP_IP_CSUM);
            CASE(f[ip + 6] |= 0x20, true, ODP_HCA_ROCE_DROP_IP_FRAGMENT);
            CASE(f[ip + 7] = 1, true, ODP_HCA_ROCE_DROP_IP_FRAGMENT);
            CASE(f[ip + 9] = 6, true, ODP_HCA_ROCE_NOT_UDP);
            /* Masked by the ICRC: TOS and TTL, once the IP sum is right. */
            CASE((f[ip + 1] ^= 0xff, f[ip + 8] ^= 0x55), true,
                 ODP_HCA_ROCE_OK);
            /* A right UDP checksum is taken, a wrong one is not. */
            CASE((f[udp + 6] = 0x12, f[udp + 7] = 0x34), false,
                 ODP_HCA_ROCE_DROP_UDP_CSUM);
        } else {
            CASE(f[ip + 4] += 1, false, ODP_HCA_ROCE_DROP_IP_LEN);
            CASE(f[ip + 6] = 0, false, ODP_HCA_ROCE_NOT_UDP);
            /* Masked: traffic class, flow label, hop limit (not in the
             * UDP checksum either). */
            CASE((f[ip] ^= 0x0f, f[ip + 1] ^= 0xff, f[ip + 3] ^= 0x5a,
                  f[ip + 7] ^= 0xff), false, ODP_HCA_ROCE_OK);
            CASE(f[udp + 6] ^= 0x40, false, ODP_HCA_ROCE_DROP_UDP_CSUM);
            /* A zero UDP checksum (what rxe sends) is taken. */
            CASE(f[udp + 6] = f[udp + 7] = 0, false, ODP_HCA_ROCE_OK);
        }
        CASE(f[udp + 3] ^= 1, false, ODP_HCA_ROCE_NOT_ROCE);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[udp + 5] -= 4), false,
             ODP_HCA_ROCE_DROP_UDP_LEN);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth + 1] |= 1), false,
             ODP_HCA_ROCE_DROP_TVER);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x15), false,
             ODP_HCA_ROCE_DROP_OPCODE);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x40), false,
             ODP_HCA_ROCE_DROP_OPCODE);
        /* SEND_ONLY -> SEND_FIRST: pad where none may be. */
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x00), false,
             ODP_HCA_ROCE_DROP_PAD);
        /* -> ACKNOWLEDGE: AETH, then bytes where there is no payload. */
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x11,
              f[bth + 1] &= ~0x30), false, ODP_HCA_ROCE_DROP_PAYLOAD);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x11), false,
             ODP_HCA_ROCE_DROP_PAD);
        /* -> WRITE_ONLY_IMM: its RETH + ImmDt eat the payload and more */
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth] = 0x0b), false,
             ODP_HCA_ROCE_DROP_ICRC);
        /* Masked: BTH resv8a (with the UDP sum 0, since it covers it). */
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth + 4] = 0xc3), false,
             ODP_HCA_ROCE_OK);
        /* Not masked: the rest of the BTH, payload, ICRC. */
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth + 8] ^= 0x01), false,
             ODP_HCA_ROCE_DROP_ICRC);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[bth + 20] ^= 0x80), false,
             ODP_HCA_ROCE_DROP_ICRC);
        CASE((f[udp + 6] = f[udp + 7] = 0, f[len - 1] ^= 0x01), false,
             ODP_HCA_ROCE_DROP_ICRC);
        /* MACs are not the parser's business. */
        CASE((f[0] ^= 0xff, f[11] ^= 0x01), false, ODP_HCA_ROCE_OK);
#undef CASE

        /* Payload against the path MTU. */
        assert_reason(parse_guarded(frame_buf, len, 61, &got),
                      ODP_HCA_ROCE_OK);
        assert_reason(parse_guarded(frame_buf, len, 60, &got),
                      ODP_HCA_ROCE_DROP_TOO_LONG);
    }
}

/* The frame's UDP checksum is 0 (none) or right: computed here again. */
static bool udp_csum_ok(const uint8_t *f, const OdpHcaRocePacket *p)
{
    const uint8_t *ip = f + l3_off(p), *udp = ip + ip_hlen(p);
    uint32_t ulen = udp[4] << 8 | udp[5], sum = 17 + ulen, i;

    if (!udp[6] && !udp[7]) {
        return true;
    }
    /* Pseudo header: the addresses (IPv4: 12..19, IPv6: 8..39). */
    for (i = p->ipv6 ? 8 : 12; i < (p->ipv6 ? 40 : 20); i += 2) {
        sum += ip[i] << 8 | ip[i + 1];
    }
    for (i = 0; i < ulen; i += 2) {
        sum += udp[i] << 8 | (i + 1 < ulen ? udp[i + 1] : 0);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum == 0xffff;
}

/*
 * Random corruptions of valid frames: one byte XORed.  The frame must be
 * refused unless the byte is outside what the checks cover (MACs, VLAN
 * tag) or in the ICRC's masked fields.
 */
static void test_corrupt(void)
{
    int n;

    for (n = 0; n < 20000; n++) {
        uint8_t op = all_ops[rnd(sizeof(all_ops))];
        bool v6 = rnd(2), vlan = rnd(2);
        OdpHcaRocePacket p, got;
        size_t len, pos, ip, udp, bth;
        uint8_t mask = 1 + rnd(255);
        OdpHcaRoceDrop r;
        bool may_pass;

        random_packet(&p, op, v6, vlan, payload_buf);
        if (p.payload_len > 256) {
            p.payload_len &= 0xfc;
        }
        len = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
        g_assert_cmpint(len, >, 0);
        ip = l3_off(&p);
        udp = ip + ip_hlen(&p);
        bth = udp + ODP_HCA_ROCE_UDP_HLEN;
        pos = rnd(len);
        frame_buf[pos] ^= mask;
        r = parse_guarded(frame_buf, len, PMTU, &got);

        if (pos < 12 || (vlan && (pos == 14 || pos == 15))) {
            may_pass = true;            /* MACs, TCI */
        } else if (v6 && pos == ip) {
            may_pass = !(mask & 0xf0);  /* version no, traffic class yes */
        } else if (v6 && ((pos > ip && pos < ip + 4) || pos == ip + 7)) {
            may_pass = true;            /* TC, flow label, hop limit */
        } else if (pos == udp + 6 || pos == udp + 7) {
            /* The UDP checksum: it may have become 0 ("none") or, by
             * chance, the right one (the ICRC masks it). */
            may_pass = udp_csum_ok(frame_buf, &p);
        } else if (pos == bth + 4) {
            /* resv8a: masked, but the IPv6 UDP checksum covers it */
            may_pass = !v6;
        } else {
            may_pass = false;
        }
        if ((r == ODP_HCA_ROCE_OK) != may_pass) {
            g_test_message("opcode 0x%02x %s%s, byte %zu of %zu ^= 0x%02x: %s",
                           op, v6 ? "IPv6" : "IPv4", vlan ? " VLAN" : "",
                           pos, len, mask, odp_hca_roce_drop_name(r));
        }
        if (may_pass) {
            assert_reason(r, ODP_HCA_ROCE_OK);
        } else {
            g_assert_cmpint(r, !=, ODP_HCA_ROCE_OK);
        }
    }
}

/* Random bytes, random lengths, and random bytes behind valid headers. */
static void test_garbage(void)
{
    static uint8_t junk[PMTU + 200];
    int n;

    for (n = 0; n < 20000; n++) {
        OdpHcaRocePacket got;
        size_t len = rnd(sizeof(junk) + 1);

        rnd_bytes(junk, len);
        if (n & 1 && len >= 60) {
            /* An IPv4 RoCE prefix so that parsing goes deeper. */
            static const uint8_t hdr[] = {
                0x08, 0x00, 0x45, 0x00,
            };
            memcpy(junk + 12, hdr, sizeof(hdr));
            junk[14 + 9] = 17;
            junk[14 + 20 + 2] = ODP_HCA_ROCE_UDP_PORT >> 8;
            junk[14 + 20 + 3] = ODP_HCA_ROCE_UDP_PORT & 0xff;
        }
        parse_guarded(junk, len, rnd(PMTU + 1), &got);
    }
}

/* What the builder refuses. */
static void test_build_errors(void)
{
    OdpHcaRocePacket p;
    size_t len;

    random_packet(&p, ODP_HCA_ROCE_RC_SEND_LAST, false, false, payload_buf);
    p.payload = payload_buf;
    p.payload_len = 13;
    len = odp_hca_roce_frame_len(&p);
    g_assert_cmpint(odp_hca_roce_build(&p, frame_buf, len), ==, len);
    g_assert_cmpint(odp_hca_roce_build(&p, frame_buf, len - 1), ==, -ENOSPC);

#define REFUSED(edit) do { \
        OdpHcaRocePacket q = p; \
        edit; \
        g_assert_cmpint(odp_hca_roce_build(&q, frame_buf, \
                                           sizeof(frame_buf)), ==, -EINVAL); \
    } while (0)

    REFUSED(q.opcode = 0x15);
    REFUSED(q.opcode = 0x18);
    REFUSED(q.dgid[10] = 0);            /* IPv4 source, IPv6 destination */
    REFUSED(q.dest_qpn = 1 << 24);
    REFUSED(q.psn = 1 << 24);
    REFUSED(q.tver = 16);
    REFUSED(q.flow_label = 1 << 20);
    REFUSED(q.payload = NULL);
    REFUSED(q.opcode = ODP_HCA_ROCE_RC_ACKNOWLEDGE);  /* payload on ACK */
    REFUSED(q.opcode = ODP_HCA_ROCE_RC_SEND_FIRST);   /* pad on FIRST */
    REFUSED(q.payload_len = 65536 - 20 - 8 - 12 - 4 - 3);
#undef REFUSED
    g_assert_cmpuint(odp_hca_roce_frame_len(&(OdpHcaRocePacket){
                         .opcode = 0x15 }), ==, 0);
}

/* UDP source ports: in the RoCE entropy range, from the flow label. */
static void test_sport(void)
{
    int n;

    for (n = 0; n < 1000; n++) {
        uint32_t a = rnd(1 << 24), b = rnd(1 << 24), fl = rnd(1 << 20);
        uint16_t s = odp_hca_roce_udp_sport(fl, a, b);

        g_assert_cmpuint(s, >=, ODP_HCA_ROCE_SPORT_MIN);
        g_assert_cmpuint(odp_hca_roce_udp_sport(fl, b, a + 1), ==,
                         fl ? s : odp_hca_roce_udp_sport(0, b, a + 1));
        g_assert_cmpuint(odp_hca_roce_udp_sport(0, a, b), ==,
                         odp_hca_roce_udp_sport(0, b, a));
    }
    /* Worked by hand: label 0xabcde -> 0x3cde ^ (0xabcde >> 14 = 0x2a). */
    g_assert_cmphex(odp_hca_roce_udp_sport(0xabcde, 1, 2), ==,
                    0xc000 | (0x3cde ^ 0x2a));
}

/*
 * --dump: a pcap of every standard opcode, both IP versions, tagged or
 * not.  The notify policy's experimental opcodes (the manufacturer range,
 * 0xc0 and up) are left out: the capture is checked against the IBTA's
 * table and Wireshark's decoder, which know nothing of them.
 */
static int dump(const char *path)
{
    FILE *f = fopen(path, "wb");
    uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
    size_t i;
    int v6, vlan, n = 0;

    if (!f) {
        perror(path);
        return 1;
    }
    fwrite(hdr, sizeof(hdr), 1, f);
    for (i = 0; i < sizeof(all_ops); i++) {
        if (all_ops[i] >= ODP_HCA_ROCE_X_NOT_READY) {
            continue;
        }
        for (v6 = 0; v6 < 2; v6++) {
            for (vlan = 0; vlan < 2; vlan++) {
                OdpHcaRocePacket p;
                uint32_t rec[4];
                size_t len;

                random_packet(&p, all_ops[i], v6, vlan, payload_buf);
                p.hop_limit |= 64;      /* no "TTL only 3" from tshark */
                /* Source ports as RoCE uses them (not a well-known one
                 * that tshark would decode the datagram as). */
                p.udp_sport = odp_hca_roce_udp_sport(p.flow_label,
                                                     p.dest_qpn, rnd32());
                len = odp_hca_roce_build(&p, frame_buf, sizeof(frame_buf));
                rec[0] = ++n;
                rec[1] = 0;
                rec[2] = rec[3] = len;
                fwrite(rec, sizeof(rec), 1, f);
                fwrite(frame_buf, len, 1, f);
                printf("%d 0x%02x %s %s %s %u %u %u %u\n", n, all_ops[i],
                       odp_hca_roce_opcode_info(all_ops[i])->name,
                       v6 ? "ipv6" : "ipv4", vlan ? "vlan" : "novlan",
                       p.dest_qpn, p.psn, p.pkey, p.payload_len);
            }
        }
    }
    return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *env = getenv("ODP_ROCE_SEED");
    guint32 seed = env ? strtoul(env, NULL, 0) : (guint32)g_get_real_time();

    fprintf(stderr, "# ODP_ROCE_SEED=%u\n", seed);
    rng = g_rand_new_with_seed(seed);
    if (argc == 3 && !strcmp(argv[1], "--dump")) {
        return dump(argv[2]);
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/odp-hca/roce/opcodes", test_opcodes);
    g_test_add_func("/odp-hca/roce/roundtrip", test_roundtrip);
    g_test_add_func("/odp-hca/roce/golden", test_golden);
    g_test_add_func("/odp-hca/roce/truncate", test_truncate);
    g_test_add_func("/odp-hca/roce/shrink", test_shrink);
    g_test_add_func("/odp-hca/roce/fields", test_fields);
    g_test_add_func("/odp-hca/roce/corrupt", test_corrupt);
    g_test_add_func("/odp-hca/roce/garbage", test_garbage);
    g_test_add_func("/odp-hca/roce/build-errors", test_build_errors);
    g_test_add_func("/odp-hca/roce/sport", test_sport);
    return g_test_run();
}
