package loomd.protocol.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HashTest {
    private static final String HELLO_HEX = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    private static final String HELLO_32 = "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq";

    @Test
    void parsesTypedForms() {
        Hash hex = Hash.parse("sha256:" + HELLO_HEX);
        Hash b32 = Hash.parse("sha256:" + HELLO_32);
        assertEquals(hex, b32);
        assertEquals("sha256:" + HELLO_HEX, b32.toTypedString());
        assertEquals(hex, Hash.parse("sha256:" + HELLO_HEX.toUpperCase()));
        assertEquals(hex, Hash.parse(HashAlgorithm.SHA256, HELLO_32));
    }

    @Test
    void rejectsMalformed() {
        assertThrows(HashFormatException.class, () -> Hash.parse(HELLO_HEX));
        assertThrows(HashFormatException.class, () -> Hash.parse("sha256:abc"));
        assertThrows(HashFormatException.class, () -> Hash.parse("sha256:" + HELLO_HEX.replace('5', 'g')));
        HashFormatException unknown = assertThrows(HashFormatException.class, () -> Hash.parse("sha255:" + HELLO_HEX));
        assertEquals("unknown hash type `sha255'", unknown.getMessage());
    }

    @Test
    void algorithmsByName() {
        assertEquals(HashAlgorithm.SHA3_256, HashAlgorithm.parse("sha3-256"));
        assertEquals(64, HashAlgorithm.parse("sha3-512").digestSize());
        assertTrue(HashAlgorithm.SHA3_512.isSupported());
        for (HashAlgorithm algorithm : HashAlgorithm.values()) {
            assertTrue(algorithm.isSupported());
            assertEquals(algorithm.digestSize(), algorithm.newDigest().digest().length, algorithm.wireName());
        }
        assertTrue(HashAlgorithm.fromName("SHA256").isEmpty());
        assertEquals(103, HashAlgorithm.SHA512.base32Length());
        assertEquals(26, HashAlgorithm.MD5.base32Length());
    }

    @Test
    void isImmutable() {
        byte[] raw = new byte[20];
        Hash h = new Hash(HashAlgorithm.SHA1, raw);
        raw[0] = 1;
        h.bytes()[1] = 1;
        assertEquals("0".repeat(40), h.toBase16());
        assertThrows(IllegalArgumentException.class, () -> new Hash(HashAlgorithm.SHA1, new byte[19]));
    }
}
