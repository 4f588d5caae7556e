/*
 * tsk__redact: the one function every message built from a URL or a
 * server's answer goes through (lib/redact.h).
 */
#include "redact.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *redact(const char *text, const char *const *secrets, size_t n)
{
	static char out[512];
	tsk__redact(out, sizeof out, text, secrets, n);
	return out;
}

START_TEST(user_information)
{
	ck_assert_str_eq(redact("http://user:pw@h.test:8080/x?a=1: HTTP 500", NULL, 0),
	                 "http://***@h.test:8080/x?a=1: HTTP 500");
	ck_assert_str_eq(redact("see https://tok@h.test and http://a:b@c.test/", NULL, 0),
	                 "see https://***@h.test and http://***@c.test/");
	/* an '@' after the host is not user information */
	ck_assert_str_eq(redact("https://h.test/u/@me?x=a@b", NULL, 0), "https://h.test/u/@me?x=a@b");
	ck_assert_str_eq(redact("no URL here: 12:30 @home", NULL, 0), "no URL here: 12:30 @home");
	ck_assert_str_eq(redact("", NULL, 0), "");
}
END_TEST

START_TEST(credential_parameters)
{
	ck_assert_str_eq(redact("https://h.test/t/1?api_key=K1&n=2&Token=T;sig=S#frag", NULL, 0),
	                 "https://h.test/t/1?api_key=***&n=2&Token=***;sig=***#frag");
	ck_assert_str_eq(redact("\"https://h.test/?password=x\"", NULL, 0), "\"https://h.test/?password=***\"");
	ck_assert_str_eq(redact("https://h.test/?number=123&locale=ja", NULL, 0), "https://h.test/?number=123&locale=ja");
}
END_TEST

/* libpq's keyword=value connection strings (a fleet's store URL may be one) */
START_TEST(keyword_value_pairs)
{
	ck_assert_str_eq(redact("postgresql:host=/run/postgresql dbname=fleet password=s3cr3t user=shop", NULL, 0),
	                 "postgresql:host=/run/postgresql dbname=fleet password=*** user=shop");
	ck_assert_str_eq(redact("cannot open postgresql:password = 'a \\' b' host=db: refused", NULL, 0),
	                 "cannot open postgresql:password = *** host=db: refused");
	ck_assert_str_eq(redact("sslpassword=x PASSWORD=y passfile=/p", NULL, 0),
	                 "sslpassword=*** PASSWORD=*** passfile=***");
	/* any keyword holding a credential word is one (passfile too, rather
	 * more than less); as libpq reads it, white space after '=' is skipped,
	 * so "password= host=h" is the password "host=h"; ordinary pairs stay */
	ck_assert_str_eq(redact("mypassword=z password= host=h port=5432 password=", NULL, 0),
	                 "mypassword=*** password= *** port=5432 password=");
	/* inside a URL the query rules hold, and both forms in one message */
	ck_assert_str_eq(redact("postgresql://u:pw@db/fleet?password=q&sslmode=require or password=r", NULL, 0),
	                 "postgresql://***@db/fleet?password=***&sslmode=require or password=***");
}
END_TEST

START_TEST(secret_values)
{
	const char *secrets[] = { "a b&c", "", NULL, "XYZ" };
	ck_assert_str_eq(redact("https://h.test/t?q=a%20b%26c&r=XYZ: key a b&c refused", secrets, 4),
	                 "https://h.test/t?q=***&r=***: key *** refused");
	/* a value equal to a secret anywhere, URL or not */
	ck_assert_str_eq(redact("API says: invalid key XYZXYZ", secrets, 4), "API says: invalid key ******");
	/* out may be the text itself, and a short buffer truncates */
	char buf[32] = "token XYZ in place";
	tsk__redact(buf, sizeof buf, buf, secrets, 4);
	ck_assert_str_eq(buf, "token *** in place");
	char small[8];
	tsk__redact(small, sizeof small, "XYZ and more text", secrets, 4);
	ck_assert_str_eq(small, "*** and");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("redact");
	tcase_add_test(tc, user_information);
	tcase_add_test(tc, credential_parameters);
	tcase_add_test(tc, secret_values);
	tcase_add_test(tc, keyword_value_pairs);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
