#!/usr/bin/env bash
# Prepare a Debian 12 host for building and testing odp-hca. Idempotent:
# a second run changes nothing and only queries dpkg.
#  - adds bookworm-backports (deb + deb-src, main), mirror taken from the
#    machine's own APT configuration;
#  - adds a deb-src-only entry for Debian's development suite, sid (the
#    newer QEMU source package), pinned low so that no binary package can
#    ever come from it;
#  - runs apt-get update only when that changed or the lists are missing;
#  - installs the missing build/test packages of the host groups in
#    scripts/packages.sh (clang-14, libclang-rt-14-dev and llvm-14 for the
#    sanitizer and fuzzing build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/packages.sh"

[ -r /etc/debian_version ] || die "this set-up expects Debian 12 (bookworm)"
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || die "this set-up expects Debian 12 (bookworm), found '${VERSION_CODENAME:-unknown}'"

BPO_LIST=/etc/apt/sources.list.d/odp-hca-bookworm-backports.sources

mirror="$(debian_mirror)" || die "no APT entry serving 'bookworm' found in /etc/apt/sources.list{,.d/}"
keyring="$(debian_keyring || true)"

want="Types: deb deb-src
URIs: $mirror
Suites: bookworm-backports
Components: main"
[ -n "$keyring" ] && want="$want
Signed-By: $keyring"

changed=0
if [ ! -f "$BPO_LIST" ] || [ "$(cat "$BPO_LIST")" != "$want" ]; then
    info "writing $BPO_LIST (mirror $mirror)"
    printf '%s\n' "$want" | as_root tee "$BPO_LIST" >/dev/null
    changed=1
fi
apt_debsrc_pinned sid "$mirror" "$keyring" && changed=1

lists_present() {
    apt_index bookworm-backports source &&
    apt_index bookworm-backports binary-amd64 &&
    apt_index bookworm binary-amd64 &&
    apt_index sid source
}

if [ "$changed" = 1 ] || ! lists_present; then
    info "apt-get update"
    as_root apt-get update -q || die "apt-get update failed"
    lists_present || die "bookworm-backports or sid indexes still missing after apt-get update"
fi

# Packages from bookworm (plain) and from bookworm-backports.
PKGS=()
BPO_PKGS=()
while read -r p; do
    if odp_is_bpo "$p"; then BPO_PKGS+=("$p"); else PKGS+=("$p"); fi
done < <(odp_packages "${ODP_HOST_GROUPS[@]}")
MESON_MIN=$ODP_MESON_MIN

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
bpo_missing=()
for p in "${BPO_PKGS[@]}"; do installed "$p" || bpo_missing+=("$p"); done
if installed meson; then
    v="$(dpkg-query -W -f='${Version}' meson)"
    dpkg --compare-versions "$v" ge "$MESON_MIN" || bpo_missing+=(meson)
fi

if [ ${#missing[@]} -gt 0 ] || [ ${#bpo_missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    args=()
    [ ${#missing[@]} -gt 0 ] && args+=("${missing[@]}")
    for p in "${bpo_missing[@]}"; do args+=("$p/bookworm-backports"); done
    info "installing: ${args[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${args[@]}" \
        || die "apt-get install failed (${args[*]})"
fi

# ccache's masquerade links for a compiler installed after ccache itself.
if [ ! -e /usr/lib/ccache/clang-14 ] && command -v update-ccache-symlinks >/dev/null; then
    info "update-ccache-symlinks (clang-14)"
    as_root update-ccache-symlinks
fi

v="$(dpkg-query -W -f='${Version}' meson)"
dpkg --compare-versions "$v" ge "$MESON_MIN" || die "meson $v < $MESON_MIN installed"
info "host set-up OK (meson $v)"
