/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The multi-lane seal/open kernel, written once for both Poly1305
 * arithmetics. Included by wg_aead_mb_avx512.c with:
 *
 *   WG_MB_TMPL_TARGET   target attribute string of the kernel
 *   WG_MB_TMPL_NAME(x)  x with the kernel's suffix
 *   WG_MB_TMPL_POLY     Poly1305 state type (8 lanes)
 *   WG_MB_TMPL_INIT / _POWERS / _BLOCK / _BLOCK4 / _FINAL   its functions
 *
 * and undefines them at the end, so it can be included again.
 */

/*
 * One step: bytes 64s..64s+63 of every lane, given the keystream blocks
 * of the step in x[] (one zmm per state word; clobbered).
 */
static inline __attribute__((always_inline, target(WG_MB_TMPL_TARGET))) void
WG_MB_TMPL_NAME(wg_mb_step)(struct wg_aead_op *const *op, unsigned int n,
			    unsigned int ng, const uint32_t *len, __m512i lenv,
			    uint32_t s, __m512i x[16], WG_MB_TMPL_POLY *poly,
			    const int open)
{
	const size_t off = (size_t)s * 64;
	__m512i ct[16], q[8];
	unsigned int i, j, g;
	__mmask16 live, live4;

	wg_mb_transpose16(x); /* x[i] = keystream of lane i */
	for (i = 0; i < n; i++) {
		uint8_t *p = op[i]->data + off;
		__m512i d, o;

		if (len[i] <= off) {
			ct[i] = _mm512_setzero_si512();
			continue;
		}
		if (len[i] - off >= 64) {
			d = _mm512_loadu_si512(p);
			o = _mm512_xor_si512(d, x[i]);
			_mm512_storeu_si512(p, o);
		} else {
			/* the lane's last block: bytes past len are neither
			 * read nor written, and are zero in what Poly1305
			 * sees (its pad16) */
			__mmask64 k = (1ULL << (len[i] - off)) - 1;

			d = _mm512_maskz_loadu_epi8(k, p);
			o = _mm512_xor_si512(d, x[i]);
			_mm512_mask_storeu_epi8(p, k, o);
			o = _mm512_maskz_mov_epi8(k, o);
		}
		ct[i] = open ? d : o;
	}
	for (; i < 8 * ng; i++)
		ct[i] = _mm512_setzero_si512();

	/* lanes with data at byte off, and with all 64 bytes' blocks */
	live = _mm512_cmpgt_epu32_mask(lenv, _mm512_set1_epi32((int)off));
	live4 = _mm512_cmpgt_epu32_mask(lenv, _mm512_set1_epi32((int)off + 48));
	for (g = 0; g < ng; g++) {
		__mmask8 k = (__mmask8)(live >> 8 * g);

		if (k == 0)
			continue;
		wg_mb_transpose8x8(&ct[8 * g], q);
		if (k == (__mmask8)(live4 >> 8 * g)) {
			/* every lane here has four blocks or none */
			WG_MB_TMPL_BLOCK4(&poly[g], q, k);
			continue;
		}
		for (j = 0; j < 4; j++) {
			/* lanes with a block at byte off + 16j */
			k = (__mmask8)(_mm512_cmpgt_epu32_mask(lenv,
				_mm512_set1_epi32((int)(off + 16 * j))) >> 8 * g);
			if (k == 0)
				break;
			WG_MB_TMPL_BLOCK(&poly[g], q[2 * j], q[2 * j + 1], k);
		}
	}
}

/*
 * The body, for seal (open == 0) or open; inlined into the two entry
 * points below so that each is specialised.
 *
 * Returns, for open, the mask of lanes whose tag matched.
 */
static inline __attribute__((always_inline, target(WG_MB_TMPL_TARGET))) uint32_t
WG_MB_TMPL_NAME(wg_mb_run)(struct wg_aead_op *const *op, unsigned int n,
			   const int open)
{
	__m512i st[16], x[16], y[16];
	__m512i lenv, slo[2], shi[2], tlo[2], thi[2];
	WG_MB_TMPL_POLY poly[2];
	uint32_t len[16] = { 0 };
	uint32_t maxlen = 0, steps, b, i, g, ng = n > 8 ? 2 : 1;
	uint64_t rtag[2][16] = { { 0 } };
	uint32_t ok = 0;

	/* Lane-major initial states, then one zmm per state word. */
	for (i = 0; i < 16; i++) {
		if (i < n) {
			x[i] = wg_mb_row(op[i]->key, op[i]->counter);
			len[i] = op[i]->len;
			if (len[i] > maxlen)
				maxlen = len[i];
		} else {
			/* an idle lane: zero key, its output is never used */
			x[i] = wg_mb_row((const uint8_t[32]){ 0 }, 0);
		}
	}
	wg_mb_transpose16(x);
	for (i = 0; i < 16; i++)
		st[i] = x[i];
	lenv = _mm512_loadu_si512(len);
	steps = (maxlen + 63) / 64;

	/*
	 * Blocks 0..steps two at a time: block 0 is the Poly1305 key, block
	 * b >= 1 the keystream of step b - 1.
	 */
	for (b = 0; b <= steps; b += 2) {
		st[12] = _mm512_set1_epi32((int)b);
		if (b + 1 <= steps)
			wg_mb_chacha16x2(st, x, y);
		else
			wg_mb_chacha16(st, x);

		if (b == 0) {
			/* r (clamped) from words 0-3, s from words 4-7 */
			x[0] = _mm512_and_si512(x[0],
						_mm512_set1_epi32(0x0fffffff));
			for (i = 1; i < 4; i++)
				x[i] = _mm512_and_si512(x[i],
					_mm512_set1_epi32(0x0ffffffc));
			for (g = 0; g < ng; g++) {
				WG_MB_TMPL_INIT(&poly[g],
						wg_mb_join(x[0], x[1], g),
						wg_mb_join(x[2], x[3], g));
				slo[g] = wg_mb_join(x[4], x[5], g);
				shi[g] = wg_mb_join(x[6], x[7], g);
				/* block4() runs when a lane has 4 blocks */
				if (maxlen > 48)
					WG_MB_TMPL_POWERS(&poly[g]);
			}
		} else {
			WG_MB_TMPL_NAME(wg_mb_step)(op, n, ng, len, lenv,
						    b - 1, x, poly, open);
		}
		if (b + 1 <= steps)
			WG_MB_TMPL_NAME(wg_mb_step)(op, n, ng, len, lenv, b, y,
						    poly, open);
	}

	/* Length block: le64(aad len = 0) || le64(len), then the tag. */
	for (g = 0; g < ng; g++) {
		WG_MB_TMPL_BLOCK(&poly[g], _mm512_setzero_si512(),
				 wg_mb_half(lenv, (int)g), 0xff);
		WG_MB_TMPL_FINAL(&poly[g], slo[g], shi[g], &tlo[g], &thi[g]);
	}

	if (!open) {
		uint64_t out[2][16];

		for (g = 0; g < ng; g++) {
			_mm512_storeu_si512(&out[0][8 * g], tlo[g]);
			_mm512_storeu_si512(&out[1][8 * g], thi[g]);
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
		__m512i diff = _mm512_or_si512(
			_mm512_xor_si512(tlo[g], _mm512_loadu_si512(&rtag[0][8 * g])),
			_mm512_xor_si512(thi[g], _mm512_loadu_si512(&rtag[1][8 * g])));

		ok |= (uint32_t)_mm512_testn_epi64_mask(diff, diff) << (8 * g);
	}
	return ok & ((1u << n) - 1);
}

__attribute__((target(WG_MB_TMPL_TARGET))) void
WG_MB_TMPL_NAME(wg_mb_seal)(struct wg_aead_op *const *op, unsigned int n)
{
	WG_MB_TMPL_NAME(wg_mb_run)(op, n, 0);
}

__attribute__((target(WG_MB_TMPL_TARGET))) uint32_t
WG_MB_TMPL_NAME(wg_mb_open)(struct wg_aead_op *const *op, unsigned int n)
{
	return WG_MB_TMPL_NAME(wg_mb_run)(op, n, 1);
}

#undef WG_MB_TMPL_TARGET
#undef WG_MB_TMPL_NAME
#undef WG_MB_TMPL_POLY
#undef WG_MB_TMPL_INIT
#undef WG_MB_TMPL_POWERS
#undef WG_MB_TMPL_BLOCK
#undef WG_MB_TMPL_BLOCK4
#undef WG_MB_TMPL_FINAL
