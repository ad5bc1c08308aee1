/* lib/timefmt: wall-clock time in milliseconds and its RFC 3339 form. */
#ifndef FE_TIMEFMT_H
#define FE_TIMEFMT_H
#include <stdint.h>

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t time_now_ms(void);

/* Monotonic microseconds, for measuring durations. */
int64_t time_mono_us(void);

/* Formats ms since the epoch as "2026-11-28T10:00:00.123Z" into out (>= 32 bytes). */
void time_rfc3339(int64_t ms, char out[32]);

#endif
