/*
 * loomd-spawner: the daemon's only way to create sandboxed processes.
 *
 * A JVM cannot clone itself into namespaces or change its user (it has many
 * OS threads), so the daemon starts this small single-threaded program once
 * and asks it, over one Unix socket, to start children.
 *
 * Contract (each rule is kept by the code below; Bazel's linux-sandbox and
 * guix-daemon's chroot builds are the models):
 *
 *  1. Usage: loomd-spawner SOCKET-PATH DAEMON-PID. It connects to SOCKET-PATH
 *     (the daemon's one-shot listener) and exits at once if its parent is not
 *     DAEMON-PID. It asks for SIGTERM when its parent dies.
 *  2. Messages both ways are frames: u32 length (of what follows), u32 type,
 *     body; integers little-endian, strings u32 length + bytes. File
 *     descriptors for a request arrive by SCM_RIGHTS with its first byte.
 *  3. SPAWN(id, ...) is answered by exactly one of STARTED(id, pid) once the
 *     child has called execve, or FAILED(id, step, errno, detail) naming the
 *     setup step that failed. After STARTED, EXITED(id, wait-status) follows
 *     exactly once. A FAILED child never gets EXITED.
 *     A SPAWN with the kill-user flag execs nothing: as its uid, the child
 *     kills every process of that uid and exits 0 (upstream's killUser).
 *  4. KILL(id, signal) signals the child's process group (or the child when it
 *     shares the spawner's group). Unknown ids are ignored: the child may have
 *     exited already.
 *  5. The spawner is single-threaded and never blocks on one child: one poll()
 *     over the socket, a signalfd and every child's setup pipe drives it.
 *     Children are reaped from SIGCHLD only. It is a child subreaper, so
 *     orphaned grandchildren are reaped (silently) too.
 *  6. When a child with its own process group exits, the rest of that group
 *     is killed before the child is reaped (the zombie pins the group id).
 *  7. On EOF or a broken link to the daemon, SIGTERM, SIGINT or SIGHUP, every child's group
 *     is killed, every child reaped, and the spawner exits 0.
 *  8. A child inherits only fds 0, 1, 2 (from the request's fd map, else
 *     /dev/null) plus any extra fds the map names; O_NONBLOCK is cleared on
 *     them. It gets PR_SET_PDEATHSIG(SIGKILL), an empty signal mask and
 *     default dispositions.
 *  9. Setup failures in the child are written to a close-on-exec setup pipe as
 *     (step, errno, detail) and the child exits 127; EOF without a report means
 *     execve succeeded. So a sandbox failure is never confused with the
 *     program's own failure.
 * 10. Any unexpected errno in the spawner itself, or a malformed frame, is
 *     fatal: a message with context on stderr, SIGKILL to every child's group,
 *     exit 1.
 * 11. Files: spawner.c is the loop (link, child table, reaping); sandbox.c is
 *     the child between clone and execve; spawner.h holds what they share.
 */
#include "spawner.h"

struct child {
    uint64_t id;
    pid_t pid;
    int setup_fd;          /* read end of the setup pipe, -1 once resolved */
    int own_group;
    int started;           /* STARTED was sent */
    int failed;            /* FAILED was sent */
};

static int sock = -1;
static struct child *children;
static size_t nchildren, capchildren;

/* ---- fatal errors (rule 10) ---------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    fputs("loomd-spawner: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (saved) fprintf(stderr, ": %s", strerror(saved));
    fputc('\n', stderr);
    /* Rule 7 holds even here: no child outlives the spawner. */
    for (size_t i = 0; i < nchildren; i++) kill(children[i].own_group ? -children[i].pid : children[i].pid, SIGKILL);
    exit(1);
}

static void kill_everything_and_exit(void) __attribute__((noreturn));

static void *checked_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) die("calloc(%zu, %zu)", n, size);
    return p;
}

/* ---- frame decoding -------------------------------------------------------- */

struct cursor { const uint8_t *p, *end; };

static void need(struct cursor *c, size_t n) {
    if ((size_t)(c->end - c->p) < n) { errno = 0; die("truncated frame"); }
}

static uint32_t take_u32(struct cursor *c) {
    need(c, 4);
    uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    c->p += 4;
    return v;
}

static uint64_t take_u64(struct cursor *c) {
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

static char **take_strings(struct cursor *c) {
    uint32_t n = take_u32(c);
    if (n > (uint32_t)(c->end - c->p) / 4) { errno = 0; die("bad string count %u", n); }
    char **v = checked_calloc(n + 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++) v[i] = take_string(c);
    return v;
}

static void decode_spawn(struct cursor *c, struct request *r) {
    r->id = take_u64(c);
    r->flags = take_u32(c);
    r->uid = take_u32(c);
    r->gid = take_u32(c);
    r->ngroups = take_u32(c);
    if (r->ngroups > 65536) { errno = 0; die("too many groups: %u", r->ngroups); }
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
    r->nbinds = take_u32(c);
    if (r->nbinds > 65536) { errno = 0; die("too many binds: %u", r->nbinds); }
    r->binds = checked_calloc(r->nbinds, sizeof *r->binds);
    for (uint32_t i = 0; i < r->nbinds; i++) {
        r->binds[i].src = take_string(c);
        r->binds[i].dst = take_string(c);
        r->binds[i].flags = take_u32(c);
    }
    r->nlimits = take_u32(c);
    if (r->nlimits > 64) { errno = 0; die("too many limits: %u", r->nlimits); }
    r->limits = checked_calloc(r->nlimits, sizeof *r->limits);
    for (uint32_t i = 0; i < r->nlimits; i++) {
        r->limits[i].resource = take_u32(c);
        r->limits[i].soft = take_u64(c);
        r->limits[i].hard = take_u64(c);
    }
    r->nfdmap = take_u32(c);
    if (r->nfdmap > MAX_FDS) { errno = 0; die("too many fd mappings: %u", r->nfdmap); }
    r->fdmap = checked_calloc(r->nfdmap, sizeof *r->fdmap);
    for (uint32_t i = 0; i < r->nfdmap; i++) {
        r->fdmap[i].target = (int32_t)take_u32(c);
        r->fdmap[i].source = take_u32(c);
        if (r->fdmap[i].target < 0 || (int)r->fdmap[i].source >= r->nfds) {
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

static void free_request(struct request *r) {
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

/* ---- socket I/O ------------------------------------------------------------- */

static void send_frame(const uint8_t *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) kill_everything_and_exit(); /* the daemon is gone */
        if (n < 0) die("send to daemon");
        buf += n;
        len -= (size_t)n;
    }
}

struct out { uint8_t buf[4096 + 64]; size_t len; };

static void put_u32(struct out *o, uint32_t v) {
    for (int i = 0; i < 4; i++) o->buf[o->len++] = (uint8_t)(v >> (8 * i));
}
static void put_u64(struct out *o, uint64_t v) { put_u32(o, (uint32_t)v); put_u32(o, (uint32_t)(v >> 32)); }
static void put_string(struct out *o, const char *s) {
    size_t n = strnlen(s, 4096);
    put_u32(o, (uint32_t)n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void begin_reply(struct out *o, uint32_t type) { o->len = 0; put_u32(o, 0); put_u32(o, type); }
static void finish_reply(struct out *o) {
    uint32_t body = (uint32_t)(o->len - 4);
    for (int i = 0; i < 4; i++) o->buf[i] = (uint8_t)(body >> (8 * i));
    send_frame(o->buf, o->len);
}

static void report_started(uint64_t id, pid_t pid) {
    struct out o; begin_reply(&o, REP_STARTED); put_u64(&o, id); put_u32(&o, (uint32_t)pid); finish_reply(&o);
}
static void report_failed(uint64_t id, uint32_t step, int err, const char *detail) {
    struct out o; begin_reply(&o, REP_FAILED); put_u64(&o, id); put_u32(&o, step); put_u32(&o, (uint32_t)err);
    put_string(&o, detail); finish_reply(&o);
}
static void report_exited(uint64_t id, int status) {
    struct out o; begin_reply(&o, REP_EXITED); put_u64(&o, id); put_u32(&o, (uint32_t)status); finish_reply(&o);
}

/* Reads exactly len bytes; returns 0 on EOF before the first byte. */
static int read_fully(uint8_t *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(sock, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read from daemon");
        if (n == 0) {
            if (got == 0) return 0;
            errno = 0;
            die("EOF inside a frame");
        }
        got += (size_t)n;
    }
    return 1;
}

/* Reads the 8-byte frame header with any fds attached to it. */
static int receive_header(uint32_t *len, uint32_t *type, int *fds, int *nfds) {
    uint8_t head[8];
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)]; } control;
    struct iovec iov = { head, sizeof head };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n;
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n < 0) die("recvmsg from daemon");
    if (n == 0) return 0;
    if (msg.msg_flags & MSG_CTRUNC) { errno = 0; die("too many fds in one request (max %d)", MAX_FDS); }
    *nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds + *nfds, CMSG_DATA(c), sizeof(int) * (size_t)count);
        *nfds += count;
    }
    if (n < 8 && !read_fully(head + n, (size_t)(8 - n))) { errno = 0; die("EOF inside a frame header"); }
    *len = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
    *type = (uint32_t)head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 | (uint32_t)head[7] << 24;
    if (*len < 4 || *len > MAX_FRAME) { errno = 0; die("bad frame length %u", *len); }
    return 1;
}

/* ---- the child table -------------------------------------------------------- */

static struct child *add_child(uint64_t id, pid_t pid, int setup_fd, int own_group) {
    if (nchildren == capchildren) {
        capchildren = capchildren ? capchildren * 2 : 64;
        children = realloc(children, capchildren * sizeof *children);
        if (!children) die("realloc child table");
    }
    struct child *c = &children[nchildren++];
    *c = (struct child){ id, pid, setup_fd, own_group, 0, 0 };
    return c;
}

static struct child *find_child_by_pid(pid_t pid) {
    for (size_t i = 0; i < nchildren; i++) if (children[i].pid == pid) return &children[i];
    return NULL;
}

static struct child *find_child_by_id(uint64_t id) {
    for (size_t i = 0; i < nchildren; i++) if (children[i].id == id) return &children[i];
    return NULL;
}

static void remove_child(struct child *c) {
    if (c->setup_fd >= 0) close(c->setup_fd);
    *c = children[--nchildren];
}

static void signal_child(const struct child *c, int sig) {
    if (kill(c->own_group ? -c->pid : c->pid, sig) < 0 && errno != ESRCH) die("kill %d (pid %d)", sig, c->pid);
}

/* ---- the spawner side -------------------------------------------------------- */

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Returns 0, or the errno of the failed write with its path in 'which'. */
static int write_id_maps(pid_t pid, const struct request *r, char *which, size_t size) {
    char path[64], text[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    snprintf(text, sizeof text, "%u %u 1\n", r->map_uid_inside, r->map_uid_outside);
    if (write_file(path, text) < 0) goto failed;
    snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
    if (write_file(path, "deny") < 0) goto failed;
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    snprintf(text, sizeof text, "%u %u 1\n", r->map_gid_inside, r->map_gid_outside);
    if (write_file(path, text) < 0) goto failed;
    return 0;
failed:
    snprintf(which, size, "%s", path);
    return errno;
}

static unsigned long clone_flags(uint32_t f) {
    unsigned long flags = SIGCHLD;
    if (f & F_NEWNS) flags |= CLONE_NEWNS;
    if (f & F_NEWPID) flags |= CLONE_NEWPID;
    if (f & F_NEWNET) flags |= CLONE_NEWNET;
    if (f & F_NEWIPC) flags |= CLONE_NEWIPC;
    if (f & F_NEWUTS) flags |= CLONE_NEWUTS;
    if (f & F_NEWUSER) flags |= CLONE_NEWUSER;
    return flags;
}

static void spawn_child(struct request *r) {
    int setup[2], go[2] = { -1, -1 };
    if (pipe2(setup, O_CLOEXEC) < 0) die("pipe2 (setup)");
    if ((r->flags & F_NEWUSER) && pipe2(go, O_CLOEXEC) < 0) die("pipe2 (go)");
    pid_t self = getpid();
    /* A raw clone without a new stack behaves like fork(); the spawner has one thread. */
    pid_t pid = (pid_t)syscall(SYS_clone, clone_flags(r->flags), NULL, NULL, NULL, NULL);
    if (pid < 0) {
        report_failed(r->id, S_CLONE, errno, "");
        close(setup[0]); close(setup[1]);
        if (go[0] >= 0) { close(go[0]); close(go[1]); }
        return;
    }
    if (pid == 0) {
        close(setup[0]);
        if (go[1] >= 0) close(go[1]);
        close(sock);
        run_child(r, setup[1], go[0], self);
    }
    close(setup[1]);
    if (fcntl(setup[0], F_SETFL, O_NONBLOCK) < 0) die("fcntl O_NONBLOCK (setup pipe)");
    struct child *c = add_child(r->id, pid, setup[0], (r->flags & (F_SETSID | F_NEWPGRP)) != 0);
    if (go[0] >= 0) {
        close(go[0]);
        char which[64];
        int err = write_id_maps(pid, r, which, sizeof which);
        if (err) {
            /* The child is killed and reaped later; FAILED is sent now. */
            report_failed(r->id, S_ID_MAP, err, which);
            c->failed = 1;
            kill(pid, SIGKILL);
        } else if (write(go[1], "g", 1) != 1) {
            die("write go pipe of pid %d", pid);
        }
        close(go[1]);
    }
}

/* Turns the setup pipe's EOF or report into STARTED or FAILED (rule 3, 9). */
static void resolve_setup(struct child *c) {
    struct setup_report rep;
    ssize_t n;
    do n = read(c->setup_fd, &rep, sizeof rep); while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) die("read setup pipe of pid %d", c->pid);
    close(c->setup_fd);
    c->setup_fd = -1;
    if (c->failed) return;
    if (n == (ssize_t)sizeof rep) {
        rep.detail[sizeof rep.detail - 1] = 0;
        report_failed(c->id, rep.step, rep.err, rep.detail);
        c->failed = 1;
    } else if (n == 0) {
        report_started(c->id, c->pid);
        c->started = 1;
    } else {
        errno = 0;
        die("short setup report (%zd bytes) from pid %d", n, c->pid);
    }
}

static void reap_children(void) {
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno == ECHILD) return;
            die("waitid");
        }
        if (info.si_pid == 0) return;
        pid_t pid = info.si_pid;
        struct child *c = find_child_by_pid(pid);
        if (c && c->own_group) signal_child(c, SIGKILL); /* rule 6 */
        int status;
        if (waitpid(pid, &status, 0) < 0) die("waitpid %d", pid);
        if (!c) continue; /* an orphaned grandchild (rule 5) */
        if (c->setup_fd >= 0) resolve_setup(c);
        if (c->setup_fd >= 0) { errno = 0; die("setup pipe of dead pid %d still open", pid); }
        if (c->started) report_exited(c->id, status);
        remove_child(c);
    }
}

static void kill_everything_and_exit(void) {
    for (size_t i = 0; i < nchildren; i++) signal_child(&children[i], SIGKILL);
    for (size_t i = 0; i < nchildren; i++) {
        if (waitpid(children[i].pid, NULL, 0) < 0 && errno != ECHILD) die("waitpid %d", children[i].pid);
    }
    exit(0);
}

static void handle_kill(struct cursor *c) {
    uint64_t id = take_u64(c);
    int sig = (int)take_u32(c);
    struct child *ch = find_child_by_id(id);
    if (ch) signal_child(ch, sig);
}

/* Returns 0 on EOF. */
static int handle_request(void) {
    uint32_t len, type;
    int fds[MAX_FDS], nfds = 0;
    if (!receive_header(&len, &type, fds, &nfds)) return 0;
    uint8_t *body = checked_calloc(len - 4, 1);
    if (len > 4 && !read_fully(body, len - 4)) { errno = 0; die("EOF inside a frame body"); }
    struct cursor c = { body, body + len - 4 };
    if (type == REQ_SPAWN) {
        struct request r;
        memset(&r, 0, sizeof r);
        memcpy(r.fds, fds, sizeof(int) * (size_t)nfds);
        r.nfds = nfds;
        decode_spawn(&c, &r);
        spawn_child(&r);
        free_request(&r);
    } else if (type == REQ_KILL) {
        for (int i = 0; i < nfds; i++) close(fds[i]);
        handle_kill(&c);
    } else {
        errno = 0;
        die("unknown request type %u", type);
    }
    free(body);
    return 1;
}

static int open_signalfd(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die("sigprocmask");
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) die("signalfd");
    return fd;
}

/* Returns 1 if a terminating signal arrived. */
static int drain_signals(int sfd) {
    struct signalfd_siginfo si;
    int terminate = 0;
    for (;;) {
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EAGAIN) return terminate;
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof si) die("read signalfd");
        if (si.ssi_signo != SIGCHLD) terminate = 1;
    }
}

static int connect_to_daemon(const char *path) {
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; die("socket path %s", path); }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect %s", path);
    return fd;
}

static void serve(int sfd) {
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    for (;;) {
        if (cap < nchildren + 2) {
            cap = (nchildren + 2) * 2;
            pfds = realloc(pfds, cap * sizeof *pfds);
            if (!pfds) die("realloc poll set");
        }
        size_t n = 0;
        pfds[n++] = (struct pollfd){ sock, POLLIN, 0 };
        pfds[n++] = (struct pollfd){ sfd, POLLIN, 0 };
        for (size_t i = 0; i < nchildren; i++)
            if (children[i].setup_fd >= 0) pfds[n++] = (struct pollfd){ children[i].setup_fd, POLLIN, 0 };
        if (poll(pfds, n, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        /* Setup pipes first, so STARTED always precedes EXITED. */
        for (size_t i = 2; i < n; i++) {
            if (!pfds[i].revents) continue;
            for (size_t j = 0; j < nchildren; j++)
                if (children[j].setup_fd == pfds[i].fd) { resolve_setup(&children[j]); break; }
        }
        if (pfds[1].revents && drain_signals(sfd)) kill_everything_and_exit();
        reap_children();
        if (pfds[0].revents && !handle_request()) kill_everything_and_exit();
    }
}

int main(int argc, char **argv) {
    errno = 0;
    if (argc != 3) die("usage: loomd-spawner SOCKET-PATH DAEMON-PID");
    pid_t daemon = (pid_t)strtol(argv[2], NULL, 10);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) die("prctl PR_SET_PDEATHSIG");
    int sfd = open_signalfd();
    if (getppid() != daemon) { errno = 0; die("parent is %d, not the daemon %d", getppid(), daemon); }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("prctl PR_SET_CHILD_SUBREAPER");
    signal(SIGPIPE, SIG_IGN);
    sock = connect_to_daemon(argv[1]);
    serve(sfd);
}
