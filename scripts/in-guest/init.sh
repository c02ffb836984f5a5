#!/bin/bash
# odp-hca guest harness, stage 2: runs as PID 1 in the guest, on the host's
# root file system (read-only 9p), after the initramfs switched to it.
#
#  - tmpfs where writes are needed (/tmp, /run, /var/tmp, /dev/shm); an
#    overlay (tmpfs over the host's directory) for /root, and for /tmp or
#    /var/tmp when the repository lives below them;
#  - the writable 9p share "out" (the host's build/vm/out) at the same path;
#  - kernel modules from the unpacked guest kernel package: a modprobe
#    wrapper (kernel.modprobe and first on PATH) that points kmod at it,
#    and a bind mount over /lib/modules when the host has that directory;
#  - ib_core, ib_uverbs, and build/kmod-<series>/odp_hca.ko when it exists
#    (ODP_KMOD_DIR, exported for the tests); every
#    network interface up (RoCE GIDs come from the port's net_device);
#  - the environment of scripts/in-guest/env.sh (rdma-core from build/);
#  - then runs <out>/cmd (make vm GUEST_CMD=...) or an interactive shell,
#    writes the exit status to <out>/status and to the console
#    (ODP-VM-EXIT=<n>) and powers off.
# Kernel command line: odp.root=<repo> odp.out=<dir> odp.kdir=<kernel dir>
# [odp.kernel=<series>: KERNEL_SERIES, the one booted, whose odp_hca.ko
# is loaded] [odp.cols=N odp.rows=N] [odp.nokmod] [odp.rdma_core=<series>: the
# rdma-core build env.sh picks, RDMA_CORE_SERIES; default: scripts/lib.sh's].

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM="${TERM:-vt100}" LANG=C.UTF-8

mount -t proc proc /proc
ODP_ROOT= ODP_OUT= ODP_KDIR= cols= rows= nokmod=
for a in $(cat /proc/cmdline 2>/dev/null); do
    case "$a" in
        odp.root=*) ODP_ROOT="${a#*=}" ;;
        odp.out=*) ODP_OUT="${a#*=}" ;;
        odp.kdir=*) ODP_KDIR="${a#*=}" ;;
        odp.cols=*) cols="${a#*=}" ;;
        odp.rows=*) rows="${a#*=}" ;;
        odp.nokmod) nokmod=1 ;;
        odp.kernel=*) export KERNEL_SERIES="${a#*=}" ;;
        odp.rdma_core=*) export RDMA_CORE_SERIES="${a#*=}" ;;
    esac
done

poweroff_now() {
    sync
    echo 1 > /proc/sys/kernel/sysrq 2>/dev/null
    echo o > /proc/sysrq-trigger 2>/dev/null
    sleep 5
    /bin/busybox poweroff -f
}
finish() {
    local rc="$1"
    [ -n "$ODP_OUT" ] && [ -d "$ODP_OUT" ] && echo "$rc" > "$ODP_OUT/status" 2>/dev/null
    echo "ODP-VM-EXIT=$rc"
    poweroff_now
}
warn() { echo "odp-vm: $*" >&2; }

mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /run || warn "no tmpfs on /run"
mkdir -p /run/odp/bin /run/lock

[ -n "$ODP_ROOT" ] && [ -d "$ODP_ROOT" ] || { warn "odp.root= missing or not a directory"; finish 125; }
[ -n "$ODP_KDIR" ] || { warn "odp.kdir= missing"; finish 125; }
KVER="$(uname -r)"

# Kernel modules: the unpacked package, for kmod and for request_module().
cat > /run/odp/bin/modprobe <<EOF
#!/bin/sh
exec /sbin/modprobe -d '$ODP_KDIR' "\$@"
EOF
chmod 0755 /run/odp/bin/modprobe
echo /run/odp/bin/modprobe > /proc/sys/kernel/modprobe
export PATH="/run/odp/bin:$PATH"
[ -x /sbin/modprobe ] || warn "no /sbin/modprobe on the host (package kmod): modules cannot be loaded"
have_overlay=
modprobe overlay 2>/dev/null && have_overlay=1

# Writable /tmp, /var/tmp and /root, in memory.  A plain tmpfs would hide
# what the host has there, so where the repository lives below one of them
# (CI clones into /tmp, say), and always for /root (dotfiles), an overlay
# keeps the host's files visible and takes the writes.
writable() {
    local d="$1" mode="$2" n="${1//\//_}"
    case "$ODP_ROOT/" in
        "$d"/*) ;;
        *) if [ "$d" != /root ]; then
               mount -t tmpfs -o "mode=$mode" tmpfs "$d" || warn "no tmpfs on $d"
               return
           fi ;;
    esac
    if [ -n "$have_overlay" ]; then
        mkdir -p "/run/odp/ovl$n/upper" "/run/odp/ovl$n/work"
        chmod "$mode" "/run/odp/ovl$n/upper"
        mount -t overlay overlay \
            -o "lowerdir=$d,upperdir=/run/odp/ovl$n/upper,workdir=/run/odp/ovl$n/work" "$d" \
            && return
    fi
    warn "no overlay on $d: it stays read-only"
}
writable /tmp 1777
writable /var/tmp 1777
writable /root 0700

# The guest kernel's modules where kmod looks by default, when the host
# has a /lib/modules to mount over.
if [ -d /lib/modules ]; then
    mount --bind "$ODP_KDIR/lib/modules" /lib/modules 2>/dev/null || true
fi

# Writable results directory shared with the host (after the overlays, so
# that none of them hides it).
if [ -n "$ODP_OUT" ]; then
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out "$ODP_OUT" \
        || warn "cannot mount the 'out' share on $ODP_OUT"
fi

modprobe configfs 2>/dev/null && mount -t configfs configfs /sys/kernel/config 2>/dev/null
hostname odp-vm 2>/dev/null
ip link set lo up 2>/dev/null || /bin/busybox ip link set lo up

# The RDMA stack and the project's driver.
for m in ib_core ib_uverbs; do
    modprobe "$m" || warn "modprobe $m failed"
done
# shellcheck source=../lib.sh
. "$ODP_ROOT/scripts/lib.sh"
export ODP_KERNEL_SERIES ODP_KMOD_DIR
KO="$ODP_KMOD_DIR/odp_hca.ko"
if [ -z "$nokmod" ] && [ -f "$KO" ]; then
    for m in $(modinfo -F depends "$KO" 2>/dev/null | tr ',' ' '); do
        modprobe "$m" || warn "modprobe $m (needed by odp_hca) failed"
    done
    insmod "$KO" || warn "insmod $KO failed"
    udevadm settle 2>/dev/null || sleep 0.2
fi
for n in /sys/class/net/*; do
    [ -e "$n" ] && ip link set "${n##*/}" up 2>/dev/null
done

# shellcheck source=env.sh
. "$ODP_ROOT/scripts/in-guest/env.sh"
cd "$ODP_ROOT" || cd /

if [ -n "$ODP_OUT" ] && [ -f "$ODP_OUT/cmd" ]; then
    bash "$ODP_OUT/cmd" < /dev/null
    finish $?
fi

# Interactive: a login-like shell with job control on the serial console.
[ -n "$cols" ] && [ -n "$rows" ] && stty -F /dev/ttyS0 cols "$cols" rows "$rows" 2>/dev/null
echo "odp-hca guest ($KVER): the host's file system, read-only; /tmp, /run, /root take writes."
echo "Leave with 'exit' (or Ctrl-A x)."
setsid -c bash -i < /dev/ttyS0 > /dev/ttyS0 2>&1
finish $?
