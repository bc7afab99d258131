package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CLI's promise (one error line, the exit codes) for every hostile input we could think of: bad safetensors files (the whole bad half
 * of the seed corpus) as weights, inputs and models; bad images to predict; bad data specs and image folders; bad
 * model directories; bad numbers; missing and unwritable paths. Each must end with the documented exit code (2: the
 * command line itself is wrong; 1: something it names is bad), exactly one {@code error: …} line that is not an
 * "internal error", and no stack trace. Everything runs in this JVM, so a native crash would also fail the run.
 *
 * <p>Arguments are templates: {@code {t}} is the folder of files built once in {@link #scenery()}.
 */
class HostileCliTest {
    @TempDir static Path t;

    /** One hostile command line, the exit code it must end with, and a phrase its error line must contain. */
    record Case(String name, int code, String phrase, List<String> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void scenery() throws IOException {
        Scenery.modelDirectory(t.resolve("model"), 2);
        Scenery.modelDirectory(t.resolve("model3"), 3);
        Scenery.imageFolder(t.resolve("folder"), 3, 12);
        Scenery.weights(t.resolve("w.safetensors"), 2);
        Scenery.tensorFile(t.resolve("x.safetensors"), "input", 1, 3, 8, 8);
        Scenery.png(t.resolve("good.png"), 12, 0, 9);

        // Images that cannot be classified.
        Path img = Files.createDirectories(t.resolve("img"));
        Files.write(img.resolve("empty.png"), new byte[0]);
        Files.writeString(img.resolve("text.jpg"), "this is not an image\n");
        byte[] noise = new byte[3000];
        new Random(3).nextBytes(noise);
        Files.write(img.resolve("random.png"), noise);
        Files.write(img.resolve("cut.png"), Scenery.truncated(t.resolve("good.png"), 0.5));
        Files.createDirectories(img.resolve("dir.png"));
        Files.createSymbolicLink(img.resolve("dangling.png"), img.resolve("nowhere.png"));
        Files.write(img.resolve("huge.png"), io.resnet4j.data.PngBytes.headerOnly(100_000, 100_000));

        // Model directories that cannot be loaded.
        Files.createDirectories(t.resolve("m-empty"));
        Files.writeString(t.resolve("m-file"), "a file, not a directory");
        copyModel("m-garbage-config");
        Files.writeString(t.resolve("m-garbage-config/config.json"), "{not json");
        copyModel("m-config-dir");
        Files.delete(t.resolve("m-config-dir/config.json"));
        Files.createDirectories(t.resolve("m-config-dir/config.json"));
        copyModel("m-weights-dir");
        Files.delete(t.resolve("m-weights-dir/model.safetensors"));
        Files.createDirectories(t.resolve("m-weights-dir/model.safetensors"));
        copyModel("m-no-weights");
        Files.delete(t.resolve("m-no-weights/model.safetensors"));
        copyModel("m-truncated");
        Files.write(t.resolve("m-truncated/model.safetensors"),
                Scenery.truncated(t.resolve("model/model.safetensors"), 0.7));
        copyModel("m-other-classes");
        Files.writeString(t.resolve("m-other-classes/config.json"),
                Files.readString(t.resolve("model/config.json")).replaceAll("\"num_classes\"\\s*:\\s*2",
                        "\"num_classes\" : 3").replace("\"1\"", "\"1\", \"2\""));
        for (Path bad : Scenery.badCorpusFiles()) {
            Path m = copyModel("m-" + bad.getFileName());
            Files.copy(bad, m.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        // Batches that cannot be run.
        Scenery.tensorFile(t.resolve("x-2d.safetensors"), "input", 3, 8);
        Scenery.tensorFile(t.resolve("x-5ch.safetensors"), "input", 1, 5, 8, 8);
        Scenery.tensorFile(t.resolve("x-zero.safetensors"), "input", 1, 3, 0, 8);
        Scenery.sparseTensorFile(t.resolve("x-huge.safetensors"), "input", 1, 3, 32768, 32768);
        io.resnet4j.io.SafeTensorsWriter.write(t.resolve("x-int.safetensors"), java.util.Map.of("input",
                io.resnet4j.io.TensorData.ofLongs(new long[] {1, 3, 2, 2}, new long[12])), java.util.Map.of());

        // Data sources that cannot be opened.
        Scenery.imageFolder(t.resolve("d-noval"), 2, 8);
        deleteTree(t.resolve("d-noval/val"));
        Scenery.imageFolder(t.resolve("d-emptyclass"), 2, 8);
        deleteTree(t.resolve("d-emptyclass/val/light"));
        Files.createDirectories(t.resolve("d-emptyclass/val/light"));
        Scenery.imageFolder(t.resolve("d-mismatch"), 2, 8);
        Files.move(t.resolve("d-mismatch/val/light"), t.resolve("d-mismatch/val/bright"));
        Scenery.imageFolder(t.resolve("d-allbad"), 2, 8);
        try (var s = Files.walk(t.resolve("d-allbad"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Files.writeString(p, "corrupt");
            }
        }
        Scenery.imageFolder(t.resolve("d-loop"), 2, 8);
        Files.createSymbolicLink(t.resolve("d-loop/train/dark/loop"), t.resolve("d-loop/train"));
        Files.createDirectories(t.resolve("d-noclasses/train"));
        Files.createDirectories(t.resolve("d-noclasses/val"));
        Files.createDirectories(t.resolve("d-emptydir"));
    }

    private static Path copyModel(String name) throws IOException {
        Path to = Files.createDirectories(t.resolve(name));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(t.resolve("model").resolve(f), to.resolve(f));
        }
        return to;
    }

    private static void deleteTree(Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    private static Case c(String name, int code, String phrase, String... args) {
        return new Case(name, code, phrase, List.of(args));
    }

    /**
     * {@code train --data folder:{t}/folder} with the tiny architecture, one epoch of batches of 2 at 8x8; {@code
     * extra} adds flags or replaces these (flag and value pairs, or a lone flag).
     */
    private static Case train(String name, int code, String phrase, String... extra) {
        java.util.LinkedHashMap<String, String> flags = new java.util.LinkedHashMap<>();
        flags.put("--data", "folder:{t}/folder");
        flags.put("--out", "{t}/out-" + name.replaceAll("[^A-Za-z0-9-]", "_"));
        for (int i = 0; i < Scenery.TINY_FLAGS.size(); i += 2) {
            flags.put(Scenery.TINY_FLAGS.get(i), Scenery.TINY_FLAGS.get(i + 1));
        }
        flags.put("--resize-dim", "8");
        flags.put("--min-aspect-dim", "8");
        flags.put("--epochs", "1");
        flags.put("--batch-size", "2");
        for (int i = 0; i < extra.length; i += 2) {
            flags.put(extra[i], i + 1 < extra.length ? extra[i + 1] : null);
        }
        List<String> a = new ArrayList<>(List.of("train"));
        flags.forEach((k, v) -> {
            a.add(k);
            if (v != null) {
                a.add(v);
            }
        });
        return new Case("train " + name, code, phrase, a);
    }

    private static Case trainData(String name, String data, String phrase) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data, "--out", "{t}/out-data", "--epochs", "1"));
        a.addAll(Scenery.TINY_FLAGS);
        return new Case("train --data " + name, 1, phrase, a);
    }

    /** {@code forward} with the tiny architecture and 2 classes; {@code extra} adds or overrides files. */
    private static Case forward(String name, int code, String phrase, String weights, String input,
            String... extra) {
        List<String> a = new ArrayList<>(List.of("forward"));
        a.addAll(Scenery.TINY_FLAGS);
        a.addAll(List.of("--classes", "2", "--weights", weights, "--input", input));
        if (!List.of(extra).contains("--output")) {
            a.addAll(List.of("--output", "{t}/y.safetensors"));
        }
        a.addAll(List.of(extra));
        return new Case("forward " + name, code, phrase, a);
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        String w = "{t}/w.safetensors";
        String x = "{t}/x.safetensors";
        // The bad half of the safetensors seed corpus, as weights, as the input batch, and as a model's weights.
        for (Path bad : Scenery.badCorpusFiles()) {
            String f = bad.getFileName().toString();
            cases.add(forward("--weights " + f, 1, f, bad.toString(), x));
            cases.add(forward("--input " + f, 1, f, w, bad.toString()));
            cases.add(c("predict --model with " + f, 1, "model.safetensors", "predict", "--model", "{t}/m-" + f,
                    "{t}/good.png"));
        }
        cases.add(forward("--input without the tensor", 1, "no tensor 'input'", w,
                Scenery.resource("safetensors-corpus/valid-metadata-only.safetensors").toString()));
        cases.add(forward("--input 2-D tensor", 1, "[N, C, H, W]", w, "{t}/x-2d.safetensors"));
        cases.add(forward("--input int64 tensor", 1, "[N, C, H, W]", w, "{t}/x-int.safetensors"));
        cases.add(forward("--input 5 channels", 1, "channels", w, "{t}/x-5ch.safetensors", "--in-channels", "3"));
        cases.add(forward("--input empty dimension", 1, "empty dimension", w, "{t}/x-zero.safetensors"));
        cases.add(forward("--input 12 GB tensor (sparse)", 1, "2 GiB", w, "{t}/x-huge.safetensors"));
        cases.add(forward("--weights missing", 1, "nowhere.safetensors", "{t}/nowhere.safetensors", x));
        cases.add(forward("--weights a directory", 1, "img", "{t}/img", x));
        cases.add(forward("--weights of another model", 1, "missing", "{t}/w.safetensors", x, "--blocks", "1,1"));
        cases.add(forward("--output in a missing directory", 1, "does not exist", w, x, "--output",
                "{t}/no/such/dir/y.safetensors"));
        cases.add(forward("--output is a directory", 1, "img", w, x, "--output", "{t}/img"));
        cases.add(forward("--mode sideways", 2, "--mode", w, x, "--mode", "sideways"));
        cases.add(forward("--precision fp8", 2, "fp8", w, x, "--precision", "fp8"));
        cases.add(forward("--data-format planar", 2, "planar", w, x, "--data-format", "planar"));

        // Images predict cannot read.
        for (String f : List.of("empty.png", "text.jpg", "random.png", "cut.png", "dir.png", "dangling.png",
                "huge.png", "missing.png")) {
            cases.add(c("predict " + f, 1, f, "predict", "--model", "{t}/model", "{t}/good.png", "{t}/img/" + f));
        }
        // Model directories that cannot be loaded.
        cases.add(c("predict --model missing", 1, "does not exist", "predict", "--model", "{t}/nowhere", "{t}/good.png"));
        cases.add(c("predict --model a file", 1, "m-file", "predict", "--model", "{t}/m-file", "{t}/good.png"));
        cases.add(c("predict --model empty directory", 1, "config.json", "predict", "--model", "{t}/m-empty",
                "{t}/good.png"));
        cases.add(c("predict --model garbage config.json", 1, "config.json", "predict", "--model",
                "{t}/m-garbage-config", "{t}/good.png"));
        cases.add(c("predict --model config.json is a directory", 1, "config.json", "predict", "--model",
                "{t}/m-config-dir", "{t}/good.png"));
        cases.add(c("predict --model model.safetensors is a directory", 1, "model.safetensors", "predict",
                "--model", "{t}/m-weights-dir", "{t}/good.png"));
        cases.add(c("predict --model without weights", 1, "model.safetensors", "predict", "--model",
                "{t}/m-no-weights", "{t}/good.png"));
        cases.add(c("predict --model truncated weights", 1, "model.safetensors", "predict", "--model",
                "{t}/m-truncated", "{t}/good.png"));
        cases.add(c("predict --model config disagrees with weights", 1, "fc.weight", "predict", "--model",
                "{t}/m-other-classes", "{t}/good.png"));
        cases.add(c("eval --model truncated weights", 1, "model.safetensors", "eval", "--model", "{t}/m-truncated",
                "--data", "folder:{t}/folder"));
        // Bad numbers and words for predict and eval.
        cases.add(c("predict --top 0", 2, "--top", "predict", "--model", "{t}/model", "--top", "0", "{t}/good.png"));
        cases.add(c("predict --top -3", 2, "--top", "predict", "--model", "{t}/model", "--top", "-3", "{t}/good.png"));
        cases.add(c("predict --top many", 2, "--top", "predict", "--model", "{t}/model", "--top", "many",
                "{t}/good.png"));
        cases.add(c("predict without files", 2, "FILE", "predict", "--model", "{t}/model"));
        cases.add(c("predict --precision fp8", 2, "fp8", "predict", "--model", "{t}/model", "--precision", "fp8",
                "{t}/good.png"));
        cases.add(c("eval --batch-size 0", 2, "--batch-size", "eval", "--model", "{t}/model", "--data",
                "folder:{t}/folder", "--batch-size", "0"));
        cases.add(c("eval --limit 0", 2, "--limit", "eval", "--model", "{t}/model", "--data", "folder:{t}/folder",
                "--limit", "0"));
        cases.add(c("eval --limit -5", 2, "--limit", "eval", "--model", "{t}/model", "--data", "folder:{t}/folder",
                "--limit", "-5"));
        cases.add(c("eval --data of another class count", 1, "classes", "eval", "--model", "{t}/model3",
                "--data", "folder:{t}/folder"));
        cases.add(c("eval --data unknown", 1, "unknown data source", "eval", "--model", "{t}/model", "--data",
                "imagenet:/x"));
        cases.add(c("eval --confusion-png unwritable", 1, "confusion", "eval", "--model", "{t}/model", "--data",
                "folder:{t}/folder", "--confusion-png", "/proc/confusion.png"));

        // Data sources train cannot use.
        cases.add(trainData("empty spec", "", "no data source"));
        cases.add(trainData("unknown kind", "imagenet:{t}/folder", "unknown data source"));
        cases.add(trainData("folder: without directory", "folder:", "empty directory"));
        cases.add(trainData("missing folder", "folder:{t}/nowhere", "does not exist"));
        cases.add(trainData("folder is a file", "folder:{t}/m-file", "not a directory"));
        cases.add(trainData("folder without val/", "folder:{t}/d-noval", "val/"));
        cases.add(trainData("folder with an empty class", "folder:{t}/d-emptyclass", "light"));
        cases.add(trainData("folder with other val classes", "folder:{t}/d-mismatch", "only in val: bright"));
        cases.add(trainData("folder of corrupt images", "folder:{t}/d-allbad", "could be read"));
        cases.add(trainData("folder with a symlink loop", "folder:{t}/d-loop", "loop"));
        cases.add(trainData("folder without classes", "folder:{t}/d-noclasses", "no class subdirectories"));
        cases.add(trainData("cifar10 empty", "cifar10:{t}/d-emptydir", "data_batch_1.bin"));
        cases.add(trainData("fashion-mnist empty", "fashion-mnist:{t}/d-emptydir", "train-images-idx3-ubyte.gz"));
        // Bad numbers, words and paths for train.
        cases.add(train("--batch-size 0", 2, "--batch-size", "--batch-size", "0"));
        cases.add(train("--batch-size -4", 2, "--batch-size", "--batch-size", "-4"));
        cases.add(train("--batch-size 99999999999", 2, "--batch-size", "--batch-size", "99999999999"));
        cases.add(train("--epochs 0", 2, "--epochs", "--epochs", "0"));
        cases.add(train("--epochs -1", 2, "--epochs", "--epochs", "-1"));
        cases.add(train("--epochs ten", 2, "--epochs", "--epochs", "ten"));
        cases.add(train("--limit -1", 2, "--limit", "--limit", "-1"));
        cases.add(train("--limit 0", 2, "--limit", "--limit", "0"));
        cases.add(train("--lr 0", 2, "--lr", "--lr", "0"));
        cases.add(train("--lr -0.1", 2, "--lr", "--lr", "-0.1"));
        cases.add(train("--lr NaN", 2, "--lr", "--lr", "NaN"));
        cases.add(train("--lr Infinity", 2, "--lr", "--lr", "Infinity"));
        cases.add(train("--momentum 1", 2, "--momentum", "--momentum", "1"));
        cases.add(train("--weight-decay -1", 2, "--weight-decay", "--weight-decay", "-1"));
        cases.add(train("--warmup -2", 2, "--warmup", "--warmup", "-2"));
        cases.add(train("--label-smoothing 1", 2, "--label-smoothing", "--label-smoothing", "1"));
        cases.add(train("--bn-momentum 2", 2, "--bn-momentum", "--bn-momentum", "2"));
        cases.add(train("--workers 0", 2, "--workers", "--workers", "0"));
        cases.add(train("--workers 1000000", 2, "--workers", "--workers", "1000000"));
        cases.add(train("--seed x", 2, "--seed", "--seed", "x"));
        cases.add(train("--schedule bogus", 2, "bogus", "--schedule", "bogus"));
        cases.add(train("--schedule step:x", 2, "step:x", "--schedule", "step:x"));
        cases.add(train("--precision fp8", 2, "fp8", "--precision", "fp8"));
        cases.add(train("--data-format planar", 2, "planar", "--data-format", "planar"));
        cases.add(train("--resize-dim 0", 2, "--resize-dim", "--resize-dim", "0"));
        cases.add(train("--min-aspect-dim smaller than --resize-dim", 2, "--min-aspect-dim", "--min-aspect-dim", "4"));
        cases.add(train("--classes 0", 2, "--classes", "--classes", "0"));
        cases.add(train("--classes 3 for 2-class data", 1, "classes", "--classes", "3"));
        cases.add(train("--in-channels 0", 2, "--in-channels", "--in-channels", "0"));
        cases.add(train("--base-width 0", 2, "--base-width", "--base-width", "0"));
        cases.add(train("--base-width -8", 2, "--base-width", "--base-width", "-8"));
        cases.add(train("--blocks 1,0,1", 2, "--blocks", "--blocks", "1,0,1"));
        cases.add(train("--blocks 1,x", 2, "--blocks", "--blocks", "1,x"));
        cases.add(train("--version v3", 2, "--version", "--version", "v3"));
        cases.add(train("--block wide", 2, "--block", "--block", "wide"));
        cases.add(train("--stem tiny", 2, "--stem", "--stem", "tiny"));
        cases.add(train("--out is a file", 1, "m-file", "--out", "{t}/m-file"));
        cases.add(train("--out is unwritable", 1, "/proc", "--out", "/proc/resnet4j-run"));
        cases.add(c("train custom flags without --arch custom", 2, "--arch custom", "train", "--data",
                "folder:{t}/folder", "--out", "{t}/out-x", "--arch", "resnet18", "--blocks", "1,1"));
        cases.add(c("train --arch custom without its shape", 2, "--arch custom", "train", "--data",
                "folder:{t}/folder", "--out", "{t}/out-x", "--arch", "custom"));
        cases.add(c("train --arch empty", 1, "unknown architecture", "train", "--data", "folder:{t}/folder",
                "--out", "{t}/out-x", "--arch", ""));
        cases.add(c("train without --out", 2, "--out", "train", "--data", "folder:{t}/folder", "--arch",
                "resnet18"));

        // summary, bench, demo.
        cases.add(c("summary --classes 0", 2, "--classes", "summary", "--arch", "resnet18", "--classes", "0"));
        cases.add(c("summary --classes -3", 2, "--classes", "summary", "--arch", "resnet18", "--classes", "-3"));
        cases.add(c("summary --in-channels 0", 2, "--in-channels", "summary", "--arch", "resnet18",
                "--in-channels", "0"));
        cases.add(c("summary --input 0x0", 2, "--input", "summary", "--arch", "resnet18", "--input", "0x0"));
        cases.add(c("summary --input 99999x2", 2, "--input", "summary", "--arch", "resnet18", "--input",
                "99999x2"));
        cases.add(c("summary --input -5x-5", 2, "--input", "summary", "--arch", "resnet18", "--input", "-5x-5"));
        cases.add(c("summary --arch resnet42", 1, "resnet42", "summary", "--arch", "resnet42"));
        cases.add(c("summary --arch cifar-resnet7", 1, "6n+2", "summary", "--arch", "cifar-resnet7"));
        cases.add(c("summary --arch cifar-resnet huge depth", 1, "cifar-resnet99999999998", "summary", "--arch",
                "cifar-resnet99999999998"));
        cases.add(c("summary --base-width 2000000000", 1, "too wide", "summary", "--arch", "custom", "--version",
                "v1", "--block", "basic", "--blocks", "1,1,1,1,1,1", "--base-width", "2000000000"));
        cases.add(c("bench --batch 0", 2, "--batch", "bench", "--arch", "cifar-resnet8", "--batch", "0"));
        cases.add(c("bench --batch 100000 at 224x224", 1, "--batch", "bench", "--arch", "resnet18", "--batch",
                "100000"));
        cases.add(c("bench --seconds -1", 2, "--seconds", "bench", "--arch", "cifar-resnet8", "--seconds", "-1"));
        cases.add(c("bench --seconds NaN", 2, "--seconds", "bench", "--arch", "cifar-resnet8", "--seconds", "NaN"));
        cases.add(c("bench --seconds Infinity", 2, "--seconds", "bench", "--arch", "cifar-resnet8", "--seconds",
                "Infinity"));
        cases.add(c("bench --threads 0", 2, "--threads", "bench", "--arch", "cifar-resnet8", "--threads", "0"));
        cases.add(c("bench --mode fly", 2, "--mode", "bench", "--arch", "cifar-resnet8", "--mode", "fly"));
        cases.add(c("demo --minutes 0", 2, "--minutes", "demo", "--data", "folder:{t}/folder", "--minutes", "0"));
        cases.add(c("demo --minutes NaN", 2, "--minutes", "demo", "--data", "folder:{t}/folder", "--minutes",
                "NaN"));
        cases.add(c("demo --epochs 0", 2, "--epochs", "demo", "--data", "folder:{t}/folder", "--epochs", "0"));
        cases.add(c("demo --limit -1", 2, "--limit", "demo", "--data", "folder:{t}/folder", "--limit", "-1"));
        cases.add(c("demo --data missing", 1, "does not exist", "demo", "--data", "folder:{t}/nowhere"));

        // The command line itself.
        cases.add(c("no command", 2, "command", new String[0]));
        cases.add(c("unknown command", 2, "frobnicate", "frobnicate"));
        cases.add(c("unknown option", 2, "--frobnicate", "summary", "--arch", "resnet18", "--frobnicate"));
        cases.add(c("option without its value", 2, "--arch", "summary", "--arch"));
        return cases.stream();
    }

    /**
     * A model whose weights libtorch cannot allocate (one 65536-wide layer: 154 GB): one "out of memory" line, not an
     * internal error with libtorch's C++ message. Only where such an allocation fails at once: Linux's heuristic or
     * strict overcommit, and less memory than that.
     */
    @org.junit.jupiter.api.Test
    void nativeOutOfMemoryIsOneClearLine() throws IOException {
        Path overcommit = Path.of("/proc/sys/vm/overcommit_memory");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(overcommit)
                && !Files.readString(overcommit).strip().equals("1"), "overcommit_memory=1 would grant it");
        long ram = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        org.junit.jupiter.api.Assumptions.assumeTrue(ram < 100L << 30, "more than 100 GiB of memory");
        Cli.Run r = Cli.run("bench", "--arch", "custom", "--version", "v1", "--block", "basic", "--blocks", "1",
                "--base-width", "65536", "--batch", "1", "--input", "8x8", "--seconds", "0.1");
        r.assertOneErrorLine(1, "bench of a 154 GB model");
        Cli.assertContains(r.errorLine(), "out of memory: libtorch could not allocate 154618822656 bytes");
    }

    /** With -Dhostile.report=FILE, each case's exit code and error line are appended to FILE (for RELIABILITY.md). */
    private static void report(Case c, Cli.Run r) {
        String file = System.getProperty("hostile.report");
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), c.name() + "\t" + r.code() + "\t"
                    + r.errorLine().replace(t.toString(), "$T") + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsWithOneClearErrorLine(Case c) {
        String[] args = c.args().stream().map(a -> a.replace("{t}", t.toString())).toArray(String[]::new);
        Cli.Run r = Cli.run(args);
        report(c, r);
        r.assertOneErrorLine(c.code(), c.name());
        assertTrue(r.errorLine().contains(c.phrase().replace("{t}", t.toString())),
                "the error line names '" + c.phrase() + "': " + r.errorLine());
        assertFalse(r.errorLine().length() > 4000, "a line, not a page: " + r.errorLine().length() + " characters");
    }
}
