package io.tessera.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A fake Tessera in the test's process: numbered tokens (at-1, rt-1, ...), DPoP-bound when a
 * token request has a DPoP header, rotating refresh tokens, discovery, and a /resource that
 * admits only tokens it issued, a bound one only in the DPoP scheme with a proof. Tests set
 * the knobs and read what was asked; proofs are recorded, not checked.
 */
final class FakeTessera {
    volatile Integer expiresIn = 60;          // null: no expires_in in the answer
    volatile boolean issueRefreshTokens = true;
    volatile boolean rotateRefreshTokens = true; // false: refresh answers keep the old one
    volatile int errorStatus;                 // non-zero: every token request gets this
    volatile String errorBody;
    volatile int resource401s;                // /resource refuses this many requests
    volatile CountDownLatch tokenGate;        // the token endpoint waits for it, to make races
    volatile boolean bindDpop = true;         // false: a request with a proof still gets bearer

    private final List<Map<String, String>> tokenRequests = new ArrayList<>();   // guarded by this
    private final List<String> tokenAuthorizations = new ArrayList<>();          // guarded by this
    private final List<String> tokenProofs = new ArrayList<>();                  // guarded by this
    private final List<List<String>> resourceRequests = new ArrayList<>();       // guarded by this
    final Set<String> dpopTokens = ConcurrentHashMap.newKeySet();
    final Set<String> validTokens = ConcurrentHashMap.newKeySet();
    final Set<String> refreshTokens = ConcurrentHashMap.newKeySet();
    private int issued;                                                  // guarded by this
    private int resourceHits;                                            // guarded by this

    final String base;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    FakeTessera() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    synchronized List<String> grants() {
        return tokenRequests.stream().map(f -> f.get("grant_type")).toList();
    }

    /** The form of the i-th token request. */
    synchronized Map<String, String> tokenRequest(int i) {
        return tokenRequests.get(i);
    }

    /** The Authorization header of the i-th token request, or null. */
    synchronized String tokenAuthorization(int i) {
        return tokenAuthorizations.get(i);
    }

    /** The DPoP header of the i-th token request, or null. */
    synchronized String tokenProof(int i) {
        return tokenProofs.get(i);
    }

    /** [Authorization, DPoP] headers (each possibly null) of every resource request so far. */
    synchronized List<List<String>> resourceRequests() {
        return List.copyOf(resourceRequests);
    }

    synchronized int resourceHits() {
        return resourceHits;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            if (path.equals("/oauth/token") && exchange.getRequestMethod().equals("POST")) {
                token(exchange);
            } else if (path.equals("/.well-known/oauth-authorization-server")) {
                reply(exchange, 200, "{\"issuer\":\"" + base + "\",\"token_endpoint\":\"" + base
                        + "/oauth/token\",\"grant_types_supported\":[\"password\"]}");
            } else if (path.equals("/.well-known/oauth-authorization-server/elsewhere")) {
                reply(exchange, 200, "{\"issuer\":\"http://elsewhere\",\"token_endpoint\":\"" + base
                        + "/oauth/token\"}");
            } else {
                resource(exchange, path);
            }
        }
    }

    private void token(HttpExchange exchange) throws IOException {
        Map<String, String> form = parseForm(new String(exchange.getRequestBody().readAllBytes(),
                StandardCharsets.UTF_8));
        CountDownLatch gate = tokenGate;
        if (gate != null) {
            try {
                gate.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boolean refreshing = "refresh_token".equals(form.get("grant_type"));
        int status;
        String body;
        synchronized (this) {
            tokenRequests.add(form);
            tokenAuthorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            String proof = exchange.getRequestHeaders().getFirst("DPoP");
            tokenProofs.add(proof);
            boolean bound = proof != null && bindDpop;
            if (errorStatus != 0) {
                status = errorStatus;
                body = errorBody;
            } else if (refreshing && !(rotateRefreshTokens
                    ? refreshTokens.remove(form.get("refresh_token"))
                    : refreshTokens.contains(form.get("refresh_token")))) {
                status = 400;
                body = "{\"error\":\"invalid_grant\",\"error_description\":\"unknown token\"}";
            } else {
                issued++;
                validTokens.add("at-" + issued);
                if (bound) {
                    dpopTokens.add("at-" + issued);
                }
                status = 200;
                body = "{\"access_token\":\"at-" + issued + "\",\"token_type\":\""
                        + (bound ? "DPoP" : "bearer") + "\"";
                if (expiresIn != null) {
                    body += ",\"expires_in\":" + expiresIn;
                }
                if (issueRefreshTokens && (rotateRefreshTokens || !refreshing)) {
                    refreshTokens.add("rt-" + issued);
                    body += ",\"refresh_token\":\"rt-" + issued + "\"";
                }
                body += "}";
            }
        }
        reply(exchange, status, body);
    }

    private void resource(HttpExchange exchange, String path) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String proof = exchange.getRequestHeaders().getFirst("DPoP");
        String[] schemeAndToken = (authorization == null ? "" : authorization).split(" ", 2);
        String token = schemeAndToken.length == 2 ? schemeAndToken[1] : "";
        boolean refused;
        synchronized (this) {
            resourceHits++;
            resourceRequests.add(Arrays.asList(authorization, proof));
            boolean bound = dpopTokens.contains(token);
            refused = resource401s > 0 || !validTokens.contains(token)
                    || !schemeAndToken[0].equals(bound ? "DPoP" : "Bearer")
                    || bound && proof == null;
            resource401s = Math.max(0, resource401s - 1);
        }
        if (path.equals("/resource") && !refused) {
            reply(exchange, 200, "{\"token\":\"" + token + "\"}");
        } else {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            reply(exchange, 401, "{}");
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            String[] kv = pair.split("=", 2);
            form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
        }
        return form;
    }
}
