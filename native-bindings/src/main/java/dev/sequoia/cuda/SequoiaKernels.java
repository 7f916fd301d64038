package dev.sequoia.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The fatbin of Sequoia's CUDA kernels ({@code src/main/cuda/sequoia_kernels.cu}), built by the Maven build
 * when nvcc exists and shipped in this jar as a resource. Names every kernel the backends launch.
 */
public final class SequoiaKernels {
    private SequoiaKernels() {}

    public static final String RESOURCE = "/dev/sequoia/cuda/kernels/sequoia_kernels.fatbin";

    /** Every {@code extern "C"} kernel in the fatbin. */
    public static final List<String> NAMES = List.of("rmsnorm_f32_to_f16", "rope_f32", "swiglu_f32_to_f16",
            "tree_attention", "tree_attention_gqa", "kv_gather_rows", "embedding_gather_f16", "dequant_q8_0_f16", "dequant_q4_0_f16",
            "f32_to_f16", "f16_to_f32", "bf16_to_f16", "logits_copy_rows");

    /** True when this build had nvcc and the fatbin is on the class path. */
    public static boolean isBundled() {
        return SequoiaKernels.class.getResource(RESOURCE) != null;
    }

    /** The fatbin's bytes; throws naming the reason when the build had no nvcc. */
    public static byte[] fatbin() {
        try (InputStream in = SequoiaKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CudaUnavailableException("this build has no CUDA kernels (" + RESOURCE + " is missing: "
                        + "nvcc was not found when native-bindings was built)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Loads the kernels into {@code ctx}. */
    public static CudaModule load(CudaContext ctx) {
        return ctx.loadModule(fatbin(), RESOURCE);
    }
}
