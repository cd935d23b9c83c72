package loomd.protocol.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The Guix client's {@code topologically-sorted}: a depth-first walk over references that asks for
 * each path's references once, in the client's order, and lists dependencies before dependents.
 * Iterative, so long reference chains cannot overflow a virtual thread's stack.
 */
final class TopologicalOrder {
    /** The references of one path (one {@code wopQueryReferences} round trip). */
    @FunctionalInterface
    interface References {
        List<String> of(String path) throws IOException;
    }

    private record Frame(String path, List<String> refs, int next) {}

    private TopologicalOrder() {}

    static List<String> of(List<String> paths, References references) throws IOException {
        List<String> result = new ArrayList<>();
        Set<String> visited = new HashSet<>();
        for (String path : paths) {
            if (visited.add(path)) {
                walk(path, references, visited, result);
            }
        }
        return result;
    }

    private static void walk(String root, References references, Set<String> visited, List<String> result)
            throws IOException {
        List<Frame> stack = new ArrayList<>();
        stack.add(new Frame(root, references.of(root), 0));
        while (!stack.isEmpty()) {
            Frame top = stack.removeLast();
            if (top.next() < top.refs().size()) {
                stack.add(new Frame(top.path(), top.refs(), top.next() + 1));
                String ref = top.refs().get(top.next());
                if (visited.add(ref)) {
                    stack.add(new Frame(ref, references.of(ref), 0));
                }
            } else {
                result.add(top.path());
            }
        }
    }
}
