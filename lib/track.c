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
#include "model.h"
#include "request.h"
#include "timeline.h"
#include "redact.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One (input, candidate carrier) pair. */
struct probe {
	size_t input;              /* index into the inputs */
	const tsk_adapter *adapter;
	double confidence;
	tsk_shipment *result;      /* owned until chosen */
};

struct input {
	char *raw;                 /* copied: a query outlives its submit call */
	char *number;              /* normalized */
	int error;                 /* invalid_number etc. before any request */
	char message[256];
	const char *carrier_hint;  /* for error shipments */
};

struct tsk__track {
	const tsk_adapter *fixed;  /* the carrier named, NULL for auto */
	struct input *inputs;
	size_t count;
	struct probe *probes;
	size_t nprobes;
	tsk_request_list *reqs;
	const char **req_carrier;  /* carrier of each request */
	tsk__http_job *jobs;       /* one per request */
	size_t njobs;
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

static const tsk_shipment *find_previous(const tsk_shipment_list *prev, const char *carrier,
                                         const char *number)
{
	for (size_t i = 0; i < tsk_shipment_list_count(prev); i++) {
		const tsk_shipment *p = tsk_shipment_list_at(prev, i);
		if (strcmp(p->number, number) == 0 && (!carrier || strcmp(p->carrier, carrier) == 0))
			return p;
	}
	return NULL;
}

/* Prefer: found > other error > not found; among found, more events, then confidence. */
static int probe_rank(const struct probe *p)
{
	if (!p->result)
		return 0;
	if (p->result->error == TSK_OK)
		return 3;
	return p->result->error == TSK_ENOTFOUND ? 1 : 2;
}

/*
 * No candidate knew the number: when several were asked, the error says
 * so and gives each one's reason, not only the one kept.
 */
static int say_every_candidate(tsk_shipment *s, const struct probe *probes, size_t nprobes, size_t input,
                               const struct probe *kept)
{
	size_t asked = 0;
	for (size_t p = 0; p < nprobes; p++)
		asked += probes[p].input == input;
	if (asked < 2)
		return TSK_OK;
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_printf(&b, "none of the %zu carriers asked %s: ", asked,
	                s->error == TSK_ENOTFOUND ? "knows this number" : "answered");
	bool first = true;
	for (size_t p = 0; p < nprobes; p++) {
		if (probes[p].input != input)
			continue;
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

static const char *ctx_getenv_cb(const char *name, void *userdata)
{
	return tsk__ctx_getenv(userdata, name);
}

static int make_requests(tsk_ctx *ctx, struct probe *probes, size_t nprobes, struct input *inputs,
                         tsk_request_list *reqs, const char ***req_carrier, size_t *nreq_carrier)
{
	/* group probes by adapter, keep input order, cut at max_batch */
	bool *used = calloc(nprobes ? nprobes : 1, sizeof *used);
	if (!used)
		return TSK_ENOMEM;
	int rc = TSK_OK;
	for (size_t i = 0; i < nprobes && rc == TSK_OK; i++) {
		if (used[i])
			continue;
		const tsk_adapter *a = probes[i].adapter;
		const char *batch[64];
		size_t nb = 0;
		size_t max = a->max_batch < 64 ? a->max_batch : 64;
		for (size_t j = i; j < nprobes && nb < max; j++) {
			if (used[j] || probes[j].adapter != a)
				continue;
			/* the same number twice in one batch is asked once */
			bool dup = false;
			for (size_t k = 0; k < nb && !dup; k++)
				dup = strcmp(batch[k], inputs[probes[j].input].number) == 0;
			used[j] = true;
			if (!dup) {
				batch[nb++] = inputs[probes[j].input].number;
			}
		}
		/* variables: the context's own, then the environment unless ignored */
		tsk_request_env env = { 1, tsk__ctx_endpoint_for(ctx, a), ctx->locale, ctx_getenv_cb, ctx };
		tsk_error err;
		tsk_error_clear(&err);
		size_t before = tsk_request_list_count(reqs);
		int brc = env.endpoint ? a->build_requests(a, &env, batch, nb, reqs, &err)
		                       : tsk_error_set(&err, TSK_ECONFIG, "%s has no endpoint configured", a->name);
		if (brc == TSK_ENOMEM) {
			rc = brc;
			break;
		}
		if (brc != TSK_OK) {
			/* this carrier cannot be asked: every probe of the batch gets the error */
			for (size_t j = 0; j < nprobes; j++) {
				if (probes[j].adapter != a || probes[j].result)
					continue;
				for (size_t k = 0; k < nb; k++)
					if (strcmp(batch[k], inputs[probes[j].input].number) == 0)
						probes[j].result = error_shipment(ctx, a->name, batch[k], brc, err.message);
			}
			continue;
		}
		size_t after = tsk_request_list_count(reqs);
		const char **n = realloc(*req_carrier, after * sizeof *n);
		if (!n && after) {
			rc = TSK_ENOMEM;
			break;
		}
		*req_carrier = n;
		for (size_t k = before; k < after; k++)
			(*req_carrier)[k] = a->name;
		*nreq_carrier = after;
	}
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
	struct input *inputs = t->inputs = calloc(count ? count : 1, sizeof *inputs);
	struct probe *probes = t->probes = calloc((count ? count : 1) * (ctx->ncarriers ? ctx->ncarriers : 1), sizeof *probes);
	t->fixed = fixed;
	t->count = count;
	size_t nprobes = 0;
	if (!inputs || !probes || tsk_request_list_new(&t->reqs) != TSK_OK) {
		rc = TSK_ENOMEM;
		goto done;
	}

	/* 1. normalize and find candidates */
	for (size_t i = 0; i < count; i++) {
		struct input *in = &inputs[i];
		if (!(in->raw = tsk__strdup(numbers[i] ? numbers[i] : ""))) {
			rc = TSK_ENOMEM;
			goto done;
		}
		in->carrier_hint = fixed ? fixed->name : "auto";
		tsk_error err;
		tsk_error_clear(&err);
		if (tsk_number_normalize(&in->number, in->raw, &err) != TSK_OK) {
			if (err.code == TSK_ENOMEM) {
				rc = TSK_ENOMEM;
				goto done;
			}
			in->error = TSK_EINVALID_NUMBER;
			snprintf(in->message, sizeof in->message, "%s", err.message);
			continue;
		}
		size_t found = 0;
		for (size_t c = 0; c < ctx->ncarriers; c++) {
			const tsk_adapter *a = ctx->carriers[c].adapter;
			if (fixed && a != fixed)
				continue;
			double conf = 0;
			tsk_error aerr;
			tsk_error_clear(&aerr);
			int arc = a->recognize(a, in->number, &conf, &aerr);
			/* named explicitly, an ANY_NUMBER adapter takes what it does not claim */
			bool any = fixed && arc == TSK_OK && (a->flags & TSK_ADAPTER_ANY_NUMBER);
			if (arc != TSK_OK || (conf <= 0 && !any)) {
				if (fixed || !in->message[0]) {
					snprintf(in->message, sizeof in->message, "%s",
					         arc != TSK_OK ? aerr.message : "");
				}
				if (fixed && arc == TSK_OK)
					snprintf(in->message, sizeof in->message,
					         "%s does not use numbers like %s", a->name, in->number);
				continue;
			}
			probes[nprobes].input = i;
			probes[nprobes].adapter = a;
			probes[nprobes].confidence = conf;
			nprobes++;
			found++;
		}
		if (!found) {
			in->error = TSK_EINVALID_NUMBER;
			if (!in->message[0])
				snprintf(in->message, sizeof in->message, "no carrier recognises %s", in->number);
		}
	}

	/* 2. requests */
	size_t nreq_carrier = 0;
	rc = make_requests(ctx, probes, nprobes, inputs, t->reqs, &t->req_carrier, &nreq_carrier);
	if (rc != TSK_OK)
		goto done;

	/* 3. one job per request, run by the caller */
	size_t nreq = tsk_request_list_count(t->reqs);
	if (nreq) {
		tsk__http_job *jobs = t->jobs = calloc(nreq, sizeof *jobs);
		if (!jobs) {
			rc = TSK_ENOMEM;
			goto done;
		}
		for (size_t k = 0; k < nreq; k++) {
			jobs[k].req = tsk_request_list_at(t->reqs, k);
			jobs[k].carrier = t->req_carrier[k];
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

int tsk__track_finish(tsk_shipment_list **out, tsk__track *t, tsk_ctx *ctx,
                      const tsk_shipment_list *previous)
{
	*out = NULL;
	int rc = TSK_OK;
	struct input *inputs = t->inputs;
	struct probe *probes = t->probes;
	size_t nprobes = t->nprobes, count = t->count, nreq = t->njobs;
	tsk__http_job *jobs = t->jobs;
	tsk_shipment_list *result = NULL;
	if (!previous)
		previous = t->previous;
	if (tsk_shipment_list_new(&result) != TSK_OK) {
		rc = TSK_ENOMEM;
		goto done;
	}

	/* 4. parse each response; hand each shipment to its probe */
	for (size_t k = 0; k < nreq; k++) {
		const tsk_request *r = jobs[k].req;
		const tsk_adapter *a = tsk_ctx_carrier(ctx, jobs[k].carrier);
		tsk_shipment_list *parsed = NULL;
		int prc = jobs[k].result;
		char msg[512];
		snprintf(msg, sizeof msg, "%s", jobs[k].message);
		if (prc == TSK_OK && jobs[k].http_status >= 400 && !(a->flags & TSK_ADAPTER_JSON)) {
			prc = TSK_EHTTP;
			snprintf(msg, sizeof msg, "%s: HTTP %ld", r->url, jobs[k].http_status);
		}
		if (prc == TSK_OK) {
			if (tsk_shipment_list_new(&parsed) != TSK_OK) {
				rc = TSK_ENOMEM;
				goto done;
			}
			tsk_response resp = { 1, jobs[k].body ? jobs[k].body : "", jobs[k].body_len,
				              jobs[k].content_type, jobs[k].http_status,
				              (const char *const *)r->numbers, r->nnumbers, r->url };
			tsk_error err;
			tsk_error_clear(&err);
			prc = tsk__ctx_parse_response(ctx, a, &resp, parsed, &err);
			if (prc == TSK_ENOMEM) {
				tsk_shipment_list_free(parsed);
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
		for (size_t p = 0; p < nprobes; p++) {
			if (probes[p].adapter != a || probes[p].result)
				continue;
			const char *num = inputs[probes[p].input].number;
			bool asked = false;
			for (size_t q = 0; q < r->nnumbers && !asked; q++)
				asked = strcmp(r->numbers[q], num) == 0;
			if (!asked)
				continue;
			if (prc != TSK_OK) {
				probes[p].result = error_shipment(ctx, a->name, num, prc, msg);
				continue;
			}
			for (size_t q = 0; q < tsk_shipment_list_count(parsed); q++)
				if (strcmp(parsed->items[q]->number, num) == 0) {
					tsk_shipment_list_take(&probes[p].result, parsed, q);
					break;
				}
			/* the same number twice in the batch: an earlier probe took the
			 * shipment; this one gets a copy */
			for (size_t o = 0; o < p && !probes[p].result; o++) {
				if (probes[o].adapter != a || !probes[o].result ||
				    strcmp(inputs[probes[o].input].number, num) != 0)
					continue;
				if (tsk_shipment_dup(&probes[p].result, probes[o].result) != TSK_OK) {
					tsk_shipment_list_free(parsed);
					rc = TSK_ENOMEM;
					goto done;
				}
			}
			if (!probes[p].result) {
				char nf[256];
				snprintf(nf, sizeof nf, "%s's answer does not mention %s", a->name, num);
				probes[p].result = error_shipment(ctx, a->name, num, TSK_ENOTFOUND, nf);
			}
		}
		tsk_shipment_list_free(parsed);
	}

	/* 5. one shipment per input, in input order */
	for (size_t i = 0; i < count; i++) {
		struct input *in = &inputs[i];
		tsk_shipment *s = NULL;
		if (in->error) {
			s = error_shipment(ctx, in->carrier_hint, in->number ? in->number : in->raw, in->error,
			                   in->message);
		} else {
			struct probe *best = NULL;
			size_t known = 0;
			for (size_t p = 0; p < nprobes; p++) {
				if (probes[p].input != i)
					continue;
				/* the same number asked twice in the batch: share the answer */
				if (!probes[p].result) {
					for (size_t q = 0; q < nprobes; q++)
						if (q != p && probes[q].result && probes[q].adapter == probes[p].adapter &&
						    strcmp(inputs[probes[q].input].number, in->number) == 0) {
							tsk_shipment_dup(&probes[p].result, probes[q].result);
							break;
						}
				}
				if (probe_rank(&probes[p]) == 3)
					known++;
				if (!best || probe_rank(&probes[p]) > probe_rank(best) ||
				    (probe_rank(&probes[p]) == probe_rank(best) && probe_rank(best) == 3 &&
				     probes[p].result->nevents > best->result->nevents))
					best = &probes[p];
			}
			if (best && best->result) {
				if (known > 1)
					/* info, not a warning: tsk_shipment_also_known_by() tells the caller */
					tsk__ctx_log(ctx, 2, "%s is known to %zu carriers; keeping %s", in->number,
					             known, best->adapter->name);
				s = best->result;
				best->result = NULL;
				if (known > 1) {
					tsk__buf b = TSK__BUF_INIT;
					for (size_t p = 0; p < nprobes; p++)
						if (probes[p].input == i && probes[p].result && probe_rank(&probes[p]) == 3) {
							tsk__buf_puts(&b, b.len ? "," : "");
							tsk__buf_puts(&b, probes[p].adapter->name);
						}
					char *alts = tsk__buf_detach(&b);
					free(s->also_known_by);
					s->also_known_by = alts;
				}
				if (known == 0 && (rc = say_every_candidate(s, probes, nprobes, i, best)) != TSK_OK) {
					tsk_shipment_free(s);
					goto done;
				}
				const tsk_shipment *prev = find_previous(previous, s->carrier, s->number);
				if (prev && s->error == TSK_OK) {
					if (tsk__timeline_merge(s, prev) != TSK_OK ||
					    tsk__ctx_complete(ctx, s, prev) != TSK_OK) {
						tsk_shipment_free(s);
						rc = TSK_ENOMEM;
						goto done;
					}
				}
			} else {
				s = error_shipment(ctx, in->carrier_hint, in->number, TSK_ERROR, "no answer");
			}
		}
		if (!s || tsk_shipment_list_append(result, s) != TSK_OK) {
			rc = TSK_ENOMEM;
			goto done;
		}
	}

done:
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
		for (size_t i = 0; i < t->count; i++) {
			free(t->inputs[i].raw);
			free(t->inputs[i].number);
		}
	free(t->inputs);
	if (t->jobs)
		for (size_t k = 0; k < t->njobs; k++)
			tsk__http_job_dispose(&t->jobs[k]);
	free(t->jobs);
	free(t->req_carrier);
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
	/* in list order, so that find_previous picks the same one as from the
	 * caller's list */
	for (size_t k = 0; k < n; k++) {
		const tsk_shipment *p = tsk_shipment_list_at(previous, k);
		bool wanted = false;
		for (size_t i = 0; i < t->count && !wanted; i++)
			wanted = t->inputs[i].number && strcmp(t->inputs[i].number, p->number) == 0;
		if (!wanted)
			continue;
		tsk_shipment *copy = NULL;
		if (tsk_shipment_dup(&copy, p) != TSK_OK)
			return TSK_ENOMEM;
		if (tsk_shipment_list_append(t->previous, copy) != TSK_OK) {
			tsk_shipment_free(copy);
			return TSK_ENOMEM;
		}
	}
	return TSK_OK;
}

void tsk__track_http_settings(tsk__http_settings *out, const tsk_ctx *ctx)
{
	tsk__http_settings cfg = {
		ctx->options[TSK_OPT_CONNECT_TIMEOUT_MS], ctx->options[TSK_OPT_TIMEOUT_MS],
		(size_t)ctx->options[TSK_OPT_MAX_RESPONSE_BYTES], ctx->options[TSK_OPT_MAX_PARALLEL],
		ctx->options[TSK_OPT_MAX_RETRIES], ctx->options[TSK_OPT_RETRY_BASE_MS],
		ctx->options[TSK_OPT_RETRY_MAX_MS], ctx->options[TSK_OPT_REQUESTS_PER_SECOND],
		ctx->options[TSK_OPT_VERIFY_TLS] != 0, ctx->user_agent,
	};
	*out = cfg;
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
		tsk__http_settings cfg;
		tsk__track_http_settings(&cfg, ctx);
		/* TSK_ECANCELED (tsk_ctx_wakeup) is no failure: the jobs say so */
		int hrc = tsk__http_run(ctx->http, &cfg, jobs, njobs);
		if (hrc == TSK_ENOMEM) {
			tsk__track_free(t);
			return tsk__ctx_error(ctx, hrc, "%s", tsk_strerror(hrc));
		}
	}
	rc = tsk__track_finish(out, t, ctx, previous);
	tsk__track_free(t);
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
	return ctx ? tsk__http_wakeup(ctx->http) : TSK_EINVAL;
}
