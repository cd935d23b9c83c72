package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.test.support.DaemonProcess;

/**
 * The AOT cache and its stale-cache guard (platform.md §6): {@code bin/loomd-aot} names the cache
 * after the jar's sha256; {@code bin/loomd} maps it while the jar is the one it was trained on, and
 * starts without it once the jar is replaced (a JDK 25.0.3 cache would otherwise run the old
 * classes); a new training replaces the old cache.
 */
class AotCacheTest {
    @TempDir
    Path dir;

    @Test
    void cacheFollowsTheJar() throws Exception {
        Path jar = dir.resolve("loomd.jar");
        Files.copy(DaemonProcess.daemonJar(), jar);
        assertEquals(0, run(List.of(Activator.repoRoot().resolve("bin/loomd-aot").toString(), jar.toString()), jar).status);
        String hash = Files.readString(dir.resolve("aot/current")).split(" ")[0];
        assertTrue(Files.isRegularFile(dir.resolve("aot/" + hash + ".aot")));
        assertTrue(Files.isRegularFile(dir.resolve("aot/" + hash + ".libsqlitejdbc.so")), "SQLite's library, extracted once");

        // A daemon start with the cache: SQLite's library comes from beside it, not from /tmp.
        Result used = version(jar);
        assertTrue(used.out.contains("Opened AOT cache " + dir.resolve("aot/" + hash + ".aot")), used.out);
        assertTrue(used.out.contains("loomd 0.1.0"), used.out);

        // The jar replaced in place (one more entry): the launcher no longer maps the old cache.
        replaceJar(jar);
        Result stale = version(jar);
        assertFalse(stale.out.contains("Opened AOT cache"), stale.out);
        assertTrue(stale.out.contains("loomd 0.1.0"), stale.out);

        assertEquals(0, run(List.of(Activator.repoRoot().resolve("bin/loomd-aot").toString(), jar.toString()), jar).status);
        String newHash = Files.readString(dir.resolve("aot/current")).split(" ")[0];
        assertFalse(newHash.equals(hash));
        try (var files = Files.list(dir.resolve("aot"))) {
            assertEquals(java.util.Set.of("current", newHash + ".aot", newHash + ".libsqlitejdbc.so"),
                    files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
                    "the old cache is deleted");
        }
        assertTrue(version(jar).out.contains("Opened AOT cache " + dir.resolve("aot/" + newHash + ".aot")));
    }

    private record Result(int status, String out) { }

    private Result version(Path jar) throws Exception {
        return run(List.of(Activator.launcher().toString(), "--version"), jar, "LOOMD_JVM_OPTS", "-Xlog:aot=info");
    }

    private static Result run(List<String> cmd, Path jar, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LOOMD_"));
        pb.environment().put("LOOMD_JAVA", DaemonProcess.javaBinary().toString());
        pb.environment().put("LOOMD_JAR", jar.toString());
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    /** Rewrites the jar with every entry plus one, as an upgrade would replace it. */
    private static void replaceJar(Path jar) throws IOException {
        Path next = jar.resolveSibling("next.jar");
        try (var in = new java.util.zip.ZipFile(jar.toFile());
                OutputStream raw = Files.newOutputStream(next);
                ZipOutputStream out = new ZipOutputStream(raw)) {
            for (var e : java.util.Collections.list(in.entries())) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.getInputStream(e).transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("loomd-upgraded.txt"));
            out.write("upgraded\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        Files.move(next, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
