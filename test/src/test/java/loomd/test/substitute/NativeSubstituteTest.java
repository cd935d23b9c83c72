package loomd.test.substitute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import loomd.protocol.client.SubstitutablePathInfo;
import loomd.test.support.DaemonFixture;

/**
 * The daemon's own substituter ({@code --substituter=native}) against real HTTP servers on loopback
 * ({@link NarServer}): narinfos signed with Ed25519 keys made here, the ACL under the daemon's
 * configuration directory naming only {@link #GOOD}. Each test names its own paths and picks its
 * servers through the session's {@code substitute-urls}.
 */
class NativeSubstituteTest {
    static final String STORE = "/gnu/store";
    static final NarServer.Key GOOD = key();
    static final NarServer.Key STRANGER = key();
    static final NarServer SERVER = server();
    static final NarServer OTHER = server();

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> {
        Path conf = Files.createDirectories(b.root().resolve("etc/guix"));
        Files.writeString(conf.resolve("acl"), NarServer.acl(GOOD));
        return b.args("--substituter=native").env("GUIX_CONFIGURATION_DIRECTORY", conf.toString());
    });

    @AfterAll
    static void stopServers() {
        SERVER.close();
        OTHER.close();
    }

    private static NarServer.Key key() {
        try {
            return NarServer.Key.generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static NarServer server() {
        try {
            return new NarServer(STORE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String path(String name) {
        return FakeSubstituter.path(STORE, name, 7);
    }

    static NarServer.Item item(String name, String contents, String... refs) {
        return new NarServer.Item(path(name), contents.getBytes(), List.of(refs), "", "zstd");
    }

    final List<String> log = new CopyOnWriteArrayList<>();

    StoreClient client(String... urls) throws Exception {
        StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())));
        c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withSubstituteUrls(List.of(urls)));
        return c;
    }

    Path physical(String path) {
        return daemon.process().physicalStoreDir().resolve(Path.of(path).getFileName().toString());
    }

    @Test
    void eachCompressionIsFetchedCheckedAndRegisteredWithTheNarinfosReferences() throws Exception {
        String dep = path("dep-c");
        NarServer.Item depItem = new NarServer.Item(dep, "dependency\n".getBytes(), List.of(), "", "none");
        SERVER.publish(depItem, GOOD);
        for (String method : List.of("none", "gzip", "zstd", "lzip", "xz", "bzip2")) {
            NarServer.Item it = new NarServer.Item(path("top-" + method), ("top " + method + " " + dep).getBytes(),
                    List.of(dep), path("top-" + method + ".drv"), method);
            byte[] nar = SERVER.publish(it, GOOD);
            try (StoreClient c = client(SERVER.url())) {
                assertTrue(c.hasSubstitutes(it.path()), method);
                assertTrue(c.ensurePath(it.path()), method);
                PathInfo info = c.queryPathInfo(it.path());
                assertEquals(HexFormat.of().formatHex(NarServer.sha256(nar)), info.narHash().replace("sha256:", ""));
                assertEquals(nar.length, info.narSize());
                assertEquals(List.of(dep), info.references());
                assertEquals(it.deriver(), info.deriver());
            }
            assertArrayEquals(it.contents(), Files.readAllBytes(physical(it.path())), method);
        }
        assertTrue(log.contains("@ substituter-succeeded " + path("top-lzip")), log.toString());
    }

    @Test
    void queriesAnswerFromTheNarinfos() throws Exception {
        NarServer.Item it = new NarServer.Item(path("q"), "queried\n".getBytes(), List.of(path("q-ref")),
                path("q.drv"), "gzip");
        byte[] nar = SERVER.publish(it, GOOD);
        String absent = path("q-absent");
        try (StoreClient c = client(SERVER.url())) {
            assertEquals(List.of(it.path()), c.querySubstitutablePaths(List.of(absent, it.path())));
            List<SubstitutablePathInfo> infos = c.querySubstitutablePathInfos(List.of(it.path(), absent));
            assertEquals(1, infos.size());
            SubstitutablePathInfo i = infos.getFirst();
            assertEquals(it.deriver(), i.deriver());
            assertEquals(it.references(), i.references());
            assertEquals(nar.length, i.narSize());
            assertTrue(i.downloadSize() > 0);
            assertFalse(c.hasSubstitutes(absent));
        }
    }

    @Test
    void unsignedForeignKeyAndForgedNarinfosAreNotSubstitutable() throws Exception {
        NarServer.Item unsigned = item("unsigned", "u\n");
        SERVER.publish(unsigned, null);
        NarServer.Item foreign = item("foreign", "f\n");
        SERVER.publish(foreign, STRANGER);
        NarServer.Item forged = item("forged", "forged\n");
        byte[] nar = SERVER.publish(forged, GOOD);
        // The signature covers the original text; a changed NarSize no longer matches it.
        String text = SERVER.narinfo(forged, "nar/zstd/" + SERVER.hashPart(forged.path()) + ".nar", nar, 1);
        String signedOther = NarServer.signed(text, GOOD).replace("FileSize: 1\n", "FileSize: 2\n");
        SERVER.putNarinfo(forged.path(), signedOther, NarServer.Behaviour.NORMAL);
        try (StoreClient c = client(SERVER.url())) {
            for (NarServer.Item it : List.of(unsigned, foreign, forged)) {
                assertFalse(c.hasSubstitutes(it.path()), it.path());
                assertTrue(c.buildPaths(List.of(it.path()), BuildMode.NORMAL), "no substituter: not a failure");
                assertFalse(c.isValidPath(it.path()));
            }
        }
        String daemonLog = daemon.process().log();
        assertTrue(daemonLog.contains("lacks a signature"), daemonLog);
        assertTrue(daemonLog.contains("is signed by an unauthorized party"), daemonLog);
        assertTrue(daemonLog.contains("hash mismatch for substitute at"), daemonLog);
    }

    @Test
    void aNarThatDiffersFromItsNarinfoIsRejectedAndNothingIsRegistered() throws Exception {
        NarServer.Item liar = item("liar", "the real contents\n");
        SERVER.publish(liar, GOOD);
        byte[] other = NarServer.compress("zstd", NarServer.nar("other contents!!\n".getBytes()));
        SERVER.put("nar/zstd/" + SERVER.hashPart(liar.path()) + ".nar", other, NarServer.Behaviour.NORMAL);
        // A NAR bomb: 32 MiB of zeros, a few KiB compressed, under a narinfo that declares 100 bytes.
        NarServer.Item bomb = item("bomb", "");
        byte[] big = NarServer.nar(new byte[32 << 20]);
        String bombNar = "nar/zstd/bomb.nar";
        byte[] packed = NarServer.compress("zstd", big);
        SERVER.put(bombNar, packed, NarServer.Behaviour.NORMAL);
        String text = SERVER.narinfo(bomb, bombNar, big, packed.length).replaceFirst("NarSize: [0-9]+", "NarSize: 100");
        SERVER.putNarinfo(bomb.path(), NarServer.signed(text, GOOD), NarServer.Behaviour.NORMAL);
        try (StoreClient c = client(SERVER.url())) {
            for (NarServer.Item it : List.of(liar, bomb)) {
                Exception e = assertThrows(Exception.class, () -> c.buildPaths(List.of(it.path()), BuildMode.NORMAL));
                assertEquals("build of `" + it.path() + "' failed", e.getMessage());
                assertFalse(c.isValidPath(it.path()));
                assertFalse(Files.exists(physical(it.path())));
                assertTrue(log.stream().anyMatch(l -> l.startsWith("@ substituter-failed " + it.path() + " hash-mismatch sha256 ")
                        && l.endsWith(" hash mismatch for substituted item `" + it.path() + "'")), log.toString());
            }
        }
        assertTrue(log.stream().anyMatch(l -> l.startsWith("@ hash-mismatch " + liar.path() + " sha256 ")), log.toString());
        assertEquals(List.of(), tempEntries(), "no staged tree left behind");
    }

    /** Neither the path nor any staged tree is in the store. */
    void assertNothingLeftOf(String path) throws IOException {
        assertFalse(Files.exists(physical(path)));
        assertEquals(List.of(), tempEntries());
    }

    List<String> tempEntries() throws IOException {
        try (Stream<Path> s = Files.list(daemon.process().physicalStoreDir())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.matches("[0-9a-z]{32}-.*") && !n.equals(".links"))
                    .toList();
        }
    }

    @Test
    void aTruncatedNarFromTheFirstServerIsFetchedFromTheNext() throws Exception {
        NarServer.Item it = item("truncated", "x".repeat(200_000));
        it = it.with("none");
        SERVER.publish(it, GOOD);
        OTHER.publish(it, GOOD);
        String nar = "nar/none/" + SERVER.hashPart(it.path()) + ".nar";
        byte[] body = NarServer.nar(it.contents());
        SERVER.put(nar, body, new NarServer.Behaviour(200, 0, body.length / 2, 0, ""));
        try (StoreClient c = client(SERVER.url(), OTHER.url())) {
            assertTrue(c.ensurePath(it.path()));
        }
        assertEquals(1, SERVER.requestsFor(SERVER.hashPart(it.path()) + ".nar"));
        assertEquals(1, OTHER.requestsFor(SERVER.hashPart(it.path()) + ".nar"));
        assertArrayEquals(it.contents(), Files.readAllBytes(physical(it.path())));
        assertTrue(log.stream().anyMatch(l -> l.contains("download from '" + SERVER.url())), log.toString());
    }

    @Test
    void aTruncatedNarWithNoAlternativeFailsAndLeavesNothing() throws Exception {
        NarServer.Item it = item("cut", "y".repeat(100_000)).with("none");
        SERVER.publish(it, GOOD);
        byte[] body = NarServer.nar(it.contents());
        SERVER.put("nar/none/" + SERVER.hashPart(it.path()) + ".nar", body,
                new NarServer.Behaviour(200, 0, 1000, 0, ""));
        try (StoreClient c = client(SERVER.url())) {
            Exception e = assertThrows(Exception.class, () -> c.buildPaths(List.of(it.path()), BuildMode.NORMAL));
            assertEquals("build of `" + it.path() + "' failed", e.getMessage());
            assertFalse(c.isValidPath(it.path()));
        }
        assertNothingLeftOf(it.path());
    }

    @Test
    void urlsAreTriedInOrderAndADeadServerIsSkipped() throws Exception {
        NarServer.Item it = item("ordered", "in order\n");
        SERVER.publish(it, GOOD);
        OTHER.publish(it, GOOD);
        String dead = "http://127.0.0.1:" + loomd.test.support.DaemonProcess.freePort();
        try (StoreClient c = client(dead, OTHER.url(), SERVER.url())) {
            assertTrue(c.ensurePath(it.path()));
        }
        assertEquals(1, OTHER.requestsFor(OTHER.hashPart(it.path()) + ".nar"), "the first live server serves it");
        assertEquals(0, SERVER.requestsFor(SERVER.hashPart(it.path()) + ".nar"));
    }

    @Test
    void aMissingNarinfoIsCachedForItsMaxAgeThenAskedAgain() throws Exception {
        NarServer.Item it = item("later", "published later\n");
        SERVER.putNarinfo(it.path(), "", new NarServer.Behaviour(404, 0, -1, 0, "max-age=2"));
        try (StoreClient c = client(SERVER.url())) {
            assertFalse(c.hasSubstitutes(it.path()));
            SERVER.publish(it, GOOD);
            assertFalse(c.hasSubstitutes(it.path()), "the 404 is still cached");
            assertEquals(1, SERVER.requestsFor(SERVER.hashPart(it.path()) + ".narinfo"));
            Thread.sleep(2500);
            assertTrue(c.hasSubstitutes(it.path()), "asked again once the negative answer expired");
            assertTrue(c.hasSubstitutes(it.path()));
            assertEquals(2, SERVER.requestsFor(SERVER.hashPart(it.path()) + ".narinfo"), "the positive answer is cached");
        }
    }

    @Test
    void aClosureOfFiftyPathsArrivesInDependencyOrderWithOneDownloadEach() throws Exception {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            List<String> refs = new ArrayList<>();
            if (i > 0) refs.add(paths.get(i - 1));
            if (i > 3) refs.add(paths.get(i / 2));
            NarServer.Item it = new NarServer.Item(path("chain-" + i), ("link " + i + refs).getBytes(), refs, "", "zstd");
            SERVER.publish(it, GOOD);
            paths.add(it.path());
        }
        String top = paths.getLast();
        try (StoreClient a = client(SERVER.url()); StoreClient b = client(SERVER.url())) {
            Thread other = Thread.ofVirtual().start(() -> {
                try {
                    b.ensurePath(top);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(a.ensurePath(top));
            other.join();
            for (String p : paths) assertTrue(a.isValidPath(p), p);
        }
        List<String> order = SERVER.requests.stream().filter(r -> r.startsWith("/nar/zstd/")).toList();
        List<Integer> seen = new ArrayList<>();
        for (String r : order) {
            for (int i = 0; i < 50; i++) {
                if (r.contains(SERVER.hashPart(paths.get(i)))) seen.add(i);
            }
        }
        List<Integer> chain = List.copyOf(seen);
        assertEquals(Set.copyOf(chain).size(), 50, "every path downloaded: " + chain);
        assertEquals(50, chain.size(), "one download per path even with two sessions: " + chain);
        for (int k = 1; k < chain.size(); k++) assertTrue(chain.get(k) > chain.get(k - 1), "dependency order: " + chain);
    }

    @Test
    void aLookupDoesNotWaitBehindTheNarDownloadsOfItsServer() throws Exception {
        try (NarServer busy = new NarServer(STORE)) {
            List<String> leaves = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                NarServer.Item it = item("busy-" + i, "busy " + i + "\n");
                busy.publish(it, GOOD);
                busy.put(busy.narName(it), busy.compressedNar(it), new NarServer.Behaviour(200, 4000, -1, 0, ""));
                leaves.add(it.path());
            }
            NarServer.Item top = new NarServer.Item(path("busy-top"), "top\n".getBytes(), leaves, "", "zstd");
            busy.publish(top, GOOD);
            NarServer.Item asked = item("asked-meanwhile", "asked\n");
            busy.publish(asked, GOOD);
            try (StoreClient a = client(busy.url()); StoreClient b = client(busy.url())) {
                Thread fetching = Thread.ofVirtual().start(() -> {
                    try {
                        a.ensurePath(top.path());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (busy.requests.stream().filter(r -> r.startsWith("/nar/")).count() < 8
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                long start = System.nanoTime();
                assertTrue(b.querySubstitutablePathInfo(asked.path()) != null);
                long millis = (System.nanoTime() - start) / 1_000_000;
                // Before, the narinfo waited for one of the 8 permits the slow NARs held (4 s each).
                assertTrue(millis < 2500, "the narinfo answered in " + millis + " ms while 8 NARs were pending");
                fetching.join();
                assertTrue(a.isValidPath(top.path()));
            }
        }
    }

    @Test
    void aKeyAuthorizedWhileTheDaemonRunsIsTrustedAtTheNextLookup() throws Exception {
        NarServer.Item it = item("authorized-later", "later\n");
        SERVER.publish(it, STRANGER);
        Path acl = daemon.process().root().resolve("etc/guix/acl");
        try (StoreClient c = client(SERVER.url())) {
            assertFalse(c.hasSubstitutes(it.path()), "signed by a key the ACL does not name");
            try {
                replace(acl, NarServer.acl(GOOD, STRANGER));
                assertTrue(c.hasSubstitutes(it.path()), "the new ACL is read, not a cached one");
            } finally {
                replace(acl, NarServer.acl(GOOD));
            }
            assertFalse(c.hasSubstitutes(it.path()), "and the key's removal too");
        }
    }

    /** As {@code guix archive --authorize} does: a new file renamed over the old one. */
    static void replace(Path file, String text) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".new");
        Files.writeString(next, text);
        Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aSilentServerTimesOutAndAHangUpMidDownloadLeavesNothing() throws Exception {
        NarServer.Item slow = item("slow", "z".repeat(300_000)).with("none");
        SERVER.publish(slow, GOOD);
        byte[] body = NarServer.nar(slow.contents());
        SERVER.put("nar/none/" + SERVER.hashPart(slow.path()) + ".nar", body,
                new NarServer.Behaviour(200, 0, 1000, 30_000, ""));
        long start = System.nanoTime();
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())))) {
            c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMaxSilentTime(1)
                    .withSubstituteUrls(List.of(SERVER.url())));
            assertThrows(Exception.class, () -> c.buildPaths(List.of(slow.path()), BuildMode.NORMAL));
            assertFalse(c.isValidPath(slow.path()));
        }
        assertTrue(System.nanoTime() - start < 15_000_000_000L, "timed out after about a second of silence");
        assertTrue(log.contains("@ substituter-failed " + slow.path() + " timeout"), log.toString());

        NarServer.Item hung = item("hung", "h".repeat(300_000)).with("none");
        SERVER.publish(hung, GOOD);
        SERVER.put("nar/none/" + SERVER.hashPart(hung.path()) + ".nar", NarServer.nar(hung.contents()),
                new NarServer.Behaviour(200, 0, 1000, 30_000, ""));
        StoreClient c = client(SERVER.url());
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                c.ensurePath(hung.path());
            } catch (IOException ignored) {
                // the connection is closed under it
            }
        });
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (SERVER.requestsFor(SERVER.hashPart(hung.path()) + ".nar") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        c.close();
        t.join(10_000);
        Thread.sleep(1500);
        try (StoreClient check = client(SERVER.url())) {
            assertFalse(check.isValidPath(hung.path()));
        }
        assertNothingLeftOf(hung.path());
    }

    @Test
    void aNarinfoWhoseUrlClimbsOutOfTheCacheIsRefused() throws Exception {
        NarServer.Item it = item("climb", "c\n");
        byte[] nar = SERVER.publish(it, GOOD);
        String text = SERVER.narinfo(it, "../../etc/passwd", nar, 10);
        SERVER.putNarinfo(it.path(), NarServer.signed(text, GOOD), NarServer.Behaviour.NORMAL);
        try (StoreClient c = client(SERVER.url())) {
            assertFalse(c.hasSubstitutes(it.path()));
        }
        assertTrue(daemon.process().log().contains("invalid URL in narinfo: ../../etc/passwd"), daemon.process().log());
    }

    /** Overwrites the (read-only) file {@code path} in place, as a disk fault or a stray write would. */
    void corrupt(String path) throws IOException {
        Path file = physical(path);
        Files.setAttribute(file, "unix:mode", 0644);
        Files.writeString(file, "corrupted contents\n");
        Files.setAttribute(file, "unix:mode", 0444);
    }

    @Test
    void aCorruptedValidPathIsRepairedFromASubstituteByVerifyAndByBuild() throws Exception {
        NarServer.Item it = item("repair-me", "the good contents\n".repeat(100));
        byte[] nar = SERVER.publish(it, GOOD);
        try (StoreClient c = client(SERVER.url())) {
            assertTrue(c.ensurePath(it.path()));
            corrupt(it.path());
            assertTrue(c.verifyStore(true, false), "the damage is seen");
            log.clear();
            assertFalse(c.verifyStore(true, true), "repaired: no errors remain " + log);
            assertArrayEquals(it.contents(), Files.readAllBytes(physical(it.path())));
            assertTrue(log.contains("@ substituter-succeeded " + it.path()), log.toString());
            corrupt(it.path());
            assertTrue(c.buildPaths(List.of(it.path()), BuildMode.REPAIR));
            assertArrayEquals(it.contents(), Files.readAllBytes(physical(it.path())));
            assertFalse(c.verifyStore(true, false), "the row still matches the contents");
            assertEquals(HexFormat.of().formatHex(NarServer.sha256(nar)),
                    c.queryPathInfo(it.path()).narHash().replace("sha256:", ""));
        }
        assertEquals(2, SERVER.requestsFor(SERVER.hashPart(it.path()) + ".nar") - 1, "one download per repair");
        assertEquals(List.of(), tempEntries(), "the damaged tree is gone");
    }

    @Test
    void aDirectoryIsRepairedInPlaceAndStaysReadOnly() throws Exception {
        NarServer.Item it = item("repair-dir", "");
        SERVER.publishNar(it, NarServer.directoryNar("file", "inside the directory\n".getBytes()), GOOD);
        try (StoreClient c = client(SERVER.url())) {
            assertTrue(c.ensurePath(it.path()));
            Path file = physical(it.path()).resolve("file");
            Files.setAttribute(file, "unix:mode", 0644);
            Files.writeString(file, "damaged\n");
            assertTrue(c.verifyStore(true, false), "the damage is seen");
            assertFalse(c.verifyStore(true, true), "repaired: no errors remain " + log);
            assertEquals("inside the directory\n", Files.readString(file));
            assertEquals(0555, (int) Files.getAttribute(physical(it.path()), "unix:mode") & 07777);
            assertEquals(0444, (int) Files.getAttribute(file, "unix:mode") & 07777);
        }
        assertEquals(List.of(), tempEntries(), "the damaged tree is gone");
    }

    @Test
    void extendedTracesReportTheDownloadAsGuixSubstituteDoes() throws Exception {
        NarServer.Item it = item("traced", "t".repeat(50_000));
        SERVER.publish(it, GOOD);
        NarServer.Item quiet = item("untraced", "q".repeat(50_000));
        SERVER.publish(quiet, GOOD);
        String url = SERVER.url() + "/" + SERVER.narName(it);
        long size = SERVER.compressedNar(it).length;
        try (StoreClient c = client(SERVER.url())) {
            c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withPrintExtendedBuildTrace(true)
                    .withSubstituteUrls(List.of(SERVER.url())));
            assertTrue(c.ensurePath(it.path()));
        }
        String head = it.path() + " " + url + " " + size;
        List<String> downloads = log.stream().filter(l -> l.startsWith("@ download-")).toList();
        assertEquals("@ download-started " + head, downloads.getFirst(), log.toString());
        assertEquals(List.of("@ download-progress " + head + " " + size, "@ download-succeeded " + head),
                downloads.subList(downloads.size() - 2, downloads.size()), log.toString());
        assertTrue(log.indexOf("@ substituter-started " + it.path() + " substitute") < log.indexOf(downloads.getFirst()));
        log.clear();
        try (StoreClient c = client(SERVER.url())) {
            assertTrue(c.ensurePath(quiet.path()));
        }
        assertTrue(log.contains("@ substituter-succeeded " + quiet.path()), log.toString());
        assertEquals(List.of(), log.stream().filter(l -> l.startsWith("@ download-")).toList(), "not asked for");
    }

    @Test
    void substitutedFilesOfEightKibAndMoreAreDeduplicated() throws Exception {
        String big = "shared and large\n".repeat(1000);
        NarServer.Item a = item("dedup-a", big);
        NarServer.Item b = item("dedup-b", big).with("gzip");
        NarServer.Item small = item("dedup-small", "small\n");
        NarServer.Item small2 = item("dedup-small2", "small\n");
        for (NarServer.Item it : List.of(a, b, small, small2)) SERVER.publish(it, GOOD);
        try (StoreClient c = client(SERVER.url())) {
            for (NarServer.Item it : List.of(a, b, small, small2)) assertTrue(c.ensurePath(it.path()));
        }
        assertEquals(Files.getAttribute(physical(a.path()), "unix:ino"), Files.getAttribute(physical(b.path()), "unix:ino"));
        assertEquals(3, Files.getAttribute(physical(a.path()), "unix:nlink"), "both paths and the .links entry");
        assertEquals(1, Files.getAttribute(physical(small.path()), "unix:nlink"), "under 8 KiB: left alone");
    }
}
