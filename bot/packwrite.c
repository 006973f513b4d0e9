/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packwrite: the objects of a rebuild as one pack stream (see packwrite.h). */
#include "packwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "util.h"

#define WBUF_SIZE (1u << 20)
/* objects of a session kept in memory for reading back, up to this much */
#define KEEP_MAX (256u << 20)

struct pack_entry {
	git_oid id;
	uint64_t offset;        /* of the entry's header in the pack */
	uint32_t crc;           /* of header and deflated data, for the .idx */
	uint32_t clen;          /* header and deflated data */
	git_object_t type;
	size_t size;
	void *data;             /* a copy, or NULL: inflate it from the pack */
};

struct packwriter {
	git_odb_backend parent;  /* first: libgit2 hands us this pointer */
	char *pack_dir;          /* objects/pack/ */
	int depth;               /* nested sessions */
	int fd;                  /* the pack being written, or -1 */
	char *tmp_path;
	uint64_t off;            /* bytes in the pack, buffered ones included */
	uint64_t flushed;        /* bytes on disk */
	unsigned char *wbuf;
	size_t wlen;
	struct pack_entry *e;
	size_t nr, alloc;
	uint32_t *slot;          /* open addressing: index + 1, 0 when free */
	size_t nslots;
	z_stream z[2];          /* level 1, and stored (no compression) */
	bool z_ready[2];
	unsigned char *zout;
	size_t zout_alloc;
	size_t total;            /* objects written over all sessions */
	size_t kept;             /* bytes of e[].data */
};

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

static size_t hash_slot(const git_oid *id, size_t nslots)
{
	uint64_t h;

	memcpy(&h, id->id, sizeof(h));
	return (size_t)h & (nslots - 1);
}

static struct pack_entry *find(struct packwriter *pw, const git_oid *id)
{
	if (!pw->nslots)
		return NULL;
	for (size_t i = hash_slot(id, pw->nslots);; i = (i + 1) & (pw->nslots - 1)) {
		uint32_t s = pw->slot[i];

		if (!s)
			return NULL;
		if (git_oid_equal(&pw->e[s - 1].id, id))
			return &pw->e[s - 1];
	}
}

static void slot_put(struct packwriter *pw, size_t idx)
{
	size_t i = hash_slot(&pw->e[idx].id, pw->nslots);

	while (pw->slot[i])
		i = (i + 1) & (pw->nslots - 1);
	pw->slot[i] = (uint32_t)idx + 1;
}

static void grow_slots(struct packwriter *pw)
{
	if (pw->nr * 2 < pw->nslots)
		return;
	free(pw->slot);
	pw->nslots = pw->nslots ? pw->nslots * 2 : 1024;
	pw->slot = xcalloc(pw->nslots, sizeof(*pw->slot));
	for (size_t i = 0; i < pw->nr; i++)
		slot_put(pw, i);
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int pread_all(int fd, void *p, size_t n, uint64_t at)
{
	unsigned char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)at);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
		at += (uint64_t)r;
	}
	return 0;
}

static int flush_wbuf(struct packwriter *pw)
{
	if (!pw->wlen)
		return 0;
	if (write_all(pw->fd, pw->wbuf, pw->wlen) < 0)
		return -1;
	pw->flushed += pw->wlen;
	pw->wlen = 0;
	return 0;
}

static int add_bytes(struct packwriter *pw, const void *p, size_t n)
{
	if (pw->wlen + n > WBUF_SIZE && flush_wbuf(pw) < 0)
		return -1;
	if (n > WBUF_SIZE) {
		if (write_all(pw->fd, p, n) < 0)
			return -1;
		pw->flushed += n;
	} else {
		memcpy(pw->wbuf + pw->wlen, p, n);
		pw->wlen += n;
	}
	pw->off += n;
	return 0;
}

/* The session's pack file and its header (the count is set at the end). */
static int open_pack(struct packwriter *pw)
{
	static const unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0 };

	pw->tmp_path = xasprintf("%stmp_pack_XXXXXX", pw->pack_dir);
	pw->fd = mkstemp(pw->tmp_path);
	if (pw->fd < 0 || add_bytes(pw, hdr, sizeof(hdr)) < 0) {
		log_warn("cannot write '%s'", pw->tmp_path);
		if (pw->fd >= 0) {
			close(pw->fd);
			unlink(pw->tmp_path);
		}
		pw->fd = -1;
		free(pw->tmp_path);
		pw->tmp_path = NULL;
		return -1;
	}
	return 0;
}

static void session_drop(struct packwriter *pw)
{
	if (pw->fd >= 0)
		close(pw->fd);
	/* NULL once the pack has its name */
	if (pw->tmp_path)
		unlink(pw->tmp_path);
	pw->fd = -1;
	free(pw->tmp_path);
	pw->tmp_path = NULL;
	for (size_t i = 0; i < pw->nr; i++)
		free(pw->e[i].data);
	pw->kept = 0;
	pw->nr = 0;
	pw->off = pw->flushed = 0;
	pw->wlen = 0;
	if (pw->nslots)
		memset(pw->slot, 0, pw->nslots * sizeof(*pw->slot));
	pw->depth = 0;
}

/* Deflate and append one object whose id is known. */
static int add_object(struct packwriter *pw, const git_oid *id, git_object_t type,
		      const void *data, size_t len)
{
	unsigned char hdr[16];
	size_t h = 0, size = len;
	struct pack_entry *e;
	z_stream *z;
	uLong bound;
	uint32_t crc;

	if (find(pw, id))
		return 0;
	if (pw->fd < 0 && open_pack(pw) < 0)
		return -1;
	hdr[h++] = (unsigned char)((type << 4) | (size & 15));
	size >>= 4;
	while (size) {
		hdr[h - 1] |= 0x80;
		hdr[h++] = size & 0x7f;
		size >>= 7;
	}
	/*
	 * Trees are most of the bytes (the root tree is written again by
	 * every patch) and hardly compress (20 bytes of hash an entry): they
	 * go in stored, which halves the time of a rebuild; blobs and
	 * commits at level 1.  `git gc` compresses the lot later.
	 */
	z = &pw->z[type == GIT_OBJECT_TREE];
	if (!pw->z_ready[type == GIT_OBJECT_TREE]) {
		if (deflateInit(z, type == GIT_OBJECT_TREE ? Z_NO_COMPRESSION :
						       Z_BEST_SPEED) != Z_OK)
			return -1;
		pw->z_ready[type == GIT_OBJECT_TREE] = true;
	} else if (deflateReset(z) != Z_OK)
		return -1;
	bound = deflateBound(z, (uLong)len);
	if (bound > pw->zout_alloc) {
		pw->zout_alloc = bound;
		free(pw->zout);
		pw->zout = xmalloc(bound);
	}
	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)len;
	z->next_out = pw->zout;
	z->avail_out = (uInt)bound;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return -1;
	crc = (uint32_t)crc32(0, hdr, (uInt)h);
	crc = (uint32_t)crc32(crc, pw->zout, (uInt)z->total_out);
	ALLOC_GROW(pw->e, pw->nr + 1, pw->alloc);
	e = &pw->e[pw->nr];
	*e = (struct pack_entry){
		.id = *id, .offset = pw->off, .crc = crc,
		.clen = (uint32_t)(h + z->total_out), .type = type, .size = len,
	};
	/* the next patch reads what this one wrote: keep it at hand */
	if (pw->kept + len <= KEEP_MAX) {
		e->data = xmalloc(len + 1);
		memcpy(e->data, data, len);
		pw->kept += len;
	}
	if (add_bytes(pw, hdr, h) < 0 || add_bytes(pw, pw->zout, z->total_out) < 0)
		return -1;
	pw->nr++;
	grow_slots(pw);
	slot_put(pw, pw->nr - 1);
	pw->total++;
	return 0;
}

/* The object of e, inflated into a buffer libgit2 may free. */
static int read_entry(struct packwriter *pw, const struct pack_entry *e, void **out)
{
	unsigned char *comp, *data;
	size_t h = 1;
	z_stream z = { 0 };
	int zr;

	if (e->data) {
		data = git_odb_backend_data_alloc(&pw->parent, e->size + 1);
		if (!data)
			return -1;
		memcpy(data, e->data, e->size);
		*out = data;
		return 0;
	}
	if (e->offset + e->clen > pw->flushed && flush_wbuf(pw) < 0)
		return -1;
	comp = xmalloc(e->clen);
	if (pread_all(pw->fd, comp, e->clen, e->offset) < 0) {
		free(comp);
		return -1;
	}
	while (h < e->clen && comp[h - 1] & 0x80)
		h++;
	data = git_odb_backend_data_alloc(&pw->parent, e->size + 1);
	if (!data || inflateInit(&z) != Z_OK) {
		free(comp);
		return -1;
	}
	z.next_in = comp + h;
	z.avail_in = (uInt)(e->clen - h);
	z.next_out = data;
	z.avail_out = (uInt)e->size + 1;
	zr = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	free(comp);
	if (zr != Z_STREAM_END || z.total_out != e->size) {
		git_odb_backend_data_free(&pw->parent, data);
		return -1;
	}
	*out = data;
	return 0;
}

static int be_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		   const git_oid *id)
{
	struct packwriter *pw = (struct packwriter *)b;
	struct pack_entry *e = find(pw, id);

	if (!e)
		return GIT_ENOTFOUND;
	if (read_entry(pw, e, data) < 0) {
		git_error_set_str(GIT_ERROR_ODB, "cannot read back the pack being written");
		return -1;
	}
	*len = e->size;
	*type = e->type;
	return 0;
}

static int be_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
			  const git_oid *id)
{
	struct pack_entry *e = find((struct packwriter *)b, id);

	if (!e)
		return GIT_ENOTFOUND;
	*len = e->size;
	*type = e->type;
	return 0;
}

static int be_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
		    git_object_t type)
{
	struct packwriter *pw = (struct packwriter *)b;

	/* no session: let the next backend (loose objects) have it */
	if (!pw->depth)
		return GIT_ERROR;
	if (add_object(pw, id, type, data, len) < 0) {
		git_error_set_str(GIT_ERROR_ODB, "cannot write to the pack");
		return -1;
	}
	return 0;
}

static int be_exists(git_odb_backend *b, const git_oid *id)
{
	return find((struct packwriter *)b, id) != NULL;
}

static int be_freshen(git_odb_backend *b, const git_oid *id)
{
	return find((struct packwriter *)b, id) ? 0 : GIT_ENOTFOUND;
}

static void be_free(git_odb_backend *b)
{
	struct packwriter *pw = (struct packwriter *)b;

	session_drop(pw);
	for (int i = 0; i < 2; i++)
		if (pw->z_ready[i])
			deflateEnd(&pw->z[i]);
	free(pw->zout);
	free(pw->slot);
	free(pw->e);
	free(pw->wbuf);
	free(pw->pack_dir);
	free(pw);
}

int pack_attach(git_repository *repo, struct packwriter **out, struct buf *err)
{
	struct packwriter *pw = xcalloc(1, sizeof(*pw));
	git_odb *odb = NULL;

	*out = NULL;
	git_odb_init_backend(&pw->parent, GIT_ODB_BACKEND_VERSION);
	pw->parent.read = be_read;
	pw->parent.read_header = be_read_header;
	pw->parent.write = be_write;
	pw->parent.exists = be_exists;
	pw->parent.freshen = be_freshen;
	pw->parent.free = be_free;
	pw->fd = -1;
	/* a linked worktree keeps its objects in the common directory */
	pw->pack_dir = xasprintf("%sobjects/pack/", git_repository_commondir(repo));
	pw->wbuf = xmalloc(WBUF_SIZE);
	/*
	 * libgit2 hashes every object it reads again to check it (git does
	 * not): a seventh of a rebuild's time.  The tree is ours.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/* above the loose (1) and packed (2) backends: writes come here first */
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_add_backend(odb, &pw->parent, 10) < 0) {
		buf_addf(err, "cannot add the pack writer to '%s': %s",
			 git_repository_path(repo), git_msg());
		git_odb_free(odb);
		be_free(&pw->parent);
		return -1;
	}
	git_odb_free(odb);
	*out = pw;
	return 0;
}

int pack_begin(struct packwriter *pw, struct buf *err)
{
	/* the file comes with the first object: most builds write nothing */
	pw->depth++;
	return 0;
}


static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int cmp_entry(const void *a, const void *b)
{
	return git_oid_cmp(&(*(struct pack_entry *const *)a)->id,
			   &(*(struct pack_entry *const *)b)->id);
}

/* The .idx (version 2) of the pack whose checksum is sum, into idx. */
static void build_idx(struct packwriter *pw, const unsigned char sum[20], struct buf *idx)
{
	struct pack_entry **by_id = xmalloc(pw->nr * sizeof(*by_id));
	unsigned char four[4], eight[8], check[20];
	uint32_t fan[256] = { 0 }, nlarge = 0;

	for (size_t i = 0; i < pw->nr; i++) {
		by_id[i] = &pw->e[i];
		fan[pw->e[i].id.id[0]]++;
	}
	qsort(by_id, pw->nr, sizeof(*by_id), cmp_entry);
	buf_add(idx, "\377tOc\0\0\0\2", 8);
	for (uint32_t i = 0, sum_fan = 0; i < 256; i++) {
		sum_fan += fan[i];
		put32(four, sum_fan);
		buf_add(idx, four, 4);
	}
	for (size_t i = 0; i < pw->nr; i++)
		buf_add(idx, by_id[i]->id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < pw->nr; i++) {
		put32(four, by_id[i]->crc);
		buf_add(idx, four, 4);
	}
	for (size_t i = 0; i < pw->nr; i++) {
		uint64_t o = by_id[i]->offset;

		put32(four, o < 0x80000000u ? (uint32_t)o : 0x80000000u | nlarge++);
		buf_add(idx, four, 4);
	}
	for (size_t i = 0; i < pw->nr; i++) {
		uint64_t o = by_id[i]->offset;

		if (o < 0x80000000u)
			continue;
		put32(eight, (uint32_t)(o >> 32));
		put32(eight + 4, (uint32_t)o);
		buf_add(idx, eight, 8);
	}
	buf_add(idx, sum, 20);
	gnutls_hash_fast(GNUTLS_DIG_SHA1, idx->s, idx->len, check);
	buf_add(idx, check, 20);
	free(by_id);
}

/* The pack's checksum: its header now holds the count, so read it all back. */
static int pack_checksum(struct packwriter *pw, unsigned char sum[20])
{
	gnutls_hash_hd_t h;
	unsigned char *chunk = pw->wbuf;
	uint64_t at = 0;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1) < 0)
		return -1;
	while (at < pw->off) {
		size_t n = pw->off - at < WBUF_SIZE ? (size_t)(pw->off - at) : WBUF_SIZE;

		if (pread_all(pw->fd, chunk, n, at) < 0) {
			gnutls_hash_deinit(h, sum);
			return -1;
		}
		gnutls_hash(h, chunk, n);
		at += n;
	}
	gnutls_hash_deinit(h, sum);
	return 0;
}

int pack_end(struct packwriter *pw, struct buf *err)
{
	struct buf idx = BUF_INIT(BUF_NOLIMIT);
	unsigned char cnt[4], sum[20];
	char hex[41], *tmp_idx = NULL, *pack = NULL, *idxname = NULL;
	git_odb *odb = pw->parent.odb;
	int fd = -1, r = -1;

	if (!pw->depth || --pw->depth)
		return 0;
	if (!pw->nr) {
		session_drop(pw);
		return 0;
	}
	put32(cnt, (uint32_t)pw->nr);
	if (flush_wbuf(pw) < 0 || pwrite(pw->fd, cnt, 4, 8) != 4 ||
	    pack_checksum(pw, sum) < 0 || write_all(pw->fd, sum, 20) < 0 ||
	    fsync(pw->fd) < 0) {
		buf_addf(err, "cannot write '%s': %s", pw->tmp_path, strerror(errno));
		goto out;
	}
	pw->off += 20;
	build_idx(pw, sum, &idx);
	tmp_idx = xasprintf("%stmp_idx_XXXXXX", pw->pack_dir);
	fd = mkstemp(tmp_idx);
	if (fd < 0 || write_all(fd, idx.s, idx.len) < 0 || fsync(fd) < 0) {
		buf_addf(err, "cannot write '%s': %s", tmp_idx, strerror(errno));
		if (fd >= 0)
			unlink(tmp_idx);
		goto out;
	}
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	pack = xasprintf("%spack-%s.pack", pw->pack_dir, hex);
	idxname = xasprintf("%spack-%s.idx", pw->pack_dir, hex);
	fchmod(pw->fd, 0444);
	fchmod(fd, 0444);
	/* the pack first: git and libgit2 find packs by their .idx */
	if (rename(pw->tmp_path, pack) < 0 || rename(tmp_idx, idxname) < 0) {
		buf_addf(err, "cannot move the pack into '%s': %s", pw->pack_dir,
			 strerror(errno));
		unlink(tmp_idx);
		goto out;
	}
	free(pw->tmp_path);
	pw->tmp_path = NULL;
	log_debug(LOG_GIT, "wrote %zu objects as '%s'", pw->nr, pack);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	session_drop(pw);
	/* after the session, so that lookups go to the packed backend */
	if (!r && git_odb_refresh(odb) < 0) {
		buf_addf(err, "cannot read the new pack: %s", git_msg());
		r = -1;
	}
	buf_release(&idx);
	free(tmp_idx);
	free(pack);
	free(idxname);
	return r;
}

int pack_write(struct packwriter *pw, git_repository *repo, git_object_t type,
	       const void *data, size_t len, git_oid *id, struct buf *err)
{
	gnutls_hash_hd_t h;
	char hdr[64];
	int hl;
	git_odb *odb;

	if (!pw || !pw->depth) {
		if (git_repository_odb(&odb, repo) < 0 ||
		    git_odb_write(id, odb, data, len, type) < 0) {
			buf_addf(err, "cannot write an object: %s", git_msg());
			git_odb_free(odb);
			return -1;
		}
		git_odb_free(odb);
		return 0;
	}
	hl = snprintf(hdr, sizeof(hdr), "%s %zu", git_object_type2string(type), len) + 1;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA1) < 0) {
		buf_adds(err, "cannot hash an object");
		return -1;
	}
	gnutls_hash(h, hdr, (size_t)hl);
	gnutls_hash(h, data, len);
	gnutls_hash_deinit(h, id->id);
	if (find(pw, id) ||
	    git_odb_exists_ext(pw->parent.odb, id, GIT_ODB_LOOKUP_NO_REFRESH) == 1)
		return 0;
	if (add_object(pw, id, type, data, len) < 0) {
		buf_addf(err, "cannot write to the pack in '%s': %s", pw->pack_dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

size_t pack_objects_written(const struct packwriter *pw)
{
	return pw ? pw->total : 0;
}
