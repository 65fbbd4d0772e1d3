"""
moto's server with its state restored before the port opens.

moto keeps everything in memory. Its recorder (MOTO_ENABLE_RECORDING) logs each request it
serves; on start we replay the log's entries into the app in-process, and only then listen,
so no client ever meets a half-restored emulator, and no live request races the replay.
persistence.ts compacts the log to the state-changing entries before this starts.

Usage: python serve.py -H HOST -p PORT --gateway-secret-file F --operator-key-id K [--replay LOG];
GET /_pipeline/health answers once it listens.
"""

import argparse
import base64
import json
import logging
import os
import re
import signal
import sys
import threading
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from werkzeug.serving import run_simple
from werkzeug.test import Client

from moto.core import serialize as moto_serialize
from moto.moto_api import recorder
from moto.s3 import notifications as s3_notifications
from moto.sqs import models as sqs_models
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models import table as dynamodb_table
from moto.moto_server import werkzeug_app
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

# Computed again from the body by the test client; a stale one would cut or pad it.
DROPPED_HEADERS = {"content-length", "transfer-encoding"}


def replay(app: DomainDispatcherApplication, log: str) -> tuple[int, int]:
    """Sends each logged request to the app; returns (replayed, refused)."""
    client = Client(app)
    replayed = refused = 0
    # A multipart upload gets a new random id when replayed: the log's later requests name the
    # old one. The log holds requests only, so an old id is mapped to the id the replay got for
    # the same object path when its first part arrives.
    new_upload_ids: dict[str, str] = {}  # object path → the id the replayed CreateMultipartUpload got
    upload_ids: dict[str, str] = {}  # logged id → replayed id
    with open(log, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            entry = json.loads(line)
            body = entry.get("body") or b""
            if entry.get("body_encoded"):
                body = base64.b64decode(body)
            url = urlsplit(entry["url"])
            if url.path in (RESTORED_MESSAGE_PATH, DELETED_MESSAGE_PATH):
                if url.path == RESTORED_MESSAGE_PATH:
                    restore_message(json.loads(body))
                replayed += 1
                continue
            query_string = url.query
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            logged_id = query.get("uploadId")
            if logged_id is not None:
                replayed_id = upload_ids.setdefault(logged_id, new_upload_ids.get(url.path, logged_id))
                query_string = urlencode({**query, "uploadId": replayed_id})
            headers = [(k, v) for k, v in entry["headers"].items() if k.lower() not in DROPPED_HEADERS]
            try:
                response = client.open(
                    url.path,
                    base_url=f"{url.scheme}://{url.netloc}",
                    query_string=query_string,
                    method=entry["method"],
                    headers=headers,
                    data=body,
                )
            except Exception as error:  # moto raised instead of answering: the request is lost, not the state
                print(f"replay: {entry['method']} {url.path} failed: {error!r}", flush=True)
                refused += 1
                continue
            replayed += 1
            if entry["method"] == "POST" and "uploads" in query:
                match = re.search(rb"<UploadId>([^<]+)</UploadId>", response.get_data())
                if match:
                    new_upload_ids[url.path] = match.group(1).decode()
            # A request that failed the first time (a conditional put that lost) fails again.
            if response.status_code >= 400:
                refused += 1
            response.close()
    return replayed, refused


# S3 event notifications to a Lambda function: moto would invoke its own Lambda backend, which
# holds none of our functions (they run in the local runtime). The event goes instead to the
# function's internal queue on this emulator, which the runtime long-polls and invokes the
# function from — as Lambda queues an asynchronous invocation. The name rule is shared with
# localstack/runtime/triggers/s3.ts (lambdaNotificationQueue); the runtime creates the queue
# before it configures the bucket, so the queue and the configuration are in the request log.
# What a restart does with the events: below (send_notification_message).
LAMBDA_QUEUE_PREFIX = "s3-invoke-"


def lambda_notification_queue(function_arn: str) -> str:
    # arn:aws:lambda:region:account:function:name[:qualifier]
    return LAMBDA_QUEUE_PREFIX + function_arn.split(":")[6]


def queue_lambda_invocation(account_id: str, event_body, function_arn: str, region_name: str) -> None:
    s3_notifications._send_sqs_message(
        account_id, event_body, lambda_notification_queue(function_arn), region_name
    )


s3_notifications._invoke_awslambda = queue_lambda_invocation


# S3 notifications across a restart. moto sends an event from inside the request that wrote the
# object (send_event → _send_sqs_message, into the destination queue or, above, the function's
# internal queue); the message is no request, so the recorder's log does not hold it, and a
# replayed PutObject would send it again — every object written since the configuration was
# delivered once more after each restart. Instead the log holds the messages themselves: each
# one sent for a notification is logged as its own entry (RESTORED_MESSAGE_PATH: queue, message
# id, body) and each message deleted from any queue by its id (DELETED_MESSAGE_PATH);
# persistence.ts drops, when it compacts the log, the sent entries whose message was deleted,
# and the deletes. The replay sends no notification (PutObject, PutBucketNotificationConfiguration
# restore the object and the configuration only) and puts each logged message that was not
# deleted back in its queue with its id and body: an event not consumed before the restart (or
# in flight then) is delivered as it would have been — its eventTime the write's — and one that
# was consumed is not delivered again, as S3 does not send an event twice for a restart.
RESTORED_MESSAGE_PATH = "/_pipeline/notification-message"
DELETED_MESSAGE_PATH = "/_pipeline/deleted-message"
_replaying = False


def log_entry(path: str, record: dict) -> None:
    """Appends an entry of our own to the recorder's log, in its shape (persistence.ts splits on
    '{"headers": {'), in one write so a concurrent request's entry can't cut it."""
    if not recorder._user_enabled:
        return
    entry = {"headers": {}, "method": "POST", "url": f"http://emulator{path}", "body": json.dumps(record), "body_encoded": False}
    with open(recorder._location, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")


def send_notification_message(account_id: str, event_body, queue_name: str, region_name: str) -> None:
    try:
        message = sqs_models.sqs_backends[account_id][region_name].send_message(
            queue_name=queue_name, message_body=json.dumps(event_body)
        )
    except Exception:  # as moto: S3 sends asynchronously, a missing queue fails no PutObject
        return
    log_entry(RESTORED_MESSAGE_PATH, {"account": account_id, "region": region_name, "queue": queue_name, "id": message.id, "body": message.body})


def restore_message(record: dict) -> None:
    try:
        message = sqs_models.sqs_backends[record["account"]][record["region"]].send_message(
            queue_name=record["queue"], message_body=record["body"]
        )
    except Exception as error:  # the queue was deleted since: so was the message
        print(f"replay: message {record.get('id')} not restored to {record.get('queue')}: {error!r}", flush=True)
        return
    message.id = record["id"]  # its later delete is logged by this id


s3_notifications._send_sqs_message = send_notification_message

_moto_send_event = s3_notifications.send_event
_moto_send_test_event = s3_notifications.send_test_event


def send_event_unless_replaying(*args, **kwargs):
    if not _replaying:
        _moto_send_event(*args, **kwargs)


def send_test_event_unless_replaying(*args, **kwargs):
    if not _replaying:
        _moto_send_test_event(*args, **kwargs)


s3_notifications.send_event = send_event_unless_replaying
s3_notifications.send_test_event = send_test_event_unless_replaying

_moto_delete_message = sqs_models.Queue.delete_message


def delete_message_logged(queue, receipt_handle: str) -> None:
    deleted = [m.id for m in queue._messages if m.had_receipt_handle(receipt_handle)]
    _moto_delete_message(queue, receipt_handle)
    for message_id in deleted:
        log_entry(DELETED_MESSAGE_PATH, {"id": message_id})


sqs_models.Queue.delete_message = delete_message_logged


# moto's Query on a table's own key sorts every item of the table to pick those of one partition
# key (Table.all_items, then a filter): O(n log n) per Query, so the serving table's partition
# reads slowed with every voter claimed (1M-vote bench: one 10,000-vote batch a minute, moto at
# 100 % CPU). DynamoDB reads the one partition. Same answer here: while a base-table Query runs,
# all_items() of that table is that partition key's items (the query sorts them by range key
# itself); a Query on an index, and Scan, still read them all. Per thread: the server is threaded.
_query_scope = threading.local()
_moto_all_items = dynamodb_table.Table.all_items
_moto_query = dynamodb_table.Table.query


def all_items_in_query_scope(table):
    scoped = getattr(_query_scope, "partition", None)
    if scoped is not None and scoped[0] is table:
        return scoped[1]
    return _moto_all_items(table)


def query_one_partition(table, hash_key, *args, **kwargs):
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name is not None or hash_key is None:
        return _moto_query(table, hash_key, *args, **kwargs)
    group = table.items.get(hash_key)  # .get: items is a defaultdict
    if group is None:
        partition = []
    else:
        partition = list(group.values()) if table.range_key_attr else [group]
    _query_scope.partition = (table, partition)
    try:
        return _moto_query(table, hash_key, *args, **kwargs)
    finally:
        _query_scope.partition = None


dynamodb_table.Table.all_items = all_items_in_query_scope
dynamodb_table.Table.query = query_one_partition


# moto's S3 event lacks fields S3 sends (userIdentity, requestParameters, responseElements, the
# bucket's ownerIdentity, the object's sequencer) and encodes "/" in the key as %2F: a queue
# destination's consumer (load-raw on Snowflake, which checks the shape with Powertools' S3
# schema) would refuse it. Completed here as core/lake/s3-event.ts's objectCreatedEvent writes
# them (principal ids "local", sequencer "0"), the key encoded as S3 encodes it.
_moto_s3_event = s3_notifications._get_s3_event


def s3_shaped_event(event_name, bucket, key, notification_id):
    event = _moto_s3_event(event_name, bucket, key, notification_id)
    for record in event["Records"]:
        record.setdefault("userIdentity", {"principalId": "local"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": "local", "x-amz-id-2": "local"})
        record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "local"})
        record["s3"]["object"]["key"] = quote_plus(key.name, safe="/!'()*")
        record["s3"]["object"].setdefault("sequencer", "0")
    return event


s3_notifications._get_s3_event = s3_shaped_event


# Who may call this port. AWS's front door offline is the runtime's IAM gateway: it verifies
# the signature, judges IAM and forwards what it allowed with the services set's gateway secret
# (GATEWAY_HEADER; the secret is a 0600 file in the emulator's state dir, never logged: the
# header is taken out before moto, and its recorder, see the request). Besides the gateway only
# the operator calls here directly (the CLI, the tests' setup, the offline Snowflake,
# `aws --endpoint-url`), with the operator's key id; a request signed with any other key — a
# sandbox's session credentials that skipped AWS_ENDPOINT_URL — is refused as AWS refuses a key
# it does not know, in the service's protocol (as the gateway words it, gateway.ts AUTH_ERRORS),
# and an unsigned one as AWS refuses an unsigned request. Only the key id is compared, not the
# signature: the operator's own key on the operator's machine (the gateway verifies the rest).
import hmac  # noqa: E402
import uuid  # noqa: E402

GATEWAY_HEADER = "HTTP_X_PIPELINE_GATEWAY"
_QUERY_NAMESPACES = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
}
_INVALID_TOKEN = "The security token included in the request is invalid."
# kind → family → (status, code, message); the JSON family's code is also its __type.
_REFUSALS = {
    "unknown-key": {
        "s3": (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
        "query": (403, "InvalidClientTokenId", _INVALID_TOKEN),
        "json": (400, "UnrecognizedClientException", _INVALID_TOKEN),
    },
    "missing": {
        "s3": (403, "AccessDenied", "Access Denied"),
        "query": (403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
        "json": (400, "MissingAuthenticationTokenException", "Missing Authentication Token"),
    },
}


def signing_key_and_service(environ) -> tuple[str | None, str | None]:
    """The access key id and the service of the request's signature (SigV4 or SigV2, header or query)."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    match = re.search(r"Credential=([^/,\s]+)/[^/]+/(?:[^/]+/)?([^/]+)/aws4_request", authorization)
    if match:
        return match.group(1), match.group(2)
    match = re.match(r"AWS ([^:\s]+):", authorization)
    if match:
        return match.group(1), "s3"
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    credential = query.get("X-Amz-Credential", "").split("/")
    if len(credential) >= 4:
        return credential[0], credential[-2]
    if "AWSAccessKeyId" in query:
        return query["AWSAccessKeyId"], "s3"
    return None, None


def refuse_direct(environ, start_response, kind: str, service: str | None):
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if service is None:  # unsigned: the protocol tells the service apart
        service = "sqs" if (target or "").startswith("AmazonSQS") else "json" if target else "s3"
        if content_type.startswith("application/x-www-form-urlencoded"):
            service = "sns"
    rest_json = service in ("lambda", "kafka")
    family = (
        "s3" if service == "s3"
        else "json" if target or rest_json or content_type.startswith("application/x-amz-json")
        else "query"
    )
    request_id = str(uuid.uuid4())
    if family == "json":
        query_family = service in ("sqs", "sns", "sts")
        status, code, message = _REFUSALS[kind]["query" if query_family else "json"]
        json_code = _REFUSALS[kind]["json"][1]
        headers = [("Content-Type", content_type or "application/x-amz-json-1.0"), ("x-amzn-errortype", json_code), ("x-amzn-requestid", request_id)]
        if query_family:
            headers.append(("x-amzn-query-error", f"{code};Sender"))
        elif rest_json:
            status = 403
        body = json.dumps({"__type": f"com.amazon.coral.service#{json_code}", "message": message})
    else:
        status, code, message = _REFUSALS[kind][family]
        if family == "s3":
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>'
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        else:
            namespace = _QUERY_NAMESPACES.get(service, _QUERY_NAMESPACES["sqs"])
            body = f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>'
            headers = [("Content-Type", "text/xml"), ("x-amzn-requestid", request_id)]
    reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden"}
    start_response(f"{status} {reasons[status]}", headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body.encode()]


def gateway_or_operator_only(app, secret_file: str, operator_key_id: str):
    with open(secret_file, encoding="utf-8") as file:
        secret = file.read().strip()

    def wsgi(environ, start_response):
        presented = environ.pop(GATEWAY_HEADER, None)
        if presented is not None:
            if hmac.compare_digest(presented.encode(), secret.encode()):
                return app(environ, start_response)
            print(f"refused {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}: not this set's gateway secret", flush=True)
            key, service = signing_key_and_service(environ)
            return refuse_direct(environ, start_response, "unknown-key", service)
        key, service = signing_key_and_service(environ)
        if key is not None and hmac.compare_digest(key.encode(), operator_key_id.encode()):
            return app(environ, start_response)
        kind = "missing" if key is None else "unknown-key"
        who = "unsigned" if key is None else f"signed with {key}, not the operator's key"
        print(f"refused a direct {environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} ({service or 'unsigned'}): {who}; the runtime's roles call through its IAM gateway", flush=True)
        return refuse_direct(environ, start_response, kind, service)

    return wsgi


# What a request costs moto besides its work (py-spy of the emulator during the bench's real-time
# stage, 5,000 votes/s, ~100 % of a core): ~30 % serializing DynamoDB responses, ~15 % finding
# the backend, ~10 % the access log. The three patches below change no response.
# moto serializes a response member by member through botocore's model, looking each member up
# under several aliases (AttributePicker): every attribute value of every item is a structure of
# ten members (S, N, B, …, M, L) probed that way. moto holds an item's attribute values in the
# wire shape already, except binaries (bytes, base64 on the wire), so an AttributeValue is
# written here as the model would write it: strings as strings, binaries in base64, M and L
# member by member, absent members left out.
def _base64_text(value) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).strip().decode()


def attribute_value_on_the_wire(value: dict) -> dict:
    wire = {}
    for kind, member in value.items():
        if member is None:
            continue
        if kind in ("S", "N"):
            wire[kind] = member if member in ({}, []) else str(member)
        elif kind in ("SS", "NS"):
            wire[kind] = [str(element) for element in member]
        elif kind == "B":
            wire[kind] = _base64_text(member)
        elif kind == "BS":
            wire[kind] = [_base64_text(element) for element in member]
        elif kind == "M":
            wire[kind] = {name: attribute_value_on_the_wire(inner) for name, inner in member.items()}
        elif kind == "L":
            wire[kind] = [attribute_value_on_the_wire(inner) for inner in member]
        else:  # BOOL, NULL
            wire[kind] = member
    return wire


_moto_serialize_structure = moto_serialize.BaseJSONSerializer._serialize_type_structure


def serialize_structure(self, serialized, value, shape, key):
    if key and shape.name == "AttributeValue" and isinstance(value, dict):
        serialized[key] = attribute_value_on_the_wire(value)
        return
    _moto_serialize_structure(self, serialized, value, shape, key)


moto_serialize.BaseJSONSerializer._serialize_type_structure = serialize_structure


# moto finds the backend of a request's host by listing its own package directory (a stat of
# each of ~200 service folders) and then matching every service's URL patterns — on every
# request. The answer depends on the host alone.
_moto_backend_for_host = werkzeug_app.DomainDispatcherApplication.get_backend_for_host
_backend_of_host: dict = {}


def backend_for_host(self, host):
    if host not in _backend_of_host:
        _backend_of_host[host] = _moto_backend_for_host(self, host)
    return _backend_of_host[host]


werkzeug_app.DomainDispatcherApplication.get_backend_for_host = backend_for_host

# moto checks DynamoDB's item size limit (LimitedSizeDict) by summing the sizes of all the
# attributes already set at each attribute it sets: an item of n attributes costs n² size
# computations, a fifth of a BatchWriteItem of claims. A new item's attributes are set unchecked
# but the last, whose check (the same one) then covers the whole item: same limit, same error.
def item_init(self, hash_key, range_key, attrs):
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = dynamo_type.LimitedSizeDict()
    entries = list(attrs.items())
    for key, value in entries[:-1]:
        dict.__setitem__(self.attrs, key, dynamo_type.DynamoType(value))
    for key, value in entries[-1:]:
        self.attrs[key] = dynamo_type.DynamoType(value)


dynamo_type.Item.__init__ = item_init

# One line per request (werkzeug's access log, under a lock) is a tenth of the emulator's time
# under load; the recorder's log holds the requests that change state, and refusals are printed.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


HEALTH_PATH = "/_pipeline/health"


_dynamodb_lock = threading.Lock()


def dynamodb_one_at_a_time(app):
    """DynamoDB applies each request atomically: of two conditional UpdateItems on one item,
    the second sees the first's write. moto serves requests on threads and checks a condition
    and writes the item with no lock of its own, so under load (a thread switch between the
    check and the write) both can pass. The aggregate's vote release depends on exactly one
    passing (core/realtime/voter-claims.ts): DynamoDB requests are served one at a time, the
    response read in full inside the lock."""

    def wsgi(environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return app(environ, start_response)
        with _dynamodb_lock:
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close:
                    close()

    return wsgi


def with_health(app):
    """Answers HEALTH_PATH itself: moto's own pages (data.json) dump the whole state, whose cost
    grows with it (a million voter claims make a health check time out)."""

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return app(environ, start_response)

    return wsgi


def main() -> None:
    global _replaying
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--replay", help="the recorder's log to restore the state from")
    parser.add_argument("--gateway-secret-file", required=True, help="the gateway secret's file (gateway_or_operator_only)")
    parser.add_argument("--operator-key-id", required=True, help="the operator's access key id")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    if args.replay and os.path.exists(args.replay):
        recording = recorder._user_enabled
        recorder._user_enabled = False  # the log holds these requests already
        _replaying = True  # and the messages their notifications sent (above)
        replayed, refused = replay(app, args.replay)
        _replaying = False
        recorder._user_enabled = recording
        print(f"restored the state: {replayed} requests replayed from {args.replay} ({refused} refused, as before)", flush=True)

    served = gateway_or_operator_only(app, args.gateway_secret_file, args.operator_key_id)
    run_simple(args.host, args.port, with_health(dynamodb_one_at_a_time(served)), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
