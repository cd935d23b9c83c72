package loomd.daemon.substitute.nativ;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code <hash>.narinfo} (guix/narinfo.scm): recutils-style {@code Field: value} lines. Only the
 * first {@code URL}/{@code Compression}/{@code FileSize} triple is used; the signed part is the text
 * above {@code Signature:}, which must cover {@code StorePath}, {@code NarHash} and {@code References}.
 *
 * @param cacheUrl the substitute URL it came from
 * @param references base names, as written in the narinfo
 * @param deriver a base name, or "" for none
 */
public record Narinfo(String cacheUrl, String storePath, URI narUri, String compression, long fileSize,
        String narHash, long narSize, List<String> references, String deriver, Optional<String> signature,
        Optional<byte[]> signedSha256) {

    /** A narinfo that cannot be used (missing fields, bad numbers, a URL escaping its cache). */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    public Narinfo {
        references = List.copyOf(references);
    }

    static Narinfo parse(String cacheUrl, String text) throws Invalid {
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon <= 0) continue;
            f.putIfAbsent(line.substring(0, colon), line.substring(colon + 2));
        }
        String path = required(f, "StorePath");
        String url = required(f, "URL");
        String narHash = required(f, "NarHash");
        long narSize = number(f.getOrDefault("NarSize", "0"), "NarSize");
        List<String> refs = new ArrayList<>();
        for (String r : f.getOrDefault("References", "").split(" ")) {
            if (!r.isEmpty()) refs.add(r);
        }
        return new Narinfo(cacheUrl, path, resolve(cacheUrl, url), f.getOrDefault("Compression", "none"),
                number(f.getOrDefault("FileSize", "0"), "FileSize"), narHash, narSize, refs,
                f.getOrDefault("Deriver", ""), Optional.ofNullable(f.get("Signature")), signedPart(text));
    }

    private static String required(Map<String, String> f, String name) throws Invalid {
        String v = f.get(name);
        if (v == null || v.isEmpty()) throw new Invalid("narinfo lacks a `" + name + "' field");
        return v;
    }

    private static long number(String v, String name) throws Invalid {
        if (!v.matches("[0-9]{1,18}")) throw new Invalid("invalid " + name + " in narinfo: " + v);
        return Long.parseLong(v);
    }

    /**
     * The NAR's URL: relative ones under the cache (as upstream), absolute ones as given; any {@code ..}
     * segment is refused, so a narinfo cannot point a {@code file://} cache at the rest of the disk.
     */
    static URI resolve(String cacheUrl, String url) throws Invalid {
        for (String segment : url.split("[/\\\\]")) {
            if (segment.equals("..") || segment.equals("%2e%2e") || segment.equalsIgnoreCase("%2E%2E")) {
                throw new Invalid("invalid URL in narinfo: " + url);
            }
        }
        try {
            URI u = new URI(url);
            if (u.isAbsolute()) return u;
            return new URI(cacheUrl.endsWith("/") ? cacheUrl + url : cacheUrl + "/" + url);
        } catch (java.net.URISyntaxException e) {
            throw new Invalid("invalid URL in narinfo: " + url);
        }
    }

    /** SHA-256 of the text above {@code Signature:}, if that part names the mandatory fields. */
    private static Optional<byte[]> signedPart(String text) {
        int at = text.indexOf("Signature:");
        if (at < 0) return Optional.empty();
        String above = text.substring(0, at);
        for (String field : List.of("StorePath", "NarHash", "References")) {
            if (!above.startsWith(field + ":") && !above.contains("\n" + field + ":")) return Optional.empty();
        }
        try {
            return Optional.of(MessageDigest.getInstance("SHA-256").digest(above.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
