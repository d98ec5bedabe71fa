/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing a mapped kmap on every CPU (pool.c).  Uses util, src, parse.
 */
#ifndef KMAPTOOL_POOL_H
#define KMAPTOOL_POOL_H

#include "parse.h"

/* Whether to parse a mapped kmap for c on several CPUs. */
bool pool_wanted(const struct consumer *c);
/* Parses a mapped kmap in chunks on every CPU, delivering in order to c. */
void pool_run(struct src *s, struct consumer *c);

#endif /* KMAPTOOL_POOL_H */
