// SPDX-License-Identifier: GPL-2.0
/*
 * Memorizer core: state and the debugfs directory.
 */
#define pr_fmt(fmt) "memorizer: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/memorizer.h>

static struct dentry *memorizer_dir;

static int __init memorizer_debugfs_init(void)
{
	memorizer_dir = debugfs_create_dir("memorizer", NULL);
	pr_info("debugfs interface ready\n");
	return 0;
}
late_initcall(memorizer_debugfs_init);
