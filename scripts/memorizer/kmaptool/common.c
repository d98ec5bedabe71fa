// SPDX-License-Identifier: GPL-2.0
/*
 * The options every subcommand takes, and their setup; below the
 * subcommands, above the reader, symbols and the model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * share and metrics learn which pids a command names only at the end of
 * the input; until then they keep fixed-size records in an unlinked file
 * rather than in memory, which would grow with the kmap.
 */
FILE *spill_open(const char *cmd)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	FILE *f;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	path = xmalloc(strlen(dir) + strlen(cmd) + sizeof("/" KT_NAME "-.XXXXXX"));
	sprintf(path, "%s/" KT_NAME "-%s.XXXXXX", dir, cmd);
	fd = mkstemp(path);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	unlink(path);
	free(path);
	f = fdopen(fd, "w+");
	if (!f)
		die("temporary file: %s", strerror(errno));
	return f;
}

void spill_put(FILE *f, const void *rec, size_t size)
{
	if (fwrite(rec, size, 1, f) != 1)
		die("temporary file: %s", strerror(errno));
}

void spill_rewind(FILE *f)
{
	if (fflush(f) || fseek(f, 0, SEEK_SET))
		die("temporary file: %s", strerror(errno));
}

bool spill_get(FILE *f, void *rec, size_t size)
{
	if (fread(rec, size, 1, f) == 1)
		return true;
	if (ferror(f))
		die("temporary file: %s", strerror(errno));
	return false;
}
