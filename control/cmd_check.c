// SPDX-License-Identifier: BSD-3-Clause
/*
 * sipwallctl check: run the SIP core, exactly as the workers run it, on raw datagram files and captures, and say
 * what sipwall would do with each message: one line (or one JSON object) per message, then a summary per verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json.h"
#include "pcap_input.h"
#include "policy.h"
#include "rules.h"
#include "sw_verdict.h"

struct check_opts {
	const char *policy;
	bool json;
	bool show_response;
	bool have_source;
	struct sw_peer source;
	uint8_t secret[16];
};

struct check_run {
	const struct check_opts *o;
	struct sw_policy *pol;
	struct sw_worker *w;
	const char *file;
	bool capture;
	uint64_t by_action[3];
	uint64_t not_sip_port;
	uint64_t by_why[SW_WHY__COUNT];
	uint64_t by_status[700];
	char out[SW_MAX_DATAGRAM];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sipwallctl check [--policy FILE] [--json] [--show-response] [--source ADDR[:PORT]]\n"
		"                        [--secret HEX32] INPUT...\n"
		"Run the SIP core on each INPUT and print what sipwall would do with each message.\n"
		"INPUT is a file holding one raw SIP datagram (the UDP payload, byte-exact) or a capture (pcap or pcapng)\n"
		"whose UDP packets are each one message (Ethernet, 802.1Q, QinQ, IPv4, IPv6).\n"
		"  --policy FILE      the policy to apply (default: the built-in defaults)\n"
		"  --json             one JSON object per message; the summary goes to stderr\n"
		"  --show-response    print the response sipwall would send\n"
		"  --source ADDR[:PORT]  source of raw datagram files, for received=/rport= (default: the top Via's\n"
		"                     sent-by when it is an IP address, else 192.0.2.1:5060)\n"
		"  --secret HEX32     the instance secret that derives To tags (default: all zero, so output is stable)\n"
		"Exit status: 0 when every input was read, 1 otherwise.\n");
}

static int parse_source(const char *s, struct sw_peer *p)
{
	char host[64];
	const char *colon;
	unsigned long port = 5060;
	char *end;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		colon = rb[1] == ':' ? rb + 1 : (rb[1] ? rb : NULL);
		if (colon == rb)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		size_t n = colon ? (size_t)(colon - s) : strlen(s);

		if (n >= sizeof(host))
			return -1;
		memcpy(host, s, n);
		host[n] = 0;
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || port == 0 || port > 65535)
			return -1;
	}
	p->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, host, p->addr) == 1)
		p->family = 6;
	else
		return -1;
	return 0;
}

static int parse_secret(const char *s, uint8_t key[16])
{
	if (strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (uint8_t)v;
	}
	return 0;
}

/* For a raw file: the top Via's sent-by when it is an IP literal, so no received= is added; else TEST-NET-1. */
static struct sw_peer default_source(const struct sip_msg *m)
{
	struct sw_peer p = { 4, { 192, 0, 2, 1 }, 5060 };
	const struct sip_hdr *top = sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_via via;
	char host[64];

	if (!top || !sip_via_parse(top->value, &via) || via.host.len >= sizeof(host))
		return p;
	memcpy(host, via.host.p, via.host.len);
	host[via.host.len] = 0;
	if (inet_pton(AF_INET, host, p.addr) == 1)
		p.family = 4;
	else if (inet_pton(AF_INET6, host, p.addr) == 1)
		p.family = 6;
	else
		memcpy(p.addr, (uint8_t[4]){ 192, 0, 2, 1 }, 4);
	if (via.port)
		p.port = via.port;
	return p;
}

static void print_json(struct check_run *r, const char *name, const struct sw_verdict *v, uint32_t rlen)
{
	FILE *f = stdout;

	fputs("{\"input\": ", f);
	json_bytes(f, name, strlen(name));
	fprintf(f, ", \"action\": \"%s\"", sw_action_name(v->action));
	if (v->action == SW_ACT_REPLY) {
		fprintf(f, ", \"status\": %u, \"reason\": ", v->status);
		json_bytes(f, v->reason, strlen(v->reason));
	}
	fprintf(f, ", \"why\": \"%s\"", sw_why_name(v->why));
	if (v->rule >= 0) {
		fputs(", \"rule\": ", f);
		json_bytes(f, r->pol->rules[v->rule].id, strlen(r->pol->rules[v->rule].id));
	}
	if (r->o->show_response && v->action == SW_ACT_REPLY) {
		fputs(", \"response\": ", f);
		json_bytes(f, r->out, rlen);
	}
	fputs("}\n", f);
}

static void print_text(struct check_run *r, const char *name, const struct sw_verdict *v, uint32_t rlen)
{
	if (v->action == SW_ACT_REPLY)
		printf("%s: reply %u %s", name, v->status, v->reason);
	else
		printf("%s: %s (%s)", name, sw_action_name(v->action), sw_why_name(v->why));
	if (v->rule >= 0)
		printf(" [rule %s]", r->pol->rules[v->rule].id);
	putchar('\n');
	if (r->o->show_response && v->action == SW_ACT_REPLY)
		printf("%.*s", (int)rlen, r->out);
}

/* Judge one datagram from an exactly sized copy, as a worker would see it, and report. */
static int judge_one(struct check_run *r, const char *name, const char *data, uint32_t len, const struct sw_peer *src)
{
	struct sw_verdict v;
	struct sw_peer peer;
	char *copy = malloc(len ? len : 1);
	uint32_t rlen;

	if (!copy) {
		fprintf(stderr, "sipwallctl check: %s: out of memory\n", name);
		return -ENOMEM;
	}
	memcpy(copy, data, len);
	sw_judge(r->pol, r->w, copy, len, &v);
	peer = src ? *src : (r->o->have_source ? r->o->source : default_source(&r->w->msg));
	rlen = sw_respond(r->pol, r->w, &v, &peer, r->out, len);
	if (r->o->json)
		print_json(r, name, &v, rlen);
	else
		print_text(r, name, &v, rlen);
	r->by_action[v.action]++;
	r->by_why[v.why]++;
	if (v.action == SW_ACT_REPLY && v.status < 700)
		r->by_status[v.status]++;
	free(copy);
	return 0;
}

static int on_udp(void *ctx, const struct udp_input *in)
{
	struct check_run *r = ctx;
	char name[4096];

	snprintf(name, sizeof(name), "%s#%u", r->file, in->index);
	if (!sw_policy_is_sip_port(r->pol, in->src.port, in->dst.port)) {
		/* what the dataplane does with it: not judged, passed untouched */
		if (r->o->json) {
			fputs("{\"input\": ", stdout);
			json_bytes(stdout, name, strlen(name));
			fputs(", \"action\": \"pass\", \"why\": \"not_sip_port\"}\n", stdout);
		} else
			printf("%s: pass (not a SIP port: %u -> %u)\n", name, in->src.port, in->dst.port);
		r->by_action[SW_ACT_PASS]++;
		r->not_sip_port++;
		return 0;
	}
	return judge_one(r, name, in->payload, in->len, &in->src);
}

static int check_raw(struct check_run *r, const char *path)
{
	static char buf[SW_MAX_DATAGRAM + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "sipwallctl check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	int bad = ferror(f);

	fclose(f);
	if (bad) {
		fprintf(stderr, "sipwallctl check: %s: read error\n", path);
		return -1;
	}
	if (n > SW_MAX_DATAGRAM) {
		fprintf(stderr, "sipwallctl check: %s: larger than a UDP datagram (%d bytes)\n", path, SW_MAX_DATAGRAM);
		return -1;
	}
	return judge_one(r, path, buf, (uint32_t)n, NULL);
}

static int check_input(struct check_run *r, const char *path)
{
	char err[512];
	uint32_t skipped = 0;
	int cap = input_is_capture(path);

	if (cap < 0) {
		fprintf(stderr, "sipwallctl check: %s: %s\n", path, strerror(-cap));
		return -1;
	}
	r->file = path;
	if (!cap)
		return check_raw(r, path);
	if (capture_for_each_udp(path, on_udp, r, &skipped, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipwallctl check: %s: %s\n", path, err);
		return -1;
	}
	if (skipped)
		fprintf(stderr, "sipwallctl check: %s: %u packets skipped (not a whole UDP datagram)\n", path, skipped);
	return 0;
}

static void print_summary(const struct check_run *r)
{
	FILE *f = r->o->json ? stderr : stdout;
	uint64_t total = r->by_action[0] + r->by_action[1] + r->by_action[2];

	fprintf(f, "\nsummary: %llu messages: %llu pass, %llu drop, %llu reply\n", (unsigned long long)total,
		(unsigned long long)r->by_action[SW_ACT_PASS], (unsigned long long)r->by_action[SW_ACT_DROP],
		(unsigned long long)r->by_action[SW_ACT_REPLY]);
	if (r->not_sip_port)
		fprintf(f, "  %-14s %llu\n", "not_sip_port", (unsigned long long)r->not_sip_port);
	for (int i = 0; i < SW_WHY__COUNT; i++)
		if (r->by_why[i])
			fprintf(f, "  %-14s %llu\n", sw_why_name(i), (unsigned long long)r->by_why[i]);
	for (int s = 0; s < 700; s++)
		if (r->by_status[s])
			fprintf(f, "  reply %-8d %llu\n", s, (unsigned long long)r->by_status[s]);
}

static struct sw_policy *load_policy(const char *path)
{
	struct policy_error perr;
	struct sw_policy *pol;
	char msg[1024];

	if (!path) {
		pol = calloc(1, sizeof(*pol));
		if (pol)
			policy_defaults(pol);
		return pol;
	}
	pol = policy_load_file(path, &perr);
	if (!pol) {
		policy_error_format(&perr, msg, sizeof(msg));
		fprintf(stderr, "sipwallctl check: %s\n", msg);
		return NULL;
	}
	if (pol->nrules && rules_compile(pol, 1, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "sipwallctl check: %s: %s\n", path, msg);
		policy_free(pol);
		return NULL;
	}
	return pol;
}

static int parse_opts(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
		{ "show-response", no_argument, NULL, 'r' }, { "source", required_argument, NULL, 's' },
		{ "secret", required_argument, NULL, 'k' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:jrs:k:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->policy = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'r':
			o->show_response = true;
			break;
		case 's':
			if (parse_source(optarg, &o->source)) {
				fprintf(stderr, "sipwallctl check: bad --source '%s' (want ADDR[:PORT])\n", optarg);
				return 1;
			}
			o->have_source = true;
			break;
		case 'k':
			if (parse_secret(optarg, o->secret)) {
				fprintf(stderr, "sipwallctl check: bad --secret (want 32 hex digits)\n");
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sipwallctl check: no INPUT given\n");
		usage(stderr);
		return 1;
	}
	return 0;
}

int do_check(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct check_run *r;
	int ret = 0, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : 1;
	r = calloc(1, sizeof(*r));
	if (r)
		r->w = calloc(1, sizeof(*r->w));
	if (!r || !r->w) {
		fprintf(stderr, "sipwallctl check: out of memory\n");
		if (r)
			free(r);
		return 1;
	}
	r->o = &o;
	r->pol = load_policy(o.policy);
	if (!r->pol) {
		ret = 1;
		goto out;
	}
	sw_worker_init(r->w, 0, o.secret);
	for (int i = optind; i < argc; i++)
		if (check_input(r, argv[i]) != 0)
			ret = 1;
	print_summary(r);
out:
	policy_free(r->pol);
	free(r->w);
	free(r);
	return ret;
}
