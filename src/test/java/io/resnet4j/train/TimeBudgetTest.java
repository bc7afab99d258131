package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TimeBudgetTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(5 * SECOND); // any origin: only differences count

    @Test
    void withoutABudgetNothingIsEverSpent() {
        TimeBudget b = new TimeBudget(0, 0, now::get);
        now.addAndGet(1_000_000 * SECOND);
        assertFalse(b.limited());
        assertFalse(b.exhausted());
        assertEquals(0, b.fraction());
    }

    @Test
    void fractionCountsTheTimeLeftForTrainingAfterTheReserve() {
        TimeBudget b = new TimeBudget(100, 0, now::get);
        now.addAndGet(25 * SECOND);
        assertEquals(0.25, b.fraction(), 1e-12);
        b.reserve(10);
        assertEquals(25.0 / 90, b.fraction(), 1e-12);
        now.addAndGet(64 * SECOND); // 89 s spent + 10 held back < 100
        assertFalse(b.exhausted());
        now.addAndGet(SECOND);
        assertTrue(b.exhausted());
        assertEquals(1.0, b.fraction(), 1e-12);
        now.addAndGet(50 * SECOND);
        assertEquals(1.0, b.fraction(), 0.0); // never past the end
    }

    @Test
    void aResumedRunCountsTheTimeSpentBefore() {
        TimeBudget b = new TimeBudget(100, 40, now::get);
        assertEquals(40, b.spent(), 1e-12);
        now.addAndGet(20 * SECOND);
        assertEquals(0.6, b.fraction(), 1e-12);
        assertEquals(60, b.checkpointSeconds(), 1e-12);
    }

    @Test
    void anExhaustedBudgetIsRecordedAsFullySpent() {
        TimeBudget b = new TimeBudget(100, 0, now::get);
        b.reserve(8);
        now.addAndGet(93 * SECOND);
        assertTrue(b.exhausted());
        assertEquals(100, b.checkpointSeconds(), 1e-12);
    }

    @Test
    void theReserveIsAtMostHalfTheBudget() {
        TimeBudget b = new TimeBudget(100, 0, now::get);
        b.reserve(500);
        now.addAndGet(49 * SECOND);
        assertFalse(b.exhausted());
        now.addAndGet(SECOND);
        assertTrue(b.exhausted());
    }
}
