package loomd.protocol.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A recorded client<->daemon exchange in the format of {@code spec/transcripts/README.md}: header
 * comment lines, then {@code C> hex} / {@code D> hex} chunks and {@code C> EOF} / {@code D> EOF}.
 * Chunk boundaries are not part of the protocol; compare {@link #clientBytes()} and
 * {@link #daemonBytes()}.
 */
public record Transcript(String name, List<String> header, List<Chunk> chunks, boolean clientEof, boolean daemonEof) {
    public enum Direction { CLIENT_TO_DAEMON, DAEMON_TO_CLIENT }

    public record Chunk(Direction direction, byte[] bytes) {
        public Chunk {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    public Transcript {
        header = List.copyOf(header);
        chunks = List.copyOf(chunks);
    }

    public static Transcript parse(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        return parse(fileName.endsWith(".txt") ? fileName.substring(0, fileName.length() - 4) : fileName,
                Files.readString(file, StandardCharsets.UTF_8));
    }

    public static Transcript parse(String name, String text) {
        List<String> header = new ArrayList<>();
        List<Chunk> chunks = new ArrayList<>();
        boolean clientEof = false;
        boolean daemonEof = false;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.startsWith("C> ") || line.startsWith("D> ")) {
                Direction d = line.charAt(0) == 'C' ? Direction.CLIENT_TO_DAEMON : Direction.DAEMON_TO_CLIENT;
                String payload = line.substring(3).strip();
                if (payload.equals("EOF")) {
                    if (d == Direction.CLIENT_TO_DAEMON) {
                        clientEof = true;
                    } else {
                        daemonEof = true;
                    }
                    continue;
                }
                try {
                    chunks.add(new Chunk(d, HexFormat.of().parseHex(payload)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ":" + lineNo + ": bad hex chunk", e);
                }
            } else if (line.startsWith("#") && chunks.isEmpty()) {
                header.add(line);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                throw new IllegalArgumentException(name + ":" + lineNo + ": unexpected line: " + line);
            }
        }
        return new Transcript(name, header, chunks, clientEof, daemonEof);
    }

    /** Every client->daemon byte, in order. */
    public byte[] clientBytes() {
        return concat(Direction.CLIENT_TO_DAEMON);
    }

    /** Every daemon->client byte, in order. */
    public byte[] daemonBytes() {
        return concat(Direction.DAEMON_TO_CLIENT);
    }

    public byte[] concat(Direction direction) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Chunk c : chunks) {
            if (c.direction() == direction) {
                out.writeBytes(c.bytes);
            }
        }
        return out.toByteArray();
    }

    /** The scenario's Scheme code: header lines between "Client code" and "Client output", without "#   ". */
    public List<String> clientCode() {
        return headerSection("# Client code", "# Client output");
    }

    /** What the client printed (results and daemon log lines). */
    public List<String> clientOutput() {
        return headerSection("# Client output", "# Chunks");
    }

    private List<String> headerSection(String start, String end) {
        List<String> result = new ArrayList<>();
        boolean in = false;
        for (String line : header) {
            if (line.startsWith(start)) {
                in = true;
            } else if (line.startsWith(end)) {
                in = false;
            } else if (in && line.startsWith("#   ")) {
                result.add(line.substring(4));
            }
        }
        return result;
    }
}
