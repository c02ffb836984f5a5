#!/usr/bin/env bash
# Check that this host has what a build step needs (the groups of
# scripts/packages.sh): the Debian packages, the commands the step runs
# from them on PATH, the APT indexes it reads, meson new enough.  Installs
# nothing and needs no root: it only asks dpkg and looks.  When something
# is missing it names all of it and says to run `make setup` as root.
# Usage: require.sh <group>...     (e.g. require.sh qemu sanitizers)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/packages.sh"

[ $# -gt 0 ] || die "usage: require.sh <group>..."
command -v dpkg-query >/dev/null || die "no dpkg-query: odp-hca builds on Debian 12"

entries=()
for g in "$@"; do
    var="ODP_NEED_${g//-/_}"
    declare -p "$var" >/dev/null 2>&1 || die "require.sh: unknown group '$g' (see scripts/packages.sh)"
    ref="${var}[@]"
    entries+=("${!ref}")
done

# One dpkg query for all packages: "name status" of those dpkg knows.
pkgs=()
for e in "${entries[@]}"; do
    case "$e" in index:*) ;; *) pkgs+=("${e%%:*}") ;; esac
done
declare -A installed=()
while read -r p s; do
    [ "$s" = installed ] && installed[$p]=1
done < <([ ${#pkgs[@]} -eq 0 ] ||
         dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null || true)

missing=()
declare -A seen=()
for e in "${entries[@]}"; do
    [ -n "${seen[$e]:-}" ] && continue
    seen[$e]=1
    case "$e" in
        index:*)
            suite="${e#index:}"
            apt_index "${suite%/*}" "${suite#*/}" || missing+=("the APT index ${suite%/*} (${suite#*/})")
            ;;
        *:*)
            p="${e%%:*}" c="${e#*:}"
            if [ -z "${installed[$p]:-}" ] || ! command -v "$c" >/dev/null; then
                missing+=("$c (package $p)")
            fi
            ;;
        *)
            [ -n "${installed[$e]:-}" ] || missing+=("package $e")
            ;;
    esac
done

# QEMU (10.0 and 10.2) needs a newer meson than bookworm's own.
if [ -n "${seen[meson:meson]:-}" ] && [ -n "${installed[meson]:-}" ]; then
    v="$(dpkg-query -W -f='${Version}' meson)"
    dpkg --compare-versions "$v" ge "$ODP_MESON_MIN" ||
        missing+=("meson >= $ODP_MESON_MIN from bookworm-backports (installed: $v)")
fi

if [ ${#missing[@]} -gt 0 ]; then
    msg="${missing[0]}"
    for m in "${missing[@]:1}"; do msg="$msg, $m"; done
    die "missing $msg; run 'make setup' as root"
fi
