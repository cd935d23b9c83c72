package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.StoreDir;
import loomd.protocol.store.StorePathComputer;
import loomd.test.support.DaemonFixture;
import loomd.test.support.RawClient;
import loomd.test.support.TestNar;
import loomd.testkit.Poll;

/**
 * The operations {@link DaemonOperationsTest} leaves out, over a real Unix socket: derivation
 * queries on a registered {@code .drv}, AddToStore with every hash algorithm flat and recursive,
 * the substitute queries (empty, no substituter yet), SubstituteURLs with the untrusted- rule,
 * EnsurePath's temp root, an unsigned import refused with nothing registered, and the ops of later
 * issues (GC, optimise, verify) answered with upstream's text on a session that goes on.
 */
class DaemonMoreOperationsTest {
    static final String HELLO_DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";
    static final String HELLO_OUT = "/gnu/store/acxsk6ndv17qa857zf8mxrrvnmbdg9r8-hello";
    static final String HELLO_DRV_TEXT = "Derive([(\"out\",\"" + HELLO_OUT + "\",\"\",\"\")],[],[],"
            + "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"builder\",\"/bin/sh\"),(\"name\",\"hello\"),"
            + "(\"out\",\"" + HELLO_OUT + "\"),(\"system\",\"x86_64-linux\")])";
    static final String DEFAULT_URLS = "https://bordeaux.guix.gnu.org https://ci.guix.gnu.org";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    static StoreClient client() throws IOException {
        return daemon.client();
    }

    @Test
    void derivationQueries() throws IOException {
        try (StoreClient c = client()) {
            assertEquals(HELLO_DRV, c.addTextToStore("hello.drv", HELLO_DRV_TEXT, List.of()));
            assertEquals(List.of(HELLO_OUT), c.queryDerivationOutputs(HELLO_DRV));
            assertEquals(List.of("out"), c.queryDerivationOutputNames(HELLO_DRV));
            assertEquals(List.of(HELLO_DRV), c.queryValidDerivers(HELLO_OUT));
            assertEquals("", c.queryDeriver(HELLO_DRV));
            DaemonException e = assertThrows(DaemonException.class, () -> c.queryDerivationOutputs(HELLO_OUT + ".drv"));
            assertEquals("path \u2018" + HELLO_OUT + ".drv\u2019 is not valid", e.getMessage());
            assertTrue(c.isValidPath(HELLO_DRV), "the session goes on");
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void addToStoreWithEveryAlgorithmFlatAndRecursive(HashAlgorithm algo) throws Exception {
        StorePathComputer paths = new StorePathComputer(new StoreDir("/gnu/store"));
        byte[] contents = ("contents for " + algo.wireName() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] fileNar = TestNar.file(new String(contents, StandardCharsets.UTF_8));
        byte[] treeNar = TestNar.of(new TestNar.Dir(Map.of("f", new TestNar.File(contents, true))));
        try (StoreClient c = client()) {
            String flat = c.addToStore("flat-" + algo.wireName(), false, algo.wireName(), new ByteArrayInputStream(fileNar));
            assertEquals(paths.makeFixedOutputPath(false, Hash.of(algo, contents), "flat-" + algo.wireName()).toString(), flat);
            String tree = c.addToStore("tree-" + algo.wireName(), true, algo.wireName(), new ByteArrayInputStream(treeNar));
            assertEquals(paths.makeFixedOutputPath(true, Hash.of(algo, treeNar), "tree-" + algo.wireName()).toString(), tree);
            assertEquals(Hash.of(HashAlgorithm.SHA256, treeNar).toBase16(), c.queryPathInfo(tree).narHash());
            assertEquals(treeNar.length, c.queryPathInfo(tree).narSize());
            Path physical = daemon.process().physicalStoreDir().resolve(tree.substring("/gnu/store/".length()));
            assertTrue(Files.isExecutable(physical.resolve("f")));
            assertFalse(Files.isExecutable(daemon.process().physicalStoreDir().resolve(flat.substring("/gnu/store/".length()))));
        }
    }

    @Test
    void queryValidPathsWithManyPathsLeavesTheVirtualThreadAndAnswersTheSame() throws IOException {
        try (StoreClient c = client()) {
            List<String> valid = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                valid.add(c.addTextToStore("many-" + i + ".txt", "many " + i + "\n", List.of()));
            }
            List<String> asked = new java.util.ArrayList<>(valid);
            for (int i = 0; i < 200; i++) {
                asked.add(String.format("/gnu/store/%032d-absent", i));
            }
            // More than the point-read limit (64) of unknown paths: looked up on a scan thread.
            assertEquals(new java.util.TreeSet<>(valid), new java.util.TreeSet<>(c.queryValidPaths(asked)));
        }
    }

    @Test
    void opsOfLaterIssuesAnswerWithUpstreamsTextAndTheSessionGoesOn() throws IOException {
        try (StoreClient c = client()) {
            // Collection is no longer a stub: max-freed 0 with delete-dead does nothing, as upstream.
            assertEquals(List.of(), c.collectGarbage(0).paths());
            assertTrue(c.optimiseStore());
            assertFalse(c.verifyStore(true, false), "an intact store: no errors remain");
            assertEquals(List.of("download", "git-download"), c.builtinBuilders());
        }
    }

    @Test
    void unknownHashTypeIsAnOrdinaryError() throws IOException {
        try (StoreClient c = client()) {
            DaemonException e = assertThrows(DaemonException.class,
                    () -> c.addToStore("x", false, "sha0", new ByteArrayInputStream(TestNar.file("x"))));
            assertEquals("unknown hash type", e.getMessage(), "upstream's Hash constructor text (protocol.md §6.7)");
            assertTrue(c.builtinBuilders().contains("download"), "the session goes on");
        }
    }

    @Test
    void substituteQueriesAreEmptyAndUrlsFollowTheUntrustedRule() throws IOException {
        try (StoreClient c = client()) {
            String text = c.addTextToStore("sub.txt", "s\n", List.of());
            assertFalse(c.hasSubstitutes(text));
            assertNull(c.querySubstitutablePathInfo(text));
            assertEquals(List.of(), c.querySubstitutablePathInfos(List.of(text)));
            assertEquals(List.of(), c.querySubstitutablePaths(List.of(text)));
            assertEquals(List.of(DEFAULT_URLS.split(" ")), c.substituteUrls());
            // An untrusted client's substitute-urls are kept as untrusted-substitute-urls, which
            // SubstituteURLs prefers (upstream's rule).
            c.setOptions(BuildOptions.defaults().withSubstituteUrls(List.of("https://example.org")));
            assertEquals(List.of("https://example.org"), c.substituteUrls());
            c.setOptions(BuildOptions.defaults().withUseSubstitutes(false));
            assertEquals(List.of(), c.substituteUrls());
        }
    }

    @Test
    void ensurePathOfAValidPathAddsATempRootThatGoesWithTheSession() throws Exception {
        String text;
        try (StoreClient c = client()) {
            text = c.addTextToStore("ensured.txt", "e\n", List.of());
            try (StoreClient other = client()) {
                assertTrue(other.ensurePath(text));
                assertEquals(2, tempRootFilesNaming(text), "ensurePath registers a temp root first, as upstream");
                DaemonException e = assertThrows(DaemonException.class,
                        () -> other.ensurePath("/gnu/store/00000000000000000000000000000000-gone"));
                assertEquals("path `/gnu/store/00000000000000000000000000000000-gone' does not exist and cannot be created",
                        e.getMessage());
            }
            awaitTempRootFilesNaming(text, 1); // the ended session's file is removed
        }
        awaitTempRootFilesNaming(text, 0);
    }

    /** How many session temp-roots files name {@code path}. */
    static long tempRootFilesNaming(String path) throws IOException {
        try (Stream<Path> all = Files.list(daemon.process().stateDir().resolve("temproots"))) {
            return all.filter(f -> readQuietly(f).contains(path + "\0")).count();
        }
    }

    static void awaitTempRootFilesNaming(String path, long expected) throws Exception {
        long files = Poll.until(Duration.ofSeconds(5), () -> tempRootFilesNaming(path), n -> n == expected);
        assertEquals(expected, files, "temp-roots files naming " + path);
    }

    static String readQuietly(Path f) {
        try {
            return Files.readString(f, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void unsignedImportIsRefusedAndRegistersNothing() throws IOException {
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        String exported;
        try (StoreClient c = client()) {
            exported = c.addTextToStore("to-export.txt", "exported\n", List.of());
            c.exportPaths(List.of(exported), false, false, bundle);
        }
        String other = "/gnu/store/" + "1".repeat(32) + "-to-export.txt";
        byte[] renamed = bundle.toString(StandardCharsets.ISO_8859_1).replace(exported, other)
                .getBytes(StandardCharsets.ISO_8859_1);
        try (StoreClient c = client()) {
            DaemonException e = assertThrows(DaemonException.class,
                    () -> c.importPaths(new ByteArrayInputStream(renamed)));
            assertEquals("imported archive of `" + other + "' lacks a signature", e.getMessage());
            assertFalse(c.isValidPath(other), "nothing registered");
        }
        try (Stream<Path> entries = Files.list(daemon.process().physicalStoreDir())) {
            assertFalse(entries.anyMatch(p -> p.getFileName().toString().startsWith(".loomd-tmp")), "no temporary left");
        }
    }

    @Test
    void theHandshakeKeepsOrDropsTheReservedSpaceFile() throws IOException {
        Path reserved = daemon.process().dbDir().resolve("reserved");
        try (RawClient c = daemon.raw()) {
            c.handshake(false);
        }
        assertFalse(Files.exists(reserved), "reserveSpace=0 deletes <db>/reserved");
        try (RawClient c = daemon.raw()) {
            c.handshake(true);
        }
        assertEquals(8L << 20, Files.size(reserved), "reserveSpace=1 keeps 8 MiB in <db>/reserved");
    }
}
