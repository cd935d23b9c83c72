package loomd.protocol.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/** Vectors from RFC 7693 ("abc") and Python's hashlib.blake2s for the block edges. */
class Blake2s256Test {

    private static String hex(byte[] data) {
        return Hash.of(HashAlgorithm.BLAKE2S_256, data).toBase16();
    }

    @Test
    void knownVectors() {
        assertEquals("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", hex(new byte[0]));
        assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", hex(ascii("abc")));
        assertEquals("3969b3926654065966b6f8d9a65789b0f76d56e1e2ab67dd94faa770959187ca", hex(ascii("hello\n")));
        assertEquals("c13eb20b85b1d6a72d52af717429fc54eacc63fecde1295b26f0fa251bdcf40e", hex(ascii("x".repeat(64))));
        assertEquals("77f538c970521d7f5b94c5e8c88b8ce35661dfc6d61b5bc837da31e543cc6b81", hex(ascii("x".repeat(65))));
        assertEquals("0b81df8f2e8616dc992bff767a30f204a479af922fcb6bcd0a4bebeead30ab06", hex(ascii("x".repeat(128))));
        byte[] ramp = new byte[768];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = (byte) i;
        }
        assertEquals("b928a17862e211e99759ba8819280803a914cd3dee7c5d711a3b5185aa96a7b3", hex(ramp));
    }

    @Test
    void incrementalUpdatesAgreeAndDigestResets() {
        byte[] data = ascii("x".repeat(200));
        MessageDigest digest = HashAlgorithm.BLAKE2S_256.newDigest();
        for (int i = 0; i < data.length; i += 7) {
            digest.update(data, i, Math.min(7, data.length - i));
        }
        assertEquals(hex(data), Base16.encode(digest.digest()));
        digest.update((byte) 'a');
        digest.update(ascii("bc"));
        assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", Base16.encode(digest.digest()));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
