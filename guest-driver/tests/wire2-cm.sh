#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# Connection management and kernel storage between the two guests of
# check-wire2.sh (run by wire2-guest.sh after wire2-rdma.sh): prints
# "ok - ..." / "not ok - ..." lines for the host to number.
#
#  - librdmacm's tools, each guest the server once: rping -v -V (every
#    ping's data checked against the pattern the client wrote), ucmatose,
#    udaddy (UD, SIDR), rdma_server/rdma_client (cm_check in cm-lib.sh);
#  - perftest ib_write_bw, ib_read_bw and ib_send_bw with -R (connected
#    by rdma_cm), pinned and, where the guest's device does ODP, --odp;
#  - NVMe over RDMA (nvme-lib.sh): nvmet + nvmet-rdma serve a namespace
#    (a file on tmpfs), the other guest connects with `nvme connect -t
#    rdma`, writes WIRE2_BLOB with O_DIRECT and reads it back, runs fio
#    with verify, disconnects; the target then finds the blob in its file
#    byte for byte and is torn down.  The target is guest a; with two
#    kinds of device (odp-hca and Soft-RoCE) guest b serves once too.
#    nvme-rdma's host side needs fast registration MRs: on a device
#    without them (odp-hca today) that run is a SKIP that says so.
#
# Both guests walk the same list in the same order; the client retries
# while the server does not listen yet (as in wire2-rdma.sh).  A tool's
# stderr is kept apart from its stdout and appended after it: rping's
# stdout is a buffered file, and a DISCONNECT line written to the same
# file would land in the middle of a ping data line.
# With WIRE2_IMPAIRED (the lossy link) only rping and NVMe run.
# Environment: as wire2-rdma.sh (WIRE2_ROLE, WIRE2_IB, WIRE2_ME,
# WIRE2_PEER, WIRE2_ME_KIND, WIRE2_PEER_KIND, WIRE2_ONLY,
# WIRE2_IMPAIRED), WIRE2_BLOB.
set -u

ROLE="${WIRE2_ROLE:?}"
IB="${WIRE2_IB:?}"
ME="${WIRE2_ME:?}"
: "${WIRE2_PEER:?}"
ME_KIND="${WIRE2_ME_KIND:-odp}"
PEER_KIND="${WIRE2_PEER_KIND:-odp}"
BLOB="${WIRE2_BLOB:?}"
LOG=/tmp/wire2-cm
mkdir -p "$LOG"
HERE="$(dirname "${BASH_SOURCE[0]}")"
. "$HERE/cm-lib.sh"
. "$HERE/nvme-lib.sh"

. "$(dirname "${BASH_SOURCE[0]}")/guest-tap.sh"

for m in rdma_cm rdma_ucm; do
    modprobe "$m" 2>/dev/null || not_ok "modprobe $m"
done

# A client that starts before its server listens is rejected (or finds
# no one to resolve): those failures are retried, for up to 5 minutes.
RETRY='REJECTED|UNREACHABLE|[Rr]efused|Couldn.t connect|Unable to perform rdma_client|rdma_connect|ADDR_ERROR|ROUTE_ERROR|connect error|Failed to connect'

PORT=7200
# cm_run <desc> <server-role> <tool> <count> <size> <server command...> -- <client command...>
# tool: one of cm_check's, or "perftest" (the client's result line).
cm_run() {
    local desc="$1" server="$2" tool="$3" count="$4" size="$5" rc n side out
    local tmo=240 tries=300
    local -a scmd=() ccmd=()
    shift 5
    while [ $# -gt 0 ] && [ "$1" != -- ]; do scmd+=("$1"); shift; done
    shift
    ccmd=("$@")
    wanted "$desc" || return 0
    out="$LOG/$PORT.log"
    if [ "$ROLE" = "$server" ]; then
        side=server
        timeout "$tmo" "${scmd[@]}" > "$out" 2> "$out.err"
        rc=$?
        cat "$out.err" >> "$out"
    else
        side=client
        for n in $(seq 1 "$tries"); do
            timeout "$tmo" "${ccmd[@]}" > "$out" 2> "$out.err"
            rc=$?
            cat "$out.err" >> "$out"
            [ "$rc" = 0 ] && break
            grep -qE "$RETRY" "$out" || break
            sleep 1
        done
    fi
    if [ "$rc" != 0 ]; then
        not_ok "$desc ($side, exit $rc)"
        show "$out"
        return
    fi
    if [ "$tool" = perftest ]; then
        [ "$side" = server ] && { ok "$desc ($side)"; return; }
        local res
        res="$(grep -E '^[[:space:]]*[0-9]+([[:space:]]+[0-9.]+){4}[[:space:]]*$' "$out" | tail -n 1)"
        if [ -z "$res" ] || ! grep -q "rdma_cm QPs.*ON" "$out"; then
            not_ok "$desc ($side: no result line, or not connected by rdma_cm)"
            show "$out"
            return
        fi
        ok "$desc ($side)"
        echo "# $res" | tr -s '\t ' ' '
        return
    fi
    local t="$tool" why
    [ "$tool" = rdma_server ] && [ "$side" = client ] && t=rdma_client
    if why="$(cm_check "$t" "$side" "$out" "$count" "$size")"; then
        ok "$desc ($side): $why"
    else
        not_ok "$desc ($side): $why"
        show "$out"
    fi
}

for server in a b; do
    client=b
    [ "$server" = b ] && client=a
    dir="$client -> $server"
    saddr=10.0.0.1
    [ "$server" = b ] && saddr=10.0.0.2
    PORT=$((PORT + 1))
    cm_run "rdma_cm: rping -v -V -C 20 -S 1000, $dir" "$server" rping 20 1000 \
        rping -s -a "$saddr" -p "$PORT" -v -V -C 20 -S 1000 -- \
        rping -c -a "$saddr" -p "$PORT" -v -V -C 20 -S 1000
    # On the lossy link (check-wire2-lossy) rping and NVMe are the runs:
    # the others connect the same way and are run on the clean links;
    # udaddy's datagrams may be lost by design, and the CM's MADs that
    # are lost cost a 4 s retry each.
    [ -n "${WIRE2_IMPAIRED:-}" ] && continue
    PORT=$((PORT + 1))
    cm_run "rdma_cm: ucmatose -c 2 -C 20 -S 1000, $dir" "$server" ucmatose 0 0 \
        ucmatose -b "$saddr" -p "$PORT" -c 2 -C 20 -S 1000 -- \
        ucmatose -s "$saddr" -p "$PORT" -c 2 -C 20 -S 1000
    cm_run "rdma_cm: udaddy -C 20 (UD), $dir" "$server" udaddy 0 0 \
        udaddy -b "$saddr" -C 20 -- udaddy -s "$saddr" -C 20
    PORT=$((PORT + 1))
    cm_run "rdma_cm: rdma_server / rdma_client, $dir" "$server" rdma_server 0 0 \
        rdma_server -s "$saddr" -p "$PORT" -- rdma_client -s "$saddr" -p "$PORT"
    odps=""
    [ "$ME_KIND" = odp ] && [ "$PEER_KIND" = odp ] && odps="--odp"
    for t in ib_write_bw ib_read_bw ib_send_bw; do
        for odp in "" $odps; do
            PORT=$((PORT + 1))
            cm_run "rdma_cm: $t -R ${odp:-pinned} -s 65536 -n 200, $dir" "$server" perftest 0 0 \
                "$t" -d "$IB" -R -F -s 65536 -n 200 -p "$PORT" $odp -- \
                "$t" -d "$IB" -R -F -s 65536 -n 200 -p "$PORT" $odp "$saddr"
        done
    done
done
# perftest --odp with one side Soft-RoCE: the odp-hca side alone asks
# for it (rxe on 6.12 has no ODP).
if [ "$ME_KIND" != "$PEER_KIND" ] && [ -z "${WIRE2_IMPAIRED:-}" ]; then
    odpflag=
    [ "$ME_KIND" = odp ] && odpflag=--odp
    for server in a b; do
        client=b
        [ "$server" = b ] && client=a
        saddr=10.0.0.1
        [ "$server" = b ] && saddr=10.0.0.2
        PORT=$((PORT + 1))
        cm_run "rdma_cm: ib_send_bw -R, --odp on the odp-hca side, $client -> $server" "$server" perftest 0 0 \
            ib_send_bw -d "$IB" -R -F -s 65536 -n 200 -p "$PORT" $odpflag -- \
            ib_send_bw -d "$IB" -R -F -s 65536 -n 200 -p "$PORT" $odpflag "$saddr"
    done
fi

# NVMe over RDMA: target <server>, host the other guest.  The host tells
# the target over TCP (port 5300 + n) that it is done, or why it skipped.
NQN=odp-hca.wire2
nvme_run() { # <target-role> <tcp port>
    local target="$1" tport="$2" desc taddr msg
    local host=b
    [ "$target" = b ] && host=a
    taddr=10.0.0.1
    [ "$target" = b ] && taddr=10.0.0.2
    desc="NVMe/RDMA, target $target, host $host"
    wanted "$desc" || return 0
    if [ "$ROLE" = "$target" ]; then
        local file=/dev/shm/nvmet-ns.img t0
        t0="$(dmesg | wc -l)"
        if nvmet_serve "$taddr" 4420 "$NQN" "$file" 32; then
            ok "$desc: nvmet-rdma serves a 32 MiB file namespace on $IB, port $taddr:4420"
        else
            not_ok "$desc: nvmet-rdma serves a namespace on $IB ($NVME_WHY)"
        fi
        msg="$(timeout 900 socat -u "TCP-LISTEN:$tport,bind=$ME,reuseaddr" - 2>&1 | head -n1)"
        case "$msg" in
            done*)
                if cmp -n "$(stat -c %s "$BLOB")" "$BLOB" "$file" > "$LOG/nvme-cmp" 2>&1; then
                    ok "$desc: the namespace's file holds the $(stat -c %s "$BLOB") bytes the host wrote, byte for byte"
                else
                    not_ok "$desc: the namespace's file holds the bytes the host wrote"
                    show "$LOG/nvme-cmp"
                fi ;;
            skip*) skip "$desc: the host's bytes in the namespace's file" "${msg#skip }" ;;
            *) not_ok "$desc: the host reports its run (got \"$msg\")" ;;
        esac
        if nvmet_teardown "$NQN"; then
            ok "$desc: target torn down, nvmet_rdma and nvmet unloaded"
        else
            not_ok "$desc: target torn down ($NVME_WHY)"
        fi
        dmesg | tail -n "+$((t0 + 1))" > "$LOG/nvme-dmesg"
        if grep -E "expired|fatal error|WARNING|BUG|leak" "$LOG/nvme-dmesg" > "$LOG/nvme-bad"; then
            not_ok "$desc: target's dmesg without keep-alive expiry, error or warning"
            show "$LOG/nvme-bad"
        else
            ok "$desc: target's dmesg: $(grep -c 'nvmet: ' "$LOG/nvme-dmesg") nvmet lines, no keep-alive expiry, error or warning"
        fi
        rm -f "$file"
        return
    fi
    # The host.
    tell() {
        local n
        for n in $(seq 1 120); do
            echo "$1" | timeout 10 socat -u - "TCP:$taddr:$tport" 2>/dev/null && return 0
            sleep 1
        done
        not_ok "$desc: the target heard the host's report"
    }
    if ! nvme_host_can "$IB"; then
        skip "$desc: nvme connect -t rdma, I/O checked, nvme disconnect" \
            "$IB has no fast registration MRs (MEM_MGT_EXTENSIONS), which nvme-rdma's host side needs"
        tell "skip the host's device ($IB) has no fast registration MRs"
        return
    fi
    if ! nvme_host_connect "$taddr" 4420 "$NQN" 300; then
        not_ok "$desc: nvme connect -t rdma -a $taddr -s 4420 -n $NQN ($NVME_WHY)"
        show /tmp/nvme-connect.log
        tell "fail connect"
        return
    fi
    ok "$desc: nvme connect -t rdma: $NVME_CTRL over $IB, namespace $NVME_DEV ($(($(blockdev --getsize64 "$NVME_DEV") / 1048576)) MiB)"
    local size want have
    size="$(stat -c %s "$BLOB")"
    want="$(sha256sum < "$BLOB" | cut -d' ' -f1)"
    if dd if="$BLOB" of="$NVME_DEV" bs=1M oflag=direct conv=fsync status=none 2> "$LOG/nvme-dd" &&
       have="$(dd if="$NVME_DEV" bs=1M count=$((size / 1048576)) iflag=direct status=none 2>> "$LOG/nvme-dd" | sha256sum | cut -d' ' -f1)" &&
       [ "$have" = "$want" ]; then
        ok "$desc: $size bytes written with O_DIRECT and read back, SHA-256 equal to the file's"
    else
        not_ok "$desc: $size bytes written with O_DIRECT and read back (${have:-no read}, want $want)"
        show "$LOG/nvme-dd"
    fi
    # fio: random writes of 4-64 KiB over 16 MiB behind the blob, each
    # block with a CRC32C header, then every block read and verified.
    timeout 600 fio --name=nvme-rdma-verify --filename="$NVME_DEV" --offset=8M --size=16M \
        --rw=randwrite --bsrange=4k-64k --ioengine=libaio --iodepth=16 --direct=1 \
        --verify=crc32c --do_verify=1 --verify_fatal=1 > "$LOG/nvme-fio" 2>&1
    local rc=$?
    if [ "$rc" = 0 ] && grep -q "err= 0" "$LOG/nvme-fio" && grep -qE "^ +READ: bw=" "$LOG/nvme-fio" &&
       ! grep -qiE "verify.*(fail|bad)|crc32c: " "$LOG/nvme-fio"; then
        ok "$desc: fio randwrite 4-64 KiB over 16 MiB, every block read back and verified (crc32c)"
        grep -E "^ +(READ|WRITE): bw=" "$LOG/nvme-fio" | sed 's/^ */# /'
    else
        not_ok "$desc: fio with verify (exit $rc)"
        show "$LOG/nvme-fio"
    fi
    if nvme disconnect -n "$NQN" > "$LOG/nvme-disc" 2>&1 && grep -q "disconnected 1 controller" "$LOG/nvme-disc" &&
       [ ! -e "/sys/class/nvme/$NVME_CTRL" ]; then
        ok "$desc: nvme disconnect: $(head -n1 "$LOG/nvme-disc")"
    else
        not_ok "$desc: nvme disconnect"
        show "$LOG/nvme-disc"
    fi
    tell "done"
    if rmmod nvme_rdma 2> "$LOG/nvme-rmmod"; then
        ok "$desc: nvme_rdma unloads on the host"
    else
        not_ok "$desc: nvme_rdma unloads on the host"
        show "$LOG/nvme-rmmod"
    fi
}
nvme_run a 5301
[ "$ME_KIND" != "$PEER_KIND" ] && nvme_run b 5302
[ "$FAILED" = 0 ]
