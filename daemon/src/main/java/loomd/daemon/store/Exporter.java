package loomd.daemon.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.protocol.export.ExportWriter;
import loomd.protocol.hash.Hash;

/**
 * {@code wopExportPath} (protocol.md §6.16): one export item, the NAR streamed straight from the
 * store while hashed; a NAR hash that differs from the recorded one (unless that is all zeroes)
 * stops the export before the metadata. Signing goes through {@code guix authenticate} with
 * {@code C/signing-key.sec}, which must be secret.
 */
final class Exporter {
    private final StoreConfig config;
    private final StoreReader reader;
    private final NarCodec nar;
    private final AuthenticateAgent agent;

    Exporter(StoreConfig config, StoreReader reader, NarCodec nar, AuthenticateAgent agent) {
        this.config = config;
        this.reader = reader;
        this.nar = nar;
        this.agent = agent;
    }

    void export(String path, boolean sign, OutputStream out) throws IOException {
        PathInfo info = reader.pathInfo(path).orElseThrow(() -> StoreException.notValid(path));
        ExportWriter.writeItem(out, o -> writeCheckedNar(path, info.narHash(), o), path, info.references(),
                info.deriverOrEmpty(), sign ? this::sign : null);
    }

    private void writeCheckedNar(String path, Hash stored, OutputStream out) throws IOException {
        Hash actual = nar.dump(config.physical(path), out).narHash();
        boolean unknown = Arrays.equals(stored.bytes(), new byte[stored.bytes().length]);
        if (!unknown && !actual.equals(stored)) {
            throw new StoreException("hash of path `" + path + "' has changed from `" + stored.toBase16()
                    + "' to `" + actual.toBase16() + "'!");
        }
    }

    private String sign(byte[] signedHash) {
        Path key = config.configDir().resolve("signing-key.sec");
        checkSecrecy(key);
        return agent.sign(key.toString(), HexFormat.of().formatHex(signedHash));
    }

    /** Upstream's checkSecrecy: the key must exist and have no group or other permission bits. */
    static void checkSecrecy(Path key) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(key, "unix:mode");
        } catch (IOException e) {
            throw new StoreException("getting status of `" + key + "': No such file or directory");
        }
        if ((mode & 077) != 0) {
            throw new StoreException("file `" + key + "' should be secret (inaccessible to everybody else)!");
        }
    }
}
