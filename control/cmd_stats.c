// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl stats, top and block: the dataplane's counters (control socket) and the XDP prefilter's (pinned
 * sw_stats map) side by side, once, every N seconds with rates, or as a full-screen view refreshed every second;
 * and the top-level `block` group, which is `xdp block` (xdp_block.c) under a shorter name.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ctl_client.h"
#include "sw_cli.h"
#include "xdp_block.h"
#include "xdp_common.h"

int do_block(int argc, char **argv)
{
	return xdp_block_main("block", argc, argv);
}

/* The prefilter's counters as {"name": packets}, or NULL when its maps are not pinned (not loaded). */
static json_t *xdp_counters(void)
{
#ifdef SW_HAVE_XDP
	uint64_t c[SW_XDP_C_MAX];
	struct sw_xdp_maps m;
	json_t *o;
	int err;

	xdp_cli_logging();
	xdp_cli_log_hold();
	err = sw_xdp_maps_open(NULL, &m);
	xdp_cli_log_release(false);
	if (err)
		return NULL;
	err = sw_xdp_counters_read(m.stats, c);
	sw_xdp_maps_close(&m);
	if (err)
		return NULL;
	o = json_object();
	for (unsigned k = 0; k < SW_XDP_C_MAX; k++)
		json_object_set_new(o, sw_xdp_counter_names[k], json_integer((json_int_t)c[k]));
	return o;
#else
	return NULL;
#endif
}

/* One sample: {"dataplane": stats response or null, "xdp": counters or null, "time": monotonic seconds}. */
static json_t *sample(const char *cmd, bool rules, bool *dp_ok)
{
	json_t *req = json_pack("{s:s,s:b}", "cmd", "stats", "rules", rules);
	json_t *dp = ctl_call(cmd, req), *xdp = xdp_counters();
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	*dp_ok = dp != NULL;
	return json_pack("{s:o,s:o,s:f}", "dataplane", dp ? dp : json_null(), "xdp", xdp ? xdp : json_null(), "time",
			 (double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Per-second rates of every integer in the flat object cur against prev (counters that went back: 0). */
static json_t *rates_of(json_t *prev, json_t *cur, double dt)
{
	json_t *o = json_object(), *v;
	const char *k;

	if (!json_is_object(cur))
		return o;
	json_object_foreach(cur, k, v) {
		json_t *p = json_object_get(prev, k);
		double d = json_is_integer(p) && json_is_integer(v) ?
				   (double)(json_integer_value(v) - json_integer_value(p)) : 0;

		if (json_is_integer(v))
			json_object_set_new(o, k, json_real(d > 0 && dt > 0 ? d / dt : 0));
	}
	return o;
}

static json_t *dp_part(json_t *s, const char *key)
{
	return json_object_get(json_object_get(s, "dataplane"), key);
}

static json_t *rates(json_t *prev, json_t *cur)
{
	double dt = ctl_num(cur, "time") - ctl_num(prev, "time");
	static const char *const parts[] = { "counters", "drops", "verdicts", "replies" };
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		json_object_set_new(o, parts[i], rates_of(dp_part(prev, parts[i]), dp_part(cur, parts[i]), dt));
	json_object_set_new(o, "xdp", rates_of(json_object_get(prev, "xdp"), json_object_get(cur, "xdp"), dt));
	return o;
}

static void print_group(const char *title, json_t *vals, json_t *rate, bool all)
{
	const char *k;
	json_t *v;
	bool head = false;

	json_object_foreach(vals, k, v) {
		if (!all && !json_integer_value(v))
			continue;
		if (!head)
			printf("%s\n", title);
		head = true;
		printf("  %-22s %16" PRId64, k, (int64_t)json_integer_value(v));
		if (rate)
			printf(" %14.1f/s", json_real_value(json_object_get(rate, k)));
		putchar('\n');
	}
}

static void print_text(json_t *s, json_t *r)
{
	json_t *dp = json_object_get(s, "dataplane"), *w;
	size_t i;

	if (json_is_object(dp)) {
		printf("dataplane: policy version %lld, %lld workers\n", ctl_int(dp, "version"), ctl_int(dp, "nworkers"));
		print_group("counters", json_object_get(dp, "counters"), json_object_get(r, "counters"), true);
		print_group("drops", json_object_get(dp, "drops"), json_object_get(r, "drops"), false);
		print_group("verdicts", json_object_get(dp, "verdicts"), json_object_get(r, "verdicts"), false);
		print_group("replies by status", json_object_get(dp, "replies"), json_object_get(r, "replies"), false);
		printf("workers\n");
		json_array_foreach(json_object_get(dp, "workers"), i, w)
			printf("  %-3lld rx %-14lld heartbeats %-10lld last seen %.1f ms ago\n", ctl_int(w, "id"),
			       ctl_int(w, "rx"), ctl_int(w, "heartbeats"), ctl_num(w, "last_seen_ms"));
	} else {
		printf("dataplane: not reachable at %s\n", ctl_socket());
	}
	if (json_is_object(json_object_get(s, "xdp")))
		print_group("XDP prefilter", json_object_get(s, "xdp"), json_object_get(r, "xdp"), true);
	else
		printf("XDP prefilter: not loaded\n");
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sleep up to ms; true when stopped (signal, or 'q' on stdin when watch_q). */
static bool wait_or_quit(int ms, bool watch_q)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec t0, t;
	char c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		if (poll(&pfd, watch_q ? 1 : 0, left) > 0) {
			ssize_t n = read(STDIN_FILENO, &c, 1);

			if (n <= 0)
				watch_q = false; /* stdin closed: only a signal or the count can stop us now */
			else if (c == 'q' || c == 'Q')
				return true;
		}
	}
	return true;
}

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: sipwallctl stats [--watch SECONDS [--count N]] [-j|--json]\n\n"
		   "The dataplane's counters (headline, drops by reason, verdicts, replies by status, per-worker rx and\n"
		   "liveness) from the control socket, and the XDP prefilter's from its pinned maps (\"XDP prefilter:\n"
		   "not loaded\" without them). --watch: again every SECONDS, with rates per second, until SIGINT (or N\n"
		   "samples). --json: one object per sample, {\"dataplane\",\"xdp\",\"time\"[,\"rates\"]}.\n"
		   "Exit 1 when the dataplane cannot be reached.\n");
}

int do_stats(int argc, char **argv)
{
	unsigned watch = 0, count = 0, n = 0;
	json_t *prev = NULL, *cur;
	bool json = false, ok = true, dp_ok;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			stats_usage(stdout);
			return 0;
		} else if (ctl_is_json_flag(argv[i])) {
			json = true;
		} else if ((!strcmp(argv[i], "--watch") || !strcmp(argv[i], "-w")) && i + 1 < argc) {
			if (sw_cli_parse_u32(argv[++i], 86400, &watch) || !watch) {
				fprintf(stderr, "sipwallctl stats: bad --watch '%s' (seconds, 1..86400)\n", argv[i]);
				return 1;
			}
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (sw_cli_parse_u32(argv[++i], 1u << 30, &count) || !count) {
				fprintf(stderr, "sipwallctl stats: bad --count '%s'\n", argv[i]);
				return 1;
			}
		} else {
			fprintf(stderr, "sipwallctl stats: unexpected argument '%s'\n", argv[i]);
			stats_usage(stderr);
			return 1;
		}
	}
	catch_stop();
	do {
		cur = sample("stats", false, &dp_ok);
		ok &= dp_ok;
		if (prev)
			json_object_set_new(cur, "rates", rates(prev, cur));
		if (json) {
			ctl_print_json(cur);
		} else {
			if (n)
				putchar('\n');
			print_text(cur, json_object_get(cur, "rates"));
		}
		fflush(stdout);
		json_decref(prev);
		prev = cur;
		n++;
	} while (watch && (!count || n < count) && !wait_or_quit((int)watch * 1000, false));
	json_decref(prev);
	return ok ? 0 : 1;
}

/* ---- top ---- */

static struct termios saved_tty;
static bool tty_saved;

static void restore_terminal(void)
{
	if (!tty_saved)
		return;
	fputs("\033[?25h\033[?1049l", stdout); /* cursor back, leave the alternate screen */
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	tty_saved = false;
}

static void enter_terminal(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	raw = saved_tty;
	raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	tty_saved = true;
	atexit(restore_terminal);
	fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, hide the cursor */
}

struct top_row {
	const char *name;
	double rate;
	long long total;
};

static int by_rate(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

/* One section: the rows of vals with their rates, busiest first, at most max rows. Returns lines printed. */
static int top_section(const char *title, json_t *vals, json_t *rate, int max)
{
	struct top_row rows[512];
	size_t n = 0;
	const char *k;
	json_t *v;
	int lines = 1;

	json_object_foreach(vals, k, v) {
		if (n >= sizeof(rows) / sizeof(rows[0]))
			break;
		if (!json_integer_value(v))
			continue;
		rows[n++] = (struct top_row){ k, json_real_value(json_object_get(rate, k)), json_integer_value(v) };
	}
	qsort(rows, n, sizeof(rows[0]), by_rate);
	printf("\033[1m%-30s %14s %16s\033[0m\033[K\n", title, "/s", "total");
	for (size_t i = 0; i < n && lines < max; i++, lines++)
		printf("  %-28s %14.1f %16lld\033[K\n", rows[i].name, rows[i].rate, rows[i].total);
	if (!n) {
		printf("  (none)\033[K\n");
		lines++;
	}
	return lines;
}

/* Rules as flat {id: matches} objects, so they rate like the other counters. */
static json_t *rule_matches(json_t *s)
{
	json_t *o = json_object(), *r;
	size_t i;

	json_array_foreach(dp_part(s, "rules"), i, r)
		json_object_set_new(o, json_string_value(json_object_get(r, "id")),
				    json_integer(ctl_int(r, "matches")));
	return o;
}

static void top_draw(json_t *cur, json_t *prev)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 100 };
	json_t *r = prev ? rates(prev, cur) : json_object(), *rc = json_object_get(r, "counters");
	json_t *rm = rule_matches(cur), *pm = prev ? rule_matches(prev) : json_object();
	json_t *rr = rates_of(pm, rm, prev ? ctl_num(cur, "time") - ctl_num(prev, "time") : 0);
	json_t *dp = json_object_get(cur, "dataplane");
	int room, used = 3;
	char when[32];
	time_t now = time(NULL);

	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	printf("\033[H");
	if (json_is_object(dp))
		printf("\033[1msipwall top\033[0m  %s  policy version %lld, %lld workers  (q quits)\033[K\n", when,
		       ctl_int(dp, "version"), ctl_int(dp, "nworkers"));
	else
		printf("\033[1msipwall top\033[0m  %s  dataplane not reachable at %s  (q quits)\033[K\n", when,
		       ctl_socket());
	printf("rx %.0f/s  pass %.0f/s  reply %.0f/s  drop %.0f/s  judged %.0f/s\033[K\n\033[K\n",
	       ctl_num(rc, "rx"), ctl_num(rc, "tx_pass"), ctl_num(rc, "tx_reply"), ctl_num(rc, "dropped"),
	       ctl_num(rc, "judged"));
	room = ws.ws_row > 12 ? (ws.ws_row - 4) / 4 : 3;
	used += top_section("REPLIES BY STATUS", dp_part(cur, "replies"), json_object_get(r, "replies"), room);
	used += top_section("DROPS BY REASON", dp_part(cur, "drops"), json_object_get(r, "drops"), room);
	used += top_section("RULES (matches)", rm, rr, room);
	if (json_is_object(json_object_get(cur, "xdp")))
		used += top_section("XDP PREFILTER", json_object_get(cur, "xdp"), json_object_get(r, "xdp"), room);
	else
		printf("XDP prefilter: not loaded\033[K\n"), used++;
	printf("\033[J");
	fflush(stdout);
	(void)used;
	json_decref(r);
	json_decref(rm);
	json_decref(pm);
	json_decref(rr);
}

int do_top(int argc, char **argv)
{
	unsigned iterations = 0, n = 0;
	json_t *prev = NULL, *cur;
	bool dp_ok, ever_ok = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: sipwallctl top [-n N]\n\n"
			       "A live full-screen view of the running sipwall, refreshed every second: rates per reply\n"
			       "status, drop reason and rule (matches), and the XDP prefilter's counters, busiest first.\n"
			       "q (or Ctrl-C) quits and restores the terminal. -n N: quit after N refreshes.\n");
			return 0;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			if (sw_cli_parse_u32(argv[++i], 1u << 30, &iterations) || !iterations) {
				fprintf(stderr, "sipwallctl top: bad -n '%s'\n", argv[i]);
				return 1;
			}
		} else {
			fprintf(stderr, "sipwallctl top: unexpected argument '%s' (try --help)\n", argv[i]);
			return 1;
		}
	}
	catch_stop();
	enter_terminal();
	if (!tty_saved)
		fputs("\033[2J", stdout);
	do {
		cur = sample("top", true, &dp_ok);
		ever_ok |= dp_ok;
		top_draw(cur, prev);
		json_decref(prev);
		prev = cur;
		n++;
	} while ((!iterations || n < iterations) && !wait_or_quit(1000, true));
	json_decref(prev);
	restore_terminal();
	return ever_ok ? 0 : 1;
}
