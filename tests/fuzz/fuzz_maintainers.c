/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_maintainers: libFuzzer target for the MAINTAINERS parser and matcher. */
#include <stddef.h>
#include <stdint.h>

#include "maintainers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "mm/filemap.c", "rust/kernel/lib.rs",
					     "Documentation/mm/index.rst", "a" };
	struct buf err = BUF_INIT(4096);
	struct maintainers *m;

	if (!maintainers_parse(&m, (const char *)data, size, &err)) {
		struct maintainers_result r = { 0 };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			maintainers_for_file(m, paths[i], &r);
		maintainers_for_content(m, "+\tfolio_lock(folio);\n", &r);
		maintainers_result_release(&r);
		maintainers_free(m);
	}
	buf_release(&err);
	return 0;
}
