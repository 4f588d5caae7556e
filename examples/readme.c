/* The C example of README.md, compiled by the build so it never rots. */
#include <stdio.h>
#include <tsuiseki.h>

int main(int argc, char **argv)
{
	tsk_ctx *ctx;
	if (argc < 2 || tsk_ctx_new(&ctx, 0) != TSK_OK)
		return 2;
	tsk_shipment *s = NULL;
	/* "auto": every carrier that could own the number is asked at once */
	if (tsk_track(&s, ctx, "auto", argv[1]) != TSK_OK) {
		fprintf(stderr, "%s\n", tsk_ctx_last_error(ctx));
		tsk_ctx_free(ctx);
		return 1;
	}
	printf("%s %s: %s\n", tsk_shipment_carrier(s), tsk_shipment_tracking_number(s),
	       tsk_status_to_string(tsk_shipment_status(s)));
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		char when[40];
		tsk_time_format(when, sizeof when, tsk_event_time(ev));
		printf("  %-25s %s %s\n", when, tsk_event_carrier_status(ev),
		       tsk_event_location(ev) ? tsk_event_location(ev) : "");
	}
	int failed = tsk_shipment_error(s) != TSK_OK;
	if (failed) /* not_found, network, layout_changed...: the shipment says why */
		fprintf(stderr, "%s: %s\n", tsk_error_name(tsk_shipment_error(s)), tsk_shipment_error_message(s));
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
	return failed;
}
