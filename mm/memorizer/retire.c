// SPDX-License-Identifier: GPL-2.0
/*
 * Retiring exited tasks' counter records.
 *
 * A record counts one instruction's accesses to one object for one task,
 * so a long trace with many short processes (a build, a fork/exec loop)
 * makes new records for every process, on objects that outlive them
 * (globals, dentries, memblock regions, catch-alls): clearing, which
 * frees only freed objects' records, cannot reclaim them, and the pool
 * fills.  So when a task that has records is freed, its number and
 * command are queued here, and once the pool is filling (used slots at
 * retire_threshold percent or more) a worker, once a second, retires the
 * queued tasks:
 * each record of theirs is added to the aggregate record of its object,
 * instruction and command, which kmap prints with access_pid -2 and the
 * command.  Counts stay exact; only which of a command's exited processes
 * made them is forgotten.  Below the threshold nothing is retired, so a
 * short experiment keeps every process's own lines.
 *
 * Why a queue of numbers and a scan of the pool rather than a list of
 * records per task: clearing frees records from the middle of any task's
 * list, and a slot has no room for the second link that would need.  The
 * scan runs only under pressure, at most once a second, and visits each
 * slot once per batch (retire_runs and retire_usecs in stats).
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/bsearch.h>
#include <linux/ktime.h>
#include <linux/memblock.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include "memorizer.h"

#define MZ_RETIRE_QUEUE	65536	/* exited tasks waiting */
#define MZ_RETIRE_PERIOD	HZ
#define MZ_RETIRE_RESCHED	4096	/* slots scanned between reschedules */

struct mz_exited {
	u32 id;
	u16 comm;
};

static struct mz_exited *mz_queue, *mz_batch;
static unsigned int mz_queued;
static struct mz_spinlock mz_queue_lock;
static atomic_t mz_task_seq;
unsigned int mz_retire_threshold = 50;
atomic_long_t mz_tasks_unqueued, mz_tasks_retired, mz_records_retired;
atomic_long_t mz_retire_runs, mz_retire_usecs;
static DEFINE_MUTEX(mz_retire_mutex);	/* one retirement at a time */
static void mz_retire_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(mz_retire_work, mz_retire_fn);

/**
 * memorizer_task_init - number a new task
 * @tsk: the task, just copied from its parent
 *
 * Called by fork before anything else can use @tsk.
 */
void memorizer_task_init(struct task_struct *tsk)
{
	tsk->memorizer_id = (u32)arch_atomic_inc_return(&mz_task_seq) & MZ_KEY_TASKS;
}

/**
 * memorizer_task_free - queue a freed task's records for retiring
 * @tsk: the task; it runs no more
 *
 * Any context but NMI.  A task whose exit finds the queue full keeps its
 * records as they are (counted in stats as tasks_unqueued).
 */
void memorizer_task_free(struct task_struct *tsk)
{
	unsigned long flags;
	u16 comm;

	if (!(tsk->memorizer_id & MZ_ID_RECORDED) || !READ_ONCE(mz_queue))
		return;
	comm = mz_name_id(&mz_comms, tsk->comm, TASK_COMM_LEN);
	mz_lock(&mz_queue_lock, &flags);
	if (mz_queued < MZ_RETIRE_QUEUE)
		mz_queue[mz_queued++] = (struct mz_exited){
			.id = tsk->memorizer_id & MZ_KEY_TASKS, .comm = comm };
	else
		arch_atomic_long_inc(&mz_tasks_unqueued);
	mz_unlock(&mz_queue_lock, flags);
}

/* The number of tasks waiting to be retired. */
unsigned int mz_retire_queued(void)
{
	return READ_ONCE(mz_queued);
}

static int mz_exited_cmp(const void *a, const void *b)
{
	u32 x = ((const struct mz_exited *)a)->id, y = ((const struct mz_exited *)b)->id;

	return x < y ? -1 : x > y;
}

/*
 * Retire every record of the @n tasks in mz_batch (sorted).  The slots
 * [0, @hw) are scanned with the report lock held; the task numbers are
 * unique, so no access can add to the records of these tasks any more.
 * bsearch() is instrumented: the guard keeps its loads out of the kmap.
 * Return: the records retired; those no longer in use are on @dead.
 */
static unsigned long mz_retire_scan(unsigned int n, unsigned long hw,
				    struct mz_acc **dead)
{
	unsigned long i, nr = 0;

	mz_guard_enter();
	for (i = 0; i < hw; i++) {
		struct mz_acc *r = mz_pool_slot(&mz_pool, i);
		struct mz_exited key, *e;

		if (i % MZ_RETIRE_RESCHED == MZ_RETIRE_RESCHED - 1) {
			mz_guard_exit();
			cond_resched();
			mz_guard_enter();
		}
		/* pairs with mz_ctab_get() */
		if (smp_load_acquire(&r->state) != MZ_ACC)
			continue;
		key.id = READ_ONCE(r->key);
		if (key.id & MZ_KEY_AGG)
			continue;
		e = bsearch(&key, mz_batch, n, sizeof(*e), mz_exited_cmp);
		if (!e)
			continue;
		r->comm = e->comm;
		nr++;
		if (mz_ctab_retire(&mz_ctab, r)) {
			r->dnext = *dead;
			*dead = r;
		}
	}
	mz_guard_exit();
	return nr;
}

/**
 * mz_retire - retire the records of every task queued so far
 *
 * Process context; takes mz_report_lock.  Return: the records retired.
 */
unsigned long mz_retire(void)
{
	struct mz_acc *dead = NULL, *r;
	unsigned long flags, nr;
	unsigned int n;
	u64 start;

	mutex_lock(&mz_retire_mutex);
	mz_lock(&mz_queue_lock, &flags);
	n = mz_queued;
	memcpy(mz_batch, mz_queue, n * sizeof(*mz_batch));
	mz_queued = 0;
	mz_unlock(&mz_queue_lock, flags);
	if (!n) {
		mutex_unlock(&mz_retire_mutex);
		return 0;
	}
	start = ktime_get_ns();
	mz_guard_enter();	/* sort() is instrumented */
	sort(mz_batch, n, sizeof(*mz_batch), mz_exited_cmp, NULL);
	mz_guard_exit();

	mutex_lock(&mz_report_lock);
	/* the tasks' last counts may wait in the hit caches */
	mz_access_fold();
	nr = mz_retire_scan(n, mz_pool_high_water(&mz_pool), &dead);
	/* each object once: its first merged record unlists all of them */
	for (r = dead; r; r = r->dnext)
		if (r->flags & MZ_ACC_MERGED)
			mz_ctab_unlist_merged(r->obj);
	mutex_unlock(&mz_report_lock);

	/* lockless lookups may be walking through the records left */
	synchronize_rcu();
	for (; dead; dead = r) {
		r = dead->dnext;
		mz_pool_free(&mz_pool, dead, MZ_KIND_ACC);
	}
	arch_atomic_long_add(n, &mz_tasks_retired);
	arch_atomic_long_add(nr, &mz_records_retired);
	arch_atomic_long_inc(&mz_retire_runs);
	arch_atomic_long_add(div_u64(ktime_get_ns() - start, NSEC_PER_USEC), &mz_retire_usecs);
	mutex_unlock(&mz_retire_mutex);
	return nr;
}

/*
 * Due once the pool's use reaches the threshold, or once counter records
 * have all the descriptors' reserve leaves them (pool.c), which may come
 * first, or once the queue is half full.
 */
static bool mz_retire_due(void)
{
	unsigned long used = mz_pool_used(&mz_pool);

	if (!READ_ONCE(mz_queued))
		return false;
	return used * 100 >= (unsigned long)READ_ONCE(mz_retire_threshold) * mz_pool.nr_slots ||
	       mz_pool_full_for(&mz_pool, MZ_KIND_ACC) ||
	       READ_ONCE(mz_queued) >= MZ_RETIRE_QUEUE / 2;
}

static void mz_retire_fn(struct work_struct *work)
{
	if (mz_retire_due())
		mz_retire();
	/* the workqueue code is instrumented: not the traced workload's */
	mz_guard_enter();
	schedule_delayed_work(&mz_retire_work, MZ_RETIRE_PERIOD);
	mz_guard_exit();
}

unsigned long mz_retire_meta_bytes(void)
{
	return mz_queue ? 2 * MZ_RETIRE_QUEUE * sizeof(struct mz_exited) : 0;
}

/* Called from memorizer_init(). */
void __init mz_retire_init(void)
{
	mz_lock_init(&mz_queue_lock);
	mz_batch = memblock_alloc(MZ_RETIRE_QUEUE * sizeof(*mz_batch), PAGE_SIZE);
	if (mz_batch)
		mz_queue = memblock_alloc(MZ_RETIRE_QUEUE * sizeof(*mz_queue), PAGE_SIZE);
	if (!mz_queue)
		pr_warn("no memory for the exited-task queue: records are not retired\n");
}

/* Called once workqueues run. */
void __init mz_retire_late_init(void)
{
	if (mz_queue)
		schedule_delayed_work(&mz_retire_work, MZ_RETIRE_PERIOD);
}
