"""
moto's server with its state restored before the port opens.

moto keeps everything in memory. Its recorder (MOTO_ENABLE_RECORDING) logs each request it
serves; on start we replay the log's entries into the app in-process, and only then listen,
so no client ever meets a half-restored emulator, and no live request races the replay.
persistence.ts compacts the log to the state-changing entries before this starts.

Usage: python serve.py -H HOST -p PORT [--replay LOG]; GET /_pipeline/health answers once it listens.
"""

import argparse
import base64
import json
import os
import re
import signal
import sys
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from werkzeug.serving import run_simple
from werkzeug.test import Client

from moto.moto_api import recorder
from moto.s3 import notifications as s3_notifications
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
# before it configures the bucket, so the queue and the configuration are in the request log
# and a replayed PutObject notifies again after a restart.
LAMBDA_QUEUE_PREFIX = "s3-invoke-"


def lambda_notification_queue(function_arn: str) -> str:
    # arn:aws:lambda:region:account:function:name[:qualifier]
    return LAMBDA_QUEUE_PREFIX + function_arn.split(":")[6]


def queue_lambda_invocation(account_id: str, event_body, function_arn: str, region_name: str) -> None:
    s3_notifications._send_sqs_message(
        account_id, event_body, lambda_notification_queue(function_arn), region_name
    )


s3_notifications._invoke_awslambda = queue_lambda_invocation


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


HEALTH_PATH = "/_pipeline/health"


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
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--replay", help="the recorder's log to restore the state from")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    if args.replay and os.path.exists(args.replay):
        recording = recorder._user_enabled
        recorder._user_enabled = False  # the log holds these requests already
        replayed, refused = replay(app, args.replay)
        recorder._user_enabled = recording
        print(f"restored the state: {replayed} requests replayed from {args.replay} ({refused} refused, as before)", flush=True)

    run_simple(args.host, args.port, with_health(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
