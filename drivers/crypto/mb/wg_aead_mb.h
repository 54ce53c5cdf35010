/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_AEAD_MB_H
#define WG_AEAD_MB_H

/**
 * @file
 * Extras of the multi-lane backends beyond struct wg_aead_driver, for
 * tests and benchmarks that compare their code paths and lane policies.
 * Two drivers share this code:
 *
 * - "avx512_mb": 16 lanes; paths "avx512ifma" (Poly1305 in radix 2^44
 *   with AVX512-IFMA) and "avx512" (radix 2^26, vpmuludq); probes only
 *   on CPUs with AVX-512 F, BW and VL;
 * - "avx2_mb": 8 lanes; path "avx2"; probes on CPUs with AVX2.
 *
 * The data path does not need this header: a driver's ctx_create() picks
 * its best path and the automatic policy by itself.
 */

#include "wg_aead.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a context shares a batch between its lanes and its fallback. */
enum wg_aead_mb_policy {
	/**
	 * Per batch, from the lengths: ops sorted by length fill the lanes;
	 * the longest ones go one at a time to the fallback backend
	 * (ipsec_mb, else sodium) when a kernel call would mostly carry
	 * idle lanes. What ctx_create() uses.
	 */
	WG_AEAD_MB_AUTO,
	/** Every op in lanes, whatever the lengths (tests, benchmarks). */
	WG_AEAD_MB_LANES,
	/** Every op to the fallback (benchmarks). */
	WG_AEAD_MB_FALLBACK,
};

/**
 * Code paths of a multi-lane driver, best first, NULL-terminated.
 *
 * @param driver
 *   "avx512_mb" or "avx2_mb".
 * @return
 *   NULL for any other name.
 */
const char *const *wg_aead_mb_arch_list(const char *driver);

/**
 * Create a context for one code path and policy.
 *
 * @param arch
 *   A path of wg_aead_mb_arch_list("avx512_mb") or ("avx2_mb"); the
 *   context works with that driver's callbacks. NULL for the best path
 *   of avx512_mb this CPU runs, which is what its ctx_create() does (it
 *   also honours the environment variable WG_AEAD_AVX512_ARCH).
 * @return
 *   A context, or NULL if the CPU lacks the instructions, the arch or
 *   policy is unknown, or no fallback backend could be set up. Its
 *   ctx_arch() is the arch, with "+lanes" or "+fallback" appended for the
 *   non-default policies.
 */
struct wg_aead_ctx *wg_aead_mb_ctx_create_arch(const char *arch,
		enum wg_aead_mb_policy policy);

#ifdef __cplusplus
}
#endif

#endif /* WG_AEAD_MB_H */
