package loomd.daemon.offload;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import loomd.daemon.store.StoreException;
import loomd.process.ProcessMonitor;
import loomd.spawner.Spawner;

/**
 * The build hook of one scheduler (daemon.md §6.2, §6.3): started at the first request, kept while it
 * declines or postpones, handed to the goal it accepts (the next request starts a fresh one). Goals of
 * one scheduler run on threads of their own; the exchange is one at a time, as upstream's single loop
 * makes it. A hook that fails the exchange is dropped, and only the asking goal fails (§9.24).
 *
 * <p>When a hook accepts and the scheduler still has goals that may ask, the next hooks (as many as goals
 * are queued to ask, at most {@link #AHEAD_MAX}) are started at once on virtual threads, so the goals
 * do not wait one after another for a hook's start (upstream starts one when a goal asks: a Guile start,
 * some 0.3 s, per offloaded derivation, in series). Only an accept starts hooks ahead: a hook that
 * declines is asked again, as upstream does. The exchange itself is unchanged: a started hook reads
 * nothing until asked. {@code idle} and {@code ahead} are guarded by this object's monitor; hooks
 * started ahead that nobody takes are killed by {@link #close}.
 */
public final class BuildHook implements AutoCloseable {
    /** Hook starts in flight at most: each is a Guile process starting. */
    static final int AHEAD_MAX = 2;

    /** What the hook answered. */
    public sealed interface Reply {
        record Decline() implements Reply {}

        record Postpone() implements Reply {}

        /** The hook now belongs to the caller. */
        record Accept(HookProcess hook) implements Reply {}
    }

    private final Spawner spawner;
    private final ProcessMonitor monitor;
    private final List<String> argv;
    private final Map<String, String> env;
    private final BooleanSupplier moreToAsk;
    private final AtomicInteger queued = new AtomicInteger();
    private final ArrayDeque<CompletableFuture<HookProcess>> ahead = new ArrayDeque<>();
    private HookProcess idle;
    private boolean closed;

    /**
     * @param argv {@link HookCommand#offloadArgv}
     * @param moreToAsk whether goals of the scheduler may still ask (a hook is then started ahead)
     */
    public BuildHook(Spawner spawner, ProcessMonitor monitor, List<String> argv, Map<String, String> env,
            BooleanSupplier moreToAsk) {
        this.spawner = spawner;
        this.monitor = monitor;
        this.argv = List.copyOf(argv);
        this.env = Map.copyOf(env);
        this.moreToAsk = moreToAsk;
    }

    /**
     * §6.3 step 1 to 3 for one derivation: {@code <avail> <platform> <drv> <features>}.
     *
     * @param forward receives the hook's other lines before its reply
     * @throws StoreException {@code unexpected EOF reading a line}, {@code bad hook reply `X'}, or the hook
     *     could not be started; the hook is dropped
     */
    public Reply ask(boolean slotFree, String platform, String drvPath, List<String> features,
            Consumer<String> forward) throws InterruptedException {
        queued.incrementAndGet();
        return askInTurn(slotFree, platform, drvPath, features, forward);
    }

    private synchronized Reply askInTurn(boolean slotFree, String platform, String drvPath, List<String> features,
            Consumer<String> forward) throws InterruptedException {
        queued.decrementAndGet();
        if (closed) {
            throw new StoreException("the build operation is over");
        }
        HookProcess hook = idle;
        try {
            if (hook == null) {
                hook = started();
                idle = hook;
            }
            String reply = hook.ask((slotFree ? "1" : "0") + " " + platform + " " + drvPath + " "
                    + String.join(",", features), forward);
            return switch (reply) {
                case "decline" -> new Reply.Decline();
                case "postpone" -> new Reply.Postpone();
                case "accept" -> {
                    idle = null;
                    startAhead(Math.max(queued.get(), moreToAsk.getAsBoolean() ? 1 : 0));
                    yield new Reply.Accept(hook);
                }
                default -> throw new StoreException("bad hook reply `" + reply + "'");
            };
        } catch (IOException | StoreException e) {
            drop();
            throw e instanceof StoreException se ? se : new StoreException(e.getMessage());
        }
    }

    /** The oldest hook started ahead if there is one and it started; otherwise one started now. */
    private HookProcess started() throws IOException, InterruptedException {
        CompletableFuture<HookProcess> f = ahead.poll();
        if (f != null) {
            try {
                return f.get();
            } catch (ExecutionException e) {
                // started again below, so the error is reported to the goal that asks
            } catch (InterruptedException e) {
                f.thenAccept(HookProcess::close); // out of the queue: nobody else would kill it
                throw e;
            }
        }
        return startOne();
    }

    private HookProcess startOne() throws IOException, InterruptedException {
        return HookProcess.start(spawner, monitor, argv, env);
    }

    /** Starts hooks until {@code wanted} (at most {@link #AHEAD_MAX}) are started or starting ahead. */
    private void startAhead(int wanted) {
        while (ahead.size() < Math.min(wanted, AHEAD_MAX)) {
            ahead.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return startOne();
                } catch (IOException | InterruptedException e) {
                    throw new CompletionException(e);
                }
            }, r -> Thread.ofVirtual().name("loomd-hook-start").start(r)));
        }
    }

    private void drop() {
        Optional.ofNullable(idle).ifPresent(HookProcess::close);
        idle = null;
    }

    /** The operation is over: the idle hook, if any, is killed. */
    @Override
    public synchronized void close() {
        closed = true;
        drop();
        ahead.forEach(f -> f.thenAccept(HookProcess::close));
        ahead.clear();
    }
}
