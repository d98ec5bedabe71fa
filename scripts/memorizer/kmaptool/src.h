/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bytes in (src.c): a mapped file or a read(2) buffer, cut into runs of
 * whole lines.  Uses util only.
 */
#ifndef KMAPTOOL_SRC_H
#define KMAPTOOL_SRC_H

#include "util.h"

/*
 * Readable bytes guaranteed after every chunk, so that the line parser can
 * load 8 bytes at a time without checking for the end.
 */
#define SRC_PAD 64

enum src_kind { K_KMAP, K_ALLOCS, K_ACCESSES };

struct src {
	const char *name;
	int fd;
	/* mmap'd regular file */
	char *map;
	size_t mapsize, mappos, released;
	int mapstage;
	/* read(2) buffer (pipes), and the padded tail of a mapping */
	char *buf;
	size_t cap, pos, fill;
	bool eof;
	u64 lineno;	/* lines handed out so far */
	enum src_kind kind;
	u32 ncols;	/* columns named by a CSV header */
	bool acc_command;	/* an accesses header naming access_command */
};

void src_open(struct src *s, const char *path);
void src_close(struct src *s);
/* The mapped input below p will not be read again: let the kernel drop it. */
void src_release(struct src *s, const char *p);
/*
 * The next run of whole lines [*p, *end): every line ends in '\n' (one is
 * added to a last line without it) and SRC_PAD readable bytes follow *end.
 * Returns false at end of input.
 */
bool src_next(struct src *s, char **p, char **end);
/* The first line, without consuming it; false if the input is empty. */
bool src_first_line(struct src *s, const char **line, size_t *len);

#endif /* KMAPTOOL_SRC_H */
