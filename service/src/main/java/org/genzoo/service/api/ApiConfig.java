package org.genzoo.service.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where and how the HTTP API listens.
 *
 * @param host         address to bind; 127.0.0.1 by default. Any address that is not loopback needs a token.
 * @param port         TCP port; 0 picks a free one (tests)
 * @param token        the bearer token every request but {@code /health/live} and the dashboard page must carry;
 *                     null means no authentication, allowed only on loopback
 * @param maxBodyBytes largest request body accepted; larger ones get 413
 * @param allowedHosts host names (besides the bound address, and localhost and IP literals as below) that requests
 *                     may name in their Host header; "*" allows any. Others get 403: a page whose DNS name was
 *                     rebound to this machine cannot read the API.
 * @param maxStreams   open event streams in all; more get 503
 * @param maxStreamsPerClient open event streams per client address; more get 429
 */
public record ApiConfig(String host, int port, BearerToken token, long maxBodyBytes, Set<String> allowedHosts, int maxStreams,
        int maxStreamsPerClient) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** 1 MiB: a job spec is a few hundred bytes; this leaves room for long comments in YAML. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1L << 20;
    /** Open event streams in all: each costs a socket and a small queue, no thread. */
    public static final int DEFAULT_MAX_STREAMS = 1024;
    /** Open event streams per client address: a dashboard opens one per running job it shows (at most 4). */
    public static final int DEFAULT_MAX_STREAMS_PER_CLIENT = 64;

    public ApiConfig(String host, int port, BearerToken token, long maxBodyBytes) {
        this(host, port, token, maxBodyBytes, Set.of(), DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_CLIENT);
    }

    public ApiConfig {
        allowedHosts = allowedHosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        for (String h : allowedHosts) {
            if (h.isEmpty() || !h.equals("*") && !h.matches("[a-z0-9.\\-_]+|\\[?[0-9a-f:.]+]?")) {
                throw new IllegalArgumentException("--allow-host " + h + " is not a host name: give a name such as genzoo.example.org, or *");
            }
        }
        if (maxStreams < 1 || maxStreamsPerClient < 1) {
            throw new IllegalArgumentException("the event stream limits must be at least 1, got " + maxStreams + " in all and "
                    + maxStreamsPerClient + " per client");
        }
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
        return new ApiConfig(host, port, t, maxBodyBytes, allowedHosts, maxStreams, maxStreamsPerClient);
    }

    public ApiConfig withAllowedHosts(Set<String> hosts) {
        return new ApiConfig(host, port, token, maxBodyBytes, hosts, maxStreams, maxStreamsPerClient);
    }

    public ApiConfig withStreamLimits(int total, int perClient) {
        return new ApiConfig(host, port, token, maxBodyBytes, allowedHosts, total, perClient);
    }

    /**
     * Whether a request's Host header names this server: the bound address; localhost and loopback
     * literals when bound to loopback; any IP literal or localhost when bound to every address (an IP
     * literal cannot be rebound); a name the operator allowed; anything with "*". A request without a
     * Host header (HTTP/1.0, not a browser) passes.
     */
    public boolean hostAllowed(String hostHeader) {
        if (hostHeader == null || allowedHosts.contains("*")) {
            return true;
        }
        String name = hostName(hostHeader);
        if (name == null) {
            return false;
        }
        String bound = hostName(host);
        if (name.equals(bound) || allowedHosts.contains(name)) {
            return true;
        }
        boolean ipLiteral = name.contains(":") || name.matches("[0-9]+(\\.[0-9]+){3}");
        if (bound != null && (bound.equals("0.0.0.0") || bound.equals("::"))) {
            return ipLiteral || name.equals("localhost");
        }
        if (loopbackOnly()) {
            return name.equals("localhost") || name.equals("::1") || name.matches("127(\\.[0-9]+){3}");
        }
        return false;
    }

    /** The host part of a Host header or address, lower case, without the port and brackets; null when malformed. */
    static String hostName(String h) {
        String s = h.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end < 0 ? null : s.substring(1, end);
        }
        int colon = s.indexOf(':');
        if (colon >= 0 && s.indexOf(':', colon + 1) >= 0) {
            return s; // a bare IPv6 address (an address, not a header)
        }
        String name = colon < 0 ? s : s.substring(0, colon);
        return name.isEmpty() ? null : name;
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
