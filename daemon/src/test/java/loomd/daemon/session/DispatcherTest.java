package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import loomd.protocol.wire.LimitKind;
import loomd.protocol.wire.WireWriter;
import loomd.protocol.wire.WorkerOp;

/** The op table, its upstream exceptions, the stub answers, and the generic path on real sessions. */
class DispatcherTest extends SessionFixture {
    static final String MISSING = "/gnu/store/00000000000000000000000000000000-missing";

    @Test
    void tableCoversEveryOpOf0x164InNumericOrder() {
        List<WorkerOp> ops = OpTable.STANDARD.entries().stream().map(OpTable.Entry::op).toList();
        assertEquals(Arrays.asList(WorkerOp.values()), ops);
        for (int i = 1; i < ops.size(); i++) {
            assertTrue(ops.get(i - 1).code() < ops.get(i).code(), ops.get(i).toString());
        }
        for (WorkerOp op : WorkerOp.values()) {
            assertEquals(op, OpTable.STANDARD.forCode(op.code()).orElseThrow().op());
        }
        for (long code : new long[] {0, 2, 15, 17, 36, 79, 82, -1, 1L << 31}) {
            assertTrue(OpTable.STANDARD.forCode(code).isEmpty(), Long.toString(code));
        }
    }

    /** Each exception has its behavioural test in SessionTest; here, that no other row has one. */
    @Test
    void upstreamExceptionsAreOnTheirRowsOnly() {
        for (OpTable.Entry<?, ?> e : OpTable.STANDARD.entries()) {
            WorkerOp op = e.op();
            assertEquals(op == WorkerOp.IS_VALID_PATH, e.pathCheck() == OpTable.PathCheck.IN_WORK, op.wireName());
            assertEquals(op == WorkerOp.COLLECT_GARBAGE, e.refusal().isPresent(), op.wireName());
            assertEquals(op == WorkerOp.BUILD_PATHS || op == WorkerOp.SET_OPTIONS, e.guard().isPresent(),
                    op.wireName());
        }
    }

    @Test
    void orderIsEnforcedWhenATableIsBuilt() {
        var valid = OpTable.STANDARD.entries().get(0);
        var hash = OpTable.STANDARD.entries().get(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OpTable(List.of(hash, valid)));
        assertTrue(e.getMessage().contains("numeric order"), e.getMessage());
    }

    @Test
    void nulByteInIndirectRootIsAWorkPhaseError() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(12);
        out.writeString("/tmp//./a\0b");
        out.flush();
        String error = awaitLast();
        assertNotNull(error, "the store cannot make that link");
        assertTrue(error.contains("/tmp/a\0b"), "read whole, made absolute, handed to the store: " + error);
        assertEquals(List.of(), autoRoots(), "no root made, no temporary link left");
        isValid(HELLO);
        assertEquals(null, awaitLast(), "the connection stays usable");
        assertEquals(1, in.readU64());
    }

    /** The entries of {@code V/gcroots/auto}, where indirect roots go. */
    List<Path> autoRoots() throws IOException {
        Path auto = layout.stateDir().resolve("gcroots").resolve("auto");
        if (!Files.exists(auto)) return List.of();
        try (Stream<Path> entries = Files.list(auto)) {
            return entries.toList();
        }
    }

    @Test
    void indirectRootNamesAreMadeAbsoluteAsUpstreamDoes() {
        assertEquals("/a/b", RootOps.absPath("a/b"));
        assertEquals("/a/b/d", RootOps.absPath("/a/./b//c/../d/"));
        assertEquals("/", RootOps.absPath("/.."));
        assertEquals("/x", RootOps.absPath("../../x"));
        assertEquals("/", RootOps.absPath(""));
        assertEquals("/tmp/a\0b", RootOps.absPath("/tmp//a\0b"));
    }

    void buildPaths(List<String> things, long mode) throws IOException {
        out.writeU64(9);
        out.writeStrings(things);
        out.writeU64(mode);
        out.flush();
    }

    @Test
    void buildPathsOfValidStorePathsSucceedsAtOnce() throws IOException {
        connect(nobody());
        handshake();
        buildPaths(List.of(HELLO), 0);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
        assertEquals(List.of(HELLO), sessionTempRoots(), "as upstream's substitution goal, a temp root");
        assertEquals(List.of(), pendingLines());
    }

    @Test
    void buildPathsOfDerivationsIsPendingAndSaysSo() throws IOException {
        connect(nobody());
        handshake();
        buildPaths(List.of(HELLO_DRV), 0);
        assertEquals("invalid operation 9", awaitLast());
        buildPaths(List.of(HELLO, HELLO_DRV + "!out,dev"), 0);
        assertEquals("invalid operation 9", awaitLast());
        assertEquals(List.of(), sessionTempRoots(), "refused before any goal starts");
        assertEquals(2, pendingLines().size());
        String line = pendingLines().get(0);
        assertTrue(line.startsWith("wopBuildPaths from pid 1234, user nobody: not implemented yet"), line);
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
    }

    @Test
    void buildPathsOfAMissingPathEndsNoSubstitutersWhichIsNoFailure() throws IOException {
        connect(nobody());
        handshake();
        buildPaths(List.of(HELLO, MISSING), 0);
        assertEquals(null, awaitLast(), "no substituter has it: not a failure (daemon.md §4.15, §9.22)");
        assertEquals(1, in.readU64());
        buildPaths(List.of(HELLO), 2);
        assertEquals(null, awaitLast(), "check mode on a valid path: a repairing substitution with nothing to do");
        assertEquals(1, in.readU64());
        assertEquals(List.of(), pendingLines());
    }

    @Test
    void buildPathsOfAMissingPathSucceedsWithoutSubstitutes() throws IOException {
        connect(nobody());
        handshake();
        out.writeU64(19);
        for (long v : new long[] {0, 0, 0, 0, 0, 0, 0, 1, 0}) out.writeU64(v); // useSubstitutes false
        out.writeStringPairs(List.of());
        out.flush();
        assertEquals(null, awaitLast());
        buildPaths(List.of(MISSING), 0);
        assertEquals(null, awaitLast(), "upstream: no substituter is not a failure (daemon.md §4.15)");
        assertEquals(1, in.readU64());
        assertEquals(List.of(MISSING), sessionTempRoots());
        assertEquals(List.of(), pendingLines());
    }

    interface Request {
        void write(WireWriter w) throws IOException;
    }

    interface Answer {
        void check(DispatcherTest t) throws IOException;
    }

    static Arguments stub(WorkerOp op, Request request, Answer answer) {
        return Arguments.of(op, request, answer);
    }

    static Answer error(String text) {
        return t -> assertEquals(text, t.awaitLast());
    }

    static Answer lastThen(long... words) {
        return t -> {
            assertEquals(null, t.awaitLast());
            for (long w : words) {
                assertEquals(w, t.in.readU64());
            }
        };
    }

    static Stream<Arguments> stubs() {
        return Stream.of(
                stub(WorkerOp.BUILD_PATHS, w -> { w.writeStrings(List.of(HELLO_DRV)); w.writeU64(0); },
                        error("invalid operation 9")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stubs")
    void everyStubAnswerLogsOneLineNamingTheOpAndThePeer(WorkerOp op, Request request, Answer answer)
            throws IOException {
        assertTrue(Pending.OPS.contains(op));
        connect(nobody());
        handshake();
        for (int call = 1; call <= 2; call++) {
            out.writeU64(op.code());
            request.write(out);
            out.flush();
            answer.check(this);
            isValid(HELLO);
            assertEquals(null, awaitLast(), "the connection stays usable");
            assertEquals(1, in.readU64());
            assertEquals(call, pendingLines().size(), "one line per call");
        }
        String line = pendingLines().get(0);
        assertTrue(line.startsWith(op.wireName() + " from pid 1234, user nobody: not implemented yet, answered "),
                line);
    }

    @Test
    void everyPendingOpHasAStubCase() {
        assertEquals(Pending.OPS, stubs().map(a -> (WorkerOp) a.get()[0])
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(WorkerOp.class))));
    }

    @Test
    void realAnswersLogNothing() throws IOException {
        connect(nobody());
        handshake();
        isValid(HELLO);
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
        out.writeU64(80);
        out.flush();
        assertEquals(null, awaitLast());
        assertEquals(List.of("download", "git-download"), in.readStrings(LimitKind.STRING));
        out.writeU64(10);
        out.writeString(HELLO);
        out.flush();
        assertEquals(null, awaitLast());
        assertEquals(1, in.readU64());
        assertEquals(List.of(), pendingLines());
    }

    List<String> pendingLines() {
        return log.stream().filter(l -> l.contains("not implemented yet")).toList();
    }
}
