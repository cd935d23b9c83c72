package loomd.daemon.session;

import loomd.protocol.ops.PathRequest;
import loomd.protocol.ops.Reply;
import loomd.protocol.ops.Request;

/**
 * The one path every operation takes (protocol.md §4, §7.2): look the op up in the
 * {@link OpTable}, read its whole request, start the work phase, run the handler, stop the work
 * phase, write the reply. Because the request is read completely before
 * {@link StderrChannel#startWork()}, an error inside the work phase leaves the connection in sync;
 * an error before it ends the session. The table's rows say where an op departs from this.
 */
final class Dispatcher {
    private final SessionContext s;
    private final OpTable table;

    Dispatcher(SessionContext context) {
        this(context, OpTable.STANDARD);
    }

    Dispatcher(SessionContext context, OpTable table) {
        this.s = context;
        this.table = table;
    }

    void perform(long code) throws Exception {
        OpTable.Entry<?, ?> entry = table.rowOrNull(code);
        if (entry == null) {
            throw new SessionError("invalid operation " + code);
        }
        perform(entry);
    }

    private <Q, R extends Reply> void perform(OpTable.Entry<Q, R> entry) throws Exception {
        if (entry.refusal().isPresent()) {
            entry.refusal().get().check(s);
        }
        Q request = entry.reader().read(s);
        try {
            if (entry.pathCheck() == OpTable.PathCheck.BEFORE_WORK) {
                checkStorePaths(request);
            }
            if (entry.guard().isPresent()) {
                entry.guard().get().check(s, request);
            }
            s.stderr.startWork();
            if (entry.pathCheck() == OpTable.PathCheck.IN_WORK) {
                checkStorePaths(request);
            }
            R reply = entry.handler().run(s, request);
            s.stderr.stopWork();
            reply.write(s.out, s.clientMinor());
        } finally {
            // The staged NAR of wopAddToStore: kept until the reply is written.
            if (request instanceof AutoCloseable resource) {
                resource.close();
            }
        }
    }

    /** Upstream's assertStorePath on every store-path field, in wire order. */
    private void checkStorePaths(Object request) throws Exception {
        if (request instanceof PathRequest<?> one) {
            // The common case (IsValidPath, QueryPathInfo...), without a list per request.
            s.storeDir.assertStorePath(one.path());
        } else if (request instanceof Request<?> r) {
            for (String path : r.storePaths()) {
                s.storeDir.assertStorePath(path);
            }
        }
    }
}
