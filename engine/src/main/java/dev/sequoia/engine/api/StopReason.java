package dev.sequoia.engine.api;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced its end-of-sequence token. */
    EOS,
    /** The requested number of tokens was generated. */
    MAX_TOKENS,
    /** The text produced one of the request's stop strings. */
    STOP_STRING,
    /** The session's context is full. */
    CONTEXT_LENGTH,
    /** The caller cancelled it. */
    CANCELLED,
    /** It failed; the generation's future completes exceptionally. */
    ERROR
}
