package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-epoch metrics of a training run, kept as {@code DIR/metrics.csv}: a header line and one
 * row per epoch with the columns {@link #COLUMNS}.
 *
 * <p>Every {@link #append} is durable: the row is written in one piece and the file is flushed and
 * fsynced before the call returns. A crash can therefore only leave a torn <em>last</em> line,
 * which {@link #read} ignores and {@link #open} cuts off before appending again. Whole-file rewrites (creation,
 * that cut, {@link #retainUpTo}) go through {@link AtomicFiles}.
 *
 * <p>Numbers are written with {@link Double#toString} (they read back bit for bit); a NaN, such as
 * a validation metric in an epoch without validation, is written as an empty cell. Accuracies are
 * fractions in [0, 1].
 *
 * <p>One process writes a given log; the class is not meant for concurrent writers.
 */
public final class MetricsLog {

    /** The file name inside the run directory. */
    public static final String FILE_NAME = "metrics.csv";

    /** The CSV columns, in order. */
    public static final List<String> COLUMNS = List.of("epoch", "step", "train_loss", "train_acc",
            "val_loss", "val_top1", "val_top5", "lr", "images_per_sec", "seconds");

    private static final String HEADER = String.join(",", COLUMNS);

    /**
     * One epoch's metrics.
     *
     * @param epoch        1-based epoch number
     * @param step         global optimizer step count at the end of the epoch
     * @param trainLoss    mean training loss over the epoch
     * @param trainAcc     training top-1 accuracy, a fraction in [0, 1]
     * @param valLoss      validation loss (NaN if not validated this epoch)
     * @param valTop1      validation top-1 accuracy, a fraction (NaN if not validated)
     * @param valTop5      validation top-5 accuracy, a fraction (NaN if not validated)
     * @param lr           learning rate at the end of the epoch
     * @param imagesPerSec training throughput
     * @param seconds      wall-clock duration of the epoch, including validation
     */
    public record MetricsRow(int epoch, long step, double trainLoss, double trainAcc, double valLoss,
                             double valTop1, double valTop5, double lr, double imagesPerSec, double seconds) {
    }

    private final Path file;

    private MetricsLog(Path file) {
        this.file = file;
    }

    /**
     * Opens the log in {@code dir} for appending, creating the directory and the file (with its
     * header) if needed. An existing file must have the expected header; a torn last line left by a
     * crash is dropped (the file is rewritten atomically) so that new rows start on a line of their own.
     *
     * @throws ResNet4jException if the file cannot be created or has another header
     */
    public static MetricsLog open(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            Files.createDirectories(dir);
            if (!Files.exists(file) || Files.size(file) == 0) {
                AtomicFiles.writeString(file, HEADER + "\n");
            } else {
                Parsed parsed = parse(file, Files.readString(file, StandardCharsets.UTF_8));
                if (parsed.torn()) {
                    AtomicFiles.writeString(file, render(parsed.rows(), Integer.MAX_VALUE));
                }
            }
        } catch (IOException e) {
            throw new ResNet4jException("Cannot open metrics log " + file + ": " + AtomicFiles.describe(e) + ".", e);
        }
        return new MetricsLog(file);
    }

    /** The CSV file this log writes. */
    public Path file() {
        return file;
    }

    /**
     * Appends one row and forces it to disk before returning.
     *
     * @throws ResNet4jException if the write fails
     */
    public void append(MetricsRow row) {
        byte[] bytes = (format(row) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new ResNet4jException("Cannot write to metrics log " + file + ": " + AtomicFiles.describe(e) + ".", e);
        }
    }

    /** The rows written so far (see {@link #read(Path)}). */
    public List<MetricsRow> rows() {
        return read(file);
    }

    /**
     * Keeps only the rows with {@code epoch <= lastEpoch}, replacing the file atomically. A resumed
     * run calls this with the epoch of its checkpoint so rows written after that checkpoint (and
     * about to be redone) do not appear twice.
     *
     * @throws ResNet4jException if the file cannot be read or rewritten
     */
    public void retainUpTo(int lastEpoch) {
        AtomicFiles.writeString(file, render(rows(), lastEpoch));
    }

    /**
     * Reads the rows of a metrics CSV file. A last line without its newline, or one that does not
     * parse, is taken to be torn by a crash and ignored; any other malformed line is an error.
     *
     * @param csv the {@code metrics.csv} file (not the directory)
     * @throws ResNet4jException if the file is missing, has another header or a malformed row
     */
    public static List<MetricsRow> read(Path csv) {
        String text;
        try {
            text = Files.readString(csv, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ResNet4jException("Metrics log " + csv + " does not exist.", e);
        } catch (IOException e) {
            throw new ResNet4jException("Cannot read metrics log " + csv + ": " + AtomicFiles.describe(e) + ".", e);
        }
        return parse(csv, text).rows();
    }

    /** Rows read from a file, and whether a torn or garbled last line was dropped. */
    private record Parsed(List<MetricsRow> rows, boolean torn) {
    }

    private static Parsed parse(Path csv, String text) {
        if (text.isEmpty()) {
            return new Parsed(List.of(), false);
        }
        checkHeader(csv, text);
        String[] lines = text.split("\n", -1);
        // The element after the last '\n' is "" for a complete file, or the torn tail otherwise.
        int complete = lines.length - 1;
        boolean torn = !lines[complete].isEmpty();
        List<MetricsRow> rows = new ArrayList<>();
        for (int i = 1; i < complete; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            try {
                rows.add(parseRow(line));
            } catch (IllegalArgumentException e) {
                if (i == complete - 1 && !torn) {
                    torn = true; // a garbled final line (e.g. zeros after a power loss)
                    break;
                }
                throw new ResNet4jException("Metrics log " + csv + " line " + (i + 1) + " is malformed: "
                        + e.getMessage() + ".");
            }
        }
        return new Parsed(List.copyOf(rows), torn);
    }

    private static String render(List<MetricsRow> rows, int lastEpoch) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (MetricsRow row : rows) {
            if (row.epoch() <= lastEpoch) {
                sb.append(format(row)).append('\n');
            }
        }
        return sb.toString();
    }

    private static void checkHeader(Path csv, String text) {
        int nl = text.indexOf('\n');
        String first = (nl < 0 ? text : text.substring(0, nl)).strip();
        if (nl < 0 && HEADER.startsWith(first)) {
            return; // header itself torn during creation; no rows yet
        }
        if (!first.equals(HEADER)) {
            throw new ResNet4jException("Metrics log " + csv + " has header '" + abbreviate(first)
                    + "' but expected '" + HEADER + "'.");
        }
    }

    static String format(MetricsRow r) {
        return r.epoch() + "," + r.step() + "," + num(r.trainLoss()) + "," + num(r.trainAcc()) + ","
                + num(r.valLoss()) + "," + num(r.valTop1()) + "," + num(r.valTop5()) + "," + num(r.lr())
                + "," + num(r.imagesPerSec()) + "," + num(r.seconds());
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static MetricsRow parseRow(String line) {
        String[] f = line.strip().split(",", -1);
        if (f.length != COLUMNS.size()) {
            throw new IllegalArgumentException("expected " + COLUMNS.size() + " fields but found " + f.length);
        }
        return new MetricsRow(Integer.parseInt(f[0].strip()), Long.parseLong(f[1].strip()),
                dbl(f[2]), dbl(f[3]), dbl(f[4]), dbl(f[5]), dbl(f[6]), dbl(f[7]), dbl(f[8]), dbl(f[9]));
    }

    private static double dbl(String s) {
        String t = s.strip();
        return t.isEmpty() ? Double.NaN : Double.parseDouble(t);
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
