/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "wg_table.h"

static char tombstone_mark;
#define WG_TABLE_TOMBSTONE ((void *)&tombstone_mark)

/* Keys are random indices or public key bytes, but mix them anyway so a
 * poor key never degrades the probe sequence. */
static uint64_t
wg_table_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key;
}

int
wg_table_init(struct wg_table *t, uint32_t capacity)
{
	uint32_t cap = 16;

	while (cap < capacity * 2)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (t->slots == NULL)
		return -ENOMEM;
	t->mask = cap - 1;
	t->used = 0;
	t->count = 0;
	return 0;
}

void
wg_table_free(struct wg_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

static struct wg_table_slot *
wg_table_slot(const struct wg_table *t, uint64_t key)
{
	uint32_t i = wg_table_hash(key) & t->mask;

	for (;; i = (i + 1) & t->mask) {
		struct wg_table_slot *s = &t->slots[i];

		if (s->value == NULL)
			return NULL;
		if (s->value != WG_TABLE_TOMBSTONE && s->key == key)
			return s;
	}
}

static int
wg_table_grow(struct wg_table *t)
{
	struct wg_table old = *t;
	uint32_t i;

	if (wg_table_init(t, old.count * 2 + 8) != 0) {
		*t = old;
		return -ENOMEM;
	}
	for (i = 0; i <= old.mask; i++) {
		void *v = old.slots[i].value;

		if (v != NULL && v != WG_TABLE_TOMBSTONE)
			wg_table_add(t, old.slots[i].key, v);
	}
	free(old.slots);
	return 0;
}

int
wg_table_add(struct wg_table *t, uint64_t key, void *value)
{
	uint32_t i;

	if (wg_table_find(t, key) != NULL)
		return -EEXIST;
	/* Keep at most 3/4 of slots used so probes stay short and end. */
	if ((t->used + 1) * 4 > (t->mask + 1) * 3 && wg_table_grow(t) != 0)
		return -ENOMEM;
	for (i = wg_table_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		struct wg_table_slot *s = &t->slots[i];

		if (s->value == NULL || s->value == WG_TABLE_TOMBSTONE) {
			if (s->value == NULL)
				t->used++;
			s->key = key;
			s->value = value;
			t->count++;
			return 0;
		}
	}
}

void *
wg_table_find(const struct wg_table *t, uint64_t key)
{
	struct wg_table_slot *s = wg_table_slot(t, key);

	return s != NULL ? s->value : NULL;
}

bool
wg_table_replace(struct wg_table *t, uint64_t key, void *value)
{
	struct wg_table_slot *s = wg_table_slot(t, key);

	if (s == NULL)
		return false;
	s->value = value;
	return true;
}

void *
wg_table_del(struct wg_table *t, uint64_t key)
{
	struct wg_table_slot *s = wg_table_slot(t, key);
	void *v;

	if (s == NULL)
		return NULL;
	v = s->value;
	s->value = WG_TABLE_TOMBSTONE;
	t->count--;
	return v;
}
