/* lib/progress: progress of a long command (backup, restore, export,
 * import, check) on stderr. On a terminal one line is redrawn in place with
 * the percent done, the rate and the time left; otherwise (a pipe, a log,
 * systemd) a plain line is written at most every PROGRESS_PLAIN_MS and once
 * at the end, so logs stay short. Single-threaded use; one report at a time.
 *
 *   struct progress p;
 *   progress_begin(&p, "backup: database", total_units, "pages");
 *   ... progress_update(&p, done);
 *   progress_end(&p);
 *
 * total may be 0 when unknown: then only the count and the rate are shown. */
#ifndef FE_PROGRESS_H
#define FE_PROGRESS_H
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_TTY_MS 100    /* redraw interval on a terminal */
#define PROGRESS_PLAIN_MS 5000 /* line interval otherwise */

struct progress {
	FILE *out; /* stderr unless set after progress_begin */
	char label[64];
	char unit[16];
	uint64_t total, done;
	int64_t started_ms, shown_ms;
	int tty; /* redraw in place */
};

/* Starts a report labelled label counting units ("rows", "files", ...) up to
 * total (0: unknown). Writes nothing yet. */
void progress_begin(struct progress *p, const char *label, uint64_t total, const char *unit);

/* Records done units so far (monotonic); redraws when the interval passed. */
void progress_update(struct progress *p, uint64_t done);

/* Writes the final line: count, elapsed time and average rate. */
void progress_end(struct progress *p);

/* Formats the status text (no newline) into buf: "label 42% 1234/2938 rows,
 * 812 rows/s, 2s left"; for tests and for progress_update. */
void progress_format(const struct progress *p, int64_t now_ms, char *buf, size_t len);

#endif
