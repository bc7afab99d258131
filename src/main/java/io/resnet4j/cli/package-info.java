/**
 * <b>Not an API</b>: the {@code resnet4j} command line (picocli commands, options, output). Its classes are
 * package-private or may change in any release; use {@code io.resnet4j} from Java. Not in the Javadoc.
 */
package io.resnet4j.cli;
