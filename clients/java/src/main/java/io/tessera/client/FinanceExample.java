package io.tessera.client;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Calls the finance API with a token from Tessera (the client_credentials grant).
 *
 * <pre>
 * java -cp out/main io.tessera.client.FinanceExample \
 *     ISSUER FINANCE_URL CLIENT_ID [CLIENT_SECRET] BIZNUM
 * </pre>
 *
 * The secret may come from the environment as TESSERA_CLIENT_SECRET instead of the command
 * line, which keeps it out of {@code ps}. Prints the finance API's JSON; exits 0 on success.
 */
public final class FinanceExample {
    private static final String USAGE =
            "usage: FinanceExample ISSUER FINANCE_URL CLIENT_ID [CLIENT_SECRET] BIZNUM";

    public static void main(String[] argv) throws InterruptedException {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        String envSecret = System.getenv("TESSERA_CLIENT_SECRET");
        if (args.size() == 4 && envSecret != null && !envSecret.isEmpty()) {
            args.add(3, envSecret);
        }
        if (args.size() != 5) {
            System.err.println(USAGE);
            System.exit(2);
        }
        String issuer = args.get(0);
        String financeUrl = args.get(1).replaceAll("/+$", "");
        String clientId = args.get(2);
        String clientSecret = args.get(3);
        String bizNum = args.get(4);

        TesseraClient client = TesseraClient.builder(issuer)
                .clientCredentials(clientId, clientSecret)
                .scope("finance:read")
                .build();
        try {
            HttpResponse<String> response =
                    client.get(financeUrl + "/dart/finance/business/" + bizNum);
            if (response.statusCode() != 200) {
                System.err.println(
                        "finance API: HTTP " + response.statusCode() + " " + response.body());
                System.exit(1);
            }
            System.out.println(response.body());
        } catch (TesseraException e) {
            System.err.println("token request failed: " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println("request failed: " + e);
            System.exit(1);
        }
    }
}
