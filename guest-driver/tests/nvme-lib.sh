# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# NVMe over RDMA between two guests, the kernel's storage stack on the
# RDMA device: nvmet + nvmet-rdma serve a namespace (a file on tmpfs, the
# nvmet file backend) in one guest, nvme-rdma (Debian's nvme-cli, `nvme
# connect -t rdma`) uses it in the other.  Source it; the callers
# (wire2-cm.sh, peerkill-guest.sh) print the TAP lines.
#
#   nvme_host_can <ib device>   0 when the device does what nvme-rdma's
#                               host side needs (fast registration MRs:
#                               IB_DEVICE_MEM_MGT_EXTENSIONS)
#   nvmet_serve <addr> <svcid> <nqn> <file> <MiB>
#   nvmet_teardown <nqn>        port, subsystem and namespace removed,
#                               nvmet_rdma and nvmet unloaded
#   nvme_host_connect <addr> <svcid> <nqn> <seconds>
#                               connect, retrying while the target is not
#                               listening yet; sets NVME_CTRL (nvme0) and
#                               NVME_DEV (/dev/nvme0n1); NVME_CONNECT_OPTS
#                               adds to nvme connect's options
# Each returns non-zero with the reason in NVME_WHY.
NVMET=/sys/kernel/config/nvmet

nvme_host_can() {
    ibv_devinfo -v -d "$1" 2>/dev/null | grep -qw MEM_MGT_EXTENSIONS
}

nvmet_serve() {
    local addr="$1" svcid="$2" nqn="$3" file="$4" mib="$5" m
    NVME_WHY=
    for m in nvmet nvmet-rdma; do
        modprobe "$m" 2>/dev/null || { NVME_WHY="modprobe $m failed"; return 1; }
    done
    [ -d "$NVMET" ] || mount -t configfs configfs /sys/kernel/config 2>/dev/null
    truncate -s "${mib}M" "$file" || { NVME_WHY="no $file"; return 1; }
    { mkdir "$NVMET/subsystems/$nqn" &&
      echo 1 > "$NVMET/subsystems/$nqn/attr_allow_any_host" &&
      mkdir "$NVMET/subsystems/$nqn/namespaces/1" &&
      echo "$file" > "$NVMET/subsystems/$nqn/namespaces/1/device_path" &&
      echo 1 > "$NVMET/subsystems/$nqn/namespaces/1/enable" &&
      mkdir "$NVMET/ports/1" &&
      echo rdma > "$NVMET/ports/1/addr_trtype" &&
      echo ipv4 > "$NVMET/ports/1/addr_adrfam" &&
      echo "$addr" > "$NVMET/ports/1/addr_traddr" &&
      echo "$svcid" > "$NVMET/ports/1/addr_trsvcid" &&
      ln -s "$NVMET/subsystems/$nqn" "$NVMET/ports/1/subsystems/$nqn"; } 2> /tmp/nvmet.err ||
        { NVME_WHY="configfs: $(head -n1 /tmp/nvmet.err)"; return 1; }
    if ! dmesg | grep -q "nvmet_rdma: enabling port 1 ($addr:$svcid)"; then
        NVME_WHY="no \"nvmet_rdma: enabling port 1 ($addr:$svcid)\" in dmesg"
        return 1
    fi
}

nvmet_teardown() {
    local nqn="$1"
    NVME_WHY=
    { rm -f "$NVMET/ports/1/subsystems/$nqn"
      rmdir "$NVMET/ports/1"
      echo 0 > "$NVMET/subsystems/$nqn/namespaces/1/enable"
      rmdir "$NVMET/subsystems/$nqn/namespaces/1"
      rmdir "$NVMET/subsystems/$nqn"; } 2> /tmp/nvmet.err
    if [ -e "$NVMET/subsystems/$nqn" ] || [ -e "$NVMET/ports/1" ]; then
        NVME_WHY="configfs entries left: $(head -n1 /tmp/nvmet.err)"
        return 1
    fi
    if ! rmmod nvmet_rdma nvmet 2> /tmp/nvmet.err; then
        NVME_WHY="rmmod nvmet_rdma nvmet: $(head -n1 /tmp/nvmet.err)"
        return 1
    fi
}

nvme_host_connect() {
    local addr="$1" svcid="$2" nqn="$3" tmo="$4" n c
    NVME_WHY="" NVME_CTRL="" NVME_DEV=""
    modprobe nvme-rdma 2>/dev/null || { NVME_WHY="modprobe nvme-rdma failed"; return 1; }
    for n in $(seq 1 "$tmo"); do
        timeout 120 nvme connect -t rdma -a "$addr" -s "$svcid" -n "$nqn" ${NVME_CONNECT_OPTS:-} > /tmp/nvme-connect.log 2>&1 && break
        sleep 1
    done
    for c in /sys/class/nvme/nvme*; do
        [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$nqn" ] && NVME_CTRL="${c##*/}"
    done
    if [ -z "$NVME_CTRL" ]; then
        NVME_WHY="no controller of $nqn after ${n} attempts: $(tail -n1 /tmp/nvme-connect.log)"
        return 1
    fi
    # The namespace's block device: nvme<subsystem>n1 (with native
    # multipath the controller's own path, nvme<s>c<ctrl>n1, is hidden).
    local d name
    for n in $(seq 1 100); do
        for d in /sys/class/nvme/"$NVME_CTRL"/nvme*n*; do
            name="${d##*/}"
            if [[ "$name" =~ ^nvme([0-9]+)c[0-9]+n([0-9]+)$ ]]; then
                NVME_DEV="/dev/nvme${BASH_REMATCH[1]}n${BASH_REMATCH[2]}"
            elif [[ "$name" =~ ^nvme[0-9]+n[0-9]+$ ]]; then
                NVME_DEV="/dev/$name"
            fi
        done
        [ -n "$NVME_DEV" ] && [ -b "$NVME_DEV" ] && break
        sleep 0.1
    done
    [ -b "$NVME_DEV" ] || { NVME_WHY="no $NVME_DEV"; return 1; }
    [ "$(cat "/sys/class/nvme/$NVME_CTRL/transport")" = rdma ] ||
        { NVME_WHY="$NVME_CTRL's transport is $(cat "/sys/class/nvme/$NVME_CTRL/transport")"; return 1; }
}
