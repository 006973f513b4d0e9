// SPDX-License-Identifier: GPL-2.0
/* A toy readahead window: the sample tree of patchbot's demo. */
#include <stddef.h>

struct ra_state {
	size_t start;
	size_t size;
	size_t async_size;
};

static size_t ra_next_size(const struct ra_state *ra, size_t max)
{
	size_t cur = ra->size;
	size_t next;

	if (cur < max / 16)
		next = 4 * cur;
	else
		next = 2 * cur;
	return next;
}

void ra_advance(struct ra_state *ra, size_t max)
{
	size_t size = ra_next_size(ra, max);

	ra->start += ra->size;
	ra->size = size;
	ra->async_size = size;
}
