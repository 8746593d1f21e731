#!/usr/bin/env python3
"""Derives IAM auth token test vectors from botocore (pip install botocore).

Runs botocore's own generate_db_auth_token with a frozen clock and writes the
inputs and outputs to data/token_vectors.json, which the Rust unit tests read.
Regenerate with: python3 crates/rdsql-aws/tests/gen_token_vectors.py
"""
import datetime
import json
import os
from unittest import mock

import botocore
import botocore.auth
import botocore.session

CASES = [
    # (label, access key, secret, session token, region, host, port, user, time)
    ("public vector", "akid", "skid", None, "us-east-1",
     "prod-instance.us-east-1.rds.amazonaws.com", 3306, "someusername", "2016-11-07T17:39:33"),
    ("session token with / + =", "ASIAEXAMPLEKEY123456", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 
     "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc/def+ghi==", "eu-west-1",
     "mydb.c9akciq32.eu-west-1.rds.amazonaws.com", 5432, "app_user", "2026-11-28T12:00:00"),
    ("user with space plus at", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None,
     "us-west-2", "db.abc.us-west-2.rds.amazonaws.com", 3306, "jane doe+ops@corp", "2025-01-31T23:59:59"),
    ("upper-case host", "AKIAIOSFODNN7EXAMPLE", "secret", None, "ap-southeast-2",
     "MyDB.Cluster-XYZ.AP-SOUTHEAST-2.RDS.AMAZONAWS.COM", 5432, "admin", "2024-02-29T00:00:00"),
    ("ipv6 literal", "AKIAIOSFODNN7EXAMPLE", "secret", None, "us-east-1",
     "[::1]", 5432, "postgres", "2026-06-01T08:30:15"),
    ("port 443", "AKIAIOSFODNN7EXAMPLE", "secret", None, "us-east-1",
     "proxy.proxy-abc.us-east-1.rds.amazonaws.com", 443, "proxyuser", "2026-03-03T03:03:03"),
    ("china partition", "AKIAIOSFODNN7EXAMPLE", "secret", None, "cn-north-1",
     "db.abc.cn-north-1.rds.amazonaws.com.cn", 3306, "cnuser", "2026-07-07T07:07:07"),
    ("ip address host", "AKIAIOSFODNN7EXAMPLE", "secret", None, "us-east-2",
     "10.1.2.3", 3307, "tunnel_user", "2026-11-28T00:00:01"),
    ("long sts session token", "ASIA5EXAMPLE00000000", "abc/DEF+ghi=jkl", 
     "FwoGZXIvYXdzEBYaDH" + "A1b2C3d4/E5f6+G7h8=" * 40, "us-east-1",
     "aurora.cluster-abc.us-east-1.rds.amazonaws.com", 3306, "iam_user", "2026-11-28T11:22:33"),
    ("unicode user", "AKIAIOSFODNN7EXAMPLE", "secret", None, "eu-central-1",
     "db.eu-central-1.rds.amazonaws.com", 5432, "jürgen", "2026-05-05T05:05:05"),
    ("reserved characters in user", "AKIAIOSFODNN7EXAMPLE", "secret", None, "sa-east-1",
     "db.x.sa-east-1.rds.amazonaws.com", 5432, "a/b=c&d~e.f-g_h*i", "2026-09-09T09:09:09"),
    ("gov region", "AKIAIOSFODNN7EXAMPLE", "secret", "token", "us-gov-west-1",
     "db.x.us-gov-west-1.rds.amazonaws.com", 5432, "gov", "2026-10-10T10:10:10"),
]


def main():
    out = []
    for label, akid, secret, token, region, host, port, user, when in CASES:
        fixed = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S")
        session = botocore.session.get_session()
        client = session.create_client(
            "rds", region_name=region, aws_access_key_id=akid,
            aws_secret_access_key=secret, aws_session_token=token)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=fixed):
            result = client.generate_db_auth_token(
                DBHostname=host, Port=port, DBUsername=user, Region=region)
        out.append({
            "label": label, "access_key_id": akid, "secret_access_key": secret,
            "session_token": token, "region": region, "host": host, "port": port,
            "user": user, "time": when + "Z", "token": result,
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "token_vectors.json")
    with open(path, "w") as f:
        json.dump({"botocore": botocore.__version__, "vectors": out}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(out)} vectors to {path}")


if __name__ == "__main__":
    main()
