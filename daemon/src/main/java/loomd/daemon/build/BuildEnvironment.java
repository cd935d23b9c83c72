package loomd.daemon.build;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

import loomd.protocol.drv.Derivation;
import loomd.protocol.wire.Utf8Order;

/**
 * What a builder process is given (daemon.md §4.7): the program, its argv and its environment. Made
 * only through {@link #forDerivation}, whose builder refuses to build until every input upstream uses
 * is set, so an environment with a missing {@code NIX_BUILD_TOP} or a forgotten override step cannot
 * exist.
 *
 * <p>Assignment order, later wins (Appendix A.5): {@code PATH}, {@code HOME}, {@code NIX_STORE},
 * {@code NIX_BUILD_CORES}; then the derivation's own variables; then {@code NIX_BUILD_TOP},
 * {@code TMPDIR}, {@code TEMPDIR}, {@code TMP}, {@code TEMP}, {@code PWD}; then, for fixed-output
 * derivations only, each name in {@code impureEnvVars} with the daemon's value or "". Guix's daemon
 * sets nothing else: no {@code NIX_LOG_FD}, {@code TERM} or {@code NIX_OUTPUT_CHECKED} (those are
 * Nix's).
 *
 * @param program   the builder as written in the derivation (a store path; the same path inside a chroot)
 * @param argv      argv[0] = the builder's base name, then the derivation's arguments
 * @param variables the environment, sorted by name in byte order (upstream's {@code std::map})
 */
public record BuildEnvironment(String program, List<String> argv, SortedMap<String, String> variables) {
    public static final String PATH_NOT_SET = "/path-not-set";
    public static final String HOMELESS_SHELTER = "/homeless-shelter";
    private static final List<String> BUILD_DIR_VARIABLES = List.of("NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD");

    public BuildEnvironment {
        Objects.requireNonNull(program, "program");
        argv = List.copyOf(argv);
        TreeMap<String, String> copy = new TreeMap<>(Utf8Order.COMPARATOR);
        copy.putAll(variables);
        variables = Collections.unmodifiableSortedMap(copy);
    }

    /** The environment as envp entries {@code NAME=VALUE}, in name order. */
    public List<String> envp() {
        return variables.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /**
     * A build is fixed-output when <em>every</em> output has a hash. That is the build-time test
     * upstream uses (network, {@code impureEnvVars}, {@code /etc/hosts}); registration uses
     * {@link Derivation#isFixedOutput()}, which also wants exactly one output named {@code out}
     * (daemon.md §9.34).
     */
    public static boolean isFixedOutputBuild(Derivation drv) {
        return !drv.outputs().isEmpty() && drv.outputs().values().stream().allMatch(o -> !o.hash().isEmpty());
    }

    /** Builtin builders ({@code builtin:download}, ...) run in the daemon's own code, not from an envp. */
    public static boolean isBuiltin(Derivation drv) {
        return drv.builder().startsWith("builtin:");
    }

    public static Builder forDerivation(Derivation drv) {
        return new Builder(drv);
    }

    /** Collects upstream's inputs; {@link #build()} checks that each was given. */
    public static final class Builder {
        private final Derivation drv;
        private String storeDir;
        private Integer buildCores;
        private String buildDirInSandbox;
        private Map<String, String> daemonEnvironment;
        private Map<String, String> hashRewrites = Map.of();

        private Builder(Derivation drv) {
            this.drv = Objects.requireNonNull(drv, "drv");
            if (isBuiltin(drv)) {
                throw new IllegalArgumentException("builder `" + drv.builder() + "' is built in: it has no process environment");
            }
        }

        /** The logical store directory, {@code NIX_STORE}. */
        public Builder storeDir(String dir) {
            this.storeDir = requireAbsolute("store directory", dir);
            return this;
        }

        /** {@code build-cores}: 0 means "use them all", as upstream passes it on. */
        public Builder buildCores(int cores) {
            if (cores < 0) {
                throw new IllegalArgumentException("build cores must not be negative: " + cores);
            }
            this.buildCores = cores;
            return this;
        }

        /** The build directory as the builder sees it: {@code /tmp/guix-build-NAME.drv-0} in a chroot. */
        public Builder buildDirInSandbox(String dir) {
            this.buildDirInSandbox = requireAbsolute("build directory", dir);
            return this;
        }

        /** The daemon's own environment, read only for a fixed-output derivation's {@code impureEnvVars}. */
        public Builder daemonEnvironment(Map<String, String> env) {
            this.daemonEnvironment = Map.copyOf(env);
            return this;
        }

        /**
         * Non-chroot builds with valid outputs (§4.9): each hash part key is replaced by its value in
         * every {@code NAME=VALUE} string and argument. Values must have the key's length.
         */
        public Builder hashRewrites(Map<String, String> rewrites) {
            rewrites.forEach((from, to) -> {
                if (from.length() != to.length() || from.isEmpty()) {
                    throw new IllegalArgumentException("a hash rewrite keeps the length: " + from + " -> " + to);
                }
            });
            this.hashRewrites = Map.copyOf(rewrites);
            return this;
        }

        public BuildEnvironment build() {
            requireSet("storeDir", storeDir);
            requireSet("buildCores", buildCores);
            requireSet("buildDirInSandbox", buildDirInSandbox);
            requireSet("daemonEnvironment", daemonEnvironment);
            TreeMap<String, String> env = new TreeMap<>(Utf8Order.COMPARATOR);
            env.put("PATH", PATH_NOT_SET);
            env.put("HOME", HOMELESS_SHELTER);
            env.put("NIX_STORE", storeDir);
            env.put("NIX_BUILD_CORES", Integer.toString(buildCores));
            env.putAll(drv.env());
            BUILD_DIR_VARIABLES.forEach(name -> env.put(name, buildDirInSandbox));
            if (isFixedOutputBuild(drv)) {
                for (String name : tokens(drv.env().getOrDefault("impureEnvVars", ""))) {
                    env.put(name, daemonEnvironment.getOrDefault(name, ""));
                }
            }
            return new BuildEnvironment(drv.builder(), argv(), rewriteEnv(env));
        }

        private List<String> argv() {
            List<String> argv = new ArrayList<>();
            argv.add(baseName(drv.builder()));
            drv.args().forEach(a -> argv.add(rewrite(a)));
            return argv;
        }

        /** Upstream rewrites the whole {@code NAME=VALUE} string, so a name holding a hash changes too. */
        private SortedMap<String, String> rewriteEnv(TreeMap<String, String> env) {
            if (hashRewrites.isEmpty()) {
                return env;
            }
            TreeMap<String, String> out = new TreeMap<>(Utf8Order.COMPARATOR);
            env.forEach((name, value) -> {
                String entry = rewrite(name + "=" + value);
                int eq = entry.indexOf('=');
                out.put(entry.substring(0, eq), entry.substring(eq + 1));
            });
            return out;
        }

        private String rewrite(String s) {
            for (var e : hashRewrites.entrySet()) {
                s = s.replace(e.getKey(), e.getValue());
            }
            return s;
        }
    }

    /** Upstream's {@code tokenizeString} with its default separators. */
    static List<String> tokens(String s) {
        return java.util.Arrays.stream(s.split("[ \t\n\r]+")).filter(t -> !t.isEmpty()).toList();
    }

    /** Upstream's {@code baseNameOf}: the part after the last slash, ignoring one trailing slash. */
    static String baseName(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return p.substring(p.lastIndexOf('/') + 1);
    }

    private static String requireAbsolute(String what, String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException(what + " must be an absolute path: " + path);
        }
        return path;
    }

    private static void requireSet(String what, Object value) {
        if (value == null) {
            throw new IllegalStateException("the build environment needs " + what);
        }
    }
}
