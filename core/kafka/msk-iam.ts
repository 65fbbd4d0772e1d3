/**
 * MSK IAM authentication for kafkajs: an OAUTHBEARER token provider backed by
 * `aws-msk-iam-sasl-signer-js`. Tokens are short-lived (15 minutes) and kafkajs asks for one
 * on every (re)authentication, so the provider keeps the current token and signs a new one
 * shortly before it expires — a stale token is what breaks long-running clients after a day.
 */
import { generateAuthToken, generateAuthTokenFromCredentialsProvider } from "aws-msk-iam-sasl-signer-js";

/** AWS credentials (the SDK's `AwsCredentialIdentity` shape). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Credentials, or a provider of them (temporary credentials are renewed before they expire). */
export type AwsCredentialsSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** The credentials a source gives now. */
export async function resolveCredentials(source: AwsCredentialsSource): Promise<AwsCredentials> {
  return typeof source === "function" ? source() : source;
}

export interface MskToken {
  readonly token: string;
  /** Expiry, milliseconds since the epoch. */
  readonly expiryTime: number;
}

export type TokenSigner = (region: string) => Promise<MskToken>;

/** Refresh this long before expiry so a connection never presents an expired token. */
export const REFRESH_MARGIN_MS = 60_000;

const signWithDefaultCredentials: TokenSigner = (region) => generateAuthToken({ region });

/** A signer with these credentials (asked anew for every token) rather than the default chain's. */
export function signWith(credentials: AwsCredentialsSource): TokenSigner {
  return (region) =>
    generateAuthTokenFromCredentialsProvider({
      region,
      awsCredentialsProvider: () => resolveCredentials(credentials),
    });
}

/**
 * A kafkajs `oauthBearerProvider`: returns the cached token while it is fresh, signs a new
 * one otherwise. Concurrent callers share one signing request.
 */
export function mskOauthBearerProvider(
  region: string,
  sign: TokenSigner = signWithDefaultCredentials,
  now: () => number = Date.now,
): () => Promise<{ value: string }> {
  let current: MskToken | undefined;
  let signing: Promise<MskToken> | undefined;
  return async () => {
    if (current && current.expiryTime - REFRESH_MARGIN_MS > now()) return { value: current.token };
    signing ??= sign(region).finally(() => {
      signing = undefined;
    });
    current = await signing;
    return { value: current.token };
  };
}
