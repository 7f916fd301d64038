package dev.sequoia.engine.server;

/**
 * A request the server refuses, as the OpenAI API reports it: an HTTP status and the error object
 * {@code {"error": {"message", "type", "param", "code"}}}. The message names the parameter and what was expected;
 * it never carries a stack trace.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a parameter is missing, of the wrong type or out of range. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
    }

    public int status() { return status; }
    public String type() { return type; }
    public String param() { return param; }
    public String code() { return code; }
}
