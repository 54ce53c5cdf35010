/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands (/wg/...): placeholder until written. */
#include "wgd.h"

int
wgd_telemetry_init(void)
{
	return 0;
}
