# shellcheck shell=bash
# Environment for verbs programs in the guest: the libibverbs, provider and
# examples of the in-place rdma-core build (scripts/build-rdma-core.sh).
# libibverbs of that build finds its providers through
# build/rdma-core/etc/libibverbs.d; Debian's perftest binaries pick up its
# libibverbs.so.1 (and librdmacm, libmlx5, ...) through LD_LIBRARY_PATH.
# Source it: . scripts/in-guest/env.sh   (scripts/in-guest/init.sh does.)
_odp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ODP_ROOT="$_odp_root"
if [ -d "$_odp_root/build/rdma-core/lib" ]; then
    export ODP_RDMA_CORE="$_odp_root/build/rdma-core"
    export LD_LIBRARY_PATH="$ODP_RDMA_CORE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PATH="$ODP_RDMA_CORE/bin:$PATH"
    # pyverbs and rdma-core's python tests (tests/run_tests.py)
    [ -d "$ODP_RDMA_CORE/python" ] &&
        export PYTHONPATH="$ODP_RDMA_CORE/python${PYTHONPATH:+:$PYTHONPATH}"
fi
unset _odp_root
