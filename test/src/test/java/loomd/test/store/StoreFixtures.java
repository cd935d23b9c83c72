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

    /**
     * A stand-in {@code guix} whose {@code authenticate} speaks the real helper's protocol: it signs
     * by embedding the hash in an s-expression and verifies only signatures it made.
     */
    static final String FAKE_AUTHENTICATE = """
            import sys, os, re
            def field(s, i):
                j = s.index(':', i)
                n = int(s[i:j])
                return s[j+1:j+1+n], j+1+n
            def reply(code, text):
                b = text.encode('latin-1')
                sys.stdout.buffer.write(str(code).encode() + b' ' + str(len(b)).encode() + b':' + b)
                sys.stdout.buffer.flush()
            if sys.argv[1:] != ['authenticate']:
                sys.exit(2)
            for raw in sys.stdin.buffer:
                line = raw.decode('latin-1').rstrip('\\n')
                if line.startswith('sign '):
                    key, i = field(line, 5)
                    hexhash, i = field(line, i + 1)
                    if not os.path.exists(key):
                        reply(500, "cannot read key '%s'" % key); continue
                    reply(0, '(signature (data (hash sha256 #%s#)) (sig-val (ecdsa)) (public-key (ecc)))' % hexhash.upper())
                elif line.startswith('verify '):
                    sig, i = field(line, 7)
                    m = re.search(r'\\(hash sha256 #([0-9A-F]{64})#\\)', sig)
                    reply(0, m.group(1).lower()) if m else reply(500, 'invalid signature')
                else:
                    reply(404, 'unknown command')
            """;

    private StoreFixtures() {}

    /** Writes the fake {@code guix} and the daemon's signing key; returns the program to put in GUIX. */
    static Path fakeGuix(Path root) throws IOException {
        Path script = Files.createDirectories(root.resolve("bin")).resolve("guix");
        Files.writeString(script, "#!/usr/bin/env python3\n" + FAKE_AUTHENTICATE);
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
}
