package io.tessera.client;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A strict RFC 8259 parser for one JSON object, keeping only its top-level scalar members:
 * enough for a token response or server metadata, since the JDK has no JSON.
 *
 * <pre>{@code
 * Map<String, Object> body = FlatJson.parseObject("{\"access_token\":\"ey\",\"expires_in\":900}");
 * String token = (String) body.get("access_token");          // String
 * BigDecimal expiresIn = (BigDecimal) body.get("expires_in");  // numbers are BigDecimal
 * }</pre>
 *
 * Values are {@link String}, {@link BigDecimal}, {@link Boolean} or {@code null}; nested
 * objects and arrays are checked and then left out. Anything that is not exactly one valid
 * JSON object, or that repeats a member name, throws {@link IllegalArgumentException}.
 */
final class FlatJson {
    private static final int MAX_DEPTH = 32;

    private final String text;
    private int pos;

    private FlatJson(String text) {
        this.text = text;
    }

    static Map<String, Object> parseObject(String text) {
        FlatJson parser = new FlatJson(text);
        parser.skipWhitespace();
        Map<String, Object> members = parser.object();
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("trailing characters");
        }
        return members;
    }

    private Map<String, Object> object() {
        Map<String, Object> members = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        expect('{');
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return members;
        }
        do {
            skipWhitespace();
            String name = string();
            if (!names.add(name)) {
                throw error("duplicate member \"" + name + "\"");
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            char c = peek();
            if (c == '{' || c == '[') {
                skipNested(1);
            } else {
                members.put(name, scalar());
            }
            skipWhitespace();
        } while (consume(','));
        expect('}');
        return members;
    }

    private void skipNested(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        char open = peek();
        char close = open == '{' ? '}' : ']';
        pos++;
        skipWhitespace();
        if (consume(close)) {
            return;
        }
        do {
            skipWhitespace();
            if (open == '{') {
                string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
            }
            char c = peek();
            if (c == '{' || c == '[') {
                skipNested(depth + 1);
            } else {
                scalar();
            }
            skipWhitespace();
        } while (consume(','));
        expect(close);
    }

    private Object scalar() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        if (text.startsWith("true", pos)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("false", pos)) {
            pos += 5;
            return Boolean.FALSE;
        }
        if (text.startsWith("null", pos)) {
            pos += 4;
            return null;
        }
        throw error("expected a value");
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> out.append(hex4());
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private char hex4() {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(next(), 16);
            if (digit < 0) {
                throw error("bad \\u escape");
            }
            value = value * 16 + digit;
        }
        return (char) value;
    }

    private BigDecimal number() {
        int start = pos;
        consume('-');
        if (!consume('0')) {
            digits();
        }
        if (consume('.')) {
            digits();
        }
        if (consume('e') || consume('E')) {
            if (!consume('+')) {
                consume('-');
            }
            digits();
        }
        return new BigDecimal(text.substring(start, pos));
    }

    private void digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw error("expected a digit");
        }
    }

    private void skipWhitespace() {
        while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private boolean consume(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!consume(c)) {
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + what);
    }
}
