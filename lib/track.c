/*
 * Tracking: numbers -> requests (per carrier, batched) -> one concurrent
 * HTTP run -> parsed shipments, one per input number in input order.
 *
 * Two phases around the engine (lib/track.h): prepare (normalize, find
 * candidates, build requests and jobs) and finish (parse, choose, merge).
 * tsk_track_batch runs the jobs blocking between them; lib/query.c runs
 * them from the caller's event loop. Nothing between the phases depends on
 * how the jobs ran, so both answer identically.
 *
 * Invariants: a batch never fails because one number failed — each
 * shipment carries its own error; with carrier "auto" every candidate
 * carrier is asked in the same run and the one that knows the number wins.
 */
#include "track.h"
#include "context.h"
#include "parse.h"
#include "model.h"
#include "politeness.h"
#include "request.h"
#include "timeline.h"
#include "redact.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One (input, candidate carrier) pair. Indexes in 32 bits: a batch has
 * fewer than UINT32_MAX numbers and probes (tsk__track_prepare refuses more,
 * as its index cannot hold them). */
struct probe {
	const tsk_adapter *adapter;
	tsk_shipment *result;      /* owned until chosen */
	uint32_t input;            /* index into the inputs */
	uint32_t next_same;        /* next probe of the same carrier and number, or NONE32 */
};

#define NONE ((size_t)-1)
#define NONE32 UINT32_MAX

/* A batch of 100,000 numbers keeps one of these per number until it
 * ends: what an input needs once its number is read, no more (24 bytes). */
struct input {
	char *number;              /* normalized, in the batch's number block; NULL when it cannot be */
	/* Only for a number no carrier can be asked about (invalid_number,
	 * before any request; a batch of good numbers holds none): why, then,
	 * after its NUL, the number as given when it has no normalized form
	 * (copied: a query outlives its submit call), else "". */
	char *invalid;
	uint32_t first_probe;      /* its probes are contiguous */
	uint32_t nprobes;          /* at most one per carrier */
};

/* in->invalid for a reason and the number as given (NULL: it has a
 * normalized one); NULL on ENOMEM. */
static char *invalid_text(const char *why, const char *raw)
{
	size_t a = strlen(why) + 1, b = raw ? strlen(raw) + 1 : 1;
	char *t = malloc(a + b);
	if (t) {
		memcpy(t, why, a);
		memcpy(t + a, raw ? raw : "", b);
	}
	return t;
}

/* The number an invalid input's error shipment names. */
static const char *invalid_number(const struct input *in)
{
	return in->number ? in->number : in->invalid + strlen(in->invalid) + 1;
}

/*
 * An open-addressing index of items by a key of two strings (a carrier
 * name and a number), so that answers find their numbers in O(1) however
 * large the batch. Slots hold item + 1 (0: empty), in 32 bits (a batch
 * that large could not be held anyway); the table is at least twice as
 * large as what it holds. The keys stay in the items.
 */
typedef void (*index_key_fn)(const void *items, size_t i, const char **a, const char **b);

struct index {
	uint32_t *slots;
	size_t mask;
	const void *items;
	index_key_fn key;
};

static uint64_t hash_key(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *)b; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static int index_init(struct index *ix, size_t n, const void *items, index_key_fn key)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	ix->slots = n < UINT32_MAX ? calloc(cap, sizeof *ix->slots) : NULL;
	ix->mask = cap - 1;
	ix->items = items;
	ix->key = key;
	return ix->slots ? TSK_OK : TSK_ENOMEM;
}

static void index_dispose(struct index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

/* The first item with the key, or NONE. With insert (item i), an absent
 * key gets item i. */
static size_t index_find(struct index *ix, const char *a, const char *b, bool insert, size_t i)
{
	if (!ix->slots)
		return NONE;
	for (size_t at = hash_key(a, b) & ix->mask;; at = (at + 1) & ix->mask) {
		size_t v = ix->slots[at];
		if (!v) {
			if (insert)
				ix->slots[at] = (uint32_t)(i + 1);
			return NONE;
		}
		const char *ka, *kb;
		ix->key(ix->items, v - 1, &ka, &kb);
		if (strcmp(ka, a) == 0 && strcmp(kb, b) == 0)
			return v - 1;
	}
}

struct tsk__track {
	tsk_ctx *ctx;
	const tsk_adapter *fixed;  /* the carrier named, NULL for auto */
	struct input *inputs;
	size_t count;
	char *number_block;        /* every valid input's normalized number, NUL after each */
	struct probe *probes;
	size_t nprobes;
	tsk_request_list *reqs;
	const char **req_carrier;  /* carrier of each request */
	tsk__http_job *jobs;       /* one per request */
	bool *absorbed;            /* per job: its answer went to its probes */
	size_t njobs;
	struct index probe_ix;     /* (carrier, number) -> first probe */
	bool nomem;                /* absorbing an answer ran out of memory */
	tsk_shipment_list *previous; /* kept copies (tsk__track_keep_previous) */
};

/* A shipment that carries only an error; like any other it goes through
 * finalisation and analysis, so it has a status and a next poll time. */
static tsk_shipment *error_shipment(tsk_ctx *ctx, const char *carrier, const char *number, int code,
                                    const char *msg)
{
	tsk_shipment *s = NULL;
	if (tsk_shipment_new(&s, carrier, number) != TSK_OK)
		return NULL;
	char shown[512];
	tsk__redact(shown, sizeof shown, msg, NULL, 0);
	if (tsk_shipment_set_error(s, code, shown) != TSK_OK || tsk__ctx_complete(ctx, s, NULL) != TSK_OK) {
		tsk_shipment_free(s);
		return NULL;
	}
	return s;
}

static void previous_key(const void *items, size_t i, const char **a, const char **b)
{
	const tsk_shipment *p = tsk_shipment_list_at(items, i);
	*a = p->carrier ? p->carrier : "";
	*b = p->number ? p->number : "";
}

static void probe_key(const void *items, size_t i, const char **a, const char **b)
{
	const tsk__track *t = items;
	*a = t->probes[i].adapter->name;
	*b = t->inputs[t->probes[i].input].number;
}

static void input_key(const void *items, size_t i, const char **a, const char **b)
{
	const tsk__track *t = items;
	*a = "";
	*b = t->inputs[i].number ? t->inputs[i].number : "";
}

/* The probes of carrier a for a number, in probe order (NONE: none). */
static size_t first_probe(tsk__track *t, const tsk_adapter *a, const char *number)
{
	return index_find(&t->probe_ix, a->name, number, false, 0);
}

enum { RANK_FOUND = 4 };

/* Prefer: found > other error > not found > the carrier's "not a valid
 * number" (asked in auto mode, one carrier's 伝票番号誤り only says the
 * number is not its own, while another's not_found may be "not yet");
 * among found, more events, then the first probe (carrier order). */
static int probe_rank(const struct probe *p)
{
	if (!p->result || p->result->error == TSK_EINVALID_NUMBER)
		return p->result ? 1 : 0;
	if (p->result->error == TSK_OK)
		return RANK_FOUND;
	return p->result->error == TSK_ENOTFOUND ? 2 : 3;
}

/*
 * No candidate knew the number: when several were asked, the error says
 * so and gives each one's reason, not only the one kept.
 */
static int say_every_candidate(tsk_shipment *s, const struct probe *probes, size_t asked,
                               const struct probe *kept)
{
	/* probes: the number's own, contiguous */
	if (asked < 2)
		return TSK_OK;
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_printf(&b, "none of the %zu carriers asked %s: ", asked,
	                s->error == TSK_ENOTFOUND ? "knows this number" : "answered");
	bool first = true;
	for (size_t p = 0; p < asked; p++) {
		const tsk_shipment *r = &probes[p] == kept ? s : probes[p].result;
		const char *name = probes[p].adapter->name;
		const char *msg = r && r->error_message ? r->error_message : "no answer";
		bool named = strncmp(msg, name, strlen(name)) == 0 && msg[strlen(name)] == ':';
		tsk__buf_printf(&b, "%s%s%s%s", first ? "" : "; ", named ? "" : name, named ? "" : ": ", msg);
		first = false;
	}
	char *msg = tsk__buf_detach(&b);
	int rc = msg ? tsk_shipment_set_error(s, s->error, msg) : TSK_ENOMEM;
	free(msg);
	return rc;
}

/*
 * The answer for one (carrier, number) of a request, given to every probe
 * of that carrier and number still waiting — the one place a number asked
 * twice is handled (a batch asks it once): with code set, each gets an
 * error shipment saying msg; else each takes the next shipment of parsed
 * with that number, a copy of the first one taken when there is none
 * left, or a not-found error when the answer does not mention it.
 */
static int answer_probes(tsk__track *t, const tsk_adapter *a, const char *num, size_t asked,
                         tsk_shipment_list *parsed, int code, const char *msg, long wait_s)
{
	struct probe *probes = t->probes;
	size_t taken = NONE; /* the probe that took this request's shipment */
	for (size_t p = first_probe(t, a, num); p != NONE;
	     p = probes[p].next_same == NONE32 ? NONE : probes[p].next_same) {
		if (probes[p].result)
			continue;
		if (code != TSK_OK) {
			tsk_shipment *es = probes[p].result = error_shipment(t->ctx, a->name, num, code, msg);
			if (!es)
				return TSK_ENOMEM;
			/* the server asked for a wait: not polled before it ends */
			int64_t until = tsk_ctx_now(t->ctx).epoch + wait_s;
			if (wait_s > 0 && (!tsk_time_is_set(&es->next_poll) || es->next_poll.epoch < until)) {
				es->next_poll.epoch = until;
				es->next_poll.offset = TSK_JST_OFFSET;
				es->next_poll.precision = TSK_PRECISION_MINUTE;
			}
			continue;
		}
		for (size_t s = 0; s < tsk_shipment_list_count(parsed); s++)
			if (strcmp(parsed->items[s]->number, num) == 0) {
				tsk_shipment_list_take(&probes[p].result, parsed, s);
				/* kept until the batch ends: one block (a failure
				 * leaves it as it is, which is no worse) */
				tsk__shipment_pack(&probes[p].result);
				taken = p;
				break;
			}
		if (!probes[p].result && taken != NONE &&
		    tsk_shipment_dup(&probes[p].result, probes[taken].result) != TSK_OK)
			return TSK_ENOMEM;
		if (!probes[p].result) {
			/* one number left out of an answer about several is an
			 * incomplete answer, not the carrier saying it has no record
			 * (that is a not_found shipment the parser made): transient,
			 * so a poller keeps the last good state */
			char nf[256];
			bool batch = asked > 1;
			if (batch)
				snprintf(nf, sizeof nf,
				         "%s's answer to %zu numbers leaves %s out (an incomplete answer, "
				         "not a \"no record\"; ask again later)",
				         a->name, asked, num);
			else
				snprintf(nf, sizeof nf, "%s's answer does not mention %s", a->name, num);
			if (!(probes[p].result = error_shipment(t->ctx, a->name, num, batch ? TSK_EHTTP : TSK_ENOTFOUND, nf)))
				return TSK_ENOMEM;
		}
	}
	return TSK_OK;
}

static const char *ctx_getenv_cb(const char *name, void *userdata)
{
	return tsk__ctx_getenv(userdata, name);
}

/* Group probes by carrier in input order, cut at max_batch. Each carrier's
 * probes are taken through a cursor into its own list, so grouping costs
 * O(probes) whatever the mix. */
static int make_requests(tsk__track *t)
{
	tsk_ctx *ctx = t->ctx;
	struct probe *probes = t->probes;
	size_t nprobes = t->nprobes;
	struct input *inputs = t->inputs;
	size_t ncarriers = tsk_ctx_carrier_count(ctx);
	size_t nc = ncarriers ? ncarriers : 1;
	size_t *order = malloc((nprobes ? nprobes : 1) * sizeof *order);
	size_t *start = calloc(nc + 1, sizeof *start);
	size_t *cursor = calloc(nc, sizeof *cursor);
	size_t *carrier_of = malloc((nprobes ? nprobes : 1) * sizeof *carrier_of);
	bool *used = calloc(nprobes ? nprobes : 1, sizeof *used);
	int rc = TSK_OK;
	if (!order || !start || !cursor || !carrier_of || !used) {
		rc = TSK_ENOMEM;
		goto done;
	}
	/* a counting sort of the probes by carrier, stable */
	for (size_t i = 0; i < nprobes; i++) {
		size_t c = 0;
		while (c + 1 < nc && tsk_ctx_carrier_at(ctx, c) != probes[i].adapter)
			c++;
		carrier_of[i] = c;
		start[c + 1]++;
	}
	for (size_t c = 0; c < nc; c++)
		start[c + 1] += start[c];
	for (size_t c = 0; c < nc; c++)
		cursor[c] = start[c];
	for (size_t i = 0; i < nprobes; i++)
		order[cursor[carrier_of[i]]++] = i;
	for (size_t c = 0; c < nc; c++)
		cursor[c] = start[c];

	for (size_t i = 0; i < nprobes && rc == TSK_OK; i++) {
		if (used[i])
			continue;
		const tsk_adapter *a = probes[i].adapter;
		size_t c = carrier_of[i];
		const char *batch[64];
		size_t nb = 0;
		size_t max = a->max_batch < 64 ? a->max_batch : 64;
		if (max == 0)
			max = 1;
		while (cursor[c] < start[c + 1] && nb < max) {
			size_t j = order[cursor[c]++];
			/* the same number twice in one batch is asked once */
			bool dup = false;
			for (size_t k = 0; k < nb && !dup; k++)
				dup = strcmp(batch[k], inputs[probes[j].input].number) == 0;
			used[j] = true;
			if (!dup)
				batch[nb++] = inputs[probes[j].input].number;
		}
		/* variables: the context's own, then the environment unless ignored */
		tsk_error err;
		tsk_error_clear(&err);
		tsk_request_env env = { TSK_REQUEST_ENV_VERSION, tsk__ctx_endpoint_for(ctx, a, &err), tsk__ctx_locale(ctx),
		                          ctx_getenv_cb, ctx };
		size_t before = tsk_request_list_count(t->reqs);
		long parallel, rps;
		if (env.endpoint && tsk__policy_limits(ctx, a->name, &parallel, &rps, &err) != TSK_OK)
			env.endpoint = NULL; /* an unusable TSUISEKI_PARALLEL_/RATE_ variable: not asked */
		int brc = env.endpoint ? a->build_requests(a, &env, batch, nb, t->reqs, &err)
		          : err.code != TSK_OK ? err.code
		                               : tsk_error_set(&err, TSK_ECONFIG, "%s has no endpoint configured", a->name);
		if (brc == TSK_ENOMEM) {
			rc = brc;
			break;
		}
		if (brc != TSK_OK) {
			/* this carrier cannot be asked: every probe of the batch gets the error */
			for (size_t k = 0; k < nb && rc == TSK_OK; k++)
				rc = answer_probes(t, a, batch[k], 1, NULL, brc, err.message, 0);
			continue;
		}
		size_t after = tsk_request_list_count(t->reqs);
		const char **n = realloc(t->req_carrier, (after ? after : 1) * sizeof *n);
		if (!n) {
			rc = TSK_ENOMEM;
			break;
		}
		t->req_carrier = n;
		for (size_t k = before; k < after; k++)
			t->req_carrier[k] = a->name;
	}
done:
	free(order);
	free(start);
	free(cursor);
	free(carrier_of);
	free(used);
	return rc;
}

int tsk__track_prepare(tsk__track **out, tsk_ctx *ctx, const char *carrier,
                       const char *const *numbers, size_t count)
{
	*out = NULL;
	bool auto_mode = !carrier || strcmp(carrier, "auto") == 0;
	const tsk_adapter *fixed = NULL;
	if (!auto_mode && !(fixed = tsk_ctx_carrier(ctx, carrier)))
		return tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier named %s", carrier);

	int rc = TSK_OK;
	tsk__track *t = calloc(1, sizeof *t);
	if (!t)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "%s", tsk_strerror(TSK_ENOMEM));
	t->ctx = ctx;
	struct input *inputs = t->inputs = calloc(count ? count : 1, sizeof *inputs);
	/* a named carrier: one probe per number at most */
	size_t ncarriers = tsk_ctx_carrier_count(ctx);
	size_t per = fixed || !ncarriers ? 1 : ncarriers;
	/* a batch too large for 32-bit indexes could not be held anyway */
	bool fits = count < NONE32 / per;
	struct probe *probes = t->probes = fits ? calloc((count ? count : 1) * per, sizeof *probes) : NULL;
	t->fixed = fixed;
	t->count = count;
	size_t nprobes = 0;
	if (!inputs || !probes || tsk_request_list_new(&t->reqs) != TSK_OK) {
		rc = TSK_ENOMEM;
		goto done;
	}

	/* 1. normalize and find candidates; the normalized numbers go into
	 * one block (offsets until it stops growing), not one allocation each */
	tsk__buf block = TSK__BUF_INIT;
	size_t *at = malloc((count ? count : 1) * sizeof *at);
	if (!at) {
		rc = TSK_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		struct input *in = &inputs[i];
		in->first_probe = (uint32_t)nprobes;
		at[i] = NONE;
		const char *raw = numbers[i] ? numbers[i] : "";
		tsk_error err;
		tsk_error_clear(&err);
		char message[256] = "";
		char *number = NULL;
		if (tsk_number_normalize(&number, raw, &err) != TSK_OK) {
			if (err.code == TSK_ENOMEM || !(in->invalid = invalid_text(err.message, raw))) {
				rc = TSK_ENOMEM;
				goto numbers_done;
			}
			continue;
		}
		at[i] = block.len;
		tsk__buf_add(&block, number, strlen(number) + 1);
		in->number = number; /* until the block is done */
		size_t found = 0;
		for (size_t c = 0; c < ncarriers; c++) {
			const tsk_adapter *a = tsk_ctx_carrier_at(ctx, c);
			if (fixed && a != fixed)
				continue;
			double conf = 0;
			tsk_error aerr;
			tsk_error_clear(&aerr);
			int arc = a->recognize(a, in->number, &conf, &aerr);
			/* named explicitly, an ANY_NUMBER adapter takes what it does not claim */
			bool any = fixed && arc == TSK_OK && (a->flags & TSK_ADAPTER_ANY_NUMBER);
			if (arc != TSK_OK || (conf <= 0 && !any)) {
				if (fixed || !message[0])
					snprintf(message, sizeof message, "%s", arc != TSK_OK ? aerr.message : "");
				if (fixed && arc == TSK_OK)
					snprintf(message, sizeof message, "%s does not use numbers like %s", a->name,
					         in->number);
				continue;
			}
			probes[nprobes].input = (uint32_t)i;
			probes[nprobes].adapter = a;
			probes[nprobes].next_same = NONE32;
			nprobes++;
			found++;
		}
		in->nprobes = (uint32_t)found;
		if (!found) {
			if (!message[0])
				snprintf(message, sizeof message, "no carrier recognises %s", in->number);
			if (!(in->invalid = invalid_text(message, NULL))) {
				rc = TSK_ENOMEM;
				goto numbers_done;
			}
		}
	}
numbers_done:
	/* each input's own copy gives way to its place in the block */
	if (rc == TSK_OK && block.failed)
		rc = TSK_ENOMEM;
	if (rc == TSK_OK)
		t->number_block = tsk__buf_detach(&block);
	for (size_t i = 0; i < count; i++) {
		if (!inputs[i].number)
			continue;
		free(inputs[i].number);
		inputs[i].number = t->number_block && at[i] != NONE ? t->number_block + at[i] : NULL;
	}
	tsk__buf_dispose(&block);
	free(at);
	t->nprobes = nprobes;
	if (rc != TSK_OK)
		goto done;

	/* 2. the index of probes by (carrier, number); the same number asked
	 * twice chains its probes in input order */
	if (index_init(&t->probe_ix, nprobes, t, probe_key) != TSK_OK) {
		rc = TSK_ENOMEM;
		goto done;
	}
	{
		size_t *last = malloc((nprobes ? nprobes : 1) * sizeof *last);
		if (!last) {
			rc = TSK_ENOMEM;
			goto done;
		}
		for (size_t p = 0; p < nprobes; p++) {
			size_t head = index_find(&t->probe_ix, probes[p].adapter->name,
			                         inputs[probes[p].input].number, true, p);
			last[p] = p;
			if (head != NONE) {
				probes[last[head]].next_same = (uint32_t)p;
				last[head] = p;
			}
		}
		free(last);
	}

	/* 3. requests */
	rc = make_requests(t);
	if (rc != TSK_OK)
		goto done;

	/* 4. one job per request, run by the caller */
	size_t nreq = tsk_request_list_count(t->reqs);
	if (nreq) {
		tsk__http_job *jobs = t->jobs = calloc(nreq, sizeof *jobs);
		if (!jobs || !(t->absorbed = calloc(nreq, sizeof *t->absorbed))) {
			rc = TSK_ENOMEM;
			goto done;
		}
		for (size_t k = 0; k < nreq; k++) {
			jobs[k].req = tsk_request_list_at(t->reqs, k);
			jobs[k].carrier = t->req_carrier[k];
			/* the carrier's own limits (checked when its requests were built) */
			tsk_error err;
			tsk_error_clear(&err);
			if (tsk__policy_limits(ctx, jobs[k].carrier, &jobs[k].max_parallel,
			                       &jobs[k].requests_per_second, &err) != TSK_OK)
				jobs[k].max_parallel = 0;
		}
		t->njobs = nreq;
	}

done:
	t->nprobes = nprobes;
	if (rc != TSK_OK) {
		tsk__track_free(t);
		return tsk__ctx_error(ctx, rc, "%s", tsk_strerror(rc));
	}
	*out = t;
	return TSK_OK;
}

/* Parse one job's answer and hand each shipment to the probes that asked
 * for its number; then drop the body, so a batch holds shipments, not
 * pages. */
static int absorb(tsk__track *t, size_t k)
{
	tsk_ctx *ctx = t->ctx;
	tsk__http_job *job = &t->jobs[k];
	const tsk_request *r = job->req;
	const tsk_adapter *a = tsk_ctx_carrier(ctx, job->carrier);
	t->absorbed[k] = true;
	tsk_shipment_list *parsed = NULL;
	int prc = job->result;
	long wait_s = prc == TSK_OK ? 0 : job->retry_after_s;
	int rc = TSK_OK;
	char msg[512];
	snprintf(msg, sizeof msg, "%s", tsk__http_job_message(job));
	/* an HTTP error is the adapter's to read only when it says so (a
	 * version-1 JSON adapter did by being JSON, before the flag existed) */
	bool reads_errors = (a->flags & TSK_ADAPTER_ERROR_BODIES) || (a->version < 2 && (a->flags & TSK_ADAPTER_JSON));
	if (prc == TSK_OK && job->http_status >= 400 && !reads_errors) {
		prc = TSK_EHTTP;
		snprintf(msg, sizeof msg, "%s: HTTP %ld", r->url, job->http_status);
	}
	if (prc == TSK_OK) {
		if (tsk_shipment_list_new(&parsed) != TSK_OK) {
			rc = TSK_ENOMEM;
			goto done;
		}
		tsk_response resp = { TSK_RESPONSE_VERSION, job->body ? job->body : "", job->body_len,
			              job->content_type, job->http_status,
			              (const char *const *)r->numbers, r->nnumbers, r->url };
		tsk_error err;
		tsk_error_clear(&err);
		prc = tsk__ctx_parse_response(ctx, a, &resp, parsed, &err);
		if (prc == TSK_ENOMEM) {
			rc = prc;
			goto done;
		}
		if (prc != TSK_OK)
			snprintf(msg, sizeof msg, "%s%s%s (%s)", err.message,
			         err.where[0] ? " at " : "", err.where, r->url);
	}
	/* the URL and the server's words may carry the request's credentials */
	if (prc != TSK_OK)
		tsk__redact(msg, sizeof msg, msg, (const char *const *)r->secrets, r->nsecrets);
	/* the numbers asked (at most a batch) against the shipments parsed */
	for (size_t q = 0; q < r->nnumbers && rc == TSK_OK; q++)
		rc = answer_probes(t, a, r->numbers[q], r->nnumbers, parsed, prc, msg, wait_s);
done:
	tsk_shipment_list_free(parsed);
	tsk__http_job_dispose(job);
	/* the request is done with too */
	job->req = NULL;
	tsk__request_list_release(t->reqs, k);
	if (rc != TSK_OK)
		t->nomem = true;
	return rc;
}

void tsk__track_absorb(tsk__track *t, tsk__http_job *job)
{
	size_t k = (size_t)(job - t->jobs);
	if (k < t->njobs && !t->absorbed[k])
		absorb(t, k);
}

static void on_job_done(tsk__http_job *job, void *userdata)
{
	tsk__track_absorb(userdata, job);
}

void tsk__track_absorb_on_done(tsk__track *t)
{
	for (size_t k = 0; k < t->njobs; k++) {
		t->jobs[k].done = on_job_done;
		t->jobs[k].done_userdata = t;
	}
}

/* The previous snapshots by (carrier, number); the first in list order wins. */
static int index_previous(struct index *ix, const tsk_shipment_list *previous)
{
	size_t nprev = tsk_shipment_list_count(previous);
	if (!nprev)
		return TSK_OK;
	if (index_init(ix, nprev, previous, previous_key) != TSK_OK)
		return TSK_ENOMEM;
	for (size_t k = 0; k < nprev; k++) {
		const char *a, *b;
		previous_key(previous, k, &a, &b);
		index_find(ix, a, b, true, k);
	}
	return TSK_OK;
}

/* Among an input's probes, the best answer (probe_rank; among found, more
 * events; the first on a tie); *known counts the carriers that found it. */
static struct probe *choose(struct probe *probes, size_t p0, size_t p1, size_t *known)
{
	struct probe *best = NULL;
	*known = 0;
	for (size_t p = p0; p < p1; p++) {
		if (probe_rank(&probes[p]) == RANK_FOUND)
			++*known;
		if (!best || probe_rank(&probes[p]) > probe_rank(best) ||
		    (probe_rank(&probes[p]) == probe_rank(best) && probe_rank(best) == RANK_FOUND &&
		     probes[p].result->nevents > best->result->nevents))
			best = &probes[p];
	}
	return best;
}

/*
 * Take the chosen answer of an input out of its probe: several carriers
 * that know the number are named in also_known_by; when none knows it,
 * the error gives every candidate's reason. *out NULL with TSK_OK: no
 * probe has an answer.
 */
static int take_answer(tsk_shipment **out, tsk__track *t, const struct input *in)
{
	*out = NULL;
	struct probe *probes = t->probes;
	size_t p0 = in->first_probe, p1 = in->first_probe + in->nprobes;
	size_t known;
	struct probe *best = choose(probes, p0, p1, &known);
	if (!best || !best->result)
		return TSK_OK;
	if (known > 1)
		/* info, not a warning: tsk_shipment_also_known_by() tells the caller */
		tsk__ctx_log(t->ctx, 2, "%s is known to %zu carriers; keeping %s", in->number, known,
		             best->adapter->name);
	tsk_shipment *s = best->result;
	best->result = NULL;
	if (known > 1) {
		tsk__buf b = TSK__BUF_INIT;
		for (size_t p = p0; p < p1; p++)
			if (probes[p].result && probe_rank(&probes[p]) == RANK_FOUND) {
				tsk__buf_puts(&b, b.len ? "," : "");
				tsk__buf_puts(&b, probes[p].adapter->name);
			}
		char *alts = tsk__buf_detach(&b);
		if (tsk__shipment_unpack(s) != TSK_OK) {
			free(alts);
			tsk_shipment_free(s);
			return TSK_ENOMEM;
		}
		free(s->also_known_by);
		s->also_known_by = alts;
	}
	int rc = known == 0 ? say_every_candidate(s, probes + p0, p1 - p0, best) : TSK_OK;
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc;
	}
	*out = s;
	return TSK_OK;
}

/*
 * The answer against the previous snapshot of the same shipment (or
 * none): a carrier not asked (breaker open) keeps the last good state,
 * saying until when; a good answer merges the two timelines. On failure
 * *s is freed and NULL.
 */
static int merge_previous(tsk_ctx *ctx, tsk_shipment **s, const tsk_shipment *prev)
{
	if (!prev)
		return TSK_OK;
	if ((*s)->error == TSK_ECARRIER_UNAVAILABLE) {
		tsk_shipment *kept = NULL;
		int rc = tsk_shipment_dup(&kept, prev);
		if (rc == TSK_OK)
			rc = tsk_shipment_set_error(kept, (*s)->error, (*s)->error_message);
		tsk_shipment_free(*s);
		*s = kept;
		if (rc != TSK_OK) {
			tsk_shipment_free(kept);
			*s = NULL;
			return TSK_ENOMEM;
		}
	} else if ((*s)->error == TSK_OK) {
		if (tsk__timeline_merge(*s, prev) != TSK_OK || tsk__ctx_complete(ctx, *s, prev) != TSK_OK) {
			tsk_shipment_free(*s);
			*s = NULL;
			return TSK_ENOMEM;
		}
	}
	return TSK_OK;
}

/* Not asked while its breaker is open: poll again once it may be. */
static void poll_after_breaker(tsk_ctx *ctx, tsk_shipment *s)
{
	tsk_carrier_status st;
	if (s->error == TSK_ECARRIER_UNAVAILABLE && tsk_ctx_carrier_status(ctx, s->carrier, &st) == TSK_OK &&
	    tsk_time_is_set(&st.open_until) &&
	    (!tsk_time_is_set(&s->next_poll) || s->next_poll.epoch < st.open_until.epoch))
		s->next_poll = st.open_until;
}

/* The carrier an input's error shipment names: the one asked for, or "auto". */
static const char *input_carrier(const tsk__track *t)
{
	return t->fixed ? t->fixed->name : "auto";
}

/* One input's shipment: its own error, else the chosen answer merged with
 * its previous snapshot, else "no answer"; the breaker's next poll. */
static int answer_input(tsk_shipment **out, tsk__track *t, const struct input *in,
                        const tsk_shipment_list *previous, struct index *prev_ix)
{
	tsk_ctx *ctx = t->ctx;
	tsk_shipment *s = NULL;
	if (in->invalid) {
		s = error_shipment(ctx, input_carrier(t), invalid_number(in), TSK_EINVALID_NUMBER, in->invalid);
	} else {
		int rc = take_answer(&s, t, in);
		if (rc != TSK_OK)
			return rc;
		if (s) {
			size_t pk = index_find(prev_ix, s->carrier, s->number, false, 0);
			rc = merge_previous(ctx, &s, pk == NONE ? NULL : tsk_shipment_list_at(previous, pk));
			if (rc != TSK_OK)
				return rc;
		} else {
			s = error_shipment(ctx, input_carrier(t), in->number, TSK_ERROR, "no answer");
		}
	}
	if (!s)
		return TSK_ENOMEM;
	poll_after_breaker(ctx, s);
	*out = s;
	return TSK_OK;
}

int tsk__track_finish(tsk_shipment_list **out, tsk__track *t, tsk_ctx *ctx,
                      const tsk_shipment_list *previous)
{
	*out = NULL;
	int rc = TSK_OK;
	tsk_shipment_list *result = NULL;
	struct index prev_ix = { NULL, 0, NULL, NULL };
	if (!previous)
		previous = t->previous;
	if (t->nomem || tsk_shipment_list_new(&result) != TSK_OK) {
		rc = TSK_ENOMEM;
		goto done;
	}
	/* 5. the answers not yet absorbed as they arrived */
	for (size_t k = 0; k < t->njobs && rc == TSK_OK; k++)
		if (!t->absorbed[k])
			rc = absorb(t, k);
	if (rc == TSK_OK)
		rc = index_previous(&prev_ix, previous);
	/* 6. one shipment per input, in input order */
	for (size_t i = 0; i < t->count && rc == TSK_OK; i++) {
		tsk_shipment *s = NULL;
		rc = answer_input(&s, t, &t->inputs[i], previous, &prev_ix);
		/* a no-op for an answer still packed; error shipments, copies for
		 * a number asked twice and answers merging unpacked pack here */
		if (rc == TSK_OK)
			tsk__shipment_pack(&s);
		if (rc == TSK_OK && tsk_shipment_list_append(result, s) != TSK_OK)
			rc = TSK_ENOMEM;
	}
done:
	index_dispose(&prev_ix);
	if (rc != TSK_OK) {
		tsk_shipment_list_free(result);
		return tsk__ctx_error(ctx, rc, "%s", tsk_strerror(rc));
	}
	*out = result;
	return TSK_OK;
}

void tsk__track_free(tsk__track *t)
{
	if (!t)
		return;
	for (size_t p = 0; p < t->nprobes; p++)
		tsk_shipment_free(t->probes[p].result);
	free(t->probes);
	if (t->inputs)
		for (size_t i = 0; i < t->count; i++)
			free(t->inputs[i].invalid);
	free(t->inputs);
	free(t->number_block);
	if (t->jobs)
		for (size_t k = 0; k < t->njobs; k++)
			tsk__http_job_dispose(&t->jobs[k]);
	free(t->jobs);
	free(t->absorbed);
	free(t->req_carrier);
	index_dispose(&t->probe_ix);
	tsk_request_list_free(t->reqs);
	tsk_shipment_list_free(t->previous);
	free(t);
}

tsk__http_job *tsk__track_jobs(tsk__track *t, size_t *count_out)
{
	*count_out = t->njobs;
	return t->jobs;
}

int tsk__track_keep_previous(tsk__track *t, const tsk_shipment_list *previous)
{
	size_t n = tsk_shipment_list_count(previous);
	if (n == 0)
		return TSK_OK;
	if (!t->previous && tsk_shipment_list_new(&t->previous) != TSK_OK)
		return TSK_ENOMEM;
	struct index numbers;
	if (index_init(&numbers, t->count, t, input_key) != TSK_OK)
		return TSK_ENOMEM;
	for (size_t i = 0; i < t->count; i++)
		if (t->inputs[i].number)
			index_find(&numbers, "", t->inputs[i].number, true, i);
	/* in list order, so that finish picks the same one as from the
	 * caller's list */
	int rc = TSK_OK;
	for (size_t k = 0; k < n && rc == TSK_OK; k++) {
		const tsk_shipment *p = tsk_shipment_list_at(previous, k);
		if (!p->number || index_find(&numbers, "", p->number, false, 0) == NONE)
			continue;
		tsk_shipment *copy = NULL;
		if (tsk_shipment_dup(&copy, p) != TSK_OK || tsk_shipment_list_append(t->previous, copy) != TSK_OK)
			rc = TSK_ENOMEM; /* append frees the copy it refuses */
	}
	index_dispose(&numbers);
	return rc;
}

void tsk__track_http_settings(tsk__http_settings *out, const tsk_ctx *ctx)
{
	tsk__http_settings cfg = {
		tsk_ctx_option(ctx, TSK_OPT_CONNECT_TIMEOUT_MS), tsk_ctx_option(ctx, TSK_OPT_TIMEOUT_MS),
		(size_t)tsk_ctx_option(ctx, TSK_OPT_MAX_RESPONSE_BYTES), tsk_ctx_option(ctx, TSK_OPT_MAX_PARALLEL),
		tsk_ctx_option(ctx, TSK_OPT_MAX_RETRIES), tsk_ctx_option(ctx, TSK_OPT_RETRY_BASE_MS),
		tsk_ctx_option(ctx, TSK_OPT_RETRY_MAX_MS), tsk_ctx_option(ctx, TSK_OPT_REQUESTS_PER_SECOND),
		tsk_ctx_option(ctx, TSK_OPT_VERIFY_TLS) != 0, tsk__ctx_user_agent(ctx),
		tsk__breaker_gate, tsk__breaker_report, (void *)ctx, tsk__ctx_slot(ctx, TSK__SLOT_SHARE),
	};
	*out = cfg;
}

/*
 * TSK_OPT_FOLLOW_HANDOFF: the shipments handed to another registered
 * carrier are asked there, one batch per carrier, and each next leg is
 * folded into its first. A next leg that fails leaves the first leg's
 * state (tsk_shipment_merge_leg() rules). Returns TSK_OK or TSK_ENOMEM.
 */
static int follow_handoffs(tsk_ctx *ctx, tsk_shipment_list *l)
{
	size_t n = tsk_shipment_list_count(l);
	const char **numbers = calloc(n ? n : 1, sizeof *numbers);
	size_t *which = calloc(n ? n : 1, sizeof *which);
	bool *done = calloc(n ? n : 1, sizeof *done);
	int rc = numbers && which && done ? TSK_OK : TSK_ENOMEM;
	for (size_t i = 0; i < n && rc == TSK_OK; i++) {
		const tsk_shipment *s = l->items[i];
		if (done[i] || s->error != TSK_OK || !s->handoff_carrier || !s->handoff_number ||
		    !tsk_ctx_carrier(ctx, s->handoff_carrier) ||
		    (strcmp(s->handoff_carrier, s->carrier) == 0 && strcmp(s->handoff_number, s->number) == 0))
			continue;
		/* every hand-off to this carrier in one batch */
		const char *to = s->handoff_carrier;
		size_t k = 0;
		for (size_t j = i; j < n; j++) {
			const tsk_shipment *o = l->items[j];
			if (!done[j] && o->error == TSK_OK && o->handoff_carrier && o->handoff_number &&
			    strcmp(o->handoff_carrier, to) == 0) {
				done[j] = true;
				numbers[k] = o->handoff_number;
				which[k++] = j;
			}
		}
		/* the next legs' previous state is inside the first legs' */
		tsk_shipment_list *next = NULL;
		int trc = tsk_track_batch(&next, ctx, to, numbers, k, NULL);
		if (trc == TSK_ENOMEM)
			rc = trc;
		for (size_t q = 0; trc == TSK_OK && rc == TSK_OK && q < k; q++) {
			tsk_shipment *merged = NULL;
			int mrc = tsk_shipment_merge_leg(&merged, l->items[which[q]], tsk_shipment_list_at(next, q));
			if (mrc == TSK_ENOMEM) {
				rc = mrc;
			} else if (mrc == TSK_OK) {
				tsk_shipment_free(l->items[which[q]]);
				l->items[which[q]] = merged;
			}
		}
		tsk_shipment_list_free(next);
	}
	free(numbers);
	free(which);
	free(done);
	return rc;
}

TSK_API int tsk_track_batch(tsk_shipment_list **out, tsk_ctx *ctx, const char *carrier,
                            const char *const *numbers, size_t count,
                            const tsk_shipment_list *previous)
{
	if (!out || !ctx || (count && !numbers))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_track_batch: missing argument");
	*out = NULL;
	tsk__track *t = NULL;
	int rc = tsk__track_prepare(&t, ctx, carrier, numbers, count);
	if (rc != TSK_OK)
		return rc;
	size_t njobs = 0;
	tsk__http_job *jobs = tsk__track_jobs(t, &njobs);
	if (njobs) {
		/* each answer is parsed as it arrives and its body dropped */
		tsk__track_absorb_on_done(t);
		tsk__http_settings cfg;
		tsk__track_http_settings(&cfg, ctx);
		/* TSK_ECANCELED (tsk_ctx_wakeup) is no failure: the jobs say so */
		int hrc = tsk__http_run(tsk__ctx_http(ctx), &cfg, jobs, njobs);
		if (hrc == TSK_ENOMEM) {
			tsk__track_free(t);
			return tsk__ctx_error(ctx, hrc, "%s", tsk_strerror(hrc));
		}
	}
	rc = tsk__track_finish(out, t, ctx, previous);
	tsk__track_free(t);
	if (rc == TSK_OK && tsk_ctx_option(ctx, TSK_OPT_FOLLOW_HANDOFF)) {
		/* one hand-off deep: the next legs are asked without following */
		tsk_ctx_set_option(ctx, TSK_OPT_FOLLOW_HANDOFF, 0);
		rc = follow_handoffs(ctx, *out);
		tsk_ctx_set_option(ctx, TSK_OPT_FOLLOW_HANDOFF, 1);
		if (rc != TSK_OK) {
			tsk_shipment_list_free(*out);
			*out = NULL;
			return tsk__ctx_error(ctx, rc, "%s", tsk_strerror(rc));
		}
	}
	return rc;
}

TSK_API int tsk_track(tsk_shipment **out, tsk_ctx *ctx, const char *carrier, const char *number)
{
	if (!out || !ctx || !number)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_track: missing argument");
	*out = NULL;
	tsk_shipment_list *l = NULL;
	int rc = tsk_track_batch(&l, ctx, carrier, &number, 1, NULL);
	if (rc != TSK_OK)
		return rc;
	rc = tsk_shipment_list_take(out, l, 0);
	tsk_shipment_list_free(l);
	if (rc != TSK_OK)
		return rc;
	int err = tsk_shipment_error(*out);
	if (err == TSK_EINVALID_NUMBER) {
		tsk__ctx_error(ctx, err, "%s", tsk_shipment_error_message(*out));
		return err;
	}
	if (err != TSK_OK)
		tsk__ctx_error(ctx, err, "%s", tsk_shipment_error_message(*out));
	return TSK_OK;
}

TSK_API int tsk_ctx_wakeup(tsk_ctx *ctx)
{
	return ctx ? tsk__http_wakeup(tsk__ctx_http(ctx)) : TSK_EINVAL;
}
