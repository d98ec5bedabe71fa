// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose record the boot test knows exactly.
 *
 * It has two globals, mzt_counts (written) and mzt_table (read).  Writing
 * a count N to /sys/module/memorizer_testmod/parameters/poke makes the
 * writing process, in mzt_touch():
 *   - write an element of mzt_counts N times,
 *   - read an element of mzt_table N times,
 *   - write a MZT_BUF_SIZE-byte buffer N times, a buffer mzt_poke()
 *     kmallocs before and kfrees after.
 * Each is one instrumented access per round: the test sums the counts of
 * mzt_touch()'s instructions, however the compiler unrolled the loop.
 * The globals are indexed by the round: GCC does not instrument an access
 * to a global at a constant offset, which it knows to be in bounds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

/* A size no other kmalloc of the test's processes asks for. */
#define MZT_BUF_SIZE	232
#define MZT_MAX_POKES	1000000

static int mzt_counts[4];
static const int mzt_table[16] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
				   37, 41, 43, 47, 53 };

static noinline void mzt_touch(char *buf, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		WRITE_ONCE(mzt_counts[i % ARRAY_SIZE(mzt_counts)], i);
		WRITE_ONCE(buf[i % MZT_BUF_SIZE],
			   READ_ONCE(mzt_table[i % ARRAY_SIZE(mzt_table)]));
	}
}

static int mzt_poke(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	char *buf;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n > MZT_MAX_POKES)
		return -EINVAL;
	buf = kmalloc(MZT_BUF_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mzt_touch(buf, n);
	kfree(buf);
	return 0;
}

static const struct kernel_param_ops mzt_poke_ops = {
	.set = mzt_poke,
};
module_param_cb(poke, &mzt_poke_ops, NULL, 0200);
MODULE_PARM_DESC(poke, "N: write and read the module's globals and a buffer N times");

MODULE_DESCRIPTION("Memorizer test module: known globals, allocation and accesses");
MODULE_LICENSE("GPL");
