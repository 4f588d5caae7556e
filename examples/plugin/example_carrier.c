/*
 * An example carrier plugin: a shared object tsuiseki loads from
 * TSUISEKI_CARRIER_PATH. It exports one symbol, tsk_plugin_adapters, that
 * checks the loader's adapter ABI and hands over its adapters.
 *
 * The "example" carrier answers plain text, one event per line:
 *     <number>|<YYYY-MM-DDTHH:MM:SS+09:00>|<status word>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsuiseki.h>

static int ex_recognize(const tsk_adapter *self, const char *number, double *conf, tsk_error *err)
{
	(void)self;
	(void)err;
	*conf = strncmp(number, "EX", 2) == 0 ? 1.0 : 0.0;
	return TSK_OK;
}

static int ex_build(const tsk_adapter *self, const tsk_request_env *env, const char *const *numbers,
                    size_t count, tsk_request_list *out, tsk_error *err)
{
	(void)self;
	(void)err;
	for (size_t i = 0; i < count; i++) {
		char url[1024];
		snprintf(url, sizeof url, "%s/%s", env->endpoint, numbers[i]);
		int rc = tsk_request_list_add(out, "GET", url, NULL, NULL, 0, &numbers[i], 1, NULL);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

static void ex_map(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	(void)self;
	out->exception = TSK_EXC_NONE;
	out->english = NULL;
	out->unmapped = tsk_status_from_string(&out->status, word) != TSK_OK;
	if (out->unmapped)
		out->status = TSK_STATUS_UNKNOWN;
}

static int ex_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                    tsk_shipment_list *out, tsk_error *err)
{
	(void)env;
	char *text = malloc(resp->len + 1);
	if (!text)
		return TSK_ENOMEM;
	memcpy(text, resp->body, resp->len);
	text[resp->len] = '\0';
	tsk_shipment *s = NULL;
	int rc = TSK_OK;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && rc == TSK_OK; line = strtok_r(NULL, "\n", &save)) {
		char *number = line, *when = strchr(line, '|'), *word;
		if (!when || !(word = strchr(when + 1, '|'))) {
			rc = tsk_error_set(err, TSK_EPARSE, "example: expected number|time|status, got \"%.40s\"", line);
			break;
		}
		*when++ = '\0';
		*word++ = '\0';
		if (s && strcmp(tsk_shipment_tracking_number(s), number) != 0) {
			if ((rc = tsk_shipment_list_append(out, s)) != TSK_OK) {
				s = NULL;
				break;
			}
			s = NULL;
		}
		if (!s && (rc = tsk_shipment_new(&s, self->name, number)) != TSK_OK)
			break;
		tsk_event *ev;
		tsk_time t;
		if ((rc = tsk_event_new(&ev)) != TSK_OK)
			break;
		if (tsk_time_parse_rfc3339(&t, when) == TSK_OK)
			tsk_event_set_time(ev, &t);
		tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, when);
		tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word);
		tsk_status_mapping m;
		ex_map(self, word, &m);
		tsk_event_set_status(ev, m.status, m.exception, m.unmapped);
		rc = tsk_shipment_append_event(s, ev);
	}
	if (s) {
		if (rc == TSK_OK)
			rc = tsk_shipment_list_append(out, s);
		else
			tsk_shipment_free(s);
	}
	free(text);
	return rc;
}

/* What the carrier knows about delivery (adapter version 2): the model ETA
 * of an "example" parcel is the second or third day after acceptance,
 * 9–18 h, every day; a parcel nobody collects goes back after 5 days. */
static const tsk_transit_row example_transit[] = {
	{ .service = "example_parcel", .keywords = "", .calendar = TSK_DELIVER_EVERY_DAY, .cutoff_hour = 17,
	  .since = 0, .day_start = 9, .day_end = 18,
	  .days = { { 2, 2 }, { 2, 3 }, { 2, 3 }, { 3, 3 }, { 2, 3 } },
	  .confidence = 0.6, .confidence_nationwide = 0.5 },
};
static const tsk_stall_row example_stall[] = {
	{ .service = "*", .status = TSK_STATUS_IN_TRANSIT, .hours = 96 },
};
static const tsk_pickup_rule example_pickup = { .days = 5, .first_day_counts = 1, .warn_days = 1 };
static const tsk_carrier_tables example_tables = {
	.version = TSK_CARRIER_TABLES_VERSION,
	.transit = example_transit,
	.ntransit = sizeof example_transit / sizeof example_transit[0],
	.stall = example_stall,
	.nstall = sizeof example_stall / sizeof example_stall[0],
	.pickup = &example_pickup,
};

static const tsk_adapter example_adapter = {
	.version = TSK_ADAPTER_VERSION,
	.name = "example",
	.display_name = "Example plugin carrier",
	.flags = 0,
	.max_batch = 1,
	.default_endpoint = "https://tracking.example.invalid/api",
	.recognize = ex_recognize,
	.build_requests = ex_build,
	.parse = ex_parse,
	.map_status = ex_map,
	.tables = &example_tables,
};

static const tsk_adapter *const adapters[] = { &example_adapter };

/* The ABI this plugin was built for; the tests build a copy for a future
 * ABI to check that the loader refuses it. */
#ifndef EXAMPLE_PLUGIN_ABI
#define EXAMPLE_PLUGIN_ABI TSK_ADAPTER_VERSION
#endif

TSK_API int tsk_plugin_adapters(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out);

TSK_API int tsk_plugin_adapters(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out)
{
	/* built for TSK_ADAPTER_VERSION: refuse a loader that speaks another */
	if (abi != EXAMPLE_PLUGIN_ABI)
		return TSK_EVERSION;
	*list_out = adapters;
	*count_out = sizeof adapters / sizeof adapters[0];
	return TSK_OK;
}
