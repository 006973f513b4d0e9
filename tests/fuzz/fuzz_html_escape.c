/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_html_escape: libFuzzer target for the status page's escaping of
 * mail text.  Whatever the bytes, the result must be well-formed UTF-8
 * with no character that could open a tag, an attribute value or an
 * entity of its own, and no control character but tab and newline.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct buf out = BUF_INIT(BUF_NOLIMIT);
	const unsigned char *p;
	size_t n, k;

	if (html_escape(&out, s))
		abort();
	for (p = (const unsigned char *)out.s, n = out.len; n; p += k, n -= k) {
		uint32_t cp;

		k = utf8_seq(p, n, &cp);
		if (!k || cp == '<' || cp == '>' || cp == '"' || cp == '\'' ||
		    (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp < 0xa0))
			abort();
		/* every '&' starts one of the references html_escape writes */
		if (cp == '&' && strncmp((const char *)p, "&amp;", 5) &&
		    strncmp((const char *)p, "&lt;", 4) && strncmp((const char *)p, "&gt;", 4) &&
		    strncmp((const char *)p, "&quot;", 6) && strncmp((const char *)p, "&#39;", 5))
			abort();
	}
	buf_release(&out);
	free(s);
	return 0;
}
