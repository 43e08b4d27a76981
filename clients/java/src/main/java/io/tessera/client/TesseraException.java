package io.tessera.client;

import java.io.IOException;

/**
 * A token request failed. {@link #error()} is the RFC 6749 section 5.2 code
 * ({@code invalid_grant}, {@code invalid_client}, ...) or {@code invalid_response} when the
 * server's answer was not OAuth JSON; {@link #description()} is its
 * {@code error_description} (may be null); {@link #status()} the HTTP status.
 *
 * <p>It is an {@link IOException}, so code that sends requests through
 * {@link TesseraClient} handles every failure in one catch.
 */
public final class TesseraException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String error;
    private final String description;
    private final int status;

    public TesseraException(String error, String description, int status) {
        super(error + (description == null ? "" : ": " + description) + " (HTTP " + status + ")");
        this.error = error;
        this.description = description;
        this.status = status;
    }

    public String error() {
        return error;
    }

    public String description() {
        return description;
    }

    public int status() {
        return status;
    }
}
