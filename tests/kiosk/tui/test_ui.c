/*
 * The kiosk UI's pure parts, without a terminal: the one key table
 * (kiosk/tui/keys.c) is consistent and documents itself, text fields and
 * column fitting handle UTF-8, ages come out right.  The screens
 * themselves are tested in tmux (tests/tui/).
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "tests/test.h"
#include "kiosk/tui/ui.h"

/* No key is bound twice on one screen (or twice globally), and every
 * screen name in the table is a real screen. */
static int
test_keys_unique(void)
{
	const struct ui_key *a, *b;
	int err = 0;

	for (a = ui_keys; a->key != 0; a++) {
		if (a->screen != NULL && ui_screen_find(a->screen) == NULL)
			TEST_FAILED(
			    "key table names no screen \"%s\"", a->screen);
		for (b = a + 1; b->key != 0; b++)
			if (a->key == b->key &&
			    ((a->screen == NULL && b->screen == NULL) ||
			        (a->screen != NULL && b->screen != NULL &&
			            strcmp(a->screen, b->screen) == 0)))
				TEST_FAILED("key %d bound twice on %s", a->key,
				    a->screen ? a->screen : "every screen");
	}
out:
	return err;
}

/* Screen bindings win over global ones; unbound keys reach the field. */
static int
test_keys_lookup(void)
{
	int err = 0;

	TEST_EQ(ui_key_action("home", KEY_F(3)), UI_A_FIND);
	TEST_EQ(ui_key_action("find", KEY_F(3)), UI_A_NONE);
	TEST_EQ(ui_key_action("vitals", KEY_F(1)), UI_A_HELP);
	TEST_EQ(ui_key_action("vitals", KEY_F(11)), UI_A_EMERGENCY);
	TEST_EQ(ui_key_action("home", KEY_F(12)), UI_A_LOCK);
	TEST_EQ(ui_key_action("checkin", KEY_F(12)), UI_A_CHECKIN_EXIT);
	TEST_EQ(ui_key_action("register", 'a'), UI_A_NONE);
	TEST_EQ(ui_key_action("register", '7'), UI_A_NONE);
	TEST_EQ(ui_key_action("vitals", 27), UI_A_BACK);
out:
	return err;
}

/* Every screen a person can reach says how to leave or go on, on its
 * help (F1) list: at least one documented key of its own. */
static int
test_keys_documented(void)
{
	const struct ui_key *k;
	size_t i;
	int err = 0, n;

	for (i = 0; screens[i] != NULL; i++) {
		n = 0;
		for (k = ui_keys; k->key != 0; k++)
			n += k->screen != NULL &&
			    strcmp(k->screen, screens[i]->name) == 0 &&
			    k->label != NULL && k->help != NULL;
		if (n == 0 && strcmp(screens[i]->name, "forms") != 0)
			TEST_FAILED("screen %s lists no key of its own",
			    screens[i]->name);
	}
	for (k = ui_keys; k->key != 0; k++)
		if (k->help != NULL && k->label == NULL)
			TEST_FAILED("key %d has help but no label", k->key);
out:
	return err;
}

static int
test_field_utf8(void)
{
	struct ui_field f;
	int err = 0;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		fprintf(stderr, "  no C.UTF-8 locale\n");
		return TEST_SKIP;
	}
	memset(&f, 0, sizeof(f));
	TEST_EQ(ui_field_key(&f, UI_A_NONE, 'A'), 1);
	TEST_EQ(ui_field_key(&f, UI_A_NONE, 0xe9), 1); /* é, two bytes */
	TEST_EQ(f.len, 3);
	TEST_EQ(ui_field_key(&f, UI_A_ERASE, 0), 1);
	TEST_STR(f.buf, "A"); /* one character gone, not one byte */
	TEST_EQ(ui_field_key(&f, UI_A_NONE, 27), 0); /* control: no */
	TEST_EQ(ui_field_key(&f, UI_A_ENTER, '\n'), 0);
	TEST_EQ(ui_field_key(&f, UI_A_ERASE, 0), 1);
	TEST_EQ(ui_field_key(&f, UI_A_ERASE, 0), 0);
	ui_field_set(&f, "Okafor");
	TEST_STR(f.buf, "Okafor");
	ui_field_clear(&f);
	TEST_EQ(f.len, 0);
	TEST_EQ(f.buf[0], 0);
out:
	return err;
}

static int
test_fit(void)
{
	char out[64];
	int err = 0;

	TEST_STR(ui_fit(out, sizeof(out), "Amina", 8), "Amina   ");
	TEST_STR(ui_fit(out, sizeof(out), "Kiprotich-Wanjiru", 9), "Kiprotich");
	/* "Âge de l'enfant": cut at 5 characters, 6 bytes */
	TEST_STR(ui_fit(out, sizeof(out), "\xc3\x82ge de l'enfant", 5),
	    "\xc3\x82ge d");
	TEST_STR(ui_fit(out, sizeof(out), NULL, 3), "   ");
	/* never past OUT */
	TEST_EQ(strlen(ui_fit(out, 4, "abcdef", 10)), 3);
out:
	return err;
}

static int
test_ages(void)
{
	char birth[32];
	time_t now = time(NULL);
	struct tm tm;
	int err = 0;

	localtime_r(&now, &tm);
	TEST_EQ(visit_age_years(NULL), -1);
	TEST_EQ(visit_age_years("19x0"), -1);
	TEST_EQ(visit_age_years("1990-13-01"), -1);
	/* born today three years ago: 3 years, 36 months */
	snprintf(birth, sizeof(birth), "%04d-%02d-%02d", tm.tm_year + 1900 - 3,
	    tm.tm_mon + 1, tm.tm_mday);
	TEST_EQ(visit_age_years(birth), 3);
	TEST_EQ(visit_age_months(birth), 36);
	/* a year alone counts from mid-year: within one of the difference */
	snprintf(birth, sizeof(birth), "%04d", tm.tm_year + 1900 - 40);
	TEST_TRUE(visit_age_years(birth) == 40 || visit_age_years(birth) == 39);
	/* not born yet */
	snprintf(birth, sizeof(birth), "%04d-01-01", tm.tm_year + 1900 + 1);
	TEST_EQ(visit_age_years(birth), -1);
	TEST_STR(ui_sex_value("F"), "female");
	TEST_STR(ui_sex_value("m"), "male");
	TEST_TRUE(ui_sex_value("") == NULL);
	TEST_TRUE(ui_sex_value("x") == NULL);
out:
	return err;
}

TEST_MAIN({ "keys_unique", test_keys_unique },
    { "keys_lookup", test_keys_lookup },
    { "keys_documented", test_keys_documented },
    { "field_utf8", test_field_utf8 }, { "fit", test_fit },
    { "ages", test_ages })
