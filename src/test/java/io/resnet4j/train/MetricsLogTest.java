package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.train.MetricsLog.MetricsRow;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

    private static final String HEADER =
            "epoch,step,train_loss,train_acc,val_loss,val_top1,val_top5,lr,images_per_sec,seconds";

    @TempDir
    Path dir;

    private static MetricsRow row(int epoch) {
        return new MetricsRow(epoch, epoch * 100L, 2.0 / epoch, 0.1 * epoch, 2.5 / epoch, 0.09 * epoch,
                0.3 + 0.01 * epoch, 0.1 * Math.pow(0.5, epoch), 812.25 + epoch, 61.5);
    }

    @Test
    void writesHeaderAndReloadsWhatWasWritten() throws IOException {
        MetricsLog log = MetricsLog.open(dir.resolve("run"));
        List<MetricsRow> written = List.of(row(1), row(2), row(3),
                new MetricsRow(4, 400, 0.5, 0.9, Double.NaN, Double.NaN, Double.NaN, 1e-4, 0, 60));
        written.forEach(log::append);

        Path csv = dir.resolve("run").resolve(MetricsLog.FILE_NAME);
        assertEquals(csv, log.file());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(HEADER, lines.get(0));
        assertEquals("4,400,0.5,0.9,,,,1.0E-4,0.0,60.0", lines.get(4)); // NaN -> empty cell
        assertEquals(written, MetricsLog.read(csv));
        assertEquals(written, log.rows());
    }

    @Test
    void reopeningAppendsAfterExistingRows() {
        MetricsLog.open(dir).append(row(1));
        MetricsLog again = MetricsLog.open(dir);
        again.append(row(2));
        assertEquals(List.of(row(1), row(2)), again.rows());
    }

    @Test
    void tornLastLineIsIgnoredAndCutBeforeAppending() throws IOException {
        MetricsLog log = MetricsLog.open(dir);
        log.append(row(1));
        log.append(row(2));
        Path csv = log.file();
        Files.writeString(csv, "3,300,0.66", StandardOpenOption.APPEND); // crash mid-write

        assertEquals(List.of(row(1), row(2)), MetricsLog.read(csv));

        MetricsLog resumed = MetricsLog.open(dir);
        resumed.append(row(3));
        assertEquals(List.of(row(1), row(2), row(3)), MetricsLog.read(csv));
    }

    @Test
    void garbledFinalLineIsIgnored() throws IOException {
        MetricsLog log = MetricsLog.open(dir);
        log.append(row(1));
        Files.writeString(log.file(), "\0\0\0\0\n", StandardOpenOption.APPEND);
        assertEquals(List.of(row(1)), log.rows());
        MetricsLog.open(dir).append(row(2));
        assertEquals(List.of(row(1), row(2)), log.rows());
    }

    @Test
    void malformedMiddleLineIsAnError() throws IOException {
        Path csv = dir.resolve(MetricsLog.FILE_NAME);
        Files.writeString(csv, HEADER + "\n1,100,oops,0,0,0,0,0,0,0\n" + MetricsLog.format(row(2)) + "\n");
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> MetricsLog.read(csv));
        assertTrue(e.getMessage().contains("line 2 is malformed"), e.getMessage());
    }

    @Test
    void headerMismatchIsAClearError() throws IOException {
        Path csv = dir.resolve(MetricsLog.FILE_NAME);
        Files.writeString(csv, "epoch,loss,acc\n1,0.5,0.9\n");
        ResNet4jException read = assertThrows(ResNet4jException.class, () -> MetricsLog.read(csv));
        assertTrue(read.getMessage().contains("has header 'epoch,loss,acc' but expected '" + HEADER + "'"),
                read.getMessage());
        ResNet4jException open = assertThrows(ResNet4jException.class, () -> MetricsLog.open(dir));
        assertTrue(open.getMessage().contains("has header"), open.getMessage());
        assertEquals("epoch,loss,acc\n1,0.5,0.9\n", Files.readString(csv)); // left untouched
    }

    @Test
    void missingFileIsAClearError() {
        ResNet4jException e = assertThrows(ResNet4jException.class,
                () -> MetricsLog.read(dir.resolve("nope.csv")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void retainUpToDropsLaterEpochsAndLeavesNoTempFiles() throws IOException {
        MetricsLog log = MetricsLog.open(dir);
        for (int e = 1; e <= 5; e++) {
            log.append(row(e));
        }
        log.retainUpTo(3);
        assertEquals(List.of(row(1), row(2), row(3)), log.rows());
        log.append(row(4));
        assertEquals(4, log.rows().size());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(log.file()), files.toList());
        }
    }

    @Test
    void progressPrintsPlainLinesWhenNotATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicLong nanos = new AtomicLong();
        try (Progress p = Progress.plain("epoch 1/90", 1000, "img", Duration.ofSeconds(10), out, nanos::get)) {
            nanos.set(5_000_000_000L);
            p.step(100);                  // 5 s: before the interval, no line
            nanos.set(10_000_000_000L);
            p.metrics(0.4123, 0.912);
            p.step(150);                  // 10 s: prints
            nanos.set(12_000_000_000L);
            p.step(50);
            assertEquals(300, p.current());
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, String.join("\n", lines));
        assertEquals("epoch 1/90: started, 1000 img", lines[0]);
        assertEquals("epoch 1/90: 250/1000 img (25.0%), 25.0 img/s, elapsed 0:00:10, ETA 0:00:30, "
                + "loss 0.412 acc 91.2%", lines[1]);
        assertEquals("epoch 1/90: 300/1000 img (30.0%), 25.0 img/s, elapsed 0:00:12, done, "
                + "loss 0.412 acc 91.2%", lines[2]);
    }

    @Test
    void progressSmokeTestOnStderr() {
        assertDoesNotThrow(() -> {
            try (Progress p = Progress.start("smoke", 64)) {
                for (int i = 0; i < 8; i++) {
                    p.step(8);
                    p.message(Progress.formatMetrics(0.5, 0.75));
                }
            }
        });
        assertThrows(ResNet4jException.class, () -> Progress.start("bad", -1));
    }
}
