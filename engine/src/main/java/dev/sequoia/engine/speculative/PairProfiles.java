package dev.sequoia.engine.speculative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.optimize.VerificationTimes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Measurements of a target/draft pair kept on disk so they are made once: acceptance vectors per sampling
 * setting and verification-time profiles per configuration, under
 * {@code ~/.cache/sequoia/pairs/<hash of both files' path, size and mtime>/}. A damaged file is measured again.
 */
public final class PairProfiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    public PairProfiles(Path root, Path target, Path draft) {
        this.dir = root.resolve(key(target, draft));
    }

    public static Path defaultRoot() {
        return Path.of(System.getProperty("user.home"), ".cache", "sequoia", "pairs");
    }

    public Path dir() { return dir; }

    public AcceptanceMeasurer.Result acceptance(double temperature, double topP) {
        JsonNode n = read(acceptanceFile(temperature, topP));
        if (n == null || !n.has("acceptance")) return null;
        double[] p = new double[n.get("acceptance").size()];
        for (int i = 0; i < p.length; i++) p[i] = n.get("acceptance").get(i).asDouble();
        return new AcceptanceMeasurer.Result(p, n.get("reject_all").asDouble(), n.get("steps").asInt(), p.length,
                temperature, topP);
    }

    public void saveAcceptance(AcceptanceMeasurer.Result r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("temperature", r.temperature()).put("top_p", r.topP()).put("width", r.width()).put("steps", r.steps());
        o.putPOJO("acceptance", r.acceptance());
        o.put("reject_all", r.rejectAll());
        write(acceptanceFile(r.temperature(), r.topP()), o);
    }

    public VerificationProfiler.Profile profile(String configuration) {
        JsonNode n = read(profileFile(configuration));
        if (n == null || !n.has("times")) return null;
        TreeMap<Integer, Double> times = new TreeMap<>();
        n.get("times").fields().forEachRemaining(e -> times.put(Integer.parseInt(e.getKey()), e.getValue().asDouble()));
        TreeMap<Integer, Double> byWidth = new TreeMap<>();
        if (n.has("draft_seconds_by_width")) {
            n.get("draft_seconds_by_width").fields().forEachRemaining(e -> byWidth.put(Integer.parseInt(e.getKey()), e.getValue().asDouble()));
        }
        return new VerificationProfiler.Profile(new VerificationTimes(times), n.get("draft_seconds_per_level").asDouble(), byWidth);
    }

    public void saveProfile(String configuration, VerificationProfiler.Profile p) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode times = o.putObject("times");
        p.times().byBudget().forEach((n, t) -> times.put(Integer.toString(n), t));
        o.put("draft_seconds_per_level", p.draftSecondsPerLevel());
        ObjectNode byWidth = o.putObject("draft_seconds_by_width");
        p.draftByWidth().forEach((w, t) -> byWidth.put(Integer.toString(w), t));
        write(profileFile(configuration), o);
    }

    private Path acceptanceFile(double temperature, double topP) {
        return dir.resolve(String.format(Locale.ROOT, "acceptance-t%.3f-p%.3f.json", temperature, topP));
    }

    private Path profileFile(String configuration) {
        return dir.resolve("profile-" + configuration.replaceAll("[^A-Za-z0-9_.-]", "_") + ".json");
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            return null; // unreadable: measure again
        }
    }

    private void write(Path file, ObjectNode content) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), content);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String key(Path target, Path draft) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path p : new Path[]{target, draft}) {
                Path abs = p.toAbsolutePath().normalize();
                sha.update((abs + "|" + Files.size(abs) + "|" + Files.getLastModifiedTime(abs).toMillis() + ";").getBytes());
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
