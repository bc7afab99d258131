package io.resnet4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code experiment}: experiments that reproduce a claim of the ResNet paper; {@code degradation} for now. */
@Command(name = "experiment", description = "Reproduce a claim of the ResNet paper (degradation).",
        subcommands = {DegradationCommand.class})
final class ExperimentCommand implements Runnable {
    @Mixin CommonOptions common;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "an experiment is required: degradation");
    }
}
