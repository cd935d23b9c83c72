package loomd.test.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import loomd.posix.Processes;

/**
 * A size-limited tmpfs mounted by the test (root only), so the disk-full fault can fill the store's
 * file system without touching the machine's; without root, a plain directory that cannot be filled.
 */
record SizedFileSystem(Path dir, boolean fillable) implements AutoCloseable {
    static SizedFileSystem mountIfRoot(Path dir, int mebibytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (Processes.geteuid() != 0) return new SizedFileSystem(dir, false);
        int status = run("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m,mode=0755", "tmpfs", dir.toString());
        return new SizedFileSystem(dir, status == 0);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (fillable) run("umount", "-l", dir.toString());
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).inheritIO().start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
