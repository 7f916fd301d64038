package dev.sequoia.engine.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading bodies within a limit and writing JSON, errors and server-sent events on an {@link HttpExchange}. */
final class HttpIo {
    private static final ObjectReader JSON_READER = OpenAiJson.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private HttpIo() {}

    /** The request body as JSON; 413 past {@code limit} bytes, 400 when it is not JSON. */
    static JsonNode readJson(HttpExchange exchange, long limit) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "Content-Length is not a number: " + declared);
            }
            if (length > limit) throw tooLarge(limit);
        }
        byte[] body = readAtMost(exchange.getRequestBody(), limit);
        if (body.length == 0) throw ApiException.invalid(null, "the request body is empty; expected a JSON object");
        try {
            return JSON_READER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_request_error", null, "invalid_json",
                    "the request body is not valid JSON: " + e.getOriginalMessage()
                            + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                            + ", column " + e.getLocation().getColumnNr() + ")"));
        }
    }

    private static byte[] readAtMost(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            out.write(buffer, 0, n);
            if (out.size() > limit) throw tooLarge(limit);
        }
        return out.toByteArray();
    }

    private static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than " + limit + " bytes");
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = OpenAiJson.MAPPER.writeValueAsBytes(body);
        send(exchange, status, "application/json", bytes);
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    static void sendError(HttpExchange exchange, ApiException e) throws IOException {
        if (e.status() == 401) exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        sendJson(exchange, e.status(), OpenAiJson.error(e));
    }

    /** Starts a server-sent event stream (chunked, unbuffered by proxies that honour X-Accel-Buffering). */
    static OutputStream startEvents(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        return exchange.getResponseBody();
    }

    /** One event, {@code data: <json>} and a blank line, flushed at once. */
    static void event(OutputStream out, JsonNode data) throws IOException {
        event(out, OpenAiJson.MAPPER.writeValueAsString(data));
    }

    static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
