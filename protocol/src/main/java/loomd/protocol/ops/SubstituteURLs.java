package loomd.protocol.ops;

import java.io.IOException;

import loomd.protocol.wire.WireReader;
import loomd.protocol.wire.WorkerOp;

/** {@code wopSubstituteURLs} (81, §6.81). */
public record SubstituteURLs() implements NoFieldsRequest<NamesReply> {
    public static SubstituteURLs read(WireReader in, int minor) {
        return new SubstituteURLs();
    }

    @Override
    public WorkerOp op() {
        return WorkerOp.SUBSTITUTE_URLS;
    }

    @Override
    public NamesReply readReply(WireReader in, int minor) throws IOException {
        return NamesReply.read(in, minor);
    }
}
