/*
 * The offline broker's MSK IAM authentication: the server side of SASL/OAUTHBEARER on the
 * SASL_PLAINTEXT listener. It accepts the token aws-msk-iam-sasl-signer-js produces (the
 * base64url of a SigV4 presigned GET of https://kafka.<region>.amazonaws.com/?Action=
 * kafka-cluster:Connect), names the principal after the access key id (offline the key IS
 * the role name: localstack/runtime/iam/types.ts) and enforces kafka-cluster:Connect through
 * an allow-list file of role names the local runtime writes (one per line, `#` comments, and
 * `cluster=<arn>` naming the cluster in refusals; re-read when it changes). What a principal may do once connected is the broker's ACLs
 * (localstack/runtime/iam/kafka-acls.ts). Compiled by kafka.ts at `services up`.
 *
 * Not checked offline: the SigV4 signature itself (every sandbox signs with the same local
 * secret, so it would prove nothing the access key id does not already say).
 */
package pipeline.kafka;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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

  private Path allowListFile;
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
    String principal = credential[0];
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
    for (String pair : url.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) continue;
      query.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
    }
    return query;
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
