/* lib/log: writes to stderr with a UTC timestamp and level; suppresses
 * floods of one repeated line (a few slots keyed by a hash of the text). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "lib/log.h"

int fe_log_level = LOG_INFO;

static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
static char log_path[512];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

#define SLOTS 8

/* One recently written line: how often it came in its window. */
static struct slot {
	uint64_t hash;  /* 0 = free */
	int64_t start;  /* window start, ms */
	unsigned count; /* lines in this window, written or not */
	unsigned suppressed;
	int level;
	char sample[120];
} slots[SLOTS];

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t (*clock_ms)(void) = mono_ms;

void log_set_clock(int64_t (*now_ms)(void))
{
	pthread_mutex_lock(&mu);
	clock_ms = now_ms ? now_ms : mono_ms;
	pthread_mutex_unlock(&mu);
}

static void emit(int level, const char *line)
{
	char ts[32];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03dZ %-5s %s\n", ts, (int)(tv.tv_usec / 1000), names[level & 3], line);
}

/* Writes the summary of a slot that suppressed lines, and frees it. */
static void retire(struct slot *s)
{
	if (s->suppressed) {
		char line[256];
		snprintf(line, sizeof line, "log: suppressed %u similar lines: %s", s->suppressed, s->sample);
		emit(s->level, line);
	}
	memset(s, 0, sizeof *s);
}

static uint64_t fnv1a(int level, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)level;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

void log_write(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	uint64_t h = fnv1a(level, line);
	pthread_mutex_lock(&mu);
	int64_t now = clock_ms();
	struct slot *hit = NULL, *free_slot = NULL, *oldest = &slots[0];
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (s->hash && now - s->start >= LOG_WINDOW_MS)
			retire(s);
		if (!s->hash) {
			if (!free_slot)
				free_slot = s;
		} else if (s->hash == h) {
			hit = s;
		} else if (s->start < oldest->start || !oldest->hash) {
			oldest = s;
		}
	}
	if (hit) {
		if (++hit->count > LOG_BURST) {
			hit->suppressed++;
			pthread_mutex_unlock(&mu);
			return;
		}
	} else {
		hit = free_slot;
		if (!hit) {
			retire(oldest);
			hit = oldest;
		}
		hit->hash = h;
		hit->start = now;
		hit->count = 1;
		hit->level = level;
		size_t n = strnlen(line, sizeof hit->sample - 1);
		memcpy(hit->sample, line, n);
		hit->sample[n] = 0;
	}
	emit(level, line);
	pthread_mutex_unlock(&mu);
}

void log_flush(void)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].hash)
			retire(&slots[i]);
	pthread_mutex_unlock(&mu);
}

int log_level_parse(const char *s)
{
	static const char *lower[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, lower[i]))
			return i;
	return -1;
}

static int open_onto_stderr(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -1;
	int rc = fd == 2 ? 0 : dup2(fd, 2) < 0 ? -1 : 0;
	if (fd != 2)
		close(fd);
	return rc;
}

int log_open(const char *path)
{
	if (strlen(path) >= sizeof log_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fflush(stderr);
	if (open_onto_stderr(path))
		return -1;
	memcpy(log_path, path, strlen(path) + 1);
	return 0;
}

void log_reopen(void)
{
	int saved = errno;
	if (log_path[0])
		open_onto_stderr(log_path);
	errno = saved;
}
