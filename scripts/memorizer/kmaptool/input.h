/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which inputs, in which order, joined how (input.c): the reader's entry
 * point for subcommands.  Uses util, src, parse, pool.
 */
#ifndef KMAPTOOL_INPUT_H
#define KMAPTOOL_INPUT_H

#include "pool.h"

/* Reads the nfiles inputs ("-" is stdin; none: stdin) into c. */
void read_inputs(char **files, int nfiles, const struct read_opts *ro,
		 struct consumer *c);

/* Type of an object as grouped by --by type (default) or --by cache. */
enum by_kind { BY_TYPE, BY_CACHE };
u32 obj_group(const struct kobj *o, enum by_kind by);
enum by_kind parse_by(const char *arg);
/* The interned "no-slab" (valid once read_inputs() has started). */
u32 noslab_id(void);

#endif /* KMAPTOOL_INPUT_H */
