/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build: build-test a tree (`try vN build`).  A patch is untrusted code: it
 * can change the Makefile.  So the tree is checked out into a temporary
 * folder and tree.buildCommand runs there under bubblewrap: no network,
 * a read-only system, a private size-limited /tmp holding the only
 * writable copy of the checkout, no capabilities, an unprivileged uid
 * (nobody, when patchbot runs as root), limits on address space,
 * processes and file size, and a timeout that kills the whole sandbox.
 */
#ifndef PATCHBOT_BUILD_H
#define PATCHBOT_BUILD_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct build_opts {
	const char *command;     /* run with /bin/sh -c in the checkout */
	int64_t timeout;         /* seconds */
	size_t max_memory;       /* RLIMIT_AS of every process, bytes */
	unsigned max_procs;      /* RLIMIT_NPROC */
	size_t max_disk;         /* the sandbox's /tmp (and RLIMIT_FSIZE), bytes */
	unsigned log_lines;      /* how many last lines of output to keep */
	const char *bwrap;       /* the bwrap program; NULL: "bwrap" on PATH */
};

struct build_result {
	bool passed;
	bool timed_out;
	int exit_status;         /* when it exited, else -1 */
	int signal;              /* when a signal ended it, else 0 */
	char *tail;              /* the last lines of output (new string) */
	double seconds;
};

void build_result_release(struct build_result *r);

/*
 * Check commit's tree out into a new temporary folder (path into *dir,
 * new string; remove it with build_remove_dir).  0 or -1 with err set.
 */
int build_checkout(git_repository *repo, const git_oid *commit, char **dir,
		   struct buf *err);
void build_remove_dir(const char *dir);

/*
 * Run o->command on the checkout in dir, sandboxed.  0 when it ran (r
 * says pass or fail), -1 when the sandbox could not start (err set).
 */
int build_run(const char *dir, const struct build_opts *o, struct build_result *r,
	      struct buf *err);

/* "passed in 2 s" / "failed: exit status 2" ... into out. */
void build_describe(const struct build_result *r, const struct build_opts *o,
		    struct buf *out);

#endif
