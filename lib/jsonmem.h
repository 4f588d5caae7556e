/*
 * Private: an allocator for yajl that survives yajl's unchecked
 * allocations (lib/jsonread.c). Every block handed to yajl is kept on a
 * list; when the system allocator fails, the allocator jumps to oom (set
 * with setjmp by the caller around its yajl calls), and the caller frees
 * every block yajl still holds with tsk__yajl_mem_release.
 */
#ifndef TSK_LIB_JSONMEM_H
#define TSK_LIB_JSONMEM_H

#include <setjmp.h>
#include <yajl/yajl_common.h>

typedef struct tsk__yajl_mem {
	jmp_buf oom;
	union tsk__jblock *blocks;
	yajl_alloc_funcs funcs;   /* hand &funcs to yajl_alloc / yajl_gen_alloc */
	int armed;                /* jump on failure (set by init); else return NULL */
} tsk__yajl_mem;

void tsk__yajl_mem_init(tsk__yajl_mem *m);
/* Free every block still on the list. */
void tsk__yajl_mem_release(tsk__yajl_mem *m);

#endif
