package loomd.daemon.store.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The daemon's effective uid and gid (what canonical store items are owned by). */
public record PosixIds(int euid, int egid) {
    private static final PosixIds SELF = readSelf();

    public static PosixIds self() {
        return SELF;
    }

    private static PosixIds readSelf() {
        try {
            int uid = -1;
            int gid = -1;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                // "Uid:\treal\teffective\tsaved\tfs": the second field is the effective id.
                if (line.startsWith("Uid:")) uid = Integer.parseInt(line.split("\\s+")[2]);
                if (line.startsWith("Gid:")) gid = Integer.parseInt(line.split("\\s+")[2]);
            }
            if (uid < 0 || gid < 0) throw new IllegalStateException("no Uid/Gid in /proc/self/status");
            return new PosixIds(uid, gid);
        } catch (IOException e) {
            throw new IllegalStateException("reading /proc/self/status", e);
        }
    }
}
