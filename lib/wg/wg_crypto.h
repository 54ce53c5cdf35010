/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_CRYPTO_H
#define WG_CRYPTO_H

/**
 * @file
 * The primitives of the Noise_IKpsk2 construction as WireGuard names them
 * (whitepaper section 5.4): HASH, MAC, HMAC, KDF from BLAKE2s (libb2), DH
 * from X25519 and AEAD/XAEAD from ChaCha20-Poly1305 (libsodium). Used by the
 * control plane only; the data path seals through the batch AEAD drivers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg_messages.h"

/** Wipe a secret; the compiler may not elide it. */
void wg_memzero(void *p, size_t len);

/** Constant-time equality of two buffers of len bytes. */
bool wg_crypto_equal(const void *a, const void *b, size_t len);

/** Constant-time test that a buffer is all zero. */
bool wg_crypto_is_zero(const void *p, size_t len);

void wg_random(void *buf, size_t len);
uint32_t wg_random_u32(void);

/** HASH(a || b); b may be NULL. */
void wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen,
	      const void *b, size_t blen);

/** MAC(key, in): keyed BLAKE2s with 16-byte output; keys of 16 (a cookie)
 * or 32 bytes. */
void wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen,
	    const void *in, size_t len);

/** HMAC-BLAKE2s(key, in). */
void wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t *key, size_t keylen,
	     const void *in, size_t len);

/**
 * KDF_n(ck, input) for n = 1..3 outputs; unused outputs may be NULL.
 */
void wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
	    const uint8_t chaining_key[WG_HASH_LEN], const void *in, size_t len);

/** Generate an X25519 key pair (private key clamped). */
void wg_dh_generate(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN]);

/** Public key of a private key; false for a key with no valid public. */
bool wg_dh_public(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN]);

/** DH(priv, pub); false when the result is all zero (low-order point). */
bool wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN],
	   const uint8_t pub[WG_KEY_LEN]);

/** AEAD(key, counter, plain, ad): ct is len + 16 bytes. */
void wg_aead_encrypt(uint8_t *ct, const uint8_t *plain, size_t len,
		     const uint8_t *ad, size_t adlen, uint64_t counter,
		     const uint8_t key[WG_KEY_LEN]);

/** Inverse of wg_aead_encrypt; ctlen includes the tag. */
bool wg_aead_decrypt(uint8_t *plain, const uint8_t *ct, size_t ctlen,
		     const uint8_t *ad, size_t adlen, uint64_t counter,
		     const uint8_t key[WG_KEY_LEN]);

/** XAEAD with a 24-byte nonce (cookie replies). */
void wg_xaead_encrypt(uint8_t *ct, const uint8_t *plain, size_t len,
		      const uint8_t *ad, size_t adlen,
		      const uint8_t nonce[WG_COOKIE_NONCE_LEN],
		      const uint8_t key[WG_KEY_LEN]);
bool wg_xaead_decrypt(uint8_t *plain, const uint8_t *ct, size_t ctlen,
		      const uint8_t *ad, size_t adlen,
		      const uint8_t nonce[WG_COOKIE_NONCE_LEN],
		      const uint8_t key[WG_KEY_LEN]);

/** Initialise libsodium once; false if it cannot be. */
bool wg_crypto_init(void);

/** Base64 of a 32-byte key (44 chars + NUL). */
void wg_key_to_base64(char out[45], const uint8_t key[WG_KEY_LEN]);
/** Parse a base64 key; false unless exactly 32 bytes. */
bool wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64);
/** Hex of a 32-byte key (64 chars + NUL), as the UAPI writes it. */
void wg_key_to_hex(char out[65], const uint8_t key[WG_KEY_LEN]);
/** Parse exactly 64 hex digits. */
bool wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex);

#endif /* WG_CRYPTO_H */
