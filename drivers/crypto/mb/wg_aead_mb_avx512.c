/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Multi-lane ChaCha20-Poly1305 (RFC 8439, WireGuard nonce, no AAD) with
 * AVX-512: up to 16 independent ops in lockstep, one per lane.
 *
 * Written from RFC 8439. Layout of one call:
 *
 * - ChaCha20: the 16 lanes' states are kept transposed, one zmm per state
 *   word, dword j of each zmm belonging to lane j; so every lane has its
 *   own key and nonce, and all lanes share the block counter (they move
 *   through their data together). The initial state is built lane by lane
 *   (one row per lane: constants, key, counter, nonce) and transposed
 *   16x16 once. Block 0 of every lane gives its Poly1305 key straight in
 *   that layout.
 *
 * - One step = 64 bytes of every lane: the 16 keystream blocks are
 *   transposed back to one zmm per lane, XORed with the lane's data
 *   (a byte-masked load/store for the lane's last, partial block) and the
 *   ciphertext rows are transposed, as 8x8 qwords for lanes 0-7 and 8-15,
 *   into Poly1305 input: for each 16-byte block, its low and high qword
 *   for 8 lanes.
 *
 * - Poly1305: one accumulator per lane, 8 lanes (qwords) per zmm, so two
 *   groups of registers. Radix 2^44 (limbs 44/44/42) with IFMA, else
 *   radix 2^26 with vpmuludq. Blocks are absorbed in plain Horner order,
 *   one multiplication by r per 16-byte block: the dependency chain is
 *   short next to the ChaCha20 work of the same step, which runs in
 *   parallel with it, so precomputed powers of r are not needed. A lane
 *   with no block at some position keeps its accumulator (masked blend).
 *   Then the length block, common to every lane, and the final reduction
 *   and addition of s, all lanes at once.
 *
 * Constant time: no branch, index or address depends on key or data. The
 * control flow depends on lengths and lane counts only (public). The
 * final reduction selects with a compare mask; tags are compared with
 * XOR/OR and one mask test for all lanes.
 *
 * Every function here carries its own target attribute, so the rest of the
 * project keeps its baseline ISA; the caller checks the CPU first.
 */

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg_aead_mb_lanes.h"

#define WG_MB_TARGET_AVX512 "avx512f,avx512bw,avx512vl"
#define WG_MB_TARGET_IFMA "avx512f,avx512bw,avx512vl,avx512ifma"

/* Helpers: inlined into kernels whose target is the same or wider. */
#define WG_MB_INLINE(t) static inline __attribute__((always_inline, target(t)))

/* ---- ChaCha20, 16 lanes ---------------------------------------------- */

#define WG_MB_QR(a, b, c, d) do {					\
	a = _mm512_add_epi32(a, b); d = _mm512_xor_si512(d, a);	\
	d = _mm512_rol_epi32(d, 16);					\
	c = _mm512_add_epi32(c, d); b = _mm512_xor_si512(b, c);	\
	b = _mm512_rol_epi32(b, 12);					\
	a = _mm512_add_epi32(a, b); d = _mm512_xor_si512(d, a);	\
	d = _mm512_rol_epi32(d, 8);					\
	c = _mm512_add_epi32(c, d); b = _mm512_xor_si512(b, c);	\
	b = _mm512_rol_epi32(b, 7);					\
} while (0)

/* out[j] = word j of the 16 lanes' blocks for the state in[] (transposed). */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_chacha16(const __m512i in[16], __m512i out[16])
{
	__m512i x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
	__m512i x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	__m512i x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
	__m512i x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
	int i;

	for (i = 0; i < 10; i++) {
		WG_MB_QR(x0, x4, x8, x12);
		WG_MB_QR(x1, x5, x9, x13);
		WG_MB_QR(x2, x6, x10, x14);
		WG_MB_QR(x3, x7, x11, x15);
		WG_MB_QR(x0, x5, x10, x15);
		WG_MB_QR(x1, x6, x11, x12);
		WG_MB_QR(x2, x7, x8, x13);
		WG_MB_QR(x3, x4, x9, x14);
	}
	out[0] = _mm512_add_epi32(x0, in[0]);
	out[1] = _mm512_add_epi32(x1, in[1]);
	out[2] = _mm512_add_epi32(x2, in[2]);
	out[3] = _mm512_add_epi32(x3, in[3]);
	out[4] = _mm512_add_epi32(x4, in[4]);
	out[5] = _mm512_add_epi32(x5, in[5]);
	out[6] = _mm512_add_epi32(x6, in[6]);
	out[7] = _mm512_add_epi32(x7, in[7]);
	out[8] = _mm512_add_epi32(x8, in[8]);
	out[9] = _mm512_add_epi32(x9, in[9]);
	out[10] = _mm512_add_epi32(x10, in[10]);
	out[11] = _mm512_add_epi32(x11, in[11]);
	out[12] = _mm512_add_epi32(x12, in[12]);
	out[13] = _mm512_add_epi32(x13, in[13]);
	out[14] = _mm512_add_epi32(x14, in[14]);
	out[15] = _mm512_add_epi32(x15, in[15]);
}

/* Two quarter rounds of two independent states, step by step. */
#define WG_MB_QR2(a, b, c, d, A, B, C, D) do {				\
	a = _mm512_add_epi32(a, b); A = _mm512_add_epi32(A, B);		\
	d = _mm512_xor_si512(d, a); D = _mm512_xor_si512(D, A);		\
	d = _mm512_rol_epi32(d, 16); D = _mm512_rol_epi32(D, 16);	\
	c = _mm512_add_epi32(c, d); C = _mm512_add_epi32(C, D);		\
	b = _mm512_xor_si512(b, c); B = _mm512_xor_si512(B, C);		\
	b = _mm512_rol_epi32(b, 12); B = _mm512_rol_epi32(B, 12);	\
	a = _mm512_add_epi32(a, b); A = _mm512_add_epi32(A, B);		\
	d = _mm512_xor_si512(d, a); D = _mm512_xor_si512(D, A);		\
	d = _mm512_rol_epi32(d, 8); D = _mm512_rol_epi32(D, 8);		\
	c = _mm512_add_epi32(c, d); C = _mm512_add_epi32(C, D);		\
	b = _mm512_xor_si512(b, c); B = _mm512_xor_si512(B, C);		\
	b = _mm512_rol_epi32(b, 7); B = _mm512_rol_epi32(B, 7);		\
} while (0)

/*
 * Blocks n and n + 1 of the 16 lanes at once, in[12] being n: a quarter
 * round is a chain of 12 dependent instructions, and one state's four
 * independent chains leave execution units idle; two states' eight fill
 * them (1.5x the throughput of wg_mb_chacha16() on Zen 5). The 32 state
 * vectors use all 32 zmm registers, rotates needing no temporary.
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_chacha16x2(const __m512i in[16], __m512i out[16], __m512i out2[16])
{
	const __m512i in12b = _mm512_add_epi32(in[12], _mm512_set1_epi32(1));
	__m512i x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
	__m512i x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	__m512i x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
	__m512i x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
	__m512i y0 = x0, y1 = x1, y2 = x2, y3 = x3, y4 = x4, y5 = x5;
	__m512i y6 = x6, y7 = x7, y8 = x8, y9 = x9, y10 = x10, y11 = x11;
	__m512i y12 = in12b, y13 = x13, y14 = x14, y15 = x15;
	int i;

	for (i = 0; i < 10; i++) {
		WG_MB_QR2(x0, x4, x8, x12, y0, y4, y8, y12);
		WG_MB_QR2(x1, x5, x9, x13, y1, y5, y9, y13);
		WG_MB_QR2(x2, x6, x10, x14, y2, y6, y10, y14);
		WG_MB_QR2(x3, x7, x11, x15, y3, y7, y11, y15);
		WG_MB_QR2(x0, x5, x10, x15, y0, y5, y10, y15);
		WG_MB_QR2(x1, x6, x11, x12, y1, y6, y11, y12);
		WG_MB_QR2(x2, x7, x8, x13, y2, y7, y8, y13);
		WG_MB_QR2(x3, x4, x9, x14, y3, y4, y9, y14);
	}
	out[0] = _mm512_add_epi32(x0, in[0]);
	out[1] = _mm512_add_epi32(x1, in[1]);
	out[2] = _mm512_add_epi32(x2, in[2]);
	out[3] = _mm512_add_epi32(x3, in[3]);
	out[4] = _mm512_add_epi32(x4, in[4]);
	out[5] = _mm512_add_epi32(x5, in[5]);
	out[6] = _mm512_add_epi32(x6, in[6]);
	out[7] = _mm512_add_epi32(x7, in[7]);
	out[8] = _mm512_add_epi32(x8, in[8]);
	out[9] = _mm512_add_epi32(x9, in[9]);
	out[10] = _mm512_add_epi32(x10, in[10]);
	out[11] = _mm512_add_epi32(x11, in[11]);
	out[12] = _mm512_add_epi32(x12, in[12]);
	out[13] = _mm512_add_epi32(x13, in[13]);
	out[14] = _mm512_add_epi32(x14, in[14]);
	out[15] = _mm512_add_epi32(x15, in[15]);
	out2[0] = _mm512_add_epi32(y0, in[0]);
	out2[1] = _mm512_add_epi32(y1, in[1]);
	out2[2] = _mm512_add_epi32(y2, in[2]);
	out2[3] = _mm512_add_epi32(y3, in[3]);
	out2[4] = _mm512_add_epi32(y4, in[4]);
	out2[5] = _mm512_add_epi32(y5, in[5]);
	out2[6] = _mm512_add_epi32(y6, in[6]);
	out2[7] = _mm512_add_epi32(y7, in[7]);
	out2[8] = _mm512_add_epi32(y8, in[8]);
	out2[9] = _mm512_add_epi32(y9, in[9]);
	out2[10] = _mm512_add_epi32(y10, in[10]);
	out2[11] = _mm512_add_epi32(y11, in[11]);
	out2[12] = _mm512_add_epi32(y12, in12b);
	out2[13] = _mm512_add_epi32(y13, in[13]);
	out2[14] = _mm512_add_epi32(y14, in[14]);
	out2[15] = _mm512_add_epi32(y15, in[15]);
}

/*
 * Given 4 vectors a, b, c, d of four 128-bit blocks each, out[k] =
 * { a.k, b.k, c.k, d.k } for k = 0..3: a 4x4 transpose of 128-bit blocks.
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_transpose_x4(__m512i a, __m512i b, __m512i c, __m512i d,
		   __m512i *o0, __m512i *o1, __m512i *o2, __m512i *o3)
{
	__m512i ab01 = _mm512_shuffle_i32x4(a, b, 0x44); /* a0 a1 b0 b1 */
	__m512i ab23 = _mm512_shuffle_i32x4(a, b, 0xee); /* a2 a3 b2 b3 */
	__m512i cd01 = _mm512_shuffle_i32x4(c, d, 0x44);
	__m512i cd23 = _mm512_shuffle_i32x4(c, d, 0xee);

	*o0 = _mm512_shuffle_i32x4(ab01, cd01, 0x88); /* a0 b0 c0 d0 */
	*o1 = _mm512_shuffle_i32x4(ab01, cd01, 0xdd); /* a1 b1 c1 d1 */
	*o2 = _mm512_shuffle_i32x4(ab23, cd23, 0x88);
	*o3 = _mm512_shuffle_i32x4(ab23, cd23, 0xdd);
}

/* In-place transpose of a 16x16 matrix of dwords, one row per vector. */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_transpose16(__m512i r[16])
{
	__m512i u[16];
	int g;

	/*
	 * After the two unpack stages, u[4g + e] holds in its 128-bit block
	 * k the dwords (4k + e) of rows 4g..4g+3.
	 */
	for (g = 0; g < 4; g++) {
		__m512i r0 = r[4 * g], r1 = r[4 * g + 1];
		__m512i r2 = r[4 * g + 2], r3 = r[4 * g + 3];
		__m512i t0 = _mm512_unpacklo_epi32(r0, r1);
		__m512i t1 = _mm512_unpackhi_epi32(r0, r1);
		__m512i t2 = _mm512_unpacklo_epi32(r2, r3);
		__m512i t3 = _mm512_unpackhi_epi32(r2, r3);

		u[4 * g] = _mm512_unpacklo_epi64(t0, t2);
		u[4 * g + 1] = _mm512_unpackhi_epi64(t0, t2);
		u[4 * g + 2] = _mm512_unpacklo_epi64(t1, t3);
		u[4 * g + 3] = _mm512_unpackhi_epi64(t1, t3);
	}
	/* column 4k + e = { u[e].k, u[4 + e].k, u[8 + e].k, u[12 + e].k } */
	for (g = 0; g < 4; g++)
		wg_mb_transpose_x4(u[g], u[4 + g], u[8 + g], u[12 + g],
				   &r[g], &r[4 + g], &r[8 + g], &r[12 + g]);
}

/*
 * Transpose 8 rows of 8 qwords: q[j] = qword j of rows 0..7 (row i in
 * qword i).
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_transpose8x8(const __m512i r[8], __m512i q[8])
{
	/* t[2p + e] holds in block k the qwords 2k + e of rows 2p, 2p + 1 */
	__m512i t0 = _mm512_unpacklo_epi64(r[0], r[1]);
	__m512i t1 = _mm512_unpackhi_epi64(r[0], r[1]);
	__m512i t2 = _mm512_unpacklo_epi64(r[2], r[3]);
	__m512i t3 = _mm512_unpackhi_epi64(r[2], r[3]);
	__m512i t4 = _mm512_unpacklo_epi64(r[4], r[5]);
	__m512i t5 = _mm512_unpackhi_epi64(r[4], r[5]);
	__m512i t6 = _mm512_unpacklo_epi64(r[6], r[7]);
	__m512i t7 = _mm512_unpackhi_epi64(r[6], r[7]);

	wg_mb_transpose_x4(t0, t2, t4, t6, &q[0], &q[2], &q[4], &q[6]);
	wg_mb_transpose_x4(t1, t3, t5, t7, &q[1], &q[3], &q[5], &q[7]);
}

/*
 * The lane-major initial state of one op: constants, key, block counter 0,
 * nonce 0x00000000 || le64(counter).
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) __m512i
wg_mb_row(const uint8_t *key, uint64_t counter)
{
	const __m512i sigma = _mm512_setr_epi32(0x61707865, 0x3320646e,
		0x79622d32, 0x6b206574, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 1, 2, 3, 4, 5,
		6, 7, 0, 0, 0, 0);
	__m512i k = _mm512_castsi256_si512(
		_mm256_loadu_si256((const __m256i_u *)key));
	__m512i row = _mm512_mask_permutexvar_epi32(sigma, 0x0ff0, idx, k);

	/* dwords 14, 15 = qword 7 = the counter, little-endian */
	return _mm512_mask_set1_epi64(row, 0x80, (long long)counter);
}

/* Zero-extend dwords 0-7 (half 0) or 8-15 (half 1) to qwords. */
WG_MB_INLINE(WG_MB_TARGET_AVX512) __m512i
wg_mb_half(__m512i v, int half)
{
	return _mm512_cvtepu32_epi64(half == 0 ? _mm512_castsi512_si256(v) :
				     _mm512_extracti64x4_epi64(v, 1));
}

/* qword lanes of a half: lo | hi << 32 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) __m512i
wg_mb_join(__m512i lo32, __m512i hi32, int half)
{
	return _mm512_or_si512(wg_mb_half(lo32, half),
			       _mm512_slli_epi64(wg_mb_half(hi32, half), 32));
}

/*
 * Poly1305, 8 lanes per vector (one qword each), in two arithmetics with
 * the same interface:
 *
 *   init(p, rlo, rhi)       r = rlo | rhi << 64 (clamped); h = 0
 *   powers(p)               r^2, r^3, r^4 for block4()
 *   block(p, lo, hi, k)     h = (h + m) r, m = lo | hi << 64 | 2^128, for
 *                           the lanes in k (the others keep h)
 *   block4(p, q, k)         four blocks, m_j = q[2j] | q[2j + 1] << 64:
 *                           h = (h + m0) r^4 + m1 r^3 + m2 r^2 + m3 r
 *   final(p, slo, shi, ...) the tag, (h mod p + s) mod 2^128
 *
 * block4() is Horner's rule four blocks at a time: the same number of
 * multiplications, but one carry chain instead of four, and only the
 * product with h lies on the dependency chain from one step to the next.
 */

/* ---- Poly1305, radix 2^44 with IFMA ----------------------------------- */

/* A multiplier x (r or a power of r), limbs 44/44/42 bits. */
struct wg_mb_k44 {
	__m512i r0, r1, r2;
	__m512i s1, s2;         /* 20 * r1, 20 * r2: 2^132 = 20 mod p */
};

struct wg_mb_p44 {
	__m512i h0, h1, h2;     /* accumulator */
	struct wg_mb_k44 k[4];  /* r, r^2, r^3, r^4 */
};

#define WG_MB_M44 0xfffffffffffULL
#define WG_MB_M42 0x3ffffffffffULL

/* times 20 without vpmullq (AVX512DQ): 16x + 4x */
WG_MB_INLINE(WG_MB_TARGET_AVX512) __m512i
wg_mb_x20(__m512i v)
{
	return _mm512_add_epi64(_mm512_slli_epi64(v, 4), _mm512_slli_epi64(v, 2));
}

/* times 5 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) __m512i
wg_mb_x5(__m512i v)
{
	return _mm512_add_epi64(v, _mm512_slli_epi64(v, 2));
}

/* The six partial sums of a product, low and high 52 bits of each limb. */
struct wg_mb_d44 {
	__m512i d0l, d0h, d1l, d1h, d2l, d2h;
};

/*
 * d += a * x, with a = a0 | a1 << 44 | a2 << 88:
 *   limb 0: a0 r0 + a1 s2 + a2 s1
 *   limb 1: a0 r1 + a1 r0 + a2 s2
 *   limb 2: a0 r2 + a1 r1 + a2 r0
 */
WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_mac44(struct wg_mb_d44 *d, __m512i a0, __m512i a1, __m512i a2,
	    const struct wg_mb_k44 *x)
{
	d->d0l = _mm512_madd52lo_epu64(d->d0l, a0, x->r0);
	d->d0h = _mm512_madd52hi_epu64(d->d0h, a0, x->r0);
	d->d1l = _mm512_madd52lo_epu64(d->d1l, a0, x->r1);
	d->d1h = _mm512_madd52hi_epu64(d->d1h, a0, x->r1);
	d->d2l = _mm512_madd52lo_epu64(d->d2l, a0, x->r2);
	d->d2h = _mm512_madd52hi_epu64(d->d2h, a0, x->r2);
	d->d0l = _mm512_madd52lo_epu64(d->d0l, a1, x->s2);
	d->d0h = _mm512_madd52hi_epu64(d->d0h, a1, x->s2);
	d->d1l = _mm512_madd52lo_epu64(d->d1l, a1, x->r0);
	d->d1h = _mm512_madd52hi_epu64(d->d1h, a1, x->r0);
	d->d2l = _mm512_madd52lo_epu64(d->d2l, a1, x->r1);
	d->d2h = _mm512_madd52hi_epu64(d->d2h, a1, x->r1);
	d->d0l = _mm512_madd52lo_epu64(d->d0l, a2, x->s1);
	d->d0h = _mm512_madd52hi_epu64(d->d0h, a2, x->s1);
	d->d1l = _mm512_madd52lo_epu64(d->d1l, a2, x->s2);
	d->d1h = _mm512_madd52hi_epu64(d->d1h, a2, x->s2);
	d->d2l = _mm512_madd52lo_epu64(d->d2l, a2, x->r0);
	d->d2h = _mm512_madd52hi_epu64(d->d2h, a2, x->r0);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_d44_add(struct wg_mb_d44 *d, const struct wg_mb_d44 *e)
{
	d->d0l = _mm512_add_epi64(d->d0l, e->d0l);
	d->d0h = _mm512_add_epi64(d->d0h, e->d0h);
	d->d1l = _mm512_add_epi64(d->d1l, e->d1l);
	d->d1h = _mm512_add_epi64(d->d1h, e->d1h);
	d->d2l = _mm512_add_epi64(d->d2l, e->d2l);
	d->d2h = _mm512_add_epi64(d->d2h, e->d2h);
}

/*
 * Carry the sums of products back to limbs 44/44/42. For limb i (weight
 * 2^44i) the high 52 bits of a product weigh 2^(44i + 52): they carry into
 * limb i + 1 shifted left by 8, and for limb 2 they are at 2^140 =
 * 2^10 * 2^130 = 5 * 2^10 mod p.
 *
 * Bounds, with up to four products per limb sum (block4): the inputs a
 * below 2^46, the multipliers below 2^44 (limbs 0, 1), 2^43 (limb 2), 2^50
 * (s1, s2); each limb sum is below 2^97, its low parts below 2^56 and high
 * parts below 2^45. Out: n0 < 2^44, n1 < 2^44 + 2^10, n2 < 2^42.
 */
WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_carry44(const struct wg_mb_d44 *d, __m512i *n0, __m512i *n1,
	      __m512i *n2)
{
	const __m512i m44 = _mm512_set1_epi64(WG_MB_M44);
	const __m512i m42 = _mm512_set1_epi64(WG_MB_M42);
	__m512i t0 = d->d0l, t1, t2, c;

	t1 = _mm512_add_epi64(d->d1l, _mm512_slli_epi64(d->d0h, 8));
	t2 = _mm512_add_epi64(d->d2l, _mm512_slli_epi64(d->d1h, 8));
	t1 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 44));
	t0 = _mm512_and_si512(t0, m44);
	t2 = _mm512_add_epi64(t2, _mm512_srli_epi64(t1, 44));
	t1 = _mm512_and_si512(t1, m44);
	c = _mm512_add_epi64(_mm512_srli_epi64(t2, 42),
			     _mm512_slli_epi64(d->d2h, 10));
	*n2 = _mm512_and_si512(t2, m42);
	t0 = _mm512_add_epi64(t0, wg_mb_x5(c));
	*n1 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 44));
	*n0 = _mm512_and_si512(t0, m44);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_k44_set(struct wg_mb_k44 *x, __m512i r0, __m512i r1, __m512i r2)
{
	x->r0 = r0;
	x->r1 = r1;
	x->r2 = r2;
	x->s1 = wg_mb_x20(r1);
	x->s2 = wg_mb_x20(r2);
}

/* m = lo | hi << 64 | 2^128 in limbs */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_m44(__m512i lo, __m512i hi, __m512i *m0, __m512i *m1, __m512i *m2)
{
	const __m512i m44 = _mm512_set1_epi64(WG_MB_M44);

	*m0 = _mm512_and_si512(lo, m44);
	*m1 = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 44),
					       _mm512_slli_epi64(hi, 20)), m44);
	*m2 = _mm512_or_si512(_mm512_srli_epi64(hi, 24),
			      _mm512_set1_epi64(1ULL << 40));
}

WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_init(struct wg_mb_p44 *p, __m512i rlo, __m512i rhi)
{
	const __m512i m44 = _mm512_set1_epi64(WG_MB_M44);

	p->h0 = p->h1 = p->h2 = _mm512_setzero_si512();
	wg_mb_k44_set(&p->k[0], _mm512_and_si512(rlo, m44),
		      _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(rlo, 44),
			_mm512_slli_epi64(rhi, 20)), m44),
		      _mm512_srli_epi64(rhi, 24));
}

/* k[dst] = k[a] * k[b] */
WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_pow(struct wg_mb_p44 *p, int dst, int a, int b)
{
	struct wg_mb_d44 d = { _mm512_setzero_si512(), _mm512_setzero_si512(),
		_mm512_setzero_si512(), _mm512_setzero_si512(),
		_mm512_setzero_si512(), _mm512_setzero_si512() };
	__m512i n0, n1, n2;

	wg_mb_mac44(&d, p->k[a].r0, p->k[a].r1, p->k[a].r2, &p->k[b]);
	wg_mb_carry44(&d, &n0, &n1, &n2);
	wg_mb_k44_set(&p->k[dst], n0, n1, n2);
}

WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_powers(struct wg_mb_p44 *p)
{
	wg_mb_p44_pow(p, 1, 0, 0);      /* r^2 */
	wg_mb_p44_pow(p, 2, 1, 0);      /* r^3 */
	wg_mb_p44_pow(p, 3, 1, 1);      /* r^4 */
}

WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_block(struct wg_mb_p44 *p, __m512i lo, __m512i hi, __mmask8 k)
{
	struct wg_mb_d44 d = { _mm512_setzero_si512(), _mm512_setzero_si512(),
		_mm512_setzero_si512(), _mm512_setzero_si512(),
		_mm512_setzero_si512(), _mm512_setzero_si512() };
	__m512i m0, m1, m2, n0, n1, n2;

	wg_mb_m44(lo, hi, &m0, &m1, &m2);
	wg_mb_mac44(&d, _mm512_add_epi64(p->h0, m0),
		    _mm512_add_epi64(p->h1, m1), _mm512_add_epi64(p->h2, m2),
		    &p->k[0]);
	wg_mb_carry44(&d, &n0, &n1, &n2);
	p->h0 = _mm512_mask_mov_epi64(p->h0, k, n0);
	p->h1 = _mm512_mask_mov_epi64(p->h1, k, n1);
	p->h2 = _mm512_mask_mov_epi64(p->h2, k, n2);
}

WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_block4(struct wg_mb_p44 *p, const __m512i q[8], __mmask8 k)
{
	struct wg_mb_d44 d[4];
	__m512i m0, m1, m2, n0, n1, n2;
	int j;

	/* m_j times r^(4 - j); only j = 0 involves h */
	for (j = 0; j < 4; j++) {
		d[j] = (struct wg_mb_d44){ _mm512_setzero_si512(),
			_mm512_setzero_si512(), _mm512_setzero_si512(),
			_mm512_setzero_si512(), _mm512_setzero_si512(),
			_mm512_setzero_si512() };
		wg_mb_m44(q[2 * j], q[2 * j + 1], &m0, &m1, &m2);
		if (j == 0) {
			m0 = _mm512_add_epi64(m0, p->h0);
			m1 = _mm512_add_epi64(m1, p->h1);
			m2 = _mm512_add_epi64(m2, p->h2);
		}
		wg_mb_mac44(&d[j], m0, m1, m2, &p->k[3 - j]);
	}
	wg_mb_d44_add(&d[1], &d[2]);
	wg_mb_d44_add(&d[1], &d[3]);
	wg_mb_d44_add(&d[0], &d[1]);
	wg_mb_carry44(&d[0], &n0, &n1, &n2);
	p->h0 = _mm512_mask_mov_epi64(p->h0, k, n0);
	p->h1 = _mm512_mask_mov_epi64(p->h1, k, n1);
	p->h2 = _mm512_mask_mov_epi64(p->h2, k, n2);
}

/* tag = (h mod p) + s mod 2^128, as qwords lo, hi */
WG_MB_INLINE(WG_MB_TARGET_IFMA) void
wg_mb_p44_final(struct wg_mb_p44 *p, __m512i slo, __m512i shi,
		__m512i *tlo, __m512i *thi)
{
	const __m512i m44 = _mm512_set1_epi64(WG_MB_M44);
	const __m512i m42 = _mm512_set1_epi64(WG_MB_M42);
	__m512i h0 = p->h0, h1 = p->h1, h2 = p->h2, g0, g1, g2, lo, hi;
	__mmask8 lt;

	/* full carry: afterwards h0, h1 < 2^44, h2 <= 2^42, h < 2p */
	h2 = _mm512_add_epi64(h2, _mm512_srli_epi64(h1, 44));
	h1 = _mm512_and_si512(h1, m44);
	h0 = _mm512_add_epi64(h0, wg_mb_x5(_mm512_srli_epi64(h2, 42)));
	h2 = _mm512_and_si512(h2, m42);
	h1 = _mm512_add_epi64(h1, _mm512_srli_epi64(h0, 44));
	h0 = _mm512_and_si512(h0, m44);
	h2 = _mm512_add_epi64(h2, _mm512_srli_epi64(h1, 44));
	h1 = _mm512_and_si512(h1, m44);

	/* g = h + 5 - 2^130; h >= p exactly when g does not go negative */
	g0 = _mm512_add_epi64(h0, _mm512_set1_epi64(5));
	g1 = _mm512_add_epi64(h1, _mm512_srli_epi64(g0, 44));
	g0 = _mm512_and_si512(g0, m44);
	g2 = _mm512_add_epi64(h2, _mm512_srli_epi64(g1, 44));
	g1 = _mm512_and_si512(g1, m44);
	g2 = _mm512_sub_epi64(g2, _mm512_set1_epi64(1LL << 42));
	lt = _mm512_cmplt_epi64_mask(g2, _mm512_setzero_si512());
	h0 = _mm512_mask_mov_epi64(g0, lt, h0);
	h1 = _mm512_mask_mov_epi64(g1, lt, h1);
	h2 = _mm512_mask_mov_epi64(g2, lt, h2);

	lo = _mm512_or_si512(h0, _mm512_slli_epi64(h1, 44));
	hi = _mm512_or_si512(_mm512_srli_epi64(h1, 20), _mm512_slli_epi64(h2, 24));
	lo = _mm512_add_epi64(lo, slo);
	hi = _mm512_add_epi64(hi, shi);
	hi = _mm512_mask_add_epi64(hi, _mm512_cmplt_epu64_mask(lo, slo), hi,
				   _mm512_set1_epi64(1));
	*tlo = lo;
	*thi = hi;
}

/* ---- Poly1305, radix 2^26 with vpmuludq ------------------------------- */

/* A multiplier x, 26-bit limbs, and 5 x its limbs (2^130 = 5 mod p). */
struct wg_mb_k26 {
	__m512i r[5];
	__m512i s[5];           /* s[0] unused */
};

struct wg_mb_p26 {
	__m512i h[5];           /* accumulator, 26-bit limbs */
	struct wg_mb_k26 k[4];  /* r, r^2, r^3, r^4 */
};

#define WG_MB_M26 0x3ffffffULL

/* v = lo | hi << 64 in 26-bit limbs (v[4] gets bits 104..127) */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_split(__m512i lo, __m512i hi, __m512i v[5])
{
	const __m512i m26 = _mm512_set1_epi64(WG_MB_M26);

	v[0] = _mm512_and_si512(lo, m26);
	v[1] = _mm512_and_si512(_mm512_srli_epi64(lo, 26), m26);
	v[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 52),
		_mm512_slli_epi64(hi, 12)), m26);
	v[3] = _mm512_and_si512(_mm512_srli_epi64(hi, 14), m26);
	v[4] = _mm512_srli_epi64(hi, 40);
}

#define WG_MB_MUL(a, b) _mm512_mul_epu32(a, b)
#define WG_MB_MAC(acc, a, b) _mm512_add_epi64(acc, _mm512_mul_epu32(a, b))

/*
 * d += a * x:
 *   d0 = a0 r0 + a1 s4 + a2 s3 + a3 s2 + a4 s1
 *   d1 = a0 r1 + a1 r0 + a2 s4 + a3 s3 + a4 s2
 *   d2 = a0 r2 + a1 r1 + a2 r0 + a3 s4 + a4 s3
 *   d3 = a0 r3 + a1 r2 + a2 r1 + a3 r0 + a4 s4
 *   d4 = a0 r4 + a1 r3 + a2 r2 + a3 r1 + a4 r0
 * vpmuludq takes the low 32 bits of each qword: limbs of a and x stay
 * below 2^28 and 2^29.
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_mac26(__m512i d[5], const __m512i a[5], const struct wg_mb_k26 *x)
{
	const __m512i *r = x->r, *s = x->s;

	d[0] = WG_MB_MAC(d[0], a[0], r[0]);
	d[1] = WG_MB_MAC(d[1], a[0], r[1]);
	d[2] = WG_MB_MAC(d[2], a[0], r[2]);
	d[3] = WG_MB_MAC(d[3], a[0], r[3]);
	d[4] = WG_MB_MAC(d[4], a[0], r[4]);
	d[0] = WG_MB_MAC(d[0], a[1], s[4]);
	d[1] = WG_MB_MAC(d[1], a[1], r[0]);
	d[2] = WG_MB_MAC(d[2], a[1], r[1]);
	d[3] = WG_MB_MAC(d[3], a[1], r[2]);
	d[4] = WG_MB_MAC(d[4], a[1], r[3]);
	d[0] = WG_MB_MAC(d[0], a[2], s[3]);
	d[1] = WG_MB_MAC(d[1], a[2], s[4]);
	d[2] = WG_MB_MAC(d[2], a[2], r[0]);
	d[3] = WG_MB_MAC(d[3], a[2], r[1]);
	d[4] = WG_MB_MAC(d[4], a[2], r[2]);
	d[0] = WG_MB_MAC(d[0], a[3], s[2]);
	d[1] = WG_MB_MAC(d[1], a[3], s[3]);
	d[2] = WG_MB_MAC(d[2], a[3], s[4]);
	d[3] = WG_MB_MAC(d[3], a[3], r[0]);
	d[4] = WG_MB_MAC(d[4], a[3], r[1]);
	d[0] = WG_MB_MAC(d[0], a[4], s[1]);
	d[1] = WG_MB_MAC(d[1], a[4], s[2]);
	d[2] = WG_MB_MAC(d[2], a[4], s[3]);
	d[3] = WG_MB_MAC(d[3], a[4], s[4]);
	d[4] = WG_MB_MAC(d[4], a[4], r[0]);
}

/*
 * Carry d back to 26-bit limbs. With up to four products per term
 * (block4), inputs below 2^27.1 and multipliers below 2^28.4, each d is
 * below 2^60. Out: limbs below 2^26 but n1 < 2^26 + 2^11.
 */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_carry26(__m512i d[5])
{
	const __m512i m26 = _mm512_set1_epi64(WG_MB_M26);

	d[1] = _mm512_add_epi64(d[1], _mm512_srli_epi64(d[0], 26));
	d[0] = _mm512_and_si512(d[0], m26);
	d[2] = _mm512_add_epi64(d[2], _mm512_srli_epi64(d[1], 26));
	d[1] = _mm512_and_si512(d[1], m26);
	d[3] = _mm512_add_epi64(d[3], _mm512_srli_epi64(d[2], 26));
	d[2] = _mm512_and_si512(d[2], m26);
	d[4] = _mm512_add_epi64(d[4], _mm512_srli_epi64(d[3], 26));
	d[3] = _mm512_and_si512(d[3], m26);
	d[0] = _mm512_add_epi64(d[0], wg_mb_x5(_mm512_srli_epi64(d[4], 26)));
	d[4] = _mm512_and_si512(d[4], m26);
	d[1] = _mm512_add_epi64(d[1], _mm512_srli_epi64(d[0], 26));
	d[0] = _mm512_and_si512(d[0], m26);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_k26_set(struct wg_mb_k26 *x, const __m512i r[5])
{
	int i;

	for (i = 0; i < 5; i++) {
		x->r[i] = r[i];
		x->s[i] = wg_mb_x5(r[i]);
	}
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_init(struct wg_mb_p26 *p, __m512i rlo, __m512i rhi)
{
	__m512i r[5];
	int i;

	wg_mb_p26_split(rlo, rhi, r);
	wg_mb_k26_set(&p->k[0], r);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm512_setzero_si512();
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_pow(struct wg_mb_p26 *p, int dst, int a, int b)
{
	__m512i d[5];
	int i;

	for (i = 0; i < 5; i++)
		d[i] = _mm512_setzero_si512();
	wg_mb_mac26(d, p->k[a].r, &p->k[b]);
	wg_mb_carry26(d);
	wg_mb_k26_set(&p->k[dst], d);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_powers(struct wg_mb_p26 *p)
{
	wg_mb_p26_pow(p, 1, 0, 0);
	wg_mb_p26_pow(p, 2, 1, 0);
	wg_mb_p26_pow(p, 3, 1, 1);
}

/* m = lo | hi << 64 | 2^128 in 26-bit limbs */
WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_m26(__m512i lo, __m512i hi, __m512i m[5])
{
	wg_mb_p26_split(lo, hi, m);
	m[4] = _mm512_or_si512(m[4], _mm512_set1_epi64(1 << 24));
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_block(struct wg_mb_p26 *p, __m512i lo, __m512i hi, __mmask8 k)
{
	__m512i a[5], d[5];
	int i;

	wg_mb_m26(lo, hi, a);
	for (i = 0; i < 5; i++) {
		a[i] = _mm512_add_epi64(a[i], p->h[i]);
		d[i] = _mm512_setzero_si512();
	}
	wg_mb_mac26(d, a, &p->k[0]);
	wg_mb_carry26(d);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm512_mask_mov_epi64(p->h[i], k, d[i]);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_block4(struct wg_mb_p26 *p, const __m512i q[8], __mmask8 k)
{
	__m512i a[5], d[5], e[5];
	int i, j;

	/* m1 r^3 + m2 r^2 + m3 r, then (h + m0) r^4 */
	for (i = 0; i < 5; i++)
		e[i] = _mm512_setzero_si512();
	for (j = 1; j < 4; j++) {
		wg_mb_m26(q[2 * j], q[2 * j + 1], a);
		wg_mb_mac26(e, a, &p->k[3 - j]);
	}
	wg_mb_m26(q[0], q[1], a);
	for (i = 0; i < 5; i++) {
		a[i] = _mm512_add_epi64(a[i], p->h[i]);
		d[i] = _mm512_setzero_si512();
	}
	wg_mb_mac26(d, a, &p->k[3]);
	for (i = 0; i < 5; i++)
		d[i] = _mm512_add_epi64(d[i], e[i]);
	wg_mb_carry26(d);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm512_mask_mov_epi64(p->h[i], k, d[i]);
}

WG_MB_INLINE(WG_MB_TARGET_AVX512) void
wg_mb_p26_final(struct wg_mb_p26 *p, __m512i slo, __m512i shi,
		__m512i *tlo, __m512i *thi)
{
	const __m512i m26 = _mm512_set1_epi64(WG_MB_M26);
	__m512i h[5], g[5], lo, hi;
	__mmask8 lt;
	int i;

	for (i = 0; i < 5; i++)
		h[i] = p->h[i];
	/* full carry from h1 around to h1 again, then through to h4 */
	for (i = 1; i < 4; i++) {
		h[i + 1] = _mm512_add_epi64(h[i + 1], _mm512_srli_epi64(h[i], 26));
		h[i] = _mm512_and_si512(h[i], m26);
	}
	h[0] = _mm512_add_epi64(h[0], wg_mb_x5(_mm512_srli_epi64(h[4], 26)));
	h[4] = _mm512_and_si512(h[4], m26);
	for (i = 0; i < 4; i++) {
		h[i + 1] = _mm512_add_epi64(h[i + 1], _mm512_srli_epi64(h[i], 26));
		h[i] = _mm512_and_si512(h[i], m26);
	}

	/* g = h + 5 - 2^130 */
	g[0] = _mm512_add_epi64(h[0], _mm512_set1_epi64(5));
	for (i = 0; i < 4; i++) {
		g[i + 1] = _mm512_add_epi64(h[i + 1], _mm512_srli_epi64(g[i], 26));
		g[i] = _mm512_and_si512(g[i], m26);
	}
	g[4] = _mm512_sub_epi64(g[4], _mm512_set1_epi64(1LL << 26));
	lt = _mm512_cmplt_epi64_mask(g[4], _mm512_setzero_si512());
	for (i = 0; i < 5; i++)
		h[i] = _mm512_mask_mov_epi64(g[i], lt, h[i]);

	lo = _mm512_or_si512(_mm512_or_si512(h[0], _mm512_slli_epi64(h[1], 26)),
			     _mm512_slli_epi64(h[2], 52));
	hi = _mm512_or_si512(_mm512_or_si512(_mm512_srli_epi64(h[2], 12),
					     _mm512_slli_epi64(h[3], 14)),
			     _mm512_slli_epi64(h[4], 40));
	lo = _mm512_add_epi64(lo, slo);
	hi = _mm512_add_epi64(hi, shi);
	hi = _mm512_mask_add_epi64(hi, _mm512_cmplt_epu64_mask(lo, slo), hi,
				   _mm512_set1_epi64(1));
	*tlo = lo;
	*thi = hi;
}

/* ---- the kernels ------------------------------------------------------ */

#define WG_MB_TMPL_TARGET WG_MB_TARGET_IFMA
#define WG_MB_TMPL_NAME(x) x##_ifma
#define WG_MB_TMPL_POLY struct wg_mb_p44
#define WG_MB_TMPL_INIT wg_mb_p44_init
#define WG_MB_TMPL_POWERS wg_mb_p44_powers
#define WG_MB_TMPL_BLOCK wg_mb_p44_block
#define WG_MB_TMPL_BLOCK4 wg_mb_p44_block4
#define WG_MB_TMPL_FINAL wg_mb_p44_final
#include "wg_aead_mb_avx512_tmpl.h"

#define WG_MB_TMPL_TARGET WG_MB_TARGET_AVX512
#define WG_MB_TMPL_NAME(x) x##_26
#define WG_MB_TMPL_POLY struct wg_mb_p26
#define WG_MB_TMPL_INIT wg_mb_p26_init
#define WG_MB_TMPL_POWERS wg_mb_p26_powers
#define WG_MB_TMPL_BLOCK wg_mb_p26_block
#define WG_MB_TMPL_BLOCK4 wg_mb_p26_block4
#define WG_MB_TMPL_FINAL wg_mb_p26_final
#include "wg_aead_mb_avx512_tmpl.h"
