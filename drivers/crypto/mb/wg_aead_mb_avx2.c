/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Multi-lane ChaCha20-Poly1305 (RFC 8439, WireGuard nonce, no AAD) with
 * AVX2: up to 8 independent ops in lockstep, one per lane. The AVX2
 * counterpart of wg_aead_mb_avx512.c (read that first); differences:
 *
 * - ChaCha20 on 8 lanes, one ymm per state word. AVX2 has no rotate: 16-
 *   and 8-bit rotates are byte shuffles, 12 and 7 shift pairs. Only 16
 *   ymm registers, so one block at a time.
 * - Keystream and ciphertext go through 8x8 dword and 4x4 qword
 *   transposes (two 128-bit halves per ymm).
 * - No byte-masked loads: a lane's last, partial block goes through a
 *   64-byte buffer on the stack (memcpy of the op's public length).
 * - Poly1305 in radix 2^26 with vpmuludq, 4 lanes (qwords) per ymm, two
 *   register groups; lane masks are qword vectors for vpblendvb, and the
 *   final reduction selects with a 64-bit compare and a blend.
 *
 * Constant time as in the AVX-512 kernels: control flow and addresses
 * depend on lengths and lane counts only.
 */

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wg_aead_mb_lanes.h"

#define WG_M2_INLINE static inline __attribute__((always_inline, target("avx2")))

/* ---- ChaCha20, 8 lanes ------------------------------------------------ */

WG_M2_INLINE __m256i
wg_m2_rol16(__m256i x)
{
	const __m256i r16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11,
		8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14,
		15, 12, 13);

	return _mm256_shuffle_epi8(x, r16);
}

WG_M2_INLINE __m256i
wg_m2_rol8(__m256i x)
{
	const __m256i r8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9,
		10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15,
		12, 13, 14);

	return _mm256_shuffle_epi8(x, r8);
}

#define WG_M2_ROL(x, n) \
	_mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - (n)))

#define WG_M2_QR(a, b, c, d) do {					\
	a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a);	\
	d = wg_m2_rol16(d);						\
	c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c);	\
	b = WG_M2_ROL(b, 12);						\
	a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a);	\
	d = wg_m2_rol8(d);						\
	c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c);	\
	b = WG_M2_ROL(b, 7);						\
} while (0)

WG_M2_INLINE void
wg_m2_chacha8(const __m256i in[16], __m256i out[16])
{
	__m256i x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
	__m256i x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	__m256i x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
	__m256i x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
	int i;

	for (i = 0; i < 10; i++) {
		WG_M2_QR(x0, x4, x8, x12);
		WG_M2_QR(x1, x5, x9, x13);
		WG_M2_QR(x2, x6, x10, x14);
		WG_M2_QR(x3, x7, x11, x15);
		WG_M2_QR(x0, x5, x10, x15);
		WG_M2_QR(x1, x6, x11, x12);
		WG_M2_QR(x2, x7, x8, x13);
		WG_M2_QR(x3, x4, x9, x14);
	}
	out[0] = _mm256_add_epi32(x0, in[0]);
	out[1] = _mm256_add_epi32(x1, in[1]);
	out[2] = _mm256_add_epi32(x2, in[2]);
	out[3] = _mm256_add_epi32(x3, in[3]);
	out[4] = _mm256_add_epi32(x4, in[4]);
	out[5] = _mm256_add_epi32(x5, in[5]);
	out[6] = _mm256_add_epi32(x6, in[6]);
	out[7] = _mm256_add_epi32(x7, in[7]);
	out[8] = _mm256_add_epi32(x8, in[8]);
	out[9] = _mm256_add_epi32(x9, in[9]);
	out[10] = _mm256_add_epi32(x10, in[10]);
	out[11] = _mm256_add_epi32(x11, in[11]);
	out[12] = _mm256_add_epi32(x12, in[12]);
	out[13] = _mm256_add_epi32(x13, in[13]);
	out[14] = _mm256_add_epi32(x14, in[14]);
	out[15] = _mm256_add_epi32(x15, in[15]);
}

/* In-place transpose of an 8x8 matrix of dwords, one row per vector. */
WG_M2_INLINE void
wg_m2_transpose8(__m256i r[8])
{
	__m256i t[8], u[8];
	int e;

	for (e = 0; e < 4; e++) {
		t[2 * e] = _mm256_unpacklo_epi32(r[2 * e], r[2 * e + 1]);
		t[2 * e + 1] = _mm256_unpackhi_epi32(r[2 * e], r[2 * e + 1]);
	}
	/* u[4g + e], half k: dword 4k + e of rows 4g..4g+3 */
	for (e = 0; e < 2; e++) {
		u[4 * e] = _mm256_unpacklo_epi64(t[4 * e], t[4 * e + 2]);
		u[4 * e + 1] = _mm256_unpackhi_epi64(t[4 * e], t[4 * e + 2]);
		u[4 * e + 2] = _mm256_unpacklo_epi64(t[4 * e + 1], t[4 * e + 3]);
		u[4 * e + 3] = _mm256_unpackhi_epi64(t[4 * e + 1], t[4 * e + 3]);
	}
	for (e = 0; e < 4; e++) {
		r[e] = _mm256_permute2x128_si256(u[e], u[4 + e], 0x20);
		r[4 + e] = _mm256_permute2x128_si256(u[e], u[4 + e], 0x31);
	}
}

/* Rows a..d of 4 qwords to q[j] = qword j of the 4 rows. */
WG_M2_INLINE void
wg_m2_transpose4q(__m256i a, __m256i b, __m256i c, __m256i d, __m256i q[4])
{
	__m256i t0 = _mm256_unpacklo_epi64(a, b); /* a0 b0 | a2 b2 */
	__m256i t1 = _mm256_unpackhi_epi64(a, b); /* a1 b1 | a3 b3 */
	__m256i t2 = _mm256_unpacklo_epi64(c, d);
	__m256i t3 = _mm256_unpackhi_epi64(c, d);

	q[0] = _mm256_permute2x128_si256(t0, t2, 0x20);
	q[1] = _mm256_permute2x128_si256(t1, t3, 0x20);
	q[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
	q[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}

/* dwords of half g (lanes 4g..4g+3) zero-extended to qwords */
WG_M2_INLINE __m256i
wg_m2_half(__m256i v, unsigned int g)
{
	return _mm256_cvtepu32_epi64(g == 0 ? _mm256_castsi256_si128(v) :
				     _mm256_extracti128_si256(v, 1));
}

WG_M2_INLINE __m256i
wg_m2_join(__m256i lo32, __m256i hi32, unsigned int g)
{
	return _mm256_or_si256(wg_m2_half(lo32, g),
			       _mm256_slli_epi64(wg_m2_half(hi32, g), 32));
}

/* ---- Poly1305, radix 2^26, 4 lanes per vector --------------------------- */

#define WG_M2_M26 0x3ffffffLL

struct wg_m2_k26 {
	__m256i r[5];
	__m256i s[5];           /* 5 r, s[0] unused */
};

struct wg_m2_p26 {
	__m256i h[5];
	struct wg_m2_k26 k[4];  /* r, r^2, r^3, r^4 */
};

WG_M2_INLINE __m256i
wg_m2_x5(__m256i v)
{
	return _mm256_add_epi64(v, _mm256_slli_epi64(v, 2));
}

WG_M2_INLINE void
wg_m2_split(__m256i lo, __m256i hi, __m256i v[5])
{
	const __m256i m26 = _mm256_set1_epi64x(WG_M2_M26);

	v[0] = _mm256_and_si256(lo, m26);
	v[1] = _mm256_and_si256(_mm256_srli_epi64(lo, 26), m26);
	v[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(lo, 52),
		_mm256_slli_epi64(hi, 12)), m26);
	v[3] = _mm256_and_si256(_mm256_srli_epi64(hi, 14), m26);
	v[4] = _mm256_srli_epi64(hi, 40);
}

#define WG_M2_MAC(acc, a, b) _mm256_add_epi64(acc, _mm256_mul_epu32(a, b))

/* d += a * x, as in wg_mb_mac26() */
WG_M2_INLINE void
wg_m2_mac(__m256i d[5], const __m256i a[5], const struct wg_m2_k26 *x)
{
	const __m256i *r = x->r, *s = x->s;

	d[0] = WG_M2_MAC(d[0], a[0], r[0]);
	d[1] = WG_M2_MAC(d[1], a[0], r[1]);
	d[2] = WG_M2_MAC(d[2], a[0], r[2]);
	d[3] = WG_M2_MAC(d[3], a[0], r[3]);
	d[4] = WG_M2_MAC(d[4], a[0], r[4]);
	d[0] = WG_M2_MAC(d[0], a[1], s[4]);
	d[1] = WG_M2_MAC(d[1], a[1], r[0]);
	d[2] = WG_M2_MAC(d[2], a[1], r[1]);
	d[3] = WG_M2_MAC(d[3], a[1], r[2]);
	d[4] = WG_M2_MAC(d[4], a[1], r[3]);
	d[0] = WG_M2_MAC(d[0], a[2], s[3]);
	d[1] = WG_M2_MAC(d[1], a[2], s[4]);
	d[2] = WG_M2_MAC(d[2], a[2], r[0]);
	d[3] = WG_M2_MAC(d[3], a[2], r[1]);
	d[4] = WG_M2_MAC(d[4], a[2], r[2]);
	d[0] = WG_M2_MAC(d[0], a[3], s[2]);
	d[1] = WG_M2_MAC(d[1], a[3], s[3]);
	d[2] = WG_M2_MAC(d[2], a[3], s[4]);
	d[3] = WG_M2_MAC(d[3], a[3], r[0]);
	d[4] = WG_M2_MAC(d[4], a[3], r[1]);
	d[0] = WG_M2_MAC(d[0], a[4], s[1]);
	d[1] = WG_M2_MAC(d[1], a[4], s[2]);
	d[2] = WG_M2_MAC(d[2], a[4], s[3]);
	d[3] = WG_M2_MAC(d[3], a[4], s[4]);
	d[4] = WG_M2_MAC(d[4], a[4], r[0]);
}

/* as wg_mb_carry26(): out n1 < 2^26 + 2^11, other limbs < 2^26 */
WG_M2_INLINE void
wg_m2_carry(__m256i d[5])
{
	const __m256i m26 = _mm256_set1_epi64x(WG_M2_M26);

	d[1] = _mm256_add_epi64(d[1], _mm256_srli_epi64(d[0], 26));
	d[0] = _mm256_and_si256(d[0], m26);
	d[2] = _mm256_add_epi64(d[2], _mm256_srli_epi64(d[1], 26));
	d[1] = _mm256_and_si256(d[1], m26);
	d[3] = _mm256_add_epi64(d[3], _mm256_srli_epi64(d[2], 26));
	d[2] = _mm256_and_si256(d[2], m26);
	d[4] = _mm256_add_epi64(d[4], _mm256_srli_epi64(d[3], 26));
	d[3] = _mm256_and_si256(d[3], m26);
	d[0] = _mm256_add_epi64(d[0], wg_m2_x5(_mm256_srli_epi64(d[4], 26)));
	d[4] = _mm256_and_si256(d[4], m26);
	d[1] = _mm256_add_epi64(d[1], _mm256_srli_epi64(d[0], 26));
	d[0] = _mm256_and_si256(d[0], m26);
}

WG_M2_INLINE void
wg_m2_kset(struct wg_m2_k26 *x, const __m256i r[5])
{
	int i;

	for (i = 0; i < 5; i++) {
		x->r[i] = r[i];
		x->s[i] = wg_m2_x5(r[i]);
	}
}

WG_M2_INLINE void
wg_m2_init(struct wg_m2_p26 *p, __m256i rlo, __m256i rhi)
{
	__m256i r[5];
	int i;

	wg_m2_split(rlo, rhi, r);
	wg_m2_kset(&p->k[0], r);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm256_setzero_si256();
}

WG_M2_INLINE void
wg_m2_pow(struct wg_m2_p26 *p, int dst, int a, int b)
{
	__m256i d[5];
	int i;

	for (i = 0; i < 5; i++)
		d[i] = _mm256_setzero_si256();
	wg_m2_mac(d, p->k[a].r, &p->k[b]);
	wg_m2_carry(d);
	wg_m2_kset(&p->k[dst], d);
}

WG_M2_INLINE void
wg_m2_powers(struct wg_m2_p26 *p)
{
	wg_m2_pow(p, 1, 0, 0);
	wg_m2_pow(p, 2, 1, 0);
	wg_m2_pow(p, 3, 1, 1);
}

WG_M2_INLINE void
wg_m2_m26(__m256i lo, __m256i hi, __m256i m[5])
{
	wg_m2_split(lo, hi, m);
	m[4] = _mm256_or_si256(m[4], _mm256_set1_epi64x(1 << 24));
}

/* h = (h + m) r for the lanes whose qword in k is all ones */
WG_M2_INLINE void
wg_m2_block(struct wg_m2_p26 *p, __m256i lo, __m256i hi, __m256i k)
{
	__m256i a[5], d[5];
	int i;

	wg_m2_m26(lo, hi, a);
	for (i = 0; i < 5; i++) {
		a[i] = _mm256_add_epi64(a[i], p->h[i]);
		d[i] = _mm256_setzero_si256();
	}
	wg_m2_mac(d, a, &p->k[0]);
	wg_m2_carry(d);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm256_blendv_epi8(p->h[i], d[i], k);
}

/* h = (h + m0) r^4 + m1 r^3 + m2 r^2 + m3 r for the lanes in k */
WG_M2_INLINE void
wg_m2_block4(struct wg_m2_p26 *p, const __m256i q[8], __m256i k)
{
	__m256i a[5], d[5], e[5];
	int i, j;

	for (i = 0; i < 5; i++)
		e[i] = _mm256_setzero_si256();
	for (j = 1; j < 4; j++) {
		wg_m2_m26(q[2 * j], q[2 * j + 1], a);
		wg_m2_mac(e, a, &p->k[3 - j]);
	}
	wg_m2_m26(q[0], q[1], a);
	for (i = 0; i < 5; i++) {
		a[i] = _mm256_add_epi64(a[i], p->h[i]);
		d[i] = _mm256_setzero_si256();
	}
	wg_m2_mac(d, a, &p->k[3]);
	for (i = 0; i < 5; i++)
		d[i] = _mm256_add_epi64(d[i], e[i]);
	wg_m2_carry(d);
	for (i = 0; i < 5; i++)
		p->h[i] = _mm256_blendv_epi8(p->h[i], d[i], k);
}

WG_M2_INLINE void
wg_m2_final(struct wg_m2_p26 *p, __m256i slo, __m256i shi, __m256i *tlo,
	    __m256i *thi)
{
	const __m256i m26 = _mm256_set1_epi64x(WG_M2_M26);
	const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
	__m256i h[5], g[5], lo, hi, lt;
	int i;

	for (i = 0; i < 5; i++)
		h[i] = p->h[i];
	for (i = 1; i < 4; i++) {
		h[i + 1] = _mm256_add_epi64(h[i + 1], _mm256_srli_epi64(h[i], 26));
		h[i] = _mm256_and_si256(h[i], m26);
	}
	h[0] = _mm256_add_epi64(h[0], wg_m2_x5(_mm256_srli_epi64(h[4], 26)));
	h[4] = _mm256_and_si256(h[4], m26);
	for (i = 0; i < 4; i++) {
		h[i + 1] = _mm256_add_epi64(h[i + 1], _mm256_srli_epi64(h[i], 26));
		h[i] = _mm256_and_si256(h[i], m26);
	}

	/* g = h + 5 - 2^130; keep h where g went negative */
	g[0] = _mm256_add_epi64(h[0], _mm256_set1_epi64x(5));
	for (i = 0; i < 4; i++) {
		g[i + 1] = _mm256_add_epi64(h[i + 1], _mm256_srli_epi64(g[i], 26));
		g[i] = _mm256_and_si256(g[i], m26);
	}
	g[4] = _mm256_sub_epi64(g[4], _mm256_set1_epi64x(1LL << 26));
	lt = _mm256_cmpgt_epi64(_mm256_setzero_si256(), g[4]);
	for (i = 0; i < 5; i++)
		h[i] = _mm256_blendv_epi8(g[i], h[i], lt);

	lo = _mm256_or_si256(_mm256_or_si256(h[0], _mm256_slli_epi64(h[1], 26)),
			     _mm256_slli_epi64(h[2], 52));
	hi = _mm256_or_si256(_mm256_or_si256(_mm256_srli_epi64(h[2], 12),
					     _mm256_slli_epi64(h[3], 14)),
			     _mm256_slli_epi64(h[4], 40));
	lo = _mm256_add_epi64(lo, slo);
	hi = _mm256_add_epi64(hi, shi);
	/* carry out of lo: unsigned lo < slo, by signed compare of x ^ 2^63;
	 * the all-ones mask is -1 */
	hi = _mm256_sub_epi64(hi, _mm256_cmpgt_epi64(
		_mm256_xor_si256(slo, sign), _mm256_xor_si256(lo, sign)));
	*tlo = lo;
	*thi = hi;
}

/* ---- the kernel --------------------------------------------------------- */

/*
 * One step: bytes 64s..64s+63 of every lane, keystream words in x[]
 * (clobbered).
 */
WG_M2_INLINE void
wg_m2_step(struct wg_aead_op *const *op, unsigned int n, unsigned int ng,
	   const uint32_t *len, const __m256i lenq[2], uint32_t s,
	   __m256i x[16], struct wg_m2_p26 *poly, const int open)
{
	const size_t off = (size_t)s * 64;
	__m256i ct[8][2], q[8];
	unsigned int i, j, g;

	wg_m2_transpose8(&x[0]);        /* x[i]: bytes 0-31 of lane i */
	wg_m2_transpose8(&x[8]);        /* x[8 + i]: bytes 32-63 */
	for (i = 0; i < n; i++) {
		uint8_t *p = op[i]->data + off;
		__m256i d0, d1, o0, o1;

		if (len[i] <= off) {
			ct[i][0] = ct[i][1] = _mm256_setzero_si256();
			continue;
		}
		if (len[i] - off >= 64) {
			d0 = _mm256_loadu_si256((const __m256i_u *)p);
			d1 = _mm256_loadu_si256((const __m256i_u *)(p + 32));
			o0 = _mm256_xor_si256(d0, x[i]);
			o1 = _mm256_xor_si256(d1, x[8 + i]);
			_mm256_storeu_si256((__m256i_u *)p, o0);
			_mm256_storeu_si256((__m256i_u *)(p + 32), o1);
		} else {
			/* the last block, through a buffer: bytes past len
			 * are neither read nor written, and zero for
			 * Poly1305 */
			uint8_t buf[64] __attribute__((aligned(32))) = { 0 };
			size_t rem = len[i] - off;

			memcpy(buf, p, rem);
			d0 = _mm256_load_si256((const __m256i *)buf);
			d1 = _mm256_load_si256((const __m256i *)(buf + 32));
			_mm256_store_si256((__m256i *)buf,
					   _mm256_xor_si256(d0, x[i]));
			_mm256_store_si256((__m256i *)(buf + 32),
					   _mm256_xor_si256(d1, x[8 + i]));
			memcpy(p, buf, rem);
			memset(buf + rem, 0, 64 - rem);
			o0 = _mm256_load_si256((const __m256i *)buf);
			o1 = _mm256_load_si256((const __m256i *)(buf + 32));
		}
		ct[i][0] = open ? d0 : o0;
		ct[i][1] = open ? d1 : o1;
	}
	for (; i < 4 * ng; i++)
		ct[i][0] = ct[i][1] = _mm256_setzero_si256();

	for (g = 0; g < ng; g++) {
		const __m256i *l = &lenq[g];
		__m256i k = _mm256_cmpgt_epi64(*l, _mm256_set1_epi64x((long long)off));
		__m256i k4 = _mm256_cmpgt_epi64(*l,
			_mm256_set1_epi64x((long long)off + 48));
		int km = _mm256_movemask_pd(_mm256_castsi256_pd(k));

		if (km == 0)
			continue;
		wg_m2_transpose4q(ct[4 * g][0], ct[4 * g + 1][0],
				  ct[4 * g + 2][0], ct[4 * g + 3][0], &q[0]);
		wg_m2_transpose4q(ct[4 * g][1], ct[4 * g + 1][1],
				  ct[4 * g + 2][1], ct[4 * g + 3][1], &q[4]);
		if (km == _mm256_movemask_pd(_mm256_castsi256_pd(k4))) {
			/* every lane here has four blocks or none */
			wg_m2_block4(&poly[g], q, k);
			continue;
		}
		for (j = 0; j < 4; j++) {
			k = _mm256_cmpgt_epi64(*l,
				_mm256_set1_epi64x((long long)(off + 16 * j)));
			if (_mm256_movemask_pd(_mm256_castsi256_pd(k)) == 0)
				break;
			wg_m2_block(&poly[g], q[2 * j], q[2 * j + 1], k);
		}
	}
}

WG_M2_INLINE uint32_t
wg_m2_run(struct wg_aead_op *const *op, unsigned int n, const int open)
{
	const __m128i sigma = _mm_setr_epi32(0x61707865, 0x3320646e,
					     0x79622d32, 0x6b206574);
	__m256i st[16], x[16], lenq[2], slo[2], shi[2], tlo[2], thi[2];
	struct wg_m2_p26 poly[2];
	uint32_t len[8] = { 0 };
	uint32_t maxlen = 0, steps, b, i, g, ng = n > 4 ? 2 : 1;
	uint64_t rtag[2][8] = { { 0 } };
	uint32_t ok = 0;
	__m256i lenv;

	/* Lane-major initial states (two ymm per lane), then transposed. */
	for (i = 0; i < 8; i++) {
		static const uint8_t zero_key[32];
		const uint8_t *key = i < n ? op[i]->key : zero_key;
		uint64_t ctr = i < n ? op[i]->counter : 0;

		x[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(sigma),
			_mm_loadu_si128((const __m128i_u *)key), 1);
		x[8 + i] = _mm256_inserti128_si256(_mm256_castsi128_si256(
			_mm_loadu_si128((const __m128i_u *)(key + 16))),
			_mm_set_epi64x((long long)ctr, 0), 1);
		if (i < n) {
			len[i] = op[i]->len;
			if (len[i] > maxlen)
				maxlen = len[i];
		}
	}
	wg_m2_transpose8(&x[0]);
	wg_m2_transpose8(&x[8]);
	for (i = 0; i < 16; i++)
		st[i] = x[i];
	lenv = _mm256_loadu_si256((const __m256i_u *)len);
	for (g = 0; g < 2; g++)
		lenq[g] = wg_m2_half(lenv, g);
	steps = (maxlen + 63) / 64;

	for (b = 0; b <= steps; b++) {
		st[12] = _mm256_set1_epi32((int)b);
		wg_m2_chacha8(st, x);
		if (b != 0) {
			wg_m2_step(op, n, ng, len, lenq, b - 1, x, poly, open);
			continue;
		}
		/* block 0: r (clamped) from words 0-3, s from words 4-7 */
		x[0] = _mm256_and_si256(x[0], _mm256_set1_epi32(0x0fffffff));
		for (i = 1; i < 4; i++)
			x[i] = _mm256_and_si256(x[i],
						_mm256_set1_epi32(0x0ffffffc));
		for (g = 0; g < ng; g++) {
			wg_m2_init(&poly[g], wg_m2_join(x[0], x[1], g),
				   wg_m2_join(x[2], x[3], g));
			slo[g] = wg_m2_join(x[4], x[5], g);
			shi[g] = wg_m2_join(x[6], x[7], g);
			if (maxlen > 48)
				wg_m2_powers(&poly[g]);
		}
	}

	/* Length block, then the tags. */
	for (g = 0; g < ng; g++) {
		wg_m2_block(&poly[g], _mm256_setzero_si256(), lenq[g],
			    _mm256_set1_epi64x(-1));
		wg_m2_final(&poly[g], slo[g], shi[g], &tlo[g], &thi[g]);
	}

	if (!open) {
		uint64_t out[2][8];

		for (g = 0; g < ng; g++) {
			_mm256_storeu_si256((__m256i_u *)&out[0][4 * g], tlo[g]);
			_mm256_storeu_si256((__m256i_u *)&out[1][4 * g], thi[g]);
		}
		for (i = 0; i < n; i++) {
			memcpy(op[i]->tag, &out[0][i], 8);
			memcpy(op[i]->tag + 8, &out[1][i], 8);
		}
		return 0;
	}

	/* Open: compare all lanes at once, no early exit. */
	for (i = 0; i < n; i++) {
		memcpy(&rtag[0][i], op[i]->tag, 8);
		memcpy(&rtag[1][i], op[i]->tag + 8, 8);
	}
	for (g = 0; g < ng; g++) {
		__m256i diff = _mm256_or_si256(
			_mm256_xor_si256(tlo[g], _mm256_loadu_si256(
				(const __m256i_u *)&rtag[0][4 * g])),
			_mm256_xor_si256(thi[g], _mm256_loadu_si256(
				(const __m256i_u *)&rtag[1][4 * g])));
		__m256i eq = _mm256_cmpeq_epi64(diff, _mm256_setzero_si256());

		ok |= (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(eq))
			<< (4 * g);
	}
	return ok & ((1u << n) - 1);
}

__attribute__((target("avx2"))) void
wg_mb_seal_avx2(struct wg_aead_op *const *op, unsigned int n)
{
	wg_m2_run(op, n, 0);
}

__attribute__((target("avx2"))) uint32_t
wg_mb_open_avx2(struct wg_aead_op *const *op, unsigned int n)
{
	return wg_m2_run(op, n, 1);
}
