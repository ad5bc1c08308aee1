/* lib/progress: see progress.h. */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/progress.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_begin(struct progress *p, const char *label, uint64_t total, const char *unit)
{
	memset(p, 0, sizeof *p);
	p->out = stderr;
	snprintf(p->label, sizeof p->label, "%s", label);
	snprintf(p->unit, sizeof p->unit, "%s", unit);
	p->total = total;
	p->started_ms = p->shown_ms = mono_ms();
	p->tty = isatty(fileno(stderr));
}

static void span(char *buf, size_t len, int64_t ms)
{
	int64_t s = (ms + 500) / 1000;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

void progress_format(const struct progress *p, int64_t now_ms, char *buf, size_t len)
{
	int64_t el = now_ms - p->started_ms;
	double rate = el > 0 ? (double)p->done * 1000.0 / (double)el : 0;
	if (p->total) {
		char left[32] = "?";
		if (rate > 0 && p->done <= p->total)
			span(left, sizeof left, (int64_t)((double)(p->total - p->done) * 1000.0 / rate));
		snprintf(buf, len, "%s %d%% %llu/%llu %s, %.0f %s/s, %s left", p->label,
		         (int)(p->done >= p->total ? 100 : p->done * 100 / p->total),
		         (unsigned long long)p->done, (unsigned long long)p->total, p->unit, rate, p->unit,
		         left);
	} else
		snprintf(buf, len, "%s %llu %s, %.0f %s/s", p->label, (unsigned long long)p->done, p->unit,
		         rate, p->unit);
}

void progress_update(struct progress *p, uint64_t done)
{
	p->done = done;
	int64_t now = mono_ms();
	if (now - p->shown_ms < (p->tty ? PROGRESS_TTY_MS : PROGRESS_PLAIN_MS))
		return;
	p->shown_ms = now;
	char line[256];
	progress_format(p, now, line, sizeof line);
	fprintf(p->out, p->tty ? "\r\033[K%s" : "%s\n", line);
	fflush(p->out);
}

void progress_end(struct progress *p)
{
	int64_t el = mono_ms() - p->started_ms;
	char took[32];
	span(took, sizeof took, el);
	double rate = el > 0 ? (double)p->done * 1000.0 / (double)el : 0;
	fprintf(p->out, "%s%s done: %llu %s in %s (%.0f %s/s)\n", p->tty ? "\r\033[K" : "", p->label,
	        (unsigned long long)p->done, p->unit, took, rate, p->unit);
	fflush(p->out);
}
