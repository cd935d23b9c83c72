package loomd.test.offload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.ChildJvm;
import loomd.test.support.DaemonProcess;

/**
 * A build cluster on this machine: one network namespace per worker (made with {@code ip netns}),
 * joined to the test's namespace by a veth pair with a /30 of its own, a loomd in each listening with
 * {@code --listen=ADDRESS:7100} on its veth address, and a head loomd in the test's namespace whose
 * {@code guix} is a stand-in: {@code authenticate} is the daemon module's fake, {@code offload} is
 * {@link StandInOffload}. Needs root; {@link #unavailable()} says why it cannot run otherwise.
 */
final class NetnsCluster implements AutoCloseable {
    static final int PORT = 7100;

    /** A worker: its namespace, its address on the veth, its daemon. */
    record Worker(String netns, String address, DaemonProcess daemon) {
        String machine() {
            return address + ":" + PORT;
        }

        StoreClient client() throws IOException {
            return StoreClient.connectTcp(address, PORT, ClientOptions.DEFAULT);
        }
    }

    private final List<String> namespaces = new ArrayList<>();
    private final List<Worker> workers = new ArrayList<>();
    private DaemonProcess head;

    /** Why network namespaces cannot be made here, or null when they can. */
    static String unavailable() {
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            return "the cluster test makes network namespaces and veth pairs: it needs root (CI runs as root)";
        }
        String probe = "loomd-probe-" + ProcessHandle.current().pid();
        try {
            ip("netns", "add", probe);
            ip("netns", "del", probe);
            return null;
        } catch (IOException e) {
            return "cannot make a network namespace here (" + e.getMessage() + ")";
        }
    }

    /** {@code workers} workers with {@code slots} build slots each, and the head; under {@code dir}. */
    static NetnsCluster start(Path dir, int workers, int slots) throws IOException {
        NetnsCluster c = new NetnsCluster();
        try {
            Path guix = standInGuix(dir);
            String tag = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
            int subnet = 16 + ThreadLocalRandom.current().nextInt(200);
            for (int i = 0; i < workers; i++) {
                c.workers.add(c.worker(dir.resolve("worker-" + i), guix, tag, i, subnet));
            }
            String machines = c.workers.stream().map(w -> w.machine() + ":" + slots).collect(Collectors.joining(","));
            Path headRoot = dir.resolve("head");
            signingKey(headRoot);
            c.head = DaemonProcess.builder(headRoot).env("GUIX", guix.toString())
                    .env("OFFLOAD_HEAD_ROOT", headRoot.toString()).env("OFFLOAD_MACHINES", machines).start();
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private Worker worker(Path root, Path guix, String tag, int i, int subnet) throws IOException {
        String ns = "loomd-" + tag + "-w" + i;
        String outside = "lmo" + tag + i;
        String inside = "lmi" + tag + i;
        String prefix = "10." + subnet + "." + i + ".";
        ip("netns", "add", ns);
        namespaces.add(ns);
        ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns);
        ip("addr", "add", prefix + "1/30", "dev", outside);
        ip("link", "set", outside, "up");
        ip("-n", ns, "addr", "add", prefix + "2/30", "dev", inside);
        ip("-n", ns, "link", "set", inside, "up");
        ip("-n", ns, "link", "set", "lo", "up");
        DaemonProcess daemon = DaemonProcess.builder(root).wrapper("ip", "netns", "exec", ns)
                .env("GUIX", guix.toString()).args("--listen=" + prefix + "2:" + PORT).start();
        return new Worker(ns, prefix + "2", daemon);
    }

    /** The {@code guix} of every daemon of the cluster; {@code offload} runs in a JVM of its own. */
    private static Path standInGuix(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path authenticate = Files.writeString(bin.resolve("fake-authenticate.py"), Files.readString(
                Path.of(System.getProperty("loomd.root"), "daemon/src/test/resources/loomd/daemon/store/auth/fake-authenticate.py")));
        // A JVM start per hook: class data sharing (which wants jars only) keeps it short.
        List<String> java = new ArrayList<>(List.of(DaemonProcess.javaBinary().toString()));
        java.addAll(DaemonProcess.JVM_FLAGS);
        java.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+AutoCreateSharedArchive",
                "-XX:SharedArchiveFile=" + bin.resolve("offload.jsa"), "-Xlog:disable",
                "-Dorg.sqlite.lib.path=" + sqliteNative(bin), "-Dorg.sqlite.lib.name=libsqlitejdbc.so", "-cp",
                standInJar(bin) + ":" + DaemonProcess.daemonJar(), StandInOffload.class.getName()));
        String script = "#!/bin/sh\ncase \"$1\" in\n"
                + "  authenticate) exec python3 " + authenticate + " ;;\n"
                + "  offload) OFFLOAD_STARTED=$(date +%s%N) exec " + String.join(" ", java) + " \"$@\" ;;\n"
                + "  *) echo \"stand-in guix: no command $1\" >&2; exit 2 ;;\nesac\n";
        Path guix = Files.writeString(bin.resolve("guix"), script);
        Files.setPosixFilePermissions(guix, PosixFilePermissions.fromString("rwxr-xr-x"));
        return guix;
    }

    /** The stand-in's classes (this package) in a jar; the daemon's jar brings the protocol and sqlite-jdbc. */
    private static Path standInJar(Path bin) throws IOException {
        Path classes = Path.of(ChildJvm.location(StandInOffload.class));
        String pkg = StandInOffload.class.getPackageName().replace('.', '/');
        Path jar = bin.resolve("stand-in-offload.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.list(classes.resolve(pkg))) {
            for (Path f : files.sorted().toList()) {
                out.putNextEntry(new JarEntry(pkg + "/" + f.getFileName()));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    /** sqlite-jdbc's native library, extracted once (else every hook's JVM extracts its own copy). */
    private static Path sqliteNative(Path bin) throws IOException {
        try (var in = org.sqlite.JDBC.class.getResourceAsStream("/org/sqlite/native/Linux/x86_64/libsqlitejdbc.so")) {
            if (in == null) {
                throw new IOException("sqlite-jdbc has no native library for Linux x86_64 on the test classpath");
            }
            Files.copy(in, bin.resolve("libsqlitejdbc.so"));
        }
        return bin;
    }

    /** Exports from the head are signed (the workers' imports require it); the fake signer only needs the file. */
    private static void signingKey(Path root) throws IOException {
        Path key = Files.createDirectories(root.resolve("etc/guix")).resolve("signing-key.sec");
        Files.writeString(key, "(private-key)");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }

    DaemonProcess head() {
        return head;
    }

    List<Worker> workers() {
        return workers;
    }

    Worker worker(String machine) {
        return workers.stream().filter(w -> w.machine().equals(machine)).findFirst().orElseThrow();
    }

    /** The stand-in's slot file of {@code worker}'s slot {@code k}. */
    Path slotFile(Worker worker, int k) {
        String[] f = worker.machine().split(":");
        return Slots.file(head.stateDir().resolve("offload"), new StandInOffload.Machine(f[0], PORT, 0), k);
    }

    static void ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Stops the daemons; deleting a namespace deletes its veth pair. */
    @Override
    public void close() {
        if (head != null) {
            head.close();
        }
        workers.forEach(w -> w.daemon().close());
        for (String ns : namespaces) {
            try {
                ip("netns", "del", ns);
            } catch (IOException e) {
                System.err.println("NetnsCluster: " + e.getMessage());
            }
        }
    }
}
