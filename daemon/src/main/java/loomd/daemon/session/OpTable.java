package loomd.daemon.session;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import loomd.protocol.ops.AddIndirectRoot;
import loomd.protocol.ops.AddTempRoot;
import loomd.protocol.ops.AddTextToStore;
import loomd.protocol.ops.BuildPaths;
import loomd.protocol.ops.BuiltinBuilders;
import loomd.protocol.ops.ClearFailedPaths;
import loomd.protocol.ops.CollectGarbage;
import loomd.protocol.ops.EnsurePath;
import loomd.protocol.ops.ExportPath;
import loomd.protocol.ops.FindRoots;
import loomd.protocol.ops.HasSubstitutes;
import loomd.protocol.ops.ImportPaths;
import loomd.protocol.ops.IsValidPath;
import loomd.protocol.ops.OptimiseStore;
import loomd.protocol.ops.QueryAllValidPaths;
import loomd.protocol.ops.QueryDerivationOutputNames;
import loomd.protocol.ops.QueryDerivationOutputs;
import loomd.protocol.ops.QueryDeriver;
import loomd.protocol.ops.QueryFailedPaths;
import loomd.protocol.ops.QueryPathFromHashPart;
import loomd.protocol.ops.QueryPathHash;
import loomd.protocol.ops.QueryPathInfo;
import loomd.protocol.ops.QueryReferences;
import loomd.protocol.ops.QueryReferrers;
import loomd.protocol.ops.QuerySubstitutablePathInfo;
import loomd.protocol.ops.QuerySubstitutablePathInfos;
import loomd.protocol.ops.QuerySubstitutablePaths;
import loomd.protocol.ops.QueryValidDerivers;
import loomd.protocol.ops.QueryValidPaths;
import loomd.protocol.ops.Reply;
import loomd.protocol.ops.SetOptions;
import loomd.protocol.ops.SubstituteURLs;
import loomd.protocol.ops.SyncWithGC;
import loomd.protocol.ops.VerifyStore;
import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/**
 * Every operation of 0x164 in numeric order (protocol.md §6.0): how its request is read, the
 * upstream exceptions to the generic path of {@link Dispatcher}, and its handler. The handlers
 * live by family: {@link QueryOps}, {@link TransferOps} (adds, import, export), {@link RootOps}
 * (roots and GC), {@link BuildOps}, {@link SubstituteOps}, {@link OptionOps} (options and misc).
 * Which ops still answer as stubs is listed in {@link Pending}.
 */
final class OpTable {

    /** Reads the whole request, streams included, before the work phase. */
    @FunctionalInterface
    interface Reader<Q> {
        Q read(SessionContext s) throws IOException;
    }

    /** The fields of a request record: its static {@code read(WireReader, int)}. */
    @FunctionalInterface
    interface FieldReader<Q> {
        Q read(WireReader in, int minor) throws IOException;
    }

    /** Runs inside the work phase; an error it throws keeps the connection usable. */
    @FunctionalInterface
    interface Handler<Q, R extends Reply> {
        R run(SessionContext s, Q request) throws Exception;
    }

    /** A refusal before anything of the request is read: what it throws ends the session. */
    @FunctionalInterface
    interface Refusal {
        void check(SessionContext s) throws SessionError;
    }

    /** Runs on the complete request before the work phase: what it throws ends the session. */
    @FunctionalInterface
    interface Guard<Q> {
        void check(SessionContext s, Q request) throws Exception;
    }

    /** Where the request's store-path fields are checked with {@code assertStorePath}. */
    enum PathCheck {
        /** Before the work phase: a bad path ends the session (protocol.md §7.2). */
        BEFORE_WORK,
        /** Inside the work phase: a bad path is an ordinary error (wopIsValidPath, §6.1). */
        IN_WORK
    }

    /**
     * One row. The generic path is: refusal, read, path check, guard, start work, handler, stop
     * work, reply; the optional parts are the upstream exceptions, each explicit here.
     */
    record Entry<Q, R extends Reply>(WorkerOp op, Reader<Q> reader, Handler<Q, R> handler,
            Optional<Refusal> refusal, Optional<Guard<Q>> guard, PathCheck pathCheck) {

        static <Q, R extends Reply> Entry<Q, R> of(WorkerOp op, FieldReader<Q> fields, Handler<Q, R> handler) {
            return new Entry<>(op, s -> fields.read(s.in, s.clientMinor()), handler, Optional.empty(),
                    Optional.empty(), PathCheck.BEFORE_WORK);
        }

        /** For a request with a stream to read before the work phase (wopAddToStore's NAR). */
        static <Q, R extends Reply> Entry<Q, R> streaming(WorkerOp op, Reader<Q> reader, Handler<Q, R> handler) {
            return new Entry<>(op, reader, handler, Optional.empty(), Optional.empty(), PathCheck.BEFORE_WORK);
        }

        Entry<Q, R> refusedBeforeReading(Refusal r) {
            return new Entry<>(op, reader, handler, Optional.of(r), guard, pathCheck);
        }

        Entry<Q, R> guardedBeforeWork(Guard<Q> g) {
            return new Entry<>(op, reader, handler, refusal, Optional.of(g), pathCheck);
        }

        Entry<Q, R> checkingPathsInWork() {
            return new Entry<>(op, reader, handler, refusal, guard, PathCheck.IN_WORK);
        }
    }

    /** The table of 0x164: every op, in numeric order. */
    static final OpTable STANDARD = new OpTable(List.of(
            Entry.of(WorkerOp.IS_VALID_PATH, IsValidPath::read, QueryOps::isValidPath).checkingPathsInWork(),
            Entry.of(WorkerOp.HAS_SUBSTITUTES, HasSubstitutes::read, SubstituteOps::hasSubstitutes),
            Entry.of(WorkerOp.QUERY_PATH_HASH, QueryPathHash::read, QueryOps::queryPathHash),
            Entry.of(WorkerOp.QUERY_REFERENCES, QueryReferences::read, QueryOps::queryReferences),
            Entry.of(WorkerOp.QUERY_REFERRERS, QueryReferrers::read, QueryOps::queryReferrers),
            Entry.streaming(WorkerOp.ADD_TO_STORE, TransferOps::readAddToStore, TransferOps::addToStore),
            Entry.of(WorkerOp.ADD_TEXT_TO_STORE, AddTextToStore::read, TransferOps::addTextToStore),
            Entry.of(WorkerOp.BUILD_PATHS, BuildPaths::read, BuildOps::buildPaths)
                    .guardedBeforeWork(BuildOps::refuseRepairToUntrusted),
            Entry.of(WorkerOp.ENSURE_PATH, EnsurePath::read, BuildOps::ensurePath),
            Entry.of(WorkerOp.ADD_TEMP_ROOT, AddTempRoot::read, RootOps::addTempRoot),
            Entry.of(WorkerOp.ADD_INDIRECT_ROOT, AddIndirectRoot::read, RootOps::addIndirectRoot),
            Entry.of(WorkerOp.SYNC_WITH_GC, SyncWithGC::read, RootOps::syncWithGC),
            Entry.of(WorkerOp.FIND_ROOTS, FindRoots::read, RootOps::findRoots),
            Entry.of(WorkerOp.EXPORT_PATH, ExportPath::read, TransferOps::exportPath),
            Entry.of(WorkerOp.QUERY_DERIVER, QueryDeriver::read, QueryOps::queryDeriver),
            Entry.of(WorkerOp.SET_OPTIONS, SetOptions::read, OptionOps::setOptions)
                    .guardedBeforeWork(OptionOps::apply),
            Entry.of(WorkerOp.COLLECT_GARBAGE, CollectGarbage::read, RootOps::collectGarbage)
                    .refusedBeforeReading(RootOps::refuseRemoteCollection),
            Entry.of(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO, QuerySubstitutablePathInfo::read,
                    SubstituteOps::querySubstitutablePathInfo),
            Entry.of(WorkerOp.QUERY_DERIVATION_OUTPUTS, QueryDerivationOutputs::read, QueryOps::queryDerivationOutputs),
            Entry.of(WorkerOp.QUERY_ALL_VALID_PATHS, QueryAllValidPaths::read, QueryOps::queryAllValidPaths),
            Entry.of(WorkerOp.QUERY_FAILED_PATHS, QueryFailedPaths::read, BuildOps::queryFailedPaths),
            Entry.of(WorkerOp.CLEAR_FAILED_PATHS, ClearFailedPaths::read, BuildOps::clearFailedPaths),
            Entry.of(WorkerOp.QUERY_PATH_INFO, QueryPathInfo::read, QueryOps::queryPathInfo),
            Entry.of(WorkerOp.IMPORT_PATHS, ImportPaths::read, TransferOps::importPaths),
            Entry.of(WorkerOp.QUERY_DERIVATION_OUTPUT_NAMES, QueryDerivationOutputNames::read,
                    QueryOps::queryDerivationOutputNames),
            Entry.of(WorkerOp.QUERY_PATH_FROM_HASH_PART, QueryPathFromHashPart::read, QueryOps::queryPathFromHashPart),
            Entry.of(WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS, QuerySubstitutablePathInfos::read,
                    SubstituteOps::querySubstitutablePathInfos),
            Entry.of(WorkerOp.QUERY_VALID_PATHS, QueryValidPaths::read, QueryOps::queryValidPaths),
            Entry.of(WorkerOp.QUERY_SUBSTITUTABLE_PATHS, QuerySubstitutablePaths::read,
                    SubstituteOps::querySubstitutablePaths),
            Entry.of(WorkerOp.QUERY_VALID_DERIVERS, QueryValidDerivers::read, QueryOps::queryValidDerivers),
            Entry.of(WorkerOp.OPTIMISE_STORE, OptimiseStore::read, OptionOps::optimiseStore),
            Entry.of(WorkerOp.VERIFY_STORE, VerifyStore::read, OptionOps::verifyStore),
            Entry.of(WorkerOp.BUILTIN_BUILDERS, BuiltinBuilders::read, BuildOps::builtinBuilders),
            Entry.of(WorkerOp.SUBSTITUTE_URLS, SubstituteURLs::read, SubstituteOps::substituteUrls)));

    private final List<Entry<?, ?>> entries;
    private final Entry<?, ?>[] byCode;

    OpTable(List<Entry<?, ?>> entries) {
        this.entries = List.copyOf(entries);
        int max = 0;
        for (int i = 0; i < entries.size(); i++) {
            int code = entries.get(i).op().code();
            if (i > 0 && code <= entries.get(i - 1).op().code()) {
                throw new IllegalArgumentException("ops must be registered in numeric order, once: " + code);
            }
            max = code;
        }
        this.byCode = new Entry<?, ?>[max + 1];
        for (Entry<?, ?> e : entries) {
            byCode[e.op().code()] = e;
        }
    }

    List<Entry<?, ?>> entries() {
        return entries;
    }

    /** The row for an op code; empty for codes 0x164 does not define. */
    Optional<Entry<?, ?>> forCode(long code) {
        return Optional.ofNullable(rowOrNull(code));
    }

    /** {@link #forCode} without the Optional, for the per-request path; null if undefined. */
    Entry<?, ?> rowOrNull(long code) {
        return code < 0 || code >= byCode.length ? null : byCode[(int) code];
    }
}
