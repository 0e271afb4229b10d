package org.genzoo.service.api;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where and how the HTTP API listens.
 *
 * @param host         address to bind; 127.0.0.1 by default. Any address that is not loopback needs a token.
 * @param port         TCP port; 0 picks a free one (tests)
 * @param token        the bearer token every request but {@code /health/live} and the dashboard page must carry;
 *                     null means no authentication, allowed only on loopback
 * @param maxBodyBytes largest request body accepted; larger ones get 413
 */
public record ApiConfig(String host, int port, BearerToken token, long maxBodyBytes) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** 1 MiB: a job spec is a few hundred bytes; this leaves room for long comments in YAML. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1L << 20;

    public ApiConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("--host is empty; give an address such as 127.0.0.1");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("the request body limit must be at least 1024 bytes, got " + maxBodyBytes);
        }
    }

    public static ApiConfig loopback(int port) {
        return new ApiConfig(DEFAULT_HOST, port, null, DEFAULT_MAX_BODY_BYTES);
    }

    public ApiConfig withToken(BearerToken t) {
        return new ApiConfig(host, port, t, maxBodyBytes);
    }

    /** True when {@code host} names only this machine (127.0.0.0/8, ::1, localhost). */
    public boolean loopbackOnly() {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve --host " + host + ": give an IP address such as 127.0.0.1");
        }
    }

    /** Refuses a configuration that would expose the API beyond this machine without a token. */
    public void checkExposure() {
        if (token == null && !loopbackOnly()) {
            throw new IllegalArgumentException("refusing to listen on " + host + " without a bearer token: that address is"
                    + " reachable from other machines. Create a token (openssl rand -hex 32 > token.txt) and pass"
                    + " --token-file token.txt or set " + BearerToken.ENV + "; or bind 127.0.0.1");
        }
    }
}
