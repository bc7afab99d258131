package io.resnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.reliability.Cli;
import io.resnet4j.reliability.Cli.Run;
import io.resnet4j.reliability.Scenery;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer says what is wrong in its own terms; {@code train} adds which flag to change. */
class TrainingAdviceTest {
    @TempDir Path tmp;

    private static Run train(Path data, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", "folder:" + data, "--out", out.toString(),
                "--arch", "custom", "--version", "v2", "--block", "basic", "--blocks", "1,1,1", "--stem", "cifar",
                "--batch-size", "2", "--resize-dim", "8", "--min-aspect-dim", "8"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static void assertError(Run r, String text) {
        assertEquals(1, r.code(), r.err());
        String line = r.err().strip().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("");
        assertTrue(line.contains(text), line);
    }

    @Test
    void trainNamesTheFlagToChange() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 8);
        Path run = tmp.resolve("run");
        assertError(train(data, run, "--classes", "3", "--epochs", "1"),
                "the data has 2 classes but the model 3 (drop --classes or make them agree)");
        assertEquals(0, train(data, run, "--epochs", "2").code());
        assertError(train(data, run, "--epochs", "1", "--resume"),
                "the checkpoint already completed 2 of 1 epochs (raise --epochs to train longer)");
        assertError(train(data, run, "--epochs", "3", "--resume", "--base-width", "16"),
                "; use another --out or the same --arch");
    }
}
