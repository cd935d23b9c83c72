package loomd.protocol.client;

import java.io.IOException;
import java.util.Arrays;

/** Export bundles recorded in spec/transcripts, for tests of other packages. */
public final class TranscriptBundles {
    private TranscriptBundles() {}

    /** The 1000-byte signed bundle the client fed to STDERR_READ in 12-import-paths. */
    public static byte[] importBundle() throws IOException {
        Transcript t = TranscriptPeer.load("12-import-paths").transcript;
        for (Transcript.Chunk c : t.chunks()) {
            byte[] b = c.bytes();
            if (c.direction() == Transcript.Direction.CLIENT_TO_DAEMON && b.length > 1000) {
                return Arrays.copyOfRange(b, 8, 8 + 1000);
            }
        }
        throw new IllegalStateException("no bundle chunk in 12-import-paths");
    }
}
