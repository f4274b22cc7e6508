#!/usr/bin/env bash
# lambda-warden scan against Cloud Custodian (c7n) on the same moto account, side by side.
#
# Custodian runs in its own virtual environment (target/peers/custodian). moto is started by
# tests/moto/launch.py on a free port of 127.0.0.1 (no added latency) and seeded by
# bench/peers/sweep_seed.py with N functions sharing one role (a customer managed policy with
# AWSLambdaBasicExecutionRole's document: moto runs without AWS managed policies). By i % 10:
# 0 public (principal "*"), 1 unpinned S3 (SourceArn of a bucket, no SourceAccount),
# 2 unpinned SNS, 3 cross-account (principal 999999999999), 4 an S3 grant pinned with
# SourceAccount, 5-9 no grant, active tracing and an on-failure destination (compliant).
# Both tools reach moto through bench/peers/proxy.py, which adds LATENCY_MS (default 20) to
# every answer, like a round trip to AWS, and counts the requests of each run per operation.
# Both get the same environment: AWS_ENDPOINT_URL (the proxy; boto3 >= 1.28 and the Rust SDK
# honour it, and the proxy's counts show every request arriving), region us-east-1, test keys.
#
# Runs, each RUNS times (default 5) per N, the two tools alternating which goes first:
#   a) resource-policy sweep: lambda-warden scan --rules LW001,LW002,LW003 --format json
#      (a lambda-warden without --rules: every other rule disabled with --disable-rule, but
#      LW006, which cannot be) against custodian run with one aws.lambda policy, filter
#      cross-account;
#   b) full coverage: lambda-warden scan with its default rules against one custodian run of
#      the policy set below;
#   c) agreement: the functions Custodian's cross-account flags against those LW001 or LW003
#      flag, both against the seeded truth; LW002 (confused deputy) is lambda-warden's only:
#      Custodian's cross-account skips service principals whatever their conditions.
# Reported: median and min-max wall time, CPU time and peak RSS (rusage of each run's
# process), API calls per function and per operation, the paired ratio lambda-warden /
# Custodian of every run pair, and a markdown table. Custodian runs with --cache-period 0.
#
# The policy set of b), per lambda-warden default rule:
#   LW001 public-invoke, LW003 untrusted-cross-account   aws.lambda cross-account
#   LW004 public-function-url       aws.lambda url-config AuthType NONE
#   LW005 function-url-cors-wildcard aws.lambda url-config Cors.AllowOrigins contains "*"
#   LW008 environment-not-encrypted-with-cmk  aws.lambda Environment.Variables present and
#                                   KMSKeyArn absent
#   LW009 deprecated-runtime        aws.lambda Runtime in the runtimes lambda-warden's table
#                                   (shared/rules/src/rules/runtimes.rs) deprecates by today
#                                   + 90 days (its default warning window); fixed list
#   LW010 tracing-disabled          aws.lambda TracingConfig.Mode ne Active
#   LW011 no-failure-destination    aws.lambda DeadLetterConfig.TargetArn absent (Custodian
#                                   does not read the event invoke configuration: an
#                                   on-failure destination does not count)
#   LW015 vpc-single-az             aws.lambda VpcConfig.SubnetIds of size 1 (subnets, not
#                                   Availability Zones: an approximation)
#   LW016 untrusted-layer-account   aws.lambda a layer ARN outside {region}:{account_id}
#                                   (no list of trusted publishers)
#   LW018 public-layer-version      aws.lambda-layer cross-account everyone_only
#   LW019 execution-role-admin-access  aws.lambda has-specific-managed-policy
#                                   AdministratorAccess (attached managed policies by name;
#                                   inline and customer policies granting "*" are not seen)
#   LW023 execution-role-untrusted-trust  aws.iam-role cross-account (every role's trust
#                                   policy, not only execution roles)
# No Custodian equivalent: LW002 confused-deputy (service principals are skipped),
# LW006 unverified-state, LW007 secrets-in-environment (no secret detector), LW020-LW022
# (service wildcard, PassRole wildcard, escalation: Custodian's check-permissions needs the
# IAM policy simulator, which moto does not implement), LW024 trust without source account,
# LW025 unapproved exemption. LW012-LW014 are off by default and LW017 reports nothing
# without WARDEN_REQUIRED_TAGS, so neither side runs them.
#
# moto answers from one Python process on this machine: with both tools, moto and the proxy
# sharing the cores, absolute times say more about moto than about AWS. Compare the ratios
# and the calls.
#
# Usage: bench/peers/custodian.sh [N...]   (default 250 500 1000)
# Environment: RUNS (5), LATENCY_MS (20), C7N_VERSION (0.9.53), LW_PROFILE (dev: the work is
# waiting on moto, and the release profile rebuilds the AWS SDK for minutes; release also
# works), LW_BIN (a lambda-warden binary to use instead of building one), KEEP_WORK (keep the
# run files and print where).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/python-deps.sh
version=${C7N_VERSION:-0.9.53}
venv=target/peers/custodian
peer_setup "$venv" "$version"
if [ -z "${LW_BIN:-}" ]; then
  profile=${LW_PROFILE:-dev}
  cargo build --profile "$profile" -p lambda-warden
  LW_BIN=target/$([ "$profile" = dev ] && echo debug || echo "$profile")/lambda-warden
fi
if [ "$#" -eq 0 ]; then set -- 250 500 1000; fi
python3 bench/peers/custodian_bench.py "$LW_BIN" "$venv/bin/custodian" "$@"
