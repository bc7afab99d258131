package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSources;
import io.resnet4j.data.Dataset;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.train.EvalResult;
import io.resnet4j.train.Evaluation;
import io.resnet4j.train.Plots;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: top-1, top-5, per-class accuracy and the confusion matrix of a model on a data set's test split. */
@Command(name = "eval", description = "Evaluate a model directory on the test split of a data source.")
final class EvalCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PrecisionOption precision;
    @Mixin JsonOption json;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Option(names = "--data", required = true, paramLabel = "D", description = "Data source (its test split is used).")
    String data;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "B", description = "Images per batch.")
    int batchSize;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N test examples.")
    Integer limit;

    @Option(names = "--confusion-png", paramLabel = "FILE",
            description = "Where to draw the confusion matrix (default: DIR/confusion.png).")
    Path confusionPng;

    @Option(names = "--flip-tta", description = "Test-time augmentation: average the logits of each image and its "
            + "mirror image (two forward passes).")
    boolean flipTta;

    @Option(names = "--agreement-with", paramLabel = "fp32|bf16", converter = PrecisionOption.Converter.class,
            completionCandidates = PrecisionOption.Candidates.class, description = "Also evaluate in this precision "
            + "(${COMPLETION-CANDIDATES}) and report on how many examples the two agree on the top-1 class.")
    Precision agreementWith;

    @Override
    public Integer call() {
        Flags.atLeast("--batch-size", batchSize, 1);
        Flags.atLeast("--limit", limit, 1);
        Precision prec = precision.get();
        ModelDirectory.Loaded loaded = ModelDirectory.load(modelDir);
        ModelConfig cfg = loaded.config();
        Dataset test = DataSources.open(data).test();
        if (limit != null) {
            test = test.limit(limit);
        }
        if (test.classes().size() != cfg.labels().size()) {
            throw new ResNet4jException("the model knows " + cfg.labels().size() + " classes but " + data + " has "
                    + test.classes().size());
        }
        BatchLoader.Config lc = Evaluation.loaderConfig(cfg, batchSize);
        EvalResult r;
        EvalResult r2 = null;
        int skipped;
        try (BatchLoader loader = new BatchLoader(test, lc)) {
            r = Evaluation.evaluate(loaded.model(), loader, cfg.labels(), prec, json.on() ? null : "eval", flipTta);
            if (agreementWith != null) {
                r2 = Evaluation.evaluate(loaded.model(), loader, cfg.labels(), agreementWith,
                        json.on() ? null : "eval " + agreementWith.cliName(), flipTta);
            }
            skipped = loader.skippedExamples().length;
            if (skipped > 0) {
                System.err.printf("resnet4j: skipped %d unreadable test image%s (first: %s)%n", skipped,
                        skipped == 1 ? "" : "s", loader.skipMessages().get(0));
            }
        }
        Path png = confusionPng != null ? confusionPng : modelDir.resolve("confusion.png");
        Plots.confusionMatrix(r.confusion(), cfg.labels(), png);
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("top1", r.top1());
            o.put("top5", r.top5());
            o.put("loss", r.loss());
            o.put("examples", r.examples());
            o.put("skipped", skipped);
            ObjectNode per = o.putObject("per_class");
            r.perClass().forEach(per::put);
            ArrayNode conf = o.putArray("confusion");
            for (int[] row : r.confusion()) {
                ArrayNode a = conf.addArray();
                for (int v : row) {
                    a.add(v);
                }
            }
            o.put("confusion_png", png.toString());
            if (r2 != null) {
                ObjectNode ag = o.putObject("agreement");
                ag.put("precision", agreementWith.cliName());
                ag.put("top1", r2.top1());
                ag.put("top1_agreement", r.agreement(r2));
            }
            Json.print(o);
        } else {
            System.out.printf("%d examples: top-1 %.2f%%, top-5 %.2f%%, loss %.4f%n", r.examples(), 100 * r.top1(),
                    100 * r.top5(), r.loss());
            for (Map.Entry<String, Double> e : r.perClass().entrySet()) {
                System.out.printf("  %-20s %6.2f%%%n", e.getKey(), 100 * e.getValue());
            }
            System.out.println("confusion matrix: " + png);
            if (r2 != null) {
                System.out.printf("%s: top-1 %.2f%%; same top-1 class as %s on %.2f%% of the examples%n",
                        agreementWith.cliName(), 100 * r2.top1(), prec.cliName(), 100 * r.agreement(r2));
            }
        }
        return 0;
    }
}
