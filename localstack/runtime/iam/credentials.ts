/**
 * Offline STS: the temporary credentials the runtime hands to whatever acts as a role — a
 * function's sandbox, the dbt container's task role, the runtime's own calls on a role's
 * behalf — as Lambda and ECS get them from STS AssumeRole: an access key id `ASIA…`, a
 * secret access key, a session token and an expiry, mapped to the assumed-role session
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). The IAM gateway (gateway.ts)
 * looks the key up here and verifies the request's SigV4 signature with the secret; the
 * broker's MSK IAM validator reads the same credentials from `mirrorDir` (one file per key,
 * 0600, removed when they expire or the store closes). The secrets never reach a log.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";

/** STS's default AssumeRole duration (and ECS's task role credentials are renewed within it). */
export const DEFAULT_SESSION_SECONDS = 3600;

/**
 * Credentials are replaced this long before they expire (a sandbox is recycled, a provider
 * issues new ones): the MSK IAM signer signs for min(15 minutes, what the credentials have
 * left), and the SDK refreshes 5 minutes ahead — with more than 15 minutes left, neither
 * ever signs with credentials about to expire.
 */
export const RENEW_BEFORE_EXPIRY_MS = 16 * 60_000;

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Who a key is: a role's session, or the operator (the developer's own admin key). */
export type Identity =
  | {
      readonly kind: "role";
      readonly roleArn: string;
      readonly roleName: string;
      readonly sessionName: string;
      /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
      readonly assumedRoleArn: string;
      readonly credentials: TemporaryCredentials;
    }
  | {
      readonly kind: "operator";
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    };

export interface IssueOptions {
  /** The role session name (Lambda: the function's name; ECS: the task id). */
  readonly sessionName: string;
  /** @default DEFAULT_SESSION_SECONDS */
  readonly durationSeconds?: number;
}

export interface CredentialStoreOptions {
  /**
   * The developer's own key (not a role): its requests are verified like any other and then
   * pass unevaluated, as the account's administrator. Offline this is the emulator's
   * `test`/`test` (core/config: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
   */
  readonly operator?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Where the broker's MSK IAM validator reads the credentials (one `<key id>` file each). */
  readonly mirrorDir?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** `ASIA` and 16 base32 characters, as STS writes temporary key ids. */
function accessKeyId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  return `ASIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join("")}`;
}

export class CredentialStore {
  private readonly byKey = new Map<string, Identity>();
  private readonly options: CredentialStoreOptions;
  readonly now: () => number;

  constructor(options: CredentialStoreOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
    if (options.operator) {
      if (options.operator.accessKeyId.startsWith("ASIA"))
        throw new Error("the operator's key must be a long-term key, not an ASIA… session key");
      this.byKey.set(options.operator.accessKeyId, { kind: "operator", credentials: options.operator });
    }
    if (options.mirrorDir) mkdirSync(options.mirrorDir, { recursive: true, mode: 0o700 });
  }

  /** New credentials for a session of the role (what sts:AssumeRole answers). */
  issue(roleArn: string, options: IssueOptions): TemporaryCredentials {
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
    const sessionName = options.sessionName.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
    const credentials: TemporaryCredentials = {
      accessKeyId: accessKeyId(),
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(96).toString("base64"),
      expiration: new Date(this.now() + (options.durationSeconds ?? DEFAULT_SESSION_SECONDS) * 1000),
    };
    const identity: Identity = {
      kind: "role",
      roleArn,
      roleName,
      sessionName,
      assumedRoleArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${sessionName}`,
      credentials,
    };
    this.forgetExpired();
    this.byKey.set(credentials.accessKeyId, identity);
    this.mirror(identity);
    return credentials;
  }

  /** The identity of an access key id, expired or not (the gateway tells them apart). */
  lookup(accessKeyId: string): Identity | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Drops every issued credential (and its mirror file). */
  close(): void {
    for (const [key, identity] of this.byKey) if (identity.kind === "role") this.forget(key);
  }

  /**
   * Keys expired for over a day are forgotten: until then a request signed with one is
   * refused as expired (ExpiredToken), as AWS does, rather than as unknown.
   */
  private forgetExpired(): void {
    const horizon = this.now() - 86_400_000;
    for (const [key, identity] of this.byKey) {
      if (identity.kind === "role" && identity.credentials.expiration.getTime() < horizon) this.forget(key);
    }
    // Files another (ended) runtime left behind.
    const dir = this.options.mirrorDir;
    if (!dir) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      try {
        if (statSync(path).mtimeMs < horizon - DEFAULT_SESSION_SECONDS * 1000) rmSync(path, { force: true });
      } catch {
        // removed meanwhile
      }
    }
  }

  private forget(key: string): void {
    this.byKey.delete(key);
    if (this.options.mirrorDir) rmSync(join(this.options.mirrorDir, key), { force: true });
  }

  /** `key=value` lines the broker's validator reads (MskIamValidator.java). */
  private mirror(identity: Identity & { kind: "role" }): void {
    const dir = this.options.mirrorDir;
    if (!dir) return;
    const { credentials } = identity;
    const lines = [
      `secretAccessKey=${credentials.secretAccessKey}`,
      `sessionToken=${credentials.sessionToken}`,
      `expiration=${credentials.expiration.getTime()}`,
      `roleName=${identity.roleName}`,
      `assumedRoleArn=${identity.assumedRoleArn}`,
    ];
    const path = join(dir, credentials.accessKeyId);
    const partial = `${path}.partial`;
    writeFileSync(partial, `${lines.join("\n")}\n`, { mode: 0o600 });
    chmodSync(partial, 0o600);
    renameSync(partial, path);
  }
}
