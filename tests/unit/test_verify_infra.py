"""Verifiers on real boto3 responses from moto's in-process ``mock_aws`` (offline, fast).

Each control is tested both ways: the resource built without it fails the check, with it passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from runbook_lib.errors import ParamsError
from runbook_lib.infra.verify import (
    FAILED,
    NOT_VERIFIED,
    OK,
    VERIFIERS,
    WAIVED,
    Outcome,
    StackVerification,
    VerifyContext,
    broad_statements,
    is_tls_only_deny,
    public_statements,
    verifier_for,
    verify_state,
    waivers_from_tfvars,
)
from runbook_lib.terraform.state import StateResource, TfState
from runbook_lib.terraform.tfvars import read_tfvars

pytestmark = pytest.mark.unit

REGION = "eu-west-1"


@pytest.fixture()
def aws(monkeypatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def _res(rtype: str, label: str, **values: Any) -> StateResource:
    return StateResource(f"{rtype}.{label}", "managed", rtype, label, "(root)", None, "aws", values)


def _verify(client, *resources: StateResource, waivers=None, **kwargs) -> StackVerification:
    return verify_state(
        TfState("1.11.4", tuple(resources)),
        stack="t",
        client_factory=client,
        waivers=waivers,
        workers=1,
        **kwargs,
    )


def _status(report: StackVerification, check: str) -> str:
    found = [r.status for r in report.results if r.check == check]
    assert len(found) == 1, f"{check}: {found} in {[(r.check, r.status) for r in report.results]}"
    return found[0]


def _by_address(report: StackVerification, *checks: str) -> dict[str, tuple[str | None, ...]]:
    """Each resource's status for ``checks``, in that order (None where it has no such check): one row a resource."""
    status = {(r.address, r.check): r.status for r in report.results}
    return {a: tuple(status.get((a, c)) for c in checks) for a in dict.fromkeys(r.address for r in report.results)}


# ---------------------------------------------------------------------------------------- S3
def _secure_bucket(s3, name: str, key_arn: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]
        },
    )
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(
        Bucket=name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )


def test_bucket_without_controls_fails_every_check(aws) -> None:
    aws("s3").create_bucket(Bucket="plain", CreateBucketConfiguration={"LocationConstraint": REGION})
    report = _verify(aws, _res("aws_s3_bucket", "plain", bucket="plain"))
    for check in ("s3.versioning", "s3.encryption", "s3.public_access_block", "s3.tls_only_policy"):
        assert _status(report, check) == FAILED
    assert report.counts()["failed"] == 1 and report.counts()["verified_ok"] == 0
    assert not report.ok


def test_bucket_with_controls_passes(aws) -> None:
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    _secure_bucket(aws("s3"), "locked", key)
    report = _verify(aws, _res("aws_s3_bucket", "locked", bucket="locked"))
    assert {r.check: r.status for r in report.results} == {
        "exists": OK,
        "s3.versioning": OK,
        "s3.encryption": OK,
        "s3.public_access_block": OK,
        "s3.tls_only_policy": OK,
        "s3.no_public_policy": OK,
    }
    assert report.counts()["verified_ok"] == 1 and report.ok


def test_sse_s3_passes_only_where_the_module_chose_it(aws) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="access-logs-b", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket="access-logs-b",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    bucket = _res("aws_s3_bucket", "logs", bucket="access-logs-b")
    assert _status(_verify(aws, bucket), "s3.encryption") == FAILED
    sse = _res(
        "aws_s3_bucket_server_side_encryption_configuration",
        "logs",
        bucket="access-logs-b",
        rule=[{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}],
    )
    report = _verify(aws, bucket, sse)
    assert _status(report, "s3.encryption") == OK
    assert _status(report, "matches state: algorithm") == OK


def test_a_waived_check_is_not_a_failure_and_says_why(aws) -> None:
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    _secure_bucket(aws("s3"), "nopolicy", key)
    aws("s3").delete_bucket_policy(Bucket="nopolicy")
    waivers = {"s3.tls_only_policy": "sandbox.tfvars: enable_tls_only_policy = false (moto ignores the condition)"}
    report = _verify(aws, _res("aws_s3_bucket", "nopolicy", bucket="nopolicy"), waivers=waivers)
    row = next(r for r in report.results if r.check == "s3.tls_only_policy")
    assert (row.status, row.ok) == (WAIVED, None)
    assert "moto ignores the condition" in row.detail
    assert report.verified_ok == 1 and report.counts()["checks_waived"] == 1


def test_missing_resource_fails_exists(aws) -> None:
    report = _verify(aws, _res("aws_s3_bucket", "gone", bucket="gone-bucket"))
    assert report.results[0].check == "exists" and report.results[0].status == FAILED
    assert "missing" in report.results[0].actual


# ---------------------------------------------------------------------------------------- IAM
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _role_with_policy(iam, name: str, statement: dict) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName=name,
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def test_star_on_star_fails_least_privilege(aws) -> None:
    _role_with_policy(aws("iam"), "admin", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    report = _verify(
        aws,
        _res("aws_iam_role", "admin", name="admin"),
        _res("aws_iam_role_policy", "admin", role="admin", name="inline", policy=policy),
    )
    assert [r.status for r in report.results if r.check == "iam.least_privilege"] == [FAILED, FAILED]
    assert _status(report, "matches state") == OK


def test_scoped_policy_passes_and_service_star_on_star_fails(aws) -> None:
    iam = aws("iam")
    _role_with_policy(iam, "reader", {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"})
    _role_with_policy(iam, "s3admin", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    report = _verify(
        aws, _res("aws_iam_role", "reader", name="reader"), _res("aws_iam_role", "s3admin", name="s3admin")
    )
    by_role = {r.address: r.status for r in report.results if r.check == "iam.least_privilege"}
    assert by_role == {"aws_iam_role.reader": OK, "aws_iam_role.s3admin": FAILED}


def test_attached_managed_policy_is_read_and_judged(aws) -> None:
    iam = aws("iam")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    arn = iam.create_policy(
        PolicyName="power",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="deploy", PolicyArn=arn)
    report = _verify(aws, _res("aws_iam_role_policy_attachment", "deploy", role="deploy", policy_arn=arn))
    assert _status(report, "attached") == OK
    row = next(r for r in report.results if r.check == "iam.least_privilege")
    assert row.status == FAILED and "NotAction" in row.actual


def test_public_trust_policy_fails(aws) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    aws("iam").create_role(RoleName="open", AssumeRolePolicyDocument=json.dumps(trust))
    assert _status(_verify(aws, _res("aws_iam_role", "open", name="open")), "iam.trust_not_public") == FAILED


# ------------------------------------------------------------------------------ KMS, SG, DDB, logs
def test_kms_rotation(aws) -> None:
    kms = aws("kms")
    off = kms.create_key()["KeyMetadata"]["KeyId"]
    on = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=on)
    report = _verify(aws, _res("aws_kms_key", "off", key_id=off), _res("aws_kms_key", "on", key_id=on))
    assert {r.address: r.status for r in report.results if r.check == "kms.rotation"} == {
        "aws_kms_key.off": FAILED,
        "aws_kms_key.on": OK,
    }


def test_open_ingress_fails_unless_intended(aws) -> None:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    resource = _res("aws_security_group", "web", id=sg, vpc_id=vpc)
    assert _status(_verify(aws, resource), "sg.no_open_ingress") == FAILED
    state = TfState("1", (resource,))
    intended = verify_state(state, ctx=VerifyContext(state, client_factory=aws, open_ingress_allowed=[sg]), workers=1)
    assert _status(intended, "sg.no_open_ingress") == OK


def test_dynamodb_lock_table_encryption_and_pitr(aws) -> None:
    ddb = aws("dynamodb")
    common = {
        "AttributeDefinitions": [{"AttributeName": "LockID", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "LockID", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ddb.create_table(TableName="plain", **common)
    ddb.create_table(
        TableName="locked",
        SSESpecification={"Enabled": True, "SSEType": "KMS"},
        DeletionProtectionEnabled=True,
        **common,
    )
    ddb.update_continuous_backups(
        TableName="locked", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    report = _verify(
        aws,
        _res("aws_dynamodb_table", "plain", name="plain"),
        _res("aws_dynamodb_table", "locked", name="locked"),
    )
    assert _by_address(report, "dynamodb.encryption", "dynamodb.pitr", "dynamodb.deletion_protection") == {
        "aws_dynamodb_table.plain": (FAILED, FAILED, FAILED),
        "aws_dynamodb_table.locked": (OK, OK, OK),
    }


def test_log_group_retention_and_kms(aws) -> None:
    logs = aws("logs")
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/plain")
    logs.create_log_group(logGroupName="/kept", kmsKeyId=key)
    logs.put_retention_policy(logGroupName="/kept", retentionInDays=365)
    report = _verify(
        aws,
        _res("aws_cloudwatch_log_group", "plain", name="/plain", retention_in_days=365),
        _res("aws_cloudwatch_log_group", "kept", name="/kept", retention_in_days=365),
    )
    assert _by_address(report, "logs.retention", "logs.kms") == {
        "aws_cloudwatch_log_group.plain": (FAILED, FAILED),
        "aws_cloudwatch_log_group.kept": (OK, OK),
    }


def test_sns_topic_kms(aws) -> None:
    sns = aws("sns")
    plain = sns.create_topic(Name="plain")["TopicArn"]
    locked = sns.create_topic(Name="locked", Attributes={"KmsMasterKeyId": "alias/x"})["TopicArn"]
    report = _verify(aws, _res("aws_sns_topic", "plain", arn=plain), _res("aws_sns_topic", "locked", arn=locked))
    assert {r.address: r.status for r in report.results} == {
        "aws_sns_topic.plain": FAILED,
        "aws_sns_topic.locked": OK,
    }


def test_rds_instance_controls(aws) -> None:
    rds = aws("rds")
    rds.create_db_parameter_group(DBParameterGroupName="tls", DBParameterGroupFamily="postgres16", Description="x")
    rds.modify_db_parameter_group(
        DBParameterGroupName="tls",
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    common = {
        "DBInstanceClass": "db.t4g.medium",
        "Engine": "postgres",
        "MasterUsername": "u",
        "MasterUserPassword": "p4ssword!",
        "AllocatedStorage": 20,
    }
    rds.create_db_instance(
        DBInstanceIdentifier="good",
        StorageEncrypted=True,
        MultiAZ=True,
        DeletionProtection=True,
        BackupRetentionPeriod=7,
        PubliclyAccessible=False,
        DBParameterGroupName="tls",
        **common,
    )
    rds.create_db_instance(DBInstanceIdentifier="weak", BackupRetentionPeriod=0, PubliclyAccessible=True, **common)
    report = _verify(
        aws,
        _res("aws_db_instance", "good", identifier="good"),
        _res("aws_db_instance", "weak", identifier="weak"),
    )
    good = {r.check: r.status for r in report.results if r.address == "aws_db_instance.good"}
    weak = {r.check: r.status for r in report.results if r.address == "aws_db_instance.weak"}
    assert set(good.values()) == {OK}
    assert weak["rds.storage_encrypted"] == weak["rds.not_public"] == weak["rds.backup_retention"] == FAILED
    assert weak["rds.force_ssl"] == FAILED


# ------------------------------------------------------------------- table rows (one shape, many types)
def test_table_rows_compare_what_aws_holds_with_the_state(aws) -> None:
    kms, ec2, sm = aws("kms"), aws("ec2"), aws("secretsmanager")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/data", TargetKeyId=key)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    aws("rds").create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="x", SubnetIds=[subnet])
    secret = sm.create_secret(Name="s", SecretString="v")
    report = _verify(
        aws,
        _res("aws_kms_alias", "right", name="alias/data", target_key_id=key),
        _res("aws_kms_alias", "wrong", name="alias/data", target_key_id="another-key"),
        _res("aws_route_table", "rt", id=table, vpc_id=vpc),
        _res("aws_db_subnet_group", "db", name="db", subnet_ids=[subnet]),
        _res("aws_secretsmanager_secret_version", "v", secret_id=secret["ARN"], version_id=secret["VersionId"]),
        _res("aws_secretsmanager_secret_version", "gone", secret_id=secret["ARN"], version_id="no-such-version"),
    )
    assert {r.address: (r.check, r.status) for r in report.results} == {
        "aws_kms_alias.right": ("matches state: target key", OK),
        "aws_kms_alias.wrong": ("matches state: target key", FAILED),
        "aws_route_table.rt": ("matches state: vpc", OK),
        "aws_db_subnet_group.db": ("matches state: subnets", OK),
        "aws_secretsmanager_secret_version.v": ("exists", OK),
        "aws_secretsmanager_secret_version.gone": ("exists", FAILED),
    }


def test_registry_lists_a_callable_verifier_per_type() -> None:
    assert all(callable(v) for v in VERIFIERS.values())
    assert verifier_for("aws_s3_bucket") is VERIFIERS["aws_s3_bucket"]
    assert VERIFIERS["aws_vpc_security_group_ingress_rule"] is VERIFIERS["aws_vpc_security_group_egress_rule"]


# ------------------------------------------------------------------------------ engine behaviour
def test_unknown_type_is_listed_not_verified_never_passed(aws) -> None:
    report = _verify(aws, _res("aws_made_up_thing", "x", id="1"))
    assert report.results[0].status == NOT_VERIFIED
    counts = report.counts()
    assert (
        counts["resources_in_state"],
        counts["verified_ok"],
        counts["not_verified"],
        counts["failed"],
    ) == (1, 0, 1, 0)
    assert report.ok and not report.ok_addresses
    with pytest.raises(ParamsError, match="aws_s3_bucket"):
        verifier_for("aws_made_up_thing")


def test_unimplemented_call_in_a_sandbox_is_not_verified_but_a_failure_on_aws() -> None:
    class Broken:
        def get_key_rotation_status(self, **_: Any) -> None:
            raise ClientError(
                {
                    "Error": {"Code": "InternalFailure", "Message": "not yet implemented"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "GetKeyRotationStatus",
            )

        def describe_key(self, **_: Any) -> dict:
            return {"KeyMetadata": {"KeyId": "k", "KeyState": "Enabled"}}

    resource = _res("aws_kms_key", "k", key_id="k")
    state = TfState("1", (resource,))
    sandbox = verify_state(state, ctx=VerifyContext(state, client_factory=lambda s: Broken(), sandbox=True), workers=1)
    real = verify_state(state, ctx=VerifyContext(state, client_factory=lambda s: Broken(), sandbox=False), workers=1)
    assert [r.status for r in sandbox.results] == [OK, NOT_VERIFIED]
    assert "does not implement GetKeyRotationStatus" in sandbox.results[1].detail
    assert [r.status for r in real.results] == [OK, FAILED]
    assert (sandbox.verdicts[0].status, real.verdicts[0].status) == ("ok", "failed")


def test_counts_and_frame(aws) -> None:
    def fake(resource, ctx):
        yield Outcome("a", 1, 1, True)
        yield Outcome("b", True, False, False)

    resources = [_res("aws_thing", str(i), id=str(i)) for i in range(3)]
    report = verify_state(
        TfState("1", tuple(resources)),
        client_factory=aws,
        workers=2,
        registry={"aws_thing": fake},
        waivers={"b": "env switches it off"},
    )
    assert report.counts() == {
        "resources_in_state": 3,
        "verified_ok": 3,
        "failed": 0,
        "not_verified": 0,
        "checks_ran": 3,
        "checks_failed": 0,
        "checks_waived": 3,
    }
    frame = report.to_frame()
    assert list(frame.columns)[:6] == ["address", "type", "check", "expected", "actual", "ok"]
    assert frame["ok"].tolist().count(None) == 3
    failing = verify_state(TfState("1", tuple(resources)), client_factory=aws, workers=1, registry={"aws_thing": fake})
    assert (failing.failed, failing.verified_ok, failing.ok) == (3, 0, False)
    assert json.loads(json.dumps(failing.to_dict()))["counts"]["checks_failed"] == 3


def test_waivers_come_only_from_the_environment_tfvars(tmp_path: Path) -> None:
    path = tmp_path / "02_data_stores.tfvars"
    path.write_text(
        "# moto ignores aws:SecureTransport\nenable_tls_only_policy = false\n"
        "deletion_protection = true\nenable_rds_parameter_group = false # no Source from moto\n"
    )
    waivers = waivers_from_tfvars(read_tfvars(path))
    assert set(waivers) == {"s3.tls_only_policy", "rds.force_ssl"}
    assert "moto ignores aws:SecureTransport" in waivers["s3.tls_only_policy"]
    assert waivers_from_tfvars(None) == {}


def test_policy_helpers() -> None:
    broad = {
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
            {"Sid": "B", "Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]},
            {"Sid": "C", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Sid": "D", "Effect": "Deny", "Action": "*", "Resource": "*"},
            {"Sid": "E", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
        ]
    }
    assert [s.split(":")[0] for s in broad_statements(broad)] == ["B", "C"]
    assert broad_statements(json.dumps(broad)) == broad_statements(broad)
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:*"],
        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
    }
    assert is_tls_only_deny(deny)
    assert not is_tls_only_deny({**deny, "Condition": {"StringEquals": {"aws:SecureTransport": "false"}}})
    assert not is_tls_only_deny({**deny, "Action": "s3:GetObject"})
    assert public_statements({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}) == ["#0"]
    assert (
        public_statements(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "x",
                        "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
                    }
                ]
            }
        )
        == []
    )
