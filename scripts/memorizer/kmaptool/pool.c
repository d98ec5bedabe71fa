// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing a mapped kmap on every CPU, consuming it in order on one.
 *
 * Parsing costs about twice what a subcommand does with the records, so a
 * single parser thread would leave the consumer idle.  Instead the mapping
 * is cut into chunks at object lines; worker threads parse chunks into
 * packed records, and the main thread delivers the chunks to the
 * subcommand strictly in file order -- parsing a chunk itself whenever the
 * next one is not ready.  The subcommand sees exactly the sequence a single
 * thread would give it, so outputs (and the first error reported) do not
 * depend on the number of threads.
 *
 * A consumer that can fork (its result is a sum: summary) is not fed in
 * order at all: every thread delivers the chunks it parses straight to a
 * context of its own, with no records in between, and the contexts are
 * joined at the end.  The main thread still retires chunks in file order,
 * for the line numbers of errors and to release the input.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define CHUNK		(256 * 1024)	/* input bytes; its records stay in L2 */
#define MAXWORKERS	7

static int ncpus(void)
{
	const char *e = getenv("KMAPTOOL_THREADS");
	cpu_set_t set;
	int n = 1;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (e && *e)
		n = atoi(e);
	if (n > MAXWORKERS + 1)
		n = MAXWORKERS + 1;
	return n < 1 ? 1 : n;
}

/*
 * A forked consumer (summary) has each thread fill tables of its own,
 * probed at random and joined at the end: work that one thread does not
 * do.  That pays on idle CPUs.  When the run queue already fills every
 * CPU (a load average at or above their number), a thread more only adds
 * that work, so one thread reads.  KMAPTOOL_THREADS, when set, decides.
 */
bool pool_wanted(const struct consumer *c)
{
	const char *e = getenv("KMAPTOOL_THREADS");
	int n = ncpus();
	double load;

	if (n > 1 && c->fork && !(e && *e) && getloadavg(&load, 1) == 1 &&
	    load >= n)
		return false;
	return n > 1;
}

struct slot {
	bool ready;		/* parsed, for the consumer */
	u64 idx;		/* which chunk */
	char *start, *end;
	struct sink k;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *next, *body_end;	/* input not yet claimed */
	u64 claimed, consumed;
	bool stop;
	int nslots;
	struct slot *slot;
	u64 seq0;		/* forked: chunk i numbers from seq0 + (i << 32) */
};

/* A thread's forked consumer (NULL: records for the in-order delivery). */
struct worker {
	struct pool *pl;
	struct consumer c;
	bool forked;
};

/* The start of the first object line at or after p (or end). */
static char *object_line_at_or_after(char *p, char *end)
{
	while (p < end) {
		char *nl;

		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return p;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return end;
		p = nl + 1;
	}
	return end;
}

/*
 * Claims the next chunk (pool locked): its slot, or NULL with *done set
 * when the input is all claimed (else the window of slots is full).
 */
static struct slot *claim(struct pool *pl, bool *done)
{
	struct slot *sl;
	char *end;

	*done = pl->stop || pl->next == pl->body_end;
	if (*done || pl->claimed >= pl->consumed + (u64)pl->nslots)
		return NULL;
	end = pl->next + CHUNK;
	if (end >= pl->body_end) {
		end = pl->body_end;
	} else {
		end = memchr(end, '\n', (size_t)(pl->body_end - end));
		end = end ? object_line_at_or_after(end + 1, pl->body_end) : pl->body_end;
	}
	sl = &pl->slot[pl->claimed % (u64)pl->nslots];
	sl->idx = pl->claimed++;
	sl->start = pl->next;
	sl->end = end;
	sl->ready = false;
	pl->next = end;
	return sl;
}

/* Parses a claimed chunk (pool unlocked), then hands it over. */
static void parse_chunk(struct worker *w, struct slot *sl)
{
	struct pool *pl = w->pl;
	struct sink *k = &sl->k;
	struct delivery d = {
		.c = &w->c, .own_seq = true,
		.seq = pl->seq0 + (sl->idx << SEQ_BLOCK_BITS),
	};
	struct rec eof = { .kind = R_EOF };

	/*
	 * A chunk starts at an object line (or the file's start), so it needs
	 * nothing of the chunks before it.
	 */
	k->n = 0;
	k->have = false;
	k->orphans = false;
	k->lines = k->nbad = k->norphan = 0;
	k->failed = false;
	k->d = w->forked ? &d : NULL;
	parse_region(k, sl->start, sl->end);
	if (w->forked)
		deliver(&d, &eof);
	pthread_mutex_lock(&pl->mu);
	sl->ready = true;
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct pool *pl = w->pl;

	for (;;) {
		struct slot *sl;
		bool done;

		pthread_mutex_lock(&pl->mu);
		while (!(sl = claim(pl, &done)) && !done)
			pthread_cond_wait(&pl->cv, &pl->mu);
		pthread_mutex_unlock(&pl->mu);
		if (!sl) {
			parse_thread_exit();
			return NULL;
		}
		parse_chunk(w, sl);
	}
}

/*
 * Where the chunked part ends: at an object line SRC_PAD bytes or more
 * before the end of the mapping.  The rest is parsed from a padded copy.
 */
static char *body_end(struct src *s)
{
	char *p;

	if (s->mapsize <= SRC_PAD)
		return s->map;
	p = s->map + s->mapsize - SRC_PAD;
	while (p > s->map) {
		char *nl = memrchr(s->map, '\n', (size_t)(p - s->map));

		if (!nl)
			return s->map;
		if (nl[1] != ' ' && nl[1] != '\t' && nl[1] != '\n' && nl[1] != '\r' &&
		    nl + 1 < s->map + s->mapsize - SRC_PAD)
			return nl + 1;
		p = nl;
	}
	return s->map;
}

void pool_run(struct src *s, struct consumer *c)
{
	struct delivery d = { .c = c };
	struct rec eof = { .kind = R_EOF };
	pthread_t tid[MAXWORKERS];
	struct worker w[MAXWORKERS + 1];	/* w[0]: this thread */
	int nworkers = ncpus() - 1, started = 0;
	bool forked = c->fork && c->join, failed = false;
	struct pool pl;
	u64 base = 0;
	char *tail, *end, err[sizeof(pl.slot->k.err)];

	memset(&pl, 0, sizeof(pl));
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv, NULL);
	pl.next = s->map;
	pl.body_end = body_end(s);
	/*
	 * Chunks parsed ahead of the oldest one not done.  In order, their
	 * records wait in memory.  Forked, nothing does but their mapped pages
	 * (released in order): a wide window lets the other threads go on
	 * while one is off its CPU, as happens on a busy machine.
	 */
	pl.nslots = (forked ? 32 : 4) * (nworkers + 1);
	pl.slot = xcalloc((size_t)pl.nslots, sizeof(*pl.slot));
	if (forked)	/* every chunk, and the tail after them */
		pl.seq0 = parse_seq_blocks(s->mapsize / CHUNK + 2);
	for (int i = 0; i <= nworkers; i++) {
		w[i].pl = &pl;
		w[i].c = *c;
		w[i].forked = forked;
		if (forked && i)
			w[i].c.ctx = c->fork(c->ctx);
	}
	for (int i = 1; i <= nworkers; i++)
		if (pthread_create(&tid[started], NULL, worker, &w[i]) == 0)
			started++;

	for (u64 idx = 0; !failed; idx++) {
		struct slot *sl = &pl.slot[idx % (u64)pl.nslots];
		char *p, *e;

		pthread_mutex_lock(&pl.mu);
		while (!(sl->ready && sl->idx == idx)) {
			struct slot *mine;
			bool done;

			/* Not ready: parse a chunk rather than wait. */
			mine = claim(&pl, &done);
			if (mine) {
				pthread_mutex_unlock(&pl.mu);
				parse_chunk(&w[0], mine);
				pthread_mutex_lock(&pl.mu);
				continue;
			}
			if (done && idx >= pl.claimed)
				break;
			pthread_cond_wait(&pl.cv, &pl.mu);
		}
		if (idx >= pl.claimed) {
			pthread_mutex_unlock(&pl.mu);
			break;	/* every chunk delivered */
		}
		pthread_mutex_unlock(&pl.mu);

		for (p = sl->k.buf, e = p + sl->k.n; !forked && p < e;) {
			struct rec *r = (struct rec *)p;

			p += rec_size(r->kind);
			if (r->kind == R_ACC)
				deliver_acc(&d, &r->a);
			else
				deliver(&d, r);
		}
		parse_count(sl->k.nbad, sl->k.norphan);
		if (sl->k.failed) {
			failed = true;
			base += sl->k.errline;
			memcpy(err, sl->k.err, sizeof(err));
		} else {
			base += sl->k.lines;
			src_release(s, sl->end);
		}

		pthread_mutex_lock(&pl.mu);
		pl.consumed++;
		pl.stop |= failed;
		pthread_cond_broadcast(&pl.cv);
		pthread_mutex_unlock(&pl.mu);
	}
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (failed)
		parse_fail(s, base, err);

	/* The tail, after every chunk: padded copy, same state. */
	tail = NULL;
	if (forked) {
		d.own_seq = true;
		d.seq = pl.seq0 + (pl.claimed << SEQ_BLOCK_BITS);
	}
	if (pl.body_end < s->map + s->mapsize) {
		size_t n = (size_t)(s->map + s->mapsize - pl.body_end);
		struct sink k = { .d = &d, .lines = base };

		tail = xcalloc(n + 1 + SRC_PAD, 1);
		memcpy(tail, pl.body_end, n);
		if (tail[n - 1] != '\n')
			tail[n++] = '\n';
		end = tail + n;
		parse_region(&k, tail, end);
		parse_count(k.nbad, k.norphan);
		if (k.failed)
			parse_fail(s, k.errline, k.err);
	}
	deliver(&d, &eof);
	for (int i = 1; forked && i <= nworkers; i++)
		c->join(c->ctx, w[i].c.ctx);
	free(tail);
	for (int i = 0; i < pl.nslots; i++)
		free(pl.slot[i].k.buf);
	free(pl.slot);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.cv);
}
