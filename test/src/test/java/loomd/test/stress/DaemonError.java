package loomd.test.stress;

/**
 * Which daemon errors the campaign's faults explain. Anything else a client is told is a defect the
 * campaign reports, so a regression that only shows as a strange error message is caught too.
 */
final class DaemonError {
    private DaemonError() {}

    static boolean isExpected(Workload.Op op, String message) {
        return message.contains("No space left on device") // the disk-full fault
                || message.contains("database or disk is full") // the same, met by SQLite (SQLITE_FULL)
                || message.contains("the locker process is unavailable") // right after the locker's kill -9
                || (op == Workload.Op.EXPORT_IMPORT && message.contains("lacks a signature")) // Guix requires one, even trusted
                || (op == Workload.Op.GC_SPECIFIC && message.contains("is still alive")) // live again since listed
                || (op == Workload.Op.BUILD && message.contains("failed due to signal")); // the builder's kill -9
    }
}
