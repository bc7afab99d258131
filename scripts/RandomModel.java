import io.resnet4j.engine.Engine;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A model directory of an architecture with random (untrained) weights, for speed measurements of {@code serve},
 * and a 500x375 JPEG (the ImageNet average size) and a 224x224 one to send it. Run with the project's class path:
 * {@code java -cp "target/resnet4j.jar:$(cat target/classpath.txt)" scripts/RandomModel.java resnet50 DIR}.
 */
public final class RandomModel {
    public static void main(String[] args) throws Exception {
        Architecture arch = Architecture.preset(args[0]);
        Path dir = Path.of(args[1]);
        Engine.seed(1);
        ResNet model = ResNet.build(arch);
        model.train(false);
        ModelDirectory.save(dir, model, ModelConfig.defaults(arch));
        BufferedImage img = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(200, 80, 30), 500, 375, new Color(20, 90, 220)));
        g.fillRect(0, 0, 500, 375);
        g.setColor(Color.WHITE);
        g.fillOval(150, 100, 200, 150);
        g.dispose();
        ImageIO.write(img, "jpeg", dir.resolve("photo.jpg").toFile());
        // The same picture at the model's input size: no resize, the smallest decoding cost.
        BufferedImage small = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
        Graphics2D s = small.createGraphics();
        s.drawImage(img, -30, 0, 299, 224, null);
        s.dispose();
        ImageIO.write(small, "jpeg", dir.resolve("photo224.jpg").toFile());
        System.out.println("wrote " + dir + " (" + arch.name() + ", random weights) and " + dir.resolve("photo.jpg"));
    }
}
