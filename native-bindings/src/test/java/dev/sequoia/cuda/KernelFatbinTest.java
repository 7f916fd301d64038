package dev.sequoia.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build's CUDA output, checked without a GPU: when nvcc exists the fatbin must be on the class path (and
 * so in the jar), carry sm_80/86/89/90 machine code plus compute_90 PTX, and define every kernel we launch.
 */
class KernelFatbinTest {
    private static boolean nvccExists() {
        String home = System.getenv("CUDA_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "nvcc"))) return true;
        if (Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))) return true;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) return true;
        }
        return false;
    }

    @Test
    void theFatbinIsBundledWhenNvccExists() {
        Assumptions.assumeTrue(nvccExists(), "nvcc is not installed here, so the build skipped the CUDA kernels");
        assertTrue(SequoiaKernels.isBundled(), "nvcc exists but " + SequoiaKernels.RESOURCE + " is not on the class path");
    }

    @Test
    void theFatbinCarriesEveryTargetArchitecture() {
        Assumptions.assumeTrue(SequoiaKernels.isBundled(), "no fatbin in this build (nvcc was absent)");
        List<String> entries = Fatbin.entries(SequoiaKernels.fatbin()).stream().map(Fatbin.Entry::toString).toList();
        for (String want : List.of("sm_80", "sm_86", "sm_89", "sm_90", "compute_90")) {
            assertTrue(entries.contains(want), "fatbin lacks " + want + ": it has " + entries);
        }
    }

    @Test
    void everyKernelWeLaunchIsDefined() {
        Assumptions.assumeTrue(SequoiaKernels.isBundled(), "no fatbin in this build (nvcc was absent)");
        // The ELF images keep their symbol tables uncompressed: each kernel name appears as a symbol.
        String bytes = new String(SequoiaKernels.fatbin(), StandardCharsets.ISO_8859_1);
        for (String k : SequoiaKernels.NAMES) assertTrue(bytes.contains(k + "\0"), "kernel " + k + " is not in the fatbin");
        assertFalse(bytes.contains("no_such_kernel\0"));
    }

    @Test
    void aNonFatbinIsRejectedWithTheExpectedMagic() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fatbin.entries(new byte[32]));
        assertTrue(e.getMessage().contains("0xBA55ED50"), e.getMessage());
        assertEquals(0, Fatbin.entries(new byte[]{0x50, (byte) 0xED, 0x55, (byte) 0xBA, 1, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0}).size());
    }
}
