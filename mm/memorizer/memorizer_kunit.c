// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for Memorizer's units.  Each test builds private instances
 * (its own pool region, table and name table), so the recorder running in
 * the same kernel is not disturbed.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "memorizer.h"

static struct mz_pool *mk_pool(struct kunit *test, size_t slots)
{
	struct mz_pool *pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	void *base = kunit_kzalloc(test, slots * MZ_SLOT_SIZE, GFP_KERNEL);
	struct mz_pool_cache __percpu *pcp = alloc_percpu(struct mz_pool_cache);

	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_ASSERT_NOT_NULL(test, pcp);
	mz_pool_init(pool, base, slots * MZ_SLOT_SIZE, pcp);
	return pool;
}

static void pool_exhaustion_and_reuse(struct kunit *test)
{
	struct mz_pool *pool = mk_pool(test, 100);
	void *slots[100], *s;
	int i;

	for (i = 0; i < 100; i++) {
		slots[i] = mz_pool_alloc(pool, MZ_KIND_OBJ);
		KUNIT_ASSERT_NOT_NULL(test, slots[i]);
		KUNIT_EXPECT_TRUE(test, slots[i] >= pool->base &&
				  slots[i] < pool->base + 100 * MZ_SLOT_SIZE);
		memset(slots[i], 0xa5, MZ_SLOT_SIZE);
	}
	/* Exhausted: NULL, never a crash, and the count of used slots holds. */
	KUNIT_EXPECT_NULL(test, mz_pool_alloc(pool, MZ_KIND_OBJ));
	KUNIT_EXPECT_EQ(test, mz_pool_used(pool), 100UL);
	mz_pool_free(pool, slots[42], MZ_KIND_OBJ);
	KUNIT_EXPECT_EQ(test, mz_pool_used(pool), 99UL);
	s = mz_pool_alloc(pool, MZ_KIND_OBJ);
	KUNIT_EXPECT_PTR_EQ(test, s, slots[42]);
	/* A slot comes back zeroed. */
	KUNIT_EXPECT_EQ(test, ((u8 *)s)[0], 0);
	KUNIT_EXPECT_EQ(test, ((u8 *)s)[MZ_SLOT_SIZE - 1], 0);
	free_percpu(pool->pcp);
}

/* Neither kind of slot takes what is reserved for the other. */
static void pool_reserves(struct kunit *test)
{
	struct mz_pool *pool = mk_pool(test, 1000);
	void **acc = kunit_kcalloc(test, 1000, sizeof(void *), GFP_KERNEL);
	int nobj = 0, nacc = 0, i;

	KUNIT_ASSERT_NOT_NULL(test, acc);
	pool->reserve[MZ_KIND_OBJ] = 100;
	pool->reserve[MZ_KIND_ACC] = 250;
	/* on one CPU, the counts the check reads are exact */
	migrate_disable();
	while (nacc < 1000 && (acc[nacc] = mz_pool_alloc(pool, MZ_KIND_ACC)))
		nacc++;
	/* records stop at the descriptors' reserve, which descriptors get */
	KUNIT_EXPECT_EQ(test, nacc, 900);
	while (nobj < 1000 && mz_pool_alloc(pool, MZ_KIND_OBJ))
		nobj++;
	KUNIT_EXPECT_EQ(test, nobj, 100);
	KUNIT_EXPECT_EQ(test, mz_pool_in_use(pool, MZ_KIND_ACC), 900UL);
	KUNIT_EXPECT_EQ(test, mz_pool_in_use(pool, MZ_KIND_OBJ), 100UL);
	/* 700 records back: descriptors may grow to the records' reserve */
	for (i = 0; i < 700; i++)
		mz_pool_free(pool, acc[--nacc], MZ_KIND_ACC);
	KUNIT_EXPECT_EQ(test, mz_pool_in_use(pool, MZ_KIND_ACC), 200UL);
	nobj = 0;
	while (nobj < 1000 && mz_pool_alloc(pool, MZ_KIND_OBJ))
		nobj++;
	KUNIT_EXPECT_EQ(test, nobj, 650);
	/* and the records to theirs, 50 more, which fills the pool */
	while (nacc < 1000 && (acc[nacc] = mz_pool_alloc(pool, MZ_KIND_ACC)))
		nacc++;
	KUNIT_EXPECT_EQ(test, nacc, 250);
	KUNIT_EXPECT_EQ(test, mz_pool_used(pool), 1000UL);
	migrate_enable();
	free_percpu(pool->pcp);
}

static struct mz_table *mk_table(struct kunit *test, unsigned int bits)
{
	struct mz_table *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mz_obj **b = kunit_kzalloc(test, sizeof(*b) << bits, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, b);
	mz_table_init(t, b, bits);
	return t;
}

static void table_insert_lookup_remove(struct kunit *test)
{
	struct mz_table *t = mk_table(test, 4);
	struct mz_obj a = { .va = 0x1000, .type = MZ_MEM_ALLOC_PAGES };
	struct mz_obj b = { .va = 0x1000, .type = MZ_MEM_KMALLOC };
	struct mz_obj c = { .va = 0x1008, .type = MZ_MEM_KMALLOC };

	KUNIT_EXPECT_NULL(test, mz_table_insert(t, &a));
	/* The page and the object nested at its start are both live. */
	KUNIT_EXPECT_NULL(test, mz_table_insert(t, &b));
	KUNIT_EXPECT_NULL(test, mz_table_insert(t, &c));
	KUNIT_EXPECT_PTR_EQ(test, mz_table_lookup(t, 0x1000, false), &a);
	KUNIT_EXPECT_PTR_EQ(test, mz_table_lookup(t, 0x1000, true), &b);
	KUNIT_EXPECT_PTR_EQ(test, mz_table_lookup(t, 0x1008, true), &c);
	KUNIT_EXPECT_NULL(test, mz_table_lookup(t, 0x1010, true));
	KUNIT_EXPECT_PTR_EQ(test, mz_table_remove(t, 0x1000, true), &b);
	KUNIT_EXPECT_NULL(test, mz_table_remove(t, 0x1000, true));
	KUNIT_EXPECT_PTR_EQ(test, mz_table_lookup(t, 0x1000, false), &a);
	KUNIT_EXPECT_PTR_EQ(test, mz_table_remove(t, 0x1000, false), &a);
	KUNIT_EXPECT_PTR_EQ(test, mz_table_remove(t, 0x1008, true), &c);
}

static void table_overlap_replaces(struct kunit *test)
{
	struct mz_table *t = mk_table(test, 2);
	struct mz_obj a = { .va = 0x2000, .type = MZ_MEM_KMEM_CACHE };
	struct mz_obj b = { .va = 0x2000, .type = MZ_MEM_KMALLOC };

	KUNIT_EXPECT_NULL(test, mz_table_insert(t, &a));
	/* Same start, same level: the old object's free was never seen. */
	KUNIT_EXPECT_PTR_EQ(test, mz_table_insert(t, &b), &a);
	KUNIT_EXPECT_PTR_EQ(test, mz_table_lookup(t, 0x2000, true), &b);
}

#define MZ_KT_OBJS	512
#define MZ_KT_ROUNDS	200

struct table_worker {
	struct mz_table *t;
	struct mz_obj *objs;
	unsigned long base;
	int errors;
	struct completion done;
};

static int table_worker_fn(void *arg)
{
	struct table_worker *w = arg;
	int r, i;

	for (r = 0; r < MZ_KT_ROUNDS; r++) {
		for (i = 0; i < MZ_KT_OBJS; i++) {
			w->objs[i].va = w->base + i * 8;
			w->objs[i].type = MZ_MEM_KMALLOC;
			if (mz_table_insert(w->t, &w->objs[i]))
				w->errors++;
		}
		for (i = 0; i < MZ_KT_OBJS; i++)
			if (mz_table_lookup(w->t, w->base + i * 8, true) != &w->objs[i])
				w->errors++;
		for (i = 0; i < MZ_KT_OBJS; i++)
			if (mz_table_remove(w->t, w->base + i * 8, true) != &w->objs[i])
				w->errors++;
		cond_resched();
	}
	complete(&w->done);
	return 0;
}

/* Every CPU inserts, finds and removes its own objects in one table. */
static void table_concurrent(struct kunit *test)
{
	struct mz_table *t = mk_table(test, 6);	/* few buckets: shared chains */
	int n = num_online_cpus() * 2, i, cpu = 0;
	struct table_worker *w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	for (i = 0; i < n; i++) {
		struct task_struct *k;

		w[i].t = t;
		w[i].base = 0x100000UL * (i + 1);
		w[i].objs = kunit_kcalloc(test, MZ_KT_OBJS, sizeof(struct mz_obj), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, w[i].objs);
		init_completion(&w[i].done);
		k = kthread_create(table_worker_fn, &w[i], "mz_kunit/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
		kthread_bind(k, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		wake_up_process(k);
	}
	for (i = 0; i < n; i++) {
		wait_for_completion(&w[i].done);
		KUNIT_EXPECT_EQ(test, w[i].errors, 0);
	}
	for (i = 0; i < (1 << 6); i++)
		KUNIT_EXPECT_NULL(test, t->buckets[i]);
}

static void names_intern(struct kunit *test)
{
	struct mz_names *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);
	char (*str)[MZ_NAME_LEN] = kunit_kcalloc(test, 8, MZ_NAME_LEN, GFP_KERNEL);
	u32 *hash = kunit_kcalloc(test, 8, sizeof(u32), GFP_KERNEL);
	u16 a, b, c;

	KUNIT_ASSERT_NOT_NULL(test, n);
	KUNIT_ASSERT_NOT_NULL(test, str);
	KUNIT_ASSERT_NOT_NULL(test, hash);
	mz_names_init(n, str, hash, 8);
	a = mz_name_id(n, "bash", 16);
	b = mz_name_id(n, "kworker/0:1", 16);
	KUNIT_EXPECT_NE(test, a, 0);
	KUNIT_EXPECT_NE(test, a, b);
	KUNIT_EXPECT_EQ(test, mz_name_id(n, "bash", 16), a);
	KUNIT_EXPECT_STREQ(test, mz_name(n, b), "kworker/0:1");
	/* Commas and control characters would break the CSV. */
	c = mz_name_id(n, "a,b\nc", 16);
	KUNIT_EXPECT_STREQ(test, mz_name(n, c), "a_b_c");
	/* Full (3/4 of 8 slots, one is "?"): new names map to id 0. */
	mz_name_id(n, "x", 16);
	mz_name_id(n, "y", 16);
	KUNIT_EXPECT_EQ(test, mz_name_id(n, "z", 16), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&n->overflow), 1L);
	KUNIT_EXPECT_STREQ(test, mz_name(n, 0), "?");
}

static struct mz_ctab *mk_ctab(struct kunit *test, unsigned int bits)
{
	struct mz_ctab *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct mz_acc **b = kunit_kzalloc(test, sizeof(*b) << bits, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, b);
	mz_ctab_init(t, b, bits);
	return t;
}

static int acc_list_len(struct mz_obj *o)
{
	struct mz_acc *r;
	int n = 0;

	for (r = o->acc; r; r = r->onext)
		n++;
	return n;
}

static void acc_add(struct mz_acc *r, long reads, long writes)
{
	atomic_long_add(reads, &r->reads);
	atomic_long_add(writes, &r->writes);
}

/*
 * Exited tasks' records fold into one aggregate per object, instruction
 * and command: the first becomes it (no slot needed), later ones add to it
 * and leave the table and the object's list; counts stay exact.
 */
static void retire_records(struct kunit *test)
{
	struct mz_pool *pool = mk_pool(test, 32);
	struct mz_ctab *t = mk_ctab(test, 4);
	struct mz_obj *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	struct mz_acc *a1, *a2, *b1, *live, *agg;

	KUNIT_ASSERT_NOT_NULL(test, o);
	a1 = mz_ctab_get(t, pool, o, 0x1000, 5, 100);
	a2 = mz_ctab_get(t, pool, o, 0x1000, 6, 101);
	b1 = mz_ctab_get(t, pool, o, 0x2000, 5, 100);
	live = mz_ctab_get(t, pool, o, 0x1000, 7, 102);
	KUNIT_ASSERT_TRUE(test, a1 && a2 && b1 && live);
	acc_add(a1, 3, 1);
	acc_add(a2, 4, 0);
	acc_add(b1, 0, 2);
	acc_add(live, 9, 9);

	/* the first of (o, 0x1000, command 9) becomes the aggregate */
	a1->comm = 9;
	KUNIT_EXPECT_FALSE(test, mz_ctab_retire(t, a1));
	KUNIT_EXPECT_EQ(test, a1->pid, MZ_PID_RETIRED);
	KUNIT_EXPECT_PTR_EQ(test, mz_ctab_get(t, pool, o, 0x1000, MZ_KEY_AGG | 9, 0), a1);
	/* its task's key no longer finds it: a new record */
	KUNIT_EXPECT_PTR_NE(test, mz_ctab_get(t, pool, o, 0x1000, 5, 100), a1);
	KUNIT_EXPECT_EQ(test, acc_list_len(o), 5);

	/* the second adds to it and is done with */
	a2->comm = 9;
	KUNIT_EXPECT_TRUE(test, mz_ctab_retire(t, a2));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a1->reads), 7L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a1->writes), 1L);
	/* still listed until the object's merged records go in one walk */
	KUNIT_EXPECT_EQ(test, acc_list_len(o), 5);
	mz_ctab_unlist_merged(o);
	KUNIT_EXPECT_EQ(test, acc_list_len(o), 4);
	KUNIT_EXPECT_EQ(test, a2->flags & MZ_ACC_MERGED, 0);
	for (agg = o->acc; agg; agg = agg->onext)
		KUNIT_EXPECT_PTR_NE(test, agg, a2);
	KUNIT_EXPECT_PTR_NE(test, mz_ctab_get(t, pool, o, 0x1000, 6, 101), a2);

	/* another instruction or command has an aggregate of its own */
	b1->comm = 10;
	KUNIT_EXPECT_FALSE(test, mz_ctab_retire(t, b1));
	agg = mz_ctab_get(t, pool, o, 0x2000, MZ_KEY_AGG | 10, 0);
	KUNIT_EXPECT_PTR_EQ(test, agg, b1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&agg->writes), 2L);
	KUNIT_EXPECT_PTR_EQ(test, mz_ctab_get(t, pool, o, 0x1000, 7, 102), live);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&live->reads), 9L);
	free_percpu(pool->pcp);
}

static void format_line(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 256, GFP_KERNEL);
	struct seq_file m = { .buf = buf, .size = 256 };
	struct mz_obj o = {
		.va = 0xffff888001234560UL, .size = 100, .pid = 42,
		.alloc_index = 7, .free_index = 9, .type = MZ_MEM_KMALLOC,
		.new_type = NR_MEMORIZER_TYPES, .state = MZ_FREED,
		.alloc_ip = mz_ip_encode(0xffffffff81234567UL),
		.flags = MZ_F_UNSEEN,
	};
	struct mz_acc r = {};

	KUNIT_ASSERT_NOT_NULL(test, buf);
	mz_format_obj(&m, &o, "bash", "kmalloc-128");
	KUNIT_EXPECT_STREQ(test, buf,
		"ffffffff81234567,42,ffff888001234560,100,7,9,deadbeef,KMALLOC,bash,kmalloc-128,\n");
	/* A live object prints 0 free fields; pages carry new_alloc_type. */
	m.count = 0;
	memset(buf, 0, 256);
	o.state = MZ_LIVE;
	o.type = MZ_MEM_ALLOC_PAGES;
	o.new_type = MZ_MEM_KMALLOC;
	o.size = 1;
	o.flags = MZ_F_PAGES;
	o.free_ip = mz_ip_encode(0xffffffff81000010UL);
	o.pid = -1;
	mz_format_obj(&m, &o, "softirq", NULL);
	KUNIT_EXPECT_STREQ(test, buf,
		"ffffffff81234567,-1,ffff888001234560,4096,7,0,0,ALLOC_PAGES,softirq,no-slab,KMALLOC\n");

	/* a command's aggregate of exited tasks names the command */
	r.ip = mz_ip_encode(0xffffffff81000020UL);
	r.pid = MZ_PID_RETIRED;
	r.comm = mz_name_id(&mz_comms, "mzchurn", 7);
	atomic_long_set(&r.writes, 3);
	o.acc = &r;
	m.count = 0;
	memset(buf, 0, 256);
	mz_format_accesses(&m, &o, false);
	KUNIT_EXPECT_STREQ(test, buf, "  ffffffff81000020,3,0,-2,mzchurn\n");
	m.count = 0;
	memset(buf, 0, 256);
	mz_format_accesses(&m, &o, true);
	KUNIT_EXPECT_STREQ(test, buf, "ffff888001234560,7,ffffffff81000020,3,0,-2,mzchurn\n");
	/* a task's own line is unchanged; its CSV row has a blank command */
	r.pid = 42;
	m.count = 0;
	memset(buf, 0, 256);
	mz_format_accesses(&m, &o, false);
	KUNIT_EXPECT_STREQ(test, buf, "  ffffffff81000020,3,0,42\n");
	m.count = 0;
	memset(buf, 0, 256);
	mz_format_accesses(&m, &o, true);
	KUNIT_EXPECT_STREQ(test, buf, "ffff888001234560,7,ffffffff81000020,3,0,42,\n");
}

/* One strict boolean parser for the controls and the boot parameters. */
static void bool_parse(struct kunit *test)
{
	static const char *const bad[] = { "yesno", "2", "", "nope", "o", " 1", NULL };
	bool v = false;
	int i;

	KUNIT_EXPECT_EQ(test, mz_parse_bool("YES", &v), 0);
	KUNIT_EXPECT_TRUE(test, v);
	KUNIT_EXPECT_EQ(test, mz_parse_bool("off", &v), 0);
	KUNIT_EXPECT_FALSE(test, v);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = true;
		KUNIT_EXPECT_EQ(test, mz_parse_bool(bad[i], &v), -EINVAL);
		KUNIT_EXPECT_TRUE(test, v);
	}
}

/* memalloc_size=: GiB or a suffix; too large a number is an error. */
static void pool_size_parse(struct kunit *test)
{
	unsigned long b = 1;

	KUNIT_EXPECT_EQ(test, mz_parse_size("4", &b), 0);
	KUNIT_EXPECT_EQ(test, b, 4UL << 30);
	KUNIT_EXPECT_EQ(test, mz_parse_size("2M", &b), 0);
	KUNIT_EXPECT_EQ(test, b, 2UL << 20);
	KUNIT_EXPECT_EQ(test, mz_parse_size("512k", &b), 0);
	KUNIT_EXPECT_EQ(test, b, 512UL << 10);
	b = 1;
	/* 2^34 GiB and 2^44 TiB wrap a 64-bit shift */
	KUNIT_EXPECT_EQ(test, mz_parse_size("17179869184", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("17592186044416T", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("99999999999999999999", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("4X", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("4MB", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, mz_parse_size("-1", &b), -EINVAL);
	KUNIT_EXPECT_EQ(test, b, 1UL);	/* untouched by a failure */
}

/* The pool: a quarter of memory at most, and never more slots than a u32 names. */
static void pool_size_limits(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mz_pool_size(4UL << 30, 1UL << 30), 256UL << 20);
	KUNIT_EXPECT_EQ(test, mz_pool_size(64UL << 20, 1UL << 30), 64UL << 20);
	KUNIT_EXPECT_EQ(test, mz_pool_size(5000, 1UL << 30), 4096UL);
	KUNIT_EXPECT_LE(test, mz_pool_size(1UL << 40, 1UL << 42) / MZ_SLOT_SIZE,
			MZ_POOL_MAX_SLOTS);
	KUNIT_EXPECT_GT(test, mz_pool_size(1UL << 40, 1UL << 42), 255UL << 30);
}

#ifdef CONFIG_MEMORIZER_TRACKPIDS
/*
 * Writing 0 unmarks every task, also a child fork copied the mark into
 * while the walk over the tasks ran (the child was not on the list yet).
 */
static void mark_copied_by_fork_is_void(struct kunit *test)
{
	int mode = READ_ONCE(mz_enabled);
	u8 child;

	KUNIT_ASSERT_EQ(test, mz_set_mode(3), 0);
	KUNIT_EXPECT_TRUE(test, mz_mark_valid(READ_ONCE(current->memorizer_enabled)));
	child = READ_ONCE(current->memorizer_enabled);	/* what fork copies */
	KUNIT_EXPECT_EQ(test, mz_set_mode(0), 0);
	KUNIT_EXPECT_FALSE(test, mz_mark_valid(READ_ONCE(current->memorizer_enabled)));
	KUNIT_EXPECT_FALSE(test, mz_mark_valid(child));
	/* a mark set afterwards counts again */
	KUNIT_EXPECT_EQ(test, mz_set_mode(2), 0);
	KUNIT_EXPECT_TRUE(test, mz_mark_valid(READ_ONCE(current->memorizer_enabled)));
	KUNIT_EXPECT_FALSE(test, mz_mark_valid(child));
	KUNIT_EXPECT_EQ(test, mz_set_mode(0), 0);
	KUNIT_EXPECT_EQ(test, mz_set_mode(mode > 3 ? 0 : mode), 0);
}
#endif

static unsigned int gindex_dropped;
static unsigned long gindex_drop_ip;

static void gindex_drop_one(struct mz_obj *o, unsigned long ip)
{
	gindex_dropped++;
	gindex_drop_ip = ip;
	o->state = MZ_FREED;
}

/*
 * The modules' globals index: inserts in any order, finds a global or the
 * gap around an address, has a fixed room, drops a freed range (a module's
 * memory), and makes the hit caches' entries stale on every insert.
 */
static void globals_index(struct kunit *test)
{
	struct mz_obj *o = kunit_kzalloc(test, 6 * sizeof(*o), GFP_KERNEL);
	struct mz_obj **slot = kunit_kzalloc(test, 5 * sizeof(*slot), GFP_KERNEL);
	static const unsigned int order[] = { 2, 0, 4, 1, 3 };
	struct mz_gindex ix;
	unsigned long lo, hi;
	unsigned int i;
	u32 gen;

	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	mz_gindex_init(&ix, slot, 5);
	for (i = 0; i < 6; i++) {	/* globals at 100, 200, ... of 10 bytes */
		o[i].va = 100 * (i + 1);
		o[i].size = 10;
		o[i].state = MZ_LIVE;
	}
	for (i = 0; i < 5; i++) {
		gen = arch_atomic_read(&mz_gen);
		KUNIT_EXPECT_TRUE(test, mz_gindex_insert(&ix, &o[order[i]]));
		KUNIT_EXPECT_NE(test, gen, (u32)arch_atomic_read(&mz_gen));
	}
	KUNIT_EXPECT_FALSE(test, mz_gindex_insert(&ix, &o[5]));
	for (i = 0; i < 5; i++) {
		lo = 0;
		hi = 1000;
		KUNIT_EXPECT_PTR_EQ(test, mz_gindex_find(&ix, o[i].va + 9, &lo, &hi), &o[i]);
	}
	lo = 0;
	hi = 1000;
	KUNIT_EXPECT_NULL(test, mz_gindex_find(&ix, 150, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, 110UL);
	KUNIT_EXPECT_EQ(test, hi, 200UL);
	lo = 0;
	hi = 1000;
	KUNIT_EXPECT_NULL(test, mz_gindex_find(&ix, 50, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, 0UL);
	KUNIT_EXPECT_EQ(test, hi, 100UL);
	lo = 0;
	hi = 1000;
	KUNIT_EXPECT_NULL(test, mz_gindex_find(&ix, 600, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, 510UL);
	KUNIT_EXPECT_EQ(test, hi, 1000UL);

	/* a module's memory [200, 400) goes: the globals inside it with it */
	mz_gindex_drop(&ix, 200, 400, gindex_drop_one, 42);
	KUNIT_EXPECT_EQ(test, gindex_dropped, 2U);
	KUNIT_EXPECT_EQ(test, gindex_drop_ip, 42UL);
	KUNIT_EXPECT_EQ(test, o[1].state, (u8)MZ_FREED);
	KUNIT_EXPECT_EQ(test, o[2].state, (u8)MZ_FREED);
	lo = 0;
	hi = 1000;
	KUNIT_EXPECT_NULL(test, mz_gindex_find(&ix, 205, &lo, &hi));
	KUNIT_EXPECT_EQ(test, lo, 110UL);
	KUNIT_EXPECT_EQ(test, hi, 400UL);
	KUNIT_EXPECT_PTR_EQ(test, mz_gindex_find(&ix, 400, &lo, &hi), &o[3]);
	/* room again */
	KUNIT_EXPECT_TRUE(test, mz_gindex_insert(&ix, &o[5]));
	/* a global closed but still in the index is not found */
	o[4].state = MZ_FREED;
	KUNIT_EXPECT_NULL(test, mz_gindex_find(&ix, 505, &lo, &hi));
}

/*
 * The smallest rise of mz_gen over @n runs of @step: the running recorder
 * may bump it too (a page taking over memblock memory), never lower it.
 */
static int min_gen_rise(void (*step)(void *), void *arg, int n)
{
	int i, g, rise, min = INT_MAX;

	for (i = 0; i < n; i++) {
		g = atomic_read(&mz_gen);
		step(arg);
		rise = atomic_read(&mz_gen) - g;
		min = min(min, rise);
	}
	return min;
}

struct gen_case {
	struct mz_obj *obj[2];
	unsigned long pfn;
	int turn;
};

/* Map the area to the other descriptor: every frame changes hands. */
static void gen_remap_area(void *arg)
{
	struct gen_case *c = arg;

	mz_map_vmalloc(c->obj[c->turn++ & 1]);
}

/* Map the area to the descriptor that already has it. */
static void gen_map_same(void *arg)
{
	struct gen_case *c = arg;

	mz_map_vmalloc(c->obj[0]);
}

/* A frame of the first descriptor's, freed. */
static void gen_unmap(void *arg)
{
	struct gen_case *c = arg;

	mz_map_pages(c->pfn, 1, c->obj[0]);
	mz_unmap_pages(c->pfn, 1);
}

/*
 * Hit cache entries go stale, by a bump of mz_gen, when frames change
 * hands: once per vmalloc area however many pages it has, not for a map
 * that changes nothing, and when a frame of a cover still live is freed.
 * The descriptors are private: never live to the rest of the recorder.
 */
static void pagemap_generation(struct kunit *test)
{
	struct gen_case c = {};
	struct page *page;
	void *area;
	int i;

	if (!READ_ONCE(mz_ready))
		kunit_skip(test, "the recorder has no pool");
	c.obj[0] = mz_pool_alloc(&mz_pool, MZ_KIND_OBJ);
	c.obj[1] = mz_pool_alloc(&mz_pool, MZ_KIND_OBJ);
	if (!c.obj[0] || !c.obj[1]) {
		/* a boot with a tiny pool (the exhaustion test's) */
		if (c.obj[0])
			mz_pool_free(&mz_pool, c.obj[0], MZ_KIND_OBJ);
		if (c.obj[1])
			mz_pool_free(&mz_pool, c.obj[1], MZ_KIND_OBJ);
		kunit_skip(test, "the recorder's pool is full");
	}
	area = vmalloc(4 * PAGE_SIZE);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, area && page);
	for (i = 0; i < 2; i++) {
		c.obj[i]->va = (unsigned long)area;
		c.obj[i]->size = 4 * PAGE_SIZE;
		c.obj[i]->type = MZ_MEM_VMALLOC;
	}
	c.pfn = page_to_pfn(page);

	mz_map_vmalloc(c.obj[0]);
	c.turn = 1;
	KUNIT_EXPECT_EQ(test, min_gen_rise(gen_remap_area, &c, 5), 1);
	mz_map_vmalloc(c.obj[0]);
	KUNIT_EXPECT_EQ(test, min_gen_rise(gen_map_same, &c, 5), 0);
	/* a frame of a closed object: its entries fail on its state */
	KUNIT_EXPECT_EQ(test, min_gen_rise(gen_unmap, &c, 5), 0);
	/* a frame of a live cover: they would still hit */
	WRITE_ONCE(c.obj[0]->state, MZ_LIVE);
	KUNIT_EXPECT_EQ(test, min_gen_rise(gen_unmap, &c, 5), 1);
	WRITE_ONCE(c.obj[0]->state, MZ_FREE);

	mz_map_vmalloc(c.obj[1]);
	vfree(area);
	__free_page(page);
	mz_pool_free(&mz_pool, c.obj[0], MZ_KIND_OBJ);
	mz_pool_free(&mz_pool, c.obj[1], MZ_KIND_OBJ);
}

/*
 * One instruction that walks objects on different pages keeps an entry
 * for each: after a first round, no access misses the hit cache.  With
 * sets by instruction alone, two entries for eight objects, every access
 * missed.  The counts still reach the records, each exactly once.
 */
#define HIT_OBJS	8
#define HIT_ROUNDS	4
#define HIT_TRIES	5

static unsigned long hit_round(unsigned long *page, unsigned long ip)
{
	unsigned long before = this_cpu_read(mz_pcpu_stats.lookups);
	int i;

	for (i = 0; i < HIT_OBJS; i++)
		memorizer_access(page[i], sizeof(long), false, ip);
	return this_cpu_read(mz_pcpu_stats.lookups) - before;
}

static void hit_cache_many_objects(struct kunit *test)
{
	unsigned long page[HIT_OBJS], ip = _THIS_IP_, flags, missed, least = ULONG_MAX;
	u32 key = current->memorizer_id & MZ_KEY_TASKS;
	int i, r, t;

	if (!IS_ENABLED(CONFIG_MEMORIZER_STATS))
		kunit_skip(test, "no stats to count the misses");
	if (!READ_ONCE(mz_ready) || READ_ONCE(mz_enabled) != 1)
		kunit_skip(test, "the recorder is not recording everything");
	for (i = 0, r = 0; i < HIT_OBJS; i++) {
		page[i] = __get_free_page(GFP_KERNEL);
		r += page[i] && mz_table_lookup(&mz_table, page[i], false);
	}
	if (r < HIT_OBJS) {
		for (i = 0; i < HIT_OBJS; i++)
			free_page(page[i]);
		kunit_skip(test, "no page, or the recorder's pool is full");
	}
	for (t = 0; t < HIT_TRIES; t++) {
		/* a gen bump elsewhere may cost misses: the least of the tries */
		local_irq_save(flags);
		hit_round(page, ip);
		for (missed = 0, r = 1; r < HIT_ROUNDS; r++)
			missed += hit_round(page, ip);
		local_irq_restore(flags);
		least = min(least, missed);
	}
	KUNIT_EXPECT_EQ(test, least, 0UL);

	mutex_lock(&mz_report_lock);
	mz_access_fold();
	for (i = 0; i < HIT_OBJS; i++) {
		struct mz_obj *o = mz_table_lookup(&mz_table, page[i], false);
		struct mz_acc *a = o ? mz_ctab_get(&mz_ctab, &mz_pool, o,
						   mz_ip_encode(ip), key, 0) : NULL;

		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&a->reads),
				(long)(HIT_TRIES * HIT_ROUNDS));
		KUNIT_EXPECT_EQ(test, atomic_long_read(&a->writes), 0L);
	}
	mutex_unlock(&mz_report_lock);
	for (i = 0; i < HIT_OBJS; i++)
		free_page(page[i]);
}

static struct kunit_case memorizer_cases[] = {
	KUNIT_CASE(pagemap_generation),
	KUNIT_CASE(hit_cache_many_objects),
	KUNIT_CASE(globals_index),
	KUNIT_CASE(retire_records),
	KUNIT_CASE(bool_parse),
	KUNIT_CASE(pool_size_parse),
	KUNIT_CASE(pool_size_limits),
#ifdef CONFIG_MEMORIZER_TRACKPIDS
	KUNIT_CASE(mark_copied_by_fork_is_void),
#endif
	KUNIT_CASE(pool_exhaustion_and_reuse),
	KUNIT_CASE(pool_reserves),
	KUNIT_CASE(table_insert_lookup_remove),
	KUNIT_CASE(table_overlap_replaces),
	KUNIT_CASE(table_concurrent),
	KUNIT_CASE(names_intern),
	KUNIT_CASE(format_line),
	{}
};

static struct kunit_suite memorizer_suite = {
	.name = "memorizer",
	.test_cases = memorizer_cases,
};
kunit_test_suite(memorizer_suite);

MODULE_LICENSE("GPL");
