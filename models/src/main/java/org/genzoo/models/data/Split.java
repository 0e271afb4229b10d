package org.genzoo.models.data;

/** The three parts of a data set: fit on TRAIN, select models on VALIDATION, report on TEST. */
public enum Split {
    TRAIN("train"),
    VALIDATION("validation"),
    TEST("test");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    /** Lower-case name as used in specs, tables and file names. */
    public String label() {
        return label;
    }

    /** Parses "train", "validation" (or "val", "valid"), "test", case-insensitively. */
    public static Split parse(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "train":
                return TRAIN;
            case "validation":
            case "valid":
            case "val":
                return VALIDATION;
            case "test":
                return TEST;
            default:
                throw new IllegalArgumentException("unknown split '" + s + "': expected train, validation or test");
        }
    }
}
