/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca device model: state shared by the files of hw/.
 *
 * This header is private to the device (it pulls in QEMU's headers) and
 * sits beside it, as hw/nvme/nvme.h does; the interface that the guest
 * driver, the provider and the qtests share with the device is
 * include/odp-hca-hw.h.
 *
 * One file a concern: odp-hca-pci.c (PCI, registers, reset, the entry
 * guard), odp-hca-ring.c (rings in guest memory), odp-hca-cmd.c (command
 * queue, object life cycle), odp-hca-eq.c (events and interrupts),
 * odp-hca-cq.c (completions), odp-hca-translate.c (table walks, IOTLB,
 * invalidation), odp-hca-fault.c (fault events, RESUME, fault injection),
 * odp-hca-qp.c (QP state machine, doorbells, scheduling, timers),
 * odp-hca-requester.c (executing send WQEs), odp-hca-responder.c
 * (incoming requests, RNR NAKs), odp-hca-port.c (the Ethernet port: the
 * netdev, frames in and out, link state), odp-hca-link.c (the transport's
 * RoCEv2 frames), odp-hca-impair.c (the monitor's link impairment) and
 * odp-hca-monitor.c (QMP and HMP).
 */
#ifndef HW_ODP_HCA_H
#define HW_ODP_HCA_H

#include "hw/pci/pci_device.h"
#include "qemu/queue.h"
#include "qemu/timer.h"
#include "net/net.h"
#include "qom/object.h"
#include "qapi/qapi-types-odp-hca.h"
#include "odp-hca-compat.h"
#include "odp-hca-hw.h"
#include "odp-hca-roce.h"

#define TYPE_ODP_HCA "odp-hca"
OBJECT_DECLARE_SIMPLE_TYPE(OdpHcaState, ODP_HCA)

/* An IOMMU region whose unmaps the device hears of (odp-hca-iommu.c) */
typedef struct OdpHcaIommuWatch OdpHcaIommuWatch;

/* Per-WQE limits of this implementation (the strides are in odp-hca-hw.h). */
#define ODP_HCA_MAX_SGE            32
#define ODP_HCA_MAX_INLINE         512

/* A ring in guest memory, its page list copied in at creation. */
typedef struct OdpHcaRing {
    dma_addr_t *pages;
    uint32_t npages;
    uint32_t entries;
    uint32_t stride;
} OdpHcaRing;

typedef struct OdpHcaEq {
    bool valid;
    bool armed;
    bool broken;            /* an entry write failed: stop using it */
    uint16_t vector;
    uint32_t pi;
    uint16_t ci;
    uint32_t users;         /* CQs that signal here */
    OdpHcaRing ring;
} OdpHcaEq;

typedef struct OdpHcaPd {
    bool valid;
    uint32_t users;
} OdpHcaPd;

enum { ODP_HCA_CQ_DISARMED, ODP_HCA_CQ_ARMED_ANY, ODP_HCA_CQ_ARMED_SOL };

typedef struct OdpHcaCq {
    bool valid;
    bool overflow;
    uint8_t arm;
    uint32_t eqn;
    uint32_t uar;
    uint32_t pi;
    uint16_t ci;
    uint32_t users;
    OdpHcaRing ring;
    dma_addr_t ci_record;       /* the consumer record; 0 none */
} OdpHcaCq;

typedef struct OdpHcaSrq {
    bool valid;
    uint32_t pdn;
    uint32_t uar;
    uint32_t max_sge;
    uint32_t limit;
    uint16_t pi;            /* from the doorbell */
    uint16_t ci;            /* next WQE to hand out */
    uint32_t users;
    OdpHcaRing ring;
} OdpHcaSrq;

typedef struct OdpHcaMr {
    bool valid;
    bool free;              /* fast-reg MR with no registration: no access */
    uint8_t levels;
    uint8_t flags;
    uint32_t key;
    uint32_t pdn;
    uint32_t access;
    uint64_t iova;
    uint64_t length;
    dma_addr_t table;
} OdpHcaMr;

/* Why a requester is not executing. */
typedef enum OdpHcaReqWait {
    ODP_HCA_REQ_RUN = 0,
    ODP_HCA_REQ_FAULT,      /* waiting for RESUME */
    ODP_HCA_REQ_RNR,        /* RNR NAK: timer of min_rnr_timer */
    ODP_HCA_REQ_ACK,        /* no answer: local ACK timeout */
} OdpHcaReqWait;

/* A fault waiting for its RESUME. */
typedef struct OdpHcaFault {
    bool pending;
    bool posted;            /* event written; else retried when EQ drains */
    uint32_t token;
    uint64_t seq;           /* its record in the fault ring */
    struct odp_hca_fault_info info;
    int64_t raised_ns;
    int64_t posted_ns;      /* when the event reached the EQ */
    OdpHcaResponderFault policy;    /* the port's when it was raised */
} OdpHcaFault;

/* A send WQE copied in from the ring, host order. */
typedef struct OdpHcaWqe {
    bool valid;
    uint16_t index;         /* its SQ counter */
    uint64_t length;        /* message bytes */
    struct odp_hca_wqe_ctrl ctrl;
    struct odp_hca_wqe_ud ud;
    struct odp_hca_sge sge[ODP_HCA_MAX_SGE];
    uint8_t inline_data[ODP_HCA_MAX_INLINE];
} OdpHcaWqe;

/*
 * An RC send WQE that has begun to go out and is not complete: the PSNs
 * it takes, and what has come back for it.  Slot (index % WINDOW).
 */
typedef struct OdpHcaFlight {
    uint16_t index;         /* SQ counter */
    uint8_t opcode;         /* enum odp_hca_wqe_opcode */
    uint8_t flags;          /* ODP_HCA_WQE_F_* */
    uint64_t wr_id;
    uint64_t length;
    uint32_t first_psn;
    uint32_t npkts;         /* PSNs it takes */
    uint64_t read_done;     /* READ: response bytes landed, in PSN order */
    bool atomic_done;       /* ATOMIC: the answer came: only write back */
    uint64_t atomic_orig;
} OdpHcaFlight;

/* WQEs, packets in flight per RC QP; how often the requester asks an ACK. */
#define ODP_HCA_REQ_WINDOW         32
#define ODP_HCA_REQ_MAX_PKTS       128
#define ODP_HCA_REQ_ACK_EVERY      16

/* The requester: the WQE it is sending, and the ones in flight. */
typedef struct OdpHcaReq {
    OdpHcaReqWait wait;
    OdpHcaWqe send;         /* the WQE being turned into packets */
    uint64_t done;          /* ... bytes of it sent */
    uint16_t send_next;     /* SQ counter of the next WQE to send */
    uint16_t send_high;     /* ... past the last WQE ever begun */
    uint32_t una;           /* oldest PSN not acknowledged */
    uint32_t psn_high;      /* the next PSN never sent before */
    uint32_t since_ack_req; /* packets sent since one asked for an ACK */
    uint32_t rnr_psn;       /* where to go back to when the RNR wait ends */
    bool ready_wait;        /* the RNR wait is a NOT_READY's: READY ends it */
    bool rewind_on_resume;  /* a READ response faulted: re-request it */
    bool head_fault;        /* the fault is the oldest WQE's (READ, ATOMIC) */
    uint32_t resume_psn;
    bool seq_rewound;       /* went back for a gap; once until progress */
    bool fail_pending;      /* the WQE being sent failed: retire in turn */
    uint8_t fail_status;
    uint8_t fail_verr;
    uint8_t rnr_left;
    uint8_t retry_left;
    bool timer_fired;       /* the RNR or ACK wait is over */
    /*
     * When the ACK wait ends (QEMU_CLOCK_VIRTUAL ns; 0: nothing to wait
     * for).  The timer itself is moved only to bring it earlier: one that
     * fires before this is armed again (odp_hca_req_timeout()).
     */
    int64_t ack_deadline;
    OdpHcaWqe comp;         /* the WQE whose responses land (READ, ATOMIC) */
    OdpHcaFlight flight[ODP_HCA_REQ_WINDOW];
    OdpHcaFault fault;
} OdpHcaReq;

/*
 * READs and atomics a responder holds for a QP: the device's max_rd_atomic.
 * As many as Soft-RoCE allows, since perftest gives each side of a
 * connection the other's count.  The responder queues that many READ
 * requests, and keeps the answers of that many atomics for duplicates
 * (a requester may have that many waiting, and any answer can be lost).
 */
#define ODP_HCA_RESP_RD_ATOMIC     128
#define ODP_HCA_RESP_ATOMICS       ODP_HCA_RESP_RD_ATOMIC
#define ODP_HCA_RESP_READS         ODP_HCA_RESP_RD_ATOMIC
/* READ answers a request behind them may wait for, in bytes. */
#define ODP_HCA_RESP_DRAIN         (1024 * 1024)

typedef struct OdpHcaRespRead {
    uint64_t va;
    uint32_t rkey;
    uint32_t psn;           /* of the next response */
    uint32_t start_psn;     /* of the request */
    bool duplicate;         /* heard before: answered again */
    uint64_t len;           /* whole request */
    uint64_t done;          /* bytes answered */
} OdpHcaRespRead;

/* The responder: the message being received, and its answers. */
typedef struct OdpHcaResp {
    bool recv_active;
    bool recv_from_srq;
    bool fault_failed;      /* RESUME failed: NAK the next request */
    bool peer_notify;       /* the peer's requests take NOT_READY/READY */
    bool ready_owed;        /* NOT_READY sent: READY on the RESUME */
    uint32_t ready_psn;     /* ... for the PSN the NOT_READY named */
    uint16_t recv_index;
    uint32_t recv_cap;      /* bytes the receive WQE can hold */
    struct odp_hca_recv_wqe recv;
    struct odp_hca_sge sge[ODP_HCA_MAX_SGE];
    OdpHcaFault fault;
    /* RC: the message in progress (FIRST seen, LAST not yet) */
    uint32_t in_msg;        /* 0, or ODP_HCA_ROCE_F_SEND / _WRITE */
    uint64_t send_off;      /* SEND: bytes landed */
    uint64_t write_va;      /* WRITE: where the next packet lands */
    uint32_t write_rkey;
    uint64_t write_start;
    uint64_t write_len;
    uint64_t write_left;
    uint32_t msn;
    bool nak_out;           /* a NAK is out: drop until the expected PSN */
    /* The answers of the last ODP_HCA_RESP_ATOMICS atomics */
    struct {
        bool valid;
        uint32_t psn;
        uint64_t orig;
    } atomics[ODP_HCA_RESP_ATOMICS];
    uint32_t atomic_next;
    /* READ requests being answered, oldest first */
    OdpHcaRespRead reads[ODP_HCA_RESP_READS];
    uint32_t read_head;
    uint32_t read_count;
} OdpHcaResp;

/*
 * What a QP's requester completed, for the monitor (query-odp-hca-qps):
 * the spread between QPs that share the device, which a benchmark's
 * aggregate hides.
 */
typedef struct OdpHcaQpCount {
    uint64_t wqes;          /* send WQEs completed with success */
    uint64_t bytes;         /* ... their payload */
    int64_t since_ns;       /* QEMU_CLOCK_VIRTUAL: created, or reset-stats */
} OdpHcaQpCount;

/* A destroyed QP's tally, kept until reset-stats: the last ones only. */
#define ODP_HCA_QP_GONE_KEPT       4096
typedef struct OdpHcaQpGone {
    uint32_t qpn;
    uint8_t type;
    OdpHcaQpCount tally;
    int64_t gone_ns;
} OdpHcaQpGone;

typedef struct OdpHcaQp {
    bool valid;
    bool queued;            /* on the run list */
    uint8_t type;
    uint8_t state;
    bool sq_sig_all;
    bool sq_drain_posted;
    uint32_t qpn;
    uint32_t pdn;
    uint32_t send_cqn;
    uint32_t recv_cqn;
    uint32_t srqn;
    uint32_t uar;
    uint32_t max_send_sge;
    uint32_t max_recv_sge;
    uint32_t max_inline;
    OdpHcaRing sq;
    OdpHcaRing rq;
    uint16_t sq_pi;
    uint16_t sq_ci;
    uint16_t rq_pi;
    uint16_t rq_ci;
    /* attributes from MODIFY_QP */
    uint8_t path_mtu;
    uint8_t timeout;
    uint8_t retry_cnt;
    uint8_t rnr_retry;
    uint8_t min_rnr_timer;
    uint8_t max_rd_atomic;
    uint8_t max_dest_rd_atomic;
    uint8_t port;
    uint16_t pkey_index;
    uint32_t access_flags;
    uint32_t qkey;
    uint32_t dest_qpn;
    uint32_t sq_psn;
    uint32_t rq_psn;
    uint8_t dmac[6];
    uint8_t sgid[16], dgid[16];
    uint32_t flow_label;
    uint8_t hop_limit, traffic_class;
    OdpHcaReq req;
    OdpHcaResp resp;
    OdpHcaQpCount tally;
    QTAILQ_ENTRY(OdpHcaQp) run_next;
} OdpHcaQp;

/*
 * The RNR and ACK-timeout timer of the QP in slot @index.  One per slot,
 * set up at realize and kept until unrealize: creating, destroying or
 * resetting a QP only stops it, so no running code finds it gone.
 */
typedef struct OdpHcaQpTimer {
    QEMUTimer timer;
    struct OdpHcaState *s;
    uint32_t index;
} OdpHcaQpTimer;

/* What the monitor shows of one fault. */
typedef struct OdpHcaFaultEntry {
    uint64_t seq;           /* 0: slot unused */
    int64_t time_ns;
    int64_t service_ns;
    uint64_t iova;
    uint32_t qpn;
    uint32_t key;
    uint32_t length;
    uint32_t rnr_retries;
    uint32_t drops;         /* requests discarded meanwhile (drop policy) */
    OdpHcaResponderFault policy;
    uint8_t access;         /* ODP_HCA_FAULT_* */
    uint8_t side;
    OdpHcaFaultOutcome outcome;
    bool injected;
    uint32_t remote_qpn;    /* the QP's dest_qpn when raised */
    uint8_t remote_gid[16]; /* ... and its dgid */
} OdpHcaFaultEntry;

/*
 * The fault service histogram: bucket 0 holds 0 ns, buckets 1 to 16 one
 * nanosecond each, and from there every octave (2^k, 2^(k+1)] is cut in
 * 8 (a bound within 12.5% of what it holds, enough to tell 200 us from
 * 220 us), up to 2^44 ns; the last bucket takes anything longer.
 */
#define ODP_HCA_LAT_SUB_SHIFT      3
#define ODP_HCA_LAT_SUB            (1 << ODP_HCA_LAT_SUB_SHIFT)
#define ODP_HCA_LAT_BUCKETS        (1 + ODP_HCA_LAT_SUB * 42)

static inline int odp_hca_lat_bucket(uint64_t ns)
{
    uint64_t x = ns - 1;
    int e, b;

    if (!ns) {
        return 0;
    }
    if (x < ODP_HCA_LAT_SUB) {
        return 1 + x;
    }
    e = 63 - clz64(x);
    b = 1 + ODP_HCA_LAT_SUB * (e - ODP_HCA_LAT_SUB_SHIFT + 1) +
        ((x >> (e - ODP_HCA_LAT_SUB_SHIFT)) & (ODP_HCA_LAT_SUB - 1));
    return MIN(b, ODP_HCA_LAT_BUCKETS - 1);
}

/* The largest latency (ns) that bucket @b of the histogram holds. */
static inline uint64_t odp_hca_lat_bucket_le(int b)
{
    int octave = (b - 1) / ODP_HCA_LAT_SUB - 1;
    int sub = (b - 1) % ODP_HCA_LAT_SUB;

    if (b <= ODP_HCA_LAT_SUB) {
        return b;
    }
    return (uint64_t)(ODP_HCA_LAT_SUB + sub + 1) << octave;
}

/*
 * Pages whose "every Nth" injected fault was not retried yet: their
 * retry is never injected, so a step that translates several pages
 * (the requester's and the responder's) cannot be refused forever.
 */
#define ODP_HCA_INJECT_SPARED      8

/* Fault injection set from the monitor. */
typedef struct OdpHcaInject {
    uint32_t every;         /* every Nth on-demand translation; 0 off */
    uint32_t counter;
    uint32_t key;
    uint32_t left;          /* faults still to inject for key */
    uint64_t iova;
    uint64_t length;
    bool mark;              /* the next fault raised was injected */
    struct {
        bool valid;
        uint32_t key;
        uint64_t vpn;
    } spared[ODP_HCA_INJECT_SPARED];
    uint32_t spared_next;
} OdpHcaInject;

/* IOTLB entries a set (odp-hca-translate.c); fewer only when the IOTLB is. */
#define ODP_HCA_TLB_WAYS           2
/* IOMMU unmaps of fewer pages look at the IOTLB's bus filter first. */
#define ODP_HCA_TLB_BUS_PAGES      64

typedef struct OdpHcaTlbEntry {
    bool valid;
    bool writable;
    uint32_t key;
    uint64_t vpn;           /* iova >> 12 */
    dma_addr_t pa;          /* page address */
} OdpHcaTlbEntry;

/*
 * A RoCEv2 frame waiting for the transport: from the netdev, or
 * looped back by this port (hairpin: built here, no ICRC).
 */
typedef struct OdpHcaFrame {
    QSIMPLEQ_ENTRY(OdpHcaFrame) next;
    uint32_t len;
    uint32_t cap;           /* bytes of data[] allocated */
    bool hairpin;
    /*
     * A looped-back frame's payload may stay in the sender's memory,
     * mapped (odp_hca_link_payload()): @mapped bytes at @map, which
     * belong at data[@map_off].
     */
    void *map;
    uint32_t mapped;
    uint32_t map_off;
    uint8_t data[];
} OdpHcaFrame;

/*
 * Frames of up to ODP_HCA_FRAME_POOL_CAP bytes (a path MTU of payload
 * and the largest headers) are allocated that large and kept, up to
 * ODP_HCA_FRAME_POOL of them, for the next: loopback makes and frees a
 * frame per packet, and malloc was a tenth of the device's time.
 */
#define ODP_HCA_FRAME_POOL_CAP     (ODP_HCA_PAGE_SIZE + 256)
#define ODP_HCA_FRAME_POOL         64

/* The one P_Key of the port (the default, full membership). */
#define ODP_HCA_DEFAULT_PKEY       0xffff

/* Frames one bottom-half run of the receive queue handles. */
#define ODP_HCA_RX_BUDGET          256

/* Why the port dropped a frame: a counter each, in the monitor. */
typedef enum OdpHcaPortDrop {
    ODP_HCA_PORT_DROP_TX_LINK_DOWN,     /* sent while the link was down */
    ODP_HCA_PORT_DROP_TX_NO_NETDEV,     /* sent with no netdev attached */
    ODP_HCA_PORT_DROP_RX_NO_QP,         /* no RAW_ETH QP able to receive */
    ODP_HCA_PORT_DROP_RX_NO_BUFFER,     /* no receive WQE posted */
    ODP_HCA_PORT_DROP_RX_TOO_LONG,      /* > max_frame or the receive WQE */
    ODP_HCA_PORT_DROP_RX_TOO_SHORT,     /* < ODP_HCA_ETH_MIN_FRAME */
    ODP_HCA_PORT_DROP_RX_FAULT,         /* the receive buffer faulted */
    ODP_HCA_PORT_DROP_RX_WQE_ERROR,     /* the receive WQE completed in error */
    ODP_HCA_PORT_DROP_RX_OTHER_HOST,    /* RoCEv2 to another MAC (a hub) */
    ODP_HCA_PORT_DROP_RX_STALL_OVERFLOW, /* queue full behind a stall */
    ODP_HCA_PORT_DROP_MAX,
} OdpHcaPortDrop;

/* NAKs by kind, sent and received: a counter each. */
typedef enum OdpHcaNak {
    ODP_HCA_NAK_KIND_RNR,
    ODP_HCA_NAK_KIND_SEQ,           /* PSN sequence error */
    ODP_HCA_NAK_KIND_INVALID,       /* invalid request */
    ODP_HCA_NAK_KIND_ACCESS,        /* remote access error */
    ODP_HCA_NAK_KIND_OPERATION,     /* remote operational error */
    ODP_HCA_NAK_KIND_MAX,
} OdpHcaNak;

/*
 * Why the transport dropped a RoCEv2 packet that parsed: a counter each
 * (the frame parser's reasons are OdpHcaRoceDrop).
 */
typedef enum OdpHcaXportDrop {
    ODP_HCA_XPORT_DROP_QUEUE_FULL,  /* the hairpin queue was full */
    ODP_HCA_XPORT_DROP_NO_QP,       /* the BTH's QPN names no QP */
    ODP_HCA_XPORT_DROP_QP_TYPE,     /* RC opcode to a UD QP or back */
    ODP_HCA_XPORT_DROP_QP_STATE,    /* the QP does not receive now */
    ODP_HCA_XPORT_DROP_PKEY,        /* P_Key not the default */
    ODP_HCA_XPORT_DROP_QKEY,        /* UD: Q_Key not the QP's */
    ODP_HCA_XPORT_DROP_PSN,         /* ahead of the expected PSN */
    ODP_HCA_XPORT_DROP_UD_NO_BUFFER,/* UD: no receive WQE */
    ODP_HCA_XPORT_DROP_UD_FAULT,    /* UD: the receive buffer faulted */
    ODP_HCA_XPORT_DROP_RESPONSE,    /* an answer nothing waits for */
    ODP_HCA_XPORT_DROP_READS_FULL,  /* more READs than max_dest_rd_atomic */
    ODP_HCA_XPORT_DROP_READS_BUSY,  /* a request behind READs not answered */
    ODP_HCA_XPORT_DROP_MAX,
} OdpHcaXportDrop;

/*
 * The link impairment set from the monitor (odp-hca-impair.c): what it
 * does to each RoCEv2 frame the port transmits, and the frames it holds.
 */
typedef struct OdpHcaImpairFrame {
    QSIMPLEQ_ENTRY(OdpHcaImpairFrame) next;
    int64_t due_ns;         /* QEMU_CLOCK_VIRTUAL */
    bool hairpin;           /* its way out: looped back, else the netdev */
    OdpHcaFrame *frame;
} OdpHcaImpairFrame;

/* Frames the delay holds at most; one more is lost (and counted). */
#define ODP_HCA_IMPAIR_QUEUE_MAX   4096
/* How long a reordered frame waits for a next one to pass it. */
#define ODP_HCA_IMPAIR_HOLD_NS     (100 * SCALE_US)

typedef struct OdpHcaImpair {
    /* settings: parts per million of frames, the delay, the seed */
    uint32_t loss;
    uint32_t corrupt;
    uint32_t duplicate;
    uint32_t reorder;
    uint32_t delay_us;
    uint64_t seed;
    uint64_t prng;
    /* a reordered frame waiting for the next one, or NULL */
    OdpHcaFrame *held;
    bool held_hairpin;
    int64_t held_until_ns;
    /* frames the delay holds, oldest (and due first) first */
    QSIMPLEQ_HEAD(, OdpHcaImpairFrame) delayed;
    uint32_t delayed_count;
    QEMUTimer *timer;
    QEMUBH *bh;
} OdpHcaImpair;

/* Counters, read by the monitor. */
typedef struct OdpHcaStats {
    uint64_t cmds[ODP_HCA_CMD_MAX];
    uint64_t cmd_errors;
    uint64_t faults_requester;
    uint64_t faults_responder;
    uint64_t faults_read;
    uint64_t faults_write;
    uint64_t faults_atomic;
    uint64_t faults_injected;
    uint64_t injections_deferred;
    uint64_t pages_resolved;
    uint64_t bytes_resolved;
    uint64_t resumes_ok;
    uint64_t resumes_failed;
    uint64_t invalidations;
    uint64_t entries_invalidated;
    uint64_t table_walks;
    uint64_t tlb_hits;
    uint64_t tlb_misses;
    uint64_t rnr_naks;
    uint64_t req_retries;
    uint64_t rnr_retry_exceeded;
    uint64_t responder_drops;
    uint64_t port_stalls;
    uint64_t port_stall_ns;     /* of stalls that ended */
    uint64_t not_ready_sent;
    uint64_t ready_sent;
    uint64_t not_ready_received;
    uint64_t ready_received;
    uint64_t ready_timeouts;
    uint64_t cq_record_reads;
    uint64_t iommu_unmaps;
    uint64_t iommu_entries_dropped;
    uint64_t events_dropped;
    uint64_t guest_errors;
    /* the port (odp-hca-port.c) */
    uint64_t port_tx_frames;
    uint64_t port_tx_bytes;
    uint64_t port_rx_frames;
    uint64_t port_rx_bytes;
    uint64_t port_drops[ODP_HCA_PORT_DROP_MAX];
    /* the transport's packets (odp-hca-link.c, requester, responder) */
    uint64_t roce_tx_packets;
    uint64_t roce_rx_packets;
    uint64_t roce_hairpin_packets;  /* of tx: looped back inside */
    uint64_t roce_hairpin_mapped;   /* of those: payload left mapped */
    uint64_t roce_retransmits;      /* packets sent again */
    uint64_t roce_ack_timeouts;
    uint64_t roce_duplicates;       /* duplicate requests answered */
    uint64_t roce_acks_sent;
    uint64_t roce_acks_received;
    uint64_t naks_sent[ODP_HCA_NAK_KIND_MAX];
    uint64_t naks_received[ODP_HCA_NAK_KIND_MAX];
    uint64_t roce_parse_drops[ODP_HCA_ROCE_DROP_MAX];
    uint64_t xport_drops[ODP_HCA_XPORT_DROP_MAX];
    /* the link impairment (odp-hca-impair.c) */
    uint64_t impair_dropped;
    uint64_t impair_corrupted;
    uint64_t impair_duplicated;
    uint64_t impair_reordered;
    uint64_t impair_delayed;
    /* fault service latency, log2 buckets of nanoseconds */
    uint64_t lat_buckets[ODP_HCA_LAT_BUCKETS];
    uint64_t lat_count;
    uint64_t lat_min;
    uint64_t lat_max;
} OdpHcaStats;

struct OdpHcaState {
    PCIDevice parent_obj;

    MemoryRegion regs;
    MemoryRegion doorbells;

    /* properties */
    uint32_t max_qps;
    uint32_t max_cqs;
    uint32_t max_srqs;
    uint32_t max_mrs;
    uint32_t max_pds;
    uint32_t max_eqs;
    uint32_t max_qp_wr;
    uint32_t max_cqe;
    uint32_t max_eqe;
    uint32_t max_sge;
    uint32_t max_inline;
    uint32_t iotlb_entries;
    uint32_t num_uars;
    uint32_t num_vectors;
    uint32_t fault_ring_size;
    uint32_t rx_queue_max;  /* "rx-queue": frames the receive queue holds */
    char *responder_fault_prop; /* "responder-fault", parsed at realize */
    NICConf conf;           /* "mac" and "netdev" */
    /* what responders do with a request that faults (odp-hca-responder.c) */
    OdpHcaResponderFault resp_fault;

    /* registers */
    uint32_t ctrl;
    uint32_t status;
    uint64_t cmdq_base;
    uint32_t cmdq_log_size;
    uint32_t cmdq_pi;
    uint32_t cmdq_ci;

    /* objects, indexed by handle */
    OdpHcaEq *eqs;
    OdpHcaPd *pds;
    OdpHcaCq *cqs;
    OdpHcaSrq *srqs;
    OdpHcaQp *qps;
    OdpHcaMr *mrs;

    OdpHcaTlbEntry *tlb;
    uint32_t *tlb_bus;      /* valid entries per bus-page hash */
    uint32_t fault_seq;     /* for tokens */
    uint64_t fault_records; /* faults recorded so far */
    uint64_t fault_records_cleared; /* ... of which reset-stats dropped */
    OdpHcaFaultEntry *fault_ring;
    OdpHcaInject inject;
    /* destroyed QPs' tallies: a ring of ODP_HCA_QP_GONE_KEPT */
    OdpHcaQpGone *qp_gone;
    uint64_t qp_gone_count; /* destroyed since reset-stats */

    QEMUBH *cmd_bh;
    QEMUBH *qp_bh;
    QTAILQ_HEAD(, OdpHcaQp) run_list;
    OdpHcaQpTimer *qp_timers;   /* one per QP slot */
    /* a doorbell runs the QPs itself: the bottom halves only for the rest */
    bool kicking;

    /* See odp_hca_enter(): device code on the stack, a reset held back. */
    uint32_t busy;
    bool reset_pending;

    /* the port (odp-hca-port.c) */
    NICState *nic;          /* NULL without netdev=: loopback only */
    bool link_up;           /* as last posted in a port event */
    bool rx_blocked;        /* frames wait in QEMU's queue for us */
    uint32_t raw_qpn;       /* the RAW_ETH QP; 0: none (QP 0 is never one) */
    QEMUBH *port_bh;        /* delivers the frames that waited */

    /* the transport's receive queue (odp-hca-link.c) */
    QSIMPLEQ_HEAD(, OdpHcaFrame) rx_frames;
    uint32_t rx_queued;
    QEMUBH *rx_bh;
    /*
     * The stall policy: the responder fault that holds the receive queue
     * (NULL: none), since when, and whether the frame being delivered
     * goes back to the queue's head.
     */
    OdpHcaFault *rx_stall;
    int64_t rx_stall_since;
    bool rx_delivering;
    bool rx_hold;
    OdpHcaFrame *frame_pool[ODP_HCA_FRAME_POOL];
    uint32_t frame_pooled;
    uint32_t frames_mapped; /* frames whose payload is still mapped */

    OdpHcaImpair impair;    /* odp-hca-impair.c */

    /* the IOMMU's unmap notifiers (odp-hca-iommu.c) */
    MemoryListener iommu_listener;
    QLIST_HEAD(, OdpHcaIommuWatch) iommu_watches;
    uint32_t iommu_unwatched;   /* IOMMU regions that refused a notifier */

    OdpHcaStats stats;
};

/* Packets a message takes, for PSNs; an unset path MTU counts as 4096. */
static inline uint32_t odp_hca_packets(uint64_t len, uint8_t mtu)
{
    uint32_t bytes = mtu >= ODP_HCA_MTU_256 && mtu <= ODP_HCA_MTU_4096 ?
                     128u << mtu : ODP_HCA_PAGE_SIZE;

    return MAX(1, DIV_ROUND_UP(len, bytes));
}

/*
 * A doorbell moves a free-running 16-bit counter from @cur to @next; it
 * may go forward as far as @limit and never back.  For a producer @limit
 * is the consumer plus the ring size, for a consumer it is the producer.
 */
static inline bool odp_hca_counter_move_ok(uint16_t cur, uint16_t next,
                                           uint16_t limit)
{
    return (uint16_t)(next - cur) <= (uint16_t)(limit - cur);
}

/* Budgets that bound one bottom-half run. */
#define ODP_HCA_CMD_BUDGET         64
#define ODP_HCA_QP_BYTE_BUDGET     (256 * 1024)
#define ODP_HCA_QP_WQE_BUDGET      32
#define ODP_HCA_BH_WQE_BUDGET      (ODP_HCA_QP_WQE_BUDGET * 8) /* all QPs */

/* ...and the smaller one a send doorbell runs in the vCPU's write. */
#define ODP_HCA_KICK_BYTE_BUDGET   (64 * 1024)
#define ODP_HCA_KICK_WQE_BUDGET    8
#define ODP_HCA_KICK_RX_BUDGET     64
#define ODP_HCA_KICK_ROUNDS        2

/* odp-hca-pci.c */
void odp_hca_guest_error(OdpHcaState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void odp_hca_reset_request(OdpHcaState *s);
void odp_hca_enter(OdpHcaState *s);
void odp_hca_leave(OdpHcaState *s);

/* A reset is waiting for the device's running code to return: start nothing. */
static inline bool odp_hca_quiescing(const OdpHcaState *s)
{
    return s->reset_pending;
}

/* odp-hca-port.c */
void odp_hca_port_realize(OdpHcaState *s);
void odp_hca_port_unrealize(OdpHcaState *s);
uint32_t odp_hca_port_state_reg(OdpHcaState *s);
void odp_hca_port_unblock(OdpHcaState *s);
void odp_hca_port_frame_out(OdpHcaState *s, const uint8_t *frame,
                            uint32_t len);

/* odp-hca-ring.c */
uint8_t odp_hca_ring_init(OdpHcaState *s, OdpHcaRing *r,
                          const struct odp_hca_ring_desc *d,
                          uint32_t max_entries, uint32_t min_stride,
                          uint32_t max_stride, const char *what);
dma_addr_t odp_hca_ring_addr(const OdpHcaRing *r, uint32_t index);
void odp_hca_ring_forget(OdpHcaRing *r);
bool odp_hca_ring_publish(OdpHcaState *s, dma_addr_t addr, void *entry,
                          size_t len, size_t owner_off, uint8_t owner);

/* odp-hca-cmd.c */
void odp_hca_cmd_doorbell(OdpHcaState *s);
void odp_hca_cmd_bh(void *opaque);
void odp_hca_objects_destroy_all(OdpHcaState *s);

/* odp-hca-eq.c */
bool odp_hca_eq_post(OdpHcaState *s, uint32_t eqn, struct odp_hca_eqe *eqe);
void odp_hca_eq_doorbell_write(OdpHcaState *s, uint32_t val);
bool odp_hca_event(OdpHcaState *s, uint8_t type, uint8_t subtype,
                   uint32_t obj);

/* odp-hca-cq.c */
bool odp_hca_cq_post(OdpHcaState *s, uint32_t cqn, struct odp_hca_cqe *cqe);
void odp_hca_cq_doorbell(OdpHcaState *s, uint32_t uar, hwaddr reg,
                         uint32_t val);

/* odp-hca-translate.c */
typedef enum OdpHcaXlate {
    ODP_HCA_XLATE_OK,
    ODP_HCA_XLATE_FAULT,    /* on-demand entry absent or read-only */
    ODP_HCA_XLATE_ERROR,    /* protection or DMA error: *verr says */
} OdpHcaXlate;

OdpHcaMr *odp_hca_mr_lookup(OdpHcaState *s, uint32_t key, uint32_t pdn);
uint8_t odp_hca_mr_check(OdpHcaMr *mr, uint64_t iova, uint64_t len,
                         uint32_t access);
OdpHcaXlate odp_hca_translate(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova,
                              bool write, dma_addr_t *pa, uint8_t *verr);
uint32_t odp_hca_tlb_invalidate(OdpHcaState *s, uint32_t key, uint64_t iova,
                                uint64_t len, bool all);
uint32_t odp_hca_tlb_invalidate_bus(OdpHcaState *s, dma_addr_t first,
                                    dma_addr_t last);
uint8_t odp_hca_mr_fast_reg(OdpHcaState *s, OdpHcaQp *qp,
                            const struct odp_hca_wqe_reg_mr *w);
uint8_t odp_hca_mr_invalidate(OdpHcaState *s, OdpHcaQp *qp, uint32_t key,
                              bool remote);
int odp_hca_mr_dma(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova, void *buf,
                   uint32_t len, bool write, uint64_t *fault_iova,
                   uint8_t *verr);

/* odp-hca-fault.c */
void odp_hca_fault_raise(OdpHcaState *s, OdpHcaQp *qp, OdpHcaFault *f,
                         uint8_t side, uint32_t key, uint64_t iova,
                         uint64_t len, uint8_t access, uint16_t wqe_index);
void odp_hca_fault_repost(OdpHcaState *s);
void odp_hca_fault_flush(OdpHcaState *s, OdpHcaFault *f);
void odp_hca_fault_rnr(OdpHcaState *s, OdpHcaFault *f);
void odp_hca_fault_drop(OdpHcaState *s, OdpHcaFault *f);
void odp_hca_responder_resumed(OdpHcaState *s, OdpHcaQp *qp);
bool odp_hca_fault_inject(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova);
OdpHcaFaultEntry *odp_hca_fault_record(OdpHcaState *s, uint64_t seq);
/* the RESUME command */
uint8_t odp_hca_exec_resume(OdpHcaState *s, uint32_t token, uint32_t status);

/* odp-hca-qp.c */
static inline QEMUTimer *odp_hca_qp_timer(OdpHcaState *s, OdpHcaQp *qp)
{
    return &s->qp_timers[qp - s->qps].timer;
}
void odp_hca_qp_timer_stop(OdpHcaState *s, OdpHcaQp *qp);
void odp_hca_qp_timers_init(OdpHcaState *s);
void odp_hca_qp_timers_fini(OdpHcaState *s);
uint16_t odp_hca_recv_slot(OdpHcaState *s, OdpHcaQp *qp, uint16_t counter,
                           bool from_srq);
OdpHcaQp *odp_hca_qp_get(OdpHcaState *s, uint32_t qpn);
void odp_hca_qp_fini(OdpHcaState *s, OdpHcaQp *qp);
uint8_t odp_hca_qp_modify(OdpHcaState *s, OdpHcaQp *qp,
                          const struct odp_hca_cmd_modify_qp *m);
void odp_hca_qp_query(OdpHcaQp *qp, struct odp_hca_cmd_modify_qp *m);
void odp_hca_qp_schedule(OdpHcaState *s, OdpHcaQp *qp);
void odp_hca_qp_error(OdpHcaState *s, OdpHcaQp *qp, uint8_t verr);
bool odp_hca_qp_flush_rq(OdpHcaState *s, OdpHcaQp *qp, uint32_t *budget);
void odp_hca_qp_doorbell(OdpHcaState *s, uint32_t uar, hwaddr reg,
                         uint32_t val);
void odp_hca_qp_bh(void *opaque);
void odp_hca_qp_run(OdpHcaState *s, uint64_t bytes, uint32_t wqes);

/*
 * Rounds of "QPs send, then the frames they sent are received" one bottom
 * half runs; each round is bounded by the QP and receive budgets.
 */
#define ODP_HCA_PUMP_ROUNDS        4

/* odp-hca-iommu.c: the IOMMU's unmaps */
void odp_hca_iommu_init(OdpHcaState *s);
void odp_hca_iommu_fini(OdpHcaState *s);
bool odp_hca_iommu_may_map(OdpHcaState *s);

/* odp-hca-link.c: RoCEv2 packets between the transport and the port */
bool odp_hca_link_send(OdpHcaState *s, OdpHcaRocePacket *pkt,
                       OdpHcaFrame *frame);
OdpHcaFrame *odp_hca_link_frame_new(OdpHcaState *s, OdpHcaRocePacket *pkt);
OdpHcaFrame *odp_hca_frame_alloc(OdpHcaState *s, size_t len);
void odp_hca_frame_free(OdpHcaState *s, OdpHcaFrame *f);
void odp_hca_frame_pool_drain(OdpHcaState *s);
bool odp_hca_link_room(OdpHcaState *s, uint32_t frames);
ssize_t odp_hca_link_rx_roce(OdpHcaState *s, const uint8_t *buf, size_t size,
                             OdpHcaRoceDrop why, const OdpHcaRocePacket *pkt);
const char *odp_hca_xport_drop_name(OdpHcaXportDrop why);
void odp_hca_link_init(OdpHcaState *s);
void odp_hca_link_fini(OdpHcaState *s);
void odp_hca_link_flush(OdpHcaState *s);
bool odp_hca_link_rx_run(OdpHcaState *s, uint32_t budget);
void odp_hca_link_rx_resched(OdpHcaState *s);
void odp_hca_link_xport_drop(OdpHcaState *s, OdpHcaXportDrop why,
                             const OdpHcaRocePacket *pkt);
void odp_hca_link_fill(OdpHcaState *s, OdpHcaQp *qp, OdpHcaRocePacket *pkt,
                       uint8_t opcode, uint32_t psn);
uint32_t odp_hca_link_pmtu(const OdpHcaQp *qp);
void odp_hca_link_enqueue(OdpHcaState *s, OdpHcaFrame *f);
bool odp_hca_link_loops(OdpHcaState *s, const OdpHcaRocePacket *pkt);
int odp_hca_link_payload(OdpHcaState *s, OdpHcaFrame *f,
                         const OdpHcaRocePacket *pkt, OdpHcaMr *mr,
                         uint64_t iova, uint64_t *fault_iova, uint8_t *verr);
void odp_hca_link_unmap_all(OdpHcaState *s);
void odp_hca_link_stall(OdpHcaState *s, OdpHcaFault *f);
void odp_hca_link_fault_over(OdpHcaState *s, OdpHcaFault *f);
uint64_t odp_hca_link_stall_ns(OdpHcaState *s);

/* odp-hca-impair.c: the link impairment of the monitor */
void odp_hca_impair_init(OdpHcaState *s);
void odp_hca_impair_fini(OdpHcaState *s);
void odp_hca_impair_flush(OdpHcaState *s);
bool odp_hca_impair_tx(OdpHcaState *s, OdpHcaFrame *f, bool hairpin);
bool odp_hca_impair_enabled(OdpHcaState *s);

/* odp-hca-monitor.c: the HMP command (declared to QEMU in hmp-target.c) */
void hmp_odp_hca_set_link_impairment(Monitor *mon, const QDict *qdict);
void hmp_odp_hca_set_responder_fault(Monitor *mon, const QDict *qdict);

/* 24-bit PSN arithmetic: @a - @b as a signed distance. */
static inline int32_t odp_hca_psn_diff(uint32_t a, uint32_t b)
{
    return (int32_t)((a - b) << 8) >> 8;
}

/* odp-hca-requester.c */
bool odp_hca_requester_run(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes,
                           uint32_t *wqes);
void odp_hca_requester_rx(OdpHcaState *s, OdpHcaQp *qp,
                          const OdpHcaRocePacket *pkt);
void odp_hca_requester_resumed(OdpHcaState *s, OdpHcaQp *qp, bool ok);

/* odp-hca-responder.c */
void odp_hca_responder_rx(OdpHcaState *s, const OdpHcaRocePacket *pkt);
bool odp_hca_responder_run(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes);

/* What became of a frame handed to the RAW_ETH QP. */
typedef enum OdpHcaRawRx {
    ODP_HCA_RAW_RX_OK,          /* in the receive WQE, completed */
    ODP_HCA_RAW_RX_NO_QP,       /* the QP is not receiving */
    ODP_HCA_RAW_RX_NO_BUFFER,   /* no receive WQE */
    ODP_HCA_RAW_RX_TOO_LONG,    /* the receive WQE is too small: kept */
    ODP_HCA_RAW_RX_FAULT,       /* a responder fault is (now) pending */
    ODP_HCA_RAW_RX_WQE_ERROR,   /* the receive WQE completed in error */
} OdpHcaRawRx;

OdpHcaRawRx odp_hca_responder_raw(OdpHcaState *s, OdpHcaQp *qp,
                                  const uint8_t *frame, uint32_t len);

#endif /* HW_ODP_HCA_H */
