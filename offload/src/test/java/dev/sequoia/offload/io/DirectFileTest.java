package dev.sequoia.offload.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectFileTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryLayerExactlyWithSeveralReadsInFlight() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 4, 50_000, 7);
        try (DirectFile file = DirectFile.open(fx.path());
             ParallelReader reader = new ParallelReader(file, 3, 16 * 1024);
             Arena arena = Arena.ofShared()) {
            for (int l = 0; l < 4; l++) {
                AlignedLayout layout = AlignedLayout.of(fx.layers().get(l), DirectFile.ALIGNMENT, 64 * 1024);
                MemorySegment slot = arena.allocate(layout.slotBytes(), DirectFile.ALIGNMENT);
                reader.read(layout, slot);
                assertTrue(fx.slotHolds(l, layout, slot), "layer " + l + " bytes differ from the file");
            }
        }
    }

    @Test
    void lastLayerEndingAtEofReadsPastTheEndWithoutError() throws IOException {
        Path p = dir.resolve("tail.bin");
        byte[] bytes = new byte[10_000];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) i;
        Files.write(p, bytes);
        var layout = AlignedLayout.of(java.util.List.of(new Extent(9000, 1000)), DirectFile.ALIGNMENT, 0);
        try (DirectFile file = DirectFile.open(p); Arena arena = Arena.ofShared()) {
            MemorySegment slot = arena.allocate(layout.slotBytes(), DirectFile.ALIGNMENT);
            new ParallelReader(file, 1, 4096).read(layout, slot);
            assertEquals(bytes[9999], slot.get(java.lang.foreign.ValueLayout.JAVA_BYTE, layout.extentSlotOffsets()[0] + 999));
        }
    }

    @Test
    void truncatedFileIsAnErrorNamingFileAndOffset() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 2, 20_000, 3);
        try (DirectFile file = DirectFile.open(fx.path()); Arena arena = Arena.ofShared()) {
            try (FileChannel ch = FileChannel.open(fx.path(), StandardOpenOption.WRITE)) {
                ch.truncate(fx.layers().get(1).get(3).offset());
            }
            AlignedLayout layout = AlignedLayout.of(fx.layers().get(1), DirectFile.ALIGNMENT, 64 * 1024);
            MemorySegment slot = arena.allocate(layout.slotBytes(), DirectFile.ALIGNMENT);
            var reader = new ParallelReader(file, 2, 8192);
            FileReadException e = assertThrows(FileReadException.class, () -> reader.read(layout, slot));
            reader.close();
            assertTrue(e.getMessage().contains(fx.path().toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    /**
     * Where the filesystem takes O_DIRECT (asked independently, through the JDK's own direct channel), the file
     * must be open with O_DIRECT, as the kernel reports it in /proc/self/fdinfo; where it does not, the
     * fallback must say why. Either way the reads are checked.
     */
    @Test
    void directIoIsUsedWhereverTheFilesystemSupportsIt() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 1, 9000, 5);
        boolean supported = filesystemTakesODirect(fx.path());
        try (DirectFile file = DirectFile.open(fx.path()); Arena arena = Arena.ofShared()) {
            List<Integer> flags = openFlagsOf(fx.path());
            assertEquals(1, flags.size(), "one descriptor open on " + fx.path());
            if (supported) {
                assertTrue(file.isDirect(), "the filesystem takes O_DIRECT but: " + file.fallbackReason());
                assertTrue((flags.get(0) & LINUX_O_DIRECT) != 0, "fd flags 0" + Integer.toOctalString(flags.get(0)) + " lack O_DIRECT");
            } else {
                assertFalse(file.isDirect());
                assertTrue((flags.get(0) & LINUX_O_DIRECT) == 0);
                assertTrue(file.fallbackReason().contains("does not support O_DIRECT"), file.fallbackReason());
            }
            AlignedLayout layout = AlignedLayout.of(fx.layers().get(0), DirectFile.ALIGNMENT, 0);
            MemorySegment slot = arena.allocate(layout.slotBytes(), DirectFile.ALIGNMENT);
            new ParallelReader(file, 1, 4096).read(layout, slot);
            assertTrue(fx.slotHolds(0, layout, slot));
        }
        assertTrue(openFlagsOf(fx.path()).isEmpty(), "close() must release the descriptor");
    }

    /** O_DIRECT on x86-64 and aarch64 Linux, as /proc/self/fdinfo prints it (octal 040000 / 0200000). */
    private static final int LINUX_O_DIRECT = "aarch64".equals(System.getProperty("os.arch")) ? 0200000 : 040000;

    private static boolean filesystemTakesODirect(Path p) {
        try (FileChannel ignored = FileChannel.open(p, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The open flags of every descriptor of this process open on {@code p}, from /proc/self/fdinfo. */
    private static List<Integer> openFlagsOf(Path p) throws IOException {
        Path real = p.toRealPath();
        List<Integer> flags = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    continue; // closed meanwhile (the stream's own descriptor, another thread's)
                }
                if (!target.equals(real)) continue;
                for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString())))
                    if (line.startsWith("flags:")) flags.add(Integer.parseInt(line.substring(6).trim(), 8));
            }
        }
        return flags;
    }

    @Test
    void filesystemWithoutODirectFallsBackToBufferedReadsAndSaysWhy() throws IOException {
        // tmpfs before Linux 6.6 refuses O_DIRECT with EINVAL; newer kernels accept it, so drive the fallback directly.
        ModelFileFixture fx = ModelFileFixture.create(dir, 1, 9000, 4);
        try (DirectFile file = DirectFile.buffered(fx.path(), fx.bytes().length, Posix.EINVAL);
             Arena arena = Arena.ofShared()) {
            assertFalse(file.isDirect());
            assertTrue(file.fallbackReason().contains("does not support O_DIRECT"), file.fallbackReason());
            assertTrue(file.fallbackReason().contains("Invalid argument"), file.fallbackReason());
            AlignedLayout layout = AlignedLayout.of(fx.layers().get(0), DirectFile.ALIGNMENT, 0);
            MemorySegment slot = arena.allocate(layout.slotBytes(), DirectFile.ALIGNMENT);
            new ParallelReader(file, 1, 4096).read(layout, slot);
            assertTrue(fx.slotHolds(0, layout, slot));
        }
    }

    @Test
    void missingFileIsAClearError() {
        var e = assertThrows(java.io.UncheckedIOException.class, () -> DirectFile.open(dir.resolve("nope.gguf")));
        assertTrue(e.getMessage().contains("nope.gguf"), e.getMessage());
    }
}
