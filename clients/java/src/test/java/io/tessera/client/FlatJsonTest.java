package io.tessera.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

public class FlatJsonTest {
    @Test
    public void parsesATokenResponse() {
        Map<String, Object> body = FlatJson.parseObject(
                "{\"access_token\":\"ey.J.w\",\"token_type\":\"bearer\",\"expires_in\":900,"
                        + "\"scope\":\"\",\"refresh_token\":\"abc-_\"}");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("access_token", "ey.J.w");
        expected.put("token_type", "bearer");
        expected.put("expires_in", new BigDecimal(900));
        expected.put("scope", "");
        expected.put("refresh_token", "abc-_");
        assertEquals(expected, body);
    }

    @Test
    public void keepsScalarsOfEveryKind() {
        Map<String, Object> body = FlatJson.parseObject(
                " {\"t\" : true ,\"f\":false,\"n\":null,\"neg\":-0.5e+3,\"big\":1E2} \r\n");
        assertEquals(Boolean.TRUE, body.get("t"));
        assertEquals(Boolean.FALSE, body.get("f"));
        assertTrue(body.containsKey("n"));
        assertEquals(null, body.get("n"));
        assertEquals(0, new BigDecimal("-500").compareTo((BigDecimal) body.get("neg")));
        assertEquals(0, new BigDecimal("100").compareTo((BigDecimal) body.get("big")));
    }

    @Test
    public void decodesEscapes() {
        Map<String, Object> body = FlatJson.parseObject(
                "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}");
        assertEquals("a\"b\\c/d\b\f\n\r\té\uD83D\uDE00", body.get("s"));
    }

    @Test
    public void skipsNestedObjectsAndArrays() {
        Map<String, Object> body = FlatJson.parseObject(
                "{\"a\":[1,\"]\",{\"x\":[[]]},[]],\"o\":{\"k\":{\"}\":null}},\"e\":{},\"z\":1}");
        assertEquals(Map.of("z", BigDecimal.ONE), body);
    }

    @Test
    public void acceptsTheEmptyObject() {
        assertEquals(Map.of(), FlatJson.parseObject("{}"));
    }

    @Test
    public void refusesWhatIsNotExactlyOneValidObject() {
        String[] bad = {
            "", " ", "[]", "\"s\"", "1", "null", "{", "}", "{}{}", "{} x", "{,}", "{\"a\"}",
            "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":01}",
            "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":tru}",
            "{\"a\":True}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"tab\there\"}", "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}",
            "{\"a\":[}", "{\"a\":1,\"a\":2}", "{\"a\":[],\"a\":\"x\"}", "\u00a0{}",
        };
        for (String text : bad) {
            assertThrows(text, IllegalArgumentException.class, () -> FlatJson.parseObject(text));
        }
    }

    @Test
    public void refusesNestingPastItsLimit() {
        String deep = "{\"a\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
        assertThrows(IllegalArgumentException.class, () -> FlatJson.parseObject(deep));
        String fine = "{\"a\":" + "[".repeat(32) + "]".repeat(32) + "}";
        assertEquals(Map.of(), FlatJson.parseObject(fine));
    }
}
