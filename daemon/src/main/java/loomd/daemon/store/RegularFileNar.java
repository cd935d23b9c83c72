package loomd.daemon.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * The NAR hash and size of a single non-executable regular file (what add-text and flat
 * add-to-store register), computed from its contents without serialising to a stream.
 */
final class RegularFileNar {
    private static final String[] HEAD = {"nix-archive-1", "(", "type", "regular", "contents"};

    private RegularFileNar() {}

    record Result(Hash narHash, long narSize) {}

    static Result of(byte[] contents) {
        MessageDigest d = HashAlgorithm.SHA256.newDigest();
        long size = 0;
        for (String token : HEAD) size += string(d, token.getBytes(StandardCharsets.US_ASCII));
        size += string(d, contents);
        size += string(d, ")".getBytes(StandardCharsets.US_ASCII));
        return new Result(Hash.finish(HashAlgorithm.SHA256, d), size);
    }

    private static long string(MessageDigest d, byte[] s) {
        byte[] len = new byte[8];
        for (int i = 0; i < 8; i++) len[i] = (byte) ((long) s.length >>> (8 * i));
        d.update(len);
        d.update(s);
        int pad = (8 - (s.length & 7)) & 7;
        d.update(new byte[pad]);
        return 8L + s.length + pad;
    }
}
