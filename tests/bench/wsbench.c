/*
 * wsbench: WebSocket fan-out load client (libc only; gcc -O2 -pthread).
 *
 * Opens N subscriber connections to 127.0.0.1:PORT PATH (handshake done
 * here: random key, 101 and Sec-WebSocket-Accept checked), spread over T
 * epoll threads, plus one sender connection that sends text frames at a
 * fixed rate (or closed-loop with a window of unacknowledged messages) for
 * a bounded duration. Each message carries "t=<CLOCK_MONOTONIC ns> s=<seq>";
 * every subscriber that receives it records the latency. Reports deliveries
 * per second over the receive window (first send .. last delivery),
 * p50/p99/max latency from all samples, expected vs received, client CPU,
 * and with -P the server's CPU and resident memory before/after opening the
 * idle connections.
 *
 * Modes: -m raw       the payload is the text itself, every text frame that
 *                     has t= counts (a plain broadcast server);
 *        -m fechatter the sender sends {"op":"send","chat_id":C,...}; only
 *                     new_message events count; a subscriber is ready after
 *                     its first frame (connection_confirmed); expected
 *                     expected deliveries = (sent - refused) x N.
 *
 * Output: human lines on stderr, one "RESULT k=v ..." line on stdout.
 * Every loop is bounded by a deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---------- options ---------- */

static int opt_port = 0;
static const char *opt_path = "/";
static const char *opt_sender_path = NULL;
static const char *opt_proto = NULL;
static int opt_conns = 1000;
static int opt_threads = 1;
static double opt_rate = 0;      /* messages/s; 0 = closed loop */
static int opt_window = 8;       /* closed loop: unacknowledged messages */
static double opt_duration = 0;  /* seconds of sending; 0 = no sending */
static double opt_drain = 30;    /* max seconds to wait for stragglers */
static double opt_settle = 1;    /* seconds idle before the memory reading */
static double opt_idle = 0;      /* hold the idle connections this long */
static int opt_fechatter = 0;
static long opt_chat = 0;
static int opt_size = 64;        /* content bytes (padded) */
static int opt_server_pid = 0;
static const char *opt_label = "run";
static int opt_spin = 0;         /* busy-poll epoll (timeout 0) */

/* ---------- time ---------- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------- random (xorshift64*, seeded from /dev/urandom) ---------- */

static __thread uint64_t rng_state;

static uint64_t rnd(void)
{
	if (!rng_state) {
		int fd = open("/dev/urandom", O_RDONLY);
		if (fd < 0 || read(fd, &rng_state, sizeof rng_state) != sizeof rng_state)
			rng_state = now_ns() ^ (uint64_t)pthread_self();
		if (fd >= 0)
			close(fd);
		rng_state |= 1;
	}
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* ---------- SHA-1 and base64, for the handshake ---------- */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const unsigned char *msg, size_t len, unsigned char out[20])
{
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	unsigned char block[64];
	uint64_t bits = (uint64_t)len * 8;
	size_t total = ((len + 8) / 64 + 1) * 64, off;

	for (off = 0; off < total; off += 64) {
		uint32_t w[80], a, b, c, d, e, f, k, t;
		int i;
		for (i = 0; i < 64; i++) {
			size_t p = off + (size_t)i;
			if (p < len)
				block[i] = msg[p];
			else if (p == len)
				block[i] = 0x80;
			else if (p >= total - 8)
				block[i] = (unsigned char)(bits >> (8 * (total - 1 - p)));
			else
				block[i] = 0;
		}
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
			       (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
		for (i = 16; i < 80; i++)
			w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
		a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
		for (i = 0; i < 80; i++) {
			if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
			else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
			else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
			else { f = b ^ c ^ d; k = 0xCA62C1D6; }
			t = rol(a, 5) + f + e + k + w[i];
			e = d; d = c; c = rol(b, 30); b = a; a = t;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
	}
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

static void b64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	for (i = 0; i + 2 < n; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = tab[in[i + 2] & 63];
	}
	if (n - i == 1) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[(in[i] & 3) << 4];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = tab[(in[i + 1] & 15) << 2];
		*out++ = '=';
	}
	*out = 0;
}

/* key: 24 chars out; accept: the expected Sec-WebSocket-Accept (28 chars) */
static void ws_key(char key[32], char accept[32])
{
	unsigned char raw[16], dig[20];
	char buf[128];
	for (int i = 0; i < 16; i++)
		raw[i] = (unsigned char)rnd();
	b64(raw, 16, key);
	snprintf(buf, sizeof buf, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	sha1((unsigned char *)buf, strlen(buf), dig);
	b64(dig, 20, accept);
}

static int build_request(char *out, size_t cap, const char *path, const char *key)
{
	int n = snprintf(out, cap,
		"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		"Sec-WebSocket-Version: 13\r\n%s%s%sOrigin: http://127.0.0.1:%d\r\n\r\n",
		path, opt_port, key, opt_proto ? "Sec-WebSocket-Protocol: " : "",
		opt_proto ? opt_proto : "", opt_proto ? "\r\n" : "", opt_port);
	return (n > 0 && (size_t)n < cap) ? n : -1;
}

/* 0: ok; -1: not 101 or bad accept. Header block is NUL-terminated. */
static int check_response(const char *hdr, const char *accept, char *why, size_t whycap)
{
	const char *p;
	if (strncmp(hdr, "HTTP/1.1 101", 12)) {
		const char *e = strstr(hdr, "\r\n");
		snprintf(why, whycap, "%.*s", e ? (int)(e - hdr) : 60, hdr);
		return -1;
	}
	p = strcasestr(hdr, "\r\nSec-WebSocket-Accept:");
	if (!p) {
		snprintf(why, whycap, "no Sec-WebSocket-Accept");
		return -1;
	}
	p += 23;
	while (*p == ' ')
		p++;
	if (strncmp(p, accept, 28)) {
		snprintf(why, whycap, "wrong Sec-WebSocket-Accept");
		return -1;
	}
	if (opt_proto && !strcasestr(hdr, "\r\nSec-WebSocket-Protocol:")) {
		snprintf(why, whycap, "subprotocol not selected");
		return -1;
	}
	return 0;
}

/* A masked client frame (FIN set) into out; returns its length. */
static size_t ws_frame(unsigned char *out, int opcode, const void *payload, size_t len)
{
	size_t h = 0;
	uint32_t m = (uint32_t)rnd();
	unsigned char mk[4] = {(unsigned char)m, (unsigned char)(m >> 8),
			       (unsigned char)(m >> 16), (unsigned char)(m >> 24)};
	out[h++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		out[h++] = (unsigned char)(0x80 | len);
	} else if (len < 65536) {
		out[h++] = 0x80 | 126;
		out[h++] = (unsigned char)(len >> 8);
		out[h++] = (unsigned char)len;
	} else {
		out[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			out[h++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	memcpy(out + h, mk, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		out[h + i] = ((const unsigned char *)payload)[i] ^ mk[i & 3];
	return h + len;
}

/* Blocking-ish write of a whole small buffer (bounded: 5 s). */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	uint64_t deadline = now_ns() + 5000000000ull;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = {fd, POLLOUT, 0};
			if (now_ns() > deadline)
				return -1;
			poll(&pf, 1, 100);
			continue;
		}
		return -1;
	}
	return 0;
}

/* "t=<digits>" -> ns (0 if none); "s=<digits>" -> seq */
static uint64_t find_num(const unsigned char *p, size_t len, char tag)
{
	for (size_t i = 0; i + 2 < len; i++) {
		if (p[i] == (unsigned char)tag && p[i + 1] == '=' && p[i + 2] >= '0' && p[i + 2] <= '9' &&
		    (i == 0 || p[i - 1] == ' ' || p[i - 1] == '"')) {
			uint64_t v = 0;
			for (size_t j = i + 2; j < len && p[j] >= '0' && p[j] <= '9'; j++)
				v = v * 10 + (uint64_t)(p[j] - '0');
			return v;
		}
	}
	return 0;
}

/* ---------- shared state ---------- */

static uint64_t run_start_ns;
static atomic_int stop_flag;
static atomic_int ready_count;
static atomic_int failed_count;
static atomic_ullong delivered_total;  /* counted deliveries (all threads) */
static atomic_ullong last_delivery_ns; /* max receive time of a counted delivery */

enum { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSED };

struct conn {
	int fd;
	int state;
	int confirmed;     /* fechatter: first frame seen */
	unsigned char *buf;
	size_t len, cap;
	uint64_t last_seq;
	char key[32], accept[32];
};

struct thread_ctx {
	int tid;
	pthread_t th;
	int n;               /* connections owned */
	struct conn *c;
	int epfd;
	/* results */
	uint32_t *lat_us;    /* latency samples, microseconds */
	size_t nlat, caplat;
	uint64_t delivered, bytes, other_frames, pings, closes, errors, out_of_order, corrupt;
	char first_error[160];
};

static void record_error(struct thread_ctx *t, const char *what)
{
	if (!t->first_error[0])
		snprintf(t->first_error, sizeof t->first_error, "%s", what);
}

static void conn_close(struct thread_ctx *t, struct conn *c, int failed, const char *why)
{
	if (c->state == C_CLOSED)
		return;
	if (c->state != C_OPEN || (opt_fechatter && !c->confirmed)) {
		atomic_fetch_add(&failed_count, 1);
	} else if (failed) {
		t->errors++;
	}
	if (why)
		record_error(t, why);
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = C_CLOSED;
	free(c->buf);
	c->buf = NULL;
}

static int conn_start(struct thread_ctx *t, struct conn *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port)};
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	int one = 1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = C_CLOSED;
		atomic_fetch_add(&failed_count, 1);
		record_error(t, "socket() failed (ulimit -n?)");
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->state = C_CONNECTING;
	c->cap = 8192;
	c->buf = malloc(c->cap);
	c->len = 0;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		conn_close(t, c, 1, "connect() failed");
		return -1;
	}
	epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void on_text(struct thread_ctx *t, struct conn *c, const unsigned char *p, size_t len,
		    uint64_t rx_ns)
{
	uint64_t ts, seq;
	if (opt_fechatter) {
		if (!c->confirmed) {
			c->confirmed = 1;
			atomic_fetch_add(&ready_count, 1);
			t->other_frames++;
			return;
		}
		if (!memmem(p, len, "new_message", 11)) {
			t->other_frames++;
			return;
		}
	}
	if (getenv("WSBENCH_DEBUG") && c == t->c && t->tid == 0)
		fprintf(stderr, "debug conn0 frame %zu bytes: %.*s\n", len, (int)(len > 300 ? 300 : len), p);
	ts = find_num(p, len, 't');
	if (!ts) {
		t->other_frames++;
		return;
	}
	seq = find_num(p, len, 's');
	/* a message that arrived cut (a server that relays fragments) or with a
	 * mangled stamp: counted apart, no latency sample */
	if (ts < run_start_ns || ts > rx_ns || !seq || !memmem(p, len, " bench", 6) ||
	    (!opt_fechatter && len < (size_t)opt_size)) {
		t->corrupt++;
		return;
	}
	if (seq && seq <= c->last_seq)
		t->out_of_order++;
	if (seq > c->last_seq)
		c->last_seq = seq;
	t->delivered++;
	t->bytes += len;
	if (t->nlat == t->caplat) {
		size_t nc = t->caplat ? t->caplat * 2 : 65536;
		uint32_t *nl = realloc(t->lat_us, nc * sizeof *nl);
		if (nl) {
			t->lat_us = nl;
			t->caplat = nc;
		}
	}
	if (t->nlat < t->caplat) {
		uint64_t d = rx_ns > ts ? (rx_ns - ts) / 1000 : 0;
		t->lat_us[t->nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}

/* Parse whole frames from c->buf; returns -1 if the connection was closed. */
static int parse_frames(struct thread_ctx *t, struct conn *c, uint64_t rx_ns)
{
	size_t off = 0;
	uint64_t counted = t->delivered;
	while (c->len - off >= 2) {
		unsigned char *f = c->buf + off;
		size_t avail = c->len - off, h = 2;
		uint64_t plen = f[1] & 0x7f;
		int opcode = f[0] & 0x0f, masked = f[1] & 0x80;
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (uint64_t)f[2] << 8 | f[3];
			h = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | f[2 + i];
			h = 10;
		}
		if (masked)
			h += 4;
		if (plen > (64u << 20)) {
			conn_close(t, c, 1, "frame larger than 64 MiB");
			return -1;
		}
		if (avail < h + plen) {
			if (h + plen > c->cap) { /* grow for a big frame */
				size_t nc = c->cap;
				while (nc < h + plen)
					nc *= 2;
				if (off) {
					memmove(c->buf, c->buf + off, c->len - off);
					c->len -= off;
					off = 0;
				}
				unsigned char *nb = realloc(c->buf, nc);
				if (!nb) {
					conn_close(t, c, 1, "out of memory");
					return -1;
				}
				c->buf = nb;
				c->cap = nc;
			}
			break;
		}
		unsigned char *p = f + h;
		if (masked)
			for (uint64_t i = 0; i < plen; i++)
				p[i] ^= f[h - 4 + (i & 3)];
		switch (opcode) {
		case 0x0: /* continuation: small messages are never fragmented */
		case 0x1:
		case 0x2:
			on_text(t, c, p, (size_t)plen, rx_ns);
			break;
		case 0x8: { /* close: answer it, then drop the connection */
			unsigned char out[140];
			size_t n = ws_frame(out, 0x8, p, plen > 125 ? 2 : (size_t)plen);
			(void)!write(c->fd, out, n);
			t->closes++;
			if (!atomic_load(&stop_flag)) {
				char why[96];
				snprintf(why, sizeof why, "server closed a connection (code %u)",
					 plen >= 2 ? (unsigned)(p[0] << 8 | p[1]) : 0);
				conn_close(t, c, 1, why);
			} else {
				conn_close(t, c, 0, NULL);
			}
			return -1;
		}
		case 0x9: { /* ping: pong with the same payload, masked */
			unsigned char out[140];
			size_t n = ws_frame(out, 0xA, p, plen > 125 ? 125 : (size_t)plen);
			write_all(c->fd, out, n);
			t->pings++;
			break;
		}
		default:
			break;
		}
		off += h + plen;
	}
	if (off) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	if (t->delivered != counted) {
		atomic_fetch_add_explicit(&delivered_total, t->delivered - counted, memory_order_relaxed);
		uint64_t prev = atomic_load_explicit(&last_delivery_ns, memory_order_relaxed);
		while (prev < rx_ns &&
		       !atomic_compare_exchange_weak(&last_delivery_ns, &prev, rx_ns))
			;
	}
	return 0;
}

static void on_event(struct thread_ctx *t, struct conn *c, uint32_t events)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t sl = sizeof err;
		char req[2048];
		int n;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err) {
			conn_close(t, c, 1, "connect refused");
			return;
		}
		ws_key(c->key, c->accept);
		n = build_request(req, sizeof req, opt_path, c->key);
		if (n < 0 || write_all(c->fd, req, (size_t)n)) {
			conn_close(t, c, 1, "handshake write failed");
			return;
		}
		c->state = C_HANDSHAKE;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		epoll_ctl(t->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	(void)events;
	for (int rounds = 0; rounds < 8; rounds++) {
		if (c->cap - c->len < 4096) {
			size_t nc = c->cap * 2;
			unsigned char *nb = realloc(c->buf, nc);
			if (!nb) {
				conn_close(t, c, 1, "out of memory");
				return;
			}
			c->buf = nb;
			c->cap = nc;
		}
		ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (r == 0) {
			conn_close(t, c, !atomic_load(&stop_flag), atomic_load(&stop_flag) ? NULL : "server closed a socket (EOF)");
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_close(t, c, 1, "read error");
			return;
		}
		uint64_t rx = now_ns();
		c->len += (size_t)r;
		if (c->state == C_HANDSHAKE) {
			char why[128];
			c->buf[c->len] = 0;
			char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
			if (!end) {
				if (c->len > 16384)
					conn_close(t, c, 1, "handshake answer too long");
				continue;
			}
			*end = 0;
			if (check_response((char *)c->buf, c->accept, why, sizeof why)) {
				char msg[160];
				snprintf(msg, sizeof msg, "handshake: %s", why);
				conn_close(t, c, 1, msg);
				return;
			}
			size_t hl = (size_t)(end + 4 - (char *)c->buf);
			memmove(c->buf, c->buf + hl, c->len - hl);
			c->len -= hl;
			c->state = C_OPEN;
			if (!opt_fechatter)
				atomic_fetch_add(&ready_count, 1);
		}
		if (c->state == C_OPEN && parse_frames(t, c, rx) < 0)
			return;
		if ((size_t)r < c->cap - c->len - 1) /* short read: drained */
			return;
	}
}

static void *recv_thread(void *arg)
{
	struct thread_ctx *t = arg;
	struct epoll_event evs[256];
	int next = 0, inflight_max = 64;

	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	while (!atomic_load(&stop_flag)) {
		/* keep at most inflight_max handshakes pending */
		int pending = 0;
		if (next < t->n) {
			for (int i = 0; i < next; i++)
				if (t->c[i].state == C_CONNECTING || t->c[i].state == C_HANDSHAKE ||
				    (opt_fechatter && t->c[i].state == C_OPEN && !t->c[i].confirmed))
					pending++;
			while (next < t->n && pending < inflight_max) {
				conn_start(t, &t->c[next++]);
				pending++;
			}
		}
		int n = epoll_wait(t->epfd, evs, 256, opt_spin && next >= t->n ? 0 : 50);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->state != C_CLOSED)
				on_event(t, c, evs[i].events);
		}
	}
	for (int i = 0; i < t->n; i++)
		if (t->c[i].state != C_CLOSED) {
			close(t->c[i].fd);
			free(t->c[i].buf);
			t->c[i].state = C_CLOSED;
		}
	close(t->epfd);
	return NULL;
}

/* ---------- sender ---------- */

struct sender {
	pthread_t th;
	int fd;
	uint64_t sent, acked, errors, frames, first_send_ns, last_send_ns;
	atomic_ullong acked_pub, sent_pub, errors_pub;
	atomic_int done_sending;
	char first_error[200];
	unsigned char *buf;
	size_t len, cap;
};

static struct sender S;

static int sender_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt_port)};
	char key[32], accept[32], req[4096], why[128];
	int one = 1, n;
	size_t got = 0;
	uint64_t deadline = now_ns() + 10000000000ull;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	S.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (S.fd < 0 || connect(S.fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	setsockopt(S.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(S.fd, F_SETFL, O_NONBLOCK);
	ws_key(key, accept);
	n = build_request(req, sizeof req, opt_sender_path ? opt_sender_path : opt_path, key);
	if (n < 0 || write_all(S.fd, req, (size_t)n))
		return -1;
	S.cap = 65536;
	S.buf = malloc(S.cap);
	for (;;) {
		struct pollfd pf = {S.fd, POLLIN, 0};
		if (now_ns() > deadline) {
			fprintf(stderr, "wsbench: sender handshake timed out\n");
			return -1;
		}
		poll(&pf, 1, 100);
		ssize_t r = read(S.fd, S.buf + got, S.cap - got - 1);
		if (r == 0)
			return -1;
		if (r < 0)
			continue;
		got += (size_t)r;
		S.buf[got] = 0;
		char *end = strstr((char *)S.buf, "\r\n\r\n");
		if (!end)
			continue;
		*end = 0;
		if (check_response((char *)S.buf, accept, why, sizeof why)) {
			fprintf(stderr, "wsbench: sender handshake: %s\n", why);
			return -1;
		}
		size_t hl = (size_t)(end + 4 - (char *)S.buf);
		memmove(S.buf, S.buf + hl, got - hl);
		S.len = got - hl;
		return 0;
	}
}

/* Read what the sender got: acks, errors, its own copies, pings. */
static int sender_read(void)
{
	for (;;) {
		ssize_t r = read(S.fd, S.buf + S.len, S.cap - S.len);
		if (r == 0) {
			snprintf(S.first_error, sizeof S.first_error, "server closed the sender");
			return -1;
		}
		if (r < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
		S.len += (size_t)r;
		size_t off = 0;
		while (S.len - off >= 2) {
			unsigned char *f = S.buf + off;
			size_t avail = S.len - off, h = 2;
			uint64_t plen = f[1] & 0x7f;
			int opcode = f[0] & 0x0f;
			if (plen == 126) {
				if (avail < 4) break;
				plen = (uint64_t)f[2] << 8 | f[3];
				h = 4;
			} else if (plen == 127) {
				if (avail < 10) break;
				plen = 0;
				for (int i = 0; i < 8; i++)
					plen = plen << 8 | f[2 + i];
				h = 10;
			}
			if (f[1] & 0x80)
				h += 4;
			if (h + plen > S.cap) {
				size_t nc = S.cap;
				while (nc < h + plen + 1) nc *= 2;
				if (nc > (64u << 20)) return -1;
				memmove(S.buf, S.buf + off, S.len - off);
				S.len -= off;
				off = 0;
				S.buf = realloc(S.buf, nc);
				S.cap = nc;
				break;
			}
			if (avail < h + plen)
				break;
			unsigned char *p = f + h;
			S.frames++;
			if (opcode == 0x9) {
				unsigned char out[140];
				size_t n = ws_frame(out, 0xA, p, plen > 125 ? 125 : (size_t)plen);
				write_all(S.fd, out, n);
			} else if (opcode == 0x8) {
				snprintf(S.first_error, sizeof S.first_error, "server closed the sender");
				return -1;
			} else if (opcode == 0x1) {
				if (opt_fechatter) {
					if (memmem(p, plen, "\"type\":\"ack\"", 12))
						S.acked++;
					else if (memmem(p, plen, "\"type\":\"error\"", 14)) {
						S.errors++;
						if (!S.first_error[0])
							snprintf(S.first_error, sizeof S.first_error, "%.*s",
								 (int)(plen > 190 ? 190 : plen), p);
					}
				} else if (find_num(p, plen, 't')) {
					S.acked++; /* a plain broadcast server echoes to the sender too */
				}
			}
			off += h + plen;
		}
		memmove(S.buf, S.buf + off, S.len - off);
		S.len -= off;
		atomic_store(&S.acked_pub, S.acked);
		atomic_store(&S.errors_pub, S.errors);
		if (S.len == S.cap)
			return -1;
	}
}

static int sender_send(uint64_t seq)
{
	char content[4096], payload[8192];
	unsigned char frame[8300];
	uint64_t t = now_ns();
	int n = snprintf(content, sizeof content, "t=%llu s=%llu bench",
			 (unsigned long long)t, (unsigned long long)seq);
	while (n < opt_size && n < (int)sizeof content - 1)
		content[n++] = 'x';
	content[n] = 0;
	if (opt_fechatter)
		n = snprintf(payload, sizeof payload,
			     "{\"op\":\"send\",\"chat_id\":%ld,\"content\":\"%s\",\"idempotency_key\":\"b%d-%llu\"}",
			     opt_chat, content, (int)getpid(), (unsigned long long)seq);
	else
		n = snprintf(payload, sizeof payload, "%s", content);
	size_t fl = ws_frame(frame, 0x1, payload, (size_t)n);
	if (!S.first_send_ns)
		S.first_send_ns = t;
	S.last_send_ns = t;
	return write_all(S.fd, frame, fl);
}

static void *sender_thread(void *arg)
{
	(void)arg;
	uint64_t t0 = now_ns(), dur = (uint64_t)(opt_duration * 1e9);
	uint64_t total = opt_rate > 0 ? (uint64_t)(opt_rate * opt_duration + 0.5) : UINT64_MAX;
	double interval = opt_rate > 0 ? 1e9 / opt_rate : 0;
	for (;;) {
		uint64_t now = now_ns();
		if (atomic_load(&stop_flag))
			break;
		int done = opt_rate > 0 ? S.sent >= total : now - t0 >= dur;
		if (done && !atomic_load(&S.done_sending))
			atomic_store(&S.done_sending, 1);
		int timeout = 50;
		if (!done) {
			if (opt_rate > 0) {
				uint64_t due = t0 + (uint64_t)(interval * (double)S.sent);
				if (now >= due) {
					if (sender_send(S.sent + 1)) {
						snprintf(S.first_error, sizeof S.first_error, "sender write failed");
						break;
					}
					S.sent++;
					atomic_store(&S.sent_pub, S.sent);
					continue;
				}
				timeout = (int)((due - now) / 1000000);
			} else if (S.sent - S.acked - S.errors < (uint64_t)opt_window) {
				if (sender_send(S.sent + 1)) {
					snprintf(S.first_error, sizeof S.first_error, "sender write failed");
					break;
				}
				S.sent++;
				atomic_store(&S.sent_pub, S.sent);
				continue;
			}
		}
		struct pollfd pf = {S.fd, POLLIN, 0};
		/* sub-millisecond waits: poll(0) then spin via the loop */
		if (poll(&pf, 1, timeout > 50 ? 50 : timeout) > 0 && sender_read() < 0)
			break;
		if (!done && opt_rate > 0 && timeout == 0) {
			/* less than 1 ms to the next send: short sleep */
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
		}
	}
	atomic_store(&S.done_sending, 1);
	return NULL;
}

/* ---------- /proc readings ---------- */

static long vmrss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kb = atol(line + 6);
			break;
		}
	fclose(f);
	return kb;
}

static double proc_cpu_s(int pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* fields after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: wsbench -p PORT [-u PATH] [-U SENDER_PATH] [-s SUBPROTOCOL] [-n CONNS]\n"
		"       [-t THREADS] [-r RATE|0] [-w WINDOW] [-d SECONDS] [-D DRAIN_S]\n"
		"       [-m raw|fechatter] [-c CHAT_ID] [-b CONTENT_BYTES] [-P SERVER_PID]\n"
		"       [-i IDLE_HOLD_S] [-S SETTLE_S] [-l LABEL]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int o;
	while ((o = getopt(argc, argv, "p:u:U:s:n:t:r:w:d:D:m:c:b:P:i:S:l:Bh")) != -1) {
		switch (o) {
		case 'p': opt_port = atoi(optarg); break;
		case 'u': opt_path = optarg; break;
		case 'U': opt_sender_path = optarg; break;
		case 's': opt_proto = optarg; break;
		case 'n': opt_conns = atoi(optarg); break;
		case 't': opt_threads = atoi(optarg); break;
		case 'r': opt_rate = atof(optarg); break;
		case 'w': opt_window = atoi(optarg); break;
		case 'd': opt_duration = atof(optarg); break;
		case 'D': opt_drain = atof(optarg); break;
		case 'm': opt_fechatter = !strcmp(optarg, "fechatter"); break;
		case 'c': opt_chat = atol(optarg); break;
		case 'b': opt_size = atoi(optarg); break;
		case 'P': opt_server_pid = atoi(optarg); break;
		case 'i': opt_idle = atof(optarg); break;
		case 'S': opt_settle = atof(optarg); break;
		case 'l': opt_label = optarg; break;
		case 'B': opt_spin = 1; break;
		default: usage();
		}
	}
	if (opt_port <= 0 || opt_port > 65535 || opt_conns < 1 || opt_conns > 100000 ||
	    opt_threads < 1 || opt_threads > 64 || opt_duration < 0 || opt_duration > 600 ||
	    opt_drain < 0 || opt_drain > 120 || opt_idle < 0 || opt_idle > 600 ||
	    opt_size < 0 || opt_size > 3000 || opt_window < 1 || opt_rate < 0 || opt_rate > 1e6 ||
	    (opt_fechatter && opt_chat <= 0))
		usage();
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)opt_conns + 64)
			fprintf(stderr, "wsbench: warning: fd limit %llu < %d connections\n",
				(unsigned long long)rl.rlim_cur, opt_conns);
	}

	run_start_ns = now_ns();
	long rss0 = opt_server_pid ? vmrss_kb(opt_server_pid) : -1;

	/* subscribers */
	struct thread_ctx *T = calloc((size_t)opt_threads, sizeof *T);
	struct conn *all = calloc((size_t)opt_conns, sizeof *all);
	int per = opt_conns / opt_threads, extra = opt_conns % opt_threads, at = 0;
	uint64_t tc0 = now_ns();
	for (int i = 0; i < opt_threads; i++) {
		T[i].tid = i;
		T[i].n = per + (i < extra);
		T[i].c = all + at;
		at += T[i].n;
		pthread_create(&T[i].th, NULL, recv_thread, &T[i]);
	}
	uint64_t deadline = now_ns() + 60000000000ull;
	while (atomic_load(&ready_count) + atomic_load(&failed_count) < opt_conns && now_ns() < deadline)
		usleep(10000);
	double connect_s = (double)(now_ns() - tc0) / 1e9;
	int ready = atomic_load(&ready_count), failed = atomic_load(&failed_count);
	fprintf(stderr, "[%s] %d/%d subscribers ready in %.2f s (%d failed)\n", opt_label, ready,
		opt_conns, connect_s, failed);
	if (ready < opt_conns) {
		for (int i = 0; i < opt_threads; i++)
			if (T[i].first_error[0]) {
				fprintf(stderr, "[%s] first error: %s\n", opt_label, T[i].first_error);
				break;
			}
	}

	long rss1 = -1;
	if (opt_server_pid) {
		usleep((useconds_t)(opt_settle * 1e6));
		rss1 = vmrss_kb(opt_server_pid);
		fprintf(stderr, "[%s] server VmRSS %ld KiB before, %ld KiB with %d idle connections: %.2f KiB/connection\n",
			opt_label, rss0, rss1, ready, ready ? (double)(rss1 - rss0) / ready : 0.0);
	}
	if (opt_idle > 0) {
		uint64_t until = now_ns() + (uint64_t)(opt_idle * 1e9);
		while (now_ns() < until)
			usleep(50000);
	}

	uint64_t sent = 0, acked = 0, errors = 0, expected = 0, received = 0;
	double window_s = 0, client_cpu = 0, server_cpu = -1, wall = 0;
	uint64_t t_first = 0, t_last = 0;
	if (opt_duration > 0 && ready == opt_conns) {
		if (sender_connect()) {
			fprintf(stderr, "wsbench: sender could not connect\n");
			atomic_store(&stop_flag, 1);
			return 1;
		}
		if (opt_fechatter) { /* wait for connection_confirmed on the sender */
			uint64_t dl = now_ns() + 5000000000ull;
			while (!S.frames && now_ns() < dl) {
				struct pollfd pf = {S.fd, POLLIN, 0};
				if (poll(&pf, 1, 50) > 0 && sender_read() < 0)
					break;
			}
			if (!S.frames)
				fprintf(stderr, "wsbench: warning: no first frame on the sender\n");
		}
		usleep(200000);
		uint64_t d0 = atomic_load(&delivered_total);
		double cpu0 = self_cpu_s();
		double scpu0 = opt_server_pid ? proc_cpu_s(opt_server_pid) : -1;
		uint64_t w0 = now_ns();
		pthread_create(&S.th, NULL, sender_thread, NULL);
		/* wait: sending, then until every expected delivery arrived, no
		 * progress for 3 s, or the drain limit */
		while (!atomic_load(&S.done_sending))
			usleep(5000);
		uint64_t dend = now_ns() + (uint64_t)(opt_drain * 1e9), last_change = now_ns();
		uint64_t prev = atomic_load(&delivered_total);
		for (;;) {
			uint64_t got = atomic_load(&delivered_total) - d0;
			uint64_t ok = atomic_load(&S.sent_pub) - atomic_load(&S.errors_pub);
			uint64_t all_done = atomic_load(&S.acked_pub) + atomic_load(&S.errors_pub);
			int sender_settled = !opt_fechatter || all_done >= atomic_load(&S.sent_pub);
			if (sender_settled && got >= ok * (uint64_t)opt_conns)
				break;
			uint64_t now = now_ns();
			if (now > dend || now - last_change > 3000000000ull)
				break;
			if (atomic_load(&delivered_total) != prev) {
				prev = atomic_load(&delivered_total);
				last_change = now;
			}
			usleep(2000);
		}
		wall = (double)(now_ns() - w0) / 1e9;
		client_cpu = self_cpu_s() - cpu0;
		if (opt_server_pid)
			server_cpu = proc_cpu_s(opt_server_pid) - scpu0;
		atomic_store(&stop_flag, 1);
		pthread_join(S.th, NULL);
		sent = S.sent;
		acked = S.acked;
		errors = S.errors;
		t_first = S.first_send_ns;
		t_last = atomic_load(&last_delivery_ns);
		/* every message the server did not refuse is owed to every subscriber */
		expected = (sent - errors) * (uint64_t)opt_conns;
	}
	atomic_store(&stop_flag, 1);
	for (int i = 0; i < opt_threads; i++)
		pthread_join(T[i].th, NULL);

	/* merge */
	size_t nlat = 0;
	uint64_t bytes = 0, pings = 0, closes = 0, conn_errors = 0, ooo = 0, corrupt = 0;
	for (int i = 0; i < opt_threads; i++) {
		nlat += T[i].nlat;
		received += T[i].delivered;
		bytes += T[i].bytes;
		pings += T[i].pings;
		closes += T[i].closes;
		conn_errors += T[i].errors;
		ooo += T[i].out_of_order;
		corrupt += T[i].corrupt;
	}
	uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
	size_t k = 0;
	for (int i = 0; i < opt_threads; i++) {
		if (T[i].nlat)
			memcpy(lat + k, T[i].lat_us, T[i].nlat * sizeof *lat);
		k += T[i].nlat;
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
#define PCT(p) (nlat ? lat[(size_t)((double)(nlat - 1) * (p))] / 1000.0 : 0.0)
	window_s = (t_first && t_last > t_first) ? (double)(t_last - t_first) / 1e9 : 0;
	double dps = window_s > 0 ? (double)received / window_s : 0;
	long missing = (long)expected - (long)received;

	if (opt_duration > 0) {
		fprintf(stderr,
			"[%s] %d subscribers, %s %.0f%s for %.1f s: sent %llu, acked %llu, errors %llu\n"
			"[%s] deliveries %llu of %llu expected (missing %ld, out of order %llu, cut/corrupt frames %llu), window %.3f s: %.0f deliveries/s\n"
			"[%s] latency p50 %.3f ms, p99 %.3f ms, max %.3f ms (%zu samples); avg %.0f bytes/delivery\n"
			"[%s] client CPU %.2f s over %.2f s wall (%.0f%% of one core); server CPU %.2f s\n",
			opt_label, ready, opt_rate > 0 ? "rate" : "closed loop, window", opt_rate > 0 ? opt_rate : opt_window, opt_rate > 0 ? " msg/s" : " unacknowledged",
			opt_duration, (unsigned long long)sent, (unsigned long long)acked,
			(unsigned long long)errors, opt_label, (unsigned long long)received,
			(unsigned long long)expected, missing, (unsigned long long)ooo, (unsigned long long)corrupt, window_s, dps,
			opt_label, PCT(0.5), PCT(0.99), PCT(1.0), nlat, received ? (double)bytes / received : 0,
			opt_label, client_cpu, wall, wall > 0 ? 100 * client_cpu / wall : 0, server_cpu);
		fprintf(stderr, "[%s] latency min %.3f ms, p90 %.3f ms; server CPU %.2f us/delivery\n", opt_label,
			PCT(0.0), PCT(0.9), received ? server_cpu * 1e6 / (double)received : 0);
		if (S.first_error[0])
			fprintf(stderr, "[%s] sender: %s\n", opt_label, S.first_error);
	}
	for (int i = 0; i < opt_threads; i++)
		if (T[i].first_error[0] && (conn_errors || closes)) {
			fprintf(stderr, "[%s] subscriber error: %s\n", opt_label, T[i].first_error);
			break;
		}

	printf("RESULT label=%s conns=%d ready=%d connect_s=%.2f rss_before_kb=%ld rss_after_kb=%ld "
	       "rss_per_conn_kb=%.2f",
	       opt_label, opt_conns, ready, connect_s, rss0, rss1,
	       (rss0 >= 0 && rss1 >= 0 && ready) ? (double)(rss1 - rss0) / ready : -1.0);
	if (opt_duration > 0)
		printf(" rate=%.0f duration_s=%.1f sent=%llu acked=%llu send_errors=%llu expected=%llu "
		       "received=%llu missing=%ld out_of_order=%llu corrupt=%llu window_s=%.3f deliveries_per_s=%.0f "
		       "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f avg_bytes=%.0f client_cpu_s=%.2f "
		       "client_cpu_pct=%.0f server_cpu_s=%.2f conn_errors=%llu server_closes=%llu pings=%llu",
		       opt_rate, opt_duration, (unsigned long long)sent, (unsigned long long)acked,
		       (unsigned long long)errors, (unsigned long long)expected,
		       (unsigned long long)received, missing, (unsigned long long)ooo, (unsigned long long)corrupt, window_s, dps,
		       PCT(0.5), PCT(0.99), PCT(1.0), received ? (double)bytes / received : 0, client_cpu,
		       wall > 0 ? 100 * client_cpu / wall : 0, server_cpu,
		       (unsigned long long)conn_errors, (unsigned long long)closes,
		       (unsigned long long)pings);
	if (opt_duration > 0) /* added later: appended, so older parsers still work */
		printf(" min_ms=%.3f p90_ms=%.3f server_us_per_delivery=%.3f", PCT(0.0), PCT(0.9),
		       received ? server_cpu * 1e6 / (double)received : 0);
	printf("\n");
	fflush(stdout);
	return ready == opt_conns ? 0 : 1;
}
