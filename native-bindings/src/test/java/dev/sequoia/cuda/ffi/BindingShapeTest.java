package dev.sequoia.cuda.ffi;

import dev.sequoia.cuda.CublasStatusNames;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the generated bindings against NVIDIA's headers, as the C compiler sees them after macro expansion (so
 * {@code cuMemAlloc} is {@code cuMemAlloc_v2}): every function the argfile requests, through the Java signature of
 * its wrapper (int, long, MemorySegment: the carriers of the descriptor's layouts), every constant's value, and
 * the safe layer's status-name table. The generated classes are read without being initialised (they open their
 * library in their static initialiser), so this runs on a machine without a driver ({@link ArgfileTest} resolves
 * every symbol on a GPU machine). Skipped, with the reason, only when the headers are not installed.
 */
class BindingShapeTest {
    static final Path CUDA_INCLUDE = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "include");

    @Test
    void everyDriverBindingMatchesItsPrototypeInCudaH() throws IOException {
        Path cudaH = require(CUDA_INCLUDE.resolve("cuda.h"));
        CHeader header = CHeader.parse(List.of(cudaH));
        assertMatches(header, "cuda_h", "cuda.h");
    }

    @Test
    void everyDriverConstantMatchesCudaH() throws IOException {
        CHeader header = CHeader.parse(List.of(require(CUDA_INCLUDE.resolve("cuda.h"))));
        assertConstants(header, "cuda_h", "cuda.h");
    }

    @Test
    void everyCublasBindingAndConstantMatchesCublasApiH() throws IOException {
        Path cublas = require(findCublasHeader());
        List<Path> files = new ArrayList<>();
        Path types = CUDA_INCLUDE.resolve("library_types.h");
        if (Files.exists(types)) files.add(types);
        Path driverTypes = CUDA_INCLUDE.resolve("driver_types.h");
        if (Files.exists(driverTypes)) files.add(driverTypes);
        files.add(cublas);
        CHeader header = CHeader.parse(files);
        assertMatches(header, "cublas_api_h", cublas.toString());
        assertConstants(header, "cublas_api_h", cublas.toString());
        List<String> problems = new ArrayList<>();
        CublasStatusNames.get().forEach((value, name) -> {
            Long want = header.constant(name);
            if (want == null || want.intValue() != value) problems.add(name + " = " + value + ", the header says " + want);
        });
        if (!problems.isEmpty()) fail("Cublas.statusName disagrees with " + cublas + ": " + problems);
    }

    @Test
    void theParserSeesTheAliasesAndNotTheLegacyDeclarations() throws IOException {
        CHeader header = CHeader.parse(List.of(require(CUDA_INCLUDE.resolve("cuda.h"))));
        Map<String, CHeader.Prototype> p = header.prototypes();
        assertTrue(p.containsKey("cuMemAlloc_v2"), "#define cuMemAlloc cuMemAlloc_v2 must rename the declaration");
        assertFalse(p.containsKey("cuMemAlloc"), "the legacy 32-bit cuMemAlloc is inside #if __CUDA_API_VERSION_INTERNAL");
        assertEquals(CHeader.Kind.I64, header.kindOf(p.get("cuMemAlloc_v2").paramTypes().get(1)), "size_t is 64-bit");
        assertEquals(CHeader.Kind.I64, header.kindOf("CUdeviceptr"), "CUdeviceptr is unsigned long long on LP64");
        assertEquals(CHeader.Kind.PTR, header.kindOf("CUstream"));
        assertEquals(CHeader.Kind.I32, header.kindOf("CUdevice_attribute"));
    }

    @Test
    void aWrongSignatureIsCaught() throws IOException {
        CHeader header = CHeader.parse(List.of(require(CUDA_INCLUDE.resolve("cuda.h"))));
        // cuMemFree_v2 takes a 64-bit CUdeviceptr, not a pointer-sized address and not an int.
        GeneratedBindings.Signature wrong = new GeneratedBindings.Signature(CHeader.Kind.I32, List.of(CHeader.Kind.I32));
        assertFalse(compare(header, "cuMemFree_v2", wrong).isEmpty(), "an int where the header has CUdeviceptr must be reported");
        GeneratedBindings.Signature right = new GeneratedBindings.Signature(CHeader.Kind.I32, List.of(CHeader.Kind.I64));
        assertTrue(compare(header, "cuMemFree_v2", right).isEmpty());
    }

    private static Path findCublasHeader() {
        return Stream.of(CUDA_INCLUDE.resolve("cublas_api.h"), Path.of("/usr/include/cublas_api.h"),
                        Path.of("/usr/include/x86_64-linux-gnu/cublas_api.h"))
                .filter(Files::exists).findFirst().orElse(CUDA_INCLUDE.resolve("cublas_api.h"));
    }

    private static Path require(Path header) {
        Assumptions.assumeTrue(Files.isRegularFile(header),
                "CUDA header " + header + " is not installed here, so the bindings cannot be checked against it "
                        + "(set CUDA_HOME to a toolkit that has it)");
        return header;
    }

    private static void assertMatches(CHeader header, String headerClass, String file) {
        Set<String> requested = GeneratedBindings.Argfile.read(GeneratedBindings.argfile(headerClass)).functions();
        Map<String, GeneratedBindings.Signature> bound =
                GeneratedBindings.wrappers(GeneratedBindings.uninitialised(headerClass), requested);
        assertEquals(requested, bound.keySet(), "every requested function has a wrapper in " + headerClass);
        List<String> problems = new ArrayList<>();
        bound.forEach((symbol, sig) -> problems.addAll(compare(header, symbol, sig)));
        if (!problems.isEmpty()) fail(file + ": " + problems.size() + " binding(s) disagree:\n  " + String.join("\n  ", problems));
    }

    static List<String> compare(CHeader header, String symbol, GeneratedBindings.Signature sig) {
        CHeader.Prototype proto = header.prototypes().get(symbol);
        if (proto == null) return List.of(symbol + ": no such function in the header (after macro expansion)");
        List<String> problems = new ArrayList<>();
        CHeader.Kind ret = header.kindOf(proto.returnType());
        if (ret != sig.returns()) problems.add(symbol + ": returns " + ret + " in the header, bound as " + sig.returns());
        List<CHeader.Kind> args = sig.parameters();
        if (args.size() != proto.paramTypes().size()) {
            problems.add(symbol + ": " + proto.paramTypes().size() + " parameter(s) in the header, " + args.size()
                    + " bound; header: " + proto.text());
            return problems;
        }
        for (int i = 0; i < args.size(); i++) {
            CHeader.Kind want = header.kindOf(proto.paramTypes().get(i));
            if (want != args.get(i)) {
                problems.add(symbol + ": parameter " + i + " ('" + proto.paramTypes().get(i) + "') is " + want
                        + " in the header, bound as " + args.get(i));
            }
        }
        return problems;
    }

    private static void assertConstants(CHeader header, String headerClass, String file) {
        Set<String> requested = GeneratedBindings.Argfile.read(GeneratedBindings.argfile(headerClass)).constants();
        Map<String, Integer> values = GeneratedBindings.intConstants(headerClass);
        assertEquals(requested, values.keySet(), "every requested constant, and only those, in " + headerClass);
        List<String> problems = new ArrayList<>();
        values.forEach((name, got) -> {
            Long want = header.constant(name);
            if (want == null) problems.add(name + ": not an enumerator or #define in " + file);
            else if (want.intValue() != got) problems.add(name + " = " + got + ", the header says " + want);
        });
        if (!problems.isEmpty()) fail(file + ": " + String.join("; ", problems));
    }
}
