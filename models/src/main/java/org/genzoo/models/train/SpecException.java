package org.genzoo.models.train;

import java.util.List;

/**
 * A job spec was refused. Carries every bad field at once (never just the first), each with its
 * JSON pointer; the message lists them one per line. An {@link IllegalArgumentException} so that
 * callers that map bad input to an exit code or an HTTP 400 need no special case.
 */
public final class SpecException extends IllegalArgumentException {
    private final transient List<SpecError> errors;

    public SpecException(List<SpecError> errors) {
        super(format(errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a SpecException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    public List<SpecError> errors() {
        return errors;
    }

    private static String format(List<SpecError> errors) {
        StringBuilder sb = new StringBuilder("invalid job spec (" + errors.size() + (errors.size() == 1 ? " error)" : " errors)"));
        for (SpecError e : errors) {
            sb.append("\n  ").append(e.message());
        }
        return sb.toString();
    }
}
