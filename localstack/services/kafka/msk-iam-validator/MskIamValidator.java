/*
 * The offline broker's MSK IAM authentication: the server side of SASL/OAUTHBEARER on the
 * SASL_PLAINTEXT listener. It accepts the token aws-msk-iam-sasl-signer-js produces (the
 * base64url of a SigV4 presigned GET of https://kafka.<region>.amazonaws.com/?Action=
 * kafka-cluster:Connect), verifies it as MSK does — the access key id must be one the local
 * runtime issued (a file per key in the credentials directory, written by
 * localstack/runtime/iam/credentials.ts: secret, session token, expiry, role), the token's
 * X-Amz-Security-Token must be the key's, the credentials unexpired, and the SigV4 signature
 * must be the one the key's secret gives (recomputed here) — names the principal after the
 * key's role (`User:<role name>`) and enforces kafka-cluster:Connect through
 * an allow-list file of role names the local runtime writes (one per line, `#` comments, and
 * `cluster=<arn>` naming the cluster in refusals; re-read when it changes). What a principal may do once connected is the broker's ACLs
 * (localstack/runtime/iam/kafka-acls.ts). Compiled by kafka.ts at `services up`.
 */
package pipeline.kafka;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;

public class MskIamValidator implements AuthenticateCallbackHandler {
  private static final String CONNECT = "kafka-cluster:Connect";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  /** MSK's signer signs for at most 15 minutes. */
  private static final long MAX_EXPIRES_SECONDS = 900;
  /** A token dated further ahead than this is refused (clock skew allowance, as SigV4's). */
  private static final long MAX_FUTURE_SKEW_MS = 5 * 60_000;

  private static final Pattern ACCESS_KEY_ID = Pattern.compile("[A-Z0-9]{16,128}");
  private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private Path allowListFile;
  private Path credentialsDir;
  private String clusterArn = "the cluster";
  private static final String CLUSTER_LINE = "cluster=";
  private FileTime allowListReadAt;
  private Set<String> allowed = Set.of();

  @Override
  public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaasEntries) {
    Map<String, ?> options = jaasEntries.get(0).getOptions();
    Object file = options.get("allowListFile");
    if (file == null) throw new IllegalArgumentException("MskIamValidator needs the JAAS option allowListFile");
    allowListFile = Path.of(file.toString());
    Object dir = options.get("credentialsDir");
    credentialsDir =
        dir != null ? Path.of(dir.toString()) : allowListFile.resolveSibling("msk-iam-credentials");
  }

  @Override
  public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
    for (Callback callback : callbacks) {
      if (callback instanceof OAuthBearerValidatorCallback validator) {
        validator.token(validate(validator.tokenValue()));
      } else if (callback instanceof OAuthBearerExtensionsValidatorCallback extensions) {
        // MSK's signer sends no SASL extensions; accept whatever a client adds.
        extensions.inputExtensions().map().keySet().forEach(extensions::valid);
      } else {
        throw new UnsupportedCallbackException(callback);
      }
    }
  }

  @Override
  public void close() {}

  /** The token's principal, or a SaslAuthenticationException whose message the client sees. */
  OAuthBearerToken validate(String tokenValue) throws IOException {
    Map<String, String> query = presignedQuery(tokenValue);
    String action = query.get("Action");
    if (!CONNECT.equals(action)) {
      throw refused("the token signs Action=" + action + ", not " + CONNECT);
    }
    String[] credential = query.getOrDefault("X-Amz-Credential", "").split("/");
    if (credential.length != 5 || credential[0].isEmpty() || !"kafka-cluster".equals(credential[3])) {
      throw refused("malformed X-Amz-Credential (want <key>/<date>/<region>/kafka-cluster/aws4_request)");
    }
    if (query.get("X-Amz-Signature") == null) throw refused("the token is not signed (no X-Amz-Signature)");
    long signedAt;
    long expiresSeconds;
    try {
      signedAt = LocalDateTime.parse(query.get("X-Amz-Date"), AMZ_DATE).toInstant(ZoneOffset.UTC).toEpochMilli();
      expiresSeconds = Long.parseLong(query.get("X-Amz-Expires"));
    } catch (RuntimeException e) {
      throw refused("malformed X-Amz-Date or X-Amz-Expires");
    }
    if (expiresSeconds <= 0 || expiresSeconds > MAX_EXPIRES_SECONDS) {
      throw refused("X-Amz-Expires must be 1-" + MAX_EXPIRES_SECONDS + " seconds, got " + expiresSeconds);
    }
    long now = System.currentTimeMillis();
    long expiresAt = signedAt + expiresSeconds * 1000;
    if (expiresAt <= now) throw refused("the token expired at " + java.time.Instant.ofEpochMilli(expiresAt));
    if (signedAt > now + MAX_FUTURE_SKEW_MS) throw refused("the token is dated in the future");
    String principal = verifiedRole(query, credential, now);
    if (!allowedToConnect(principal)) {
      throw new SaslAuthenticationException(
          "Access denied: " + principal + " is not authorized to perform " + CONNECT + " on " + clusterArn);
    }
    return new Token(tokenValue, principal, signedAt, expiresAt);
  }

  private static Map<String, String> presignedQuery(String tokenValue) {
    URI url;
    try {
      url = URI.create(new String(Base64.getUrlDecoder().decode(tokenValue), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw refused("the token is not a base64url-encoded URL");
    }
    String host = url.getHost();
    if (!"https".equals(url.getScheme()) || host == null || !host.startsWith("kafka.") || url.getRawQuery() == null) {
      throw refused("the token is not a presigned https://kafka.<region>.amazonaws.com/ URL");
    }
    Map<String, String> query = new HashMap<>();
    query.put(HOST, host + (url.getPort() > 0 ? ":" + url.getPort() : ""));
    for (String pair : url.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) continue;
      query.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
    }
    return query;
  }

  /** The pseudo-parameter presignedQuery keeps the URL's host under (not a query name). */
  private static final String HOST = "\u0000host";

  /**
   * The role whose session signed the token: the key must be one the runtime issued, with
   * its session token, unexpired, and the signature the one its secret gives.
   */
  private String verifiedRole(Map<String, String> query, String[] credential, long now) throws IOException {
    String accessKeyId = credential[0];
    Path file = credentialsDir.resolve(accessKeyId);
    if (!ACCESS_KEY_ID.matcher(accessKeyId).matches() || !Files.isRegularFile(file)) {
      throw refused("the access key id " + accessKeyId + " was not issued (InvalidClientTokenId)");
    }
    Map<String, String> issued = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0) issued.put(line.substring(0, eq), line.substring(eq + 1));
    }
    String token = query.get("X-Amz-Security-Token");
    if (token == null || !MessageDigest.isEqual(bytes(token), bytes(issued.getOrDefault("sessionToken", "")))) {
      throw refused("the session token is missing or not the key's (InvalidClientTokenId)");
    }
    if (Long.parseLong(issued.getOrDefault("expiration", "0")) <= now) {
      throw refused("the security token included in the request is expired (ExpiredToken)");
    }
    String expected;
    try {
      expected = signature(query, credential, issued.getOrDefault("secretAccessKey", ""));
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
    if (!MessageDigest.isEqual(bytes(expected), bytes(query.get("X-Amz-Signature")))) {
      throw refused("the signature does not match (SignatureDoesNotMatch)");
    }
    return issued.getOrDefault("roleName", accessKeyId);
  }

  /** SigV4 of the presigned GET https://<host>/?<query>, signed headers `host`, empty payload. */
  private static String signature(Map<String, String> query, String[] credential, String secret)
      throws GeneralSecurityException {
    if (!"host".equals(query.get("X-Amz-SignedHeaders"))) {
      throw refused("X-Amz-SignedHeaders must be host, got " + query.get("X-Amz-SignedHeaders"));
    }
    TreeMap<String, String> canonical = new TreeMap<>();
    for (Map.Entry<String, String> e : query.entrySet()) {
      String name = e.getKey();
      // The signer adds User-Agent after signing; the host is not a query parameter.
      if (name.equals(HOST) || name.equals("X-Amz-Signature") || name.equals("User-Agent")) continue;
      canonical.put(escape(name), escape(e.getValue()));
    }
    StringBuilder canonicalQuery = new StringBuilder();
    for (Map.Entry<String, String> e : canonical.entrySet()) {
      if (canonicalQuery.length() > 0) canonicalQuery.append('&');
      canonicalQuery.append(e.getKey()).append('=').append(e.getValue());
    }
    String canonicalRequest =
        "GET\n/\n" + canonicalQuery + "\nhost:" + query.get(HOST) + "\n\nhost\n" + EMPTY_SHA256;
    String scope = credential[1] + "/" + credential[2] + "/" + credential[3] + "/" + credential[4];
    String stringToSign = "AWS4-HMAC-SHA256\n" + query.get("X-Amz-Date") + "\n" + scope + "\n"
        + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(canonicalRequest)));
    byte[] key = bytes("AWS4" + secret);
    for (String part : new String[] {credential[1], credential[2], credential[3], credential[4]}) {
      key = hmac(key, part);
    }
    return HexFormat.of().formatHex(hmac(key, stringToSign));
  }

  private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(bytes(data));
  }

  private static byte[] bytes(String text) {
    return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
  }

  /** RFC 3986 percent-encoding, as SigV4 canonicalizes query names and values. */
  private static String escape(String value) {
    return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8)
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~");
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  private static SaslAuthenticationException refused(String why) {
    return new SaslAuthenticationException("Invalid MSK IAM token: " + why);
  }

  /** Whether the allow-list names the principal; the file is re-read whenever it changes. */
  private synchronized boolean allowedToConnect(String principal) throws IOException {
    if (!Files.exists(allowListFile)) return false;
    FileTime modified = Files.getLastModifiedTime(allowListFile);
    if (!modified.equals(allowListReadAt)) {
      Set<String> names = new HashSet<>();
      for (String line : Files.readAllLines(allowListFile, StandardCharsets.UTF_8)) {
        String name = line.trim();
        if (name.startsWith(CLUSTER_LINE)) clusterArn = name.substring(CLUSTER_LINE.length());
        else if (!name.isEmpty() && !name.startsWith("#")) names.add(name);
      }
      allowed = names;
      allowListReadAt = modified;
    }
    return allowed.contains(principal);
  }

  private record Token(String value, String principalName, Long startTimeMs, long lifetimeMs)
      implements OAuthBearerToken {
    @Override
    public Set<String> scope() {
      return Set.of();
    }
  }
}
