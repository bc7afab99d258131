package io.resnet4j.io;

import io.resnet4j.ResNet4jException;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The element types resnet4j reads and writes in safetensors files, with their safetensors codes. */
public enum DType {
    /** IEEE 754 binary64. */
    F64("F64", 8, true),
    /** IEEE 754 binary32. */
    F32("F32", 4, true),
    /** IEEE 754 binary16 (half precision). */
    F16("F16", 2, true),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16("BF16", 2, true),
    /** Signed 64-bit integer. */
    I64("I64", 8, false),
    /** Signed 32-bit integer. */
    I32("I32", 4, false),
    /** Signed 16-bit integer. */
    I16("I16", 2, false),
    /** Signed 8-bit integer. */
    I8("I8", 1, false),
    /** Unsigned 8-bit integer. */
    U8("U8", 1, false),
    /** Boolean, one byte per element (0 is false). */
    BOOL("BOOL", 1, false);

    private final String code;
    private final int byteSize;
    private final boolean floatingPoint;

    DType(String code, int byteSize, boolean floatingPoint) {
        this.code = code;
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** @return the number of bytes one element takes in a file */
    public int byteSize() {
        return byteSize;
    }

    /** @return the safetensors dtype string, e.g. {@code "F32"} */
    public String code() {
        return code;
    }

    /** @return true for F64, F32, F16 and BF16 */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** @return true for the integer types and BOOL (which read as 0 or 1) */
    public boolean isIntegral() {
        return !floatingPoint;
    }

    /**
     * Looks up a dtype by its safetensors code (case-sensitive, as the format is).
     *
     * @return the dtype, or empty if the code is not one resnet4j supports
     */
    public static Optional<DType> tryFromCode(String code) {
        for (DType d : values()) {
            if (d.code.equals(code)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /**
     * Looks up a dtype by its safetensors code.
     *
     * @throws ResNet4jException if the code is not one resnet4j supports
     */
    public static DType fromCode(String code) {
        return tryFromCode(code).orElseThrow(() -> new ResNet4jException(
                "unknown safetensors dtype " + WeightsFormatException.quote(code) + "; supported: " + supportedCodes()));
    }

    /** @return the supported codes, comma-separated, for messages */
    static String supportedCodes() {
        return Arrays.stream(values()).map(DType::code).collect(Collectors.joining(", "));
    }
}
