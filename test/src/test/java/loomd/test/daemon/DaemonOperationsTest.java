package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import loomd.locker.LockMode;
import loomd.locker.LockOwner;
import loomd.locker.LockerClient;
import loomd.locker.LockerFixture;
import loomd.locker.PathLock;
import loomd.locker.Wait;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.GcRoot;
import loomd.protocol.client.PathInfo;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;
import loomd.test.support.DaemonProcess;
import loomd.test.support.TestNar;

/**
 * Every operation the daemon core implements, through the real client over a Unix socket and over
 * TCP on 127.0.0.1, against the real daemon jar on a /gnu/store (logical) store in a temp dir.
 * Expected store paths are the ones upstream produced (transcripts/).
 */
class DaemonOperationsTest {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";
    static final String DEP = "/gnu/store/fgmac8yrq6rsczpr3mqb5y8068l5b0s8-dep.txt";
    static final String WITH_REF = "/gnu/store/w53w0kgdj7w5da4aqan9ra5nn938qilb-with-ref.txt";
    static final String FLAT = "/gnu/store/gljq0w66x6y9mncwvdkf56jyznnaad97-data.txt";
    static final String TREE = "/gnu/store/yxv3iqx3892q702pmwrzh8jdjqhqhlhd-tree";
    static final String MISSING = "/gnu/store/00000000000000000000000000000000-missing";
    static final String DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    enum Transport { UNIX, TCP }

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(DaemonProcess.Builder::tcp);
    /** A collector in another process, for the gc.lock test. */
    @RegisterExtension
    static final LockerFixture collector = new LockerFixture();
    @TempDir static Path root;

    @BeforeAll
    static void addItems() throws IOException {
        try (StoreClient c = connect(Transport.UNIX)) {
            assertEquals(HELLO, c.addTextToStore("hello.txt", "hello world\n", List.of()));
            assertEquals(DEP, c.addTextToStore("dep.txt", "dependency\n", List.of()));
            assertEquals(WITH_REF, c.addTextToStore("with-ref.txt", "uses " + DEP + "\n", List.of(DEP)));
        }
    }

    static StoreClient connect(Transport t) throws IOException {
        return switch (t) {
            case UNIX -> daemon.client();
            case TCP -> StoreClient.connectTcp("127.0.0.1", daemon.process().tcpPort(), ClientOptions.DEFAULT);
        };
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void queries(Transport t) throws IOException {
        try (StoreClient c = connect(t)) {
            assertTrue(c.isValidPath(HELLO));
            assertFalse(c.isValidPath(MISSING));
            assertEquals(List.of(HELLO, DEP), c.queryValidPaths(List.of(DEP, MISSING, HELLO)));
            PathInfo info = c.queryPathInfo(WITH_REF);
            assertEquals("", info.deriver());
            assertEquals(List.of(DEP), info.references());
            assertTrue(info.narSize() > 0);
            assertTrue(Math.abs(info.registrationTime() - System.currentTimeMillis() / 1000) < 3600);
            assertEquals(info.narHash(), c.queryPathHash(WITH_REF));
            assertEquals(List.of(DEP), c.queryReferences(WITH_REF));
            assertEquals(List.of(WITH_REF), c.queryReferrers(DEP));
            assertEquals(List.of(), c.queryReferrers(MISSING));
            assertEquals("", c.queryDeriver(HELLO));
            assertEquals(List.of(), c.queryValidDerivers(HELLO));
            assertEquals(HELLO, c.queryPathFromHashPart("3qfa38x5ns7r5wn2mjnd2vnrsj1wircv"));
            assertEquals("", c.queryPathFromHashPart("3qfa38x5ns7r5wn2mjnd2vnrsj1wirc0"));
            assertTrue(c.queryAllValidPaths().containsAll(List.of(DEP, HELLO, WITH_REF)));
            assertFalse(c.hasSubstitutes(HELLO));
            assertEquals(List.of(), c.querySubstitutablePaths(List.of(HELLO)));
            assertEquals(List.of(), c.querySubstitutablePathInfos(List.of(HELLO)));
            assertEquals(List.of(), c.queryFailedPaths());
            assertTrue(c.clearFailedPaths(List.of("*")));
            assertEquals(List.of("download", "git-download"), c.builtinBuilders());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void errorsKeepTheConnectionUsable(Transport t) throws IOException {
        try (StoreClient c = connect(t)) {
            DaemonException e = assertThrows(DaemonException.class, () -> c.isValidPath("/tmp/not-in-store"));
            assertEquals("path `/tmp/not-in-store' is not in the store", e.getMessage());
            assertEquals(1, e.status());
            e = assertThrows(DaemonException.class, () -> c.queryPathInfo(MISSING));
            assertEquals("path `" + MISSING + "' is not valid", e.getMessage());
            e = assertThrows(DaemonException.class, () -> c.ensurePath(MISSING));
            assertEquals("path `" + MISSING + "' does not exist and cannot be created", e.getMessage());
            assertTrue(c.ensurePath(HELLO));
            assertTrue(c.buildPaths(List.of(HELLO, DEP), BuildMode.NORMAL), "valid store paths: built at once");
            e = assertThrows(DaemonException.class, () -> c.buildPaths(List.of(DRV + "!out"), BuildMode.NORMAL));
            assertEquals("build of `" + DRV + "' failed", e.getMessage(), "a missing derivation fails its build; the connection stays usable");
            assertEquals(1, e.status());
            e = assertThrows(DaemonException.class, () -> c.addTextToStore("x.txt", "x", List.of(MISSING)));
            assertTrue(e.getMessage().contains("is not valid"), e.getMessage());
            assertTrue(c.isValidPath(HELLO));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void addToStoreFlatAndRecursive(Transport t) throws IOException {
        try (StoreClient c = connect(t)) {
            assertEquals(FLAT, c.addToStore("data.txt", false, "sha256",
                    new ByteArrayInputStream(TestNar.file("flat file contents\n"))));
            byte[] tree = TestNar.of(new TestNar.Dir(Map.of(
                    "README", new TestNar.File("readme\n".getBytes(StandardCharsets.UTF_8), false),
                    "run.sh", new TestNar.File("#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), true),
                    "link", new TestNar.Symlink("run.sh"))));
            assertEquals(TREE, c.addToStore("tree", true, "sha256", new ByteArrayInputStream(tree)));
            assertTrue(c.isValidPath(TREE));
            Path physical = daemon.process().physicalStoreDir().resolve(TREE.substring("/gnu/store/".length()));
            assertEquals("readme\n", Files.readString(physical.resolve("README")));
            assertTrue(Files.isExecutable(physical.resolve("run.sh")));
            for (String algo : List.of("md5", "sha1", "sha512")) {
                String p = c.addToStore("data-" + algo, false, algo,
                        new ByteArrayInputStream(TestNar.file("flat file contents\n")));
                assertTrue(c.isValidPath(p), algo);
            }
            DaemonException e = assertThrows(DaemonException.class, () -> c.addToStore("tree", false, "sha256",
                    new ByteArrayInputStream(tree)));
            assertEquals("regular file expected", e.getMessage());
            assertTrue(c.isValidPath(FLAT));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void exportStreamsTheItem(Transport t) throws IOException {
        try (StoreClient c = connect(t)) {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            assertTrue(c.exportPath(HELLO, false, sink));
            String text = sink.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("\r\0\0\0\0\0\0\0nix-archive-1"), "a NAR first");
            assertTrue(text.contains(HELLO));
            assertThrows(DaemonException.class, () -> c.exportPath(MISSING, false, new ByteArrayOutputStream()));
            assertTrue(c.isValidPath(HELLO));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rootsAndOptions(Transport t) throws IOException {
        Path link = root.resolve("root-link-" + t);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(WITH_REF));
        try (StoreClient c = connect(t)) {
            assertTrue(c.addTempRoot(HELLO));
            assertTrue(c.addIndirectRoot(link.toString()));
            assertTrue(c.syncWithGC());
            List<GcRoot> roots = c.findRoots();
            assertTrue(roots.contains(new GcRoot(link.toString(), WITH_REF)), roots.toString());
            c.setOptions(BuildOptions.defaults());
            assertTrue(c.isValidPath(HELLO));
        }
    }

    @Test
    void garbageCollectionIsRefusedOverTcp() throws IOException {
        try (StoreClient c = connect(Transport.TCP)) {
            DaemonException e = assertThrows(DaemonException.class, () -> c.collectGarbage(0));
            assertEquals("Garbage collection is disabled for remote hosts.", e.getMessage());
        }
        try (StoreClient c = connect(Transport.TCP)) {
            assertTrue(c.isValidPath(HELLO));
        }
    }

    /** Upstream's wait message reaches the client (STDERR_NEXT) while a collector holds gc.lock exclusively. */
    @Test
    void syncWithGCTellsTheClientItWaitsForACollector() throws Exception {
        LockerClient locker = collector.client();
        LockOwner gc = locker.newOwner("test collector");
        PathLock held = locker.lock(gc, daemon.process().stateDir().resolve("gc.lock"), LockMode.EXCLUSIVE, Wait.TRY).join();
        assertTrue(held instanceof PathLock.Held, held.toString());
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        // The locker outlives this test: a failure must not leave gc.lock held for the others.
        try (StoreClient c = daemon.client(ClientOptions.DEFAULT.withLog(messages::add))) {
            CompletableFuture<Boolean> sync = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.syncWithGC();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, r -> Thread.ofVirtual().start(r));
            assertEquals("waiting for the big garbage collector lock...\n", messages.poll(10, TimeUnit.SECONDS));
            Thread.sleep(100);
            assertFalse(sync.isDone(), "syncWithGC waits while the collector runs");
            locker.releaseAll(gc).join();
            assertTrue(sync.get(10, TimeUnit.SECONDS));
        } finally {
            locker.releaseAll(gc).join();
        }
    }
}
