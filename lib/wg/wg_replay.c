/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "wg_messages.h"
#include "wg_replay.h"

#define WORD_BITS 64
#define WORD_SHIFT 6

static uint32_t
wg_replay_words(uint32_t window)
{
	uint32_t words = 2;

	/* One word more than the window: the word holding the top counter
	 * is partly in the future, so it does not count towards the window. */
	while ((words - 1) * WORD_BITS < window)
		words <<= 1;
	return words;
}

size_t
wg_replay_size(uint32_t window)
{
	if (window > WG_REPLAY_MAX_WINDOW)
		return 0;
	return sizeof(struct wg_replay) +
	       wg_replay_words(window) * sizeof(uint64_t);
}

void
wg_replay_init(struct wg_replay *r, uint32_t window)
{
	r->nwords = wg_replay_words(window);
	r->window = (r->nwords - 1) * WORD_BITS;
	r->next = 0;
	memset(r->bitmap, 0, r->nwords * sizeof(uint64_t));
}

enum wg_replay_verdict
wg_replay_peek(const struct wg_replay *r, uint64_t counter)
{
	uint64_t bit = 1ULL << (counter & (WORD_BITS - 1));

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_LIMIT;
	if (counter >= r->next)
		return WG_REPLAY_OK;
	if (r->next - counter > r->window)
		return WG_REPLAY_TOO_OLD;
	if (r->bitmap[(counter >> WORD_SHIFT) & (r->nwords - 1)] & bit)
		return WG_REPLAY_DUPLICATE;
	return WG_REPLAY_OK;
}

enum wg_replay_verdict
wg_replay_check(struct wg_replay *r, uint64_t counter)
{
	uint64_t index = counter >> WORD_SHIFT;
	uint64_t mask = r->nwords - 1;
	uint64_t bit = 1ULL << (counter & (WORD_BITS - 1));
	uint64_t *word;

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_LIMIT;

	if (counter >= r->next) {
		uint64_t top = r->next == 0 ? 0 : (r->next - 1) >> WORD_SHIFT;
		uint64_t diff = index - top;
		uint64_t i;

		/* Clear the words the window slides over; never more than
		 * the whole ring, whatever the jump. */
		if (diff > r->nwords)
			diff = r->nwords;
		for (i = 1; i <= diff; i++)
			r->bitmap[(top + i) & mask] = 0;
		r->next = counter + 1;
	} else if (r->next - counter > r->window) {
		return WG_REPLAY_TOO_OLD;
	}

	word = &r->bitmap[index & mask];
	if (*word & bit)
		return WG_REPLAY_DUPLICATE;
	*word |= bit;
	return WG_REPLAY_OK;
}
