/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_diff: libFuzzer target for the patch finder and diff parser (diff.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "diff.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct patch_split ps;
	struct diff d = { 0 };
	char *url = NULL, *ref = NULL, *cid;

	if (patch_split(text, size, &ps))
		diff_parse(text + ps.diff_start, ps.diff_len, &d);
	diff_release(&d);
	if (pull_request_find(text, &url, &ref)) {
		free(url);
		free(ref);
	}
	cid = change_id_find(text);
	free(cid);
	free(text);
	return 0;
}
