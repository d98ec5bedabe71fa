// SPDX-License-Identifier: GPL-2.0
/*
 * The access hook: generic KASAN calls memorizer_access() for every
 * instrumented load and store and for every explicit check (memcpy,
 * copy_{to,from}_user, instrumented_*), and the recorder charges the access
 * to the object that covers the address (resolve.c).
 *
 * Most accesses repeat: the same instruction on the same object for the
 * same task.  A per-CPU cache, per context level, in sets of two entries
 * by instruction and page (mz_set()), remembers the covers (object and
 * byte range) and counter records last seen; a hit costs a few compares
 * and one increment of a count kept in the entry itself: no atomic
 * operation, no shared cache line.  The counts reach the record when a
 * miss takes the entry over and when a reader calls mz_access_fold(),
 * which has every CPU fold its entries.  An atomic increment of the
 * shared record on every hit instead made a traced fork/exec and tmpfs
 * workload 6% slower under QEMU TCG on 2 vCPUs (median of 4 runs); CPUs
 * contending for one record would make the difference larger.  An entry
 * is used only while its object is live and its generation current
 * (mz_gen: clearing recycles slots, a page changes hands unseen), and only
 * for covers nothing can appear in.
 *
 * A miss calls helpers that may be instrumented: a per-CPU, per-context
 * guard makes their accesses, and any access made while the lookup runs
 * on this CPU in the same context, return at once (counted as
 * acc_recorder).  NMIs are never recorded (acc_nmi): they may interrupt
 * the recorder holding a lock.  Nor is code that runs while RCU does not
 * watch the CPU, such as the idle loop (acc_idle).
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/context_tracking.h>
#include <linux/cpu.h>
#include <linux/hash.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include <asm/local.h>
#include "memorizer.h"

/* Whether KASAN calls memorizer_access(); see mz_set_log_accesses(). */
bool memorizer_access_on __read_mostly;


/*
 * Cache entries per CPU: most accesses are made in task context, and the
 * page in a set's choice (mz_set()) multiplies the entries an instruction
 * takes, so task context has four times the entries an interrupt level
 * has.  768 KiB per CPU in all.
 */
#define MZ_HITS_TASK	8192
#define MZ_HITS_IRQ	2048
#define MZ_HITS		(MZ_HITS_TASK + 2 * MZ_HITS_IRQ)
#define MZ_WAYS		2	/* entries a set holds: memorizer_access() */

/*
 * A hit cache entry, with the reads and writes counted through it and not
 * yet added to its record.  Only its CPU touches it: the access path at
 * its context level, with single-instruction increments, and
 * mz_fold_cpu() from an interrupt.
 */
struct mz_hit {
	unsigned long ip;
	unsigned long lo, hi;	/* the cover's bytes */
	struct mz_obj *obj;
	struct mz_acc *rec;
	u64 tag;		/* mz_tag(): for whom, and the generation */
	local_t reads, writes;
};

/* An entry's tag: whom it counts for (memorizer.h) and the generation. */
static __always_inline u64 mz_tag(u32 key, u32 gen)
{
	return (u64)gen << 32 | key;
}

/*
 * What the access path keeps per CPU: the guard (a bit per context level:
 * task, softirq, hardirq; NMIs are not recorded) and a hit cache per
 * level, one after the other.
 */
struct mz_cpu {
	u8 guard;
	struct mz_hit hits[MZ_HITS] ____cacheline_aligned;
};

static DEFINE_PER_CPU_ALIGNED(struct mz_cpu, mz_cpu);
atomic_t mz_gen;		/* bumped when a cache entry may go stale */

/* The per-access counters of the stats file (CONFIG_MEMORIZER_STATS). */
#define mz_acc_stat(field)						\
	do {								\
		if (IS_ENABLED(CONFIG_MEMORIZER_STATS))			\
			this_cpu_inc(mz_pcpu_stats.field);		\
	} while (0)

/*
 * rcu_is_watching() without a call: the function lives in instrumented
 * code, whose every load would call us back.
 */
static __always_inline bool mz_rcu_watching(void)
{
#ifdef CONFIG_CONTEXT_TRACKING_IDLE
	return !rcu_dynticks_curr_cpu_in_eqs();
#else
	return rcu_is_watching();
#endif
}

static inline void mz_count(struct mz_acc *r, bool write, long n)
{
	if (write) {
		arch_atomic_long_add(n, &r->writes);
		if (IS_ENABLED(CONFIG_MEMORIZER_STATS))
			this_cpu_add(mz_pcpu_stats.writes, n);
	} else {
		arch_atomic_long_add(n, &r->reads);
		if (IS_ENABLED(CONFIG_MEMORIZER_STATS))
			this_cpu_add(mz_pcpu_stats.reads, n);
	}
}

/*
 * Add an entry's counts to its record: on its CPU with interrupts off, or
 * for a CPU that is offline.  An entry without a record stands for
 * accesses the exhausted pool had no record for: they are counted as
 * dropped, and cheaply.
 */
static void mz_hit_fold(struct mz_hit *h)
{
	long r = local_read(&h->reads), w = local_read(&h->writes);

	if (!r && !w)
		return;
	local_set(&h->reads, 0);
	local_set(&h->writes, 0);
	if (!h->rec) {
		this_cpu_add(mz_pcpu_stats.acc_dropped, r + w);
		return;
	}
	if (r)
		mz_count(h->rec, false, r);
	if (w)
		mz_count(h->rec, true, w);
}

static void mz_fold_entries(struct mz_hit *h)
{
	unsigned int i;

	for (i = 0; i < MZ_HITS; i++)
		mz_hit_fold(&h[i]);
}

static void mz_fold_cpu(void *unused)
{
	mz_fold_entries(this_cpu_ptr(&mz_cpu.hits[0]));
}

/**
 * mz_access_fold - bring every count made so far into the records
 *
 * Counts made through the hit caches wait there, per CPU; readers of the
 * records call this first.  An access racing with it may be left for the
 * next fold.  Process context, with mz_report_lock held: two folds of an
 * offline CPU's entries at once would both add the same counts.
 */
void mz_access_fold(void)
{
	int cpu;

	lockdep_assert_held(&mz_report_lock);

	cpus_read_lock();
	on_each_cpu(mz_fold_cpu, NULL, 1);
	/*
	 * An offline CPU runs nothing, so its entries are ours to fold; left
	 * alone, their counts would be missed, or after a clearing added to
	 * recycled slots once the CPU is back.
	 */
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			mz_fold_entries(&per_cpu_ptr(&mz_cpu, cpu)->hits[0]);
	cpus_read_unlock();
}

/*
 * A miss: find what covers each part of the access, count it there, and
 * remember the last cover in the hit cache set @h when it may stand there.
 * @gen was read before the lookup, so that a clearing or a page map change
 * that overtakes the lookup leaves the new entry unusable.  Not inlined:
 * its cover lives on the stack, and with the stack protector its canary
 * check would call __stack_chk_fail() from mz_access_miss() after user
 * access is restored, which objtool forbids.
 */
static noinline void mz_access_slow(struct mz_hit *h, unsigned long addr,
				    size_t size, bool write, unsigned long ip,
				    u32 key, u32 gen)
{
	unsigned long end = addr + size, flags;
	s32 pid = key == MZ_KEY_IRQ ? -1 : task_pid_nr(current);
	struct mz_cover c;
	struct mz_acc *r;

	mz_acc_stat(lookups);
	do {
		mz_resolve(addr, &c);
		r = mz_ctab_get(&mz_ctab, &mz_pool, c.obj, mz_ip_encode(ip), key, pid);
		/* memorizer_task_free() retires only tasks that have records */
		if (r && key != MZ_KEY_IRQ && !(current->memorizer_id & MZ_ID_RECORDED))
			current->memorizer_id |= MZ_ID_RECORDED;
		if (c.cache) {
			/*
			 * The new entry goes first in its set, the last one's
			 * counts to its record; a fold may interrupt.
			 */
			raw_local_irq_save(flags);
			mz_hit_fold(&h[MZ_WAYS - 1]);
			memmove(&h[1], &h[0], (MZ_WAYS - 1) * sizeof(*h));
			*h = (struct mz_hit){ .ip = ip, .lo = c.lo, .hi = c.hi,
					      .obj = c.obj, .rec = r,
					      .tag = mz_tag(key, gen) };
			local_inc(write ? &h->writes : &h->reads);
			raw_local_irq_restore(flags);
		} else if (r) {
			mz_count(r, write, 1);
		} else {
			this_cpu_inc(mz_pcpu_stats.acc_dropped);
		}
		addr = c.hi;
	} while (addr < end && addr);
}

/*
 * Whether entry @h stands for this access.  One branch on the instruction
 * (no instruction is at 0, so an unused entry stops there), then one for
 * the rest: under binary translation (QEMU TCG) every conditional branch
 * ends a block, and this runs for every load and store.  No access wraps
 * around (KASAN reports those), so @end is above @addr.
 */
static __always_inline bool mz_hit(struct mz_hit *h, unsigned long addr,
				   unsigned long end, unsigned long ip, u64 tag)
{
	return h->ip == ip &&
	       !((h->tag ^ tag) | (addr < h->lo) |
		 (end > h->hi) | (READ_ONCE(h->obj->state) ^ MZ_LIVE));
}

/*
 * The set an access looks in: by instruction and page.  By instruction
 * alone, an instruction that walks many objects (a list walk, memcpy())
 * took each one's entry from the last, and missed on every access; by
 * page, objects on different pages have sets of their own.  An object
 * over several pages has an entry per page it is accessed on.
 */
static __always_inline struct mz_hit *mz_set(struct mz_cpu *c,
					     unsigned int level,
					     unsigned long addr,
					     unsigned long ip)
{
	/* without branches: level 0 is task context, 1 and 2 interrupts */
	unsigned int bits = level ? ilog2(MZ_HITS_IRQ / MZ_WAYS) :
				    ilog2(MZ_HITS_TASK / MZ_WAYS);
	unsigned long set = hash_long(ip ^ (addr >> PAGE_SHIFT), bits);

	return &c->hits[(level ? MZ_HITS_TASK - MZ_HITS_IRQ : 0) +
			level * MZ_HITS_IRQ + set * MZ_WAYS];
}

/* The context level of preempt count @pc: task, softirq or hardirq. */
static __always_inline unsigned int mz_level(unsigned long pc)
{
	return !!(pc & HARDIRQ_MASK) + !!(pc & (HARDIRQ_MASK | SOFTIRQ_OFFSET));
}

/*
 * Accesses not to record: from NMIs, which may interrupt the recorder
 * holding a lock; from the recorder's own lookups (the guard); from code
 * that runs while RCU does not watch the CPU, such as the idle loop,
 * which clearing could not wait for.
 */
static __always_inline void mz_access_skip(unsigned long pc, u8 guard)
{
	if (pc & NMI_MASK)
		this_cpu_inc(mz_pcpu_stats.acc_nmi);
	else if (guard)
		mz_acc_stat(acc_recorder);
	else
		this_cpu_inc(mz_pcpu_stats.acc_idle);
}

/*
 * Without kernel preemption nothing moves the hook to another CPU; with it,
 * the hook keeps preemption off while it uses its CPU's cache.
 */
static __always_inline void mz_preempt_disable(void)
{
	if (IS_ENABLED(CONFIG_PREEMPTION))
		preempt_disable_notrace();
}

/*
 * preempt_enable_notrace(), with user access off around the reschedule it
 * may owe.  KASAN calls the hook inside user_access_begin() sections (in
 * strncpy_from_user(), say, whose stores to the kernel buffer are checked),
 * so EFLAGS.AC may be set here; the context switch does not save it, so
 * scheduling with it set would run the next task with SMAP overridden and
 * resume this one without it, in the middle of its user access.  objtool
 * checks this: memorizer_access() is uaccess-safe (patch 0009) and may call
 * nothing with AC set.  The flags are saved only when a reschedule is due.
 */
static __always_inline void mz_preempt_enable(void)
{
#ifdef CONFIG_PREEMPTION
	unsigned long ua_flags;

	barrier();
	if (likely(!__preempt_count_dec_and_test()))
		return;
	ua_flags = user_access_save();
	__preempt_schedule_notrace();
	user_access_restore(ua_flags);
#endif
}

/*
 * A miss, and the end of memorizer_access(): the lookup calls code that
 * may be instrumented, whose accesses must not come back here.  A tail
 * call of a function that does not return to the hook, so that the hit
 * path makes no call and saves fewer registers.  KASAN may call the hook
 * inside user_access_begin(): the hit makes no call, this saves and
 * clears AC before its first (objtool checks both, patch 0009).
 */
static noinline __noclone void mz_access_miss(struct mz_hit *h,
					      unsigned long addr, size_t size,
					      bool write, unsigned long ip,
					      u64 tag)
{
	unsigned long ua_flags = user_access_save();
	u8 bit = 1 << mz_level(preempt_count());
	struct mz_cpu *c = raw_cpu_ptr(&mz_cpu);

	c->guard |= bit;
	barrier();
	mz_access_slow(h, addr, size, write, ip, lower_32_bits(tag),
		       upper_32_bits(tag));
	barrier();
	c->guard &= ~bit;
	user_access_restore(ua_flags);
	mz_preempt_enable();
}

/**
 * memorizer_access - count one load or store
 * @addr: the first byte accessed
 * @size: how many bytes
 * @write: a store (or a destination of a copy)
 * @ip: the accessing instruction
 *
 * Called by generic KASAN when the access key is on.
 */
void memorizer_access(unsigned long addr, size_t size, bool write,
		      unsigned long ip)
{
	unsigned long pc = preempt_count();
	unsigned int level;
	struct mz_cpu *c;
	struct mz_hit *h;
	u8 guard;
	u32 key;
	u64 tag;

	if (unlikely(!size) || !mz_ctx_wanted())
		return;
	mz_preempt_disable();
	level = mz_level(pc);
	c = raw_cpu_ptr(&mz_cpu);
	guard = c->guard & (1 << level);
	if (unlikely((pc & NMI_MASK) | guard | !mz_rcu_watching())) {
		mz_access_skip(pc, guard);
		goto out;
	}
	key = level ? MZ_KEY_IRQ : current->memorizer_id & MZ_KEY_TASKS;
	tag = mz_tag(key, arch_atomic_read(&mz_gen));
	h = mz_set(c, level, addr, ip);
	if (likely(mz_hit(h, addr, addr + size, ip, tag))) {
		local_inc(write ? &h->writes : &h->reads);
	} else if (mz_hit(h + 1, addr, addr + size, ip, tag)) {
		local_inc(write ? &h[1].writes : &h[1].reads);
	} else {
		mz_access_miss(h, addr, size, write, ip, tag);
		return;
	}
out:
	mz_preempt_enable();
}

/*
 * The accesses this CPU makes in task context until mz_guard_exit() are
 * the recorder's own: for work that calls instrumented code outside the
 * hook.
 */
void mz_guard_enter(void)
{
	preempt_disable();
	this_cpu_ptr(&mz_cpu)->guard |= 1;
}

void mz_guard_exit(void)
{
	this_cpu_ptr(&mz_cpu)->guard &= ~1;
	preempt_enable();
}

/**
 * mz_set_log_accesses - switch access recording on or off
 * @on: the new state
 *
 * KASAN tests a flag rather than a static key.  Switching a key rewrote
 * the branch in each of KASAN's checks with text_poke_bp(): every check
 * any CPU made during a switch trapped on the INT3 (3.6 million traps in
 * a hundred switches under QEMU TCG), and on a defconfig kernel under
 * QEMU TCG, with the other vCPU busy, a run of switches reset the guest
 * with a triple fault while recording was off, when the hook returns at
 * once and only the patching ran.  A switch is now a store; the flag is
 * one load in a check that already loads the shadow.
 *
 * Counter records have their reserve in the pool only while it is on.
 * Turning it off waits for a grace period, so that once the write returns
 * no access is being counted: the hook runs with preemption off, or on a
 * kernel without preemption.  Process context.
 */
void mz_set_log_accesses(bool on)
{
	WRITE_ONCE(mz_log_accesses, on);
	mz_reserves_update();
	WRITE_ONCE(memorizer_access_on, on && READ_ONCE(mz_ready));
	if (!on)
		synchronize_rcu();
}

/* Called from memorizer_init(): mem_log_boot=yes turns recording on. */
void __init mz_access_init(void)
{
	if (mz_log_accesses)
		WRITE_ONCE(memorizer_access_on, true);
}
