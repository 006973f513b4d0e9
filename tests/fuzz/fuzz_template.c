/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_template: libFuzzer target for the template renderer (template.c). */
#include <stddef.h>
#include <stdint.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tschema item_schema[] = {
	{ "title", TS_TEXT, NULL },
	{ "ok", TS_BOOL, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema schema[] = {
	{ "name", TS_TEXT, NULL },
	{ "flag", TS_BOOL, NULL },
	{ "items", TS_LIST, item_schema },
	{ NULL, 0, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT(1 << 20), err = BUF_INIT(4096);
	struct tvars *v = tvars_new();

	tvars_set(v, "name", "Sam");
	tvars_set_bool(v, "flag", true);
	for (int i = 0; i < 3; i++) {
		struct tvars *it = tvars_add_item(v, "items");

		tvars_setf(it, "title", "patch %d", i);
		tvars_set_bool(it, "ok", i & 1);
	}
	template_check((const char *)data, size, schema, &err);
	buf_reset(&err);
	template_render((const char *)data, size, v, &out, &err);
	tvars_free(v);
	buf_release(&out);
	buf_release(&err);
	return 0;
}
