package loomd.process;

import java.util.Optional;

/** The limits a watched process runs under; empty means none (upstream's 0). */
public record Limits(Optional<TimeLimit.WallClock> wallClock, Optional<TimeLimit.Silence> silence) {
    public static final Limits NONE = new Limits(Optional.empty(), Optional.empty());

    public Limits withWallClock(java.time.Duration d) {
        return new Limits(Optional.of(new TimeLimit.WallClock(d)), silence);
    }

    public Limits withSilence(java.time.Duration d) {
        return new Limits(wallClock, Optional.of(new TimeLimit.Silence(d)));
    }
}
