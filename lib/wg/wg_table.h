/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_TABLE_H
#define WG_TABLE_H

/**
 * @file
 * A small open-addressing hash map from 64-bit keys to pointers, for the
 * control plane's tables (peers by public key, handshakes and keypairs by
 * local index). Single writer, no concurrent readers: the data path keeps
 * its own lock-free mirror.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_table_slot {
	uint64_t key;
	void *value;      /**< NULL: empty; WG_TABLE_TOMBSTONE: deleted */
};

struct wg_table {
	struct wg_table_slot *slots;
	uint32_t mask;    /**< capacity - 1, capacity a power of two */
	uint32_t used;    /**< live entries plus tombstones */
	uint32_t count;   /**< live entries */
};

int wg_table_init(struct wg_table *t, uint32_t capacity);
void wg_table_free(struct wg_table *t);
/** Insert; -EEXIST if the key is present, -ENOMEM. */
int wg_table_add(struct wg_table *t, uint64_t key, void *value);
void *wg_table_find(const struct wg_table *t, uint64_t key);
/** Replace the value of a present key; false if absent. */
bool wg_table_replace(struct wg_table *t, uint64_t key, void *value);
/** Remove; returns the value or NULL. */
void *wg_table_del(struct wg_table *t, uint64_t key);

#endif /* WG_TABLE_H */
