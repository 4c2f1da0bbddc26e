/*
 * test_form_dates.c: the decision date: when it is required, its parts,
 * real calendar dates (leap years), the earliest date and "today" in the UK.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "callin/form.h"
#include "test_form_helpers.h"

#define ALL (CL_DATE_PART_DAY | CL_DATE_PART_MONTH | CL_DATE_PART_YEAR)

/* Seconds since the epoch of a UTC time. */
static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

/*
 * Validate the valid set with the stage and the date parts given (NULL: the
 * part is not sent) at now; return the errors.
 */
static cl_form_errors
date_at(const char *stage, const char *day, const char *month, const char *year,
    time_t now)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	valid_except(&a, "proposal_stage", "grounds", "decision_date-day",
	    "decision_date-month", "decision_date-year", NULL);
	add(&a, "proposal_stage", stage);
	add(&a, "grounds", "process");
	if (day != NULL)
		add(&a, "decision_date-day", day);
	if (month != NULL)
		add(&a, "decision_date-month", month);
	if (year != NULL)
		add(&a, "decision_date-year", year);
	check_at(&a, now, &errs);
	cl_answers_free(&a);
	return errs;
}

/* Expect the date d/m/y at now to pass (message NULL) or to fail with
 * message, anchor and parts. */
static void
expect_date(const char *d, const char *m, const char *y, time_t now,
    const char *message, const char *anchor, unsigned parts)
{
	cl_form_errors errs = date_at("decision_made", d, m, y, now);

	if (message == NULL) {
		if (errs.n != 0)
			print_message("date %s/%s/%s\n", d, m, y);
		expect_none(&errs);
	} else {
		if (errs.n != 1 || strcmp(errs.v[0].message, message) != 0)
			print_message("date %s/%s/%s\n", d, m, y);
		expect_one(&errs, "decision_date", anchor, message);
		assert_int_equal(errs.v[0].parts, parts);
	}
	cl_form_errors_free(&errs);
}

static void
test_required_when_decided(void **state)
{
	static const char *const decided[] = { "decision_made", "implementing",
		"implemented" };
	static const char *const undecided[] = { "pre_consultation",
		"consultation", "temporary_change" };
	cl_form_errors errs;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		errs = date_at(decided[i], NULL, NULL, NULL, NOW);
		expect_one(&errs, "decision_date", "decision_date-day",
		    "Enter the date of the decision");
		assert_int_equal(errs.v[0].kind, CL_FE_MISSING);
		assert_int_equal(errs.v[0].parts, ALL);
		cl_form_errors_free(&errs);
		errs = date_at(decided[i], "", " ", "", NOW);
		expect_one(&errs, "decision_date", "decision_date-day",
		    "Enter the date of the decision");
		cl_form_errors_free(&errs);
		errs = date_at(decided[i], "1", "2", "2024", NOW);
		expect_none(&errs);
		cl_form_errors_free(&errs);

		errs = date_at(undecided[i], NULL, NULL, NULL, NOW);
		expect_none(&errs);
		cl_form_errors_free(&errs);
		errs = date_at(undecided[i], "", "", "", NOW);
		expect_none(&errs);
		cl_form_errors_free(&errs);
		/* Entered all the same: kept, so it must be a valid date. */
		errs = date_at(undecided[i], "1", "2", "2024", NOW);
		expect_none(&errs);
		cl_form_errors_free(&errs);
		errs = date_at(undecided[i], "31", "2", "2024", NOW);
		expect_one(&errs, "decision_date", "decision_date-day",
		    "Date of the decision must be a real date");
		cl_form_errors_free(&errs);
		errs = date_at(undecided[i], "", "2", "", NOW);
		expect_one(&errs, "decision_date", "decision_date-day",
		    "Date of the decision must include a day and year");
		cl_form_errors_free(&errs);
	}
}

/* A missing part is named, and the link goes to the first missing one. */
static void
test_incomplete(void **state)
{
	const char *p = "Date of the decision must include a ";
	char msg[100];

	(void)state;
#define INCOMPLETE(d, m, y, what, anchor, parts) \
	do { \
		snprintf(msg, sizeof msg, "%s%s", p, what); \
		expect_date(d, m, y, NOW, msg, "decision_date-" anchor, \
		    parts); \
	} while (0)
	INCOMPLETE("", "3", "2024", "day", "day", CL_DATE_PART_DAY);
	INCOMPLETE("27", "", "2024", "month", "month", CL_DATE_PART_MONTH);
	INCOMPLETE("27", "3", "", "year", "year", CL_DATE_PART_YEAR);
	INCOMPLETE("", "", "2024", "day and month", "day",
	    CL_DATE_PART_DAY | CL_DATE_PART_MONTH);
	INCOMPLETE("", "3", "", "day and year", "day",
	    CL_DATE_PART_DAY | CL_DATE_PART_YEAR);
	INCOMPLETE("27", "", "", "month and year", "month",
	    CL_DATE_PART_MONTH | CL_DATE_PART_YEAR);
	/* A part not sent at all is the same as an empty one. */
	INCOMPLETE(NULL, "3", "2024", "day", "day", CL_DATE_PART_DAY);
#undef INCOMPLETE
}

static void
test_not_numbers(void **state)
{
	const char *real = "Date of the decision must be a real date";

	(void)state;
	expect_date("x", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("27", "March", "2024", NOW, real, "decision_date-month",
	    CL_DATE_PART_MONTH);
	expect_date("27", "3", "20x4", NOW, real, "decision_date-year",
	    CL_DATE_PART_YEAR);
	expect_date("-1", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("2 7", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("1e1", "+3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY | CL_DATE_PART_MONTH);
	expect_date("127", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("\xD9\xA3", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY); /* ARABIC-INDIC DIGIT THREE */
	/* Year: exactly four digits. */
	expect_date("27", "3", "24", NOW, "Year must include 4 numbers",
	    "decision_date-year", CL_DATE_PART_YEAR);
	expect_date("27", "3", "02024", NOW, "Year must include 4 numbers",
	    "decision_date-year", CL_DATE_PART_YEAR);
	expect_date("27", "3", "99999999999999999999999", NOW,
	    "Year must include 4 numbers", "decision_date-year",
	    CL_DATE_PART_YEAR);
	/* Leading zeros and spaces around are fine. */
	expect_date("03", "03", "2024", NOW, NULL, NULL, 0);
	expect_date(" 3 ", " 3", "2024 ", NOW, NULL, NULL, 0);
}

/* Control characters and bad UTF-8 in a part get their own messages. */
static void
test_part_characters(void **state)
{
	cl_answers a = CL_ANSWERS_INIT;
	cl_form_errors errs;

	(void)state;
	expect_date("27", "3\r\n", "2024", NOW,
	    "Date of the decision must not "
	    "include line breaks or other special characters",
	    "decision_date-month", CL_DATE_PART_MONTH);
	expect_date("27", "3", "2024\t", NOW,
	    "Date of the decision must not "
	    "include line breaks or other special characters",
	    "decision_date-year", CL_DATE_PART_YEAR);
	expect_date("2\xFF", "3", "2024", NOW,
	    "Date of the decision must not "
	    "include unreadable characters",
	    "decision_date-day", CL_DATE_PART_DAY);
	valid_except(&a, "decision_date-day", NULL);
	cl_answers_add(&a, "decision_date-day",
	    "2\0"
	    "7",
	    3);
	check_at(&a, NOW, &errs);
	expect_one(&errs, "decision_date", "decision_date-day", NULL);
	assert_int_equal(errs.v[0].kind, CL_FE_CONTROL);
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
	/* A part sent twice. */
	valid_except(&a, NULL);
	add(&a, "decision_date-year", "2023");
	check_at(&a, NOW, &errs);
	expect_one(&errs, "decision_date", "decision_date-year",
	    "Date of the decision must only be given once");
	cl_form_errors_free(&errs);
	cl_answers_free(&a);
}

static void
test_real_dates(void **state)
{
	const char *real = "Date of the decision must be a real date";
	static const char *const thirty[] = { "4", "6", "9", "11" };
	static const char *const thirtyone[] = { "1", "3", "5", "7", "8", "10",
		"12" };
	size_t i;

	(void)state;
	expect_date("31", "2", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("30", "2", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	/* Leap years: every 4, not every 100, every 400. */
	expect_date("29", "2", "2024", NOW, NULL, NULL, 0);
	expect_date("29", "2", "2023", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("29", "2", "2000", NOW, NULL, NULL, 0);
	expect_date("29", "2", "1900", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("28", "2", "2023", NOW, NULL, NULL, 0);
	for (i = 0; i < 4; i++) {
		expect_date("30", thirty[i], "2023", NOW, NULL, NULL, 0);
		expect_date("31", thirty[i], "2023", NOW, real,
		    "decision_date-day", CL_DATE_PART_DAY);
	}
	for (i = 0; i < 7; i++)
		expect_date("31", thirtyone[i], "2023", NOW, NULL, NULL, 0);
	expect_date("0", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("32", "3", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY);
	expect_date("27", "0", "2024", NOW, real, "decision_date-month",
	    CL_DATE_PART_MONTH);
	expect_date("27", "13", "2024", NOW, real, "decision_date-month",
	    CL_DATE_PART_MONTH);
	expect_date("32", "13", "2024", NOW, real, "decision_date-day",
	    CL_DATE_PART_DAY | CL_DATE_PART_MONTH);
}

static void
test_earliest(void **state)
{
	(void)state;
	expect_date("1", "1", "1948", NOW, NULL, NULL, 0);
	expect_date("31", "12", "1947", NOW,
	    "Date of the decision must be the "
	    "same as or after 1 January 1948",
	    "decision_date-day", ALL);
	expect_date("1", "1", "0000", NOW,
	    "Date of the decision must be the "
	    "same as or after 1 January 1948",
	    "decision_date-day", ALL);
}

static void
test_today_and_future(void **state)
{
	const char *future =
	    "Date of the decision must be today or in the past";

	(void)state;
	/* NOW is 15 June 2024, 13:00 in London. */
	expect_date("14", "6", "2024", NOW, NULL, NULL, 0);
	expect_date("15", "6", "2024", NOW, NULL, NULL, 0);
	expect_date("16", "6", "2024", NOW, future, "decision_date-day", ALL);
	expect_date("1", "1", "2025", NOW, future, "decision_date-day", ALL);
	expect_date("1", "1", "9999", NOW, future, "decision_date-day", ALL);
}

/*
 * "Today" is the date in the UK.  In summer, 23:30 UTC is already tomorrow
 * in London; in winter it is not.  The clocks change at 01:00 UTC on the
 * last Sunday in March and in October.
 */
static void
test_uk_today(void **state)
{
	const char *future =
	    "Date of the decision must be today or in the past";
	time_t t;

	(void)state;
	t = utc(2025, 6, 1, 23, 30); /* 00:30 on 2 June in London */
	expect_date("2", "6", "2025", t, NULL, NULL, 0);
	expect_date("3", "6", "2025", t, future, "decision_date-day", ALL);
	t = utc(2025, 6, 1, 22, 59); /* 23:59 on 1 June in London */
	expect_date("2", "6", "2025", t, future, "decision_date-day", ALL);
	t = utc(2025, 1, 1, 23, 30); /* 23:30 on 1 January (GMT) */
	expect_date("1", "1", "2025", t, NULL, NULL, 0);
	expect_date("2", "1", "2025", t, future, "decision_date-day", ALL);
	/* 2025: BST from 30 March 01:00 UTC to 26 October 01:00 UTC. */
	t = utc(2025, 3, 29, 23, 30); /* still GMT: 29 March */
	expect_date("30", "3", "2025", t, future, "decision_date-day", ALL);
	t = utc(2025, 3, 30, 23, 30); /* BST: 31 March */
	expect_date("31", "3", "2025", t, NULL, NULL, 0);
	t = utc(2025, 10, 25, 23, 30); /* BST: 26 October */
	expect_date("26", "10", "2025", t, NULL, NULL, 0);
	t = utc(2025, 10, 26, 23, 30); /* GMT again: 26 October */
	expect_date("27", "10", "2025", t, future, "decision_date-day", ALL);
	/* A leap day now. */
	t = utc(2024, 2, 29, 12, 0);
	expect_date("29", "2", "2024", t, NULL, NULL, 0);
	expect_date("1", "3", "2024", t, future, "decision_date-day", ALL);
}

/*
 * Every day-month-year from 1947 to 2027 (with days 0-32 and months 0-13),
 * against the C library's calendar: real dates pass up to today, later ones
 * are in the future, the rest are not real.  At noon UTC in winter, so the
 * UK date is the UTC date.
 */
static void
test_calendar_exhaustive(void **state)
{
	time_t now = utc(2026, 1, 15, 12, 0);
	char d[16], m[16], y[16];
	int year, month, day;

	(void)state;
	for (year = 1947; year <= 2027; year++)
		for (month = 0; month <= 13; month++)
			for (day = 0; day <= 32; day++) {
				struct tm tm;
				cl_form_errors errs;
				cl_ferr want;
				time_t t;
				int real;

				memset(&tm, 0, sizeof tm);
				tm.tm_year = year - 1900;
				tm.tm_mon = month - 1;
				tm.tm_mday = day;
				tm.tm_hour = 12;
				t = timegm(&tm);
				real = month >= 1 && month <= 12 &&
				    tm.tm_mday == day && tm.tm_mon == month - 1;
				if (!real)
					want = CL_FE_DATE_REAL;
				else if (year < 1948)
					want = CL_FE_DATE_TOO_EARLY;
				else if (t > now + 12 * 3600)
					want = CL_FE_DATE_FUTURE;
				else
					want = CL_FE__MAX;
				snprintf(d, sizeof d, "%d", day);
				snprintf(m, sizeof m, "%d", month);
				snprintf(y, sizeof y, "%d", year);
				errs = date_at("implemented", d, m, y, now);
				if (want == CL_FE__MAX) {
					if (errs.n != 0)
						fail_msg("%s/%s/%s: %s", d, m,
						    y, errs.v[0].message);
				} else if (errs.n != 1 ||
				    errs.v[0].kind != want)
					fail_msg("%s/%s/%s: expected kind %d",
					    d, m, y, (int)want);
				cl_form_errors_free(&errs);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_when_decided),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_not_numbers),
		cmocka_unit_test(test_part_characters),
		cmocka_unit_test(test_real_dates),
		cmocka_unit_test(test_earliest),
		cmocka_unit_test(test_today_and_future),
		cmocka_unit_test(test_uk_today),
		cmocka_unit_test(test_calendar_exhaustive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
