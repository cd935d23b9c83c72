package loomd.protocol.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import loomd.protocol.wire.ProtocolException;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WireTestSupport;
import loomd.protocol.wire.WorkerOp;

/** Every request and reply reads back what it writes, at every minor a gate distinguishes. */
class OpsRoundTripTest {
    static final String P = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
    static final String Q = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    static final String DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";
    static final int[] MINORS = {0, 4, 5, 6, 7, 12, 14, 15, 0x60, 0x61, 0x64};

    static final SetOptions OPTIONS = new SetOptions(true, false, true, 3,
            Optional.of(new SetOptions.JobLimits(2, 3600)), Optional.of(true),
            Optional.of(new SetOptions.Logging(1, 2, true)), OptionalLong.of(8), Optional.of(false),
            List.of(new SimpleImmutableEntry<>("build-cores", "3"), new SimpleImmutableEntry<>("locale", "C")));

    static List<Request<?>> requests() {
        return List.of(new IsValidPath(P), new HasSubstitutes(P), new QueryPathHash(P), new QueryReferences(P),
                new QueryReferrers(P), new AddToStore("tree", true, false, "sha256"),
                new AddTextToStore("x.txt", "text\n".getBytes(), List.of(Q, P)),
                new BuildPaths(List.of(DRV + "!out", Q), BuildPaths.CHECK), new EnsurePath(P), new AddTempRoot(P),
                new AddIndirectRoot("/home/a/result"), new SyncWithGC(), new FindRoots(), new ExportPath(P, true),
                new QueryDeriver(P), OPTIONS, new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(P), false, -1),
                new QuerySubstitutablePathInfo(P), new QueryDerivationOutputs(DRV), new QueryAllValidPaths(),
                new QueryFailedPaths(), new ClearFailedPaths(List.of("*")), new QueryPathInfo(P), new ImportPaths(),
                new QueryDerivationOutputNames(DRV), new QueryPathFromHashPart("k9pad896kygyvpxli7f20bkl9813p9y4"),
                new QuerySubstitutablePathInfos(List.of(P, Q)), new QueryValidPaths(List.of(Q)),
                new QuerySubstitutablePaths(List.of(P)), new QueryValidDerivers(P), new OptimiseStore(),
                new VerifyStore(true, false), new BuiltinBuilders(), new SubstituteURLs());
    }

    static List<Reply> replies() {
        return List.of(IntReply.ONE, new IntReply(0xFFFF_FFFFL), new StringReply(P), new PathsReply(List.of(Q, P)),
                new NamesReply(List.of("download", "git-download")), NoReply.INSTANCE,
                new PathInfoReply(DRV, "ab".repeat(32), List.of(P), 1_700_000_000L, 120),
                new GcReply(List.of(P), 4096), new RootsReply(List.of(new SimpleImmutableEntry<>("/r", P))),
                new SubstitutablePathInfoReply(true, DRV, List.of(P), 5, 7), SubstitutablePathInfoReply.NOT_FOUND,
                new SubstitutablePathInfosReply(List.of(new SubstitutablePathInfosReply.Info(P, "", List.of(), 1, 2))));
    }

    static byte[] bytes(WireTestSupport.Writes writing) throws IOException {
        return WireTestSupport.written(writing);
    }

    /** Calls the record's static read(WireReader, int) and checks it took exactly the bytes written. */
    static Object readBack(Class<?> type, byte[] data, int minor) throws Exception {
        ByteArrayInputStream input = new ByteArrayInputStream(data);
        WireReader in = new WireReader(input);
        Object value = type.getMethod("read", WireReader.class, int.class).invoke(null, in, minor);
        assertEquals(0, in.bufferedByteCount() + input.available(), type.getSimpleName() + " left bytes unread");
        return value;
    }

    @Test
    void everyOpHasOneRequestRecordNamedAfterIt() {
        List<WorkerOp> ops = requests().stream().map(Request::op).toList();
        assertEquals(Arrays.asList(WorkerOp.values()), ops);
        Set<Class<?>> sealedLeaves = new HashSet<>();
        collectLeaves(Request.class, sealedLeaves);
        assertEquals(sealedLeaves, new HashSet<>(requests().stream().map(Object::getClass).toList()));
        for (Request<?> r : requests()) {
            String name = r.getClass().getSimpleName();
            assertEquals(r.op().wireName().toLowerCase(), ("wop" + name).toLowerCase(), name);
        }
    }

    private static void collectLeaves(Class<?> type, Set<Class<?>> leaves) {
        if (type.isSealed()) {
            for (Class<?> sub : type.getPermittedSubclasses()) {
                collectLeaves(sub, leaves);
            }
        } else {
            leaves.add(type);
        }
    }

    @Test
    void requestsReadBackWhatTheyWriteAtEveryMinor() throws Exception {
        for (Request<?> r : requests()) {
            for (int minor : MINORS) {
                byte[] sent = bytes(w -> r.write(w, minor));
                Request<?> read = (Request<?>) readBack(r.getClass(), sent, minor);
                assertArrayEquals(sent, bytes(w -> read.write(w, minor)), r.op() + " at minor " + minor);
                assertEquals(r.storePaths(), read.storePaths());
            }
        }
    }

    @Test
    void repliesReadBackWhatTheyWriteAtEveryMinor() throws Exception {
        for (Reply r : replies()) {
            for (int minor : MINORS) {
                byte[] sent = bytes(w -> r.write(w, minor));
                Reply read = (Reply) readBack(r.getClass(), sent, minor);
                assertArrayEquals(sent, bytes(w -> read.write(w, minor)), r + " at minor " + minor);
                if (minor >= 7) {
                    assertEquals(r, read);
                }
            }
        }
    }

    @Test
    void buildModeTravelsFromMinor15() throws Exception {
        BuildPaths repair = new BuildPaths(List.of(Q), BuildPaths.REPAIR);
        assertEquals(repair, readBack(BuildPaths.class, bytes(w -> repair.write(w, 15)), 15));
        assertEquals(new BuildPaths(List.of(Q), BuildPaths.NORMAL),
                readBack(BuildPaths.class, bytes(w -> repair.write(w, 14)), 14));
        assertEquals(bytes(w -> w.writeStrings(List.of(Q))).length, bytes(w -> repair.write(w, 14)).length);
    }

    @Test
    void collectGarbageDropsTheRemovedOptionsBeforeMinor5() throws IOException {
        CollectGarbage gc = new CollectGarbage(CollectGarbage.RETURN_DEAD, List.of(), false, -1);
        assertEquals(bytes(w -> gc.write(w, 5)).length - 16, bytes(w -> gc.write(w, 4)).length);
    }

    @Test
    void setOptionsCarriesExactlyTheGatedFieldsOfTheMinor() throws Exception {
        SetOptions current = (SetOptions) readBack(SetOptions.class, bytes(w -> OPTIONS.write(w, 0x64)), 0x64);
        assertEquals(Optional.empty(), current.jobLimits());
        assertEquals(OptionalLong.empty(), current.buildCores());
        assertEquals(OPTIONS.logging(), current.logging());
        assertEquals(OPTIONS.overrides(), current.overrides());
        SetOptions old = (SetOptions) readBack(SetOptions.class, bytes(w -> OPTIONS.write(w, 3)), 3);
        assertEquals(OPTIONS.jobLimits(), old.jobLimits());
        assertEquals(OPTIONS.useBuildHook(), old.useBuildHook());
        assertEquals(Optional.empty(), old.logging());
        assertEquals(List.of(), old.overrides());
        // At minor 12 every gate of wopSetOptions is open: the sample reads back whole.
        assertEquals(OPTIONS, readBack(SetOptions.class, bytes(w -> OPTIONS.write(w, 12)), 12));
    }

    @Test
    void aGatedFieldMissingFromTheRecordIsABugNotAZero() {
        SetOptions partial = new SetOptions(false, false, false, 0, Optional.empty(), Optional.of(true),
                Optional.empty(), OptionalLong.empty(), Optional.empty(), List.of());
        assertThrows(IllegalStateException.class, () -> bytes(w -> partial.write(w, 0x64)));
        assertThrows(IllegalStateException.class, () -> bytes(w -> partial.write(w, 3)));
    }

    @Test
    void substitutableNarSizeTravelsFromMinor7() throws Exception {
        SubstitutablePathInfoReply info = new SubstitutablePathInfoReply(true, DRV, List.of(P), 5, 7);
        assertEquals(info, readBack(SubstitutablePathInfoReply.class, bytes(w -> info.write(w, 7)), 7));
        assertEquals(new SubstitutablePathInfoReply(true, DRV, List.of(P), 5, 0),
                readBack(SubstitutablePathInfoReply.class, bytes(w -> info.write(w, 6)), 6));
    }

    @Test
    void theDaemonReadsIntsStrictlyAndTheClientOnlyTheirLow32Bits() throws Exception {
        byte[] high = bytes(w -> w.writeU64(1L << 32 | 1));
        Exception e = assertThrows(Exception.class, () -> readBack(VerifyStore.class, concat(high, high), 0x64));
        assertTrue(e.getCause() instanceof ProtocolException, e.toString());
        IntReply reply = (IntReply) readBack(IntReply.class, high, 0x64);
        assertEquals(1, reply.value());
        assertTrue(reply.isTrue());
    }

    @Test
    void onlyTheValueOneIsTrueForAddToStoreAndExportPathFlags() throws Exception {
        byte[] two = bytes(w -> { w.writeString(P); w.writeU64(2); });
        assertFalse(((ExportPath) readBack(ExportPath.class, two, 0x64)).sign());
        byte[] fields = bytes(w -> { w.writeString("x"); w.writeU64(2); w.writeU64(1); w.writeString("sha1"); });
        AddToStore add = (AddToStore) readBack(AddToStore.class, fields, 0x64);
        assertFalse(add.fixed());
        assertTrue(add.recursive());
    }

    @Test
    void pathSetsAreSentInByteOrderWithoutDuplicates() {
        assertEquals(List.of(Q, P), PathsReply.sorted(List.of(P, Q, P)).paths());
        // A set in String order is re-sorted: U+FFFD sorts after an astral character in UTF-16, before it in UTF-8.
        String astral = "/x\uD83D\uDE00";
        String bmp = "/x\uFFFD";
        assertEquals(List.of(astral, bmp), List.copyOf(new TreeSet<>(List.of(bmp, astral))));
        assertEquals(List.of(bmp, astral), PathsReply.sorted(new TreeSet<>(List.of(bmp, astral))).paths());
    }

    @Test
    void storePathFieldsAreListedAndPlainStringsAreNot() {
        assertEquals(List.of(P), new QueryPathInfo(P).storePaths());
        assertEquals(List.of(Q, P), new AddTextToStore("x", new byte[0], List.of(Q, P)).storePaths());
        assertEquals(List.of(), new AddIndirectRoot("/home/a/result").storePaths());
        assertEquals(List.of(), new ClearFailedPaths(List.of("*")).storePaths());
        assertEquals(List.of(), new QuerySubstitutablePathInfo("x").storePaths());
        assertEquals(List.of(), new QueryPathFromHashPart("x").storePaths());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
