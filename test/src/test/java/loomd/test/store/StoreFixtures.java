package loomd.test.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/** Shared pieces of the store integration tests. */
final class StoreFixtures {
    /** Upstream's nix/libstore/schema.sql, verbatim: the daemon module's reference copy (one per repository). */
    static final String UPSTREAM_SCHEMA = readRepoFile("daemon/src/test/resources/loomd/daemon/store/db/upstream-schema.sql");

    static String readRepoFile(String relative) {
        try {
            return Files.readString(Path.of(System.getProperty("loomd.root"), relative));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }


    private StoreFixtures() {}

    /**
     * Writes a stand-in {@code guix} (it runs the daemon module's fake {@code authenticate} and
     * refuses any other subcommand) and the daemon's signing key; returns the program for GUIX.
     */
    static Path fakeGuix(Path root) throws IOException {
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path authenticate = Files.writeString(bin.resolve("fake-authenticate.py"), readRepoFile(
                "daemon/src/test/resources/loomd/daemon/store/auth/fake-authenticate.py"));
        Path script = bin.resolve("guix");
        Files.writeString(script, "#!/bin/sh\n[ \"$*\" = authenticate ] || exit 2\nexec python3 " + authenticate + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path key = Files.createDirectories(root.resolve("etc/guix")).resolve("signing-key.sec");
        Files.writeString(key, "(private-key)");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return script;
    }

    static List<String> storeEntries(Path physicalStore) throws IOException {
        try (Stream<Path> s = Files.list(physicalStore)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * As {@link #storeEntries}, once the lock files of finished adds are gone: the daemon sends their
     * deletion to its locker without waiting, so it may land just after the reply.
     */
    static List<String> settledStoreEntries(Path physicalStore) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> entries = storeEntries(physicalStore);
        while (entries.stream().anyMatch(e -> e.endsWith(".lock")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            entries = storeEntries(physicalStore);
        }
        return entries;
    }
}
