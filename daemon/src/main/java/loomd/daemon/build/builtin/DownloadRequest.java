package loomd.daemon.build.builtin;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;

/**
 * What a {@code builtin:download} derivation asks for, read from its environment as upstream's
 * {@code perform-download} reads it (daemon.md §4.14): {@code url} (one URL or a list, written by
 * {@code object->string}), {@code mirrors} (a file holding an alist for {@code mirror://} URLs),
 * {@code executable}, and the attributes only Guile can honour ({@code content-addressed-mirrors},
 * {@code disarchive-mirrors}: procedures and Scheme code).
 *
 * @param url        the {@code url} attribute as read (printed in upstream's failure message)
 * @param uris       every URL to try in order, {@code mirror://} URLs expanded
 * @param guileOnly  the attributes that need {@code guix perform-download}, present in the derivation
 * @param upstream   {@code download-methods} absent or naming {@code upstream}
 */
record DownloadRequest(FixedOutput out, SchemeDatum url, List<URI> uris, boolean executable, List<String> guileOnly,
        boolean upstream) {

    /** The {@code out} output with its declared hash. */
    record FixedOutput(String path, boolean recursive, Hash hash) {
        static FixedOutput of(String drvPath, Derivation drv) throws BuiltinError {
            DerivationOutput o = drv.outputs().get("out");
            if (o == null || o.hash().isEmpty()) {
                throw new BuiltinError(drvPath + " is not a fixed-output derivation");
            }
            HashAlgorithm algo = HashAlgorithm.parse(o.algorithmName());
            return new FixedOutput(o.path(), o.isRecursive(), Hash.parse(algo, o.hash()));
        }
    }

    /**
     * Reads the request of {@code drv}; {@code physical} maps a store path (the mirrors file, an input)
     * to the file to read.
     */
    static DownloadRequest of(String drvPath, Derivation drv, Function<String, Path> physical) throws BuiltinError {
        FixedOutput out = FixedOutput.of(drvPath, drv);
        Map<String, String> env = drv.env();
        String urlText = env.get("url");
        if (urlText == null) {
            throw new BuiltinError(drvPath + ": missing URL");
        }
        SchemeDatum url = read(urlText);
        Map<String, List<String>> mirrors = env.containsKey("mirrors")
                ? mirrors(physical.apply(env.get("mirrors"))) : Map.of();
        List<URI> uris = new ArrayList<>();
        for (String u : strings(url)) {
            uris.addAll(expand(parse(u), mirrors));
        }
        List<String> guileOnly = new ArrayList<>();
        for (String attr : List.of("content-addressed-mirrors", "disarchive-mirrors")) {
            if (env.containsKey(attr)) {
                guileOnly.add(attr);
            }
        }
        return new DownloadRequest(out, url, List.copyOf(uris), "1".equals(env.get("executable")),
                List.copyOf(guileOnly), methodEnabled(env.get("download-methods"), "upstream"));
    }

    /** {@code download-methods}: absent means every method, as upstream's {@code download-method-enabled?}. */
    static boolean methodEnabled(String methods, String method) throws BuiltinError {
        if (methods == null) {
            return true;
        }
        SchemeDatum d = read(methods);
        return d instanceof SchemeDatum.Lst l && l.items().contains(new SchemeDatum.Sym(method));
    }

    static SchemeDatum read(String text) throws BuiltinError {
        try {
            return SchemeDatum.read(text);
        } catch (SchemeDatum.SyntaxError e) {
            throw new BuiltinError("cannot read `" + text + "': " + e.getMessage());
        }
    }

    /** A string, or a list of strings (upstream accepts exactly these for {@code url}). */
    static List<String> strings(SchemeDatum d) throws BuiltinError {
        return switch (d) {
            case SchemeDatum.Str s -> List.of(s.value());
            case SchemeDatum.Lst l when l.items().stream().allMatch(i -> i instanceof SchemeDatum.Str) ->
                l.items().stream().map(i -> ((SchemeDatum.Str) i).value()).toList();
            default -> throw new BuiltinError("invalid URL " + SchemeDatum.written(d));
        };
    }

    static URI parse(String u) throws BuiltinError {
        try {
            return new URI(u);
        } catch (URISyntaxException e) {
            throw new BuiltinError("invalid URL " + SchemeDatum.written(new SchemeDatum.Str(u)));
        }
    }

    /** The mirrors file: {@code ((KIND "URL" ...) ...)}. */
    static Map<String, List<String>> mirrors(Path file) throws BuiltinError {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BuiltinError("reading the mirrors file `" + file + "': " + e.getMessage());
        }
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (!(read(text) instanceof SchemeDatum.Lst all)) {
            throw new BuiltinError("the mirrors file `" + file + "' is not a list");
        }
        for (SchemeDatum entry : all.items()) {
            if (entry instanceof SchemeDatum.Lst l && !l.items().isEmpty() && l.items().getFirst() instanceof SchemeDatum.Sym kind) {
                List<String> urls = new ArrayList<>();
                l.items().stream().skip(1).forEach(i -> {
                    if (i instanceof SchemeDatum.Str s) {
                        urls.add(s.value());
                    }
                });
                result.putIfAbsent(kind.name(), List.copyOf(urls));
            }
        }
        return result;
    }

    /** Upstream's {@code maybe-expand-mirrors}: one URI per mirror of the kind, one slash between. */
    static List<URI> expand(URI uri, Map<String, List<String>> mirrors) throws BuiltinError {
        if (!"mirror".equals(uri.getScheme())) {
            return List.of(uri);
        }
        String kind = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        List<String> bases = kind == null ? null : mirrors.get(kind);
        if (bases == null || bases.isEmpty()) {
            throw new BuiltinError("unsupported URL mirror kind " + kind + " " + uri);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        List<URI> result = new ArrayList<>();
        for (String base : bases) {
            result.add(parse(stripEnd(base) + "/" + stripStart(path)));
        }
        return result;
    }

    private static String stripEnd(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(0, end);
    }

    private static String stripStart(String s) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == '/') {
            start++;
        }
        return s.substring(start);
    }
}
