package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.store.LocalStore;
import loomd.daemon.store.PathInfo;
import loomd.daemon.store.TestStores;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/** {@link OutputRegistrar} over a real store: outputs built in a "container" directory, moved and registered. */
class OutputRegistrarTest {
    static final String S = "/gnu/store";
    static final String DRV = S + "/00000000000000000000000000000000-thing.drv";
    static final String OUT = S + "/11111111111111111111111111111111-thing";
    static final String LIB = S + "/22222222222222222222222222222222-thing-lib";

    @TempDir
    Path dir;
    LocalStore store;
    String dep;
    Path container;

    @BeforeEach
    void open() throws Exception {
        store = TestStores.open(TestStores.config(dir));
        try (var roots = store.roots().openSessionRoots()) {
            dep = store.adds().addTextToStore("dep", "dep".getBytes(StandardCharsets.UTF_8), new TreeSet<>(), roots);
        }
        container = Files.createDirectories(dir.resolve("container/gnu/store"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    Path built(String path) {
        return container.resolve(path.substring(S.length() + 1));
    }

    Derivation drv(Map<String, DerivationOutput> outputs, Map<String, String> env) {
        TreeMap<String, String> e = new TreeMap<>(env);
        outputs.forEach((name, o) -> e.put(name, o.path()));
        return Derivation.of(outputs, Map.of(), List.of(dep), "x86_64-linux", "/bin/sh", List.of(), e);
    }

    List<?> register(Derivation drv) throws BuildFailure {
        return new OutputRegistrar(store).register(new OutputRegistrar.Built(DRV, drv, new TreeSet<>(Set.of(dep)), this::built));
    }

    void twoOutputs() throws Exception {
        Path out = Files.createDirectories(built(OUT));
        Files.writeString(out.resolve("uses-lib"), "see " + LIB + "/x");
        Files.writeString(built(LIB), "lib needs " + dep);
    }

    static Map<String, DerivationOutput> outputs() {
        return Map.of("out", DerivationOutput.regular(OUT), "lib", DerivationOutput.regular(LIB));
    }

    @Test
    void outputsAreMovedCanonicalisedAndRegisteredTogetherWithTheirReferences() throws Exception {
        twoOutputs();
        assertEquals(2, register(drv(outputs(), Map.of())).size());
        PathInfo out = store.queries().pathInfoOrThrow(OUT);
        assertEquals(new TreeSet<>(Set.of(LIB)), out.references());
        assertEquals(DRV, out.deriver());
        assertEquals(new TreeSet<>(Set.of(dep)), store.queries().pathInfoOrThrow(LIB).references());
        Path physical = store.config().physical(OUT);
        assertFalse(Files.exists(built(OUT)), "moved out of the container");
        assertEquals(0555, (Integer) Files.getAttribute(physical, "unix:mode") & 07777);
        assertEquals(0444, (Integer) Files.getAttribute(physical.resolve("uses-lib"), "unix:mode") & 07777);
        assertEquals(1000, Files.getLastModifiedTime(physical.resolve("uses-lib")).toMillis());
        assertEquals(loomd.protocol.nar.NarWriter.hash(physical).narHash(), out.narHash());
    }

    /**
     * Deduplication takes each large file's key from the reference scan (daemon.md §9.6): the files
     * are linked into .links, and the deduplicator read none of them again.
     */
    @Test
    void largeOutputFilesAreLinkedWithTheKeysOfTheScan() throws Exception {
        twoOutputs();
        byte[] big = new byte[100_000];
        new java.util.Random(11).nextBytes(big);
        Files.write(built(OUT).resolve("big"), big);
        Files.write(Files.createDirectories(built(OUT).resolve("bin")).resolve("tool"), big,
                java.nio.file.StandardOpenOption.CREATE_NEW);
        Files.setAttribute(built(OUT).resolve("bin/tool"), "unix:mode", 0755);
        register(drv(outputs(), Map.of()));
        for (String rel : List.of("big", "bin/tool")) {
            Path file = store.config().physical(OUT).resolve(rel);
            Path link = store.config().physicalStore().resolve(".links")
                    .resolve(loomd.protocol.nar.NarWriter.hash(file).narHash().toNixBase32());
            assertEquals(Files.getAttribute(link, "unix:ino"), Files.getAttribute(file, "unix:ino"), rel);
        }
        assertEquals(0, store.maintenance().filesHashedForLinks(), "no output file read a second time");
    }

    @Test
    void aMissingOutputFailsWithUpstreamsTextAndRegistersNothing() throws Exception {
        Files.createDirectories(built(OUT));
        BuildFailure f = assertThrows(BuildFailure.class, () -> register(drv(outputs(), Map.of())));
        assertEquals("builder for `" + DRV + "' failed to produce output path `" + LIB + "'", f.getMessage());
        assertFalse(store.queries().isValidPath(OUT));
    }

    @Test
    void requisitesThroughASiblingOutputComeFromItsScanNotTheDatabase() throws Exception {
        twoOutputs();
        // out -> lib -> dep: upstream asks the database for lib's closure, where lib is not yet valid (§9.27)
        register(drv(outputs(), Map.of("allowedRequisites", "lib " + dep)));
        assertEquals(new TreeSet<>(Set.of(LIB)), store.queries().pathInfoOrThrow(OUT).references());
    }

    @Test
    void aDisallowedRequisiteFailsTheFirstOutputInNameOrder() throws Exception {
        twoOutputs();
        BuildFailure f = assertThrows(BuildFailure.class,
                () -> register(drv(outputs(), Map.of("disallowedRequisites", dep))));
        assertEquals("output (`" + LIB + "') is not allowed to refer to path `" + dep + "'", f.getMessage());
        assertFalse(store.queries().isValidPath(LIB));
        assertFalse(store.queries().isValidPath(OUT));
        // Moved into the store before the check, and removed again: no contents without registration.
        assertFalse(Files.exists(store.config().physical(LIB), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(store.config().physical(OUT), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void allowedReferencesByOutputNameAndPath() throws Exception {
        twoOutputs();
        register(drv(outputs(), Map.of("allowedReferences", "lib " + dep)));
        assertTrue(store.queries().isValidPath(OUT));
    }

    @Test
    void disallowedReferencesAndBadSpecifiers() throws Exception {
        twoOutputs();
        BuildFailure f = assertThrows(BuildFailure.class,
                () -> register(drv(outputs(), Map.of("disallowedReferences", "lib"))));
        assertEquals("output (`" + OUT + "') is not allowed to refer to path `" + LIB + "'", f.getMessage());
        twoOutputs();
        f = assertThrows(BuildFailure.class, () -> register(drv(outputs(), Map.of("allowedReferences", "nope"))));
        assertEquals("derivation contains an invalid reference specifier `nope'", f.getMessage());
    }

    @Test
    void fixedOutputHashMismatchGivesTheTraceAndUpstreamsMessage() throws Exception {
        Files.writeString(built(OUT), "fixed output contents\n");
        Hash other = Hash.of(HashAlgorithm.SHA256, "some other contents\n".getBytes(StandardCharsets.UTF_8));
        Derivation d = drv(Map.of("out", new DerivationOutput(OUT, "sha256", other.toBase16())), Map.of());
        BuildFailure f = assertThrows(BuildFailure.class, () -> register(d));
        assertEquals("hash mismatch for store item '" + OUT + "'", f.getMessage());
        assertEquals(List.of("@ hash-mismatch " + OUT + " sha256 0ylh4rq3sqxlkwjr1n53ribdql0ccvplxv6va52ax98kzbkwp20r "
                + "0ixp3zw95hp0q6z9wvdh0xxinn1zbhf2hnq8f66haw9ccg2h3766\n"), f.tracesBefore());
    }

    @Test
    void fixedOutputWithTheRightHashIsRegistered() throws Exception {
        Files.writeString(built(OUT), "fixed output contents\n");
        Hash h = Hash.of(HashAlgorithm.SHA256, "fixed output contents\n".getBytes(StandardCharsets.UTF_8));
        register(drv(Map.of("out", new DerivationOutput(OUT, "sha256", h.toBase16())), Map.of()));
        assertTrue(store.queries().isValidPath(OUT));
    }

    @Test
    void aWorldWritableOutputIsRejected() throws Exception {
        Files.writeString(built(OUT), "x");
        Files.setAttribute(built(OUT), "unix:mode", 0666);
        BuildFailure f = assertThrows(BuildFailure.class,
                () -> register(drv(Map.of("out", DerivationOutput.regular(OUT)), Map.of())));
        assertEquals("suspicious ownership or permission on `" + OUT + "'; rejecting this build output", f.getMessage());
    }
}
