/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_cmdparse: libFuzzer target for the command-line finder (parse.c). */
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int mode = 0; mode < 4; mode++) {
		struct cmdparse_opts o = {
			.prefix = "#patchbot",
			.bare_allowed = mode & 1,
			.is_command = command_is_known,
			.format_flowed = (mode & 2) != 0,
			.delsp = mode == 3,
		};
		struct cmdlist l = { 0 };

		cmdparse((const char *)data, size, &o, &l);
		cmdlist_release(&l);
	}
	return 0;
}
