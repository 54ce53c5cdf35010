/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_AEAD_IPSEC_MB_H
#define WG_AEAD_IPSEC_MB_H

/**
 * @file
 * Extras of the ipsec_mb backend beyond struct wg_aead_driver, for tests
 * and benchmarks that compare its code paths. The data path does not need
 * this header: the driver's ctx_create() picks the best path by itself.
 */

#include "wg_aead.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Create a context that uses one intel-ipsec-mb code path.
 *
 * @param arch
 *   "avx512", "avx2", "avx" or "sse"; NULL for the best this CPU runs,
 *   which is what the driver's ctx_create() does (it also honours the
 *   environment variable WG_AEAD_IPSEC_MB_ARCH).
 * @return
 *   A context for wg_aead_ipsec_mb_driver's callbacks, or NULL if the CPU
 *   lacks the instructions or the library failed to initialise.
 */
struct wg_aead_ctx *wg_aead_ipsec_mb_ctx_create_arch(const char *arch);

/** Every code path name, best first, NULL-terminated. */
const char *const *wg_aead_ipsec_mb_arch_list(void);

#ifdef __cplusplus
}
#endif

#endif /* WG_AEAD_IPSEC_MB_H */
