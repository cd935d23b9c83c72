package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import loomd.test.support.DaemonProcess;

/**
 * Debian's {@code systemd-socket-activate} (package {@code systemd}) holding a Unix socket under
 * {@code root} and running a command on it once the first client connects, with the environment
 * {@code bin/loomd} needs to find the JDK and the jar the build made. Closing kills what is left.
 */
record Activator(Process process, Path socket, Path log) implements AutoCloseable {
    static final String TOOL = "/usr/bin/systemd-socket-activate";

    static Path repoRoot() {
        return Path.of(System.getProperty("loomd.root"));
    }

    static Path launcher() {
        return repoRoot().resolve("bin/loomd");
    }

    /** Runs {@code command} under the activator on {@code root/daemon.sock}, its output in {@code root/daemon.log}. */
    static Activator start(Path root, List<String> command) throws IOException {
        assertTrue(Files.isExecutable(Path.of(TOOL)),
                TOOL + " is missing: install Debian's package systemd (.ci/run does)");
        Files.createDirectories(root);
        Path socket = root.resolve("daemon.sock");
        Path log = root.resolve("daemon.log");
        List<String> cmd = new ArrayList<>(List.of(TOOL, "--listen=" + socket,
                "-E", "LOOMD_JAVA=" + DaemonProcess.javaBinary(),
                "-E", "LOOMD_JAR=" + DaemonProcess.daemonJar(),
                "-E", "NIX_STORE_DIR=/gnu/store"));
        cmd.add("--");
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LISTEN_") || k.startsWith("LOOMD_")
                || k.startsWith("GUIX_") || k.startsWith("NIX_"));
        Activator a = new Activator(pb.start(), socket, log);
        a.awaitSocket();
        return a;
    }

    String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private void awaitSocket() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("the activator did not create " + socket + ": " + output());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> below = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        below.forEach(ProcessHandle::destroyForcibly);
    }
}
