/*
 * Decoding of request frames (spawner.c rule 2): SPAWN here, and the integers KILL needs. Every
 * count and length is checked against the bytes the frame really holds before anything is
 * allocated or indexed; any violation is fatal (rule 10): only a broken daemon sends one.
 */
#include "spawner.h"

static void need(struct cursor *c, size_t n) {
    if ((size_t)(c->end - c->p) < n) { errno = 0; die("truncated frame"); }
}

uint32_t take_u32(struct cursor *c) {
    need(c, 4);
    uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    c->p += 4;
    return v;
}

uint64_t take_u64(struct cursor *c) {
    uint64_t lo = take_u32(c);
    return lo | (uint64_t)take_u32(c) << 32;
}

static char *take_string(struct cursor *c) {
    uint32_t n = take_u32(c);
    need(c, n);
    if (memchr(c->p, 0, n)) { errno = 0; die("string with NUL byte in frame"); }
    char *s = checked_calloc(n + 1, 1);
    memcpy(s, c->p, n);
    c->p += n;
    return s;
}

/* Reads a count of items of at least item_size bytes each; a count the frame cannot hold is fatal,
 * so nothing is allocated on a bare claim. */
static uint32_t take_count(struct cursor *c, size_t item_size, uint32_t max, const char *what) {
    uint32_t n = take_u32(c);
    if (n > max || n > (size_t)(c->end - c->p) / item_size) { errno = 0; die("bad %s count %u", what, n); }
    return n;
}

static char **take_strings(struct cursor *c) {
    uint32_t n = take_count(c, 4, UINT32_MAX - 1, "string");
    char **v = checked_calloc(n + 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++) v[i] = take_string(c);
    return v;
}

void decode_spawn(struct cursor *c, struct request *r) {
    r->id = take_u64(c);
    r->flags = take_u32(c);
    r->uid = take_u32(c);
    r->gid = take_u32(c);
    r->ngroups = take_count(c, 4, 65536, "group");
    r->groups = checked_calloc(r->ngroups, sizeof *r->groups);
    for (uint32_t i = 0; i < r->ngroups; i++) r->groups[i] = take_u32(c);
    r->map_uid_inside = take_u32(c);
    r->map_uid_outside = take_u32(c);
    r->map_gid_inside = take_u32(c);
    r->map_gid_outside = take_u32(c);
    r->personality = take_u32(c);
    r->oom_score_adj = (int32_t)take_u32(c);
    r->program = take_string(c);
    r->cwd = take_string(c);
    r->root = take_string(c);
    r->hostname = take_string(c);
    r->argv = take_strings(c);
    r->envp = take_strings(c);
    r->nbinds = take_count(c, 12, 65536, "bind");
    r->binds = checked_calloc(r->nbinds, sizeof *r->binds);
    for (uint32_t i = 0; i < r->nbinds; i++) {
        r->binds[i].src = take_string(c);
        r->binds[i].dst = take_string(c);
        r->binds[i].flags = take_u32(c);
    }
    r->nlimits = take_count(c, 20, 64, "limit");
    r->limits = checked_calloc(r->nlimits, sizeof *r->limits);
    for (uint32_t i = 0; i < r->nlimits; i++) {
        r->limits[i].resource = take_u32(c);
        r->limits[i].soft = take_u64(c);
        r->limits[i].hard = take_u64(c);
    }
    r->nfdmap = take_count(c, 8, MAX_FDS, "fd mapping");
    r->fdmap = checked_calloc(r->nfdmap, sizeof *r->fdmap);
    for (uint32_t i = 0; i < r->nfdmap; i++) {
        r->fdmap[i].target = (int32_t)take_u32(c);
        r->fdmap[i].source = take_u32(c);
        /* Unsigned comparisons: a source of 2^31 must not turn negative and index before fds[]. */
        if (r->fdmap[i].target < 0 || r->fdmap[i].target > MAX_TARGET_FD || r->fdmap[i].source >= (uint32_t)r->nfds) {
            errno = 0;
            die("bad fd mapping %d <- #%u (%d fds received)", r->fdmap[i].target, r->fdmap[i].source, r->nfds);
        }
    }
    if (!r->program[0] || !r->argv[0]) { errno = 0; die("spawn request %llu without program or argv", (unsigned long long)r->id); }
}

static void free_strings(char **v) {
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

void free_request(struct request *r) {
    for (int i = 0; i < r->nfds; i++) close(r->fds[i]);
    free(r->groups);
    free(r->program); free(r->cwd); free(r->root); free(r->hostname);
    free_strings(r->argv);
    free_strings(r->envp);
    for (uint32_t i = 0; i < r->nbinds; i++) { free(r->binds[i].src); free(r->binds[i].dst); }
    free(r->binds);
    free(r->limits);
    free(r->fdmap);
}

