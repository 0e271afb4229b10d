package org.genzoo.models.vae;

import java.util.List;
import java.util.stream.Collectors;

/** A model configuration with one or more bad fields; {@link #violations()} names every one. */
public final class InvalidConfigException extends IllegalArgumentException {
    /** One bad field: its name as in the config record (e.g. {@code latentDim}) and what is wrong. */
    public record Violation(String field, String message) {
        @Override
        public String toString() {
            return field + ": " + message;
        }
    }

    private final List<Violation> violations;

    public InvalidConfigException(String config, List<Violation> violations) {
        super(config + " is invalid: " + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }

    /** The names of the bad fields, in the order they were checked. */
    public List<String> fields() {
        return violations.stream().map(Violation::field).collect(Collectors.toList());
    }
}
