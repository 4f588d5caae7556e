/*
 * The guarded JSON reader (see jsonread.h).
 *
 * yajl 2.1 does not check several of its own allocations (its lexer, its
 * state stack, its string buffer): a failed malloc inside yajl_parse would
 * be written through. yajl is therefore given an allocator that keeps every
 * block it hands out on a list and, when the system allocator fails, jumps
 * back to the parse entry, where every block yajl still holds is freed and
 * the parse reports out of memory. yajl keeps no global state, so leaving
 * it that way is safe. The tree itself is built by this file's callbacks
 * with checked allocations.
 */
#include "jsonread.h"
#include "jsonmem.h"
#include "tsuiseki.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* ------------------------------------------------- the tracked allocator */

typedef union tsk__jblock {
	struct {
		union tsk__jblock *prev, *next;
	} l;
	max_align_t align;
} jblock;

static void link_block(tsk__yajl_mem *m, jblock *b)
{
	b->l.prev = NULL;
	b->l.next = m->blocks;
	if (m->blocks)
		m->blocks->l.prev = b;
	m->blocks = b;
}

static void unlink_block(tsk__yajl_mem *m, jblock *b)
{
	if (b->l.prev)
		b->l.prev->l.next = b->l.next;
	else
		m->blocks = b->l.next;
	if (b->l.next)
		b->l.next->l.prev = b->l.prev;
}

static void *mem_malloc(void *ctx, size_t n)
{
	tsk__yajl_mem *m = ctx;
	jblock *b = n <= SIZE_MAX - sizeof *b ? malloc(sizeof *b + n) : NULL;
	if (!b) {
		if (m->armed)
			longjmp(m->oom, 1);
		return NULL;
	}
	link_block(m, b);
	return b + 1;
}

static void *mem_realloc(void *ctx, void *p, size_t n)
{
	tsk__yajl_mem *m = ctx;
	if (!p)
		return mem_malloc(ctx, n);
	jblock *b = (jblock *)p - 1;
	unlink_block(m, b);
	jblock *nb = n <= SIZE_MAX - sizeof *b ? realloc(b, sizeof *b + n) : NULL;
	if (!nb) {
		link_block(m, b);
		if (m->armed)
			longjmp(m->oom, 1);
		return NULL;
	}
	link_block(m, nb);
	return nb + 1;
}

static void mem_free(void *ctx, void *p)
{
	if (!p)
		return;
	jblock *b = (jblock *)p - 1;
	unlink_block(ctx, b);
	free(b);
}

void tsk__yajl_mem_init(tsk__yajl_mem *m)
{
	m->blocks = NULL;
	m->funcs.malloc = mem_malloc;
	m->funcs.realloc = mem_realloc;
	m->funcs.free = mem_free;
	m->funcs.ctx = m;
	m->armed = 1;
}

void tsk__yajl_mem_release(tsk__yajl_mem *m)
{
	while (m->blocks) {
		jblock *b = m->blocks;
		m->blocks = b->l.next;
		free(b);
	}
}

/* ------------------------------------------------------- the tree builder */

/*
 * The tree lives in one arena: a few large blocks holding every node,
 * string and child array, freed together by tsk__json_free (a tree is
 * read-only once built, so nothing is freed alone). The first block starts
 * with the arena's head and the root node, so the root finds its arena.
 * Children wait on one shared stack while their container is open and are
 * copied into an array of the exact size when it closes.
 */
struct chunk {
	struct chunk *next;
	max_align_t align[];
};

struct tree_head {
	struct chunk *chunks;
	struct yajl_val_s root;
};

#define ARENA_MIN 1024
#define ARENA_MAX (64 * 1024)
#define ARENA_ALIGN (sizeof(max_align_t))

struct arena {
	struct chunk *chunks;
	char *cur;
	size_t left;
	size_t next_size;
};

static void arena_free(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

static void *arena_alloc(struct arena *a, size_t n, size_t align)
{
	size_t pad = (size_t)(-(uintptr_t)a->cur & (align - 1));
	if (a->cur && pad <= a->left && n <= a->left - pad) {
		void *p = a->cur + pad;
		a->cur += pad + n;
		a->left -= pad + n;
		return p;
	}
	size_t size = a->next_size;
	if (size < n + ARENA_ALIGN)
		size = n + ARENA_ALIGN;
	if (size > SIZE_MAX - sizeof(struct chunk))
		return NULL;
	struct chunk *c = malloc(sizeof *c + size);
	if (!c)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	if (a->next_size < ARENA_MAX)
		a->next_size *= 2;
	a->cur = (char *)c->align + n;
	a->left = size - n;
	return c->align;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = n < SIZE_MAX ? arena_alloc(a, n + 1, 1) : NULL;
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* One child of an open container: an object's key (NULL in an array) and value. */
struct slot {
	const char *key;
	yajl_val v;
};

struct frame {
	yajl_val v;     /* an object or an array */
	size_t first;   /* its first child on the slot stack */
};

struct builder {
	struct arena arena;
	struct tree_head *head;  /* at the start of the first block */
	struct frame *stack;
	size_t depth, stack_cap;
	struct slot *slots;      /* children of every open container */
	size_t nslots, slots_cap;
	const char *key;         /* an object's key waiting for its value */
	yajl_val root;
	int failed;         /* TSK_OK, TSK_ENOMEM or TSK_EPARSE (why says) */
	char why[160];
};

void tsk__json_free(yajl_val v)
{
	if (!v)
		return;
	struct tree_head *h = (struct tree_head *)((char *)v - offsetof(struct tree_head, root));
	arena_free(h->chunks);
}

static int nomem(struct builder *b)
{
	b->failed = TSK_ENOMEM;
	return 0;
}

static int refuse(struct builder *b, const char *what)
{
	b->failed = TSK_EPARSE;
	snprintf(b->why, sizeof b->why, "%s", what);
	return 0;
}

/* Hang a finished value on its parent (or make it the root). */
static int attach(struct builder *b, yajl_val v)
{
	if (!v)
		return nomem(b);
	if (b->depth == 0) {
		b->root = v;
		return 1;
	}
	if (!TSK__GROW(b->slots, b->slots_cap, b->nslots + 1))
		return nomem(b);
	b->slots[b->nslots].key = b->key;
	b->slots[b->nslots].v = v;
	b->nslots++;
	b->key = NULL;
	return 1;
}

static yajl_val new_value(struct builder *b, yajl_type type)
{
	yajl_val v = arena_alloc(&b->arena, sizeof *v, _Alignof(struct yajl_val_s));
	if (v) {
		memset(v, 0, sizeof *v);
		v->type = type;
	}
	return v;
}

static int on_null(void *ctx)
{
	return attach(ctx, new_value(ctx, yajl_t_null));
}

static int on_boolean(void *ctx, int boolean)
{
	return attach(ctx, new_value(ctx, boolean ? yajl_t_true : yajl_t_false));
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct builder *b = ctx;
	yajl_val v = new_value(b, yajl_t_number);
	if (!v || !(v->u.number.r = arena_strndup(&b->arena, s, len)))
		return nomem(b);
	char *end;
	errno = 0;
	v->u.number.i = strtoll(v->u.number.r, &end, 10);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_INT_VALID;
	errno = 0;
	v->u.number.d = strtod(v->u.number.r, &end);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return attach(b, v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	if (memchr(s, '\0', len))
		return refuse(b, "a string holds a NUL character (\\u0000)");
	yajl_val v = new_value(b, yajl_t_string);
	if (!v || !(v->u.string = arena_strndup(&b->arena, (const char *)s, len)))
		return nomem(b);
	return attach(b, v);
}

static int open_container(struct builder *b, yajl_type type)
{
	if (b->depth >= TSK__JSON_MAX_DEPTH) {
		snprintf(b->why, sizeof b->why, "nested deeper than %d levels", TSK__JSON_MAX_DEPTH);
		b->failed = TSK_EPARSE;
		return 0;
	}
	if (!TSK__GROW(b->stack, b->stack_cap, b->depth + 1))
		return nomem(b);
	yajl_val v = new_value(b, type);
	if (!v)
		return nomem(b);
	/* hung on its parent now (its children are filled in when it closes) */
	if (!attach(b, v))
		return 0;
	b->stack[b->depth].v = v;
	b->stack[b->depth].first = b->nslots;
	b->depth++;
	return 1;
}

static int close_container(void *ctx)
{
	struct builder *b = ctx;
	struct frame *f = &b->stack[--b->depth];
	yajl_val v = f->v;
	size_t n = b->nslots - f->first;
	const struct slot *kids = b->slots + f->first;
	if (n) {
		yajl_val *vals = arena_alloc(&b->arena, n * sizeof *vals, _Alignof(yajl_val));
		if (!vals)
			return nomem(b);
		for (size_t i = 0; i < n; i++)
			vals[i] = kids[i].v;
		if (v->type == yajl_t_object) {
			const char **keys = arena_alloc(&b->arena, n * sizeof *keys, _Alignof(const char *));
			if (!keys)
				return nomem(b);
			for (size_t i = 0; i < n; i++)
				keys[i] = kids[i].key;
			v->u.object.keys = keys;
			v->u.object.values = vals;
			v->u.object.len = n;
		} else {
			v->u.array.values = vals;
			v->u.array.len = n;
		}
	}
	b->nslots = f->first;
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, yajl_t_object);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	if (memchr(s, '\0', len))
		return refuse(b, "a key holds a NUL character (\\u0000)");
	if (!(b->key = arena_strndup(&b->arena, (const char *)s, len)))
		return nomem(b);
	return 1;
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, yajl_t_array);
}

static const yajl_callbacks callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string,
	on_start_map, on_map_key, close_container, on_start_array, close_container,
};

/* Start the arena with its head (and the root's place) in the first block. */
static int builder_init(struct builder *b, size_t len)
{
	size_t first = len > ARENA_MAX ? ARENA_MAX : len * 2;
	b->arena.next_size = first < ARENA_MIN ? ARENA_MIN : first > ARENA_MAX ? ARENA_MAX : first;
	b->head = arena_alloc(&b->arena, sizeof *b->head, _Alignof(struct tree_head));
	return b->head ? 0 : -1;
}

/* Free whatever a failed parse left (the arena, unless handed over). */
static void builder_dispose(struct builder *b)
{
	free(b->stack);
	free(b->slots);
	b->stack = NULL;
	b->slots = NULL;
	arena_free(b->arena.chunks);
	b->arena.chunks = NULL;
	b->root = NULL;
}

struct run {
	tsk__yajl_mem mem;
	struct builder b;
	const unsigned char *bytes;
	size_t len;
	char yajl_why[160];
};

/* The parse proper; returns 0, or 1 when an allocation inside yajl failed
 * (every block yajl held is freed then). No local state of this function
 * is used after the jump. */
static int run_yajl(struct run *r)
{
	if (setjmp(r->mem.oom)) {
		tsk__yajl_mem_release(&r->mem);
		return 1;
	}
	yajl_handle h = yajl_alloc(&callbacks, &r->mem.funcs, &r->b);
	if (!h) {
		r->b.failed = TSK_ENOMEM;
		return 0;
	}
	yajl_config(h, yajl_allow_comments, 1);
	yajl_status st = yajl_parse(h, r->bytes, r->len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && r->b.failed == TSK_OK) {
		unsigned char *e = yajl_get_error(h, 0, r->bytes, r->len);
		snprintf(r->yajl_why, sizeof r->yajl_why, "%s", e ? (const char *)e : "invalid JSON");
		yajl_free_error(h, e);
		/* yajl's message spans lines: keep the first */
		char *nl = strchr(r->yajl_why, '\n');
		if (nl)
			*nl = '\0';
		tsk__trim(r->yajl_why);
		if (!r->yajl_why[0])
			snprintf(r->yajl_why, sizeof r->yajl_why, "invalid JSON");
		r->b.failed = TSK_EPARSE;
	}
	yajl_free(h);
	tsk__yajl_mem_release(&r->mem);
	return 0;
}

int tsk__json_parse(yajl_val *out, const char *bytes, size_t len, size_t max_bytes, char *why,
                    size_t whylen)
{
	*out = NULL;
	if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
		bytes += 3;
		len -= 3;
	}
	if (max_bytes && len > max_bytes) {
		snprintf(why, whylen, "larger than %zu bytes", max_bytes);
		return TSK_EPARSE;
	}
	struct run *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(why, whylen, "out of memory");
		return TSK_ENOMEM;
	}
	tsk__yajl_mem_init(&r->mem);
	r->bytes = (const unsigned char *)bytes;
	r->len = len;
	if (builder_init(&r->b, len) != 0)
		r->b.failed = TSK_ENOMEM;
	else if (run_yajl(r))
		r->b.failed = TSK_ENOMEM;
	int rc = r->b.failed;
	if (rc == TSK_OK && !r->b.root) {
		rc = TSK_EPARSE;
		snprintf(r->b.why, sizeof r->b.why, "empty text");
	}
	if (rc == TSK_OK) {
		/* the root moves to its place beside the arena's head */
		r->b.head->chunks = r->b.arena.chunks;
		r->b.head->root = *r->b.root;
		r->b.arena.chunks = NULL;
		*out = &r->b.head->root;
	} else if (rc == TSK_ENOMEM) {
		snprintf(why, whylen, "out of memory");
	} else {
		snprintf(why, whylen, "%s", r->b.why[0] ? r->b.why : r->yajl_why);
	}
	builder_dispose(&r->b);
	free(r);
	return rc;
}
