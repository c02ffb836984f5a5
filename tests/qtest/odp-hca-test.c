/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QTest testcases for the odp-hca RDMA adapter with on-demand paging.
 *
 * The tests live in odp-hca/, one file per concern around a shared
 * framework (odp-hca/framework.h); this registers them all, in one
 * binary, each in a subprocess of its own.
 */

#include "qemu/osdep.h"
#include "odp-hca/framework.h"

int main(int argc, char **argv)
{
    bool subprocess = false;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--GTestSubprocess")) {
            subprocess = true;
        }
    }
    g_test_init(&argc, &argv, NULL);
    if (!subprocess) {
        /* a failed test is reported, and the next ones still run */
        g_test_set_nonfatal_assertions();
        if (!qtest_has_device("odp-hca")) {
            g_test_message("odp-hca is not built into this QEMU");
            return g_test_run();
        }
    }

    odp_hca_add_probe_tests();
    odp_hca_add_rc_tests();
    odp_hca_add_ud_tests();
    odp_hca_add_srq_tests();
    odp_hca_add_frmr_tests();
    odp_hca_add_err_tests();
    odp_hca_add_odp_tests();
    odp_hca_add_invalidate_tests();
    odp_hca_add_reset_tests();
    odp_hca_add_hostile_tests();
    odp_hca_add_monitor_tests();
    odp_hca_add_port_tests();
    odp_hca_add_wire_tests();
    odp_hca_add_responder_fault_tests();
    odp_hca_add_iommu_tests();

    return g_test_run();
}
