# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# Sourced by check-guest.sh (it provides ok, not_ok, skip, show, T, FAILED,
# DEV, LOG, ODP_GID, ODP_ROOT):
#
#   counters_snapshot <tag>   the driver's hw_counters and the device's
#                             query-odp-hca (asked of the host through
#                             scripts/in-guest/monitor.sh), taken together
#   odp_verify_tap            build/guest-tests-<series>/odp-verify, each of its
#                             results one test of the suite
#   counters_agree <from> <to>  the device's and the driver's counters
#                             agree on what happened between two snapshots
#                             (guest-driver/tests/counters-agree.py)

_odp_tests="$ODP_ROOT/guest-driver/tests"

_hw_counters() {
    grep -H . "/sys/class/infiniband/$DEV/ports/1/hw_counters/"* 2>/dev/null |
        sed 's|.*/||; s|:| |'
}

# Both sides at one moment: the driver's counters read before and after the
# device's, until nothing moved in between.  1 when the host did not answer.
counters_snapshot() {
    local tag="$1" a b i
    for i in 1 2 3 4 5; do
        sleep 0.1       # hw_counters values are cached for 10 ms
        a="$(_hw_counters)"
        "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp query-odp-hca \
            > "$LOG/$tag.dev.json" 2> "$LOG/$tag.dev.err" || return 1
        sleep 0.1
        b="$(_hw_counters)"
        [ "$a" = "$b" ] && break
    done
    printf '%s\n' "$b" > "$LOG/$tag.drv"
}

odp_verify_tap() {
    local bin="$ODP_GUEST_TESTS/odp-verify" out="$LOG/odp-verify.log"
    local n0="$T" f0="$FAILED" rc line d
    if [ ! -x "$bin" ]; then
        skip "odp-verify" "no ${bin#"$ODP_ROOT"/} (make odp-verify)"
        return
    fi
    (cd /tmp && timeout 900 "$bin" -d "$DEV" -g "$ODP_GID") > "$out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case "$line" in
            "ok "*"# SKIP"*) d="${line#ok * - }"; skip "odp-verify: ${d%% # SKIP*}" "${d#* # SKIP }" ;;
            "ok "*) ok "odp-verify: ${line#ok * - }" ;;
            "not ok "*) not_ok "odp-verify: ${line#not ok * - }" ;;
            "1.."*) ;;
            "#"*) echo "$line" ;;
            *) echo "# odp-verify: $line" ;;
        esac
    done < "$out"
    if [ "$T" -eq "$n0" ] || { [ "$rc" -ne 0 ] && [ "$FAILED" -eq "$f0" ]; }; then
        not_ok "odp-verify ran to the end (exit $rc)"
    fi
}

counters_agree() {
    local from="$1" to="$2" out="$LOG/counters-agree.log" n0="$T" line
    if [ ! -s "$LOG/$from.dev.json" ]; then
        skip "device and driver counters agree" "no snapshot of the device's counters at the start (no answer from the host)"
        return
    fi
    if ! counters_snapshot "$to"; then
        not_ok "the host answered query-odp-hca (scripts/in-guest/monitor.sh)"
        show "$LOG/$to.dev.err"
        return
    fi
    python3 "$_odp_tests/counters-agree.py" "$LOG/$from.drv" "$LOG/$to.drv" \
        "$LOG/$from.dev.json" "$LOG/$to.dev.json" > "$out" 2>&1
    relay_tap "$out"
    [ "$T" -gt "$n0" ] || not_ok "counters-agree.py compared the counters"
}
