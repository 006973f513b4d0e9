/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_subject: libFuzzer target for the subject-tag parser (subject.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct subject_info si;

	subject_parse(s, &si);
	subject_info_release(&si);
	free(s);
	return 0;
}
