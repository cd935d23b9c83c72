package loomd.daemon.store.gc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import loomd.daemon.store.StoreException;
import loomd.protocol.store.StoreDir;

/**
 * Runtime roots (daemon.md §7.2): what running processes use. Scanned natively in {@code /proc}
 * as {@code guix gc --list-busy} does ({@code exe}, {@code cwd}, {@code fd/*} link targets, file
 * names in {@code maps}, store paths in {@code environ}; vanished or unreadable processes are
 * skipped), so a store without Guile is protected too; and, when {@code guix} is on the PATH, its
 * {@code gc --list-busy} output as upstream takes it. Targets under the physical store (a store
 * kept under a prefix) count as their logical paths. Runs on a platform thread (blocking reads).
 */
final class RuntimeRoots {
    private final StoreDir storeDir;
    private final String physicalStore;
    private final Pattern environPath;

    RuntimeRoots(StoreDir storeDir, Path physicalStore) {
        this.storeDir = storeDir;
        this.physicalStore = physicalStore.toString();
        this.environPath = Pattern.compile(Pattern.quote(storeDir.path()) + "/[0-9a-df-np-sv-z]{32}-[-+._?=0-9a-zA-Z]+");
    }

    /** Store items (top level, not checked for validity) used by running processes. */
    Set<String> find() {
        Set<String> found = new HashSet<>();
        scanProc(Path.of("/proc"), found);
        guixListBusy().ifPresent(program -> listBusy(program, found));
        return found;
    }

    void scanProc(Path proc, Set<String> found) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path pid : ds) scanProcess(pid, found);
        } catch (IOException e) {
            // no /proc: nothing to add
        }
    }

    private void scanProcess(Path pid, Set<String> found) {
        link(pid.resolve("exe"), found);
        link(pid.resolve("cwd"), found);
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
            for (Path fd : fds) link(fd, found);
        } catch (IOException | RuntimeException e) {
            // vanished or not ours
        }
        try {
            for (String line : Files.readAllLines(pid.resolve("maps"), StandardCharsets.ISO_8859_1)) {
                int slash = line.indexOf('/');
                if (slash >= 0) add(line.substring(slash), found);
            }
        } catch (IOException | RuntimeException e) {
            // vanished or not ours
        }
        try {
            String environ = new String(Files.readAllBytes(pid.resolve("environ")), StandardCharsets.ISO_8859_1);
            Matcher m = environPath.matcher(environ);
            while (m.find()) add(m.group(), found);
        } catch (IOException | RuntimeException e) {
            // vanished or not ours
        }
    }

    private void link(Path link, Set<String> found) {
        try {
            String target = Files.readSymbolicLink(link).toString();
            if (target.startsWith("/")) add(target, found);
        } catch (IOException | RuntimeException e) {
            // vanished or not ours
        }
    }

    /** Adds the store item {@code file} lies in, if it does (logically or physically). */
    void add(String file, Set<String> found) {
        String logical = file;
        if (!physicalStore.equals(storeDir.path()) && file.startsWith(physicalStore + "/")) {
            logical = storeDir.path() + file.substring(physicalStore.length());
        }
        if (!storeDir.isInStore(logical)) return;
        int end = logical.indexOf('/', storeDir.path().length() + 1);
        found.add(end < 0 ? logical : logical.substring(0, end));
    }

    private static Optional<Path> guixListBusy() {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, "guix");
            if (Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /** Upstream's runtime roots: every output line in the store; a failure fails the collection. */
    private void listBusy(Path program, Set<String> found) {
        try {
            Process p = new ProcessBuilder(program.toString(), "gc", "--list-busy")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            int status = p.waitFor();
            if (status != 0) {
                throw new StoreException("program `" + program + "' failed with exit code " + status);
            }
            for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
                if (storeDir.isInStore(line)) add(line, found);
            }
        } catch (IOException e) {
            throw new StoreException("running `" + program + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        }
    }
}
