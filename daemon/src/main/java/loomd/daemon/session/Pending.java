package loomd.daemon.session;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

import loomd.protocol.wire.WorkerOp;

/**
 * The operations whose machinery is later work (builds without build services)
 * and which answer, in whole or in part, as stubs. Each stub answer goes through
 * here and leaves one line in the daemon's log naming the op and the peer, so an administrator
 * sees when a client relied on one.
 *
 * <p>Where upstream would do the work, the answer is upstream's {@code invalid operation N}: the
 * one text upstream has for an op it does not perform (its {@code default:} case, status 1).
 * Upstream sends it before reading the request and so must close; here the request has been read
 * completely and the work phase started, so, as after any other failure inside an op upstream
 * performs, the connection stays usable.
 */
final class Pending {
    /** Every op with a stub answer somewhere; {@link #note} refuses any other. */
    static final Set<WorkerOp> OPS = Collections.unmodifiableSet(EnumSet.of(
            WorkerOp.BUILD_PATHS));                  // check and repair builds; no build services

    private Pending() {
    }

    /** Logs the stub answer and returns upstream's {@code invalid operation N}, for the caller to throw. */
    static SessionError refuse(SessionContext s, WorkerOp op) {
        String text = "invalid operation " + op.code();
        note(s, op, text);
        return new SessionError(text);
    }

    /** Logs that {@code op} answered {@code answer} without doing the work upstream would. */
    static void note(SessionContext s, WorkerOp op, String answer) {
        if (!OPS.contains(op)) {
            throw new IllegalStateException(op.wireName() + " is not listed as pending");
        }
        s.log.accept(op.wireName() + " from " + s.peer.description() + ": not implemented yet, answered "
                + answer);
    }
}
