package loomd.protocol.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Turns the STDERR_NEXT text of a build into events the way the Guix client's
 * {@code build-event-output-port} does (protocol.md §10): a line {@code "@ NAME F1 F2..."} is a
 * {@link Trace} (fields split on every single space, empty fields kept); {@code "@ build-log PID
 * LEN\n"} announces LEN bytes of builder output, counted across frames, delivered as one
 * {@link Log} with that pid; any other line is a {@link Log} without a pid. Lines end at
 * {@code \n} or {@code \r}.
 *
 * <p>Use it as the connection's log: {@code ClientOptions.DEFAULT.withLog(new BuildEvents(sink))}.
 * Not thread-safe (one per connection, like the client).
 */
public final class BuildEvents implements Consumer<String> {
    /** A parsed event. */
    public sealed interface Event permits Trace, Log {}

    /** {@code @ name fields...}: for example {@code build-started DRV - SYSTEM LOGFILE PID}. */
    public record Trace(String name, List<String> fields) implements Event {
        public Trace {
            fields = List.copyOf(fields);
        }
    }

    /** Builder output of {@code pid} (from {@code @ build-log}), or daemon text when pid is empty. */
    public record Log(OptionalLong pid, String text) implements Event {}

    private final Consumer<Event> sink;
    private final StringBuilder line = new StringBuilder();
    private final StringBuilder payload = new StringBuilder();
    private long payloadPid;
    private long payloadBytesLeft;

    public BuildEvents(Consumer<Event> sink) {
        this.sink = Objects.requireNonNull(sink);
    }

    @Override
    public void accept(String text) {
        int i = 0;
        while (i < text.length()) {
            i = payloadBytesLeft > 0 ? takePayload(text, i) : takeLineChar(text, i);
        }
    }

    private int takePayload(String text, int i) {
        int cp = text.codePointAt(i);
        payload.appendCodePoint(cp);
        payloadBytesLeft -= new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
        if (payloadBytesLeft <= 0) {
            sink.accept(new Log(OptionalLong.of(payloadPid), payload.toString()));
            payload.setLength(0);
        }
        return i + Character.charCount(cp);
    }

    private int takeLineChar(String text, int i) {
        char c = text.charAt(i);
        if (c == '\n' || c == '\r') {
            endLine(c);
        } else {
            line.append(c);
        }
        return i + 1;
    }

    private void endLine(char terminator) {
        String text = line.toString();
        line.setLength(0);
        if (!text.startsWith("@ ")) {
            sink.accept(new Log(OptionalLong.empty(), text + terminator));
            return;
        }
        List<String> fields = splitOnSpaces(text.substring(2));
        String name = fields.removeFirst();
        if (name.equals("build-log") && fields.size() == 2 && startPayload(fields)) {
            return;
        }
        sink.accept(new Trace(name, fields));
    }

    private boolean startPayload(List<String> fields) {
        try {
            long pid = Long.parseLong(fields.get(0));
            long length = Long.parseLong(fields.get(1));
            if (length <= 0) {
                return length == 0;
            }
            payloadPid = pid;
            payloadBytesLeft = length;
            return true;
        } catch (NumberFormatException notALogHeader) {
            return false;
        }
    }

    private static List<String> splitOnSpaces(String s) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int at = s.indexOf(' '); at >= 0; at = s.indexOf(' ', start)) {
            fields.add(s.substring(start, at));
            start = at + 1;
        }
        fields.add(s.substring(start));
        return fields;
    }
}
