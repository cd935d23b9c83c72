package loomd.daemon.store;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * When an add's contents reach the disk (the package documentation has the protocol and its crash
 * argument). In both modes nothing is fsynced per file: a flusher thread makes everything durable
 * in groups, with one {@code syncfs(2)}, and then records a durable checkpoint.
 *
 * @param mode {@link Mode#BATCHED}: reply once the item is renamed into place and registered;
 *        {@link Mode#STRICT}: reply only after the group sync covering the item
 * @param flushInterval how long a registration may wait for its group sync in batched mode
 */
public record Durability(Mode mode, Duration flushInterval) {
    public enum Mode {
        BATCHED, STRICT;

        /** {@code batched} or {@code strict}, as {@code --durability} takes it. */
        public static Mode parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "batched" -> BATCHED;
                case "strict" -> STRICT;
                default -> throw new IllegalArgumentException("`" + name + "' is not a durability mode"
                        + " (batched or strict)");
            };
        }
    }

    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    public static final Durability DEFAULT = new Durability(Mode.BATCHED, DEFAULT_FLUSH_INTERVAL);

    public Durability {
        Objects.requireNonNull(mode);
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("the flush interval must be positive");
        }
    }
}
