package loomd.protocol.client;

import static loomd.protocol.client.ClientRequestVectorsTest.hex;
import static loomd.protocol.client.ClientRequestVectorsTest.session;
import static loomd.protocol.client.ClientRequestVectorsTest.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import loomd.protocol.client.ClientRequestVectorsTest.Reply;
import loomd.protocol.wire.StderrCode;
import loomd.protocol.wire.WorkerOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operations of protocol.md §6.0 that the vector and transcript tests do not send: request
 * fields exactly as in the table, and the result decoded from the table's reply shape.
 */
class EveryOperationTest {
    private static final String P = "/gnu/store/nnv962p503wd3di297nmj7p16s9277xf-refs.txt";
    private static final String Q = "/gnu/store/k9pad896kygyvpxli7f20bkl9813p9y4-hello.txt";
    private static final String DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    interface Call {
        Object on(StoreClient c) throws Exception;
    }

    private static Arguments op(WorkerOp op, Reply request, Reply result, Call call, Object expected) {
        return Arguments.of(op, request, result, call, expected);
    }

    static Stream<Arguments> operations() {
        Reply none = w -> { };
        Reply path = w -> w.writeString(P);
        Reply one = w -> w.writeU64(1);
        Reply paths = w -> w.writeStrings(List.of(Q, P));
        return Stream.of(
                op(WorkerOp.HAS_SUBSTITUTES, path, w -> w.writeU64(0), c -> c.hasSubstitutes(P), false),
                op(WorkerOp.QUERY_PATH_HASH, path, w -> w.writeString("c64f"), c -> c.queryPathHash(P), "c64f"),
                op(WorkerOp.ENSURE_PATH, path, one, c -> c.ensurePath(P), true),
                op(WorkerOp.ADD_TEMP_ROOT, path, one, c -> c.addTempRoot(P), true),
                op(WorkerOp.ADD_INDIRECT_ROOT, w -> w.writeString("/home/a/result"), one,
                        c -> c.addIndirectRoot("/home/a/result"), true),
                op(WorkerOp.SYNC_WITH_GC, none, one, StoreClient::syncWithGC, true),
                op(WorkerOp.QUERY_DERIVER, path, w -> w.writeString(DRV), c -> c.queryDeriver(P), DRV),
                op(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO, path,
                        w -> { w.writeU64(1); w.writeString(DRV); w.writeStrings(List.of(Q)); w.writeU64(5); w.writeU64(7); },
                        c -> c.querySubstitutablePathInfo(P), new SubstitutableInfo(DRV, List.of(Q), 5, 7)),
                op(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO, path, w -> w.writeU64(0),
                        c -> c.querySubstitutablePathInfo(P), null),
                op(WorkerOp.QUERY_DERIVATION_OUTPUTS, w -> w.writeString(DRV), paths,
                        c -> c.queryDerivationOutputs(DRV), List.of(Q, P)),
                op(WorkerOp.QUERY_ALL_VALID_PATHS, none, paths, StoreClient::queryAllValidPaths, List.of(Q, P)),
                op(WorkerOp.QUERY_FAILED_PATHS, none, paths, StoreClient::queryFailedPaths, List.of(Q, P)),
                op(WorkerOp.CLEAR_FAILED_PATHS, w -> w.writeStrings(List.of(P)), one,
                        c -> c.clearFailedPaths(List.of(P)), true),
                op(WorkerOp.QUERY_DERIVATION_OUTPUT_NAMES, w -> w.writeString(DRV),
                        w -> w.writeStrings(List.of("dev", "out")), c -> c.queryDerivationOutputNames(DRV),
                        List.of("dev", "out")),
                op(WorkerOp.QUERY_PATH_FROM_HASH_PART, w -> w.writeString("k9pad896kygyvpxli7f20bkl9813p9y4"),
                        w -> w.writeString(Q), c -> c.queryPathFromHashPart("k9pad896kygyvpxli7f20bkl9813p9y4"), Q),
                op(WorkerOp.QUERY_VALID_PATHS, w -> w.writeStrings(List.of(P, Q)), w -> w.writeStrings(List.of(Q)),
                        c -> c.queryValidPaths(List.of(P, Q)), List.of(Q)),
                op(WorkerOp.QUERY_SUBSTITUTABLE_PATHS, w -> w.writeStrings(List.of(P)), w -> w.writeStrings(List.of()),
                        c -> c.querySubstitutablePaths(List.of(P)), List.of()),
                op(WorkerOp.QUERY_VALID_DERIVERS, path, w -> w.writeStrings(List.of(DRV)),
                        c -> c.queryValidDerivers(P), List.of(DRV)),
                op(WorkerOp.OPTIMISE_STORE, none, one, StoreClient::optimiseStore, true),
                op(WorkerOp.SUBSTITUTE_URLS, none, w -> w.writeStrings(List.of("https://a.example")),
                        StoreClient::substituteUrls, List.of("https://a.example")),
                op(WorkerOp.COLLECT_GARBAGE, gc(0), w -> { w.writeStrings(List.of(P)); w.writeU64(0); w.writeU64(0); },
                        StoreClient::livePaths, List.of(P)),
                op(WorkerOp.COLLECT_GARBAGE, gc(1), w -> { w.writeStrings(List.of(Q)); w.writeU64(0); w.writeU64(0); },
                        StoreClient::deadPaths, List.of(Q)));
    }

    /** The fields of wopCollectGarbage for {@code action}, as the client's run-gc writes them. */
    private static Reply gc(int action) {
        return w -> {
            w.writeU64(action); w.writeStrings(List.of()); w.writeU64(0); w.writeU64(-1);
            w.writeU64(0); w.writeU64(0); w.writeU64(0);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void requestAndResultFollowTheTable(WorkerOp op, Reply request, Reply result, Call call, Object expected)
            throws Exception {
        var s = session(wire(w -> {
            w.writeU64(StderrCode.LAST);
            result.write(w);
        }));
        assertEquals(expected, call.on(s.client()));
        assertEquals(hex(w -> { w.writeU64(op.code()); request.write(w); }), s.sentAfterHandshake());
    }
}
