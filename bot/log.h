/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log: messages to stderr, after OpenSMTPD's log.h.  log_warn appends
 * strerror(errno), log_warnx doesn't; debug output is by category and only
 * shown with -v.  error() logs and returns -1 so call sites stay short:
 * `return error("cannot open '%s'", path);`.
 */
#ifndef PATCHBOT_LOG_H
#define PATCHBOT_LOG_H

enum log_cat {
	LOG_MAIN = 1 << 0,
	LOG_IMAP = 1 << 1,
	LOG_SMTP = 1 << 2,
	LOG_GIT = 1 << 3,
	LOG_DB = 1 << 4,
	LOG_MAIL = 1 << 5,
	LOG_ALL = 0xff,
};

/* verbose 0: warnings and info; 1+: debug for the categories in mask. */
void log_init(int verbose, unsigned mask);
void log_set_quiet(int quiet);
int log_verbose(void);

#define PB_PRINTF(a, b) __attribute__((format(printf, a, b)))
void log_warn(const char *fmt, ...) PB_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) PB_PRINTF(1, 2);
void log_info(const char *fmt, ...) PB_PRINTF(1, 2);
void log_debug(enum log_cat cat, const char *fmt, ...) PB_PRINTF(2, 3);
int error(const char *fmt, ...) PB_PRINTF(1, 2);

#endif
