package loomd.daemon.build.builtin;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.hash.Hash;

/**
 * Upstream's {@code url-fetch} for the {@code upstream} method: each URL in turn until one gives the
 * whole body, written to the output while its flat hash is computed. Unlike upstream, a body whose
 * hash is wrong does not end the search when more URLs remain (a bad mirror); the last one's body is
 * kept so that the output check reports upstream's {@code hash mismatch}. Messages are upstream's.
 */
final class UrlFetch {
    private final DownloadRequest request;
    private final Path target;
    private final BuiltinLog log;

    UrlFetch(DownloadRequest request, Path target, BuiltinLog log) {
        this.request = request;
        this.target = target;
        this.log = log;
    }

    /** True if the output now holds a whole body (of the right hash unless it was the last URL). */
    boolean run() throws IOException, InterruptedException {
        var uris = request.uris();
        for (int i = 0; i < uris.size(); i++) {
            URI uri = uris.get(i);
            log.print("\nStarting download of " + request.out().path() + "\nFrom " + uri + "...\n");
            Hash actual;
            try {
                actual = fetch(uri);
            } catch (Fetcher.UnsupportedSchemeException e) {
                log.print(e.getMessage() + "\n");
                continue;
            } catch (java.nio.file.NoSuchFileException e) {
                log.print("No such file or directory: " + e.getFile() + "\n");
                continue;
            } catch (IOException e) {
                if (Thread.interrupted() || e.getCause() instanceof InterruptedException) {
                    throw new InterruptedException("stopped while fetching " + uri);
                }
                log.print(e.getMessage() + "\n");
                FileTrees.deleteRecursively(target);
                continue;
            }
            boolean last = i == uris.size() - 1;
            if (request.out().recursive() || actual.equals(request.out().hash()) || last) {
                return true;
            }
            log.print("warning: `" + uri + "' served content with the wrong hash; trying the next URL\n");
            FileTrees.deleteRecursively(target);
        }
        return false;
    }

    /** Upstream's last words when no URL worked (on its stderr, i.e. the same log). */
    String failureMessage() {
        return "failed to download " + SchemeDatum.written(new SchemeDatum.Str(request.out().path())) + " from "
                + SchemeDatum.written(request.url()) + "\n";
    }

    private Hash fetch(URI uri) throws IOException, InterruptedException {
        Fetcher.Body body = Fetcher.open(uri, log::print);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            FileTrees.deleteRecursively(target);
        }
        Hash hash = ContentHash.copyFlat(body.in(), target, request.out().hash());
        log.print(sizeLine(uri, Files.size(target)));
        return hash;
    }

    /** The last state of upstream's progress bar: the file's short name and its size. */
    private static String sizeLine(URI uri, long size) {
        String path = uri.getPath() == null ? uri.toString() : uri.getPath();
        String base = path.substring(path.lastIndexOf('/') + 1);
        return " " + base + "  " + (size >= 1024 * 1024 ? (size / (1024 * 1024)) + "MiB" : (size + 1023) / 1024 + "KiB")
                + "\n";
    }
}
