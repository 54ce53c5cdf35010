/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_AEAD_MB_LANES_H
#define WG_AEAD_MB_LANES_H

/*
 * Internal to the multi-lane backends (avx512_mb, avx2_mb): the kernels.
 *
 * One call seals or opens up to 16 (AVX-512) or 8 (AVX2) ops in lockstep,
 * one op per lane. The caller (wg_aead_mb.c) has checked the CPU,
 * validated the ops and chosen which ops share a call; lengths in one
 * call should be close, as every lane runs as many 64-byte steps as the
 * longest.
 */

#include <stdint.h>

#include "wg_aead.h"

#define WG_MB_LANES 16             /* AVX-512 kernels */
#define WG_MB_LANES_AVX2 8         /* AVX2 kernel */

/* Poly1305 arithmetic of a kernel. */
enum wg_mb_poly {
	WG_MB_POLY_IFMA, /* radix 2^44, vpmadd52luq/huq (AVX512-IFMA) */
	WG_MB_POLY_26,   /* radix 2^26, vpmuludq (AVX512F) */
};

/*
 * Seal op[0..n-1], 1 <= n <= WG_MB_LANES, in place: ciphertext over the
 * data, tag to op->tag. Every op must have a key, a tag and (if len != 0)
 * data. Statuses are not touched.
 */
void wg_mb_seal_ifma(struct wg_aead_op *const *op, unsigned int n);
void wg_mb_seal_26(struct wg_aead_op *const *op, unsigned int n);

/*
 * Open op[0..n-1] in place: every op is decrypted, whatever its tag.
 * @return a bit mask, bit i set if op[i]'s tag is authentic (compared in
 *   constant time). The caller wipes the data of the others.
 */
uint32_t wg_mb_open_ifma(struct wg_aead_op *const *op, unsigned int n);
uint32_t wg_mb_open_26(struct wg_aead_op *const *op, unsigned int n);

/* The same with AVX2, 1 <= n <= WG_MB_LANES_AVX2 (radix 2^26). */
void wg_mb_seal_avx2(struct wg_aead_op *const *op, unsigned int n);
uint32_t wg_mb_open_avx2(struct wg_aead_op *const *op, unsigned int n);

#endif /* WG_AEAD_MB_LANES_H */
