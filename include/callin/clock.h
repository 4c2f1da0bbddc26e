/* clock.h: the wall clock, as the stores and messages record it. */
#ifndef CALLIN_CLOCK_H
#define CALLIN_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME).  Cannot fail. */
int64_t cl_now_ms(void);

#endif /* CALLIN_CLOCK_H */
