package io.resnet4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** torchrun's environment variables, as {@link DistributedConfig#fromEnvironment} reads them. */
class DistributedConfigTest {
    @Test
    void noWorldSizeAndNoRankIsASingleProcess() {
        assertTrue(DistributedConfig.fromEnvironment(Map.of("MASTER_ADDR", "10.0.0.1")).isEmpty());
    }

    @Test
    void readsTorchrunsVariablesWithItsDefaults() {
        DistributedConfig c = DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "4", "RANK", "3")).orElseThrow();
        assertEquals("127.0.0.1", c.masterAddr());
        assertEquals(29500, c.masterPort());
        assertEquals(4, c.worldSize());
        assertEquals(3, c.rank());
        assertEquals(3, c.localRank());
        assertNull(c.iface());
        DistributedConfig d = DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "2", "RANK", "1", "MASTER_ADDR",
                "node0", "MASTER_PORT", "1234", "LOCAL_RANK", "0", "GLOO_SOCKET_IFNAME", "eth1")).orElseThrow();
        assertEquals("node0", d.masterAddr());
        assertEquals(1234, d.masterPort());
        assertEquals(0, d.localRank());
        assertEquals("eth1", d.iface());
    }

    @Test
    void refusesHalfASettingAndNonsense() {
        assertThrows(ResNet4jException.class, () -> DistributedConfig.fromEnvironment(Map.of("RANK", "0")));
        assertThrows(ResNet4jException.class, () -> DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "2")));
        assertThrows(ResNet4jException.class, () -> DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "two",
                "RANK", "0")));
        assertThrows(ResNet4jException.class, () -> DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "2",
                "RANK", "2")));
        assertThrows(ResNet4jException.class, () -> DistributedConfig.fromEnvironment(Map.of("WORLD_SIZE", "2",
                "RANK", "0", "MASTER_PORT", "70000")));
    }
}
