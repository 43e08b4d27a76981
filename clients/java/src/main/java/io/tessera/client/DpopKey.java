package io.tessera.client;

import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A DPoP key pair (RFC 9449) and the proofs that show a request comes from its holder: a
 * P-256 key (alg ES256, the default) or an Ed25519 key (alg EdDSA), with the JDK only.
 *
 * <pre>{@code
 * DpopKey key = DpopKey.generate();              // or DpopKey.generate("EdDSA")
 * key.thumbprint();                              // RFC 7638: the cnf.jkt of bound tokens
 * String proof = key.proof("GET", URI.create("https://api.example.com/things"), accessToken);
 * // headers: Authorization: DPoP <accessToken>, DPoP: <proof>
 * }</pre>
 *
 * <p>A proof is for one request: a random jti, iat now, htm the method, htu the URL without
 * its query and fragment, and ath, the hash of the access token, when there is one. Make a
 * new one for every request; servers refuse a proof seen before. Instances are thread-safe.
 */
public final class DpopKey {
    public static final String ES256 = "ES256";
    public static final String EDDSA = "EdDSA";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    // The DER (X.509 SubjectPublicKeyInfo) prefix of an Ed25519 public key (RFC 8410).
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b,
        0x65, 0x70, 0x03, 0x21, 0x00};

    private final String alg;
    private final PrivateKey privateKey;
    private final String jwk;           // the public JWK, compact JSON
    private final String thumbprint;

    private DpopKey(String alg, PrivateKey privateKey, String jwk, String canonicalJwk) {
        this.alg = alg;
        this.privateKey = privateKey;
        this.jwk = jwk;
        this.thumbprint = B64URL.encodeToString(sha256(canonicalJwk));
    }

    /** A new random P-256 key, for ES256 proofs. */
    public static DpopKey generate() {
        return generate(ES256);
    }

    /** A new random key for {@code alg}: {@link #ES256} or {@link #EDDSA}. */
    public static DpopKey generate(String alg) {
        try {
            KeyPairGenerator generator;
            if (ES256.equals(alg)) {
                generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            } else if (EDDSA.equals(alg)) {
                generator = KeyPairGenerator.getInstance("Ed25519");
            } else {
                throw new IllegalArgumentException("alg must be ES256 or EdDSA, not " + alg);
            }
            return of(generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make " + alg + " keys", e);
        }
    }

    /**
     * The DPoP key for an existing key pair: EC on P-256 (ES256) or Ed25519 (EdDSA), for
     * example one loaded from a key store so that it outlives the process.
     */
    public static DpopKey of(KeyPair pair) {
        PublicKey pub = Objects.requireNonNull(pair.getPublic(), "public key");
        PrivateKey priv = Objects.requireNonNull(pair.getPrivate(), "private key");
        if (pub instanceof ECPublicKey ec) {
            if (!isP256(ec.getParams())) {
                throw new IllegalArgumentException("an EC DPoP key must be on P-256 (ES256)");
            }
            String x = B64URL.encodeToString(unsigned(ec.getW().getAffineX(), 32));
            String y = B64URL.encodeToString(unsigned(ec.getW().getAffineY(), 32));
            return new DpopKey(ES256, priv,
                    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}",
                    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}");
        }
        if (pub instanceof EdECPublicKey ed && ed.getParams().getName()
                .equalsIgnoreCase(NamedParameterSpec.ED25519.getName())) {
            byte[] spki = ed.getEncoded();
            if (spki.length != ED25519_SPKI_PREFIX.length + 32 || !Arrays.equals(
                    ED25519_SPKI_PREFIX, Arrays.copyOf(spki, ED25519_SPKI_PREFIX.length))) {
                throw new IllegalArgumentException("unexpected Ed25519 public key encoding");
            }
            String x = B64URL.encodeToString(
                    Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX.length, spki.length));
            return new DpopKey(EDDSA, priv,
                    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\"}",
                    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}");
        }
        throw new IllegalArgumentException("a DPoP key is an EC P-256 or an Ed25519 key pair");
    }

    /** {@link #ES256} or {@link #EDDSA}. */
    public String alg() {
        return alg;
    }

    /** The public key as a JWK (compact JSON), as the proofs carry it. */
    public String publicJwk() {
        return jwk;
    }

    /** The RFC 7638 SHA-256 thumbprint of the public key: the cnf.jkt of tokens bound to it. */
    public String thumbprint() {
        return thumbprint;
    }

    /** A proof for a request without an access token (a token request). */
    public String proof(String method, URI uri) {
        return proof(method, uri, null, null, Instant.now());
    }

    /** A proof for a request that carries {@code accessToken} (null for none). */
    public String proof(String method, URI uri, String accessToken) {
        return proof(method, uri, accessToken, null, Instant.now());
    }

    /**
     * A proof for one request: {@code method} ("GET", "POST"), the absolute {@code uri} (its
     * query and fragment are left out), the {@code accessToken} it carries or null, a
     * server-provided {@code nonce} or null, and {@code iat}.
     */
    public String proof(String method, URI uri, String accessToken, String nonce, Instant iat) {
        byte[] jti = new byte[24];
        RANDOM.nextBytes(jti);
        StringBuilder claims = new StringBuilder()
                .append("{\"jti\":\"").append(B64URL.encodeToString(jti))
                .append("\",\"htm\":").append(jsonString(method))
                .append(",\"htu\":").append(jsonString(htu(uri)))
                .append(",\"iat\":").append(iat.getEpochSecond());
        if (accessToken != null) {
            claims.append(",\"ath\":\"").append(accessTokenHash(accessToken)).append('"');
        }
        if (nonce != null) {
            claims.append(",\"nonce\":").append(jsonString(nonce));
        }
        claims.append('}');
        String header = "{\"typ\":\"dpop+jwt\",\"alg\":\"" + alg + "\",\"jwk\":" + jwk + "}";
        String signingInput = segment(header) + "." + segment(claims.toString());
        return signingInput + "." + B64URL.encodeToString(sign(signingInput));
    }

    @Override
    public String toString() {
        return "DpopKey(" + alg + ", jkt=" + thumbprint + ")";
    }

    /** A proof's "ath": base64url(SHA-256(the access token)), RFC 9449 section 4.2. */
    static String accessTokenHash(String accessToken) {
        return B64URL.encodeToString(sha256(accessToken));
    }

    /** The "htu" of a request to {@code uri}: scheme, authority and path, no query or fragment. */
    static String htu(URI uri) {
        if (!uri.isAbsolute() || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("a DPoP proof needs an absolute URL: " + uri);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return uri.getScheme() + "://" + uri.getRawAuthority() + path;
    }

    /**
     * RFC 7518 section 3.4: an ES256 signature is R and S, 32 bytes each, big-endian; the JDK's
     * SHA256withECDSA writes the DER SEQUENCE of two INTEGERs instead.
     */
    static byte[] derToJose(byte[] der) {
        int[] pos = {0};
        if (der.length < 8 || der[pos[0]++] != 0x30) {
            throw new IllegalArgumentException("not a DER ECDSA signature");
        }
        int length = derLength(der, pos);
        if (length != der.length - pos[0]) {
            throw new IllegalArgumentException("DER ECDSA signature of the wrong length");
        }
        byte[] out = new byte[64];
        for (int half = 0; half < 2; half++) {
            if (pos[0] >= der.length || der[pos[0]++] != 0x02) {
                throw new IllegalArgumentException("DER ECDSA signature without its INTEGERs");
            }
            int n = derLength(der, pos);
            if (n < 1 || pos[0] + n > der.length) {
                throw new IllegalArgumentException("DER ECDSA INTEGER of the wrong length");
            }
            BigInteger value = new BigInteger(1, Arrays.copyOfRange(der, pos[0], pos[0] + n));
            System.arraycopy(unsigned(value, 32), 0, out, half * 32, 32);
            pos[0] += n;
        }
        if (pos[0] != der.length) {
            throw new IllegalArgumentException("trailing bytes after a DER ECDSA signature");
        }
        return out;
    }

    private static int derLength(byte[] der, int[] pos) {
        if (pos[0] >= der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        int first = der[pos[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        if (first != 0x81 || pos[0] >= der.length) { // nothing in a P-256 signature is longer
            throw new IllegalArgumentException("unexpected DER length");
        }
        return der[pos[0]++] & 0xff;
    }

    private byte[] sign(String signingInput) {
        try {
            Signature signer =
                    Signature.getInstance(alg.equals(ES256) ? "SHA256withECDSA" : "Ed25519");
            signer.initSign(privateKey, RANDOM);
            signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            byte[] signature = signer.sign();
            return alg.equals(ES256) ? derToJose(signature) : signature;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a DPoP proof with " + alg, e);
        }
    }

    private static boolean isP256(ECParameterSpec params) {
        try {
            AlgorithmParameters p256 = AlgorithmParameters.getInstance("EC");
            p256.init(new ECGenParameterSpec("secp256r1"));
            ECParameterSpec spec = p256.getParameterSpec(ECParameterSpec.class);
            return params.getCurve().equals(spec.getCurve())
                    && params.getGenerator().equals(spec.getGenerator())
                    && params.getOrder().equals(spec.getOrder());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no P-256", e);
        }
    }

    /** {@code value} as exactly {@code size} big-endian bytes (it must fit). */
    private static byte[] unsigned(BigInteger value, int size) {
        byte[] bytes = value.toByteArray(); // may have a leading 0 sign byte, or be shorter
        int skip = bytes.length > size ? bytes.length - size : 0;
        for (int i = 0; i < skip; i++) {
            if (bytes[i] != 0) {
                throw new IllegalArgumentException("a number longer than " + size + " bytes");
            }
        }
        byte[] out = new byte[size];
        System.arraycopy(bytes, skip, out, size - (bytes.length - skip), bytes.length - skip);
        return out;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    private static String segment(String json) {
        return B64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code s} as a JSON string literal (RFC 8259 section 7). */
    static String jsonString(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
