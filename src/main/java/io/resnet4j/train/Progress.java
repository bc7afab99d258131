package io.resnet4j.train;

import io.resnet4j.ResNet4jException;

import java.io.Console;
import java.io.OutputStream;
import java.io.PrintStream;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.function.LongSupplier;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Progress of a long job (an epoch, an evaluation pass) on stderr, with rate, ETA and a free-form
 * message such as {@code loss 0.412 acc 91.2%}.
 *
 * <p>On a terminal it is a live {@link ProgressBar}. When the JVM has no terminal ({@code
 * System.console() == null}: CI, {@code nohup}, output piped to a file) it prints instead a plain
 * line when the job starts, at most once every {@code interval} while it runs, and when it is
 * closed, so logs stay readable:
 *
 * <pre>
 * epoch 3/90: 12800/50000 img (25.6%), 812.3 img/s, elapsed 0:00:15, ETA 0:00:45, loss 0.412 acc 91.2%
 * </pre>
 *
 * <p>The methods are thread-safe. Use it in try-with-resources; {@link #close()} prints the final
 * state.
 */
public final class Progress implements AutoCloseable {

    /** How often the plain (non-terminal) mode prints a line, unless told otherwise. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

    private final String task;
    private final long total;
    private final String unit;
    private final ProgressBar bar; // null in plain mode
    private final PrintStream out; // plain mode only
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private long current;
    private long lastPrintNanos;
    private String message = "";
    private boolean closed;

    private Progress(String task, long total, String unit, ProgressBar bar, PrintStream out,
                     Duration interval, LongSupplier clock) {
        this.task = task;
        this.total = total;
        this.unit = unit;
        this.bar = bar;
        this.out = out;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrintNanos = startNanos;
    }

    /** Starts progress for {@code total} images, see {@link #start(String, long, String, Duration)}. */
    public static Progress start(String task, long total) {
        return start(task, total, "img", DEFAULT_INTERVAL);
    }

    /**
     * Starts progress for a job of {@code total} units on stderr: a live bar on a terminal, plain
     * lines every {@code interval} otherwise.
     *
     * @param task     shown before the progress, e.g. {@code "epoch 3/90"}
     * @param total    number of units the job will do (0 if unknown)
     * @param unit     unit name, e.g. {@code "img"}
     * @param interval minimum time between plain lines when there is no terminal
     * @throws ResNet4jException if {@code total} or {@code interval} is negative
     */
    public static Progress start(String task, long total, String unit, Duration interval) {
        validate(total, interval);
        if (!isTerminal()) {
            return plain(task, total, unit, interval, System.err, System::nanoTime);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)
                .setUnit(" " + unit, 1)
                .showSpeed(new DecimalFormat("0.0", DecimalFormatSymbols.getInstance(Locale.ROOT)))
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setUpdateIntervalMillis(500)
                .build(); // the library's default consumer writes to System.err
        return new Progress(task, total, unit, bar, null, interval, System::nanoTime);
    }

    /**
     * Whether the JVM runs attached to a terminal: {@code System.console() != null}, and on JDK 22+
     * (where a console exists even when redirected) also {@code Console.isTerminal()}.
     */
    static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // JDK 17-21: a non-null console means a terminal
        }
    }

    /** Plain-line progress on {@code out} with an injectable clock (nanoseconds), for tests. */
    static Progress plain(String task, long total, String unit, Duration interval, PrintStream out,
                          LongSupplier nanoClock) {
        validate(total, interval);
        Progress p = new Progress(task, total, unit, null, out, interval, nanoClock);
        out.println(task + ": started, " + (total > 0 ? total + " " + unit : "unknown size"));
        out.flush();
        return p;
    }

    /** Progress that shows nothing: what a process that does not report (not the primary one) gets. */
    static Progress silent(String task, long total) {
        return plain(task, total, "img", DEFAULT_INTERVAL, new PrintStream(OutputStream.nullOutputStream()),
                System::nanoTime);
    }

    private static void validate(long total, Duration interval) {
        if (total < 0) {
            throw new ResNet4jException("Progress total must be zero or positive, got " + total + ".");
        }
        if (interval.isNegative()) {
            throw new ResNet4jException("Progress interval must not be negative, got " + interval + ".");
        }
    }

    /** Advances by one unit. */
    public void step() {
        step(1);
    }

    /** Advances by {@code n} units (e.g. the batch size). */
    public synchronized void step(long n) {
        current += n;
        if (bar != null) {
            bar.stepBy(n);
        } else {
            maybePrint();
        }
    }

    /** Sets the free-form text shown after the progress, e.g. {@code loss 0.412 acc 91.2%}. */
    public synchronized void message(String text) {
        message = text == null ? "" : text;
        if (bar != null) {
            bar.setExtraMessage(message.isEmpty() ? "" : " " + message); // the bar adds no separator
        }
    }

    /** Shows the running loss and accuracy (a fraction) as {@code loss 0.412 acc 91.2%}. */
    public void metrics(double loss, double accuracy) {
        message(formatMetrics(loss, accuracy));
    }

    /** Formats {@code loss 0.412 acc 91.2%} from a loss and an accuracy fraction. */
    public static String formatMetrics(double loss, double accuracy) {
        return String.format(Locale.ROOT, "loss %.3f acc %.1f%%", loss, 100 * accuracy);
    }

    /** Units done so far. */
    public synchronized long current() {
        return current;
    }

    /** Finishes the display: closes the bar, or prints the final plain line. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bar != null) {
            bar.close();
        } else {
            print(clock.getAsLong(), true);
        }
    }

    private void maybePrint() {
        long now = clock.getAsLong();
        if (now - lastPrintNanos >= intervalNanos) {
            print(now, false);
        }
    }

    private void print(long now, boolean done) {
        lastPrintNanos = now;
        out.println(line(now, done));
        out.flush();
    }

    /** The plain status line at time {@code now} (nanoseconds of the clock). */
    synchronized String line(long now, boolean done) {
        double seconds = Math.max(0, now - startNanos) / 1e9;
        double rate = seconds > 0 ? current / seconds : 0;
        StringBuilder sb = new StringBuilder(task).append(": ").append(current);
        if (total > 0) {
            sb.append('/').append(total);
        }
        sb.append(' ').append(unit);
        if (total > 0) {
            sb.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * current / total));
        }
        sb.append(String.format(Locale.ROOT, ", %.1f %s/s, elapsed %s", rate, unit, clockTime(seconds)));
        if (done) {
            sb.append(", done");
        } else if (total > 0 && rate > 0 && current < total) {
            sb.append(", ETA ").append(clockTime((total - current) / rate));
        }
        if (!message.isEmpty()) {
            sb.append(", ").append(message);
        }
        return sb.toString();
    }

    private static String clockTime(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
