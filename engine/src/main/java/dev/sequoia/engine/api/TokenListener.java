package dev.sequoia.engine.api;

/**
 * Receives tokens as they are generated, on the engine thread: keep it quick and never block.
 */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param token the token id
     * @param text  the text it adds (may be empty when a UTF-8 character continues in the next token)
     */
    void onToken(int token, String text);
}
