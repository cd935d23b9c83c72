package loomd.locker;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wire codes of {@code locker.h} against {@link Wire}, {@link LockMode} and {@link Wait}, both ways: a
 * number changed on one side only, or a code added on one side only, fails here.
 */
class LockerHeaderTest {
    /** Members of the header's enums; every one has an explicit value there. */
    private static final Pattern ENUM = Pattern.compile("\\benum\\s*\\{([^}]*)}");
    private static final Pattern MEMBER = Pattern.compile("\\s*(\\w+)\\s*=\\s*(\\d+)\\s*");
    private static final Pattern MAX_FRAME = Pattern.compile("#define MAX_FRAME \\(1u << (\\d+)\\)");

    @Test
    void everyHeaderCodeHasItsJavaTwinWithTheSameValue() throws Exception {
        String header = Files.readString(Path.of(System.getProperty("loomd.root", "..")).resolve("locker/src/main/c/locker.h"));
        Map<String, Long> c = new TreeMap<>();
        Matcher body = ENUM.matcher(header);
        while (body.find()) {
            for (String member : body.group(1).split(",")) {
                Matcher m = MEMBER.matcher(member);
                assertTrue(m.matches(), "an enum member without an explicit value: " + member);
                c.put(m.group(1), Long.parseLong(m.group(2)));
            }
        }
        Matcher max = MAX_FRAME.matcher(header);
        assertTrue(max.find(), "no MAX_FRAME in locker.h");
        c.put("MAX_FRAME", 1L << Integer.parseInt(max.group(1)));
        assertEquals(javaSide(), c);
    }

    private static Map<String, Long> javaSide() throws IllegalAccessException {
        Map<String, Long> java = new TreeMap<>();
        for (Field f : Wire.class.getDeclaredFields()) {
            boolean constant = Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers());
            if (constant && f.getName().matches("(OP|ST|FLAG)_\\w+|MAX_FRAME")) {
                f.setAccessible(true);
                java.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        for (LockMode mode : LockMode.values()) {
            java.put("MODE_" + mode.name(), (long) mode.ordinal());
        }
        for (Wait wait : Wait.values()) {
            java.put("WAIT_" + wait.name(), (long) wait.ordinal());
        }
        return java;
    }
}
