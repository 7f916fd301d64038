package dev.sequoia.engine.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;

/** Test helper: byte-level edits of real model files, to build precisely corrupted variants. */
final class CorruptFiles {
    private CorruptFiles() {}

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static void putLong(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    static long getLong(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }

    /**
     * The offset of a GGUF tensor-info entry's n_dims field: right after the (u64 length + bytes) name.
     * Fails when the name is not stored as a GGUF string in the file.
     */
    static int ggufTensorInfoAfterName(byte[] file, String tensor) {
        byte[] name = tensor.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 8; i + name.length <= file.length; i++) {
            for (int j = 0; j < name.length; j++) if (file[i + j] != name[j]) continue outer;
            if (getLong(file, i - 8) == name.length) return i + name.length;
        }
        throw new AssertionError("tensor info for " + tensor + " not found");
    }
}
