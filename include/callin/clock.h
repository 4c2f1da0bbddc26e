/* clock.h: the wall clock, as the stores and messages record it, and the
 * monotonic clock, for timeouts and durations. */
#ifndef CALLIN_CLOCK_H
#define CALLIN_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME).  Cannot fail. */
int64_t cl_now_ms(void);

/* Seconds of CLOCK_MONOTONIC, with a fraction.  Cannot fail. */
double cl_mono_s(void);

/* Milliseconds of CLOCK_MONOTONIC.  Cannot fail. */
int64_t cl_mono_ms(void);

#endif /* CALLIN_CLOCK_H */
