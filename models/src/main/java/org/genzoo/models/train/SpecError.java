package org.genzoo.models.train;

/**
 * One bad field of a job spec.
 *
 * @param pointer  where, as an RFC 6901 JSON pointer ("/optimizer/lr"; "" is the whole document)
 * @param expected what the field must be ("a number > 0", "one of adam, adamw, sgd")
 * @param received what was there, as short JSON ("-0.1", "\"adamx\"", "missing")
 */
public record SpecError(String pointer, String expected, String received) {
    /** One line: {@code /optimizer/lr: expected a number > 0, got -0.1}. */
    public String message() {
        return (pointer.isEmpty() ? "(document)" : pointer) + ": expected " + expected + ", got " + received;
    }

    @Override
    public String toString() {
        return message();
    }
}
