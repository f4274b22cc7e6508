"""Seeds a moto account with bench functions, for bench/peers/custodian.sh.

Usage: python3 sweep_seed.py ENDPOINT N

Creates functions bench-00000 .. bench-{N-1} that do not exist yet (so a second call with a
larger N adds to the first), all with one execution role, python3.12, and by i % 10:

  0      public: AddPermission principal "*"                          (LW001; Custodian too)
  1      S3 grant, SourceArn of a bucket, no SourceAccount             (LW002 only)
  2      SNS grant, no SourceArn, no SourceAccount                     (LW002 only)
  3      cross-account: principal 999999999999                          (LW003; Custodian too)
  4      S3 grant pinned with SourceArn and SourceAccount              (compliant grant)
  5..9   no resource policy, active tracing and an on-failure destination (an SQS queue):
         compliant under every default rule (half the functions)

Functions 0..4 keep the defaults (tracing PassThrough, no failure destination). No function
has environment variables. The failure destination is the event invoke configuration's
OnFailure, not a dead-letter queue (moto 5.2.1 itself drops DeadLetterConfig and KMSKeyArn;
tests/moto/launch.py keeps DeadLetterConfig, but the seed does not rely on it).
The role trusts lambda.amazonaws.com pinned to the account and has one customer managed policy
with AWSLambdaBasicExecutionRole's document (moto is started without AWS managed policies).
Prints the expected verdicts as JSON: {"public": [...], "s3": [...], ...}.

Needs boto3 (a dependency of moto).
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"
FOREIGN = "999999999999"
ROLE = "bench-function-role"
POLICY = "AWSLambdaBasicExecutionRole"
BASIC_EXECUTION = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }],
}
# The smallest valid zip archive (an end-of-central-directory record); moto never runs it.
EMPTY_ZIP = b"PK\x05\x06" + b"\0" * 18
KINDS = ["public", "s3", "sns", "cross_account", "pinned_s3"] + ["compliant"] * 5


def name(i):
    return f"bench-{i:05d}"


def main():
    endpoint, n = sys.argv[1], int(sys.argv[2])
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    cfg = Config(max_pool_connections=16, retries={"max_attempts": 5})
    client = lambda service: session.client(service, endpoint_url=endpoint, config=cfg)
    iam, lam = client("iam"), client("lambda")

    roles = {r["RoleName"]: r["Arn"] for r in iam.list_roles()["Roles"]}
    if ROLE in roles:
        role = roles[ROLE]
    else:
        role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        policy = iam.create_policy(PolicyName=POLICY, Path="/service-role/",
                                   PolicyDocument=json.dumps(BASIC_EXECUTION))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy)
    queue = client("sqs").create_queue(QueueName="bench-dead-letters")["QueueUrl"]
    queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    existing = set()
    for page in lam.get_paginator("list_functions").paginate():
        existing.update(f["FunctionName"] for f in page["Functions"])

    def grant(fn, sid, principal, **extra):
        lam.add_permission(FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction",
                           Principal=principal, **extra)

    def create(i):
        fn, kind = name(i), KINDS[i % 10]
        if fn in existing:
            return
        extra = {"TracingConfig": {"Mode": "Active"}} if kind == "compliant" else {}
        lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="index.handler",
                            Code={"ZipFile": EMPTY_ZIP}, **extra)
        if kind == "compliant":
            lam.put_function_event_invoke_config(
                FunctionName=fn, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
        bucket = f"arn:aws:s3:::bench-uploads-{i:05d}"
        if kind == "public":
            grant(fn, "open", "*")
        elif kind == "s3":
            grant(fn, "s3-invoke", "s3.amazonaws.com", SourceArn=bucket)
        elif kind == "sns":
            grant(fn, "sns-invoke", "sns.amazonaws.com")
        elif kind == "cross_account":
            grant(fn, "partner", FOREIGN)
        elif kind == "pinned_s3":
            grant(fn, "s3-invoke", "s3.amazonaws.com", SourceArn=bucket, SourceAccount=ACCOUNT)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(n)))

    expected = {}
    for i in range(n):
        expected.setdefault(KINDS[i % 10], []).append(name(i))
    json.dump(expected, sys.stdout)
    print()


if __name__ == "__main__":
    main()
