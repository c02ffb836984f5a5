/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire of the odp-hca qtests: the device's netdev is a socket backend
 * on one end of a socketpair, and the test, on the other end, plays the
 * remote RoCEv2 peer of an RC QP whose address vector points away from
 * the port (wire-tests.c, responder-fault-tests.c).  Frames are built and
 * parsed with the device's own RoCEv2 frame module (hw/odp-hca-roce.c,
 * linked into the test), so every frame carries a real ICRC.
 */

#ifndef ODP_HCA_QTEST_WIRE_H
#define ODP_HCA_QTEST_WIRE_H

#include "framework.h"
#include "../../../hw/odp-hca-roce.h"

#define WIRE_WAIT_MS        5000    /* for a frame that must come */
#define WIRE_QUIET_MS       200     /* for one that must not */
#define WIRE_FRAME_MAX      (ODP_HCA_PAGE_SIZE + ODP_HCA_ROCE_MAX_OVERHEAD + 4)
#define WIRE_PKEY           0xffff
/*
 * The peer's QPN.  MODIFY_QP takes a dest_qpn only below the device's own
 * max-qps (256 by default), as if the peer were this device, so the
 * made-up peer picks one in that range (though not a QP of the device's).
 */
#define WIRE_PEER_QPN       0xa5
#define WIRE_MTU_1024       (ODP_HCA_MTU_256 + 2)
#define WIRE_PMTU           1024

/* AETH syndromes */
#define SYN_ACK             0x1f    /* ACK, unlimited credits */
#define SYN_RNR             0x20    /* | the RNR timer code */
#define SYN_NAK_SEQ         0x60
#define SYN_NAK_INVALID     0x61
#define SYN_NAK_ACCESS      0x62

/* The peer, a made-up host on the wire, and the device's address there. */
extern const uint8_t peer_mac[6];
extern const uint8_t peer_gid[16];
extern const uint8_t dev_gid[16];

/* A device whose RC QP talks to the test, across the socket. */
typedef struct Wire {
    T *t;
    int fd;                 /* the test's end of the netdev's socket */
    OdpCq *cq;
    OdpQp *qp;              /* RC, RTS, AV to the peer */
    OdpRcAttr a;
    uint32_t sq_psn;        /* the QP's first PSNs */
    uint32_t rq_psn;
    Buf *buf;               /* pinned, ACC_ALL */
    uint32_t peers;         /* more peer QPs, WIRE_PEER_QPN + 1 onwards */
    bool x_notify;          /* the peer's packets say it takes NOT_READY */
} Wire;

/* A frame the device sent, parsed. */
typedef struct Frame {
    uint8_t data[WIRE_FRAME_MAX];
    uint32_t len;
    OdpHcaRocePacket pkt;
} Frame;

uint32_t psn_add(uint32_t psn, int32_t n);
void wire_new(Wire *w, const OdpRcAttr *attr);
int64_t wire_new_timed(Wire *w);
void wire_free(Wire *w);
void wire_send_raw(Wire *w, const void *frame, uint32_t len);
bool wire_recv_ms(Wire *w, Frame *f, int ms);
void wire_recv(Wire *w, Frame *f);
void wire_expect(Wire *w, Frame *f, uint8_t opcode, uint32_t psn);
void wire_expect_aeth(Wire *w, uint8_t syndrome, uint32_t psn);
void wire_quiet(Wire *w);
void pkt_init(Wire *w, OdpHcaRocePacket *p, uint8_t opcode,
              uint32_t psn);
uint32_t pkt_build(const OdpHcaRocePacket *p, uint8_t *buf,
                   size_t size);
void wire_send(Wire *w, const OdpHcaRocePacket *p);
void wire_send_aeth(Wire *w, uint8_t syndrome, uint32_t psn,
                    uint32_t msn);
void wire_write_only(Wire *w, uint32_t psn, uint64_t va, uint32_t rkey,
                     const uint8_t *data, uint32_t len);
void wire_write_only_to(Wire *w, uint32_t qpn, uint32_t psn, uint64_t va,
                        uint32_t rkey, const uint8_t *data, uint32_t len);
uint64_t wire_counter(Wire *w, const char *name);
void wire_post_write(Wire *w, uint64_t wr_id, uint64_t off,
                     uint32_t len, uint64_t raddr, uint32_t rkey);
void wire_expect_write(Wire *w, Frame *f, int npkts, uint32_t psn,
                       int from, const uint8_t *src, uint32_t len,
                       uint64_t raddr, uint32_t rkey);
void wire_set_link(Wire *w, bool up);

#endif
