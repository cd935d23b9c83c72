package loomd.test.substitute;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;

import com.github.luben.zstd.ZstdOutputStream;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAOutputStream;
import org.tukaani.xz.XZOutputStream;

import loomd.protocol.hash.NixBase32;

/**
 * A substitute server for the native substituter's tests: a JDK {@link HttpServer} on loopback serving
 * {@code nix-cache-info}, narinfos signed with a real Ed25519 key made here, and NARs in each
 * compression; each file can misbehave ({@link Behaviour}). Records every request path in order.
 */
final class NarServer implements AutoCloseable {
    /** How a file is served. */
    record Behaviour(int status, long delayMillis, long dropAfter, long stallAfterMillis, String cacheControl) {
        static final Behaviour NORMAL = new Behaviour(200, 0, -1, 0, "");
    }

    private record File(byte[] bytes, Behaviour how) { }

    /** A signing key: libgcrypt's text forms of the public key and of signatures over SHA-256 hashes. */
    record Key(KeyPair pair) {
        static Key generate() throws GeneralSecurityException {
            return new Key(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        }

        String q() {
            byte[] der = pair.getPublic().getEncoded();
            return HexFormat.of().withUpperCase().formatHex(Arrays.copyOfRange(der, der.length - 32, der.length));
        }

        String publicKeySexp() {
            return "(public-key \n (ecc \n  (curve Ed25519)\n  (q #" + q() + "#)\n  )\n )";
        }

        String sign(byte[] sha256) throws GeneralSecurityException {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(pair.getPrivate());
            s.update(sha256);
            byte[] rs = s.sign();
            HexFormat hex = HexFormat.of().withUpperCase();
            String sexp = "(signature \n (data \n  (flags rfc6979)\n  (hash sha256 #" + hex.formatHex(sha256) + "#)\n  )\n"
                    + " (sig-val \n  (eddsa \n   (r #" + hex.formatHex(rs, 0, 32) + "#)\n   (s #"
                    + hex.formatHex(rs, 32, 64) + "#)\n   )\n  )\n " + publicKeySexp() + "\n )\n";
            return "1;localhost;" + Base64.getEncoder().encodeToString(sexp.getBytes(StandardCharsets.UTF_8));
        }
    }

    static String acl(Key... keys) {
        StringBuilder sb = new StringBuilder("(acl \n");
        for (Key k : keys) sb.append(" (entry \n  ").append(k.publicKeySexp()).append("\n  (tag \n   (guix import)\n   )\n  )\n");
        return sb.append(" )\n").toString();
    }

    private final HttpServer server;
    private final String storeDir;
    private final Map<String, File> files = new ConcurrentHashMap<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** When each request arrived and when its answer was written, in ms since the server started. */
    final List<String> timeline = new CopyOnWriteArrayList<>();
    private final long started = System.nanoTime();

    NarServer(String storeDir) throws IOException {
        this.storeDir = storeDir;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        put("nix-cache-info", ("StoreDir: " + storeDir + "\nWantMassQuery: 1\nPriority: 10\n").getBytes(), Behaviour.NORMAL);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void put(String name, byte[] bytes, Behaviour how) {
        files.put("/" + name, new File(bytes, how));
    }

    /** Writes every file served to {@code dir}, at its URL path (the bench serves them with {@link SendfileServer}). */
    void exportTo(java.nio.file.Path dir) throws IOException {
        for (var e : files.entrySet()) {
            java.nio.file.Path p = dir.resolve(e.getKey().substring(1));
            java.nio.file.Files.createDirectories(p.getParent());
            java.nio.file.Files.write(p, e.getValue().bytes());
        }
    }

    long requestsFor(String suffix) {
        return requests.stream().filter(r -> r.endsWith(suffix)).count();
    }

    /** What to publish for one store path. */
    record Item(String path, byte[] contents, List<String> references, String deriver, String compression) {
        Item with(String compressionMethod) {
            return new Item(path, contents, references, deriver, compressionMethod);
        }
    }

    /** The narinfo text of {@code item} with its NAR at {@code url}, before the signature line. */
    String narinfo(Item item, String url, byte[] nar, long fileSize) throws GeneralSecurityException {
        return "StorePath: " + item.path() + "\nURL: " + url + "\nCompression: " + item.compression()
                + "\nFileSize: " + fileSize + "\nNarHash: sha256:" + NixBase32.encode(sha256(nar)) + "\nNarSize: "
                + nar.length + "\nReferences: " + String.join(" ", item.references().stream().map(this::base).toList())
                + "\nDeriver: " + (item.deriver().isEmpty() ? "" : base(item.deriver())) + "\nSystem: x86_64-linux\n";
    }

    /** Publishes {@code item} signed by {@code key} (null: unsigned); returns the NAR's bytes. */
    byte[] publish(Item item, Key key) throws IOException, GeneralSecurityException {
        byte[] nar = nar(item.contents());
        byte[] compressed = compress(item.compression(), nar);
        String narName = narName(item);
        put(narName, compressed, Behaviour.NORMAL);
        putNarinfo(item.path(), signed(narinfo(item, narName, nar, compressed.length), key), Behaviour.NORMAL);
        return nar;
    }

    String narName(Item item) {
        return "nar/" + item.compression() + "/" + hashPart(item.path()) + ".nar";
    }

    /** The bytes served for {@code item}'s NAR. */
    byte[] compressedNar(Item item) {
        return files.get("/" + narName(item)).bytes();
    }

    void putNarinfo(String path, String text, Behaviour how) {
        put(hashPart(path) + ".narinfo", text.getBytes(StandardCharsets.UTF_8), how);
    }

    static String signed(String unsigned, Key key) throws GeneralSecurityException {
        return key == null ? unsigned : unsigned + "Signature: " + key.sign(sha256(unsigned.getBytes(StandardCharsets.UTF_8))) + "\n";
    }

    String hashPart(String path) {
        return base(path).substring(0, 32);
    }

    private String base(String path) {
        return path.substring(storeDir.length() + 1);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The NAR of a regular file. */
    static byte[] nar(byte[] contents) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : List.of("nix-archive-1", "(", "type", "regular", "contents")) str(out, s.getBytes());
        str(out, contents);
        str(out, ")".getBytes());
        return out.toByteArray();
    }

    /** The NAR of a directory holding one regular file {@code name}. */
    static byte[] directoryNar(String name, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : List.of("nix-archive-1", "(", "type", "directory", "entry", "(", "name", name, "node", "(",
                "type", "regular", "contents")) {
            str(out, s.getBytes());
        }
        str(out, contents);
        for (String s : List.of(")", ")", ")")) str(out, s.getBytes());
        return out.toByteArray();
    }

    /** Publishes {@code nar} as {@code item}'s NAR, uncompressed, signed by {@code key}. */
    void publishNar(Item item, byte[] nar, Key key) throws GeneralSecurityException {
        String narName = "nar/none/" + hashPart(item.path()) + ".nar";
        put(narName, nar, Behaviour.NORMAL);
        putNarinfo(item.path(), signed(narinfo(item.with("none"), narName, nar, nar.length), key), Behaviour.NORMAL);
    }

    private static void str(ByteArrayOutputStream out, byte[] b) {
        long n = b.length;
        for (int i = 0; i < 8; i++) out.write((int) (n >>> (8 * i)));
        out.writeBytes(b);
        for (int i = b.length; i % 8 != 0; i++) out.write(0);
    }

    static byte[] compress(String method, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        switch (method) {
            case "none" -> bytes.writeBytes(data);
            case "gzip" -> { try (OutputStream o = new GZIPOutputStream(bytes)) { o.write(data); } }
            case "zstd" -> { try (OutputStream o = new ZstdOutputStream(bytes)) { o.write(data); } }
            case "xz" -> { try (OutputStream o = new XZOutputStream(bytes, new LZMA2Options())) { o.write(data); } }
            case "bzip2" -> { try (OutputStream o = new BZip2CompressorOutputStream(bytes)) { o.write(data); } }
            case "lzip" -> lzip(bytes, data);
            default -> throw new IllegalArgumentException(method);
        }
        return bytes.toByteArray();
    }

    /** An lzip member: header (dictionary 1 MiB), raw LZMA with end marker, CRC32/sizes trailer. */
    private static void lzip(ByteArrayOutputStream bytes, byte[] data) throws IOException {
        bytes.writeBytes(new byte[] {'L', 'Z', 'I', 'P', 1, 20});
        LZMA2Options options = new LZMA2Options();
        options.setDictSize(1 << 20);
        try (LZMAOutputStream o = new LZMAOutputStream(new java.io.FilterOutputStream(bytes) {
            @Override public void close() { }
        }, options, true)) {
            o.write(data);
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        long member = bytes.size() + 20;
        for (long v : new long[] {crc.getValue()}) for (int i = 0; i < 4; i++) bytes.write((int) (v >>> (8 * i)));
        for (long v : new long[] {data.length, member}) for (int i = 0; i < 8; i++) bytes.write((int) (v >>> (8 * i)));
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        requests.add(path);
        long arrived = (System.nanoTime() - started) / 1_000_000;
        File f = files.get(path);
        try (x) {
            if (f == null) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            Behaviour how = f.how();
            sleep(how.delayMillis());
            if (!how.cacheControl().isEmpty()) x.getResponseHeaders().add("Cache-Control", how.cacheControl());
            if (how.status() != 200) {
                x.sendResponseHeaders(how.status(), -1);
                return;
            }
            x.sendResponseHeaders(200, f.bytes().length);
            OutputStream out = x.getResponseBody();
            long limit = how.dropAfter() >= 0 ? Math.min(how.dropAfter(), f.bytes().length) : f.bytes().length;
            out.write(f.bytes(), 0, (int) limit);
            out.flush();
            timeline.add(arrived + "-" + (System.nanoTime() - started) / 1_000_000 + " " + path);
            if (how.stallAfterMillis() > 0) sleep(how.stallAfterMillis());
            if (limit < f.bytes().length) {
                // Dropping the connection mid-body: the client sees fewer bytes than announced.
                throw new IOException("dropped on purpose");
            }
        }
    }

    private static void sleep(long millis) {
        if (millis <= 0) return;
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
