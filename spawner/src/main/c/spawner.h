/*
 * Shared between the spawner's loop (spawner.c) and the child side (sandbox.c): the decoded request
 * and the setup report. The contract is at the top of spawner.c.
 */
#ifndef LOOMD_SPAWNER_H
#define LOOMD_SPAWNER_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Message types (rule 2). Mirrored in loomd.spawner.Wire, as are the flags and MAX_TARGET_FD;
 * SpawnerHeaderTest reads this file and fails when one side changes alone. */
enum { REQ_SPAWN = 1, REQ_KILL = 2 };
enum { REP_STARTED = 1, REP_FAILED = 2, REP_EXITED = 3 };

/* Request flags. */
enum {
    F_NEWNS = 1 << 0, F_NEWPID = 1 << 1, F_NEWNET = 1 << 2, F_NEWIPC = 1 << 3,
    F_NEWUTS = 1 << 4, F_NEWUSER = 1 << 5, F_NEWPGRP = 1 << 6, F_SETSID = 1 << 7,
    F_PROC = 1 << 8, F_DEV = 1 << 9, F_DEVPTS = 1 << 10, F_DEVSHM = 1 << 11,
    F_LOOPBACK = 1 << 12, F_SETIDS = 1 << 13, F_ANNOUNCE = 1 << 14, F_PERSONALITY = 1 << 15,
    F_OOM_SCORE_ADJ = 1 << 16, F_CHMOD_ROOT = 1 << 17, F_LOCK_MOUNTS = 1 << 18,
    F_KILL_USER = 1 << 19,
};
enum { BIND_READONLY = 1 };

/* Setup steps (rule 9). Mirrored in loomd.spawner.SetupStep (code = ordinal + 1). */
enum step {
    S_CLONE = 1, S_ID_MAP, S_WAIT_PARENT, S_SESSION, S_FDS, S_LOOPBACK, S_HOSTNAME,
    S_MOUNT_PRIVATE, S_BIND_ROOT, S_BIND, S_REMOUNT_READONLY, S_MKDIR, S_DEV,
    S_PROC, S_DEVPTS, S_DEVSHM, S_PIVOT_ROOT, S_CHDIR, S_RLIMIT, S_SETGROUPS,
    S_SETGID, S_SETUID, S_PDEATHSIG, S_EXEC, S_ANNOUNCE, S_CAPABILITIES, S_CHMOD_ROOT, S_LOCK_MOUNTS,
    S_PERSONALITY, S_KILL_USER,
};

#define MAX_FDS 16
#define MAX_TARGET_FD 1023 /* child fds a request may name; keeps target + 1 from overflowing */
#define MAX_FRAME (64u << 20)

struct bind { char *src, *dst; uint32_t flags; };
struct limit { uint32_t resource; uint64_t soft, hard; };
struct fdmap { int32_t target; uint32_t source; };

struct request {
    uint64_t id;
    uint32_t flags;
    uint32_t uid, gid, ngroups;
    gid_t *groups;
    uint32_t map_uid_inside, map_uid_outside, map_gid_inside, map_gid_outside;
    uint32_t personality;
    int32_t oom_score_adj;
    char *program, *cwd, *root, *hostname;
    char **argv, **envp;
    uint32_t nbinds, nlimits, nfdmap;
    struct bind *binds;
    struct limit *limits;
    struct fdmap *fdmap;
    int fds[MAX_FDS];
    int nfds;
    int net_ready;         /* the spawner cloned the child into a spare network namespace, lo up (rule 11) */
};

/* What a failed child writes to its setup pipe before exiting 127 (rule 9). */
struct setup_report { uint32_t step; int32_t err; char detail[512]; };

/* Fatal error (rule 10): the message with errno's text, SIGKILL to every child's group, exit 1. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *checked_calloc(size_t n, size_t size);

/* Request decoding (request.c): a cursor over one frame's body. */
struct cursor { const uint8_t *p, *end; };
uint32_t take_u32(struct cursor *c);
uint64_t take_u64(struct cursor *c);
void decode_spawn(struct cursor *c, struct request *r);
void free_request(struct request *r);

/* Writes all of text to an existing file (a /proc knob); 0, or -1 with errno. */
int write_text(const char *path, const char *text);

/* Brings up "lo" in the caller's network namespace; 0, or -1 with errno. */
int set_loopback_up(void);

/* Notes the signals the spawner ignores (set by it or inherited): the only dispositions execve keeps,
 * so the only ones a child must reset. Called once, after the spawner's own signal setup. */
void remember_ignored_signals(void);

/* The child's side: builds the sandbox, execs; never returns. Failures go to setup_fd. */
void run_child(const struct request *r, int setup_fd, int go_fd, pid_t spawner) __attribute__((noreturn));

#endif
