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

struct frame {
	yajl_val v;     /* an object or an array */
	size_t cap;     /* room in its keys/values arrays */
	char *key;      /* an object's key waiting for its value */
};

struct builder {
	struct frame *stack;
	size_t depth, stack_cap;
	yajl_val root;
	int failed;         /* TSK_OK, TSK_ENOMEM or TSK_EPARSE (why says) */
	char why[160];
};

void tsk__json_free(yajl_val v)
{
	if (!v)
		return;
	switch (v->type) {
	case yajl_t_string:
		free(v->u.string);
		break;
	case yajl_t_number:
		free(v->u.number.r);
		break;
	case yajl_t_object:
		for (size_t i = 0; i < v->u.object.len; i++) {
			free((char *)v->u.object.keys[i]);
			tsk__json_free(v->u.object.values[i]);
		}
		free((void *)v->u.object.keys);
		free(v->u.object.values);
		break;
	case yajl_t_array:
		for (size_t i = 0; i < v->u.array.len; i++)
			tsk__json_free(v->u.array.values[i]);
		free(v->u.array.values);
		break;
	default:
		break;
	}
	free(v);
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

/* Hang a finished value on its parent (or make it the root); takes v. */
static int attach(struct builder *b, yajl_val v)
{
	if (!v)
		return nomem(b);
	if (b->depth == 0) {
		b->root = v;
		return 1;
	}
	struct frame *f = &b->stack[b->depth - 1];
	if (f->v->type == yajl_t_object) {
		size_t len = f->v->u.object.len;
		if (len == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 4;
			const char **k = realloc((void *)f->v->u.object.keys, cap * sizeof *k);
			if (k)
				f->v->u.object.keys = k;
			yajl_val *vals = k ? realloc(f->v->u.object.values, cap * sizeof *vals) : NULL;
			if (!vals) {
				tsk__json_free(v);
				return nomem(b);
			}
			f->v->u.object.values = vals;
			f->cap = cap;
		}
		f->v->u.object.keys[len] = f->key;
		f->v->u.object.values[len] = v;
		f->v->u.object.len = len + 1;
		f->key = NULL;
	} else {
		size_t len = f->v->u.array.len;
		if (!TSK__GROW(f->v->u.array.values, f->cap, len + 1)) {
			tsk__json_free(v);
			return nomem(b);
		}
		f->v->u.array.values[len] = v;
		f->v->u.array.len = len + 1;
	}
	return 1;
}

static yajl_val new_value(yajl_type type)
{
	yajl_val v = calloc(1, sizeof *v);
	if (v)
		v->type = type;
	return v;
}

static int on_null(void *ctx)
{
	return attach(ctx, new_value(yajl_t_null));
}

static int on_boolean(void *ctx, int boolean)
{
	return attach(ctx, new_value(boolean ? yajl_t_true : yajl_t_false));
}

static int on_number(void *ctx, const char *s, size_t len)
{
	yajl_val v = new_value(yajl_t_number);
	if (!v || !(v->u.number.r = tsk__strndup(s, len))) {
		free(v);
		return nomem(ctx);
	}
	char *end;
	errno = 0;
	v->u.number.i = strtoll(v->u.number.r, &end, 10);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_INT_VALID;
	errno = 0;
	v->u.number.d = strtod(v->u.number.r, &end);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return attach(ctx, v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	if (memchr(s, '\0', len))
		return refuse(ctx, "a string holds a NUL character (\\u0000)");
	yajl_val v = new_value(yajl_t_string);
	if (!v || !(v->u.string = tsk__strndup((const char *)s, len))) {
		free(v);
		return nomem(ctx);
	}
	return attach(ctx, v);
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
	yajl_val v = new_value(type);
	if (!v)
		return nomem(b);
	b->stack[b->depth].v = v;
	b->stack[b->depth].cap = 0;
	b->stack[b->depth].key = NULL;
	b->depth++;
	return 1;
}

static int close_container(void *ctx)
{
	struct builder *b = ctx;
	yajl_val v = b->stack[--b->depth].v;
	return attach(b, v);
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
	struct frame *f = &b->stack[b->depth - 1];
	free(f->key);
	if (!(f->key = tsk__strndup((const char *)s, len)))
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

/* Free whatever a failed parse left on the builder's stack. */
static void builder_dispose(struct builder *b)
{
	while (b->depth > 0) {
		struct frame *f = &b->stack[--b->depth];
		free(f->key);
		tsk__json_free(f->v);
	}
	free(b->stack);
	b->stack = NULL;
	tsk__json_free(b->root);
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
	if (run_yajl(r))
		r->b.failed = TSK_ENOMEM;
	int rc = r->b.failed;
	if (rc == TSK_OK && !r->b.root) {
		rc = TSK_EPARSE;
		snprintf(r->b.why, sizeof r->b.why, "empty text");
	}
	if (rc == TSK_OK) {
		*out = r->b.root;
		r->b.root = NULL;
	} else if (rc == TSK_ENOMEM) {
		snprintf(why, whylen, "out of memory");
	} else {
		snprintf(why, whylen, "%s", r->b.why[0] ? r->b.why : r->yajl_why);
	}
	builder_dispose(&r->b);
	free(r);
	return rc;
}
