package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

import loomd.spawner.Bind;
import loomd.spawner.IdMapping;
import loomd.spawner.Namespace;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SpawnRequest;

/**
 * Where and how a builder runs: the chroot of daemon.md §4.8, or the plain process of §4.9.
 * {@link #prepare()} lays out the container directory {@code DRV.chroot} in the store (the
 * daemon-side steps 1 to 6 of §4.8); {@link #request} turns the rest (namespaces, binds, /dev, /proc,
 * hostname, ids) into one {@link SpawnRequest}, which the spawner carries out in upstream's order.
 *
 * <p>Paths: store paths are logical ({@code /gnu/store/...}, what the builder sees); {@code physicalStore}
 * is where the store directory is on disk (they differ under {@code --store-root}), and every bind's
 * source is physical.
 *
 * @param chroot         isolated build (§4.8) or not (§4.9; {@code builtin:*} and {@code --disable-chroot})
 * @param storeDir       logical store directory
 * @param physicalStore  the store directory on disk
 * @param drvPath        logical path of the {@code .drv}
 * @param buildDir       the build directory (§4.6)
 * @param inputPaths     the input closure (logical), bound read-only into the fake store
 * @param outputPaths    the derivation's outputs (logical), never bound in (§4.8 step 5)
 * @param fixedOutput    {@link BuildEnvironment#isFixedOutputBuild}: host network and resolver files
 * @param identity       build user or guest ids
 * @param chrootDirs     {@code build-chroot-dirs} and {@code build-extra-chroot-dirs} items, {@code T=S} or {@code P}
 * @param personality    personality(2) flags ({@link #personality})
 */
public record ContainerLayout(boolean chroot, String storeDir, Path physicalStore, String drvPath, BuildDirectory buildDir,
        Set<String> inputPaths, Set<String> outputPaths, boolean fixedOutput, BuildIdentity identity,
        List<String> chrootDirs, int personality) {

    /** Host files a fixed-output build gets, each only if the host has it (§4.8 step 7). */
    static final List<String> RESOLVER_FILES = List.of("/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/services", "/etc/hosts");
    static final int ADDR_NO_RANDOMIZE = 0x0040000;
    static final int PER_LINUX32 = 0x0008;
    static final int UNAME26 = 0x0020000;
    static final int OOM_SCORE_ADJ = 1000;

    public ContainerLayout {
        Objects.requireNonNull(storeDir);
        Objects.requireNonNull(physicalStore);
        Objects.requireNonNull(buildDir);
        Objects.requireNonNull(identity);
        if (!drvPath.startsWith(storeDir + "/")) {
            throw new IllegalArgumentException("not in the store: " + drvPath);
        }
        inputPaths = Set.copyOf(inputPaths);
        outputPaths = Set.copyOf(outputPaths);
        chrootDirs = List.copyOf(chrootDirs);
    }

    /**
     * Upstream's personality: always {@code ADDR_NO_RANDOMIZE}; {@code PER_LINUX32} for i686 builds on
     * x86_64 and armhf builds on aarch64; {@code UNAME26} for Intel builds when impersonating 2.6.
     */
    public static int personality(String platform, String thisSystem, boolean impersonateLinux26) {
        int p = ADDR_NO_RANDOMIZE;
        if ((platform.equals("i686-linux") && thisSystem.equals("x86_64-linux"))
                || (platform.equals("armhf-linux") && thisSystem.equals("aarch64-linux"))) {
            p |= PER_LINUX32;
        }
        if (impersonateLinux26 && (platform.equals("i686-linux") || platform.equals("x86_64-linux"))) {
            p |= UNAME26;
        }
        return p;
    }

    /** {@code DRV.chroot}, on disk; deleted by {@link #delete()}. */
    public Path containerDir() {
        return physical(drvPath + ".chroot");
    }

    /** The directory the builder pivots into. */
    public Path top() {
        return containerDir().resolve("top");
    }

    /** The fake store inside {@link #top()}. */
    public Path fakeStore() {
        return top().resolve(storeDir.substring(1));
    }

    /**
     * The daemon-side steps of §4.8: the container directory (an old one deleted first), {@code tmp},
     * {@code /etc/passwd}, {@code /etc/group}, {@code /etc/hosts} (not for fixed-output), the fake
     * store, and symlink inputs recreated as symlinks (a bind would follow them). A no-op without chroot,
     * except upstream's check for {@code /homeless-shelter} (§4.9).
     */
    public void prepare() throws IOException {
        if (!chroot) {
            if (Files.exists(Path.of(BuildEnvironment.HOMELESS_SHELTER), LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("directory `" + BuildEnvironment.HOMELESS_SHELTER + "' exists; please remove it");
            }
            return;
        }
        delete();
        mkdir(containerDir(), 0750);
        mkdir(top(), 0750);
        if (identity instanceof BuildIdentity.BuildUser user) {
            Files.setAttribute(top(), "unix:gid", user.gid());
        }
        mkdir(top().resolve("tmp"), 01777);
        Path etc = mkdir(top().resolve("etc"), 0755);
        Files.writeString(etc.resolve("passwd"), passwd(identity));
        Files.writeString(etc.resolve("group"), group(identity));
        if (!fixedOutput) {
            Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
        }
        closeEtc(etc);
        Files.createDirectories(fakeStore());
        Files.setAttribute(fakeStore(), "unix:mode", 01775);
        if (identity instanceof BuildIdentity.BuildUser user) {
            Files.setAttribute(fakeStore(), "unix:gid", user.gid());
        }
        for (String input : symlinkInputs()) {
            Files.createSymbolicLink(top().resolve(input.substring(1)), Files.readSymbolicLink(physical(input)));
        }
    }

    /**
     * Read-only {@code /etc} for every identity. Upstream's root-owned files keep a build user out, but
     * in a user namespace the daemon's files belong to the builder's own uid and upstream's rootless
     * builds can write there. Mode bits, like {@code chmod("/", 0555)}, give both modes the same view
     * and the same {@code EACCES} (the spawner, privileged, still makes the mount points of resolver files).
     */
    private void closeEtc(Path etc) throws IOException {
        try (var files = Files.list(etc)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(f, "unix:mode", 0444);
                }
            }
        }
        Files.setAttribute(etc, "unix:mode", 0555);
    }

    static String passwd(BuildIdentity id) {
        return "nixbld:x:" + id.uidInside() + ":" + id.gidInside() + ":Nix build user:/:/noshell\n"
                + "nobody:x:65534:65534:Nobody:/:/noshell\n";
    }

    static String group(BuildIdentity id) {
        return "nixbld:!:" + id.gidInside() + ":\n";
    }

    /** Removes the container directory and everything in it, if present. */
    public void delete() throws IOException {
        deleteTree(containerDir());
    }

    /**
     * Renames the container directory to a fresh name beside it and returns that name, for
     * {@link #deleteTree} later: the next build of the same derivation can start meanwhile.
     */
    public Path moveAside() throws IOException {
        Path aside = containerDir().resolveSibling(containerDir().getFileName() + ".old-"
                + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36));
        Files.move(containerDir(), aside, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return aside;
    }

    /** Removes a container directory (or one moved aside) and everything in it, if present. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(p, "unix:mode", 0700); // a builder may have left a directory 0555
                }
                Files.delete(p);
            }
        }
    }

    /**
     * The spawn request for {@code env}, with output, stdin and limits left to the caller. Binds are
     * the fake store and {@code /tmp} onto themselves first (separate writable mounts, §4.8 step 8),
     * then upstream's {@code dirsInChroot} in target order, so a parent is always mounted before what
     * lies under it.
     */
    public SpawnRequest.Builder request(BuildEnvironment env) {
        SpawnRequest.Builder b = SpawnRequest.builder()
                .program(env.program()).argv(env.argv()).env(env.variables())
                .cwd(buildDir.inSandbox())
                .processGroup(ProcessGroup.NEW_SESSION)
                .personality(personality)
                .oomScoreAdj(OOM_SCORE_ADJ);
        if (!chroot) {
            if (identity instanceof BuildIdentity.BuildUser user) {
                b.identity(user.uid(), user.gid(), user.groups().toArray(Integer[]::new));
            }
            return b;
        }
        b.namespaces(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS)
                .hostname("localhost")
                .root(top().toString())
                .mountProc(true)
                .chmodRootReadOnly(true);
        if (!fixedOutput) {
            b.namespaces(Namespace.NET).loopbackUp(true);
        }
        switch (identity) {
            case BuildIdentity.BuildUser user -> b.identity(user.uid(), user.gid(), user.groups().toArray(Integer[]::new));
            case BuildIdentity.Guest guest -> b.userNamespace(new IdMapping(BuildIdentity.GUEST_UID, guest.daemonUid(),
                    BuildIdentity.GUEST_GID, guest.daemonGid()))
                    .identity(BuildIdentity.GUEST_UID, BuildIdentity.GUEST_GID).lockMounts(true);
        }
        SortedMap<String, String> dirs = dirsInChroot();
        boolean devBound = dirs.containsKey("/dev");
        b.minimalDev(!devBound)
                .devShm(Files.exists(Path.of("/dev/shm")))
                .devPts(!devBound && !dirs.containsKey("/dev/pts") && Files.exists(Path.of("/dev/pts/ptmx")));
        b.bind(fakeStore().toString(), storeDir, false).bind(top().resolve("tmp").toString(), "/tmp", false);
        dirs.forEach((target, source) -> b.bind(source, target, inStore(source)));
        return b;
    }

    /** The binds of §4.8 step 5 (and 7), target to physical source, sorted by target. */
    SortedMap<String, String> dirsInChroot() {
        SortedMap<String, String> dirs = new TreeMap<>();
        for (String item : chrootDirs) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                dirs.put(item, item);
            } else {
                dirs.put(item.substring(0, eq), item.substring(eq + 1));
            }
        }
        dirs.put(buildDir.inSandbox(), buildDir.builderDir().toString());
        Set<String> links = Set.copyOf(symlinkInputs());
        inputPaths.stream().filter(Predicate.not(links::contains)).forEach(p -> dirs.put(p, physical(p).toString()));
        if (fixedOutput) {
            RESOLVER_FILES.stream().filter(f -> Files.exists(Path.of(f))).forEach(f -> dirs.put(f, f));
        }
        outputPaths.forEach(dirs::remove);
        dirs.values().removeIf("/proc"::equals); // upstream skips a /proc source: /proc is always a fresh mount
        return dirs;
    }

    private List<String> symlinkInputs() {
        List<String> links = new ArrayList<>();
        for (String p : inputPaths) {
            if (!outputPaths.contains(p) && Files.isSymbolicLink(physical(p))) {
                links.add(p);
            }
        }
        return links;
    }

    /** Upstream remounts a bind read-only when its source is in the store (a prefix test, as upstream). */
    private boolean inStore(String source) {
        return source.startsWith(physicalStore.toString()) || source.startsWith(storeDir);
    }

    private Path physical(String storePath) {
        if (!storePath.startsWith(storeDir + "/")) {
            throw new IllegalArgumentException("not in the store: " + storePath);
        }
        return physicalStore.resolve(storePath.substring(storeDir.length() + 1));
    }

    private static Path mkdir(Path dir, int mode) throws IOException {
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            // tmp and etc may come from a chroot-dir bind target made earlier; the mode is set anyway
        }
        Files.setAttribute(dir, "unix:mode", mode);
        return dir;
    }
}
