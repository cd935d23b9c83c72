package loomd.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * Every code the Java side shares with the spawner (message types, request flags, bind flags,
 * setup steps, the fd limit) against {@code spawner.h} itself, both ways: a number changed on one
 * side only, or a constant added on one side only, fails here.
 */
class SpawnerHeaderTest {
    /** Header constants with no Java counterpart, and why. */
    private static final Set<String> C_ONLY = Set.of(
            "CLOSE_RANGE_CLOEXEC", // a fallback for old libc headers, not part of the link
            "MAX_FDS",             // fds per request: Java does not check it yet
            "MAX_FRAME");          // the spawner's bound on a request frame: Java does not check it yet
    /** Wire constants with no header counterpart, and why. */
    private static final Set<String> JAVA_ONLY = Set.of(
            "MAX_REPLY");          // Java's bound on a reply frame; the spawner's replies are small
    /** The header's name of each namespace's flag. */
    private static final Map<Namespace, String> NAMESPACE_FLAGS = Map.of(
            Namespace.MOUNT, "F_NEWNS", Namespace.PID, "F_NEWPID", Namespace.NET, "F_NEWNET",
            Namespace.IPC, "F_NEWIPC", Namespace.UTS, "F_NEWUTS", Namespace.USER, "F_NEWUSER");

    @Test
    void everyHeaderCodeHasItsJavaTwinWithTheSameValue() throws Exception {
        Map<String, Long> header = new TreeMap<>(CHeader.constants(header()));
        header.keySet().removeAll(C_ONLY);
        Map<String, Long> java = javaSide();
        List<String> differences = new ArrayList<>();
        Set<String> names = new TreeSet<>(header.keySet());
        names.addAll(java.keySet());
        for (String name : names) {
            if (!Objects.equals(header.get(name), java.get(name))) {
                differences.add(name + ": spawner.h " + Objects.requireNonNullElse(header.get(name), "has none")
                        + ", loomd.spawner " + Objects.requireNonNullElse(java.get(name), "has none"));
            }
        }
        assertEquals(List.of(), differences);
        assertTrue(java.size() > 50, "the Java side was read: " + java.keySet());
    }

    @Test
    void namespacesCarryTheHeadersCloneFlags() throws Exception {
        Map<String, Long> header = CHeader.constants(header());
        assertEquals(Set.of(Namespace.values()), NAMESPACE_FLAGS.keySet());
        for (Namespace ns : Namespace.values()) {
            Long flag = header.get(NAMESPACE_FLAGS.get(ns));
            assertNotNull(flag, NAMESPACE_FLAGS.get(ns) + " missing from spawner.h");
            assertEquals(flag, (long) ns.flag, ns.name());
        }
    }

    @Test
    void setupStepsReadBackFromTheirCodes() {
        for (SetupStep step : SetupStep.values()) {
            assertEquals(step, SetupStep.ofCode(step.code()));
        }
        assertThrows(IllegalArgumentException.class, () -> SetupStep.ofCode(0));
        assertThrows(IllegalArgumentException.class, () -> SetupStep.ofCode(99));
        assertEquals("remount-readonly", SetupStep.REMOUNT_READONLY.label());
    }

    @Test
    void theParserReadsWhatTheHeaderUses() {
        Map<String, Long> c = CHeader.constants("""
                #ifndef GUARD_H
                #define GUARD_H
                #define LIMIT 1023 /* a trailing comment */
                #define BIG (64u << 20)
                #define MASK (0x10UL | LIMIT) // another
                #define FN(x) ((x) + 1)
                enum step { A = 1, B, C,
                    D = 1 << 4, E, };
                enum { F };
                #endif
                """);
        assertEquals(new TreeMap<>(Map.of("LIMIT", 1023L, "BIG", 64L << 20, "MASK", 0x10L | 1023, "A", 1L, "B", 2L,
                "C", 3L, "D", 16L, "E", 17L, "F", 0L)), c);
        assertThrows(IllegalArgumentException.class, () -> CHeader.constants("#define X (1 + 2)"));
        assertThrows(IllegalArgumentException.class, () -> CHeader.constants("enum { X = UNKNOWN };"));
        assertThrows(IllegalArgumentException.class, () -> CHeader.constants("enum { X }; enum { X };"));
    }

    /** Wire's int constants (minus Java-only ones) and S_<step> for every setup step. */
    private static Map<String, Long> javaSide() throws IllegalAccessException {
        Map<String, Long> java = new TreeMap<>();
        for (Field f : Wire.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class
                    && !JAVA_ONLY.contains(f.getName())) {
                java.put(f.getName(), (long) f.getInt(null));
            }
        }
        for (SetupStep step : SetupStep.values()) {
            java.put("S_" + step.name(), (long) step.code());
        }
        return java;
    }

    private static Path header() {
        String root = System.getProperty("loomd.root");
        assertNotNull(root, "surefire sets loomd.root to the repository root");
        return Path.of(root, "spawner", "src", "main", "c", "spawner.h");
    }
}
