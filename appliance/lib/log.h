/* lib/log: leveled logging, one line per event: "module: event key=value".
 * Never log passwords, tokens or message bodies. Lines go to stderr, or to
 * the file given to log_open (which takes stderr's place, so libraries and
 * sanitizers write there too). The same line repeated more than
 * LOG_BURST times within LOG_WINDOW_MS is suppressed; one line
 * "log: suppressed N similar lines ..." follows once the window has passed
 * (written with the next log line, or by log_flush). Thread-safe. */
#ifndef FE_LOG_H
#define FE_LOG_H
#include <stdint.h>

enum fe_log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

#define LOG_BURST 5         /* identical lines written per window */
#define LOG_WINDOW_MS 10000 /* the window, in ms of the monotonic clock */

extern int fe_log_level;

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *s);

/* Appends the log to path (created 0640 when missing) from now on: the file
 * becomes file descriptor 2. The path is kept for log_reopen. Returns 0, or
 * -1 with errno set (stderr unchanged). */
int log_open(const char *path);

/* Reopens the path given to log_open (after log rotation renamed it): new
 * lines go to a new file of that name. No-op without log_open. Only
 * async-signal-safe calls: meant for the SIGHUP handler. */
void log_reopen(void);

/* Writes the pending "suppressed" summaries now (e.g. at shutdown). */
void log_flush(void);

/* Tests: the clock of the suppression windows (ms); NULL restores the
 * monotonic clock. */
void log_set_clock(int64_t (*now_ms)(void));

#define log_err(...)                                                                                         \
	do {                                                                                                 \
		if (fe_log_level >= LOG_ERR)                                                                 \
			log_write(LOG_ERR, __VA_ARGS__);                                                     \
	} while (0)
#define log_warn(...)                                                                                        \
	do {                                                                                                 \
		if (fe_log_level >= LOG_WARN)                                                                \
			log_write(LOG_WARN, __VA_ARGS__);                                                    \
	} while (0)
#define log_info(...)                                                                                        \
	do {                                                                                                 \
		if (fe_log_level >= LOG_INFO)                                                                \
			log_write(LOG_INFO, __VA_ARGS__);                                                    \
	} while (0)
#define log_debug(...)                                                                                       \
	do {                                                                                                 \
		if (fe_log_level >= LOG_DEBUG)                                                               \
			log_write(LOG_DEBUG, __VA_ARGS__);                                                   \
	} while (0)

#endif
