package loomd.daemon.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Look-ups in {@code /etc/passwd} (the JDK has no getpwuid). Files only: like upstream on a
 * system without NSS modules.
 *
 * <p>Upstream looks the user up on each connection, so a user created while the daemon runs is
 * found by its next connection. Here users found are cached briefly (every connection of a busy
 * user would otherwise re-read the file, twice); a uid not found is never cached, so it is looked
 * up again on its next connection.
 */
public final class Passwd {
    record Entry(String name, int uid, int gid) { }

    private static final int MAX_CACHED = 1024;
    private static final Duration FOUND_TTL = Duration.ofSeconds(30);
    private static final Passwd SYSTEM = new Passwd(Path.of("/etc/passwd"), FOUND_TTL);

    private final Path file;
    private final Cache<Integer, Entry> foundByUid;

    Passwd(Path file, Duration foundTtl) {
        this.file = file;
        this.foundByUid = Caffeine.newBuilder().maximumSize(MAX_CACHED).expireAfterWrite(foundTtl).build();
    }

    static Entry byUid(int uid) {
        return SYSTEM.user(uid);
    }

    /** The login name of {@code uid}, or the number itself when unknown (as upstream logs it). */
    public static String nameOf(int uid) {
        Entry e = byUid(uid);
        return e == null ? Integer.toString(uid) : e.name();
    }

    static Entry byName(String name) {
        return SYSTEM.user(name);
    }

    /** The user of {@code uid}, or null; a null is not cached (Caffeine stores no null). */
    Entry user(int uid) {
        return foundByUid.get(uid, u -> find(e -> e.uid == u));
    }

    /** Not cached: only {@code wopSetOptions} with a {@code user-name} asks. */
    Entry user(String name) {
        return find(e -> e.name.equals(name));
    }

    private Entry find(Predicate<Entry> wanted) {
        for (Entry e : entries()) {
            if (wanted.test(e)) {
                return e;
            }
        }
        return null;
    }

    private List<Entry> entries() {
        try {
            return Files.readAllLines(file).stream()
                    .map(line -> line.split(":", -1))
                    .filter(f -> f.length >= 4 && f[2].matches("[0-9]{1,10}") && f[3].matches("[0-9]{1,10}"))
                    .map(f -> new Entry(f[0], (int) Long.parseLong(f[2]), (int) Long.parseLong(f[3])))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
