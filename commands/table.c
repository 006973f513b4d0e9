/* SPDX-License-Identifier: GPL-2.0-or-later */
/* table: the list of mail commands, and looking them up by name. */
#include <stdlib.h>
#include <string.h>

#include "command.h"

extern const struct command cmd_help;
extern const struct command cmd_status;
extern const struct command cmd_queue;
extern const struct command cmd_drop;
extern const struct command cmd_promote;
extern const struct command cmd_try;
extern const struct command cmd_fold;
extern const struct command cmd_list;
extern const struct command cmd_pending;
extern const struct command cmd_quiet;
extern const struct command cmd_feedback;
extern const struct command cmd_subscribe;
extern const struct command cmd_unsubscribe;
extern const struct command cmd_subscriptions;

/* Adding a command: one file in commands/ and one line here. */
const struct command *const command_table[] = {
	&cmd_help,
	&cmd_status,
	&cmd_quiet,
	&cmd_feedback,
	&cmd_queue,
	&cmd_drop,
	&cmd_promote,
	&cmd_try,
	&cmd_fold,
	&cmd_list,
	&cmd_pending,
	&cmd_subscribe,
	&cmd_unsubscribe,
	&cmd_subscriptions,
	NULL,
};

/* What lookups search: the table, or a unit test's own. */
const struct command *const *commands_active = command_table;

const struct command *command_find(const char *word)
{
	for (size_t i = 0; commands_active[i]; i++) {
		const struct command *c = commands_active[i];

		if (!strcmp(c->name, word))
			return c;
		for (size_t j = 0; c->aliases && c->aliases[j]; j++)
			if (!strcmp(c->aliases[j], word))
				return c;
	}
	return NULL;
}

bool command_is_known(const char *word, void *payload)
{
	(void)payload;
	return command_find(word) != NULL;
}

/* Levenshtein distance, for words of a command's length. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[33], cur[33];

	if (la > 32 || lb > 32)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

const char *command_nearest(const char *word)
{
	const char *best = NULL;
	size_t best_d = 3; /* more than two edits away is no suggestion */

	for (size_t i = 0; commands_active[i]; i++) {
		size_t d = distance(word, commands_active[i]->name);

		if (d < best_d) {
			best_d = d;
			best = commands_active[i]->name;
		}
	}
	return best;
}

int command_version_arg(const char *word)
{
	char *end;
	long v;

	if ((word[0] != 'v' && word[0] != 'V') || word[1] < '1' || word[1] > '9')
		return 0;
	v = strtol(word + 1, &end, 10);
	if (*end || v < 1 || v > 9999)
		return 0;
	return (int)v;
}
