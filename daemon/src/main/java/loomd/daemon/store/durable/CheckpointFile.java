package loomd.daemon.store.durable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * loomd's durable checkpoint, {@code <db>/loomd-durable}: every {@code ValidPaths} row with an id up
 * to {@link Checkpoint#id} has its contents (and itself) on disk, and whether the daemon stopped
 * cleanly. Upstream ignores the file, so swapping daemons on one store keeps working (the package
 * documentation says what that means for the guarantee).
 *
 * <p>Written as a new file, fsynced, renamed over the old one and the directory fsynced: a power
 * cut leaves the old or the new file whole. Blocking calls: platform threads only.
 */
public final class CheckpointFile {
    public static final String NAME = "loomd-durable";
    private static final String HEADER = "loomd durable checkpoint v1";
    private static final Pattern FORMAT = Pattern.compile(
            Pattern.quote(HEADER) + "\nstate (running|clean)\ncheckpoint ([0-9]{1,18})\n");

    /** Running: rows above {@code id} may lack contents after a power cut. Clean: nothing does. */
    public enum State { RUNNING, CLEAN }

    public record Checkpoint(State state, long id) {}

    /** What the file says: absent, unreadable (corrupt), or a checkpoint. */
    public sealed interface Found permits Absent, Corrupt, Present {}

    public record Absent() implements Found {}

    public record Corrupt(String why) implements Found {}

    public record Present(Checkpoint checkpoint) implements Found {}

    private final Path file;

    public CheckpointFile(Path dbDir) {
        this.file = dbDir.resolve(NAME);
    }

    public Path path() {
        return file;
    }

    public Found read() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return new Absent();
        } catch (IOException e) {
            return new Corrupt(e.toString());
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) return new Corrupt("unexpected contents");
        State state = m.group(1).equals("clean") ? State.CLEAN : State.RUNNING;
        return new Present(new Checkpoint(state, Long.parseLong(m.group(2))));
    }

    /** Replaces the file durably. */
    public void write(Checkpoint c) throws IOException {
        String text = HEADER + "\nstate " + c.state().name().toLowerCase(java.util.Locale.ROOT)
                + "\ncheckpoint " + c.id() + "\n";
        Path temp = file.resolveSibling(NAME + ".new");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
