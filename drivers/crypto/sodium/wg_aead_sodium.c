/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Portable backend: libsodium's ChaCha20-Poly1305 (IETF, 96-bit nonce),
 * one buffer at a time. It runs on any CPU and is the reference the
 * faster backends are tested against.
 */

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg_aead.h"

#define WG_AEAD_SODIUM_NONCE_LEN crypto_aead_chacha20poly1305_ietf_NPUBBYTES

_Static_assert(WG_AEAD_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES,
	       "key length");
_Static_assert(WG_AEAD_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES,
	       "tag length");
_Static_assert(WG_AEAD_SODIUM_NONCE_LEN == 12, "nonce length");

/* libsodium keeps no per-call state; the context only names the code path. */
struct wg_aead_ctx {
	const char *arch;
};

/* WireGuard's nonce: 32 zero bits, then the counter little-endian. */
static inline void
wg_aead_sodium_nonce(uint8_t nonce[WG_AEAD_SODIUM_NONCE_LEN], uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

static bool
wg_aead_sodium_probe(void)
{
	/* sodium_init() is idempotent and thread-safe; < 0 means unusable. */
	return sodium_init() >= 0;
}

/*
 * libsodium selects its ChaCha20 code at sodium_init() time: AVX2, else
 * SSSE3, else portable C (Poly1305 uses SSE2 when present). It does not
 * say which, so report what its own CPU checks would pick.
 */
static const char *
wg_aead_sodium_arch_detect(void)
{
	if (sodium_runtime_has_avx2())
		return "avx2";
	if (sodium_runtime_has_ssse3())
		return "ssse3";
	return "ref";
}

static struct wg_aead_ctx *
wg_aead_sodium_ctx_create(void)
{
	struct wg_aead_ctx *ctx;

	if (!wg_aead_sodium_probe())
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->arch = wg_aead_sodium_arch_detect();
	return ctx;
}

static void
wg_aead_sodium_ctx_free(struct wg_aead_ctx *ctx)
{
	free(ctx);
}

static const char *
wg_aead_sodium_ctx_arch(const struct wg_aead_ctx *ctx)
{
	return ctx->arch;
}

static void
wg_aead_sodium_seal(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		    unsigned int n)
{
	uint8_t nonce[WG_AEAD_SODIUM_NONCE_LEN];
	unsigned int i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		struct wg_aead_op *op = &ops[i];

		wg_aead_sodium_nonce(nonce, op->counter);
		/* Cannot fail: lengths are far below the library's limits. */
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(op->data,
			op->tag, NULL, op->data, op->len, NULL, 0, NULL,
			nonce, op->key);
		op->status = 0;
	}
}

static unsigned int
wg_aead_sodium_open(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		    unsigned int n)
{
	uint8_t nonce[WG_AEAD_SODIUM_NONCE_LEN];
	unsigned int i, good = 0;

	(void)ctx;
	for (i = 0; i < n; i++) {
		struct wg_aead_op *op = &ops[i];

		wg_aead_sodium_nonce(nonce, op->counter);
		/*
		 * Verifies the tag (in constant time) before decrypting; on a
		 * forgery it leaves zeros rather than unauthenticated plaintext.
		 */
		op->status = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			op->data, NULL, op->data, op->len, op->tag, NULL, 0,
			nonce, op->key) == 0 ? 0 : -1;
		good += op->status == 0;
	}
	return good;
}

const struct wg_aead_driver wg_aead_sodium_driver = {
	.name = "sodium",
	.probe = wg_aead_sodium_probe,
	.ctx_create = wg_aead_sodium_ctx_create,
	.ctx_free = wg_aead_sodium_ctx_free,
	.ctx_arch = wg_aead_sodium_ctx_arch,
	.seal = wg_aead_sodium_seal,
	.open = wg_aead_sodium_open,
};
