/**
 * <b>Internal</b>: file formats and file writing shared by the other packages: the safetensors reader and writer
 * (every header field validated before use), tensor data, protobuf encoding for the ONNX export, and
 * {@link io.resnet4j.io.AtomicFiles} (how every file resnet4j writes is replaced: temporary file, fsync, rename,
 * fsync of the folder). Public for those packages and for tools; may change in any release.
 */
package io.resnet4j.io;
