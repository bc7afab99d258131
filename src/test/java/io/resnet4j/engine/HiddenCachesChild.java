package io.resnet4j.engine;

import io.resnet4j.model.FixtureChecks;
import io.resnet4j.model.Fixtures;

/**
 * Test only: the main class of the child JVM {@link HiddenCachesTest} starts. It puts oneDNN into a given cache state
 * before any real work, checks that the state reads back, then runs every fixture case in both data formats (eval
 * forward, training forward and backward) against the PyTorch reference. Exit 0: all passed; 1: a case failed; 2: the
 * state could not be set.
 *
 * <p>Arguments: {@code hidden} (oneDNN 3.12 on a VM that zeroes CPUID's cache leaves: no levels) or {@code old-xbyak}
 * (what oneDNN 3.7 computed there: 3 levels of 1 byte, an experiment rather than a test), then optionally one
 * data format ({@code channels_first} or {@code channels_last}; default both).
 *
 * <p>Only the tiny convolution {@link OneDnnCpu} may run to start oneDNN's CPU detection comes before the state
 * change; its shape is no fixture's, so every primitive the fixtures use is created, and blocked, afterwards.
 */
public final class HiddenCachesChild {
    /** Printed once the state is set and read back: every primitive created after it saw that state. */
    static final String MARKER = "resnet4j: caches set, running the fixtures";

    private HiddenCachesChild() {}

    public static void main(String[] args) {
        OneDnnCpu.Caches state = state(args.length >= 1 ? args[0] : "");
        DataFormat[] formats = args.length >= 2 ? new DataFormat[] {DataFormat.parse(args[1])} : DataFormat.values();
        System.out.println("before: " + OneDnnCpu.read().describe());
        try {
            if (state.hidden()) {
                OneDnnCpu.hideCachesForTest();
            } else {
                OneDnnCpu.setCachesForTest(state);
            }
        } catch (IllegalStateException e) {
            System.out.println("cannot set the state: " + e.getMessage());
            System.exit(2);
        }
        OneDnnCpu.Reading after = OneDnnCpu.read();
        System.out.println("after: " + after.describe());
        if (!after.caches().equals(java.util.Optional.of(state))) {
            System.out.println("the state did not read back as " + state);
            System.exit(2);
        }
        System.out.println(MARKER);
        System.out.flush();
        // The engine's own self-check first, as a process runs it before any model (the child is started with it
        // off, so that its convolutions are created here, in the state, not taken from oneDNN's primitive cache).
        SelfCheck.Result check = SelfCheck.run((f, p, y) -> y, java.util.EnumSet.copyOf(java.util.List.of(formats)));
        for (SelfCheck.Case c : check.cases()) {
            System.out.println((c.passed() ? "ok   self-check " : "FAIL self-check ") + c.describe());
        }
        System.out.flush();
        int failed = check.passed() ? 0 : 1;
        failed += runFixtures(formats);
        OneDnnCpu.Reading end = OneDnnCpu.read();
        if (!end.caches().equals(java.util.Optional.of(state))) {
            System.out.println("the state changed while the fixtures ran: " + end.describe());
            failed++;
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private static OneDnnCpu.Caches state(String name) {
        switch (name) {
            case "hidden":
                return new OneDnnCpu.Caches(0, new long[0], new int[0]);
            case "old-xbyak":
                return new OneDnnCpu.Caches(3, new long[] {1, 1, 1}, new int[] {1, 1, 1});
            default:
                System.out.println("usage: HiddenCachesChild hidden|old-xbyak");
                System.exit(2);
                return null;
        }
    }

    /** Runs every case; returns how many failed. */
    private static int runFixtures(DataFormat[] formats) {
        int failed = 0;
        for (String name : Fixtures.CASES) {
            for (DataFormat format : formats) {
                String what = name + " " + format.cliName();
                try {
                    FixtureChecks.evalAndTrain(name, format);
                    System.out.println("ok   " + what);
                } catch (Throwable t) {
                    failed++;
                    System.out.println("FAIL " + what + ": " + t);
                }
                System.out.flush();
            }
        }
        System.out.println(failed == 0 ? "all fixture runs passed" : failed + " fixture runs failed");
        return failed;
    }
}
