package io.tessera.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** TesseraClient against {@link FakeTessera}, with a fake clock: nothing sleeps. */
public class TesseraClientTest {
    private static final long SECOND = 1_000_000_000L;

    private FakeTessera fake;
    private final AtomicLong now = new AtomicLong(42 * SECOND);

    @Before
    public void startFake() throws Exception {
        fake = new FakeTessera();
    }

    @After
    public void stopFake() throws Exception {
        fake.close();
    }

    private TesseraClient.Builder builder() {
        return TesseraClient.builder(fake.base + "/oauth/token").ticker(now::get);
    }

    private TesseraClient.Builder user() {
        return builder().password("alice", "pw");
    }

    private TesseraClient.Builder service() {
        return builder().clientCredentials("svc", "s3cret");
    }

    private void advance(long seconds) {
        now.addAndGet(seconds * SECOND);
    }

    private static String basic(String pair) {
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    // --- grants ----------------------------------------------------------------------------

    @Test
    public void clientCredentialsAuthenticateWithBasicByDefault() throws Exception {
        assertEquals("at-1", service().scope("a b").build().accessToken());
        assertEquals(Map.of("grant_type", "client_credentials", "scope", "a b"),
                fake.tokenRequest(0));
        assertEquals(basic("svc:s3cret"), fake.tokenAuthorization(0));
    }

    @Test
    public void basicCredentialsAreFormUrlencodedFirst() throws Exception {
        builder().clientCredentials("a:b", "p&ss word").build().accessToken();
        assertEquals(basic("a%3Ab:p%26ss+word"), fake.tokenAuthorization(0));
    }

    @Test
    public void clientSecretPostPutsTheCredentialsInTheForm() throws Exception {
        service().authMethod(TesseraClient.AuthMethod.CLIENT_SECRET_POST).build().accessToken();
        assertEquals(Map.of("grant_type", "client_credentials", "client_id", "svc",
                "client_secret", "s3cret"), fake.tokenRequest(0));
        assertNull(fake.tokenAuthorization(0));
    }

    @Test
    public void passwordGrantWithoutAClientUsesTheDefaultPublicClient() throws Exception {
        user().build().accessToken();
        assertEquals(Map.of("grant_type", "password", "username", "alice", "password", "pw",
                "client_id", "default"), fake.tokenRequest(0));
        assertNull(fake.tokenAuthorization(0));
    }

    @Test
    public void passwordGrantWithAConfidentialClient() throws Exception {
        user().clientCredentials("web", "s").build().accessToken();
        assertEquals("password", fake.tokenRequest(0).get("grant_type"));
        assertEquals(basic("web:s"), fake.tokenAuthorization(0));
    }

    @Test
    public void discoveryFindsTheTokenEndpointFromTheIssuer() throws Exception {
        TesseraClient client =
                TesseraClient.builder(fake.base + "/").clientCredentials("svc", "s").build();
        assertEquals("at-1", client.accessToken());
        assertEquals(URI.create(fake.base + "/oauth/token"), client.tokenEndpoint());
    }

    @Test
    public void discoveryRefusesMetadataForAnotherIssuer() {
        TesseraClient client = TesseraClient.builder(fake.base + "/elsewhere")
                .clientCredentials("svc", "s").build();
        TesseraException e = assertThrows(TesseraException.class, client::accessToken);
        assertEquals("invalid_response", e.error());
        assertTrue(e.description(), e.description().contains("http://elsewhere"));
    }

    @Test
    public void incompleteCredentialsAreRefusedAtOnce() {
        assertThrows(IllegalStateException.class, () -> builder().build());
        assertThrows(IllegalStateException.class, () -> builder().clientId("svc").build());
        assertThrows(IllegalStateException.class,
                () -> builder().clientSecret("s").password("a", "b").build());
    }

    // --- caching and renewal -------------------------------------------------------------

    @Test
    public void theTokenIsReusedUntilTheMarginBeforeExpiry() throws Exception {
        TesseraClient client = user().refreshMargin(Duration.ofSeconds(30)).build();
        assertEquals("at-1", client.accessToken());
        now.addAndGet(30 * SECOND - 1);
        assertEquals("Bearer at-1", client.authorizationHeader());
        assertEquals(List.of("password"), fake.grants());
        now.incrementAndGet();
        assertEquals("at-2", client.accessToken());
        assertEquals(List.of("password", "refresh_token"), fake.grants());
    }

    @Test
    public void refreshTokensRotateAndTheNewestIsUsed() throws Exception {
        TesseraClient client = user().refreshMargin(Duration.ofSeconds(60)).build(); // always due
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tokens.add(client.accessToken());
        }
        assertEquals(List.of("at-1", "at-2", "at-3", "at-4"), tokens);
        assertEquals(List.of("rt-1", "rt-2", "rt-3"),
                List.of(1, 2, 3).stream()
                        .map(i -> fake.tokenRequest(i).get("refresh_token"))
                        .toList());
    }

    @Test
    public void aRefreshAnswerWithoutARefreshTokenKeepsTheOldOne() throws Exception {
        fake.rotateRefreshTokens = false;
        TesseraClient client = user().refreshMargin(Duration.ofSeconds(60)).build();
        for (int i = 0; i < 3; i++) {
            client.accessToken();
        }
        assertEquals(Arrays.asList(null, "rt-1", "rt-1"), List.of(0, 1, 2).stream()
                .map(i -> fake.tokenRequest(i).get("refresh_token"))
                .toList());
    }

    @Test
    public void withoutRefreshTokensTheOriginalGrantIsRepeated() throws Exception {
        fake.issueRefreshTokens = false;
        TesseraClient client = service().refreshMargin(Duration.ofSeconds(60)).build();
        client.accessToken();
        client.accessToken();
        assertEquals(List.of("client_credentials", "client_credentials"), fake.grants());
    }

    @Test
    public void aRefusedRefreshTokenFallsBackToTheOriginalGrant() throws Exception {
        TesseraClient client = user().scope("read").build();
        client.accessToken();
        fake.refreshTokens.clear(); // revoked behind the client's back
        advance(3600);
        assertEquals("at-2", client.accessToken());
        assertEquals(List.of("password", "refresh_token", "password"), fake.grants());
        assertEquals("read", fake.tokenRequest(2).get("scope"));
        advance(3600);
        client.accessToken(); // and the new refresh token is used again
        assertEquals(Map.of("grant_type", "refresh_token", "refresh_token", "rt-2",
                "client_id", "default"), fake.tokenRequest(3));
    }

    @Test
    public void otherRefreshErrorsAreThrownNotPaperedOver() throws Exception {
        TesseraClient client = user().build();
        client.accessToken();
        fake.errorStatus = 401;
        fake.errorBody = "{\"error\":\"invalid_client\",\"error_description\":\"gone\"}";
        advance(3600);
        TesseraException e = assertThrows(TesseraException.class, client::accessToken);
        assertEquals("invalid_client", e.error());
        assertEquals(List.of("password", "refresh_token"), fake.grants());
    }

    @Test
    public void aTokenWithoutExpiresInIsKept() throws Exception {
        fake.expiresIn = null;
        TesseraClient client = service().build();
        client.accessToken();
        advance(1_000_000_000L);
        assertEquals("at-1", client.accessToken());
    }

    // --- retry on 401 ----------------------------------------------------------------------

    @Test
    public void one401IsRetriedWithARenewedToken() throws Exception {
        TesseraClient client = user().build();
        fake.resource401s = 1;
        var r = client.get(fake.base + "/resource");
        assertEquals(200, r.statusCode());
        assertEquals("{\"token\":\"at-2\"}", r.body());
        assertEquals(2, fake.resourceHits());
        assertEquals(List.of("password", "refresh_token"), fake.grants());
    }

    @Test
    public void invalidatingAStaleTokenKeepsItsSuccessor() throws Exception {
        TesseraClient client = user().build();
        client.invalidate(client.accessToken());
        assertEquals("at-2", client.accessToken());
        client.invalidate("at-1"); // a late caller that saw at-1 refused
        assertEquals("at-2", client.accessToken());
    }

    @Test
    public void aSecond401IsReturnedNotRetried() throws Exception {
        var r = service().build().get(fake.base + "/always-401");
        assertEquals(401, r.statusCode());
        assertEquals(2, fake.resourceHits());
        assertEquals(2, fake.grants().size());
    }

    // --- errors ----------------------------------------------------------------------------

    @Test
    public void anOAuthErrorCarriesCodeDescriptionAndStatus() {
        fake.errorStatus = 400;
        fake.errorBody =
                "{\"error\":\"invalid_grant\",\"error_description\":\"wrong user or password\"}";
        TesseraException e =
                assertThrows(TesseraException.class, () -> user().build().accessToken());
        assertEquals("invalid_grant", e.error());
        assertEquals("wrong user or password", e.description());
        assertEquals(400, e.status());
        assertEquals("invalid_grant: wrong user or password (HTTP 400)", e.getMessage());
    }

    @Test
    public void aBodyThatIsNotOAuthJsonIsAnInvalidResponse() {
        Object[][] cases = {
            {502, "<html>bad gateway</html>"}, {200, "{\"token\":\"x\"}"},
            {200, "{\"access_token\":\"x\",\"expires_in\":\"soon\"}"},
            {200, "{\"access_token\":\"x\",\"refresh_token\":7}"}, {400, "{\"error\":42}"},
        };
        for (Object[] c : cases) {
            fake.errorStatus = (Integer) c[0];
            fake.errorBody = (String) c[1];
            TesseraException e =
                    assertThrows(TesseraException.class, () -> service().build().accessToken());
            assertEquals(c[1].toString(), "invalid_response", e.error());
            assertEquals(c[1].toString(), (int) (Integer) c[0], e.status());
        }
    }

    // --- DPoP ------------------------------------------------------------------------------

    /** The claims of a proof (its signature is DpopKeyTest's business). */
    private static Map<String, Object> claims(String proof) {
        String payload = proof.split("\\.")[1];
        return FlatJson.parseObject(
                new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
    }

    /** The header of a proof, as JSON text. */
    private static String header(String proof) {
        return new String(Base64.getUrlDecoder().decode(proof.split("\\.")[0]),
                StandardCharsets.UTF_8);
    }

    @Test
    public void dpopTokensAreAskedWithAProofAndSentInTheDpopScheme() throws Exception {
        DpopKey key = DpopKey.generate();
        TesseraClient client = service().dpop(key).build();
        var r = client.get(fake.base + "/resource?page=2");
        assertEquals(r.body(), 200, r.statusCode());
        assertEquals("DPoP", client.tokenType());
        assertTrue(header(fake.tokenProof(0)).contains("\"jwk\":" + key.publicJwk()));
        Map<String, Object> tokenClaims = claims(fake.tokenProof(0));
        assertEquals("POST", tokenClaims.get("htm"));
        assertEquals(fake.base + "/oauth/token", tokenClaims.get("htu"));
        assertFalse(tokenClaims.containsKey("ath"));
        List<String> request = fake.resourceRequests().get(0);
        assertEquals("DPoP at-1", request.get(0));
        Map<String, Object> claims = claims(request.get(1));
        assertEquals("GET", claims.get("htm"));
        assertEquals(fake.base + "/resource", claims.get("htu"));
        assertEquals(DpopKey.accessTokenHash("at-1"), claims.get("ath"));
    }

    @Test
    public void everyDpopRequestHasAFreshProof() throws Exception {
        TesseraClient client = service().dpop().build();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, client.get(fake.base + "/resource").statusCode());
        }
        assertEquals(3, fake.resourceRequests().stream()
                .map(req -> claims(req.get(1)).get("jti")).distinct().count());
    }

    @Test
    public void dpopRefreshesCarryProofsOfTheSameKey() throws Exception {
        DpopKey key = DpopKey.generate(DpopKey.EDDSA);
        TesseraClient client = user().dpop(key).refreshMargin(Duration.ofSeconds(60)).build();
        for (int i = 0; i < 3; i++) {
            client.accessToken();
        }
        assertEquals(List.of("password", "refresh_token", "refresh_token"), fake.grants());
        for (int i = 0; i < 3; i++) {
            assertTrue(header(fake.tokenProof(i)).contains("\"jwk\":" + key.publicJwk()));
        }
    }

    @Test
    public void aDpop401IsRetriedWithANewTokenAndANewProof() throws Exception {
        TesseraClient client = user().dpop().build();
        fake.resource401s = 1;
        HttpRequest request = HttpRequest.newBuilder(URI.create(fake.base + "/resource"))
                .header("DPoP", "stale").header("Authorization", "stale").build();
        var r = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals("{\"token\":\"at-2\"}", r.body());
        List<List<String>> sent = fake.resourceRequests(); // the caller's headers replaced
        assertEquals("DPoP at-1", sent.get(0).get(0));
        assertEquals(DpopKey.accessTokenHash("at-1"), claims(sent.get(0).get(1)).get("ath"));
        assertEquals("DPoP at-2", sent.get(1).get(0));
        assertEquals(DpopKey.accessTokenHash("at-2"), claims(sent.get(1).get(1)).get("ath"));
        assertNotEquals(sent.get(0).get(1), sent.get(1).get(1));
    }

    @Test
    public void aTokenTheServerDidNotBindIsSentAsBearer() throws Exception {
        fake.bindDpop = false;
        TesseraClient client = service().dpop().build();
        assertEquals(200, client.get(fake.base + "/resource").statusCode());
        assertEquals("Bearer", client.tokenType());
        assertEquals(List.of(Arrays.asList("Bearer at-1", null)), fake.resourceRequests());
        assertNotNull(fake.tokenProof(0));
        assertEquals("Bearer at-1", client.authorizationHeader());
    }

    @Test
    public void headersOfADpopTokenComeWithAProofForTheRequest() throws Exception {
        TesseraClient client = service().dpop().build();
        assertThrows(IllegalStateException.class, client::authorizationHeader);
        Map<String, String> headers =
                client.authorizationHeaders("DELETE", URI.create(fake.base + "/things/1"));
        assertEquals("DPoP at-1", headers.get("Authorization"));
        assertEquals("DELETE", claims(headers.get("DPoP")).get("htm"));
    }

    @Test
    public void withoutDpopNothingChanges() throws Exception {
        TesseraClient client = service().build();
        assertNull(client.tokenType());
        assertEquals(Map.of("Authorization", "Bearer at-1"),
                client.authorizationHeaders("GET", URI.create(fake.base + "/resource")));
        assertEquals("Bearer", client.tokenType());
        assertNull(client.dpopKey());
        assertNull(fake.tokenProof(0));
    }

    // --- threads ---------------------------------------------------------------------------

    private static <T> List<T> inParallel(int n, Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures =
                    pool.invokeAll(Collections.nCopies(n, task), 10, TimeUnit.SECONDS);
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void concurrentCallersShareOneTokenRequest() throws Exception {
        TesseraClient client = user().build();
        CountDownLatch gate = new CountDownLatch(1);
        fake.tokenGate = gate;
        new Thread(() -> {
            try {
                Thread.sleep(100); // let the callers pile up behind the first token request
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gate.countDown();
        }).start();
        assertEquals(Collections.nCopies(16, "at-1"), inParallel(16, client::accessToken));
        assertEquals(1, fake.grants().size());
    }

    @Test
    public void concurrent401sRenewTheTokenOnce() throws Exception {
        TesseraClient client = user().build();
        client.accessToken();
        fake.validTokens.clear(); // at-1 is refused from now on
        List<String> bodies = inParallel(16, () -> client.get(fake.base + "/resource").body());
        assertEquals(Collections.nCopies(16, "{\"token\":\"at-2\"}"), bodies);
        assertEquals(List.of("password", "refresh_token"), fake.grants());
    }
}
