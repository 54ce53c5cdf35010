/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <blake2.h>
#include <sodium.h>

#include "wg_crypto.h"

#define BLAKE2S_BLOCK_LEN 64

void
wg_memzero(void *p, size_t len)
{
	sodium_memzero(p, len);
}

bool
wg_crypto_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool
wg_crypto_is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

void
wg_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint32_t
wg_random_u32(void)
{
	return randombytes_random();
}

bool
wg_crypto_init(void)
{
	return sodium_init() >= 0;
}

void
wg_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen,
	 const void *b, size_t blen)
{
	blake2s_state s;

	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, a, alen);
	if (b != NULL)
		blake2s_update(&s, b, blen);
	blake2s_final(&s, out, WG_HASH_LEN);
	wg_memzero(&s, sizeof(s));
}

void
wg_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen,
       const void *in, size_t len)
{
	blake2s(out, in, key, WG_MAC_LEN, len, keylen);
}

/* HMAC over BLAKE2s as RFC 2104 defines it; the Noise spec's HMAC-HASH.
 * libb2 has keyed BLAKE2s but no HMAC, so the construction is ours. */
void
wg_hmac(uint8_t out[WG_HASH_LEN], const uint8_t *key, size_t keylen,
	const void *in, size_t len)
{
	uint8_t x_key[BLAKE2S_BLOCK_LEN] = {0};
	uint8_t i_hash[WG_HASH_LEN];
	blake2s_state s;
	int i;

	if (keylen > BLAKE2S_BLOCK_LEN)
		blake2s(x_key, key, NULL, WG_HASH_LEN, keylen, 0);
	else
		memcpy(x_key, key, keylen);

	for (i = 0; i < BLAKE2S_BLOCK_LEN; i++)
		x_key[i] ^= 0x36;
	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, x_key, BLAKE2S_BLOCK_LEN);
	blake2s_update(&s, in, len);
	blake2s_final(&s, i_hash, WG_HASH_LEN);

	for (i = 0; i < BLAKE2S_BLOCK_LEN; i++)
		x_key[i] ^= 0x5c ^ 0x36;
	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, x_key, BLAKE2S_BLOCK_LEN);
	blake2s_update(&s, i_hash, WG_HASH_LEN);
	blake2s_final(&s, out, WG_HASH_LEN);

	wg_memzero(x_key, sizeof(x_key));
	wg_memzero(i_hash, sizeof(i_hash));
	wg_memzero(&s, sizeof(s));
}

void
wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
       const uint8_t chaining_key[WG_HASH_LEN], const void *in, size_t len)
{
	uint8_t secret[WG_HASH_LEN];
	uint8_t output[WG_HASH_LEN + 1];

	wg_hmac(secret, chaining_key, WG_HASH_LEN, in, len);

	output[0] = 1;
	wg_hmac(output, secret, WG_HASH_LEN, output, 1);
	if (out1 != NULL)
		memcpy(out1, output, WG_HASH_LEN);

	if (out2 != NULL || out3 != NULL) {
		output[WG_HASH_LEN] = 2;
		wg_hmac(output, secret, WG_HASH_LEN, output, WG_HASH_LEN + 1);
		if (out2 != NULL)
			memcpy(out2, output, WG_HASH_LEN);
	}
	if (out3 != NULL) {
		output[WG_HASH_LEN] = 3;
		wg_hmac(output, secret, WG_HASH_LEN, output, WG_HASH_LEN + 1);
		memcpy(out3, output, WG_HASH_LEN);
	}
	wg_memzero(secret, sizeof(secret));
	wg_memzero(output, sizeof(output));
}

void
wg_dh_generate(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	do {
		randombytes_buf(priv, WG_KEY_LEN);
		priv[0] &= 248;
		priv[31] = (priv[31] & 127) | 64;
	} while (!wg_dh_public(pub, priv));
}

bool
wg_dh_public(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	return crypto_scalarmult_base(pub, priv) == 0;
}

bool
wg_dh(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN],
      const uint8_t pub[WG_KEY_LEN])
{
	/* libsodium fails on an all-zero result (a low-order public). */
	return crypto_scalarmult(out, priv, pub) == 0;
}

static void
wg_aead_nonce(uint8_t nonce[12], uint64_t counter)
{
	uint64_t le = wg_le64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, 8);
}

void
wg_aead_encrypt(uint8_t *ct, const uint8_t *plain, size_t len,
		const uint8_t *ad, size_t adlen, uint64_t counter,
		const uint8_t key[WG_KEY_LEN])
{
	uint8_t nonce[12];

	wg_aead_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, plain, len, ad,
						  adlen, NULL, nonce, key);
}

bool
wg_aead_decrypt(uint8_t *plain, const uint8_t *ct, size_t ctlen,
		const uint8_t *ad, size_t adlen, uint64_t counter,
		const uint8_t key[WG_KEY_LEN])
{
	uint8_t nonce[12];

	if (ctlen < WG_AEAD_TAG_SIZE)
		return false;
	wg_aead_nonce(nonce, counter);
	return crypto_aead_chacha20poly1305_ietf_decrypt(plain, NULL, NULL, ct,
			ctlen, ad, adlen, nonce, key) == 0;
}

void
wg_xaead_encrypt(uint8_t *ct, const uint8_t *plain, size_t len,
		 const uint8_t *ad, size_t adlen,
		 const uint8_t nonce[WG_COOKIE_NONCE_LEN],
		 const uint8_t key[WG_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, plain, len, ad,
						   adlen, NULL, nonce, key);
}

bool
wg_xaead_decrypt(uint8_t *plain, const uint8_t *ct, size_t ctlen,
		 const uint8_t *ad, size_t adlen,
		 const uint8_t nonce[WG_COOKIE_NONCE_LEN],
		 const uint8_t key[WG_KEY_LEN])
{
	if (ctlen < WG_AEAD_TAG_SIZE)
		return false;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL,
			ct, ctlen, ad, adlen, nonce, key) == 0;
}

void
wg_key_to_base64(char out[45], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(out, 45, key, WG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

bool
wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	size_t len = 0;
	const char *end;

	if (strlen(b64) != 44 || b64[43] != '=')
		return false;
	if (sodium_base642bin(key, WG_KEY_LEN, b64, 44, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	return len == WG_KEY_LEN && *end == '\0';
}

void
wg_key_to_hex(char out[65], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2hex(out, 65, key, WG_KEY_LEN);
}

bool
wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	size_t len = 0;
	const char *end;

	if (strlen(hex) != 64)
		return false;
	if (sodium_hex2bin(key, WG_KEY_LEN, hex, 64, NULL, &len, &end) != 0)
		return false;
	return len == WG_KEY_LEN && *end == '\0';
}
