"""Uploads dbt's run_results.json and manifest.json to S3 for the Step Functions quality gate.

usage: upload_artifacts.py TARGET_DIR BUCKET PREFIX

AWS_ENDPOINT_URL (the offline emulator) is honoured by boto3 itself; with an endpoint set,
path-style addressing is used. boto3 comes with dbt-snowflake's connector, from requirements.txt.
"""

import os
import sys

import boto3
from botocore.config import Config

ARTIFACTS = ("run_results.json", "manifest.json")


def main(target_dir: str, bucket: str, prefix: str) -> int:
    config = Config(s3={"addressing_style": "path"}) if os.environ.get("AWS_ENDPOINT_URL") else None
    s3 = boto3.client("s3", config=config)
    for name in ARTIFACTS:
        path = os.path.join(target_dir, name)
        if not os.path.exists(path):
            # dbt stops before writing them when it cannot even parse: say so, dbt's code tells the rest.
            print(f"upload_artifacts: {path} does not exist, skipped", file=sys.stderr)
            continue
        s3.upload_file(path, bucket, prefix + name, ExtraArgs={"ContentType": "application/json"})
        print(f"upload_artifacts: s3://{bucket}/{prefix}{name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
