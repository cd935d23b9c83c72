package loomd.spawner;

import java.nio.channels.Channel;

/** Where the child's stdout and stderr go. */
public sealed interface Output permits Output.Discard, Output.Capture, Output.ToChannel {

    /** /dev/null. */
    record Discard() implements Output {}

    /**
     * A fresh pipe: the child gets the write end, {@code SpawnedProcess.output()} the read end, which
     * reaches EOF when the child and everything it forked are gone.
     */
    record Capture() implements Output {}

    /**
     * An existing socket or pipe channel of the caller (e.g. a pipe sink it reads elsewhere). The child
     * gets a copy; the spawner clears O_NONBLOCK on the shared file description, so the caller should not
     * keep using the channel from the JVM.
     */
    record ToChannel(Channel channel) implements Output {}

    Output DISCARD = new Discard();
    Output CAPTURE = new Capture();
}
