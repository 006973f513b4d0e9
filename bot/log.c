/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr logging with levels and debug categories (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int verbosity;
static unsigned debug_mask = LOG_ALL;
static int quiet;

void log_init(int verbose, unsigned mask)
{
	verbosity = verbose;
	debug_mask = mask ? mask : LOG_ALL;
}

void log_set_quiet(int q)
{
	quiet = q;
}

int log_verbose(void)
{
	return verbosity;
}

static void vlog(const char *prefix, const char *fmt, va_list ap,
		 const char *suffix)
{
	fprintf(stderr, "patchbot: %s", prefix);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
}

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, e);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void log_debug(enum log_cat cat, const char *fmt, ...)
{
	static const char *const names[] = { "main", "imap", "smtp", "git",
					     "db", "mail" };
	const char *name = "main";
	char prefix[32];
	va_list ap;

	if (!verbosity || !(debug_mask & cat))
		return;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (cat == (1u << i))
			name = names[i];
	snprintf(prefix, sizeof(prefix), "debug(%s): ", name);
	va_start(ap, fmt);
	vlog(prefix, fmt, ap, NULL);
	va_end(ap);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap, NULL);
	va_end(ap);
	return -1;
}
