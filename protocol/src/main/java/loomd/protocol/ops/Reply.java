package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireWriter;

/**
 * The reply of one worker operation, after {@code STDERR_LAST}. Every implementation also has
 * {@code static X read(WireReader in, int minor)}, the client's side of {@link #write}.
 */
public sealed interface Reply
        permits IntReply, StringReply, PathsReply, NamesReply, NoReply, PathInfoReply, GcReply, RootsReply,
        SubstitutablePathInfoReply, SubstitutablePathInfosReply {

    /** Writes the reply as the daemon does for a client of minor version {@code minor}. */
    void write(WireWriter out, int minor) throws IOException;
}
