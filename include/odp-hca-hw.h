/* SPDX-License-Identifier: GPL-2.0-or-later OR Linux-OpenIB */
/*
 * odp-hca hardware/software interface.
 *
 * The one definition of everything the device and its software share:
 * PCI identity, register map, command layouts and status codes, queue
 * entry formats, the translation-table entry format, and the fault event
 * and resume formats.  The QEMU device model, the qtests, the Linux
 * driver and the rdma-core provider all include this file; nothing
 * restates it.  docs/specs/odp-hca.rst describes it in prose.
 *
 * All multi-byte fields are little-endian.  All structures are naturally
 * aligned and have the sizes checked at the bottom of this file.
 */
#ifndef ODP_HCA_HW_H
#define ODP_HCA_HW_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* ---------------------------------------------------------------------
 * PCI identity and BARs
 */
#define ODP_HCA_PCI_VENDOR_ID      0x1af4  /* QEMU experimental range */
#define ODP_HCA_PCI_DEVICE_ID      0x10f0
#define ODP_HCA_PCI_REVISION       0x01

#define ODP_HCA_REG_BAR            0       /* registers, 4 KiB */
#define ODP_HCA_DB_BAR             2       /* doorbell pages, one per UAR */
#define ODP_HCA_MSIX_BAR           4       /* MSI-X table and PBA */

#define ODP_HCA_REG_BAR_SIZE       0x1000
#define ODP_HCA_PAGE_SHIFT         12
#define ODP_HCA_PAGE_SIZE          (1u << ODP_HCA_PAGE_SHIFT)

#define ODP_HCA_MAGIC              0x4143484fu  /* "OHCA" */
#define ODP_HCA_VERSION            1

/* ---------------------------------------------------------------------
 * Registers (BAR 0).  32-bit accesses only; other sizes are ignored and
 * logged as guest errors.
 */
#define ODP_HCA_REG_MAGIC          0x000   /* RO ODP_HCA_MAGIC */
#define ODP_HCA_REG_VERSION        0x004   /* RO ODP_HCA_VERSION */
#define ODP_HCA_REG_CTRL           0x010   /* RW ODP_HCA_CTRL_* */
#define ODP_HCA_REG_STATUS         0x014   /* RO ODP_HCA_STATUS_* */
#define ODP_HCA_REG_CMDQ_BASE_LO   0x020   /* RW command ring DMA address */
#define ODP_HCA_REG_CMDQ_BASE_HI   0x024
#define ODP_HCA_REG_CMDQ_LOG_SIZE  0x028   /* RW log2(entries), see below */
#define ODP_HCA_REG_CMDQ_PI        0x02c   /* WO doorbell: producer index */
#define ODP_HCA_REG_CMDQ_CI        0x030   /* RO consumer index */
#define ODP_HCA_REG_EQ_DB          0x040   /* WO ODP_HCA_EQ_DB_* */
#define ODP_HCA_REG_NUM_UARS       0x050   /* RO number of doorbell pages */
#define ODP_HCA_REG_NUM_VECTORS    0x054   /* RO number of MSI-X vectors */
#define ODP_HCA_REG_PORT_STATE     0x058   /* RO ODP_HCA_PORT_* */

/*
 * CMDQ_LOG_SIZE range: 2 to 4096 entries of 128 bytes (256 bytes to
 * 512 KiB).  Checked when ENABLE is set: outside it the device stays
 * disabled.
 */
#define ODP_HCA_CMDQ_MIN_LOG_SIZE  1
#define ODP_HCA_CMDQ_MAX_LOG_SIZE  12

/*
 * PORT_STATE.  The link is up while the netdev the port is attached to
 * (-device odp-hca,netdev=ID) has its link up (the monitor's set_link);
 * a port with no netdev is always up and carries only loopback.  Every
 * change posts ODP_HCA_EV_PORT_ACTIVE or ODP_HCA_EV_PORT_DOWN.
 */
#define ODP_HCA_PORT_LINK_UP       (1u << 0)
#define ODP_HCA_PORT_HAS_NETDEV    (1u << 1) /* frames leave the device */

/* CTRL */
#define ODP_HCA_CTRL_ENABLE        (1u << 0) /* command queue runs */
#define ODP_HCA_CTRL_RESET         (1u << 1) /* write 1: full device reset */

/* STATUS */
#define ODP_HCA_STATUS_READY       (1u << 0) /* enabled, cmdq configured */
#define ODP_HCA_STATUS_FATAL       (1u << 1) /* cmdq DMA failed; reset */

/*
 * EQ doorbell: consumer index update and re-arm for one event queue.
 * An armed EQ signals its MSI-X vector once for the next event posted and
 * disarms itself.
 */
#define ODP_HCA_EQ_DB_CI_MASK      0xffffu
#define ODP_HCA_EQ_DB_EQN_SHIFT    16
#define ODP_HCA_EQ_DB_EQN_MASK     0xffu
#define ODP_HCA_EQ_DB_ARM          (1u << 31)

/* ---------------------------------------------------------------------
 * Doorbell pages (BAR 2).  Page N belongs to UAR N; the kernel uses UAR 0
 * and gives each user context its own page.  A doorbell for an object
 * created on another UAR is ignored and logged.  32-bit writes:
 * bits 31..16 object number, bits 15..0 the new 16-bit counter.
 */
#define ODP_HCA_DB_SQ              0x000   /* qpn | SQ producer counter */
#define ODP_HCA_DB_RQ              0x004   /* qpn | RQ producer counter */
#define ODP_HCA_DB_SRQ             0x008   /* srqn | SRQ producer counter */
#define ODP_HCA_DB_CQ_CI           0x00c   /* cqn | CQ consumer counter */
#define ODP_HCA_DB_CQ_ARM          0x010   /* cqn | consumer counter: arm, any */
#define ODP_HCA_DB_CQ_ARM_SOL      0x014   /* cqn | consumer counter: arm, solicited */
#define ODP_HCA_DB_OBJ_SHIFT       16
#define ODP_HCA_DB_COUNT_MASK      0xffffu

static inline uint32_t odp_hca_db_value(uint32_t obj, uint32_t count)
{
	return (obj << ODP_HCA_DB_OBJ_SHIFT) | (count & ODP_HCA_DB_COUNT_MASK);
}

/*
 * Rings.  Producer and consumer counters are free-running 16-bit values;
 * entry index = counter & (entries - 1).  Ring sizes are powers of two,
 * at most 32768 entries, so a counter distance always fits.
 *
 * Ring memory is described by a page list: an array of 64-bit DMA
 * addresses of 4 KiB pages, itself in guest memory and read once when
 * the object is created.  Entries never straddle a page.
 */
#define ODP_HCA_MAX_LOG_RING       15
/*
 * Two stride limits.  Any ring's log_stride is at most a page's, so an
 * entry never straddles a page: a larger log_stride fails before
 * anything else is checked.  Rings of WQEs (SQ, RQ, SRQ) have the
 * smaller limit ODP_HCA_MAX_WQE_STRIDE (64 B control + 64 B UD +
 * SGEs/inline; see "WQE stride geometry" below).  EQ and CQ strides are
 * exactly their entry size.
 */
#define ODP_HCA_MAX_LOG_STRIDE     ODP_HCA_PAGE_SHIFT
#define ODP_HCA_MAX_WQE_STRIDE     1024

/* ---------------------------------------------------------------------
 * Command queue.  A ring of 128-byte entries.  The driver fills an entry
 * with owner = ODP_HCA_CMD_OWNER_HW and advances CMDQ_PI; the device
 * executes commands in order, writes outputs and status into the entry,
 * then sets owner = ODP_HCA_CMD_OWNER_SW (written last) and advances
 * CMDQ_CI.  With ODP_HCA_CMD_F_INTR it also signals MSI-X vector 0.
 */
enum odp_hca_cmd_opcode {
	ODP_HCA_CMD_NOP            = 0x00,
	ODP_HCA_CMD_QUERY_DEVICE   = 0x01, /* writes struct odp_hca_caps */
	ODP_HCA_CMD_CREATE_EQ      = 0x02,
	ODP_HCA_CMD_DESTROY_EQ     = 0x03,
	ODP_HCA_CMD_CREATE_PD      = 0x04,
	ODP_HCA_CMD_DESTROY_PD     = 0x05,
	ODP_HCA_CMD_CREATE_CQ      = 0x06,
	ODP_HCA_CMD_DESTROY_CQ     = 0x07,
	ODP_HCA_CMD_CREATE_SRQ     = 0x08,
	ODP_HCA_CMD_MODIFY_SRQ     = 0x09,
	ODP_HCA_CMD_DESTROY_SRQ    = 0x0a,
	ODP_HCA_CMD_CREATE_QP      = 0x0b,
	ODP_HCA_CMD_MODIFY_QP      = 0x0c,
	ODP_HCA_CMD_QUERY_QP       = 0x0d,
	ODP_HCA_CMD_DESTROY_QP     = 0x0e,
	ODP_HCA_CMD_CREATE_MR      = 0x0f,
	ODP_HCA_CMD_DESTROY_MR     = 0x10,
	ODP_HCA_CMD_INVALIDATE     = 0x11,
	ODP_HCA_CMD_RESUME         = 0x12,
	ODP_HCA_CMD_MAX
};

/* The command's name as the specification spells it, for logs. */
static inline const char *odp_hca_cmd_name(uint8_t opcode)
{
	switch (opcode) {
	case ODP_HCA_CMD_NOP:
		return "NOP";
	case ODP_HCA_CMD_QUERY_DEVICE:
		return "QUERY_DEVICE";
	case ODP_HCA_CMD_CREATE_EQ:
		return "CREATE_EQ";
	case ODP_HCA_CMD_DESTROY_EQ:
		return "DESTROY_EQ";
	case ODP_HCA_CMD_CREATE_PD:
		return "CREATE_PD";
	case ODP_HCA_CMD_DESTROY_PD:
		return "DESTROY_PD";
	case ODP_HCA_CMD_CREATE_CQ:
		return "CREATE_CQ";
	case ODP_HCA_CMD_DESTROY_CQ:
		return "DESTROY_CQ";
	case ODP_HCA_CMD_CREATE_SRQ:
		return "CREATE_SRQ";
	case ODP_HCA_CMD_MODIFY_SRQ:
		return "MODIFY_SRQ";
	case ODP_HCA_CMD_DESTROY_SRQ:
		return "DESTROY_SRQ";
	case ODP_HCA_CMD_CREATE_QP:
		return "CREATE_QP";
	case ODP_HCA_CMD_MODIFY_QP:
		return "MODIFY_QP";
	case ODP_HCA_CMD_QUERY_QP:
		return "QUERY_QP";
	case ODP_HCA_CMD_DESTROY_QP:
		return "DESTROY_QP";
	case ODP_HCA_CMD_CREATE_MR:
		return "CREATE_MR";
	case ODP_HCA_CMD_DESTROY_MR:
		return "DESTROY_MR";
	case ODP_HCA_CMD_INVALIDATE:
		return "INVALIDATE";
	case ODP_HCA_CMD_RESUME:
		return "RESUME";
	default:
		return "?";
	}
}

#define ODP_HCA_CMD_OWNER_SW       0
#define ODP_HCA_CMD_OWNER_HW       1
#define ODP_HCA_CMD_F_INTR         (1u << 0)

enum odp_hca_cmd_status {
	ODP_HCA_CMD_OK             = 0x00,
	ODP_HCA_CMD_BAD_OPCODE     = 0x01,
	ODP_HCA_CMD_BAD_PARAM      = 0x02, /* a field is out of range */
	ODP_HCA_CMD_BAD_HANDLE     = 0x03, /* no such object */
	ODP_HCA_CMD_NO_RESOURCES   = 0x04, /* object table full */
	ODP_HCA_CMD_BUSY           = 0x05, /* object still in use */
	ODP_HCA_CMD_BAD_STATE      = 0x06, /* illegal QP transition */
	ODP_HCA_CMD_DMA_ERROR      = 0x07, /* DMA to/from an address failed */
	ODP_HCA_CMD_BAD_TOKEN      = 0x08, /* RESUME with an unknown token */
};

/* Queue description shared by EQ, CQ, SRQ, QP queues. */
struct odp_hca_ring_desc {
	uint64_t page_list;   /* DMA address of the page-address array */
	uint16_t npages;      /* entries in that array */
	uint8_t  log_entries; /* ring size */
	uint8_t  log_stride;  /* log2(entry size in bytes) */
	uint32_t rsvd;
};

struct odp_hca_cmd_query_device {
	uint64_t caps_addr;   /* DMA address of a struct odp_hca_caps */
};

struct odp_hca_cmd_create_eq {
	struct odp_hca_ring_desc ring;  /* stride is sizeof(odp_hca_eqe) */
	uint16_t vector;      /* MSI-X vector */
	uint16_t rsvd;
	uint32_t eqn;         /* out */
};

struct odp_hca_cmd_destroy {
	uint32_t handle;      /* eqn, pdn, cqn, srqn, qpn or key */
};

struct odp_hca_cmd_create_pd {
	uint32_t pdn;         /* out */
};

struct odp_hca_cmd_create_cq {
	struct odp_hca_ring_desc ring;  /* stride is sizeof(odp_hca_cqe) */
	uint32_t eqn;         /* completion events go to this EQ */
	uint32_t uar;         /* doorbell page that may touch this CQ */
	uint32_t cqn;         /* out */
	uint32_t rsvd;
	uint64_t ci_record;   /* DMA address of the consumer record; 0 none */
};

struct odp_hca_cmd_create_srq {
	struct odp_hca_ring_desc ring;  /* receive WQE ring */
	uint32_t pdn;
	uint32_t uar;
	uint16_t max_sge;
	uint16_t rsvd;
	uint32_t limit;       /* arm the limit event at this many WQEs; 0 off */
	uint32_t srqn;        /* out */
};

struct odp_hca_cmd_modify_srq {
	uint32_t srqn;
	uint32_t limit;       /* re-arm the limit event; 0 disarms */
};

enum odp_hca_qp_type {
	ODP_HCA_QPT_GSI            = 1,   /* IB_QPT_GSI: see below */
	ODP_HCA_QPT_RC             = 2,   /* IB_QPT_RC */
	ODP_HCA_QPT_UD             = 4,   /* IB_QPT_UD */
	ODP_HCA_QPT_RAW_ETH        = 8,   /* IB_QPT_RAW_PACKET: see below */
};

/*
 * A RAW_ETH QP carries whole Ethernet frames (destination MAC first, no
 * FCS) between its rings and the port: the kernel driver's net_device
 * uses one.  At most one exists per device (a second CREATE_QP answers
 * BUSY).  No attributes besides the state and the port: RESET -> INIT ->
 * RTR -> RTS as for UD.  A send WQE (SEND only; inline or SGEs) is one
 * frame of ODP_HCA_ETH_MIN_FRAME to caps.max_frame bytes, sent as it is:
 * no checksum or padding is added.  Frames from the port that are not
 * RoCEv2 go to the next receive WQE, whole, with a RECV CQE whose
 * byte_len is the frame's length; with no receive WQE, or one too small,
 * the frame is dropped and counted.  A receive that meets an absent page
 * drops the frame and raises a responder page fault, as for UD.
 */
/*
 * The GSI QP is QP 1 of the port: a UD QP that the CM's MADs go to (UD
 * to QP 1, Q_Key ODP_HCA_GSI_QKEY).  CREATE_QP of type GSI always
 * answers QP number ODP_HCA_GSI_QPN, and BUSY while that QP exists;
 * other types never get QP 0 or 1.  It behaves as a UD QP in everything
 * else; its Q_Key starts as ODP_HCA_GSI_QKEY and a datagram to QP 1
 * with another Q_Key is dropped, as for any UD QP.
 */
#define ODP_HCA_GSI_QPN            1
#define ODP_HCA_GSI_QKEY           0x80010000u

/* A QP of @type carries datagrams (UD and GSI). */
static inline int odp_hca_qpt_is_ud(uint8_t type)
{
	return type == ODP_HCA_QPT_UD || type == ODP_HCA_QPT_GSI;
}

#define ODP_HCA_ETH_HLEN           14
#define ODP_HCA_ETH_MIN_FRAME      ODP_HCA_ETH_HLEN
#define ODP_HCA_ETH_MAX_FRAME      (9000 + ODP_HCA_ETH_HLEN + 4) /* + VLAN */

struct odp_hca_cmd_create_qp {
	struct odp_hca_ring_desc sq;
	struct odp_hca_ring_desc rq;    /* ignored with an SRQ */
	uint32_t pdn;
	uint32_t send_cqn;
	uint32_t recv_cqn;
	uint32_t srqn;        /* ODP_HCA_NO_SRQ for none */
	uint32_t uar;
	uint8_t  type;        /* enum odp_hca_qp_type */
	uint8_t  sq_sig_all;  /* every send WQE completes */
	uint8_t  max_send_sge;
	uint8_t  max_recv_sge;
	uint16_t max_inline;
	uint16_t rsvd;
	uint32_t qpn;         /* out */
};

#define ODP_HCA_NO_SRQ             0xffffffffu

/* QP states: the IB numbering. */
enum odp_hca_qp_state {
	ODP_HCA_QPS_RESET          = 0,
	ODP_HCA_QPS_INIT           = 1,
	ODP_HCA_QPS_RTR            = 2,
	ODP_HCA_QPS_RTS            = 3,
	ODP_HCA_QPS_SQD            = 4,
	ODP_HCA_QPS_SQE            = 5,
	ODP_HCA_QPS_ERR            = 6,
};

/* MODIFY_QP attribute mask: the IB_QP_* bit positions. */
#define ODP_HCA_QP_ATTR_STATE              (1u << 0)
#define ODP_HCA_QP_ATTR_CUR_STATE          (1u << 1)
#define ODP_HCA_QP_ATTR_ACCESS_FLAGS       (1u << 3)
#define ODP_HCA_QP_ATTR_PKEY_INDEX         (1u << 4)
#define ODP_HCA_QP_ATTR_PORT               (1u << 5)
#define ODP_HCA_QP_ATTR_QKEY               (1u << 6)
#define ODP_HCA_QP_ATTR_AV                 (1u << 7)
#define ODP_HCA_QP_ATTR_PATH_MTU           (1u << 8)
#define ODP_HCA_QP_ATTR_TIMEOUT            (1u << 9)
#define ODP_HCA_QP_ATTR_RETRY_CNT          (1u << 10)
#define ODP_HCA_QP_ATTR_RNR_RETRY          (1u << 11)
#define ODP_HCA_QP_ATTR_RQ_PSN             (1u << 12)
#define ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC   (1u << 13)
#define ODP_HCA_QP_ATTR_MIN_RNR_TIMER      (1u << 15)
#define ODP_HCA_QP_ATTR_SQ_PSN             (1u << 16)
#define ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC (1u << 17)
#define ODP_HCA_QP_ATTR_DEST_QPN           (1u << 20)

/* Access flags: the IB_ACCESS_* bit values. */
#define ODP_HCA_ACCESS_LOCAL_WRITE         (1u << 0)
#define ODP_HCA_ACCESS_REMOTE_WRITE        (1u << 1)
#define ODP_HCA_ACCESS_REMOTE_READ         (1u << 2)
#define ODP_HCA_ACCESS_REMOTE_ATOMIC       (1u << 3)
/* Every access flag the device knows: the rest are reserved. */
#define ODP_HCA_ACCESS_MASK        (ODP_HCA_ACCESS_LOCAL_WRITE |	\
				    ODP_HCA_ACCESS_REMOTE_WRITE |	\
				    ODP_HCA_ACCESS_REMOTE_READ |	\
				    ODP_HCA_ACCESS_REMOTE_ATOMIC)

/* Path MTU: the IB enumeration, 1 = 256 ... 5 = 4096. */
#define ODP_HCA_MTU_256                    1
#define ODP_HCA_MTU_4096                   5

struct odp_hca_cmd_modify_qp {
	uint32_t qpn;
	uint32_t attr_mask;   /* ODP_HCA_QP_ATTR_* */
	uint8_t  state;       /* enum odp_hca_qp_state */
	uint8_t  cur_state;
	uint8_t  path_mtu;
	uint8_t  timeout;     /* local ACK timeout: 4.096 us << timeout, 0 = inf */
	uint8_t  retry_cnt;   /* 0..7 */
	uint8_t  rnr_retry;   /* 0..7, 7 = retry forever */
	uint8_t  min_rnr_timer; /* IB encoding, 0..31 */
	uint8_t  max_rd_atomic;
	uint8_t  max_dest_rd_atomic;
	uint8_t  port;
	uint16_t pkey_index;
	uint32_t access_flags; /* ODP_HCA_ACCESS_REMOTE_* allowed on this QP */
	uint32_t qkey;
	uint32_t dest_qpn;
	uint32_t sq_psn;      /* ODP_HCA_PSN_MASK bits */
	uint32_t rq_psn;      /* ODP_HCA_PSN_MASK bits */
	/*
	 * The RoCE path (the address vector), all selected by
	 * ODP_HCA_QP_ATTR_AV together with dmac.
	 */
	uint8_t  dmac[6];     /* destination MAC of the RoCE path */
	uint8_t  rsvd[2];
	uint8_t  sgid[16];    /* source GID: the port's address the QP sends from */
	uint8_t  dgid[16];    /* destination GID */
	uint32_t flow_label;  /* ODP_HCA_FLOW_LABEL_MASK bits, else BAD_PARAM */
	uint8_t  hop_limit;
	uint8_t  traffic_class;
	uint8_t  rsvd1[2];
};

/* The IPv6 flow label is 20 bits: MODIFY_QP rejects wider values. */
#define ODP_HCA_FLOW_LABEL_MASK    0xfffffu

/*
 * QP numbers on the wire are 24 bits: a dest_qpn (RC) or ud.dest_qpn may
 * name any QP of a remote adapter up to this.
 */
#define ODP_HCA_QPN_MAX            0xffffffu

/*
 * PSNs are 24 bits: MODIFY_QP drops bits 31..24 of sq_psn and rq_psn,
 * and the device's advances wrap at 2^24.
 */
#define ODP_HCA_PSN_MASK           0xffffffu

/* QUERY_QP: in qpn; out fields of odp_hca_cmd_modify_qp, state current. */
typedef struct odp_hca_cmd_modify_qp odp_hca_cmd_query_qp_t;

/* Memory regions. */
#define ODP_HCA_MR_F_ON_DEMAND     (1u << 0) /* entries may be absent */
#define ODP_HCA_MR_F_IMPLICIT      (1u << 1) /* covers the whole space */
/*
 * Untranslated: an address in the MR is the DMA address itself, as the
 * addresses kernel consumers put in SGEs are (the local DMA key).  No
 * table: table and levels are ignored; iova must be 0 and length
 * nonzero; no other flag.  Nothing in it is ever absent, so it never
 * faults: a UD datagram or Ethernet frame received through it is not
 * dropped for a missing page.
 */
#define ODP_HCA_MR_F_PHYSICAL      (1u << 2)

/*
 * A fast-registration MR (IB_MR_TYPE_MEM_REG): CREATE_MR makes it *free*
 * (iova, length, table, access and levels are ignored; the other flags
 * must be clear) and only send WQEs give it a translation: REG_MR
 * registers it, LOCAL_INV and a received SEND_WITH_INV free it again.
 * Every access through a free MR fails as a bad key.
 */
#define ODP_HCA_MR_F_FAST_REG      (1u << 3)

/*
 * The pages an MR of @len bytes at @iova spans: what its table indexes.
 * @len is at least 1 and iova + len does not wrap.
 */
static inline uint64_t odp_hca_mr_pages(uint64_t iova, uint64_t len)
{
	return ((iova + len - 1) >> ODP_HCA_PAGE_SHIFT) -
	       (iova >> ODP_HCA_PAGE_SHIFT) + 1;
}

/*
 * A key is (index << 8) | variant: the MR's table index above a variant
 * byte.  The driver picks the variant so that a stale key of a destroyed
 * MR does not match its successor in the same slot; the device compares
 * whole keys.
 */
#define ODP_HCA_KEY_VARIANT_BITS   8
#define ODP_HCA_KEY_VARIANT_MASK   0xffu
#define ODP_HCA_KEY_INDEX(key)     ((key) >> ODP_HCA_KEY_VARIANT_BITS)
#define ODP_HCA_KEY_VARIANT(key)   ((key) & ODP_HCA_KEY_VARIANT_MASK)

/* The key of table slot @index with @variant (its low 8 bits). */
static inline uint32_t odp_hca_key_make(uint32_t index, uint32_t variant)
{
	return (index << ODP_HCA_KEY_VARIANT_BITS) |
	       (variant & ODP_HCA_KEY_VARIANT_MASK);
}

struct odp_hca_cmd_create_mr {
	uint64_t iova;        /* first byte covered */
	uint64_t length;      /* bytes covered; ignored with F_IMPLICIT */
	uint64_t table;       /* DMA address of the top-level table page */
	uint32_t pdn;
	uint32_t access;      /* ODP_HCA_ACCESS_* */
	uint32_t key;         /* in: odp_hca_key_make(index, variant) */
	uint8_t  levels;      /* 1..ODP_HCA_PT_MAX_LEVELS */
	uint8_t  flags;       /* ODP_HCA_MR_F_* */
	uint16_t rsvd;
};

/*
 * INVALIDATE: drop every cached translation of [iova, iova + length) of
 * key.  The command completes only when no device access to that range
 * is in flight; after it the device re-walks the table.
 */
struct odp_hca_cmd_invalidate {
	uint64_t iova;
	uint64_t length;
	uint32_t key;
	uint32_t flags;       /* ODP_HCA_INV_F_ALL: every key, every range */
	uint32_t entries;     /* out: cached entries dropped */
};

#define ODP_HCA_INV_F_ALL          (1u << 0)

/* RESUME: answer the fault event carrying token. */
enum odp_hca_resume_status {
	ODP_HCA_RESUME_OK          = 0, /* entries filled: retry */
	ODP_HCA_RESUME_FAIL        = 1, /* cannot resolve: complete in error */
};

struct odp_hca_cmd_resume {
	uint32_t token;
	uint32_t status;      /* enum odp_hca_resume_status */
};

struct odp_hca_cmd {
	uint8_t  opcode;      /* enum odp_hca_cmd_opcode */
	uint8_t  flags;       /* ODP_HCA_CMD_F_* */
	uint8_t  status;      /* out: enum odp_hca_cmd_status */
	uint8_t  owner;       /* ODP_HCA_CMD_OWNER_*, written last */
	uint32_t rsvd;
	union {
		struct odp_hca_cmd_query_device query_device;
		struct odp_hca_cmd_create_eq create_eq;
		struct odp_hca_cmd_destroy destroy;
		struct odp_hca_cmd_create_pd create_pd;
		struct odp_hca_cmd_create_cq create_cq;
		struct odp_hca_cmd_create_srq create_srq;
		struct odp_hca_cmd_modify_srq modify_srq;
		struct odp_hca_cmd_create_qp create_qp;
		struct odp_hca_cmd_modify_qp modify_qp;
		struct odp_hca_cmd_create_mr create_mr;
		struct odp_hca_cmd_invalidate invalidate;
		struct odp_hca_cmd_resume resume;
		uint8_t raw[120];
	};
};

/* QUERY_DEVICE output: the device's limits (its QOM properties). */
#define ODP_HCA_CAP_ODP            (1u << 0)
#define ODP_HCA_CAP_IMPLICIT_ODP   (1u << 1)
#define ODP_HCA_CAP_SRQ            (1u << 2)
#define ODP_HCA_CAP_UD             (1u << 3)
#define ODP_HCA_CAP_ATOMIC         (1u << 4)
#define ODP_HCA_CAP_FAST_REG       (1u << 5) /* REG_MR, LOCAL_INV, SEND_INV */

struct odp_hca_caps {
	uint32_t version;
	uint32_t flags;           /* ODP_HCA_CAP_* */
	uint32_t max_qps;
	uint32_t max_cqs;
	uint32_t max_srqs;
	uint32_t max_mrs;
	uint32_t max_pds;
	uint32_t max_eqs;
	uint32_t max_qp_wr;       /* entries in a send or receive ring */
	uint32_t max_srq_wr;
	uint32_t max_cqe;
	uint32_t max_eqe;
	uint32_t max_sge;
	uint32_t max_inline;
	uint32_t max_msg_size;
	uint32_t max_rd_atomic;
	uint32_t iotlb_entries;
	uint32_t num_uars;
	uint32_t num_vectors;
	uint32_t page_size;       /* translation granule */
	uint8_t  mac[6];          /* the port's MAC: GIDs derive from it */
	uint8_t  max_mtu;         /* ODP_HCA_MTU_* */
	uint8_t  pt_levels;       /* ODP_HCA_PT_MAX_LEVELS */
	uint32_t max_frame;       /* largest RAW_ETH frame, <= ETH_MAX_FRAME */
	uint32_t max_fast_reg_pages; /* pages one REG_MR maps: FAST_REG_MAX_PAGES */
	uint32_t rsvd[8];
};

/* ---------------------------------------------------------------------
 * Translation tables.
 *
 * Each MR is translated by a radix table in guest memory: table pages of
 * 512 64-bit entries, `levels` deep.  The page number within the MR,
 * (iova >> 12) - (mr.iova >> 12), indexes it, 9 bits a level, the top
 * level first.  An implicit MR starts at iova 0 and uses 4 levels: it
 * covers 2^48 bytes.  Pinned MRs use the same tables, fully present.
 *
 * Entry: bit 0 present; bit 1 writable (leaf only: the device may write
 * the page); bits 63..12 the DMA address of the next table page (inner
 * levels) or of the data page (leaf).  A leaf that is absent, or not
 * writable for a write, is a fault for an on-demand MR and a protection
 * error for a pinned one.  Other bits are reserved and must be zero.
 */
#define ODP_HCA_PT_ENTRIES         512
#define ODP_HCA_PT_LEVEL_BITS      9
#define ODP_HCA_PT_MAX_LEVELS      4
#define ODP_HCA_PTE_PRESENT        (1ull << 0)
#define ODP_HCA_PTE_WRITABLE       (1ull << 1)
#define ODP_HCA_PTE_RSVD_MASK      0xffcull
#define ODP_HCA_PTE_ADDR_MASK      (~0xfffull)

/* ---------------------------------------------------------------------
 * Work queue entries.
 *
 * Send WQE: a control segment, then for UD a datagram segment, then
 * either num_sge scatter/gather entries or (ODP_HCA_WQE_F_INLINE)
 * inline_len bytes of data.  Stride: 1 << ring.log_stride.
 */
enum odp_hca_wqe_opcode {
	ODP_HCA_WQE_RDMA_WRITE     = 0x00,
	ODP_HCA_WQE_RDMA_WRITE_IMM = 0x01,
	ODP_HCA_WQE_SEND           = 0x02,
	ODP_HCA_WQE_SEND_IMM       = 0x03,
	ODP_HCA_WQE_RDMA_READ      = 0x04,
	ODP_HCA_WQE_ATOMIC_CS      = 0x05,
	ODP_HCA_WQE_ATOMIC_FA      = 0x06,
	ODP_HCA_WQE_SEND_INV       = 0x07, /* SEND, then invalidate rkey there */
	ODP_HCA_WQE_REG_MR         = 0x08, /* local: struct odp_hca_wqe_reg_mr */
	ODP_HCA_WQE_LOCAL_INV      = 0x09, /* local: free the MR of rkey */
	ODP_HCA_WQE_OPCODE_MAX     = ODP_HCA_WQE_LOCAL_INV,
};

/*
 * Whether @opcode is executed by the adapter itself, sending nothing:
 * such a WQE waits until every WQE before it has completed, takes no
 * PSN, and completes as soon as it has executed.
 */
static inline int odp_hca_wqe_is_local(uint8_t opcode)
{
	return opcode == ODP_HCA_WQE_REG_MR || opcode == ODP_HCA_WQE_LOCAL_INV;
}

#define ODP_HCA_WQE_F_SIGNALED     (1u << 0)
#define ODP_HCA_WQE_F_SOLICITED    (1u << 1)
#define ODP_HCA_WQE_F_FENCE        (1u << 2)
#define ODP_HCA_WQE_F_INLINE       (1u << 3)

struct odp_hca_wqe_ctrl {
	uint64_t wr_id;
	uint8_t  opcode;      /* enum odp_hca_wqe_opcode */
	uint8_t  flags;       /* ODP_HCA_WQE_F_* */
	uint8_t  num_sge;
	uint8_t  rsvd0;
	uint32_t imm_data;    /* network byte order, carried unchanged */
	uint64_t remote_addr;
	uint32_t rkey;        /* SEND_INV, LOCAL_INV: the key to invalidate */
	uint32_t inline_len;
	uint64_t compare_add; /* CS: compare; FA: add */
	uint64_t swap;        /* CS: swap */
	uint32_t rsvd1[4];
};

/*
 * REG_MR: the control segment read with this layout (wr_id, opcode and
 * flags where struct odp_hca_wqe_ctrl has them; num_sge must be 0).  The
 * fast-reg MR of key's index, in the QP's PD and free, gets key (any
 * variant byte), iova, length and access, translated by one table page
 * at table (the translation-table format, one level): length at least
 * 1, spanning at most ODP_HCA_FAST_REG_MAX_PAGES pages.  The device
 * reads the table when it translates, as for any MR, so software leaves
 * it alone until the MR is free again.
 */
struct odp_hca_wqe_reg_mr {
	uint64_t wr_id;
	uint8_t  opcode;      /* ODP_HCA_WQE_REG_MR */
	uint8_t  flags;       /* ODP_HCA_WQE_F_* */
	uint8_t  num_sge;     /* 0 */
	uint8_t  rsvd0;
	uint32_t access;      /* ODP_HCA_ACCESS_* */
	uint64_t iova;
	uint32_t key;         /* the MR's new key */
	uint32_t rsvd1;
	uint64_t length;
	uint64_t table;       /* DMA address of the table page, 4 KiB aligned */
	uint32_t rsvd2[4];
};

#define ODP_HCA_FAST_REG_MAX_PAGES ODP_HCA_PT_ENTRIES

/*
 * UD datagram segment: the destination (a QP of this device or of the
 * adapter at dgid/dmac) and the packet's addresses.
 */
struct odp_hca_wqe_ud {
	uint32_t dest_qpn;
	uint32_t qkey;        /* bit 31 set: use the QP's qkey */
	uint8_t  dgid[16];
	uint8_t  sgid[16];
	uint8_t  dmac[6];
	uint8_t  hop_limit;
	uint8_t  traffic_class;
	uint32_t flow_label;
	uint32_t rsvd[3];
};

struct odp_hca_sge {
	uint64_t addr;
	uint32_t length;
	uint32_t lkey;
};

/* Receive WQE (RQ and SRQ): header, then num_sge entries. */
struct odp_hca_recv_wqe {
	uint64_t wr_id;
	uint8_t  num_sge;
	uint8_t  rsvd[7];
};

/*
 * UD receives start with this many bytes of GRH.  A packet that came
 * over IPv6 (RoCEv2) leaves its IPv6 header there, which has the GRH's
 * layout; one that came over IPv4 leaves 20 zero bytes and then its
 * IPv4 header, and its CQE has ODP_HCA_CQE_F_GRH_IPV4 (Linux's struct
 * rdma_network_hdr, as RoCE adapters do).
 */
#define ODP_HCA_GRH_LEN            40
#define ODP_HCA_GRH_IPV4_OFFSET    20

/*
 * WQE stride geometry.  The stride of an SQ, RQ or SRQ is a power of two
 * no larger than ODP_HCA_MAX_WQE_STRIDE and at least the size of the
 * largest WQE the queue was created for; CREATE_QP and CREATE_SRQ fail
 * with BAD_PARAM otherwise.
 *
 *  - SQ: the control segment, the datagram segment for UD, then the
 *    larger of max_send_sge SGEs and max_inline bytes.  With 0 SGEs and
 *    no inline data that is the segments alone: such a WQE carries no
 *    data, which is valid.
 *  - RQ and SRQ: the receive header and max(max_sge, 1) SGEs: a receive
 *    stride always has room for one SGE.
 *
 * Software sizes a ring with odp_hca_log_stride() of those sizes; what a
 * stride then holds is odp_hca_sq_room() (inline bytes) and
 * odp_hca_sq_max_sge() / odp_hca_rq_max_sge(), before the caps.max_sge
 * and caps.max_inline limits.  @ud is nonzero for a UD QP.
 */
static inline uint32_t odp_hca_sq_hdr_size(uint32_t ud)
{
	return (uint32_t)sizeof(struct odp_hca_wqe_ctrl) +
	       (ud ? (uint32_t)sizeof(struct odp_hca_wqe_ud) : 0);
}

static inline uint32_t odp_hca_sq_wqe_size(uint32_t ud, uint32_t max_sge,
					   uint32_t max_inline)
{
	uint32_t sges = max_sge * (uint32_t)sizeof(struct odp_hca_sge);

	return odp_hca_sq_hdr_size(ud) +
	       (sges > max_inline ? sges : max_inline);
}

static inline uint32_t odp_hca_rq_wqe_size(uint32_t max_sge)
{
	return (uint32_t)sizeof(struct odp_hca_recv_wqe) +
	       (max_sge ? max_sge : 1) * (uint32_t)sizeof(struct odp_hca_sge);
}

/* log2 of the smallest power of two >= @size: the stride to ask for. */
static inline uint32_t odp_hca_log_stride(uint32_t size)
{
	uint32_t log = 0;

	while (log < 31 && (1u << log) < size)
		log++;
	return log;
}

/* Bytes after the segments of an SQ stride: SGEs or inline data. */
static inline uint32_t odp_hca_sq_room(uint32_t log_stride, uint32_t ud)
{
	uint32_t stride = 1u << log_stride, hdr = odp_hca_sq_hdr_size(ud);

	return stride > hdr ? stride - hdr : 0;
}

static inline uint32_t odp_hca_sq_max_sge(uint32_t log_stride, uint32_t ud)
{
	return odp_hca_sq_room(log_stride, ud) /
	       (uint32_t)sizeof(struct odp_hca_sge);
}

static inline uint32_t odp_hca_rq_max_sge(uint32_t log_stride)
{
	uint32_t stride = 1u << log_stride;
	uint32_t hdr = (uint32_t)sizeof(struct odp_hca_recv_wqe);

	return stride > hdr ? (stride - hdr) /
			      (uint32_t)sizeof(struct odp_hca_sge) : 0;
}

/* ---------------------------------------------------------------------
 * Completion queue entries (32 bytes).
 *
 * The owner bit of an entry written on pass P through the ring
 * (P = producer counter >> log_entries, counting from 0) is
 * (P & 1) ^ 1, so a zero-filled ring holds no valid entries.  The
 * device writes the owner byte last.
 */
/*
 * Bit 7 of a CQE opcode is set exactly in receive completions (RQ or SRQ
 * WQEs), successful, in error or flushed, and clear in send completions.
 */
#define ODP_HCA_CQE_RECV_BIT       0x80u

enum odp_hca_cqe_opcode {
	ODP_HCA_CQE_SEND           = 0x00,
	ODP_HCA_CQE_RDMA_WRITE     = 0x01,
	ODP_HCA_CQE_RDMA_READ      = 0x02,
	ODP_HCA_CQE_COMP_SWAP      = 0x03,
	ODP_HCA_CQE_FETCH_ADD      = 0x04,
	ODP_HCA_CQE_REG_MR         = 0x05,
	ODP_HCA_CQE_LOCAL_INV      = 0x06,
	ODP_HCA_CQE_RECV           = ODP_HCA_CQE_RECV_BIT | 0x00,
	ODP_HCA_CQE_RECV_RDMA_IMM  = ODP_HCA_CQE_RECV_BIT | 0x01,
};

/* Whether a CQE of @opcode completes a receive WQE. */
static inline int odp_hca_cqe_is_recv(uint8_t opcode)
{
	return (opcode & ODP_HCA_CQE_RECV_BIT) != 0;
}

/* Completion status: the IB_WC_* numbering. */
enum odp_hca_wc_status {
	ODP_HCA_WC_SUCCESS         = 0,
	ODP_HCA_WC_LOC_LEN_ERR     = 1,
	ODP_HCA_WC_LOC_QP_OP_ERR   = 2,
	ODP_HCA_WC_LOC_PROT_ERR    = 4,
	ODP_HCA_WC_WR_FLUSH_ERR    = 5,
	ODP_HCA_WC_LOC_ACCESS_ERR  = 8,
	ODP_HCA_WC_REM_INV_REQ_ERR = 9,
	ODP_HCA_WC_REM_ACCESS_ERR  = 10,
	ODP_HCA_WC_REM_OP_ERR      = 11,
	ODP_HCA_WC_RETRY_EXC_ERR   = 12,
	ODP_HCA_WC_RNR_RETRY_EXC_ERR = 13,
	ODP_HCA_WC_GENERAL_ERR     = 21,
};

#define ODP_HCA_CQE_F_IMM          (1u << 0)
#define ODP_HCA_CQE_F_GRH          (1u << 1)
#define ODP_HCA_CQE_F_SOLICITED    (1u << 2)
#define ODP_HCA_CQE_F_GRH_IPV4     (1u << 3) /* with F_GRH: see GRH_LEN */
/* A SEND_INV arrived: imm_data holds the rkey it invalidated, LE. */
#define ODP_HCA_CQE_F_INVALIDATE   (1u << 4)

#define ODP_HCA_CQE_OWNER          (1u << 0)

struct odp_hca_cqe {
	uint64_t wr_id;
	uint32_t byte_len;
	uint32_t imm_data;    /* network byte order */
	uint32_t qpn;         /* the local QP */
	uint32_t src_qp;      /* UD: the sender */
	uint8_t  opcode;      /* enum odp_hca_cqe_opcode */
	uint8_t  status;      /* enum odp_hca_wc_status */
	uint8_t  flags;       /* ODP_HCA_CQE_F_* */
	uint8_t  vendor_err;  /* enum odp_hca_vendor_err: why, for errors */
	uint16_t wqe_index;   /* ring index of the WQE completed */
	uint8_t  rsvd;
	uint8_t  owner;       /* ODP_HCA_CQE_OWNER, written last */
};

/*
 * The CQ consumer record: a little-endian u32 in memory whose low 16 bits
 * are the consumer counter DB_CQ_CI would carry.  A CQ created with one
 * (CREATE_CQ ci_record, ODP_HCA_CQ_CI_RECORD_ALIGN aligned) lets its
 * consumer store the counter there instead of ringing DB_CQ_CI: a
 * doorbell is an MMIO write, which stops a vCPU and takes QEMU's global
 * lock, once per poll.  The device reads the record only when its own
 * copy of the counter says the CQ is full; DB_CQ_CI and the arm doorbells
 * still set that copy.  A record that goes back or beyond the producer
 * overflows the CQ, as a full one does.
 */
#define ODP_HCA_CQ_CI_RECORD_ALIGN 4u

/*
 * Where a user CQ keeps its record (ODP_HCA_CREATE_CQ_CI_RECORD): right
 * after its last entry, in the buffer that holds the ring.
 */
static inline uint64_t odp_hca_cq_ci_record_offset(uint32_t log_entries)
{
	return (uint64_t)sizeof(struct odp_hca_cqe) << log_entries;
}

/* Detail for error completions and events. */
enum odp_hca_vendor_err {
	ODP_HCA_VERR_NONE          = 0,
	ODP_HCA_VERR_BAD_LKEY      = 1,  /* no such MR / wrong PD */
	ODP_HCA_VERR_BOUNDS        = 2,  /* outside the MR */
	ODP_HCA_VERR_ACCESS        = 3,  /* MR access flags forbid it */
	ODP_HCA_VERR_PTE           = 4,  /* pinned MR entry absent/bad */
	ODP_HCA_VERR_DMA           = 5,  /* DMA outside guest memory */
	ODP_HCA_VERR_BAD_WQE       = 6,  /* malformed WQE */
	ODP_HCA_VERR_FAULT_FAILED  = 7,  /* RESUME reported failure */
	ODP_HCA_VERR_CQ_OVERFLOW   = 8,
	ODP_HCA_VERR_RESET         = 9,  /* flushed by reset */
	ODP_HCA_VERR_LEN           = 10, /* message longer than buffer */
	ODP_HCA_VERR_MR_STATE      = 11, /* not a fast-reg MR, or not free */
};

/* ---------------------------------------------------------------------
 * Event queue entries (32 bytes), same owner-bit rule as CQEs.
 */
enum odp_hca_event_type {
	ODP_HCA_EV_COMPLETION      = 0x01, /* obj: cqn of an armed CQ */
	ODP_HCA_EV_PAGE_FAULT      = 0x02, /* obj: qpn; fault below */
	ODP_HCA_EV_QP_FATAL        = 0x03, /* obj: qpn went to ERR */
	ODP_HCA_EV_CQ_ERROR        = 0x04, /* obj: cqn overflowed */
	ODP_HCA_EV_SRQ_LIMIT       = 0x05, /* obj: srqn below its limit */
	ODP_HCA_EV_SQ_DRAINED      = 0x06, /* obj: qpn drained in SQD */
	ODP_HCA_EV_PORT_ACTIVE     = 0x07, /* obj: port (1); link came up */
	ODP_HCA_EV_QP_ACCESS_ERR   = 0x08, /* obj: qpn, responder side */
	ODP_HCA_EV_PORT_DOWN       = 0x09, /* obj: port (1); link went down */
};

#define ODP_HCA_FAULT_READ         (1u << 0) /* device reads the pages */
#define ODP_HCA_FAULT_WRITE        (1u << 1) /* device writes them */
#define ODP_HCA_FAULT_ATOMIC       (1u << 2)

enum odp_hca_fault_side {
	ODP_HCA_FAULT_REQUESTER    = 0, /* executing a send WQE */
	ODP_HCA_FAULT_RESPONDER    = 1, /* an incoming request */
};

struct odp_hca_fault_info {
	uint32_t token;       /* echo in RESUME */
	uint32_t key;         /* lkey or rkey that faulted */
	uint64_t iova;        /* first faulting byte */
	uint32_t length;      /* bytes from iova the operation still needs */
	uint8_t  access;      /* ODP_HCA_FAULT_* */
	uint8_t  side;        /* enum odp_hca_fault_side */
	uint16_t wqe_index;   /* requester: SQ index of the WQE */
};

struct odp_hca_eqe {
	uint8_t  type;        /* enum odp_hca_event_type */
	uint8_t  subtype;     /* vendor_err for error events */
	uint8_t  rsvd;
	uint8_t  owner;       /* ODP_HCA_CQE_OWNER rule, written last */
	uint32_t obj;
	union {
		struct odp_hca_fault_info fault;
		uint8_t raw[24];
	};
};

#ifndef __KERNEL__
#ifdef __cplusplus
#define ODP_HCA_STATIC_ASSERT static_assert
#else
#define ODP_HCA_STATIC_ASSERT _Static_assert
#endif
#else
#define ODP_HCA_STATIC_ASSERT _Static_assert
#endif

ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_cmd) == 128, "cmd size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_cmd_modify_qp) == 88,
		      "modify_qp size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_caps) <= 256, "caps size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_wqe_ctrl) == 64, "ctrl size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_wqe_reg_mr) ==
		      sizeof(struct odp_hca_wqe_ctrl), "reg_mr size");
ODP_HCA_STATIC_ASSERT(__builtin_offsetof(struct odp_hca_wqe_reg_mr, opcode) ==
		      __builtin_offsetof(struct odp_hca_wqe_ctrl, opcode),
		      "reg_mr opcode");
ODP_HCA_STATIC_ASSERT(__builtin_offsetof(struct odp_hca_wqe_reg_mr, key) ==
		      __builtin_offsetof(struct odp_hca_wqe_ctrl, rkey),
		      "reg_mr key");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_wqe_ud) == 64, "ud size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_sge) == 16, "sge size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_recv_wqe) == 16, "rwqe size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_cqe) == 32, "cqe size");
ODP_HCA_STATIC_ASSERT(sizeof(struct odp_hca_eqe) == 32, "eqe size");

#endif /* ODP_HCA_HW_H */
