package loomd.protocol.nar;

import static loomd.protocol.nar.NarTestSupport.narOf;
import static loomd.protocol.nar.NarTestSupport.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeded random trees: tree -> NAR -> restore -> NAR is the identity; all readers agree. */
class NarRoundTripPropertyTest {
    private static final List<String> NAME_PARTS = List.of("a", "B", "z", "Z", "0", "9", "-", "_", ".", " ", "~", "é",
            "日本", "\u00ff", "\uD83D\uDE00", "x y", "README", "ab", "aB", "a.b", "+", "=", "?", "\t");

    @TempDir
    Path tmp;

    @Test
    void randomTreesRoundTripByteForByte() throws IOException {
        Random random = new Random(20261122);
        for (int i = 0; i < 250; i++) {
            Path source = tmp.resolve("src" + i);
            int rootKind = random.nextInt(10);
            if (rootKind == 0) {
                writeFile(source, random);
            } else if (rootKind == 1) {
                Files.createSymbolicLink(source, Path.of(randomTarget(random)));
            } else {
                Files.createDirectory(source);
                fill(source, random, 0, new int[] {1 + random.nextInt(40)});
            }
            checkRoundTrip(source, tmp.resolve("dst" + i));
        }
    }

    private static void checkRoundTrip(Path source, Path destination) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarResult written = new NarWriter().write(source, out);
        byte[] nar = out.toByteArray();
        assertEquals(nar.length, written.narSize());
        assertEquals(Hash.of(HashAlgorithm.SHA256, nar), written.narHash());

        NarSummary hashed = NarHasher.parse(stream(nar), NarOptions.DEFAULT);
        NarSummary restored = new NarRestorer().restore(stream(nar), destination);
        assertEquals(written, hashed.nar());
        assertEquals(hashed, restored);
        assertArrayEquals(nar, narOf(destination), "re-serialised tree differs for " + source);
    }

    private static void fill(Path dir, Random random, int depth, int[] budget) throws IOException {
        int children = random.nextInt(6);
        Set<String> used = new HashSet<>();
        for (int c = 0; c < children && budget[0] > 0; c++) {
            String name = randomName(random);
            if (!used.add(name)) {
                continue;
            }
            budget[0]--;
            Path child = dir.resolve(name);
            int kind = random.nextInt(10);
            if (kind < 5) {
                writeFile(child, random);
            } else if (kind < 7) {
                Files.createSymbolicLink(child, Path.of(randomTarget(random)));
            } else {
                Files.createDirectory(child);
                if (depth < 6) {
                    fill(child, random, depth + 1, budget);
                }
            }
        }
    }

    private static void writeFile(Path path, Random random) throws IOException {
        int size = switch (random.nextInt(40)) {
            case 0, 1, 2, 3, 4 -> 0;
            case 5, 6, 7, 8, 9 -> random.nextInt(8);
            case 10 -> 300_000 + random.nextInt(100_000); // spans parser chunks and writer buffer edges
            default -> random.nextInt(3000);
        };
        byte[] contents = new byte[size];
        random.nextBytes(contents);
        Files.write(path, contents);
        boolean executable = random.nextInt(3) == 0;
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(executable ? "rwxr-x---" : "rw-r-----"));
    }

    private static String randomName(Random random) {
        StringBuilder name = new StringBuilder();
        int parts = 1 + random.nextInt(4);
        for (int i = 0; i < parts; i++) {
            name.append(NAME_PARTS.get(random.nextInt(NAME_PARTS.size())));
        }
        String result = name.toString();
        return result.equals(".") || result.equals("..") ? result + "x" : result;
    }

    private static String randomTarget(Random random) {
        StringBuilder target = new StringBuilder(random.nextBoolean() ? "/" : "");
        int segments = 1 + random.nextInt(4);
        for (int i = 0; i < segments; i++) {
            if (i > 0) {
                target.append('/');
            }
            target.append(random.nextInt(5) == 0 ? ".." : randomName(random));
        }
        return target.toString();
    }

    @Test
    void mutatedNarsAreEitherRejectedCleanlyOrCanonical() throws IOException {
        Random random = new Random(7);
        Path source = tmp.resolve("mutation-source");
        Files.createDirectory(source);
        fill(source, random, 0, new int[] {25});
        byte[] nar = narOf(source);
        for (int i = 0; i < 300; i++) {
            byte[] mutated = nar.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
            }
            Path target = tmp.resolve("m" + i);
            NarSummary summary;
            try {
                summary = new NarRestorer().restore(stream(mutated), target);
            } catch (IOException e) {
                // NarException, or a valid NAR the file system refuses (e.g. a name that is not UTF-8).
                assertFalse(Files.exists(target), "left behind after: " + e.getMessage());
                continue;
            }
            // Accepted: it must have been a canonical NAR of exactly these bytes (or a prefix of them).
            byte[] again = narOf(target);
            assertEquals(summary.nar().narSize(), again.length);
            assertArrayEquals(java.util.Arrays.copyOf(mutated, again.length), again);
        }
    }
}
