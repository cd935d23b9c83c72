package loomd.daemon.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Look-ups in {@code /etc/passwd} (the JDK has no getpwuid). Files only: like upstream on a
 * system without NSS modules. Read on each call; used once per session start at most.
 */
public final class Passwd {
    record Entry(String name, int uid, int gid) { }

    private static final Path FILE = Path.of("/etc/passwd");

    private Passwd() { }

    private static final java.util.concurrent.ConcurrentHashMap<Integer, java.util.Optional<Entry>> BY_UID =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Cached per uid: a session start must not re-read the file (10,000 connections...). */
    static Entry byUid(int uid) {
        return BY_UID.computeIfAbsent(uid, u -> java.util.Optional.ofNullable(lookUpUid(u))).orElse(null);
    }

    private static Entry lookUpUid(int uid) {
        for (Entry e : entries()) {
            if (e.uid == uid) {
                return e;
            }
        }
        return null;
    }

    /** The login name of {@code uid}, or the number itself when unknown (as upstream logs it). */
    public static String nameOf(int uid) {
        Entry e = byUid(uid);
        return e == null ? Integer.toString(uid) : e.name();
    }

    static Entry byName(String name) {
        for (Entry e : entries()) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<Entry> entries() {
        try {
            return Files.readAllLines(FILE).stream()
                    .map(line -> line.split(":", -1))
                    .filter(f -> f.length >= 4 && f[2].matches("[0-9]{1,10}") && f[3].matches("[0-9]{1,10}"))
                    .map(f -> new Entry(f[0], (int) Long.parseLong(f[2]), (int) Long.parseLong(f[3])))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
