// SPDX-License-Identifier: GPL-2.0
/*
 * The options every subcommand takes, and their setup; below the
 * subcommands, above the reader, symbols and the model.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmaptool.h"

bool common_opt(struct common *co, int c, const char *arg, const char *cmd,
		const char *usage_text)
{
	switch (c) {
	case 's':
		co->symbols = arg;
		return true;
	case OPT_VMLINUX:
		co->vmlinux = arg;
		return true;
	case OPT_LENIENT:
		co->ro.lenient = true;
		return true;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case '?':
	case ':':
		fprintf(stderr, "Try '" KT_NAME " %s --help'.\n", cmd);
		exit(EXIT_USAGE);
	}
	return false;
}

void common_setup(struct common *co)
{
	if (co->symbols)
		syms_load(co->symbols);
	if (co->vmlinux)
		syms_set_vmlinux(co->vmlinux);
	pids_init();
}
