# shellcheck shell=bash
# Environment for verbs programs in the guest: the libibverbs, provider and
# examples of the in-place rdma-core build (scripts/build-rdma-core.sh) of
# the series RDMA_CORE_SERIES (scripts/lib.sh; init.sh takes it from the
# kernel command line, odp.rdma_core=), build/rdma-core-<series>, and the
# test programs linked to it, build/guest-tests-<series> (ODP_GUEST_TESTS).
# libibverbs of that build finds its providers through its
# etc/libibverbs.d; Debian's perftest binaries pick up its libibverbs.so.1
# (and librdmacm, libmlx5, ...) through LD_LIBRARY_PATH.
# Source it: . scripts/in-guest/env.sh   (scripts/in-guest/init.sh does.)
_odp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ODP_ROOT="$_odp_root"
# shellcheck source=../lib.sh
. "$_odp_root/scripts/lib.sh"
export ODP_RDMA_CORE_SERIES ODP_GUEST_TESTS
if [ -d "$ODP_RDMA_CORE/lib" ]; then
    export ODP_RDMA_CORE ODP_RDMA_CORE_SRC
    export LD_LIBRARY_PATH="$ODP_RDMA_CORE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PATH="$ODP_RDMA_CORE/bin:$PATH"
    # pyverbs and rdma-core's python tests (tests/run_tests.py)
    [ -d "$ODP_RDMA_CORE/python" ] &&
        export PYTHONPATH="$ODP_RDMA_CORE/python${PYTHONPATH:+:$PYTHONPATH}"
else
    echo "odp-vm: no rdma-core $ODP_RDMA_CORE_SERIES build (${ODP_RDMA_CORE#"$_odp_root"/}); make rdma-core RDMA_CORE_SERIES=$ODP_RDMA_CORE_SERIES" >&2
    unset ODP_RDMA_CORE
fi
unset _odp_root
