/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: RoCEv2 frames: building and parsing them, and the ICRC.
 *
 * The layouts are those of the InfiniBand Architecture Specification
 * (BTH and extended transport headers, chapter 9) and of its RoCEv2
 * annex (A17: IP/UDP encapsulation, the ICRC over the IP packet with the
 * variant fields masked).  See odp-hca-roce.h for the interface.
 *
 * The module is self-contained (QEMU's osdep.h, glib, zlib's crc32() and
 * the interface header's PSN width), so that the unit test links it
 * alone.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include <zlib.h>
#include "odp-hca-hw.h"
#include "odp-hca-roce.h"

/*
 * Big-endian loads and stores, and the ICRC's little-endian ones (the
 * module does without QEMU's bswap.h).
 */
static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | rd24(p + 1);
}

static inline uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static inline uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | p[1] << 8 | p[0];
}

static inline void wr32le(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline void wr24(uint8_t *p, uint32_t v)
{
    p[0] = v >> 16;
    p[1] = v >> 8;
    p[2] = v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    wr24(p + 1, v);
}

static inline void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, v >> 32);
    wr32(p + 4, v);
}

/* The opcode table. */

#define F(x) ODP_HCA_ROCE_F_##x
#define RC_REQ      (F(REQUEST))
#define RC_RESP     (F(RESPONSE))

static const OdpHcaRoceOpInfo odp_hca_roce_ops[256] = {
    [ODP_HCA_ROCE_RC_SEND_FIRST] = {
        "RC_SEND_FIRST", RC_REQ | F(SEND) | F(PAYLOAD) | F(FIRST), 0 },
    [ODP_HCA_ROCE_RC_SEND_MIDDLE] = {
        "RC_SEND_MIDDLE", RC_REQ | F(SEND) | F(PAYLOAD) | F(MIDDLE), 0 },
    [ODP_HCA_ROCE_RC_SEND_LAST] = {
        "RC_SEND_LAST", RC_REQ | F(SEND) | F(PAYLOAD) | F(LAST), 0 },
    [ODP_HCA_ROCE_RC_SEND_LAST_IMM] = {
        "RC_SEND_LAST_WITH_IMMEDIATE",
        RC_REQ | F(SEND) | F(PAYLOAD) | F(LAST) | F(IMMDT),
        ODP_HCA_ROCE_IMMDT_LEN },
    [ODP_HCA_ROCE_RC_SEND_ONLY] = {
        "RC_SEND_ONLY", RC_REQ | F(SEND) | F(PAYLOAD) | F(ONLY), 0 },
    [ODP_HCA_ROCE_RC_SEND_ONLY_IMM] = {
        "RC_SEND_ONLY_WITH_IMMEDIATE",
        RC_REQ | F(SEND) | F(PAYLOAD) | F(ONLY) | F(IMMDT),
        ODP_HCA_ROCE_IMMDT_LEN },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_FIRST] = {
        "RC_RDMA_WRITE_FIRST",
        RC_REQ | F(WRITE) | F(PAYLOAD) | F(FIRST) | F(RETH),
        ODP_HCA_ROCE_RETH_LEN },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_MIDDLE] = {
        "RC_RDMA_WRITE_MIDDLE", RC_REQ | F(WRITE) | F(PAYLOAD) | F(MIDDLE),
        0 },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_LAST] = {
        "RC_RDMA_WRITE_LAST", RC_REQ | F(WRITE) | F(PAYLOAD) | F(LAST), 0 },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_LAST_IMM] = {
        "RC_RDMA_WRITE_LAST_WITH_IMMEDIATE",
        RC_REQ | F(WRITE) | F(PAYLOAD) | F(LAST) | F(IMMDT),
        ODP_HCA_ROCE_IMMDT_LEN },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY] = {
        "RC_RDMA_WRITE_ONLY",
        RC_REQ | F(WRITE) | F(PAYLOAD) | F(ONLY) | F(RETH),
        ODP_HCA_ROCE_RETH_LEN },
    [ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY_IMM] = {
        "RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE",
        RC_REQ | F(WRITE) | F(PAYLOAD) | F(ONLY) | F(RETH) | F(IMMDT),
        ODP_HCA_ROCE_RETH_LEN + ODP_HCA_ROCE_IMMDT_LEN },
    [ODP_HCA_ROCE_RC_RDMA_READ_REQUEST] = {
        "RC_RDMA_READ_REQUEST", RC_REQ | F(READ) | F(ONLY) | F(RETH),
        ODP_HCA_ROCE_RETH_LEN },
    [ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST] = {
        "RC_RDMA_READ_RESPONSE_FIRST",
        RC_RESP | F(READ) | F(PAYLOAD) | F(FIRST) | F(AETH),
        ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE] = {
        "RC_RDMA_READ_RESPONSE_MIDDLE",
        RC_RESP | F(READ) | F(PAYLOAD) | F(MIDDLE), 0 },
    [ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST] = {
        "RC_RDMA_READ_RESPONSE_LAST",
        RC_RESP | F(READ) | F(PAYLOAD) | F(LAST) | F(AETH),
        ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY] = {
        "RC_RDMA_READ_RESPONSE_ONLY",
        RC_RESP | F(READ) | F(PAYLOAD) | F(ONLY) | F(AETH),
        ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_RC_ACKNOWLEDGE] = {
        "RC_ACKNOWLEDGE", RC_RESP | F(ACK) | F(ONLY) | F(AETH),
        ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE] = {
        "RC_ATOMIC_ACKNOWLEDGE",
        RC_RESP | F(ATOMIC) | F(ONLY) | F(AETH) | F(ATOMIC_ACK),
        ODP_HCA_ROCE_AETH_LEN + ODP_HCA_ROCE_ATOMIC_ACK_LEN },
    [ODP_HCA_ROCE_RC_COMPARE_SWAP] = {
        "RC_COMPARE_SWAP", RC_REQ | F(ATOMIC) | F(ONLY) | F(ATOMIC_ETH),
        ODP_HCA_ROCE_ATOMIC_ETH_LEN },
    [ODP_HCA_ROCE_RC_FETCH_ADD] = {
        "RC_FETCH_ADD", RC_REQ | F(ATOMIC) | F(ONLY) | F(ATOMIC_ETH),
        ODP_HCA_ROCE_ATOMIC_ETH_LEN },
    [ODP_HCA_ROCE_RC_SEND_LAST_INV] = {
        "RC_SEND_LAST_WITH_INVALIDATE",
        RC_REQ | F(SEND) | F(PAYLOAD) | F(LAST) | F(IETH),
        ODP_HCA_ROCE_IETH_LEN },
    [ODP_HCA_ROCE_RC_SEND_ONLY_INV] = {
        "RC_SEND_ONLY_WITH_INVALIDATE",
        RC_REQ | F(SEND) | F(PAYLOAD) | F(ONLY) | F(IETH),
        ODP_HCA_ROCE_IETH_LEN },
    [ODP_HCA_ROCE_X_NOT_READY] = {
        "X_NOT_READY", RC_RESP | F(ONLY) | F(AETH), ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_X_READY] = {
        "X_READY", RC_RESP | F(ONLY) | F(AETH), ODP_HCA_ROCE_AETH_LEN },
    [ODP_HCA_ROCE_UD_SEND_ONLY] = {
        "UD_SEND_ONLY",
        F(UD) | F(REQUEST) | F(SEND) | F(PAYLOAD) | F(ONLY) | F(DETH),
        ODP_HCA_ROCE_DETH_LEN },
    [ODP_HCA_ROCE_UD_SEND_ONLY_IMM] = {
        "UD_SEND_ONLY_WITH_IMMEDIATE",
        F(UD) | F(REQUEST) | F(SEND) | F(PAYLOAD) | F(ONLY) | F(DETH) |
        F(IMMDT),
        ODP_HCA_ROCE_DETH_LEN + ODP_HCA_ROCE_IMMDT_LEN },
};

#undef RC_REQ
#undef RC_RESP
#undef F

const OdpHcaRoceOpInfo *odp_hca_roce_opcode_info(uint8_t opcode)
{
    const OdpHcaRoceOpInfo *op = &odp_hca_roce_ops[opcode];

    return op->name ? op : NULL;
}

static const char *const odp_hca_roce_drop_names[ODP_HCA_ROCE_DROP_MAX] = {
    [ODP_HCA_ROCE_OK] = "ok",
    [ODP_HCA_ROCE_DROP_ETH_SHORT] = "eth-short",
    [ODP_HCA_ROCE_NOT_IP] = "not-ip",
    [ODP_HCA_ROCE_DROP_IP_SHORT] = "ip-short",
    [ODP_HCA_ROCE_DROP_IP_VERSION] = "ip-version",
    [ODP_HCA_ROCE_DROP_IP_IHL] = "ip-ihl",
    [ODP_HCA_ROCE_DROP_IP_LEN] = "ip-len",
    [ODP_HCA_ROCE_DROP_IP_CSUM] = "ip-csum",
    [ODP_HCA_ROCE_DROP_IP_FRAGMENT] = "ip-fragment",
    [ODP_HCA_ROCE_NOT_UDP] = "not-udp",
    [ODP_HCA_ROCE_NOT_ROCE] = "not-roce",
    [ODP_HCA_ROCE_DROP_UDP_LEN] = "udp-len",
    [ODP_HCA_ROCE_DROP_UDP_CSUM] = "udp-csum",
    [ODP_HCA_ROCE_DROP_BTH_SHORT] = "bth-short",
    [ODP_HCA_ROCE_DROP_TVER] = "bth-tver",
    [ODP_HCA_ROCE_DROP_OPCODE] = "bth-opcode",
    [ODP_HCA_ROCE_DROP_EXT_SHORT] = "ext-short",
    [ODP_HCA_ROCE_DROP_PAD] = "bth-pad",
    [ODP_HCA_ROCE_DROP_PAYLOAD] = "payload-unexpected",
    [ODP_HCA_ROCE_DROP_TOO_LONG] = "payload-too-long",
    [ODP_HCA_ROCE_DROP_ICRC] = "icrc",
};

const char *odp_hca_roce_drop_name(OdpHcaRoceDrop why)
{
    if ((unsigned)why >= ODP_HCA_ROCE_DROP_MAX) {
        return "?";
    }
    return odp_hca_roce_drop_names[why];
}

bool odp_hca_roce_gid_is_ipv4(const uint8_t gid[16])
{
    static const uint8_t prefix[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };

    return memcmp(gid, prefix, sizeof(prefix)) == 0;
}

uint16_t odp_hca_roce_udp_sport(uint32_t flow_label, uint32_t lqpn,
                                uint32_t rqpn)
{
    uint32_t fl = flow_label & 0xfffff;

    if (!fl) {
        /* A label from the QPN pair, folded to 20 bits. */
        uint64_t v = (uint64_t)lqpn * rqpn;

        v ^= v >> 20;
        v ^= v >> 40;
        fl = v & 0xfffff;
    }
    /* 14 bits: the low ones, the high six folded in. */
    return ODP_HCA_ROCE_SPORT_MIN | ((fl & 0x3fff) ^ (fl >> 14));
}

/* The ICRC. */

uint32_t odp_hca_roce_icrc(const uint8_t *ip, size_t len, bool ipv6)
{
    /* The masked LRH of the InfiniBand packet RoCEv2 replaces. */
    static const uint8_t lrh[8] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
    };
    size_t ip_hlen = ipv6 ? ODP_HCA_ROCE_IPV6_HLEN : ODP_HCA_ROCE_IPV4_HLEN;
    size_t fixed = ip_hlen + ODP_HCA_ROCE_UDP_HLEN + ODP_HCA_ROCE_BTH_LEN;
    uint8_t hdr[ODP_HCA_ROCE_IPV6_HLEN + ODP_HCA_ROCE_UDP_HLEN +
                ODP_HCA_ROCE_BTH_LEN];
    size_t n = MIN(len, fixed);
    uLong crc;

    /* The variant fields, which routers may change, count as ones. */
    memset(hdr, 0xff, sizeof(hdr));
    memcpy(hdr, ip, n);
    if (ipv6) {
        hdr[0] |= 0x0f;                 /* traffic class, */
        hdr[1] = hdr[2] = hdr[3] = 0xff;    /* flow label */
        hdr[7] = 0xff;                  /* hop limit */
    } else {
        hdr[1] = 0xff;                  /* TOS: DSCP and ECN */
        hdr[8] = 0xff;                  /* TTL */
        hdr[10] = hdr[11] = 0xff;       /* header checksum */
    }
    hdr[ip_hlen + 6] = hdr[ip_hlen + 7] = 0xff;     /* UDP checksum */
    hdr[ip_hlen + ODP_HCA_ROCE_UDP_HLEN + 4] = 0xff; /* BTH resv8a */

    crc = crc32(0, lrh, sizeof(lrh));
    crc = crc32(crc, hdr, n);
    if (len > fixed) {
        crc = crc32(crc, ip + fixed, len - fixed);
    }
    return crc;
}

/* Internet checksums. */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += rd16(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

/* The IPv6 UDP checksum over @udp's @ulen bytes (checksum field included). */
static uint16_t udp6_csum(const uint8_t *ip6, const uint8_t *udp,
                          uint32_t ulen)
{
    uint32_t sum = 0;

    sum = csum_add(sum, ip6 + 8, 32);   /* source and destination */
    sum += ulen >> 16;
    sum += ulen & 0xffff;
    sum += 17;                          /* next header: UDP */
    sum = csum_add(sum, udp, ulen);
    return csum_fold(sum);
}

/* The builder. */

static void odp_hca_roce_put_ipv4(uint8_t *ip, const OdpHcaRocePacket *pkt,
                                  uint32_t udp_len)
{
    ip[0] = 0x45;
    ip[1] = pkt->tclass;
    wr16(ip + 2, ODP_HCA_ROCE_IPV4_HLEN + udp_len);
    wr16(ip + 4, 0);                /* identification */
    wr16(ip + 6, 0x4000);           /* don't fragment */
    ip[8] = pkt->hop_limit;
    ip[9] = 17;                     /* UDP */
    wr16(ip + 10, 0);
    memcpy(ip + 12, pkt->sgid + 12, 4);
    memcpy(ip + 16, pkt->dgid + 12, 4);
    wr16(ip + 10, csum_fold(csum_add(0, ip, ODP_HCA_ROCE_IPV4_HLEN)));
}

static void odp_hca_roce_put_ipv6(uint8_t *ip, const OdpHcaRocePacket *pkt,
                                  uint32_t udp_len)
{
    wr32(ip, 6u << 28 | (uint32_t)pkt->tclass << 20 | pkt->flow_label);
    wr16(ip + 4, udp_len);
    ip[6] = 17;                     /* UDP */
    ip[7] = pkt->hop_limit;
    memcpy(ip + 8, pkt->sgid, 16);
    memcpy(ip + 24, pkt->dgid, 16);
}

static bool odp_hca_roce_layout(const OdpHcaRocePacket *pkt,
                                const OdpHcaRoceOpInfo **opp, bool *v4p,
                                uint32_t *udp_lenp, size_t *frame_lenp)
{
    const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(pkt->opcode);
    uint32_t pad, udp_len;
    bool v4;

    if (!op) {
        return false;
    }
    v4 = odp_hca_roce_gid_is_ipv4(pkt->sgid);
    pad = -pkt->payload_len & 3;
    udp_len = ODP_HCA_ROCE_UDP_HLEN + ODP_HCA_ROCE_BTH_LEN + op->ext_len +
              ODP_HCA_ROCE_ICRC_LEN;
    /* The IPv4 total length (16 bits) bounds both families alike. */
    if (pkt->payload_len > UINT16_MAX - udp_len - pad -
                           ODP_HCA_ROCE_IPV4_HLEN) {
        return false;
    }
    udp_len += pkt->payload_len + pad;
    *opp = op;
    *v4p = v4;
    *udp_lenp = udp_len;
    *frame_lenp = ODP_HCA_ROCE_ETH_HLEN +
                  (pkt->vlan ? ODP_HCA_ROCE_VLAN_HLEN : 0) +
                  (v4 ? ODP_HCA_ROCE_IPV4_HLEN : ODP_HCA_ROCE_IPV6_HLEN) +
                  udp_len;
    return true;
}

size_t odp_hca_roce_frame_len(const OdpHcaRocePacket *pkt)
{
    const OdpHcaRoceOpInfo *op;
    uint32_t udp_len;
    size_t frame_len;
    bool v4;

    if (!odp_hca_roce_layout(pkt, &op, &v4, &udp_len, &frame_len)) {
        return 0;
    }
    return frame_len;
}

bool odp_hca_roce_grh(const OdpHcaRocePacket *pkt,
                      uint8_t grh[ODP_HCA_GRH_LEN])
{
    const OdpHcaRoceOpInfo *op;
    uint32_t udp_len = 0;
    size_t frame_len;
    bool v4 = false;

    /* The lengths are those of the frame the packet came in. */
    if (!odp_hca_roce_layout(pkt, &op, &v4, &udp_len, &frame_len)) {
        v4 = false;
    }
    memset(grh, 0, ODP_HCA_GRH_LEN);
    if (v4) {
        odp_hca_roce_put_ipv4(grh + ODP_HCA_GRH_IPV4_OFFSET, pkt, udp_len);
    } else {
        odp_hca_roce_put_ipv6(grh, pkt, udp_len);
    }
    return v4;
}

ssize_t odp_hca_roce_build(const OdpHcaRocePacket *pkt, uint8_t *buf,
                           size_t buf_len)
{
    const OdpHcaRoceOpInfo *op;
    uint32_t udp_len, pad;
    size_t frame_len, ip_hlen;
    uint8_t *p, *ip, *udp;
    bool v4;

    if (!odp_hca_roce_layout(pkt, &op, &v4, &udp_len, &frame_len) ||
        v4 != odp_hca_roce_gid_is_ipv4(pkt->dgid) ||
        pkt->dest_qpn > ODP_HCA_ROCE_FIELD24_MAX ||
        pkt->psn > ODP_HCA_PSN_MASK ||
        pkt->tver > 15 || pkt->flow_label > 0xfffff ||
        pkt->aeth.msn > ODP_HCA_ROCE_FIELD24_MAX ||
        pkt->deth.src_qpn > ODP_HCA_ROCE_FIELD24_MAX ||
        (pkt->payload_len && !pkt->payload)) {
        return -EINVAL;
    }
    pad = -pkt->payload_len & 3;
    if (!(op->flags & ODP_HCA_ROCE_F_PAYLOAD) ? pkt->payload_len != 0 :
        pad && !(op->flags & ODP_HCA_ROCE_F_LAST)) {
        /* No payload where the opcode has none; pad only at the end. */
        return -EINVAL;
    }
    if (buf_len < frame_len) {
        return -ENOSPC;
    }

    /* Ethernet and the 802.1Q tag. */
    p = buf;
    memcpy(p, pkt->dst_mac, 6);
    memcpy(p + 6, pkt->src_mac, 6);
    p += 12;
    if (pkt->vlan) {
        wr16(p, ODP_HCA_ROCE_ETHERTYPE_VLAN);
        wr16(p + 2, pkt->vlan_tci);
        p += ODP_HCA_ROCE_VLAN_HLEN;
    }
    wr16(p, v4 ? ODP_HCA_ROCE_ETHERTYPE_IPV4 : ODP_HCA_ROCE_ETHERTYPE_IPV6);
    p += 2;

    /* IP. */
    ip = p;
    if (v4) {
        ip_hlen = ODP_HCA_ROCE_IPV4_HLEN;
        odp_hca_roce_put_ipv4(ip, pkt, udp_len);
    } else {
        ip_hlen = ODP_HCA_ROCE_IPV6_HLEN;
        odp_hca_roce_put_ipv6(ip, pkt, udp_len);
    }
    p += ip_hlen;

    /* UDP; the checksum comes last (IPv6) or stays 0 (IPv4). */
    udp = p;
    wr16(udp, pkt->udp_sport);
    wr16(udp + 2, ODP_HCA_ROCE_UDP_PORT);
    wr16(udp + 4, udp_len);
    wr16(udp + 6, 0);
    p += ODP_HCA_ROCE_UDP_HLEN;

    /* BTH. */
    p[0] = pkt->opcode;
    p[1] = (pkt->se ? 0x80 : 0) | (pkt->mig ? 0x40 : 0) | pad << 4 |
           pkt->tver;
    wr16(p + 2, pkt->pkey);
    p[4] = 0;                           /* resv8a (FECN, BECN) */
    wr24(p + 5, pkt->dest_qpn);
    p[8] = (pkt->ack_req ? 0x80 : 0) |
           (pkt->x_notify ? ODP_HCA_ROCE_BTH_X_NOTIFY : 0);
    wr24(p + 9, pkt->psn);
    p += ODP_HCA_ROCE_BTH_LEN;

    /* Extended headers, in the order of the IBTA spec. */
    if (op->flags & ODP_HCA_ROCE_F_DETH) {
        wr32(p, pkt->deth.qkey);
        p[4] = 0;
        wr24(p + 5, pkt->deth.src_qpn);
        p += ODP_HCA_ROCE_DETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_RETH) {
        wr64(p, pkt->reth.va);
        wr32(p + 8, pkt->reth.rkey);
        wr32(p + 12, pkt->reth.dma_len);
        p += ODP_HCA_ROCE_RETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ETH) {
        wr64(p, pkt->atomic.va);
        wr32(p + 8, pkt->atomic.rkey);
        wr64(p + 12, pkt->atomic.swap_add);
        wr64(p + 20, pkt->atomic.compare);
        p += ODP_HCA_ROCE_ATOMIC_ETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_AETH) {
        p[0] = pkt->aeth.syndrome;
        wr24(p + 1, pkt->aeth.msn);
        p += ODP_HCA_ROCE_AETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ACK) {
        wr64(p, pkt->atomic_ack);
        p += ODP_HCA_ROCE_ATOMIC_ACK_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_IMMDT) {
        wr32(p, pkt->imm);
        p += ODP_HCA_ROCE_IMMDT_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_IETH) {
        wr32(p, pkt->ieth_rkey);
        p += ODP_HCA_ROCE_IETH_LEN;
    }

    /* Payload, pad, then the checksums over it and the ICRC. */
    if (pkt->payload_len) {
        if (pkt->payload != p) {
            memcpy(p, pkt->payload, pkt->payload_len);
        }
        p += pkt->payload_len;
    }
    memset(p, 0, pad);
    p += pad;
    if (pkt->hairpin) {
        /* Never on a wire: no ICRC, and the IPv6 UDP checksum stays 0. */
        wr32le(p, 0);
    } else if (!v4) {
        /*
         * IPv6 forbids a zero UDP checksum outside tunnels (RFC 8200);
         * the ICRC masks the field, so it can be computed before or
         * after.  Over the ICRC too: write that first.
         */
        uint32_t icrc = odp_hca_roce_icrc(ip, p - ip, true);
        uint16_t sum;

        wr32le(p, icrc);
        sum = udp6_csum(ip, udp, udp_len);
        wr16(udp + 6, sum ? sum : 0xffff);
    } else {
        wr32le(p, odp_hca_roce_icrc(ip, p - ip, false));
    }
    p += ODP_HCA_ROCE_ICRC_LEN;
    assert(p - buf == frame_len);
    return frame_len;
}

/* The parser. */

static OdpHcaRoceDrop odp_hca_roce_parse_frame(const uint8_t *frame,
                                               size_t len, uint32_t pmtu,
                                               bool hairpin,
                                               OdpHcaRocePacket *pkt)
{
    const OdpHcaRoceOpInfo *op;
    const uint8_t *ip, *udp, *bth, *p;
    size_t off, avail, ip_len, ip_hlen;
    uint32_t udp_len, rest, body;
    uint16_t ethertype, sum;

    memset(pkt, 0, sizeof(*pkt));

    /* Ethernet, and an 802.1Q tag. */
    if (len < ODP_HCA_ROCE_ETH_HLEN) {
        return ODP_HCA_ROCE_DROP_ETH_SHORT;
    }
    memcpy(pkt->dst_mac, frame, 6);
    memcpy(pkt->src_mac, frame + 6, 6);
    ethertype = rd16(frame + 12);
    off = ODP_HCA_ROCE_ETH_HLEN;
    if (ethertype == ODP_HCA_ROCE_ETHERTYPE_VLAN) {
        if (len < ODP_HCA_ROCE_ETH_HLEN + ODP_HCA_ROCE_VLAN_HLEN) {
            return ODP_HCA_ROCE_DROP_ETH_SHORT;
        }
        pkt->vlan = true;
        pkt->vlan_tci = rd16(frame + 14);
        ethertype = rd16(frame + 16);
        off += ODP_HCA_ROCE_VLAN_HLEN;
    }
    if (ethertype == ODP_HCA_ROCE_ETHERTYPE_IPV6) {
        pkt->ipv6 = true;
    } else if (ethertype != ODP_HCA_ROCE_ETHERTYPE_IPV4) {
        return ODP_HCA_ROCE_NOT_IP;
    }

    /* IP. */
    ip = frame + off;
    avail = len - off;                  /* Ethernet may pad the frame */
    if (!pkt->ipv6) {
        ip_hlen = ODP_HCA_ROCE_IPV4_HLEN;
        if (avail < ip_hlen) {
            return ODP_HCA_ROCE_DROP_IP_SHORT;
        }
        if (ip[0] >> 4 != 4) {
            return ODP_HCA_ROCE_DROP_IP_VERSION;
        }
        if ((ip[0] & 0xf) != ip_hlen / 4) {
            return ODP_HCA_ROCE_DROP_IP_IHL;
        }
        ip_len = rd16(ip + 2);
        if (ip_len > avail || ip_len < ip_hlen) {
            return ODP_HCA_ROCE_DROP_IP_LEN;
        }
        if (csum_fold(csum_add(0, ip, ip_hlen)) != 0) {
            return ODP_HCA_ROCE_DROP_IP_CSUM;
        }
        if (rd16(ip + 6) & 0x3fff) {    /* more fragments, or an offset */
            return ODP_HCA_ROCE_DROP_IP_FRAGMENT;
        }
        if (ip[9] != 17) {
            return ODP_HCA_ROCE_NOT_UDP;
        }
        pkt->tclass = ip[1];
        pkt->hop_limit = ip[8];
        pkt->sgid[10] = pkt->sgid[11] = 0xff;
        pkt->dgid[10] = pkt->dgid[11] = 0xff;
        memcpy(pkt->sgid + 12, ip + 12, 4);
        memcpy(pkt->dgid + 12, ip + 16, 4);
    } else {
        ip_hlen = ODP_HCA_ROCE_IPV6_HLEN;
        if (avail < ip_hlen) {
            return ODP_HCA_ROCE_DROP_IP_SHORT;
        }
        if (ip[0] >> 4 != 6) {
            return ODP_HCA_ROCE_DROP_IP_VERSION;
        }
        ip_len = ip_hlen + rd16(ip + 4);
        if (ip_len > avail) {
            return ODP_HCA_ROCE_DROP_IP_LEN;
        }
        if (ip[6] != 17) {              /* no extension headers */
            return ODP_HCA_ROCE_NOT_UDP;
        }
        pkt->tclass = (rd16(ip) >> 4) & 0xff;
        pkt->flow_label = rd24(ip + 1) & 0xfffff;
        pkt->hop_limit = ip[7];
        memcpy(pkt->sgid, ip + 8, 16);
        memcpy(pkt->dgid, ip + 24, 16);
    }

    /* UDP. */
    udp = ip + ip_hlen;
    if (ip_len - ip_hlen < ODP_HCA_ROCE_UDP_HLEN) {
        return ODP_HCA_ROCE_DROP_UDP_LEN;
    }
    if (rd16(udp + 2) != ODP_HCA_ROCE_UDP_PORT) {
        return ODP_HCA_ROCE_NOT_ROCE;
    }
    udp_len = rd16(udp + 4);
    if (udp_len != ip_len - ip_hlen) {
        return ODP_HCA_ROCE_DROP_UDP_LEN;
    }
    sum = rd16(udp + 6);
    if (sum) {
        /* 0 is "no checksum", as RoCEv2 senders use (IPv6 included). */
        uint32_t acc;

        if (pkt->ipv6) {
            acc = udp6_csum(ip, udp, udp_len);
        } else {
            acc = csum_add(0, ip + 12, 8);
            acc += udp_len + 17;
            acc = csum_fold(csum_add(acc, udp, udp_len));
        }
        if (acc != 0) {
            return ODP_HCA_ROCE_DROP_UDP_CSUM;
        }
    }
    pkt->udp_sport = rd16(udp);

    /* BTH. */
    bth = udp + ODP_HCA_ROCE_UDP_HLEN;
    rest = udp_len - ODP_HCA_ROCE_UDP_HLEN;     /* BTH to ICRC */
    if (rest < ODP_HCA_ROCE_BTH_LEN + ODP_HCA_ROCE_ICRC_LEN) {
        return ODP_HCA_ROCE_DROP_BTH_SHORT;
    }
    pkt->opcode = bth[0];
    pkt->se = bth[1] & 0x80;
    pkt->mig = bth[1] & 0x40;
    pkt->pad = (bth[1] >> 4) & 3;
    pkt->tver = bth[1] & 0xf;
    pkt->pkey = rd16(bth + 2);
    pkt->dest_qpn = rd24(bth + 5);
    pkt->ack_req = bth[8] & 0x80;
    pkt->x_notify = bth[8] & ODP_HCA_ROCE_BTH_X_NOTIFY;
    pkt->psn = rd24(bth + 9);
    if (pkt->tver != 0) {
        return ODP_HCA_ROCE_DROP_TVER;
    }
    op = odp_hca_roce_opcode_info(pkt->opcode);
    if (!op) {
        return ODP_HCA_ROCE_DROP_OPCODE;
    }
    if (rest < ODP_HCA_ROCE_BTH_LEN + op->ext_len + ODP_HCA_ROCE_ICRC_LEN) {
        return ODP_HCA_ROCE_DROP_EXT_SHORT;
    }
    /* Payload and pad. */
    body = rest - ODP_HCA_ROCE_BTH_LEN - op->ext_len - ODP_HCA_ROCE_ICRC_LEN;
    if (!(op->flags & ODP_HCA_ROCE_F_PAYLOAD)) {
        if (pkt->pad) {
            return ODP_HCA_ROCE_DROP_PAD;
        }
        if (body) {
            return ODP_HCA_ROCE_DROP_PAYLOAD;
        }
    } else if (pkt->pad > body ||
               (pkt->pad && !(op->flags & ODP_HCA_ROCE_F_LAST))) {
        return ODP_HCA_ROCE_DROP_PAD;
    }

    /* Extended headers. */
    p = bth + ODP_HCA_ROCE_BTH_LEN;
    if (op->flags & ODP_HCA_ROCE_F_DETH) {
        pkt->deth.qkey = rd32(p);
        pkt->deth.src_qpn = rd24(p + 5);
        p += ODP_HCA_ROCE_DETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_RETH) {
        pkt->reth.va = rd64(p);
        pkt->reth.rkey = rd32(p + 8);
        pkt->reth.dma_len = rd32(p + 12);
        p += ODP_HCA_ROCE_RETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ETH) {
        pkt->atomic.va = rd64(p);
        pkt->atomic.rkey = rd32(p + 8);
        pkt->atomic.swap_add = rd64(p + 12);
        pkt->atomic.compare = rd64(p + 20);
        p += ODP_HCA_ROCE_ATOMIC_ETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_AETH) {
        pkt->aeth.syndrome = p[0];
        pkt->aeth.msn = rd24(p + 1);
        p += ODP_HCA_ROCE_AETH_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_ATOMIC_ACK) {
        pkt->atomic_ack = rd64(p);
        p += ODP_HCA_ROCE_ATOMIC_ACK_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_IMMDT) {
        pkt->imm = rd32(p);
        p += ODP_HCA_ROCE_IMMDT_LEN;
    }
    if (op->flags & ODP_HCA_ROCE_F_IETH) {
        pkt->ieth_rkey = rd32(p);
        p += ODP_HCA_ROCE_IETH_LEN;
    }
    pkt->payload = p;
    pkt->payload_len = body - pkt->pad;
    if (pkt->payload_len > pmtu) {
        return ODP_HCA_ROCE_DROP_TOO_LONG;
    }

    /* ICRC, last: it covers everything from the IP header on. */
    pkt->icrc = rd32le(bth + rest - ODP_HCA_ROCE_ICRC_LEN);
    pkt->hairpin = hairpin;
    if (!hairpin && odp_hca_roce_icrc(ip, ip_hlen + ODP_HCA_ROCE_UDP_HLEN + rest -
                              ODP_HCA_ROCE_ICRC_LEN, pkt->ipv6) != pkt->icrc) {
        return ODP_HCA_ROCE_DROP_ICRC;
    }
    return ODP_HCA_ROCE_OK;
}

OdpHcaRoceDrop odp_hca_roce_parse(const uint8_t *frame, size_t len,
                                  uint32_t pmtu, OdpHcaRocePacket *pkt)
{
    return odp_hca_roce_parse_frame(frame, len, pmtu, false, pkt);
}

OdpHcaRoceDrop odp_hca_roce_parse_hairpin(const uint8_t *frame, size_t len,
                                          uint32_t pmtu,
                                          OdpHcaRocePacket *pkt)
{
    return odp_hca_roce_parse_frame(frame, len, pmtu, true, pkt);
}

size_t odp_hca_roce_payload_offset(const OdpHcaRocePacket *pkt)
{
    size_t frame_len = odp_hca_roce_frame_len(pkt);

    if (!frame_len) {
        return 0;
    }
    return frame_len - ODP_HCA_ROCE_ICRC_LEN - (-pkt->payload_len & 3) -
           pkt->payload_len;
}
