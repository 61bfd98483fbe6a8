// SPDX-License-Identifier: BSD-3-Clause
/*
 * libswxdp: load, attach, pin, adopt and edit the XDP prefilter's maps (contract in sw_xdp_lib.h). The program is
 * the one embedded by the skeleton (sw_xdp.skel.h), so a binary never looks for a .o at run time.
 * Errors: 0 or -errno, `err = -errno` right after the failed call, one cleanup path per function.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "policy.h"
#include "sw_xdp_lib.h" /* first: the skeleton needs struct sw_blkf (xdp_abi.h) */
#include "sw_xdp.skel.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

/* The maps pinned under the pin root, by name; xsks_map is per interface and never pinned. */
static const char *const shared_maps[] = {
	SW_XDP_MAP_CFG, SW_XDP_MAP_STATS, SW_XDP_MAP_BLOCK4, SW_XDP_MAP_BLOCK6, SW_XDP_MAP_RATE, SW_XDP_MAP_FRAG,
	SW_XDP_MAP_BLKF,
};
/* The presence filter's index in shared_maps[]. Its map is the program's .bss (named "<object>.bss" by libbpf), pinned
 * as sw_blkf; optional in sw_xdp_maps_open() (pins of a version without it). */
#define BLKF_INDEX 6
#define BLKF_MAP_SUFFIX ".bss"
#define NSHARED (sizeof(shared_maps) / sizeof(shared_maps[0]))

/* Their layouts, in shared_maps[] order: a pin of another layout (another sipwall version) is refused, not read. */
static const struct {
	uint32_t type, key_size, value_size, max_entries; /* max_entries 0: any */
} shared_layout[NSHARED] = {
	{ BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(struct sw_xdp_cfg), 0 },
	{ BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t), sizeof(uint64_t), 0 },
	{ BPF_MAP_TYPE_LPM_TRIE, sizeof(struct sw_block_key4), sizeof(struct sw_block_val), 0 },
	{ BPF_MAP_TYPE_LPM_TRIE, sizeof(struct sw_block_key6), sizeof(struct sw_block_val), 0 },
	{ BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(struct sw_rate_set), SW_RATE_SETS },
	{ BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(uint64_t), SW_XDP_FRAG_SLOTS },
	{ BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(struct sw_blkf), 1 },
};

/* 0 when fd is shared map number i as this build lays it out; -EPROTO when not (reading it would overrun). */
static int map_layout_check(int fd, size_t i)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != shared_layout[i].type || info.key_size != shared_layout[i].key_size ||
	    info.value_size != shared_layout[i].value_size ||
	    (shared_layout[i].max_entries && info.max_entries != shared_layout[i].max_entries))
		return -EPROTO;
	return 0;
}

static const char *const mode_names[] = {
	[SW_XDP_MODE_AUTO] = "auto",
	[SW_XDP_MODE_NATIVE] = "native",
	[SW_XDP_MODE_SKB] = "skb",
	[SW_XDP_MODE_HW] = "hw",
};

const char *sw_xdp_mode_name(enum sw_xdp_mode mode)
{
	return (unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

int sw_xdp_mode_parse(const char *s, enum sw_xdp_mode *mode)
{
	for (unsigned int i = 0; i <= SW_XDP_MODE_SKB; i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

static enum xdp_attach_mode to_libxdp_mode(enum sw_xdp_mode m)
{
	switch (m) {
	case SW_XDP_MODE_NATIVE:
		return XDP_MODE_NATIVE;
	case SW_XDP_MODE_SKB:
		return XDP_MODE_SKB;
	case SW_XDP_MODE_HW:
		return XDP_MODE_HW;
	default:
		return XDP_MODE_UNSPEC;
	}
}

static enum sw_xdp_mode from_libxdp_mode(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return SW_XDP_MODE_NATIVE;
	case XDP_MODE_SKB:
		return SW_XDP_MODE_SKB;
	case XDP_MODE_HW:
		return SW_XDP_MODE_HW;
	default:
		return SW_XDP_MODE_AUTO;
	}
}

const char *sw_xdp_pin_root(void)
{
	const char *env = getenv(SW_XDP_PIN_ROOT_ENV);

	return env && *env ? env : SW_XDP_PIN_ROOT;
}

static int pin_path(char *buf, size_t len, const char *root, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", root, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

int sw_xdp_pin_root_prepare(const char *pin_root)
{
	char parent[PATH_MAX];
	char *slash;

	if (is_bpffs(pin_root))
		return 0;
	if (strlen(pin_root) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, pin_root);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (!is_bpffs(parent)) {
		if (strcmp(parent, BPFFS_DEFAULT))
			return -ENOTSUP;
		if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700"))
			return -errno;
	}
	if (mkdir(pin_root, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Program and map ids of a loaded program. *map_ids is malloc'ed; the caller frees it. */
static int prog_map_ids(int prog_fd, uint32_t **map_ids, uint32_t *n)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	uint32_t *ids;
	int err;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	ids = calloc(info.nr_map_ids ? info.nr_map_ids : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	*n = info.nr_map_ids;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = *n;
	info.map_ids = (uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		free(ids);
		return err;
	}
	*n = info.nr_map_ids < *n ? info.nr_map_ids : *n;
	*map_ids = ids;
	return 0;
}

static int map_id_of(int fd, uint32_t *id, char *name, size_t name_len)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	if (name)
		snprintf(name, name_len, "%s", info.name);
	return 0;
}

/* Does program prog_id use the map pinned at root/sw_stats? */
static bool prog_uses_pins(uint32_t prog_id, const char *root)
{
	uint32_t *ids = NULL, n = 0, pinned_id = 0;
	char path[PATH_MAX];
	int prog_fd = -1, map_fd = -1;
	bool found = false;

	if (pin_path(path, sizeof(path), root, SW_XDP_MAP_STATS))
		return false;
	map_fd = bpf_obj_get(path);
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (map_fd < 0 || prog_fd < 0 || map_id_of(map_fd, &pinned_id, NULL, 0) || prog_map_ids(prog_fd, &ids, &n))
		goto out;
	for (uint32_t i = 0; i < n && !found; i++)
		found = ids[i] == pinned_id;
out:
	free(ids);
	if (map_fd >= 0)
		close(map_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	return found;
}

/* The program of ours attached to mp: the legacy main program, or a component behind libxdp's dispatcher. */
static struct xdp_program *find_ours(struct xdp_multiprog *mp)
{
	struct xdp_program *p = xdp_multiprog__main_prog(mp);

	if (p && !strcmp(xdp_program__name(p), SW_XDP_PROG_NAME))
		return p;
	if (xdp_multiprog__is_legacy(mp))
		return NULL;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (!strcmp(xdp_program__name(p), SW_XDP_PROG_NAME))
			return p;
	return NULL;
}

int sw_xdp_query(int ifindex, const char *pin_root, struct sw_xdp_iface *out)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	long err;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	if (!if_indextoname(ifindex, out->name))
		return -ENODEV;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT)
		return 0;
	if (err)
		return (int)err;
	out->mode = from_libxdp_mode(xdp_multiprog__attach_mode(mp));
	p = find_ours(mp);
	if (!p)
		p = xdp_multiprog__main_prog(mp);
	if (!p)
		p = xdp_multiprog__hw_prog(mp);
	if (p) {
		out->prog_id = xdp_program__id(p);
		snprintf(out->prog_name, sizeof(out->prog_name), "%s", xdp_program__name(p));
		out->ours = !strcmp(out->prog_name, SW_XDP_PROG_NAME);
		out->shared_maps = out->ours && pin_root && prog_uses_pins(out->prog_id, pin_root);
	}
	xdp_multiprog__close(mp);
	return 0;
}

void sw_xdp_cfg_defaults(struct sw_xdp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = SW_XDP_F_ALLOW_FRAGMENTS;
	cfg->min_payload = SW_XDP_DEFAULT_MIN_PAYLOAD;
	cfg->max_payload = SW_XDP_DEFAULT_MAX_PAYLOAD;
	cfg->rate_v4_prefix = SW_XDP_DEFAULT_V4_PREFIX;
	cfg->rate_v6_prefix = SW_XDP_DEFAULT_V6_PREFIX;
	sw_xdp_cfg_port_set(cfg, SW_XDP_DEFAULT_PORT, true);
}

void sw_xdp_cfg_port_set(struct sw_xdp_cfg *cfg, uint16_t port, bool on)
{
	uint64_t bit = 1ULL << (port & 63);
	bool was = cfg->sip_ports[port >> 6] & bit;

	if (on && !was) {
		cfg->sip_ports[port >> 6] |= bit;
		cfg->nports++;
	} else if (!on && was) {
		cfg->sip_ports[port >> 6] &= ~bit;
		cfg->nports--;
	}
}

bool sw_xdp_cfg_port_test(const struct sw_xdp_cfg *cfg, uint16_t port)
{
	return (cfg->sip_ports[port >> 6] >> (port & 63)) & 1;
}

void sw_xdp_cfg_from_policy(struct sw_xdp_cfg *cfg, const struct sw_policy *p)
{
	memset(cfg, 0, sizeof(*cfg));
	for (uint32_t i = 0; i < p->nsip_ports && i < SW_MAX_SIP_PORTS; i++)
		sw_xdp_cfg_port_set(cfg, p->sip_ports[i], true);
	cfg->flags = p->xdp_allow_fragments ? SW_XDP_F_ALLOW_FRAGMENTS : 0;
	cfg->min_payload = p->xdp_min_payload;
	cfg->max_payload = p->xdp_max_payload;
	cfg->rate_pps = p->xdp_rate_pps;
	cfg->rate_burst = p->xdp_rate_burst;
	cfg->rate_v4_prefix = p->xdp_rate_v4_prefix > 32 ? 32 : p->xdp_rate_v4_prefix;
	cfg->rate_v6_prefix = p->xdp_rate_v6_prefix > 128 ? 128 : p->xdp_rate_v6_prefix;
}

int sw_xdp_cfg_validate(const struct sw_xdp_cfg *cfg)
{
	if (cfg->rate_v4_prefix > 32 || cfg->rate_v6_prefix > 128 || cfg->min_payload > cfg->max_payload ||
	    cfg->rate_pps > 1000000000u || (cfg->flags & ~SW_XDP_F_ALLOW_FRAGMENTS))
		return -EINVAL;
	return 0;
}

int sw_xdp_cfg_read(int cfg_fd, struct sw_xdp_cfg *cfg)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(cfg_fd, &zero, cfg) ? -errno : 0;
}

int sw_xdp_cfg_write(int cfg_fd, struct sw_xdp_cfg *cfg)
{
	struct sw_xdp_cfg *old;
	uint32_t zero = 0;
	int err;

	if (sw_xdp_cfg_validate(cfg))
		return -EINVAL;
	old = malloc(sizeof(*old));
	if (!old)
		return -ENOMEM;
	if (cfg->rate_pps) {
		uint32_t burst = cfg->rate_burst ? cfg->rate_burst : cfg->rate_pps;

		cfg->rate_interval_ns = 1000000000ULL / cfg->rate_pps;
		cfg->rate_tau_ns = (uint64_t)(burst - 1) * cfg->rate_interval_ns;
		cfg->rate_v4_mask = htonl((uint32_t)(~0ULL << (32 - cfg->rate_v4_prefix)));
	} else {
		cfg->rate_interval_ns = 0;
		cfg->rate_tau_ns = 0;
		cfg->rate_v4_mask = 0;
	}
	err = sw_xdp_cfg_read(cfg_fd, old);
	if (!err) {
		cfg->generation = old->generation + 1 ? old->generation + 1 : 1;
		if (bpf_map_update_elem(cfg_fd, &zero, cfg, BPF_ANY))
			err = -errno;
	}
	free(old);
	return err;
}

/* Point every shared map of obj at its pin: libbpf reuses an existing pin at load, or pins the new map. */
static int set_pin_paths(struct bpf_object *obj, const char *root)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	for (size_t i = 0; i < NSHARED; i++) {
		map = bpf_object__find_map_by_name(obj, i == BLKF_INDEX ? BLKF_MAP_SUFFIX : shared_maps[i]);
		if (!map)
			return -ENOENT;
		err = pin_path(path, sizeof(path), root, shared_maps[i]);
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* After a load: write the configuration given, or the defaults into a map nobody configured yet. */
static int cfg_apply(int cfg_fd, const struct sw_xdp_cfg *given)
{
	struct sw_xdp_cfg *c = malloc(sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	err = sw_xdp_cfg_read(cfg_fd, c);
	if (!err && (given || !c->generation)) {
		if (given)
			*c = *given;
		else
			sw_xdp_cfg_defaults(c);
		err = sw_xdp_cfg_write(cfg_fd, c);
	}
	free(c);
	return err;
}

int sw_xdp_attach(int ifindex, const struct sw_xdp_attach_opts *opts, struct sw_xdp_iface *out)
{
	const char *root = opts->pin_root ? opts->pin_root : sw_xdp_pin_root();
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .prog_name = SW_XDP_PROG_NAME);
	enum xdp_attach_mode mode = to_libxdp_mode(opts->mode);
	struct xdp_program *xp = NULL;
	struct sw_xdp_iface cur;
	struct sw_xdp *skel;
	int err;

	if (opts->cfg && sw_xdp_cfg_validate(opts->cfg))
		return -EINVAL;
	err = sw_xdp_query(ifindex, NULL, &cur);
	if (err)
		return err;
	if (cur.prog_id)
		return cur.ours ? -EEXIST : -EBUSY;
	err = sw_xdp_pin_root_prepare(root);
	if (err)
		return err;

	skel = sw_xdp__open();
	if (!skel)
		return -errno;
	err = set_pin_paths(skel->obj, root);
	if (err)
		goto out;
	xopts.obj = skel->obj;
	xp = xdp_program__create(&xopts);
	err = (int)libxdp_get_error(xp);
	if (err) {
		xp = NULL;
		goto out;
	}
	/*
	 * libxdp loads the object here (maps reused or pinned), then attaches: behind its dispatcher, or alone where
	 * the kernel fails the dispatcher's checks. Until cfg_apply() below the program runs on its built-in defaults
	 * (a fresh map has generation 0): microseconds, and the defaults are the policy's.
	 */
	err = xdp_program__attach(xp, ifindex, mode, 0);
	if (err)
		goto out;
	err = cfg_apply(bpf_map__fd(skel->maps.sw_cfg), opts->cfg);
	if (!err) {
		/* A filter pinned just now next to tries pinned by an earlier version: count what they hold. */
		struct sw_xdp_maps m = { .block4 = bpf_map__fd(skel->maps.sw_block4),
					 .block6 = bpf_map__fd(skel->maps.sw_block6),
					 .blkf = bpf_map__fd(skel->maps.bss) };

		err = sw_block_filter_build(&m, false);
	}
	if (err) {
		xdp_program__detach(xp, ifindex, mode, 0);
		goto out;
	}
	if (out)
		err = sw_xdp_query(ifindex, root, out);
out:
	xdp_program__close(xp); /* created from our object: leaves the object to sw_xdp__destroy() */
	sw_xdp__destroy(skel);
	return err;
}

int sw_xdp_detach(int ifindex)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	char name[IF_NAMESIZE];
	int err;

	if (!if_indextoname(ifindex, name))
		return -ENODEV;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = (int)libxdp_get_error(mp);
	if (err)
		return err;
	p = find_ours(mp);
	if (!p)
		err = -EBUSY;
	else if (xdp_multiprog__is_legacy(mp))
		err = xdp_multiprog__detach(mp);
	else
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return err;
}

/* Copy every entry of one map into another with the same layout (blocklist migration). */
static int map_copy(int from, int to, size_t key_size, size_t value_size)
{
	void *key = calloc(1, key_size), *next = calloc(1, key_size), *val = calloc(1, value_size);
	int err = (key && next && val) ? 0 : -ENOMEM;
	void *prev = NULL;

	while (!err && !bpf_map_get_next_key(from, prev, next)) {
		if (!bpf_map_lookup_elem(from, next, val) && bpf_map_update_elem(to, next, val, BPF_ANY))
			err = -errno;
		memcpy(key, next, key_size);
		prev = key;
	}
	if (!err && errno != ENOENT)
		err = -errno;
	free(key);
	free(next);
	free(val);
	return err;
}

/* Carry what must survive from the map pinned before (old_fd) into the adopted one (new_fd). */
static int adopt_carry(const char *name, int old_fd, int new_fd)
{
	struct sw_xdp_cfg *c;
	int err;

	if (!strcmp(name, SW_XDP_MAP_BLOCK4))
		return map_copy(old_fd, new_fd, sizeof(struct sw_block_key4), sizeof(struct sw_block_val));
	if (!strcmp(name, SW_XDP_MAP_BLOCK6))
		return map_copy(old_fd, new_fd, sizeof(struct sw_block_key6), sizeof(struct sw_block_val));
	if (strcmp(name, SW_XDP_MAP_CFG))
		return 0; /* counters, buckets and fragments start afresh */
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = sw_xdp_cfg_read(old_fd, c);
	if (!err && c->generation)
		err = sw_xdp_cfg_write(new_fd, c);
	free(c);
	return err;
}

/* Is a loaded map's name (as the kernel keeps it) shared map number j's? */
static bool map_name_is(const char *name, size_t j)
{
	size_t n = strlen(name), sfx = strlen(BLKF_MAP_SUFFIX);

	if (j == BLKF_INDEX)
		return n > sfx && !strcmp(name + n - sfx, BLKF_MAP_SUFFIX);
	return !strcmp(name, shared_maps[j]);
}

/*
 * Pin shared map number i of the adopted program as root/name, carrying over and replacing a pin of another map.
 * A pin of another layout (an older sipwall) is replaced without carrying anything.
 */
static int adopt_map(int fd, uint32_t id, size_t i, const char *root)
{
	const char *name = shared_maps[i];
	char path[PATH_MAX];
	uint32_t old_id = 0;
	int old_fd, err;

	err = map_layout_check(fd, i);
	if (!err)
		err = pin_path(path, sizeof(path), root, name);
	if (err)
		return err;
	old_fd = bpf_obj_get(path);
	if (old_fd >= 0) {
		err = map_id_of(old_fd, &old_id, NULL, 0);
		if (!err && old_id != id && !map_layout_check(old_fd, i))
			err = adopt_carry(name, old_fd, fd);
		close(old_fd);
		if (err || old_id == id)
			return err;
		if (unlink(path))
			return -errno;
	}
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

static void blkx_fold_pinned(const char *root);

int sw_xdp_adopt(int ifindex, const char *pin_root, const struct sw_xdp_cfg *cfg)
{
	const char *root = pin_root ? pin_root : sw_xdp_pin_root();
	uint32_t *ids = NULL, n = 0, id = 0;
	struct sw_xdp_iface cur;
	struct sw_xdp_cfg *c = NULL;
	char name[BPF_OBJ_NAME_LEN];
	int prog_fd = -1, fd, cfg_fd = -1, err;

	err = sw_xdp_query(ifindex, NULL, &cur);
	if (!err && !cur.ours)
		err = -ENOENT;
	if (!err)
		err = sw_xdp_pin_root_prepare(root);
	if (err)
		return err;
	prog_fd = bpf_prog_get_fd_by_id(cur.prog_id);
	if (prog_fd < 0)
		return -errno;
	blkx_fold_pinned(root); /* the hits the pinned copy counted in its exact index, before its filter is replaced */
	err = prog_map_ids(prog_fd, &ids, &n);
	for (uint32_t i = 0; !err && i < n; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0) {
			err = -errno;
			break;
		}
		err = map_id_of(fd, &id, name, sizeof(name));
		for (size_t j = 0; !err && j < NSHARED; j++)
			if (map_name_is(name, j))
				err = adopt_map(fd, id, j, root);
		if (!err && !strcmp(name, SW_XDP_MAP_CFG) && cfg_fd < 0)
			cfg_fd = dup(fd);
		close(fd);
	}
	if (!err) {
		/* The adopted program's filter is new and empty: count the blocklist carried into its tries. */
		struct sw_xdp_maps m;

		err = sw_xdp_maps_open(root, &m);
		if (!err)
			err = sw_block_filter_build(&m, false);
		sw_xdp_maps_close(&m);
	}
	if (!err && cfg && cfg_fd >= 0) {
		c = malloc(sizeof(*c));
		err = c ? 0 : -ENOMEM;
		if (c) {
			*c = *cfg;
			err = sw_xdp_cfg_write(cfg_fd, c);
		}
	}
	free(c);
	free(ids);
	if (cfg_fd >= 0)
		close(cfg_fd);
	close(prog_fd);
	return err;
}

void sw_xdp_maps_close(struct sw_xdp_maps *m)
{
	int *fds[] = { &m->cfg, &m->stats, &m->block4, &m->block6, &m->rate, &m->frag, &m->blkf };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] > 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int sw_xdp_maps_open(const char *pin_root, struct sw_xdp_maps *m)
{
	const char *root = pin_root ? pin_root : sw_xdp_pin_root();
	int *fds[] = { &m->cfg, &m->stats, &m->block4, &m->block6, &m->rate, &m->frag, &m->blkf };
	char path[PATH_MAX];
	int err = 0;

	_Static_assert(sizeof(fds) / sizeof(fds[0]) == NSHARED, "one fd per shared map, in shared_maps[] order");
	for (size_t i = 0; i < NSHARED; i++)
		*fds[i] = -1;
	for (size_t i = 0; !err && i < NSHARED; i++) {
		err = pin_path(path, sizeof(path), root, shared_maps[i]);
		if (!err) {
			*fds[i] = bpf_obj_get(path);
			err = *fds[i] < 0 ? -errno : map_layout_check(*fds[i], i);
			if (err == -ENOENT && i == BLKF_INDEX) /* pinned by a version without the filter */
				err = 0;
		}
	}
	if (err)
		sw_xdp_maps_close(m);
	return err;
}

int sw_xdp_counters_read(int stats_fd, uint64_t out[SW_XDP_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals)); /* per-CPU values of 8 bytes: no padding between CPUs */
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; !err && k < SW_XDP_C_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(stats_fd, &k, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return err;
}

uint64_t sw_xdp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void prefix_mask(struct sw_prefix *p)
{
	unsigned int bytes = p->family == 4 ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		int keep = (int)p->len - 8 * (int)i;

		if (keep <= 0)
			p->addr[i] = 0;
		else if (keep < 8)
			p->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

int sw_prefix_parse(const char *s, struct sw_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = 6;
	else
		return -EINVAL;
	p->len = p->family == 4 ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || slash[1] == '-' || slash[1] == '+' || len > p->len)
			return -EINVAL;
		p->len = (uint8_t)len;
	}
	prefix_mask(p);
	return 0;
}

void sw_prefix_format(const struct sw_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
}

/* The LPM trie key for p in buf (struct sw_block_key4 or 6); returns the map fd to use. */
static int block_key(const struct sw_xdp_maps *m, const struct sw_prefix *p, void *buf)
{
	if (p->family == 4) {
		struct sw_block_key4 *k = buf;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr, 4);
		return m->block4;
	}
	struct sw_block_key6 *k = buf;

	k->prefixlen = p->len;
	memcpy(k->addr, p->addr, 16);
	return m->block6;
}

/*
 * The presence filter, user side (layout and meaning: xdp_abi.h). The map is mmaped and its counters changed with
 * atomic instructions, as the program reads them concurrently. Blocklist writers serialise on a lock word in the
 * header (BLKF_W_LOCK), so a build (zero, then count every entry) never interleaves with an add or a delete.
 * Ordering against the program: a counter goes up before its entry enters the trie and down after it left, so the
 * filter never says "absent" while the entry is there; the reverse only costs a trie lookup.
 */
#define BLKF_W_LOCK 5              /* 0 free, else holder's pid << 32 | CLOCK_BOOTTIME seconds when taken */
#define BLKF_LOCK_STALE_S 10       /* a holder silent this long died: take over (its half-done edit is conservative) */
#define BLKF_BYTES sizeof(struct sw_blkf)

struct blkf {
	uint64_t *w;  /* the map, mmaped: struct sw_blkf as words */
	uint64_t lock;
};

static uint64_t blkf_now_s(void)
{
	return sw_xdp_now_ns() / 1000000000ULL;
}

/* Map the filter and take the writers' lock. -ENOENT when there is no filter (fd absent). */
static int blkf_open(int fd, struct blkf *f)
{
	uint64_t cur;

	f->w = NULL;
	if (fd <= 0)
		return -ENOENT;
	f->w = mmap(NULL, BLKF_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f->w == MAP_FAILED) {
		f->w = NULL;
		return -errno;
	}
	f->lock = (uint64_t)getpid() << 32 | (blkf_now_s() & 0xffffffffu);
	for (;;) {
		cur = 0;
		if (__atomic_compare_exchange_n(&f->w[BLKF_W_LOCK], &cur, f->lock, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return 0;
		if ((blkf_now_s() & 0xffffffffu) - (cur & 0xffffffffu) > BLKF_LOCK_STALE_S &&
		    __atomic_compare_exchange_n(&f->w[BLKF_W_LOCK], &cur, f->lock, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return 0;
		usleep(1000);
	}
}

static void blkf_close(struct blkf *f)
{
	uint64_t mine = f->lock;

	if (!f->w)
		return;
	__atomic_compare_exchange_n(&f->w[BLKF_W_LOCK], &mine, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	munmap(f->w, BLKF_BYTES);
	f->w = NULL;
}

static bool blkf_ready(const struct blkf *f)
{
	return __atomic_load_n(&f->w[SW_BLKF_W_STATE], __ATOMIC_ACQUIRE) == SW_BLKF_READY;
}

/* Add delta (+1 or -1) to an 8-bit slot counter; 255 is sticky (more entries than it counts share the slot). */
static void blkf_slot_add(uint8_t *c, int delta)
{
	uint8_t cur = __atomic_load_n(c, __ATOMIC_RELAXED), next;

	do {
		if (cur == 255 || (delta < 0 && cur == 0))
			return;
		next = (uint8_t)(cur + delta);
	} while (!__atomic_compare_exchange_n(c, &cur, next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
}

static uint32_t *blkf_lencnt(struct blkf *f, uint8_t family, unsigned int len)
{
	return (uint32_t *)((uint8_t *)f->w + SW_BLKF_LENCNT_OFF) + (family == 4 ? len : 33u + len);
}

static uint64_t blkf_tmpl(uint8_t family, unsigned int len)
{
	return family == 4 ? sw_blkf_tmpl4(len) : sw_blkf_tmpl6(len);
}

/* Write a family's whole list from the per-length counts, then publish its count (the program reads N first). */
static void blkf_list_write(struct blkf *f, uint8_t family)
{
	unsigned int wn = family == 4 ? SW_BLKF_W_N4 : SW_BLKF_W_N6, n = 0;

	for (unsigned int len = 0; len <= (family == 4 ? 32u : 128u); len++) {
		if (!*blkf_lencnt(f, family, len))
			continue;
		if (n < SW_BLKF_PROBES)
			__atomic_store_n(&f->w[wn + 1 + n], blkf_tmpl(family, len), __ATOMIC_RELEASE);
		n++;
	}
	__atomic_store_n(&f->w[wn], (uint64_t)n + 1, __ATOMIC_RELEASE);
}

/*
 * A length came into use (delta +1) or went out of use (-1): change the family's list one word at a time, so that
 * a packet reading it concurrently sees every length in use. In: append, then count it. Out: the last word takes
 * its place, then the count drops. Past SW_BLKF_PROBES lengths the program ignores the list (and asks the trie),
 * so it is rewritten whole when the count comes back under.
 */
static void blkf_list_change(struct blkf *f, uint8_t family, unsigned int len, int delta)
{
	unsigned int wn = family == 4 ? SW_BLKF_W_N4 : SW_BLKF_W_N6;
	uint64_t n = f->w[wn] - 1, tmpl = blkf_tmpl(family, len); /* lengths listed; writers are serialised */

	if (delta > 0) {
		if (n < SW_BLKF_PROBES)
			__atomic_store_n(&f->w[wn + 1 + n], tmpl, __ATOMIC_RELEASE);
		__atomic_store_n(&f->w[wn], n + 2, __ATOMIC_RELEASE);
		return;
	}
	if (n > SW_BLKF_PROBES) {
		if (n - 1 == SW_BLKF_PROBES)
			blkf_list_write(f, family); /* the count of `len` is 0 already */
		else
			__atomic_store_n(&f->w[wn], n, __ATOMIC_RELEASE);
		return;
	}
	for (uint64_t k = 0; k < n; k++) {
		if (f->w[wn + 1 + k] == tmpl) {
			__atomic_store_n(&f->w[wn + 1 + k], f->w[wn + n], __ATOMIC_RELEASE);
			__atomic_store_n(&f->w[wn], n, __ATOMIC_RELEASE);
			return;
		}
	}
	blkf_list_write(f, family); /* not listed: cannot happen while writers go through here; rewrite it whole */
}

/* ---- the exact index (xdp_abi.h: sw_blkx_bucket), kept beside the filter by the same serialised writers ---- */

static uint32_t *blkx_lencnt(struct blkf *f, uint8_t family, unsigned int len)
{
	return (uint32_t *)((uint8_t *)f->w + SW_BLKX_LENCNT_OFF) + (family == 4 ? len : 33u + len);
}

/* A length's word in LISTX4 / LISTX6, and back. */
static uint64_t blkx_word(uint8_t family, unsigned int len)
{
	return family == 4 ? sw_blkf_tmpl4(len) : len;
}

static unsigned int blkx_word_len(uint8_t family, uint64_t w)
{
	return family == 4 ? (unsigned int)(w >> 32) & 0xff : (unsigned int)w & 0xff;
}

/* Write a family's exact list whole, longest first, from the per-length counts; then its count. */
static void blkx_list_write(struct blkf *f, uint8_t family)
{
	unsigned int wn = family == 4 ? SW_BLKX_W_N4 : SW_BLKX_W_N6, n = 0;

	for (int len = family == 4 ? 32 : 128; len >= 0; len--) {
		if (!*blkx_lencnt(f, family, (unsigned int)len))
			continue;
		if (n < SW_BLKF_PROBES)
			__atomic_store_n(&f->w[wn + 1 + n], blkx_word(family, (unsigned int)len), __ATOMIC_RELEASE);
		n++;
	}
	__atomic_store_n(&f->w[wn], (uint64_t)n + 1, __ATOMIC_RELEASE);
}

/*
 * An exact length came into use (+1) or went out of use (-1): shift it into its place (longest first) or out of
 * the list one word at a time, with the count covering every word in use at each step, so that a packet reading
 * the list meanwhile sees every length in use in order (one of them perhaps twice). Past SW_BLKF_PROBES lengths
 * the program asks the trie; the list is written whole when the count comes back under.
 */
static void blkx_list_change(struct blkf *f, uint8_t family, unsigned int len, int delta)
{
	unsigned int wn = family == 4 ? SW_BLKX_W_N4 : SW_BLKX_W_N6;
	uint64_t *list = &f->w[wn + 1], n = f->w[wn] - 1, k;

	if (delta > 0) {
		if (n >= SW_BLKF_PROBES) {
			__atomic_store_n(&f->w[wn], n + 2, __ATOMIC_RELEASE);
			return;
		}
		for (k = 0; k < n && blkx_word_len(family, list[k]) > len; k++)
			;
		if (k < n) {
			__atomic_store_n(&list[n], list[n - 1], __ATOMIC_RELEASE);
			__atomic_store_n(&f->w[wn], n + 2, __ATOMIC_RELEASE);
			for (uint64_t j = n - 1; j > k; j--)
				__atomic_store_n(&list[j], list[j - 1], __ATOMIC_RELEASE);
			__atomic_store_n(&list[k], blkx_word(family, len), __ATOMIC_RELEASE);
		} else {
			__atomic_store_n(&list[n], blkx_word(family, len), __ATOMIC_RELEASE);
			__atomic_store_n(&f->w[wn], n + 2, __ATOMIC_RELEASE);
		}
		return;
	}
	if (n > SW_BLKF_PROBES) {
		if (n - 1 == SW_BLKF_PROBES)
			blkx_list_write(f, family); /* the count of `len` is 0 already */
		else
			__atomic_store_n(&f->w[wn], n, __ATOMIC_RELEASE);
		return;
	}
	for (k = 0; k < n && blkx_word_len(family, list[k]) != len; k++)
		;
	if (k == n) {
		blkx_list_write(f, family); /* not listed: cannot happen while writers go through here */
		return;
	}
	for (; k + 1 < n; k++)
		__atomic_store_n(&list[k], list[k + 1], __ATOMIC_RELEASE);
	__atomic_store_n(&f->w[wn], n, __ATOMIC_RELEASE);
}

/* An entry's key in the exact index, as the program builds it from a source address. */
struct blkx_k {
	uint64_t k0, k1;
	uint32_t meta;
};

static struct blkx_k blkx_key(const struct sw_prefix *p)
{
	struct blkx_k k = { .meta = sw_blkx_meta(p->family, p->len) };
	uint64_t hi, lo;
	uint32_t a;

	if (p->family == 4) {
		memcpy(&a, p->addr, 4);
		k.k0 = ((uint64_t)a | 0xffffffff00000000ULL) & sw_blkf_tmpl4(p->len);
		return k;
	}
	memcpy(&hi, p->addr, 8);
	memcpy(&lo, p->addr + 8, 8);
	k.k0 = sw_blkx_k0_6(hi, p->len);
	k.k1 = sw_blkx_k1_6(lo, p->len);
	return k;
}

/* The key's bucket (in w, the mapped filter), and its way there or -1. */
static int blkx_find(const uint64_t *w, const struct blkx_k *k, struct sw_blkx_bucket **bucket)
{
	struct sw_blkf *bf = (struct sw_blkf *)(uintptr_t)w;
	struct sw_blkx_bucket *b = &bf->bkt[sw_blkx_bucket_of(k->k0, k->k1, k->meta)];

	*bucket = b;
	for (int i = 0; i < SW_BLKX_WAYS; i++)
		if (__atomic_load_n(&b->meta[i], __ATOMIC_ACQUIRE) == k->meta && b->k0[i] == k->k0 && b->k1[i] == k->k1)
			return i;
	return -1;
}

/*
 * Enter an entry (new, or replaced: expiry rewritten, hits from zero as in the trie). The key goes in before meta and
 * the way's bit, which make it visible. No free way: the bucket is marked, and the program asks the trie for it from
 * then on (until a rebuild).
 */
static void blkx_put(struct blkf *f, const struct sw_prefix *p, uint64_t expires_ns)
{
	struct blkx_k k = blkx_key(p);
	struct sw_blkx_bucket *b;
	int i = blkx_find(f->w, &k, &b);

	if (i >= 0) {
		__atomic_store_n(&b->expires_ns[i], expires_ns, __ATOMIC_RELEASE);
		__atomic_store_n(&b->hits[i], 0, __ATOMIC_RELAXED);
		return;
	}
	for (i = 0; i < SW_BLKX_WAYS; i++) {
		if (b->meta[i])
			continue;
		b->k0[i] = k.k0;
		b->k1[i] = k.k1;
		b->expires_ns[i] = expires_ns;
		b->hits[i] = 0;
		__atomic_store_n(&b->meta[i], k.meta, __ATOMIC_RELEASE);
		__atomic_fetch_or(&b->used, 1ULL << i, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_or(&b->used, SW_BLKX_OVERFLOW, __ATOMIC_RELEASE);
}

/* Take an entry out: its bit and meta first, so the program stops matching the way before its key changes. */
static void blkx_del(struct blkf *f, const struct sw_prefix *p)
{
	struct blkx_k k = blkx_key(p);
	struct sw_blkx_bucket *b;
	int i = blkx_find(f->w, &k, &b);

	if (i < 0)
		return;
	__atomic_fetch_and(&b->used, ~(1ULL << i), __ATOMIC_RELEASE);
	__atomic_store_n(&b->meta[i], 0, __ATOMIC_RELEASE);
	b->k0[i] = b->k1[i] = b->expires_ns[i] = 0;
	__atomic_store_n(&b->hits[i], 0, __ATOMIC_RELAXED);
}

/* The hits the program counted in the exact index for an entry (w: the mapped filter, built). */
static uint64_t blkx_hits(const uint64_t *w, const struct sw_prefix *p)
{
	struct blkx_k k = blkx_key(p);
	struct sw_blkx_bucket *b;
	int i = blkx_find(w, &k, &b);

	return i < 0 ? 0 : __atomic_load_n(&b->hits[i], __ATOMIC_RELAXED);
}

/*
 * Move the hits counted in the exact index into the trie entries (their hits field), before the index is zeroed
 * (a rebuild) or left behind (an adoption replaces the filter): the counts survive, as the trie's did before.
 */
static void blkx_fold(struct blkf *f, const struct sw_xdp_maps *m)
{
	struct sw_blkf *bf = (struct sw_blkf *)f->w;

	for (uint32_t bi = 0; bi < SW_BLKX_BUCKETS; bi++) {
		struct sw_blkx_bucket *b = &bf->bkt[bi];

		for (int i = 0; i < SW_BLKX_WAYS; i++) {
			uint32_t meta = __atomic_load_n(&b->meta[i], __ATOMIC_ACQUIRE);
			struct sw_block_key6 key = {};
			struct sw_block_val v;
			uint64_t h;
			int fd;

			if (!meta || !__atomic_load_n(&b->hits[i], __ATOMIC_RELAXED))
				continue;
			h = __atomic_exchange_n(&b->hits[i], 0, __ATOMIC_RELAXED);
			key.prefixlen = meta & 0xff;
			if (meta >> 8 == 4) {
				uint32_t a = (uint32_t)b->k0[i];

				fd = m->block4;
				memcpy(key.addr, &a, 4);
			} else {
				fd = m->block6;
				memcpy(key.addr, &b->k0[i], 8);
				memcpy(key.addr + 8, &b->k1[i], 8);
			}
			if (!bpf_map_lookup_elem(fd, &key, &v)) {
				v.hits += h;
				bpf_map_update_elem(fd, &key, &v, BPF_EXIST);
			}
		}
	}
}

/*
 * Count one entry in (delta +1) or out (-1): its slot and the length it is filed under (sw_blkf_filed_len()), and
 * that length's place in the list when lists is set.
 */
static void blkf_count(struct blkf *f, const struct sw_prefix *p, int delta, bool lists)
{
	unsigned int len = sw_blkf_filed_len(p->family, p->len);
	uint8_t *slots = (uint8_t *)(f->w + SW_BLKF_HDR_WORDS);
	uint32_t *cnt = blkf_lencnt(f, p->family, len);
	uint32_t slot, a;
	uint64_t hi;

	if (p->family == 4) {
		memcpy(&a, p->addr, 4);
		slot = sw_blkf_slot4(a, len);
	} else {
		memcpy(&hi, p->addr, 8);
		slot = sw_blkf_slot6(hi, len);
	}
	uint32_t *xcnt = blkx_lencnt(f, p->family, p->len);

	if (delta > 0) {
		blkf_slot_add(&slots[slot], 1);
		if (++*cnt == 1 && lists)
			blkf_list_change(f, p->family, len, 1);
		if (++*xcnt == 1 && lists)
			blkx_list_change(f, p->family, p->len, 1);
		return;
	}
	blkf_slot_add(&slots[slot], -1);
	if (*cnt && --*cnt == 0 && lists)
		blkf_list_change(f, p->family, len, -1);
	if (*xcnt && --*xcnt == 0 && lists)
		blkx_list_change(f, p->family, p->len, -1);
}

static int blkf_count_entry(const struct sw_prefix *p, const struct sw_block_val *v, void *arg)
{
	blkf_count(arg, p, 1, false);
	blkx_put(arg, p, v->expires_ns);
	return 0;
}

int sw_block_filter_build(const struct sw_xdp_maps *m, bool rebuild)
{
	struct blkf f;
	int err = blkf_open(m->blkf, &f);

	if (err)
		return err == -ENOENT ? 0 : err;
	if (!f.w[SW_BLKF_W_SEED]) { /* once per set of maps: the rate limiter's hash seed */
		uint64_t seed = 0;

		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			seed = sw_xdp_now_ns() ^ ((uint64_t)getpid() << 32);
		__atomic_store_n(&f.w[SW_BLKF_W_SEED], seed | 1, __ATOMIC_RELAXED);
	}
	if (rebuild || !blkf_ready(&f)) {
		if (blkf_ready(&f))
			blkx_fold(&f, m);
		/* Not built while counting: the program looks sources up in the tries meanwhile. */
		__atomic_store_n(&f.w[SW_BLKF_W_STATE], 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&f.w[SW_BLKF_W_N4], 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&f.w[SW_BLKF_W_N6], 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&f.w[SW_BLKX_W_N4], 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&f.w[SW_BLKX_W_N6], 0, __ATOMIC_SEQ_CST);
		memset((uint8_t *)f.w + SW_BLKF_LENCNT_OFF, 0, BLKF_BYTES - SW_BLKF_LENCNT_OFF);
		err = sw_block_foreach(m, blkf_count_entry, &f);
		if (!err) {
			blkf_list_write(&f, 4);
			blkf_list_write(&f, 6);
			blkx_list_write(&f, 4);
			blkx_list_write(&f, 6);
			__atomic_store_n(&f.w[SW_BLKF_W_STATE], SW_BLKF_READY, __ATOMIC_SEQ_CST);
		}
	}
	blkf_close(&f);
	return err;
}

/* blkx_fold() on the maps pinned under root, if they are there and built. */
static void blkx_fold_pinned(const char *root)
{
	struct sw_xdp_maps m;
	struct blkf f;

	if (sw_xdp_maps_open(root, &m))
		return;
	if (!blkf_open(m.blkf, &f)) {
		if (blkf_ready(&f))
			blkx_fold(&f, &m);
		blkf_close(&f);
	}
	sw_xdp_maps_close(&m);
}

/*
 * Add or replace. A new entry is counted in the filter before it enters the trie; a replaced one is not counted
 * again (BPF_NOEXIST tells the two apart; the count taken in advance is given back).
 */
int sw_block_add(const struct sw_xdp_maps *m, const struct sw_prefix *p, uint64_t ttl_s, const char *reason)
{
	struct sw_block_val v = {};
	struct sw_block_key6 key = {}; /* large enough for either key */
	int fd = block_key(m, p, &key);
	bool counted = false;
	struct blkf f;
	int err;

	v.created_ns = sw_xdp_now_ns();
	v.expires_ns = ttl_s ? v.created_ns + ttl_s * 1000000000ULL : 0;
	v.prefixlen = p->len;
	if (reason)
		snprintf(v.reason, sizeof(v.reason), "%s", reason);
	err = blkf_open(m->blkf, &f);
	if (err && err != -ENOENT)
		return err;
	if (f.w && blkf_ready(&f)) {
		blkf_count(&f, p, 1, true);
		counted = true;
	}
	err = bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST) ? -errno : 0;
	if (err == -EEXIST) {
		err = bpf_map_update_elem(fd, &key, &v, BPF_EXIST) ? -errno : 0;
		if (counted)
			blkf_count(&f, p, -1, true); /* it was counted when first added */
	} else if (err && counted) {
		blkf_count(&f, p, -1, true);
	}
	if (!err && counted)
		blkx_put(&f, p, v.expires_ns);
	blkf_close(&f);
	return err;
}

/* A deleted entry leaves the filter after it left the trie, and only if it was there (no double count down). */
int sw_block_del(const struct sw_xdp_maps *m, const struct sw_prefix *p)
{
	struct sw_block_key6 key = {};
	int fd = block_key(m, p, &key);
	struct blkf f;
	int err;

	err = blkf_open(m->blkf, &f);
	if (err && err != -ENOENT)
		return err;
	err = bpf_map_delete_elem(fd, &key) ? -errno : 0;
	if (!err && f.w && blkf_ready(&f)) {
		blkx_del(&f, p);
		blkf_count(&f, p, -1, true);
	}
	blkf_close(&f);
	return err;
}

bool sw_block_expired(const struct sw_block_val *v, uint64_t now_ns)
{
	return v->expires_ns && v->expires_ns <= now_ns;
}

/*
 * Walk one trie. LPM tries support get_next_key; entries added or deleted meanwhile may be seen or not. bw, when not
 * NULL, is the built filter, mapped: each entry's hits are the trie's plus the exact index's.
 */
static int block_walk(int fd, uint8_t family, const uint64_t *bw, sw_block_fn fn, void *arg)
{
	size_t ksz = family == 4 ? sizeof(struct sw_block_key4) : sizeof(struct sw_block_key6);
	struct sw_block_key6 key, next; /* large enough for either key */
	struct sw_block_val v;
	struct sw_prefix p;
	void *prev = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		memcpy(&key, &next, ksz);
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue; /* deleted meanwhile */
		memset(&p, 0, sizeof(p));
		p.family = family;
		p.len = (uint8_t)key.prefixlen;
		memcpy(p.addr, key.addr, family == 4 ? 4 : 16);
		if (bw)
			v.hits += blkx_hits(bw, &p);
		err = fn(&p, &v, arg);
	}
	if (!err && errno != ENOENT)
		err = -errno;
	return err;
}

int sw_block_foreach(const struct sw_xdp_maps *m, sw_block_fn fn, void *arg)
{
	uint64_t *bw = m->blkf > 0 ? mmap(NULL, BLKF_BYTES, PROT_READ, MAP_SHARED, m->blkf, 0) : MAP_FAILED;
	const uint64_t *built = NULL;
	int err;

	if (bw != MAP_FAILED && __atomic_load_n(&bw[SW_BLKF_W_STATE], __ATOMIC_ACQUIRE) == SW_BLKF_READY)
		built = bw;
	err = block_walk(m->block4, 4, built, fn, arg);
	if (!err)
		err = block_walk(m->block6, 6, built, fn, arg);
	if (bw != MAP_FAILED)
		munmap(bw, BLKF_BYTES);
	return err;
}

struct gc_state {
	uint64_t now;
	struct sw_prefix *dead;
	size_t n, cap;
};

static int gc_collect(const struct sw_prefix *p, const struct sw_block_val *v, void *arg)
{
	struct gc_state *st = arg;
	struct sw_prefix *d;

	if (!sw_block_expired(v, st->now))
		return 0;
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		d = realloc(st->dead, st->cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		st->dead = d;
	}
	st->dead[st->n++] = *p;
	return 0;
}

int sw_block_gc(const struct sw_xdp_maps *m, unsigned int *deleted)
{
	struct gc_state st = { .now = sw_xdp_now_ns() };
	unsigned int n = 0;
	int err;

	/* Collect first, delete after: deleting while walking with get_next_key may skip entries. */
	err = sw_block_foreach(m, gc_collect, &st);
	for (size_t i = 0; !err && i < st.n; i++) {
		err = sw_block_del(m, &st.dead[i]);
		if (err == -ENOENT)
			err = 0;
		else if (!err)
			n++;
	}
	free(st.dead);
	if (deleted)
		*deleted = n;
	return err;
}
