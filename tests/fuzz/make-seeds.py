#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed inputs of the generic-fuzz-odp-hca fuzz targets.

Each seed is a program for QEMU's generic-fuzz target
(tests/qtest/fuzz/generic_fuzz.c): operations separated by "FUZZ", each
an opcode byte and its operands.  The device sees them as a driver's
register writes, doorbells and PCI config accesses; the memory it reads
by DMA (command entries, page lists, WQEs, translation tables, data) is
filled, read by read, from the DMA patterns the seed added last
(round-robin, one pattern per DMA read; a read of a range already filled
since the last operation is not filled again).

The layouts and constants come from include/odp-hca-hw.h, the one
definition of the interface: a small C probe compiled with the host's cc
prints them, and every structure packed here is checked against it.

    tests/fuzz/make-seeds.py [--out DIR]      (default: tests/fuzz/seeds)

See the README, "Sanitizers and fuzzing", for how the seeds are used.
"""

import argparse
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = os.path.join(ROOT, "include", "odp-hca-hw.h")

# ---------------------------------------------------------------------------
# generic-fuzz input format (QEMU 10.0 tests/qtest/fuzz/generic_fuzz.c)

SEPARATOR = b"FUZZ"
OP_IN, OP_OUT, OP_READ, OP_WRITE, OP_PCI_READ, OP_PCI_WRITE, OP_DISABLE_PCI, \
    OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS, OP_CLOCK_STEP = range(10)
SIZES = {1: 0, 2: 1, 4: 2, 8: 3}          # Byte, Word, Long, Quad

# The memory regions that the odp-hca configs match ("odp-hca*
# pcie-mmcfg-mmio*"), as generic-fuzz numbers them: in address order in
# the machine's memory map.  The q35 ECAM window (enabled before every
# input, at 0xb0000000) comes first, then the BARs that generic-fuzz maps
# from 0xe0000000 in BAR order.
R_ECAM, R_REGS, R_DB, R_MSIX_TABLE, R_MSIX_PBA = range(5)

# PCI config space of the device (hw/odp-hca-pci.c): the MSI-X capability
# is placed first (0x40), the PCIe capability at 0x80.
MSIX_CAP = 0x40
PCIE_CAP = 0x80
PCI_EXP_DEVCTL = PCIE_CAP + 0x08
PCI_EXP_DEVCTL_BCR_FLR = 0x8000
PCI_BRIDGE_CONTROL = 0x3e
PCI_BRIDGE_CTL_BUS_RESET = 0x40
ECAM_BASE = 0xb0000000
# Where the configs put things: generic-fuzz-odp-hca has the device at
# 00:01.0; generic-fuzz-odp-hca-rp has a root port there and the device
# at 01:00.0.
ECAM_DEV = {"odp-hca": 0x08 << 12, "odp-hca-rp": 1 << 20}
ECAM_ROOT_PORT = 0x08 << 12
MSI_ADDR = 0xfee00000
# Where generic-fuzz maps the device's BARs before each input (libqos's PC
# bus allocator: from 0xe0000000, each aligned to its size; the configs
# have 4 UARs, so BAR 2 is 16 KiB).  A reset clears them; the seeds that
# reset the device program them again.
BARS = {0x10: 0xe0000000, 0x18: 0xe0004000, 0x20: 0xe0008000}
PCI_COMMAND = 0x04
PCI_COMMAND_MEMORY_MASTER = 0x0006

# Guest memory used by the seeds (the fuzz machine has 64 MiB).
CMDQ = 0x100000
CMDQ_LOG = 4
CAPS = 0x110000
EQ_RING, CQ_RING, SQ_RING, RQ_RING, SRQ_RING = (0x200000 + i * 0x1000 for i in range(5))
PAGE_LISTS = 0x210000          # page-list arrays, one 0x100 slot each
MR_TABLE = 0x300000            # level-1 translation tables, a page each
MR_DATA = 0x400000             # data pages
MR_IOVA = 0x7f0000000000       # iova of the first MR, 4 pages


# ---------------------------------------------------------------------------
# The interface, from the header

# Structures packed below: C name -> fields in order (name, struct code or
# a nested structure).  Checked against the compiler's view of the header.
STRUCTS = {
    "odp_hca_ring_desc": [("page_list", "Q"), ("npages", "H"), ("log_entries", "B"),
                          ("log_stride", "B"), ("rsvd", "I")],
    "odp_hca_cmd_query_device": [("caps_addr", "Q")],
    "odp_hca_cmd_create_eq": [("ring", "odp_hca_ring_desc"), ("vector", "H"),
                              ("rsvd", "H"), ("eqn", "I")],
    "odp_hca_cmd_destroy": [("handle", "I")],
    "odp_hca_cmd_create_cq": [("ring", "odp_hca_ring_desc"), ("eqn", "I"), ("uar", "I"),
                              ("cqn", "I")],
    "odp_hca_cmd_create_srq": [("ring", "odp_hca_ring_desc"), ("pdn", "I"), ("uar", "I"),
                               ("max_sge", "H"), ("rsvd", "H"), ("limit", "I"),
                               ("srqn", "I")],
    "odp_hca_cmd_create_qp": [("sq", "odp_hca_ring_desc"), ("rq", "odp_hca_ring_desc"),
                              ("pdn", "I"), ("send_cqn", "I"), ("recv_cqn", "I"),
                              ("srqn", "I"), ("uar", "I"), ("type", "B"),
                              ("sq_sig_all", "B"), ("max_send_sge", "B"),
                              ("max_recv_sge", "B"), ("max_inline", "H"), ("rsvd", "H"),
                              ("qpn", "I")],
    "odp_hca_cmd_modify_qp": [("qpn", "I"), ("attr_mask", "I"), ("state", "B"),
                              ("cur_state", "B"), ("path_mtu", "B"), ("timeout", "B"),
                              ("retry_cnt", "B"), ("rnr_retry", "B"),
                              ("min_rnr_timer", "B"), ("max_rd_atomic", "B"),
                              ("max_dest_rd_atomic", "B"), ("port", "B"),
                              ("pkey_index", "H"), ("access_flags", "I"), ("qkey", "I"),
                              ("dest_qpn", "I"), ("sq_psn", "I"), ("rq_psn", "I"),
                              ("dmac", "6s"), ("rsvd", "2s"), ("sgid", "16s"),
                              ("dgid", "16s"), ("flow_label", "I"),
                              ("hop_limit", "B"), ("traffic_class", "B"),
                              ("rsvd1", "2s")],
    "odp_hca_cmd_create_mr": [("iova", "Q"), ("length", "Q"), ("table", "Q"), ("pdn", "I"),
                              ("access", "I"), ("key", "I"), ("levels", "B"),
                              ("flags", "B"), ("rsvd", "H")],
    "odp_hca_cmd_invalidate": [("iova", "Q"), ("length", "Q"), ("key", "I"),
                               ("flags", "I"), ("entries", "I")],
    "odp_hca_cmd_resume": [("token", "I"), ("status", "I")],
    "odp_hca_cmd": [("opcode", "B"), ("flags", "B"), ("status", "B"), ("owner", "B"),
                    ("rsvd", "I"), ("raw", "120s")],
    "odp_hca_wqe_ctrl": [("wr_id", "Q"), ("opcode", "B"), ("flags", "B"), ("num_sge", "B"),
                         ("rsvd0", "B"), ("imm_data", "I"), ("remote_addr", "Q"),
                         ("rkey", "I"), ("inline_len", "I"), ("compare_add", "Q"),
                         ("swap", "Q"), ("rsvd1", "16s")],
    "odp_hca_wqe_ud": [("dest_qpn", "I"), ("qkey", "I"), ("dgid", "16s"), ("sgid", "16s"),
                       ("dmac", "6s"), ("hop_limit", "B"), ("traffic_class", "B"),
                       ("flow_label", "I"), ("rsvd", "12s")],
    "odp_hca_wqe_reg_mr": [("wr_id", "Q"), ("opcode", "B"), ("flags", "B"),
                           ("num_sge", "B"), ("rsvd0", "B"), ("access", "I"),
                           ("iova", "Q"), ("key", "I"), ("rsvd1", "I"),
                           ("length", "Q"), ("table", "Q"), ("rsvd2", "16s")],
    "odp_hca_sge": [("addr", "Q"), ("length", "I"), ("lkey", "I")],
    "odp_hca_recv_wqe": [("wr_id", "Q"), ("num_sge", "B"), ("rsvd", "7s")],
}

# Constants used below; their values are the header's.
CONSTANTS = """
ODP_HCA_REG_CTRL ODP_HCA_REG_STATUS ODP_HCA_REG_CMDQ_BASE_LO ODP_HCA_REG_CMDQ_BASE_HI
ODP_HCA_REG_CMDQ_LOG_SIZE ODP_HCA_REG_CMDQ_PI ODP_HCA_REG_CMDQ_CI ODP_HCA_REG_EQ_DB
ODP_HCA_REG_MAGIC ODP_HCA_CTRL_ENABLE ODP_HCA_CTRL_RESET
ODP_HCA_EQ_DB_EQN_SHIFT ODP_HCA_EQ_DB_ARM
ODP_HCA_DB_SQ ODP_HCA_DB_RQ ODP_HCA_DB_SRQ ODP_HCA_DB_CQ_CI ODP_HCA_DB_CQ_ARM
ODP_HCA_DB_CQ_ARM_SOL ODP_HCA_DB_OBJ_SHIFT ODP_HCA_PAGE_SIZE
ODP_HCA_CMD_NOP ODP_HCA_CMD_QUERY_DEVICE ODP_HCA_CMD_CREATE_EQ ODP_HCA_CMD_DESTROY_EQ
ODP_HCA_CMD_CREATE_PD ODP_HCA_CMD_DESTROY_PD ODP_HCA_CMD_CREATE_CQ ODP_HCA_CMD_DESTROY_CQ
ODP_HCA_CMD_CREATE_SRQ ODP_HCA_CMD_DESTROY_SRQ ODP_HCA_CMD_CREATE_QP
ODP_HCA_CMD_MODIFY_QP ODP_HCA_CMD_QUERY_QP ODP_HCA_CMD_DESTROY_QP ODP_HCA_CMD_CREATE_MR
ODP_HCA_CMD_DESTROY_MR ODP_HCA_CMD_INVALIDATE ODP_HCA_CMD_RESUME
ODP_HCA_CMD_OWNER_HW ODP_HCA_CMD_F_INTR
ODP_HCA_QPT_RC ODP_HCA_QPT_UD ODP_HCA_NO_SRQ
ODP_HCA_QPS_INIT ODP_HCA_QPS_RTR ODP_HCA_QPS_RTS ODP_HCA_QPS_ERR
ODP_HCA_QP_ATTR_STATE ODP_HCA_QP_ATTR_ACCESS_FLAGS ODP_HCA_QP_ATTR_PORT ODP_HCA_QP_ATTR_QKEY
ODP_HCA_QP_ATTR_PATH_MTU ODP_HCA_QP_ATTR_TIMEOUT ODP_HCA_QP_ATTR_RETRY_CNT
ODP_HCA_QP_ATTR_RNR_RETRY ODP_HCA_QP_ATTR_RQ_PSN ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC
ODP_HCA_QP_ATTR_MIN_RNR_TIMER ODP_HCA_QP_ATTR_SQ_PSN ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC
ODP_HCA_QP_ATTR_DEST_QPN
ODP_HCA_ACCESS_LOCAL_WRITE ODP_HCA_ACCESS_REMOTE_WRITE ODP_HCA_ACCESS_REMOTE_READ
ODP_HCA_ACCESS_REMOTE_ATOMIC ODP_HCA_MTU_4096
ODP_HCA_MR_F_ON_DEMAND ODP_HCA_MR_F_IMPLICIT ODP_HCA_MR_F_FAST_REG ODP_HCA_PT_MAX_LEVELS
ODP_HCA_PTE_PRESENT ODP_HCA_PTE_WRITABLE
ODP_HCA_WQE_RDMA_WRITE ODP_HCA_WQE_RDMA_WRITE_IMM ODP_HCA_WQE_SEND ODP_HCA_WQE_RDMA_READ
ODP_HCA_WQE_ATOMIC_FA ODP_HCA_WQE_F_SIGNALED ODP_HCA_WQE_F_INLINE
ODP_HCA_WQE_SEND_INV ODP_HCA_WQE_REG_MR ODP_HCA_WQE_LOCAL_INV
ODP_HCA_RESUME_OK ODP_HCA_RESUME_FAIL ODP_HCA_INV_F_ALL
""".split()


def probe_header():
    """Compile a probe against the header: constants, sizes and offsets."""
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "odp-hca-hw.h"',
             "int main(void)", "{"]
    for c in CONSTANTS:
        lines.append(f'    printf("C {c} %llu\\n", (unsigned long long)({c}));')
    for name, fields in STRUCTS.items():
        lines.append(f'    printf("S {name} %zu\\n", sizeof(struct {name}));')
        for f, _ in fields:
            lines.append(f'    printf("F {name}.{f} %zu %zu\\n", '
                         f'offsetof(struct {name}, {f}), '
                         f'sizeof(((struct {name} *)0)->{f}));')
    lines += ["    return 0;", "}"]
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([cc, "-I", os.path.dirname(HEADER), "-o", exe, src], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    consts, sizes, fields = {}, {}, {}
    for line in out.splitlines():
        kind, key, *vals = line.split()
        if kind == "C":
            consts[key] = int(vals[0])
        elif kind == "S":
            sizes[key] = int(vals[0])
        else:
            fields[key] = (int(vals[0]), int(vals[1]))
    return consts, sizes, fields


_layouts = {}


def layout(name):
    """(struct format, size, {field: (offset, size)}) with C's natural alignment."""
    if name in _layouts:
        return _layouts[name]
    fmt, off, align, offsets = "<", 0, 1, {}
    for field, code in STRUCTS[name]:
        if code in STRUCTS:
            sub_fmt, sub_size, _ = layout(code)
            a, size, code = 8, sub_size, f"{sub_size}s"
        else:
            size = struct.calcsize("<" + code)
            a = size if code[-1] != "s" else 1
        pad = -off % a
        fmt += "x" * pad
        off += pad
        offsets[field] = (off, size)
        fmt += code
        off += size
        align = max(align, a)
    pad = -off % align
    fmt += "x" * pad
    _layouts[name] = (fmt, off + pad, offsets)
    return _layouts[name]


def check_layouts(sizes, fields):
    for name in STRUCTS:
        _, size, offsets = layout(name)
        if sizes[name] != size:
            sys.exit(f"make-seeds: struct {name} is {sizes[name]} bytes in {HEADER}, "
                     f"{size} here: update STRUCTS")
        for f, where in offsets.items():
            if fields[f"{name}.{f}"] != where:
                sys.exit(f"make-seeds: {name}.{f} at {fields[name + '.' + f]} in the "
                         f"header, {where} here: update STRUCTS")


def pack(name, **values):
    """Pack struct @name; fields not given are zero, nested ones are bytes."""
    fmt, _, _ = layout(name)
    args = []
    for field, code in STRUCTS[name]:
        v = values.pop(field, None)
        if code in STRUCTS or code.endswith("s"):
            args.append(v if v is not None else b"")
        else:
            args.append(v or 0)
    if values:
        raise KeyError(f"{name} has no field(s) {', '.join(values)}")
    return struct.pack(fmt, *args)


# ---------------------------------------------------------------------------
# A seed: generic-fuzz operations, plus what a driver does with them

class Seed:
    def __init__(self, k, target="odp-hca"):
        self.k = k                       # the header's constants
        self.target = target
        self.ops = []
        self.cmd_pi = 0
        self.sq_pi = {}
        self.rq_pi = {}

    # --- generic-fuzz operations
    def op(self, opcode, payload=b""):
        data = bytes([opcode]) + payload
        if SEPARATOR in data:
            # "FUZZ" inside an operation would split it.
            raise ValueError(f"operation {data!r} contains the separator")
        self.ops.append(data)

    def write(self, region, offset, value, size=4):
        self.op(OP_WRITE, struct.pack("<BBxxIQ", SIZES[size], region, offset, value))

    def read(self, region, offset, size=4):
        self.op(OP_READ, struct.pack("<BBxxI", SIZES[size], region, offset))

    def pci_write(self, offset, value, size=4):
        self.op(OP_PCI_WRITE, struct.pack("<BBBxI", SIZES[size], 0, offset, value))

    def pci_read(self, offset, size=4):
        self.op(OP_PCI_READ, struct.pack("<BBB", SIZES[size], 0, offset))

    def dma(self, *blobs):
        """The next DMA reads get these contents, in this order."""
        self.op(OP_CLEAR_DMA_PATTERNS)
        for b in blobs:
            self.op(OP_ADD_DMA_PATTERN, b"\0\0" + b)

    def clock_step(self, n=1):
        for _ in range(n):
            self.op(OP_CLOCK_STEP)

    def data(self):
        return SEPARATOR.join(self.ops)

    # --- the device as its driver sees it
    def reg(self, reg, value):
        self.write(R_REGS, self.k[reg], value)

    def ecam_dev(self, offset, value, size=4):
        self.write(R_ECAM, ECAM_DEV[self.target] + offset, value, size)

    def msix_vector(self, vector, addr=MSI_ADDR, data=0):
        base = vector * 16
        self.write(R_MSIX_TABLE, base + 0, addr & 0xffffffff)
        self.write(R_MSIX_TABLE, base + 4, addr >> 32)
        self.write(R_MSIX_TABLE, base + 8, data)
        self.write(R_MSIX_TABLE, base + 12, 0)          # unmasked

    def msix_enable(self):
        self.pci_write(MSIX_CAP + 2, 0x8000, 2)

    def restore_bars(self):
        """After a reset: the BARs where they were, memory + bus master on."""
        for bar, addr in BARS.items():
            self.pci_write(bar, addr)
            self.pci_write(bar + 4, 0)
        self.pci_write(PCI_COMMAND, PCI_COMMAND_MEMORY_MASTER, 2)

    def enable(self, base=CMDQ, log=CMDQ_LOG):
        self.reg("ODP_HCA_REG_CMDQ_BASE_LO", base & 0xffffffff)
        self.reg("ODP_HCA_REG_CMDQ_BASE_HI", base >> 32)
        self.reg("ODP_HCA_REG_CMDQ_LOG_SIZE", log)
        self.reg("ODP_HCA_REG_CTRL", self.k["ODP_HCA_CTRL_ENABLE"])
        self.cmd_pi = 0
        self.sq_pi, self.rq_pi = {}, {}

    def cmd(self, opcode, body=b"", reads=(), flags=0):
        """One command: its entry, then what it reads by DMA; ring the doorbell."""
        entry = pack("odp_hca_cmd", opcode=self.k[opcode], flags=flags,
                     owner=self.k["ODP_HCA_CMD_OWNER_HW"], raw=body)
        self.dma(entry, *reads)
        self.cmd_pi = (self.cmd_pi + 1) & 0xffff
        self.reg("ODP_HCA_REG_CMDQ_PI", self.cmd_pi)

    def ring(self, page_list, pages, log_entries, log_stride):
        return pack("odp_hca_ring_desc", page_list=page_list, npages=len(pages),
                    log_entries=log_entries, log_stride=log_stride)

    def pages(self, pages):
        return b"".join(struct.pack("<Q", p) for p in pages)

    def db(self, uar, reg, obj, count):
        self.write(R_DB, uar * self.k["ODP_HCA_PAGE_SIZE"] + self.k[reg],
                   (obj << self.k["ODP_HCA_DB_OBJ_SHIFT"]) | (count & 0xffff))

    def eq_arm(self, eqn=0, ci=0):
        self.reg("ODP_HCA_REG_EQ_DB", self.k["ODP_HCA_EQ_DB_ARM"] |
                 (eqn << self.k["ODP_HCA_EQ_DB_EQN_SHIFT"]) | ci)

    # --- commands
    def create_eq(self, vector=0, ring=EQ_RING, pl=PAGE_LISTS):
        body = pack("odp_hca_cmd_create_eq", ring=self.ring(pl, [ring], 7, 5), vector=vector)
        self.cmd("ODP_HCA_CMD_CREATE_EQ", body, [self.pages([ring])])

    def create_pd(self):
        self.cmd("ODP_HCA_CMD_CREATE_PD")

    def create_cq(self, eqn=0, ring=CQ_RING, pl=PAGE_LISTS + 0x100, log=7):
        body = pack("odp_hca_cmd_create_cq", ring=self.ring(pl, [ring], log, 5), eqn=eqn)
        self.cmd("ODP_HCA_CMD_CREATE_CQ", body, [self.pages([ring])])

    def create_qp(self, qpt="ODP_HCA_QPT_RC", pdn=0, cqn=0, srqn=None):
        k = self.k
        if qpt == "ODP_HCA_QPT_UD":       # control + datagram segment + SGE
            sq = self.ring(PAGE_LISTS + 0x200, [SQ_RING], 4, 8)  # 16 x 256 B
        else:
            sq = self.ring(PAGE_LISTS + 0x200, [SQ_RING], 5, 7)  # 32 x 128 B
        rq = self.ring(PAGE_LISTS + 0x300, [RQ_RING], 7, 5)      # 128 x 32 B
        body = pack("odp_hca_cmd_create_qp", sq=sq, rq=rq, pdn=pdn, send_cqn=cqn,
                    recv_cqn=cqn, srqn=k["ODP_HCA_NO_SRQ"] if srqn is None else srqn,
                    type=k[qpt], sq_sig_all=1, max_send_sge=1, max_recv_sge=1,
                    max_inline=32)
        reads = [self.pages([SQ_RING])]
        if srqn is None:
            reads.append(self.pages([RQ_RING]))
        self.cmd("ODP_HCA_CMD_CREATE_QP", body, reads)

    def create_srq(self, pdn=0):
        body = pack("odp_hca_cmd_create_srq",
                    ring=self.ring(PAGE_LISTS + 0x400, [SRQ_RING], 7, 5),
                    pdn=pdn, max_sge=1, limit=1)
        self.cmd("ODP_HCA_CMD_CREATE_SRQ", body, [self.pages([SRQ_RING])])

    def modify_qp(self, qpn, state, dest_qpn=None):
        k = self.k
        a = lambda n: k["ODP_HCA_QP_ATTR_" + n]
        mask = a("STATE")
        fields = dict(qpn=qpn, state=k["ODP_HCA_QPS_" + state])
        if state == "INIT":
            mask |= a("ACCESS_FLAGS") | a("PORT") | a("QKEY")
            fields.update(access_flags=0xf, port=1, qkey=QKEY)
        elif state == "RTR":
            mask |= a("PATH_MTU") | a("DEST_QPN") | a("RQ_PSN") | \
                a("MAX_DEST_RD_ATOMIC") | a("MIN_RNR_TIMER")
            fields.update(path_mtu=k["ODP_HCA_MTU_4096"],
                          dest_qpn=qpn if dest_qpn is None else dest_qpn,
                          max_dest_rd_atomic=4, min_rnr_timer=1)
        elif state == "RTS":
            mask |= a("TIMEOUT") | a("RETRY_CNT") | a("RNR_RETRY") | a("SQ_PSN") | \
                a("MAX_QP_RD_ATOMIC")
            fields.update(timeout=8, retry_cnt=3, rnr_retry=3, max_rd_atomic=4)
        self.cmd("ODP_HCA_CMD_MODIFY_QP",
                 pack("odp_hca_cmd_modify_qp", attr_mask=mask, **fields))

    def create_mr(self, key, table, iova=MR_IOVA, length=4 * 4096, levels=1,
                  on_demand=False, implicit=False):
        k = self.k
        flags = (k["ODP_HCA_MR_F_ON_DEMAND"] if on_demand or implicit else 0) | \
            (k["ODP_HCA_MR_F_IMPLICIT"] if implicit else 0)
        body = pack("odp_hca_cmd_create_mr", iova=iova, length=length, table=table,
                    access=0xf, key=key, levels=levels, flags=flags)
        self.cmd("ODP_HCA_CMD_CREATE_MR", body)

    def destroy(self, opcode, handle):
        self.cmd(opcode, pack("odp_hca_cmd_destroy", handle=handle))

    def resume(self, token, ok=True, reads=()):
        k = self.k
        self.cmd("ODP_HCA_CMD_RESUME",
                 pack("odp_hca_cmd_resume", token=token,
                      status=k["ODP_HCA_RESUME_OK" if ok else "ODP_HCA_RESUME_FAIL"]),
                 reads)

    # --- work requests
    def wqe(self, opcode, sge=None, remote_addr=0, rkey=0, inline=None, compare_add=0,
            ud_dest=None):
        """The WQE's pieces in the order the requester reads them."""
        k = self.k
        flags = k["ODP_HCA_WQE_F_SIGNALED"]
        if inline is not None:
            flags |= k["ODP_HCA_WQE_F_INLINE"]
        ctrl = pack("odp_hca_wqe_ctrl", wr_id=0x1234, opcode=k[opcode], flags=flags,
                    num_sge=0 if sge is None else 1, remote_addr=remote_addr, rkey=rkey,
                    inline_len=0 if inline is None else len(inline),
                    compare_add=compare_add)
        pieces = [ctrl]
        if ud_dest is not None:
            pieces.append(pack("odp_hca_wqe_ud", dest_qpn=ud_dest, qkey=QKEY,
                               dgid=b"\xfe\x80" + b"\0" * 14, sgid=b"\xfe\x80" + b"\0" * 14,
                               hop_limit=64, flow_label=0x12345))
        if inline is not None:
            return pieces + [inline]
        if sge is None:
            return pieces
        return pieces + [pack("odp_hca_sge", addr=sge[0], length=sge[1], lkey=sge[2])]

    def post_send(self, qpn, reads, uar=0):
        """Ring the SQ doorbell; @reads are the WQE and what it makes the device read."""
        self.dma(*reads)
        self.sq_pi[qpn] = self.sq_pi.get(qpn, 0) + 1
        self.db(uar, "ODP_HCA_DB_SQ", qpn, self.sq_pi[qpn])

    def recv_wqe(self, sge):
        """A receive WQE as the responder reads it: header, then its SGE."""
        return [pack("odp_hca_recv_wqe", wr_id=0x5678, num_sge=1),
                pack("odp_hca_sge", addr=sge[0], length=sge[1], lkey=sge[2])]

    def post_recv(self, qpn, uar=0):
        """Ring the RQ doorbell; the WQE is read when a message arrives."""
        self.rq_pi[qpn] = self.rq_pi.get(qpn, 0) + 1
        self.db(uar, "ODP_HCA_DB_RQ", qpn, self.rq_pi[qpn])


def pte(k, addr, writable=True):
    return struct.pack("<Q", addr | k["ODP_HCA_PTE_PRESENT"] |
                       (k["ODP_HCA_PTE_WRITABLE"] if writable else 0))


ABSENT = struct.pack("<Q", 0)
KEY0 = 0x00 << 8 | 0x11        # MR index 0
KEY1 = 0x01 << 8 | 0x22        # MR index 1
QPN = 2                        # the first QP the device hands out
QKEY = 0x11111111
TOKEN_SEQ_SHIFT = 17           # hw/odp-hca-fault.c: fault token layout


def fault_token(seq, qpn, side):
    """The token of the device's fault number @seq (counted since realize)."""
    return (seq << TOKEN_SEQ_SHIFT) | (qpn << 1) | side


def setup(s, mr_on_demand=False, second_mr=None):
    """MSI-X on, command queue on; EQ 0, PD 0, CQ 0, RC QP 2 (to itself), MRs."""
    s.msix_enable()
    s.msix_vector(0)
    s.enable()
    s.create_eq()
    s.eq_arm()
    s.create_pd()
    s.create_cq()
    s.create_qp()
    s.create_mr(KEY0, MR_TABLE, on_demand=mr_on_demand)
    if second_mr is not None:
        s.create_mr(KEY1, MR_TABLE + 0x1000, iova=MR_IOVA + 0x100000,
                    on_demand=second_mr)
    for state in ("INIT", "RTR", "RTS"):
        s.modify_qp(QPN, state)


# ---------------------------------------------------------------------------
# The seeds

def seeds(k):
    out = {}

    def seed(name, target="odp-hca"):
        s = Seed(k, target)
        out[name] = s
        return s

    # Registers and the command queue: QUERY_DEVICE, a NOP that interrupts.
    s = seed("cmdq-query-nop")
    s.read(R_REGS, k["ODP_HCA_REG_MAGIC"])
    s.msix_enable()
    s.msix_vector(0)
    s.enable()
    s.cmd("ODP_HCA_CMD_QUERY_DEVICE", pack("odp_hca_cmd_query_device", caps_addr=CAPS))
    s.cmd("ODP_HCA_CMD_NOP", flags=k["ODP_HCA_CMD_F_INTR"])
    s.read(R_REGS, k["ODP_HCA_REG_CMDQ_CI"])
    s.read(R_REGS, k["ODP_HCA_REG_STATUS"])

    # Every object, then torn down again.
    s = seed("cmdq-objects")
    setup(s)
    s.create_srq()
    s.cmd("ODP_HCA_CMD_QUERY_QP", pack("odp_hca_cmd_modify_qp", qpn=QPN))
    s.destroy("ODP_HCA_CMD_DESTROY_QP", QPN)
    s.destroy("ODP_HCA_CMD_DESTROY_SRQ", 0)
    s.destroy("ODP_HCA_CMD_DESTROY_MR", KEY0)
    s.destroy("ODP_HCA_CMD_DESTROY_CQ", 0)
    s.destroy("ODP_HCA_CMD_DESTROY_PD", 0)
    s.destroy("ODP_HCA_CMD_DESTROY_EQ", 0)
    s.reg("ODP_HCA_REG_CTRL", k["ODP_HCA_CTRL_RESET"])

    # RDMA WRITE through a pinned MR: WQE, SGE, table walk, data, CQE.
    s = seed("rdma-write-pinned")
    setup(s)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 256, KEY0),
                           remote_addr=MR_IOVA + 0x2000, rkey=KEY0)
                + [pte(k, MR_DATA), b"\xa5" * 256, pte(k, MR_DATA + 0x2000)])
    s.db(0, "ODP_HCA_DB_CQ_ARM", 0, 0)
    s.db(0, "ODP_HCA_DB_CQ_CI", 0, 1)
    s.eq_arm(0, 1)

    # SEND from inline data into a posted receive (the responder path).
    s = seed("send-recv-inline")
    setup(s)
    s.post_recv(QPN)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND", inline=b"odp-hca!" * 4)
                + s.recv_wqe((MR_IOVA + 0x1000, 64, KEY0)) + [pte(k, MR_DATA + 0x1000)])
    s.db(0, "ODP_HCA_DB_CQ_ARM_SOL", 0, 2)

    # UD: a datagram to itself; the receiver gets a GRH, then the data.
    s = seed("ud-send-recv")
    s.msix_enable()
    s.msix_vector(0)
    s.enable()
    s.create_eq()
    s.eq_arm()
    s.create_pd()
    s.create_cq()
    s.create_qp("ODP_HCA_QPT_UD")
    s.create_mr(KEY0, MR_TABLE)
    for state in ("INIT", "RTR", "RTS"):
        s.modify_qp(QPN, state)
    s.post_recv(QPN)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND", sge=(MR_IOVA, 128, KEY0), ud_dest=QPN)
                + [pte(k, MR_DATA), b"\x66" * 128]
                + s.recv_wqe((MR_IOVA + 0x1000, 40 + 128, KEY0)) + [pte(k, MR_DATA + 0x1000)])
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND", inline=b"ud-no-recv", ud_dest=QPN))

    # SEND into a receive buffer of an on-demand MR whose page is absent:
    # responder fault, RNR NAK; RESUME, the retry lands.
    s = seed("odp-send-recv-fault")
    setup(s, second_mr=True)
    s.post_recv(QPN)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND", inline=b"fault-on-recv!" * 2)
                + s.recv_wqe((MR_IOVA + 0x100000, 64, KEY1)) + [ABSENT])
    s.resume(fault_token(1, QPN, 1))
    s.dma(pte(k, MR_DATA + 0x20000))
    s.clock_step(2)

    # RDMA READ and an atomic, pinned.
    # Fast registration: a fast-reg MR (index 1) registered by REG_MR, a
    # WRITE through it, LOCAL_INV, and a SEND_WITH_INV of it that the
    # responder must refuse (free by then).
    s = seed("frmr-reg-write-inv")
    setup(s)
    frmr = 0x01 << 8 | 0x33
    s.cmd("ODP_HCA_CMD_CREATE_MR",
          pack("odp_hca_cmd_create_mr", key=frmr, flags=k["ODP_HCA_MR_F_FAST_REG"]))
    s.post_send(QPN, [pack("odp_hca_wqe_reg_mr", wr_id=0x1, opcode=k["ODP_HCA_WQE_REG_MR"],
                           flags=k["ODP_HCA_WQE_F_SIGNALED"], access=0xf,
                           iova=0x700000, key=frmr + 1, length=2 * 4096,
                           table=MR_TABLE + 0x1000)])
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 256, KEY0),
                           remote_addr=0x700100, rkey=frmr + 1)
                + [pte(k, MR_DATA), b"\x5a" * 256, pte(k, MR_DATA + 0x2000)])
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_LOCAL_INV", rkey=frmr + 1))
    s.post_recv(QPN)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND_INV", inline=b"inv!" * 4, rkey=frmr + 1)
                + s.recv_wqe((MR_IOVA + 0x1000, 64, KEY0)) + [pte(k, MR_DATA + 0x1000)])

    s = seed("rdma-read-atomic")
    setup(s)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_READ", sge=(MR_IOVA, 64, KEY0),
                           remote_addr=MR_IOVA + 0x3000, rkey=KEY0)
                + [pte(k, MR_DATA + 0x3000), b"\x5a" * 64, pte(k, MR_DATA)])
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_ATOMIC_FA", sge=(MR_IOVA + 8, 8, KEY0),
                           remote_addr=MR_IOVA + 0x3008, rkey=KEY0, compare_add=1)
                + [pte(k, MR_DATA + 0x3000), b"\1" * 8, pte(k, MR_DATA)])

    # On-demand MR, entry absent: requester fault, event; RESUME, retry.
    s = seed("odp-requester-fault-resume")
    setup(s, mr_on_demand=True)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 128, KEY0),
                           remote_addr=MR_IOVA + 0x2000, rkey=KEY0) + [ABSENT])
    s.read(R_MSIX_PBA, 0)
    s.eq_arm(0, 1)
    s.resume(fault_token(1, QPN, 0), reads=[pte(k, MR_DATA), b"\x11" * 128,
                                            pte(k, MR_DATA + 0x2000)])
    s.clock_step(2)

    # Responder fault: the local MR is pinned, the remote one on demand.
    # RNR NAK; RESUME; the requester's timer, its retry finds the page.
    s = seed("odp-responder-fault-resume")
    setup(s, second_mr=True)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 512, KEY0),
                           remote_addr=MR_IOVA + 0x100000, rkey=KEY1)
                + [pte(k, MR_DATA), b"\x22" * 512, ABSENT])
    s.resume(fault_token(1, QPN, 1))
    s.dma(pte(k, MR_DATA + 0x10000))
    s.clock_step(2)

    # Responder fault never answered: RNR retries run out; a late RESUME
    # that fails.
    s = seed("odp-responder-rnr-exceeded")
    setup(s, second_mr=True)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 512, KEY0),
                           remote_addr=MR_IOVA + 0x100000, rkey=KEY1)
                + [pte(k, MR_DATA), b"\x22" * 512, ABSENT])
    s.clock_step(5)
    s.resume(fault_token(1, QPN, 1), ok=False)

    # Implicit ODP MR (4 levels) and INVALIDATE.
    s = seed("odp-implicit-invalidate")
    setup(s)
    s.create_mr(KEY1, MR_TABLE + 0x1000, iova=0, length=0, levels=4, implicit=True)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 64, KEY0),
                           remote_addr=0x1000, rkey=KEY1)
                + [pte(k, MR_DATA), b"\x33" * 64,
                   pte(k, MR_TABLE + 0x2000, False), pte(k, MR_TABLE + 0x3000, False),
                   pte(k, MR_TABLE + 0x4000, False), ABSENT])
    s.cmd("ODP_HCA_CMD_INVALIDATE",
          pack("odp_hca_cmd_invalidate", iova=0, length=1 << 20, key=KEY1))
    s.cmd("ODP_HCA_CMD_INVALIDATE",
          pack("odp_hca_cmd_invalidate", flags=k["ODP_HCA_INV_F_ALL"]))
    s.clock_step(2)

    # Function-level reset from PCI config space, plain and through ECAM,
    # with a fault pending; then the device is used again.
    for target in ("odp-hca", "odp-hca-rp"):
        suffix = "" if target == "odp-hca" else "-rp"
        s = seed("flr-ecam-fault-pending" + suffix, target)
        setup(s, mr_on_demand=True)
        s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 64, KEY0),
                               remote_addr=MR_IOVA, rkey=KEY0) + [ABSENT])
        s.ecam_dev(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR, 2)
        s.restore_bars()
        s.msix_enable()
        s.enable()
        s.cmd("ODP_HCA_CMD_NOP", flags=k["ODP_HCA_CMD_F_INTR"])

        # The device's own DMA sets FLR: QUERY_DEVICE writes its caps over
        # its config space, where max_msg_size's top byte (0x80) lands on
        # the high byte of Device Control.
        s = seed("flr-by-own-dma" + suffix, target)
        s.msix_enable()
        s.msix_vector(0)
        s.enable()
        s.create_eq()
        caps_max_msg_size_top = 14 * 4 + 3      # struct odp_hca_caps
        s.cmd("ODP_HCA_CMD_QUERY_DEVICE",
              pack("odp_hca_cmd_query_device",
                   caps_addr=ECAM_BASE + ECAM_DEV[target] + PCI_EXP_DEVCTL + 1
                   - caps_max_msg_size_top), flags=k["ODP_HCA_CMD_F_INTR"])
        s.cmd("ODP_HCA_CMD_NOP")

        # The device's own MSI-X message sets FLR: vector 0 aimed at its
        # Device Control through ECAM.
        s = seed("flr-by-own-msix" + suffix, target)
        s.msix_enable()
        s.msix_vector(0, ECAM_BASE + ECAM_DEV[target] + PCI_EXP_DEVCTL,
                      PCI_EXP_DEVCTL_BCR_FLR)
        s.enable()
        s.cmd("ODP_HCA_CMD_NOP", flags=k["ODP_HCA_CMD_F_INTR"])
        s.cmd("ODP_HCA_CMD_NOP", flags=k["ODP_HCA_CMD_F_INTR"])

    # FLR through the 0xcf8/0xcfc mechanism while a SEND waits for a receive.
    s = seed("flr-cf8-send-pending")
    setup(s)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_SEND", sge=(MR_IOVA, 64, KEY0))
                + [pte(k, MR_DATA), b"\x44" * 64])
    s.pci_write(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR, 2)
    s.restore_bars()
    s.post_recv(QPN)
    s.clock_step(2)
    setup(s)

    # Completions written into the device's own config space: the CQ ring
    # is its ECAM page, so the fifth CQE's byte_len lands on Device Control.
    s = seed("flr-by-own-cqe")
    s.msix_enable()
    s.msix_vector(0)
    s.enable()
    s.create_eq()
    s.create_pd()
    s.create_cq(ring=ECAM_BASE + ECAM_DEV["odp-hca"], log=7)
    s.create_qp()
    s.create_mr(KEY0, MR_TABLE)
    for state in ("INIT", "RTR", "RTS"):
        s.modify_qp(QPN, state)
    for i in range(5):
        s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE",
                               sge=(MR_IOVA, 0x8000 if i == 4 else 16, KEY0),
                               remote_addr=MR_IOVA, rkey=KEY0)
                    + [pte(k, MR_DATA), b"\x55" * 16])

    # Secondary bus reset from the root port (the -rp target) while the
    # device has a fault pending.
    s = seed("sbr-root-port-fault-pending-rp", "odp-hca-rp")
    setup(s, mr_on_demand=True)
    s.post_send(QPN, s.wqe("ODP_HCA_WQE_RDMA_WRITE", sge=(MR_IOVA, 64, KEY0),
                           remote_addr=MR_IOVA, rkey=KEY0) + [ABSENT])
    s.write(R_ECAM, ECAM_ROOT_PORT + PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, 2)
    s.write(R_ECAM, ECAM_ROOT_PORT + PCI_BRIDGE_CONTROL, 0, 2)
    s.resume(fault_token(1, QPN, 0))
    s.restore_bars()
    setup(s)

    return {name: s.data() for name, s in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fuzz", "seeds"))
    args = ap.parse_args()

    consts, sizes, fields = probe_header()
    check_layouts(sizes, fields)
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if old.endswith(".bin"):
            os.unlink(os.path.join(args.out, old))
    for name, data in sorted(seeds(consts).items()):
        with open(os.path.join(args.out, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin: {len(data)} bytes")


if __name__ == "__main__":
    main()
