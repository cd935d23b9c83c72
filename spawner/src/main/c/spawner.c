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
 *     orphaned grandchildren are reaped (silently) too. The only waits are on
 *     the daemon: the rest of a frame it has begun, and room for a reply (its
 *     reader thread does nothing else); nothing waits for a child.
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
 * 11. A request for a new network namespace with loopback up gets a spare namespace the spawner made
 *     while idle, once it has seen such a request: the spawner steps into the spare just for the
 *     clone, so the child starts in it (even a child that clones a user namespace too, which could not
 *     join a namespace its user namespace does not own), and steps back. Each spare serves exactly one
 *     child, so isolation is the same as clone(CLONE_NEWNET), but the ~1 ms the kernel spends creating
 *     a namespace leaves the request's path. A spawner not allowed to make one (EPERM: unprivileged;
 *     EINVAL, ENOSPC, ENOMEM) clones a new namespace per child from then on.
 * 12. The spawner holds each child's mount namespaces: the one clone made (opened right after the
 *     clone) and the one it execs in (opened at STARTED; with locked mounts a second one). Dropping
 *     the last reference to a mount namespace unmounts everything in it and waits for an RCU grace
 *     period (milliseconds on a busy machine); held, that happens neither in the child's setup (the
 *     lock-mounts unshare drops the first) nor in its exit before EXITED. The spawner lets go of them
 *     after the child is reaped, one at a time, only when idle (nothing to read), like rule 11's spares,
 *     or at once when 64 already wait (a spawner that is never idle must not run out of descriptors).
 *     Opening one can fail (the child is already gone): then it is simply not held.
 * 13. Files: spawner.c is the loop (link, child table, reaping); request.c
 *     decodes request frames; sandbox.c is the child between clone and
 *     execve; spawner.h holds what they share.
 */
#include "spawner.h"

struct child {
    uint64_t id;
    pid_t pid;
    int setup_fd;          /* read end of the setup pipe, -1 once resolved */
    int own_group;
    int started;           /* STARTED was sent */
    int failed;            /* FAILED was sent */
    int held_ns[2];        /* its mount namespaces, held until it is reaped (rule 12), or -1 */
};

static int sock = -1;
static int home_netns = -1;   /* the spawner's own network namespace (rule 11) */
static int spare_netns = -1;  /* a fresh one with lo up, or -1 */
static int wants_spare;       /* a request has asked for a new network namespace with loopback */
static int spares_refused;    /* making one failed with EPERM: never try again */
static struct child *children;
static size_t nchildren, capchildren;
#define MAX_RELEASING 64  /* beyond this many, one is closed at once instead (rule 12) */
static int *releasing;        /* held mount namespaces of reaped children, closed when idle (rule 12) */
static size_t nreleasing, capreleasing;

/* ---- fatal errors (rule 10) ---------------------------------------------- */

void die(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    fputs("loomd-spawner: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (saved) fprintf(stderr, ": %s", strerror(saved));
    fputc('\n', stderr);
    /* Rule 7 holds even here: no child outlives the spawner. */
    for (size_t i = 0; i < nchildren; i++) {
        if (children[i].own_group) kill(-children[i].pid, SIGKILL);
        kill(children[i].pid, SIGKILL); /* also before its setsid: no group to hit yet */
    }
    exit(1);
}

static void kill_everything_and_exit(void) __attribute__((noreturn));

void *checked_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) die("calloc(%zu, %zu)", n, size);
    return p;
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
    *c = (struct child){ id, pid, setup_fd, own_group, 0, 0, { -1, -1 } };
    return c;
}

/* Rule 12: a reference to the child's current mount namespace, or -1 if it is gone already. */
static int open_mount_ns(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static void release_later(int fd) {
    if (fd < 0) return;
    /* Bounded: a spawner that is never idle must not run out of descriptors (or memory) holding them. */
    if (nreleasing >= MAX_RELEASING) close(releasing[--nreleasing]);
    if (nreleasing == capreleasing) {
        capreleasing = capreleasing ? capreleasing * 2 : 16;
        releasing = realloc(releasing, capreleasing * sizeof *releasing);
        if (!releasing) die("realloc release list");
    }
    releasing[nreleasing++] = fd;
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
    release_later(c->held_ns[0]);
    release_later(c->held_ns[1]);
    *c = children[--nchildren];
}

static void signal_child(const struct child *c, int sig) {
    if (c->own_group && kill(-c->pid, sig) == 0) return;
    if (c->own_group && errno != ESRCH) die("kill %d (group %d)", sig, c->pid);
    /* No group yet: the child is still in setup, before setsid/setpgid, and alone. */
    if (kill(c->pid, sig) < 0 && errno != ESRCH) die("kill %d (pid %d)", sig, c->pid);
}

/* ---- the spawner side -------------------------------------------------------- */

/* Returns 0, or the errno of the failed write with its path in 'which'. */
static int write_id_maps(pid_t pid, const struct request *r, char *which, size_t size) {
    char path[64], text[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    snprintf(text, sizeof text, "%u %u 1\n", r->map_uid_inside, r->map_uid_outside);
    if (write_text(path, text) < 0) goto failed;
    snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
    if (write_text(path, "deny") < 0) goto failed;
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    snprintf(text, sizeof text, "%u %u 1\n", r->map_gid_inside, r->map_gid_outside);
    if (write_text(path, text) < 0) goto failed;
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

/* Rule 11: makes the spare network namespace by stepping into a new one and back. */
static void prepare_spare_netns(void) {
    if (unshare(CLONE_NEWNET) < 0) {
        /* Unprivileged, no CONFIG_NET_NS, or at the namespace limit: clone per child, which
         * reports the error to the one request it concerns. Never retried, so idle never spins. */
        if (errno != EPERM && errno != EINVAL && errno != ENOSPC && errno != ENOMEM)
            die("unshare CLONE_NEWNET (spare network namespace)");
        spares_refused = 1;
        return;
    }
    spare_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (spare_netns < 0) die("open /proc/self/ns/net (spare network namespace)");
    if (set_loopback_up() < 0) die("bringing up lo in the spare network namespace");
    if (setns(home_netns, CLONE_NEWNET) < 0) die("setns back to the spawner's network namespace");
}

static int uses_spare_netns(const struct request *r) {
    if (!(r->flags & F_NEWNET) || !(r->flags & F_LOOPBACK)) return 0;
    wants_spare = 1;
    return spare_netns >= 0;
}

static void spawn_child(struct request *r) {
    int setup[2], go[2] = { -1, -1 };
    if (pipe2(setup, O_CLOEXEC) < 0) die("pipe2 (setup)");
    if ((r->flags & F_NEWUSER) && pipe2(go, O_CLOEXEC) < 0) die("pipe2 (go)");
    pid_t self = getpid();
    unsigned long flags = clone_flags(r->flags);
    r->net_ready = 0;
    if (uses_spare_netns(r)) {
        /* Rule 11: the child inherits the namespace the spawner is in when it clones. */
        if (setns(spare_netns, CLONE_NEWNET) < 0) die("setns into the spare network namespace");
        r->net_ready = 1;
        flags &= ~(unsigned long)CLONE_NEWNET;
    }
    /* A raw clone without a new stack behaves like fork(); the spawner has one thread. */
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid != 0 && r->net_ready) {
        int clone_errno = errno;
        if (setns(home_netns, CLONE_NEWNET) < 0) die("setns back to the spawner's network namespace");
        close(spare_netns); /* the child holds it now (or clone failed); the next one is made when idle */
        spare_netns = -1;
        errno = clone_errno;
    }
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
    if (r->flags & F_NEWNS) c->held_ns[0] = open_mount_ns(pid);
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
        if (c->held_ns[0] >= 0) c->held_ns[1] = open_mount_ns(c->pid); /* held before the daemon hears */
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
        /* Idle time makes the spare network namespace (rule 11) and lets go of held mount namespaces
         * (rule 12): poll without waiting first. */
        int make_spare = wants_spare && spare_netns < 0 && !spares_refused;
        int ready = poll(pfds, n, make_spare || nreleasing ? 0 : -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (ready == 0) {
            if (make_spare) prepare_spare_netns();
            else close(releasing[--nreleasing]);
            continue;
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
    remember_ignored_signals();
    home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_netns < 0) die("open /proc/self/ns/net");
    sock = connect_to_daemon(argv[1]);
    serve(sfd);
}
