package dev.sequoia.offload.plan;

import java.util.Locale;

/** Byte sizes as people write them: parsing "2GiB", "512M", "1.5g", "4096" and printing "2.00 GiB". */
public final class Bytes {
    private Bytes() {}

    public static String format(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** Parses a size with an optional binary unit suffix (K, M, G, T, with or without "iB"/"B"). */
    public static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mul = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> mul = 1L << 10;
                case 'M' -> mul = 1L << 20;
                case 'G' -> mul = 1L << 30;
                case 'T' -> mul = 1L << 40;
                default -> mul = 1;
            }
            if (mul > 1) s = s.substring(0, s.length() - 1);
        }
        try {
            double v = Double.parseDouble(s);
            if (!(v > 0)) throw new NumberFormatException();
            return (long) (v * mul);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text + "': expected a positive number with an optional"
                    + " unit K, M, G or T (binary), e.g. 2GiB");
        }
    }
}
