/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Registry of the AEAD backends compiled into this build.
 *
 * The table is static and read-only: drivers keep their state in
 * per-thread contexts, so looking a driver up needs no locking.
 */

#include <stdlib.h>
#include <string.h>

#include "wg_aead.h"

/* Defined in drivers/crypto/<name>/, linked into the same library. */
#ifdef WG_AEAD_HAVE_IPSEC_MB
extern const struct wg_aead_driver wg_aead_ipsec_mb_driver;
#endif
extern const struct wg_aead_driver wg_aead_sodium_driver;
#ifdef WG_AEAD_HAVE_MB
extern const struct wg_aead_driver wg_aead_avx512_mb_driver;
extern const struct wg_aead_driver wg_aead_avx2_mb_driver;
#endif

/* In order of preference: the first one that probes is the default. */
/*
 * In order of preference: the first that probes is the default.
 * avx512_mb seals a burst in 16 lanes and hands the long packets of a
 * burst to ipsec_mb one at a time (its per-burst plan): 3.5-6.5 times
 * ipsec_mb alone at 64-256 bytes, 1.6 times at 1420 (doc/crypto.md);
 * it refuses CPUs without AVX-512. avx2_mb comes after sodium until it
 * is measured on a real AVX2-only machine.
 */
static const struct wg_aead_driver *const wg_aead_drivers[] = {
#ifdef WG_AEAD_HAVE_MB
	&wg_aead_avx512_mb_driver,
#endif
#ifdef WG_AEAD_HAVE_IPSEC_MB
	&wg_aead_ipsec_mb_driver,
#endif
	&wg_aead_sodium_driver,
#ifdef WG_AEAD_HAVE_MB
	&wg_aead_avx2_mb_driver,
#endif
	NULL,
};

/* Names the driver wg_aead_driver_find(NULL) returns, e.g. to rule out a
 * backend on a machine where it misbehaves without rebuilding. */
#define WG_AEAD_DRIVER_ENV "WG_AEAD_DRIVER"

const struct wg_aead_driver *const *
wg_aead_driver_list(void)
{
	return wg_aead_drivers;
}

static const struct wg_aead_driver *
wg_aead_driver_by_name(const char *name)
{
	const struct wg_aead_driver *const *d;

	for (d = wg_aead_drivers; *d != NULL; d++)
		if (strcmp((*d)->name, name) == 0)
			return *d;
	return NULL;
}

const struct wg_aead_driver *
wg_aead_driver_find(const char *name)
{
	const struct wg_aead_driver *const *d;
	const struct wg_aead_driver *drv;

	if (name == NULL) {
		name = getenv(WG_AEAD_DRIVER_ENV);
		if (name != NULL && name[0] == '\0')
			name = NULL;
	}

	/*
	 * A backend asked for by name is never silently replaced: if it is
	 * unknown or cannot run here the caller gets NULL and can say so.
	 */
	if (name != NULL) {
		drv = wg_aead_driver_by_name(name);
		return drv != NULL && drv->probe() ? drv : NULL;
	}

	for (d = wg_aead_drivers; *d != NULL; d++)
		if ((*d)->probe())
			return *d;
	return NULL;
}
