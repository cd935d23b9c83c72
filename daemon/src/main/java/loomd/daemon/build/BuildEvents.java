package loomd.daemon.build;

/**
 * Where a build operation's messages and builder output go (the client, through its session). Called
 * from build threads, concurrently: implementations queue and let the session's own thread write.
 */
public interface BuildEvents {
    /** A message or trace line at {@code level} (0 error .. 5 vomit), {@code text} with its trailing newline. */
    void message(int level, String text);

    /** One chunk of builder output (at most 4096 bytes, upstream's reads). */
    void log(long pid, byte[] data, int off, int len);

    BuildEvents NONE = new BuildEvents() {
        @Override
        public void message(int level, String text) { }

        @Override
        public void log(long pid, byte[] data, int off, int len) { }
    };
}
