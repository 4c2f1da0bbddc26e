/* date.c: dates in mail headers and for people (see date.h). */
#include <stdio.h>
#include <time.h>

#include "callin/date.h"

static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	"Sat" };

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static const char *const month_names[12] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };

void
cl_date_rfc5322(time_t t, char out[CL_DATE_RFC5322_MAX])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, CL_DATE_RFC5322_MAX,
	    "%s, %02d %s %04d %02d:%02d:%02d +0000", wdays[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

void
cl_date_human(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%d %s %04d at %02d:%02d:%02d UTC", tm.tm_mday,
	    month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

void
cl_date_human_iso(const char *iso, char *out, size_t n)
{
	int y, mo, d, h, mi, s;

	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) ==
		6 &&
	    mo >= 1 && mo <= 12)
		snprintf(out, n, "%d %s %04d at %02d:%02d:%02d UTC", d,
		    month_names[mo - 1], y, h, mi, s);
	else
		snprintf(out, n, "%s", iso);
}

void
cl_date_human_day(const char *ymd, char *out, size_t n)
{
	int y, m, d;
	char tail;

	if (sscanf(ymd, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 &&
	    m <= 12 && d >= 1 && d <= 31)
		snprintf(out, n, "%d %s %04d", d, month_names[m - 1], y);
	else
		snprintf(out, n, "%s", ymd);
}
