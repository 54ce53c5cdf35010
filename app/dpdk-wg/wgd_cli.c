/* SPDX-License-Identifier: BSD-3-Clause */
/* The interactive prompt (-i) and --cmdline-file: placeholder. */
#include "wgd.h"

int
wgd_cli_init(bool interactive, const char *script)
{
	(void)interactive;
	(void)script;
	return 0;
}

void
wgd_cli_poll(void)
{
}

void
wgd_cli_close(void)
{
}
