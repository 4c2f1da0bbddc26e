/*
 * date.c: dates in messages, in English whatever the locale (strftime's
 * %a and %b follow LC_TIME, RFC 5322 wants English names).
 */
#include <stdio.h>
#include <time.h>

#include "callin/mail.h"

static const char *const wdays[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
};

void
cl_mail_date(time_t t, char out[CL_MAIL_DATE_MAX])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, CL_MAIL_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
cl_mail_human_date(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%d %s %04d at %02d:%02d:%02d UTC", tm.tm_mday,
	    month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}
