// The platform document's Java jwt_simple demo, with the JDK's HTTP client and a hand-built
// JSON object in place of Apache HttpClient and fastjson (the test machines have no Maven
// repository). The protocol logic is unchanged: every claim a string, standard padded Base64
// put into the URL unencoded, a Basic header, POST without a body. Settings come from the
// environment so the test suite can point it at a running openpan.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.*;

public class DemoSimple {
    static String clientId = System.getenv("OPENPAN_CLIENT_ID");
    static String clientSecret = System.getenv("OPENPAN_CLIENT_SECRET");
    static long enterpriseId = Long.parseLong(System.getenv("OPENPAN_ENTERPRISE_ID"));
    static long userId = Long.parseLong(System.getenv("OPENPAN_USER_ID"));
    static String oauthHost = System.getenv("OPENPAN_OAUTH_URL");

    public static void main(String[] args) throws Exception {
        String accessTokenAdmin = getAccessToken(oauthHost, clientId, clientSecret, enterpriseId, false);
        System.out.println("accessTokenAdmin" + accessTokenAdmin);
        String accessTokenUser = getAccessToken(oauthHost, clientId, clientSecret, userId, true);
        System.out.println("accessTokenUser" + accessTokenUser);
    }

    public static String getAccessToken(String oauthUrl, String appKey, String appSecret, Long id, Boolean isUser) throws Exception {
        Map<String, String> dataMap = new LinkedHashMap<>();
        dataMap.put("yifangyun_sub_type", isUser ? "user" : "enterprise");
        dataMap.put("sub", String.valueOf(id));
        dataMap.put("exp", String.valueOf(getExpirationTimeSecondsInTheFuture(60).getTime() / 1000));
        dataMap.put("iat", String.valueOf(new Date().getTime() / 1000));
        dataMap.put("jti", System.currentTimeMillis() + UUID.randomUUID().toString());
        StringBuilder dataJson = new StringBuilder("{");
        for (Map.Entry<String, String> entry : dataMap.entrySet()) {
            if (dataJson.length() > 1) dataJson.append(',');
            dataJson.append('"').append(entry.getKey()).append("\":\"").append(entry.getValue()).append('"');
        }
        dataJson.append('}');
        String encodeJson = Base64.getEncoder().encodeToString(dataJson.toString().getBytes());
        return getToken(encodeJson, oauthUrl, appKey, appSecret);
    }

    private static String getToken(String compactJwt, String oauthUrl, String appKey, String appSecret) throws Exception {
        String url = oauthUrl + "/oauth/token?grant_type=jwt_simple&assertion=" + compactJwt;
        String base64Client = Base64.getEncoder().encodeToString((appKey + ":" + appSecret).getBytes());
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Basic " + base64Client)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    private static Date getExpirationTimeSecondsInTheFuture(int seconds) {
        Calendar calendar = Calendar.getInstance();
        calendar.setTime(new Date());
        calendar.add(Calendar.SECOND, seconds);
        return calendar.getTime();
    }
}
