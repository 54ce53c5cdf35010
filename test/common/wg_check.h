/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_CHECK_H
#define WG_CHECK_H

/*
 * The checks of the unit tests: each CHECK counts, a failed one prints
 * where and what, and wg_check_done() prints "NAME: N passed, N failed"
 * and gives main() its exit status. One test program per translation
 * unit, so the counters live here.
 */

#include <stdio.h>

static unsigned int wg_check_count __attribute__((unused));
static unsigned int wg_check_failures __attribute__((unused));

#define CHECK(cond) do {						\
	wg_check_count++;						\
	if (!(cond)) {							\
		wg_check_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	wg_check_count++;						\
	if (_a != _b) {							\
		wg_check_failures++;					\
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
			__FILE__, __LINE__, #a, _a, #b, _b);		\
	}								\
} while (0)

static inline int __attribute__((unused))
wg_check_done(const char *name)
{
	printf("%s: %u passed, %u failed\n", name,
	       wg_check_count - wg_check_failures, wg_check_failures);
	return wg_check_failures == 0 ? 0 : 1;
}

#endif /* WG_CHECK_H */
