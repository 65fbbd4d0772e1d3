/**
 * What an AWS API request asks IAM for: from the SigV4 service, the method, path, query,
 * `X-Amz-Target` or form `Action`, and the body, the IAM actions and resource ARNs it needs
 * (one request may need several: CopyObject reads one object and writes another). A request
 * this cannot name is `undefined`: the gateway refuses it rather than let it through.
 */
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import { LONG_TERM_KEY_ONLY, stsCall } from "./sts.ts";

export interface ApiRequest {
  /** The service of the SigV4 credential scope (`s3`, `dynamodb`, `sqs`, `sns`, …). */
  readonly service: string;
  readonly region: string;
  readonly method: string;
  /** The path, percent-decoded per segment kept as sent (`/bucket/key`). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body, for protocols whose resource names travel in it (never S3's object bodies). */
  readonly body?: Buffer;
}

export interface RequiredAccess {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

/** The protocol an SDK speaks, which decides how a refusal is written. */
export type Protocol = "s3" | "json" | "query" | "rest-json";

export interface MappedRequest {
  /** The operation, as the service names it (`PutObject`, `GetItem`, `Publish`). */
  readonly operation: string;
  readonly protocol: Protocol;
  readonly access: readonly RequiredAccess[];
}

export function mapRequest(request: ApiRequest): MappedRequest | undefined {
  switch (request.service) {
    case "s3":
      return mapS3(request);
    case "dynamodb":
      return mapJson(request, "dynamodb", dynamodbResources);
    case "secretsmanager":
      return mapJson(request, "secretsmanager", secretResources);
    case "states":
      return mapJson(request, "states", stateMachineResources);
    case "sqs":
      return request.headers["x-amz-target"]
        ? mapJson(request, "sqs", sqsJsonResources)
        : mapQuery(request, "sqs");
    case "sns":
      return mapQuery(request, "sns");
    case "lambda":
      return mapLambda(request);
    case "kafka":
      return mapKafka(request);
    case "sts":
      return mapSts(request);
    default:
      return undefined;
  }
}

// ---- S3 (REST-XML): the action from method + subresource, the resource from bucket + key.

/** Bucket subresources (`?location`, …) and the actions they need per method. */
const BUCKET_SUBRESOURCES: Record<string, Partial<Record<string, string>>> = {
  location: { GET: "GetBucketLocation" },
  policy: { GET: "GetBucketPolicy", PUT: "PutBucketPolicy", DELETE: "DeleteBucketPolicy" },
  notification: { GET: "GetBucketNotification", PUT: "PutBucketNotification" },
  versioning: { GET: "GetBucketVersioning", PUT: "PutBucketVersioning" },
  tagging: { GET: "GetBucketTagging", PUT: "PutBucketTagging", DELETE: "PutBucketTagging" },
  cors: { GET: "GetBucketCORS", PUT: "PutBucketCORS", DELETE: "PutBucketCORS" },
  lifecycle: {
    GET: "GetLifecycleConfiguration",
    PUT: "PutLifecycleConfiguration",
    DELETE: "PutLifecycleConfiguration",
  },
  acl: { GET: "GetBucketAcl", PUT: "PutBucketAcl" },
  encryption: { GET: "GetEncryptionConfiguration", PUT: "PutEncryptionConfiguration" },
  publicAccessBlock: { GET: "GetBucketPublicAccessBlock", PUT: "PutBucketPublicAccessBlock" },
  ownershipControls: { GET: "GetBucketOwnershipControls", PUT: "PutBucketOwnershipControls" },
  uploads: { GET: "ListBucketMultipartUploads" },
  versions: { GET: "ListBucketVersions" },
};

const OBJECT_SUBRESOURCES: Record<string, Partial<Record<string, string>>> = {
  tagging: { GET: "GetObjectTagging", PUT: "PutObjectTagging", DELETE: "DeleteObjectTagging" },
  acl: { GET: "GetObjectAcl", PUT: "PutObjectAcl" },
  attributes: { GET: "GetObjectAttributes" },
};

function mapS3(request: ApiRequest): MappedRequest | undefined {
  const { method, query } = request;
  const [bucket, key] = s3Target(request);
  const s3 = (operation: string, access: RequiredAccess[]): MappedRequest => ({
    operation,
    protocol: "s3",
    access,
  });
  if (!bucket)
    return method === "GET"
      ? s3("ListBuckets", [{ action: "s3:ListAllMyBuckets", resource: "*" }])
      : undefined;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const subresource = (table: Record<string, Partial<Record<string, string>>>) =>
    Object.keys(table).find((name) => query.has(name));

  if (key === undefined) {
    const sub = subresource(BUCKET_SUBRESOURCES);
    if (sub) {
      const action = BUCKET_SUBRESOURCES[sub]?.[method];
      return action ? s3(action, [{ action: `s3:${action}`, resource: bucketArn }]) : undefined;
    }
    if (method === "POST" && query.has("delete")) return s3("DeleteObjects", deletedKeys(request, bucketArn));
    if (
      query.toString() !== "" &&
      ![
        "list-type",
        "prefix",
        "delimiter",
        "max-keys",
        "continuation-token",
        "start-after",
        "encoding-type",
        "marker",
        "fetch-owner",
      ].some((k) => query.has(k)) &&
      method === "GET"
    ) {
      return undefined;
    }
    switch (method) {
      case "GET": {
        const context: Record<string, string> = {};
        for (const [param, contextKey] of [
          ["prefix", "s3:prefix"],
          ["delimiter", "s3:delimiter"],
          ["max-keys", "s3:max-keys"],
        ] as const) {
          const value = query.get(param);
          if (value !== null) context[contextKey] = value;
        }
        const operation = query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
        return s3(operation, [{ action: "s3:ListBucket", resource: bucketArn, context }]);
      }
      case "HEAD":
        return s3("HeadBucket", [{ action: "s3:ListBucket", resource: bucketArn }]);
      case "PUT":
        return query.toString() === ""
          ? s3("CreateBucket", [{ action: "s3:CreateBucket", resource: bucketArn }])
          : undefined;
      case "DELETE":
        return query.toString() === ""
          ? s3("DeleteBucket", [{ action: "s3:DeleteBucket", resource: bucketArn }])
          : undefined;
      default:
        return undefined;
    }
  }

  const objectArn = `${bucketArn}/${key}`;
  const sub = subresource(OBJECT_SUBRESOURCES);
  if (sub) {
    const action = OBJECT_SUBRESOURCES[sub]?.[method];
    const versioned = query.has("versionId") && action ? action.replace("Object", "ObjectVersion") : action;
    return versioned ? s3(action as string, [{ action: `s3:${versioned}`, resource: objectArn }]) : undefined;
  }
  const copySource = request.headers["x-amz-copy-source"];
  const readsSource: RequiredAccess[] = copySource ? [copySourceAccess(copySource)] : [];
  switch (method) {
    case "GET":
    case "HEAD":
      if (query.has("uploadId"))
        return s3("ListParts", [{ action: "s3:ListMultipartUploadParts", resource: objectArn }]);
      return s3(method === "GET" ? "GetObject" : "HeadObject", [
        { action: query.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject", resource: objectArn },
      ]);
    case "PUT": {
      const operation = query.has("uploadId")
        ? copySource
          ? "UploadPartCopy"
          : "UploadPart"
        : copySource
          ? "CopyObject"
          : "PutObject";
      return s3(operation, [{ action: "s3:PutObject", resource: objectArn }, ...readsSource]);
    }
    case "POST":
      if (query.has("uploads"))
        return s3("CreateMultipartUpload", [{ action: "s3:PutObject", resource: objectArn }]);
      if (query.has("uploadId"))
        return s3("CompleteMultipartUpload", [{ action: "s3:PutObject", resource: objectArn }]);
      return undefined;
    case "DELETE":
      if (query.has("uploadId"))
        return s3("AbortMultipartUpload", [{ action: "s3:AbortMultipartUpload", resource: objectArn }]);
      return s3("DeleteObject", [
        {
          action: query.has("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
          resource: objectArn,
        },
      ]);
    default:
      return undefined;
  }
}

/** Bucket and key, path-style (`/bucket/key`) or virtual-hosted (`bucket.host/key`). */
function s3Target(request: ApiRequest): [string | undefined, string | undefined] {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "");
  const virtualBucket = /^(.+)\.s3[.-]|^(.+)\.localhost$/.exec(host);
  const path = request.path.replace(/^\//, "");
  const bucketFromHost = virtualBucket?.[1] ?? virtualBucket?.[2];
  if (bucketFromHost) return [bucketFromHost, path === "" ? undefined : decodeURIComponent(path)];
  const slash = path.indexOf("/");
  if (path === "") return [undefined, undefined];
  if (slash < 0) return [decodeURIComponent(path), undefined];
  const key = path.slice(slash + 1);
  return [decodeURIComponent(path.slice(0, slash)), key === "" ? undefined : decodePath(key)];
}

function copySourceAccess(header: string): RequiredAccess {
  const [source, version] = decodeURIComponent(header).replace(/^\//, "").split("?versionId=");
  return { action: version ? "s3:GetObjectVersion" : "s3:GetObject", resource: `arn:aws:s3:::${source}` };
}

function deletedKeys(request: ApiRequest, bucketArn: string): RequiredAccess[] {
  const xml = request.body?.toString("utf8") ?? "";
  const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlText(m[1] as string));
  return keys.map((key) => ({ action: "s3:DeleteObject", resource: `${bucketArn}/${key}` }));
}

function xmlText(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, "&");
}

function decodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => decodeURIComponent(segment))
    .join("/");
}

// ---- JSON protocols: `X-Amz-Target: <Prefix>.<Operation>`, resource names in the body.

type JsonBody = Record<string, unknown>;
/** Resources of the operation's own action, or whole accesses when it is authorized as other actions. */
type JsonResources = (
  operation: string,
  body: JsonBody,
  region: string,
) => readonly (string | RequiredAccess)[] | undefined;

function mapJson(request: ApiRequest, prefix: string, resources: JsonResources): MappedRequest | undefined {
  const operation = request.headers["x-amz-target"]?.split(".").pop();
  if (!operation) return undefined;
  let body: JsonBody;
  try {
    body = JSON.parse(request.body?.toString("utf8") || "{}") as JsonBody;
  } catch {
    return undefined;
  }
  const arns = resources(operation, body, request.region);
  if (!arns) return undefined;
  return {
    operation,
    protocol: "json",
    access: arns.map((resource) =>
      typeof resource === "string" ? { action: `${prefix}:${operation}`, resource } : resource,
    ),
  };
}

/** The IAM action a transaction's item needs, by its kind in TransactItems. */
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  ConditionCheck: "ConditionCheckItem",
  Get: "GetItem",
};

const dynamodbResources: JsonResources = (operation, body, region) => {
  const table = (name: unknown) =>
    String(name).startsWith("arn:")
      ? String(name)
      : `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${String(name)}`;
  if (["ListTables", "DescribeLimits", "DescribeEndpoints"].includes(operation)) return ["*"];
  if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    return Object.keys((body.RequestItems as JsonBody | undefined) ?? {}).map(table);
  }
  if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
    // IAM has no action for a transaction: each item is authorized as its own operation.
    const items = (body.TransactItems as Array<Record<string, { TableName?: string }>> | undefined) ?? [];
    const accesses = items.flatMap((item) =>
      Object.entries(item).map(([kind, op]) => ({
        action: `dynamodb:${TRANSACT_ITEM_ACTIONS[kind] ?? kind}`,
        resource: table(op.TableName),
      })),
    );
    return [...new Map(accesses.map((a) => [`${a.action} ${a.resource}`, a])).values()];
  }
  if (body.TableName !== undefined) {
    const arn = table(body.TableName);
    return body.IndexName !== undefined ? [`${arn}/index/${String(body.IndexName)}`] : [arn];
  }
  if (body.ResourceArn !== undefined) return [String(body.ResourceArn)];
  return undefined;
};

const secretResources: JsonResources = (operation, body, region) => {
  if (["ListSecrets", "GetRandomPassword", "BatchGetSecretValue"].includes(operation)) return ["*"];
  const id = body.SecretId ?? body.Name;
  if (id === undefined) return undefined;
  const text = String(id);
  return [
    text.startsWith("arn:") ? text : `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${text}`,
  ];
};

const stateMachineResources: JsonResources = (operation, body) => {
  if (["ListStateMachines", "ListActivities", "CreateStateMachine"].includes(operation)) return ["*"];
  const arn = body.stateMachineArn ?? body.executionArn ?? body.resourceArn;
  return arn === undefined ? undefined : [String(arn)];
};

/**
 * SQS's batch operations have no IAM action of their own: IAM authorizes each as its single
 * operation (a DeleteMessageBatch needs sqs:DeleteMessage — what Lambda's SQS role grants).
 */
const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: "sqs:SendMessage",
  DeleteMessageBatch: "sqs:DeleteMessage",
  ChangeMessageVisibilityBatch: "sqs:ChangeMessageVisibility",
};

const sqsJsonResources: JsonResources = (operation, body, region) => {
  if (operation === "ListQueues") return ["*"];
  const batchAction = SQS_BATCH_ACTIONS[operation];
  if (body.QueueUrl !== undefined && batchAction)
    return [{ action: batchAction, resource: queueArn(String(body.QueueUrl), region) }];
  if (body.QueueUrl !== undefined) return [queueArn(String(body.QueueUrl), region)];
  if (body.QueueName !== undefined)
    return [`arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${String(body.QueueName)}`];
  return undefined;
};

function queueArn(url: string, region: string): string {
  const parts = url.replace(/\/+$/, "").split("/");
  const name = parts.pop() as string;
  const account = /^\d{12}$/.test(parts.at(-1) ?? "") ? (parts.at(-1) as string) : LOCAL_ACCOUNT;
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

// ---- Query protocol (SNS, SQS's older form): `Action=` and parameters in the form body.

function mapQuery(request: ApiRequest, service: "sns" | "sqs"): MappedRequest | undefined {
  const form = new URLSearchParams(request.body?.toString("utf8") ?? "");
  for (const [k, v] of request.query) if (!form.has(k)) form.set(k, v);
  const operation = form.get("Action");
  if (!operation) return undefined;
  const resource =
    service === "sns"
      ? snsResource(operation, form, request.region)
      : sqsQueryResource(operation, form, request);
  if (!resource) return undefined;
  const action = (service === "sqs" && SQS_BATCH_ACTIONS[operation]) || `${service}:${operation}`;
  return { operation, protocol: "query", access: [{ action, resource }] };
}

function snsResource(operation: string, form: URLSearchParams, region: string): string | undefined {
  if (["ListTopics", "ListSubscriptions"].includes(operation)) return "*";
  if (operation === "CreateTopic") return `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:${form.get("Name") ?? ""}`;
  return form.get("TopicArn") ?? form.get("TargetArn") ?? form.get("ResourceArn") ?? undefined;
}

function sqsQueryResource(operation: string, form: URLSearchParams, request: ApiRequest): string | undefined {
  if (operation === "ListQueues") return "*";
  const url =
    form.get("QueueUrl") ?? (request.path.split("/").filter(Boolean).length >= 2 ? request.path : undefined);
  if (url) return queueArn(url, request.region);
  const name = form.get("QueueName");
  return name ? `arn:aws:sqs:${request.region}:${LOCAL_ACCOUNT}:${name}` : undefined;
}

// ---- STS (Query or JSON 1.0): answered by the gateway (sts.ts).

function mapSts(request: ApiRequest): MappedRequest | undefined {
  const call = stsCall(request);
  if (!call?.known) return undefined;
  const { operation, protocol } = call;
  // GetCallerIdentity needs no permission, and an explicit deny does not block it; the
  // long-term-key-only calls are refused to a session whatever its policies say.
  if (operation === "GetCallerIdentity" || LONG_TERM_KEY_ONLY.has(operation))
    return { operation, protocol, access: [] };
  if (operation === "AssumeRole") {
    const roleArn = call.param("RoleArn");
    return roleArn
      ? { operation, protocol, access: [{ action: "sts:AssumeRole", resource: roleArn }] }
      : undefined;
  }
  return { operation, protocol, access: [{ action: `sts:${operation}`, resource: "*" }] };
}

// ---- Lambda (REST-JSON): /2015-03-31/functions/{name}/invocations and friends.

function mapLambda(request: ApiRequest): MappedRequest | undefined {
  const match = /^\/20\d\d-\d\d-\d\d\/functions\/([^/]+)(\/[a-z-]+)?\/?$/.exec(request.path);
  if (!match) {
    if (/^\/20\d\d-\d\d-\d\d\/functions\/?$/.test(request.path) && request.method === "GET") {
      return {
        operation: "ListFunctions",
        protocol: "rest-json",
        access: [{ action: "lambda:ListFunctions", resource: "*" }],
      };
    }
    return undefined;
  }
  const name = decodeURIComponent(match[1] as string);
  const qualifier = request.query.get("Qualifier");
  const arn = functionArn(name, request.region, qualifier);
  const operation =
    match[2] === "/invocations" && request.method === "POST"
      ? "InvokeFunction"
      : match[2] === undefined && request.method === "GET"
        ? "GetFunction"
        : match[2] === "/configuration" && request.method === "GET"
          ? "GetFunctionConfiguration"
          : undefined;
  if (!operation) return undefined;
  return {
    operation: operation === "InvokeFunction" ? "Invoke" : operation,
    protocol: "rest-json",
    access: [{ action: `lambda:${operation}`, resource: arn }],
  };
}

function functionArn(name: string, region: string, qualifier: string | null): string {
  const base = name.startsWith("arn:")
    ? name
    : name.includes(":")
      ? `arn:aws:lambda:${region}:${name}` // "<account>:function:<name>" partial ARN
      : `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;
  return qualifier ? `${base}:${qualifier}` : base;
}

// ---- MSK (REST-JSON): the gateway answers these itself (the emulator has no MSK).

export interface KafkaOperation {
  readonly operation: "GetBootstrapBrokers" | "DescribeClusterV2";
  readonly clusterArn: string;
}

export function kafkaOperation(request: Pick<ApiRequest, "method" | "path">): KafkaOperation | undefined {
  if (request.method !== "GET") return undefined;
  const brokers = /^\/v1\/clusters\/([^/]+)\/bootstrap-brokers\/?$/.exec(request.path);
  if (brokers)
    return { operation: "GetBootstrapBrokers", clusterArn: decodeURIComponent(brokers[1] as string) };
  const describe = /^\/api\/v2\/clusters\/([^/]+)\/?$/.exec(request.path);
  if (describe)
    return { operation: "DescribeClusterV2", clusterArn: decodeURIComponent(describe[1] as string) };
  return undefined;
}

function mapKafka(request: ApiRequest): MappedRequest | undefined {
  const op = kafkaOperation(request);
  if (!op) return undefined;
  return {
    operation: op.operation,
    protocol: "rest-json",
    // GetBootstrapBrokers has no resource type in IAM: AWS judges it on "*", so a grant on
    // the cluster ARN alone does not allow it.
    access: [
      {
        action: `kafka:${op.operation}`,
        resource: op.operation === "GetBootstrapBrokers" ? "*" : op.clusterArn,
      },
    ],
  };
}
