/*
 * loomd-locker: holds every file lock of the daemon.
 *
 * The daemon is one JVM serving many sessions, so it cannot hold classic fcntl locks itself (they
 * belong to the process: sessions would not exclude each other, and closing any fd of a file drops
 * them). It starts this small program once and asks it, over one Unix socket, to take OFD locks on
 * files it opens by path or receives by SCM_RIGHTS. Its daemon-side client is loomd.locker.LockerClient.
 *
 * Contract (each rule is kept by the code below and cited where it applies):
 *
 *  1. Usage: loomd-locker SOCKET-PATH DAEMON-PID. It asks for SIGKILL when its parent dies, exits at
 *     once if its parent is not DAEMON-PID, leads a session of its own (a Ctrl-C or SIGHUP meant for
 *     the daemon's group must not drop the locks before the daemon itself goes), connects to
 *     SOCKET-PATH and exits unless SO_PEERCRED says the other end is DAEMON-PID. It raises its soft
 *     RLIMIT_NOFILE to the hard limit: every held lock is an open fd.
 *  2. The wire is loomd.locker.Wire's, unchanged: frames of a u32 length then a body of at most
 *     MAX_FRAME bytes; a request body is u64 id, u8 op, fields; a reply body u64 id, u8 status,
 *     fields; integers big-endian, strings u32 length + UTF-8. A LOCK_FD frame's fd comes by
 *     SCM_RIGHTS no later than the frame's bytes: fds queue in arrival order and each LOCK_FD frame
 *     takes the next one.
 *  3. Every request gets exactly one final reply, in any order: LOCK_PATH, LOCK_FD and RELOCK get
 *     LOCKED, BUSY (TRY only), FAILED or CANCELLED; UNLOCK gets DONE(0 or 1); RELEASE_ALL first
 *     answers each waiting request of the owner with CANCELLED, then RELEASED(count, the highest
 *     lock id handed out so far); CANCEL answers its target with CANCELLED if it was waiting, then
 *     itself with DONE(0 or 1); STATS gets STATS.
 *  4. Locks are Linux OFD locks on whole files. They belong to the open file description, so two
 *     owners exclude each other inside this one process, and they conflict both ways with classic
 *     POSIX locks of other programs on the same store. BUSY names the conflicting holder: -1 for an
 *     OFD holder, 0 if unknown. An owner holds a file (device, inode) once: asking for it again while
 *     holding or waiting for it fails with EDEADLK ("deadlock: trying to re-acquire self-held lock"),
 *     since the second request would wait for the owner itself. LOCK_PATH opens O_RDWR (creating it
 *     0600 unless NO_CREATE); with REOPEN_IF_STALE a file found non-empty once locked was deleted by
 *     its last holder and is opened again. UNLOCK with delete unlinks the path, writes "d" into the
 *     file for whoever opened it before, then unlocks and closes.
 *  5. The reader (the main thread) handles requests in arrival order and never waits for a lock. A
 *     request that must wait gets a detached thread of its own (64 KiB stack) blocked in
 *     F_OFD_SETLKW, so it delays nobody. Why threads and not a poll-and-retry loop of F_OFD_SETLK
 *     with backoff: the kernel queues blocked requests and wakes them when the lock is released, so a
 *     waiter takes a freed lock at once, in the kernel's order, among classic lockers of other
 *     programs too; a retry loop adds its backoff to every handover, spins while idle and can starve
 *     behind a classic waiter that the kernel serves first. A thread costs its stack only while a
 *     request waits. The reader's replies go out in one send per read; a waiter sends its own; a
 *     send lock keeps frames whole.
 *  6. A cancelled waiter (CANCEL, RELEASE_ALL) is answered by the reader at once, and SIGUSR1 (a
 *     handler without SA_RESTART) interrupts its F_OFD_SETLKW; it closes its fd and ends without a
 *     reply. A signal that lands just before the waiter enters the kernel is missed: that waiter then
 *     takes the lock when it comes free, drops it at once and ends, still without a reply.
 *  7. One mutex guards the lock table (table.c); nothing blocks under it. Only the reader closes held
 *     locks' fds (UNLOCK, RELEASE_ALL); a waiter uses only the fd handed to it or opened by itself.
 *  8. Every frame is decoded within its bounds: a length above MAX_FRAME, a field past the end of
 *     its frame, bytes left over, an unknown op, mode, wait or flag, a LOCK_FD frame without its fd,
 *     or more than MAX_PENDING_FDS queued fds is fatal (rule 9). The input buffer doubles (up to one
 *     frame) only when it is full of bytes that have arrived, never to a length the peer claims.
 *  9. End of stream or a broken link: exit 0 at once; the kernel closes every fd and so releases every
 *     lock, which is how the daemon's death releases all. Any unexpected errno, a malformed frame or
 *     no memory: a message on stderr and exit 1, with the same effect on the locks. The daemon sees
 *     the exit, fails what was in flight, reports the lost locks and starts a new locker.
 * 10. Files: locker.c is the link (frames in, replies out); ops.c the requests and their waiters;
 *     table.c the lock table; locker.h what they share.
 */
#include "locker.h"

#define MAX_FDS 253               /* per message; loomd.posix.FdPassing.MAX_FDS */
#define MAX_PENDING_FDS 4096      /* fds received whose LOCK_FD frame has not been read yet */
#define MIN_INPUT (64 * 1024)

static int link_fd = -1;
static pthread_mutex_t send_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---- fatal errors (rule 9), memory ----------------------------------------------------------- */

static void vreport(const char *fmt, va_list ap, int saved) {
    char line[1024];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    char text[64];
    fprintf(stderr, "loomd-locker: %.*s%s%s\n", n, line, saved ? ": " : "",
            saved ? strerror_r(saved, text, sizeof text) : "");
}

void die(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap, saved);
    va_end(ap);
    _exit(1);
}

void warn(const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap, saved);
    va_end(ap);
}

void *xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) die("malloc(%zu)", size);
    return p;
}

void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die("calloc(%zu, %zu)", n, size);
    return p;
}

char *xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) die("strdup");
    return p;
}

/* ---- replies (rule 3) ---------------------------------------------------------------------- */

static void put(struct buf *b, const void *bytes, size_t n) {
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) cap *= 2;
        uint8_t *data = realloc(b->data, cap);
        if (!data) die("realloc(%zu) for replies", cap);
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_u8(struct buf *b, uint8_t v) { put(b, &v, 1); }

static void put_u32(struct buf *b, uint32_t v) {
    uint8_t bytes[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put(b, bytes, 4);
}

static void put_u64(struct buf *b, uint64_t v) { put_u32(b, (uint32_t)(v >> 32)); put_u32(b, (uint32_t)v); }

/* Starts a reply frame; returns where its length goes. */
static size_t begin(struct buf *b, uint64_t id, uint8_t status) {
    size_t at = b->len;
    put_u32(b, 0);
    put_u64(b, id);
    put_u8(b, status);
    return at;
}

static void end(struct buf *b, size_t at) {
    uint32_t n = (uint32_t)(b->len - at - 4);
    uint8_t bytes[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    memcpy(b->data + at, bytes, 4);
}

void reply_locked(struct buf *b, uint64_t id, uint64_t lock_id, int64_t size) {
    size_t at = begin(b, id, ST_LOCKED); put_u64(b, lock_id); put_u64(b, (uint64_t)size); end(b, at);
}

void reply_busy(struct buf *b, uint64_t id, int32_t holder_pid) {
    size_t at = begin(b, id, ST_BUSY); put_u32(b, (uint32_t)holder_pid); end(b, at);
}

void reply_failed(struct buf *b, uint64_t id, int err, const char *message) {
    /* A message stays well inside a frame: a path in it is cut to PATH_MAX bytes. */
    size_t n = strnlen(message, PATH_MAX + 256);
    size_t at = begin(b, id, ST_FAILED);
    put_u32(b, (uint32_t)err);
    put_u32(b, (uint32_t)n);
    put(b, message, n);
    end(b, at);
}

void reply_errno(struct buf *b, uint64_t id, int err, const char *call, const char *detail) {
    char text[128];
    const char *what = strerror_r(err, text, sizeof text);
    size_t size = strlen(call) + strnlen(detail, PATH_MAX) + strlen(what) + 48;
    char *message = xmalloc(size);
    if (detail[0])
        snprintf(message, size, "%s (%.*s): %s [errno %d]", call, PATH_MAX, detail, what, err);
    else
        snprintf(message, size, "%s: %s [errno %d]", call, what, err);
    reply_failed(b, id, err, message);
    free(message);
}

void reply_cancelled(struct buf *b, uint64_t id) { end(b, begin(b, id, ST_CANCELLED)); }

void reply_done(struct buf *b, uint64_t id, uint64_t count) {
    size_t at = begin(b, id, ST_DONE); put_u64(b, count); end(b, at);
}

void reply_released(struct buf *b, uint64_t id, uint64_t count, uint64_t last_lock_id) {
    size_t at = begin(b, id, ST_RELEASED); put_u64(b, count); put_u64(b, last_lock_id); end(b, at);
}

void reply_stats(struct buf *b, uint64_t id, int32_t locks, int32_t waiting, int32_t owners, int32_t fds) {
    size_t at = begin(b, id, ST_STATS);
    put_u32(b, (uint32_t)locks); put_u32(b, (uint32_t)waiting); put_u32(b, (uint32_t)owners); put_u32(b, (uint32_t)fds);
    end(b, at);
}

void send_buf(struct buf *b) {
    int err = pthread_mutex_lock(&send_mutex);
    if (err) { errno = err; die("pthread_mutex_lock (send)"); }
    const uint8_t *p = b->data;
    size_t left = b->len;
    while (left > 0) {
        ssize_t n = send(link_fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) _exit(0); /* the daemon is gone (rule 9) */
        if (n < 0) die("send to the daemon");
        p += n;
        left -= (size_t)n;
    }
    pthread_mutex_unlock(&send_mutex);
    b->len = 0;
}

/* ---- frames in (rules 2 and 8) --------------------------------------------------------------- */

struct cursor { const uint8_t *p, *end; };

static const uint8_t *take(struct cursor *c, size_t n) {
    if ((size_t)(c->end - c->p) < n) { errno = 0; die("malformed frame: a field runs past its end"); }
    const uint8_t *at = c->p;
    c->p += n;
    return at;
}

static uint8_t take_u8(struct cursor *c) { return *take(c, 1); }

static uint32_t take_u32(struct cursor *c) {
    const uint8_t *b = take(c, 4);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t take_u64(struct cursor *c) { uint64_t hi = take_u32(c); return hi << 32 | take_u32(c); }

static int take_choice(struct cursor *c, int count, const char *what) {
    uint8_t v = take_u8(c);
    if (v >= count) { errno = 0; die("malformed frame: %s %u", what, v); }
    return v;
}

/* A string field as a C string (to free), or NULL when it holds a NUL byte (no such path). */
static char *take_path(struct cursor *c) {
    uint32_t n = take_u32(c);
    const uint8_t *bytes = take(c, n);
    if (memchr(bytes, 0, n)) return NULL;
    char *s = xmalloc((size_t)n + 1);
    memcpy(s, bytes, n);
    s[n] = 0;
    return s;
}

static void expect_end(const struct cursor *c, uint8_t op) {
    if (c->p != c->end) { errno = 0; die("malformed frame: %td bytes left over after op %u", c->end - c->p, op); }
}

/* The fds that came ahead of their LOCK_FD frames, a ring in arrival order. */
static int pending_fds[MAX_PENDING_FDS];
static size_t pending_head, pending_count;

static void queue_fd(int fd) {
    if (pending_count == MAX_PENDING_FDS) { errno = 0; die("more than %d fds without their frames", MAX_PENDING_FDS); }
    pending_fds[(pending_head + pending_count++) % MAX_PENDING_FDS] = fd;
}

static int next_fd(uint64_t id) {
    if (pending_count == 0) { errno = 0; die("malformed frame: lock-fd request %llu came without its fd", (unsigned long long)id); }
    int fd = pending_fds[pending_head];
    pending_head = (pending_head + 1) % MAX_PENDING_FDS;
    pending_count--;
    return fd;
}

static void handle_lock(struct cursor *c, uint64_t id, uint8_t op, struct buf *out) {
    struct lock_request r = { .id = id, .owner = take_u64(c) };
    r.mode = take_choice(c, 2, "lock mode");
    r.wait = take_choice(c, 2, "wait mode");
    if (op == OP_LOCK_FD) {
        expect_end(c, op);
        op_lock_fd(&r, next_fd(id), out);
        return;
    }
    r.flags = take_u8(c);
    if (r.flags & ~(FLAG_NO_CREATE | FLAG_REOPEN_IF_STALE)) { errno = 0; die("malformed frame: lock flags %#x", r.flags); }
    r.path = take_path(c);
    expect_end(c, op);
    if (r.path) op_lock_path(&r, out);
    else reply_errno(out, id, EINVAL, "open", "a path with a NUL byte");
    free(r.path);
}

static void handle(struct cursor *c, struct buf *out) {
    uint64_t id = take_u64(c);
    uint8_t op = take_u8(c);
    switch (op) {
    case OP_LOCK_PATH:
    case OP_LOCK_FD:
        handle_lock(c, id, op, out);
        return;
    case OP_RELOCK: {
        uint64_t lock_id = take_u64(c);
        int mode = take_choice(c, 2, "lock mode");
        int wait = take_choice(c, 2, "wait mode");
        expect_end(c, op);
        op_relock(id, lock_id, mode, wait, out);
        return;
    }
    case OP_UNLOCK: {
        uint64_t lock_id = take_u64(c);
        int delete = take_choice(c, 2, "delete flag");
        expect_end(c, op);
        op_unlock(id, lock_id, delete, out);
        return;
    }
    case OP_RELEASE_ALL:
    case OP_CANCEL: {
        uint64_t subject = take_u64(c);
        expect_end(c, op);
        if (op == OP_CANCEL) op_cancel(id, subject, out);
        else op_release_all(id, subject, out);
        return;
    }
    case OP_STATS:
        expect_end(c, op);
        op_stats(id, out);
        return;
    default:
        errno = 0;
        die("malformed frame: unknown op %u", op);
    }
}

static uint32_t frame_length(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* One recvmsg into the free end of the input; queues the fds that came with it. 0 at end of stream. */
static size_t receive(uint8_t *into, size_t room) {
    union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS)]; } control;
    struct iovec iov = { into, room };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                          .msg_controllen = sizeof control.bytes };
    ssize_t n;
    do n = recvmsg(link_fd, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ECONNRESET) return 0;
    if (n < 0) die("recvmsg from the daemon");
    if (msg.msg_flags & MSG_CTRUNC) { errno = 0; die("more than %d fds in one message", MAX_FDS); }
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            queue_fd(fd);
        }
    }
    return (size_t)n;
}

/* Reads and handles requests until end of stream (rule 9). */
static void serve(void) {
    size_t cap = MIN_INPUT, start = 0, stop = 0;
    uint8_t *in = xmalloc(cap);
    struct buf out = { 0 };
    for (;;) {
        if (cap - stop < 4096 && start > 0) {
            memmove(in, in + start, stop - start);
            stop -= start;
            start = 0;
        }
        if (stop == cap) {
            /* Full of one incomplete frame (its length is checked below): room for the rest (rule 8). */
            cap = cap * 2 > MAX_FRAME + 4 ? MAX_FRAME + 4 : cap * 2;
            if (!(in = realloc(in, cap))) die("realloc(%zu) for requests", cap);
        }
        size_t n = receive(in + stop, cap - stop);
        if (n == 0) _exit(0);
        stop += n;
        while (stop - start >= 4) {
            uint32_t length = frame_length(in + start);
            if (length > MAX_FRAME) { errno = 0; die("malformed frame: length %u is above %u", length, MAX_FRAME); }
            if (stop - start - 4 < length) break;
            struct cursor c = { in + start + 4, in + start + 4 + length };
            handle(&c, &out);
            start += 4 + (size_t)length;
        }
        if (start == stop) start = stop = 0;
        if (stop == 0 && cap > MIN_INPUT) {
            /* A big frame is done with: back to the usual size, so it costs no memory while idle. */
            free(in);
            in = xmalloc(cap = MIN_INPUT);
        }
        if (out.len > 0) send_buf(&out);
        if (out.cap > MIN_INPUT) { free(out.data); out = (struct buf){ 0 }; }
    }
}

/* ---- start-up (rule 1) ------------------------------------------------------------------------- */

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) die("getrlimit RLIMIT_NOFILE");
    if (rl.rlim_cur == rl.rlim_max) return;
    rl.rlim_cur = rl.rlim_max;
    if (rl.rlim_cur == RLIM_INFINITY) rl.rlim_cur = 1 << 20; /* fs.nr_open's default */
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) warn("setrlimit RLIMIT_NOFILE to %llu", (unsigned long long)rl.rlim_cur);
}

static int connect_to_daemon(const char *path, pid_t daemon) {
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; die("socket path %s", path); }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect %s", path);
    struct ucred peer;
    socklen_t size = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) < 0) die("getsockopt SO_PEERCRED");
    if (peer.pid != daemon) { errno = 0; die("%s is served by pid %d, not the daemon %d", path, peer.pid, daemon); }
    return fd;
}

int main(int argc, char **argv) {
    errno = 0;
    if (argc != 3) die("usage: loomd-locker SOCKET-PATH DAEMON-PID");
    char *rest;
    long daemon = strtol(argv[2], &rest, 10);
    if (*rest || daemon <= 1 || daemon > INT_MAX) die("bad daemon pid %s", argv[2]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl PR_SET_PDEATHSIG");
    if (getppid() != (pid_t)daemon) { errno = 0; die("parent is %d, not the daemon %ld", getppid(), daemon); }
    if (setsid() < 0) die("setsid");
    signal(SIGPIPE, SIG_IGN);
    /* Waiter threads would each get a malloc arena of their own; they allocate little (rule 5). */
    mallopt(M_ARENA_MAX, 1);
    raise_fd_limit();
    table_init();
    ops_init();
    link_fd = connect_to_daemon(argv[1], (pid_t)daemon);
    serve();
}
