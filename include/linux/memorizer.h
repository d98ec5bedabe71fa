/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memorizer: the recorder of kernel objects' lives.
 *
 * The allocators call these hooks; each is a no-op unless CONFIG_MEMORIZER.
 * @ip is always the call site the user wants to see: the caller of the
 * public allocation or free function.
 */
#ifndef _LINUX_MEMORIZER_H
#define _LINUX_MEMORIZER_H

#include <linux/types.h>

struct kmem_cache;
struct page;
struct task_struct;

/*
 * Allocation types, numbered as in the kmap format (MZ_MEM_KMALLOC prints
 * as KMALLOC); prefixed, as this header meets the whole kernel's names.
 */
enum memorizer_type {
	MZ_MEM_STACK = 0, MZ_MEM_STACK_FRAME, MZ_MEM_STACK_ARGS,
	MZ_MEM_STACK_PAGE, MZ_MEM_GEN_HEAP, MZ_MEM_UFO_HEAP, MZ_MEM_GLOBAL,
	MZ_MEM_KMALLOC, MZ_MEM_KMALLOC_ND, MZ_MEM_KMEM_CACHE,
	MZ_MEM_KMEM_CACHE_ND, MZ_MEM_KMEM_CACHE_BULK, MZ_MEM_VMALLOC,
	MZ_MEM_ALLOC_PAGES, MZ_MEM_ALLOC_PAGES_EXACT,
	MZ_MEM_ALLOC_PAGES_GETFREEPAGES, MZ_MEM_ALLOC_PAGES_FOLIO,
	MZ_MEM_INDUCED_ALLOC, MZ_MEM_BOOTMEM, MZ_MEM_MEMBLOCK,
	MZ_MEM_UFO_MEMBLOCK, MZ_MEM_MEMORIZER, MZ_MEM_USER, MZ_MEM_BUG,
	MZ_MEM_UFO_GLOBAL, MZ_MEM_UFO_NONE, MZ_MEM_NONE, NR_MEMORIZER_TYPES
};

#ifdef CONFIG_MEMORIZER
#include <linux/compiler.h>
#include <linux/jump_label.h>

extern bool memorizer_access_on;
void memorizer_access(unsigned long addr, size_t size, bool write,
		      unsigned long ip);

/*
 * KASAN's check of every access: count it while access recording is on.
 * A flag, not a static key: switching a key rewrites this branch in every
 * KASAN check with text_poke_bp() while all CPUs run through them, each
 * trapping on the INT3 of every check it makes meanwhile (see
 * mz_set_log_accesses()).
 */
static __always_inline void memorizer_check_access(unsigned long addr,
						   size_t size, bool write,
						   unsigned long ip)
{
	if (unlikely(READ_ONCE(memorizer_access_on)))
		memorizer_access(addr, size, write, ip);
}

void memorizer_init(void);
#ifdef CONFIG_MEMORIZER_TRACKPIDS
extern const struct file_operations proc_memorizer_enabled_operations;
#endif
void memorizer_slab_free(struct kmem_cache *s, void **p, int cnt,
			 unsigned long ip);
void memorizer_kfree_large(const void *obj, unsigned long ip);
void memorizer_free_pages(struct page *page, unsigned int order,
			  unsigned long ip);
void memorizer_vfree(const void *addr, unsigned long ip);

/*
 * The allocation hooks record nothing while recording is off, yet each
 * would cost a call: a static key, on while memorizer_enabled is not 0,
 * skips them, as kfence's key skips its allocator.  It is switched only
 * by a write to memorizer_enabled.  The free hooks are not behind it:
 * what was recorded before, and the memblock regions and globals recorded
 * from boot, must be closed whenever they are freed.
 */
DECLARE_STATIC_KEY_TRUE(memorizer_recording);

void __memorizer_slab_alloc(struct kmem_cache *s, void *obj, size_t size,
			    int node, unsigned long ip);
void __memorizer_slab_alloc_bulk(struct kmem_cache *s, size_t nr, void **p,
				 unsigned long ip);
void __memorizer_slab_page(struct kmem_cache *s, void *addr);
void __memorizer_kmalloc_large(const void *obj, size_t size, int node,
			       unsigned long ip);
void __memorizer_alloc_pages(struct page *page, unsigned int order,
			     unsigned long ip);
void __memorizer_retype(const void *addr, enum memorizer_type type,
			size_t size, unsigned long ip);
void __memorizer_vmalloc(const void *addr, unsigned long size,
			 unsigned long ip);

static __always_inline void memorizer_slab_alloc(struct kmem_cache *s,
						 void *obj, size_t size,
						 int node, unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_slab_alloc(s, obj, size, node, ip);
}

static __always_inline void memorizer_slab_alloc_bulk(struct kmem_cache *s,
						      size_t nr, void **p,
						      unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_slab_alloc_bulk(s, nr, p, ip);
}

static __always_inline void memorizer_slab_page(struct kmem_cache *s,
						void *addr)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_slab_page(s, addr);
}

static __always_inline void memorizer_kmalloc_large(const void *obj,
						    size_t size, int node,
						    unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_kmalloc_large(obj, size, node, ip);
}

static __always_inline void memorizer_alloc_pages(struct page *page,
						  unsigned int order,
						  unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_alloc_pages(page, order, ip);
}

static __always_inline void memorizer_retype(const void *addr,
					     enum memorizer_type type,
					     size_t size, unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_retype(addr, type, size, ip);
}

static __always_inline void memorizer_vmalloc(const void *addr,
					      unsigned long size,
					      unsigned long ip)
{
	if (static_branch_likely(&memorizer_recording))
		__memorizer_vmalloc(addr, size, ip);
}

void memorizer_resize(const void *obj, size_t size);
void memorizer_register_global(const void *addr, size_t size);
void memorizer_task_init(struct task_struct *tsk);
void memorizer_task_free(struct task_struct *tsk);
#else
static inline void memorizer_check_access(unsigned long addr, size_t size,
					  bool write, unsigned long ip) { }
static inline void memorizer_init(void) { }
static inline void memorizer_slab_alloc(struct kmem_cache *s, void *obj,
					size_t size, int node,
					unsigned long ip) { }
static inline void memorizer_slab_alloc_bulk(struct kmem_cache *s, size_t nr,
					     void **p, unsigned long ip) { }
static inline void memorizer_slab_free(struct kmem_cache *s, void **p,
				       int cnt, unsigned long ip) { }
static inline void memorizer_slab_page(struct kmem_cache *s, void *addr) { }
static inline void memorizer_kmalloc_large(const void *obj, size_t size,
					   int node, unsigned long ip) { }
static inline void memorizer_kfree_large(const void *obj, unsigned long ip) { }
static inline void memorizer_alloc_pages(struct page *page, unsigned int order,
					 unsigned long ip) { }
static inline void memorizer_free_pages(struct page *page, unsigned int order,
					unsigned long ip) { }
static inline void memorizer_retype(const void *addr,
				    enum memorizer_type type, size_t size,
				    unsigned long ip) { }
static inline void memorizer_vmalloc(const void *addr, unsigned long size,
				     unsigned long ip) { }
static inline void memorizer_vfree(const void *addr, unsigned long ip) { }
static inline void memorizer_resize(const void *obj, size_t size) { }
static inline void memorizer_register_global(const void *addr, size_t size) { }
static inline void memorizer_task_init(struct task_struct *tsk) { }
static inline void memorizer_task_free(struct task_struct *tsk) { }
#endif

#endif /* _LINUX_MEMORIZER_H */
