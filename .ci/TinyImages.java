import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * CI: a tiny image folder for the examples, {@code DIR/{train,val}/{dark,light}/NNN.png} (24x24 noise around a
 * dark or a light grey; 16 training and 4 validation images per class). {@code java .ci/TinyImages.java DIR}.
 */
public final class TinyImages {
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        SplittableRandom r = new SplittableRandom(1);
        String[] classes = {"dark", "light"};
        for (String split : new String[] {"train", "val"}) {
            for (int c = 0; c < classes.length; c++) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(classes[c]));
                for (int i = 0; i < (split.equals("train") ? 16 : 4); i++) {
                    BufferedImage img = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 24; y++) {
                        for (int x = 0; x < 24; x++) {
                            int v = Math.max(0, Math.min(255, (c == 0 ? 60 : 190) + r.nextInt(61) - 30));
                            img.setRGB(x, y, v << 16 | v << 8 | v);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(String.format("%03d.png", i)).toFile());
                }
            }
        }
    }
}
