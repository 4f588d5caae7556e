/*
 * The "tc" test adapter of the integration tests: one GET per batch of up
 * to 3 numbers ("?n1=…&n2=…"), answered by tests/integration/data through
 * the simulator as "TC1\n" then one line per parcel, "<number> <word>"
 * with the words "moving" and "delivered". Registered through the public
 * API, so the tests are about the transport and the loop, not a carrier.
 *
 * Include it once per test program: everything here is static.
 */
#ifndef TSK_TEST_TC_ADAPTER_H
#define TSK_TEST_TC_ADAPTER_H

#include <tsuiseki.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tc_recognize(const tsk_adapter *self, const char *number, double *conf, tsk_error *err)
{
	(void)self;
	(void)err;
	*conf = strlen(number) == 12 ? 1.0 : 0.0;
	return TSK_OK;
}

static int tc_build(const tsk_adapter *self, const tsk_request_env *env, const char *const *numbers,
                    size_t count, tsk_request_list *out, tsk_error *err)
{
	(void)self;
	(void)err;
	char url[1024];
	size_t n = (size_t)snprintf(url, sizeof url, "%s", env->endpoint);
	for (size_t i = 0; i < count && n < sizeof url; i++)
		n += (size_t)snprintf(url + n, sizeof url - n, "%cn%zu=%s", i ? '&' : '?', i + 1, numbers[i]);
	return tsk_request_list_add(out, "GET", url, NULL, NULL, 0, numbers, count, NULL);
}

static void tc_map(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	(void)self;
	out->exception = TSK_EXC_NONE;
	out->english = NULL;
	out->unmapped = 0;
	if (strcmp(word, "moving") == 0)
		out->status = TSK_STATUS_IN_TRANSIT;
	else if (strcmp(word, "delivered") == 0)
		out->status = TSK_STATUS_DELIVERED;
	else {
		out->status = TSK_STATUS_UNKNOWN;
		out->unmapped = 1;
	}
}

static int tc_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                    tsk_shipment_list *out, tsk_error *err)
{
	(void)env;
	if (resp->len < 4 || memcmp(resp->body, "TC1\n", 4) != 0)
		return tsk_error_set(err, TSK_EPARSE, "not a tc answer");
	char *copy = strndup(resp->body + 4, resp->len - 4);
	char *save = NULL;
	int rc = TSK_OK;
	for (char *line = strtok_r(copy, "\n", &save); line && rc == TSK_OK; line = strtok_r(NULL, "\n", &save)) {
		char number[32], word[32];
		if (sscanf(line, "%31s %31s", number, word) != 2)
			continue;
		tsk_shipment *s;
		tsk_event *ev;
		if ((rc = tsk_shipment_new(&s, self->name, number)) != TSK_OK)
			break;
		tsk_event_new(&ev);
		tsk_event_set_local_time(ev, 2024, 12, 3, 14, 25, TSK_JST_OFFSET);
		tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word);
		tsk_status_mapping m;
		tc_map(self, word, &m);
		tsk_event_set_status(ev, m.status, m.exception, m.unmapped);
		tsk_shipment_append_event(s, ev);
		rc = tsk_shipment_list_append(out, s);
	}
	free(copy);
	return rc;
}

static const tsk_adapter tc_adapter = {
	.version = TSK_ADAPTER_VERSION,
	.name = "tc",
	.display_name = "Transport test carrier",
	.flags = TSK_ADAPTER_BATCH,
	.max_batch = 3,
	.default_endpoint = "http://127.0.0.1:9/unused",
	.recognize = tc_recognize,
	.build_requests = tc_build,
	.parse = tc_parse,
	.map_status = tc_map,
};

#endif
