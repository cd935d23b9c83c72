package loomd.daemon.build;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import loomd.daemon.Settings.LogCompression;

/**
 * The log file of one build attempt (daemon.md §1.5): {@code L/drvs/XX/REST} plus {@code .gz}
 * (zlib level 9, 32 KiB buffer, upstream's default), {@code .bz2} (block size 9) or nothing, where
 * {@code XX} is the first two characters of the {@code .drv}'s base name and {@code REST} the others.
 * Clients look for exactly these names ({@code guix build --log-file}, {@code guix log}).
 *
 * <p>Memory is bounded whatever the builder writes: the compressors keep fixed-size state and the
 * uncompressed stream goes through one 32 KiB buffer. The size limit ({@code build-max-log-size}) is
 * the runner's: it counts the builder's bytes, not the file's. Owned by one build's pump thread.
 */
public final class BuildLog implements Closeable {
    private static final int BUFFER_SIZE = 32 * 1024;
    private static final BuildLog NONE = new BuildLog(null, "", OutputStream.nullOutputStream());

    private final Path file;
    private final String traceName;
    private final OutputStream out;

    private BuildLog(Path file, String traceName, OutputStream out) {
        this.file = file;
        this.traceName = traceName;
        this.out = out;
    }

    /** No log file ({@code --lose-logs}): writes are dropped and the trace name is empty. */
    public static BuildLog none() {
        return NONE;
    }

    /**
     * Creates (or truncates: each round rewrites the same file) the log of {@code drvBaseName} under
     * {@code logDir}, directories 0755 and file 0644 under the daemon's umask.
     */
    public static BuildLog open(Path logDir, String drvBaseName, LogCompression compression) throws IOException {
        Objects.requireNonNull(compression);
        if (drvBaseName.length() < 3 || drvBaseName.contains("/")) {
            throw new IllegalArgumentException("not a derivation base name: " + drvBaseName);
        }
        String dirName = drvBaseName.substring(0, 2);
        String fileName = drvBaseName.substring(2) + suffix(compression);
        Path dir = Files.createDirectories(logDir.resolve("drvs").resolve(dirName));
        Path file = dir.resolve(fileName);
        OutputStream raw = Files.newOutputStream(file);
        try {
            // Upstream builds the name as dir + "/" + rest with dir ending in "/": the trace shows "//".
            return new BuildLog(file, logDir + "/drvs/" + dirName + "//" + fileName, compressor(raw, compression));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    static String suffix(LogCompression compression) {
        return switch (compression) {
            case GZIP -> ".gz";
            case BZIP2 -> ".bz2";
            case NONE -> "";
        };
    }

    private static OutputStream compressor(OutputStream raw, LogCompression compression) throws IOException {
        return switch (compression) {
            case GZIP -> new BufferedOutputStream(new GZIPOutputStream(raw, BUFFER_SIZE) {
                {
                    def.setLevel(Deflater.BEST_COMPRESSION);
                }
            }, BUFFER_SIZE);
            case BZIP2 -> new BufferedOutputStream(new BZip2CompressorOutputStream(raw, 9), BUFFER_SIZE);
            case NONE -> new BufferedOutputStream(raw, BUFFER_SIZE);
        };
    }

    /** The file on disk; empty path never: check {@link #isKept()} first. */
    public Path file() {
        if (file == null) {
            throw new IllegalStateException("logs are not kept");
        }
        return file;
    }

    public boolean isKept() {
        return file != null;
    }

    /** The name the {@code @ build-started} trace carries, upstream's double slash included; "" if not kept. */
    public String traceName() {
        return traceName;
    }

    public void write(byte[] data, int off, int len) throws IOException {
        out.write(data, off, len);
    }

    /** Finishes the compressed stream and closes the file. */
    @Override
    public void close() throws IOException {
        if (this != NONE) {
            out.close();
        }
    }
}
