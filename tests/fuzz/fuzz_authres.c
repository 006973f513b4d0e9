/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_authres: libFuzzer target for the Authentication-Results parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct authres a;

	if (!authres_parse(s, &a))
		authres_release(&a);
	free(s);
	return 0;
}
