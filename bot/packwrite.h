/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * packwrite: write the objects of a queue rebuild as one pack, the way
 * `git fast-import` does, instead of one loose file per object: each
 * object deflated at zlib level 1, no delta search, the .idx (version 2)
 * written directly at the end.  See git's Documentation/gitformat-pack.txt.
 *
 * The writer is an object database backend added to the repository's odb
 * with the highest priority, so while a session is open everything libgit2
 * writes (git_commit_create, an index's tree) lands in the pack too, and
 * the objects of the session are readable at once (the next patch reads
 * the blobs and trees the previous one wrote) from the pack being written.
 * Outside a session it declines every write and libgit2 writes loose
 * objects as usual.  Sessions nest; the outermost pack_end writes the
 * pack and its index into objects/pack and refreshes the odb.
 *
 * Many small packs slow reads down: deploy/patchbot-gc.timer runs
 * `git gc` on the tree now and then.
 */
#ifndef PATCHBOT_PACKWRITE_H
#define PATCHBOT_PACKWRITE_H

#include <git2.h>
#include <stddef.h>

#include "buf.h"

struct packwriter;

/*
 * Add a writer to repo's odb (which owns it from then on and frees it
 * with the repository).  -1 with err set.
 */
int pack_attach(git_repository *repo, struct packwriter **out, struct buf *err);

/*
 * Open a session (or nest in the open one); the pack file is made when
 * the first object comes.  0 (-1 with err set is reserved).
 */
int pack_begin(struct packwriter *pw, struct buf *err);
/*
 * Close a session; the outermost one writes the pack and its index and
 * makes libgit2 see them.  -1 with err set (the objects are then lost).
 */
int pack_end(struct packwriter *pw, struct buf *err);

/*
 * Write one object and set its id: into the pack when a session is open
 * (unless the repository has it already), else with git_odb_write.  pw
 * may be NULL (then into repo's odb).  -1 with err set.
 */
int pack_write(struct packwriter *pw, git_repository *repo, git_object_t type,
	       const void *data, size_t len, git_oid *id, struct buf *err);

/* Objects written into packs by pw so far (for the log and tests). */
size_t pack_objects_written(const struct packwriter *pw);

#endif
