package dev.sequoia.cuda.ffi;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks every bound function's descriptor against the prototype in NVIDIA's headers, as the C compiler would
 * see it after macro expansion (so {@code cuMemAlloc} is {@code cuMemAlloc_v2}), and every constant against
 * the header's enumerator or #define. A binding with a wrong argument count or kind fails here, not on a GPU.
 * Skipped, with the reason, only when the headers are not installed.
 */
class BindingShapeTest {
    static final Path CUDA_INCLUDE = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "include");

    @Test
    void everyDriverBindingMatchesItsPrototypeInCudaH() throws IOException {
        Path cudaH = require(CUDA_INCLUDE.resolve("cuda.h"));
        CHeader header = CHeader.parse(List.of(cudaH));
        assertMatches(header, cuda_h.boundFunctions(), "cuda.h");
    }

    @Test
    void everyDriverConstantMatchesCudaH() throws IOException {
        CHeader header = CHeader.parse(List.of(require(CUDA_INCLUDE.resolve("cuda.h"))));
        assertConstants(header, cuda_h.class, "cuda.h");
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
        assertMatches(header, cublas_api_h.boundFunctions(), cublas.toString());
        assertConstants(header, cublas_api_h.class, cublas.toString());
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
    void aWrongDescriptorIsCaught() throws IOException {
        CHeader header = CHeader.parse(List.of(require(CUDA_INCLUDE.resolve("cuda.h"))));
        // cuMemFree_v2 takes a 64-bit CUdeviceptr, not a pointer-sized address and not an int.
        FunctionDescriptor wrong = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        List<String> problems = compare(header, "cuMemFree_v2", wrong);
        assertFalse(problems.isEmpty(), "an int where the header has CUdeviceptr must be reported");
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

    private static void assertMatches(CHeader header, Map<String, FunctionDescriptor> bound, String file) {
        List<String> problems = new ArrayList<>();
        bound.forEach((symbol, desc) -> problems.addAll(compare(header, symbol, desc)));
        if (!problems.isEmpty()) fail(file + ": " + problems.size() + " binding(s) disagree:\n  " + String.join("\n  ", problems));
    }

    static List<String> compare(CHeader header, String symbol, FunctionDescriptor desc) {
        CHeader.Prototype proto = header.prototypes().get(symbol);
        if (proto == null) return List.of(symbol + ": no such function in the header (after macro expansion)");
        List<String> problems = new ArrayList<>();
        CHeader.Kind ret = header.kindOf(proto.returnType());
        CHeader.Kind boundRet = desc.returnLayout().map(BindingShapeTest::kindOf).orElse(CHeader.Kind.VOID);
        if (ret != boundRet) problems.add(symbol + ": returns " + ret + " in the header, bound as " + boundRet);
        List<MemoryLayout> args = desc.argumentLayouts();
        if (args.size() != proto.paramTypes().size()) {
            problems.add(symbol + ": " + proto.paramTypes().size() + " parameter(s) in the header, " + args.size()
                    + " bound; header: " + proto.text());
            return problems;
        }
        for (int i = 0; i < args.size(); i++) {
            CHeader.Kind want = header.kindOf(proto.paramTypes().get(i));
            CHeader.Kind got = kindOf(args.get(i));
            if (want != got) {
                problems.add(symbol + ": parameter " + i + " ('" + proto.paramTypes().get(i) + "') is " + want
                        + " in the header, bound as " + got);
            }
        }
        return problems;
    }

    private static CHeader.Kind kindOf(MemoryLayout l) {
        return switch (l) {
            case AddressLayout ignored -> CHeader.Kind.PTR;
            case ValueLayout.OfByte ignored -> CHeader.Kind.I8;
            case ValueLayout.OfShort ignored -> CHeader.Kind.I16;
            case ValueLayout.OfInt ignored -> CHeader.Kind.I32;
            case ValueLayout.OfLong ignored -> CHeader.Kind.I64;
            case ValueLayout.OfFloat ignored -> CHeader.Kind.F32;
            case ValueLayout.OfDouble ignored -> CHeader.Kind.F64;
            default -> throw new IllegalArgumentException("unexpected layout in a binding: " + l);
        };
    }

    private static void assertConstants(CHeader header, Class<?> bindings, String file) {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Field f : bindings.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) continue;
            try {
                Long want = header.constant(f.getName());
                int got = f.getInt(null);
                if (want == null) problems.add(f.getName() + ": not an enumerator or #define in " + file);
                else if (want.intValue() != got) problems.add(f.getName() + " = " + got + ", the header says " + want);
                checked++;
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        assertTrue(checked > 5, "expected constants in " + bindings.getSimpleName());
        if (!problems.isEmpty()) fail(file + ": " + String.join("; ", problems));
    }
}
