# odp-hca: build, run and test entry points.
#
#   make setup        host packages + bookworm-backports + trixie and sid deb-src, for
#                     everything below (idempotent, the one step that needs
#                     root; the others check what they need and say so)
#   make              fetch + configure QEMU once (QEMU_SERIES: 10.2, the
#                     default, or 10.0), build qemu-system-x86_64, the
#                     odp-hca qtest and the firmware (incremental)
#   make run          boot the guest (scripts/vm.sh) with -device $(RUN_DEVICE):
#                     lspci, ibv_rc_pingpong -o in loopback, the driver's fault
#                     counters, the monitor's "info odp-hca"; then power off
#   make check-interface  the interface stated once: no function name on both
#                     sides of it, no rule of include/odp-hca-hw.h restated
#   make check-qtest  build and run the odp-hca qtest
#   make check-qtest-other  the same against the other QEMU series (10.0
#                     when QEMU_SERIES is the default 10.2)
#   make check-plot   tools/odp-hca-plot on a real qtest run (images in
#                     build/plot/), the make study and make bench reports on
#                     made-up numbers, and how make bench reads perftest
#   make check-roce   the RoCEv2 frame module (hw/odp-hca-roce.c): its unit
#                     test, again under ASan+UBSan, and tshark on its frames
#   make check-asan   the odp-hca qtest against the ASan+UBSan build of QEMU
#                     (build/qemu-fuzz-<series>, clang-14); any sanitizer report fails
#   make fuzz         libFuzzer on generic-fuzz-odp-hca for FUZZ_SECONDS
#                     (default 60): executions, coverage, crashes with their
#                     reproducers (build/fuzz/)
#   make fuzz-seeds   regenerate tests/fuzz/seeds/ (tests/fuzz/make-seeds.py)
#   make check        everything above that is needed + every test suite
#   make bench-loopback  perftest ib_write_bw loopback bandwidth in one TCG
#                     guest, 3 runs each of 64 KiB and 1 MiB, medians in
#                     build/results/bench-loopback.txt (not part of check)
#   make bench        issue 12's benchmark: one TCG guest, odp-hca pinned,
#                     ODP and cold against Soft-RoCE in the same guest
#                     (perftest bandwidth, message rate and latency), the
#                     fault service histogram, registration, QP scale;
#                     build/results/bench.md, plots, bench.json (not in check)
#   make check-bench  a short run of make bench: every part gives figures
#   make study        issue 11's responder-fault study: two guests on a wire,
#                     RDMA WRITEs into an ODP region under fault injection
#                     and a pinned bystander, per policy and fault rate, with
#                     and without 1% loss; build/results/responder-faults.md
#                     (+ .json, PNGs); 3-5 minutes once built under TCG with
#                     one policy, about 7 with all four
#                     (not part of check)
#   make clean        remove build/ (downloads stay cached in
#                     $${XDG_CACHE_HOME:-$$HOME/.cache}/odp-hca, objects in ccache)
#
# All output lands under build/.  The steps live in scripts/, what runs in
# the guest in scripts/in-guest/.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

BUILD        := build
# The QEMU series to build against (scripts/lib.sh's default: the newest
# Debian serves, 10.2; QEMU_SERIES=10.0 for bookworm-backports'), each in
# build/qemu-{src,build,fuzz}-<series>.  The scripts read it from the
# environment.
QEMU_SERIES  ?= $(shell sed -n 's/^ODP_QEMU_DEFAULT=//p' scripts/lib.sh)
export QEMU_SERIES
# check-qtest-other: the qtest suite against the series that is not the
# default (make check runs both).
QEMU_OTHER   ?= $(shell sed -n 's/^ODP_QEMU_OTHERS=//p' scripts/lib.sh)
# The guest kernel (scripts/lib.sh's default: Debian's 6.12; KERNEL_SERIES=7.2,
# or VM_KERNEL=7.2, for sid's, whose odp_hca.ko is built in a sid build
# root), each in build/kernel-<series> and build/kmod-<series>.  Exported:
# the scripts and the guest use the same one.
KERNEL_SERIES ?= $(or $(VM_KERNEL),$(shell sed -n 's/^ODP_KERNEL_DEFAULT=//p' scripts/lib.sh))
export KERNEL_SERIES
QEMU_SRC     := $(BUILD)/qemu-src-$(QEMU_SERIES)
QEMU_BUILD   := $(BUILD)/qemu-build-$(QEMU_SERIES)
QEMU         := $(QEMU_BUILD)/qemu-system-x86_64
QTEST_BIN    := $(QEMU_BUILD)/tests/qtest/odp-hca-test
# qemu-bundle/<prefix>/share/qemu: the built binary's data dir without -L
# (prefix /usr/local, set in scripts/configure-qemu.sh).
QEMU_DATADIR := $(QEMU_BUILD)/qemu-bundle/usr/local/share/qemu
# The sanitizer build: clang-14 with libFuzzer, ASan and UBSan, the same
# QEMU options otherwise (scripts/configure-qemu.sh --sanitizers).  One
# directory gives the fuzzer and the qemu-system-x86_64 + qtest of
# check-asan; firmware in its own bundle directory, as above.
SAN_BUILD    := $(BUILD)/qemu-fuzz-$(QEMU_SERIES)
SAN_QEMU     := $(SAN_BUILD)/qemu-system-x86_64
SAN_QTEST    := $(SAN_BUILD)/tests/qtest/odp-hca-test
SAN_DATADIR  := $(SAN_BUILD)/qemu-bundle/usr/local/share/qemu
FUZZ_BIN     := $(SAN_BUILD)/qemu-fuzz-x86_64
KERNEL       := $(BUILD)/kernel-$(KERNEL_SERIES)/vmlinuz
INITRAMFS    := $(BUILD)/initramfs.cpio.gz
RESULTS      := $(BUILD)/results

NINJA        ?= ninja
NINJA_FLAGS  ?=

# ccache: rewrite absolute paths under the clone to relative ones and leave
# the working directory out of the hash, so every clone (CI checks out a new
# one each time) shares the cache.  Debug info then names the first clone's
# directory as compilation dir; source paths in it are relative anyway.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
# The freshly unpacked QEMU tree has new ctimes (mtimes come from the
# tarball), which would turn off ccache's direct mode for every file.
export CCACHE_SLOPPINESS := include_file_ctime

# make run: the guest harness (scripts/vm.sh) runs scripts/in-guest/run-demo.sh.
# These become vm.sh's VM_DEVICE, VM_MEM (two NUMA nodes share it),
# VM_APPEND (more kernel options), VM_EXTRA, VM_ACCEL and VM_TIMEOUT.
RUN_DEVICE   ?= odp-hca
RUN_MEM      ?= 2G
RUN_APPEND   ?=
RUN_EXTRA    ?=
RUN_TIMEOUT  ?= 600
# "auto": KVM when it really runs a guest here (probed once), else TCG.
RUN_ACCEL    ?= auto

# Test suites run by `make check`, each a check-<suite> target that leaves
# $(RESULTS)/<suite>.counts behind (scripts/run-tap.sh).  Append new ones.
CHECK_SUITES := interface qtest qtest-other roce guest guest-next plot bench asan fuzz wire wire2 wire2-rxe wire2-lossy wire2-kill
QTEST_TIMEOUT ?= 600
PLOT_TIMEOUT ?= 600
ASAN_TIMEOUT ?= 1800
# check-fuzz: the campaign `make check` runs (make fuzz is the long one).
# Per target: odp-hca, then odp-hca-wire (two devices on a hub: frames
# from the wire), then odp-hca-iommu (the device behind intel-iommu).
CHECK_FUZZ_SECONDS ?= 80
CHECK_FUZZ_TARGETS ?= odp-hca odp-hca-wire odp-hca-iommu
FUZZ_CHECK_TIMEOUT ?= 900

# make fuzz: seconds to fuzz, the config (generic-fuzz-<target>: odp-hca,
# odp-hca-rp with the device behind a PCIe root port, odp-hca-wire with
# two devices whose ports share a hub, or odp-hca-iommu with the device
# behind intel-iommu), more libFuzzer
# flags (e.g. FUZZ_FLAGS=-use_value_profile=1).
FUZZ_SECONDS ?= 60
FUZZ_TARGET  ?= odp-hca
FUZZ_FLAGS   ?=

.PHONY: all setup src configure firmware qemu build kernel initramfs run \
        check check-interface check-qtest check-qtest-other check-plot check-roce roce-test check-bench \
        clean clean-kernel \
        configure-sanitizers firmware-sanitizers build-asan build-fuzz \
        check-asan check-fuzz fuzz fuzz-seeds

all: build

# The one root step: every package and APT entry any target below needs.
setup:
	@scripts/setup-host.sh
	@scripts/setup-guest.sh

# What a step needs from the host, checked before it runs: need-<group>
# runs scripts/require.sh <group> (the groups are in scripts/packages.sh),
# which installs nothing and stops with "missing ...; run 'make setup' as
# root".
NEEDS := qemu sanitizers plot bench roce initramfs kernel rdma-core kmod vm
.PHONY: $(addprefix need-,$(NEEDS))
$(addprefix need-,$(NEEDS)):
	@scripts/require.sh $(@:need-%=%)

src: need-qemu
	@scripts/fetch-qemu.sh

configure: src
	@scripts/configure-qemu.sh

firmware: configure
	@scripts/firmware.sh $(QEMU_DATADIR)

qemu: configure firmware
	$(NINJA) -C $(QEMU_BUILD) $(NINJA_FLAGS) qemu-system-x86_64

build: configure firmware
	$(NINJA) -C $(QEMU_BUILD) $(NINJA_FLAGS) qemu-system-x86_64 tests/qtest/odp-hca-test

kernel: need-kernel
	@scripts/fetch-kernel.sh

initramfs: $(INITRAMFS)
$(INITRAMFS): scripts/mkinitramfs.sh scripts/lib.sh | need-initramfs
	@scripts/mkinitramfs.sh $@

run: vm-deps
	@QEMU=$(QEMU) VM_DEVICE='$(RUN_DEVICE)' VM_MEM='$(RUN_MEM)' \
	    VM_APPEND='$(RUN_APPEND)' VM_EXTRA='$(RUN_EXTRA)' VM_ACCEL='$(RUN_ACCEL)' \
	    VM_TIMEOUT='$(RUN_TIMEOUT)' scripts/vm.sh -c scripts/in-guest/run-demo.sh

# A benchmark, not a test: the loopback bandwidth one device moves, the
# figure a change of the guest <-> device transport is measured against
# (scripts/bench-loopback.sh).  Under TCG unless BENCH_ACCEL says otherwise,
# so that figures from different machines and days compare.
BENCH_ACCEL   ?= tcg
BENCH_TIMEOUT ?= 1800
.PHONY: bench-loopback
bench-loopback: vm-deps
	@QEMU=$(QEMU) VM_ACCEL='$(BENCH_ACCEL)' \
	    scripts/bench-loopback.sh $(RESULTS) $(BENCH_TIMEOUT)

# A benchmark, not a test (issue 12): odp-hca against pinned memory,
# against Soft-RoCE in the same guest, and the cost of a fault, one guest,
# one run (scripts/bench.sh, guest-driver/tests/bench-guest.py), across
# the wire between two guests (bench-wire-guest.py), QEMU's instructions
# per byte (scripts/bench-callgrind.sh), then build/results/bench.md, its plots and bench.json (scripts/bench-report.py).
.PHONY: bench
bench: vm-deps build need-plot need-bench
	@QEMU=$(QEMU) QTEST_BIN=$(QTEST_BIN) VM_ACCEL='$(BENCH_ACCEL)' \
	    scripts/bench.sh $(RESULTS) $(BENCH_TIMEOUT)

# make bench's smoke run (in make check): a few seconds of every part,
# one size, in build/bench-smoke; tests/bench/check-smoke.py checks that
# each gave its figures and the report was written.  Nothing about speed.
BENCH_SMOKE := $(BUILD)/results-bench-smoke
check-bench: vm-deps build need-plot need-bench
	@QEMU=$(QEMU) QTEST_BIN=$(QTEST_BIN) \
	    scripts/run-tap.sh bench $(RESULTS) 900 -- bash -c '\
	    BENCH_DIR=build/bench-smoke BENCH_SECONDS=1 BENCH_SIZES=4096 \
	    BENCH_TESTS=write BENCH_QPS=4 BENCH_WIRE_SIZES=65536 \
	    BENCH_COLD_REPEAT=1 BENCH_BW_REPEAT=1 BENCH_FAULTS_REPEAT=1 \
	    BENCH_LAT_REPEAT=1 \
	    BENCH_XFER_SIZES=65536 \
	    BENCH_WIRE_TESTS=write VM_ACCEL=tcg \
	        scripts/bench.sh $(BENCH_SMOKE) 600 > $(BUILD)/bench-smoke.log 2>&1; \
	    /usr/bin/python3 tests/bench/check-smoke.py $(BENCH_SMOKE)/bench.json \
	        $(BENCH_SMOKE)/bench.md $$?'

# A study, not a test: issue 11's responder-fault policies measured on two
# guests joined by a wire (scripts/study.py boots them once and drives
# the points over QMP; guest-driver/tests/study-guest.sh and study-rdma
# run the flows), then the report and its plots (scripts/study-report.py).
# The report is written even when the study stopped early; make fails then.
STUDY_DIR     ?= $(BUILD)/study
STUDY_REPORT  := $(RESULTS)/responder-faults
.PHONY: study
study: vm-deps study-rdma need-plot
	@mkdir -p $(RESULTS)
	@rc=0; QEMU=$(QEMU) STUDY_DIR=$(STUDY_DIR) \
	    /usr/bin/python3 scripts/study.py $(STUDY_REPORT).json || rc=1; \
	    /usr/bin/python3 scripts/study-report.py $(STUDY_REPORT).json \
	        $(STUDY_REPORT).md || rc=1; \
	    exit $$rc

# QTEST_SUITE: the name its results go under.
QTEST_SUITE ?= qtest
check-qtest: build
	@scripts/run-tap.sh $(QTEST_SUITE) $(RESULTS) $(QTEST_TIMEOUT) -- \
	    env QTEST_QEMU_BINARY=$(abspath $(QEMU)) $(QTEST_BIN) --tap -k

# The same suite built against the other QEMU series, as its own suite.
check-qtest-other:
	@$(MAKE) --no-print-directory QEMU_SERIES=$(QEMU_OTHER) \
	    QTEST_SUITE=qtest-other check-qtest

# The plot tool on the dump a qtest run writes, a live QEMU and bad input.
# The interface stated once: no name on both sides, no rule of the
# interface header restated (tests/interface/check-interface.py; no build).
check-interface:
	@scripts/run-tap.sh interface $(RESULTS) 60 -- \
	    /usr/bin/python3 tests/interface/check-interface.py

# Then the reports of make study and make bench (scripts/study-report.py,
# scripts/bench-report.py) on numbers made up by their tests, and how the
# bench reads perftest's output (tests/bench/test-perftest-runs.py).
check-plot: build need-plot
	@scripts/run-tap.sh plot $(RESULTS) $(PLOT_TIMEOUT) -- \
	    bash -c '/usr/bin/python3 tests/plot/test-plot.py $(abspath $(QEMU)) \
	        $(abspath $(QTEST_BIN)) $(abspath $(BUILD)/plot); a=$$?; \
	        /usr/bin/python3 tests/plot/test-study-report.py \
	            $(abspath $(BUILD)/plot-study); b=$$?; \
	        /usr/bin/python3 tests/plot/test-bench-report.py \
	            $(abspath $(BUILD)/plot-bench); c=$$?; \
	        /usr/bin/python3 tests/bench/test-perftest-runs.py; d=$$?; \
	        [ $$a = 0 ] && [ $$b = 0 ] && [ $$c = 0 ] && [ $$d = 0 ]'

# The RoCEv2 frame module (hw/odp-hca-roce.c): its unit test
# (tests/unit/odp-hca-roce-test.c, built by the QEMU build from our
# meson.build), the same test compiled here with clang-14 under ASan and
# UBSan (two files and glib: no sanitizer build of QEMU needed), and
# tshark on a capture of the frames it builds, with an independent ICRC
# (tests/roce/check-roce.py; a few seconds).
ROCE_TEST     := $(QEMU_BUILD)/odp-hca/odp-hca-roce-test
ROCE_SAN_TEST := $(BUILD)/roce/odp-hca-roce-test-asan
ROCE_TIMEOUT  ?= 300

roce-test: configure
	$(NINJA) -C $(QEMU_BUILD) $(NINJA_FLAGS) odp-hca/odp-hca-roce-test

$(ROCE_SAN_TEST): hw/odp-hca-roce.c hw/odp-hca-roce.h \
                  tests/unit/odp-hca-roce-test.c | configure need-sanitizers
	@mkdir -p $(@D)
	clang-14 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer -Wall -Werror \
	    -iquote $(QEMU_BUILD) -iquote $(QEMU_SRC)/include -Iinclude \
	    $$(pkg-config --cflags glib-2.0) -o $@ \
	    tests/unit/odp-hca-roce-test.c hw/odp-hca-roce.c \
	    $$(pkg-config --libs glib-2.0) -lz

check-roce: roce-test $(ROCE_SAN_TEST) need-roce
	@scripts/run-tap.sh roce $(RESULTS) $(ROCE_TIMEOUT) -- \
	    /usr/bin/python3 tests/roce/check-roce.py $(abspath $(ROCE_TEST)) \
	    $(abspath $(ROCE_SAN_TEST)) $(abspath $(BUILD)/roce)

# The sanitizer build: only the targets each step needs.
configure-sanitizers: src need-sanitizers
	@scripts/configure-qemu.sh --sanitizers

firmware-sanitizers: configure-sanitizers
	@scripts/firmware.sh $(SAN_DATADIR)

build-asan: configure-sanitizers firmware-sanitizers
	$(NINJA) -C $(SAN_BUILD) $(NINJA_FLAGS) qemu-system-x86_64 tests/qtest/odp-hca-test

build-fuzz: configure-sanitizers firmware-sanitizers
	$(NINJA) -C $(SAN_BUILD) $(NINJA_FLAGS) qemu-fuzz-x86_64

# The qtest suite under ASan+UBSan; a sanitizer report in the test or in
# a QEMU it started is a failure (scripts/check-sanitized.sh).
check-asan: build-asan
	@scripts/run-tap.sh asan $(RESULTS) $(ASAN_TIMEOUT) -- \
	    env QTEST_QEMU_BINARY=$(abspath $(SAN_QEMU)) \
	    scripts/check-sanitized.sh $(abspath $(SAN_QTEST)) --tap -k

fuzz: build-fuzz
	@FUZZ_FLAGS='$(FUZZ_FLAGS)' scripts/fuzz.sh $(FUZZ_BIN) $(FUZZ_SECONDS) $(FUZZ_TARGET)

fuzz-seeds:
	@/usr/bin/python3 tests/fuzz/make-seeds.py

check-fuzz: build-fuzz
	@scripts/run-tap.sh fuzz $(RESULTS) $(FUZZ_CHECK_TIMEOUT) -- \
	    scripts/check-fuzz.sh $(FUZZ_BIN) $(CHECK_FUZZ_SECONDS) $(CHECK_FUZZ_TARGETS)

check:
	@rm -f $(foreach s,$(CHECK_SUITES),$(RESULTS)/$(s).counts)
	@for s in $(CHECK_SUITES); do \
	    $(MAKE) --no-print-directory check-$$s || echo "check-$$s failed"; \
	done
	@/usr/bin/python3 scripts/reliability-report.py $(RESULTS) \
	    $(BUILD)/fuzz/$(FUZZ_TARGET)-summary.txt
	@echo "=== make check summary ==="
	@scripts/summary.sh $(RESULTS) $(CHECK_SUITES)

clean:
	rm -rf $(BUILD)

clean-kernel:
	rm -rf $(BUILD)/kernel $(BUILD)/kernel-* $(BUILD)/accel

# The guest side: rdma-core, the guest harness (make vm), check-guest.
include guest-driver/guest.mk
