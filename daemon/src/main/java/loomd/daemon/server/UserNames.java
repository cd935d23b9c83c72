package loomd.daemon.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** uid to login name from {@code /etc/passwd}, cached; the number itself when unknown (as upstream). */
final class UserNames {
    private static final ConcurrentHashMap<Integer, String> CACHE = new ConcurrentHashMap<>();

    private UserNames() { }

    static String nameOf(int uid) {
        return CACHE.computeIfAbsent(uid, UserNames::lookUp);
    }

    private static String lookUp(int uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 3 && f[2].equals(Integer.toString(uid))) {
                    return f[0];
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return Integer.toString(uid);
    }
}
