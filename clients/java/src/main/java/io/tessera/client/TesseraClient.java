package io.tessera.client;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Gets OAuth 2.0 access tokens from Tessera, keeps them fresh, and sends them.
 *
 * <pre>{@code
 * TesseraClient client = TesseraClient.builder("http://127.0.0.1:8080")  // issuer: discovery
 *         .clientCredentials("billing", System.getenv("BILLING_SECRET"))
 *         .scope("invoices:read")
 *         .build();
 * HttpResponse<String> r = client.get("http://127.0.0.1:9000/invoices/42");
 *
 * TesseraClient user = TesseraClient.builder("http://127.0.0.1:8080/token")
 *         .password("alice", password)           // through the public client "default"
 *         .build();
 * String header = user.authorizationHeader();    // "Bearer ey..."
 *
 * TesseraClient bound = TesseraClient.builder("http://127.0.0.1:8080")
 *         .clientCredentials("billing", System.getenv("BILLING_SECRET"))
 *         .dpop()                                // DPoP-bound tokens (RFC 9449), ES256 key
 *         .build();
 * bound.get(url);                                // Authorization: DPoP ..., DPoP: proof
 * }</pre>
 *
 * <p>The URL is the token endpoint (a path ending in {@code /token}) or the issuer, whose
 * RFC 8414 metadata names the token endpoint (read once, at the first token request).
 *
 * <p>The grant follows from the credentials: {@link Builder#password} uses the password
 * grant, as the given {@link Builder#clientId} (public, or confidential with a secret) or
 * else the built-in public client {@code default}; {@link Builder#clientCredentials} alone
 * uses the client_credentials grant. A confidential client authenticates by HTTP Basic
 * unless {@link AuthMethod#CLIENT_SECRET_POST} is chosen.
 *
 * <p>The token is renewed {@link Builder#refreshMargin} (30 s) before its {@code expires_in}
 * runs out: by the refresh_token grant when the server issued a refresh token (keeping the
 * rotated one it returns), else by the original grant, which is also the fallback when the
 * refresh token is refused with {@code invalid_grant}. Instances are thread-safe; one token
 * request runs at a time and the others wait for its result.
 *
 * <p>With {@link Builder#dpop()} or {@link Builder#dpop(DpopKey)} the client asks for
 * DPoP-bound tokens: every token request, refreshes included, carries a proof made with the
 * key, and a token the server issued with token_type DPoP is sent as
 * {@code Authorization: DPoP <token>} with a fresh proof (htm, htu, ath) in a {@code DPoP}
 * header. A token the server issued as Bearer is still sent as Bearer.
 */
public final class TesseraClient {
    /** How a confidential client authenticates at the token endpoint (RFC 6749 2.3.1). */
    public enum AuthMethod { CLIENT_SECRET_BASIC, CLIENT_SECRET_POST }

    static final String DEFAULT_PUBLIC_CLIENT = "default";
    private static final String DISCOVERY_PATH = "/.well-known/oauth-authorization-server";

    private final String url;
    private final String clientId;
    private final String clientSecret;
    private final String username;
    private final String password;
    private final String scope;
    private final AuthMethod authMethod;
    private final long refreshMarginNanos;
    private final Duration timeout;
    private final HttpClient http;
    private final LongSupplier ticker;
    private final DpopKey dpop;     // null: bearer tokens

    private final Object lock = new Object();
    private URI tokenEndpoint;      // the fields below are guarded by lock
    private String accessToken;
    private boolean dpopBound;      // accessToken goes in the DPoP scheme, with a proof
    private Long renewAt;           // ticker value from which the token is renewed; null: never
    private String refreshToken;

    private TesseraClient(Builder b) {
        url = b.url;
        clientId = b.clientId != null ? b.clientId : DEFAULT_PUBLIC_CLIENT;
        clientSecret = b.clientSecret;
        username = b.username;
        password = b.password;
        scope = b.scope;
        authMethod = b.authMethod;
        refreshMarginNanos = b.refreshMargin.toNanos();
        timeout = b.timeout;
        http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(b.timeout).build();
        ticker = b.ticker;
        dpop = b.dpop;
        if (URI.create(url).getPath().endsWith("/token")) {
            tokenEndpoint = URI.create(url);
        }
    }

    /** Starts a client for this token endpoint or issuer URL. */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    /** A current access token: the cached one, or a new one when it is due. */
    public String accessToken() throws IOException, InterruptedException {
        return current().value();
    }

    /**
     * {@code "Bearer <access token>"}, the value of an Authorization header. A DPoP-bound
     * token needs a proof for the request too: see {@link #authorizationHeaders}.
     *
     * @throws IllegalStateException when the current token is DPoP-bound
     */
    public String authorizationHeader() throws IOException, InterruptedException {
        Token token = current();
        if (token.dpopBound()) {
            throw new IllegalStateException("a DPoP-bound token is sent with a proof for the "
                    + "request: use authorizationHeaders(method, uri)");
        }
        return "Bearer " + token.value();
    }

    /**
     * The headers that authorize one request to {@code uri} by {@code method}: for a bearer
     * token {@code Authorization: Bearer <token>}; for a DPoP-bound token
     * {@code Authorization: DPoP <token>} and {@code DPoP: <proof>}, whose proof may be sent
     * once, with this request only.
     */
    public Map<String, String> authorizationHeaders(String method, URI uri)
            throws IOException, InterruptedException {
        return headers(method, uri, current());
    }

    /** The key tokens are bound to, or null when the client asks for bearer tokens. */
    public DpopKey dpopKey() {
        return dpop;
    }

    /** "Bearer" or "DPoP": how the cached access token is sent; null before the first. */
    public String tokenType() {
        synchronized (lock) {
            return accessToken == null ? null : dpopBound ? "DPoP" : "Bearer";
        }
    }

    /**
     * Forgets the cached access token if it is still {@code token}, so that the next call
     * renews it. The refresh token is kept.
     */
    public void invalidate(String token) {
        synchronized (lock) {
            if (Objects.equals(token, accessToken)) {
                accessToken = null;
            }
        }
    }

    /**
     * Sends the request with the access token in its Authorization header (and, for a
     * DPoP-bound token, a new proof for this request in its DPoP header). On a 401 it is
     * sent once more with a renewed token, never more, so its body publisher must be
     * replayable (ofString and ofByteArray are).
     */
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        Token token = current();
        HttpResponse<T> response = http.send(withToken(request, token), handler);
        if (response.statusCode() != 401) {
            return response;
        }
        if (response.body() instanceof Closeable body) {
            body.close();
        }
        invalidate(token.value());
        return http.send(withToken(request, current()), handler);
    }

    /** GET {@code url} with the access token; the body as a string. */
    public HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The token endpoint; reads the issuer's metadata the first time if need be. */
    public URI tokenEndpoint() throws IOException, InterruptedException {
        synchronized (lock) {
            if (tokenEndpoint == null) {
                tokenEndpoint = discover();
            }
            return tokenEndpoint;
        }
    }

    /** An access token and whether it is DPoP-bound. */
    private record Token(String value, boolean dpopBound) {}

    private Token current() throws IOException, InterruptedException {
        synchronized (lock) {
            if (accessToken == null || (renewAt != null && ticker.getAsLong() - renewAt >= 0)) {
                renew();
            }
            return new Token(accessToken, dpopBound);
        }
    }

    private Map<String, String> headers(String method, URI uri, Token token) {
        if (!token.dpopBound()) {
            return Map.of("Authorization", "Bearer " + token.value());
        }
        return Map.of("Authorization", "DPoP " + token.value(),
                "DPoP", dpop.proof(method, uri, token.value()));
    }

    private HttpRequest withToken(HttpRequest request, Token token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request, (name, v) ->
                !name.equalsIgnoreCase("Authorization")
                        && !(token.dpopBound() && name.equalsIgnoreCase("DPoP")));
        headers(request.method(), request.uri(), token).forEach(builder::header);
        return builder.build();
    }

    // --- with lock held ----------------------------------------------------------------

    private void renew() throws IOException, InterruptedException {
        if (refreshToken != null) {
            try {
                Map<String, String> form =
                        form("grant_type", "refresh_token", "refresh_token", refreshToken);
                store(tokenRequest(form), true);
                return;
            } catch (TesseraException e) {
                if (!e.error().equals("invalid_grant")) {
                    throw e;
                }
                refreshToken = null; // expired, revoked or rotated away: start over
            }
        }
        Map<String, String> form = username != null
                ? form("grant_type", "password", "username", username, "password", password)
                : form("grant_type", "client_credentials");
        if (scope != null) {
            form.put("scope", scope);
        }
        store(tokenRequest(form), false);
    }

    private void store(Map<String, Object> body, boolean refreshed) {
        accessToken = (String) body.get("access_token");
        // RFC 9449 section 5: the server says whether it bound the token to the key.
        dpopBound = dpop != null && body.get("token_type") instanceof String type
                && type.equalsIgnoreCase("DPoP");
        BigDecimal expiresIn = (BigDecimal) body.get("expires_in");
        renewAt = expiresIn == null ? null
                : ticker.getAsLong() + expiresIn.movePointRight(9).longValue() - refreshMarginNanos;
        // RFC 6749 section 6: a refresh answer without a refresh token leaves the old one valid.
        String issued = (String) body.get("refresh_token");
        if (issued != null || !refreshed) {
            refreshToken = issued;
        }
    }

    private Map<String, Object> tokenRequest(Map<String, String> form)
            throws IOException, InterruptedException {
        URI endpoint = tokenEndpoint();
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        if (dpop != null) {
            request.header("DPoP", dpop.proof("POST", endpoint));
        }
        if (clientSecret == null) {
            form.put("client_id", clientId);
        } else if (authMethod == AuthMethod.CLIENT_SECRET_POST) {
            form.put("client_id", clientId);
            form.put("client_secret", clientSecret);
        } else { // RFC 6749 section 2.3.1: each part form-urlencoded before Basic
            String pair = encode(clientId) + ":" + encode(clientSecret);
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        }
        String encoded = form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpResponse<String> response = http.send(
                request.POST(HttpRequest.BodyPublishers.ofString(encoded)).build(),
                HttpResponse.BodyHandlers.ofString());

        int status = response.statusCode();
        Map<String, Object> body = jsonObject(response.body());
        if (status == 200 && body.get("access_token") instanceof String) {
            Object expiresIn = body.get("expires_in");
            Object refresh = body.get("refresh_token");
            if (expiresIn != null && !(expiresIn instanceof BigDecimal)
                    || refresh != null && !(refresh instanceof String)) {
                throw new TesseraException("invalid_response", "malformed token response", status);
            }
            return body;
        }
        if (body.get("error") instanceof String error) {
            Object description = body.get("error_description");
            throw new TesseraException(error, description instanceof String d ? d : null, status);
        }
        throw new TesseraException("invalid_response",
                "the token endpoint answered HTTP " + status + " without an OAuth body", status);
    }

    private URI discover() throws IOException, InterruptedException {
        // RFC 8414 section 3: the well-known path goes between the host and the issuer's path.
        String issuer = url.replaceAll("/+$", "");
        URI parts = URI.create(issuer);
        URI metadataUrl = parts.resolve(DISCOVERY_PATH + parts.getRawPath());
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(metadataUrl).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Object> metadata = jsonObject(response.body());
        if (response.statusCode() != 200 || !(metadata.get("token_endpoint") instanceof String)) {
            throw new TesseraException("invalid_response", "no token_endpoint in " + metadataUrl,
                    response.statusCode());
        }
        // RFC 8414 section 3.3: the metadata must name the issuer it was asked about.
        if (!issuer.equals(metadata.get("issuer"))) {
            throw new TesseraException("invalid_response", metadataUrl + " names issuer "
                    + metadata.get("issuer") + ", not " + issuer, response.statusCode());
        }
        return URI.create((String) metadata.get("token_endpoint"));
    }

    private static Map<String, Object> jsonObject(String text) {
        try {
            return FlatJson.parseObject(text);
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    private static Map<String, String> form(String... pairs) {
        Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            form.put(pairs[i], pairs[i + 1]);
        }
        return form;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Collects the settings of a {@link TesseraClient}; {@link #build()} checks them. */
    public static final class Builder {
        private final String url;
        private String clientId;
        private String clientSecret;
        private String username;
        private String password;
        private String scope;
        private AuthMethod authMethod = AuthMethod.CLIENT_SECRET_BASIC;
        private Duration refreshMargin = Duration.ofSeconds(30);
        private Duration timeout = Duration.ofSeconds(10);
        private HttpClient http;
        private LongSupplier ticker = System::nanoTime;
        private DpopKey dpop;

        private Builder(String url) {
            this.url = Objects.requireNonNull(url, "url");
        }

        /** The password grant for this user. */
        public Builder password(String username, String password) {
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** The client to act as: public, or confidential with a {@link #clientSecret}. */
        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        public Builder clientSecret(String clientSecret) {
            this.clientSecret = clientSecret;
            return this;
        }

        /** A confidential client; without {@link #password}, the client_credentials grant. */
        public Builder clientCredentials(String clientId, String clientSecret) {
            return clientId(Objects.requireNonNull(clientId, "clientId"))
                    .clientSecret(Objects.requireNonNull(clientSecret, "clientSecret"));
        }

        /** The space-separated scopes to ask for; by default every scope the client may have. */
        public Builder scope(String scope) {
            this.scope = scope;
            return this;
        }

        public Builder authMethod(AuthMethod authMethod) {
            this.authMethod = Objects.requireNonNull(authMethod, "authMethod");
            return this;
        }

        /** How long before expiry a token is renewed; 30 s by default. */
        public Builder refreshMargin(Duration refreshMargin) {
            this.refreshMargin = Objects.requireNonNull(refreshMargin, "refreshMargin");
            return this;
        }

        /** Timeout of each token and discovery request; 10 s by default. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The HttpClient for every request; a new one by default. */
        public Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        /** A nanosecond clock like System::nanoTime, for tests that control time. */
        public Builder ticker(LongSupplier ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** DPoP-bound tokens (RFC 9449) with a new ES256 key. */
        public Builder dpop() {
            return dpop(DpopKey.generate());
        }

        /** DPoP-bound tokens (RFC 9449) with this key; null for bearer tokens. */
        public Builder dpop(DpopKey key) {
            this.dpop = key;
            return this;
        }

        public TesseraClient build() {
            if (username == null && (clientId == null || clientSecret == null)) {
                throw new IllegalStateException(
                        "give password(username, password) or clientCredentials(id, secret)");
            }
            if (clientSecret != null && clientId == null) {
                throw new IllegalStateException("a client secret needs its clientId");
            }
            return new TesseraClient(this);
        }
    }
}
