/* SPDX-License-Identifier: BSD-3-Clause */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WG_AEAD_HAVE_IPSEC_MB
#include "wg_aead_ipsec_mb.h"
#endif
#ifdef WG_AEAD_HAVE_MB
#include "wg_aead_mb.h"
#endif

#include "aead_test.h"

/* ---- checks --------------------------------------------------------- */

static unsigned int nb_checks, nb_failures;

unsigned int aead_test_max_logged;

void
check_report(int ok, int line, const char *fmt, ...)
{
	va_list ap;

	nb_checks++;
	if (ok)
		return;
	nb_failures++;
	/* Every failure counts; only the log may be capped. */
	if (aead_test_max_logged != 0 && nb_failures > aead_test_max_logged)
		return;
	fprintf(stderr, "FAIL (line %d): ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
aead_test_done(const char *what)
{
	printf("%s: %u checks, %u failed (%s)\n",
	       nb_failures == 0 ? "PASS" : "FAIL", nb_checks, nb_failures,
	       what);
	return nb_failures == 0 ? 0 : 1;
}

/* ---- backends under test -------------------------------------------- */

struct backend backends[MAX_BACKENDS];
unsigned int nb_backends;

static void
backend_add(const struct wg_aead_driver *drv, struct wg_aead_ctx *ctx,
	    const char *label)
{
	struct backend *b;

	if (ctx == NULL) {
		printf("SKIP %s: cannot run here\n", label);
		return;
	}
	if (nb_backends == MAX_BACKENDS)
		abort();
	b = &backends[nb_backends++];
	b->drv = drv;
	b->ctx = ctx;
	snprintf(b->label, sizeof(b->label), "%s/%s", drv->name,
		 drv->ctx_arch(ctx));
}

/*
 * One driver: for ipsec_mb every code path; for the multi-lane drivers
 * (avx512_mb, avx2_mb) every code path twice, with the automatic policy
 * and with every op in lanes (so that no length can escape the kernels
 * through the fallback); else its default context.
 */
static void
driver_add(const struct wg_aead_driver *drv)
{
#ifdef WG_AEAD_HAVE_MB
	if (wg_aead_mb_arch_list(drv->name) != NULL) {
		const char *const *a;
		char what[64];

		for (a = wg_aead_mb_arch_list(drv->name); *a != NULL; a++) {
			backend_add(drv, drv->probe() ?
				    wg_aead_mb_ctx_create_arch(*a,
					WG_AEAD_MB_AUTO) : NULL, *a);
			snprintf(what, sizeof(what), "%s+lanes", *a);
			backend_add(drv, drv->probe() ?
				    wg_aead_mb_ctx_create_arch(*a,
					WG_AEAD_MB_LANES) : NULL, what);
		}
		return;
	}
#endif
#ifdef WG_AEAD_HAVE_IPSEC_MB
	if (strcmp(drv->name, "ipsec_mb") == 0) {
		const char *const *a;

		for (a = wg_aead_ipsec_mb_arch_list(); *a != NULL; a++)
			backend_add(drv, wg_aead_ipsec_mb_ctx_create_arch(*a),
				    *a);
		return;
	}
#endif
	backend_add(drv, drv->probe() ? drv->ctx_create() : NULL, drv->name);
}

void
backends_open(const char *first)
{
	const struct wg_aead_driver *const *d;

	if (first != NULL)
		for (d = wg_aead_driver_list(); *d != NULL; d++)
			if (strcmp((*d)->name, first) == 0)
				driver_add(*d);
	for (d = wg_aead_driver_list(); *d != NULL; d++)
		if (first == NULL || strcmp((*d)->name, first) != 0)
			driver_add(*d);
}

void
backends_close(void)
{
	unsigned int i;

	for (i = 0; i < nb_backends; i++)
		backends[i].drv->ctx_free(backends[i].ctx);
}
