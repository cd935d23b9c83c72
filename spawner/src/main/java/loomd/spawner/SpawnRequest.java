package loomd.spawner;

import java.nio.channels.Channel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Everything the spawner needs to start one child. Build with {@link #builder()}; {@link Builder#build()}
 * rejects inconsistent requests (a root without a mount namespace, binds without a root, ...), so the
 * spawner only ever sees well-formed ones.
 *
 * @param program    absolute path passed to execve (inside the new root when there is one)
 * @param argv       argv, argv[0] included (upstream passes the builder's basename)
 * @param env        envp entries {@code NAME=VALUE}, in order; nothing else is inherited
 * @param cwd        working directory inside the child's view; empty = stay where the spawner is ("/" after a pivot)
 * @param root       directory to pivot into; empty = keep the host's root
 * @param extraFds   child fd -> caller fd (caller keeps its copy) for fds beyond stdin/stdout/stderr
 * @param personality persona(2) flags to set, if any (upstream: ADDR_NO_RANDOMIZE, PER_LINUX32, ...)
 * @param oomScoreAdj written to /proc/self/oom_score_adj, failures ignored (upstream: 1000)
 * @param killUser   exec nothing: kill every process of the identity's uid (see {@link SpawnerClient#killUser})
 */
public record SpawnRequest(
        String program, List<String> argv, List<String> env, String cwd,
        Set<Namespace> namespaces, Optional<IdMapping> idMapping, String root, List<Bind> binds,
        boolean mountProc, boolean minimalDev, boolean devPts, boolean devShm,
        String hostname, boolean loopbackUp, Optional<Identity> identity,
        List<ResourceLimit> limits, ProcessGroup processGroup,
        Optional<Channel> stdin, Output output, Map<Integer, Integer> extraFds, boolean announceSetup,
        OptionalInt personality, OptionalInt oomScoreAdj, boolean chmodRootReadOnly, boolean lockMounts,
        boolean killUser) {

    public SpawnRequest {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        namespaces = Set.copyOf(namespaces);
        binds = List.copyOf(binds);
        limits = List.copyOf(limits);
        extraFds = Map.copyOf(extraFds);
    }

    public static Builder builder() {
        return new Builder();
    }

    static void requireAbsolute(String what, String path) {
        Objects.requireNonNull(path, what);
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(what + " must be an absolute path: " + path);
        }
        requireNoNul(what, path);
    }

    static void requireNoNul(String what, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL byte");
        }
    }

    /** Bazel-style builder; every setter returns {@code this}. */
    public static final class Builder {
        private String program;
        private final List<String> argv = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd = "";
        private final EnumSet<Namespace> namespaces = EnumSet.noneOf(Namespace.class);
        private IdMapping idMapping;
        private String root = "";
        private final List<Bind> binds = new ArrayList<>();
        private boolean mountProc;
        private boolean minimalDev;
        private boolean devPts;
        private boolean devShm;
        private String hostname = "";
        private boolean loopbackUp = true;
        private Identity identity;
        private final List<ResourceLimit> limits = new ArrayList<>();
        private ProcessGroup processGroup = ProcessGroup.NEW_SESSION;
        private Channel stdin;
        private Output output = Output.DISCARD;
        private final Map<Integer, Integer> extraFds = new LinkedHashMap<>();
        private boolean announceSetup;
        private OptionalInt personality = OptionalInt.empty();
        private OptionalInt oomScoreAdj = OptionalInt.empty();
        private boolean chmodRootReadOnly;
        private boolean lockMounts;
        private boolean killUser;

        private Builder() {}

        /** The program to exec; defaults to argv[0]. */
        public Builder program(String path) {
            requireAbsolute("program", path);
            this.program = path;
            return this;
        }

        public Builder argv(String... args) {
            return argv(List.of(args));
        }

        public Builder argv(List<String> args) {
            argv.clear();
            args.forEach(a -> requireNoNul("argv", a));
            argv.addAll(args);
            return this;
        }

        /** Adds or replaces one variable. */
        public Builder env(String name, String value) {
            if (name.isEmpty() || name.indexOf('=') >= 0) {
                throw new IllegalArgumentException("bad environment variable name: " + name);
            }
            requireNoNul("environment", name + value);
            env.put(name, value);
            return this;
        }

        /** Adds all of {@code vars} in their iteration order (pass a sorted map for upstream's order). */
        public Builder env(Map<String, String> vars) {
            vars.forEach(this::env);
            return this;
        }

        public Builder cwd(String dir) {
            requireAbsolute("cwd", dir);
            this.cwd = dir;
            return this;
        }

        public Builder namespaces(Namespace... ns) {
            namespaces.addAll(List.of(ns));
            return this;
        }

        public Builder namespaces(Set<Namespace> ns) {
            namespaces.addAll(ns);
            return this;
        }

        /** A user namespace with this mapping (adds {@link Namespace#USER}). */
        public Builder userNamespace(IdMapping mapping) {
            namespaces.add(Namespace.USER);
            this.idMapping = Objects.requireNonNull(mapping);
            return this;
        }

        public Builder root(String dir) {
            requireAbsolute("root", dir);
            this.root = dir;
            return this;
        }

        public Builder bind(String source, String target, boolean readOnly) {
            binds.add(new Bind(source, target, readOnly));
            return this;
        }

        /** Bind a host path at the same place inside. */
        public Builder bind(String path, boolean readOnly) {
            return bind(path, path, readOnly);
        }

        public Builder mountProc(boolean on) {
            this.mountProc = on;
            return this;
        }

        /** A tmpfs /dev with full, null, random, tty, urandom, zero (and kvm if the host has it), fd links. */
        public Builder minimalDev(boolean on) {
            this.minimalDev = on;
            return this;
        }

        public Builder devPts(boolean on) {
            this.devPts = on;
            return this;
        }

        public Builder devShm(boolean on) {
            this.devShm = on;
            return this;
        }

        public Builder hostname(String name) {
            requireNoNul("hostname", name);
            if (name.length() > 64) {
                throw new IllegalArgumentException("hostname longer than 64 bytes");
            }
            this.hostname = name;
            return this;
        }

        /** Whether a new network namespace gets its loopback up (default true). */
        public Builder loopbackUp(boolean on) {
            this.loopbackUp = on;
            return this;
        }

        public Builder identity(Identity id) {
            this.identity = Objects.requireNonNull(id);
            return this;
        }

        public Builder identity(int uid, int gid, Integer... groups) {
            return identity(new Identity(uid, gid, List.of(groups)));
        }

        public Builder limit(ResourceLimit.Resource resource, long soft, long hard) {
            limits.add(new ResourceLimit(resource, soft, hard));
            return this;
        }

        public Builder processGroup(ProcessGroup group) {
            this.processGroup = Objects.requireNonNull(group);
            return this;
        }

        /** The child's stdin (a socket or pipe channel; /dev/null by default). */
        public Builder stdin(Channel channel) {
            this.stdin = Objects.requireNonNull(channel);
            return this;
        }

        public Builder output(Output out) {
            this.output = Objects.requireNonNull(out);
            return this;
        }

        /** Child fd {@code childFd} (3 to 1023, the spawner's MAX_TARGET_FD) gets a copy of the caller's {@code callerFd}. */
        public Builder extraFd(int childFd, int callerFd) {
            if (childFd < 3 || childFd > Wire.MAX_TARGET_FD || callerFd < 0) {
                throw new IllegalArgumentException(
                        "extra fds are 3 to " + Wire.MAX_TARGET_FD + ": " + childFd + " <- " + callerFd);
            }
            extraFds.put(childFd, callerFd);
            return this;
        }

        /** Write one newline to stderr right before exec, upstream's "setup succeeded" line. */
        public Builder announceSetup(boolean on) {
            this.announceSetup = on;
            return this;
        }

        /** personality(2) for the child, e.g. {@code 0x0040000} (ADDR_NO_RANDOMIZE), as upstream always sets. */
        public Builder personality(int persona) {
            this.personality = OptionalInt.of(persona);
            return this;
        }

        /** The child's oom_score_adj (-1000..1000); upstream makes builders the preferred victims with 1000. */
        public Builder oomScoreAdj(int value) {
            if (value < -1000 || value > 1000) {
                throw new IllegalArgumentException("oom_score_adj out of range: " + value);
            }
            this.oomScoreAdj = OptionalInt.of(value);
            return this;
        }

        /** chmod("/", 0555) after the pivot: writes to the root fail with EACCES, not EROFS (upstream). */
        public Builder chmodRootReadOnly(boolean on) {
            this.chmodRootReadOnly = on;
            return this;
        }

        /**
         * After the pivot, enter one more user+mount namespace mapping the current ids to themselves, so
         * the mounts are locked together (upstream's step for the unprivileged mode). Needs a user namespace.
         */
        public Builder lockMounts(boolean on) {
            this.lockMounts = on;
            return this;
        }

        Builder killUser() {
            this.killUser = true;
            return this;
        }

        public SpawnRequest build() {
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("argv is empty");
            }
            String prog = program != null ? program : argv.getFirst();
            requireAbsolute("program", prog);
            boolean hasRoot = !root.isEmpty();
            if (hasRoot && !namespaces.contains(Namespace.MOUNT)) {
                throw new IllegalArgumentException("a root needs a mount namespace");
            }
            if (!hasRoot && (!binds.isEmpty() || mountProc || minimalDev || devPts || devShm)) {
                throw new IllegalArgumentException("binds, /proc and /dev need a root to pivot into");
            }
            if (mountProc && !namespaces.contains(Namespace.PID)) {
                throw new IllegalArgumentException("a fresh /proc needs a PID namespace");
            }
            if (!hostname.isEmpty() && !namespaces.contains(Namespace.UTS)) {
                throw new IllegalArgumentException("a hostname needs a UTS namespace");
            }
            if (namespaces.contains(Namespace.USER) && idMapping == null) {
                throw new IllegalArgumentException("a user namespace needs an IdMapping");
            }
            if (minimalDev && binds.stream().anyMatch(b -> b.target().equals("/dev"))) {
                throw new IllegalArgumentException("a bind of /dev replaces the minimal /dev: ask for one of them");
            }
            if ((chmodRootReadOnly || lockMounts) && !hasRoot) {
                throw new IllegalArgumentException("chmodRootReadOnly and lockMounts need a root");
            }
            if (lockMounts && !namespaces.contains(Namespace.USER)) {
                throw new IllegalArgumentException("lockMounts needs a user namespace");
            }
            if (killUser && (identity == null || identity.uid() == 0)) {
                throw new IllegalArgumentException("killing all processes of a user needs a non-root uid");
            }
            if (extraFds.size() + 2 > 16) {
                throw new IllegalArgumentException("too many fds for one request");
            }
            return new SpawnRequest(prog, argv, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList(),
                    cwd, namespaces, Optional.ofNullable(idMapping), root, binds, mountProc, minimalDev, devPts, devShm,
                    hostname, loopbackUp, Optional.ofNullable(identity), limits, processGroup,
                    Optional.ofNullable(stdin), output, extraFds, announceSetup,
                    personality, oomScoreAdj, chmodRootReadOnly, lockMounts, killUser);
        }
    }
}
