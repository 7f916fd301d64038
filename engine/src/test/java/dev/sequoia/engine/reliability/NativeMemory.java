package dev.sequoia.engine.reliability;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This JVM's native memory outside the Java heap: Native Memory Tracking's committed total less the heap's when the JVM runs with
 * {@code -XX:NativeMemoryTracking=summary} (Maven's test runs do; it counts every FFM arena's malloc under
 * "Other"), else the process's resident set from /proc, which is coarser.
 */
final class NativeMemory {
    private NativeMemory() {}

    private static final Pattern TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
    private static final Pattern HEAP = Pattern.compile("Java Heap \\(reserved=(\\d+)KB, committed=(\\d+)KB");

    static boolean tracked() {
        return nmtSummary() != null;
    }

    static String source() {
        return tracked() ? "NMT committed, heap excluded" : "resident set";
    }

    /** How much growth a flat process may still show: allocator and JIT noise. */
    static long tolerance() {
        return tracked() ? 32L << 20 : 96L << 20;
    }

    /** Native memory outside the Java heap (whose committed size follows the collector, not the program). */
    static long committedBytes() {
        String nmt = nmtSummary();
        if (nmt != null) {
            Matcher total = TOTAL.matcher(nmt), heap = HEAP.matcher(nmt);
            if (total.find() && heap.find()) return (Long.parseLong(total.group(2)) - Long.parseLong(heap.group(2))) << 10;
            throw new IllegalStateException("no total or Java heap in the NMT summary: " + nmt.lines().limit(8).toList());
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) << 10;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static String nmtSummary() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            Object out = server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            String s = String.valueOf(out);
            return s.contains("Total:") ? s : null;
        } catch (Exception e) {
            return null;
        }
    }
}
