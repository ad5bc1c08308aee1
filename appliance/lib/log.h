/* lib/log: leveled logging, one line per event: "module: event key=value".
 * Never log passwords, tokens or message bodies. */
#ifndef FE_LOG_H
#define FE_LOG_H

enum fe_log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int fe_log_level;

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "error|warn|info|debug"; returns the level or -1. */
int log_level_parse(const char *s);

#define log_err(...) do { if (fe_log_level >= LOG_ERR) log_write(LOG_ERR, __VA_ARGS__); } while (0)
#define log_warn(...) do { if (fe_log_level >= LOG_WARN) log_write(LOG_WARN, __VA_ARGS__); } while (0)
#define log_info(...) do { if (fe_log_level >= LOG_INFO) log_write(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (fe_log_level >= LOG_DEBUG) log_write(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
