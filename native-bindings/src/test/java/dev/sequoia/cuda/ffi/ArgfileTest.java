package dev.sequoia.cuda.ffi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recipe is complete: what the argfiles in {@code native-bindings/jextract/} request is exactly what the
 * generated classes declare (so regenerating with jextract gives the same members), and every generated member
 * the project's sources reference is requested. Also the source-level half of the driver gate: only the safe
 * layer ({@code dev.sequoia.cuda}) names the generated package at all.
 */
class ArgfileTest {
    private static final Pattern REFERENCE = Pattern.compile("\\b(cuda_h|cublas_api_h)\\s*\\.\\s*([A-Za-z_][A-Za-z_0-9$]*)");

    @Test
    void theGeneratedCudaClassesDeclareExactlyWhatTheArgfileRequests() {
        assertGeneratedMatchesArgfile("cuda_h");
    }

    @Test
    void theGeneratedCublasClassesDeclareExactlyWhatTheArgfileRequests() {
        assertGeneratedMatchesArgfile("cublas_api_h");
    }

    @Test
    void everyGeneratedMemberTheSourcesReferenceIsRequested() {
        List<String> problems = new ArrayList<>();
        int references = 0;
        Path generated = repositoryRoot().resolve("native-bindings/src/main/java/dev/sequoia/cuda/ffi");
        for (Path file : mainSources()) {
            if (file.startsWith(generated)) continue; // jextract's own helpers (findOrThrow, ...) are not requested
            String text = read(file);
            Matcher m = REFERENCE.matcher(text);
            while (m.find()) {
                references++;
                String member = m.group(2);
                if (!requested(m.group(1)).contains(member)) {
                    problems.add(file.getFileName() + ": " + m.group(1) + "." + member
                            + " is not requested by jextract/" + m.group(1) + ".includes");
                }
            }
        }
        assertTrue(references > 40, "the safe layer's references were found (" + references + ")");
        assertEquals(List.of(), problems);
    }

    @Test
    void onlyTheSafeLayerNamesTheGeneratedPackage() {
        Path safeLayer = repositoryRoot().resolve("native-bindings/src/main/java/dev/sequoia/cuda");
        List<String> offenders = new ArrayList<>();
        for (Path file : mainSources()) {
            String text = read(file);
            boolean generated = file.startsWith(safeLayer.resolve("ffi"));
            if (generated) continue;
            boolean mentions = text.contains("dev.sequoia.cuda.ffi") || REFERENCE.matcher(text).find();
            if (mentions && !file.getParent().equals(safeLayer)) offenders.add(repositoryRoot().relativize(file).toString());
            if (text.contains("import static dev.sequoia.cuda.ffi")) offenders.add(file + " (static import hides references)");
        }
        assertEquals(List.of(), offenders, "outside dev.sequoia.cuda, code goes through the safe layer");
    }

    /**
     * On a machine with the libraries (the device check runs this): every requested function resolves in the real
     * library, and its descriptor's method type is its downcall handle's.
     */
    @Test
    void withTheLibrariesEveryRequestedFunctionResolvesWithItsDescriptor() {
        dev.sequoia.cuda.CudaTestSupport.requireCublas(); // the driver and cuBLAS, or skipped (failed when required)
        for (String header : List.of("cuda_h", "cublas_api_h")) {
            Class<?> c = GeneratedBindings.uninitialised(header);
            for (String f : GeneratedBindings.Argfile.read(GeneratedBindings.argfile(header)).functions()) {
                try {
                    var d = (java.lang.foreign.FunctionDescriptor) c.getMethod(f + "$descriptor").invoke(null);
                    var h = (java.lang.invoke.MethodHandle) c.getMethod(f + "$handle").invoke(null);
                    var a = (java.lang.foreign.MemorySegment) c.getMethod(f + "$address").invoke(null);
                    assertEquals(d.toMethodType(), h.type(), header + "." + f);
                    assertTrue(a.address() != 0, header + "." + f + " resolved");
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(header + "." + f, e);
                }
            }
        }
    }

    /** Every public static member of the header class and its $shared superclass is requested, and vice versa. */
    private static void assertGeneratedMatchesArgfile(String headerClass) {
        GeneratedBindings.Argfile argfile = GeneratedBindings.Argfile.read(GeneratedBindings.argfile(headerClass));
        Set<String> declared = GeneratedBindings.publicStaticMembers(GeneratedBindings.uninitialised(headerClass));
        Set<String> expected = new TreeSet<>();
        for (String f : argfile.functions()) {
            expected.add(f);
            for (String suffix : GeneratedBindings.FUNCTION_ACCESSORS) expected.add(f + suffix);
        }
        expected.addAll(argfile.constants());
        for (String t : argfile.typedefs()) if (!enumTypedefs(headerClass).contains(t)) expected.add(t);
        assertEquals(expected, new TreeSet<>(declared), headerClass + " declares exactly what its argfile requests");
        Set<String> shared = GeneratedBindings.publicStaticMembers(GeneratedBindings.uninitialised(headerClass + "$shared"));
        assertEquals(GeneratedBindings.CANONICAL_LAYOUTS, shared, headerClass + "$shared holds jextract's canonical layouts");
        assertEquals(headerClass + "$shared",
                GeneratedBindings.uninitialised(headerClass).getSuperclass().getSimpleName());
    }

    /**
     * Typedefs of an enum ({@code typedef enum cudaError_enum {...} CUresult;}) for which jextract emits no alias
     * layout, only the enum's constants: read from the header when installed, else the known one.
     */
    private static Set<String> enumTypedefs(String headerClass) {
        if (!headerClass.equals("cuda_h")) return Set.of();
        Path cudaH = BindingShapeTest.CUDA_INCLUDE.resolve("cuda.h");
        if (!Files.isRegularFile(cudaH)) return Set.of("CUresult");
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("typedef\\s+enum\\s+\\w*\\s*\\{[^}]*}\\s*(\\w+)\\s*;").matcher(read(cudaH));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static Set<String> requested(String headerClass) {
        GeneratedBindings.Argfile a = GeneratedBindings.Argfile.read(GeneratedBindings.argfile(headerClass));
        Set<String> names = new LinkedHashSet<>(GeneratedBindings.CANONICAL_LAYOUTS);
        for (String f : a.functions()) {
            names.add(f);
            for (String suffix : GeneratedBindings.FUNCTION_ACCESSORS) names.add(f + suffix);
        }
        names.addAll(a.constants());
        names.addAll(a.typedefs());
        return names;
    }

    static Path repositoryRoot() {
        return GeneratedBindings.argfile("cuda_h").getParent().getParent().getParent();
    }

    /** Every {@code src/main/java/**.java} of every module of the repository. */
    static List<Path> mainSources() {
        try (Stream<Path> modules = Files.list(repositoryRoot())) {
            List<Path> files = new ArrayList<>();
            for (Path module : modules.toList()) {
                Path src = module.resolve("src/main/java");
                if (!Files.isDirectory(src)) continue;
                try (Stream<Path> walk = Files.walk(src)) {
                    walk.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
                }
            }
            assertTrue(files.size() > 50, "the repository's sources were found under " + repositoryRoot());
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
