/* clock.c: the wall clock and the monotonic clock in milliseconds. */
#include <time.h>

#include "callin/clock.h"

int64_t
cl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
cl_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int64_t
cl_mono_ms(void)
{
	return (int64_t)(cl_mono_s() * 1000);
}
