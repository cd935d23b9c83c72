package loomd.daemon.server;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-account connection accounting under {@link ConnectionLimits}: an account is a uid, or
 * {@link #REMOTE} for every TCP peer. Decided after {@code accept}, once the peer's uid is known,
 * so a user over its share is closed at once and never sits in the listen backlog in front of
 * others. A plain monitor: an admission is a few map operations, taken by the accept loops and
 * released by the sessions' cleanup.
 */
final class Admission {
    /** The account of all TCP peers (whose uid is unknown). */
    static final int REMOTE = -1;
    static final int ROOT = 0;

    enum Verdict {
        ADMITTED("admitted"),
        USER_FULL("it holds its share of connections (--max-user-connections)"),
        SERVER_FULL("the daemon serves as many connections as allowed (--max-connections)");

        final String reason;

        Verdict(String reason) {
            this.reason = reason;
        }
    }

    private final ConnectionLimits limits;
    private final Map<Integer, Integer> held = new HashMap<>();
    private int total;
    private int nonRoot;

    Admission(ConnectionLimits limits) {
        this.limits = limits;
    }

    /** Takes a slot for {@code account} if its share and the limit allow it. */
    synchronized Verdict admit(int account) {
        if (account == ROOT) {
            if (total >= limits.max()) {
                return Verdict.SERVER_FULL;
            }
        } else {
            if (held.getOrDefault(account, 0) >= limits.perUser()) {
                return Verdict.USER_FULL;
            }
            if (nonRoot >= limits.shared() || total >= limits.max()) {
                return Verdict.SERVER_FULL;
            }
            nonRoot++;
        }
        held.merge(account, 1, Integer::sum);
        total++;
        return Verdict.ADMITTED;
    }

    /** Gives back a slot {@link #admit} granted; exactly once per admission. */
    synchronized void release(int account) {
        Integer n = held.get(account);
        if (n == null) {
            throw new IllegalStateException("no connection held by account " + account);
        }
        if (n == 1) {
            held.remove(account);
        } else {
            held.put(account, n - 1);
        }
        total--;
        if (account != ROOT) {
            nonRoot--;
        }
    }

    synchronized int total() {
        return total;
    }

    synchronized int heldBy(int account) {
        return held.getOrDefault(account, 0);
    }

    static String describe(int account) {
        return account == REMOTE ? "a remote peer" : "uid " + account;
    }
}
