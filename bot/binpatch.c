/* SPDX-License-Identifier: GPL-2.0-or-later */
/* binpatch: git's binary patches, decoded and applied (see binpatch.h). */
#include "binpatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

static const char b85[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "abcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

static const char *eol_of(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

const char *binpatch_skip(const char *text, const char *end)
{
	const char *p = eol_of(text, end);

	while (p < end && *p != '\n')
		p = eol_of(p, end);
	return p < end ? p + 1 : end;
}

/* One base85 line: its length letter, then 5 characters per 4 bytes. */
static int decode_line(const char *p, const char *eol, struct buf *out)
{
	int8_t de[256];
	size_t len;

	memset(de, -1, sizeof(de));
	for (int i = 0; i < 85; i++)
		de[(unsigned char)b85[i]] = (int8_t)i;
	if (*p >= 'A' && *p <= 'Z')
		len = (size_t)(*p - 'A' + 1);
	else if (*p >= 'a' && *p <= 'z')
		len = (size_t)(*p - 'a' + 27);
	else
		return -1;
	p++;
	if ((size_t)(eol - p) < (len + 3) / 4 * 5)
		return -1;
	while (len) {
		uint64_t acc = 0;
		unsigned char b[4];

		for (int i = 0; i < 5; i++) {
			int8_t d = de[(unsigned char)*p++];

			if (d < 0)
				return -1;
			acc = acc * 85 + (uint64_t)d;
		}
		if (acc > UINT32_MAX)
			return -1;
		b[0] = (unsigned char)(acc >> 24);
		b[1] = (unsigned char)(acc >> 16);
		b[2] = (unsigned char)(acc >> 8);
		b[3] = (unsigned char)acc;
		if (buf_add(out, b, len < 4 ? len : 4) < 0)
			return -1;
		len -= len < 4 ? len : 4;
	}
	return 0;
}

static int varint(const unsigned char **p, const unsigned char *end, size_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;

		*v |= (size_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* git's patch_delta. */
static int apply_delta(const unsigned char *d, size_t dlen, const unsigned char *src,
		       size_t slen, char **out, size_t *out_len)
{
	const unsigned char *end = d + dlen;
	size_t want_src, want_dst, o = 0;
	unsigned char *dst;

	if (varint(&d, end, &want_src) || want_src != slen || varint(&d, end, &want_dst) ||
	    want_dst > BINPATCH_MAX)
		return -1;
	dst = xmalloc(want_dst + 1);
	while (d < end) {
		unsigned char cmd = *d++;

		if (cmd & 0x80) {
			size_t off = 0, size = 0;

			for (int i = 0; i < 4; i++)
				if (cmd & (1u << i)) {
					if (d >= end)
						goto bad;
					off |= (size_t)*d++ << (8 * i);
				}
			for (int i = 0; i < 3; i++)
				if (cmd & (0x10u << i)) {
					if (d >= end)
						goto bad;
					size |= (size_t)*d++ << (8 * i);
				}
			if (!size)
				size = 0x10000;
			if (off > slen || size > slen - off || size > want_dst - o)
				goto bad;
			memcpy(dst + o, src + off, size);
			o += size;
		} else if (cmd) {
			if (cmd > end - d || cmd > want_dst - o)
				goto bad;
			memcpy(dst + o, d, cmd);
			d += cmd;
			o += cmd;
		} else
			goto bad;
	}
	if (o != want_dst)
		goto bad;
	*out = (char *)dst;
	*out_len = o;
	return 0;
bad:
	free(dst);
	return -1;
}

int binpatch_apply(const char *text, const char *end, const char **next,
		   const void *old, size_t old_len, char **out, size_t *out_len,
		   struct buf *err)
{
	const char *p = text, *eol = eol_of(p, end);
	struct buf z = BUF_INIT(BINPATCH_MAX);
	unsigned char *data = NULL;
	bool delta;
	char *e;
	unsigned long size;
	z_stream zs = { 0 };
	int r = -1;

	*next = binpatch_skip(text, end);
	if (!strncmp(p, "literal ", 8))
		delta = false;
	else if (!strncmp(p, "delta ", 6))
		delta = true;
	else {
		buf_adds(err, "unknown binary patch method");
		return -1;
	}
	size = strtoul(p + (delta ? 6 : 8), &e, 10);
	if (e == p + (delta ? 6 : 8) || size > BINPATCH_MAX) {
		buf_adds(err, "bad binary patch size");
		return -1;
	}
	for (p = eol; p < end && *p != '\n'; p = eol) {
		eol = eol_of(p, end);
		if (decode_line(p, eol[-1] == '\n' ? eol - 1 : eol, &z) < 0) {
			buf_adds(err, "corrupt binary patch");
			goto out;
		}
	}
	data = xmalloc(size + 1);
	if (inflateInit(&zs) != Z_OK)
		goto out;
	zs.next_in = (Bytef *)z.s;
	zs.avail_in = (uInt)z.len;
	zs.next_out = data;
	zs.avail_out = (uInt)size + 1;
	if (inflate(&zs, Z_FINISH) != Z_STREAM_END || zs.total_out != size) {
		inflateEnd(&zs);
		buf_adds(err, "corrupt binary patch (it does not inflate)");
		goto out;
	}
	inflateEnd(&zs);
	if (!delta) {
		*out = (char *)data;
		*out_len = size;
		data = NULL;
	} else if (apply_delta(data, size, old, old_len, out, out_len) < 0) {
		buf_adds(err, "the binary delta does not apply");
		goto out;
	}
	r = 0;
out:
	free(data);
	buf_release(&z);
	return r;
}
