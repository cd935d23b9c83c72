package loomd.test.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/** Shared pieces of the store integration tests. */
final class StoreFixtures {
    /** Upstream's nix/libstore/schema.sql, verbatim. */
    static final String UPSTREAM_SCHEMA = """
            create table if not exists ValidPaths (
                id               integer primary key autoincrement not null,
                path             text unique not null,
                hash             text not null,
                registrationTime integer not null,
                deriver          text,
                narSize          integer
            );

            create table if not exists Refs (
                referrer  integer not null,
                reference integer not null,
                primary key (referrer, reference),
                foreign key (referrer) references ValidPaths(id) on delete cascade,
                foreign key (reference) references ValidPaths(id) on delete restrict
            );

            create index if not exists IndexReferrer on Refs(referrer);
            create index if not exists IndexReference on Refs(reference);

            -- Paths can refer to themselves, causing a tuple (N, N) in the Refs
            -- table.  This causes a deletion of the corresponding row in
            -- ValidPaths to cause a foreign key constraint violation (due to `on
            -- delete restrict' on the `reference' column).  Therefore, explicitly
            -- get rid of self-references.
            create trigger if not exists DeleteSelfRefs before delete on ValidPaths
              begin
                delete from Refs where referrer = old.id and reference = old.id;
              end;

            create table if not exists DerivationOutputs (
                drv  integer not null,
                id   text not null, -- symbolic output id, usually "out"
                path text not null,
                primary key (drv, id),
                foreign key (drv) references ValidPaths(id) on delete cascade
            );

            create index if not exists IndexDerivationOutputs on DerivationOutputs(path);

            create table if not exists FailedPaths (
                path text primary key not null,
                time integer not null
            );
            """;

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
