/*
 * date.h: dates written for mail headers and for people, in English
 * whatever the locale (strftime's %a and %b follow LC_TIME; RFC 5322 wants
 * English names), always in UTC.
 */
#ifndef CALLIN_DATE_H
#define CALLIN_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CL_DATE_RFC5322_MAX 40 /* "Tue, 03 Nov 2026 14:05:09 +0000" */

/*
 * Write the RFC 5322 date of t ("Mon, 23 Nov 2026 14:05:09 +0000").
 * Cannot fail.
 */
void cl_date_rfc5322(time_t t, char out[CL_DATE_RFC5322_MAX]);

/*
 * Write a date for people, "23 November 2026 at 14:05:09 UTC", of the
 * Unix time ms (milliseconds) into out (n bytes).  Cannot fail.
 */
void cl_date_human(int64_t ms, char *out, size_t n);

/*
 * Write the ISO 8601 UTC time iso ("2026-11-23T14:05:09Z", as receipts
 * and request documents hold it) as cl_date_human() does; a string not in
 * that form is written as it is.  Cannot fail.
 */
void cl_date_human_iso(const char *iso, char *out, size_t n);

/*
 * Write the calendar date ymd ("2026-03-12", as the form's date answers
 * are kept) as "12 March 2026"; anything else is written as it is.
 * Cannot fail.
 */
void cl_date_human_day(const char *ymd, char *out, size_t n);

#endif /* CALLIN_DATE_H */
