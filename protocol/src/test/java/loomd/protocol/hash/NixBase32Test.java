package loomd.protocol.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** test-vectors.md §2. */
class NixBase32Test {

    @ParameterizedTest
    @CsvSource({
        "0000000000000000000000000000000000000000, 00000000000000000000000000000000",
        "ffffffffffffffffffffffffffffffffffffffff, zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "0102030405060708090a0b0c0d0e0f1011121314, 2h9i448h1w70s30b184hh1q60l2060h1",
        "b1946ac92492d2347c6235b4d2611184, 4425hx5d1mc9y39llj4k4nm55i",
        "f572d396fae9206628714fb2ce00f72e94f2258f, iwjz551fyw0cxcjgf4l6c879zabd6wpm",
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, 00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq",
        "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629, 0lrc0dwnvipqviibf7qfm1y492qvjwb1zhkcyi05cndmva1mr5gjcgrnz1x36djmk0sfg8djd2n0qv68vib2jg590mwznar9jcjphp7",
    })
    void encodesAndDecodesVectors(String hex, String nix32) {
        byte[] bytes = Base16.decode(hex);
        assertEquals(nix32, NixBase32.encode(bytes));
        assertArrayEquals(bytes, NixBase32.decode(nix32));
        assertEquals(hex, Base16.encode(NixBase32.decode(nix32)));
    }

    @Test
    void digestsOfHelloMatchVectors() {
        byte[] hello = "hello\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals("4425hx5d1mc9y39llj4k4nm55i", Hash.of(HashAlgorithm.MD5, hello).toNixBase32());
        assertEquals("iwjz551fyw0cxcjgf4l6c879zabd6wpm", Hash.of(HashAlgorithm.SHA1, hello).toNixBase32());
        assertEquals("00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq",
                Hash.of(HashAlgorithm.SHA256, hello).toNixBase32());
        assertEquals("e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629",
                Hash.of(HashAlgorithm.SHA512, hello).toBase16());
        assertEquals("0lrc0dwnvipqviibf7qfm1y492qvjwb1zhkcyi05cndmva1mr5gjcgrnz1x36djmk0sfg8djd2n0qv68vib2jg590mwznar9jcjphp7",
                Hash.of(HashAlgorithm.SHA512, hello).toNixBase32());
    }

    @Test
    void rejectsCharactersOutsideAlphabet() {
        for (char bad : new char[] {'e', 'o', 'u', 't', 'A', '-', 'é'}) {
            String text = "0000000000000000000000000000000" + bad;
            HashFormatException e = assertThrows(HashFormatException.class, () -> NixBase32.decode(text));
            assertTrue(e.getMessage().contains("invalid base-32 character"), e.getMessage());
        }
    }

    @Test
    void rejectsExcessBits() {
        // 52 characters carry 260 bits for 256: the first digit may only be 0 or 1.
        String ok = "1" + "0".repeat(51);
        assertEquals(32, NixBase32.decode(ok).length);
        assertThrows(HashFormatException.class, () -> NixBase32.decode("2" + "0".repeat(51)));
    }

    @Test
    void randomRoundTrips() {
        Random random = new Random(42);
        for (int i = 0; i < 500; i++) {
            byte[] bytes = new byte[random.nextInt(70)];
            random.nextBytes(bytes);
            String text = NixBase32.encode(bytes);
            assertEquals(NixBase32.encodedLength(bytes.length), text.length());
            assertArrayEquals(bytes, NixBase32.decode(text));
        }
    }

    @Test
    void foldMatchesVector() {
        Hash h = Hash.parse("sha256:727066c7db36b9e9260d3040ed9f9f26a1a66e9ab6d75dc5914297c9fa84849f");
        byte[] folded = h.compress(20);
        assertEquals("c4a73b024a742e20dc89b4dfed9f9f26a1a66e9a", Base16.encode(folded));
        assertEquals("k9pad896kygyvpxli7f20bkl9813p9y4", NixBase32.encode(folded));
    }
}
