package io.tessera.client;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/**
 * DpopKey against the RFC vectors (thumbprints, ath) and its proofs checked with the JDK's
 * own verifiers: ES256 through SHA256withECDSAinP1363Format (the R || S form, so not through
 * the DER conversion the signer uses) with the key rebuilt from the proof's jwk.
 */
public class DpopKeyTest {
    // RFC 8037 appendices A.1-A.3: an Ed25519 key and the thumbprint of its public half.
    private static final String RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    private static final String RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    private static final String RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    // RFC 7515 appendix A.3: a P-256 key.
    private static final String RFC7515_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    private static final String RFC7515_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    private static final String RFC7515_D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    // RFC 9449 section 7.1: an access token and the ath of a proof that goes with it.
    private static final String RFC9449_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    private static final String RFC9449_ATH = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";

    private static byte[] unb64(String s) {
        return Base64.getUrlDecoder().decode(s);
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static ECParameterSpec p256() throws Exception {
        AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
        params.init(new ECGenParameterSpec("secp256r1"));
        return params.getParameterSpec(ECParameterSpec.class);
    }

    /** A proof taken apart: its header JSON text, claims, signing input and signature. */
    private record Proof(String header, Map<String, Object> claims, String signingInput,
                         byte[] signature) {
        static Proof of(String jws) {
            String[] parts = jws.split("\\.", -1);
            assertEquals(3, parts.length);
            return new Proof(new String(unb64(parts[0]), StandardCharsets.UTF_8),
                    FlatJson.parseObject(new String(unb64(parts[1]), StandardCharsets.UTF_8)),
                    parts[0] + "." + parts[1], unb64(parts[2]));
        }
    }

    /** Checks the proof's signature with the key its jwk names; returns the proof. */
    private static Proof verified(DpopKey key, String jws) throws Exception {
        Proof proof = Proof.of(jws);
        assertEquals("{\"typ\":\"dpop+jwt\",\"alg\":\"" + key.alg() + "\",\"jwk\":"
                + key.publicJwk() + "}", proof.header());
        Map<String, Object> jwk = FlatJson.parseObject(key.publicJwk());
        PublicKey pub;
        Signature verifier;
        if (key.alg().equals(DpopKey.ES256)) {
            ECPoint w = new ECPoint(new BigInteger(1, unb64((String) jwk.get("x"))),
                    new BigInteger(1, unb64((String) jwk.get("y"))));
            pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, p256()));
            verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
            assertEquals(64, proof.signature().length);
        } else {
            byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100");
            byte[] x = unb64((String) jwk.get("x"));
            byte[] encoded = new byte[spki.length + x.length];
            System.arraycopy(spki, 0, encoded, 0, spki.length);
            System.arraycopy(x, 0, encoded, spki.length, x.length);
            pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
            verifier = Signature.getInstance("Ed25519");
        }
        verifier.initVerify(pub);
        verifier.update(proof.signingInput().getBytes(StandardCharsets.US_ASCII));
        assertTrue("the signature verifies", verifier.verify(proof.signature()));
        return proof;
    }

    // --- vectors ---------------------------------------------------------------------------

    @Test
    public void rfc8037Ed25519KeyAndThumbprint() throws Exception {
        KeyFactory factory = KeyFactory.getInstance("Ed25519");
        byte[] pkcs8 = HexFormat.of().parseHex("302e020100300506032b657004220420");
        byte[] d = unb64(RFC8037_D);
        byte[] encodedPrivate = new byte[pkcs8.length + d.length];
        System.arraycopy(pkcs8, 0, encodedPrivate, 0, pkcs8.length);
        System.arraycopy(d, 0, encodedPrivate, pkcs8.length, d.length);
        byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100");
        byte[] x = unb64(RFC8037_X);
        byte[] encodedPublic = new byte[spki.length + x.length];
        System.arraycopy(spki, 0, encodedPublic, 0, spki.length);
        System.arraycopy(x, 0, encodedPublic, spki.length, x.length);
        DpopKey key = DpopKey.of(new KeyPair(
                factory.generatePublic(new X509EncodedKeySpec(encodedPublic)),
                factory.generatePrivate(new PKCS8EncodedKeySpec(encodedPrivate))));
        assertEquals("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + RFC8037_X + "\"}",
                key.publicJwk());
        assertEquals(RFC8037_THUMBPRINT, key.thumbprint());
        verified(key, key.proof("POST", URI.create("https://as.example/token")));
    }

    @Test
    public void rfc7515P256KeyAndItsThumbprint() throws Exception {
        KeyFactory factory = KeyFactory.getInstance("EC");
        ECPoint w = new ECPoint(new BigInteger(1, unb64(RFC7515_X)),
                new BigInteger(1, unb64(RFC7515_Y)));
        DpopKey key = DpopKey.of(new KeyPair(
                factory.generatePublic(new ECPublicKeySpec(w, p256())),
                factory.generatePrivate(new ECPrivateKeySpec(
                        new BigInteger(1, unb64(RFC7515_D)), p256()))));
        assertEquals("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + RFC7515_X + "\",\"y\":\""
                + RFC7515_Y + "\"}", key.publicJwk());
        String canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + RFC7515_X
                + "\",\"y\":\"" + RFC7515_Y + "\"}";
        assertEquals(b64(MessageDigest.getInstance("SHA-256")
                .digest(canonical.getBytes(StandardCharsets.UTF_8))), key.thumbprint());
        verified(key, key.proof("POST", URI.create("https://as.example/token")));
    }

    @Test
    public void rfc9449Ath() {
        assertEquals(RFC9449_ATH, DpopKey.accessTokenHash(RFC9449_TOKEN));
    }

    // --- proofs ----------------------------------------------------------------------------

    @Test
    public void proofsOfBothAlgorithmsCarryTheRequest() throws Exception {
        for (String alg : new String[] {DpopKey.ES256, DpopKey.EDDSA}) {
            DpopKey key = DpopKey.generate(alg);
            long before = Instant.now().getEpochSecond();
            Map<String, Object> claims = verified(key,
                    key.proof("GET", URI.create("https://rs.example/a/b?c=d#e"), "tok")).claims();
            assertEquals(Set.of("jti", "htm", "htu", "iat", "ath"), claims.keySet());
            assertEquals("GET", claims.get("htm"));
            assertEquals("https://rs.example/a/b", claims.get("htu"));
            assertEquals(DpopKey.accessTokenHash("tok"), claims.get("ath"));
            long iat = ((BigDecimal) claims.get("iat")).longValueExact();
            assertTrue(iat >= before && iat <= Instant.now().getEpochSecond());
        }
    }

    @Test
    public void aTokenRequestProofHasNoAthAndANonceIsEscaped() throws Exception {
        DpopKey key = DpopKey.generate();
        Map<String, Object> claims = verified(key, key.proof("POST",
                URI.create("http://127.0.0.1:8080/token"), null, "a\"b\\c\n",
                Instant.ofEpochSecond(1000))).claims();
        assertEquals(Set.of("jti", "htm", "htu", "iat", "nonce"), claims.keySet());
        assertEquals("http://127.0.0.1:8080/token", claims.get("htu"));
        assertEquals("a\"b\\c\n", claims.get("nonce"));
        assertEquals(new BigDecimal(1000), claims.get("iat"));
        assertFalse(key.publicJwk().contains("\"d\""));
    }

    @Test
    public void everyProofHasItsOwnJti() {
        DpopKey key = DpopKey.generate();
        Set<Object> jtis = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            jtis.add(Proof.of(key.proof("GET", URI.create("http://x/"))).claims().get("jti"));
        }
        assertEquals(50, jtis.size());
    }

    @Test
    public void otherKeysAndRelativeUrlsAreRefused() throws Exception {
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        assertThrows(IllegalArgumentException.class, () -> DpopKey.of(p384.generateKeyPair()));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024); // refused for its type, not its size
        assertThrows(IllegalArgumentException.class, () -> DpopKey.of(rsa.generateKeyPair()));
        assertThrows(IllegalArgumentException.class, () -> DpopKey.generate("RS256"));
        assertThrows(IllegalArgumentException.class,
                () -> DpopKey.generate().proof("GET", URI.create("/relative")));
    }

    // --- DER to R || S ---------------------------------------------------------------------

    @Test
    public void derSignaturesBecomeThirtyTwoByteHalves() {
        byte[] r = new byte[32];
        r[0] = (byte) 0x80; // high bit set: DER adds a 0 byte in front
        r[31] = 7;
        byte[] der = new byte[2 + 2 + 33 + 2 + 1];
        der[0] = 0x30;
        der[1] = (byte) (der.length - 2);
        der[2] = 0x02;
        der[3] = 33;
        System.arraycopy(r, 0, der, 5, 32);
        der[37] = 0x02;
        der[38] = 1;
        der[39] = 5; // a short S
        byte[] expected = new byte[64];
        System.arraycopy(r, 0, expected, 0, 32);
        expected[63] = 5;
        assertArrayEquals(expected, DpopKey.derToJose(der));
    }

    @Test
    public void malformedDerIsRefused() {
        String[] cases = {"3006020101020101ff", "3106020101020101", "3006020101030101",
            "3006020101020201", "30060201010201", "3081"};
        for (String hex : cases) {
            assertThrows(hex, IllegalArgumentException.class,
                    () -> DpopKey.derToJose(HexFormat.of().parseHex(hex)));
        }
    }
}
