package loomd.test.substitute;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The benchmark's substitute server: plain HTTP/1.1 GETs with keep-alive over the files of one
 * directory, each body sent with {@code sendfile(2)} ({@link FileChannel#transferTo}). A remote cache
 * spends its own CPU; on the bench's two shared cores the JDK's {@code HttpServer}, which copies each
 * body through the Java heap, took CPU the daemon under test then lacked. No misbehaviours here:
 * those are {@link NarServer}'s.
 */
final class SendfileServer implements AutoCloseable {
    private static final int MAX_HEAD = 16 * 1024;
    private final Path root;
    private final ServerSocketChannel listener;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();

    SendfileServer(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), 64);
        Thread.ofPlatform().daemon().name("sendfile-accept").start(this::accept);
    }

    String url() throws IOException {
        return "http://127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel c = listener.accept();
                open.add(c);
                // Platform threads: few connections (the client's per-server limits), and sendfile on them
                // blocks as it would in a server of its own.
                Thread.ofPlatform().daemon().name("sendfile-conn").start(() -> serve(c));
            }
        } catch (ClosedChannelException e) {
            // closed
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
            while (true) {
                String head = head(c, in);
                if (head == null) return;
                String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
                if (line.length != 3 || !line[0].equals("GET")) return;
                send(c, line[1]);
                if (head.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close")) return;
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            open.remove(c);
        }
    }

    /** One request's head (the bytes up to the blank line); null at end of stream. */
    private static String head(SocketChannel c, ByteBuffer in) throws IOException {
        while (true) {
            String seen = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
            int end = seen.indexOf("\r\n\r\n");
            if (end >= 0) {
                // HttpClient does not pipeline: nothing follows the head of a GET.
                in.clear();
                return seen.substring(0, end + 2);
            }
            if (!in.hasRemaining() || c.read(in) < 0) return null;
        }
    }

    private void send(SocketChannel c, String target) throws IOException {
        Path file = root.resolve(target.substring(1)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            write(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        try (FileChannel f = FileChannel.open(file)) {
            long size = f.size();
            write(c, "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n");
            for (long at = 0; at < size; ) at += f.transferTo(at, size - at, c);
        }
    }

    private static void write(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) c.write(b);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (SocketChannel c : open) c.close();
    }
}
