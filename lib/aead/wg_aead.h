/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_AEAD_H
#define WG_AEAD_H

/**
 * @file
 * Batch ChaCha20-Poly1305 for WireGuard transport data.
 *
 * One small interface that every crypto backend in drivers/crypto
 * implements: seal or open N buffers in one call, each with its own key and
 * counter. The nonce is WireGuard's: 4 zero bytes, then the 64-bit counter
 * little-endian. There is no additional data (transport messages have
 * none). Data is processed in place; the 16-byte tag follows the data.
 *
 * A context belongs to one thread (one lcore): backends keep no shared
 * writable state, so they scale linearly with lcores.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WG_AEAD_KEY_LEN 32
#define WG_AEAD_TAG_LEN 16
/** Largest batch a single seal/open call accepts. */
#define WG_AEAD_BATCH_MAX 64

/** One buffer of a batch. */
struct wg_aead_op {
	const uint8_t *key;  /**< WG_AEAD_KEY_LEN bytes */
	uint64_t counter;    /**< nonce = 0x00000000 || le64(counter) */
	uint8_t *data;       /**< plaintext (seal) or ciphertext (open), in place */
	uint32_t len;        /**< bytes of data, tag not included */
	uint8_t *tag;        /**< WG_AEAD_TAG_LEN bytes: written by seal, read by open */
	int status;          /**< set by open: 0 if authentic, -1 if forged;
	                          seal sets 0, or -1 if the backend's library
	                          rejected the op */
};

/** Per-thread state of a backend; opaque. */
struct wg_aead_ctx;

/** A crypto backend. */
struct wg_aead_driver {
	const char *name;
	/** True when the backend can run on this CPU. */
	bool (*probe)(void);
	/** Create a context for the calling thread; NULL on failure. */
	struct wg_aead_ctx *(*ctx_create)(void);
	void (*ctx_free)(struct wg_aead_ctx *ctx);
	/** Name of what the context picked at run time (e.g. "avx512"). */
	const char *(*ctx_arch)(const struct wg_aead_ctx *ctx);
	/** Seal n (<= WG_AEAD_BATCH_MAX) buffers. */
	void (*seal)(struct wg_aead_ctx *ctx, struct wg_aead_op *ops, unsigned int n);
	/**
	 * Open n (<= WG_AEAD_BATCH_MAX) buffers, setting each op's status.
	 * A forged buffer's data is unspecified afterwards (the backends
	 * here zero it rather than leave unauthenticated plaintext).
	 * @return the number of authentic buffers.
	 */
	unsigned int (*open)(struct wg_aead_ctx *ctx, struct wg_aead_op *ops, unsigned int n);
};

/**
 * Backend by name ("ipsec_mb", "sodium"); NULL names the best one here,
 * unless the environment variable WG_AEAD_DRIVER names another.
 * @return NULL if the backend is unknown or cannot run on this CPU.
 */
const struct wg_aead_driver *wg_aead_driver_find(const char *name);

/** Every backend compiled in, NULL-terminated. */
const struct wg_aead_driver *const *wg_aead_driver_list(void);

#ifdef __cplusplus
}
#endif

#endif /* WG_AEAD_H */
