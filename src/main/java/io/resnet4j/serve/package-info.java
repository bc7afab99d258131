/**
 * {@code resnet4j serve}: an HTTP inference server for a model directory. It speaks the Open Inference Protocol
 * (KServe v2 REST) for preprocessed tensors, takes raw image bytes on {@code /v1/models/{name}:predict}, batches
 * requests from many clients dynamically ({@link io.resnet4j.serve.Batcher}), exports Prometheus metrics and serves
 * a small web page. The contract is {@code docs/serving.md}.
 *
 * <p>The server speaks resnet4j ({@link io.resnet4j.infer.Predictor}), never the engine: every forward pass runs on
 * the batcher's one worker thread.
 */
package io.resnet4j.serve;
