"""Runs SQL statements against a Snowflake endpoint (in the tests: fakesnow's server).

stdin: JSON list of {"sql": str, "params": list | null}; each runs in order, with the
connector's client-side %s binding. stdout: JSON rows of the last statement.
Connection: SNOWFLAKE_HOST, SNOWFLAKE_PORT, SNOWFLAKE_PROTOCOL, SNOWFLAKE_DATABASE.
"""

import json
import os
import sys

import snowflake.connector


def main() -> int:
    statements = json.load(sys.stdin)
    connection = snowflake.connector.connect(
        account="fakesnow",
        user="test",
        password="test",
        host=os.environ["SNOWFLAKE_HOST"],
        port=int(os.environ["SNOWFLAKE_PORT"]),
        protocol=os.environ.get("SNOWFLAKE_PROTOCOL", "http"),
        database=os.environ.get("SNOWFLAKE_DATABASE", "PIPELINE"),
        # A failing statement makes fakesnow answer 500, which the connector retries: give up.
        network_timeout=60,
    )
    rows: list = []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement["sql"], statement.get("params"))
            rows = cursor.fetchall() if cursor.description else []
    json.dump(rows, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
