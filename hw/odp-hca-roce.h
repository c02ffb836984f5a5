/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: RoCEv2 frames: building and parsing them, and the ICRC.
 *
 * A RoCEv2 frame is Ethernet (with an optional 802.1Q tag), IPv4 or IPv6,
 * UDP to port 4791, the InfiniBand Base Transport Header (BTH), the
 * extended transport headers the opcode carries, the payload padded to 4
 * bytes, and the 4-byte invariant CRC (ICRC).  This module knows the wire
 * layouts and nothing of queue pairs: the transport fills an
 * OdpHcaRocePacket and builds a frame from it, or parses a frame from the
 * network into one.  Frames from the network are hostile input: the
 * parser checks every length and field before it uses it and never reads
 * outside the frame; a frame it refuses gets one OdpHcaRoceDrop reason.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#ifndef HW_ODP_HCA_ROCE_H
#define HW_ODP_HCA_ROCE_H

/* ODP_HCA_GRH_LEN: the unit test includes this header alone. */
#include "odp-hca-hw.h"

/* UDP destination port of RoCEv2 (IANA). */
#define ODP_HCA_ROCE_UDP_PORT       4791
/* UDP source ports for flow entropy: 0xc000..0xffff, as IB core uses. */
#define ODP_HCA_ROCE_SPORT_MIN      0xc000

/* Header sizes on the wire, in bytes. */
#define ODP_HCA_ROCE_ETH_HLEN       14
#define ODP_HCA_ROCE_VLAN_HLEN      4
#define ODP_HCA_ROCE_IPV4_HLEN      20
#define ODP_HCA_ROCE_IPV6_HLEN      40
#define ODP_HCA_ROCE_UDP_HLEN       8
#define ODP_HCA_ROCE_BTH_LEN        12
#define ODP_HCA_ROCE_RETH_LEN       16
#define ODP_HCA_ROCE_AETH_LEN       4
#define ODP_HCA_ROCE_DETH_LEN       8
#define ODP_HCA_ROCE_ATOMIC_ETH_LEN 28
#define ODP_HCA_ROCE_ATOMIC_ACK_LEN 8
#define ODP_HCA_ROCE_IMMDT_LEN      4
#define ODP_HCA_ROCE_IETH_LEN       4
#define ODP_HCA_ROCE_ICRC_LEN       4

/*
 * The largest value of the 24-bit wire fields other than the PSN (whose
 * width is the interface's, ODP_HCA_PSN_MASK): QPNs, the AETH's MSN.
 */
#define ODP_HCA_ROCE_FIELD24_MAX    ((1u << 24) - 1)

#define ODP_HCA_ROCE_ETHERTYPE_IPV4 0x0800
#define ODP_HCA_ROCE_ETHERTYPE_IPV6 0x86dd
#define ODP_HCA_ROCE_ETHERTYPE_VLAN 0x8100

/* The largest extended headers of any opcode (AtomicETH). */
#define ODP_HCA_ROCE_MAX_EXT_LEN    ODP_HCA_ROCE_ATOMIC_ETH_LEN
/* The largest frame without payload and pad: VLAN tag and IPv6. */
#define ODP_HCA_ROCE_MAX_OVERHEAD \
    (ODP_HCA_ROCE_ETH_HLEN + ODP_HCA_ROCE_VLAN_HLEN + \
     ODP_HCA_ROCE_IPV6_HLEN + ODP_HCA_ROCE_UDP_HLEN + \
     ODP_HCA_ROCE_BTH_LEN + ODP_HCA_ROCE_MAX_EXT_LEN + \
     ODP_HCA_ROCE_ICRC_LEN)

/* BTH opcodes: transport (bits 7-5: 000 RC, 011 UD) and operation. */
typedef enum OdpHcaRoceOpcode {
    ODP_HCA_ROCE_RC_SEND_FIRST                = 0x00,
    ODP_HCA_ROCE_RC_SEND_MIDDLE               = 0x01,
    ODP_HCA_ROCE_RC_SEND_LAST                 = 0x02,
    ODP_HCA_ROCE_RC_SEND_LAST_IMM             = 0x03,
    ODP_HCA_ROCE_RC_SEND_ONLY                 = 0x04,
    ODP_HCA_ROCE_RC_SEND_ONLY_IMM             = 0x05,
    ODP_HCA_ROCE_RC_RDMA_WRITE_FIRST          = 0x06,
    ODP_HCA_ROCE_RC_RDMA_WRITE_MIDDLE         = 0x07,
    ODP_HCA_ROCE_RC_RDMA_WRITE_LAST           = 0x08,
    ODP_HCA_ROCE_RC_RDMA_WRITE_LAST_IMM       = 0x09,
    ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY           = 0x0a,
    ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY_IMM       = 0x0b,
    ODP_HCA_ROCE_RC_RDMA_READ_REQUEST         = 0x0c,
    ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST  = 0x0d,
    ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE = 0x0e,
    ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST   = 0x0f,
    ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY   = 0x10,
    ODP_HCA_ROCE_RC_ACKNOWLEDGE               = 0x11,
    ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE        = 0x12,
    ODP_HCA_ROCE_RC_COMPARE_SWAP              = 0x13,
    ODP_HCA_ROCE_RC_FETCH_ADD                 = 0x14,
    ODP_HCA_ROCE_RC_SEND_LAST_INV             = 0x16,
    ODP_HCA_ROCE_RC_SEND_ONLY_INV             = 0x17,
    ODP_HCA_ROCE_UD_SEND_ONLY                 = 0x64,
    ODP_HCA_ROCE_UD_SEND_ONLY_IMM             = 0x65,
    /*
     * The notify responder-fault policy's experimental exchange, in the
     * manufacturer-specific opcode range (bits 7-6 11), which a standard
     * RoCE receiver drops as unknown: BTH + AETH, like an ACKNOWLEDGE.
     * NOT_READY: the request at the PSN met a missing page, wait for
     * READY; READY: resend from the PSN now.  Sent only to a requester
     * whose requests carry ODP_HCA_ROCE_BTH_X_NOTIFY.
     */
    ODP_HCA_ROCE_X_NOT_READY                  = 0xc0,
    ODP_HCA_ROCE_X_READY                      = 0xc1,
} OdpHcaRoceOpcode;

/*
 * A reserved bit of the BTH's ninth byte (next to AckReq), which
 * standard receivers ignore: set by a sender that takes NOT_READY and
 * READY (the notify policy's negotiation, carried in every packet).
 */
#define ODP_HCA_ROCE_BTH_X_NOTIFY 0x40

/* What an opcode carries and is: OdpHcaRoceOpInfo.flags. */
enum {
    /* Extended headers, in this order after the BTH when present. */
    ODP_HCA_ROCE_F_DETH       = 1u << 0,
    ODP_HCA_ROCE_F_RETH       = 1u << 1,
    ODP_HCA_ROCE_F_ATOMIC_ETH = 1u << 2,
    ODP_HCA_ROCE_F_AETH       = 1u << 3,
    ODP_HCA_ROCE_F_ATOMIC_ACK = 1u << 4,
    ODP_HCA_ROCE_F_IMMDT      = 1u << 5,
    ODP_HCA_ROCE_F_IETH       = 1u << 6,
    /* The packet carries payload (possibly 0 bytes of it). */
    ODP_HCA_ROCE_F_PAYLOAD    = 1u << 7,
    /* Position in the message. */
    ODP_HCA_ROCE_F_FIRST      = 1u << 8,
    ODP_HCA_ROCE_F_MIDDLE     = 1u << 9,
    ODP_HCA_ROCE_F_LAST       = 1u << 10,
    ODP_HCA_ROCE_F_ONLY       = ODP_HCA_ROCE_F_FIRST | ODP_HCA_ROCE_F_LAST,
    /* Request (requester to responder) or response. */
    ODP_HCA_ROCE_F_REQUEST    = 1u << 11,
    ODP_HCA_ROCE_F_RESPONSE   = 1u << 12,
    /* Operation. */
    ODP_HCA_ROCE_F_SEND       = 1u << 13,
    ODP_HCA_ROCE_F_WRITE      = 1u << 14,
    ODP_HCA_ROCE_F_READ       = 1u << 15,
    ODP_HCA_ROCE_F_ATOMIC     = 1u << 16,
    ODP_HCA_ROCE_F_ACK        = 1u << 17,
    /* Transport. */
    ODP_HCA_ROCE_F_UD         = 1u << 18,
};

typedef struct OdpHcaRoceOpInfo {
    const char *name;       /* "RC_SEND_FIRST", ... as the IBTA names them */
    uint32_t flags;         /* ODP_HCA_ROCE_F_* */
    uint8_t ext_len;        /* bytes of extended headers after the BTH */
} OdpHcaRoceOpInfo;

/*
 * A RoCEv2 packet, parsed or to be built.  Numbers are host-order values
 * of the wire fields.  Addresses are GIDs: an IPv4-mapped GID
 * (::ffff:a.b.c.d) stands for IPv4 address a.b.c.d.  The extended header
 * members are meaningful only when the opcode carries that header.
 */
typedef struct OdpHcaRocePacket {
    /* Ethernet */
    uint8_t dst_mac[6];
    uint8_t src_mac[6];
    bool vlan;              /* an 802.1Q tag follows the source MAC */
    uint16_t vlan_tci;      /* its PCP, DEI and VID */

    /* IP and UDP */
    bool ipv6;              /* parser: the frame is IPv6 (builder: ignored) */
    uint8_t sgid[16];
    uint8_t dgid[16];
    uint8_t tclass;         /* IPv4 TOS / IPv6 traffic class: DSCP << 2 | ECN */
    uint8_t hop_limit;      /* IPv4 TTL / IPv6 hop limit */
    uint32_t flow_label;    /* IPv6 only, 20 bits */
    uint16_t udp_sport;     /* flow entropy (odp_hca_roce_udp_sport()) */

    /* BTH */
    uint8_t opcode;         /* OdpHcaRoceOpcode */
    bool se;                /* solicited event */
    bool mig;               /* MigReq */
    uint8_t pad;            /* pad count; the builder computes it */
    uint8_t tver;           /* transport header version, 0 */
    uint16_t pkey;
    uint32_t dest_qpn;      /* 24 bits */
    bool ack_req;
    bool x_notify;          /* ODP_HCA_ROCE_BTH_X_NOTIFY */
    uint32_t psn;           /* 24 bits */

    /* Extended transport headers */
    struct {
        uint64_t va;
        uint32_t rkey;
        uint32_t dma_len;
    } reth;
    struct {
        uint8_t syndrome;
        uint32_t msn;       /* 24 bits */
    } aeth;
    struct {
        uint32_t qkey;
        uint32_t src_qpn;   /* 24 bits */
    } deth;
    struct {
        uint64_t va;
        uint32_t rkey;
        uint64_t swap_add;  /* swap (COMPARE_SWAP) or add (FETCH_ADD) data */
        uint64_t compare;
    } atomic;
    uint64_t atomic_ack;    /* AtomicAckETH: the original remote data */
    uint32_t imm;           /* ImmDt, the 4 wire bytes read big-endian */
    uint32_t ieth_rkey;     /* IETH: the R_Key to invalidate */

    /* Payload: builder input; parser output points into the frame. */
    const uint8_t *payload;
    uint32_t payload_len;

    uint32_t icrc;          /* parser: the frame's ICRC */

    /*
     * The frame is built by this adapter for itself (loopback) and never
     * reaches a wire: the builder leaves the ICRC (and an IPv6 UDP
     * checksum) 0, odp_hca_roce_parse_hairpin() does not check it.  A
     * CRC over every byte twice would cost loopback most of its speed
     * and protect nothing that leaves the device's memory.
     */
    bool hairpin;
} OdpHcaRocePacket;

/*
 * Why the parser refused a frame: one reason each, in the order the
 * parser checks.  ODP_HCA_ROCE_NOT_IP, _NOT_UDP and _NOT_ROCE mean the
 * frame is well formed as far as read but is no RoCEv2 frame.
 */
typedef enum OdpHcaRoceDrop {
    ODP_HCA_ROCE_OK = 0,
    ODP_HCA_ROCE_DROP_ETH_SHORT,      /* shorter than its Ethernet header/tag */
    ODP_HCA_ROCE_NOT_IP,              /* EtherType neither IPv4 nor IPv6 */
    ODP_HCA_ROCE_DROP_IP_SHORT,       /* shorter than its IP header */
    ODP_HCA_ROCE_DROP_IP_VERSION,     /* IP version not the EtherType's */
    ODP_HCA_ROCE_DROP_IP_IHL,         /* IPv4 header not 20 bytes (options) */
    ODP_HCA_ROCE_DROP_IP_LEN,         /* IP length beyond the frame, or short */
    ODP_HCA_ROCE_DROP_IP_CSUM,        /* IPv4 header checksum wrong */
    ODP_HCA_ROCE_DROP_IP_FRAGMENT,    /* IPv4 fragment */
    ODP_HCA_ROCE_NOT_UDP,             /* IP protocol / next header not UDP */
    ODP_HCA_ROCE_NOT_ROCE,            /* UDP destination port not 4791 */
    ODP_HCA_ROCE_DROP_UDP_LEN,        /* UDP length not the IP payload's */
    ODP_HCA_ROCE_DROP_UDP_CSUM,       /* UDP checksum neither 0 nor right */
    ODP_HCA_ROCE_DROP_BTH_SHORT,      /* no room for BTH and ICRC */
    ODP_HCA_ROCE_DROP_TVER,           /* BTH TVer not 0 */
    ODP_HCA_ROCE_DROP_OPCODE,         /* opcode unknown or not supported */
    ODP_HCA_ROCE_DROP_EXT_SHORT,      /* no room for the opcode's headers */
    ODP_HCA_ROCE_DROP_PAD,            /* pad count where none may be, or
                                         more than the payload */
    ODP_HCA_ROCE_DROP_PAYLOAD,        /* payload on an opcode that has none */
    ODP_HCA_ROCE_DROP_TOO_LONG,       /* payload longer than the path MTU */
    ODP_HCA_ROCE_DROP_ICRC,           /* ICRC wrong */
    ODP_HCA_ROCE_DROP_MAX
} OdpHcaRoceDrop;

/* The opcode's description, or NULL for an opcode this device lacks. */
const OdpHcaRoceOpInfo *odp_hca_roce_opcode_info(uint8_t opcode);

/* "ok", "eth-short", ... (for counters and traces); "?" out of range. */
const char *odp_hca_roce_drop_name(OdpHcaRoceDrop why);

/* The GID is IPv4-mapped (::ffff:a.b.c.d). */
bool odp_hca_roce_gid_is_ipv4(const uint8_t gid[16]);

/*
 * The UDP source port of a flow, as Linux IB core picks it
 * (rdma_get_udp_sport()): from the IPv6 flow label when it is not 0,
 * else from a label computed from the two QPNs; always in
 * 0xc000..0xffff.
 */
uint16_t odp_hca_roce_udp_sport(uint32_t flow_label, uint32_t lqpn,
                                uint32_t rqpn);

/*
 * The frame length odp_hca_roce_build() will write for @pkt; 0 for an
 * unknown opcode or a payload too long for the IPv4 total length (the
 * limit for IPv6 too).
 */
size_t odp_hca_roce_frame_len(const OdpHcaRocePacket *pkt);

/*
 * Write the frame of @pkt into @buf: every header, the payload, the pad
 * (zeroes) and the ICRC, with the IPv4 header checksum, the UDP length
 * and (IPv6 only) the UDP checksum computed.  Returns the frame length,
 * -EINVAL if @pkt cannot be a frame (unknown opcode, payload on an
 * opcode without, GIDs of two families, a field too wide for its
 * header) or -ENOSPC if @buf_len is too small.
 */
ssize_t odp_hca_roce_build(const OdpHcaRocePacket *pkt, uint8_t *buf,
                           size_t buf_len);

/*
 * The ODP_HCA_GRH_LEN bytes a UD receive of @pkt starts with: its IP
 * header in GRH form (odp-hca-hw.h, ODP_HCA_GRH_LEN), IPv4 when @pkt's
 * GIDs are IPv4-mapped.  Returns whether it is the IPv4 form; false with
 * the IPv6 form also for a packet that cannot be a frame.
 */
bool odp_hca_roce_grh(const OdpHcaRocePacket *pkt,
                      uint8_t grh[ODP_HCA_GRH_LEN]);

/*
 * Where odp_hca_roce_build() puts the payload of @pkt in the frame: a
 * sender may place the payload there itself (pkt->payload pointing at
 * it) and the builder then leaves it in place.  0 for a packet that
 * cannot be a frame.
 */
size_t odp_hca_roce_payload_offset(const OdpHcaRocePacket *pkt);

/*
 * Parse the @len bytes of @frame into @pkt (payload pointing into
 * @frame).  @pmtu is the path MTU in bytes: a longer payload is refused.
 * Returns ODP_HCA_ROCE_OK or the reason the frame is no good RoCEv2
 * packet; @pkt is then partly filled and must not be used.
 */
OdpHcaRoceDrop odp_hca_roce_parse(const uint8_t *frame, size_t len,
                                  uint32_t pmtu, OdpHcaRocePacket *pkt);

/* As odp_hca_roce_parse(), for a hairpin frame: its ICRC is not checked. */
OdpHcaRoceDrop odp_hca_roce_parse_hairpin(const uint8_t *frame, size_t len,
                                          uint32_t pmtu,
                                          OdpHcaRocePacket *pkt);

/*
 * The ICRC of a packet: @ip points at its IP header, @len bytes up to
 * (not including) the ICRC field.  The frame carries it little-endian.
 */
uint32_t odp_hca_roce_icrc(const uint8_t *ip, size_t len, bool ipv6);

#endif /* HW_ODP_HCA_ROCE_H */
