/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * show: what `patchbot series list` and `series show` print, as text for
 * people or as JSON for scripts (built by sqlite's JSON functions).
 */
#ifndef PATCHBOT_SHOW_H
#define PATCHBOT_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "store.h"

int show_series_list(struct store *st, FILE *out, bool json);
/* which: a series number or any Message-ID of the series.  1: not found. */
int show_series(struct store *st, const char *which, FILE *out, bool json);

#endif
