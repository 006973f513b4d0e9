/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_mail: libFuzzer target for the header and MIME parser (mail.c). */
#include <stddef.h>
#include <stdint.h>

#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	struct buf err = BUF_INIT(4096);
	struct mail m;

	if (!mail_parse(&m, (const char *)data, size, &lim, &err))
		mail_release(&m);
	buf_release(&err);
	return 0;
}
