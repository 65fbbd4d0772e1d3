import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { CredentialStore, type Identity } from "./credentials.ts";
import {
  ChunkSignatureCheck,
  PayloadHashCheck,
  SignatureFailure,
  type SignedRequest,
  verifySignature,
} from "./sigv4.ts";

/** The long-term keys of AWS's published examples, as the operator's key of a store. */
const suiteKey = (accessKeyId: string, secretAccessKey: string) => (key: string) =>
  key === accessKeyId
    ? ({ kind: "operator", credentials: { accessKeyId, secretAccessKey } } as Identity)
    : undefined;
const at = (iso: string) => () => Date.parse(iso);

/** AWS's SigV4 test suite (aws-sig-v4-test-suite): AKIDEXAMPLE, 2015-08-30T12:36:00Z. */
const SUITE = {
  lookup: suiteKey("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
  now: at("2015-08-30T12:36:00Z"),
};
const suiteRequest = (
  method: string,
  url: string,
  signature: string,
  signedHeaders = "host;x-amz-date",
): SignedRequest => ({
  method,
  url,
  headers: {
    host: "example.amazonaws.com",
    "x-amz-date": "20150830T123600Z",
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  },
  body: Buffer.alloc(0),
});

/** The S3 examples of "Signature Calculations for the Authorization Header" and "Query String Auth". */
const S3_DOCS = {
  lookup: suiteKey("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
  now: at("2013-05-24T00:00:00Z"),
};
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

async function failure(promise: Promise<unknown>): Promise<SignatureFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SignatureFailure))
    throw new Error(`expected a SignatureFailure, got ${String(error)}`);
  return error;
}

describe("SigV4 verification with AWS's published test vectors", () => {
  it("get-vanilla, post-vanilla and get-vanilla-query-order-key-case verify; one changed digit does not", async () => {
    for (const request of [
      suiteRequest("GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
      suiteRequest("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
      suiteRequest(
        "GET",
        "/?Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
      ),
    ]) {
      await expect(verifySignature(request, SUITE)).resolves.toMatchObject({
        accessKeyId: "AKIDEXAMPLE",
        service: "service",
      });
    }
    const tampered = suiteRequest(
      "GET",
      "/",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30",
    );
    expect((await failure(verifySignature(tampered, SUITE))).kind).toBe("signature");
    // The same signature on another request (the query changed) is no proof either.
    const moved = suiteRequest(
      "GET",
      "/?Param1=value2",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    expect((await failure(verifySignature(moved, SUITE))).kind).toBe("signature");
  });

  it("S3's GET Object example (Range, x-amz-content-sha256) verifies", async () => {
    const request: SignedRequest = {
      method: "GET",
      url: "/test.txt",
      headers: {
        host: "examplebucket.s3.amazonaws.com",
        range: "bytes=0-9",
        "x-amz-content-sha256": EMPTY,
        "x-amz-date": "20130524T000000Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
      },
    };
    await expect(verifySignature(request, S3_DOCS)).resolves.toMatchObject({
      payload: { kind: "signed-hash", sha256: EMPTY },
    });
    const otherRange = { ...request, headers: { ...request.headers, range: "bytes=0-99" } };
    expect((await failure(verifySignature(otherRange, S3_DOCS))).kind).toBe("signature");
  });

  it("S3's presigned URL example verifies, and is refused once X-Amz-Expires has passed", async () => {
    const request: SignedRequest = {
      method: "GET",
      url: "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      headers: { host: "examplebucket.s3.amazonaws.com" },
    };
    await expect(verifySignature(request, S3_DOCS)).resolves.toMatchObject({ service: "s3" });
    const later = { ...S3_DOCS, now: at("2013-05-25T00:00:01Z") };
    expect((await failure(verifySignature(request, later))).kind).toBe("presign-expired");
  });

  it("S3's chunked upload example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): seed and every chunk signature verify", async () => {
    const request: SignedRequest = {
      method: "PUT",
      url: "/examplebucket/chunkObject.txt",
      headers: {
        host: "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
      },
    };
    const chunk = (size: number, signature: string) =>
      Buffer.concat([
        Buffer.from(`${size.toString(16)};chunk-signature=${signature}\r\n`),
        Buffer.alloc(size, "a"),
        Buffer.from("\r\n"),
      ]);
    const body = Buffer.concat([
      chunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
      chunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
      chunk(0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
    ]);
    expect(body.length).toBe(66824);
    const passThrough = async (data: Buffer) => {
      const verified = await verifySignature(request, S3_DOCS);
      if (verified.payload?.kind !== "streaming-signed") throw new Error("not a signed stream");
      const out: Buffer[] = [];
      // Split at odd places: a chunk header may arrive in pieces.
      const pieces = [data.subarray(0, 7), data.subarray(7, 40_000), data.subarray(40_000)];
      await pipeline(
        Readable.from(pieces),
        new ChunkSignatureCheck(verified.payload.check, false),
        async (source) => {
          for await (const piece of source) out.push(piece as Buffer);
        },
      );
      return Buffer.concat(out);
    };
    expect((await passThrough(body)).equals(body)).toBe(true);
    const altered = Buffer.from(body);
    altered[100] = "b".charCodeAt(0);
    expect((await failure(passThrough(altered))).kind).toBe("signature");
  });
});

describe("SigV4 verification of the runtime's session credentials", () => {
  const role = "arn:aws:iam::000000000000:role/pipeline-local-writer";
  const sign = async (
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    body = "{}",
  ) => {
    const { SignatureV4 } = await import("@smithy/signature-v4");
    const { Sha256 } = await import("./sigv4.ts");
    const signer = new SignatureV4({ credentials, region: "us-east-1", service: "dynamodb", sha256: Sha256 });
    const signed = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: "/",
      headers: { host: "127.0.0.1:4566", "x-amz-target": "DynamoDB_20120810.ListTables" },
      body,
    });
    return {
      method: "POST",
      url: "/",
      headers: signed.headers,
      body: Buffer.from(body),
    } satisfies SignedRequest;
  };

  it("issues ASIA keys mapped to the role's session, and verifies requests signed with them", async () => {
    const store = new CredentialStore();
    const credentials = store.issue(role, { sessionName: "land-records" });
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const verified = await verifySignature(await sign(credentials), { lookup: (k) => store.lookup(k) });
    expect(verified.identity).toMatchObject({
      kind: "role",
      roleArn: role,
      assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/pipeline-local-writer/land-records",
    });
  });

  it("refuses an unknown key, a missing or other session token, a wrong secret, an altered body, expired credentials", async () => {
    let now = Date.now();
    const store = new CredentialStore({ now: () => now });
    const options = { lookup: (k: string) => store.lookup(k), now: () => now };
    const mine = store.issue(role, { sessionName: "a" });
    const other = store.issue("arn:aws:iam::000000000000:role/other", { sessionName: "b" });
    const kind = async (request: Promise<SignedRequest> | SignedRequest) =>
      (await failure(verifySignature(await request, options))).kind;
    expect(await kind(sign({ ...mine, accessKeyId: "ASIAFAKEUNKNOWNKEY00" }))).toBe("unknown-key");
    expect(await kind(sign({ accessKeyId: mine.accessKeyId, secretAccessKey: mine.secretAccessKey }))).toBe(
      "unknown-key",
    );
    expect(await kind(sign({ ...mine, sessionToken: other.sessionToken }))).toBe("bad-token");
    // Another role's process claiming this key id knows only its own secret.
    expect(await kind(sign({ ...mine, secretAccessKey: other.secretAccessKey }))).toBe("signature");
    const signed = await sign(mine);
    expect(await kind({ ...signed, body: Buffer.from('{"x":1}') })).toBe("payload-hash");
    now = mine.expiration.getTime() + 1;
    expect(await kind(sign(mine))).toBe("expired");
    now = Date.now();
    expect(await kind({ ...signed, headers: { ...signed.headers, "x-amz-date": "20200101T000000Z" } })).toBe(
      "skew",
    );
    expect(await kind({ method: "GET", url: "/", headers: { host: "x" } })).toBe("missing");
    expect(
      await kind({ method: "GET", url: "/b/k", headers: { host: "x", authorization: "AWS AKID:c2ln" } }),
    ).toBe("unsupported");
  });

  it("refuses SigV4a (AWS4-ECDSA-P256-SHA256), header or presigned, as a mechanism it does not support — never as a valid or a wrong signature", async () => {
    const store = new CredentialStore();
    const mine = store.issue(role, { sessionName: "a" });
    const options = { lookup: (k: string) => store.lookup(k) };
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
    const scope = `${mine.accessKeyId}/${date.slice(0, 8)}/s3/aws4_request`;
    const header = await failure(
      verifySignature(
        {
          method: "GET",
          url: "/b/k",
          headers: {
            host: "127.0.0.1:4566",
            "x-amz-date": date,
            "x-amz-region-set": "*",
            "x-amz-security-token": mine.sessionToken,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            authorization: `AWS4-ECDSA-P256-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100ab`,
          },
        },
        options,
      ),
    );
    expect([header.kind, header.message]).toEqual([
      "unsupported",
      expect.stringContaining("SigV4a (AWS4-ECDSA-P256-SHA256) is not verified offline"),
    ]);
    const presigned = await failure(
      verifySignature(
        {
          method: "GET",
          url: `/b/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=${encodeURIComponent(scope)}&X-Amz-Date=${date}&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Region-Set=*&X-Amz-Signature=3045`,
          headers: { host: "127.0.0.1:4566" },
        },
        options,
      ),
    );
    expect([presigned.kind, presigned.message]).toEqual([
      "unsupported",
      expect.stringContaining("SigV4a (AWS4-ECDSA-P256-SHA256) is not verified offline"),
    ]);
  });

  it("checks an S3 body against its signed x-amz-content-sha256 as it streams", async () => {
    const run = (data: string, expected: string) =>
      pipeline(Readable.from([Buffer.from(data)]), new PayloadHashCheck(expected), async (source) => {
        for await (const _ of source);
      });
    const hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    await expect(run("hello", hello)).resolves.toBeUndefined();
    expect((await failure(run("hellO", hello))).kind).toBe("payload-hash");
  });
});
