package loomd.protocol.client;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import loomd.protocol.drv.ATermPrinter;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationHasher;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.drv.DerivationPaths;
import loomd.protocol.store.StoreDir;
import org.junit.jupiter.api.Test;

/**
 * Client-side replay of spec/transcripts: StoreClient, driven like the recorded Guile client,
 * against a peer serving the recorded daemon bytes, must write exactly the recorded client bytes.
 */
class TranscriptReplayTest {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";
    static final String DEP = "/gnu/store/fgmac8yrq6rsczpr3mqb5y8068l5b0s8-dep.txt";
    static final String WITH_REF = "/gnu/store/w53w0kgdj7w5da4aqan9ra5nn938qilb-with-ref.txt";
    static final String EXPORT_ME = "/gnu/store/0xdw6qzwyxqxnkwaxi1inffralzjpijk-export-me.txt";

    interface Scenario {
        void run(StoreClient s, List<String> log) throws Exception;
    }

    private static TranscriptPeer replay(String name, Scenario scenario) throws Exception {
        TranscriptPeer peer = TranscriptPeer.load(name);
        List<String> log = new ArrayList<>();
        try (StoreClient s = peer.open(ClientOptions.DEFAULT.withLog(log::add))) {
            assertEquals(0x164, s.daemonVersion());
            scenario.run(s, log);
        }
        assertEquals(HexFormat.of().formatHex(peer.transcript.clientBytes()),
                HexFormat.of().formatHex(peer.toDaemon.toByteArray()), name + ": client bytes differ");
        assertEquals(0, peer.unreadDaemonBytes(), name + ": daemon bytes left unread");
        return peer;
    }

    @Test
    void handshake01() throws Exception {
        replay("01-handshake", (s, log) -> { });
    }

    @Test
    void addTextNoRefs02() throws Exception {
        replay("02-add-text-no-refs", (s, log) ->
                assertEquals(HELLO, s.addTextToStore("hello.txt", "hello world\n", List.of())));
    }

    @Test
    void addTextWithRefs03() throws Exception {
        replay("03-add-text-with-refs", (s, log) ->
                assertEquals(WITH_REF, s.addTextToStore("with-ref.txt", "uses " + DEP + "\n", List.of(DEP))));
    }

    @Test
    void validPath04() throws Exception {
        replay("04-valid-path", (s, log) -> {
            assertTrue(s.isValidPath(HELLO));
            assertFalse(s.isValidPath("/gnu/store/" + "0".repeat(32) + "-missing"));
        });
    }

    @Test
    void queryPathInfo05() throws Exception {
        replay("05-query-path-info", (s, log) -> {
            PathInfo info = s.queryPathInfo(WITH_REF);
            assertFalse(info.hasDeriver());
            assertEquals(List.of(DEP), info.references());
            assertEquals(1795354639L, info.registrationTime());
            assertEquals(176, info.narSize());
            assertEquals(64, info.narHash().length());
        });
    }

    @Test
    void referencesReferrers06() throws Exception {
        replay("06-references-referrers", (s, log) -> {
            assertEquals(List.of(DEP), s.queryReferences(WITH_REF));
            assertEquals(List.of(), s.queryReferences(DEP));
            assertEquals(List.of(WITH_REF), s.queryReferrers(DEP));
        });
    }

    @Test
    void addToStoreFlat07() throws Exception {
        byte[] nar = TestNar.of(TestNar.file("flat file contents\n", false));
        replay("07-add-to-store-flat", (s, log) -> assertEquals("/gnu/store/gljq0w66x6y9mncwvdkf56jyznnaad97-data.txt",
                s.addToStore("data.txt", false, "sha256", new ByteArrayInputStream(nar))));
    }

    @Test
    void addToStoreRecursive08() throws Exception {
        byte[] nar = TestNar.of(TestNar.dir(Map.of(
                "README", TestNar.file("readme\n", false),
                "run.sh", TestNar.file("#!/bin/sh\necho hi\n", true),
                "link", new TestNar.Symlink("run.sh"))));
        replay("08-add-to-store-recursive", (s, log) -> assertEquals("/gnu/store/yxv3iqx3892q702pmwrzh8jdjqhqhlhd-tree",
                s.addToStore("tree", true, "sha256", new ByteArrayInputStream(nar))));
    }

    @Test
    void addToStoreFromRealFiles07And08(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path data = java.nio.file.Files.writeString(dir.resolve("data.txt"), "flat file contents\n");
        replay("07-add-to-store-flat", (s, log) -> assertEquals("/gnu/store/gljq0w66x6y9mncwvdkf56jyznnaad97-data.txt",
                s.addToStore("data.txt", false, "sha256", data)));
        java.nio.file.Path tree = java.nio.file.Files.createDirectory(dir.resolve("tree"));
        java.nio.file.Files.writeString(tree.resolve("README"), "readme\n");
        java.nio.file.Path run = java.nio.file.Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        java.nio.file.Files.setPosixFilePermissions(run, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        java.nio.file.Files.createSymbolicLink(tree.resolve("link"), java.nio.file.Path.of("run.sh"));
        replay("08-add-to-store-recursive", (s, log) -> assertEquals("/gnu/store/yxv3iqx3892q702pmwrzh8jdjqhqhlhd-tree",
                s.addToStore("tree", true, "sha256", tree)));
    }

    @Test
    void hashPartToPath09() throws Exception {
        replay("09-hash-part-to-path", (s, log) -> {
            assertEquals(HELLO, s.queryPathFromHashPart("3qfa38x5ns7r5wn2mjnd2vnrsj1wircv"));
            assertEquals("", s.queryPathFromHashPart("0".repeat(32)));
        });
    }

    @Test
    void derivationDerivers10() throws Exception {
        String builder = "/gnu/store/7zh56pr1hwycw9s29n1jv03cbz3pgdz5-builder.sh";
        String drvPath = "/gnu/store/g688b80h9mxd5hlza2gbal089q60a91l-simple.drv";
        String out = "/gnu/store/7mm98k1gwj3qhiinb1a3byxyvryg3kqs-simple";
        // What (derivation s "simple" builder '() #:sources (list builder) #:env-vars ...) computes.
        Derivation skeleton = Derivation.of(Map.of("out", DerivationOutput.regular("")), Map.of(), Set.of(builder),
                "x86_64-linux", builder, List.of(), Map.of("FOO", "bar", "out", ""));
        DerivationHasher hasher = new DerivationHasher(p -> { throw new AssertionError(p); });
        Derivation drv = DerivationPaths.withComputedOutputs(skeleton, "simple", StoreDir.DEFAULT, hasher);
        assertEquals(drvPath, DerivationPaths.drvPath(drv, "simple", StoreDir.DEFAULT));
        replay("10-derivation-derivers", (s, log) -> {
            assertEquals(drvPath, s.addTextToStore("simple.drv", ATermPrinter.print(drv), drv.references()));
            assertEquals(List.of(drvPath), s.queryValidDerivers(out));
            assertEquals(List.of(out), s.queryDerivationOutputs(drvPath));
            assertFalse(s.isValidPath(out));
        });
    }

    @Test
    void exportPaths11() throws Exception {
        ByteArrayOutputStream exported = new ByteArrayOutputStream();
        TranscriptPeer peer = replay("11-export-paths", (s, log) -> {
            s.exportPaths(List.of(EXPORT_ME), true, false, exported);
            assertEquals(List.of("exporting path `" + EXPORT_ME + "'\n"), log);
        });
        assertEquals(1000, exported.size());
        // The bundle 12-import-paths feeds back is exactly what the client wrote here.
        assertArrayEquals(bundleFromImportTranscript(), exported.toByteArray());
        byte[] b = exported.toByteArray();
        assertEquals(1, b[0]);
        assertArrayEquals(new byte[8], java.util.Arrays.copyOfRange(b, b.length - 8, b.length));
        assertTrue(peer.toDaemon.size() > 0);
    }

    /** The bytes the client answered STDERR_READ with in 12-import-paths (after their length word). */
    static byte[] bundleFromImportTranscript() throws Exception {
        Transcript t = TranscriptPeer.load("12-import-paths").transcript;
        for (Transcript.Chunk c : t.chunks()) {
            byte[] b = c.bytes();
            if (c.direction() == Transcript.Direction.CLIENT_TO_DAEMON && b.length > 1000) {
                return java.util.Arrays.copyOfRange(b, 8, 8 + 1000);
            }
        }
        throw new AssertionError("no bundle chunk");
    }

    @Test
    void importPaths12() throws Exception {
        byte[] bundle = bundleFromImportTranscript();
        replay("12-import-paths", (s, log) -> {
            assertFalse(s.isValidPath(EXPORT_ME));
            assertEquals(List.of(EXPORT_ME), s.importPaths(new ByteArrayInputStream(bundle)));
            assertTrue(s.isValidPath(EXPORT_ME));
        });
    }

    @Test
    void gcRoots13() throws Exception {
        replay("13-gc-roots", (s, log) -> {
            assertTrue(s.addTempRoot(HELLO));
            assertTrue(s.addIndirectRoot("/tmp/guix-transcript-root"));
            assertEquals(List.of(new GcRoot("/tmp/guix-transcript-root", WITH_REF)), s.findRoots());
        });
    }

    @Test
    void setBuildOptions14() throws Exception {
        BuildOptions options = BuildOptions.defaults()
                .withKeepFailed(true).withKeepGoing(true).withFallback(false)
                .withMaxBuildJobs(2).withBuildCores(4).withTimeout(3600).withMaxSilentTime(600)
                .withUseSubstitutes(false).withVerbosity(1).withOffload(false)
                // The recorded client's environment.
                .withUserName(Optional.of("root")).withTerminalColumns(OptionalInt.of(80))
                .withLocale(Optional.of("C.UTF-8"));
        replay("14-set-build-options", (s, log) -> s.setOptions(options));
    }

    @Test
    void errorNotInStore15() throws Exception {
        replay("15-error-not-in-store", (s, log) -> {
            DaemonException e = assertThrows(DaemonException.class, () -> s.isValidPath("/tmp/not-in-store"));
            assertEquals("path `/tmp/not-in-store' is not in the store", e.getMessage());
            assertEquals(1, e.status());
            assertTrue(s.isValidPath(HELLO));
        });
    }

    @Test
    void invalidHandshake16DaemonClosesSilently() throws Exception {
        TranscriptPeer peer = TranscriptPeer.load("16-invalid-handshake");
        assertEquals(0, peer.transcript.daemonBytes().length);
        assertTrue(peer.transcript.daemonEof());
        // Our client sends the right magic; a daemon that closes without a reply is a clear I/O error.
        assertThrows(java.io.IOException.class, () -> peer.open(ClientOptions.DEFAULT));
        assertArrayEquals(HexFormat.of().parseHex("6378696e00000000"), peer.toDaemon.toByteArray());
    }

    @Test
    void transcriptHeaderIsParsed() throws Exception {
        Transcript t = TranscriptPeer.load("02-add-text-no-refs").transcript;
        assertEquals("02-add-text-no-refs", t.name());
        assertTrue(t.clientEof() && t.daemonEof());
        assertTrue(t.clientCode().stream().anyMatch(l -> l.contains("add-text-to-store s \"hello.txt\"")));
        assertTrue(t.clientOutput().getFirst().contains(HELLO));
        assertTrue(new String(t.clientBytes(), StandardCharsets.ISO_8859_1).contains("hello world\n"));
    }
}
