package dev.sequoia.cuda.ffi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a generated header class ({@code cuda_h}, {@code cublas_api_h}) and its jextract argfile without
 * initialising the class: a jextract header class opens its library in its static initialiser, so on a machine
 * without a driver it can be inspected (reflection on a class loaded with {@code initialize=false}, constant
 * values from its source) but never touched.
 */
final class GeneratedBindings {
    /** How a C type is passed, as the wrapper's Java signature shows it. */
    record Signature(CHeader.Kind returns, List<CHeader.Kind> parameters) {}

    /** What an argfile asks for. */
    record Argfile(Set<String> functions, Set<String> constants, Set<String> typedefs) {
        static Argfile read(Path file) {
            Set<String> f = new LinkedHashSet<>(), c = new LinkedHashSet<>(), t = new LinkedHashSet<>();
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] w = line.strip().split("\\s+");
                    if (w.length != 2 || line.strip().startsWith("#")) continue;
                    switch (w[0]) {
                        case "--include-function" -> f.add(w[1]);
                        case "--include-constant" -> c.add(w[1]);
                        case "--include-typedef" -> t.add(w[1]);
                        default -> throw new IllegalArgumentException(file + ": unexpected option " + w[0]);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Argfile(f, c, t);
        }
    }

    /** The canonical layouts jextract puts in {@code <header>$shared}. */
    static final Set<String> CANONICAL_LAYOUTS = Set.of("C_BOOL", "C_CHAR", "C_SHORT", "C_INT", "C_LONG_LONG",
            "C_FLOAT", "C_DOUBLE", "C_POINTER", "C_LONG");

    /** The suffixes of the per-function accessors jextract generates beside the wrapper. */
    static final List<String> FUNCTION_ACCESSORS = List.of("$descriptor", "$handle", "$address");

    private GeneratedBindings() {}

    /** The argfile of a header class, in {@code native-bindings/jextract/}. */
    static Path argfile(String headerClass) {
        Path module = Path.of(System.getProperty("user.dir"));
        if (!Files.isDirectory(module.resolve("jextract"))) module = module.resolve("native-bindings");
        return module.resolve("jextract").resolve(headerClass + ".includes");
    }

    /** The class, loaded but not initialised. */
    static Class<?> uninitialised(String simpleName) {
        try {
            return Class.forName("dev.sequoia.cuda.ffi." + simpleName, false, GeneratedBindings.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError("generated class missing: " + simpleName, e);
        }
    }

    /** Each wrapper (the method named after its C function) with its signature, by function name. */
    static Map<String, Signature> wrappers(Class<?> header, Set<String> functions) {
        Map<String, Signature> out = new LinkedHashMap<>();
        for (Method m : header.getDeclaredMethods()) {
            if (!functions.contains(m.getName()) || !Modifier.isStatic(m.getModifiers())) continue;
            List<CHeader.Kind> params = new ArrayList<>();
            for (Class<?> p : m.getParameterTypes()) params.add(kindOf(p));
            out.put(m.getName(), new Signature(kindOf(m.getReturnType()), params));
        }
        return out;
    }

    /** The public static members (methods and fields) a class declares itself, by name. */
    static Set<String> publicStaticMembers(Class<?> c) {
        Set<String> names = new LinkedHashSet<>();
        for (Method m : c.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())) names.add(m.getName());
        }
        for (var f : c.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers()) && Modifier.isStatic(f.getModifiers())) names.add(f.getName());
        }
        return names;
    }

    /**
     * The int constants of a generated class, from its source ({@code private static final int X = (int)0L;}, the
     * form jextract writes): reading the fields reflectively would initialise the class.
     */
    static Map<String, Integer> intConstants(String headerClass) {
        Path source = argfile(headerClass).getParent().getParent()
                .resolve("src/main/java/dev/sequoia/cuda/ffi/" + headerClass + ".java");
        Map<String, Integer> out = new LinkedHashMap<>();
        try {
            Matcher m = CONSTANT.matcher(Files.readString(source));
            while (m.find()) out.put(m.group(1), Integer.parseInt(m.group(2)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static final Pattern CONSTANT = Pattern.compile("private static final int (\\w+) = \\(int\\)(-?\\d+)L;");

    static CHeader.Kind kindOf(Class<?> carrier) {
        if (carrier == MemorySegment.class) return CHeader.Kind.PTR;
        if (carrier == byte.class) return CHeader.Kind.I8;
        if (carrier == short.class) return CHeader.Kind.I16;
        if (carrier == int.class) return CHeader.Kind.I32;
        if (carrier == long.class) return CHeader.Kind.I64;
        if (carrier == float.class) return CHeader.Kind.F32;
        if (carrier == double.class) return CHeader.Kind.F64;
        if (carrier == void.class) return CHeader.Kind.VOID;
        throw new IllegalArgumentException("unexpected carrier in a binding: " + carrier);
    }
}
