package loomd.protocol.nar;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names and targets are raw bytes in a NAR but Strings in java.nio.file (decoded with
 * {@code sun.jnu.encoding}, which must be UTF-8: run the JVM under a UTF-8 locale).
 */
final class NarNames {
    private NarNames() {
    }

    /** Strict UTF-8 decoding: bytes that would not survive the trip to a Path are refused. */
    static String decode(byte[] bytes, String what) throws NarException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new NarException("NAR " + what + " is not valid UTF-8, which loomd cannot restore");
        }
    }

    static byte[] encode(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
