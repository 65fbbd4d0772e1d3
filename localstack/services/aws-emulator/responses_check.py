"""
DynamoDB's answers from moto as it ships ("plain") or with serve.py's patches ("patched"), for
one fixed set of requests covering every attribute type and every item-returning operation.
test/integration/emulator-responses.test.ts runs both and requires the same answers: serve.py
writes attribute values and finds backends its own way for speed, and must change no response.

Usage: python responses_check.py plain|patched  → one JSON line per request: [op, status, body]
"""

import base64
import json
import os
import sys

from werkzeug.test import Client

mode = sys.argv[1]
if mode == "patched":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import serve  # noqa: F401  (its patches apply on import)
elif mode != "plain":
    sys.exit(f"usage: {sys.argv[0]} plain|patched")

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402

client = Client(DomainDispatcherApplication(create_backend_app))
AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=LOCALCHECK/20261202/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"


def call(operation: str, body: dict) -> list:
    response = client.post(
        "/",
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": AUTHORIZATION,
        },
        data=json.dumps(body),
    )
    return [operation, response.status_code, response.get_data(as_text=True)]


binary = base64.b64encode(b"\x00\x01binary").decode()
item = {
    "pk": {"S": "a"}, "sk": {"S": "b"}, "n": {"N": "12.50"}, "b": {"B": binary},
    "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [binary]},
    "m": {"M": {"inner": {"L": [{"S": "q"}, {"N": "3"}, {"NULL": True}, {"BOOL": False}, {"M": {}}]}}},
    "l": {"L": []}, "null": {"NULL": True}, "t": {"BOOL": True}, "empty": {"S": ""},
}
key = lambda sk: {"pk": {"S": "a"}, "sk": {"S": sk}}  # noqa: E731
partition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}
requests = [
    ("CreateTable", {
        "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
    }),
    ("PutItem", {"TableName": "t", "Item": item}),
    ("PutItem", {"TableName": "t", "Item": {**item, "sk": {"S": "c"}}, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"}),
    ("PutItem", {"TableName": "t", "Item": {**item, "sk": {"S": "c"}}, "ReturnValues": "ALL_OLD"}),
    ("GetItem", {"TableName": "t", "Key": key("b")}),
    ("GetItem", {"TableName": "t", "Key": key("missing")}),
    ("GetItem", {"TableName": "t", "Key": key("b"), "ProjectionExpression": "m.inner, n", "ReturnConsumedCapacity": "TOTAL"}),
    ("BatchGetItem", {"RequestItems": {"t": {"Keys": [key("b"), key("c"), key("missing")]}}}),
    ("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": {**item, "sk": {"S": "d"}}}}, {"DeleteRequest": {"Key": key("c")}}]}}),
    ("UpdateItem", {
        "TableName": "t", "Key": key("b"), "UpdateExpression": "SET n = n + :one, added = :m",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":m": {"M": {"k": {"BS": [binary]}}}}, "ReturnValues": "ALL_NEW",
    }),
    ("UpdateItem", {
        "TableName": "t", "Key": key("b"), "UpdateExpression": "SET n = :one", "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }),
    ("UpdateItem", {"TableName": "t", "Key": key("b"), "UpdateExpression": "SET n = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_OLD"}),
    ("Query", {"TableName": "t", **partition, "Limit": 1}),
    ("Query", {"TableName": "t", **partition, "ReturnConsumedCapacity": "TOTAL", "ScanIndexForward": False}),
    ("Scan", {"TableName": "t"}),
    ("DeleteItem", {"TableName": "t", "Key": key("d"), "ReturnValues": "ALL_OLD"}),
    ("DescribeTable", {"TableName": "t"}),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "t", "Item": {**item, "sk": {"S": "e"}}}}]}),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "t", "Key": key("e")}}]}),
    ("GetItem", {"TableName": "missing-table", "Key": key("b")}),
    # Over DynamoDB's 400 KB item limit, by its last attribute and by an earlier one.
    ("PutItem", {"TableName": "t", "Item": {**key("big"), "small": {"S": "x"}, "large": {"S": "x" * 410_000}}}),
    ("PutItem", {"TableName": "t", "Item": {**key("big"), "large": {"S": "x" * 410_000}, "small": {"S": "x"}}}),
    ("PutItem", {"TableName": "t", "Item": {**key("big"), "near": {"S": "x" * 399_000}}}),
]
for operation, body in requests:
    print(json.dumps(call(operation, body)), flush=True)
