/*
 * Fuzz target: REST mapping loader. Bytes are loaded as a mapping file;
 * a mapping that loads is then exercised: requests for a small batch are
 * built and a few fixed answers parsed. Nothing may crash, hang or leak.
 * Seeds: the files of carriers/rest/mappings and tests/fuzz/seeds/rest_mapping
 * (a mapping with delivery tables, whose answer below reaches the ETA and
 * the pickup deadline).
 */
#include "tsuiseki.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_getenv(const char *name, void *userdata)
{
	(void)userdata;
	return strcmp(name, "MISSING") == 0 ? NULL : "secret";
}

static const char *const answers[] = {
	"{\"data\":{\"tracking\":{\"tracking_number\":\"A1\",\"tag\":\"Delivered\",\"checkpoints\":"
	"[{\"checkpoint_time\":\"2024-01-02T03:04:05\",\"tag\":\"InTransit\",\"message\":\"m\"}]}}}",
	"{\"code\":0,\"data\":{\"accepted\":[{\"number\":\"A1\",\"track_info\":{\"tracking\":{\"providers\":"
	"[{\"events\":[{\"time_iso\":\"2024-01-02T03:04:05+08:00\",\"sub_status\":\"Delivered_Other\"}]}]}}}],"
	"\"rejected\":[{\"number\":\"B2\",\"error\":{\"code\":-18019902}}]}}",
	"{\"object\":\"Tracker\",\"tracking_code\":\"A1\",\"status\":\"in_transit\",\"tracking_details\":"
	"[{\"datetime\":\"2024-01-02T03:04:05Z\",\"status\":\"in_transit\"}]}",
	"[1,2,{\"a\":[null,true]}]",
	"{\"data\":[{\"id\":\"A1\",\"service\":\"Express\",\"events\":[{\"at\":\"2024-05-30T10:00:00+09:00\","
	"\"code\":\"moving\"}]},{\"id\":\"B2\",\"events\":[{\"at\":\"2024-05-28T10:00:00+09:00\",\"code\":\"notice\"}]}]}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return 0;
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2024-06-01T12:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	if (tsk_ctx_load_mapping_string(ctx, (const char *)data, size, "fuzz.json") == TSK_OK) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, 0);
		const char *numbers[] = { "A1", "B2", "C\"3/ 4" };
		tsk_request_env env = { TSK_REQUEST_ENV_VERSION, NULL, "en", fuzz_getenv, NULL };
		tsk_request_list *reqs = NULL;
		if (tsk_request_list_new(&reqs) == TSK_OK) {
			tsk_error err;
			tsk_error_clear(&err);
			a->build_requests(a, &env, numbers, 3, reqs, &err);
			tsk_request_list_free(reqs);
		}
		tsk_status_mapping mp;
		a->map_status(a, "Delivered", &mp);
		double conf;
		tsk_error err;
		a->recognize(a, "A1B2C3D4", &conf, &err);
		for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
			tsk_shipment_list *l = NULL;
			if (tsk_parse(&l, ctx, a->name, answers[i], strlen(answers[i]), NULL) == TSK_OK)
				tsk_shipment_list_free(l);
		}
	}
	for (size_t i = 0; i < tsk_ctx_mapping_error_count(ctx); i++)
		(void)tsk_ctx_mapping_error_at(ctx, i);
	tsk_ctx_free(ctx);
	return 0;
}
