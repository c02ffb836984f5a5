# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# What librdmacm's example tools must print, for the rdma_cm tests in
# loopback (check-cm.sh) and between two guests (wire2-cm.sh).  Source it.
#
#   cm_expect_rping <count> <size>   the lines "rping -v -C count -S size"
#                                    prints, without the "ping data: " /
#                                    "server ping data: " prefix
#   cm_check <tool> <client|server> <log> [<count> <size>]
#                                    0 when the log of that side shows a
#                                    complete, right run; else 1 with the
#                                    reason on stdout
# <tool>: rping, ucmatose, udaddy, rdma_server (server) / rdma_client
# (client).

# rping's client fills its buffer with "rdma-ping-<n>: " and then the
# characters from 'A' + n on (65..122, wrapping), the last byte 0; the
# server reads it with RDMA READ and writes it back with RDMA WRITE.
cm_expect_rping() {
    python3 - "$1" "$2" <<'EOF'
import sys
count, size = int(sys.argv[1]), int(sys.argv[2])
start = 65
for ping in range(count):
    head = "rdma-ping-%d: " % ping
    buf, c = [], start
    for _ in range(len(head), size - 1):
        buf.append(chr(c))
        c = 65 if c == 122 else c + 1
    print((head + "".join(buf))[:size - 1])
    start = 65 if start == 122 else start + 1
EOF
}

cm_check() {
    local tool="$1" side="$2" count="${4:-}" size="${5:-}" pre n
    local log="$3.clean"
    tr -d '\r' < "$3" > "$log"     # (a console's lines end in CR LF)
    case "$tool" in
    rping)
        pre="ping data: "
        [ "$side" = server ] && pre="server ping data: "
        cm_expect_rping "$count" "$size" > "$log.want"
        grep -a "^$pre" "$log" | sed "s/^$pre//" > "$log.have"
        n="$(wc -l < "$log.have")"
        if ! cmp -s "$log.want" "$log.have"; then
            echo "$n of $count ping data lines, not the pattern rping sent: $(diff "$log.want" "$log.have" | sed -n 2p | cut -c1-80)"
            return 1
        fi
        if grep -aqE "data mismatch|completion failed|error" "$log"; then
            echo "an error line: $(grep -aE 'data mismatch|completion failed|error' "$log" | head -n1)"
            return 1
        fi
        # The server waits for the client's disconnect and must see it;
        # the client calls rdma_disconnect() and exits without waiting
        # for its event, so its DISCONNECT line is a race it may lose.
        # On the lossy link a lost DREQ is not sent again when the client
        # has already exited (destroying a cm_id in DREQ_SENT cancels the
        # retry), and the server then waits until its timeout: a race of
        # the tool, see the README's known gaps.
        if [ "$side" = server ] && ! grep -aq "DISCONNECT EVENT" "$log"; then
            echo "no DISCONNECT EVENT at the end"
            return 1
        fi
        if [ "$side" = server ]; then
            echo "$n ping data lines, each the pattern sent (RDMA READ by the server, WRITE back), then DISCONNECT"
        else
            echo "$n ping data lines, each the pattern sent (RDMA READ by the server, WRITE back), exit 0"
        fi
        ;;
    ucmatose|udaddy)
        local want="data transfers complete|test complete|return status 0"
        [ "$tool" = ucmatose ] && [ "$side" = server ] &&
            want="$want|cmatose: disconnecting|disconnected"
        local w
        local IFS='|'
        for w in $want; do
            if ! grep -aqx "$w" "$log"; then
                echo "no line \"$w\""
                return 1
            fi
        done
        echo "$(grep -acE '^(receiving data transfers|sending replies|initiating data transfers|completing sends)$' "$log") transfer phases, data transfers complete, return status 0"
        ;;
    rdma_server|rdma_client)
        if ! grep -aqx "$tool: start" "$log" || ! grep -aqx "$tool: end 0" "$log"; then
            echo "no \"$tool: start\" ... \"$tool: end 0\""
            return 1
        fi
        echo "\"$tool: start\" ... \"$tool: end 0\""
        ;;
    *)
        echo "cm_check: unknown tool $tool"
        return 1
        ;;
    esac
}
