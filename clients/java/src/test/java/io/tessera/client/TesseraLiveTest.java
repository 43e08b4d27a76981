package io.tessera.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeNotNull;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;

/**
 * TesseraClient against a real Tessera at TESSERA_BASE (skipped when unset). The caller sets
 * up and names: TESSERA_CLIENT_ID / TESSERA_CLIENT_SECRET (confidential, client_credentials),
 * TESSERA_PUBLIC_CLIENT_ID (public, password + refresh_token), TESSERA_USERNAME /
 * TESSERA_PASSWORD (a user both may log in), TESSERA_DPOP_CLIENT_ID / TESSERA_DPOP_CLIENT_SECRET
 * (confidential, made with --require-dpop).
 */
public class TesseraLiveTest {
    private String base;

    @Before
    public void needsALiveServer() {
        base = System.getenv("TESSERA_BASE");
        assumeNotNull(base);
    }

    private static String env(String name) {
        String value = System.getenv(name);
        assertNotNull(name + " must be set with TESSERA_BASE", value);
        return value;
    }

    private TesseraClient.Builder service() {
        return TesseraClient.builder(base)
                .clientCredentials(env("TESSERA_CLIENT_ID"), env("TESSERA_CLIENT_SECRET"));
    }

    private TesseraClient.Builder user() {
        return TesseraClient.builder(base)
                .password(env("TESSERA_USERNAME"), env("TESSERA_PASSWORD"));
    }

    /** The claims /users/me returns for the client's token (a 200 is required). */
    private Map<String, Object> me(TesseraClient client) throws Exception {
        return FlatJson.parseObject(meBody(client));
    }

    /** The JSON text /users/me returns for the client's token (a 200 is required). */
    private String meBody(TesseraClient client) throws Exception {
        HttpResponse<String> r = client.get(base + "/users/me");
        assertEquals(r.body(), 200, r.statusCode());
        return r.body();
    }

    /** The claims' cnf member as the server writes it for a token bound to {@code key}. */
    private static String cnf(DpopKey key) {
        return "\"cnf\":{\"jkt\":\"" + key.thumbprint() + "\"}";
    }

    @Test
    public void clientCredentialsWithBasicAndPost() throws Exception {
        for (TesseraClient.AuthMethod method : TesseraClient.AuthMethod.values()) {
            Map<String, Object> claims = me(service().authMethod(method).build());
            assertEquals(method.toString(), env("TESSERA_CLIENT_ID"), claims.get("sub"));
        }
    }

    @Test
    public void passwordGrantThroughTheDefaultClient() throws Exception {
        Map<String, Object> claims = me(user().build());
        assertEquals(env("TESSERA_USERNAME"), claims.get("sub"));
        assertEquals("default", claims.get("client_id"));
    }

    @Test
    public void aPublicClientRefreshesWithRotatingRefreshTokens() throws Exception {
        TesseraClient client = user().clientId(env("TESSERA_PUBLIC_CLIENT_ID"))
                .refreshMargin(Duration.ofDays(1)) // every token is due at once
                .build();
        Map<String, Object> first = me(client);
        for (int i = 0; i < 3; i++) {
            Map<String, Object> next = me(client);
            assertNotEquals(first.get("jti"), next.get("jti"));
            // One refresh family: reusing a rotated refresh token would have revoked it and
            // sent the client back to the password grant, which starts a new one.
            assertEquals(first.get("sid"), next.get("sid"));
        }
        assertEquals(env("TESSERA_PUBLIC_CLIENT_ID"), first.get("client_id"));
    }

    @Test
    public void aRevokedTokenIsReplacedOnTheFirst401() throws Exception {
        TesseraClient client = service().build();
        String revoked = client.accessToken();
        String pair = env("TESSERA_CLIENT_ID") + ":" + env("TESSERA_CLIENT_SECRET");
        String basic = Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
        String form = "token=" + URLEncoder.encode(revoked, StandardCharsets.UTF_8);
        HttpRequest revoke = HttpRequest.newBuilder(URI.create(base + "/revoke"))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> r =
                HttpClient.newHttpClient().send(revoke, HttpResponse.BodyHandlers.ofString());
        assertEquals(r.body(), 200, r.statusCode());

        assertEquals(env("TESSERA_CLIENT_ID"), me(client).get("sub"));
        assertNotEquals(revoked, client.accessToken());
    }

    @Test
    public void aDpopBoundClientCredentialsTokenWorksAtUsersMe() throws Exception {
        DpopKey key = DpopKey.generate();
        TesseraClient client = service().dpop(key).build();
        String body = meBody(client);
        assertEquals(env("TESSERA_CLIENT_ID"), FlatJson.parseObject(body).get("sub"));
        assertTrue(body, body.contains(cnf(key)));
        assertEquals("DPoP", client.tokenType());
    }

    @Test
    public void aDpopBoundTokenSentAsBearerIsRefused() throws Exception {
        TesseraClient client = service().dpop().build();
        HttpRequest asBearer = HttpRequest.newBuilder(URI.create(base + "/users/me"))
                .header("Authorization", "Bearer " + client.accessToken())
                .build();
        HttpResponse<String> r =
                HttpClient.newHttpClient().send(asBearer, HttpResponse.BodyHandlers.ofString());
        assertEquals(r.body(), 401, r.statusCode());
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        assertTrue(challenge, challenge.startsWith("DPoP "));
        assertTrue(challenge, challenge.contains("error=\"invalid_token\""));
    }

    @Test
    public void aClientThatRequiresDpopGetsTokensOnlyWithProofs() throws Exception {
        TesseraClient.Builder bound = TesseraClient.builder(base).clientCredentials(
                env("TESSERA_DPOP_CLIENT_ID"), env("TESSERA_DPOP_CLIENT_SECRET"));
        TesseraException e = assertThrows(TesseraException.class,
                () -> bound.build().accessToken());
        assertEquals("invalid_dpop_proof", e.error());
        assertEquals(400, e.status());
        assertEquals(env("TESSERA_DPOP_CLIENT_ID"), me(bound.dpop().build()).get("sub"));
    }

    @Test
    public void aPublicClientRefreshesWithProofsOfItsEdDsaKey() throws Exception {
        DpopKey key = DpopKey.generate(DpopKey.EDDSA);
        TesseraClient client = user().clientId(env("TESSERA_PUBLIC_CLIENT_ID")).dpop(key)
                .refreshMargin(Duration.ofDays(1)) // every token is due at once
                .build();
        Map<String, Object> first = null;
        for (int i = 0; i < 3; i++) {
            String body = meBody(client);
            assertTrue(body, body.contains(cnf(key)));
            Map<String, Object> claims = FlatJson.parseObject(body);
            if (first == null) {
                first = claims;
            } else {
                assertNotEquals(first.get("jti"), claims.get("jti"));
                assertEquals(first.get("sid"), claims.get("sid")); // one refresh family
            }
        }
        assertEquals(env("TESSERA_USERNAME"), first.get("sub"));
    }

    @Test
    public void wrongCredentialsThrowTheServersError() {
        TesseraException e = assertThrows(TesseraException.class, () -> service()
                .clientSecret("wrong").build().accessToken());
        assertEquals("invalid_client", e.error());
        assertEquals(401, e.status());
        e = assertThrows(TesseraException.class, () -> TesseraClient.builder(base)
                .password(env("TESSERA_USERNAME"), "wrong").build().accessToken());
        assertEquals("invalid_grant", e.error());
        assertEquals(400, e.status());
    }
}
