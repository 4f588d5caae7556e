/*
 * Learned transit lanes (include/tsuiseki/learn.h): hours from acceptance
 * to the first doorstep outcome of the caller's delivered shipments, per
 * lane (carrier + service + origin + destination region) and its
 * aggregates, kept in the context's TSK__SLOT_TRANSIT slot.
 *
 * Invariants: a shipment is learned once per context (by carrier and
 * number); each lane's samples stay sorted; a lane is used once it has
 * LEARN_MIN_SAMPLES deliveries.
 */
#include "learn.h"
#include "carriers.h"
#include "context.h"
#include "timeutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A lane is used once it has this many deliveries. */
#define LEARN_MIN_SAMPLES   3

struct lane_stats {
	char *carrier;
	char *service;             /* a copy: a carrier's tables may go before the lanes */
	int origin, destination;   /* NONE = any */
	double *hours;             /* sorted */
	size_t n, cap;
};

struct tsk__eta_model {
	struct lane_stats *lanes;
	size_t nlanes, cap;
	char **seen;               /* sorted "carrier\037number" of learned shipments */
	size_t nseen, seen_cap;
};

void tsk__eta_model_free(struct tsk__eta_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlanes; i++) {
		free(m->lanes[i].carrier);
		free(m->lanes[i].service);
		free(m->lanes[i].hours);
	}
	free(m->lanes);
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->seen);
	free(m);
}

static struct lane_stats *lane_find(const struct tsk__eta_model *m, const char *carrier,
                                    const char *service, int origin, int destination)
{
	for (size_t i = 0; m && i < m->nlanes; i++) {
		struct lane_stats *l = &m->lanes[i];
		if (l->origin == origin && l->destination == destination && strcmp(l->service, service) == 0 &&
		    strcmp(l->carrier, carrier) == 0)
			return l;
	}
	return NULL;
}

static int lane_add(struct tsk__eta_model *m, const char *carrier, const char *service, int origin,
                    int destination, double hours)
{
	struct lane_stats *l = lane_find(m, carrier, service, origin, destination);
	if (!l) {
		if (!TSK__GROW(m->lanes, m->cap, m->nlanes + 1))
			return TSK_ENOMEM;
		l = &m->lanes[m->nlanes];
		memset(l, 0, sizeof *l);
		if (!(l->carrier = tsk__strdup(carrier)) || !(l->service = tsk__strdup(service))) {
			free(l->carrier);
			return TSK_ENOMEM;
		}
		l->origin = origin;
		l->destination = destination;
		m->nlanes++;
	}
	if (!TSK__GROW(l->hours, l->cap, l->n + 1))
		return TSK_ENOMEM;
	size_t k = l->n;
	while (k > 0 && l->hours[k - 1] > hours) {
		l->hours[k] = l->hours[k - 1];
		k--;
	}
	l->hours[k] = hours;
	l->n++;
	return TSK_OK;
}

/* Linear interpolation between the closest ranks. */
static double percentile(const struct lane_stats *l, double p)
{
	if (!l->n)
		return 0;
	double pos = p * (double)(l->n - 1);
	size_t lo = (size_t)pos;
	if (lo + 1 >= l->n)
		return l->hours[l->n - 1];
	double frac = pos - (double)lo;
	return l->hours[lo] + (l->hours[lo + 1] - l->hours[lo]) * frac;
}

static const struct lane_stats *lane_lookup(const struct tsk__eta_model *m, const tsk_shipment *s,
                                            const struct tsk__lane *lane)
{
	if (!m)
		return NULL;
	const char *svc = lane->row->service;
	/* the aggregate over every origin only stands in when the origin is unknown:
	 * a shop's lanes from another warehouse say little about this one */
	const struct lane_stats *c[4] = { NULL, NULL, NULL, NULL };
	if (lane->origin != TSK__REGION_NONE) {
		if (lane->destination != TSK__REGION_NONE)
			c[0] = lane_find(m, s->carrier, svc, lane->origin, lane->destination);
		c[1] = lane_find(m, s->carrier, svc, lane->origin, TSK__REGION_NONE);
	} else {
		if (lane->destination != TSK__REGION_NONE)
			c[2] = lane_find(m, s->carrier, svc, TSK__REGION_NONE, lane->destination);
		c[3] = lane_find(m, s->carrier, svc, TSK__REGION_NONE, TSK__REGION_NONE);
	}
	for (int i = 0; i < 4; i++)
		if (c[i] && c[i]->n >= LEARN_MIN_SAMPLES)
			return c[i];
	return NULL;
}

bool tsk__learned_hours(const struct tsk__eta_model *m, const tsk_shipment *s, const struct tsk__lane *lane,
                        double *p10, double *p90, size_t *samples)
{
	const struct lane_stats *l = lane_lookup(m, s, lane);
	if (!l)
		return false;
	*p10 = percentile(l, 0.1);
	*p90 = percentile(l, 0.9);
	*samples = l->n;
	return true;
}

static int seen_insert(struct tsk__eta_model *m, const tsk_shipment *s, bool *already)
{
	size_t len = strlen(s->carrier) + strlen(s->number) + 2;
	char *key = malloc(len);
	if (!key)
		return TSK_ENOMEM;
	snprintf(key, len, "%s\037%s", s->carrier, s->number);
	size_t lo = 0, hi = m->nseen;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->seen[mid], key);
		if (c == 0) {
			free(key);
			*already = true;
			return TSK_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!TSK__GROW(m->seen, m->seen_cap, m->nseen + 1)) {
		free(key);
		return TSK_ENOMEM;
	}
	memmove(&m->seen[lo + 1], &m->seen[lo], (m->nseen - lo) * sizeof *m->seen);
	m->seen[lo] = key;
	m->nseen++;
	*already = false;
	return TSK_OK;
}

/*
 * One delivered shipment -> one sample: hours from the acceptance event to
 * the first doorstep outcome (first attempt, delivery or hand-over to a
 * pickup point). A failed attempt measures the carrier, not the recipient,
 * so later redeliveries do not stretch the lane.
 */
static int learn_one(struct tsk__eta_model *m, const tsk_shipment *s, const tsk_adapter *adapter)
{
	if (s->status != TSK_STATUS_DELIVERED || s->error != TSK_OK || !s->carrier || !s->number)
		return TSK_OK;
	struct tsk__lane lane;
	tsk__lane_resolve(&lane, s, adapter);
	if (lane.start < 0 || lane.only_info)
		return TSK_OK;
	const tsk_event *start = tsk__shipment_event(s, lane.start), *outcome = NULL;
	for (size_t i = (size_t)lane.start + 1; i < s->nevents && !outcome; i++) {
		const tsk_event *ev = tsk__shipment_event(s, i);
		if (tsk_time_is_set(&ev->time) &&
		    (ev->status == TSK_STATUS_FAILED_ATTEMPT || ev->status == TSK_STATUS_DELIVERED ||
		     ev->status == TSK_STATUS_AVAILABLE_FOR_PICKUP))
			outcome = ev;
	}
	if (!outcome)
		return TSK_OK;
	double hours = (double)(tsk__event_instant(outcome) - tsk__event_instant(start)) / 3600.0;
	if (hours < 0 || hours > 60 * 24)
		return TSK_OK; /* a broken history, not a transit time */
	bool already = false;
	int rc = seen_insert(m, s, &already);
	if (rc != TSK_OK || already)
		return rc;
	const char *svc = lane.row->service;
	int o = lane.origin, d = lane.destination;
	if ((rc = lane_add(m, s->carrier, svc, TSK__REGION_NONE, TSK__REGION_NONE, hours)) != TSK_OK)
		return rc;
	if (o != TSK__REGION_NONE && (rc = lane_add(m, s->carrier, svc, o, TSK__REGION_NONE, hours)) != TSK_OK)
		return rc;
	if (d != TSK__REGION_NONE && (rc = lane_add(m, s->carrier, svc, TSK__REGION_NONE, d, hours)) != TSK_OK)
		return rc;
	if (o != TSK__REGION_NONE && d != TSK__REGION_NONE)
		rc = lane_add(m, s->carrier, svc, o, d, hours);
	return rc;
}

static void transit_slot_free(tsk_ctx *ctx, void *data)
{
	(void)ctx;
	tsk__eta_model_free(data);
}

TSK_API int tsk_ctx_learn_transit(tsk_ctx *ctx, const tsk_shipment_list *delivered)
{
	if (!ctx || !delivered)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_learn_transit: missing argument");
	struct tsk__eta_model *m = tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT);
	if (!m) {
		if (!(m = calloc(1, sizeof *m)))
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		tsk__ctx_set_slot(ctx, TSK__SLOT_TRANSIT, m, transit_slot_free);
	}
	for (size_t i = 0; i < tsk_shipment_list_count(delivered); i++) {
		const tsk_shipment *s = tsk_shipment_list_at(delivered, i);
		if (learn_one(m, s, tsk__ctx_tables_adapter(ctx, s->carrier)) != TSK_OK)
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	}
	return TSK_OK;
}

TSK_API void tsk_ctx_forget_transit(tsk_ctx *ctx)
{
	if (!ctx)
		return;
	tsk__eta_model_free(tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT));
	tsk__ctx_set_slot(ctx, TSK__SLOT_TRANSIT, NULL, NULL);
}

TSK_API size_t tsk_ctx_transit_lane_count(const tsk_ctx *ctx)
{
	const struct tsk__eta_model *m = ctx ? tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT) : NULL;
	return m ? m->nlanes : 0;
}

TSK_API int tsk_ctx_transit_lane_at(const tsk_ctx *ctx, size_t i, tsk_transit_lane *out)
{
	const struct tsk__eta_model *m = ctx ? tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT) : NULL;
	if (!out || !m || i >= m->nlanes)
		return TSK_EINVAL;
	const struct lane_stats *l = &m->lanes[i];
	out->carrier = l->carrier;
	out->service = l->service;
	out->origin = tsk__region_id(l->origin);
	out->destination = tsk__region_id(l->destination);
	out->samples = l->n;
	out->p10_hours = percentile(l, 0.1);
	out->p50_hours = percentile(l, 0.5);
	out->p90_hours = percentile(l, 0.9);
	out->in_use = l->n >= LEARN_MIN_SAMPLES;
	return TSK_OK;
}
