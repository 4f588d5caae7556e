/*
 * The memory store ("memory:"): the fleet of one process, for tests and for
 * `tsuiseki watch` (which keeps its own state file).
 *
 * Invariants: `recs` is in id order (ids grow, so appending keeps it
 * sorted; a look-up by id is a binary search); `due` holds exactly the
 * active records that have a next poll, sorted by (next_poll, id), so due
 * work is a binary search and a walk, never a scan; a save moves the
 * record in `due` by removing its old key and inserting the new one.
 */
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct mem_note {
	tsk__store_note note;
	int64_t rec_id;
	bool acked;
};

struct mem_store {
	tsk__store base;
	tsk__store_rec **recs;
	size_t nrecs, recs_cap;
	tsk__store_rec **due;
	size_t ndue, due_cap;
	struct mem_note *notes;
	size_t nnotes, notes_cap;
	int64_t next_id;
};

static bool in_due(const tsk__store_rec *r)
{
	return r->state == TSK_FLEET_ACTIVE && r->next_poll != TSK__NEVER;
}

static int key_cmp(int64_t np_a, int64_t id_a, int64_t np_b, int64_t id_b)
{
	if (np_a != np_b)
		return np_a < np_b ? -1 : 1;
	return id_a < id_b ? -1 : id_a > id_b;
}

/* first position in `due` whose key is > (np, id) (strictly after) or >= */
static size_t due_bound(const struct mem_store *m, int64_t np, int64_t id, bool strictly_after)
{
	size_t lo = 0, hi = m->ndue;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(m->due[mid]->next_poll, m->due[mid]->id, np, id);
		if (c < 0 || (strictly_after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int due_insert(struct mem_store *m, tsk__store_rec *r)
{
	if (!in_due(r))
		return TSK_OK;
	if (!TSK__GROW(m->due, m->due_cap, m->ndue + 1))
		return TSK_ENOMEM;
	size_t at = due_bound(m, r->next_poll, r->id, false);
	memmove(m->due + at + 1, m->due + at, (m->ndue - at) * sizeof *m->due);
	m->due[at] = r;
	m->ndue++;
	return TSK_OK;
}

static void due_remove(struct mem_store *m, const tsk__store_rec *r)
{
	if (!in_due(r))
		return;
	size_t at = due_bound(m, r->next_poll, r->id, false);
	if (at < m->ndue && m->due[at] == r) {
		memmove(m->due + at, m->due + at + 1, (m->ndue - at - 1) * sizeof *m->due);
		m->ndue--;
	}
}

static tsk__store_rec *find_number(struct mem_store *m, const char *number, size_t *pos)
{
	for (size_t i = 0; i < m->nrecs; i++)
		if (strcmp(m->recs[i]->number, number) == 0) {
			if (pos)
				*pos = i;
			return m->recs[i];
		}
	return NULL;
}

static tsk__store_rec *find_id(struct mem_store *m, int64_t id)
{
	size_t lo = 0, hi = m->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->recs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nrecs && m->recs[lo]->id == id ? m->recs[lo] : NULL;
}

static int mem_open(tsk__store **out, const char *location, tsk_error *err)
{
	(void)location;
	struct mem_store *m = calloc(1, sizeof *m);
	if (!m)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	m->base.ops = &tsk__store_memory;
	m->next_id = 1;
	*out = &m->base;
	return TSK_OK;
}

static void drop_notes_of(struct mem_store *m, int64_t rec_id, bool acked_only)
{
	size_t w = 0;
	for (size_t i = 0; i < m->nnotes; i++) {
		if (m->notes[i].rec_id == rec_id && (!acked_only || m->notes[i].acked)) {
			free(m->notes[i].note.json);
			continue;
		}
		m->notes[w++] = m->notes[i];
	}
	m->nnotes = w;
}

static void mem_close(tsk__store *st)
{
	struct mem_store *m = (struct mem_store *)st;
	if (!m)
		return;
	for (size_t i = 0; i < m->nrecs; i++) {
		tsk__store_rec_dispose(m->recs[i]);
		free(m->recs[i]);
	}
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i].note.json);
	free(m->recs);
	free(m->due);
	free(m->notes);
	free(m);
}

static int mem_add(tsk__store *st, tsk__store_rec *rec, tsk_error *err)
{
	struct mem_store *m = (struct mem_store *)st;
	if (find_number(m, rec->number, NULL))
		return tsk_error_set(err, TSK_EEXISTS, "%s is already in the fleet", rec->number);
	tsk__store_rec *r = calloc(1, sizeof *r);
	if (!r || !TSK__GROW(m->recs, m->recs_cap, m->nrecs + 1) || tsk__store_rec_copy(r, rec) != TSK_OK) {
		free(r);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	r->id = m->next_id;
	if (due_insert(m, r) != TSK_OK) {
		tsk__store_rec_dispose(r);
		free(r);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	m->next_id++;
	m->recs[m->nrecs++] = r;
	rec->id = r->id;
	return TSK_OK;
}

static int mem_remove(tsk__store *st, const char *number, tsk_error *err)
{
	struct mem_store *m = (struct mem_store *)st;
	size_t pos;
	tsk__store_rec *r = find_number(m, number, &pos);
	if (!r)
		return tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number);
	due_remove(m, r);
	drop_notes_of(m, r->id, false);
	memmove(m->recs + pos, m->recs + pos + 1, (m->nrecs - pos - 1) * sizeof *m->recs);
	m->nrecs--;
	tsk__store_rec_dispose(r);
	free(r);
	return TSK_OK;
}

static int mem_get(tsk__store *st, const char *number, tsk__store_rec *out, tsk_error *err)
{
	struct mem_store *m = (struct mem_store *)st;
	tsk__store_rec *r = find_number(m, number, NULL);
	if (!r)
		return tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number);
	if (tsk__store_rec_copy(out, r) != TSK_OK)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	return TSK_OK;
}

static int mem_list(tsk__store *st, const tsk_fleet_filter *filter, tsk__store_rec_fn fn, void *userdata,
                    tsk_error *err)
{
	(void)err;
	struct mem_store *m = (struct mem_store *)st;
	size_t n = 0;
	for (size_t i = 0; i < m->nrecs; i++) {
		if (!tsk__store_rec_matches(m->recs[i], filter))
			continue;
		if (fn(m->recs[i], userdata))
			break;
		if (filter && filter->limit && ++n >= filter->limit)
			break;
	}
	return TSK_OK;
}

static int mem_due(tsk__store *st, int64_t now, int64_t after_poll, int64_t after_id, size_t limit,
                   tsk__store_rec **out, size_t *count_out, tsk_error *err)
{
	struct mem_store *m = (struct mem_store *)st;
	size_t at = due_bound(m, after_poll, after_id, true);
	for (size_t taken = 0; at < m->ndue && m->due[at]->next_poll <= now && (!limit || taken < limit); at++, taken++) {
		size_t cap = *count_out; /* grow one by one: limit bounds it */
		tsk__store_rec *n = realloc(*out, (cap + 1) * sizeof **out);
		if (!n)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		*out = n;
		memset(&n[cap], 0, sizeof n[cap]);
		if (tsk__store_rec_copy(&n[cap], m->due[at]) != TSK_OK)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		(*count_out)++;
	}
	return TSK_OK;
}

static int mem_next_due(tsk__store *st, int64_t *out, tsk_error *err)
{
	(void)err;
	struct mem_store *m = (struct mem_store *)st;
	*out = m->ndue ? m->due[0]->next_poll : TSK__NEVER;
	return TSK_OK;
}

static bool have_note(const struct mem_store *m, const char *id)
{
	for (size_t i = 0; i < m->nnotes; i++)
		if (strcmp(m->notes[i].note.id, id) == 0)
			return true;
	return false;
}

static int mem_save(tsk__store *st, const tsk__store_rec *rec, const tsk__store_note *notes, size_t nnotes,
                    int64_t now, size_t *written_out, tsk_error *err)
{
	(void)now;
	struct mem_store *m = (struct mem_store *)st;
	*written_out = 0;
	tsk__store_rec *r = find_id(m, rec->id);
	if (!r)
		return tsk_error_set(err, TSK_ENOTFOUND, "%s is no longer in the fleet", rec->number);
	/* everything that can fail first, so a failure changes nothing */
	tsk__store_rec copy;
	memset(&copy, 0, sizeof copy);
	if (!TSK__GROW(m->notes, m->notes_cap, m->nnotes + nnotes) ||
	    !TSK__GROW(m->due, m->due_cap, m->ndue + 1) || tsk__store_rec_copy(&copy, rec) != TSK_OK) {
		tsk__store_rec_dispose(&copy);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	char **jsons = calloc(nnotes ? nnotes : 1, sizeof *jsons);
	for (size_t i = 0; jsons && i < nnotes; i++)
		if (!(jsons[i] = tsk__strdup(notes[i].json))) {
			for (size_t k = 0; k < i; k++)
				free(jsons[k]);
			free(jsons);
			jsons = NULL;
		}
	if (!jsons) {
		tsk__store_rec_dispose(&copy);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	due_remove(m, r);
	tsk__store_rec_dispose(r);
	*r = copy;
	due_insert(m, r); /* room was made above */
	for (size_t i = 0; i < nnotes; i++) {
		if (have_note(m, notes[i].id)) {
			free(jsons[i]);
			continue;
		}
		struct mem_note *n = &m->notes[m->nnotes++];
		memcpy(n->note.id, notes[i].id, sizeof n->note.id);
		n->note.json = jsons[i];
		n->rec_id = r->id;
		n->acked = false;
		(*written_out)++;
	}
	free(jsons);
	return TSK_OK;
}

static int mem_outbox(tsk__store *st, size_t max, tsk__store_note **out, size_t *count_out, tsk_error *err)
{
	struct mem_store *m = (struct mem_store *)st;
	*out = NULL;
	*count_out = 0;
	size_t n = 0;
	for (size_t i = 0; i < m->nnotes; i++)
		n += !m->notes[i].acked;
	if (max && n > max)
		n = max;
	if (!n)
		return TSK_OK;
	tsk__store_note *v = calloc(n, sizeof *v);
	if (!v)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < m->nnotes && k < n; i++) {
		if (m->notes[i].acked)
			continue;
		memcpy(v[k].id, m->notes[i].note.id, sizeof v[k].id);
		if (!(v[k].json = tsk__strdup(m->notes[i].note.json))) {
			tsk__store_notes_free(v, k);
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
		k++;
	}
	*out = v;
	*count_out = k;
	return TSK_OK;
}

static int mem_ack(tsk__store *st, const char *const *ids, size_t count, int64_t now, tsk_error *err)
{
	(void)now;
	(void)err;
	struct mem_store *m = (struct mem_store *)st;
	for (size_t k = 0; k < count; k++)
		for (size_t i = 0; i < m->nnotes; i++)
			if (ids[k] && strcmp(m->notes[i].note.id, ids[k]) == 0)
				m->notes[i].acked = true;
	return TSK_OK;
}

static int mem_purge(tsk__store *st, int64_t before, size_t *purged_out, tsk_error *err)
{
	(void)err;
	struct mem_store *m = (struct mem_store *)st;
	size_t w = 0, purged = 0;
	for (size_t i = 0; i < m->nrecs; i++) {
		tsk__store_rec *r = m->recs[i];
		if (r->state != TSK_FLEET_ACTIVE && r->ended_at < before) {
			drop_notes_of(m, r->id, true);
			tsk__store_rec_dispose(r);
			free(r);
			purged++;
			continue;
		}
		m->recs[w++] = r;
	}
	m->nrecs = w;
	if (purged_out)
		*purged_out = purged;
	return TSK_OK;
}

const tsk__store_ops tsk__store_memory = {
	TSK__STORE_VERSION, "memory",
	mem_open, mem_close, mem_add, mem_remove, mem_get, mem_list, mem_due, mem_next_due,
	mem_save, mem_outbox, mem_ack, mem_purge,
};
