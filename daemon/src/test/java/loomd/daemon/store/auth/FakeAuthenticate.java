package loomd.daemon.store.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Writes a stand-in for {@code guix authenticate} that speaks the real helper's line protocol:
 * {@code sign} checks that the key file exists and answers an s-expression holding the hash;
 * {@code verify} answers the hash inside a signature it made, and code 500 for anything else
 * (an untrusted or forged signature). Replies carry no trailing newline, as the real helper's.
 */
public final class FakeAuthenticate {
    private static final String SCRIPT = """
            import sys, os, re
            def field(s, i):
                j = s.index(':', i)
                n = int(s[i:j])
                return s[j+1:j+1+n], j+1+n
            def reply(code, text):
                b = text.encode('latin-1')
                sys.stdout.buffer.write(str(code).encode() + b' ' + str(len(b)).encode() + b':' + b)
                sys.stdout.buffer.flush()
            for raw in sys.stdin.buffer:
                line = raw.decode('latin-1').rstrip('\\n')
                try:
                    if line.startswith('sign '):
                        key, i = field(line, 5)
                        hexhash, i = field(line, i + 1)
                        if not os.path.exists(key):
                            reply(500, "cannot read key file '%s'" % key); continue
                        reply(0, '(signature (data (flags rfc6979) (hash sha256 #%s#)) (sig-val (ecdsa)) (public-key (ecc)))' % hexhash.upper())
                    elif line.startswith('verify '):
                        sig, i = field(line, 7)
                        m = re.search(r'\\(hash sha256 #([0-9A-F]{64})#\\)', sig)
                        if m and 'public-key (ecc)' in sig:
                            reply(0, m.group(1).lower())
                        else:
                            reply(500, 'invalid signature')
                    else:
                        reply(404, 'unknown command')
                except Exception as e:
                    reply(500, str(e))
            """;

    private FakeAuthenticate() {}

    /** Writes the helper into {@code dir}; returns the command line to configure. */
    public static List<String> write(Path dir) throws IOException {
        Path script = dir.resolve("fake-authenticate.py");
        Files.writeString(script, SCRIPT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return List.of("python3", script.toString());
    }
}
