# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sanitizer settings for the clang build in build/qemu-fuzz-<series> (ASan, UBSan,
# LSan, libFuzzer).  Source it after lib.sh; it exports:
#  - ASAN_OPTIONS: every report ends the process with an error, leaks
#    included (LeakSanitizer runs at exit, and in libFuzzer after inputs);
#  - UBSAN_OPTIONS: reports are fatal (the build also has
#    -fno-sanitize-recover=undefined) and carry a stack trace;
#  - LSAN_OPTIONS: the leak suppressions in tests/fuzz/lsan.supp;
#  - ASAN_SYMBOLIZER_PATH: Debian's llvm-symbolizer-14, for stack traces
#    with function names and source lines.
# ODP_SAN_EXTRA_ASAN, ODP_SAN_EXTRA_UBSAN and ODP_SAN_EXTRA_LSAN are
# appended (a later option wins), e.g. ODP_SAN_EXTRA_ASAN=detect_leaks=0.

odp_sanitizer_env() {
    local supp="$ODP_ROOT/tests/fuzz/lsan.supp"
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:print_summary=1:detect_stack_use_after_return=0:handle_abort=1${ODP_SAN_EXTRA_ASAN:+:$ODP_SAN_EXTRA_ASAN}"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1${ODP_SAN_EXTRA_UBSAN:+:$ODP_SAN_EXTRA_UBSAN}"
    export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0${ODP_SAN_EXTRA_LSAN:+:$ODP_SAN_EXTRA_LSAN}"
    local sym
    sym="$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)"
    [ -n "$sym" ] && export ASAN_SYMBOLIZER_PATH="$sym"
    return 0
}

# The lines that start a sanitizer report, for grep -E.
ODP_SANITIZER_REPORT_RE='(ERROR|WARNING): (Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error: |SUMMARY: (Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|AddressSanitizer:DEADLYSIGNAL'
