"""The offline Snowflake: fakesnow's server, with what our clients need and fakesnow 0.12.1 lacks.

- Answers snowflake-sdk for Node with Snowflake's JSON rowsets. fakesnow answers queries with
  Arrow rowsets the Node SDK cannot read, and leaves out `returned` and `version`, without
  which the SDK never calls back (tekumara/fakesnow#313 adds them upstream). The Python
  connector (dbt) keeps fakesnow's own Arrow answers.
- Creates `TEMPORARY` tables as transient ones: DuckDB keeps temporary tables in its `temp`
  catalog, so dbt's `<db>.<schema>.<name>__dbt_tmp` (incremental runs, unit tests) fails.
- COPY INTO from JSON files with a transformation (`$1:path`, `metadata$filename`), which
  fakesnow only knows for CSV and Parquet columns; files of an `s3://` stage are read from the
  AWS emulator (`AWS_ENDPOINT_URL`), fetched into the state dir for the length of the COPY
  (DuckDB's httpfs has no offline build for the DuckDB fakesnow needs), and the lake's `dt=…/hr=…` folders are not
  taken for hive partitions.
- Runs one statement at a time per session: fakesnow's cursors of one session share one
  DuckDB cursor, so statements sent concurrently on one connection (the dashboard API does)
  read each other's results.
- Keeps its databases in files under the state dir, so they survive a restart.

Usage: python serve.py --host 127.0.0.1 --port 4567 --data <dir>
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import decimal
import gzip
import json
import os
import re
import shutil
import tempfile
import threading
from urllib.parse import urlparse

import boto3
import pyarrow as pa
import uvicorn
from sqlglot import exp

import fakesnow.copy_into as copy_into
import fakesnow.cursor as cursor
import fakesnow.server as server
from fakesnow.instance import FakeSnow

QUERY_PATH = "/queries/v1/query-request"
TEMPORARY_TABLE = re.compile(
    r"^(\s*create\s+(?:or\s+replace\s+)?)(?:local\s+|global\s+)?temp(?:orary)?(\s+table\b)", re.I
)

# ---------------------------------------------------------------------------------------------
# Answers: Arrow rowsets → Snowflake JSON rowsets (each value a string, as Snowflake sends them)


def json_cell(value: object, column: dict) -> str | None:
    if value is None:
        return None
    kind = column["type"].upper()
    if kind.startswith("TIMESTAMP"):
        # fakesnow's Arrow struct {epoch, fraction[, timezone]}; JSON: "<seconds>.<9 digits>[ <tz>]"
        seconds = decimal.Decimal(value["epoch"]) + decimal.Decimal(value["fraction"]) / 10**9
        text = f"{seconds:.9f}"
        return f"{text} {value['timezone']}" if kind == "TIMESTAMP_TZ" and "timezone" in value else text
    if kind == "DATE":
        return str((value - datetime.date(1970, 1, 1)).days)
    if kind == "TIME":
        return f"{decimal.Decimal(value) / 10**9:.9f}"
    if kind == "BOOLEAN":
        return "1" if value else "0"
    if kind == "BINARY":
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def json_rowset(rowset_base64: str, rowtype: list[dict]) -> list[list[str | None]]:
    if not rowset_base64:
        return []
    table = pa.ipc.open_stream(base64.b64decode(rowset_base64)).read_all()
    columns = [c.to_pylist() for c in table.columns]
    return [[json_cell(v, rowtype[i]) for i, v in enumerate(row)] for row in zip(*columns)]


def as_json_answer(body: bytes, arrow_ok: bool) -> bytes:
    answer = json.loads(body)
    data = answer.get("data")
    if not answer.get("success") or not isinstance(data, dict) or "rowtype" not in data:
        return body
    if data.get("queryResultFormat") == "arrow" and not arrow_ok:
        data["rowset"] = json_rowset(data.pop("rowsetBase64", ""), data["rowtype"])
        data["queryResultFormat"] = "json"
    if "rowset" in data:
        data.setdefault("returned", len(data["rowset"]))
    data.setdefault("version", 1)
    return json.dumps(answer).encode()


def with_snowflake_answers(app):
    """ASGI middleware over fakesnow's app, for query requests only."""
    sessions: dict[bytes, asyncio.Lock] = {}

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != QUERY_PATH:
            return await app(scope, receive, send)
        headers = dict(scope["headers"])
        async with sessions.setdefault(headers.get(b"authorization", b""), asyncio.Lock()):
            await answer(scope, headers, receive, send)

    async def answer(scope, headers, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if headers.get(b"content-encoding") == b"gzip":
            body = gzip.decompress(body)
        request = json.loads(body)
        request["sqlText"] = TEMPORARY_TABLE.sub(r"\1transient\2", request.get("sqlText", ""))
        body = json.dumps(request).encode()
        headers.pop(b"content-encoding", None)
        headers[b"content-length"] = str(len(body)).encode()
        # The Python connector reads Arrow; every other client gets JSON, as from Snowflake.
        arrow_ok = headers.get(b"user-agent", b"").startswith(b"PythonConnector")

        sent = False

        async def receive_once():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: dict = {}
        chunks: list[bytes] = []

        async def send_answer(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            out = as_json_answer(b"".join(chunks), arrow_ok)
            response_headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            response_headers.append((b"content-length", str(len(out)).encode()))
            await send({**start, "headers": response_headers})
            await send({"type": "http.response.body", "body": out})

        await app({**scope, "headers": list(headers.items())}, receive_once, send_answer)

    return wrapped


# ---------------------------------------------------------------------------------------------
# COPY INTO: JSON files with a transformation, from an s3:// stage in the AWS emulator

_copy = threading.local()
_original_stage_url = copy_into.stage_url_from_var
_original_inserts = copy_into._inserts
_original_copy = cursor.copy_into
STAGE_FILES = os.path.join(os.getcwd(), "stage-files")


def stage_url_from_var(*args, **kwargs):
    _copy.stage_url = _original_stage_url(*args, **kwargs)
    return _copy.stage_url


def copy_with_fetched_files(*args, **kwargs):
    """One COPY, with a directory of its own for the files it fetches, removed after it."""
    os.makedirs(STAGE_FILES, exist_ok=True)
    _copy.files = tempfile.mkdtemp(dir=STAGE_FILES)
    try:
        return _original_copy(*args, **kwargs)
    finally:
        shutil.rmtree(_copy.files, ignore_errors=True)


def local_file(url: str) -> str:
    """An s3:// file fetched from the emulator for the running COPY."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return parsed.path
    if parsed.scheme != "s3":
        return url
    path = os.path.join(_copy.files, parsed.netloc, parsed.path.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    s3.download_file(parsed.netloc, parsed.path.lstrip("/"), path)
    return path


def inserts(expr, params, urls, parquet_info=None):
    source = expr.args["files"][0]
    if not isinstance(params.file_format, copy_into.ReadJSON) or not isinstance(source, exp.Subquery):
        return _original_inserts(expr, params, urls, parquet_info)
    stage_url = getattr(_copy, "stage_url", "").rstrip("/") + "/"
    result = []
    for url in urls:
        select = source.this.copy()
        # $1 is the file's JSON object: read_json_objects names it "json".
        for parameter in list(select.find_all(exp.Parameter)):
            if parameter.this.name == "1":
                parameter.replace(exp.column("json"))
        # METADATA$FILENAME: the file's path relative to the stage, as Snowflake gives it.
        name = url[len(stage_url) :] if url.startswith(stage_url) else urlparse(url).path.lstrip("/")
        for column in list(select.find_all(exp.Column)):
            if column.name.upper() == "METADATA$FILENAME":
                column.replace(exp.Literal.string(name))
        read = exp.func(
            "read_json_objects",
            exp.Literal.string(local_file(url)),
            exp.EQ(this=exp.var("format"), expression=exp.Literal.string("newline_delimited")),
            exp.EQ(this=exp.var("hive_partitioning"), expression=exp.false()),
        )
        result.append(
            exp.Insert(this=expr.this, expression=select.from_(exp.Table(this=read), copy=False), by_name=False)
        )
    return result


copy_into.stage_url_from_var = stage_url_from_var
copy_into._inserts = inserts
cursor.copy_into = copy_with_fetched_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True, help="directory of the databases' files")
    args = parser.parse_args()
    os.makedirs(args.data, exist_ok=True)
    server.shared_fs = FakeSnow(db_path=args.data)
    uvicorn.run(with_snowflake_answers(server.app), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
