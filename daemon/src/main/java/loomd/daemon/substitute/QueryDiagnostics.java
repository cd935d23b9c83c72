package loomd.daemon.substitute;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The query helper's diagnostics as upstream forwards them (daemon.md §5.2): split at {@code \n}
 * (or, when a chunk holds none, at {@code \r}), each piece prefixed {@code substitute: }; a piece left
 * without its end is printed once the reply is complete. Fed on the helper's drain thread; the
 * messages are handed out on the caller's thread by {@link #flush}.
 */
final class QueryDiagnostics implements Consumer<byte[]> {
    static final String PREFIX = "substitute: ";

    private final StringBuilder partial = new StringBuilder();
    private final List<String> ready = new ArrayList<>();

    @Override
    public synchronized void accept(byte[] chunk) {
        partial.append(new String(chunk, StandardCharsets.UTF_8));
        while (true) {
            int p = partial.indexOf("\n");
            if (p < 0) p = partial.indexOf("\r");
            if (p < 0) break;
            ready.add(PREFIX + partial.substring(0, p));
            partial.delete(0, p + 1);
        }
    }

    /** Hands out the complete pieces so far; with {@code end}, also the incomplete one. */
    synchronized void flush(boolean end, Consumer<String> messages) {
        if (end && !partial.isEmpty()) {
            ready.add(PREFIX + partial);
            partial.setLength(0);
        }
        ready.forEach(messages);
        ready.clear();
    }
}
