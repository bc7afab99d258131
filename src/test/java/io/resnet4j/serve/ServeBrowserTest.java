package io.resnet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelDirectory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser (Debian's {@code chromium} and {@code chromium-driver}, headless, through
 * Selenium): pick an image, read the bars, compare them with {@code predict}. Skipped, saying why, only where
 * Chromium cannot start.
 */
class ServeBrowserTest {
    @TempDir
    Path dir;

    @Test
    void thePageShowsTheTopClassesAsPredictFindsThem() throws Exception {
        Path modelDir = TinyModel.write(dir.resolve("tiny"));
        List<Path> images = TinyModel.images(dir.resolve("images"));
        Predictor predictor = new Predictor(ModelDirectory.load(modelDir), Precision.FP32, 16);
        try (InferenceServer server = InferenceServer.start(predictor, "tiny",
                ServeOptions.defaults("127.0.0.1", 0, "tiny"), "test")) {
            WebDriver browser = startChromium();
            try {
                browser.get("http://127.0.0.1:" + server.port() + "/");
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                wait.until(b -> !b.findElement(By.id("model-size")).getText().isEmpty());
                assertEquals("tiny", browser.findElement(By.id("model-name")).getText());
                assertEquals("32×32, 3 channels", browser.findElement(By.id("model-size")).getText());
                for (Path image : List.of(images.get(0), images.get(3), images.get(images.size() - 1))) {
                    browser.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
                    wait.until(b -> image.getFileName().toString().equals(b.findElement(By.id("status")).getText())
                            && b.findElements(By.cssSelector("#result .bar")).size() == 4);
                    List<WebElement> bars = browser.findElements(By.cssSelector("#result .bar"));
                    Predictor.Prediction want = predictor.predict(List.of(image), 5).get(0);
                    assertEquals(want.top().size(), bars.size(), image.toString());
                    for (int k = 0; k < bars.size(); k++) {
                        WebElement bar = bars.get(k);
                        Predictor.Scored s = want.top().get(k);
                        assertEquals(s.label(), bar.getAttribute("data-label"), image + " #" + k);
                        assertEquals(s.label(), bar.findElement(By.className("label")).getText());
                        assertEquals(s.probability(), Double.parseDouble(bar.getAttribute("data-probability")),
                                1e-5, image + " #" + k);
                        assertEquals(String.format(java.util.Locale.ROOT, "%.2f%%", 100 * s.probability()),
                                bar.findElement(By.className("pct")).getText());
                        String width = bar.findElement(By.className("fill")).getAttribute("style");
                        assertTrue(width.contains(String.format(java.util.Locale.ROOT, "%.1f%%",
                                100 * s.probability())), width);
                    }
                }
                // Something that is not an image: the page says what the server said.
                Path text = dir.resolve("notes.txt");
                Files.writeString(text, "not an image");
                browser.findElement(By.id("file")).sendKeys(text.toAbsolutePath().toString());
                wait.until(b -> b.findElement(By.id("status")).getAttribute("class").contains("error"));
                assertTrue(browser.findElement(By.id("status")).getText().contains("not an image"),
                        browser.findElement(By.id("status")).getText());
            } finally {
                browser.quit();
            }
        }
    }

    /** Headless Chromium, or the test is skipped with the reason. */
    static WebDriver startChromium() {
        File chromium = firstExisting("/usr/bin/chromium", "/usr/bin/chromium-browser");
        File driver = firstExisting("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chromium != null && driver != null,
                "skipped: Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver)
                .usingAnyFreePort().build();
        try {
            return new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            Assumptions.abort("skipped: Chromium cannot start here: " + e.getMessage().lines().findFirst().orElse(""));
            throw e;
        }
    }

    private static File firstExisting(String... paths) {
        for (String p : paths) {
            File f = new File(p);
            if (f.canExecute()) {
                return f;
            }
        }
        return null;
    }
}
