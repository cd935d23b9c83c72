package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.NarWriter;
import loomd.test.support.DaemonFixture;

/**
 * {@code builtin:download} run natively by the real daemon (daemon.md §4.14): no Guile and no
 * {@code guix} anywhere on this machine, a root daemon without build users (where upstream refuses),
 * files served by an HTTP server of the test on loopback, or read from {@code file://}.
 */
class BuiltinDownloadTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> b.env("GUIX_LOG_DIRECTORY", b.root().resolve("log").toString()));

    static final byte[] HELLO = "hello, world of downloads\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    HttpServer server;
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    BuildSession session;

    @BeforeEach
    void setUp() throws Exception {
        session = new BuildSession(daemon);
        client = session.client;
        drvs = new Derivations(daemon.process(), client);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.add(path);
            byte[] body = path.startsWith("/files/") ? HELLO : switch (path) {
                case "/tool" -> HELLO;
                case "/slow/stalled.txt" -> {
                    exchange.sendResponseHeaders(200, 1000);
                    exchange.getResponseBody().write(HELLO);
                    exchange.getResponseBody().flush();
                    try {
                        Thread.sleep(20_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.close();
                    yield null;
                }
                case "/wrong/mismatch.txt" -> "not what was ordered\n".getBytes(StandardCharsets.UTF_8);
                case "/moved/mirrored.txt" -> {
                    exchange.getResponseHeaders().add("Location", "/files/mirrored.txt");
                    exchange.sendResponseHeaders(302, -1);
                    exchange.close();
                    yield null;
                }
                default -> {
                    exchange.sendResponseHeaders(404, -1);
                    exchange.close();
                    yield null;
                }
            };
            if (body != null) {
                exchange.sendResponseHeaders(200, body.length);
                try (var out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    static DerivationOutput flat(byte[] content) {
        return new DerivationOutput("", "sha256", Hash.of(HashAlgorithm.SHA256, content).toBase16());
    }

    String out(Derivation d) {
        return d.outputs().get("out").path();
    }

    String builderOutput() {
        return session.builderOutput();
    }

    List<String> traces(String name) {
        return session.traces(name);
    }

    @Test
    void aListOfUrlsWithAMirrorIsTriedInOrderAndTheOutputRegistered() throws Exception {
        String mirrors = client.addTextToStore("mirrors", "((test \"" + base() + "/nowhere/\" \"" + base()
                + "/moved\"))", List.of());
        Derivation d = drvs.makeBuiltin("mirrored.txt", "builtin:download",
                Map.of("url", "(\"" + base() + "/missing/mirrored.txt\" \"mirror://test/mirrored.txt\")", "mirrors", mirrors),
                List.of(mirrors), flat(HELLO));
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(client.isValidPath(out(d)));
        assertEquals(drv, client.queryPathInfo(out(d)).deriver());
        assertEquals(new String(HELLO), Files.readString(drvs.physical(out(d))));
        assertEquals(List.of("/missing/mirrored.txt", "/nowhere/mirrored.txt", "/moved/mirrored.txt", "/files/mirrored.txt"),
                requests);
        String log = builderOutput();
        assertTrue(log.contains("\nStarting download of " + out(d) + "\nFrom " + base() + "/missing/mirrored.txt...\n"), log);
        assertTrue(log.contains("following redirection to `" + base() + "/files/mirrored.txt'...\n"), log);
        assertEquals(List.of(drv + " -"), traces("build-succeeded"));
        String started = traces("build-started").getFirst();
        assertTrue(started.startsWith(drv + " - x86_64-linux " + daemon.process().root().resolve("log") + "/drvs/"), started);
        String b = drv.substring(Derivations.S.length() + 1);
        assertTrue(Files.size(daemon.process().root().resolve("log/drvs/" + b.substring(0, 2) + "/" + b.substring(2) + ".gz")) > 0);
    }

    @Test
    void aWrongBodyFailsWithUpstreamsHashMismatch() throws Exception {
        Derivation d = drvs.makeBuiltin("mismatch.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/wrong/mismatch.txt\""), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status());
        assertEquals(List.of(out(d) + " sha256 " + Hash.of(HashAlgorithm.SHA256, HELLO).toNixBase32() + " "
                + Hash.of(HashAlgorithm.SHA256, "not what was ordered\n".getBytes()).toNixBase32()), traces("hash-mismatch"));
        assertEquals(List.of(drv + " - 1 hash mismatch for store item '" + out(d) + "'"), traces("build-failed"));
        assertFalse(client.isValidPath(out(d)));
    }

    @Test
    void noWorkingUrlFailsWithUpstreamsMessage() throws Exception {
        Derivation d = drvs.makeBuiltin("absent.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/absent.txt\""), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status(), "a fixed-output failure is transient");
        assertTrue(builderOutput().contains("failed to download \"" + out(d) + "\" from \"" + base() + "/absent.txt\"\n"),
                builderOutput());
        assertEquals(List.of(drv + " - 1 builder for `" + drv + "' failed with exit code 1"), traces("build-failed"));
    }

    @Test
    void aPublicFileUrlIsCopiedAndExecutableHonoured() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("pub"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = Files.write(dir.resolve("tool"), HELLO);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        // Guix makes an executable download recursive: the hash is the NAR's of an executable file
        Path expected = Files.write(tmp.resolve("expected"), HELLO);
        Files.setPosixFilePermissions(expected, PosixFilePermissions.fromString("rwxr-xr-x"));
        Derivation d = drvs.makeBuiltin("tool", "builtin:download",
                Map.of("url", "\"file://" + file + "\"", "executable", "1"), List.of(), recursive(expected));
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(Files.isExecutable(drvs.physical(out(d))));
        assertEquals(new String(HELLO), Files.readString(drvs.physical(out(d))));
    }

    @Test
    void aPrivateFileIsNotHandedOut() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("private"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path file = Files.write(dir.resolve("secret"), HELLO);
        Derivation d = drvs.makeBuiltin("secret", "builtin:download",
                Map.of("url", "\"file://" + file + "\""), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(builderOutput().contains("is not readable by everyone"), builderOutput());
        assertFalse(Files.exists(drvs.physical(out(d))));
    }

    @Test
    void anUnknownBuiltinFailsAsUpstream() throws Exception {
        Derivation d = drvs.makeBuiltin("odd", "builtin:frobnicate", Map.of(), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(builderOutput().contains("error: unsupported builtin function 'frobnicate'\n"), builderOutput());
    }

    @Test
    void guileOnlyMirrorsWithoutGuixFailClearly() throws Exception {
        String cam = client.addTextToStore("content-addressed-mirrors",
                "(list (lambda (file algo hash) (string-append \"" + base() + "/cas/\" (bytevector->nix-base32-string hash))))",
                List.of());
        Derivation d = drvs.makeBuiltin("cas.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/gone/cas.txt\"", "content-addressed-mirrors", cam), List.of(cam), flat(HELLO));
        String drv = drvs.add(d);
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertTrue(builderOutput().contains("error: cannot download `" + out(d) + "' from its content-addressed-mirrors:"
                + " that needs Guile (`guix perform-download'), and no `guix' program is installed\n"), builderOutput());
        assertEquals(List.of("/gone/cas.txt"), requests, "the plain URL first, as upstream");
    }

    @Test
    void aFileGuixDownloadAddedUnderAnotherNameIsCopiedWithoutARequest() throws Exception {
        Path file = Files.write(tmp.resolve("hello.txt"), HELLO);
        String added = client.addToStore("hello.txt", false, "sha256", file); // what `guix download URL' does
        Derivation d = drvs.makeBuiltin("hello-1.0.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/files/hello.txt\""), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(List.of(), requests, "the server saw no request");
        assertEquals(new String(HELLO), Files.readString(drvs.physical(out(d))));
        assertTrue(client.isValidPath(out(d)));
        assertTrue(builderOutput().contains("copying `" + added + "'"), builderOutput());
    }

    @Test
    void aLinksEntryWithTheExpectedNarHashIsCopiedWithoutARequest() throws Exception {
        Path expected = Files.write(tmp.resolve("expected"), HELLO);
        Files.setPosixFilePermissions(expected, PosixFilePermissions.fromString("rwxr-xr-x"));
        DerivationOutput fixed = recursive(expected);
        Path links = Files.createDirectories(daemon.process().physicalStoreDir().resolve(".links"));
        Path link = links.resolve(Hash.parse(HashAlgorithm.SHA256, fixed.hash()).toNixBase32());
        Files.copy(expected, link, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        try {
            Derivation d = drvs.makeBuiltin("linked-tool", "builtin:download",
                    Map.of("url", "\"" + base() + "/tool\"", "executable", "1"), List.of(), fixed);
            String drv = drvs.add(d);
            assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
            assertEquals(List.of(), requests, "the server saw no request");
            assertTrue(Files.isExecutable(drvs.physical(out(d))));
            assertTrue(builderOutput().contains("copying `" + link + "'"), builderOutput());
        } finally {
            Files.deleteIfExists(link);
        }
    }

    @Test
    void aStoreFileWithTheSameNameButOtherContentIsNotUsed() throws Exception {
        Path file = Files.write(tmp.resolve("other.txt"), "other\n".getBytes());
        client.addToStore("other.txt", false, "sha256", file);
        Derivation d = drvs.makeBuiltin("other-2.0.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/files/other.txt\""), List.of(), flat(HELLO));
        assertTrue(client.buildPaths(List.of(drvs.add(d)), BuildMode.NORMAL));
        assertEquals(List.of("/files/other.txt"), requests);
    }

    @Test
    void aStalledDownloadTimesOutWithStatus101() throws Exception {
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false).withTimeout(1));
        Derivation d = drvs.makeBuiltin("stalled.txt", "builtin:download",
                Map.of("url", "\"" + base() + "/slow/stalled.txt\""), List.of(), flat(HELLO));
        String drv = drvs.add(d);
        long t0 = System.nanoTime();
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(101, e.status(), builderOutput() + session.events);
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "stopped long before the server gave up");
        assertEquals(List.of(drv + " - timeout"), traces("build-failed"));
        assertFalse(client.isValidPath(out(d)));
    }

    static DerivationOutput recursive(Path expected) throws Exception {
        var digest = HashAlgorithm.SHA256.newDigest();
        new NarWriter().write(expected, new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), digest));
        return new DerivationOutput("", "r:sha256", Hash.finish(HashAlgorithm.SHA256, digest).toBase16());
    }
}
