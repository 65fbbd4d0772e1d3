/**
 * AWS Signature Version 4, verified as AWS's front door verifies it: the request's access
 * key id is looked up among the credentials the runtime issued (credentials.ts), its session
 * token and expiry are checked, and the signature is recomputed with `@smithy/signature-v4`
 * (the AWS SDK's own signer) from the request as it arrived — the Authorization header or a
 * presigned URL's X-Amz-* query. S3's payload modes are told apart by
 * x-amz-content-sha256: a hex digest (checked against the body as it streams, by
 * {@link PayloadHashCheck}), UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER (the SDK v3's
 * aws-chunked uploads with a trailing checksum; the seed signature is verified), and
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] (every chunk's signature verified in turn by
 * {@link ChunkSignatureCheck}). SigV2 is refused, as S3 refuses it for buckets created since
 * June 2020; SigV4a is refused as unsupported (no client of ours signs with it: {@link SIGV4A}).
 */
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Identity } from "./credentials.ts";

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SigV4's hash (an HMAC when keyed), from node:crypto, in the shape the signer takes. */
export class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** AWS accepts a request dated up to 15 minutes from its clock. */
export const MAX_SKEW_MS = 15 * 60_000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/** Why a request is refused; the gateway words each as the service does. */
export type SignatureFailureKind =
  /** No Authorization, no presigned query: an anonymous request. */
  | "missing"
  /** The Authorization header or the X-Amz-* query cannot be read. */
  | "malformed"
  /** SigV2, or an algorithm other than AWS4-HMAC-SHA256. */
  | "unsupported"
  /** A key the runtime never issued, or a session key without its session token. */
  | "unknown-key"
  /** A session token other than the key's. */
  | "bad-token"
  /** Temporary credentials past their expiry. */
  | "expired"
  /** A presigned URL past X-Amz-Expires. */
  | "presign-expired"
  /** The request's date is more than 15 minutes off. */
  | "skew"
  | "signature"
  /** S3: x-amz-content-sha256 missing, or not what the body hashes to. */
  | "payload-hash-missing"
  | "payload-hash";

export class SignatureFailure extends Error {
  readonly kind: SignatureFailureKind;
  constructor(kind: SignatureFailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** How an S3 body is bound to the signature (x-amz-content-sha256). */
export type PayloadMode =
  | { readonly kind: "signed-hash"; readonly sha256: string }
  | { readonly kind: "unsigned" }
  | { readonly kind: "streaming-unsigned-trailer" }
  | { readonly kind: "streaming-signed"; readonly trailer: boolean; readonly check: ChunkSigner };

export interface VerifiedRequest {
  readonly accessKeyId: string;
  readonly identity: Identity;
  readonly region: string;
  readonly service: string;
  /** What the body still has to prove while it streams (S3 only); undefined when the body was signed whole. */
  readonly payload?: PayloadMode;
}

export interface SignedRequest {
  readonly method: string;
  /** The request target as it arrived: path and query, still percent-encoded. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The whole body, for services that sign it (every one but S3); S3's streams. */
  readonly body?: Buffer;
}

interface Scope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/** The caller's scope from the Authorization header or a presigned query, unverified. */
export function credentialScope(req: Pick<SignedRequest, "url" | "headers">): Scope | undefined {
  const header = req.headers.authorization ?? "";
  const credential =
    /Credential=([^,\s]+)/.exec(header)?.[1] ?? parseQuery(req.url).get("X-Amz-Credential")?.[0];
  return credential ? parseScope(credential) : undefined;
}

function parseScope(credential: string): Scope | undefined {
  const parts = credential.split("/");
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !region || !service || terminator !== "aws4_request")
    return undefined;
  return { accessKeyId, date, region, service };
}

/** The query as SigV4 sees it: every name with its values, decoded (`+` is not a space). */
function parseQuery(url: string): Map<string, string[]> {
  const query = new Map<string, string[]>();
  const at = url.indexOf("?");
  if (at < 0) return query;
  for (const pair of url.slice(at + 1).split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : safeDecode(pair.slice(eq + 1));
    query.set(name, [...(query.get(name) ?? []), value]);
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** `20150830T123600Z` → ms since the epoch. */
function parseAmzDate(value: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? "");
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * SigV4a (ECDSA P-256, signed for a region set): AWS accepts it, the gateway refuses it as a
 * mechanism it does not support. None of our clients can send it — the SDK v3 signs SigV4a only
 * with @aws-sdk/signature-v4-crt or @smithy/signature-v4a installed (neither is: without them
 * it signs SigV4 wherever SigV4 is allowed), boto3 only with awscrt (absent from the dbt venv),
 * and only S3 multi-region access points, EventBridge global endpoints or an explicit
 * `auth_scheme_preference` ask for it, none of which the pipeline uses.
 */
const SIGV4A = "AWS4-ECDSA-P256-SHA256";

function sigv4aRefused(): SignatureFailure {
  return new SignatureFailure(
    "unsupported",
    "SigV4a (AWS4-ECDSA-P256-SHA256) is not verified offline: sign with AWS4-HMAC-SHA256 (docs/ARCHITECTURE.md)",
  );
}

export interface VerifyOptions {
  /** Looks an access key id up among the issued credentials. */
  readonly lookup: (accessKeyId: string) => Identity | undefined;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Verifies the request's SigV4 signature; throws a {@link SignatureFailure} when AWS would refuse it. */
export async function verifySignature(req: SignedRequest, options: VerifyOptions): Promise<VerifiedRequest> {
  const now = (options.now ?? Date.now)();
  const authorization = header(req.headers, "authorization");
  const query = parseQuery(req.url);
  if (authorization !== undefined) return verifyHeader(req, authorization, options, now);
  if (query.has("X-Amz-Algorithm") || query.has("X-Amz-Credential"))
    return verifyPresigned(req, query, options, now);
  if (query.has("AWSAccessKeyId") || query.has("Signature"))
    throw new SignatureFailure("unsupported", "SigV2 presigned URLs are not accepted: use AWS4-HMAC-SHA256");
  throw new SignatureFailure("missing", "the request is not signed");
}

interface Signing {
  readonly identity: Identity;
  readonly signer: SignatureV4;
  readonly scope: Scope;
  readonly signedAt: number;
}

/** Key, session token, expiry and date checks shared by both forms; returns the signer. */
function prepare(
  scope: Scope,
  token: string | undefined,
  amzDate: string | undefined,
  options: VerifyOptions,
): Signing {
  const identity = options.lookup(scope.accessKeyId);
  if (!identity || (identity.kind === "role" && token === undefined)) {
    throw new SignatureFailure(
      "unknown-key",
      `the access key id ${scope.accessKeyId} was not issued${identity ? " (a session key needs its session token)" : ""}`,
    );
  }
  if (identity.kind === "role") {
    if (!sameSignature(token ?? "", identity.credentials.sessionToken))
      throw new SignatureFailure("bad-token", "the session token is not the one issued with the key");
    if ((options.now ?? Date.now)() >= identity.credentials.expiration.getTime())
      throw new SignatureFailure(
        "expired",
        `the credentials expired at ${identity.credentials.expiration.toISOString()}`,
      );
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined)
    throw new SignatureFailure("malformed", "X-Amz-Date is missing or not in the form yyyyMMddTHHmmssZ");
  const signer = new SignatureV4({
    credentials:
      identity.kind === "role"
        ? {
            accessKeyId: identity.credentials.accessKeyId,
            secretAccessKey: identity.credentials.secretAccessKey,
            sessionToken: identity.credentials.sessionToken,
          }
        : identity.credentials,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    // S3 signs the path as it is sent; every other service signs it encoded once more.
    uriEscapePath: scope.service !== "s3",
    applyChecksum: false,
  });
  return { identity, signer, scope, signedAt };
}

/** The parts of the arrived request the signer recomputes from. */
function requestToSign(req: SignedRequest, signedHeaders: readonly string[], omitQuery: ReadonlySet<string>) {
  const at = req.url.indexOf("?");
  const path = at < 0 ? req.url : req.url.slice(0, at);
  const query: Record<string, string | string[]> = {};
  for (const [name, values] of parseQuery(req.url)) {
    if (omitQuery.has(name)) continue;
    query[name] = values.length === 1 ? (values[0] as string) : values;
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) throw new SignatureFailure("signature", `the signed header ${name} is missing`);
    headers[name] = value;
  }
  const host = headers.host ?? "";
  return {
    method: req.method,
    protocol: "http:",
    hostname: host.replace(/:\d+$/, ""),
    path,
    query,
    headers,
    ...(req.body ? { body: new Uint8Array(req.body) } : {}),
  };
}

async function verifyHeader(
  req: SignedRequest,
  authorization: string,
  options: VerifyOptions,
  now: number,
): Promise<VerifiedRequest> {
  if (authorization.startsWith(SIGV4A)) throw sigv4aRefused();
  if (/^AWS [^:\s]+:/.test(authorization))
    throw new SignatureFailure(
      "unsupported",
      "SigV2 (Authorization: AWS …) is not accepted: use AWS4-HMAC-SHA256",
    );
  const m =
    /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/.exec(
      authorization.trim(),
    );
  const scope = m?.[1] ? parseScope(m[1]) : undefined;
  if (!m || !scope) {
    const kind = authorization.startsWith("AWS4-HMAC-SHA256") ? "malformed" : "unsupported";
    throw new SignatureFailure(
      kind,
      "the Authorization header is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…",
    );
  }
  const signedHeaders = (m[2] as string).split(";");
  const provided = m[3] as string;
  const signing = prepare(
    scope,
    header(req.headers, "x-amz-security-token"),
    header(req.headers, "x-amz-date"),
    options,
  );
  if (Math.abs(now - signing.signedAt) > MAX_SKEW_MS)
    throw new SignatureFailure(
      "skew",
      `the request is dated ${header(req.headers, "x-amz-date")}, more than 15 minutes from now`,
    );
  if (!signedHeaders.includes("host"))
    throw new SignatureFailure("signature", "the host header is not signed");
  const contentSha256 = header(req.headers, "x-amz-content-sha256");
  if (scope.service === "s3" && contentSha256 === undefined)
    throw new SignatureFailure(
      "payload-hash-missing",
      "Missing required header for this request: x-amz-content-sha256",
    );
  // Outside S3 the body is signed whole: a client's x-amz-content-sha256 must be its digest.
  if (scope.service !== "s3" && contentSha256 !== undefined && req.body) {
    if (createHash("sha256").update(req.body).digest("hex") !== contentSha256)
      throw new SignatureFailure("payload-hash", "x-amz-content-sha256 is not the SHA-256 of the body");
  }
  // The signer adds x-amz-date and the session token itself, from the date and the credentials.
  const signed = await signing.signer.sign(
    requestToSign(
      req,
      signedHeaders.filter((h) => h !== "x-amz-date" && h !== "x-amz-security-token"),
      new Set(),
    ),
    { signingDate: new Date(signing.signedAt) },
  );
  const expected = /Signature=([0-9a-f]+)$/.exec(String(signed.headers.authorization))?.[1] ?? "";
  const expectedHeaders = /SignedHeaders=([^,\s]+)/.exec(String(signed.headers.authorization))?.[1];
  if (
    scope.date !== header(req.headers, "x-amz-date")?.slice(0, 8) ||
    !sameSignature(expected, provided) ||
    expectedHeaders !== m[2]
  )
    throw new SignatureFailure("signature", "the signature does not match the request");
  return {
    accessKeyId: scope.accessKeyId,
    identity: signing.identity,
    region: scope.region,
    service: scope.service,
    ...(scope.service === "s3" ? { payload: payloadMode(contentSha256 as string, signing, provided) } : {}),
  };
}

function payloadMode(contentSha256: string, signing: Signing, seedSignature: string): PayloadMode {
  if (/^[0-9a-f]{64}$/.test(contentSha256)) return { kind: "signed-hash", sha256: contentSha256 };
  if (contentSha256 === "UNSIGNED-PAYLOAD") return { kind: "unsigned" };
  if (contentSha256 === "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return { kind: "streaming-unsigned-trailer" };
  if (
    contentSha256 === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
    contentSha256 === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
  )
    return {
      kind: "streaming-signed",
      trailer: contentSha256.endsWith("-TRAILER"),
      check: chunkSigner(signing, seedSignature),
    };
  throw new SignatureFailure(
    "payload-hash",
    `x-amz-content-sha256 ${contentSha256} is neither a SHA-256 nor a payload mode S3 knows`,
  );
}

async function verifyPresigned(
  req: SignedRequest,
  query: Map<string, string[]>,
  options: VerifyOptions,
  now: number,
): Promise<VerifiedRequest> {
  const one = (name: string) => query.get(name)?.[0];
  if (one("X-Amz-Algorithm") === SIGV4A) throw sigv4aRefused();
  if (one("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
    throw new SignatureFailure(
      "unsupported",
      `X-Amz-Algorithm ${one("X-Amz-Algorithm")} is not AWS4-HMAC-SHA256`,
    );
  const scope = parseScope(one("X-Amz-Credential") ?? "");
  const expires = Number(one("X-Amz-Expires"));
  const signedHeaders = one("X-Amz-SignedHeaders")?.split(";");
  const provided = one("X-Amz-Signature");
  if (
    !scope ||
    !signedHeaders ||
    !provided ||
    !Number.isInteger(expires) ||
    expires < 1 ||
    expires > MAX_PRESIGNED_SECONDS
  )
    throw new SignatureFailure(
      "malformed",
      "the presigned query lacks X-Amz-Credential, X-Amz-Expires (1-604800), X-Amz-SignedHeaders or X-Amz-Signature",
    );
  const signing = prepare(
    scope,
    one("X-Amz-Security-Token") ?? header(req.headers, "x-amz-security-token"),
    one("X-Amz-Date"),
    options,
  );
  if (now > signing.signedAt + expires * 1000)
    throw new SignatureFailure("presign-expired", "Request has expired");
  if (signing.signedAt > now + MAX_SKEW_MS)
    throw new SignatureFailure("skew", "the presigned URL is dated in the future");
  const own = new Set([
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
  ]);
  const request = requestToSign({ ...req, body: undefined }, signedHeaders, own);
  // S3's presigned URLs sign UNSIGNED-PAYLOAD; the header only carries it to the signer.
  const unsignable = new Set<string>();
  if (scope.service === "s3" && !signedHeaders.includes("x-amz-content-sha256")) {
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    unsignable.add("x-amz-content-sha256");
  }
  const presigned = await signing.signer.presign(request, {
    signingDate: new Date(signing.signedAt),
    expiresIn: expires,
    unhoistableHeaders: new Set(Object.keys(request.headers)),
    unsignableHeaders: unsignable,
  });
  const signedQuery = presigned.query ?? {};
  const expected = String(signedQuery["X-Amz-Signature"] ?? "");
  if (
    scope.date !== one("X-Amz-Date")?.slice(0, 8) ||
    !sameSignature(expected, provided) ||
    signedQuery["X-Amz-SignedHeaders"] !== one("X-Amz-SignedHeaders")
  )
    throw new SignatureFailure("signature", "the signature does not match the request");
  return {
    accessKeyId: scope.accessKeyId,
    identity: signing.identity,
    region: scope.region,
    service: scope.service,
  };
}

/** Signs one aws-chunked chunk (or the trailer) after the previous signature. */
export interface ChunkSigner {
  chunk(data: Buffer): Promise<string>;
  trailer(trailerText: string): Promise<string>;
}

function chunkSigner(signing: Signing, seedSignature: string): ChunkSigner {
  let previous = seedSignature;
  const longDate = new Date(signing.signedAt).toISOString().replace(/[-:]|\.\d{3}/g, "");
  const scope = `${signing.scope.date}/${signing.scope.region}/${signing.scope.service}/aws4_request`;
  const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
  const sign = async (algorithm: string, hashes: string) => {
    previous = await signing.signer.sign(`${algorithm}\n${longDate}\n${scope}\n${previous}\n${hashes}`, {
      signingDate: new Date(signing.signedAt),
    });
    return previous;
  };
  return {
    chunk: (data) => sign("AWS4-HMAC-SHA256-PAYLOAD", `${EMPTY_SHA256}\n${sha(data)}`),
    trailer: (text) => sign("AWS4-HMAC-SHA256-TRAILER", sha(text)),
  };
}

/**
 * Passes an S3 body through unchanged while hashing it; at the end, a digest other than the
 * signed x-amz-content-sha256 fails the stream (so the emulator never completes the request).
 */
export class PayloadHashCheck extends Transform {
  readonly #hash = createHash("sha256");
  readonly #expected: string;
  constructor(expected: string) {
    super();
    this.#expected = expected;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = this.#hash.digest("hex");
    if (actual === this.#expected) done();
    else
      done(
        new SignatureFailure(
          "payload-hash",
          `The provided 'x-amz-content-sha256' header does not match what was computed (computed ${actual})`,
        ),
      );
  }
}

/**
 * Passes an aws-chunked body signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) through
 * unchanged while verifying each `<hex size>;chunk-signature=<sig>` against the chain of
 * signatures from the seed, and the trailer's signature when there is one.
 */
export class ChunkSignatureCheck extends Transform {
  #buffer = Buffer.alloc(0);
  #done = false;
  readonly #signer: ChunkSigner;
  readonly #trailer: boolean;
  constructor(signer: ChunkSigner, trailer: boolean) {
    super();
    this.#signer = signer;
    this.#trailer = trailer;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.push(chunk);
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#drain().then(() => done(), done);
  }
  override _flush(done: TransformCallback): void {
    if (this.#done) done();
    else done(new SignatureFailure("signature", "the aws-chunked body ended before its final chunk"));
  }
  async #drain(): Promise<void> {
    while (!this.#done) {
      const eol = this.#buffer.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.#buffer.subarray(0, eol).toString("latin1");
      const m = /^([0-9a-fA-F]+);chunk-signature=([0-9a-f]{64})$/.exec(line);
      if (!m)
        throw new SignatureFailure(
          "signature",
          `an aws-chunked chunk header is malformed: ${line.slice(0, 100)}`,
        );
      const size = Number.parseInt(m[1] as string, 16);
      if (size === 0) {
        const end = this.#trailer ? this.#buffer.indexOf("\r\n\r\n", eol + 2) : eol + 4;
        if (this.#trailer) {
          if (end < 0) return;
          await this.#verify(this.#signer.chunk(Buffer.alloc(0)), m[2] as string);
          const trailer = this.#buffer.subarray(eol + 2, end + 2).toString("latin1");
          const signature = /x-amz-trailer-signature:([0-9a-f]{64})\r\n$/.exec(trailer);
          const text = trailer
            .replace(/x-amz-trailer-signature:[0-9a-f]{64}\r\n$/, "")
            .replace(/\r\n/g, "\n");
          if (!signature) throw new SignatureFailure("signature", "the aws-chunked trailer is not signed");
          await this.#verify(this.#signer.trailer(text), signature[1] as string);
        } else {
          if (this.#buffer.length < end) return;
          await this.#verify(this.#signer.chunk(Buffer.alloc(0)), m[2] as string);
        }
        this.#done = true;
        return;
      }
      const start = eol + 2;
      if (this.#buffer.length < start + size + 2) return;
      await this.#verify(this.#signer.chunk(this.#buffer.subarray(start, start + size)), m[2] as string);
      this.#buffer = this.#buffer.subarray(start + size + 2);
    }
  }
  async #verify(expected: Promise<string>, provided: string): Promise<void> {
    if (!sameSignature(await expected, provided))
      throw new SignatureFailure("signature", "an aws-chunked chunk's signature does not match");
  }
}
