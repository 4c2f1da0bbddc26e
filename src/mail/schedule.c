/*
 * schedule.c: when to try a notification again after a temporary failure:
 * a configured list of delays (the last repeating), a little random jitter
 * so that messages held back by the same outage do not all return to the
 * relay at the same moment, and a time after which we give up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callin/mail.h"

#define DELAY_MAX_MS (INT64_C(7) * 86400 * 1000)

cl_err
cl_mail_schedule_parse(const char *spec, int64_t give_up_s,
    cl_mail_schedule *out, char *err, size_t errlen)
{
	const char *p = spec;
	char *end;
	long long v;
	int64_t unit;

	memset(out, 0, sizeof *out);
	if (give_up_s <= 0) {
		snprintf(err, errlen, "the give-up time must be positive");
		return CL_EINVAL;
	}
	out->give_up_ms = give_up_s * 1000;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen,
			    "\"%s\": expected a delay such as "
			    "30s, 1m, 2h or 1d at \"%s\"",
			    spec, p);
			return CL_EINVAL;
		}
		v = strtoll(p, &end, 10);
		switch (*end) {
		case 's': unit = 1000; break;
		case 'm': unit = 60 * 1000; break;
		case 'h': unit = 3600 * 1000; break;
		case 'd': unit = 86400 * 1000; break;
		default:
			snprintf(err, errlen,
			    "\"%s\": a delay needs a unit "
			    "s, m, h or d",
			    spec);
			return CL_EINVAL;
		}
		if (v <= 0 || v > DELAY_MAX_MS / unit) {
			snprintf(err, errlen,
			    "\"%s\": each delay must be more "
			    "than 0 and at most 7d",
			    spec);
			return CL_EINVAL;
		}
		if (out->n == CL_MAIL_SCHEDULE_MAX) {
			snprintf(err, errlen, "\"%s\": more than %d delays",
			    spec, CL_MAIL_SCHEDULE_MAX);
			return CL_EINVAL;
		}
		out->delay_ms[out->n++] = (int64_t)v * unit;
		p = end + 1;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return CL_OK;
		if (*p++ != ',') {
			snprintf(err, errlen,
			    "\"%s\": delays are separated "
			    "by commas",
			    spec);
			return CL_EINVAL;
		}
	}
}

int
cl_mail_schedule_next(const cl_mail_schedule *s, int failures, int64_t first_ms,
    int64_t now_ms, uint32_t rnd, int64_t *retry_ms)
{
	int64_t deadline = first_ms + s->give_up_ms, delay, jitter;
	size_t i;

	if (s->n == 0 || now_ms >= deadline)
		return 0;
	i = failures < 0 ? 0 : (size_t)failures;
	if (i >= s->n)
		i = s->n - 1;
	delay = s->delay_ms[i];
	jitter = delay / 5 > 0 ? (int64_t)(rnd % (uint64_t)(delay / 5 + 1)) : 0;
	*retry_ms = now_ms + delay + jitter;
	if (*retry_ms > deadline)
		*retry_ms = deadline;
	return 1;
}
