// SPDX-License-Identifier: GPL-2.0
/*
 * kmaptool entry point: subcommand dispatch and the options they share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmaptool.h"

#define KT_VERSION "1.0"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} cmds[] = {
	{ "summary", cmd_summary, "objects, accesses and top users, by type, cache, command" },
	{ "filter", cmd_filter, "keep the objects matching pid, command, type, cache..." },
	{ "csv", cmd_csv, "allocations and accesses as two CSV files, symbolized" },
	{ "modelstate", cmd_modelstate, "model-state CSV and neo4j-admin import files" },
	{ "share", cmd_share, "resource-sharing index (RSI) between two PDs, by kernel type" },
	{ "metrics", cmd_metrics, "OSmosis's RSI and FR between two PDs of the model" },
	{ "dot", cmd_dot, "Graphviz graph of PDs and the object types they touch" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " KT_NAME " SUBCOMMAND [OPTIONS] [FILE...]\n"
		"Analyse Memorizer kmaps: FILE is a kmap, or the debugfs allocations\n"
		"and/or accesses CSV files; none or '-' reads standard input.\n"
		"\n"
		"Subcommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-11s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f,
		"\n"
		"'" KT_NAME " SUBCOMMAND --help' for a subcommand's options; "
		"man kmaptool for all.\n"
		"Exit status: 0 success, 1 malformed input or I/O error, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
#ifdef KT_SIMD_CHECK
	/* before any decoder built for it runs (Makefile: SIMD) */
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sse4.1"))
		die("built with SSE4.1, which this CPU lacks: rebuild with 'make SIMD='");
#endif
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		if (argc > 2 && strcmp(cmd, "help") == 0) {
			char *hv[] = { argv[2], "--help", NULL };

			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(cmds[i].name, argv[2]))
					return cmds[i].fn(2, hv);
			die_usage("unknown subcommand '%s'", argv[2]);
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf(KT_NAME " " KT_VERSION "\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, cmd))
			continue;
		/* getopt names argv[0] in its messages: "kmaptool summary: ..." */
		char *name = xmalloc(strlen(cmd) + sizeof(KT_NAME) + 1);
		int rc;

		sprintf(name, KT_NAME " %s", cmd);
		argv[1] = name;
		rc = cmds[i].fn(argc - 1, argv + 1);
		free(name);
		syms_free();
		pids_free();
		return rc;
	}
	if (cmd[0] == '-')
		fprintf(stderr, KT_NAME ": unknown option '%s'\n", cmd);
	else
		fprintf(stderr, KT_NAME ": unknown subcommand '%s'\n", cmd);
	fprintf(stderr, "Try '" KT_NAME " --help'.\n");
	return EXIT_USAGE;
}
