package io.resnet4j.cli;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.DataSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Gets Debian's {@code dataset-fashion-mnist} package when it is missing and this process may install it. */
final class FashionMnistPackage {
    private FashionMnistPackage() {}

    static void ensureInstalled() {
        Path dir = Path.of(DataSources.FASHION_MNIST_PACKAGE_DIR);
        if (Files.isDirectory(dir)) {
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            throw new ResNet4jException("Fashion-MNIST is not installed: run 'sudo apt-get install -y "
                    + "dataset-fashion-mnist', or pass --data fashion-mnist:DIR with the four .gz files");
        }
        System.err.println("resnet4j demo: installing Fashion-MNIST (apt-get install -y dataset-fashion-mnist) ...");
        run("apt-get", "install", "-y", "-q", "dataset-fashion-mnist");
        if (!Files.isDirectory(dir)) {
            // The package list may be stale on a fresh machine.
            run("apt-get", "update", "-q");
            run("apt-get", "install", "-y", "-q", "dataset-fashion-mnist");
        }
        if (!Files.isDirectory(dir)) {
            throw new ResNet4jException("apt-get did not install dataset-fashion-mnist; install it by hand or pass "
                    + "--data fashion-mnist:DIR");
        }
    }

    private static void run(String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            pb.start().waitFor();
        } catch (IOException e) {
            throw new ResNet4jException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResNet4jException("interrupted while installing Fashion-MNIST");
        }
    }
}
