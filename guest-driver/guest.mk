# The guest side: rdma-core with the odp_hca provider, the guest harness
# (make vm) and the guest test suite (make check-guest).  Included by the
# top-level Makefile, whose variables (BUILD, QEMU, RESULTS, ...) it uses.
#
#   make setup           (top-level, root) installs what this needs too
#   make rdma-core       fetch Debian's rdma-core source (RDMA_CORE_SERIES:
#                        56, trixie's, the default; or 65, sid's), build it
#                        in place with the provider (build/rdma-core-<series>)
#   make kmod            build/kmod-<series>/odp_hca.ko for the guest kernel
#                        (KERNEL_SERIES: 6.12, the default, or 7.2;
#                        scripts/build-kmod.sh)
#   make vm              boot the guest with -device odp-hca: a shell on the
#                        serial console (Ctrl-A x quits, Ctrl-A c monitor)
#   make vm GUEST_CMD='ibv_devinfo -v'
#                        run the command in the guest, exit with its status
#   make check-guest     the guest test suite (TAP, counted by make check)
#   make check-guest-next  the same on sid's kernel and rdma-core, behind
#                        intel-iommu (counted by make check as guest-next)
#   make check-wire      the wire suite: one guest, two odp-hca devices on a
#                        QEMU hub, the ports as Ethernet NICs (TAP)
#   make check-wire2     two guests at once, their ports joined by a stream
#                        netdev on a unix socket (build/wire2/): ping, TCP,
#                        RDMA both ways (pingpongs, perftest) (TAP)
#   make check-wire2-rxe the same with a Soft-RoCE guest as the peer
#   make check-wire2-lossy the same, the link losing and reordering 1%
#   make check-wire2-kill two guests: the survivor's link flaps under an
#                        rping and NVMe over RDMA, then the other guest is
#                        killed (its QEMU quit over QMP): the survivor
#                        reports it and unloads its driver
#   make odp-verify      build/guest-tests-<series>/odp-verify, the ODP
#                        byte checker (linked to that rdma-core series)
#   make odp-midflight   build/guest-tests-<series>/odp-midflight, steady
#                        checked traffic for the mid-flight tests
#   make study-rdma      build/guest-tests-<series>/study-rdma, one RDMA
#                        WRITE flow between two guests (make study)
#   make bench-xfer      build/guest-tests-<series>/bench-xfer, one WRITE's
#                        time with the memory pinned, prefetched or cold
#   make qp-linger       build/guest-tests-<series>/qp-linger.so, which keeps a
#                        verbs program's QPs a moment before destroying
#                        them (the lossy-link pingpongs)
#
# While the guest runs, its monitors listen on $(VM_DIR)/qmp.sock (QMP)
# and $(VM_DIR)/hmp.sock (HMP).  scripts/vm.sh documents the knobs
# (VM_ACCEL, VM_MEM, VM_SMP, VM_DEVICE, VM_EXTRA, VM_APPEND, VM_TIMEOUT).

VM_DIR        ?= $(BUILD)/vm
# One initramfs per guest kernel series (its 9p modules), as vm.sh looks
# for it.
VM_INITRAMFS  := $(VM_DIR)/initramfs-$(KERNEL_SERIES).cpio.gz
KERNEL_DIR    := $(BUILD)/kernel-$(KERNEL_SERIES)
# check-guest's suite name (its results: $(RESULTS)/<name>.counts), so that
# a run on the other kernel can keep its own.
GUEST_SUITE   ?= guest
# The rdma-core series (scripts/lib.sh, odp_series_suite): its build,
# and the test programs linked to it.  Exported: the scripts and the guest
# (the kernel command line's odp.rdma_core=) use the same one.
RDMA_CORE_SERIES ?= $(shell sed -n 's/^ODP_RDMA_CORE_DEFAULT=//p' scripts/lib.sh)
export RDMA_CORE_SERIES
RDMA_CORE     := $(BUILD)/rdma-core-$(RDMA_CORE_SERIES)
GUEST_TESTS   := $(BUILD)/guest-tests-$(RDMA_CORE_SERIES)
GUEST_TIMEOUT ?= 1500
GUEST_CMD     ?=
export GUEST_CMD VM_DIR

# The kernel driver is built when its sources are there.
GUEST_KMOD    ?= $(if $(wildcard guest-driver/kernel/Kbuild),kmod)

.PHONY: rdma-core kmod vm-initramfs vm vm-deps check-guest check-guest-next check-wire check-wire2 \
        check-wire2-rxe check-wire2-lossy check-wire2-kill

rdma-core: need-rdma-core
	@scripts/build-rdma-core.sh

kmod: need-kmod
	@scripts/build-kmod.sh

vm-initramfs: $(VM_INITRAMFS)
$(VM_INITRAMFS): scripts/mkinitramfs-vm.sh scripts/lib.sh $(KERNEL_DIR)/STAMP | need-vm
	@scripts/mkinitramfs-vm.sh $@ $(KERNEL_DIR)

# The kernel is fetched once per build tree (scripts/fetch-kernel.sh).
$(KERNEL_DIR)/STAMP: | need-kernel
	@scripts/fetch-kernel.sh

# The ODP verification program (guest-driver/tests/odp-verify.c), built on
# the host against the rdma-core build; the guest runs it over 9p.
ODP_VERIFY        := $(GUEST_TESTS)/odp-verify
ODP_VERIFY_CFLAGS ?= -O2 -g -Wall -Wextra -Werror
.PHONY: odp-verify
odp-verify: $(ODP_VERIFY)
# Both programs include the interface header, the shared TAP helpers and
# the driver counters' reader.
GUEST_TEST_HDRS   := include/odp-hca-hw.h guest-driver/tests/tap.h \
                     guest-driver/tests/hw-counters.h
$(ODP_VERIFY): guest-driver/tests/odp-verify.c $(GUEST_TEST_HDRS) \
               $(wildcard $(RDMA_CORE)/include/infiniband/verbs.h) | rdma-core
	@mkdir -p $(@D)
	$(CC) $(ODP_VERIFY_CFLAGS) -Iinclude -I$(RDMA_CORE)/include -o $@ $< \
	    -L$(RDMA_CORE)/lib -Wl,-rpath,$(abspath $(RDMA_CORE)/lib) -libverbs -lpthread

# The mid-flight traffic checker (guest-driver/tests/odp-midflight.c) of
# check-midflight.sh, built the same way.
ODP_MIDFLIGHT     := $(GUEST_TESTS)/odp-midflight
.PHONY: odp-midflight
odp-midflight: $(ODP_MIDFLIGHT)
$(ODP_MIDFLIGHT): guest-driver/tests/odp-midflight.c $(GUEST_TEST_HDRS) \
                  $(wildcard $(RDMA_CORE)/include/infiniband/verbs.h) | rdma-core
	@mkdir -p $(@D)
	$(CC) $(ODP_VERIFY_CFLAGS) -Iinclude -I$(RDMA_CORE)/include -o $@ $< \
	    -L$(RDMA_CORE)/lib -Wl,-rpath,$(abspath $(RDMA_CORE)/lib) -libverbs -lpthread

# One RDMA WRITE flow between two guests, server or client, for the
# responder-fault study (guest-driver/tests/study-rdma.c, make study).
STUDY_RDMA        := $(GUEST_TESTS)/study-rdma
.PHONY: study-rdma
study-rdma: $(STUDY_RDMA)
$(STUDY_RDMA): guest-driver/tests/study-rdma.c \
               $(wildcard $(RDMA_CORE)/include/infiniband/verbs.h) | rdma-core
	@mkdir -p $(@D)
	$(CC) $(ODP_VERIFY_CFLAGS) -I$(RDMA_CORE)/include -o $@ $< \
	    -L$(RDMA_CORE)/lib -Wl,-rpath,$(abspath $(RDMA_CORE)/lib) -libverbs

# One WRITE's time with the memory pinned, prefetched, or dropped before
# every WRITE, for make bench (guest-driver/tests/bench-xfer.c).
BENCH_XFER        := $(GUEST_TESTS)/bench-xfer
.PHONY: bench-xfer
bench-xfer: $(BENCH_XFER)
$(BENCH_XFER): guest-driver/tests/bench-xfer.c guest-driver/tests/tap.h \
               guest-driver/tests/hw-counters.h \
               $(wildcard $(RDMA_CORE)/include/infiniband/verbs.h) | rdma-core
	@mkdir -p $(@D)
	$(CC) $(ODP_VERIFY_CFLAGS) -I$(RDMA_CORE)/include -o $@ $< \
	    -L$(RDMA_CORE)/lib -Wl,-rpath,$(abspath $(RDMA_CORE)/lib) -libverbs

# The preload of the lossy-link pingpongs (guest-driver/tests/qp-linger.c).
QP_LINGER         := $(GUEST_TESTS)/qp-linger.so
.PHONY: qp-linger
qp-linger: $(QP_LINGER)
$(QP_LINGER): guest-driver/tests/qp-linger.c \
              $(wildcard $(RDMA_CORE)/include/infiniband/verbs.h) | rdma-core
	@mkdir -p $(@D)
	$(CC) $(ODP_VERIFY_CFLAGS) -shared -fPIC -I$(RDMA_CORE)/include -o $@ $< -ldl

vm-deps: need-vm qemu kernel vm-initramfs rdma-core $(GUEST_KMOD) odp-verify odp-midflight qp-linger \
         study-rdma bench-xfer

vm: vm-deps
	@if [ -n "$$GUEST_CMD" ]; then \
	    QEMU=$(QEMU) scripts/vm.sh -c "$$GUEST_CMD"; \
	else \
	    QEMU=$(QEMU) scripts/vm.sh; \
	fi

check-guest: vm-deps
	@QEMU=$(QEMU) scripts/run-tap.sh $(GUEST_SUITE) $(RESULTS) $(GUEST_TIMEOUT) -- \
	    scripts/vm.sh -c guest-driver/tests/check-guest.sh

# make check's second guest run: the newest of each at once, the other
# kernel (sid's), the other rdma-core (sid's, its pyverbs tests among the
# suite's) and the device behind intel-iommu with the guest's IOMMU
# translating (check-iommu.sh), as a developer's machine on the newest
# stack has it.  check-guest is the default stack without an IOMMU, so
# each choice is run both ways by one of the two.
KERNEL_OTHER    ?= $(shell sed -n 's/^ODP_KERNEL_OTHERS=//p' scripts/lib.sh)
RDMA_CORE_OTHER ?= $(shell sed -n 's/^ODP_RDMA_CORE_OTHERS=//p' scripts/lib.sh)
check-guest-next:
	@$(MAKE) --no-print-directory KERNEL_SERIES=$(KERNEL_OTHER) \
	    RDMA_CORE_SERIES=$(RDMA_CORE_OTHER) VM_IOMMU=1 GUEST_SUITE=guest-next \
	    check-guest

# The wire suite: two odp-hca devices joined by a QEMU hub (hubports p0 and
# p1; the traffic never leaves QEMU), the second port's interface in a
# network namespace of the guest.  guest-driver/tests/check-wire.sh.
WIRE_TIMEOUT  ?= 1200
WIRE_MAC0     ?= 52:54:00:0d:00:01
WIRE_MAC1     ?= 52:54:00:0d:00:02
WIRE_DEVICE   := odp-hca,netdev=p0,mac=$(WIRE_MAC0)
WIRE_EXTRA    := -netdev hubport,id=p0,hubid=0 -netdev hubport,id=p1,hubid=0 \
                 -device odp-hca,netdev=p1,mac=$(WIRE_MAC1)
check-wire: vm-deps
	@QEMU=$(QEMU) VM_DEVICE='$(WIRE_DEVICE)' VM_EXTRA='$(WIRE_EXTRA) $(VM_EXTRA)' \
	    scripts/run-tap.sh wire $(RESULTS) $(WIRE_TIMEOUT) -- \
	    scripts/vm.sh -c 'WIRE_MAC0=$(WIRE_MAC0) WIRE_MAC1=$(WIRE_MAC1) guest-driver/tests/check-wire.sh'

# Two guests, one device each, joined by -netdev stream over a unix socket:
# guest-driver/tests/check-wire2.sh (the guests in build/wire2/a and b).
check-wire2: vm-deps need-roce
	@QEMU=$(QEMU) scripts/run-tap.sh wire2 $(RESULTS) $(WIRE_TIMEOUT) -- \
	    guest-driver/tests/check-wire2.sh

# The same two guests, their ports losing 1% of RoCEv2 frames and
# reordering 1%: everything completes, every byte checked.
check-wire2-lossy: vm-deps need-roce
	@QEMU=$(QEMU) WIRE2_DIR=$(BUILD)/wire2-lossy \
	    WIRE2_IMPAIR='"loss": 10000, "reorder": 10000, "seed": 1' \
	    scripts/run-tap.sh wire2-lossy $(RESULTS) $(WIRE_TIMEOUT) -- \
	    guest-driver/tests/check-wire2.sh

# The same two guests, the second a Soft-RoCE peer (rdma_rxe on virtio-net).
check-wire2-rxe: vm-deps need-roce
	@QEMU=$(QEMU) WIRE2_PEER=rxe WIRE2_DIR=$(BUILD)/wire2-rxe \
	    scripts/run-tap.sh wire2-rxe $(RESULTS) $(WIRE_TIMEOUT) -- \
	    guest-driver/tests/check-wire2.sh

# A peer killed mid-connection: guest a (odp-hca) survives, guest b
# (Soft-RoCE) is killed by the host while an rping and NVMe over RDMA run
# between them, after a link flap on a (guest-driver/tests/check-peerkill.sh).
PEERKILL_TIMEOUT ?= 600
check-wire2-kill: vm-deps
	@QEMU=$(QEMU) PEERKILL_TIMEOUT=$(PEERKILL_TIMEOUT) \
	    scripts/run-tap.sh wire2-kill $(RESULTS) $$(($(PEERKILL_TIMEOUT) + 120)) -- \
	    guest-driver/tests/check-peerkill.sh
