/*
 * The fleet's pieces without the network: the notification rules on the
 * scripted lifecycle pages (tests/data/fleet, parsed), their ids and texts,
 * the templates, and both stores through the store table (the same checks
 * run against memory and SQLite), plus what only SQLite has: file mode,
 * schema version, migrations refused from the future, the due index.
 */
#include "../common/dbfiles.h"
#include "notify.h"
#include "store.h"
#include "store_check.h"

#include <check.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_page(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/fleet/%s", getenv("TSK_TEST_DATA"), name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	static char buf[65536];
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static tsk_ctx *test_ctx(void)
{
	tsk_ctx *ctx = NULL;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_time now;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&now, "2026-12-03T12:00:00+09:00"), TSK_OK);
	tsk_ctx_set_now(ctx, &now);
	return ctx;
}

/* A scripted page parsed: the snapshot a poll would give. */
static tsk_shipment *page(tsk_ctx *ctx, const char *name)
{
	size_t len;
	char *body = read_page(name, &len);
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(tsk_parse(&l, ctx, "yamato", body, len, "text/html; charset=UTF-8"), TSK_OK);
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_shipment_list_take(&s, l, 0), TSK_OK);
	tsk_shipment_list_free(l);
	return s;
}

static const char *decide(const tsk_shipment *old, const tsk_shipment *cur)
{
	tsk__notice n;
	return tsk__notify_decide(&n, old, cur) ? tsk_notify_kind_to_string(n.kind) : "none";
}

START_TEST(lifecycle_one_notice_per_change)
{
	tsk_ctx *ctx = test_ctx();
	tsk_shipment *s[6] = { NULL };
	const char *names[] = { NULL, "life_1.html", "life_2.html", "life_3.html", "life_4.html", "life_5.html" };
	for (int i = 1; i <= 5; i++)
		s[i] = page(ctx, names[i]);
	ck_assert_str_eq(decide(NULL, s[1]), "shipped");
	ck_assert_str_eq(decide(s[1], s[2]), "out_for_delivery");
	ck_assert_str_eq(decide(s[2], s[3]), "delivery_failed");
	ck_assert_str_eq(decide(s[3], s[4]), "available_for_pickup");
	ck_assert_str_eq(decide(s[4], s[5]), "delivered");
	/* nothing changed: nothing to say */
	for (int i = 1; i <= 5; i++)
		ck_assert_str_eq(decide(s[i], s[i]), "none");
	/* a first sync says the current state only */
	ck_assert_str_eq(decide(NULL, s[5]), "delivered");
	ck_assert_str_eq(decide(NULL, s[3]), "delivery_failed");
	/* polls missed: the latest change, once */
	ck_assert_str_eq(decide(s[1], s[5]), "delivered");
	/* going back in transit is no second "shipped" */
	ck_assert_str_eq(decide(s[2], s[1]), "none");
	for (int i = 1; i <= 5; i++)
		tsk_shipment_free(s[i]);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(return_and_exception)
{
	tsk_ctx *ctx = test_ctx();
	tsk_shipment *r1 = page(ctx, "return_1.html"), *r2 = page(ctx, "return_2.html"),
	             *r3 = page(ctx, "return_3.html");
	tsk__notice n;
	ck_assert(tsk__notify_decide(&n, r1, r2));
	ck_assert_str_eq(tsk_notify_kind_to_string(n.kind), "exception");
	ck_assert_int_eq(n.exception, TSK_EXC_ADDRESS_PROBLEM);
	ck_assert_str_eq(decide(r2, r3), "returned");
	ck_assert_str_eq(decide(r3, r3), "none");
	tsk_shipment_free(r1);
	tsk_shipment_free(r2);
	tsk_shipment_free(r3);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(render_ids_and_texts)
{
	tsk_ctx *ctx = test_ctx();
	tsk_shipment *s1 = page(ctx, "life_1.html"), *s2 = page(ctx, "life_2.html");
	tsk__templates *t = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__templates_new(&t, &err), TSK_OK);
	tsk__notice n;
	ck_assert(tsk__notify_decide(&n, s1, s2));
	tsk__store_note a, b, c;
	const tsk_adapter *yamato = tsk_ctx_carrier(ctx, "yamato");
	ck_assert_int_eq(tsk__notify_render(&a, t, &n, s2, yamato, "order-1042", "ja"), TSK_OK);
	ck_assert_int_eq(tsk__notify_render(&b, t, &n, s2, yamato, "order-1042", "en"), TSK_OK);
	ck_assert_int_eq(tsk__notify_render(&c, t, &n, s2, yamato, "order-1043", "ja"), TSK_OK);
	/* the same change has the same id (the locale is no part of the change) */
	ck_assert_str_eq(a.id, b.id);
	ck_assert_str_ne(a.id, c.id);
	ck_assert_uint_eq(strlen(a.id), 32);
	tsk_notification *o = NULL;
	ck_assert_int_eq(tsk__notification_from_json(&o, a.id, a.json), TSK_OK);
	ck_assert_int_eq(tsk_notification_kind(o), TSK_NOTIFY_OUT_FOR_DELIVERY);
	ck_assert_str_eq(tsk_notification_reference(o), "order-1042");
	ck_assert_str_eq(tsk_notification_carrier(o), "yamato");
	ck_assert_str_eq(tsk_notification_tracking_number(o), "400123456784");
	ck_assert_str_eq(tsk_notification_locale(o), "ja");
	ck_assert_str_eq(tsk_notification_subject(o, NULL), "本日お届け予定です");
	ck_assert_str_eq(tsk_notification_body(o, "ja"), "ご注文の商品は本日お届け予定です（配達中）。");
	ck_assert_str_eq(tsk_notification_body(o, "en"), "Your order is out for delivery and should arrive today.");
	ck_assert_ptr_null(tsk_notification_body(o, "fr"));
	char when[48];
	tsk_time_format(when, sizeof when, tsk_notification_time(o));
	ck_assert_str_eq(when, "2026-12-03T09:30:00+09:00");
	/* the JSON object of DESIGN.md, keys in order */
	ck_assert_ptr_nonnull(strstr(a.json, "{\"schema\":1,\"id\":\""));
	ck_assert_ptr_nonnull(strstr(a.json, "\"kind\":\"out_for_delivery\",\"reference\":\"order-1042\","
	                                     "\"carrier\":\"yamato\",\"tracking_number\":\"400123456784\","
	                                     "\"time\":\"2026-12-03T09:30:00+09:00\",\"status\":\"out_for_delivery\","
	                                     "\"eta\":{"));
	ck_assert_ptr_nonnull(strstr(a.json, "\"exception\":null,\"locale\":\"ja\",\"text\":{\"ja\":{\"subject\":"));
	tsk__notification_free(o);
	/* {carrier} speaks the customer's language: the adapter's own names */
	tsk__notice sh;
	ck_assert(tsk__notify_decide(&sh, NULL, s1));
	tsk__store_note d;
	ck_assert_int_eq(tsk__notify_render(&d, t, &sh, s1, yamato, NULL, "en"), TSK_OK);
	ck_assert_ptr_nonnull(strstr(d.json, "ご注文の商品はヤマト運輸でお届けします（伝票番号 400123456784）。"));
	ck_assert_ptr_nonnull(strstr(d.json, "Your order is on its way with Yamato Transport (tracking number 400123456784)."));
	ck_assert_ptr_nonnull(strstr(d.json, "\"reference\":null"));
	free(a.json);
	free(b.json);
	free(c.json);
	free(d.json);
	tsk__templates_free(t);
	tsk_shipment_free(s1);
	tsk_shipment_free(s2);
	tsk_ctx_free(ctx);
}
END_TEST

static char *temp_path(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(buf[k], sizeof buf[k], "%s/tsk-fleet-%ld-%s", dir, (long)getpid(), name);
	return buf[k];
}

START_TEST(templates_replace_and_errors)
{
	tsk__templates *t = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__templates_new(&t, &err), TSK_OK);
	const char *path = temp_path("tpl.json");
	FILE *f = fopen(path, "w");
	fputs("{\"version\":1,\"notifications\":{\"delivered\":{\"ja\":{\"subject\":\"届きました\","
	      "\"body\":\"{reference}: {carrier}がお届けしました。\"}}},"
	      "\"carriers\":{\"yamato\":{\"en\":\"Kuroneko\"}}}", f);
	fclose(f);
	ck_assert_int_eq(tsk__templates_load(t, path, &err), TSK_OK);
	/* a broken file changes nothing and names the key */
	f = fopen(path, "w");
	fputs("{\"version\":1,\"notifications\":{\"delivred\":{}}}", f);
	fclose(f);
	ck_assert_int_eq(tsk__templates_load(t, path, &err), TSK_EPARSE);
	ck_assert_msg(strstr(err.message, "notifications.delivred"), "%s", err.message);
	ck_assert_int_eq(tsk__templates_load(t, "/nonexistent/tpl.json", &err), TSK_EIO);
	unlink(path);

	tsk_ctx *ctx = test_ctx();
	tsk_shipment *s = page(ctx, "life_5.html");
	tsk__notice n;
	ck_assert(tsk__notify_decide(&n, NULL, s));
	tsk__store_note note;
	ck_assert_int_eq(tsk__notify_render(&note, t, &n, s, tsk_ctx_carrier(ctx, "yamato"), "A-7", "ja"), TSK_OK);
	ck_assert_ptr_nonnull(strstr(note.json, "\"ja\":{\"subject\":\"届きました\",\"body\":\"A-7: ヤマト運輸がお届けしました。\"}"));
	/* English was not in the file: the built-in text stays */
	ck_assert_ptr_nonnull(strstr(note.json, "\"en\":{\"subject\":\"Your order has been delivered\""));
	free(note.json);
	/* the file's carriers table names the carrier in the languages it gives */
	tsk__notice sh;
	memset(&sh, 0, sizeof sh);
	sh.kind = TSK_NOTIFY_SHIPPED;
	ck_assert_int_eq(tsk__notify_render(&note, t, &sh, s, tsk_ctx_carrier(ctx, "yamato"), "A-7", "ja"), TSK_OK);
	ck_assert_ptr_nonnull(strstr(note.json, "ご注文の商品はヤマト運輸でお届けします（伝票番号 "));
	ck_assert_ptr_nonnull(strstr(note.json, "Your order is on its way with Kuroneko (tracking number "));
	free(note.json);
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
	tsk__templates_free(t);
}
END_TEST

/* A carrier outside the library names itself: a REST mapping's
 * customer_name per language, its display_name for a language it leaves
 * out, the registry name for a carrier the context does not know. */
static void render_shipped(tsk__store_note *out, tsk_ctx *ctx, const tsk__templates *t, const char *carrier)
{
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_shipment_new(&s, carrier, "AC12345"), TSK_OK);
	tsk__notice n;
	memset(&n, 0, sizeof n);
	n.kind = TSK_NOTIFY_SHIPPED;
	ck_assert_int_eq(tsk__notify_render(out, t, &n, s, tsk_ctx_carrier(ctx, carrier), NULL, "ja"), TSK_OK);
	tsk_shipment_free(s);
}

START_TEST(carrier_names_from_adapters)
{
	tsk_ctx *ctx = test_ctx();
	const char *ace = "{\"name\":\"ace\",\"display_name\":\"Ace API\",\"version\":1,"
	                  "\"customer_name\":{\"ja\":\"エース便\",\"en\":\"Ace Parcel\"},"
	                  "\"base_url\":\"https://ace.test\",\"request\":{\"url\":\"{endpoint}/{number}\"},"
	                  "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}}}";
	const char *bee = "{\"name\":\"bee\",\"display_name\":\"Bee Tracking\",\"version\":1,"
	                  "\"customer_name\":{\"ja\":\"ビー便\"},"
	                  "\"base_url\":\"https://bee.test\",\"request\":{\"url\":\"{endpoint}/{number}\"},"
	                  "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}}}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, ace, strlen(ace), "ace.json"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, bee, strlen(bee), "bee.json"), TSK_OK);
	tsk__templates *t = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__templates_new(&t, &err), TSK_OK);
	tsk__store_note note;
	render_shipped(&note, ctx, t, "rest:ace");
	ck_assert_ptr_nonnull(strstr(note.json, "\"body\":\"ご注文の商品はエース便でお届けします（伝票番号 AC12345）。\""));
	ck_assert_ptr_nonnull(strstr(note.json, "\"body\":\"Your order is on its way with Ace Parcel (tracking number AC12345).\""));
	ck_assert_ptr_nonnull(strstr(note.json, "\"carrier\":\"rest:ace\""));
	free(note.json);
	render_shipped(&note, ctx, t, "rest:bee");
	ck_assert_ptr_nonnull(strstr(note.json, "ご注文の商品はビー便でお届けします"));
	ck_assert_ptr_nonnull(strstr(note.json, "Your order is on its way with Bee Tracking (tracking"));
	free(note.json);
	render_shipped(&note, ctx, t, "rest:gone");
	ck_assert_ptr_nonnull(strstr(note.json, "ご注文の商品はrest:goneでお届けします"));
	ck_assert_ptr_nonnull(strstr(note.json, "Your order is on its way with rest:gone (tracking"));
	free(note.json);
	tsk__templates_free(t);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------ the stores */

START_TEST(memory_store)
{
	tsk_test_check_store(&tsk__store_memory, "");
}
END_TEST

START_TEST(sqlite_store)
{
	const char *path = temp_path("store.db");
	tsk_test_remove_db(path);
	tsk_test_check_store(&tsk__store_sqlite, path);
	/* created 0600, schema 1 */
	struct stat stt;
	ck_assert_int_eq(stat(path, &stt), 0);
	ck_assert_int_eq(stt.st_mode & 0777, 0600);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 2);
	sqlite3_finalize(q);
	/* due work is the index, not a scan of the table */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id FROM shipments"
	                                        " WHERE next_poll <= 5 ORDER BY next_poll, id LIMIT 10",
	                                    -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	const char *plan = (const char *)sqlite3_column_text(q, 3);
	ck_assert_msg(strstr(plan, "USING INDEX shipments_due") || strstr(plan, "USING COVERING INDEX shipments_due"),
	              "plan: %s", plan);
	sqlite3_finalize(q);
	/* a file of schema 1 (before legs) migrates forward at open, its rows kept */
	ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE shipments DROP COLUMN leg_carrier;"
	                                  "ALTER TABLE shipments DROP COLUMN leg_number;"
	                                  "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	tsk__store *st = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__store_sqlite.open(&st, path, &err), TSK_OK);
	tsk__store_rec got;
	ck_assert_int_eq(st->ops->get(st, "333333333333", &got, &err), TSK_OK);
	ck_assert_str_eq(got.carrier, "sagawa");
	ck_assert_ptr_null(got.leg_carrier);
	tsk__store_rec_dispose(&got);
	st->ops->close(st);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	/* a file from a newer tsuiseki is refused, not touched */
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(tsk__store_sqlite.open(&st, path, &err), TSK_EVERSION);
	ck_assert_msg(strstr(err.message, "newer"), "%s", err.message);
	tsk_test_remove_db(path);
	/* not a database */
	FILE *f = fopen(path, "w");
	fputs("this is not a database, it is a text file that is long enough to look like one? no.\n", f);
	fclose(f);
	ck_assert_int_eq(tsk__store_sqlite.open(&st, path, &err), TSK_EIO);
	tsk_test_remove_db(path);
	ck_assert_int_eq(tsk__store_sqlite.open(&st, "/nonexistent/dir/fleet.db", &err), TSK_EIO);
}
END_TEST

START_TEST(open_urls)
{
	tsk_ctx *ctx = test_ctx();
	tsk_fleet *f = NULL;
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "memory:"), TSK_OK);
	tsk_fleet_free(f);
	/* PostgreSQL: a clear error without libpq; with it, no server on port 1 */
	int rc = tsk_fleet_open(&f, ctx, "postgresql://localhost:1/shop?connect_timeout=2");
	ck_assert_msg(rc == TSK_ECONFIG || rc == TSK_ENETWORK, "%d", rc);
	ck_assert_msg(strstr(tsk_ctx_last_error(ctx), rc == TSK_ECONFIG ? "no PostgreSQL store" : "cannot connect"), "%s",
	              tsk_ctx_last_error(ctx));
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "mysql://x"), TSK_EINVAL);
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "fleet.db"), TSK_EINVAL);
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "sqlite:"), TSK_EINVAL);
	ck_assert_ptr_null(f);
	/* add: numbers, carriers, locales are checked */
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "memory:"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "4001-2345-6784", "auto", "o-1", "ja"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456784", "yamato", "o-2", "en"), TSK_EEXISTS);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456785", "auto", NULL, NULL), TSK_EINVALID_NUMBER);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456806", "nosuch", NULL, NULL), TSK_ENOCARRIER);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456806", "yamato", NULL, "fr"), TSK_EINVAL);
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "4001 2345 6784"), TSK_OK);
	ck_assert_str_eq(tsk_fleet_item_carrier(it), "auto");
	ck_assert_str_eq(tsk_fleet_item_reference(it), "o-1");
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_ACTIVE);
	ck_assert_ptr_null(tsk_fleet_item_shipment(it));
	ck_assert_ptr_nonnull(tsk_fleet_item_next_poll(it));
	tsk_fleet_item_free(it);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456806"), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_fleet_set_option(f, TSK_FLEET_OPT_ROUND_SIZE, 0), TSK_EINVAL);
	ck_assert_int_eq(tsk_fleet_option(f, TSK_FLEET_OPT_GIVE_UP_S), 14 * 86400);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("fleet");
	tcase_add_test(tc, lifecycle_one_notice_per_change);
	tcase_add_test(tc, return_and_exception);
	tcase_add_test(tc, render_ids_and_texts);
	tcase_add_test(tc, templates_replace_and_errors);
	tcase_add_test(tc, carrier_names_from_adapters);
	tcase_add_test(tc, memory_store);
	tcase_add_test(tc, sqlite_store);
	tcase_add_test(tc, open_urls);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
