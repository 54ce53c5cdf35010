/* SPDX-License-Identifier: BSD-3-Clause */
/* The WireGuard UAPI socket: placeholder. */
#include "wgd.h"

int
wgd_uapi_init(void)
{
	return 0;
}

void
wgd_uapi_poll(void)
{
}

void
wgd_uapi_close(void)
{
}
