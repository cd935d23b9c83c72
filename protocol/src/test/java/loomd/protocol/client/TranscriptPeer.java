package loomd.protocol.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An in-memory daemon that serves a transcript's recorded {@code D>} bytes and records what the
 * client writes. Because the protocol is strict request/response and the client reads only what
 * each reply holds, serving the whole daemon stream up front is equivalent to the real exchange.
 */
final class TranscriptPeer {
    final Transcript transcript;
    final ByteArrayInputStream fromDaemon;
    final ByteArrayOutputStream toDaemon = new ByteArrayOutputStream();

    TranscriptPeer(Transcript transcript) {
        this.transcript = transcript;
        this.fromDaemon = new ByteArrayInputStream(transcript.daemonBytes());
    }

    static Path transcriptDir() {
        return Path.of(System.getProperty("loomd.shared", "/work/shared"), "spec", "transcripts");
    }

    static TranscriptPeer load(String name) throws IOException {
        return new TranscriptPeer(Transcript.parse(transcriptDir().resolve(name + ".txt")));
    }

    StoreClient open(ClientOptions options) throws IOException {
        return StoreClient.open(fromDaemon, toDaemon, null, options);
    }

    int unreadDaemonBytes() {
        return fromDaemon.available();
    }
}
