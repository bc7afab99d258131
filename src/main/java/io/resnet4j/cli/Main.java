package io.resnet4j.cli;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Engine;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code resnet4j} command line (its contract: README, "Command line"). Exit 0 on success, 2 for usage
 * errors, 1 for everything else; failures print one {@code error: …} line on stderr, and a stack trace only with
 * {@code --verbose}.
 */
@Command(name = "resnet4j", description = "ResNet image classifiers on libtorch: build, train, evaluate, run.",
        mixinStandardHelpOptions = false,
        subcommands = {SummaryCommand.class, ForwardCommand.class, TrainCommand.class, EvalCommand.class,
            PredictCommand.class, BenchCommand.class, ExportCommand.class, ImportCommand.class, DemoCommand.class,
            DoctorCommand.class, ExperimentCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (OutOfMemoryError e) {
            System.err.println(
                    "error: out of memory (try a smaller --batch-size, or raise -Xmx in RESNET4J_JAVA_OPTS)");
            code = 1;
        }
        Engine.awaitBackgroundStart(); // never exit while libtorch's static constructors run
        System.exit(code);
    }

    /** Runs the CLI and returns the exit code (for tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + oneLine(usageMessage(ex)) + " (see --help)");
            err.flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            boolean verbose = parsed.hasMatchedOption("--verbose")
                    || parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            if (ex instanceof ResNet4jException) {
                err.println("error: " + oneLine(ex.getMessage()));
            } else if (nativeAllocationFailure(ex) != null) {
                err.println("error: out of memory: libtorch could not allocate " + nativeAllocationFailure(ex)
                        + " (use a smaller model, batch or input size)");
            } else {
                err.println("error: internal error: " + oneLine(String.valueOf(ex)) + " (rerun with --verbose)");
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof UsageException ? 2 : 1;
        });
        return cli.execute(args);
    }

    /**
     * The message of a usage error found while parsing. A value refused by one of our converters reads like the
     * checks in {@link Flags} ({@code --precision must be fp32 or bf16, got 'fp8'}); picocli words the others.
     */
    static String usageMessage(CommandLine.ParameterException ex) {
        if (ex.getCause() instanceof Flags.BadValue bad && ex.getArgSpec() instanceof CommandLine.Model.OptionSpec o) {
            return o.longestName() + " " + bad.getMessage();
        }
        return ex.getMessage();
    }

    /** "N bytes" when {@code ex} is libtorch failing to allocate memory, else null. */
    static String nativeAllocationFailure(Throwable ex) {
        String m = ex instanceof RuntimeException ? String.valueOf(ex.getMessage()) : "";
        if (!m.contains("can't allocate memory")) {
            return null;
        }
        java.util.regex.Matcher bytes = java.util.regex.Pattern.compile("allocate (\\d+) bytes").matcher(m);
        return bytes.find() ? bytes.group(1) + " bytes" : "memory";
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** A bad combination of options found after parsing: exit 2 like other usage errors. */
    static final class UsageException extends ResNet4jException {
        UsageException(String message) {
            super(message);
        }
    }
}
