/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memorizer internals shared by the recorder's files.
 *
 * The recorder is not instrumented, but the atomic_*() and cmpxchg()
 * wrappers report to KASAN explicitly, which would record the recorder's
 * own bookkeeping as accesses: its files use the arch_ forms.
 */
#ifndef _MM_MEMORIZER_H
#define _MM_MEMORIZER_H

#include <linux/atomic.h>
#include <linux/irqflags.h>
#include <linux/memorizer.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/types.h>

struct dentry;

/*
 * Slot states; a slot's state is written last (release).  Counter records
 * share the pool with descriptors and read MZ_ACC, so scans skip them.
 */
enum mz_state { MZ_FREE = 0, MZ_LIVE, MZ_FREED, MZ_ACC };

/* Descriptor flags. */
#define MZ_F_PAGES	0x01	/* size is in pages (object >= 4 GiB) */
#define MZ_F_PRINTED	0x02	/* freed and already reported by kmap */
#define MZ_F_UNSEEN	0x04	/* free never seen: free_ip prints deadbeef */
#define MZ_F_CLEARING	0x08	/* being cleared: takes no new counters */
#define MZ_F_QUEUED	0x10	/* waiting for the kmap_stream reader */

struct mz_acc;

/*
 * One tracked object: 64 bytes, one pool slot.  IPs are kept as their low
 * 32 bits: all x86_64 kernel text lies in the top 2 GiB, so the high half
 * is implied (see mz_ip_decode()).  Strings are ids in mz_names.
 */
struct mz_obj {
	struct mz_obj *next;	/* object table chain */
	unsigned long va;
	u64 alloc_index;
	u64 free_index;
	struct mz_acc *acc;	/* its counter records, newest first */
	u32 alloc_ip;
	u32 free_ip;
	u32 size;
	s32 pid;
	u16 comm;
	u16 cache;
	u8 type;
	u8 new_type;		/* NR_MEMORIZER_TYPES when none */
	u8 state;
	u8 flags;
};

#define MZ_SLOT_SIZE	64
/* The page map and the globals index name a slot by a u32, plus one. */
#define MZ_POOL_MAX_SLOTS	((unsigned long)U32_MAX - 1)

/*
 * A counter record's key names whom it counts for: a task, by the number
 * memorizer_task_init() gave it (a pid may be reused, this number is not
 * until it wraps, after 2^31 tasks);
 * interrupt context; or, once tasks have exited and been retired
 * (retire.c), every exited task of one command.
 */
#define MZ_KEY_IRQ	U32_MAX
#define MZ_KEY_AGG	0x80000000u	/* | the command's name id */
#define MZ_KEY_TASKS	0x7fffffffu	/* task numbers, wrapping */
/* In task_struct.memorizer_id, over the number: the task has records. */
#define MZ_ID_RECORDED	0x80000000u

/* The access_pid a command's aggregate record prints. */
#define MZ_PID_RETIRED	(-2)

/*
 * One counter record: how often one instruction read and wrote one object
 * on behalf of one task (or interrupt context, or a command's exited
 * tasks).  A pool slot, like a descriptor; its state byte sits where a
 * descriptor's does and reads MZ_ACC.
 */
struct mz_acc {
	struct mz_acc *hnext;	/* counter table chain */
	struct mz_acc *onext;	/* the object's next record */
	struct mz_obj *obj;
	atomic_long_t reads;
	atomic_long_t writes;
	struct mz_acc *dnext;	/* retiring: the next record to free */
	u32 ip;
	s32 pid;
	u32 key;
	u16 comm;		/* an aggregate's command */
	u8 state;
	u8 flags;
};

/* Counter record flags. */
#define MZ_ACC_MERGED	0x01	/* retired into an aggregate, still listed */

/*
 * Flags change after an object is published (the kmap reader, clearing,
 * the stream): update them atomically.
 */
static inline void mz_flags_update(struct mz_obj *o, u8 set, u8 clear)
{
	u8 old = READ_ONCE(o->flags);

	while (!arch_try_cmpxchg(&o->flags, &old, (old & ~clear) | set))
		;
}

/* Synthetic free IP of the kmap format. */
#define MZ_IP_UNSEEN	0xdeadbeefUL	/* an object appeared over a live one */

static inline u32 mz_ip_encode(unsigned long ip)
{
	return (u32)ip;
}

static inline unsigned long mz_ip_decode(u32 v)
{
	return (v & 0x80000000u) ? (0xffffffff00000000UL | v) : v;
}

/* The free IP to print; synthetic ones are flags, not encoded IPs. */
static inline unsigned long mz_free_ip(const struct mz_obj *o)
{
	return (o->flags & MZ_F_UNSEEN) ? MZ_IP_UNSEEN : mz_ip_decode(o->free_ip);
}

static inline unsigned long mz_obj_size(const struct mz_obj *o)
{
	return (o->flags & MZ_F_PAGES) ? (unsigned long)o->size << PAGE_SHIFT : o->size;
}

/*
 * The recorder's locks: one word taken with an arch_ cmpxchg, interrupts
 * off.  Not raw_spinlock_t: lockdep, the spinlock debugging code and the
 * queued-lock slow path are instrumented, so every load they made would
 * come back to the access hook (and cost far more than the lock).  The
 * locks are leaves held for a few stores; the only nesting is a counter
 * table lock, then the pool's.
 */
struct mz_spinlock {
	atomic_t v;
};

static __always_inline void mz_lock_init(struct mz_spinlock *l)
{
	arch_atomic_set(&l->v, 0);
}

static __always_inline void mz_lock(struct mz_spinlock *l, unsigned long *flags)
{
	int old;

	raw_local_irq_save(*flags);
	for (;;) {
		old = 0;
		if (likely(arch_atomic_try_cmpxchg_acquire(&l->v, &old, 1)))
			return;
		while (arch_atomic_read(&l->v))
			cpu_relax();
	}
}

static __always_inline void mz_unlock(struct mz_spinlock *l, unsigned long flags)
{
	arch_atomic_set_release(&l->v, 0);
	raw_local_irq_restore(flags);
}

/*
 * pool.c: fixed-size slots from a region the recorder owns.  Each slot is
 * of one kind, and each kind may have slots reserved for it, so that
 * neither starves the other.
 */
enum mz_kind { MZ_KIND_OBJ, MZ_KIND_ACC, MZ_NR_KINDS };

static inline enum mz_kind mz_other_kind(enum mz_kind kind)
{
	return kind == MZ_KIND_OBJ ? MZ_KIND_ACC : MZ_KIND_OBJ;
}

struct mz_pool_cache {
	void *slot[16];
	unsigned int nr;
	long taken[MZ_NR_KINDS];	/* not yet added to the pool's in_use */
};

struct mz_pool {
	void *base;
	unsigned long nr_slots;
	atomic_long_t next;		/* slots [next, nr_slots) never used */
	struct mz_spinlock lock;	/* protects free_list, nr_free */
	void *free_list;
	unsigned long nr_free;
	atomic_long_t in_use[MZ_NR_KINDS];
	unsigned long reserve[MZ_NR_KINDS];	/* slots the other kind leaves */
	struct mz_pool_cache __percpu *pcp;
};

void mz_pool_init(struct mz_pool *pool, void *base, size_t bytes,
		  struct mz_pool_cache __percpu *pcp);
void *mz_pool_alloc(struct mz_pool *pool, enum mz_kind kind);
void mz_pool_free(struct mz_pool *pool, void *slot, enum mz_kind kind);
unsigned long mz_pool_in_use(struct mz_pool *pool, enum mz_kind kind);
bool mz_pool_full_for(struct mz_pool *pool, enum mz_kind kind);
extern unsigned int mz_reserve_pct[MZ_NR_KINDS];
void mz_reserves_init(void);
void mz_reserves_update(void);
int mz_set_reserve(enum mz_kind kind, unsigned int pct);
unsigned long mz_pool_used(struct mz_pool *pool);
unsigned long mz_pool_high_water(struct mz_pool *pool);

static inline void *mz_pool_slot(struct mz_pool *pool, unsigned long i)
{
	return pool->base + i * MZ_SLOT_SIZE;
}

/* table.c: start address -> live descriptor. */
#define MZ_TABLE_LOCKS	256

struct mz_table {
	struct mz_obj **buckets;
	unsigned int bits;
	struct mz_spinlock locks[MZ_TABLE_LOCKS];
};

void mz_table_init(struct mz_table *t, struct mz_obj **buckets, unsigned int bits);
struct mz_obj *mz_table_insert(struct mz_table *t, struct mz_obj *obj);
struct mz_obj *mz_table_remove(struct mz_table *t, unsigned long va, bool nested);
struct mz_obj *mz_table_lookup(struct mz_table *t, unsigned long va, bool nested);

/* counters.c: (object, ip, pid) -> counter record. */
struct mz_ctab {
	struct mz_acc **buckets;
	unsigned int bits;
	struct mz_spinlock locks[MZ_TABLE_LOCKS];
};

void mz_ctab_init(struct mz_ctab *t, struct mz_acc **buckets, unsigned int bits);
struct mz_acc *mz_ctab_get(struct mz_ctab *t, struct mz_pool *pool,
			   struct mz_obj *obj, u32 ip, u32 key, s32 pid);
bool mz_ctab_retire(struct mz_ctab *t, struct mz_acc *r);
void mz_ctab_unlist_merged(struct mz_obj *obj);
void mz_ctab_unlink(struct mz_ctab *t, struct mz_obj *obj);
void mz_ctab_free(struct mz_pool *pool, struct mz_obj *obj);

/* Slab objects and large kmallocs sit inside page-level objects. */
static inline bool mz_type_nested(u8 type)
{
	return type == MZ_MEM_KMALLOC || type == MZ_MEM_KMALLOC_ND ||
	       type == MZ_MEM_KMEM_CACHE || type == MZ_MEM_KMEM_CACHE_ND ||
	       type == MZ_MEM_KMEM_CACHE_BULK;
}

/* names.c: interned command and cache names. */
#define MZ_NAME_LEN	32

struct mz_names {
	char (*str)[MZ_NAME_LEN];
	u32 *hash;
	unsigned int size;		/* power of two */
	unsigned int used;
	atomic_long_t overflow;
	struct mz_spinlock lock;
};

void mz_names_init(struct mz_names *n, char (*str)[MZ_NAME_LEN], u32 *hash,
		   unsigned int size);
u16 mz_name_id(struct mz_names *n, const char *s, size_t len);
const char *mz_name(struct mz_names *n, u16 id);

/* format.c: the kmap line and the type names. */
const char *mz_type_name(unsigned int type);
void mz_format_obj(struct seq_file *m, const struct mz_obj *o,
		   const char *comm, const char *cache);
void mz_format_accesses(struct seq_file *m, const struct mz_obj *o,
			bool csv);

/* core.c: the recorder's state, used by debugfs. */
struct mz_stats {
	unsigned long recorded[NR_MEMORIZER_TYPES];
	unsigned long dropped[NR_MEMORIZER_TYPES];
	unsigned long frees;
	unsigned long unseen;		/* deadbeef overlaps */
	unsigned long reads;		/* accesses counted */
	unsigned long writes;
	unsigned long acc_dropped;	/* not counted: no pool slot */
	unsigned long acc_nmi;		/* not counted: NMI context */
	unsigned long acc_idle;		/* not counted: RCU not watching */
	unsigned long acc_recorder;	/* the recorder's own, not counted */
	unsigned long lookups;		/* accesses the hit cache missed */
	unsigned long globals_unindexed; /* no room: charged to their memory */
};

extern struct mz_pool mz_pool;
extern struct mz_ctab mz_ctab;
extern struct mz_table mz_table;
extern struct mz_names mz_comms, mz_caches;
extern bool mz_ready;
extern int mz_enabled;
extern bool mz_log_live, mz_log_accesses, mz_verbose, mz_index_time;
extern unsigned long mz_pool_bytes;
extern atomic_long_t mz_cleared;	/* descriptors returned by clearing */
extern atomic_t mz_gen;
extern struct mutex mz_report_lock;

/* The index of the pool slot @o is in. */
static inline u32 mz_slot_of(const struct mz_obj *o)
{
	return ((void *)o - mz_pool.base) / MZ_SLOT_SIZE;
}

void mz_stats_sum(struct mz_stats *sum);
unsigned long mz_metadata_bytes(void);
struct mz_obj *mz_record(u8 type, unsigned long va, unsigned long size,
			 unsigned long ip, u16 cache);
void __init mz_context_init(void);
u64 mz_index_now(void);
u64 mz_alloc_index_of(const void *va, bool nested);
void mz_set_log_accesses(bool on);
void mz_sync_key(void);
#ifdef CONFIG_MEMORIZER_TRACKPIDS
extern u8 mz_mark_epoch;
int mz_set_mode(int val);

/*
 * A task is marked when its mark holds the current epoch.  Writing 0 to
 * memorizer_enabled starts a new epoch, which unmarks every task at once,
 * including a child that fork copies an old mark into meanwhile.
 */
static inline bool mz_mark_valid(u8 mark)
{
	return mark && mark == READ_ONCE(mz_mark_epoch);
}
#else
static inline int mz_set_mode(int val)
{
	if (val != 0 && val != 1)
		return -EINVAL;
	WRITE_ONCE(mz_enabled, val);
	return 0;
}
#endif

/*
 * Whether the current context is recorded: mode 1 records everything,
 * 2 and 3 (and a pid) marked tasks, and 2 interrupt context too.
 */
static inline bool mz_ctx_wanted(void)
{
	int mode = READ_ONCE(mz_enabled);

	if (mode == 1)
		return true;
	if (!mode)
		return false;
	if (!in_task())
		return mode == 2;
#ifdef CONFIG_MEMORIZER_TRACKPIDS
	return mz_mark_valid(READ_ONCE(current->memorizer_enabled));
#else
	return false;
#endif
}
DECLARE_PER_CPU(struct mz_stats, mz_pcpu_stats);

/* params.c: kernel parameters, and the parsers the controls share. */
extern bool mz_boot_enabled;
int mz_parse_size(const char *arg, unsigned long *bytes);
int mz_parse_bool(const char *s, bool *val);
unsigned long mz_pool_size(unsigned long want, unsigned long mem);

/* pagemap.c: page frame -> page-level object. */
extern unsigned long mz_page_map_pfns;
void mz_pagemap_init(void);
unsigned long mz_pagemap_meta_bytes(void);
void mz_map_pages(unsigned long pfn, unsigned long nr, struct mz_obj *o);
void mz_unmap_pages(unsigned long pfn, unsigned long nr);
void mz_map_vmalloc(struct mz_obj *o);
struct mz_obj *mz_find_direct(unsigned long addr);
struct mz_obj *mz_find_vmalloc(unsigned long addr);

/* resolve.c: address -> what an access there is charged to. */
/* What an access is charged to, and over which addresses that holds. */
struct mz_cover {
	struct mz_obj *obj;
	unsigned long lo, hi;
	bool cache;		/* may stand in the hit cache for [lo, hi) */
};

void mz_resolve_init(void);
void mz_resolve(unsigned long addr, struct mz_cover *c);
struct mz_obj *mz_catchall(unsigned int i);

/* access.c: the access hook, its hit cache and the folding of counts. */
void mz_access_init(void);
void mz_guard_enter(void);
void mz_guard_exit(void);
void mz_access_fold(void);

/* clear.c: freed objects' slots back to the pool. */
void mz_clear(bool printed_only);
__printf(1, 2) void mz_warn(const char *fmt, ...);

/* globals.c: the globals KASAN registers, by address. */
struct mz_gindex {
	struct mz_obj **slot;		/* sorted by address */
	unsigned int cap, nr;
	unsigned int seq;		/* odd while changing */
	struct mz_spinlock lock;	/* serializes changes */
};

void mz_gindex_init(struct mz_gindex *ix, struct mz_obj **slot, unsigned int cap);
bool mz_gindex_insert(struct mz_gindex *ix, struct mz_obj *o);
void mz_gindex_drop(struct mz_gindex *ix, unsigned long start, unsigned long end,
		    void (*fn)(struct mz_obj *o, unsigned long ip), unsigned long ip);
struct mz_obj *mz_gindex_find(struct mz_gindex *ix, unsigned long addr,
			      unsigned long *lo, unsigned long *hi);
void mz_globals_init(void);
void mz_globals_late_init(void);
unsigned long mz_globals_meta_bytes(void);
void mz_add_global(struct mz_obj *o);
struct mz_obj *mz_find_global(unsigned long addr, unsigned long *lo,
			      unsigned long *hi);
#ifdef CONFIG_MODULES
struct mz_obj *mz_find_module_global(unsigned long addr, unsigned long *lo,
				     unsigned long *hi);
void mz_drop_module_globals(unsigned long start, unsigned long end,
			    void (*fn)(struct mz_obj *o, unsigned long ip),
			    unsigned long ip);
#endif

/* retire.c: exited tasks' records folded into per-command aggregates. */
extern unsigned int mz_retire_threshold;
extern atomic_long_t mz_tasks_unqueued, mz_tasks_retired, mz_records_retired;
extern atomic_long_t mz_retire_runs, mz_retire_usecs;
void mz_retire_init(void);
void mz_retire_late_init(void);
unsigned long mz_retire(void);
unsigned int mz_retire_queued(void);
unsigned long mz_retire_meta_bytes(void);

/* stream.c: kmap_stream. */
extern const struct file_operations mz_stream_fops;
extern atomic_long_t mz_stream_overflow;
void mz_stream_init(void);
void mz_stream_push(struct mz_obj *o);
unsigned long mz_stream_meta_bytes(void);

/* selftest.c: the exactness self-test trigger. */
#ifdef CONFIG_MEMORIZER_SELFTEST
void mz_selftest_init(struct dentry *dir);
#else
static inline void mz_selftest_init(struct dentry *dir) { }
#endif

#endif /* _MM_MEMORIZER_H */
