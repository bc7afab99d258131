package io.resnet4j.train;

import io.resnet4j.ResNet4jException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The learning rate for every optimizer step of a training run: an optional linear warmup followed
 * by a step or cosine decay.
 *
 * <p>The schedule is a pure function of the global step (counted from 0 over the whole run), so a
 * resumed run gets exactly the rates it would have had without the interruption. Epoch positions
 * are {@code step / stepsPerEpoch}.
 *
 * <ul>
 *   <li><b>Warmup</b> ({@code warmupEpochs > 0}): over the first {@code W = round(warmupEpochs *
 *       stepsPerEpoch)} steps the rate rises linearly from {@code warmupStartFactor * baseLr} (at
 *       step 0) to {@code baseLr} (reached exactly at step {@code W}).
 *   <li><b>step</b>: after warmup the rate is {@code baseLr * gamma^k}, where {@code k} is the
 *       number of milestone epochs already reached; the decay takes effect at the first step of
 *       the milestone epoch. Milestones are absolute epochs (as in torchvision's {@code
 *       MultiStepLR}), strictly increasing, after the warmup and before the end of training.
 *   <li><b>cosine</b>: after warmup the rate follows half a cosine from {@code baseLr} at step
 *       {@code W} to {@code minLr} at the last step {@code T = epochs * stepsPerEpoch}; steps past
 *       {@code T} stay at {@code minLr}.
 * </ul>
 *
 * <p>Build one with {@link #builder()}; {@link Builder#decay(String)} reads the CLI form ({@code
 * cosine}, {@code cosine:1e-5}, {@code step:30,60,80}). Instances are immutable and thread-safe.
 */
public final class LearningRateSchedule {

    /** The shape of the schedule after warmup. */
    public enum Decay {
        /** Multiply by {@code gamma} at each milestone epoch. */
        STEP,
        /** Half a cosine from the base rate to the minimum rate at the end of training. */
        COSINE
    }

    private final double baseLr;
    private final int epochs;
    private final long stepsPerEpoch;
    private final double warmupEpochs;
    private final double warmupStartFactor;
    private final Decay decay;
    private final List<Integer> milestones;
    private final double gamma;
    private final double minLr;
    private final long warmupSteps;
    private final long totalSteps;

    private LearningRateSchedule(Builder b) {
        this.baseLr = b.baseLr;
        this.epochs = b.epochs;
        this.stepsPerEpoch = b.stepsPerEpoch;
        this.warmupEpochs = b.warmupEpochs;
        this.warmupStartFactor = b.warmupStartFactor;
        this.decay = b.decay;
        this.milestones = List.copyOf(b.milestones);
        this.gamma = b.gamma;
        this.minLr = b.minLr;
        this.warmupSteps = Math.round(warmupEpochs * stepsPerEpoch);
        this.totalSteps = (long) epochs * stepsPerEpoch;
    }

    /** Returns a builder with the defaults: cosine to 0, no warmup, gamma 0.1, start factor 0.01. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The learning rate for the optimizer step {@code step} (0-based, counted over the whole run).
     *
     * @throws ResNet4jException if {@code step} is negative
     */
    public double at(long step) {
        if (step < 0) {
            throw new ResNet4jException("Learning rate step must be non-negative, got " + step + ".");
        }
        if (step < warmupSteps) {
            double progress = (double) step / warmupSteps;
            return baseLr * (warmupStartFactor + (1.0 - warmupStartFactor) * progress);
        }
        return decay == Decay.STEP ? stepDecay(step) : cosineDecay(step);
    }

    /**
     * The learning rate for step {@code step} of a run with a time budget of which {@code budgetFraction} (in
     * [0, 1]) is spent. The warmup counts steps as in {@link #at(long)}; after it the decay is at whichever is
     * further along, the steps or the budget ({@code budgetFraction * totalSteps}), so the rate reaches its end
     * value when either the epochs or the time run out, and a slower machine simply takes fewer steps.
     *
     * @throws ResNet4jException if {@code step} is negative or the fraction is outside [0, 1]
     */
    public double at(long step, double budgetFraction) {
        if (!(budgetFraction >= 0 && budgetFraction <= 1)) {
            throw new ResNet4jException("Budget fraction must be in [0, 1], got " + budgetFraction + ".");
        }
        if (step < warmupSteps) {
            return at(step);
        }
        double position = Math.max(step, budgetFraction * totalSteps);
        return decay == Decay.STEP ? stepDecay(position) : cosineDecay(position);
    }

    private double stepDecay(double step) {
        double lr = baseLr;
        for (int milestone : milestones) {
            if (step >= milestone * stepsPerEpoch) {
                lr *= gamma;
            }
        }
        return lr;
    }

    private double cosineDecay(double step) {
        if (step >= totalSteps) {
            return minLr;
        }
        double progress = (step - warmupSteps) / (totalSteps - warmupSteps);
        return minLr + (baseLr - minLr) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
    }

    /** Optimizer steps in the whole run ({@code epochs * stepsPerEpoch}). */
    public long totalSteps() {
        return totalSteps;
    }

    /** Length of the warmup in steps, {@code round(warmupEpochs * stepsPerEpoch)}. */
    public long warmupSteps() {
        return warmupSteps;
    }

    /** The decay after warmup. */
    public Decay decay() {
        return decay;
    }

    /** Milestone epochs of a {@link Decay#STEP} schedule (empty for cosine). */
    public List<Integer> milestones() {
        return milestones;
    }

    /** Factor applied at each milestone of a {@link Decay#STEP} schedule. */
    public double gamma() {
        return gamma;
    }

    /** Final rate of a {@link Decay#COSINE} schedule. */
    public double minLr() {
        return minLr;
    }

    /** The decay in the CLI form accepted by {@link Builder#decay(String)}, e.g. {@code step:30,60}. */
    public String decaySpec() {
        if (decay == Decay.COSINE) {
            return minLr == 0.0 ? "cosine" : "cosine:" + minLr;
        }
        StringBuilder sb = new StringBuilder("step:");
        for (int i = 0; i < milestones.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(milestones.get(i));
        }
        return sb.toString();
    }

    /** A one-line human description, for logs. */
    @Override
    public String toString() {
        String tail = decay == Decay.COSINE ? "cosine to " + minLr : "x" + gamma + " at epochs " + milestones;
        String warmup = warmupSteps == 0 ? ""
                : ", linear warmup from " + warmupStartFactor + "x over " + warmupEpochs + " epochs";
        return "lr " + baseLr + warmup + ", then " + tail + "; " + epochs + " epochs of " + stepsPerEpoch + " steps";
    }

    /** Collects and validates the settings of a {@link LearningRateSchedule}. Not thread-safe. */
    public static final class Builder {
        private double baseLr = Double.NaN;
        private int epochs;
        private long stepsPerEpoch;
        private double warmupEpochs;
        private double warmupStartFactor = 0.01;
        private Decay decay = Decay.COSINE;
        private List<Integer> milestones = List.of();
        private double gamma = 0.1;
        private double minLr;

        private Builder() {
        }

        /** The rate reached at the end of warmup (required, positive). */
        public Builder baseLr(double baseLr) {
            this.baseLr = baseLr;
            return this;
        }

        /** Total training epochs (required, at least 1). */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** Optimizer steps per epoch (required, at least 1). */
        public Builder stepsPerEpoch(long stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /** Warmup length in epochs, fractional allowed; 0 (the default) for no warmup. */
        public Builder warmupEpochs(double warmupEpochs) {
            this.warmupEpochs = warmupEpochs;
            return this;
        }

        /** Fraction of the base rate at step 0 of the warmup, in (0, 1]; default 0.01. */
        public Builder warmupStartFactor(double warmupStartFactor) {
            this.warmupStartFactor = warmupStartFactor;
            return this;
        }

        /** Use a cosine decay to {@link #minLr(double)} (the default). */
        public Builder cosine() {
            this.decay = Decay.COSINE;
            this.milestones = List.of();
            return this;
        }

        /** Use a step decay: multiply by {@link #gamma(double)} at each of these epochs. */
        public Builder step(int... milestoneEpochs) {
            List<Integer> list = new ArrayList<>();
            for (int m : milestoneEpochs) {
                list.add(m);
            }
            this.decay = Decay.STEP;
            this.milestones = List.copyOf(list);
            return this;
        }

        /** Factor applied at each step milestone, in (0, 1]; default 0.1. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        /** Final rate of the cosine decay, in [0, baseLr]; default 0. */
        public Builder minLr(double minLr) {
            this.minLr = minLr;
            return this;
        }

        /**
         * Sets the decay from its CLI form: {@code cosine}, {@code cosine:MIN_LR} (e.g. {@code
         * cosine:1e-5}) or {@code step:E1,E2,...} (e.g. {@code step:30,60,80}; gamma comes from
         * {@link #gamma(double)}). Case-insensitive, spaces ignored.
         *
         * @throws ResNet4jException if the text is not one of these forms
         */
        public Builder decay(String spec) {
            if (spec == null || spec.isBlank()) {
                throw new ResNet4jException("Learning rate schedule is empty; use 'cosine' or 'step:E1,E2,...'.");
            }
            String s = spec.replace(" ", "").toLowerCase(Locale.ROOT);
            int colon = s.indexOf(':');
            String kind = colon < 0 ? s : s.substring(0, colon);
            String args = colon < 0 ? null : s.substring(colon + 1);
            switch (kind) {
                case "cosine" -> {
                    cosine();
                    if (args != null) {
                        minLr(parseNumber(args, spec, "minimum learning rate"));
                    }
                }
                case "step" -> {
                    if (args == null || args.isEmpty()) {
                        throw new ResNet4jException("Learning rate schedule '" + spec
                                + "' needs milestone epochs, e.g. 'step:30,60,80'.");
                    }
                    String[] parts = args.split(",", -1);
                    int[] ms = new int[parts.length];
                    for (int i = 0; i < parts.length; i++) {
                        ms[i] = parseEpoch(parts[i], spec);
                    }
                    step(ms);
                }
                default -> throw new ResNet4jException("Unknown learning rate schedule '" + spec
                        + "'; use 'cosine', 'cosine:MIN_LR' or 'step:E1,E2,...'.");
            }
            return this;
        }

        private static double parseNumber(String text, String spec, String what) {
            try {
                return Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw new ResNet4jException("Learning rate schedule '" + spec + "' has an invalid "
                        + what + " '" + text + "'.");
            }
        }

        private static int parseEpoch(String text, String spec) {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new ResNet4jException("Learning rate schedule '" + spec
                        + "' has an invalid milestone epoch '" + text + "'; milestones are whole epochs.");
            }
        }

        /**
         * Validates the settings and returns the schedule.
         *
         * @throws ResNet4jException naming the first invalid setting
         */
        public LearningRateSchedule build() {
            if (!(baseLr > 0) || Double.isInfinite(baseLr)) {
                throw new ResNet4jException("Learning rate must be a positive number, got " + baseLr + ".");
            }
            if (epochs < 1) {
                throw new ResNet4jException("Number of epochs must be at least 1, got " + epochs + ".");
            }
            if (stepsPerEpoch < 1) {
                throw new ResNet4jException("Steps per epoch must be at least 1, got " + stepsPerEpoch + ".");
            }
            if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
                throw new ResNet4jException("Warmup epochs must be zero or positive, got " + warmupEpochs + ".");
            }
            if (warmupEpochs >= epochs) {
                throw new ResNet4jException("Warmup of " + warmupEpochs + " epochs is not shorter than the "
                        + epochs + " epochs of training.");
            }
            if (!(warmupStartFactor > 0 && warmupStartFactor <= 1)) {
                throw new ResNet4jException("Warmup start factor must be in (0, 1], got " + warmupStartFactor + ".");
            }
            if (decay == Decay.STEP) {
                validateStep();
            } else if (!(minLr >= 0 && minLr <= baseLr)) {
                throw new ResNet4jException("Minimum learning rate must be between 0 and the learning rate "
                        + baseLr + ", got " + minLr + ".");
            }
            return new LearningRateSchedule(this);
        }

        private void validateStep() {
            if (!(gamma > 0 && gamma <= 1)) {
                throw new ResNet4jException("Learning rate decay factor gamma must be in (0, 1], got " + gamma + ".");
            }
            if (milestones.isEmpty()) {
                throw new ResNet4jException("Step learning rate schedule needs at least one milestone epoch.");
            }
            int previous = Integer.MIN_VALUE;
            for (int m : milestones) {
                if (m <= previous) {
                    throw new ResNet4jException("Learning rate milestones must be strictly increasing, got "
                            + milestones + ".");
                }
                if (m <= warmupEpochs) {
                    throw new ResNet4jException("Learning rate milestone " + m + " is not after the warmup of "
                            + warmupEpochs + " epochs.");
                }
                if (m >= epochs) {
                    throw new ResNet4jException("Learning rate milestone " + m
                            + " is not before the end of training at epoch " + epochs + ".");
                }
                previous = m;
            }
        }
    }
}
