package loomd.test.substitute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import loomd.protocol.client.SubstitutableInfo;
import loomd.protocol.client.SubstitutablePathInfo;
import loomd.test.support.DaemonFixture;

/**
 * The co-process mode (daemon.md §5): the queries and substitutions of a session answered through the
 * stand-in {@code guix substitute} over real pipes, started by the daemon's spawner. One daemon for
 * the class: each test uses paths of its own names, and counts helper starts as differences.
 */
class SubstituteHelperTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(FakeSubstituter::install);

    FakeSubstituter fake() {
        return FakeSubstituter.of(daemon.process());
    }

    String path(String name) {
        return FakeSubstituter.path(daemon.process().storeDir(), name, 1);
    }

    @Test
    void queriesAnswerWhatTheHelperSaysWithItsDiagnostics() throws Exception {
        String p = path("hello");
        String drv = path("hello.drv");
        String ref = path("dep");
        fake().serve(p, Map.of("deriver", drv, "references", List.of(ref), "downloadSize", 12, "narSize", 34));
        String absent = path("absent");
        List<String> log = new CopyOnWriteArrayList<>();
        long before = fake().startsOf("--query");
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())))) {
            c.setOptions(BuildOptions.defaults().withUserName(java.util.Optional.of("someone")).withTerminalColumns(
                    java.util.OptionalInt.of(77)));
            assertTrue(c.hasSubstitutes(p));
            assertFalse(c.hasSubstitutes(absent));
            assertEquals(List.of(p), c.querySubstitutablePaths(List.of(absent, p)));
            List<SubstitutablePathInfo> infos = c.querySubstitutablePathInfos(List.of(p, absent));
            assertEquals(List.of(new SubstitutablePathInfo(p, drv, List.of(ref), 12, 34)), infos);
            SubstitutableInfo one = c.querySubstitutablePathInfo(p);
            assertEquals(new SubstitutableInfo(drv, List.of(ref), 12, 34), one);
            assertNull(c.querySubstitutablePathInfo(absent));
        }
        assertTrue(log.stream().anyMatch(l -> l.startsWith("substitute: guix substitute: warning: ACL")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("substitute: guix substitute: warning: authentication")));
        assertEquals(before + 1, fake().startsOf("--query"), "one query helper for the session's six queries");
        String[] start = fake().starts().stream().filter(x -> x[0].equals("--query")).toList().getLast();
        assertTrue(fake().options(start[1]).contains("terminal-columns=77\n"), "the session's options reach the helper");
    }

    @Test
    void ensurePathSubstitutesTheClosureAndRegistersWhatTheQuerySaid() throws Exception {
        String dep = path("dep");
        String top = path("top");
        String drv = path("top.drv");
        fake().serveFile(dep, "dependency\n", List.of(), "");
        fake().serveFile(top, "top uses " + dep + "\n", List.of(dep, top), drv);
        List<String> log = new CopyOnWriteArrayList<>();
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())))) {
            c.setOptions(BuildOptions.defaults().withPrintBuildTrace(true));
            assertTrue(c.ensurePath(top));
            assertTrue(c.isValidPath(dep));
            PathInfo info = c.queryPathInfo(top);
            assertEquals(List.of(dep, top).stream().sorted().toList(), info.references().stream().sorted().toList());
            assertEquals(drv, info.deriver());
            assertEquals(List.of(top), c.queryReferrers(dep));
        }
        Path physical = daemon.process().physicalStoreDir().resolve(Path.of(top).getFileName().toString());
        assertEquals("top uses " + dep + "\n", Files.readString(physical));
        List<String> traces = log.stream().filter(l -> l.startsWith("@ substituter-")).toList();
        assertEquals(List.of("@ substituter-started " + dep + " substitute", "@ substituter-succeeded " + dep,
                "@ substituter-started " + top + " substitute", "@ substituter-succeeded " + top), traces,
                "references first, in dependency order");
        assertTrue(log.contains("@ download-started " + top + " file:/fake/example.nar 136"), log.toString());
    }

    @Test
    void buildPathsOfAPlainPathSubstitutesItAndReportsAFailedOne() throws Exception {
        String good = path("good");
        String bad = path("bad");
        fake().serveFile(good, "good\n", List.of(), "");
        fake().serve(bad, Map.of("status", "not-found"));
        try (StoreClient c = daemon.client()) {
            assertTrue(c.buildPaths(List.of(good), BuildMode.NORMAL));
            assertTrue(c.isValidPath(good));
            DaemonException e = assertThrows(DaemonException.class, () -> c.buildPaths(List.of(bad), BuildMode.NORMAL));
            assertEquals("build of `" + bad + "' failed", e.getMessage());
            assertFalse(c.isValidPath(bad));
            String none = path("nobody-has-it");
            assertTrue(c.buildPaths(List.of(none), BuildMode.NORMAL), "no substituter is not a failure (§9.22)");
        }
    }

    @Test
    void badStatusesFailTheGoalWithUpstreamsTextAndRegisterNothing() throws Exception {
        Map<String, Map<String, Object>> cases = Map.of(
                "not-found", Map.of("status", "not-found"),
                "died", Map.of("die", true),
                "mismatch", Map.of("status", "hash-mismatch sha256 aaaa bbbb"));
        List<String> log = new CopyOnWriteArrayList<>();
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(l -> log.add(l.strip())))) {
            c.setOptions(BuildOptions.defaults().withVerbosity(1).withPrintBuildTrace(true));
            for (var e : cases.entrySet()) {
                String p = path(e.getKey());
                fake().serve(p, e.getValue());
                DaemonException err = assertThrows(DaemonException.class, () -> c.ensurePath(p));
                assertEquals("path `" + p + "' does not exist and cannot be created", err.getMessage());
                assertFalse(c.isValidPath(p));
                assertFalse(Files.exists(daemon.process().physicalStoreDir().resolve(Path.of(p).getFileName())),
                        "nothing left at " + p);
            }
        }
        String nf = path("not-found");
        assertTrue(log.contains("fetching path `" + nf + "' (status: 'not-found')"), log.toString());
        assertTrue(log.contains("@ substituter-failed " + nf + " not-found fetching path `" + nf
                + "' (status: 'not-found')"), log.toString());
        assertTrue(log.contains("fetching path `" + path("died") + "' (empty status)"), log.toString());
        assertTrue(log.contains("hash mismatch for substituted item `" + path("mismatch") + "'"), log.toString());
    }

    @Test
    void aStatusSplitAcrossTwoWritesIsOneStatus() throws Exception {
        String p = path("split");
        fake().serve(p, Map.of("contents", "split\n", "split", true));
        try (StoreClient c = daemon.client()) {
            assertTrue(c.ensurePath(p));
            assertTrue(c.isValidPath(p));
        }
    }

    @Test
    void malformedQueryRepliesGiveUpstreamsErrors() throws Exception {
        String p = path("weird");
        String other = path("other");
        List<String[]> cases = List.of(
                new String[] {"integer expected from stream: many", p, "", "many"},
                new String[] {"path `/tmp/x' is not in the Nix store", p, "", "1", "/tmp/x", "0", "0"},
                new String[] {"got unexpected path `" + other + "' from substituter", other, "", "0", "0", "0"});
        try (StoreClient c = daemon.client()) {
            for (String[] k : cases) {
                fake().serve(p, Map.of("rawInfo", List.of(k).subList(1, k.length)));
                DaemonException e = assertThrows(DaemonException.class,
                        () -> c.querySubstitutablePathInfos(List.of(p)));
                assertEquals(k[0], e.getMessage());
                assertFalse(c.isValidPath(p), "the session goes on");
            }
            fake().serve(p, Map.of("narSize", 5));
            assertEquals(5, c.querySubstitutablePathInfos(List.of(p)).get(0).narSize(), "a fresh helper after errors");
        }
    }

    @Test
    void manySessionsQueryingAtOnceShareASmallPool() throws Exception {
        String p = path("popular");
        fake().serve(p, Map.of("narSize", 1));
        long before = fake().startsOf("--query");
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 64; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (StoreClient c = daemon.client()) {
                    assertTrue(c.hasSubstitutes(p));
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertEquals(List.of(), errors);
        long started = fake().startsOf("--query") - before;
        assertTrue(started <= 2, "query helpers started for 64 sessions: " + started);
    }

    /** 1 MiB of diagnostics before the first reply: drained while the helper talks (§9.11), all forwarded. */
    @Test
    void aChattyHelperDoesNotBlock() throws Exception {
        Path chatty = fake().dir().resolve("chatty");
        Files.writeString(chatty, Integer.toString(1 << 20));
        String p = path("chatty");
        fake().serve(p, Map.of("narSize", 1));
        List<String> log = new CopyOnWriteArrayList<>();
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(log::add))) {
            // options of its own, so that this session gets a helper started now, with the chatty file
            c.setOptions(BuildOptions.defaults().withTerminalColumns(java.util.OptionalInt.of(123)));
            assertTrue(c.hasSubstitutes(p));
        } finally {
            Files.delete(chatty);
        }
        int received = log.stream().mapToInt(String::length).sum();
        assertTrue(received > (1 << 20), "diagnostics forwarded: " + received);
    }

    /**
     * Repair through the helper (§5, repair mode: it writes the path's {@code .tmp} sibling): the new
     * tree takes the damaged one's place in one swap, a directory too (a replacing rename cannot
     * move a directory onto a non-empty one), canonical, and nothing stays beside it.
     */
    @Test
    void aDamagedDirectoryIsRepairedThroughTheHelper() throws Exception {
        String p = path("repair-dir");
        fake().serve(p, Map.of("directory", List.of("file", "inside the directory\n"), "references", List.of(),
                "deriver", "", "narSize", 1234));
        Path physical = daemon.process().physicalStoreDir().resolve(Path.of(p).getFileName().toString());
        Path file = physical.resolve("file");
        try (StoreClient c = daemon.client()) {
            assertTrue(c.ensurePath(p));
            Files.setAttribute(file, "unix:mode", 0644);
            Files.writeString(file, "damaged\n");
            assertTrue(c.verifyStore(true, false), "the damage is seen");
            assertTrue(c.buildPaths(List.of(p), BuildMode.REPAIR));
            assertFalse(c.verifyStore(true, false), "no errors remain");
        }
        assertEquals("inside the directory\n", Files.readString(file));
        assertEquals(0555, (int) Files.getAttribute(physical, "unix:mode") & 07777);
        assertEquals(0444, (int) Files.getAttribute(file, "unix:mode") & 07777);
        assertFalse(Files.exists(physical.resolveSibling(physical.getFileName() + ".tmp")), "the damaged tree is gone");
    }
}
