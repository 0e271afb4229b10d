package org.genzoo.service.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The API's bearer token, kept only as its SHA-256 hash. A presented token is hashed and compared
 * with {@link MessageDigest#isEqual} (constant time in the hash, and the hash hides the length of
 * the secret). Nothing here prints or logs the secret; {@link #toString()} shows a hash prefix.
 */
public final class BearerToken {
    /** Shortest accepted secret: 16 characters (e.g. {@code openssl rand -hex 32} gives 64). */
    public static final int MIN_LENGTH = 16;
    public static final String ENV = "GENZOO_TOKEN";

    private final byte[] sha256;

    private BearerToken(byte[] sha256) {
        this.sha256 = sha256;
    }

    /** A token from its secret text (surrounding whitespace is dropped). */
    public static BearerToken of(String secret) {
        if (secret == null || secret.strip().isEmpty()) {
            throw new IllegalArgumentException("the bearer token is empty; put a secret of at least " + MIN_LENGTH
                    + " characters in the token file or " + ENV + " (for example the output of `openssl rand -hex 32`)");
        }
        String s = secret.strip();
        if (s.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the bearer token has " + s.length() + " characters; use at least " + MIN_LENGTH
                    + " (for example the output of `openssl rand -hex 32`)");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("the bearer token may hold only printable ASCII without spaces"
                        + " (character " + (i + 1) + " is not); use for example the output of `openssl rand -hex 32`");
            }
        }
        return new BearerToken(sha256(s));
    }

    /** The secret in the first line of {@code file}. */
    public static BearerToken fromFile(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such token file: " + file + "; create it with: openssl rand -hex 32 > " + file);
        }
        String first = text.lines().findFirst().orElse("");
        return of(first);
    }

    /** The token from {@code file} when given, else from the GENZOO_TOKEN environment variable, else null. */
    public static BearerToken resolve(Path file, String envValue) throws IOException {
        if (file != null) {
            return fromFile(file);
        }
        if (envValue != null && !envValue.isEmpty()) {
            return of(envValue);
        }
        return null;
    }

    /** True when {@code authorization} is {@code "Bearer <the secret>"}. */
    public boolean matches(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(sha256, sha256(authorization.substring(7).strip()));
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken[set]";
    }
}
