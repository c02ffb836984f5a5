# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# RoCE helpers for the guest scripts.  Source it.
#
#   roce_v2_gid_index <ib device> <IPv4 address>
#       prints the port-1 index of the address's RoCE v2 GID
#       (::ffff:a.b.c.d); non-zero while there is none (the GID cache
#       follows address events in a work queue: callers may retry).

roce_v2_gid_index() {
    local ib="$1" want g
    want="$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' \
        $(echo "$2" | tr . ' '))"
    for g in /sys/class/infiniband/"$ib"/ports/1/gids/*; do
        if [ "$(cat "$g" 2>/dev/null)" = "$want" ] &&
           [ "$(cat /sys/class/infiniband/"$ib"/ports/1/gid_attrs/types/"${g##*/}" 2>/dev/null)" = "RoCE v2" ]; then
            echo "${g##*/}"
            return 0
        fi
    done
    return 1
}
