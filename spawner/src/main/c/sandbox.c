/*
 * The child side of the spawner: everything between clone() and execve(), in the order of
 * guix-daemon's chroot builds (fds, network, hostname, mounts, pivot, limits, ids, exec).
 * It runs in a fresh copy of the single-threaded spawner, so it may allocate and use stdio freely,
 * but it never returns: success is execve, failure is a setup report and exit 127 (spawner.c rule 9).
 */
#include "spawner.h"

static int setup_fd_in_child = -1;

static void fail_setup(enum step step, const char *detail) __attribute__((noreturn));
static void fail_setup(enum step step, const char *detail) {
    struct setup_report rep = { step, errno, "" };
    if (detail) snprintf(rep.detail, sizeof rep.detail, "%s", detail);
    ssize_t ignored = write(setup_fd_in_child, &rep, sizeof rep);
    (void)ignored;
    _exit(127);
}

int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void wait_for_parent(int go_fd) {
    char go;
    ssize_t n;
    do n = read(go_fd, &go, 1); while (n < 0 && errno == EINTR);
    if (n != 1) { if (n == 0) errno = EPIPE; fail_setup(S_WAIT_PARENT, NULL); }
    close(go_fd);
}

static void clear_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) fail_setup(S_FDS, "clearing O_NONBLOCK");
}

/* Rule 8: fds 0-2 and the mapped extras survive execve, nothing else. */
static void install_fds(const struct request *r) {
    int high = 3;
    for (uint32_t i = 0; i < r->nfdmap; i++) if (r->fdmap[i].target >= high) high = r->fdmap[i].target + 1;
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail_setup(S_FDS, "close_range");
    /* The setup pipe moves above every target first: a dup2 onto it would turn a later failure
     * report into a false "started" (EOF) and write the report into the child's own fd. */
    int setup = fcntl(setup_fd_in_child, F_DUPFD_CLOEXEC, high);
    if (setup < 0) fail_setup(S_FDS, "moving the setup pipe");
    close(setup_fd_in_child);
    setup_fd_in_child = setup;
    int moved[MAX_FDS];
    for (uint32_t i = 0; i < r->nfdmap; i++) {
        moved[i] = fcntl(r->fds[r->fdmap[i].source], F_DUPFD_CLOEXEC, high);
        if (moved[i] < 0) fail_setup(S_FDS, "dup");
    }
    int mapped[3] = { 0, 0, 0 };
    for (uint32_t i = 0; i < r->nfdmap; i++) {
        if (dup2(moved[i], r->fdmap[i].target) < 0) fail_setup(S_FDS, "dup2");
        clear_nonblock(r->fdmap[i].target);
        if (r->fdmap[i].target < 3) mapped[r->fdmap[i].target] = 1;
    }
    for (int fd = 0; fd < 3; fd++) {
        if (mapped[fd]) continue;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0) fail_setup(S_FDS, "/dev/null");
        if (null != fd && dup2(null, fd) < 0) fail_setup(S_FDS, "dup2 /dev/null");
        if (null != fd) close(null);
    }
}

int set_loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    int rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
}

/* A new network namespace: the spare one the child was cloned into has lo up already; one clone made does not. */
static void enter_network(const struct request *r) {
    if (!r->net_ready && (r->flags & F_NEWNET) && (r->flags & F_LOOPBACK) && set_loopback_up() < 0) {
        fail_setup(S_LOOPBACK, "lo");
    }
}

static void join_path(char *out, const char *root, const char *path) {
    if (snprintf(out, PATH_MAX, "%s/%s", root, path[0] == '/' ? path + 1 : path) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        fail_setup(S_MKDIR, path);
    }
}

/* Leaf first: under an existing root most targets need one mkdir, not one per component of the path. */
static void make_dirs(const char *path, mode_t mode) {
    if (mkdir(path, mode) == 0 || errno == EEXIST) return;
    if (errno != ENOENT) fail_setup(S_MKDIR, path);
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent) fail_setup(S_MKDIR, path);
    *slash = 0;
    make_dirs(parent, mode);
    if (mkdir(path, mode) < 0 && errno != EEXIST) fail_setup(S_MKDIR, path);
}

static void make_mount_point(const char *target, int is_dir) {
    if (is_dir) { make_dirs(target, 0755); return; }
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", target);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) { *slash = 0; make_dirs(parent, 0755); }
    /* O_NOFOLLOW: a symlink planted at the mount point must not redirect the mount onto the host. */
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0444);
    if (fd < 0) fail_setup(S_MKDIR, target);
    close(fd);
}

/* The old API's read-only remount must repeat the flags the kernel locks in a user namespace. */
static void remount_readonly_old_api(const char *target) {
    struct statvfs st;
    if (statvfs(target, &st) < 0) fail_setup(S_REMOUNT_READONLY, target);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    if (mount(NULL, target, NULL, flags, NULL) < 0) fail_setup(S_REMOUNT_READONLY, target);
}

/* mount_setattr (Linux 5.12) sets only the read-only bit, so one call replaces statvfs plus remount. Not
 * AT_RECURSIVE: like upstream's remount, only the bind's own mount. Kernels without it (ENOSYS) take the old way. */
static void remount_readonly(const char *target) {
    static int no_mount_setattr;
    if (!no_mount_setattr) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_SYMLINK_NOFOLLOW, &attr, sizeof attr) == 0) return;
        if (errno != ENOSYS) fail_setup(S_REMOUNT_READONLY, target);
        no_mount_setattr = 1;
    }
    remount_readonly_old_api(target);
}

static void bind_into(const char *root, const char *src, const char *dst, uint32_t flags, enum step step) {
    char target[PATH_MAX];
    struct stat st;
    join_path(target, root, dst);
    if (stat(src, &st) < 0) fail_setup(step, src);
    make_mount_point(target, S_ISDIR(st.st_mode));
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0) fail_setup(step, src);
    if (flags & BIND_READONLY) remount_readonly(target);
}

static void mount_fs(const char *root, const char *dir, const char *type, unsigned long flags, const char *data, enum step step) {
    char target[PATH_MAX];
    join_path(target, root, dir);
    make_dirs(target, 0755);
    if (mount(type, target, type, flags, data) < 0) fail_setup(step, target);
}

static void make_symlink(const char *root, const char *link, const char *to) {
    char path[PATH_MAX];
    join_path(path, root, link);
    if (symlink(to, path) < 0) fail_setup(S_DEV, path);
}

/* A fresh tmpfs /dev holding only the harmless nodes, as guix-daemon's chroot has. Mode 0555: in a user
 * namespace the tmpfs belongs to the builder's own uid, and /dev must stay as closed to it as under a
 * root daemon with build users (where the builder does not own it). */
static void populate_dev(const char *root) {
    static const char *nodes[] = { "/dev/full", "/dev/null", "/dev/random", "/dev/tty", "/dev/urandom", "/dev/zero", NULL };
    mount_fs(root, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0555", S_DEV);
    for (const char **n = nodes; *n; n++) bind_into(root, *n, *n, 0, S_DEV);
    if (access("/dev/kvm", F_OK) == 0) bind_into(root, "/dev/kvm", "/dev/kvm", 0, S_DEV);
    make_symlink(root, "/dev/fd", "/proc/self/fd");
    make_symlink(root, "/dev/stdin", "/proc/self/fd/0");
    make_symlink(root, "/dev/stdout", "/proc/self/fd/1");
    make_symlink(root, "/dev/stderr", "/proc/self/fd/2");
}

static void pivot_into(const char *root) {
    if (chdir(root) < 0) fail_setup(S_PIVOT_ROOT, root);
    /* pivot_root(".", ".") stacks the old root under the new one; no helper dir needed. */
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail_setup(S_PIVOT_ROOT, root);
    if (umount2(".", MNT_DETACH) < 0) fail_setup(S_PIVOT_ROOT, "detaching the old root");
    if (chdir("/") < 0) fail_setup(S_PIVOT_ROOT, "/");
}

static void build_root(const struct request *r) {
    const char *root = r->root;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail_setup(S_MOUNT_PRIVATE, "/");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) fail_setup(S_BIND_ROOT, root);
    if (r->flags & F_DEV) populate_dev(root);
    for (uint32_t i = 0; i < r->nbinds; i++) bind_into(root, r->binds[i].src, r->binds[i].dst, r->binds[i].flags, S_BIND);
    if (r->flags & F_PROC) mount_fs(root, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, S_PROC);
    if (r->flags & F_DEVSHM) mount_fs(root, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", S_DEVSHM);
    if (r->flags & F_DEVPTS) {
        mount_fs(root, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", S_DEVPTS);
        char ptmx[PATH_MAX];
        join_path(ptmx, root, "/dev/ptmx");
        if (symlink("pts/ptmx", ptmx) < 0 && errno != EEXIST) fail_setup(S_DEVPTS, ptmx);
    }
    pivot_into(root);
}

static void switch_identity(const struct request *r) {
    /* A user namespace denies setgroups(2); there the group list is already empty. */
    if (!((r->flags & F_NEWUSER) && r->ngroups == 0) && setgroups(r->ngroups, r->groups) < 0)
        fail_setup(S_SETGROUPS, NULL);
    if (setgid(r->gid) < 0) fail_setup(S_SETGID, NULL);
    if (setuid(r->uid) < 0) fail_setup(S_SETUID, NULL);
    if (getuid() != r->uid || geteuid() != r->uid) { errno = EPERM; fail_setup(S_SETUID, "uid did not change"); }
    if (getgid() != r->gid || getegid() != r->gid) { errno = EPERM; fail_setup(S_SETGID, "gid did not change"); }
}

/* Upstream's step 13: a second user+mount namespace mapping our ids to themselves, so the mounts
 * made above are locked together and cannot be peeled apart from inside. */
static void lock_mounts(void) {
    char text[64];
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) fail_setup(S_LOCK_MOUNTS, "unshare");
    if (write_text("/proc/self/setgroups", "deny") < 0) fail_setup(S_LOCK_MOUNTS, "/proc/self/setgroups");
    snprintf(text, sizeof text, "%u %u 1\n", uid, uid);
    if (write_text("/proc/self/uid_map", text) < 0) fail_setup(S_LOCK_MOUNTS, "/proc/self/uid_map");
    snprintf(text, sizeof text, "%u %u 1\n", gid, gid);
    if (write_text("/proc/self/gid_map", text) < 0) fail_setup(S_LOCK_MOUNTS, "/proc/self/gid_map");
}

/* Upstream ignores a failure here: a builder that cannot be made a preferred OOM victim still runs. */
static void set_oom_score_adj(int32_t value) {
    char text[16];
    snprintf(text, sizeof text, "%d", value);
    (void)write_text("/proc/self/oom_score_adj", text);
}

/* Upstream's killUser: as the build user, kill(-1) takes every process of that uid but this one. */
static void kill_all_of_user(void) __attribute__((noreturn));
static void kill_all_of_user(void) {
    while (kill(-1, SIGKILL) < 0) {
        if (errno == ESRCH) break;
        if (errno != EINTR) fail_setup(S_KILL_USER, NULL);
    }
    _exit(0);
}

static sigset_t ignored_signals;

void remember_ignored_signals(void) {
    sigemptyset(&ignored_signals);
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) sigaddset(&ignored_signals, sig);
    }
}

/* execve resets caught signals itself and the spawner catches none (signalfd), so only ignored ones remain. */
static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&ignored_signals, sig) == 1) signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void run_child(const struct request *r, int setup_fd, int go_fd, pid_t spawner) {
    setup_fd_in_child = setup_fd;
    if (go_fd >= 0) wait_for_parent(go_fd);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail_setup(S_PDEATHSIG, NULL);
    /* The spawner may have died before the death signal was armed; in a new PID namespace the
     * parent is invisible (getppid() is 0) and the daemon's EOF handling covers the gap. */
    if (!(r->flags & F_NEWPID) && getppid() != spawner) _exit(127);
    if ((r->flags & F_SETSID) && setsid() < 0) fail_setup(S_SESSION, "setsid");
    if ((r->flags & F_NEWPGRP) && !(r->flags & F_SETSID) && setpgid(0, 0) < 0) fail_setup(S_SESSION, "setpgid");
    enter_network(r); /* before install_fds: its dup2s may land on the prepared namespace's fd number */
    install_fds(r);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail_setup(S_CAPABILITIES, NULL);
    if ((r->flags & F_NEWUTS) && r->hostname[0]) {
        if (sethostname(r->hostname, strlen(r->hostname)) < 0) fail_setup(S_HOSTNAME, r->hostname);
        if (setdomainname("(none)", 6) < 0) fail_setup(S_HOSTNAME, "(none)");
    }
    if (r->root[0]) build_root(r);
    /* Not a read-only remount: builds must see EACCES, not EROFS. */
    if ((r->flags & F_CHMOD_ROOT) && chmod("/", 0555) < 0) fail_setup(S_CHMOD_ROOT, "/");
    if (r->flags & F_LOCK_MOUNTS) lock_mounts();
    for (uint32_t i = 0; i < r->nlimits; i++) {
        struct rlimit rl = { r->limits[i].soft, r->limits[i].hard };
        if (setrlimit((int)r->limits[i].resource, &rl) < 0) fail_setup(S_RLIMIT, NULL);
    }
    if ((r->flags & F_PERSONALITY) && personality(r->personality) < 0) fail_setup(S_PERSONALITY, NULL);
    if (r->flags & F_OOM_SCORE_ADJ) set_oom_score_adj(r->oom_score_adj);
    if (r->flags & F_SETIDS) switch_identity(r);
    if (r->flags & F_KILL_USER) kill_all_of_user();
    if (r->cwd[0] && chdir(r->cwd) < 0) fail_setup(S_CHDIR, r->cwd);
    /* Changing credentials cleared the death signal. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail_setup(S_PDEATHSIG, NULL);
    reset_signals();
    if ((r->flags & F_ANNOUNCE) && write(2, "\n", 1) != 1) fail_setup(S_ANNOUNCE, NULL);
    execve(r->program, r->argv, r->envp);
    fail_setup(S_EXEC, r->program);
}
