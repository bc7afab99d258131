package io.resnet4j.serve;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Image;
import io.resnet4j.data.ImageDecoder;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelConfig;
import java.util.concurrent.Semaphore;

/**
 * Raw image bytes to a preprocessed input, as {@code predict} does it (decode in any format and colour type, resize
 * the shorter side, centre crop, normalize). Runs on the request's own thread, so images of many clients decode in
 * parallel, but at most {@code decodeThreads} at once: a decoded image can be large, and this bounds the memory.
 */
final class ImageInput {
    private final ModelConfig config;
    private final ImageDecoder decoder;
    private final Semaphore permits;

    ImageInput(ModelConfig config, long maxPixels, int decodeThreads) {
        this.config = config;
        this.decoder = new ImageDecoder(maxPixels);
        this.permits = new Semaphore(decodeThreads, true);
    }

    /** The preprocessed image ({@code C × size × size}, normalized); a 400 {@link ApiError} if it is no image. */
    Image preprocess(byte[] bytes, String name) {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.unavailable("the server is shutting down", 5);
        }
        try {
            Image decoded = decoder.decode(bytes, name, config.architecture().inChannels());
            return Predictor.preprocess(config, decoded);
        } catch (ResNet4jException e) {
            throw ApiError.badRequest(e.getMessage());
        } catch (OutOfMemoryError e) {
            throw ApiError.unavailable("not enough memory to decode " + name + " now; retry later", 1);
        } finally {
            permits.release();
        }
    }
}
