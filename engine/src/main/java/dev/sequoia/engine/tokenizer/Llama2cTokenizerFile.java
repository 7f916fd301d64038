package dev.sequoia.engine.tokenizer;

import dev.sequoia.engine.format.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a llama2.c tokenizer file ({@code tokenizer.bin}, {@code tok512.bin}) into a
 * {@link SentencePieceTokenizer} with BOS = 1 and EOS = 2.
 *
 * <p>Layout, little-endian: {@code int32 max_token_length}, then per token {@code float32 score},
 * {@code int32 length}, {@code length} bytes of UTF-8 (no terminator). The file is small (tens of KB), so it
 * is read whole. Every malformed or truncated field is a {@link ModelFormatException} naming the file, the
 * token index, the field and the offset.
 */
public final class Llama2cTokenizerFile {
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final Path file;
    private final ByteBuffer buf;
    private final int maxTokenLength;

    private Llama2cTokenizerFile(Path file, byte[] bytes) {
        this.file = file;
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.maxTokenLength = readInt(-1, "max_token_length");
        if (maxTokenLength <= 0) {
            throw fail(0, "max_token_length is " + maxTokenLength + ", expected a positive length");
        }
    }

    /** Reads exactly {@code vocabSize} tokens (the model header's vocab_size); trailing bytes are an error. */
    public static SentencePieceTokenizer read(Path file, int vocabSize) {
        if (vocabSize <= 0) throw new ModelFormatException(file, "vocab_size " + vocabSize + " must be positive");
        Llama2cTokenizerFile f = open(file);
        List<Entry> entries = new ArrayList<>(Math.min(vocabSize, 1 << 20));
        for (int i = 0; i < vocabSize; i++) entries.add(f.readEntry(i));
        if (f.buf.hasRemaining()) {
            throw f.fail(f.buf.position(), f.buf.remaining() + " bytes after the last of " + vocabSize
                    + " tokens; the tokenizer does not match a model with vocab_size " + vocabSize);
        }
        return f.build(entries);
    }

    /** Reads every token up to the end of the file (when the model's vocab_size is not at hand). */
    public static SentencePieceTokenizer read(Path file) {
        Llama2cTokenizerFile f = open(file);
        List<Entry> entries = new ArrayList<>();
        while (f.buf.hasRemaining()) entries.add(f.readEntry(entries.size()));
        if (entries.isEmpty()) throw f.fail(f.buf.position(), "no tokens after max_token_length");
        return f.build(entries);
    }

    private record Entry(String piece, float score) {}

    private static Llama2cTokenizerFile open(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "tokenizer file not found or not a file");
        try {
            return new Llama2cTokenizerFile(file, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    private Entry readEntry(int token) {
        float score = readFloat(token, "score");
        if (Float.isNaN(score)) throw fail(buf.position() - 4, "token " + token + ": score is NaN");
        int at = buf.position();
        int length = readInt(token, "length");
        if (length < 0 || length > maxTokenLength) {
            throw fail(at, "token " + token + ": length " + length + " outside 0..max_token_length ("
                    + maxTokenLength + ")");
        }
        if (buf.remaining() < length) {
            throw fail(buf.position(), "token " + token + ": truncated, its " + length + " piece bytes run past"
                    + " the end of the file (" + buf.remaining() + " left)");
        }
        byte[] bytes = new byte[length];
        int pieceAt = buf.position();
        buf.get(bytes);
        return new Entry(utf8(bytes, token, pieceAt), score);
    }

    private String utf8(byte[] bytes, int token, int at) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, "token " + token + ": piece bytes are not valid UTF-8");
        }
    }

    private SentencePieceTokenizer build(List<Entry> entries) {
        int n = entries.size();
        if (n <= EOS) throw fail(buf.position(), n + " tokens, expected at least 3 (unk, BOS, EOS)");
        String[] pieces = new String[n];
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = entries.get(i).piece();
            scores[i] = entries.get(i).score();
        }
        return new SentencePieceTokenizer(pieces, scores, null, BOS, EOS);
    }

    private int readInt(int token, String field) {
        need(4, token, field);
        return buf.getInt();
    }

    private float readFloat(int token, String field) {
        need(4, token, field);
        return buf.getFloat();
    }

    private void need(int bytes, int token, String field) {
        if (buf.remaining() < bytes) {
            String who = token < 0 ? field : "token " + token + ": " + field;
            throw fail(buf.position(), who + " truncated (" + bytes + " bytes needed, " + buf.remaining() + " left)");
        }
    }

    private ModelFormatException fail(int offset, String what) {
        return new ModelFormatException(file, "llama2.c tokenizer, offset " + offset + ": " + what);
    }
}
