#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The wire suite (make check-wire): the port as an Ethernet NIC.  Runs
# inside the guest harness (scripts/vm.sh -c) with TWO odp-hca devices on
# one QEMU hub, as make check-wire boots it:
#   -netdev hubport,id=p0,hubid=0 -netdev hubport,id=p1,hubid=0
#   -device odp-hca,netdev=p0,mac=$WIRE_MAC0 -device odp-hca,netdev=p1,mac=$WIRE_MAC1
# and prints TAP for scripts/run-tap.sh.  The second port's interface goes
# into a network namespace ("peer") so that traffic between 10.0.0.1 and
# 10.0.0.2 really crosses the hub:
#   - both devices, their interfaces (found by MAC) with the carrier up;
#   - ping both ways, 0% loss; IPv6 ping over fd00::/64;
#   - each ib device's RoCE GID table holds ::ffff:10.0.0.x (RoCE v2) and
#     its IPv6 GIDs;
#   - a bulk TCP transfer (socat) whose SHA-256 matches on both ends, and
#     the interface counters moved by at least its size;
#   - link state from the host monitor (set_link p0 off/on over QMP): the
#     carrier, the port state in sysfs and ibv_devinfo, the port events
#     (ibv_asyncwatch), ping failing and working again;
#   - a function reset of one device rebuilds its interface, which
#     carries traffic again;
#   - rmmod with traffic flowing, insmod, traffic again; dmesg has no
#     WARN/BUG/leak.
# Environment: WIRE_MAC0/WIRE_MAC1 (the MACs make check-wire gives the
# devices), WIRE_BYTES (size of the TCP transfer, 4 MiB).
set -u

MAC0="${WIRE_MAC0:-52:54:00:0d:00:01}"
MAC1="${WIRE_MAC1:-52:54:00:0d:00:02}"
BYTES="${WIRE_BYTES:-4194304}"
NS=peer
IP0=10.0.0.1
IP1=10.0.0.2
IP6_0=fd00::1
IP6_1=fd00::2
T=0
FAILED=0
LOG=/tmp/check-wire
mkdir -p "$LOG"
KO="$ODP_KMOD_DIR/odp_hca.ko"

ok() { T=$((T + 1)); echo "ok $T - $*"; }
not_ok() { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - $*"; }
skip() { T=$((T + 1)); echo "ok $T - $1 # SKIP ${2:-}"; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-25}"; }
# check <description> <command...>: one test from one command.
check() {
    local desc="$1" out="$LOG/$((T + 1)).log"
    shift
    if "$@" > "$out" 2>&1; then
        ok "$desc"
    else
        not_ok "$desc (exit $?)"
        show "$out"
    fi
}

nsx() { ip netns exec "$NS" "$@"; }
ping4() { busybox ping "$@"; }
ping6() { busybox ping6 "$@"; }

# The interface with this MAC (in the root namespace, or in $NS with -n).
iface_by_mac() {
    local mac="$1" where="${2:-}" n
    if [ "$where" = ns ]; then
        nsx sh -c 'for n in /sys/class/net/*; do
            [ "$(cat "$n/address")" = "$1" ] && echo "${n##*/}"; done; true' _ "$mac"
        return
    fi
    for n in /sys/class/net/*; do
        [ "$(cat "$n/address" 2>/dev/null)" = "$mac" ] && echo "${n##*/}"
    done
}

# The ib device whose port's net_device has this MAC.
ibdev_by_mac() {
    local mac="$1" d
    for d in /sys/class/infiniband/*; do
        [ -e "$d" ] || continue
        # The node GUID is the EUI-64 of the MAC: compare its ends.
        if [ "$(guid_mac "$(cat "$d/node_guid")")" = "$mac" ]; then
            echo "${d##*/}"
        fi
    done
}
# 5254:00ff:fe0d:0001 -> 52:54:00:0d:00:01 (the U/L bit flipped back)
guid_mac() {
    local g="${1//:/}" b0
    b0=$(printf '%02x' $((0x${g:0:2} ^ 2)))
    echo "$b0:${g:2:2}:${g:4:2}:${g:10:2}:${g:12:2}:${g:14:2}"
}

# wait_for <seconds> <command...>: until the command succeeds.
wait_for() {
    local n=$(($1 * 10))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# ping_ok <log> <count> <ping args...>: ran, and every reply came back.
ping_ok() {
    local log="$1" cnt="$2"
    shift 2
    "$@" -c "$cnt" > "$log" 2>&1
    grep -q "$cnt packets transmitted, $cnt packets received, 0% packet loss" "$log" && return 0
    cat "$log"
    return 1
}

# Set both ends up: if1 into the namespace, addresses, links up.
setup_pair() {
    IF0="$(iface_by_mac "$MAC0")"
    IF1="$(iface_by_mac "$MAC1")"
    echo "interfaces: '$IF0' '$IF1'"
    [ -n "$IF0" ] && [ -n "$IF1" ] || return 1
    ip netns add "$NS" 2>/dev/null
    ip link set "$IF1" netns "$NS" || return 1
    nsx ip link set lo up
    ip addr flush dev "$IF0" scope global
    ip addr add "$IP0/24" dev "$IF0"
    ip -6 addr add "$IP6_0/64" dev "$IF0" nodad
    ip link set "$IF0" up
    nsx ip addr add "$IP1/24" dev "$IF1"
    nsx ip -6 addr add "$IP6_1/64" dev "$IF1" nodad
    nsx ip link set "$IF1" up
    wait_for 10 sh -c "[ \"\$(cat /sys/class/net/$IF0/operstate)\" = up ]" &&
        wait_for 10 ip netns exec "$NS" sh -c "[ \"\$(cat /sys/class/net/$IF1/operstate)\" = up ]" && return 0
    ip -br link
    nsx ip -br link
    return 1
}

stat_of() { # <iface> <counter> [ns]
    if [ "${3:-}" = ns ]; then
        nsx cat "/sys/class/net/$1/statistics/$2"
    else
        cat "/sys/class/net/$1/statistics/$2"
    fi
}

# A kernel log with none of the marks of a driver or kernel bug.
dmesg_clean() {
    ! dmesg | grep -E "WARNING:|BUG:|Oops|general protection|kmemleak|refcount_t:|circular locking|possible recursive locking|INFO: task .* blocked|UBSAN|objects left behind|list_(add|del) corruption|unregister_netdevice: waiting"
}

echo "TAP version 13"

# --- the devices ----------------------------------------------------------
if [ ! -f "$KO" ] || ! lsmod | grep -q '^odp_hca '; then
    skip "two odp-hca devices with their interfaces" "odp_hca.ko not loaded"
    echo "1..$T"
    exit 0
fi
n=$(ls -d /sys/bus/pci/drivers/odp_hca/0000:* 2>/dev/null | wc -l)
IF0="$(iface_by_mac "$MAC0")"
IF1="$(iface_by_mac "$MAC1")"
IB0="$(ibdev_by_mac "$MAC0")"
IB1="$(ibdev_by_mac "$MAC1")"
echo "# $n devices: $IF0/$IB0 ($MAC0), $IF1/$IB1 ($MAC1)"
if [ "$n" = 2 ] && [ -n "$IF0" ] && [ -n "$IF1" ] && [ -n "$IB0" ] && [ -n "$IB1" ]; then
    ok "two odp-hca devices bound, interfaces $IF0 and $IF1, ib devices $IB0 and $IB1"
else
    not_ok "two odp-hca devices bound with their interfaces (found $n: '$IF0' '$IF1' '$IB0' '$IB1')"
    ip -br link | sed 's/^/# /'
    echo "1..$T"
    exit 1
fi
if [ "$(cat "/sys/class/net/$IF0/carrier" 2>/dev/null)" = 1 ] &&
   [ "$(cat "/sys/class/net/$IF1/carrier" 2>/dev/null)" = 1 ]; then
    ok "carrier up on both ports (the hub's links are up)"
else
    not_ok "carrier up on both ports"
fi
mtu_max="$(ip -d link show "$IF0" | sed -n 's/.*maxmtu \([0-9]*\).*/\1/p')"
echo "# $IF0 maxmtu $mtu_max"

check "$IF1 into namespace $NS, $IP0/24 and $IP1/24, both up" setup_pair

# --- ping ----------------------------------------------------------------
check "ping -c 5 $IP1 from the root namespace: 0% loss" \
    ping_ok "$LOG/ping01" 5 ping4 -W 5 "$IP1"
check "ping -c 5 $IP0 from namespace $NS: 0% loss" \
    ping_ok "$LOG/ping10" 5 nsx busybox ping -W 5 "$IP0"
check "IPv6: ping6 -c 3 $IP6_1 over fd00::/64: 0% loss" \
    ping_ok "$LOG/ping6" 3 ping6 -W 5 "$IP6_1"
ll1="$(nsx ip -6 -br addr show dev "$IF1" scope link | awk '{print $3}' | cut -d/ -f1)"
if [ -n "$ll1" ]; then
    check "IPv6 link-local: ping6 -c 3 $ll1%$IF0: 0% loss" \
        ping_ok "$LOG/ping6ll" 3 ping6 -W 5 "$ll1%$IF0"
    ip -6 addr show dev "$IF0" | sed 's/^/# /'
    nsx ip -6 addr show dev "$IF1" | sed 's/^/# /'
else
    not_ok "IPv6 link-local address on $IF1"
fi

# --- the RoCE GID tables --------------------------------------------------
# gid_has <ibdev> <gid as sysfs prints it> <type>
gid_has() {
    local d="/sys/class/infiniband/$1/ports/1" f i
    for f in "$d"/gids/*; do
        i="${f##*/}"
        if [ "$(cat "$f" 2>/dev/null)" = "$2" ] &&
           [ "$(cat "$d/gid_attrs/types/$i" 2>/dev/null)" = "$3" ]; then
            echo "index $i"
            return 0
        fi
    done
    return 1
}
gids_show() {
    local d="/sys/class/infiniband/$1/ports/1" f
    for f in "$d"/gids/*; do
        case "$(cat "$f" 2>/dev/null)" in 0000:0000:0000:0000:0000:0000:0000:0000) continue ;; esac
        echo "# $1 gid ${f##*/}: $(cat "$f") $(cat "$d/gid_attrs/types/${f##*/}" 2>/dev/null)"
    done
}
# The GID cache follows address events in a work queue: give it a moment.
v4g0=0000:0000:0000:0000:0000:ffff:0a00:0001
v4g1=0000:0000:0000:0000:0000:ffff:0a00:0002
v6g0=fd00:0000:0000:0000:0000:0000:0000:0001
v6g1=fd00:0000:0000:0000:0000:0000:0000:0002
for pair in "$IB0 $v4g0 $v6g0" "$IB1 $v4g1 $v6g1"; do
    read -r ib g4 g6 <<< "$pair"
    if wait_for 10 gid_has "$ib" "$g4" "RoCE v2" &&
       gid_has "$ib" "$g4" "IB/RoCE v1" > /dev/null; then
        ok "$ib GID table: IPv4-mapped ::ffff:$( [ "$ib" = "$IB0" ] && echo $IP0 || echo $IP1) as RoCE v2 and v1"
    else
        not_ok "$ib GID table: IPv4-mapped GID of its address"
        gids_show "$ib"
    fi
    if wait_for 10 gid_has "$ib" "$g6" "RoCE v2" &&
       wait_for 5 sh -c "grep -l '^fe80:' /sys/class/infiniband/$ib/ports/1/gids/* > /dev/null"; then
        ok "$ib GID table: IPv6 GIDs ($( [ "$ib" = "$IB0" ] && echo $IP6_0 || echo $IP6_1) RoCE v2, fe80:: link-local)"
    else
        not_ok "$ib GID table: IPv6 GIDs"
        gids_show "$ib"
    fi
done

# --- bulk TCP -------------------------------------------------------------
tcp_transfer() {
    local blob="$LOG/blob" got="$LOG/tcp.recv" pid want have
    head -c "$BYTES" /dev/urandom > "$blob"
    want="$(sha256sum < "$blob" | cut -d' ' -f1)"
    : > "$got"
    nsx timeout 180 sh -c "socat -u TCP-LISTEN:5201,bind=$IP1,reuseaddr - | sha256sum > $got" \
        > "$LOG/tcp.server" 2>&1 &
    pid=$!
    wait_for 10 nsx sh -c "ss -Hltn 'sport = :5201' | grep -q ." || { kill "$pid"; return 1; }
    timeout 180 socat -u "FILE:$blob" "TCP:$IP1:5201" || { kill "$pid"; return 1; }
    wait "$pid"
    have="$(cut -d' ' -f1 < "$got")"
    echo "sent $want"
    echo "recv $have"
    [ -n "$want" ] && [ "$want" = "$have" ]
}
rx0="$(stat_of "$IF1" rx_bytes ns)"; tx0="$(stat_of "$IF0" tx_bytes)"
rp0="$(stat_of "$IF1" rx_packets ns)"; tp0="$(stat_of "$IF0" tx_packets)"
start=$(date +%s.%N)
check "TCP: $BYTES bytes $IP0 -> $IP1 (socat), SHA-256 equal on both ends" tcp_transfer
end=$(date +%s.%N)
echo "# $(awk -v b="$BYTES" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f s, %.2f MB/s", e - s, b / (e - s) / 1e6 }')"
rx1="$(stat_of "$IF1" rx_bytes ns)"; tx1="$(stat_of "$IF0" tx_bytes)"
rp1="$(stat_of "$IF1" rx_packets ns)"; tp1="$(stat_of "$IF0" tx_packets)"
echo "# $IF0 tx_bytes $tx0 -> $tx1 ($tp0 -> $tp1 packets), $IF1 rx_bytes $rx0 -> $rx1 ($rp0 -> $rp1 packets)"
if [ $((tx1 - tx0)) -ge "$BYTES" ] && [ $((rx1 - rx0)) -ge "$BYTES" ] &&
   [ $((tp1 - tp0)) -ge $((BYTES / 9000)) ] && [ $((rp1 - rp0)) -ge $((BYTES / 9000)) ]; then
    ok "interface counters: $IF0 tx and $IF1 rx grew by at least the transfer"
else
    not_ok "interface counters: $IF0 tx and $IF1 rx grew by at least the transfer"
fi
for c in rx_errors tx_errors rx_dropped tx_dropped; do
    echo "# $IF0 $c $(stat_of "$IF0" $c), $IF1 $c $(stat_of "$IF1" $c ns)"
done

# --- link state from the host monitor -------------------------------------
qmp() { "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp "$@"; }
aw="$LOG/asyncwatch"
ibv_asyncwatch -d "$IB0" > "$aw" 2>&1 &
awpid=$!
# Events dispatched before it holds a device context are not queued for
# it, and its output is buffered until it exits: wait until it has the
# uverbs device open (the context, with its async event queue, comes
# with that), then a little more, before the link goes down.
has_uverbs() { ls -l "/proc/$awpid/fd" 2>/dev/null | grep -q uverbs; }
wait_for 30 has_uverbs || echo "# ibv_asyncwatch has no uverbs device open after 30 s"
sleep 1
# link_to <on|off> <state> <carrier> <port state> <ibv_devinfo state>: set
# p0's link from the monitor, then check what the guest sees of it.
link_to() {
    local up=false word="$1" state="$2" carrier="$3" port="$4" dev="$5"
    [ "$word" = on ] && up=true
    if qmp set_link "{\"name\": \"p0\", \"up\": $up}" > "$LOG/setlink.$word" 2>&1; then
        ok "QMP set_link p0 $word"
    else
        not_ok "QMP set_link p0 $word"
        show "$LOG/setlink.$word"
    fi
    check "link $state: $IF0 carrier $carrier" wait_for 10 sh -c "[ \"\$(cat /sys/class/net/$IF0/carrier)\" = $carrier ]"
    check "link $state: $IB0 port 1 state $port in sysfs" wait_for 10 grep -q "$port" "/sys/class/infiniband/$IB0/ports/1/state"
    ibv_devinfo -d "$IB0" > "$LOG/devinfo.$state" 2>&1
    if grep -q "state:.*$dev" "$LOG/devinfo.$state"; then
        ok "link $state: ibv_devinfo -d $IB0 says $dev"
    else
        not_ok "link $state: ibv_devinfo -d $IB0 says $dev"
        show "$LOG/devinfo.$state"
    fi
}

link_to off down 0 DOWN PORT_DOWN
ping4 -c 3 -W 1 "$IP1" > "$LOG/ping.down" 2>&1
if grep -q "3 packets transmitted, 0 packets received" "$LOG/ping.down"; then
    ok "link down: ping $IP1 gets no reply"
else
    not_ok "link down: ping $IP1 gets no reply"
    show "$LOG/ping.down"
fi
link_to on up 1 ACTIVE PORT_ACTIVE
check "link up: ping -c 3 $IP1: 0% loss" ping_ok "$LOG/ping.up" 3 ping4 -W 5 "$IP1"
sleep 1
kill "$awpid" 2>/dev/null
wait "$awpid" 2>/dev/null
if grep -q "IBV_EVENT_PORT_ERR" "$aw" && grep -q "IBV_EVENT_PORT_ACTIVE" "$aw" &&
   [ "$(grep -n IBV_EVENT_PORT_ERR "$aw" | head -n1 | cut -d: -f1)" -lt \
     "$(grep -n IBV_EVENT_PORT_ACTIVE "$aw" | tail -n1 | cut -d: -f1)" ]; then
    ok "port events: IBV_EVENT_PORT_ERR then IBV_EVENT_PORT_ACTIVE (ibv_asyncwatch)"
else
    not_ok "port events: IBV_EVENT_PORT_ERR then IBV_EVENT_PORT_ACTIVE (ibv_asyncwatch)"
    show "$aw"
fi

# --- a function reset rebuilds the port -----------------------------------
bdf0="$(basename "$(readlink -f "/sys/class/net/$IF0/device")")"
reset_and_ping() {
    echo 1 > "/sys/bus/pci/devices/$bdf0/reset" || return 1
    wait_for 30 sh -c "for n in /sys/class/net/*; do [ \"\$(cat \$n/address)\" = $MAC0 ] && [ \"\$(cat \$n/operstate)\" = up ] && exit 0; done; exit 1" ||
        { ip -br link; dmesg | tail -n 10; return 1; }
    IF0="$(iface_by_mac "$MAC0")"
    # A new net_device: its addresses went with the old one.
    ip addr add "$IP0/24" dev "$IF0"
    ip -6 addr add "$IP6_0/64" dev "$IF0" nodad
    ping_ok "$LOG/ping.reset" 3 ping4 -W 5 "$IP1"
}
check "function reset of $bdf0: its interface comes back up and pings" reset_and_ping
IB0="$(ibdev_by_mac "$MAC0")"

# --- rmmod with traffic flowing, insmod ----------------------------------
reload() {
    local pid
    # rmmod takes the namespace's interface with it: both pings run on.
    ping4 -i 0.2 -W 1 "$IP1" > "$LOG/ping.flood" 2>&1 &
    pid=$!
    nsx busybox ping -i 0.2 -W 1 "$IP0" > "$LOG/ping.flood.ns" 2>&1 &
    sleep 2
    rmmod odp_hca || { kill "$pid"; return 1; }
    sleep 1
    # Both pings: this shell's background jobs.
    # shellcheck disable=SC2046 # one word a job
    kill $(jobs -p) 2>/dev/null
    wait 2>/dev/null
    ip netns del "$NS"
    insmod "$KO" || return 1
    wait_for 20 sh -c "[ -n \"\$(for n in /sys/class/net/*; do [ \"\$(cat \$n/address)\" = $MAC1 ] && echo y; done)\" ]" || return 1
    setup_pair || return 1
    ping_ok "$LOG/ping.reload" 3 ping4 -W 5 "$IP1"
}
check "rmmod odp_hca with pings flowing both ways, insmod: pings again" reload
IB0="$(ibdev_by_mac "$MAC0")"
IB1="$(ibdev_by_mac "$MAC1")"
check "after the reload: TCP $BYTES bytes, SHA-256 equal" tcp_transfer

dmesg > "$LOG/dmesg"
if dmesg_clean > "$LOG/dmesg.bad"; then
    ok "dmesg: no warning, BUG, oops or leak"
else
    not_ok "dmesg: no warning, BUG, oops or leak"
    show "$LOG/dmesg.bad"
fi
grep -i "odp_hca\|odphca" "$LOG/dmesg" | tail -n 15 | sed 's/^/# /'

echo "1..$T"
[ "$FAILED" = 0 ]
