/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_mbox: libFuzzer target for the mbox splitter (source.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	struct buf err = BUF_INIT(4096);
	struct mail_source *src;
	struct mail_item item;

	if (!f || !size) {
		if (f)
			fclose(f);
		return 0;
	}
	src = source_mbox_stream(f, "fuzz", 1 << 16);
	while (src->next(src, &item, &err) > 0)
		;
	src->free(src);
	fclose(f);
	buf_release(&err);
	return 0;
}
