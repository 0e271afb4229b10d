package org.genzoo.service.api;

import java.util.List;
import org.genzoo.models.train.SpecError;

/** A request the API refuses: the HTTP status, one line for people, and the bad fields (may be empty). */
public final class ApiException extends RuntimeException {
    private final int status;
    private final transient List<SpecError> errors;

    public ApiException(int status, String message, List<SpecError> errors) {
        super(message);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    public ApiException(int status, String message) {
        this(status, message, List.of());
    }

    /** A 4xx about the whole body (JSON pointer ""). */
    public static ApiException body(int status, String message, String expected, String received) {
        return new ApiException(status, message, List.of(new SpecError("", expected, received)));
    }

    public int status() {
        return status;
    }

    public List<SpecError> errors() {
        return errors;
    }
}
